#include <setjmp.h>
#include <cmocka.h>

#include "http/reqjson.h"

static const struct rj_field fields[] = {
    {"name", RJ_STRING, RJ_REQUIRED, 1, 10},
    {"n", RJ_INT, 0, 1, 5},
    {"tags", RJ_STRING_ARRAY, 0, 0, 2},
    {"phone", RJ_STRING, RJ_NULLABLE, 0, 20},
};
#define N (sizeof(fields) / sizeof(fields[0]))

static int decode(const char *s, bool partial, struct err_detail *e)
{
	json_t *out = NULL;
	err_clear(e);
	int rc = reqjson_decode(s, strlen(s), 8, fields, N, partial, &out, e);
	json_decref(out);
	return rc;
}

static void accepts_good_input(void **state)
{
	struct err_detail e;
	assert_int_equal(
	    decode("{\"name\":\"x\",\"n\":3,\"tags\":[\"a\"],\"phone\":null}", false, &e), ERR_OK);
	assert_int_equal(decode("{\"n\":3}", true, &e), ERR_OK);
}

static void names_what_is_wrong(void **state)
{
	struct err_detail e;
	struct {
		const char *in;
		int rc;
		const char *field, *msg;
	} cases[] = {
	    {"{\"n\":3}", ERR_INVALID, "name", "missing required"},
	    {"{\"name\":\"x\",\"zz\":1}", ERR_INVALID, "zz", "unknown field 'zz'"},
	    {"{\"name\":1}", ERR_INVALID, "name", "must be a string"},
	    {"{\"name\":\"01234567890\"}", ERR_INVALID, "name", "length"},
	    {"{\"name\":\"x\",\"n\":9}", ERR_INVALID, "n", "between 1 and 5"},
	    {"{\"name\":\"x\",\"n\":1.5}", ERR_INVALID, "n", "integer"},
	    {"{\"name\":\"x\",\"tags\":[1]}", ERR_INVALID, "tags", "tags[0]"},
	    {"{\"name\":\"x\",\"tags\":[\"a\",\"b\",\"c\"]}", ERR_INVALID, "tags", "items"},
	    {"{\"name\":null}", ERR_INVALID, "name", "not null"},
	    {"{\"name\":\"a\\u0000b\"}", ERR_SYNTAX, "", "u0000"},
	    {"{\"name\":\"a\\u0007b\"}", ERR_INVALID, "name", "control"},
	    {"{\"name\":", ERR_SYNTAX, "", "line 1"},
	    {"{\"name\":\"a\",\"name\":\"b\"}", ERR_SYNTAX, "", "duplicate"},
	    {"[[[[[[[[[[[]]]]]]]]]]]", ERR_INVALID, "", "deeper"},
	    {"\"x\"", ERR_INVALID, "", "JSON object"},
	    {"{}", ERR_INVALID, "", "nothing to change"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool partial = !strcmp(cases[i].in, "{}");
		assert_int_equal(decode(cases[i].in, partial, &e), cases[i].rc);
		assert_string_equal(e.field, cases[i].field);
		if (!strstr(e.message, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, e.message, cases[i].msg);
	}
}

static void depth_scan_skips_strings(void **state)
{
	const char *s = "{\"a\":\"[[[[{{{{\",\"b\":[[1]]}";
	assert_int_equal(reqjson_depth(s, strlen(s), 10), 3);
	const char *esc = "{\"a\":\"\\\"[[[\"}";
	assert_int_equal(reqjson_depth(esc, strlen(esc), 10), 1);
}

/* A text a person wrote (RJ_LINES) keeps its line breaks and tabs; other
 * control characters are refused there too, and elsewhere a line break is. */
static void lines_where_allowed(void **state)
{
	static const struct rj_field text[] = {
	    {"text", RJ_STRING, RJ_LINES, 0, 100},
	    {"title", RJ_STRING, 0, 0, 100},
	};
	struct {
		const char *in;
		int rc;
	} cases[] = {
	    {"{\"text\":\"a\\nb\\tc\"}", ERR_OK},      {"{\"text\":\"a\\rb\"}", ERR_INVALID},
	    {"{\"text\":\"a\\u0007b\"}", ERR_INVALID}, {"{\"text\":\"a\\u007fb\"}", ERR_INVALID},
	    {"{\"title\":\"a\\nb\"}", ERR_INVALID},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err_detail e;
		json_t *out = NULL;
		err_clear(&e);
		int rc =
		    reqjson_decode(cases[i].in, strlen(cases[i].in), 8, text, 2, false, &out, &e);
		json_decref(out);
		if (rc != cases[i].rc)
			fail_msg("case %zu: %d, expected %d (%s)", i, rc, cases[i].rc, e.message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(accepts_good_input),
	    cmocka_unit_test(names_what_is_wrong),
	    cmocka_unit_test(depth_scan_skips_strings),
	    cmocka_unit_test(lines_where_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
