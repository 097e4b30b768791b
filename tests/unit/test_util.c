#include <setjmp.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"

static void buf_respects_its_maximum(void **state)
{
	struct buf b;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345678"), ERR_OK);
	assert_int_equal(buf_addc(&b, 'x'), ERR_TOO_LARGE);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(b.len, 8);
	buf_release(&b);
}

static void buf_escapes_json(void **state)
{
	struct buf b;
	buf_init(&b, 1024);
	assert_int_equal(buf_add_json_str(&b, "a\"b\\c\n\x01", 7), ERR_OK);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
	buf_release(&b);
}

static void rfc3339_parses_and_rejects(void **state)
{
	int64_t ms;
	const char *ok = "2016-05-12T08:17:27.000Z";
	assert_int_equal(time_parse_rfc3339(ok, strlen(ok), 1, &ms), ERR_OK);
	assert_true(ms == INT64_C(1463041047000));
	const char *frac = "2016-05-12T08:17:27.5Z";
	assert_int_equal(time_parse_rfc3339(frac, strlen(frac), 1, &ms), ERR_OK);
	assert_true(ms == INT64_C(1463041047500));
	const char *off = "2016-05-12T10:17:27+02:00";
	assert_int_equal(time_parse_rfc3339(off, strlen(off), 1, &ms), ERR_INVALID);
	assert_int_equal(time_parse_rfc3339(off, strlen(off), 0, &ms), ERR_OK);
	assert_true(ms == INT64_C(1463041047000));
	const char *bad[] = {"2016-02-30T00:00:00Z", "2015-02-29T00:00:00Z",
			     "2016-05-12 08:17:27Z", "2016-05-12T24:00:00Z",
			     "2016-05-12T08:17:27",  "2016-05-12T08:17:27.Z",
			     "2016-05-12T08:17:27Zx"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(time_parse_rfc3339(bad[i], strlen(bad[i]), 1, &ms), ERR_INVALID);
	char out[32];
	time_format_ms(INT64_C(1463041047500), out);
	assert_string_equal(out, "2016-05-12T08:17:27.500Z");
	time_format_ms(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	time_format_ms(INT64_C(951782400000), out); /* a leap day */
	assert_string_equal(out, "2000-02-29T00:00:00.000Z");
	time_format_ms(INT64_C(253402300799999), out);
	assert_string_equal(out, "9999-12-31T23:59:59.999Z");
	/* formatting and parsing agree over four centuries of days */
	for (int64_t t = -INT64_C(6000000000000); t < INT64_C(7000000000000);
	     t += INT64_C(86399123) * 7) {
		int64_t back;
		time_format_ms(t, out);
		assert_int_equal(time_parse_rfc3339(out, strlen(out), 1, &back), ERR_OK);
		assert_true(back == t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(buf_respects_its_maximum),
	    cmocka_unit_test(buf_escapes_json),
	    cmocka_unit_test(rfc3339_parses_and_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
