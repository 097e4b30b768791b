/* Internal to src/spam: the service's state and the write helpers shared by
 * service.c (intake, reputation, expiry, life cycle) and listings.c (manual
 * and incident listings, imports, delisting requests). Nothing outside
 * src/spam includes it. */
#ifndef ATALAYA_SPAM_INTERNAL_H
#define ATALAYA_SPAM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/blocklist.h"
#include "dns/server.h"
#include "node.h"
#include "spam/reputation.h"
#include "store/store.h"
#include "util/err.h"

struct spam {
	struct node *node;
	struct dnsbl *bl;
	struct dnsbl_server *dns;
	struct spam_rep_params params;
	pthread_mutex_t wlock; /* taken before the store's writer lock */
	pthread_t expiry;
	bool expiry_running;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stopping;
	char lookup_url[256];
};

/* "ip4", "ip6", "name", "wildcard". */
const char *spam_kind_name(enum dnsbl_kind k);

/* Canonical text of a listing value ("192.0.2.1", "2001:db8::/64",
 * "*.example.org") into out, and its parsed entry. ERR_INVALID naming it. */
int spam_canonical(const char *value, struct dnsbl_entry *e, char *out, size_t outsz,
		   struct err_detail *d);

/* Takes the service lock, then the store's writer lock. */
int spam_write_begin(struct spam *s, struct store_conn **c);
/* Commits (rc == ERR_OK) or rolls back, then applies the batch to the DNS
 * set only when the commit succeeded. Always frees the batch and unlocks. */
int spam_write_end(struct spam *s, int rc, struct dnsbl_batch *b);

/* Steps and resets a statement that returns no row; the store's error
 * (naming `what`) otherwise. */
int spam_step_done(struct store_conn *c, sqlite3_stmt *st, const char *what);

/* A spam_actions row: who did what to which value, why, when. */
int spam_record_action(struct store_conn *c, int64_t member, const char *action, const char *value,
		       const char *reason, const char *detail, int64_t now);

/* Deletes the listing of canon (entry e) inside the transaction of c and
 * queues its removal in b; *found false when it was not listed. In
 * listings.c. */
int spam_delist_in(struct store_conn *c, const char *canon, const struct dnsbl_entry *e,
		   struct dnsbl_batch *b, bool *found);

#endif
