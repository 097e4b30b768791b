#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "formats/jdoc.h"

static const struct jv *parse(struct jdoc *d, const char *text, struct jdoc_error *e)
{
	return jdoc_parse(d, text, strlen(text), e);
}

static void values_in_document_order(void **state)
{
	struct jdoc d;
	struct jdoc_error e;
	const struct jv *v, *a;
	const char *k;
	size_t i;

	(void)state;
	jdoc_init(&d, 0);
	v = parse(&d,
		  " {\"s\":\"caf\\u00e9 \\ud83d\\ude00\\n\",\"i\":-9223372036854775808,"
		  "\"r\":2.5e3,\"t\":true,\"f\":false,\"z\":null,\"a\":[1,[2],{},\"x\"],\"o\":{}} ",
		  &e);
	assert_non_null(v);
	assert_true(jv_is_object(v));
	assert_int_equal(jv_size(v), 8);
	jv_object_foreach(v, i, k, a)
	{
		static const char *const order[] = {"s", "i", "r", "t", "f", "z", "a", "o"};
		assert_string_equal(k, order[i]);
	}
	assert_string_equal(jv_str(jv_get(v, "s")), "caf\xc3\xa9 \xf0\x9f\x98\x80\n");
	assert_int_equal(jv_strlen(jv_get(v, "s")), 11);
	assert_true(jv_int(jv_get(v, "i")) == INT64_MIN);
	assert_true(jv_is_number(jv_get(v, "r")) && !jv_is_integer(jv_get(v, "r")));
	assert_true(jv_number(jv_get(v, "r")) == 2500.0);
	assert_true(jv_is_true(jv_get(v, "t")) && jv_is_boolean(jv_get(v, "f")));
	assert_false(jv_is_true(jv_get(v, "f")));
	assert_int_equal(jv_get(v, "z")->type, JV_NULL);
	a = jv_get(v, "a");
	assert_int_equal(jv_size(a), 4);
	assert_int_equal(jv_int(jv_at(a, 0)), 1);
	assert_int_equal(jv_int(jv_at(jv_at(a, 1), 0)), 2);
	assert_true(jv_is_object(jv_at(a, 2)) && jv_size(jv_at(a, 2)) == 0);
	assert_string_equal(jv_str(jv_at(a, 3)), "x");
	assert_null(jv_at(a, 4));
	assert_null(jv_get(v, "missing"));
	assert_null(jv_get(a, "s"));
	assert_null(jv_str(jv_get(v, "i")));

	/* the same jdoc parses the next document; a top-level scalar is a value too */
	v = parse(&d, "\"again\"", &e);
	assert_string_equal(jv_str(v), "again");
	jdoc_release(&d);
}

static void check_error(const char *text, int depth, const char *want, size_t position)
{
	struct jdoc d;
	struct jdoc_error e;

	jdoc_init(&d, depth);
	assert_null(jdoc_parse(&d, text, strlen(text), &e));
	if (!strstr(e.text, want))
		fail_msg("for %s: got \"%s\", want \"%s\"", text, e.text, want);
	if (position != (size_t)-1 && e.position != position)
		fail_msg("for %s: error at byte %zu, want %zu", text, e.position, position);
	jdoc_release(&d);
}

static void errors_say_what_and_where(void **state)
{
	(void)state;
	check_error("{\"a\":1,\"b\":2,\"a\":3}", 0, "duplicate key \"a\"", 16);
	check_error("{\"a\":\"x\\u0000y\"}", 0, "NUL", (size_t)-1);
	check_error("{\"a\\u0000\":1}", 0, "NUL", (size_t)-1);
	check_error("{\"a\":\"\xff\"}", 0, "invalid bytes in UTF8 string", (size_t)-1);
	check_error("{\"a\":99999999999999999999}", 0, "integer 99999999999999999999 out of range",
		    (size_t)-1);
	check_error("[[[1]]]", 2, "nested deeper than 2 levels", 3);
	check_error("{\"a\":1} x", 0, "trailing garbage", (size_t)-1);
	check_error("{\"a\":1", 0, "premature EOF", (size_t)-1);
	check_error("{\"a\" 1}", 0, "object key and value must be separated by a colon",
		    (size_t)-1);
	check_error("", 0, "", (size_t)-1);
	check_error("   ", 0, "", (size_t)-1);
}

/* Objects larger than the linear check are checked when they close. */
static void duplicate_keys_in_a_large_object(void **state)
{
	char text[4096];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "{");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\"k%d\":%d,", i, i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\"k7\":0}");
	check_error(text, 0, "duplicate key \"k7\" in the object ending here", n);

	struct jdoc d;
	struct jdoc_error e;
	jdoc_init(&d, 0);
	text[n - 6] = 'x'; /* "x7": no duplicate any more */
	const struct jv *v = jdoc_parse(&d, text, n, &e);
	assert_non_null(v);
	assert_int_equal(jv_size(v), 101);
	assert_int_equal(jv_int(jv_get(v, "k99")), 99);
	jdoc_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(values_in_document_order),
	    cmocka_unit_test(errors_say_what_and_where),
	    cmocka_unit_test(duplicate_keys_in_a_large_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
