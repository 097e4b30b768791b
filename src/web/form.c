#include "web/form.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* '+' is a space, %XX a byte. */
static int decode(struct arena *a, const char *s, size_t n, const char **out, size_t *len,
		  struct err_detail *err)
{
	char *d = arena_alloc(a, n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			d[o++] = ' ';
		} else if (s[i] == '%') {
			int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return err_set(err, ERR_INVALID, "body",
					       "body: '%%' at byte %zu is not followed by two hex "
					       "digits",
					       i);
			d[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			d[o++] = s[i];
		}
	}
	d[o] = '\0';
	*out = d;
	*len = o;
	return ERR_OK;
}

/* True when s[0..n) is UTF-8 text (RFC 3629: no overlong form, no surrogate,
 * nothing past U+10FFFF) without NUL: what the API's JSON takes, so a page
 * never hands it a value it would refuse. */
static bool utf8_text(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t len;
		unsigned lo = 0x80, hi = 0xBF;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			len = 2;
		else if (c >= 0xE0 && c <= 0xEF)
			len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
		else if (c >= 0xF0 && c <= 0xF4)
			len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
		else
			return false;
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				return false;
		i += len;
	}
	return true;
}

/* A field's name, and its value unless it is a file, must be text. */
static int field_text(const struct form_field *f, size_t name_len, struct err_detail *err)
{
	if (!utf8_text((const unsigned char *)f->name, name_len))
		return err_set(err, ERR_INVALID, "body", "body: a field name is not UTF-8 text");
	if (!f->filename && !utf8_text((const unsigned char *)f->value, f->len))
		return err_set(err, ERR_INVALID, f->name, "%.64s: not UTF-8 text", f->name);
	return ERR_OK;
}

static int add_field(struct form *f, struct err_detail *err)
{
	if (f->n == FORM_FIELDS_MAX)
		return err_set(err, ERR_INVALID, "body", "body: more than %d form fields",
			       FORM_FIELDS_MAX);
	memset(&f->f[f->n], 0, sizeof(f->f[0]));
	return ERR_OK;
}

int form_parse_urlencoded(struct arena *a, const char *body, size_t n, struct form *out,
			  struct err_detail *err)
{
	size_t i = 0, nl;
	int rc;
	out->n = 0;
	while (i < n) {
		const char *amp = memchr(body + i, '&', n - i);
		size_t end = amp ? (size_t)(amp - body) : n;
		if (end > i) {
			const char *eq = memchr(body + i, '=', end - i);
			size_t split = eq ? (size_t)(eq - body) : end;
			if ((rc = add_field(out, err)))
				return rc;
			struct form_field *f = &out->f[out->n];
			if ((rc = decode(a, body + i, split - i, &f->name, &nl, err)) ||
			    (rc = decode(a, body + split + (eq ? 1 : 0), end - split - (eq ? 1 : 0),
					 &f->value, &f->len, err)) ||
			    (rc = field_text(f, nl, err)))
				return rc;
			out->n++;
		}
		i = end + 1;
	}
	return ERR_OK;
}

static const char *memmem_at(const char *hay, size_t n, const char *needle, size_t m)
{
	return m > n ? NULL : memmem(hay, n, needle, m);
}

/* A parameter (name="x", filename="y") of a Content-Disposition line, copied. */
static const char *disposition_param(struct arena *a, const char *line, size_t n, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i + kl + 2 <= n; i++) {
		if ((i == 0 || line[i - 1] == ' ' || line[i - 1] == ';') &&
		    !strncasecmp(line + i, key, kl) && line[i + kl] == '=' &&
		    line[i + kl + 1] == '"') {
			const char *v = line + i + kl + 2;
			const char *q = memchr(v, '"', n - (size_t)(v - line));
			if (!q)
				return NULL;
			return arena_strndup(a, v, (size_t)(q - v));
		}
	}
	return NULL;
}

/* One part's headers (up to the blank line) into f. */
static int part_headers(struct arena *a, const char *h, size_t n, struct form_field *f,
			struct err_detail *err)
{
	size_t i = 0;
	while (i < n) {
		const char *crlf = memmem_at(h + i, n - i, "\r\n", 2);
		size_t end = crlf ? (size_t)(crlf - h) : n;
		const char *line = h + i;
		size_t len = end - i;
		if (len > 20 && !strncasecmp(line, "Content-Disposition:", 20)) {
			f->name = disposition_param(a, line, len, "name");
			f->filename = disposition_param(a, line, len, "filename");
		} else if (len > 13 && !strncasecmp(line, "Content-Type:", 13)) {
			size_t s = 13;
			while (s < len && line[s] == ' ')
				s++;
			f->content_type = arena_strndup(a, line + s, len - s);
		}
		i = end + 2;
	}
	if (!f->name)
		return err_set(err, ERR_INVALID, "body",
			       "body: a multipart part has no Content-Disposition name");
	return ERR_OK;
}

int form_parse_multipart(struct arena *a, const char *content_type, const char *body, size_t n,
			 struct form *out, struct err_detail *err)
{
	const char *b = content_type ? strstr(content_type, "boundary=") : NULL;
	char delim[80];
	int rc;
	out->n = 0;
	if (!b)
		return err_set(err, ERR_INVALID, "Content-Type",
			       "Content-Type: multipart/form-data without a boundary");
	b += 9;
	size_t bl = strcspn(b, "; ");
	if (bl && b[0] == '"') {
		b++;
		bl = strcspn(b, "\"");
	}
	if (!bl || bl > 70) /* RFC 2046 5.1.1: 1 to 70 characters */
		return err_set(err, ERR_INVALID, "Content-Type",
			       "Content-Type: the multipart boundary is not 1 to 70 characters");
	int dl = snprintf(delim, sizeof(delim), "\r\n--%.*s", (int)bl, b);
	/* The first delimiter may open the body, without the CRLF before it. */
	const char *p = memmem_at(body, n, delim + 2, (size_t)dl - 2);
	if (!p)
		return err_set(err, ERR_INVALID, "body", "body: no multipart boundary found");
	p += dl - 2;
	for (;;) {
		size_t left = n - (size_t)(p - body);
		if (left >= 2 && !memcmp(p, "--", 2))
			return ERR_OK; /* the closing delimiter */
		if (left < 2 || memcmp(p, "\r\n", 2))
			break;
		p += 2;
		left -= 2;
		const char *hend = memmem_at(p, left, "\r\n\r\n", 4);
		if (!hend)
			break;
		if ((rc = add_field(out, err)))
			return rc;
		struct form_field *f = &out->f[out->n];
		if ((rc = part_headers(a, p, (size_t)(hend - p), f, err)))
			return rc;
		const char *data = hend + 4;
		const char *next = memmem_at(data, n - (size_t)(data - body), delim, (size_t)dl);
		if (!next)
			break;
		f->len = (size_t)(next - data);
		char *v = arena_alloc(a, f->len + 1);
		memcpy(v, data, f->len);
		v[f->len] = '\0';
		f->value = v;
		if (f->name && (rc = field_text(f, strlen(f->name), err)))
			return rc;
		out->n++;
		p = next + dl;
	}
	return err_set(err, ERR_INVALID, "body", "body: the multipart body does not end properly");
}

const struct form_field *form_field(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->f[i].name && !strcmp(f->f[i].name, name))
			return &f->f[i];
	return NULL;
}

const char *form_get(const struct form *f, const char *name)
{
	const struct form_field *x = form_field(f, name);
	return x ? x->value : NULL;
}
