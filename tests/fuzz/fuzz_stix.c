/* libFuzzer target: a whole STIX bundle through stix_validate_bundle_buffer, and the
 * same bytes fed to the stream in small chunks, which must give the same verdict. */
#include "formats/bundle_stream.h"
#include "formats/stix.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_cb(void *ctx, const char *obj, size_t len, size_t index)
{
	size_t *n = ctx;

	(void)obj;
	(void)index;
	if (len == 0 || obj[0] != '{' || obj[len - 1] != '}')
		__builtin_trap(); /* the scanner hands out whole objects only */
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err_detail err;
	struct stix_bundle_counts counts;
	struct bundle_stream *s;
	size_t whole = 0, chunked = 0, step;
	int rc1, rc2;

	err_clear(&err);
	stix_validate_bundle_buffer((const char *)data, size, 1 << 20, &counts, &err);

	/* envelope scan in one piece and in chunks of 1..7 bytes must agree */
	s = bundle_stream_new(1 << 20);
	rc1 = bundle_stream_feed(s, data, size, count_cb, &whole, &err);
	if (!rc1)
		rc1 = bundle_stream_finish(s, &err);
	bundle_stream_free(s);
	s = bundle_stream_new(1 << 20);
	step = size ? (size_t)(data[0] % 7) + 1 : 1;
	rc2 = ERR_OK;
	for (size_t i = 0; i < size && !rc2; i += step)
		rc2 = bundle_stream_feed(s, data + i, size - i < step ? size - i : step, count_cb,
					 &chunked, &err);
	if (!rc2)
		rc2 = bundle_stream_finish(s, &err);
	bundle_stream_free(s);
	if (rc1 != rc2 || whole != chunked)
		__builtin_trap();
	return 0;
}
