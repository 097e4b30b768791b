/* Byte scanner for STIX bundles: see bundle_stream.h and docs/internals/stix.md. */
#include "formats/bundle_stream.h"

#include "formats/stix.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/xalloc.h"

#include <jansson.h>

#define DEFAULT_MAX_OBJECT ((size_t)64 << 20)
#define MAX_KEY_BYTES 1024

enum state {
	ST_START,	/* before the opening '{' */
	ST_KEY_OR_END,	/* after '{': a key or '}' */
	ST_KEY,		/* after ',': a key */
	ST_COLON,	/* after a key */
	ST_VALUE,	/* after ':' */
	ST_CAPTURE,	/* inside a captured value (key, object, top-level value) */
	ST_AFTER_VALUE, /* after a top-level value: ',' or '}' */
	ST_ARR_FIRST,	/* after "objects":[ */
	ST_ARR_NEXT,	/* after an element: ',' or ']' */
	ST_ARR_ELEM,	/* after ',' in objects: an element */
	ST_DONE,	/* after the closing '}': only white space */
	ST_FAILED,
};

enum capture { CAP_KEY, CAP_OBJECT, CAP_VALUE };
enum key { KEY_TYPE, KEY_ID, KEY_OBJECTS, KEY_OTHER };

struct bundle_stream {
	enum state st;
	int failed_code;
	size_t off; /* bytes consumed before the current chunk */
	size_t max_object;
	size_t count;

	/* the value being captured */
	enum capture what;
	struct buf cap;
	int depth;
	uint64_t brackets; /* bit d-1 set: the bracket open at depth d is '[' */
	bool in_str, esc, scalar;
	size_t cap_off; /* offset where the capture began */

	enum key key;
	bool key_spec_version; /* the KEY_OTHER being read is "spec_version" */
	bool seen_type, seen_id, seen_objects;
	char id[128];
	struct buf others; /* names of other top-level keys seen, NUL-separated */
};

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int fail(struct bundle_stream *s, struct err_detail *err, int code, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(struct bundle_stream *s, struct err_detail *err, int code, const char *field,
		const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->st = ST_FAILED;
	s->failed_code = code;
	return err_set(err, code, field, "%s", msg);
}

struct bundle_stream *bundle_stream_new(size_t max_object_bytes)
{
	struct bundle_stream *s = xcalloc(1, sizeof(*s));

	s->max_object = max_object_bytes ? max_object_bytes : DEFAULT_MAX_OBJECT;
	buf_init(&s->cap, s->max_object);
	buf_init(&s->others, 64 * 1024);
	s->st = ST_START;
	return s;
}

void bundle_stream_free(struct bundle_stream *s)
{
	if (!s)
		return;
	buf_release(&s->cap);
	buf_release(&s->others);
	free(s);
}

size_t bundle_stream_count(const struct bundle_stream *s)
{
	return s->count;
}

size_t bundle_stream_object_offset(const struct bundle_stream *s)
{
	return s->cap_off;
}

const char *bundle_stream_id(const struct bundle_stream *s)
{
	return s->seen_id ? s->id : NULL;
}

static void begin_capture(struct bundle_stream *s, enum capture what, size_t abs_off,
			  unsigned char first)
{
	s->what = what;
	s->cap_off = abs_off;
	buf_reset(&s->cap);
	s->depth = 0;
	s->brackets = 0;
	s->in_str = false;
	s->esc = false;
	s->scalar = false;
	if (first == '"')
		s->in_str = true;
	else if (first == '{' || first == '[')
		s->depth = 1, s->brackets = first == '[';
	else
		s->scalar = true;
}

/* Scans the captured value from p[0]; the first byte of the value was already seen
 * by begin_capture and is at p[-1] for the first chunk. Returns how many bytes of p
 * belong to the value; *done when the value ended there. -1 on the depth cap, -2 - i
 * on a closing bracket at p[i] that does not match the open one. */
static ptrdiff_t scan(struct bundle_stream *s, const unsigned char *p, size_t n, bool *done)
{
	size_t i = 0;

	*done = false;
	if (s->scalar) {
		while (i < n && !is_ws(p[i]) && p[i] != ',' && p[i] != '}' && p[i] != ']')
			i++;
		*done = i < n;
		return (ptrdiff_t)i;
	}
	while (i < n) {
		if (s->in_str) {
			if (s->esc) {
				s->esc = false;
				i++;
				continue;
			}
			while (i < n && p[i] != '"' && p[i] != '\\')
				i++;
			if (i == n)
				break;
			if (p[i] == '\\') {
				s->esc = true;
				i++;
				continue;
			}
			s->in_str = false;
			i++;
			if (s->depth == 0) {
				*done = true;
				return (ptrdiff_t)i;
			}
			continue;
		}
		/* outside strings: only quotes and brackets matter */
		while (i < n) {
			unsigned char c = p[i];
			if (c == '"' || c == '{' || c == '[' || c == '}' || c == ']')
				break;
			i++;
		}
		if (i == n)
			break;
		switch (p[i++]) {
		case '"': s->in_str = true; break;
		case '{':
		case '[':
			if (++s->depth > BUNDLE_STREAM_MAX_DEPTH)
				return -1;
			if (p[i - 1] == '[')
				s->brackets |= (uint64_t)1 << (s->depth - 1);
			else
				s->brackets &= ~((uint64_t)1 << (s->depth - 1));
			break;
		default:
			if (((s->brackets >> (s->depth - 1)) & 1) != (p[i - 1] == ']'))
				return -2 - (ptrdiff_t)(i - 1);
			if (--s->depth == 0) {
				*done = true;
				return (ptrdiff_t)i;
			}
		}
	}
	return (ptrdiff_t)i;
}

static void field_for(struct bundle_stream *s, char *field, size_t n)
{
	if (s->st == ST_CAPTURE && s->what == CAP_OBJECT)
		snprintf(field, n, "objects[%zu]", s->count);
	else
		field[0] = '\0';
}

/* Decodes a captured JSON value. Returns NULL if it is not valid JSON. */
static json_t *load_value(const char *p, size_t n)
{
	json_error_t jerr;

	return json_loadb(p, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
}

static bool custom_name_ok(const char *k)
{
	size_t n = strlen(k);

	if (n < 3 || n > 250)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return false;
	return true;
}

/* A complete captured value: p/n are its bytes. */
static int complete(struct bundle_stream *s, const char *p, size_t n, bundle_stream_cb cb,
		    void *ctx, struct err_detail *err)
{
	json_t *v = NULL;
	int rc = ERR_OK;
	size_t at = s->cap_off;

	switch (s->what) {
	case CAP_OBJECT:
		if (n > s->max_object) {
			char field[40];
			snprintf(field, sizeof(field), "objects[%zu]", s->count);
			return fail(s, err, ERR_TOO_LARGE, field,
				    "byte %zu: %s larger than %zu bytes", at, field, s->max_object);
		}
		rc = cb ? cb(ctx, p, n, s->count) : 0;
		s->count++;
		if (rc) {
			s->st = ST_FAILED;
			s->failed_code = rc;
			return rc;
		}
		s->st = ST_ARR_NEXT;
		return ERR_OK;
	case CAP_KEY: {
		const char *k;
		if (n > MAX_KEY_BYTES)
			return fail(s, err, ERR_TOO_LARGE, "",
				    "byte %zu: bundle: property name too long", at);
		v = load_value(p, n);
		if (!v || !json_is_string(v)) {
			json_decref(v);
			return fail(s, err, ERR_SYNTAX, "",
				    "byte %zu: bundle: malformed property name", at);
		}
		k = json_string_value(v);
		if (!strcmp(k, "type"))
			s->key = KEY_TYPE;
		else if (!strcmp(k, "id"))
			s->key = KEY_ID;
		else if (!strcmp(k, "objects"))
			s->key = KEY_OBJECTS;
		else
			s->key = KEY_OTHER;
		s->key_spec_version = !strcmp(k, "spec_version");
		if ((s->key == KEY_TYPE && s->seen_type) || (s->key == KEY_ID && s->seen_id) ||
		    (s->key == KEY_OBJECTS && s->seen_objects)) {
			rc = fail(s, err, ERR_INVALID, k,
				  "byte %zu: bundle: duplicate property \"%s\"", at, k);
			goto out;
		}
		if (s->key == KEY_OTHER) {
			/* the names are short: a linear search is fine for the few there are */
			const char *q = s->others.data, *end = q ? q + s->others.len : NULL;
			if (!custom_name_ok(k)) {
				rc = fail(s, err, ERR_INVALID, "",
					  "byte %zu: bundle: property name \"%.64s\" "
					  "does not match ^[a-z0-9_]{3,250}$",
					  at, k);
				goto out;
			}
			for (; q && q < end; q += strlen(q) + 1) {
				if (!strcmp(q, k)) {
					rc = fail(s, err, ERR_INVALID, k,
						  "byte %zu: bundle: duplicate "
						  "property \"%s\"",
						  at, k);
					goto out;
				}
			}
			if (buf_add(&s->others, k, strlen(k) + 1)) {
				rc = fail(s, err, ERR_TOO_LARGE, "",
					  "byte %zu: bundle: too many top-level "
					  "properties",
					  at);
				goto out;
			}
		}
		s->st = ST_COLON;
		goto out;
	}
	case CAP_VALUE:
		v = load_value(p, n);
		if (!v) {
			rc = fail(s, err, ERR_SYNTAX, "", "byte %zu: bundle: malformed JSON value",
				  at);
			goto out;
		}
		if (s->key == KEY_TYPE) {
			s->seen_type = true;
			if (!json_is_string(v) || strcmp(json_string_value(v), "bundle")) {
				rc = fail(s, err, ERR_INVALID, "type", "type: must be \"bundle\"");
				goto out;
			}
		} else if (s->key == KEY_ID) {
			const char *id = json_string_value(v);
			size_t idn = json_string_length(v);
			s->seen_id = true;
			if (!id || idn >= sizeof(s->id) || !stix_id_valid(id, idn, "bundle")) {
				rc = fail(s, err, ERR_INVALID, "id",
					  "id: not a bundle identifier "
					  "(bundle--<uuid>)");
				goto out;
			}
			memcpy(s->id, id, idn + 1);
		} else if (s->key == KEY_OTHER && s->key_spec_version && json_is_string(v) &&
			   !strcmp(json_string_value(v), "2.0")) {
			/* a STIX 2.0 bundle (2.1 dropped the bundle's spec_version) */
			rc = fail(s, err, ERR_INVALID, "spec_version",
				  "byte %zu: spec_version: " STIX20_REFUSED, at);
			goto out;
		} else if (s->key == KEY_OBJECTS) {
			/* "objects" is never captured: see ST_VALUE */
			rc = fail(s, err, ERR_INTERNAL, "objects", "objects: internal state error");
			goto out;
		}
		s->st = ST_AFTER_VALUE;
		goto out;
	}
out:
	json_decref(v);
	return rc;
}

int bundle_stream_feed(struct bundle_stream *s, const void *data, size_t len, bundle_stream_cb cb,
		       void *ctx, struct err_detail *err)
{
	const unsigned char *p = data;
	size_t i = 0;
	int rc = ERR_OK;

	if (s->st == ST_FAILED)
		return s->failed_code;
	while (i < len) {
		unsigned char c = p[i];
		size_t at = s->off + i;

		if (s->st == ST_CAPTURE) {
			size_t start = i;
			bool done;
			ptrdiff_t k = scan(s, p + i, len - i, &done);
			char field[40];

			if (k <= -2) {
				field_for(s, field, sizeof(field));
				return fail(s, err, ERR_SYNTAX, field,
					    "byte %zu: %s%smismatched '%c'",
					    s->off + i + (size_t)(-2 - k), field,
					    field[0] ? ": " : "", p[i + (size_t)(-2 - k)]);
			}
			if (k < 0) {
				field_for(s, field, sizeof(field));
				return fail(s, err, ERR_TOO_LARGE, field,
					    "byte %zu: %s%snested deeper "
					    "than %d levels",
					    s->off + i, field, field[0] ? ": " : "",
					    BUNDLE_STREAM_MAX_DEPTH);
			}
			i += (size_t)k;
			if (!done || s->cap.len) {
				/* keep the first byte too when the capture began in this chunk */
				size_t from = start;
				if (s->cap_off >= s->off && s->cap.len == 0)
					from = s->cap_off - s->off;
				if (buf_add(&s->cap, p + from, i - from)) {
					field_for(s, field, sizeof(field));
					return fail(s, err, ERR_TOO_LARGE, field,
						    "byte %zu: %s larger "
						    "than %zu bytes",
						    s->cap_off, field[0] ? field : "bundle: value",
						    s->cap.max);
				}
				if (s->what == CAP_KEY && s->cap.len > MAX_KEY_BYTES)
					return fail(s, err, ERR_TOO_LARGE, "",
						    "byte %zu: bundle: "
						    "property name too long",
						    s->cap_off);
			}
			if (!done)
				break;
			if (s->cap.len)
				rc = complete(s, s->cap.data, s->cap.len, cb, ctx, err);
			else
				rc = complete(s, (const char *)p + (s->cap_off - s->off),
					      s->off + i - s->cap_off, cb, ctx, err);
			if (rc)
				return rc;
			continue;
		}
		if (is_ws(c)) {
			i++;
			continue;
		}
		switch (s->st) {
		case ST_START:
			if (c != '{')
				return fail(s, err, ERR_SYNTAX, "",
					    "byte %zu: bundle: expected '{' at "
					    "the start of the bundle",
					    at);
			s->st = ST_KEY_OR_END;
			break;
		case ST_KEY_OR_END:
		case ST_KEY:
			if (c == '}' && s->st == ST_KEY_OR_END) {
				s->st = ST_DONE;
				break;
			}
			if (c != '"')
				return fail(s, err, ERR_SYNTAX, "",
					    "byte %zu: bundle: expected a "
					    "property name",
					    at);
			begin_capture(s, CAP_KEY, at, c);
			s->st = ST_CAPTURE;
			break;
		case ST_COLON:
			if (c != ':')
				return fail(s, err, ERR_SYNTAX, "",
					    "byte %zu: bundle: expected ':'", at);
			s->st = ST_VALUE;
			break;
		case ST_VALUE:
			if (s->key == KEY_OBJECTS) {
				s->seen_objects = true;
				if (c != '[')
					return fail(s, err, ERR_INVALID, "objects",
						    "byte %zu: objects: "
						    "not an array",
						    at);
				s->st = ST_ARR_FIRST;
				break;
			}
			begin_capture(s, CAP_VALUE, at, c);
			s->st = ST_CAPTURE;
			break;
		case ST_AFTER_VALUE:
			if (c == ',')
				s->st = ST_KEY;
			else if (c == '}')
				s->st = ST_DONE;
			else
				return fail(s, err, ERR_SYNTAX, "",
					    "byte %zu: bundle: expected ',' or "
					    "'}'",
					    at);
			break;
		case ST_ARR_FIRST:
			if (c == ']')
				return fail(s, err, ERR_INVALID, "objects",
					    "byte %zu: objects: empty "
					    "array (leave it out when there is nothing to send)",
					    at);
			/* fall through */
		case ST_ARR_ELEM:
			if (c != '{') {
				char field[40];
				snprintf(field, sizeof(field), "objects[%zu]", s->count);
				return fail(s, err, ERR_INVALID, field,
					    "byte %zu: %s: not an object", at, field);
			}
			begin_capture(s, CAP_OBJECT, at, c);
			s->st = ST_CAPTURE;
			break;
		case ST_ARR_NEXT:
			if (c == ',')
				s->st = ST_ARR_ELEM;
			else if (c == ']')
				s->st = ST_AFTER_VALUE;
			else
				return fail(s, err, ERR_SYNTAX, "",
					    "byte %zu: objects: expected ',' or "
					    "']' after objects[%zu]",
					    at, s->count - 1);
			break;
		case ST_DONE:
			return fail(s, err, ERR_SYNTAX, "",
				    "byte %zu: bundle: data after the end of "
				    "the bundle",
				    at);
		case ST_CAPTURE:
		case ST_FAILED:
			return fail(s, err, ERR_INTERNAL, "", "bundle: internal state error");
		}
		i++;
	}
	if (s->st == ST_CAPTURE && s->cap.len == 0 && s->cap_off >= s->off) {
		/* the capture began with the last byte(s) of this chunk */
		if (buf_add(&s->cap, p + (s->cap_off - s->off), len - (s->cap_off - s->off)))
			return fail(s, err, ERR_TOO_LARGE, "", "byte %zu: value too large",
				    s->cap_off);
	}
	s->off += len;
	return ERR_OK;
}

int bundle_stream_finish(struct bundle_stream *s, struct err_detail *err)
{
	if (s->st == ST_FAILED)
		return s->failed_code;
	if (s->st != ST_DONE) {
		if (s->st == ST_CAPTURE && s->what == CAP_OBJECT)
			return fail(s, err, ERR_SYNTAX, "",
				    "byte %zu: objects[%zu]: unexpected end "
				    "of the bundle",
				    s->off, s->count);
		if (s->st == ST_START)
			return fail(s, err, ERR_SYNTAX, "", "byte %zu: bundle: empty body", s->off);
		return fail(s, err, ERR_SYNTAX, "",
			    "byte %zu: bundle: unexpected end of the bundle", s->off);
	}
	if (!s->seen_type)
		return fail(s, err, ERR_INVALID, "type", "type: required property missing");
	if (!s->seen_id)
		return fail(s, err, ERR_INVALID, "id", "id: required property missing");
	return ERR_OK;
}
