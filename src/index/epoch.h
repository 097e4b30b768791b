/* Epoch-based reclamation for the index: readers never wait, one writer retires
 * memory that readers may still hold and frees it later.
 *
 * Readers bracket each read with epoch_enter/epoch_exit (a counter increment and
 * decrement on a per-thread slot, no lock, no wait). The writer unpublishes an object
 * (an atomic pointer swap), hands it to epoch_retire, and calls epoch_poll now and then:
 * an object is freed once two "flips" have happened after its retirement, each flip
 * requiring that no reader is still inside the other parity (SRCU's two-phase rule,
 * without the waiting: a poll that finds readers active just tries again next time).
 *
 * Threads: epoch_enter/epoch_exit from any number of threads; epoch_retire,
 * epoch_poll, epoch_release from the single writer only. */
#ifndef ATALAYA_EPOCH_H
#define ATALAYA_EPOCH_H

#include <stdatomic.h>
#include <stdint.h>

#define EPOCH_SLOTS 64

struct epoch_slot {
	_Atomic long n;
	char pad[64 - sizeof(long)];
};

struct epoch_retired;

struct epoch {
	_Atomic uint64_t gen;
	struct epoch_slot cnt[2][EPOCH_SLOTS];
	struct epoch_retired *fresh;   /* retired since the last flip */
	struct epoch_retired *waiting; /* retired before the last flip */
	size_t pending;		       /* objects not yet freed */
};

void epoch_init(struct epoch *e);
/* Frees everything still retired. No reader may be inside. */
void epoch_release(struct epoch *e);

/* Returns a token for epoch_exit. Any thread. */
unsigned epoch_enter(struct epoch *e);
void epoch_exit(struct epoch *e, unsigned token);

/* `free_fn(p)` runs once no reader can hold `p`. Writer only. */
void epoch_retire(struct epoch *e, void *p, void (*free_fn)(void *));
/* Frees what it can without waiting. Writer only. */
void epoch_poll(struct epoch *e);

#endif
