/* Per-request bump allocator, freed in one call (NSD, Knot). One owner. */
#ifndef ATALAYA_ARENA_H
#define ATALAYA_ARENA_H

#include <stddef.h>

struct arena_block;
struct arena {
	struct arena_block *head;
};

void arena_init(struct arena *a);
/* Frees every allocation made from `a`. */
void arena_release(struct arena *a);
/* Frees every allocation made from `a` but keeps one ordinary block for the next
 * use, so an arena reused per item does not go back to malloc each time. */
void arena_reset(struct arena *a);
/* Memory lives until arena_release; aligned for any type; aborts on OOM. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);

#endif
