/* A read-only JSON document for the intake's hot path: yajl lexes the text, and
 * the values are laid out in an arena that is reused from one document to the next.
 *
 * Why not jansson here: a jansson tree costs a malloc per value and a hash table per
 * object, and parsing each STIX object with it took most of the intake's CPU
 * (docs/internals/intake.md). jansson stays everywhere a tree is built or written.
 *
 * A jdoc belongs to one thread at a time; the values it returns live until the next
 * jdoc_parse() or jdoc_release() on it.
 */
#ifndef ATALAYA_JDOC_H
#define ATALAYA_JDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

enum jv_type { JV_NULL, JV_FALSE, JV_TRUE, JV_INTEGER, JV_REAL, JV_STRING, JV_ARRAY, JV_OBJECT };

struct jmember;

struct jv {
	enum jv_type type;
	uint32_t n; /* bytes of a string (without the NUL); elements of an array or object */
	union {
		const char *s; /* NUL-terminated; holds no NUL (those are refused) */
		int64_t i;
		double d;
		const struct jv *items;
		const struct jmember *members; /* in document order */
	} u;
};

struct jmember {
	const char *key; /* NUL-terminated */
	uint32_t key_len;
	struct jv value;
};

/* Nesting allowed by default (the outermost value is depth 1). */
#define JDOC_MAX_DEPTH 64

struct jdoc_stack;
struct jdoc {
	struct arena arena;
	struct arena parser; /* yajl's own allocations, dropped after each parse */
	struct jdoc_stack *stack;
	int max_depth;
};

struct jdoc_error {
	size_t position; /* byte offset in the text where the error was found */
	char text[160];	 /* lowercase, no trailing period: "duplicate key \"count\"" */
};

void jdoc_init(struct jdoc *d, int max_depth);
void jdoc_release(struct jdoc *d);

/* Parses exactly one JSON value filling text[0..len) (whitespace around it allowed).
 * Refuses invalid UTF-8, a NUL in a string or key, duplicate keys in an object,
 * integers outside int64 and nesting deeper than the jdoc's max_depth. Returns the
 * root, or NULL with `e` filled. The previous document of `d` is gone. */
const struct jv *jdoc_parse(struct jdoc *d, const char *text, size_t len, struct jdoc_error *e);

/* Member `key` of an object; NULL when `o` is NULL, not an object, or lacks it. */
const struct jv *jv_get(const struct jv *o, const char *key);
/* The same with a key of `len` bytes, not NUL-terminated. */
const struct jv *jv_getn(const struct jv *o, const char *key, size_t len);

static inline bool jv_is_object(const struct jv *v)
{
	return v && v->type == JV_OBJECT;
}
static inline bool jv_is_array(const struct jv *v)
{
	return v && v->type == JV_ARRAY;
}
static inline bool jv_is_string(const struct jv *v)
{
	return v && v->type == JV_STRING;
}
static inline bool jv_is_integer(const struct jv *v)
{
	return v && v->type == JV_INTEGER;
}
static inline bool jv_is_number(const struct jv *v)
{
	return v && (v->type == JV_INTEGER || v->type == JV_REAL);
}
static inline bool jv_is_boolean(const struct jv *v)
{
	return v && (v->type == JV_TRUE || v->type == JV_FALSE);
}
static inline bool jv_is_true(const struct jv *v)
{
	return v && v->type == JV_TRUE;
}
/* The string, or NULL when `v` is not a string. */
static inline const char *jv_str(const struct jv *v)
{
	return jv_is_string(v) ? v->u.s : NULL;
}
/* Bytes of a string; 0 for anything else. */
static inline size_t jv_strlen(const struct jv *v)
{
	return jv_is_string(v) ? v->n : 0;
}
/* Elements of an array or members of an object; 0 for anything else. */
static inline size_t jv_size(const struct jv *v)
{
	return jv_is_array(v) || jv_is_object(v) ? v->n : 0;
}
/* Element i of an array; NULL when out of range or not an array. */
static inline const struct jv *jv_at(const struct jv *a, size_t i)
{
	return jv_is_array(a) && i < a->n ? &a->u.items[i] : NULL;
}
/* Member i of an object (document order); NULL when out of range. */
static inline const struct jmember *jv_member(const struct jv *o, size_t i)
{
	return jv_is_object(o) && i < o->n ? &o->u.members[i] : NULL;
}
static inline int64_t jv_int(const struct jv *v)
{
	return jv_is_integer(v) ? v->u.i : 0;
}
/* An integer or a real as a double; 0 for anything else. */
static inline double jv_number(const struct jv *v)
{
	if (!v)
		return 0;
	return v->type == JV_INTEGER ? (double)v->u.i : v->type == JV_REAL ? v->u.d : 0;
}

/* for (each element e of array a, at index i) */
#define jv_array_foreach(a, i, e)                                                                  \
	for ((i) = 0; (i) < jv_size(a) && ((e) = &(a)->u.items[i], 1); (i)++)
/* for (each member k: v of object o, at index i), in document order */
#define jv_object_foreach(o, i, k, v)                                                              \
	for ((i) = 0;                                                                              \
	     (i) < jv_size(o) && ((k) = (o)->u.members[i].key, (v) = &(o)->u.members[i].value, 1); \
	     (i)++)

#endif
