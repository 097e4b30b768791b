#include <setjmp.h>
#include <cmocka.h>

#include "directory/token.h"
#include "util/err.h"
#include "util/validate.h"

static void generated_tokens_parse_to_their_hash(void **state)
{
	char text[TOKEN_TEXT_MAX], lookup[TOKEN_LOOKUP_LEN + 1], lookup2[TOKEN_LOOKUP_LEN + 1];
	uint8_t hash[TOKEN_HASH_LEN], hash2[TOKEN_HASH_LEN];
	assert_int_equal(token_init(), ERR_OK);
	token_generate(text, lookup, hash);
	assert_int_equal(strncmp(text, "atl_", 4), 0);
	assert_int_equal(token_parse(text, strlen(text), lookup2, hash2), ERR_OK);
	assert_string_equal(lookup, lookup2);
	assert_true(token_hash_equal(hash, hash2));
	text[strlen(text) - 1] ^= 1; /* one bit of the secret */
	assert_int_equal(token_parse(text, strlen(text), lookup2, hash2), ERR_OK);
	assert_false(token_hash_equal(hash, hash2));
	char other[TOKEN_TEXT_MAX];
	token_generate(other, lookup2, hash2);
	assert_string_not_equal(text, other);
}

static void malformed_tokens_are_refused(void **state)
{
	char lookup[TOKEN_LOOKUP_LEN + 1];
	uint8_t hash[TOKEN_HASH_LEN];
	const char *bad[] = {"",
			     "atl_",
			     "abc_0123456789abcdef_x",
			     "atl_0123456789ABCDEF_x",
			     "atl_0123456789abcde_xx",
			     "atl_0123456789abcdefxsecret"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(token_parse(bad[i], strlen(bad[i]), lookup, hash), ERR_UNAUTH);
}

static void validators(void **state)
{
	assert_true(valid_country("UY"));
	assert_true(valid_country("ZW"));
	assert_true(valid_country("AD"));
	assert_false(valid_country("XX"));
	assert_false(valid_country("uy"));
	assert_false(valid_country("URY"));
	assert_true(valid_language("es"));
	assert_true(valid_language("zu"));
	assert_false(valid_language("xx"));
	assert_true(valid_email("soc@cert.gub.uy"));
	assert_true(valid_email("first.last+tag@example.org"));
	assert_false(valid_email("a@b"));
	assert_false(valid_email("@example.org"));
	assert_false(valid_email("a..b@example.org"));
	assert_false(valid_email("a@-x.example.org"));
	assert_false(valid_email("a b@example.org"));
	assert_true(valid_phone("+598 2 123 4567"));
	assert_false(valid_phone("0800 1234"));
	assert_true(valid_pgp_fingerprint("0123456789ABCDEF0123456789abcdef01234567"));
	assert_false(valid_pgp_fingerprint("0123"));
	assert_true(valid_http_url("https://hooks.example.org/x"));
	assert_false(valid_http_url("javascript:alert(1)"));
	assert_false(valid_http_url("http:// x"));
	assert_true(valid_time_zone("UTC"));
	assert_false(valid_time_zone("../../etc/passwd"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(generated_tokens_parse_to_their_hash),
	    cmocka_unit_test(malformed_tokens_are_refused),
	    cmocka_unit_test(validators),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
