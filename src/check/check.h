/* Communication checks (issue 16): is a State's point of contact still
 * there? Each targeted contact gets a challenge with a one-time code at a
 * random time within the check's window, through its own channels (the alert
 * delivery's webhook and e-mail rules, alert/delivery.h); it counts as
 * answered only when the contact's member sends the code back with its API
 * token (POST /api/v1/checks/answer). Without an answer in time the member's
 * next contact in escalation order is challenged.
 *
 * SQLite is the source of truth (migration 11): the schedule, the challenges
 * (hashes of their codes) and the deliveries are rows, so a restart resumes
 * a check where it was.
 *
 * Threads: check_new / check_free on the main thread (after alert_new,
 * before the HTTP server starts; after it stops). One runner thread issues,
 * delivers and escalates. Everything else: any HTTP worker. */
#ifndef ATALAYA_CHECK_H
#define ATALAYA_CHECK_H

#include <stdint.h>

#include "node.h"
#include "store/store.h"
#include "util/err.h"

struct check;

/* Starts the runner (loads or creates the node's code key). The caller frees
 * with check_free. */
int check_new(struct node *node, struct check **out, struct err_detail *err);
/* Stops the runner; transfers under way stay pending in the store. NULL ok. */
void check_free(struct check *k);
/* Wakes the runner (a new check). NULL ok. Any thread. */
void check_kick(struct check *k);

/* Length of a one-time code as text. */
#define CHECK_CODE_LEN 24
/* The SHA-256 of a code as stored (check_challenges.code_hash). */
void check_code_hash(const char *code, size_t n, uint8_t out[32]);

/* "24h", "90m", "5s", "500ms", "2d" in milliseconds; false when `s` is none
 * of these or is above 30 days. */
bool check_parse_duration(const char *s, int64_t *ms);

#endif
