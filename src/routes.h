/* The list of every module's route table (curl's lib/protocol.c): each
 * concern keeps its table in its own folder; this list hands them to the HTTP
 * server, which knows none of them. Read-only; any thread. */
#ifndef ATALAYA_ROUTES_H
#define ATALAYA_ROUTES_H

#include <stddef.h>

#include "http/request.h"

/* Every route of every table, flattened in list order (built once, on the
 * first call; never freed): route i is metrics' route i. */
const struct route *routes_all(size_t *n);

/* The node's own routes (src/health.c): liveness, metrics, OpenAPI. */
extern const struct route health_routes[];

#endif
