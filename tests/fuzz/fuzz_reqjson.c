/* Fuzzes the API request decoder with the member and contact field tables'
 * shapes, and the audience parser it feeds. */
#include "http/reqjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct rj_field fields[] = {
    {"name", RJ_STRING, RJ_REQUIRED, 1, 200},
    {"country", RJ_STRING, 0, 2, 2},
    {"languages", RJ_STRING_ARRAY, 0, 0, 20},
    {"members", RJ_INT_ARRAY, 0, 0, 100},
    {"ack_deadline_seconds", RJ_INT, RJ_NULLABLE, 10, 604800},
    {"availability", RJ_STRING_OR_OBJECT, 0, 0, 0},
    {"enabled", RJ_BOOL, 0, 0, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *out = NULL;
	struct err_detail err;
	for (int partial = 0; partial < 2; partial++) {
		err_clear(&err);
		int rc = reqjson_decode((const char *)data, size, 32, fields,
					sizeof(fields) / sizeof(fields[0]), partial, &out, &err);
		if (rc == ERR_OK) {
			if (!out || !json_is_object(out))
				__builtin_trap();
			json_decref(out);
		} else if (!err.message[0]) {
			__builtin_trap(); /* every rejection must say why */
		}
	}
	return 0;
}
