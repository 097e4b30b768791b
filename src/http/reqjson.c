#include "http/reqjson.h"

#include "util/validate.h"

size_t reqjson_depth(const char *body, size_t len, size_t limit)
{
	size_t depth = 0, max = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = body[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max && (max = depth) > limit)
				return limit + 1;
		} else if ((c == '}' || c == ']') && depth) {
			depth--;
		}
	}
	return max;
}

static const char *type_name(enum rj_type t)
{
	switch (t) {
	case RJ_STRING: return "a string";
	case RJ_INT: return "an integer";
	case RJ_BOOL: return "true or false";
	case RJ_STRING_ARRAY: return "an array of strings";
	case RJ_INT_ARRAY: return "an array of integers";
	case RJ_STRING_OR_OBJECT: return "a string or an object";
	case RJ_ANY: return "a JSON value";
	}
	return "?";
}

/* Text without control characters but line feeds and tabs (RJ_LINES). */
static bool valid_lines(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

static int check_field(const struct rj_field *f, json_t *v, struct err_detail *err)
{
	size_t i;
	json_t *item;

	if (json_is_null(v)) {
		if (f->flags & RJ_NULLABLE)
			return ERR_OK;
		return err_set(err, ERR_INVALID, f->name, "%s: must be %s, not null", f->name,
			       type_name(f->type));
	}
	switch (f->type) {
	case RJ_STRING:
		if (!json_is_string(v))
			break;
		if (json_string_length(v) < (size_t)f->min ||
		    json_string_length(v) > (size_t)f->max)
			return err_set(err, ERR_INVALID, f->name,
				       "%s: length must be %" PRId64 " to %" PRId64 " bytes",
				       f->name, f->min, f->max);
		if (strlen(json_string_value(v)) != json_string_length(v) ||
		    (json_string_length(v) &&
		     !(f->flags & RJ_LINES ? valid_lines(json_string_value(v))
					   : valid_text(json_string_value(v), (size_t)f->max))))
			return err_set(err, ERR_INVALID, f->name,
				       "%s: control characters are not allowed", f->name);
		return ERR_OK;
	case RJ_INT:
		if (!json_is_integer(v))
			break;
		if (json_integer_value(v) < f->min || json_integer_value(v) > f->max)
			return err_set(err, ERR_INVALID, f->name,
				       "%s: must be between %" PRId64 " and %" PRId64, f->name,
				       f->min, f->max);
		return ERR_OK;
	case RJ_BOOL:
		if (!json_is_boolean(v))
			break;
		return ERR_OK;
	case RJ_STRING_ARRAY:
	case RJ_INT_ARRAY:
		if (!json_is_array(v))
			break;
		if (json_array_size(v) < (size_t)f->min || json_array_size(v) > (size_t)f->max)
			return err_set(err, ERR_INVALID, f->name,
				       "%s: must have %" PRId64 " to %" PRId64 " items", f->name,
				       f->min, f->max);
		json_array_foreach(v, i, item)
		{
			bool ok = f->type == RJ_STRING_ARRAY
				      ? json_is_string(item) && json_string_length(item) > 0 &&
					    json_string_length(item) <= 256 &&
					    valid_text(json_string_value(item), 256)
				      : json_is_integer(item) && json_integer_value(item) > 0;
			if (!ok)
				return err_set(
				    err, ERR_INVALID, f->name, "%s[%zu]: must be %s", f->name, i,
				    f->type == RJ_STRING_ARRAY ? "a string of 1 to 256 bytes"
							       : "a positive integer");
		}
		return ERR_OK;
	case RJ_STRING_OR_OBJECT:
		if (!json_is_string(v) && !json_is_object(v))
			break;
		return ERR_OK;
	case RJ_ANY: return ERR_OK;
	}
	return err_set(err, ERR_INVALID, f->name, "%s: must be %s", f->name, type_name(f->type));
}

int reqjson_decode(const char *body, size_t len, size_t depth_max, const struct rj_field *fields,
		   size_t n, bool partial, json_t **out, struct err_detail *err)
{
	json_error_t jerr;
	json_t *root, *v;
	const char *key;
	int rc = ERR_OK;

	*out = NULL;
	if (len == 0)
		return err_set(err, ERR_SYNTAX, "",
			       "the request body is empty; a JSON object is "
			       "expected");
	if (reqjson_depth(body, len, depth_max) > depth_max)
		return err_set(err, ERR_INVALID, "", "JSON nested deeper than %zu levels",
			       depth_max);
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root)
		return err_set(err, ERR_SYNTAX, "", "invalid JSON at line %d, column %d: %s",
			       jerr.line, jerr.column, jerr.text);
	if (!json_is_object(root)) {
		rc = err_set(err, ERR_INVALID, "", "the request body must be a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v)
	{
		size_t i;
		for (i = 0; i < n && strcmp(fields[i].name, key); i++)
			;
		if (i == n) {
			rc = err_set(err, ERR_INVALID, key, "unknown field '%.100s'", key);
			goto out;
		}
		rc = check_field(&fields[i], v, err);
		if (rc)
			goto out;
	}
	if (partial) {
		if (json_object_size(root) == 0)
			rc =
			    err_set(err, ERR_INVALID, "", "nothing to change: the object is empty");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((fields[i].flags & RJ_REQUIRED) && !json_object_get(root, fields[i].name)) {
			rc = err_set(err, ERR_INVALID, fields[i].name, "%s: missing required field",
				     fields[i].name);
			goto out;
		}
	}
out:
	if (rc)
		json_decref(root);
	else
		*out = root;
	return rc;
}
