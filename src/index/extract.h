/* Extraction: the observables of a committed report, found in one pass over
 * its stored objects (SCOs, indicator patterns, observed-data, sightings).
 * The indexer runs it once per report and hands what it finds to the index
 * and to the pipeline's subscribers; the related-reports route runs it to
 * walk a report's observables.
 *
 * Threads: any thread; it reads through that thread's store reader. Nothing
 * is shared between calls. */
#ifndef ATALAYA_INDEX_EXTRACT_H
#define ATALAYA_INDEX_EXTRACT_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/jdoc.h"
#include "index/observable.h"
#include "node.h"
#include "policy/policy.h"
#include "util/err.h"

/* A committed report as the pipeline sees it: read once, from its row of the
 * reports table. Borrowed: valid while the report is being processed. */
struct index_report {
	int64_t seq;
	const char *id;
	int64_t received; /* ms */
	int64_t exercise;
	int64_t now; /* ms: when the indexer took it (0 from index_extract itself) */
	/* the report's scope (owner, audience, the report's TLP): what every
	 * output asks policy_may_see about */
	struct policy_subject subject;
};

/* One observable found, with the object it came from. Borrowed: valid only
 * during the call. */
struct index_found {
	const struct observable *o;
	int64_t object_seq;   /* the objects row */
	int64_t seen;	      /* ms: when the report says it was seen */
	const char *type;     /* the object's STIX type */
	const struct jv *obj; /* the object (for observed-data: the observed-data) */
	enum tlp tlp;	      /* the object's own marking */
};

/* What extraction reports, each hook optional. */
struct index_extract_ops {
	/* Once, after the report's row is read and before any object; `r` is
	 * valid only during the call (copy what is kept). */
	void (*start)(void *ctx, const struct index_report *r);
	/* Each indexable observable; a non-zero return stops the walk. */
	int (*observable)(void *ctx, const struct index_found *f);
	/* A value or pattern left out, and why. */
	void (*not_indexed)(void *ctx, const char *object, const char *what, const char *reason);
	/* An observable counted by a sighting or observed-data (at the end). */
	void (*sighting)(void *ctx, const struct observable *o, int64_t count, int64_t seen_ms);
};

/* Walks report `report_seq` as stored. ERR_NOT_FOUND when there is no such
 * report; otherwise the first non-zero return of ops->observable. */
int index_extract(struct node *node, int64_t report_seq, const struct index_extract_ops *ops,
		  void *ctx);

/* A JSON timestamp member of `obj` in ms, `dflt` when absent or not RFC 3339. */
int64_t index_json_time(const struct jv *obj, const char *key, int64_t dflt);

#endif
