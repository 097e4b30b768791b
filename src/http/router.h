/* Matching a request's method and path against a route list (the server's,
 * given by whoever starts it: src/routes.c). Pure; any thread. */
#ifndef ATALAYA_ROUTER_H
#define ATALAYA_ROUTER_H

#include <stddef.h>

#include "http/request.h"

enum router_match { ROUTER_FOUND, ROUTER_NO_PATH, ROUTER_BAD_METHOD };

/* Finds the route for method + path (no query string) among routes[0..n-1]
 * (the first that matches) and fills r->route, r->route_index, r->param and
 * r->id. On ROUTER_BAD_METHOD, `allow` receives the methods the path has. */
enum router_match router_find(const struct route *routes, size_t n, struct request *r,
			      const char *method, const char *path, char *allow, size_t allow_size);

/* Does the caller's role (r->who) meet r->route's (ROUTE_ADMIN, ROUTE_WRITE)?
 * Answers 403 itself when not. The server and the web's in-process calls
 * both ask here. */
bool http_role_allowed(struct request *r);

#endif
