/* The directory: an in-memory copy of members (id, role), their live tokens,
 * group memberships and peer node ids, rebuilt from the store after every write to those
 * tables. It answers, without touching SQLite, "who presents this token?" and
 * "is member M in group G?" on every request.
 *
 * Threads: readers (HTTP workers) take a shared lock held for a few
 * comparisons; directory_reload (any writer, after its commit) builds a new
 * copy outside the lock and swaps it in under the exclusive lock. */
#ifndef ATALAYA_DIRECTORY_H
#define ATALAYA_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/principal.h"

/* "reader", "analyst", "admin"; -1 for anything else. */
int role_parse(const char *s);

struct directory;

/* Loads from the store. Caller frees with directory_free. */
int directory_new(struct store *st, struct directory **out);
void directory_free(struct directory *d);
/* Rebuilds from the store (call after committing a change). */
int directory_reload(struct directory *d, struct store *st);

/* ERR_OK and *who filled when `token` is live; ERR_UNAUTH otherwise. */
int directory_authenticate(struct directory *d, const char *token, size_t n, struct principal *who);
bool directory_member_exists(struct directory *d, int64_t member_id);
bool directory_group_exists(struct directory *d, int64_t group_id);
bool directory_in_group(struct directory *d, int64_t member_id, int64_t group_id);
/* A peer node (src/federation), addressed in audiences as "peer:ID". */
bool directory_peer_exists(struct directory *d, int64_t peer_id);

#endif
