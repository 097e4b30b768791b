/* Project-wide error codes and a detail record that names what is wrong and where.
 * Any thread may call these. */
#ifndef ATALAYA_ERR_H
#define ATALAYA_ERR_H

#include <stddef.h>

enum err {
	ERR_OK = 0,
	ERR_INVALID = -1,     /* malformed or semantically wrong input (400/422) */
	ERR_NOT_FOUND = -2,   /* unknown id or route (404) */
	ERR_CONFLICT = -3,    /* duplicate name, stale version (409) */
	ERR_TOO_LARGE = -4,   /* over a configured cap (413) */
	ERR_DENIED = -5,      /* authenticated but not allowed (403) */
	ERR_UNAUTH = -6,      /* no or bad credentials (401) */
	ERR_IO = -7,	      /* file or socket failure */
	ERR_STORE = -8,	      /* SQLite failure */
	ERR_UNSUPPORTED = -9, /* valid but not implemented (501) */
	ERR_INTERNAL = -10,   /* a bug or an impossible state (500) */
	ERR_SYNTAX = -11,     /* input that does not parse at all (400) */
};

/* Static, lowercase description of a code; never NULL. */
const char *err_str(int code);

/* What went wrong, for a user: `field` is a path into the input
 * ("objects[3].valid_from", "email"), `message` a sentence. Embedded;
 * no release needed. */
struct err_detail {
	int code;
	char field[160];
	char message[512];
};

/* Fill `d` (may be NULL) and return `code`, so callers can write
 * `return err_set(d, ERR_INVALID, "email", "not an e-mail address");` */
int err_set(struct err_detail *d, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reset to ERR_OK with empty strings. */
void err_clear(struct err_detail *d);

#endif
