/* TAXII 2.1 request parameters, parsed before any work: timestamps with
 * microseconds, the match[] filters, limit, and the stateless `next` token
 * (a MAC over position, query and caller). Pure; any thread. */
#ifndef ATALAYA_TAXII_QUERY_H
#define ATALAYA_TAXII_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/err.h"

/* Parses an RFC 3339 UTC timestamp ("...Z", up to 9 fraction digits, the
 * ones past microseconds dropped) into microseconds since the epoch. */
int taxii_time_parse(const char *s, int64_t *us);
/* Writes "2026-12-03T10:00:00.123456Z" into out[32]. */
void taxii_time_format(int64_t us, char out[32]);

#define TAXII_MATCH_MAX 32 /* values of one match[] filter */

/* match[version]: "last" (the default), "first", "all" and timestamps, in any mix. */
struct taxii_query {
	int64_t added_after; /* microseconds; 0 when absent */
	int64_t limit;
	const char *ids[TAXII_MATCH_MAX];
	size_t nids;
	const char *types[TAXII_MATCH_MAX];
	size_t ntypes;
	bool v_last, v_first, v_all;
	int64_t v_ms[TAXII_MATCH_MAX]; /* match[version] timestamps, milliseconds */
	size_t nv;
	bool spec_21;		  /* match[spec_version] allows 2.1 (our only one) */
	unsigned char digest[16]; /* of everything above and the endpoint: binds `next` */
};

/* The raw query-string values of one request (NULL when absent). */
struct taxii_args {
	const char *endpoint; /* "objects", "manifest", "versions", "object": bound into next */
	const char *collection, *object;
	const char *added_after, *limit, *id, *type, *version, *spec_version;
};

/* Parses `a` into *q; strings live in `arena`. limit defaults to and is
 * capped at `limit_max`. ERR_INVALID with the field named when bad. */
int taxii_query_parse(const struct taxii_args *a, int64_t limit_max, struct arena *arena,
		      struct taxii_query *q, struct err_detail *err);

/* Does the query's version filter take an object of `modified` (ms) that is
 * (or is not) the first / last visible version of its id? */
bool taxii_version_wanted(const struct taxii_query *q, int64_t modified, bool first, bool last);

/* Is `s` among the n strings of `set`? (n == 0: everything is.) */
bool taxii_in_set(const char *const *set, size_t n, const char *s);

#define TAXII_NEXT_KEY_BYTES 32
#define TAXII_NEXT_TEXT 96 /* base64url of the token, with its NUL */

/* The token that resumes the query after object `seq` for `member`. */
void taxii_next_encode(const unsigned char key[TAXII_NEXT_KEY_BYTES], int64_t member, int64_t seq,
		       const struct taxii_query *q, char out[TAXII_NEXT_TEXT]);
/* Checks a token: ERR_INVALID when it is not one of ours or belongs to
 * another query (its parameters changed), ERR_DENIED when it was issued to
 * another member; ERR_OK and *seq otherwise. */
int taxii_next_decode(const unsigned char key[TAXII_NEXT_KEY_BYTES], const char *text,
		      int64_t member, const struct taxii_query *q, int64_t *seq,
		      struct err_detail *err);

#endif
