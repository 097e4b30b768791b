#include "index/iptrie.h"

#include "util/xalloc.h"

typedef unsigned __int128 u128;

#define TOP_SHIFT 6
#define TOP_STEP (1u << TOP_SHIFT)
#define DELTA_MIN 4096

/* An immutable sorted array of keys (except for the handle cells). */
struct iparr {
	size_t n;
	u128 *keys;
	uint8_t *lens;
	_Atomic uint32_t *heads;
	size_t ntop; /* keys[0], keys[64], ... copied for a cache-friendly first search */
	u128 *tkeys;
	uint8_t *tlens;
	size_t bytes;
};

struct ipsnap {
	struct iparr *base, *delta;
	uint64_t lenmap[3]; /* bit l set: some key has prefix length l */
};

struct pend {
	u128 key;
	_Atomic uint32_t head;
	uint8_t len;
};

struct iptrie {
	int family;
	unsigned width;
	struct epoch *ep;
	_Atomic(struct ipsnap *) snap;
	struct pend *pend; /* writer only: keys added since the last publish */
	size_t npend, cappend;
	uint32_t *ptab; /* open addressing over pend: index + 1, 0 empty */
	size_t ptabcap;
};

static u128 key_of(const struct iptrie *t, const uint8_t a[16])
{
	u128 k = 0;
	unsigned n = t->family == 4 ? 4 : 16;

	for (unsigned i = 0; i < n; i++)
		k = k << 8 | a[i];
	return k;
}

static void addr_of(const struct iptrie *t, u128 k, uint8_t a[16])
{
	unsigned n = t->family == 4 ? 4 : 16;

	memset(a, 0, 16);
	for (unsigned i = n; i-- > 0;) {
		a[i] = (uint8_t)k;
		k >>= 8;
	}
}

static u128 full_mask(unsigned width)
{
	return width == 128 ? ~(u128)0 : (((u128)1 << width) - 1);
}

static u128 net_mask(unsigned width, unsigned len)
{
	if (len == 0)
		return 0;
	return (full_mask(width) << (width - len)) & full_mask(width);
}

static inline bool less(u128 k1, unsigned l1, u128 k2, unsigned l2)
{
	return k1 < k2 || (k1 == k2 && l1 < l2);
}

/* First index whose (key, len) is >= (k, l). */
static size_t lower_bound(const struct iparr *a, u128 k, unsigned l)
{
	size_t lo = 0, hi = a->n;

	if (a->ntop) {
		size_t tl = 0, th = a->ntop;
		while (tl < th) {
			size_t m = (tl + th) / 2;
			if (less(a->tkeys[m], a->tlens[m], k, l))
				tl = m + 1;
			else
				th = m;
		}
		hi = tl < a->ntop ? (size_t)tl << TOP_SHIFT : a->n;
		lo = tl > 0 ? ((size_t)(tl - 1) << TOP_SHIFT) + 1 : 0;
	}
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (less(a->keys[m], a->lens[m], k, l))
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

static long find(const struct iparr *a, u128 k, unsigned l)
{
	size_t i;

	if (!a->n)
		return -1;
	i = lower_bound(a, k, l);
	if (i < a->n && a->keys[i] == k && a->lens[i] == l)
		return (long)i;
	return -1;
}

static struct iparr *iparr_alloc(size_t n)
{
	struct iparr *a = xcalloc(1, sizeof(*a));

	a->n = n;
	if (n) {
		a->keys = xmalloc(n * sizeof(*a->keys));
		a->lens = xmalloc(n);
		a->heads = xmalloc(n * sizeof(*a->heads));
	}
	a->bytes = sizeof(*a) + n * (sizeof(*a->keys) + 1 + sizeof(*a->heads));
	return a;
}

static void iparr_build_top(struct iparr *a)
{
	a->ntop = (a->n + TOP_STEP - 1) >> TOP_SHIFT;
	if (!a->ntop)
		return;
	a->tkeys = xmalloc(a->ntop * sizeof(*a->tkeys));
	a->tlens = xmalloc(a->ntop);
	for (size_t t = 0; t < a->ntop; t++) {
		a->tkeys[t] = a->keys[t << TOP_SHIFT];
		a->tlens[t] = a->lens[t << TOP_SHIFT];
	}
	a->bytes += a->ntop * (sizeof(*a->tkeys) + 1);
}

static void iparr_free(void *p)
{
	struct iparr *a = p;

	if (!a)
		return;
	free(a->keys);
	free(a->lens);
	free((void *)a->heads);
	free(a->tkeys);
	free(a->tlens);
	free(a);
}

static void snap_free(void *p)
{
	free(p);
}

/* Merges two sorted arrays with disjoint keys into a new one. */
static struct iparr *iparr_merge(const struct iparr *x, const struct iparr *y)
{
	struct iparr *a = iparr_alloc(x->n + y->n);
	size_t i = 0, j = 0, o = 0;

	while (i < x->n || j < y->n) {
		const struct iparr *s;
		size_t *ix;
		if (j >= y->n ||
		    (i < x->n && less(x->keys[i], x->lens[i], y->keys[j], y->lens[j]))) {
			s = x;
			ix = &i;
		} else {
			s = y;
			ix = &j;
		}
		a->keys[o] = s->keys[*ix];
		a->lens[o] = s->lens[*ix];
		atomic_init(&a->heads[o],
			    atomic_load_explicit(&s->heads[*ix], memory_order_relaxed));
		(*ix)++;
		o++;
	}
	iparr_build_top(a);
	return a;
}

struct iptrie *iptrie_new(int family, struct epoch *ep)
{
	struct iptrie *t = xcalloc(1, sizeof(*t));
	struct ipsnap *s = xcalloc(1, sizeof(*s));

	t->family = family == 4 ? 4 : 6;
	t->width = family == 4 ? 32 : 128;
	t->ep = ep;
	s->base = iparr_alloc(0);
	s->delta = iparr_alloc(0);
	atomic_init(&t->snap, s);
	return t;
}

void iptrie_free(struct iptrie *t)
{
	struct ipsnap *s;

	if (!t)
		return;
	s = atomic_load_explicit(&t->snap, memory_order_relaxed);
	iparr_free(s->base);
	iparr_free(s->delta);
	free(s);
	free(t->pend);
	free(t->ptab);
	free(t);
}

static size_t hash_key(u128 k, unsigned l)
{
	uint64_t h = (uint64_t)k ^ (uint64_t)(k >> 64) * 0x9e3779b97f4a7c15ull ^ l;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (size_t)h;
}

static void ptab_grow(struct iptrie *t)
{
	size_t cap = t->ptabcap ? t->ptabcap * 2 : 1024;

	free(t->ptab);
	t->ptab = xcalloc(cap, sizeof(*t->ptab));
	t->ptabcap = cap;
	for (size_t i = 0; i < t->npend; i++) {
		size_t h = hash_key(t->pend[i].key, t->pend[i].len) & (cap - 1);
		while (t->ptab[h])
			h = (h + 1) & (cap - 1);
		t->ptab[h] = (uint32_t)(i + 1);
	}
}

_Atomic uint32_t *iptrie_slot(struct iptrie *t, const uint8_t addr[16], unsigned len)
{
	struct ipsnap *s = atomic_load_explicit(&t->snap, memory_order_relaxed);
	u128 k;
	long i;
	size_t h;

	if (len > t->width)
		len = t->width;
	k = key_of(t, addr) & net_mask(t->width, len);
	i = find(s->base, k, len);
	if (i >= 0)
		return &s->base->heads[i];
	i = find(s->delta, k, len);
	if (i >= 0)
		return &s->delta->heads[i];
	if ((t->npend + 1) * 2 > t->ptabcap)
		ptab_grow(t);
	h = hash_key(k, len) & (t->ptabcap - 1);
	while (t->ptab[h]) {
		struct pend *p = &t->pend[t->ptab[h] - 1];
		if (p->key == k && p->len == len)
			return &p->head;
		h = (h + 1) & (t->ptabcap - 1);
	}
	if (t->npend == t->cappend) {
		t->cappend = t->cappend ? t->cappend * 2 : 256;
		t->pend = xrealloc(t->pend, t->cappend * sizeof(*t->pend));
	}
	t->pend[t->npend].key = k;
	t->pend[t->npend].len = (uint8_t)len;
	atomic_init(&t->pend[t->npend].head, 0);
	t->ptab[h] = (uint32_t)(++t->npend);
	return &t->pend[t->npend - 1].head;
}

static int pend_cmp(const void *x, const void *y)
{
	const struct pend *a = x, *b = y;

	if (less(a->key, a->len, b->key, b->len))
		return -1;
	return less(b->key, b->len, a->key, a->len) ? 1 : 0;
}

void iptrie_publish(struct iptrie *t)
{
	struct ipsnap *old = atomic_load_explicit(&t->snap, memory_order_relaxed);
	struct ipsnap *s;
	struct iparr *p, *nd, *nb = NULL;
	size_t lim;

	if (!t->npend)
		return;
	qsort(t->pend, t->npend, sizeof(*t->pend), pend_cmp);
	s = xcalloc(1, sizeof(*s));
	memcpy(s->lenmap, old->lenmap, sizeof(s->lenmap));
	p = iparr_alloc(t->npend);
	for (size_t i = 0; i < t->npend; i++) {
		p->keys[i] = t->pend[i].key;
		p->lens[i] = t->pend[i].len;
		atomic_init(&p->heads[i],
			    atomic_load_explicit(&t->pend[i].head, memory_order_relaxed));
		s->lenmap[p->lens[i] >> 6] |= 1ull << (p->lens[i] & 63);
	}
	nd = iparr_merge(old->delta, p);
	iparr_free(p);
	lim = old->base->n / 8;
	if (lim < DELTA_MIN)
		lim = DELTA_MIN;
	if (nd->n > lim) {
		nb = iparr_merge(old->base, nd);
		iparr_free(nd);
		nd = iparr_alloc(0);
	}
	s->base = nb ? nb : old->base;
	s->delta = nd;
	atomic_store_explicit(&t->snap, s, memory_order_release);
	epoch_retire(t->ep, old->delta, iparr_free);
	if (nb)
		epoch_retire(t->ep, old->base, iparr_free);
	epoch_retire(t->ep, old, snap_free);
	t->npend = 0;
	memset(t->ptab, 0, t->ptabcap * sizeof(*t->ptab));
	if (t->ptabcap > 4096 && t->cappend > 4096) {
		/* a bulk load is over: give the staging memory back */
		free(t->ptab);
		free(t->pend);
		t->ptab = NULL;
		t->pend = NULL;
		t->ptabcap = t->cappend = 0;
	}
	epoch_poll(t->ep);
}

static bool has_len(const struct ipsnap *s, unsigned l)
{
	return s->lenmap[l >> 6] >> (l & 63) & 1;
}

long iptrie_lookup(const struct iptrie *t, const uint8_t addr[16], unsigned len, size_t max_within,
		   iptrie_fn fn, void *ctx)
{
	const struct ipsnap *s = atomic_load_explicit(&t->snap, memory_order_acquire);
	const struct iparr *arrs[2] = {s->base, s->delta};
	uint8_t a[16];
	u128 q, hi;
	long count = 0;
	size_t within = 0;

	if (len > t->width)
		len = t->width;
	q = key_of(t, addr) & net_mask(t->width, len);
	for (unsigned l = 0; l <= len; l++) {
		if (!has_len(s, l))
			continue;
		u128 k = q & net_mask(t->width, l);
		for (int w = 0; w < 2; w++) {
			long i = find(arrs[w], k, l);
			if (i < 0)
				continue;
			uint32_t h = atomic_load_explicit(&arrs[w]->heads[i], memory_order_acquire);
			if (!h)
				continue;
			addr_of(t, k, a);
			if (fn(ctx, a, l, h, l == len ? IPTRIE_EXACT : IPTRIE_CONTAINS))
				return -1;
			count++;
		}
	}
	if (len >= t->width)
		return count;
	hi = q | (~net_mask(t->width, len) & full_mask(t->width));
	for (int w = 0; w < 2; w++) {
		const struct iparr *arr = arrs[w];
		for (size_t i = lower_bound(arr, q, len + 1); i < arr->n && arr->keys[i] <= hi;
		     i++) {
			if (arr->lens[i] <= len)
				continue;
			if (max_within && within >= max_within)
				return count;
			uint32_t h = atomic_load_explicit(&arr->heads[i], memory_order_acquire);
			if (!h)
				continue;
			addr_of(t, arr->keys[i], a);
			if (fn(ctx, a, arr->lens[i], h, IPTRIE_WITHIN))
				return -1;
			count++;
			within++;
		}
	}
	return count;
}

void iptrie_stats(const struct iptrie *t, struct iptrie_stats *st)
{
	const struct ipsnap *s = atomic_load_explicit(&t->snap, memory_order_acquire);

	st->keys = s->base->n + s->delta->n;
	st->pending = t->npend;
	st->bytes = sizeof(*t) + sizeof(*s) + s->base->bytes + s->delta->bytes +
		    t->cappend * sizeof(*t->pend) + t->ptabcap * sizeof(*t->ptab);
}
