/* Federation (docs/internals/federation.md): each State runs its own node;
 * a report whose audience names a peer node ("peer:ID") is signed by its
 * origin and offered in that peer's feed; peers pull their feeds, verify
 * every envelope before storing it and run it through the same intake and
 * pipeline as a local report, under the audience the receiving admin gave
 * that peer, never wider than the origin's TLP allows.
 *
 * Threads: federation_new/free on the main thread; the sync thread pulls
 * peers' feeds; routes run on HTTP workers; the signing subscriber on the
 * indexer thread. One sync at a time (a mutex), whoever starts it. */
#ifndef ATALAYA_FEDERATION_H
#define ATALAYA_FEDERATION_H

#include <stdbool.h>
#include <stdint.h>

#include "federation/keys.h"
#include "index/indexer.h"
#include "node.h"
#include "util/buf.h"
#include "util/err.h"

struct federation;

/* Loads the node key. Caller frees. */
int federation_new(struct node *node, struct federation **out, struct err_detail *err);
/* Starts the sync thread (it stores what it pulls through the intake, which
 * hands reports to node->indexer: start it once the indexer runs). NULL or
 * federation_sync_interval_ms 0: nothing to start. */
int federation_start(struct federation *f, struct err_detail *err);
/* Stops the sync thread (a sync in flight ends first). NULL is fine. */
void federation_stop(struct federation *f);
/* Stops, then frees (after the indexer: its signing subscriber uses the
 * key). NULL is fine. */
void federation_free(struct federation *f);

/* The node's key (valid while f lives). */
const struct fed_key *federation_key(const struct federation *f);

/* Pulls peer `peer_id`'s feed now, until it has nothing new; the outcome is
 * in its peers row (last_error). ERR_NOT_FOUND for an unknown peer. */
int federation_sync_peer(struct federation *f, int64_t peer_id);

/* Authenticates a feed request's headers (node key, time, signature):
 * ERR_OK and the peer's id, member and key filled; ERR_UNAUTH with the
 * reason otherwise. Remembers the request time (a replay is refused). */
int federation_check_request(struct federation *f, const char *node_hex, const char *time_text,
			     const char *sig_hex, const char *method, const char *path,
			     int64_t cursor, int64_t *peer_id, int64_t *peer_member,
			     struct err_detail *err);
/* Counts bytes a peer took from our feed (shown in peer list, /metrics). */
void federation_count_out(struct federation *f, int64_t peer_id, uint64_t bytes);
uint64_t federation_bytes_out(struct federation *f, int64_t peer_id);

/* Prometheus lines for every peer: lag, errors, bytes. */
void federation_metrics(struct node *node, struct buf *out);

/* Signs each report made on this node (src/pipeline.c). */
extern const struct index_subscriber federation_sign_subscriber;

#endif
