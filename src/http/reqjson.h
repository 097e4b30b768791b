/* The request decoder: turns a JSON request body into a jansson object after
 * checking it against a field table (types, bounds, required, unknown fields
 * rejected and named). Pure; any thread. */
#ifndef ATALAYA_REQJSON_H
#define ATALAYA_REQJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum rj_type {
	RJ_STRING, /* min/max: length in bytes; text without control characters */
	RJ_INT,	   /* min/max: value */
	RJ_BOOL,
	RJ_STRING_ARRAY, /* min/max: number of items; items 1..256 bytes */
	RJ_INT_ARRAY,	 /* min/max: number of items; items >= 1 */
	RJ_STRING_OR_OBJECT,
	RJ_ANY, /* any value: the handler checks it (entries that need their own
		 * canonicaliser and messages, e.g. constituency lists) */
};

#define RJ_REQUIRED 1u /* must be present when creating (not when patching) */
#define RJ_NULLABLE 2u /* null is accepted (clears the value when patching) */
#define RJ_LINES 4u    /* RJ_STRING: line breaks and tabs allowed (a text a person wrote) */

struct rj_field {
	const char *name;
	enum rj_type type;
	unsigned flags;
	int64_t min, max;
};

/* Parses body[0..len) and checks it against fields[0..n). With `partial`
 * (PATCH) required fields may be absent but at least one field must be
 * present. `depth_max` caps nesting before parsing. On success *out is a new
 * reference the caller json_decref()s. Errors: ERR_SYNTAX for JSON that does
 * not parse (message names line and column), ERR_INVALID for a field that is
 * wrong (err->field names it). */
int reqjson_decode(const char *body, size_t len, size_t depth_max, const struct rj_field *fields,
		   size_t n, bool partial, json_t **out, struct err_detail *err);

/* Nesting depth of a JSON text without parsing it (strings are skipped);
 * stops counting past `limit` and returns limit + 1. */
size_t reqjson_depth(const char *body, size_t len, size_t limit);

#endif
