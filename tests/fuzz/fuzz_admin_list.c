/* Fuzzes the admin pages' comma-separated form fields (audiences, languages:
 * admin_list): every item is non-empty, trimmed and holds no comma, and the
 * items are the input's in order. */
#include <stdlib.h>
#include <string.h>

#include "web/pages_admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	json_t *a = admin_list(text);
	const char *from = text;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		size_t n = s ? strlen(s) : 0;
		if (!n || strchr(s, ',') || s[0] == ' ' || s[n - 1] == ' ' || s[0] == '\t' ||
		    s[n - 1] == '\t')
			__builtin_trap();
		const char *at = strstr(from, s); /* in the input, after the previous item */
		if (!at)
			__builtin_trap();
		from = at + n;
	}
	json_decref(a);
	free(text);
	return 0;
}
