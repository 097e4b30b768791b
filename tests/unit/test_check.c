#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "check/check.h"
#include "check/results.h"
#include "profile/profile.h"

static void durations(void **state)
{
	int64_t ms = -1;
	assert_true(check_parse_duration("24h", &ms));
	assert_int_equal(ms, 86400000);
	assert_true(check_parse_duration("500ms", &ms));
	assert_int_equal(ms, 500);
	assert_true(check_parse_duration("0s", &ms));
	assert_int_equal(ms, 0);
	assert_true(check_parse_duration("30d", &ms));
	assert_false(check_parse_duration("31d", &ms));
	assert_false(check_parse_duration("2", &ms));
	assert_false(check_parse_duration("2 h", &ms));
	assert_false(check_parse_duration("-5s", &ms));
	assert_false(check_parse_duration("h", &ms));
	assert_false(check_parse_duration("99999999999999999999s", &ms));
}

static void percentiles(void **state)
{
	int64_t v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	assert_int_equal(check_percentile(v, 10, 50), 5); /* nearest rank */
	assert_int_equal(check_percentile(v, 10, 95), 10);
	assert_int_equal(check_percentile(v, 1, 95), 1);
	assert_int_equal(check_percentile(v, 0, 50), 0);
}

static int parse(const char *text, enum profile_format f, json_t **out, struct err_detail *err)
{
	err_clear(err);
	return profile_parse(text, strlen(text), f, NULL, out, err);
}

static void profile_documents(void **state)
{
	json_t *out;
	struct err_detail err;
	assert_int_equal(parse("{\"measures\":{\"gge26c\":{\"status\":\"implemented\","
			       "\"since\":\"2020-02-29\"}}}",
			       PROFILE_JSON, &out, &err),
			 ERR_OK);
	/* the default scope is private */
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(out, "measures"), "gge26c"), "scope")),
	    "private");
	json_decref(out);
	assert_int_equal(parse("{\"measures\":{\"gge26c\":{\"status\":\"implemented\","
			       "\"since\":\"2021-02-29\"}}}",
			       PROFILE_JSON, &out, &err),
			 ERR_INVALID);
	assert_string_equal(err.field, "measures.gge26c.since");
	assert_int_equal(parse("{\"fields\":{\"strategy\":{\"value\":[{\"title\":\"t\","
			       "\"link\":\"ftp://x\"}]}}}",
			       PROFILE_JSON, &out, &err),
			 ERR_INVALID);
	assert_string_equal(err.field, "fields.strategy.value[0]");
	assert_int_equal(parse("{\"fields\":{\"x\":{}}}", PROFILE_JSON, &out, &err), ERR_INVALID);
	assert_int_equal(parse("{\"a\":1,\"a\":2}", PROFILE_JSON, &out, &err), ERR_SYNTAX);
	assert_null(out);
}

static void first_teams(void **state)
{
	json_t *out;
	struct err_detail err;
	assert_int_equal(
	    parse("{\"short-team-name\":\"X\",\"country-code\":[\"lu\"],"
		  "\"establishment\":\"2008-01-05T00:00:00\",\"cert-type\":[\"national\"]}",
		  PROFILE_FIRST, &out, &err),
	    ERR_OK);
	json_t *a = json_array_get(
	    json_object_get(json_object_get(json_object_get(out, "fields"), "agencies"), "value"),
	    0);
	assert_string_equal(json_string_value(json_object_get(a, "name")), "X");
	assert_string_equal(json_string_value(json_object_get(a, "country")), "LU");
	assert_string_equal(json_string_value(json_object_get(a, "established")), "2008-01-05");
	assert_string_equal(json_string_value(json_object_get(a, "role")), "CSIRT (national)");
	json_t *back = profile_agencies_to_first(
	    json_object_get(json_object_get(json_object_get(out, "fields"), "agencies"), "value"));
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_array_get(back, 0), "country-code"), 0)),
			    "LU");
	json_decref(back);
	json_decref(out);
	assert_int_equal(parse("[{\"email\":\"info@x.org\"}]", PROFILE_FIRST, &out, &err),
			 ERR_INVALID); /* no name at all */
	assert_string_equal(err.field, "[0]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(durations),
	    cmocka_unit_test(percentiles),
	    cmocka_unit_test(profile_documents),
	    cmocka_unit_test(first_teams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
