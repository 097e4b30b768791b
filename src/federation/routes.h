/* The federation's routes: the node's identity, the peers (admin), a sync
 * on demand, a report's origin signature re-verified (routes.c), and the
 * feed peer nodes pull (feed.c). HTTP workers. */
#ifndef ATALAYA_FED_ROUTES_H
#define ATALAYA_FED_ROUTES_H

#include "http/request.h"

extern const struct route federation_routes[];
extern const struct route federation_feed_routes[];

#endif
