/* The early-warning service of a running node (issue 4): alerts raised when
 * a committed report touches a member's constituency (alert/raise.c, a
 * subscriber of the indexer's pipeline), delivered by webhook, e-mail
 * (alert/delivery.c) and the live stream (alert/stream.c), escalated until
 * acknowledged. The observable index and the constituencies it matches
 * against belong to the indexer (src/index/indexer.h).
 *
 * SQLite stays the source of truth: alerts, their steps and pending
 * deliveries live in tables (migration 4), so a restart resumes what was
 * under way.
 *
 * Threads:
 *   - alert_new / alert_free: the main thread, before the HTTP server starts
 *     (and before the indexer, which raises alerts) and after both stop.
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

#include "alert/stream.h"
#include "node.h"
#include "store/store.h"
#include "util/err.h"

struct alert;

/* Starts the delivery thread (pending deliveries resume) and the live stream.
 * Sets node->alert. The caller frees with alert_free. */
int alert_new(struct node *node, struct alert **out, struct err_detail *err);
/* Stops the threads (transfers under way are abandoned and stay pending in the
 * store) and frees everything; clears node->alert. Call after indexer_free.
 * NULL is fine. */
void alert_free(struct alert *w);

/* The live stream (owned by the service). */
struct alert_stream *alert_stream_of(struct alert *w);

/* Ends every live stream; see alert_stream_close. NULL is fine. */
void alert_streams_close(struct alert *w);

/* An alert as JSON (new reference), with its steps when `steps`; NULL when
 * there is no alert `id`. Reads through `c`. */
json_t *alert_alert_json(struct store_conn *c, int64_t id, bool steps);

/* A notice: a message another module (requests, src/request) hands to the
 * alert channels for one member, delivered like alerts (signed webhook,
 * e-mail through smtp_url, retries, webhook policy), each attempt recorded in
 * its notice_deliveries row. The caller decided that the member may see it. */
struct alert_notice {
	const char *source;  /* "request" */
	int64_t ref;	     /* the source's row (a request's seq) */
	int64_t member;	     /* who is told */
	const char *subject; /* e-mail subject, e.g. "[EXERCISE] [atalaya] request ..." */
	const char *json;    /* the webhook body (compact JSON) */
	const char *text;    /* the e-mail text */
};

/* Inside a write transaction on `c`: queues the notice to the member's
 * contact number `level` (0-based, escalation order), on its webhook and by
 * e-mail when smtp_url is set. *had_contact false when the member has no such
 * contact (nothing queued). Call alert_kick after the commit. */
int alert_notice_queue(struct store_conn *c, struct node *node, const struct alert_notice *n,
		       int64_t level, int64_t now, bool *had_contact);

/* Wakes the delivery thread (a new alert, an acknowledgement). */
void alert_kick(struct alert *w);

/* The HMAC-SHA256 signature header value ("sha256=<hex>") of body under key. */
void alert_sign(const char *key, const char *body, size_t n, char out[80]);

/* Creates a new webhook secret for member (replacing any), returned once in
 * out (64 hex digits + NUL). */
int alert_new_secret(struct node *node, int64_t member, char out[65]);

#endif
