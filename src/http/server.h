/* The HTTP(S) server: libmicrohttpd with epoll and a thread pool. Started and
 * stopped by the main thread; handlers run on the pool's threads. */
#ifndef ATALAYA_SERVER_H
#define ATALAYA_SERVER_H

#include "node.h"
#include "util/err.h"

struct server;

/* Binds host:port (before privileges are dropped). Loopback-only unless
 * TLS is configured or insecure_listen is set. *fd receives the socket. */
int server_bind(const struct config *cfg, int *fd, struct err_detail *err);

/* Starts serving on the bound socket. Caller stops with server_stop. */
int server_start(struct node *node, int fd, struct server **out, struct err_detail *err);
/* Stops accepting, lets requests in flight finish, then frees. */
void server_stop(struct server *s);

/* The port actually bound (for listen addresses with port 0). */
int server_port(int fd);

#endif
