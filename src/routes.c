#include "routes.h"

#include "alert/routes.h"
#include "check/routes.h"
#include "profile/routes.h"
#include "directory/routes.h"
#include "federation/contacts.h"
#include "federation/routes.h"
#include "federation/sightings.h"
#include "report/routes.h"
#include "request/routes.h"
#include "spam/routes.h"
#include "taxii/taxii.h"
#include "util/xalloc.h"
#include "web/pages.h"
#include "web/pages_admin.h"
#include "web/pages_checks.h"
#include "web/pages_profiles.h"
#include "web/pages_requests.h"
#include "web/pages_peers.h"
#include "web/session.h"

#include <pthread.h>

/* Add a module's table here; the server, metrics, `atalaya routes` and the
 * OpenAPI test all read this list (through routes_all). A path is matched
 * against the tables in this order. NULL-terminated; each table ends with an
 * entry whose method is NULL. */
static const struct route *const routes_tables[] = {
    health_routes,
    directory_member_routes,
    directory_group_routes,
    directory_contact_routes,
    report_routes,
    alert_routes,
    spam_routes,
    check_routes,
    profile_routes,
    request_routes,
    taxii_routes,
    taxii_source_routes,
    federation_routes,
    federation_feed_routes,
    federation_contact_routes,
    federation_sighting_routes,
    web_user_routes,
    web_page_routes,
    web_admin_routes,
    web_profile_routes,
    web_check_routes,
    web_request_routes,
    web_peer_routes,
    NULL,
};

static const struct route *flat;
static size_t nflat;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
	size_t n = 0;
	for (const struct route *const *t = routes_tables; *t; t++)
		for (const struct route *r = *t; r->method; r++)
			n++;
	struct route *all = xcalloc(n, sizeof(*all));
	n = 0;
	for (const struct route *const *t = routes_tables; *t; t++)
		for (const struct route *r = *t; r->method; r++)
			all[n++] = *r;
	flat = all;
	nflat = n;
}

const struct route *routes_all(size_t *n)
{
	pthread_once(&once, build);
	*n = nflat;
	return flat;
}
