/* TAXII 2.1 (docs/internals/taxii.md): the server's routes (taxii/routes.c)
 * and the client that pulls other servers' collections into reports
 * (taxii/source.c), with the node-wide state both share: the key that signs
 * `next` tokens and the thread that runs scheduled pulls.
 * Built by `atalaya serve` before the HTTP server starts, freed after it
 * stops; the routes read it from any worker thread (read-only). */
#ifndef ATALAYA_TAXII_H
#define ATALAYA_TAXII_H

#include <jansson.h>

#include "http/request.h"
#include "node.h"
#include "taxii/query.h"

struct taxii;

/* Loads the `next` key from the store (made and stored on first start) and
 * starts the scheduler thread. Caller frees with taxii_free. */
int taxii_new(struct node *node, struct taxii **out, struct err_detail *err);
/* Stops the scheduler (a pull in progress finishes its page) and frees. NULL is fine. */
void taxii_free(struct taxii *t);
const unsigned char *taxii_next_key(const struct taxii *t);
/* A source was added: the scheduler looks at the sources again now. */
void taxii_kick(struct taxii *t);

extern const struct route taxii_routes[];	 /* the TAXII server, under /taxii2/ */
extern const struct route taxii_source_routes[]; /* admin: /api/v1/taxii/sources */

/* The outcome of one pull. */
struct taxii_pull_result {
	int64_t objects, pages, reports;
	char cursor[40]; /* added_after for the next pull ("" when none yet) */
};

/* Pulls source `name` now: pages of new objects, each committed as a report
 * under the source's scope, the cursor saved after each. On error what was
 * committed stays, and `err` names the failure. Any thread; one pull of a
 * source at a time (ERR_CONFLICT when one runs). */
int taxii_pull(struct node *node, const char *name, struct taxii_pull_result *res,
	       struct err_detail *err);

/* Turns a TAXII envelope (or a bare JSON array of objects) into the text of
 * a STIX bundle for the intake; `n_out` receives the number of objects and
 * *objects_out (when not NULL) a new reference to them. Caller frees the text. */
int taxii_envelope_to_bundle(const char *data, size_t n, size_t depth_max, char **bundle_out,
			     size_t *len_out, json_t **objects_out, struct err_detail *err);

#endif
