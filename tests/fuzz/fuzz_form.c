/* Fuzzes the web's form parsers (urlencoded and multipart: the first line of
 * the input is the Content-Type, the rest the body) and the HTML escaping of
 * what they give: escaped text must hold no raw markup character. */
#include <string.h>

#include "util/buf.h"
#include "web/form.h"
#include "web/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_escaped(const struct form *f)
{
	struct buf b;
	buf_init(&b, (size_t)1 << 24);
	for (size_t i = 0; i < f->n; i++) {
		html_esc(&b, f->f[i].name);
		html_escn(&b, f->f[i].value, f->f[i].len);
		html_esc(&b, f->f[i].filename);
	}
	if (b.len && (memchr(b.data, '<', b.len) || memchr(b.data, '>', b.len) ||
		      memchr(b.data, '"', b.len) || memchr(b.data, '\'', b.len) ||
		      memchr(b.data, '\0', b.len)))
		__builtin_trap();
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct form f;
	struct err_detail err;
	const char *text = (const char *)data;
	arena_init(&a);
	memset(&err, 0, sizeof(err));
	if (form_parse_urlencoded(&a, text, size, &f, &err) == ERR_OK)
		check_escaped(&f);
	else if (!err.message[0])
		__builtin_trap();
	const char *nl = memchr(text, '\n', size);
	if (nl) {
		size_t ctn = (size_t)(nl - text);
		char *ct = arena_strndup(&a, text, ctn);
		memset(&err, 0, sizeof(err));
		if (form_parse_multipart(&a, ct, nl + 1, size - ctn - 1, &f, &err) == ERR_OK)
			check_escaped(&f);
		else if (!err.message[0])
			__builtin_trap();
	}
	arena_release(&a);
	return 0;
}
