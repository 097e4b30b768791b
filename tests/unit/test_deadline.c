#include <setjmp.h>
#include <cmocka.h>

#include "request/deadline.h"

#define NOW 1800000000000LL /* 2027-01-15T08:00:00Z */

static int parse(const char *s, int64_t *at, struct err_detail *e)
{
	err_clear(e);
	return request_deadline_parse(s, strlen(s), NOW, "deadline", at, e);
}

static void durations_and_times(void **state)
{
	struct err_detail e;
	int64_t at;
	assert_int_equal(parse("48h", &at, &e), ERR_OK);
	assert_true(at == NOW + 48LL * 3600 * 1000);
	assert_int_equal(parse("3s", &at, &e), ERR_OK);
	assert_true(at == NOW + 3000);
	assert_int_equal(parse("1d12h30m", &at, &e), ERR_OK);
	assert_true(at == NOW + (36LL * 3600 + 1800) * 1000);
	assert_int_equal(parse("2w", &at, &e), ERR_OK);
	assert_true(at == NOW + 14LL * 86400 * 1000);
	assert_int_equal(parse("2027-01-16T08:00:00Z", &at, &e), ERR_OK);
	assert_true(at == NOW + 86400LL * 1000);
	assert_int_equal(parse("2027-01-16T09:00:00+01:00", &at, &e), ERR_OK);
	assert_true(at == NOW + 86400LL * 1000);
}

static void refused_with_the_field(void **state)
{
	struct err_detail e;
	int64_t at = 7;
	const char *bad[] = {
	    "",	       "h",  "48",	"48x",	"-1h",
	    "1.5h",    "0s", "999s500", "367d", "2027-01-15T07:00:00Z", /* in the past */
	    "tomorrow"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &at, &e), ERR_INVALID);
		assert_string_equal(e.field, "deadline");
		assert_non_null(strstr(e.message, "deadline: '"));
	}
	assert_true(at == 7); /* untouched */
}

static void reminders_setting(void **state)
{
	struct err_detail e;
	int p[REQUEST_REMINDERS_MAX], n = -1;
	assert_int_equal(request_reminders_parse("50,90", p, &n, &e), ERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(p[0], 50);
	assert_int_equal(p[1], 90);
	assert_int_equal(request_reminders_parse("", p, &n, &e), ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(request_reminders_parse(" 25 , 50 ,75", p, &n, &e), ERR_OK);
	assert_int_equal(n, 3);
	const char *bad[] = {"90,50", "50,50", "0", "100", "50,", "a", "1,2,3,4,5,6,7,8,9"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(request_reminders_parse(bad[i], p, &n, &e), ERR_INVALID);
		assert_string_equal(e.field, "request_reminders");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(durations_and_times),
	    cmocka_unit_test(refused_with_the_field),
	    cmocka_unit_test(reminders_setting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
