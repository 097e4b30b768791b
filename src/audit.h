/* The record of every disclosure of a report or object to a member other
 * than its originator: who, what, when, through which path. A route collects
 * what it discloses while building its answer, then flushes once; if the
 * record cannot be written the answer is withheld. Per request (one thread).
 * Beside node.h, as it needs both the request (http/) and the store: every
 * folder's routes that disclose reports (report/, alert/) use it. */
#ifndef ATALAYA_AUDIT_H
#define ATALAYA_AUDIT_H

#include <stdint.h>

#include "http/request.h"
#include "policy/policy.h"

struct disclosure;

struct audit_list {
	struct disclosure *head;
	size_t n;
};

/* Notes that report `report` (its seq) or one of its objects (`object` may be
 * NULL) goes to the caller. Nothing is noted for the originator itself.
 * Memory comes from the request's arena. */
void audit_disclosed(struct request *r, struct audit_list *a, int64_t report, int64_t originator,
		     const char *object);

/* Writes the noted disclosures in one transaction. When that fails, the
 * answer is replaced by a 500: nothing leaves the node unaudited. */
void audit_flush(struct request *r, struct audit_list *a, enum policy_path p);

#endif
