/* The DNS blocklist's listing set (blocklist.h). About 1,100 lines, for a
 * reason: it is one data structure (sorted tables in layers, a base and a
 * delta, that readers search without a lock; epoch reclamation; batches
 * sorted and merged into new layers), whose read and write sides share its
 * private layout. The text form of entries is in blocklist_entry.c. */
#include "dns/blocklist.h"
#include "formats/canonical.h"

#include "util/err.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

/* Tables: 33 for IPv4 prefix lengths, 129 for IPv6, then exact and wildcard
 * names. A table is a sorted array of keys with a parallel array of values. */
enum { N4 = 33, N6 = 129, T6 = N4, TN = N4 + N6, NTAB = N4 + N6 + 2 };
enum { FAM4, FAM6, FAMN };

/* value = reason id << 8 | code; TOMB marks a removal inside the delta. */
#define TOMB UINT32_C(0xFFFFFFFF)
#define REASON_ID_MAX 0xFFFFFEu
#define POOL_FULL UINT32_MAX

/* A delta larger than this, and than base/8, is merged into a new base. */
enum { DELTA_MIN = 32768 };
enum { IDX_MIN = 65536, IDX_LEN = 65537 };

/* String pool: ids index a fixed directory of pages of pointers to strings
 * kept in chunks that never move, so readers resolve ids without locks. */
enum { PAGE_BITS = 12, PAGE_SIZE = 1 << PAGE_BITS, DIR_SIZE = 4096, CHUNK = 65536 };

struct chunk {
	struct chunk *next;
	size_t used;
	char data[];
};

struct tab {
	size_t n;
	void *keys;
	uint32_t *vals;
	uint32_t *idx; /* IPv4 tables of IDX_MIN keys or more: idx[h] = first key with
			* top 16 bits >= h, for h in 0..65536; narrows the search to
			* one bucket (two cache misses instead of ~12) */
};

struct layer {
	struct tab t[NTAB];
};

struct view {
	struct layer *base;
	struct layer *delta;
	size_t count;
	uint32_t serial;
};

struct dnsbl_reader {
	_Atomic uint64_t epoch; /* 0 = not inside a lookup */
	_Atomic int used;
	struct dnsbl *bl;
	char pad[64 - 2 * sizeof(uint64_t) - sizeof(void *)];
} __attribute__((aligned(64)));

struct dnsbl {
	struct dnsbl_reader readers[DNSBL_MAX_READERS];
	_Atomic(struct view *) view;
	_Atomic uint64_t epoch;
	_Atomic uint32_t serial; /* copies of the view's, readable without the mutex */
	_Atomic size_t count;
	pthread_mutex_t wlock;
	/* string pool, writer side under wlock */
	const char **dir[DIR_SIZE];
	uint32_t nstr; /* ids 1..nstr are used */
	uint32_t *ht;  /* open addressing over ids, 0 = empty */
	size_t hcap;
	struct chunk *chunks;
	size_t pool_bytes;
};

struct it4 {
	uint32_t k, v;
};

struct it6 {
	uint8_t k[16];
	uint32_t v, seq;
	uint8_t plen;
};

struct itn {
	uint32_t id, v, seq;
	uint8_t wild;
};

struct dnsbl_batch {
	struct dnsbl *bl;
	struct it4 *a4[N4];
	size_t n4[N4], c4[N4];
	struct it6 *a6;
	size_t n6, c6;
	struct itn *an;
	size_t nn, cn;
	uint32_t seq;
	size_t total;
	const char *last_reason; /* a one-entry intern cache */
	uint32_t last_reason_id;
};

/* ---- large arrays: mmap above 1 MiB so that freed memory goes back to the
 * kernel at once (RSS stays flat across merges). Sizes are exact. */

#define BIG (1u << 20)

static void *big_alloc(size_t size)
{
	void *p;

	if (size == 0)
		return NULL;
	if (size < BIG)
		return xmalloc(size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return xmalloc(SIZE_MAX); /* aborts, like xmalloc on OOM */
	return p;
}

static void big_free(void *p, size_t size)
{
	if (!p)
		return;
	if (size < BIG)
		free(p);
	else
		munmap(p, size);
}

static void *big_shrink(void *p, size_t old, size_t size)
{
	void *q;

	if (!p || size == old)
		return p;
	if (size == 0) {
		big_free(p, old);
		return NULL;
	}
	if (old < BIG)
		return xrealloc(p, size);
	if (size >= BIG) {
		q = mremap(p, old, size, 0);
		return q == MAP_FAILED ? p : q; /* shrinking in place cannot fail */
	}
	q = xmalloc(size);
	memcpy(q, p, size);
	munmap(p, old);
	return q;
}

static int tab_fam(int i)
{
	return i < T6 ? FAM4 : i < TN ? FAM6 : FAMN;
}

static size_t fam_ksz(int fam)
{
	return fam == FAM6 ? 16 : 4;
}

static void tab_free(struct tab *t, int fam)
{
	big_free(t->keys, t->n * fam_ksz(fam));
	big_free(t->vals, t->n * sizeof(uint32_t));
	free(t->idx);
	t->idx = NULL;
	t->keys = NULL;
	t->vals = NULL;
	t->n = 0;
}

static void layer_free(struct layer *l)
{
	if (!l)
		return;
	for (int i = 0; i < NTAB; i++)
		tab_free(&l->t[i], tab_fam(i));
	free(l);
}

static size_t layer_n(const struct layer *l)
{
	size_t n = 0;

	for (int i = 0; i < NTAB; i++)
		n += l->t[i].n;
	return n;
}

/* ---- string pool */

static const char *pool_str(const struct dnsbl *bl, uint32_t id)
{
	if (id == 0)
		return NULL;
	return bl->dir[id >> PAGE_BITS][id & (PAGE_SIZE - 1)];
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void ht_grow(struct dnsbl *bl)
{
	size_t ncap = bl->hcap ? bl->hcap * 2 : 1024;
	uint32_t *nt = xcalloc(ncap, sizeof(uint32_t));

	for (size_t i = 0; i < bl->hcap; i++) {
		uint32_t id = bl->ht[i];
		size_t j;

		if (!id)
			continue;
		j = hash_str(pool_str(bl, id)) & (ncap - 1);
		while (nt[j])
			j = (j + 1) & (ncap - 1);
		nt[j] = id;
	}
	free(bl->ht);
	bl->ht = nt;
	bl->hcap = ncap;
}

/* Under wlock. Returns 0 for a NULL string, POOL_FULL past 16M strings (the
 * pool is sized for far more listings than a node holds). */
static uint32_t intern(struct dnsbl *bl, const char *s)
{
	size_t len, j;
	uint32_t id;
	char *copy;

	if (!s)
		return 0;
	if ((bl->nstr + 1) * 2 >= bl->hcap)
		ht_grow(bl);
	j = hash_str(s) & (bl->hcap - 1);
	while ((id = bl->ht[j]) != 0) {
		if (strcmp(pool_str(bl, id), s) == 0)
			return id;
		j = (j + 1) & (bl->hcap - 1);
	}
	if (bl->nstr + 1 > REASON_ID_MAX || ((bl->nstr + 1) >> PAGE_BITS) >= DIR_SIZE)
		return POOL_FULL;
	len = strlen(s) + 1;
	if (!bl->chunks || CHUNK - bl->chunks->used < len) {
		struct chunk *c = xmalloc(sizeof(*c) + CHUNK);

		c->next = bl->chunks;
		c->used = 0;
		bl->chunks = c;
		bl->pool_bytes += sizeof(*c) + CHUNK;
	}
	copy = bl->chunks->data + bl->chunks->used;
	memcpy(copy, s, len);
	bl->chunks->used += len;
	id = ++bl->nstr;
	if (!bl->dir[id >> PAGE_BITS]) {
		bl->dir[id >> PAGE_BITS] = xcalloc(PAGE_SIZE, sizeof(char *));
		bl->pool_bytes += PAGE_SIZE * sizeof(char *);
	}
	bl->dir[id >> PAGE_BITS][id & (PAGE_SIZE - 1)] = copy;
	bl->ht[j] = id;
	return id;
}

/* ---- keys */

static int key_cmp(const struct dnsbl *bl, int fam, const void *a, const void *b)
{
	if (fam == FAM4) {
		uint32_t x, y;

		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		return x < y ? -1 : x > y;
	}
	if (fam == FAM6)
		return memcmp(a, b, 16);
	{
		uint32_t x, y;

		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		return x == y ? 0 : strcmp(pool_str(bl, x), pool_str(bl, y));
	}
}

static void tab_index(struct tab *t)
{
	const uint32_t *k = t->keys;
	size_t j = 0;

	if (t->n < IDX_MIN)
		return;
	t->idx = xmalloc(IDX_LEN * sizeof(uint32_t));
	for (uint32_t h = 0; h < IDX_LEN; h++) {
		while (j < t->n && (k[j] >> 16) < h)
			j++;
		t->idx[h] = (uint32_t)j;
	}
}

static bool find4(const struct tab *t, uint32_t key, uint32_t *v)
{
	const uint32_t *k = t->keys;
	size_t lo = 0, hi = t->n;

	if (t->idx) {
		lo = t->idx[key >> 16];
		hi = t->idx[(key >> 16) + 1];
	}

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->n && k[lo] == key) {
		*v = t->vals[lo];
		return true;
	}
	return false;
}

static bool find6(const struct tab *t, const uint8_t *key, uint32_t *v)
{
	const uint8_t *k = t->keys;
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(k + mid * 16, key, 16) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->n && memcmp(k + lo * 16, key, 16) == 0) {
		*v = t->vals[lo];
		return true;
	}
	return false;
}

/* The first place in name table t whose key is not below `key`. */
static size_t lower_bound_name(const struct dnsbl *bl, const struct tab *t, const char *key)
{
	const uint32_t *k = t->keys;
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(pool_str(bl, k[mid]), key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool findn(const struct dnsbl *bl, const struct tab *t, const char *key, uint32_t *v)
{
	const uint32_t *k = t->keys;
	size_t lo = lower_bound_name(bl, t, key);

	if (lo < t->n && strcmp(pool_str(bl, k[lo]), key) == 0) {
		*v = t->vals[lo];
		return true;
	}
	return false;
}

/* Names are kept reversed character by character ("spam.example" as
 * "elpmaxe.maps"). Sorted so, the names below a name are one run of a table
 * (they begin with its reversed text and a dot), and "does anything exist
 * below this name?" is one search (dnsbl_name_has_below). Returns false when
 * `name` does not fit `out` (DNSBL_NAME_SIZE). */
static bool reverse_name(const char *name, char *out)
{
	size_t n = strnlen(name, DNSBL_NAME_SIZE);

	if (n == DNSBL_NAME_SIZE)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = name[n - 1 - i];
	out[n] = '\0';
	return true;
}

/* Is there a live key in t that begins with `prefix` (plen bytes)? Tombstones
 * are skipped, up to a bound: past it the answer is yes (a name with nothing
 * left below then gets NODATA until the next merge, which is harmless). */
static bool has_prefix(const struct dnsbl *bl, const struct tab *t, const char *prefix, size_t plen)
{
	const uint32_t *k = t->keys;
	size_t lo = lower_bound_name(bl, t, prefix);

	for (int seen = 0; lo < t->n && seen < 64; lo++, seen++) {
		if (strncmp(pool_str(bl, k[lo]), prefix, plen) != 0)
			return false;
		if (t->vals[lo] != TOMB)
			return true;
	}
	return lo < t->n;
}

/* Finds a key of family fam in table i of layer l (generic, writer side). */
static bool find_key(const struct dnsbl *bl, const struct tab *t, int fam, const void *key,
		     uint32_t *v)
{
	if (fam == FAM4) {
		uint32_t k;

		memcpy(&k, key, 4);
		return find4(t, k, v);
	}
	if (fam == FAM6)
		return find6(t, key, v);
	{
		uint32_t id;

		memcpy(&id, key, 4);
		return findn(bl, t, pool_str(bl, id), v);
	}
}

/* ---- the set */

static struct layer *layer_new(void)
{
	return xcalloc(1, sizeof(struct layer));
}

struct dnsbl *dnsbl_new(void)
{
	struct dnsbl *bl;
	struct view *v;

	if (posix_memalign((void **)&bl, 64, sizeof(*bl)))
		return xmalloc(SIZE_MAX);
	memset(bl, 0, sizeof(*bl));
	pthread_mutex_init(&bl->wlock, NULL);
	atomic_init(&bl->epoch, 1);
	atomic_init(&bl->serial, 0);
	atomic_init(&bl->count, 0);
	v = xcalloc(1, sizeof(*v));
	v->base = layer_new();
	v->delta = layer_new();
	atomic_init(&bl->view, v);
	for (int i = 0; i < DNSBL_MAX_READERS; i++) {
		atomic_init(&bl->readers[i].epoch, 0);
		atomic_init(&bl->readers[i].used, 0);
		bl->readers[i].bl = bl;
	}
	return bl;
}

void dnsbl_free(struct dnsbl *bl)
{
	struct view *v;
	struct chunk *c;

	if (!bl)
		return;
	v = atomic_load(&bl->view);
	layer_free(v->base);
	layer_free(v->delta);
	free(v);
	for (int i = 0; i < DIR_SIZE; i++)
		free(bl->dir[i]);
	while ((c = bl->chunks)) {
		bl->chunks = c->next;
		free(c);
	}
	free(bl->ht);
	pthread_mutex_destroy(&bl->wlock);
	free(bl);
}

struct dnsbl_reader *dnsbl_reader_new(struct dnsbl *bl)
{
	for (int i = 0; i < DNSBL_MAX_READERS; i++) {
		int expect = 0;

		if (atomic_compare_exchange_strong(&bl->readers[i].used, &expect, 1))
			return &bl->readers[i];
	}
	return NULL;
}

void dnsbl_reader_release(struct dnsbl_reader *r)
{
	if (!r)
		return;
	atomic_store(&r->epoch, 0);
	atomic_store(&r->used, 0);
}

/* Read side: publish the epoch we enter in, then load the view. Both seq_cst,
 * paired with the writer's store of the view then increment of the epoch. */
static const struct view *read_begin(struct dnsbl *bl, struct dnsbl_reader *r)
{
	if (!r) {
		pthread_mutex_lock(&bl->wlock);
		return atomic_load(&bl->view);
	}
	atomic_store(&r->epoch, atomic_load(&bl->epoch));
	return atomic_load(&bl->view);
}

static void read_end(struct dnsbl *bl, struct dnsbl_reader *r)
{
	if (!r) {
		pthread_mutex_unlock(&bl->wlock);
		return;
	}
	atomic_store_explicit(&r->epoch, 0, memory_order_release);
}

/* Waits until every reader has left any lookup that began before the call. */
static void synchronize(struct dnsbl *bl)
{
	uint64_t e = atomic_fetch_add(&bl->epoch, 1) + 1;

	for (int i = 0; i < DNSBL_MAX_READERS; i++) {
		struct dnsbl_reader *r = &bl->readers[i];
		uint64_t s;
		int spins = 0;

		if (!atomic_load(&r->used))
			continue;
		while ((s = atomic_load(&r->epoch)) != 0 && s < e) {
			if (++spins < 100) {
				sched_yield();
			} else {
				struct timespec ts = {0, 50000};

				nanosleep(&ts, NULL);
			}
		}
	}
}

static bool hit_from(const struct dnsbl *bl, uint32_t v, uint8_t plen, struct dnsbl_hit *hit)
{
	uint8_t code = (uint8_t)(v & 0xFF);

	if (hit) {
		hit->code = code;
		hit->reason = pool_str(bl, v >> 8);
		hit->plen = plen;
	}
	return code != DNSBL_CODE_EXCLUDED;
}

bool dnsbl_lookup_ip4(struct dnsbl *bl, struct dnsbl_reader *rd, uint32_t addr,
		      struct dnsbl_hit *hit)
{
	const struct view *v = read_begin(bl, rd);
	bool listed = false;

	for (int p = 32; p >= 0; p--) {
		uint32_t key = p ? addr & (UINT32_MAX << (32 - p)) : 0, val;
		const struct tab *d = &v->delta->t[p], *b = &v->base->t[p];

		if (d->n && find4(d, key, &val)) {
			if (val == TOMB)
				continue;
			listed = hit_from(bl, val, (uint8_t)p, hit);
			goto out;
		}
		if (b->n && find4(b, key, &val)) {
			listed = hit_from(bl, val, (uint8_t)p, hit);
			goto out;
		}
	}
out:
	read_end(bl, rd);
	return listed;
}

static void mask6(const uint8_t *in, int plen, uint8_t *out)
{
	for (int i = 0; i < 16; i++) {
		int bits = plen - 8 * i;

		if (bits >= 8)
			out[i] = in[i];
		else if (bits <= 0)
			out[i] = 0;
		else
			out[i] = (uint8_t)(in[i] & (0xFF << (8 - bits)));
	}
}

bool dnsbl_lookup_ip6(struct dnsbl *bl, struct dnsbl_reader *rd, const uint8_t addr[16],
		      struct dnsbl_hit *hit)
{
	const struct view *v = read_begin(bl, rd);
	bool listed = false;

	for (int p = 128; p >= 0; p--) {
		const struct tab *d = &v->delta->t[T6 + p], *b = &v->base->t[T6 + p];
		uint8_t key[16];
		uint32_t val;

		if (!d->n && !b->n)
			continue;
		mask6(addr, p, key);
		if (d->n && find6(d, key, &val)) {
			if (val == TOMB)
				continue;
			listed = hit_from(bl, val, (uint8_t)p, hit);
			goto out;
		}
		if (b->n && find6(b, key, &val)) {
			listed = hit_from(bl, val, (uint8_t)p, hit);
			goto out;
		}
	}
out:
	read_end(bl, rd);
	return listed;
}

/* 1 found (val set), 0 not in either layer, -1 removed in the delta. */
static int find_name(const struct dnsbl *bl, const struct view *v, int i, const char *name,
		     uint32_t *val)
{
	if (v->delta->t[i].n && findn(bl, &v->delta->t[i], name, val))
		return *val == TOMB ? -1 : 1;
	if (v->base->t[i].n && findn(bl, &v->base->t[i], name, val))
		return 1;
	return 0;
}

bool dnsbl_lookup_name(struct dnsbl *bl, struct dnsbl_reader *rd, const char *name,
		       struct dnsbl_hit *hit)
{
	char rev[DNSBL_NAME_SIZE];
	const struct view *v;
	bool listed = false;
	uint32_t val;

	if (!reverse_name(name, rev))
		return false;
	v = read_begin(bl, rd);
	if (find_name(bl, v, TN, rev, &val) == 1) {
		listed = hit_from(bl, val, 0, hit);
		goto out;
	}
	/* wildcards of the enclosing names, nearest first: "a.b.c" reversed is
	 * "c.b.a", cut at its dots from the right: "c.b" (b.c), then "c" */
	for (size_t i = strlen(rev); i-- > 0;) {
		if (rev[i] != '.')
			continue;
		rev[i] = '\0';
		if (find_name(bl, v, TN + 1, rev, &val) == 1) {
			listed = hit_from(bl, val, 0, hit);
			goto out;
		}
	}
out:
	read_end(bl, rd);
	return listed;
}

bool dnsbl_name_has_below(struct dnsbl *bl, struct dnsbl_reader *rd, const char *name)
{
	char rev[DNSBL_NAME_SIZE + 1];
	const struct view *v;
	bool below = false;
	uint32_t val;
	size_t n;

	if (!reverse_name(name, rev))
		return false;
	n = strlen(rev);
	v = read_begin(bl, rd);
	/* a wildcard at the name itself lists everything below it */
	if (find_name(bl, v, TN + 1, rev, &val) == 1) {
		below = true;
		goto out;
	}
	rev[n] = '.';
	rev[n + 1] = '\0';
	for (int i = TN; i <= TN + 1 && !below; i++)
		below = (v->delta->t[i].n && has_prefix(bl, &v->delta->t[i], rev, n + 1)) ||
			(v->base->t[i].n && has_prefix(bl, &v->base->t[i], rev, n + 1));
out:
	read_end(bl, rd);
	return below;
}

/* ---- batches */

struct dnsbl_batch *dnsbl_batch_new(struct dnsbl *bl)
{
	struct dnsbl_batch *b = xcalloc(1, sizeof(*b));

	b->bl = bl;
	return b;
}

void dnsbl_batch_free(struct dnsbl_batch *b)
{
	if (!b)
		return;
	for (int i = 0; i < N4; i++)
		big_free(b->a4[i], b->c4[i] * sizeof(struct it4));
	big_free(b->a6, b->c6 * sizeof(struct it6));
	big_free(b->an, b->cn * sizeof(struct itn));
	free(b);
}

size_t dnsbl_batch_size(const struct dnsbl_batch *b)
{
	return b->total;
}

/* Grows an array allocated with big_alloc to hold one more element. */
static void *grow(void *p, size_t *cap, size_t n, size_t esz)
{
	size_t ncap;
	void *q;

	if (n < *cap)
		return p;
	ncap = *cap ? *cap * 2 : 64;
	q = big_alloc(ncap * esz);
	if (n)
		memcpy(q, p, n * esz);
	big_free(p, *cap * esz);
	*cap = ncap;
	return q;
}

static uint32_t batch_reason(struct dnsbl_batch *b, const char *reason)
{
	uint32_t id;

	if (!reason || !reason[0])
		return 0;
	if (b->last_reason && strcmp(b->last_reason, reason) == 0)
		return b->last_reason_id;
	pthread_mutex_lock(&b->bl->wlock);
	id = intern(b->bl, reason);
	pthread_mutex_unlock(&b->bl->wlock);
	if (id == POOL_FULL)
		return id;
	b->last_reason = pool_str(b->bl, id);
	b->last_reason_id = id;
	return id;
}

static int batch_put(struct dnsbl_batch *b, const struct dnsbl_entry *e, uint32_t val)
{
	switch (e->kind) {
	case DNSBL_IP4: {
		struct it4 *it;
		uint32_t k;

		if (e->plen > 32 || !canon_host_bits_zero(e->addr, 4, e->plen))
			return ERR_INVALID;
		k = (uint32_t)e->addr[0] << 24 | (uint32_t)e->addr[1] << 16 |
		    (uint32_t)e->addr[2] << 8 | e->addr[3];
		b->a4[e->plen] =
		    grow(b->a4[e->plen], &b->c4[e->plen], b->n4[e->plen], sizeof(struct it4));
		it = &b->a4[e->plen][b->n4[e->plen]++];
		it->k = k;
		it->v = val;
		break;
	}
	case DNSBL_IP6: {
		struct it6 *it;

		if (e->plen > 128 || !canon_host_bits_zero(e->addr, 16, e->plen))
			return ERR_INVALID;
		b->a6 = grow(b->a6, &b->c6, b->n6, sizeof(struct it6));
		it = &b->a6[b->n6++];
		memcpy(it->k, e->addr, 16);
		it->plen = e->plen;
		it->v = val;
		it->seq = b->seq++;
		break;
	}
	case DNSBL_NAME:
	case DNSBL_NAME_WILD: {
		struct itn *it;
		uint32_t id;

		char rev[DNSBL_NAME_SIZE];

		if (!e->name[0] || !reverse_name(e->name, rev))
			return ERR_INVALID;
		pthread_mutex_lock(&b->bl->wlock);
		id = intern(b->bl, rev);
		pthread_mutex_unlock(&b->bl->wlock);
		if (id == POOL_FULL)
			return ERR_TOO_LARGE;
		b->an = grow(b->an, &b->cn, b->nn, sizeof(struct itn));
		it = &b->an[b->nn++];
		it->id = id;
		it->wild = e->kind == DNSBL_NAME_WILD;
		it->v = val;
		it->seq = b->seq++;
		break;
	}
	default: return ERR_INVALID;
	}
	b->total++;
	return ERR_OK;
}

int dnsbl_batch_add(struct dnsbl_batch *b, const struct dnsbl_entry *e)
{
	uint32_t rid;

	if (e->code == 1 || e->code == 255)
		return ERR_INVALID;
	if (e->reason && strlen(e->reason) > DNSBL_REASON_MAX)
		return ERR_INVALID;
	rid = batch_reason(b, e->reason);
	if (rid == POOL_FULL)
		return ERR_TOO_LARGE;
	return batch_put(b, e, rid << 8 | e->code);
}

int dnsbl_batch_remove(struct dnsbl_batch *b, const struct dnsbl_entry *e)
{
	return batch_put(b, e, TOMB);
}

/* Stable LSD radix sort on the 32-bit key, two 16-bit passes. */
static void sort4(struct it4 *a, size_t n)
{
	struct it4 *tmp;
	size_t *cnt;

	if (n < 2)
		return;
	tmp = big_alloc(n * sizeof(*tmp));
	cnt = xmalloc(65536 * sizeof(size_t));
	for (int pass = 0; pass < 2; pass++) {
		int sh = pass * 16;
		struct it4 *src = pass ? tmp : a, *dst = pass ? a : tmp;
		size_t sum = 0;

		memset(cnt, 0, 65536 * sizeof(size_t));
		for (size_t i = 0; i < n; i++)
			cnt[(src[i].k >> sh) & 0xFFFF]++;
		for (size_t i = 0; i < 65536; i++) {
			size_t c = cnt[i];

			cnt[i] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[(src[i].k >> sh) & 0xFFFF]++] = src[i];
	}
	free(cnt);
	big_free(tmp, n * sizeof(*tmp));
}

static int cmp6(const void *x, const void *y)
{
	const struct it6 *a = x, *b = y;
	int c;

	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	c = memcmp(a->k, b->k, 16);
	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmpn(const void *x, const void *y, void *ctx)
{
	const struct itn *a = x, *b = y;
	const struct dnsbl *sort_bl = ctx;
	int c;

	if (a->wild != b->wild)
		return a->wild < b->wild ? -1 : 1;
	c = a->id == b->id ? 0 : strcmp(pool_str(sort_bl, a->id), pool_str(sort_bl, b->id));
	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void tab_alloc(struct tab *t, int fam, size_t n)
{
	t->n = n;
	t->keys = big_alloc(n * fam_ksz(fam));
	t->vals = big_alloc(n * sizeof(uint32_t));
}

static void tab_shrink(struct tab *t, int fam, size_t cap, size_t n)
{
	t->keys = big_shrink(t->keys, cap * fam_ksz(fam), n * fam_ksz(fam));
	t->vals = big_shrink(t->vals, cap * sizeof(uint32_t), n * sizeof(uint32_t));
	t->n = n;
}

/* Turns the batch into one sorted layer, the last change of a key winning. */
static void batch_layer(struct dnsbl_batch *b, struct layer *l)
{
	for (int p = 0; p < N4; p++) {
		struct it4 *a = b->a4[p];
		size_t n = b->n4[p], o = 0;
		struct tab *t = &l->t[p];

		if (!n)
			continue;
		sort4(a, n);
		tab_alloc(t, FAM4, n);
		for (size_t i = 0; i < n; i++) {
			if (i + 1 < n && a[i + 1].k == a[i].k)
				continue;
			((uint32_t *)t->keys)[o] = a[i].k;
			t->vals[o++] = a[i].v;
		}
		tab_shrink(t, FAM4, n, o);
	}
	if (b->n6) {
		size_t cnt[N6] = {0}, at[N6] = {0};

		qsort(b->a6, b->n6, sizeof(struct it6), cmp6);
		for (size_t i = 0; i < b->n6; i++)
			cnt[b->a6[i].plen]++;
		for (int p = 0; p < N6; p++)
			if (cnt[p])
				tab_alloc(&l->t[T6 + p], FAM6, cnt[p]);
		for (size_t i = 0; i < b->n6; i++) {
			struct it6 *it = &b->a6[i];
			struct tab *t = &l->t[T6 + it->plen];

			if (i + 1 < b->n6 && it[1].plen == it->plen && !memcmp(it[1].k, it->k, 16))
				continue;
			memcpy((uint8_t *)t->keys + at[it->plen] * 16, it->k, 16);
			t->vals[at[it->plen]++] = it->v;
		}
		for (int p = 0; p < N6; p++)
			if (cnt[p])
				tab_shrink(&l->t[T6 + p], FAM6, cnt[p], at[p]);
	}
	if (b->nn) {
		size_t cnt[2] = {0}, at[2] = {0};

		qsort_r(b->an, b->nn, sizeof(struct itn), cmpn, b->bl);
		for (size_t i = 0; i < b->nn; i++)
			cnt[b->an[i].wild]++;
		for (int w = 0; w < 2; w++)
			if (cnt[w])
				tab_alloc(&l->t[TN + w], FAMN, cnt[w]);
		for (size_t i = 0; i < b->nn; i++) {
			struct itn *it = &b->an[i];
			struct tab *t = &l->t[TN + it->wild];

			if (i + 1 < b->nn && it[1].wild == it->wild &&
			    (it[1].id == it->id ||
			     !strcmp(pool_str(b->bl, it[1].id), pool_str(b->bl, it->id))))
				continue;
			((uint32_t *)t->keys)[at[it->wild]] = it->id;
			t->vals[at[it->wild]++] = it->v;
		}
		for (int w = 0; w < 2; w++)
			if (cnt[w])
				tab_shrink(&l->t[TN + w], FAMN, cnt[w], at[w]);
	}
}

/* Merges sorted a (older) and b (newer, wins on equal keys) into out.
 * With `final`, removals are applied (tombstones dropped): used to build a
 * base. Otherwise a tombstone is kept only if `base` holds its key. */
static void tab_merge(const struct dnsbl *bl, int fam, const struct tab *a, const struct tab *b,
		      const struct tab *base, bool final, struct tab *out)
{
	size_t ksz = fam_ksz(fam), i = 0, j = 0, o = 0, cap = a->n + b->n;
	const uint8_t *ak = a->keys, *bk = b->keys;
	uint8_t *ok;

	memset(out, 0, sizeof(*out));
	if (!cap)
		return;
	tab_alloc(out, fam, cap);
	ok = out->keys;
	while (i < a->n || j < b->n) {
		const uint8_t *k;
		uint32_t v, dummy;
		int c;

		if (i >= a->n)
			c = 1;
		else if (j >= b->n)
			c = -1;
		else
			c = key_cmp(bl, fam, ak + i * ksz, bk + j * ksz);
		if (c < 0) {
			k = ak + i * ksz;
			v = a->vals[i++];
		} else {
			k = bk + j * ksz;
			v = b->vals[j++];
			if (c == 0)
				i++;
		}
		if (v == TOMB && (final || !base || !find_key(bl, base, fam, k, &dummy)))
			continue;
		memcpy(ok + o * ksz, k, ksz);
		out->vals[o++] = v;
	}
	tab_shrink(out, fam, cap, o);
	if (fam == FAM4)
		tab_index(out);
}

static size_t view_count(const struct dnsbl *bl, const struct layer *base,
			 const struct layer *delta)
{
	size_t n = layer_n(base);

	for (int i = 0; i < NTAB; i++) {
		const struct tab *d = &delta->t[i];
		int fam = tab_fam(i);
		size_t ksz = fam_ksz(fam);

		for (size_t k = 0; k < d->n; k++) {
			uint32_t dummy;
			bool in_base =
			    base->t[i].n &&
			    find_key(bl, &base->t[i], fam, (uint8_t *)d->keys + k * ksz, &dummy);

			if (d->vals[k] == TOMB)
				n -= in_base;
			else
				n += !in_base;
		}
	}
	return n;
}

int dnsbl_commit(struct dnsbl *bl, struct dnsbl_batch *b)
{
	struct layer *bt = layer_new(), *nd = layer_new(), *nb = NULL;
	struct view *cur, *nv = xcalloc(1, sizeof(*nv));
	size_t dn, bn;

	pthread_mutex_lock(&bl->wlock);
	batch_layer(b, bt);
	dnsbl_batch_free(b);
	cur = atomic_load(&bl->view);
	for (int i = 0; i < NTAB; i++)
		tab_merge(bl, tab_fam(i), &cur->delta->t[i], &bt->t[i], &cur->base->t[i], false,
			  &nd->t[i]);
	layer_free(bt);
	dn = layer_n(nd);
	bn = layer_n(cur->base);
	if (dn > DELTA_MIN && dn > bn / 8) {
		nb = layer_new();
		for (int i = 0; i < NTAB; i++)
			tab_merge(bl, tab_fam(i), &cur->base->t[i], &nd->t[i], NULL, true,
				  &nb->t[i]);
		layer_free(nd);
		nd = layer_new();
		nv->base = nb;
		nv->count = layer_n(nb);
	} else {
		nv->base = cur->base;
		nv->count = view_count(bl, cur->base, nd);
	}
	nv->delta = nd;
	nv->serial = cur->serial + 1;
	atomic_store(&bl->view, nv);
	atomic_store(&bl->serial, nv->serial);
	atomic_store(&bl->count, nv->count);
	synchronize(bl);
	layer_free(cur->delta);
	if (nb)
		layer_free(cur->base);
	free(cur);
	pthread_mutex_unlock(&bl->wlock);
	return ERR_OK;
}

size_t dnsbl_count(struct dnsbl *bl)
{
	return atomic_load(&bl->count);
}

uint32_t dnsbl_serial(struct dnsbl *bl)
{
	return atomic_load(&bl->serial);
}

size_t dnsbl_memory(struct dnsbl *bl)
{
	size_t n = sizeof(*bl);
	const struct view *v;

	pthread_mutex_lock(&bl->wlock);
	v = atomic_load(&bl->view);
	for (int i = 0; i < NTAB; i++) {
		size_t per = fam_ksz(tab_fam(i)) + sizeof(uint32_t);

		n += (v->base->t[i].n + v->delta->t[i].n) * per;
	}
	n += bl->pool_bytes + bl->hcap * sizeof(uint32_t);
	pthread_mutex_unlock(&bl->wlock);
	return n;
}

static void entry_from(const struct dnsbl *bl, int i, const uint8_t *k, uint32_t v,
		       struct dnsbl_entry *e)
{
	int fam = tab_fam(i);

	memset(e->addr, 0, sizeof(e->addr));
	e->name[0] = '\0';
	if (fam == FAM4) {
		uint32_t x;

		memcpy(&x, k, 4);
		e->kind = DNSBL_IP4;
		e->plen = (uint8_t)i;
		e->addr[0] = (uint8_t)(x >> 24);
		e->addr[1] = (uint8_t)(x >> 16);
		e->addr[2] = (uint8_t)(x >> 8);
		e->addr[3] = (uint8_t)x;
	} else if (fam == FAM6) {
		e->kind = DNSBL_IP6;
		e->plen = (uint8_t)(i - T6);
		memcpy(e->addr, k, 16);
	} else {
		uint32_t id;

		memcpy(&id, k, 4);
		e->kind = i == TN ? DNSBL_NAME : DNSBL_NAME_WILD;
		e->plen = 0;
		(void)reverse_name(pool_str(bl, id), e->name);
	}
	e->code = (uint8_t)(v & 0xFF);
	e->reason = pool_str(bl, v >> 8);
}

int dnsbl_foreach(struct dnsbl *bl, int (*fn)(const struct dnsbl_entry *e, void *ctx), void *ctx)
{
	const struct view *v;
	struct dnsbl_entry e;
	int rc = 0;

	pthread_mutex_lock(&bl->wlock);
	v = atomic_load(&bl->view);
	for (int i = 0; i < NTAB && !rc; i++) {
		struct tab mt;
		int fam = tab_fam(i);
		size_t ksz = fam_ksz(fam);

		/* a merged copy of one table at a time keeps the peak small */
		tab_merge(bl, fam, &v->base->t[i], &v->delta->t[i], NULL, true, &mt);
		for (size_t k = 0; k < mt.n && !rc; k++) {
			entry_from(bl, i, (uint8_t *)mt.keys + k * ksz, mt.vals[k], &e);
			rc = fn(&e, ctx);
		}
		tab_free(&mt, fam);
	}
	pthread_mutex_unlock(&bl->wlock);
	return rc;
}
