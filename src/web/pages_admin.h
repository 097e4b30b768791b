/* The admin's web pages: members (edit, delete, API tokens), groups (create,
 * edit), people (add, reset enrolment, delete); pages_peers.c has the peer
 * nodes and the TAXII sources. Everything goes through the API's handlers
 * (web_call), as the signed-in admin. Listed in src/routes.c. Any HTTP
 * worker. */
#ifndef ATALAYA_WEB_PAGES_ADMIN_H
#define ATALAYA_WEB_PAGES_ADMIN_H

#include <jansson.h>
#include <stdbool.h>

#include "http/request.h"
#include "web/call.h"
#include "web/page.h"

extern const struct route web_admin_routes[];

/* What the admin's page modules share. */

/* page_open for an admin page: anyone else gets the not-found page (false). */
bool admin_open(struct request *r, struct page *p, const char *title, const char *nav, bool post);
/* Calls the API with `body` (taken; may be NULL) as JSON. */
void admin_call(struct page *p, const char *method, const char *path, json_t *body,
		struct web_call *out);
/* ` aria-describedby="error-NAME"` when the API's error names that field. */
void admin_describedby(struct page *p, const char *error_field, const char *name);
/* A text input with its label, tied to the error when it names `name`. */
void admin_input(struct page *p, const char *id, const char *name, const char *label_key,
		 const char *value, const char *attrs, const char *error_field);
/* A one-button form posting to `action` (an escaped path). */
void admin_button(struct page *p, const char *action, const char *label_key);
/* A deletion's second step: unless the form carries the ticked confirmation,
 * answers with a page that asks for it (naming `what`, its button saying
 * `button_key`) and returns false. */
bool admin_confirmed(struct page *p, const char *what, const char *back, const char *button_key);
/* "a, b, c" into a JSON array of the trimmed non-empty items. */
json_t *admin_list(const char *text);
/* An error of the page's own (not the API's), in the API's form. */
json_t *admin_error(struct page *p, const char *field, const char *key);

#endif
