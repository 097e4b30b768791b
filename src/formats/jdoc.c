#include "formats/jdoc.h"

#include "util/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* Up to this many members, a new key is compared with the ones before it as it
 * arrives (the error then points at the key); larger objects are checked when they
 * close, by sorting, so a huge object cannot make the check quadratic. */
#define LINEAR_KEYS 32
/* Longest number text accepted (a double needs at most ~770 significant digits to
 * round exactly; no STIX property comes near). */
#define MAX_NUMBER 512

struct frame {
	size_t start; /* first entry of this container in the scratch stack */
	bool object;
};

/* Values of the containers still open, in order; closed containers move to the
 * arena in one copy, so a document costs one arena block, not a malloc per value. */
struct jdoc_stack {
	struct jmember *items;
	size_t n, cap;
	struct frame *frames;
	int depth;
	const struct jv *root;
	struct jv root_value;
	yajl_handle h;
	struct jdoc *doc;
	struct jdoc_error *err;
	bool failed;
};

void jdoc_init(struct jdoc *d, int max_depth)
{
	arena_init(&d->arena);
	arena_init(&d->parser);
	d->max_depth = max_depth > 0 ? max_depth : JDOC_MAX_DEPTH;
	d->stack = xcalloc(1, sizeof(*d->stack));
	d->stack->frames = xcalloc((size_t)d->max_depth, sizeof(*d->stack->frames));
	d->stack->doc = d;
}

void jdoc_release(struct jdoc *d)
{
	if (!d->stack)
		return;
	free(d->stack->items);
	free(d->stack->frames);
	free(d->stack);
	d->stack = NULL;
	arena_release(&d->arena);
	arena_release(&d->parser);
}

static int fail(struct jdoc_stack *s, const char *fmt, ...)
{
	va_list ap;
	s->failed = true;
	s->err->position = yajl_get_bytes_consumed(s->h);
	va_start(ap, fmt);
	vsnprintf(s->err->text, sizeof(s->err->text), fmt, ap);
	va_end(ap);
	return 0; /* stops yajl */
}

static struct jmember *push(struct jdoc_stack *s)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->items = xrealloc(s->items, s->cap * sizeof(*s->items));
	}
	return &s->items[s->n++];
}

static int add(struct jdoc_stack *s, struct jv v)
{
	if (s->depth == 0) {
		s->root_value = v;
		s->root = &s->root_value;
	} else if (s->frames[s->depth - 1].object) {
		s->items[s->n - 1].value = v; /* the key came first */
	} else {
		struct jmember *m = push(s);
		m->key = NULL;
		m->value = v;
	}
	return 1;
}

static int on_null(void *ctx)
{
	return add(ctx, (struct jv){.type = JV_NULL});
}

static int on_boolean(void *ctx, int b)
{
	return add(ctx, (struct jv){.type = b ? JV_TRUE : JV_FALSE});
}

static int on_number(void *ctx, const char *text, size_t len)
{
	struct jdoc_stack *s = ctx;
	char buf[MAX_NUMBER + 1];
	char *end;
	struct jv v;

	if (len > MAX_NUMBER)
		return fail(s, "number longer than %d characters", MAX_NUMBER);
	memcpy(buf, text, len);
	buf[len] = '\0';
	errno = 0;
	if (memchr(buf, '.', len) || memchr(buf, 'e', len) || memchr(buf, 'E', len)) {
		v.type = JV_REAL;
		v.u.d = strtod(buf, &end);
		if (errno == ERANGE && (v.u.d > 1 || v.u.d < -1))
			return fail(s, "number %.40s out of range", buf);
	} else {
		v.type = JV_INTEGER;
		v.u.i = strtoll(buf, &end, 10);
		if (errno == ERANGE)
			return fail(s, "integer %.40s out of range", buf);
	}
	v.n = 0;
	return add(s, v);
}

static int on_string(void *ctx, const unsigned char *text, size_t len)
{
	struct jdoc_stack *s = ctx;

	if (memchr(text, '\0', len))
		return fail(s, "string holds a NUL character (\\u0000)");
	if (len > UINT32_MAX)
		return fail(s, "string longer than 4 GiB");
	return add(s, (struct jv){.type = JV_STRING,
				  .n = (uint32_t)len,
				  .u.s = arena_strndup(&s->doc->arena, (const char *)text, len)});
}

static int open_container(struct jdoc_stack *s, bool object)
{
	if (s->depth >= s->doc->max_depth)
		return fail(s, "nested deeper than %d levels", s->doc->max_depth);
	s->frames[s->depth].start = s->n;
	s->frames[s->depth].object = object;
	s->depth++;
	return 1;
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, true);
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, false);
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct jdoc_stack *s = ctx;
	size_t start = s->frames[s->depth - 1].start;

	if (memchr(key, '\0', len))
		return fail(s, "key holds a NUL character (\\u0000)");
	if (s->n - start < LINEAR_KEYS)
		for (size_t i = start; i < s->n; i++)
			if (s->items[i].key_len == len && !memcmp(s->items[i].key, key, len))
				return fail(s, "duplicate key \"%.60s\"", s->items[i].key);
	if (len > UINT32_MAX)
		return fail(s, "key longer than 4 GiB");
	struct jmember *m = push(s);
	m->key = arena_strndup(&s->doc->arena, (const char *)key, len);
	m->key_len = (uint32_t)len;
	m->value.type = JV_NULL;
	return 1;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Members beyond LINEAR_KEYS were not compared as they arrived. */
static int check_many_keys(struct jdoc_stack *s, const struct jmember *m, size_t n)
{
	const char **keys = xmalloc(n * sizeof(*keys));
	int ok = 1;

	for (size_t i = 0; i < n; i++)
		keys[i] = m[i].key;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < n && ok; i++)
		if (!strcmp(keys[i - 1], keys[i]))
			ok = fail(s, "duplicate key \"%.60s\" in the object ending here", keys[i]);
	free(keys);
	return ok;
}

static int close_container(void *ctx)
{
	struct jdoc_stack *s = ctx;
	struct frame f = s->frames[--s->depth];
	size_t n = s->n - f.start;
	struct jv v = {.type = f.object ? JV_OBJECT : JV_ARRAY, .n = (uint32_t)n};

	if (n > UINT32_MAX)
		return fail(s, "container with more than 2^32 elements");
	if (f.object) {
		if (n > LINEAR_KEYS && !check_many_keys(s, s->items + f.start, n))
			return 0;
		struct jmember *m = n ? arena_alloc(&s->doc->arena, n * sizeof(*m)) : NULL;
		if (n)
			memcpy(m, s->items + f.start, n * sizeof(*m));
		v.u.members = m;
	} else {
		struct jv *items = n ? arena_alloc(&s->doc->arena, n * sizeof(*items)) : NULL;
		for (size_t i = 0; i < n; i++)
			items[i] = s->items[f.start + i].value;
		v.u.items = items;
	}
	s->n = f.start;
	return add(s, v);
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = close_container,
    .yajl_start_array = on_start_array,
    .yajl_end_array = close_container,
};

/* yajl allocates its handle, lexer and buffers for every document: from an arena
 * reset between documents instead of malloc. A block remembers its size for realloc. */
static void *parser_malloc(void *ctx, size_t n)
{
	size_t *p = arena_alloc(ctx, n + 16);
	*p = n;
	return (char *)p + 16;
}

static void *parser_realloc(void *ctx, void *old, size_t n)
{
	if (!old)
		return parser_malloc(ctx, n);
	size_t was = *(size_t *)((char *)old - 16);
	if (n <= was)
		return old;
	void *p = parser_malloc(ctx, n);
	memcpy(p, old, was);
	return p;
}

static void parser_free(void *ctx, void *p)
{
	(void)ctx;
	(void)p; /* the arena goes at the next parse */
}

/* yajl's own message ("parse error: invalid object key (must be a string)\n"),
 * without its prefix and line end. */
static void yajl_message(yajl_handle h, const char *text, size_t len, struct jdoc_error *e)
{
	unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)text, len);
	const char *m = msg ? (const char *)msg : "malformed JSON";
	const char *colon = strstr(m, "error: ");

	if (colon)
		m = colon + 7;
	snprintf(e->text, sizeof(e->text), "%s", m);
	size_t n = strlen(e->text);
	while (n && (e->text[n - 1] == '\n' || e->text[n - 1] == ' ' || e->text[n - 1] == '.'))
		e->text[--n] = '\0';
	if (msg)
		yajl_free_error(h, msg);
}

const struct jv *jdoc_parse(struct jdoc *d, const char *text, size_t len, struct jdoc_error *e)
{
	struct jdoc_stack *s = d->stack;
	yajl_status st;

	arena_reset(&d->arena);
	arena_reset(&d->parser);
	s->n = 0;
	s->depth = 0;
	s->root = NULL;
	s->failed = false;
	s->err = e;
	yajl_alloc_funcs mem = {parser_malloc, parser_realloc, parser_free, &d->parser};
	s->h = yajl_alloc(&callbacks, &mem, s);
	if (!s->h)
		abort(); /* out of memory, as xmalloc */
	st = yajl_parse(s->h, (const unsigned char *)text, len);
	if (st != yajl_status_ok && !s->failed) {
		e->position = yajl_get_bytes_consumed(s->h);
		yajl_message(s->h, text, len, e);
	} else if (st == yajl_status_ok) {
		st = yajl_complete_parse(s->h);
		if (st != yajl_status_ok && !s->failed) {
			e->position = len; /* what is missing is missing at the end */
			yajl_message(s->h, text, len, e);
		}
	}
	yajl_free(s->h);
	s->h = NULL;
	if (st != yajl_status_ok)
		return NULL;
	if (!s->root) {
		e->position = len;
		snprintf(e->text, sizeof(e->text), "no JSON value");
		return NULL;
	}
	return s->root;
}

const struct jv *jv_getn(const struct jv *o, const char *key, size_t len)
{
	if (!jv_is_object(o))
		return NULL;
	for (uint32_t i = 0; i < o->n; i++) {
		const struct jmember *m = &o->u.members[i];
		if (m->key_len == len && !memcmp(m->key, key, len))
			return &m->value;
	}
	return NULL;
}

const struct jv *jv_get(const struct jv *o, const char *key)
{
	return jv_getn(o, key, strlen(key));
}
