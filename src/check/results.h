/* The figures of communication checks, per State and overall: targeted
 * contacts, reached, answered (share), p50/p95 time to answer, escalations,
 * no answer, bounced addresses. Only the rows the caller may see
 * (policy_may_see, POLICY_CHECK_RESULT or the path given): a State sees its
 * own row; the check's audience (and its creator) see every row. Reads
 * through one connection; any thread. */
#ifndef ATALAYA_CHECK_RESULTS_H
#define ATALAYA_CHECK_RESULTS_H

#include <jansson.h>
#include <stdint.h>

#include "node.h"
#include "policy/policy.h"
#include "util/principal.h"

/* The check `id` as JSON (new reference) with "overall" and "states"
 * (ordered by country, then name); `contacts` adds each target's contacts.
 * NULL when there is no such check or the caller sees none of its rows. */
json_t *check_results_json(struct node *node, struct store_conn *c, const struct principal *who,
			   int64_t id, bool contacts, enum policy_path path);

/* For the progress report: over the checks created at or after `since_ms`,
 * member `member`'s targets and answers the caller may see. */
void check_results_member(struct node *node, struct store_conn *c, const struct principal *who,
			  int64_t member, int64_t since_ms, int64_t *checks, int64_t *targets,
			  int64_t *answered);

/* p-th percentile (0..100, nearest rank) of v[0..n) sorted ascending. */
int64_t check_percentile(const int64_t *v, size_t n, int p);

#endif
