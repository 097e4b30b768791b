/* A prefix index for one address family (IPv4 or IPv6) that answers both ways:
 * which reported prefixes contain a queried address or network, and which reported
 * addresses or networks lie inside a queried network.
 *
 * Layout (see docs/internals/index.md): a sorted array of (address, prefix length)
 * keys with a one-in-64 sample on top (the "base"), a smaller sorted "delta" for recent
 * additions, and a bitmap of the prefix lengths present. Containment queries look up
 * the masked address once per present length; range queries walk the sorted arrays.
 * Each key carries a 32-bit handle (the index's posting-list head; 0 means none).
 *
 * Threads: one writer calls iptrie_slot/iptrie_publish/iptrie_free; any number of
 * readers call iptrie_lookup concurrently, each inside epoch_enter/epoch_exit of the
 * epoch given to iptrie_new. Readers never wait: the writer publishes new arrays with
 * one atomic pointer store and retires the old ones through the epoch. */
#ifndef ATALAYA_IPTRIE_H
#define ATALAYA_IPTRIE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "index/epoch.h"

struct iptrie;

enum iptrie_rel {
	IPTRIE_EXACT = 0,    /* the same address or network */
	IPTRIE_CONTAINS = 1, /* a reported network contains the queried address/network */
	IPTRIE_WITHIN = 2,   /* a reported address/network lies inside the queried network */
};

/* `family` 4 or 6. The trie keeps `ep` (owned by the caller, who releases it after
 * iptrie_free). Free with iptrie_free. */
struct iptrie *iptrie_new(int family, struct epoch *ep);
/* Frees at once (arrays still retired stay with the epoch). Writer; no reader inside. */
void iptrie_free(struct iptrie *t);

/* Writer: the handle cell of key (addr, len), created (holding 0) if missing. The
 * writer updates it with atomic_store_explicit(..., memory_order_release) after the
 * data the handle points at is complete. The pointer is valid until the next call to
 * iptrie_slot or iptrie_publish. New keys stay invisible to readers until
 * iptrie_publish; new handles on already published keys are visible at once.
 * `addr` is in network order (IPv4 in addr[0..3]); host bits must be zero. */
_Atomic uint32_t *iptrie_slot(struct iptrie *t, const uint8_t addr[16], unsigned len);
/* Writer: makes every key added since the last publish visible, atomically. */
void iptrie_publish(struct iptrie *t);

/* Called for each match with the reported key and its handle; return nonzero to stop. */
typedef int (*iptrie_fn)(void *ctx, const uint8_t addr[16], unsigned len, uint32_t handle,
			 enum iptrie_rel rel);
/* Reader: every published key related to (addr, len): exact and containing keys first
 * (shortest prefix first), then keys inside it (only when len is shorter than the full
 * address). `max_within` caps the inside matches (0: no cap). Returns the number of
 * matches reported, or -1 when fn stopped the walk. */
long iptrie_lookup(const struct iptrie *t, const uint8_t addr[16], unsigned len, size_t max_within,
		   iptrie_fn fn, void *ctx);

struct iptrie_stats {
	size_t keys;	/* published */
	size_t pending; /* added, not yet published */
	size_t bytes;	/* heap held by the published arrays and the pending keys */
};
/* Writer (or any thread while no writer runs). */
void iptrie_stats(const struct iptrie *t, struct iptrie_stats *st);

#endif
