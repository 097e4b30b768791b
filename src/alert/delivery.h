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

#endif
