/* REST routes of communication checks (listed in src/routes.c). */
#ifndef ATALAYA_CHECK_ROUTES_H
#define ATALAYA_CHECK_ROUTES_H

#include "http/request.h"

extern const struct route check_routes[];

#endif
