#include "index/index.h"

#include <stdatomic.h>

#include "index/epoch.h"
#include "index/iptrie.h"
#include "util/xalloc.h"

/* ---------------------------------------------------------------- postings */

/* Posting 0 is "none"; ids grow by one per index_add, so a reader hides every posting
 * at or above the published watermark. Chunks are never moved or freed before
 * index_free, so readers follow ids without any reclamation. */
#define PCHUNK_SHIFT 16
#define PCHUNK_SIZE (1u << PCHUNK_SHIFT)
#define PCHUNK_MAX (1u << 16)

struct posting {
	uint64_t obj;
	uint64_t rep;
	uint32_t next;
};

/* One posting per cache-line access: an array of structs, not three arrays. */
struct pchunk {
	struct posting p[PCHUNK_SIZE];
};

/* ---------------------------------------------------------------- string keys */

/* Keys live in 4 MiB chunks of a writer-only bump allocator and are referred to by
 * 32-bit refs: chunk << 20 | (offset / 4). */
#define KCHUNK_SHIFT 22
#define KCHUNK_SIZE (1u << KCHUNK_SHIFT)
#define KCHUNK_MAX 4096

struct skey {
	_Atomic uint32_t head;
	uint32_t len;
	char s[]; /* NUL-terminated */
};

/* Open addressing, linear probing; a slot is hash32 << 32 | ref, 0 when empty.
 * Published whole: a resize builds a new table and retires the old one. */
struct stable {
	size_t cap;
	size_t count;
	_Atomic uint64_t slots[];
};

struct strmap {
	_Atomic(struct stable *) tab;
	size_t keys;
	size_t key_bytes;
};

struct index {
	struct epoch ep;
	struct iptrie *ip4, *ip6;
	struct strmap maps[OBS_KIND_COUNT]; /* domain, url, email, hash, asn */

	_Atomic(struct pchunk *) *pchunks; /* PCHUNK_MAX entries */
	uint32_t npost;			   /* next posting id (writer) */
	_Atomic uint32_t published;	   /* postings below are visible */
	size_t postings[OBS_KIND_COUNT];

	_Atomic(char *) *kchunks; /* KCHUNK_MAX entries */
	uint32_t kchunk, koff;	  /* writer's bump position */
	size_t kbytes;

	struct removed *_Atomic removed; /* sorted report ids; copy on write */
};

struct removed {
	size_t n;
	uint64_t ids[];
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;

	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
		s += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * 0x94d049bb133111ebull;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h;
}

static struct skey *key_at(const struct index *idx, uint32_t ref)
{
	char *c = atomic_load_explicit(&idx->kchunks[ref >> 20], memory_order_acquire);

	return (struct skey *)(c + ((size_t)(ref & 0xfffff) << 2));
}

static uint32_t key_alloc(struct index *idx, size_t n)
{
	size_t need = (sizeof(struct skey) + n + 1 + 3) & ~(size_t)3;
	char *c = idx->kchunk < KCHUNK_MAX
		      ? atomic_load_explicit(&idx->kchunks[idx->kchunk], memory_order_relaxed)
		      : NULL;
	uint32_t ref;

	if (!c || idx->koff + need > KCHUNK_SIZE) {
		if (c)
			idx->kchunk++;
		if (idx->kchunk >= KCHUNK_MAX)
			return 0;
		c = xmalloc(KCHUNK_SIZE);
		idx->kbytes += KCHUNK_SIZE;
		atomic_store_explicit(&idx->kchunks[idx->kchunk], c, memory_order_release);
		/* ref 0 means "none": the first key starts at offset 4 */
		idx->koff = idx->kchunk == 0 ? 4 : 0;
	}
	ref = idx->kchunk << 20 | idx->koff >> 2;
	idx->koff += (uint32_t)need;
	return ref;
}

static struct stable *stable_new(size_t cap)
{
	struct stable *t = xmalloc(sizeof(*t) + cap * sizeof(t->slots[0]));

	t->cap = cap;
	t->count = 0;
	for (size_t i = 0; i < cap; i++)
		atomic_init(&t->slots[i], 0);
	return t;
}

static void stable_free(void *p)
{
	free(p);
}

/* Reader or writer: the key's ref, 0 if absent. */
static uint32_t strmap_find(const struct index *idx, const struct stable *t, const char *s,
			    size_t n, uint64_t h)
{
	uint32_t tag = (uint32_t)(h >> 32) | 1;
	size_t i = (size_t)h & (t->cap - 1);

	for (;;) {
		uint64_t v = atomic_load_explicit(&t->slots[i], memory_order_acquire);
		if (!v)
			return 0;
		if ((uint32_t)(v >> 32) == tag) {
			struct skey *k = key_at(idx, (uint32_t)v);
			if (k->len == n && memcmp(k->s, s, n) == 0)
				return (uint32_t)v;
		}
		i = (i + 1) & (t->cap - 1);
	}
}

static void stable_put(struct stable *t, uint64_t h, uint32_t ref)
{
	uint32_t tag = (uint32_t)(h >> 32) | 1;
	size_t i = (size_t)h & (t->cap - 1);

	while (atomic_load_explicit(&t->slots[i], memory_order_relaxed))
		i = (i + 1) & (t->cap - 1);
	atomic_store_explicit(&t->slots[i], (uint64_t)tag << 32 | ref, memory_order_release);
	t->count++;
}

/* Writer: the head cell of the key, inserted if missing; NULL when the key store is
 * full. */
static _Atomic uint32_t *strmap_slot(struct index *idx, struct strmap *m, const char *s, size_t n)
{
	struct stable *t = atomic_load_explicit(&m->tab, memory_order_relaxed);
	uint64_t h = hash_bytes(s, n);
	uint32_t ref = strmap_find(idx, t, s, n, h);
	struct skey *k;

	if (ref)
		return &key_at(idx, ref)->head;
	if ((t->count + 1) * 2 > t->cap) {
		struct stable *nt = stable_new(t->cap * 2);
		for (size_t i = 0; i < t->cap; i++) {
			uint64_t v = atomic_load_explicit(&t->slots[i], memory_order_relaxed);
			if (!v)
				continue;
			struct skey *o = key_at(idx, (uint32_t)v);
			stable_put(nt, hash_bytes(o->s, o->len), (uint32_t)v);
		}
		atomic_store_explicit(&m->tab, nt, memory_order_release);
		epoch_retire(&idx->ep, t, stable_free);
		t = nt;
	}
	ref = key_alloc(idx, n);
	if (!ref)
		return NULL;
	k = key_at(idx, ref);
	atomic_init(&k->head, 0);
	k->len = (uint32_t)n;
	memcpy(k->s, s, n);
	k->s[n] = '\0';
	m->keys++;
	m->key_bytes += (sizeof(*k) + n + 1 + 3) & ~(size_t)3;
	stable_put(t, h, ref);
	return &k->head;
}

/* ---------------------------------------------------------------- index */

struct index *index_new(void)
{
	struct index *idx = xcalloc(1, sizeof(*idx));

	epoch_init(&idx->ep);
	idx->ip4 = iptrie_new(4, &idx->ep);
	idx->ip6 = iptrie_new(6, &idx->ep);
	for (int k = OBS_DOMAIN; k < OBS_KIND_COUNT; k++)
		atomic_init(&idx->maps[k].tab, stable_new(1024));
	idx->pchunks = xcalloc(PCHUNK_MAX, sizeof(*idx->pchunks));
	idx->kchunks = xcalloc(KCHUNK_MAX, sizeof(*idx->kchunks));
	idx->npost = 1;
	atomic_init(&idx->published, 1);
	atomic_init(&idx->removed, NULL);
	return idx;
}

void index_free(struct index *idx)
{
	if (!idx)
		return;
	iptrie_free(idx->ip4);
	iptrie_free(idx->ip6);
	for (int k = OBS_DOMAIN; k < OBS_KIND_COUNT; k++)
		free(atomic_load_explicit(&idx->maps[k].tab, memory_order_relaxed));
	for (size_t i = 0; i < PCHUNK_MAX; i++)
		free(atomic_load_explicit(&idx->pchunks[i], memory_order_relaxed));
	for (size_t i = 0; i < KCHUNK_MAX; i++)
		free(atomic_load_explicit(&idx->kchunks[i], memory_order_relaxed));
	free(idx->pchunks);
	free(idx->kchunks);
	free(atomic_load_explicit(&idx->removed, memory_order_relaxed));
	epoch_release(&idx->ep);
	free(idx);
}

static struct pchunk *pchunk_of(const struct index *idx, uint32_t id)
{
	return atomic_load_explicit(&idx->pchunks[id >> PCHUNK_SHIFT], memory_order_acquire);
}

static bool is_map_kind(enum obs_kind k)
{
	return k == OBS_DOMAIN || k == OBS_URL || k == OBS_EMAIL || k == OBS_HASH || k == OBS_ASN;
}

int index_add(struct index *idx, const struct observable *o, uint64_t object_id, uint64_t report_id)
{
	_Atomic uint32_t *cell;
	uint32_t head, id;
	struct pchunk *c;

	if (idx->npost == UINT32_MAX)
		return ERR_TOO_LARGE;
	if (o->kind == OBS_IPV4)
		cell = iptrie_slot(idx->ip4, o->addr, o->prefix_len);
	else if (o->kind == OBS_IPV6)
		cell = iptrie_slot(idx->ip6, o->addr, o->prefix_len);
	else if (is_map_kind(o->kind))
		cell = strmap_slot(idx, &idx->maps[o->kind], o->value, o->len);
	else
		return ERR_INVALID;
	if (!cell)
		return ERR_TOO_LARGE;
	head = atomic_load_explicit(cell, memory_order_relaxed);
	if (head) {
		c = pchunk_of(idx, head);
		uint32_t i = head & (PCHUNK_SIZE - 1);
		if (c->p[i].obj == object_id && c->p[i].rep == report_id)
			return ERR_OK;
	}
	id = idx->npost;
	c = atomic_load_explicit(&idx->pchunks[id >> PCHUNK_SHIFT], memory_order_relaxed);
	if (!c) {
		c = xmalloc(sizeof(*c));
		atomic_store_explicit(&idx->pchunks[id >> PCHUNK_SHIFT], c, memory_order_release);
	}
	c->p[id & (PCHUNK_SIZE - 1)].obj = object_id;
	c->p[id & (PCHUNK_SIZE - 1)].rep = report_id;
	c->p[id & (PCHUNK_SIZE - 1)].next = head;
	atomic_store_explicit(cell, id, memory_order_release);
	idx->npost++;
	idx->postings[o->kind]++;
	return ERR_OK;
}

void index_publish(struct index *idx)
{
	iptrie_publish(idx->ip4);
	iptrie_publish(idx->ip6);
	atomic_store_explicit(&idx->published, idx->npost, memory_order_release);
	epoch_poll(&idx->ep);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool is_removed(const struct removed *r, uint64_t id)
{
	size_t lo = 0, hi;

	if (!r)
		return false;
	hi = r->n;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		if (r->ids[m] < id)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < r->n && r->ids[lo] == id;
}

void index_remove_report(struct index *idx, uint64_t report_id)
{
	struct removed *old = atomic_load_explicit(&idx->removed, memory_order_relaxed);
	size_t n = old ? old->n : 0;
	struct removed *r;

	if (is_removed(old, report_id))
		return;
	r = xmalloc(sizeof(*r) + (n + 1) * sizeof(r->ids[0]));
	if (n)
		memcpy(r->ids, old->ids, n * sizeof(r->ids[0]));
	r->ids[n] = report_id;
	r->n = n + 1;
	qsort(r->ids, r->n, sizeof(r->ids[0]), cmp_u64);
	atomic_store_explicit(&idx->removed, r, memory_order_release);
	if (old) {
		epoch_retire(&idx->ep, old, free);
	}
	epoch_poll(&idx->ep);
}

/* ---------------------------------------------------------------- lookup */

struct walk {
	struct index *idx;
	index_fn fn;
	void *ctx;
	uint32_t published;
	const struct removed *removed;
	long count;
	bool host; /* report every match as INDEX_HOST */
};

/* Reports every visible posting of the list at `head`; -1 when the callback stopped. */
static int walk_postings(struct walk *w, uint32_t head, enum obs_kind kind, enum index_rel rel,
			 const char *value, size_t len)
{
	struct index_match m = {
	    .kind = kind, .rel = w->host ? INDEX_HOST : rel, .value = value, .len = len};

	for (uint32_t id = head; id;) {
		const struct pchunk *c = pchunk_of(w->idx, id);
		uint32_t i = id & (PCHUNK_SIZE - 1);
		const struct posting *p = &c->p[i];
		uint32_t next = p->next;
		if (id < w->published && !is_removed(w->removed, p->rep)) {
			m.object_id = p->obj;
			m.report_id = p->rep;
			if (w->fn(&m, w->ctx))
				return -1;
			w->count++;
		}
		id = next;
	}
	return 0;
}

struct ipwalk {
	struct walk *w;
	int family;
};

static int ip_cb(void *ctx, const uint8_t addr[16], unsigned len, uint32_t handle,
		 enum iptrie_rel rel)
{
	struct ipwalk *iw = ctx;
	char text[OBS_IP_TEXT_MAX];
	size_t tl = observable_format_ip(iw->family, addr, len, text);
	static const enum index_rel map[] = {
	    [IPTRIE_EXACT] = INDEX_EXACT,
	    [IPTRIE_CONTAINS] = INDEX_CONTAINS,
	    [IPTRIE_WITHIN] = INDEX_WITHIN,
	};

	return walk_postings(iw->w, handle, iw->family == 4 ? OBS_IPV4 : OBS_IPV6, map[rel], text,
			     tl);
}

static int lookup_ip(struct walk *w, int family, const uint8_t addr[16], unsigned len)
{
	struct ipwalk iw = {w, family};
	long n = iptrie_lookup(family == 4 ? w->idx->ip4 : w->idx->ip6, addr, len, INDEX_WITHIN_MAX,
			       ip_cb, &iw);

	return n < 0 ? -1 : 0;
}

static int lookup_key(struct walk *w, enum obs_kind kind, const char *s, size_t n,
		      enum index_rel rel)
{
	const struct stable *t =
	    atomic_load_explicit(&w->idx->maps[kind].tab, memory_order_acquire);
	uint32_t ref = strmap_find(w->idx, t, s, n, hash_bytes(s, n));
	const struct skey *k;
	uint32_t head;

	if (!ref)
		return 0;
	k = key_at(w->idx, ref);
	head = atomic_load_explicit(&((struct skey *)k)->head, memory_order_acquire);
	return walk_postings(w, head, kind, rel, k->s, k->len);
}

/* The domain and its parents down to the registered domain. */
static int lookup_domain(struct walk *w, const char *d, size_t n, const char *registered)
{
	size_t rl = strlen(registered);
	size_t off = 0;

	if (lookup_key(w, OBS_DOMAIN, d, n, INDEX_EXACT))
		return -1;
	if (rl == 0 || rl >= n)
		return 0;
	while (off < n - rl) {
		const char *dot = memchr(d + off, '.', n - rl - off);
		if (!dot)
			break;
		off = (size_t)(dot - d) + 1;
		if (lookup_key(w, OBS_DOMAIN, d + off, n - off, INDEX_PARENT))
			return -1;
	}
	return 0;
}

long index_lookup(struct index *idx, const struct observable *o, index_fn fn, void *ctx)
{
	unsigned tok = epoch_enter(&idx->ep);
	struct walk w = {idx, fn, ctx, 0, NULL, 0, false};
	int rc = 0;

	w.published = atomic_load_explicit(&idx->published, memory_order_acquire);
	w.removed = atomic_load_explicit(&idx->removed, memory_order_acquire);
	switch (o->kind) {
	case OBS_IPV4:
	case OBS_IPV6:
		rc = lookup_ip(&w, o->kind == OBS_IPV4 ? 4 : 6, o->addr, o->prefix_len);
		break;
	case OBS_DOMAIN: rc = lookup_domain(&w, o->value, o->len, o->registered); break;
	case OBS_URL:
	case OBS_EMAIL:
		rc = lookup_key(&w, o->kind, o->value, o->len, INDEX_EXACT);
		if (rc || !o->host_len)
			break;
		w.host = true;
		if (o->family)
			rc = lookup_ip(&w, o->family, o->addr, o->family == 4 ? 32 : 128);
		else
			rc = lookup_domain(&w, o->value + o->host_off, o->host_len, o->registered);
		break;
	case OBS_HASH:
	case OBS_ASN: rc = lookup_key(&w, o->kind, o->value, o->len, INDEX_EXACT); break;
	case OBS_AUTO:
	case OBS_KIND_COUNT: break;
	}
	epoch_exit(&idx->ep, tok);
	return rc ? -1 : w.count;
}

void index_stats(const struct index *idx, struct index_stats *st)
{
	struct iptrie_stats ts;
	const struct removed *r = atomic_load_explicit(&idx->removed, memory_order_acquire);
	size_t posting_bytes = sizeof(struct posting);
	size_t trie_bytes;

	memset(st, 0, sizeof(*st));
	iptrie_stats(idx->ip4, &ts);
	st->kind[OBS_IPV4].keys = ts.keys + ts.pending;
	st->kind[OBS_IPV4].bytes = ts.bytes;
	trie_bytes = ts.bytes;
	iptrie_stats(idx->ip6, &ts);
	st->kind[OBS_IPV6].keys = ts.keys + ts.pending;
	st->kind[OBS_IPV6].bytes = ts.bytes;
	trie_bytes += ts.bytes;
	for (int k = OBS_DOMAIN; k < OBS_KIND_COUNT; k++) {
		const struct stable *t =
		    atomic_load_explicit(&idx->maps[k].tab, memory_order_acquire);
		st->kind[k].keys = idx->maps[k].keys;
		st->kind[k].bytes =
		    idx->maps[k].key_bytes + sizeof(*t) + t->cap * sizeof(t->slots[0]);
	}
	for (int k = 0; k < OBS_KIND_COUNT; k++) {
		st->kind[k].postings = idx->postings[k];
		st->kind[k].bytes += idx->postings[k] * posting_bytes;
	}
	st->removed_reports = r ? r->n : 0;
	st->bytes = sizeof(*idx) + PCHUNK_MAX * sizeof(void *) + KCHUNK_MAX * sizeof(void *) +
		    idx->kbytes + trie_bytes;
	st->bytes += (size_t)(((idx->npost - 1) >> PCHUNK_SHIFT) + 1) * sizeof(struct pchunk);
	for (int k = OBS_DOMAIN; k < OBS_KIND_COUNT; k++)
		st->bytes +=
		    st->kind[k].bytes - idx->maps[k].key_bytes - idx->postings[k] * posting_bytes;
}
