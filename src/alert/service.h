/* The early-warning service of a running node (issue 4): the observable index
 * of every committed report, members' constituencies, and the alerts raised
 * when a report touches one of them (delivered by webhook, e-mail and the SSE
 * stream, escalated until acknowledged).
 *
 * SQLite stays the source of truth: the index is rebuilt from the stored
 * reports at start; alerts, their steps and pending deliveries live in tables
 * (migration 4), so a restart resumes what was under way.
 *
 * Threads:
 *   - alert_new / alert_free: the main thread, before the HTTP server
 *     starts and after it stops.
 *   - alert_report_committed (node->report_committed): the committing
 *     thread; it only queues the report. An indexer thread of the service
 *     extracts its observables, indexes them (the index's one writer) and
 *     raises alerts, within milliseconds of the commit.
 *   - a delivery thread runs every webhook and e-mail transfer at once
 *     through one libcurl multi handle (short timeouts, no redirects), so a
 *     receiver that hangs delays nobody else; it also escalates.
 *   - everything else: any HTTP worker, any time. */
#ifndef ATALAYA_ALERT_SERVICE_H
#define ATALAYA_ALERT_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/index.h"
#include "index/observable.h"
#include "node.h"
#include "util/err.h"

struct alert;

/* Builds the index from node->st, loads constituencies, raises the alerts of
 * reports committed while no service ran, and starts the indexer and delivery
 * threads. Sets node->alert and node->report_committed. The caller frees
 * with alert_free. */
int alert_new(struct node *node, struct alert **out, struct err_detail *err);
/* Stops the threads (transfers under way are abandoned and stay pending in the
 * store) and frees everything; clears node->report_committed. NULL is fine. */
void alert_free(struct alert *w);

/* node->report_committed: queues the report for indexing. */
void alert_report_committed(struct node *node, int64_t report_seq);

/* The index (readers only: index_lookup). Owned by the service. */
struct index *alert_index(struct alert *w);

/* Seconds since the index was built at start, and what it took. */
double alert_build_seconds(const struct alert *w);

/* Replaces `member`'s constituency with the canonical entries (already
 * validated) and swaps its match set in. */
int alert_set_constituency(struct alert *w, int64_t member, json_t *cidrs, json_t *asns,
			   json_t *domains, struct err_detail *err);

/* Validates one constituency entry of `field` ("cidrs", "asns", "domains")
 * into its canonical text. ERR_INVALID with err naming the value. */
int alert_constituency_entry(const char *field, json_t *value, struct observable *out,
			     struct err_detail *err);

/* An alert as JSON (new reference), with its steps when `steps`; NULL when
 * there is no alert `id`. Reads through `c`. */
struct store_conn;
json_t *alert_alert_json(struct store_conn *c, int64_t id, bool steps);

/* Wakes the delivery thread (a new alert, an acknowledgement). */
void alert_kick(struct alert *w);

/* --- sightings --- */

/* Notes that `value` has a row in the sightings table (call after the
 * commit). Any thread. */
void alert_note_sighting(struct alert *w, const char *value, size_t len);
/* False when `value` certainly has no sighting (a bit filter: lookups of
 * never-sighted values skip the sightings query). Any thread, lock-free. */
bool alert_maybe_sighted(struct alert *w, const char *value, size_t len);

/* Does `member`'s declared constituency hold `value` (an address, network or
 * domain)? False for a value that does not parse. Any thread. */
bool alert_in_constituency(struct alert *w, int64_t member, const char *value, size_t len);

/* --- the live stream (SSE) --- */

/* Publishes an event for `member`: `json` is copied. Any thread. */
void alert_publish(struct alert *w, int64_t member, uint64_t alert_id, const char *json);

/* A subscriber's cursor: the next event sequence it has not seen. */
uint64_t alert_stream_head(struct alert *w);
/* Copies into out (max bytes) the next event for `member` after *cursor as an
 * SSE message, waiting at most wait_ms; returns its length, or 0 when nothing
 * came (a keep-alive is then due). *cursor moves past the events read and the
 * ones of other members. Returns -1 when the service is stopping. */
long alert_stream_next(struct alert *w, int64_t member, uint64_t *cursor, char *out, size_t max,
		       int wait_ms);

/* A stream's place among the idle streams suspended in MHD; embedded in the
 * stream, owned by the service while `parked`. */
struct MHD_Connection;
struct alert_park {
	struct MHD_Connection *conn;
	int64_t member;
	bool parked;
	struct alert_park *next;
};

/* From the stream's content reader, when it has nothing to send: suspends
 * `conn` until an event for `member` arrives, the keep-alive tick, or the end.
 * Returns false (and suspends nothing) when an event past `cursor` is already
 * there or the service is stopping: read again. */
bool alert_stream_park(struct alert *w, struct alert_park *p, struct MHD_Connection *conn,
		       int64_t member, uint64_t cursor);

/* Ends every stream (parked ones are resumed, their readers finish). Call
 * before stopping the HTTP server, which must not hold suspended connections. */
void alert_streams_close(struct alert *w);

/* --- extraction, shared with the routes (related reports) --- */

/* Called for each observable found in a report's objects. `object_seq` is the
 * objects row; `seen_ms` the time the report says it was seen. */
typedef int (*alert_obs_fn)(void *ctx, const struct observable *o, int64_t object_seq,
			    int64_t seen_ms);

/* Walks the objects of report `report_seq` (as stored) and calls fn for each
 * indexable observable. Reads with this thread's store reader. */
int alert_extract_report(struct alert *w, int64_t report_seq, alert_obs_fn fn, void *ctx);

/* The HMAC-SHA256 signature header value ("sha256=<hex>") of body under key. */
void alert_sign(const char *key, const char *body, size_t n, char out[80]);

/* Creates a new webhook secret for member (replacing any), returned once in
 * out (64 hex digits + NUL). */
int alert_new_secret(struct node *node, int64_t member, char out[65]);

#endif
