/* Requests for assistance, clarification and capacity, offers of help, with
 * deadlines (issue 15; docs/internals/requests.md). A request has a scope
 * like a report (originator, canonical audience, TLP) and every path that
 * discloses one asks policy_may_see. Members whose capabilities fit its needs
 * and who are in its audience are told through the alert channels (webhook,
 * e-mail, live stream: src/alert); a deadline scan sends reminders,
 * escalates to the next contact of a told member that has not acknowledged,
 * and tells the originator when the deadline passes.
 *
 * Threads: requests_new / requests_free on the main thread (after alert_new,
 * before the HTTP server; after it stops); the scan runs on a thread of its
 * own; everything else any thread. */
#ifndef ATALAYA_REQUESTS_H
#define ATALAYA_REQUESTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "node.h"
#include "request/deadline.h"
#include "store/store.h"
#include "util/err.h"

struct requests;

/* Starts the deadline scan (setting request_reminders). Sets node->requests.
 * Free with requests_free (NULL is fine). */
int requests_new(struct node *node, struct requests **out, struct err_detail *err);
void requests_free(struct requests *q);
/* Wakes the scan: a request was opened or closed (its due time changed). */
void requests_kick(struct requests *q);

/* Stream events collected inside a transaction, published once it commits. */
struct requests_event;
struct requests_outbox {
	struct requests_event *head;
};

/* Inside a write transaction on `c`: tells `member` about request `seq`
 * through its contact number `level` (webhook, e-mail) and, once published,
 * the live stream. `event` is "told", "reminder", "escalated", "overdue",
 * "answer", "offer", "offer_accepted", "offer_declined" or "closed". The caller
 * checked policy_may_see(POLICY_REQUEST_NOTICE). *had_contact as
 * alert_notice_queue says (may be NULL). */
int requests_tell(struct store_conn *c, struct node *node, int64_t seq, int64_t member,
		  int64_t level, const char *event, struct requests_outbox *out, bool *had_contact);
/* After the transaction: publishes the events when `committed`, frees them,
 * and wakes the delivery thread. */
void requests_outbox_flush(struct node *node, struct requests_outbox *out, bool committed);

/* Inside a write transaction: a request_history row (member 0: the node). */
int requests_history(struct store_conn *c, int64_t seq, int64_t now, int64_t member,
		     const char *what, const char *detail);

/* The due time of request `seq` after its `reminders` first reminders (the
 * next reminder point before the deadline, else the deadline when the
 * originator was not told yet, else 0: nothing due). */
int64_t requests_due_at(struct requests *q, int64_t created, int64_t deadline, int64_t reminders,
			bool overdue_told);

/* Deadline scan figures for operators (GET /api/v1/requests/stats, admin):
 * passes made, the median duration of the last ones, and the duration and
 * number of requests of the last pass that had requests due (microseconds). */
json_t *requests_scan_json(struct requests *q);

#endif
