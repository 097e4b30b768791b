/* The audience notation used wherever a member chooses who sees something:
 * a JSON array of "all", "group:ID", "member:ID", "peer:ID" (a peer node,
 * src/federation: it receives the report in its feed); the empty array means
 * the owner alone. Stored as canonical JSON text: sorted, no duplicates, no
 * spaces, e.g. ["group:3","member:7"]. Any thread. */
#ifndef ATALAYA_AUDIENCE_H
#define ATALAYA_AUDIENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "directory/directory.h"
#include "util/buf.h"
#include "util/err.h"

/* Validates a JSON array (every group and member must exist) and writes its
 * canonical text to `out`. Errors name `field` and the item index. */
int audience_from_json(json_t *arr, struct directory *d, const char *field, struct buf *out,
		       struct err_detail *err);

/* The same from the query-string form "all" or "group:3,member:7"; NULL or
 * "" means the owner alone. */
int audience_from_text(const char *list, struct directory *d, const char *field, struct buf *out,
		       struct err_detail *err);

/* Does the canonical `aud` name `member` directly, through "all", or through
 * a group it belongs to? (The owner is handled by the policy module.) */
bool audience_includes(const char *aud, int64_t member, struct directory *d);

/* Does the canonical `aud` name item `kind`:`id` itself ("peer:3", "group:2")? */
bool audience_names(const char *aud, const char *kind, int64_t id);

/* ERR_OK unless the canonical `aud` names a peer node: for data that does
 * not travel to peers (requests, check results, profiles), where a peer in
 * the audience would be a promise nobody keeps. `what` names that data. */
int audience_local_only(const char *aud, const char *field, const char *what,
			struct err_detail *err);

/* True when `aud` names only members ("member:ID"), which TLP:RED requires. */
bool audience_named_only(const char *aud);

/* A new JSON array for responses; the caller json_decref()s it. */
json_t *audience_to_json(const char *aud);

#endif
