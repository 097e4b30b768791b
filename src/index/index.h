/* The observable index: every normalised observable of every committed report, with
 * its posting list of (object_id, report_id). Lookups answer, for one observable, every
 * indexed occurrence of it and of what it relates to:
 *   addresses and networks   exact, reported networks containing it, and (for a queried
 *                            network) reported addresses and networks inside it
 *   domains                  exact, and reported parent domains down to the registered
 *                            domain (a lookup of a.evil.example finds a report of
 *                            evil.example; it never matches a public suffix such as
 *                            "co.uk"). A lookup of a parent does not list subdomains.
 *   URLs, e-mail addresses   exact, plus the host: reports of the URL's host (domain rules
 *                            above, or address rules) and of the e-mail's domain
 *   hashes, ASNs             exact (a hash matches whatever algorithm named it)
 * docs/internals/index.md describes the layout and the concurrency design.
 *
 * Threads: one writer (the commit thread) calls index_add, index_publish,
 * index_remove_report and index_free; they must not run concurrently with each other.
 * Any number of readers call index_lookup and index_stats at the same time as the
 * writer, without locks: readers never wait. A reader sees the index as of some
 * index_publish (postings of later batches stay hidden), minus the reports removed. */
#ifndef ATALAYA_INDEX_H
#define ATALAYA_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "index/observable.h"

struct index;

/* Free with index_free. */
struct index *index_new(void);
/* No reader may be inside index_lookup. */
void index_free(struct index *idx);

/* Writer: adds one occurrence. Not visible until index_publish (call it once per
 * committed report, or once after a bulk load). Adding the same (observable, object,
 * report) twice in a row is ignored. Returns ERR_OK, ERR_INVALID for an observable of
 * kind OBS_AUTO, or ERR_TOO_LARGE when the index holds 2^32 - 2 postings. */
int index_add(struct index *idx, const struct observable *o, uint64_t object_id,
	      uint64_t report_id);
/* Writer: makes everything added so far visible to readers at once, and frees memory
 * that readers no longer hold. */
void index_publish(struct index *idx);
/* Writer: hides every posting of the report from lookups at once (a tombstone; the
 * memory is reclaimed when the index is rebuilt from the store). */
void index_remove_report(struct index *idx, uint64_t report_id);

enum index_rel {
	INDEX_EXACT = 0,    /* the same value */
	INDEX_CONTAINS = 1, /* a reported network contains the queried address/network */
	INDEX_WITHIN = 2,   /* a reported address/network lies inside the queried network */
	INDEX_PARENT = 3,   /* a reported domain is a parent of the queried domain */
	INDEX_HOST = 4,	    /* a reported domain or address is (or holds) the queried URL's
			     * host or e-mail's domain */
};

struct index_match {
	uint64_t object_id;
	uint64_t report_id;
	enum obs_kind kind; /* of the reported observable */
	enum index_rel rel;
	const char *value; /* the reported observable's canonical text; valid only during
			    * the callback */
	size_t len;
};

/* Return nonzero to stop the lookup. Runs on the reader's thread inside the lookup:
 * it may call index_lookup but none of the writer functions; a slow callback delays
 * the freeing of old memory, never the writer. */
typedef int (*index_fn)(const struct index_match *m, void *ctx);

/* Reader: calls fn for every (object, report) related to `o` (rules above). At most
 * `INDEX_WITHIN_MAX` matches of the WITHIN kind are reported for a network query.
 * Returns the number of matches, or -1 if fn stopped the lookup. */
#define INDEX_WITHIN_MAX 100000
long index_lookup(struct index *idx, const struct observable *o, index_fn fn, void *ctx);

struct index_kind_stats {
	size_t keys;	 /* distinct observables */
	size_t postings; /* (object, report) pairs */
	size_t bytes;	 /* heap held for this kind, postings included */
};
struct index_stats {
	struct index_kind_stats kind[OBS_KIND_COUNT];
	size_t removed_reports;
	size_t bytes; /* everything, including memory waiting to be freed */
};
/* Writer thread, or any thread while no writer runs. */
void index_stats(const struct index *idx, struct index_stats *st);

#endif
