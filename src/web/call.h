/* A page reads and writes through the API's own route handlers, called in
 * process as the signed-in user: the same policy_may_see, the same audit, the
 * same validation errors as a client of the API gets. Any HTTP worker. */
#ifndef ATALAYA_WEB_CALL_H
#define ATALAYA_WEB_CALL_H

#include <jansson.h>

#include "http/request.h"

struct web_call {
	int status;
	json_t *json; /* the decoded answer; NULL when empty or not JSON */
};

/* Runs METHOD PATH (?query: "a=1&b=2", values without '&') as page->who,
 * with `body` (n bytes, `content_type`) when given. Role checks are the
 * route's. Fills *out; the caller releases it with web_call_release. */
void web_call(struct request *page, const char *method, const char *path, const char *query,
	      const char *content_type, const char *body, size_t n, struct web_call *out);
void web_call_release(struct web_call *c);

/* Answers the page's request with the API's own answer to GET PATH?query
 * (status, type, body): the exports (CSV, JSON) a person downloads from a
 * page, which a browser cannot fetch from the API without a token. */
void web_call_pass(struct request *page, const char *path, const char *query);

/* The error of a failed call: {"code","message","field"}; NULL when none. */
json_t *web_call_error(const struct web_call *c);

#endif
