/* STIX 2.1 at bundle level: the set of (id, modified) pairs seen, which finds
 * duplicates in one pass, and the validation of a whole bundle in a buffer
 * (stix.h). The objects themselves are checked by stix.c. */
#include "formats/stix.h"

#include "formats/bundle_stream.h"
#include "util/err.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <sodium.h>

/* ---- duplicates -------------------------------------------------------------------- */

/* 16 bytes: 96 bits of the hash (collisions need ~2^48 objects) and the index. */
struct seen_entry {
	uint64_t h1; /* 0 marks an empty slot */
	uint32_t h2;
	uint32_t index;
};

struct stix_seen {
	struct seen_entry *slots;
	size_t cap, used;
};

/* SipHash with a key drawn at start: a sender cannot choose ids that collide in
 * the table (which would make the linear probing quadratic). */
static unsigned char seen_secret[crypto_shorthash_siphashx24_KEYBYTES];
static pthread_once_t seen_once = PTHREAD_ONCE_INIT;

static void seen_init(void)
{
	if (sodium_init() < 0)
		abort();
	randombytes_buf(seen_secret, sizeof(seen_secret));
}

void stix_seen_key(const char *id, size_t id_len, int64_t modified_ms, uint64_t key[2])
{
	unsigned char in[320], out[crypto_shorthash_siphashx24_BYTES];
	size_t n = id_len < sizeof(in) - 8 ? id_len : sizeof(in) - 8;

	pthread_once(&seen_once, seen_init);
	memcpy(in, id, n);
	memcpy(in + n, &modified_ms, 8);
	crypto_shorthash_siphashx24(out, in, n + 8, seen_secret);
	memcpy(key, out, 16);
	key[0] |= 1; /* 0 marks an empty slot */
}

struct stix_seen *stix_seen_new(void)
{
	struct stix_seen *s = xcalloc(1, sizeof(*s));

	s->cap = 1024;
	s->slots = xcalloc(s->cap, sizeof(*s->slots));
	return s;
}

void stix_seen_free(struct stix_seen *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s);
}

static struct seen_entry *seen_find(struct seen_entry *slots, size_t cap, uint64_t h1, uint32_t h2)
{
	size_t i = (size_t)(h1 & (cap - 1));

	while (slots[i].h1 && !(slots[i].h1 == h1 && slots[i].h2 == h2))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

void stix_seen_prefetch(const struct stix_seen *s, const uint64_t key[2])
{
	__builtin_prefetch(&s->slots[key[0] & (s->cap - 1)], 1);
}

bool stix_seen_add(struct stix_seen *s, const uint64_t key[2], size_t index, size_t *first)
{
	uint64_t h1 = key[0];
	uint32_t h2 = (uint32_t)key[1];
	struct seen_entry *e;

	if ((s->used + 1) * 4 > s->cap * 3) {
		size_t ncap = s->cap * 2;
		struct seen_entry *n = xcalloc(ncap, sizeof(*n));
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i].h1)
				*seen_find(n, ncap, s->slots[i].h1, s->slots[i].h2) = s->slots[i];
		free(s->slots);
		s->slots = n;
		s->cap = ncap;
	}
	e = seen_find(s->slots, s->cap, h1, h2);
	if (e->h1) {
		if (first)
			*first = e->index;
		return true;
	}
	e->h1 = h1;
	e->h2 = h2;
	e->index = index > UINT32_MAX ? UINT32_MAX : (uint32_t)index;
	s->used++;
	return false;
}

/* ---- whole buffers ----------------------------------------------------------------- */

struct buffer_ctx {
	struct bundle_stream *stream;
	struct stix_seen *seen;
	struct jdoc doc;
	struct stix_bundle_counts counts;
	int tlp;
	struct err_detail *err;
};

int stix_check_duplicate(struct stix_seen *seen, const uint64_t key[2], const char *id,
			 size_t id_len, size_t index, struct err_detail *err)
{
	size_t first;
	if (!stix_seen_add(seen, key, index, &first))
		return ERR_OK;
	char field[40];
	snprintf(field, sizeof(field), "objects[%zu]", index);
	return err_set(err, ERR_INVALID, field,
		       "objects[%zu] (%.*s): same id and modified as "
		       "objects[%zu]",
		       index, (int)(id_len < 100 ? id_len : 100), id, first);
}

int stix_check_bundle_element(struct jdoc *doc, struct stix_seen *seen, const char *obj_json,
			      size_t len, size_t index, size_t at, struct stix_object_info *info,
			      struct err_detail *err)
{
	struct jdoc_error jerr;
	const struct jv *obj;
	int rc;

	obj = jdoc_parse(doc, obj_json, len, &jerr);
	if (!obj) {
		char field[40];
		snprintf(field, sizeof(field), "objects[%zu]", index);
		return err_set(err, ERR_SYNTAX, field, "byte %zu: %s: malformed JSON: %s",
			       at + jerr.position, field, jerr.text);
	}
	rc = stix_validate_object(obj, index, info, err);
	if (!rc) {
		size_t n = strlen(info->id);
		stix_seen_key(info->id, n, info->modified_ms, info->seen_key);
		if (seen)
			rc = stix_check_duplicate(seen, info->seen_key, info->id, n, index, err);
	}
	return rc;
}

static int on_object(void *p, const char *obj_json, size_t len, size_t index)
{
	struct buffer_ctx *c = p;
	struct stix_object_info info;
	int rc = stix_check_bundle_element(&c->doc, c->seen, obj_json, len, index,
					   bundle_stream_object_offset(c->stream), &info, c->err);
	if (rc)
		return rc;
	c->counts.objects++;
	c->counts.by_kind[info.kind]++;
	if (info.tlp != TLP_NONE && (int)info.tlp > c->tlp)
		c->tlp = (int)info.tlp;
	return ERR_OK;
}

int stix_validate_bundle_buffer(const char *data, size_t len, size_t max_object_bytes,
				struct stix_bundle_counts *counts, struct err_detail *err)
{
	struct buffer_ctx c = {.tlp = -1, .err = err};
	struct bundle_stream *s = bundle_stream_new(max_object_bytes);
	int rc;

	c.stream = s;
	c.seen = stix_seen_new();
	jdoc_init(&c.doc, BUNDLE_STREAM_MAX_DEPTH);
	rc = bundle_stream_feed(s, data, len, on_object, &c, err);
	if (rc)
		goto out;
	rc = bundle_stream_finish(s, err);
	if (rc)
		goto out;
	c.counts.tlp = c.tlp < 0 ? TLP_NONE : (enum tlp)c.tlp;
	if (counts)
		*counts = c.counts;
out:
	stix_seen_free(c.seen);
	jdoc_release(&c.doc);
	bundle_stream_free(s);
	return rc;
}
