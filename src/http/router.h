/* The route table: every route of every module, matched by method and path.
 * Built once at start; read-only afterwards (any thread). */
#ifndef ATALAYA_ROUTER_H
#define ATALAYA_ROUTER_H

#include <stddef.h>

#include "http/request.h"

/* All routes, flattened; index i is route i for metrics. */
const struct route *router_routes(size_t *n);

enum router_match { ROUTER_FOUND, ROUTER_NO_PATH, ROUTER_BAD_METHOD };

/* Finds the route for method + path (no query string) and fills r->param and
 * r->id. On ROUTER_BAD_METHOD, `allow` receives the methods the path has. */
enum router_match router_find(struct request *r, const char *method, const char *path, char *allow,
			      size_t allow_size);

#endif
