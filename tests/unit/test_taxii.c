/* TAXII request parameters: microsecond timestamps, match[] filters, and
 * `next` tokens bound to their member and query. */
#include <setjmp.h>
#include <cmocka.h>

#include "taxii/query.h"

static const unsigned char key[TAXII_NEXT_KEY_BYTES] = {7};

static void times_keep_microseconds(void **state)
{
	int64_t us;
	char out[32];
	assert_int_equal(taxii_time_parse("2016-11-03T12:30:59.001234Z", &us), ERR_OK);
	taxii_time_format(us, out);
	assert_string_equal(out, "2016-11-03T12:30:59.001234Z");
	assert_int_equal(taxii_time_parse("2016-11-03T12:30:59Z", &us), ERR_OK);
	assert_int_equal(us, 1478176259000000);
	assert_int_equal(taxii_time_parse("2016-11-03T12:30:59.123456789Z", &us), ERR_OK);
	assert_int_equal(us % 1000000, 123456);
	assert_int_equal(taxii_time_parse("2016-11-03T12:30:59+01:00", &us), ERR_INVALID);
	assert_int_equal(taxii_time_parse("2016-02-30T12:30:59Z", &us), ERR_INVALID);
	assert_int_equal(taxii_time_parse("2016-11-03T12:30:59.Z", &us), ERR_INVALID);
	assert_int_equal(taxii_time_parse("yesterday", &us), ERR_INVALID);
}

static int parse(struct arena *a, struct taxii_args *args, struct taxii_query *q,
		 struct err_detail *err)
{
	err_clear(err);
	return taxii_query_parse(args, 1000, a, q, err);
}

static void filters_parse_and_name_what_is_wrong(void **state)
{
	struct arena a;
	struct taxii_query q;
	struct err_detail err;
	arena_init(&a);
	struct taxii_args args = {.endpoint = "objects",
				  .collection = "all",
				  .type = "indicator,malware",
				  .version = "first,2016-12-25T12:30:59.444Z",
				  .limit = "5000"};
	assert_int_equal(parse(&a, &args, &q, &err), ERR_OK);
	assert_int_equal(q.limit, 1000); /* capped */
	assert_int_equal(q.ntypes, 2);
	assert_string_equal(q.types[1], "malware");
	assert_true(q.v_first && !q.v_last && q.nv == 1);
	assert_true(taxii_version_wanted(&q, 1482669059444, false, false));
	assert_false(taxii_version_wanted(&q, 1482669059445, false, true));
	assert_true(q.spec_21);
	args.limit = "0";
	assert_int_equal(parse(&a, &args, &q, &err), ERR_INVALID);
	assert_string_equal(err.field, "limit");
	args.limit = NULL;
	args.version = "newest";
	assert_int_equal(parse(&a, &args, &q, &err), ERR_INVALID);
	assert_string_equal(err.field, "match[version]");
	args.version = NULL;
	args.type = "indicator,,malware";
	assert_int_equal(parse(&a, &args, &q, &err), ERR_INVALID);
	args.type = NULL;
	args.spec_version = "2.0";
	assert_int_equal(parse(&a, &args, &q, &err), ERR_OK);
	assert_false(q.spec_21);
	arena_release(&a);
}

static void next_is_bound_to_member_and_query(void **state)
{
	struct arena a;
	struct taxii_query q, other;
	struct err_detail err;
	char tok[TAXII_NEXT_TEXT];
	int64_t seq = 0;
	arena_init(&a);
	struct taxii_args args = {.endpoint = "objects", .collection = "all", .limit = "2"};
	assert_int_equal(parse(&a, &args, &q, &err), ERR_OK);
	taxii_next_encode(key, 3, 12345, &q, tok);
	assert_int_equal(taxii_next_decode(key, tok, 3, &q, &seq, &err), ERR_OK);
	assert_int_equal(seq, 12345);
	assert_int_equal(taxii_next_decode(key, tok, 4, &q, &seq, &err), ERR_DENIED);
	args.version = "first";
	assert_int_equal(parse(&a, &args, &other, &err), ERR_OK);
	assert_int_equal(taxii_next_decode(key, tok, 3, &other, &seq, &err), ERR_INVALID);
	args.version = NULL;
	args.collection = "group-1";
	assert_int_equal(parse(&a, &args, &other, &err), ERR_OK);
	assert_int_equal(taxii_next_decode(key, tok, 3, &other, &seq, &err), ERR_INVALID);
	tok[10] = tok[10] == 'A' ? 'B' : 'A';
	assert_int_equal(taxii_next_decode(key, tok, 3, &q, &seq, &err), ERR_INVALID);
	unsigned char k2[TAXII_NEXT_KEY_BYTES] = {8};
	taxii_next_encode(k2, 3, 1, &q, tok);
	assert_int_equal(taxii_next_decode(key, tok, 3, &q, &seq, &err), ERR_INVALID);
	assert_int_equal(taxii_next_decode(key, "", 3, &q, &seq, &err), ERR_INVALID);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(times_keep_microseconds),
	    cmocka_unit_test(filters_parse_and_name_what_is_wrong),
	    cmocka_unit_test(next_is_bound_to_member_and_query),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
