/* What the federation's files share (service.c, sync.c, feed.c, routes.c);
 * not for other modules (they use federation.h). */
#ifndef ATALAYA_FED_INTERNAL_H
#define ATALAYA_FED_INTERNAL_H

#include <pthread.h>

#include "federation/envelope.h"
#include "federation/federation.h"

/* A page of a feed holds at most this many envelopes (and about
 * federation_page_bytes bytes). */
#define FED_PAGE_REPORTS 1000
/* A feed request's time may differ this much from ours. */
#define FED_CLOCK_SKEW_MS 300000

struct peer_seen {
	int64_t peer;
	int64_t last_time;  /* the last feed request accepted from it (replays refused) */
	uint64_t bytes_out; /* feed bytes it took since start */
	char contacts[64];  /* the stamp of its shared contacts we hold (pull side) */
};

struct federation {
	struct node *node;
	struct fed_key key;
	int64_t own_member;	   /* the node's own organisation (init's member): AMBER+STRICT */
	int64_t last_request_ms;   /* our last request to a peer: each is later (sync_lock) */
	pthread_mutex_t sync_lock; /* one sync at a time */
	pthread_mutex_t lock;	   /* what follows */
	pthread_cond_t wake;
	bool stop, started;
	pthread_t thread;
	struct peer_seen *seen;
	size_t nseen, capseen;
};

/* The entry of `peer` (created empty at first use); f->lock held. */
struct peer_seen *fed_seen(struct federation *f, int64_t peer);

/* The hex keys sorted, each once, comma-separated (the signed recipients'
 * form); sorts `keys` in place. The caller frees. */
char *fed_keys_joined(char **keys, size_t n);

/* Does the comma-separated list of hex keys `recipients` hold `key`? */
bool fed_names_key(const char *recipients, const char *key);

/* A peer's signed pull (GET `path`?cursor=N, X-Atalaya-* headers) checked:
 * *cursor, and the peer and its member here; false after answering 422 or
 * 401. `what` names the list in the cursor's error ("feed", "sightings"). */
struct request;
bool fed_pull_authenticated(struct request *r, struct federation *f, const char *path,
			    const char *what, int64_t *cursor, int64_t *peer, int64_t *member);

/* Pulls one peer's feed until nothing is new; sync_lock held. */
int fed_sync_one(struct federation *f, int64_t peer_id);

#endif
