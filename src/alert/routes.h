/* The early-warning routes (constituency, lookup, related, sightings, alerts);
 * see docs/api.md. Any HTTP worker. */
#ifndef ATALAYA_ALERT_ROUTES_H
#define ATALAYA_ALERT_ROUTES_H

#include "http/request.h"

extern const struct route alert_routes[];

#endif
