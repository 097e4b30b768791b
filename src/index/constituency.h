/* Members' constituencies (issue 4): the networks, AS numbers and domain
 * suffixes each member declares, stored in the constituencies table and held
 * as one prefix set per member for matching observables.
 *
 * Read-mostly: readers (the indexer's subscribers, any HTTP worker) share a
 * read lock and never wait for one another; a PUT builds the new set outside
 * the lock and swaps it in under the write lock.
 *
 * Threads: constituency_new/free on the main thread; everything else any
 * thread. */
#ifndef ATALAYA_INDEX_CONSTITUENCY_H
#define ATALAYA_INDEX_CONSTITUENCY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/observable.h"
#include "store/store.h"
#include "util/err.h"

struct constituency;

/* Loads every member's constituency from the store. Free with
 * constituency_free (NULL is fine). */
struct constituency *constituency_new(struct store *st);
void constituency_free(struct constituency *cs);

/* Validates one entry of `field` ("cidrs", "asns", "domains") into its
 * canonical text. ERR_INVALID with err naming the value. Pure. */
int constituency_entry(const char *field, json_t *value, struct observable *out,
		       struct err_detail *err);

/* Stores `member`'s constituency (canonical entries, already validated) in
 * one transaction, then swaps its match set in. */
int constituency_set(struct constituency *cs, struct store *st, int64_t member, json_t *cidrs,
		     json_t *asns, json_t *domains, struct err_detail *err);

/* Does `member`'s constituency hold `value` (an address, network or domain)?
 * False for a value that does not parse, and when cs is NULL. */
bool constituency_holds(struct constituency *cs, int64_t member, const char *value, size_t len);

/* Calls fn for each member whose constituency holds `o`, in the order the
 * members' constituencies were first loaded or declared. fn runs under the
 * read lock: it must not call constituency_set. */
typedef void (*constituency_fn)(void *ctx, int64_t member);
void constituency_match(struct constituency *cs, const struct observable *o, constituency_fn fn,
			void *ctx);

#endif
