#include "index/epoch.h"

#include "util/xalloc.h"

struct epoch_retired {
	struct epoch_retired *next;
	void *p;
	void (*free_fn)(void *);
};

static _Atomic unsigned next_slot;
static _Thread_local unsigned my_slot = ~0u;

void epoch_init(struct epoch *e)
{
	memset(e, 0, sizeof(*e));
	atomic_init(&e->gen, 0);
	for (int i = 0; i < 2; i++)
		for (int s = 0; s < EPOCH_SLOTS; s++)
			atomic_init(&e->cnt[i][s].n, 0);
}

static void free_list(struct epoch_retired *r, size_t *pending)
{
	while (r) {
		struct epoch_retired *next = r->next;
		r->free_fn(r->p);
		free(r);
		(*pending)--;
		r = next;
	}
}

void epoch_release(struct epoch *e)
{
	free_list(e->waiting, &e->pending);
	free_list(e->fresh, &e->pending);
	e->waiting = e->fresh = NULL;
}

unsigned epoch_enter(struct epoch *e)
{
	unsigned slot = my_slot;

	if (slot == ~0u)
		slot = my_slot = atomic_fetch_add(&next_slot, 1) % EPOCH_SLOTS;
	/* seq_cst: the increment is ordered before the loads of published pointers
	 * that follow, and against the writer's fence in epoch_poll. */
	unsigned par = (unsigned)(atomic_load(&e->gen) & 1);
	atomic_fetch_add(&e->cnt[par][slot].n, 1);
	return par << 8 | slot;
}

void epoch_exit(struct epoch *e, unsigned token)
{
	atomic_fetch_sub_explicit(&e->cnt[token >> 8][token & 0xff].n, 1, memory_order_release);
}

void epoch_retire(struct epoch *e, void *p, void (*free_fn)(void *))
{
	struct epoch_retired *r = xmalloc(sizeof(*r));

	r->p = p;
	r->free_fn = free_fn;
	r->next = e->fresh;
	e->fresh = r;
	e->pending++;
}

void epoch_poll(struct epoch *e)
{
	uint64_t g;
	unsigned other;
	long sum = 0;

	if (!e->fresh && !e->waiting)
		return;
	atomic_thread_fence(memory_order_seq_cst);
	g = atomic_load(&e->gen);
	other = (unsigned)((g & 1) ^ 1);
	for (int s = 0; s < EPOCH_SLOTS; s++)
		sum += atomic_load_explicit(&e->cnt[other][s].n, memory_order_acquire);
	if (sum != 0)
		return; /* readers of the other parity still inside: try next time */
	/* Flip. What was retired before the previous flip has now seen both parities
	 * drain after its retirement: nobody can hold it. */
	atomic_store(&e->gen, g + 1);
	free_list(e->waiting, &e->pending);
	e->waiting = e->fresh;
	e->fresh = NULL;
}
