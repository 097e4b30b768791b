/* libFuzzer target: the STIX patterning parser and its comparison walk. */
#include "formats/stix_pattern.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int visit(void *ctx, const struct stix_pattern_comparison *c)
{
	size_t *sum = ctx;

	*sum += strlen(c->object_type) + strlen(c->path) + strlen(c->op_name);
	for (size_t i = 0; i < c->nvalues; i++)
		*sum += strlen(c->values[i].text) == c->values[i].len ||
			c->values[i].kind == STIX_LIT_STRING;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stix_pattern *p = NULL;
	struct err_detail err;
	size_t sum = 0;

	err_clear(&err);
	if (stix_pattern_parse((const char *)data, size, &p, &err) == ERR_OK) {
		stix_pattern_foreach_comparison(p, visit, &sum);
		stix_pattern_free(p);
	} else if (p || strncmp(err.message, "pattern: position ", 18)) {
		__builtin_trap();
	}
	return 0;
}
