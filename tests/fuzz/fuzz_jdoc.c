/* libFuzzer target: any bytes through jdoc_parse. An accepted document must hold
 * what the header promises: NUL-terminated strings and keys of the stated length,
 * no NUL inside, no duplicate key in an object, and no nesting beyond the cap. */
#include "formats/jdoc.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_container(const struct jv *v)
{
	return v->type == JV_ARRAY || v->type == JV_OBJECT;
}

/* `depth`: containers open around v, v included when it is one */
static void walk(const struct jv *v, int depth, int max_depth)
{
	if (depth > max_depth)
		__builtin_trap();
	switch (v->type) {
	case JV_STRING:
		if (strlen(v->u.s) != v->n)
			__builtin_trap();
		break;
	case JV_ARRAY:
		for (size_t i = 0; i < v->n; i++)
			walk(jv_at(v, i), depth + is_container(jv_at(v, i)), max_depth);
		break;
	case JV_OBJECT:
		for (size_t i = 0; i < v->n; i++) {
			const struct jmember *m = jv_member(v, i);
			if (strlen(m->key) != m->key_len ||
			    jv_getn(v, m->key, m->key_len) != &m->value)
				__builtin_trap(); /* a second member with this key would be found
						     first */
			walk(&m->value, depth + is_container(&m->value), max_depth);
		}
		break;
	default: break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jdoc d;
	struct jdoc_error e;
	int max_depth = size ? data[0] % 8 + 1 : 1;

	/* a small cap so that the depth error is reached too */
	jdoc_init(&d, max_depth);
	const struct jv *v = jdoc_parse(&d, (const char *)data, size, &e);
	if (v) {
		walk(v, is_container(v), max_depth);
	} else if (e.position > size || !memchr(e.text, '\0', sizeof(e.text))) {
		__builtin_trap();
	}
	/* the same jdoc parses again (the arena is reused) */
	v = jdoc_parse(&d, "{\"a\":1}", 7, &e);
	if (!v || jv_int(jv_get(v, "a")) != 1)
		__builtin_trap();
	jdoc_release(&d);
	return 0;
}
