/* What every web page shares: the signed-in session, the frame, the user's
 * language, and the few pieces several pages draw (times, scope, API errors,
 * paged lists, forms that post to the API). One page module per concern
 * (pages.c, pages_admin.c, ...) builds on it. Any HTTP worker. */
#ifndef ATALAYA_WEB_PAGE_H
#define ATALAYA_WEB_PAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "http/request.h"
#include "web/form.h"
#include "web/html.h"
#include "web/call.h"
#include "web/session.h"

#define PAGE_HTML_TYPE "text/html; charset=utf-8"
#define PAGE_SIZE 50 /* rows of a list page */

struct page {
	struct request *r;
	struct web_session s;
	struct html_page h;
	struct form form; /* the posted form, after page_open(..., post = true) */
};

/* The session, the language and the frame of a page; false when the request
 * was answered instead (sent to sign-in, or a refused form: another origin,
 * a bad body, a missing or wrong CSRF token). */
bool page_open(struct request *r, struct page *p, const char *title, const char *nav, bool post);
/* The account's language, else the cookie's, else Accept-Language's. */
enum lang page_lang(struct request *r, const struct web_session *s);
void page_redirect(struct request *r, const char *to);
/* False for a form posted from another site (checked before any work). */
bool page_same_origin(struct request *r);
/* Parses the form body (urlencoded or multipart); false after answering 400. */
bool page_read_form(struct page *p);

/* The frame around the page's content, with the answer's status. */
void page_begin(struct page *p, int status);
void page_end(struct page *p);

/* Catalogue text in the page's language: as is, escaped, and between tags. */
const char *page_t(const struct page *p, const char *key);
void page_text(struct page *p, const char *key);
void page_tag_text(struct page *p, const char *open, const char *key, const char *close);
/* Opens a section titled by `key`: <section aria-labelledby="ID"><h2
 * id="ID">text</h2>; the caller writes its content and closes it. */
void page_section(struct page *p, const char *id, const char *key);

/* An RFC 3339 time of the API, written per locale in a <time>; "—" if none. */
void page_when(struct page *p, const char *rfc3339);
/* A report's scope: its TLP as a badge, its audience as names. */
void page_tlp_badge(struct page *p, const char *tlp);
void page_audience(struct page *p, json_t *aud);
/* An API error shown in the page, tied to its field by id "error-FIELD". */
void page_api_error(struct page *p, json_t *e);
/* The whole answer: 404 with the not-found page. */
void page_not_found(struct page *p);
/* GET `path` (?query, or NULL) of the API as the signed-in person into *c: true when it
 * answered 200; otherwise the page answers not found (as the API did not
 * give it: unknown, or not the person's to see) and *c is released. */
bool page_get(struct page *p, const char *path, const char *query, struct web_call *c);
/* The whole answer: 403 with the API's refusal (a form of another member,
 * or a role that may not do it). */
void page_forbidden(struct page *p, json_t *error);
/* A number given in tenths ("12.3"), with the locale's digits and decimal
 * separator (the catalogue's "number.decimal"). */
void page_tenths(struct page *p, int64_t tenths);
/* A link to the next page of a list when the API's answer `page` has a cursor. */
void page_next_link(struct page *p, const char *base, json_t *page);
/* An id from the query (?name=): digits only, or NULL. */
const char *page_query_id(struct request *r, const char *name);
/* A link to a report's page, its id kept left to right in any language. */
void page_report_link(struct buf *o, const char *id);

/* A whole page: PAGE_SIZE items of the API's list at `api` (after ?after=),
 * drawn by `rows`, with a link to the next page at `web`. */
void page_list(struct request *r, const char *title, const char *nav, const char *api,
	       const char *web, void (*rows)(struct page *p, json_t *items));

/* The top of a form page: the page begun, `done_key`'s message (if not
 * NULL) or the API's `error`, and the form opened towards `action` with its
 * CSRF token. Returns the field the error names, or NULL. */
const char *page_form_head(struct page *p, int status, json_t *error, const char *done_key,
			   const char *action);
/* A form's POST: `body` (taken) to the API route `api` as the signed-in
 * person; then `form` again, saying it was done when the API answered `ok`,
 * else with the API's error tied to its field. */
void page_form_to_api(struct page *p, const char *api, json_t *body, int ok,
		      void (*form)(struct page *p, int status, json_t *error, bool done));

#endif
