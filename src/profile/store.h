/* A member's profile as JSON, for the routes and the progress report: each
 * field and measure is shown only when policy_may_see lets the caller see it
 * through `path` (subject: owner the member, audience the field's scope).
 * Reads through `c`; any thread. */
#ifndef ATALAYA_PROFILE_STORE_H
#define ATALAYA_PROFILE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "node.h"
#include "policy/policy.h"
#include "util/principal.h"

/* {"fields": {NAME: {"value", "scope"?, "updated"}}, "measures": {ID: {"status",
 * "since", "note", "scope"?, "updated"}}} of the fields and measures the
 * caller may see (new reference); "scope" only for the owner. */
json_t *profile_visible(struct node *node, struct store_conn *c, const struct principal *who,
			int64_t member, enum policy_path path);

/* May the caller see field `field` of member's profile through `path`?
 * A field not set is private (the owner alone). */
bool profile_field_visible(struct node *node, struct store_conn *c, const struct principal *who,
			   int64_t member, const char *field, enum policy_path path);

#endif
