/* Form bodies of the web pages: application/x-www-form-urlencoded (the
 * WHATWG URL standard's parsing) and multipart/form-data (RFC 7578: the report
 * upload). Values are copied, decoded, into the caller's arena. At most
 * FORM_FIELDS_MAX fields; the body's size is capped by the server before it
 * gets here (setting body_max). Pure; any thread. */
#ifndef ATALAYA_FORM_H
#define ATALAYA_FORM_H

#include <stddef.h>

#include "util/arena.h"
#include "util/err.h"

#define FORM_FIELDS_MAX 256 /* the profile form (19 measures × 5, documents); a group's boxes */

struct form_field {
	const char *name;
	const char *value; /* NUL-terminated; may hold NULs in a file (then see len) */
	size_t len;
	const char *filename;	  /* multipart file parts; NULL otherwise */
	const char *content_type; /* multipart parts that give one; NULL otherwise */
};

struct form {
	struct form_field f[FORM_FIELDS_MAX];
	size_t n;
};

/* ERR_OK, or ERR_INVALID with the reason in err (too many fields, a bad
 * %-escape, a multipart body that does not end). */
int form_parse_urlencoded(struct arena *a, const char *body, size_t n, struct form *out,
			  struct err_detail *err);
/* `content_type` is the request's header, which carries the boundary. */
int form_parse_multipart(struct arena *a, const char *content_type, const char *body, size_t n,
			 struct form *out, struct err_detail *err);

/* The first field called `name`, or NULL. */
const struct form_field *form_field(const struct form *f, const char *name);
/* Its value, or NULL. */
const char *form_get(const struct form *f, const char *name);

#endif
