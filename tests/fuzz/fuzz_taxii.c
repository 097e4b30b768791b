/* Fuzzes the TAXII request parsers: the query parameters (the input split
 * on newlines into added_after, limit, match[id|type|version|spec_version]
 * and next), the `next` token decoder, and the envelope -> bundle step. */
#include "taxii/query.h"
#include "taxii/taxii.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[TAXII_NEXT_KEY_BYTES] = {1, 2, 3};
	char *text = malloc(size + 1), *f[7] = {0};
	struct arena arena;
	struct taxii_query q;
	struct err_detail err;
	memcpy(text, data, size);
	text[size] = '\0';
	f[0] = text;
	for (int i = 1; i < 7 && f[i - 1]; i++) {
		char *nl = strchr(f[i - 1], '\n');
		if (nl) {
			*nl = '\0';
			f[i] = nl + 1;
		}
	}
	arena_init(&arena);
	struct taxii_args a = {.endpoint = "objects",
			       .collection = "all",
			       .added_after = f[0],
			       .limit = f[1],
			       .id = f[2],
			       .type = f[3],
			       .version = f[4],
			       .spec_version = f[5]};
	err_clear(&err);
	if (taxii_query_parse(&a, 1000, &arena, &q, &err) == ERR_OK) {
		if (q.limit < 1 || q.limit > 1000)
			__builtin_trap();
		char tok[TAXII_NEXT_TEXT];
		int64_t seq = 0;
		taxii_next_encode(key, 7, 42, &q, tok);
		if (taxii_next_decode(key, tok, 7, &q, &seq, &err) || seq != 42)
			__builtin_trap(); /* a token we issue always comes back */
		if (f[6])
			taxii_next_decode(key, f[6], 7, &q, &seq, &err);
	} else if (!err.message[0]) {
		__builtin_trap(); /* every rejection says why */
	}
	int64_t us;
	char back[32];
	if (f[0] && !taxii_time_parse(f[0], &us)) {
		taxii_time_format(us, back);
		int64_t again;
		if (taxii_time_parse(back, &again) || (again != us && us >= 0))
			__builtin_trap(); /* a parsed time formats and parses back */
	}
	char *bundle = NULL;
	size_t len;
	json_t *objs = NULL;
	err_clear(&err);
	if (!taxii_envelope_to_bundle((const char *)data, size, 32, &bundle, &len, &objs, &err)) {
		if (!bundle || !json_array_size(objs))
			__builtin_trap();
	} else if (!err.message[0]) {
		__builtin_trap();
	}
	free(bundle);
	json_decref(objs);
	arena_release(&arena);
	free(text);
	return 0;
}
