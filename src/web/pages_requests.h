/* The web pages of requests for assistance (issue 15, src/request/) and the
 * dashboard's crisis sections: requests with deadlines, communication checks
 * waiting for the member's answer. Listed in src/routes.c. Any HTTP worker. */
#ifndef ATALAYA_WEB_PAGES_REQUESTS_H
#define ATALAYA_WEB_PAGES_REQUESTS_H

#include "http/request.h"
#include "web/page.h"

extern const struct route web_request_routes[];

/* Dashboard sections, each drawn where it is called (after page_begin). */
void web_requests_deadlines(struct page *p);
void web_requests_checks_waiting(struct page *p);

#endif
