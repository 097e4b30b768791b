#include "api/routes.h"

#include "alert/routes.h"
#include "report/routes.h"
#include "spam/routes.h"

/* Add a module's table here; the router, metrics, `atalaya routes` and the
 * OpenAPI test all read this list. */
const struct route *const api_route_tables[] = {
    api_health_routes, api_member_routes, api_group_routes, api_contact_routes,
    report_routes,     alert_routes,	  spam_routes,	    NULL,
};
