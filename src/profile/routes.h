/* REST routes of national profiles and of the progress report (listed in
 * src/routes.c). */
#ifndef ATALAYA_PROFILE_ROUTES_H
#define ATALAYA_PROFILE_ROUTES_H

#include "http/request.h"

extern const struct route profile_routes[];

#endif
