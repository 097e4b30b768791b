/* Fuzzes the national profile parser: the same bytes as our JSON format and
 * as FIRST team information. An accepted document has the normalised shape;
 * a rejected one says why. */
#include "profile/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int f = 0; f < 2; f++) {
		json_t *out = NULL;
		struct err_detail err;
		err_clear(&err);
		int rc = profile_parse((const char *)data, size, f ? PROFILE_FIRST : PROFILE_JSON,
				       f ? "public" : NULL, &out, &err);
		if (rc == ERR_OK) {
			if (!json_is_object(json_object_get(out, "fields")) ||
			    !json_is_object(json_object_get(out, "measures")))
				__builtin_trap();
			if (f) /* export of what was imported must not fail */
				json_decref(profile_agencies_to_first(json_object_get(
				    json_object_get(json_object_get(out, "fields"), "agencies"),
				    "value")));
			json_decref(out);
		} else if (out || !err.message[0]) {
			__builtin_trap();
		}
	}
	return 0;
}
