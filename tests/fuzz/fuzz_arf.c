/* libFuzzer target: the abuse report parser (ARF, X-ARF, XARF v4). */
#include "formats/arf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arf_limits lim = {.max_message = 1 << 20, .max_header = 16 << 10};
	struct arf_report *r = NULL;
	struct err_detail d;

	if (arf_parse((const char *)data, size, &lim, &r, &d) == 0) {
		/* touch what a caller reads */
		volatile size_t n = 0;

		if (r->feedback_type)
			n += strlen(r->feedback_type);
		if (r->original)
			n += r->original_len;
		for (size_t i = 0; i < r->n_reported_domains; i++)
			n += strlen(r->reported_domains[i]);
		(void)n;
		arf_report_free(r);
	} else if (r || !d.message[0]) {
		__builtin_trap(); /* an error must say what is wrong */
	}
	return 0;
}
