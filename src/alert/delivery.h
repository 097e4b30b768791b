/* Alert delivery (internal to src/alert): one thread that runs every pending
 * webhook and e-mail transfer concurrently through a libcurl multi handle,
 * retries with backoff, and escalates open alerts whose deadline passed.
 * Every attempt and escalation is an alert_steps row. */
#ifndef ATALAYA_ALERT_DELIVERY_H
#define ATALAYA_ALERT_DELIVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "node.h"
#include "store/store.h"

struct delivery;
struct alert;

/* Starts the thread; pending rows of alert_deliveries are resumed. */
struct delivery *delivery_start(struct node *node, struct alert *w);
/* Stops the thread; transfers under way stay pending in the store. NULL ok. */
void delivery_stop(struct delivery *d);
/* Wakes the thread now (new alert, acknowledgement). Any thread. */
void delivery_kick(struct delivery *d);

/* Inside a write transaction on `c`: queues the deliveries of the alert to
 * the member's contact number `level` (0-based, in escalation order) and
 * records the step. *had_contact false when the member has no such contact. */
int delivery_schedule_level(struct store_conn *c, struct node *node, int64_t alert, int64_t member,
			    int64_t level, int64_t now, bool *had_contact);

/* The member's acknowledgement deadline in milliseconds. */
int64_t delivery_deadline_ms(struct store_conn *c, struct node *node, int64_t member);

/* Appends an alert_steps row inside a write transaction. */
int delivery_step(struct store_conn *c, int64_t alert, int64_t now, const char *kind,
		  int64_t contact, const char *channel, int64_t attempt, const char *outcome,
		  const char *detail);

/* One message outside an alert (communication checks, src/check), sent with
 * the same rules as alert deliveries: webhooks JSON-signed with the member's
 * secret through the webhook policy, no redirects or proxy, 3 s to connect and
 * 5 s in all; e-mail through smtp_url. The caller runs the handle on its own
 * multi handle and reads the outcome with delivery_msg_outcome. */
struct delivery_msg;
struct webhook_policy;
struct config;

/* A webhook POST of `json` to `url`, signed with `member`'s webhook secret
 * (read through `c`) when it has one; `header` (may be NULL) is one extra
 * "Name: value" line. The caller frees with delivery_msg_free. */
struct delivery_msg *delivery_msg_webhook(struct store_conn *c, const struct webhook_policy *p,
					  int64_t member, const char *url, const char *json,
					  const char *header);
/* An e-mail to `to` through cfg->smtp_url: `text` is the whole message after
 * the From and To lines (the other headers, a blank line, the body, CRLF). */
struct delivery_msg *delivery_msg_email(const struct config *cfg, const char *to, const char *text);
/* The libcurl handle to add to a multi handle (owned by the message). */
void *delivery_msg_handle(struct delivery_msg *m);
/* After CURLMSG_DONE with `res` (a CURLcode): true when delivered; `detail`
 * says what happened, in the words alert steps use; *final when retrying
 * is pointless (refused by the webhook policy). */
bool delivery_msg_outcome(struct delivery_msg *m, int res, char *detail, size_t n, bool *final);
/* NULL is fine. */
void delivery_msg_free(struct delivery_msg *m);

#endif
