/* libFuzzer target: IODEF XML to a STIX bundle, which must then pass the validator. */
#include "formats/iodef.h"
#include "formats/stix.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *bundle = NULL;
	struct err_detail err;

	err_clear(&err);
	if (iodef_to_stix((const char *)data, size, &bundle, &err) == ERR_OK) {
		char *text = json_dumps(bundle, JSON_COMPACT);
		/* whatever the mapper accepts must make a valid bundle */
		if (stix_validate_bundle_buffer(text, strlen(text), 0, NULL, &err) != ERR_OK)
			__builtin_trap();
		free(text);
		json_decref(bundle);
	} else if (bundle) {
		__builtin_trap();
	}
	return 0;
}
