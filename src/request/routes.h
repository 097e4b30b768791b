/* The requests routes (issue 15): /api/v1/requests... and
 * /api/v1/capabilities; see docs/api.md. Any HTTP worker. */
#ifndef ATALAYA_REQUEST_ROUTES_H
#define ATALAYA_REQUEST_ROUTES_H

#include "http/request.h"

extern const struct route request_routes[];

#endif
