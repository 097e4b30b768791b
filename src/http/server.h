/* The HTTP(S) server: libmicrohttpd with epoll and a thread pool. Started,
 * reloaded and stopped by the main thread; handlers run on the pool's
 * threads. Connections are capped in number, per client address, and in the
 * time they get for a request's headers (docs/operations.md, "Limits"). */
#ifndef ATALAYA_SERVER_H
#define ATALAYA_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"
#include "util/err.h"
#include "util/principal.h"

struct metrics;
struct server;
struct server_tls;

/* Finds who presents `token` (n bytes, after "Bearer "): ERR_OK and *who
 * filled, or an error (answered 401). Called on the pool's threads. */
typedef int (*server_auth_fn)(struct node *node, const char *token, size_t n,
			      struct principal *who);

/* What the server is started with, filled by whoever starts it (src/serve.c).
 * The strings and pointers must outlive the server. */
struct server_options {
	const char *listen;   /* HOST:PORT */
	const char *tls_cert; /* PEM chain; "" without TLS */
	const char *tls_key;  /* its PEM key */
	bool insecure_listen; /* plain HTTP on a non-loopback address */
	unsigned threads, connections_max, connections_per_ip, timeout_seconds;
	int64_t header_timeout_seconds; /* for a request's headers (the reaper) */
	bool access_log;		/* one log line per request */
	struct http_limits limits;

	/* Given with server_start: */
	const struct route *routes; /* matched in order; route i is metrics' i */
	size_t nroutes;
	struct metrics *metrics;     /* of nroutes routes */
	server_auth_fn authenticate; /* for routes without ROUTE_PUBLIC */
	struct node *node;	     /* handed to handlers (r->node) and authenticate */
};

/* Binds host:port (before privileges are dropped). Loopback-only unless
 * TLS is configured or insecure_listen is set. *fd receives the socket. */
int server_bind(const struct server_options *o, int *fd, struct err_detail *err);

/* Reads and checks tls_cert (a PEM chain) and tls_key (its PEM key), before
 * privileges are dropped. *out is NULL when TLS is not configured; otherwise
 * the caller hands it to server_start or frees it with server_tls_free. The
 * key's text is wiped from memory once parsed. */
int server_tls_load(const struct server_options *o, struct server_tls **out,
		    struct err_detail *err);
void server_tls_free(struct server_tls *t);

/* Starts serving on the bound socket, with TLS 1.2/1.3 when `tls` is given.
 * Copies *o. Takes `tls` (even on error) and, on success, `fd`. Caller stops
 * with server_stop. */
int server_start(const struct server_options *o, int fd, struct server_tls *tls,
		 struct server **out, struct err_detail *err);

/* SIGHUP: reads the certificate and key files again; handshakes from then on
 * use them. On error (the message names the file) the current pair stays.
 * *reloaded is false when the server has no TLS. */
int server_reload_tls(struct server *s, bool *reloaded, struct err_detail *err);

/* Graceful stop, first step: new connections are refused, connections that
 * wait for a request are closed, and each answer from now on closes its
 * connection. Requests in flight go on. */
void server_quiesce(struct server *s);
/* Requests still in flight (closing, first, connections that went idle). */
unsigned server_inflight(struct server *s);
/* Stops the server, cutting whatever is still in flight, and frees it. */
void server_stop(struct server *s);

#endif
