/* Every module's route table, gathered for the router. */
#ifndef ATALAYA_API_ROUTES_H
#define ATALAYA_API_ROUTES_H

#include "http/request.h"

/* NULL-terminated; each table ends with an entry whose method is NULL. */
extern const struct route *const api_route_tables[];

extern const struct route api_health_routes[];
extern const struct route api_member_routes[];
extern const struct route api_group_routes[];
extern const struct route api_contact_routes[];

#endif
