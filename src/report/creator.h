/* The creator check of report intake: a report may add versions only to ids
 * its submitter created, or identical copies of versions the submitter may
 * read (docs/internals/intake.md). ingest.c runs it at commit, on the
 * report's object keys, before any key is inserted. Private to src/report/.
 *
 * Runs on the committing thread, inside its write transaction. */
#ifndef ATALAYA_REPORT_CREATOR_H
#define ATALAYA_REPORT_CREATOR_H

#include <stdint.h>
#include <stdio.h>

#include "node.h"
#include "report/body.h"
#include "store/store.h"
#include "util/err.h"

/* A row of object_keys. Rows are inserted KEYS_BATCH at a time, sorted: the
 * objects' ids are random, so in their order each insertion would land on a
 * random page of object_keys; sorted, a batch visits its pages once, in order
 * (at a million objects, ~0.8 s instead of ~2 s). The batch bounds memory
 * (6 MiB, and as much for qsort) whatever the report's size; larger batches
 * gain little. A report of several batches keeps them, sorted, in a temporary
 * file (24 bytes an object) until all are checked (creator_check_spilled). */
struct object_key {
	int64_t key, modified, seq;
};

#define KEYS_BATCH ((size_t)1 << 18)

/* Key order: key, then modified, then row (qsort's comparator). */
int creator_key_cmp(const void *pa, const void *pb);

/* What the check needs of the intake. */
struct creator_check {
	struct node *node;
	int64_t originator;		/* the submitting member */
	const struct report_body *mine; /* the report's bundle as kept (the copies' bytes) */
	struct err_detail *err;		/* gets the ERR_CONFLICT that names the first offender */
};

/* Checks one sorted batch of `n` keys of the report whose first object row is
 * `first`: ERR_OK, ERR_CONFLICT (cc->err set, the first offender in bundle
 * order named), or a store error. */
int creator_check_keys(const struct creator_check *cc, struct store_conn *c,
		       const struct object_key *keys, size_t n, int64_t first);
/* Same for every key of the spill file `f` (`total` keys in sorted batches of
 * `cap`), walked once in key order. */
int creator_check_spilled(const struct creator_check *cc, struct store_conn *c, FILE *f,
			  size_t total, size_t cap, int64_t first);

#endif
