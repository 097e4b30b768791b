/* The STIX 2.1 patterning language (STIX 2.1 section 9): a parser to a small tree and a
 * walk over its comparisons, which the observable index uses to pull out indicators
 * (ipv4-addr:value, domain-name:value, url:value, file:hashes.'SHA-256', ...).
 *
 * Pure functions; any thread may call them; a parsed pattern is read-only and may be
 * shared between threads.
 */
#ifndef ATALAYA_STIX_PATTERN_H
#define ATALAYA_STIX_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

struct err_detail;
struct stix_pattern;

/* Caps against stack exhaustion and abuse; over them, ERR_TOO_LARGE. */
#define STIX_PATTERN_MAX_LEN (256 * 1024) /* bytes of pattern text */
#define STIX_PATTERN_MAX_DEPTH 64	  /* nested brackets and parentheses */

enum stix_pattern_op {
	STIX_OP_EQ,
	STIX_OP_NEQ,
	STIX_OP_GT,
	STIX_OP_LT,
	STIX_OP_GE,
	STIX_OP_LE,
	STIX_OP_IN,
	STIX_OP_LIKE,
	STIX_OP_MATCHES,
	STIX_OP_ISSUBSET,
	STIX_OP_ISSUPERSET,
	STIX_OP_EXISTS,
};

enum stix_literal_kind {
	STIX_LIT_STRING,    /* text: the value with \' and \\ undone */
	STIX_LIT_INT,	    /* text: the digits with their sign, e.g. "-12" */
	STIX_LIT_FLOAT,	    /* text: as written, e.g. "1.5" */
	STIX_LIT_BOOL,	    /* text: "true" or "false" */
	STIX_LIT_TIMESTAMP, /* text: the timestamp inside t'...' */
	STIX_LIT_HEX,	    /* text: the hex digits inside h'...' */
	STIX_LIT_BINARY,    /* text: the base64 inside b'...' */
};

struct stix_pattern_literal {
	enum stix_literal_kind kind;
	const char *text; /* NUL-terminated */
	size_t len;
};

/* One comparison, as handed to the callback of stix_pattern_foreach_comparison. All
 * pointers belong to the pattern and live until stix_pattern_free. */
struct stix_pattern_comparison {
	const char *object_type; /* "file" */
	const char *path;	 /* "hashes.'SHA-256'", "value", "extensions.'x-ext'.list[*]" */
	enum stix_pattern_op op;
	const char *op_name;			   /* "=", "ISSUBSET", ... */
	bool negated;				   /* written with NOT */
	const struct stix_pattern_literal *values; /* one, several for IN, none for EXISTS */
	size_t nvalues;
	size_t observation; /* which [...] it sits in, counting from 0 in text order */
};

/* Parses s[0..n). On success *out holds a pattern the caller frees with
 * stix_pattern_free() and ERR_OK is returned. On failure returns ERR_SYNTAX (or
 * ERR_INVALID for a bad timestamp or qualifier, ERR_TOO_LARGE over a cap), *out is
 * NULL and err->message names the position, counted in bytes from 0:
 *   pattern: position 23: expected ']'
 * err->field is "pattern". */
int stix_pattern_parse(const char *s, size_t n, struct stix_pattern **out, struct err_detail *err);

void stix_pattern_free(struct stix_pattern *p);

/* Calls cb for each comparison in text order; stops early and returns cb's value when
 * it is not 0; otherwise returns 0. */
int stix_pattern_foreach_comparison(const struct stix_pattern *p,
				    int (*cb)(void *ctx, const struct stix_pattern_comparison *c),
				    void *ctx);

#endif
