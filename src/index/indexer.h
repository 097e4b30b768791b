/* The indexer: owns the observable index of every committed report, its
 * thread and queue, members' constituencies and the sightings filter, and
 * runs the post-commit pipeline (docs/internals/pipeline.md):
 *
 *   commit -> indexer_committed (queue) -> indexer thread: one extraction
 *   pass -> index -> subscribers, in the order of their list (src/pipeline.c)
 *
 * SQLite stays the source of truth: the index is rebuilt from the stored
 * reports at start, and reports committed after the last one processed
 * (the node stopped in between) go through the subscribers again.
 *
 * Threads:
 *   - indexer_new / indexer_free: the main thread, before the HTTP server
 *     starts and after it stops.
 *   - indexer_committed: the committing thread; it only queues the report.
 *   - the subscribers' hooks: the indexer thread (the index's one writer).
 *   - everything else: any thread. */
#ifndef ATALAYA_INDEX_INDEXER_H
#define ATALAYA_INDEX_INDEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/constituency.h"
#include "index/extract.h"
#include "index/index.h"
#include "node.h"
#include "store/store.h"
#include "util/err.h"

/* A stage of the pipeline that hears about each newly committed report, as a
 * Knot DNS module hooks a query stage. Every hook is optional and runs on the
 * indexer thread; none may block on the network or wait for another thread
 * (queue the slow work and wake a thread of your own), and every output that
 * discloses data asks policy_may_see first. `r` stays valid until `done`.
 * To add one: one file defining a `const struct index_subscriber`, one line in
 * src/pipeline.c. */
struct index_subscriber {
	const char *name;
	/* A new report: returns the subscriber's state for it (its own
	 * allocation), or NULL to skip the report (no other hook is called). */
	void *(*begin)(struct node *node, const struct index_report *r);
	/* Each observable of the report, during the one extraction pass, while
	 * the index is written. Cheap and in memory only. */
	void (*observable)(void *state, const struct index_found *f);
	/* Inside the indexer's write transaction (one per batch of reports,
	 * a savepoint per report: its not-indexed rows and sightings): a
	 * non-zero return rolls back what the report wrote there. Not called once an earlier stage
	 * has failed. */
	int (*record)(void *state, struct store_conn *c);
	/* After the transaction (its outcome in rc) and after the index is
	 * published: outputs that leave the node. Frees `state`. */
	void (*done)(void *state, int rc);
};

struct indexer;

/* Loads constituencies and the sightings filter, builds the index from every
 * stored report, starts the indexer thread and queues the reports that the
 * pipeline has not processed yet. `subs` is a NULL-terminated list, kept (not
 * copied). Sets node->indexer. The caller frees with indexer_free. */
int indexer_new(struct node *node, const struct index_subscriber *const *subs, struct indexer **out,
		struct err_detail *err);
/* Stops the thread (queued reports are processed at the next start) and frees
 * everything; clears node->indexer. NULL is fine. */
void indexer_free(struct indexer *ix);

/* Queues a report whose transaction just committed. */
void indexer_committed(struct indexer *ix, int64_t report_seq);

/* The index (readers only: index_lookup). Owned by the indexer. */
struct index *indexer_index(struct indexer *ix);
/* Seconds the index took to build at start. */
double indexer_build_seconds(const struct indexer *ix);
/* Members' constituencies. Owned by the indexer. */
struct constituency *indexer_constituency(struct indexer *ix);

/* Notes that `value` has a row in the sightings table (call after the
 * commit). */
void indexer_note_sighting(struct indexer *ix, const char *value, size_t len);
/* False when `value` certainly has no sighting (a bit filter: lookups of
 * never-sighted values skip the sightings query). Lock-free. */
bool indexer_maybe_sighted(struct indexer *ix, const char *value, size_t len);

#endif
