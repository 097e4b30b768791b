#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *err_str(int code)
{
	switch (code) {
	case ERR_OK: return "ok";
	case ERR_INVALID: return "invalid input";
	case ERR_NOT_FOUND: return "not found";
	case ERR_CONFLICT: return "conflict";
	case ERR_TOO_LARGE: return "too large";
	case ERR_DENIED: return "not allowed";
	case ERR_UNAUTH: return "not authenticated";
	case ERR_IO: return "input/output error";
	case ERR_STORE: return "store error";
	case ERR_UNSUPPORTED: return "not implemented";
	case ERR_INTERNAL: return "internal error";
	case ERR_SYNTAX: return "syntax error";
	}
	return "unknown error";
}

int err_set(struct err_detail *d, int code, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return code;
	d->code = code;
	snprintf(d->field, sizeof(d->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
	return code;
}

void err_clear(struct err_detail *d)
{
	if (!d)
		return;
	d->code = ERR_OK;
	d->field[0] = '\0';
	d->message[0] = '\0';
}
