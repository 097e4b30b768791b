/* The STIX patterning parser: what it accepts, what it extracts, where it fails. */
#include <setjmp.h>
#include <cmocka.h>

#include "formats/stix_pattern.h"
#include "util/buf.h"
#include "util/err.h"

static int parse(const char *s, struct stix_pattern **p, struct err_detail *err)
{
	err_clear(err);
	return stix_pattern_parse(s, strlen(s), p, err);
}

/* Renders every comparison as "type:path op [NOT] kind:text,..." joined by " | ". */
static int render_cb(void *ctx, const struct stix_pattern_comparison *c)
{
	struct buf *b = ctx;
	static const char *kinds[] = {"s", "i", "f", "b", "t", "h", "bin"};

	if (b->len)
		buf_adds(b, " | ");
	buf_addf(b, "%zu %s:%s %s%s", c->observation, c->object_type, c->path,
		 c->negated ? "NOT " : "", c->op_name);
	for (size_t i = 0; i < c->nvalues; i++)
		buf_addf(b, "%s%s:%s", i ? "," : " ", kinds[c->values[i].kind], c->values[i].text);
	return 0;
}

static char *render(const char *s)
{
	struct stix_pattern *p;
	struct err_detail err;
	struct buf b;

	if (parse(s, &p, &err)) {
		fprintf(stderr, "%s: %s\n", s, err.message);
		fail();
	}
	buf_init(&b, 1 << 16);
	buf_adds(&b, "");
	stix_pattern_foreach_comparison(p, render_cb, &b);
	stix_pattern_free(p);
	return buf_detach(&b, NULL);
}

#define ASSERT_RENDER(pat, want)                                                                   \
	do {                                                                                       \
		char *got_ = render(pat);                                                          \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

static void extracts_comparisons(void **state)
{
	ASSERT_RENDER("[ipv4-addr:value = '198.51.100.7']", "0 ipv4-addr:value = s:198.51.100.7");
	ASSERT_RENDER("[file:hashes.'SHA-256' = 'ef53']", "0 file:hashes.'SHA-256' = s:ef53");
	ASSERT_RENDER("[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
		      "0 ipv4-addr:value ISSUBSET s:198.51.100.0/24");
	ASSERT_RENDER("[url:value = 'http://x/\\'q\\'\\\\']", "0 url:value = s:http://x/'q'\\");
	ASSERT_RENDER(
	    "[domain-name:value = 'a.example' OR domain-name:value LIKE '%.b.example'] "
	    "FOLLOWEDBY [email-addr:value NOT = 'x@y.example'] WITHIN 60 SECONDS",
	    "0 domain-name:value = s:a.example | 0 domain-name:value LIKE s:%.b.example | "
	    "1 email-addr:value NOT = s:x@y.example");
	ASSERT_RENDER(
	    "[network-traffic:dst_port IN (80, 443) AND EXISTS network-traffic:src_ref]",
	    "0 network-traffic:dst_port IN i:80,i:443 | 0 network-traffic:src_ref EXISTS");
	ASSERT_RENDER("[file:extensions.'windows-pebinary-ext'.sections[*].entropy >= 7.5]",
		      "0 file:extensions.'windows-pebinary-ext'.sections[*].entropy >= f:7.5");
	ASSERT_RENDER("[x-thing:list[-1] != -3 AND x-thing:flag = TRUE AND x-thing:t < "
		      "t'2024-01-01T00:00:00Z' AND x-thing:h = h'00ff' AND x-thing:b = b'AA==']",
		      "0 x-thing:list[-1] != i:-3 | 0 x-thing:flag = b:true | "
		      "0 x-thing:t < t:2024-01-01T00:00:00Z | 0 x-thing:h = h:00ff | "
		      "0 x-thing:b = bin:AA==");
	ASSERT_RENDER("([a-b:c = 1] AND ([d-e:f = 2] OR [g-h:i = 3]) REPEATS 5 TIMES) START "
		      "t'2024-01-01T00:00:00Z' STOP t'2024-01-02T00:00:00Z'",
		      "0 a-b:c = i:1 | 1 d-e:f = i:2 | 2 g-h:i = i:3");
	ASSERT_RENDER("[file:name MATCHES '^invoice_[0-9]{4}\\\\.(exe|scr)$']",
		      "0 file:name MATCHES s:^invoice_[0-9]{4}\\.(exe|scr)$");
}

static void check_error(const char *pat, int code, const char *msg)
{
	struct stix_pattern *p = (struct stix_pattern *)1;
	struct err_detail err;

	assert_int_equal(parse(pat, &p, &err), code);
	assert_null(p);
	if (strcmp(err.message, msg)) {
		fprintf(stderr, "%s\n  expected: %s\n  got:      %s\n", pat, msg, err.message);
		fail();
	}
	assert_string_equal(err.field, "pattern");
}

static void rejects_with_position(void **state)
{
	check_error("", ERR_SYNTAX, "pattern: position 0: empty pattern");
	check_error("[ipv4-addr:value = '1.2.3.4'", ERR_SYNTAX,
		    "pattern: position 28: expected ']', found the end of the pattern");
	check_error("[ipv4-addr:value = '1.2.3.4' AND]", ERR_SYNTAX,
		    "pattern: position 32: expected an object path");
	check_error("[ipv4-addr:value '1.2.3.4']", ERR_SYNTAX,
		    "pattern: position 17: expected a comparison operator");
	check_error("[ipv4-addr:value = '1.2.3.4]", ERR_SYNTAX,
		    "pattern: position 28: unterminated string");
	check_error("[ipv4-addr:value = 'a\\nb']", ERR_SYNTAX,
		    "pattern: position 21: invalid escape in string (only \\' and \\\\)");
	check_error("[ipv4-addr value = 'x']", ERR_SYNTAX,
		    "pattern: position 11: expected ':' after the object type");
	check_error("[IPv4-addr:value = 'x']", ERR_SYNTAX,
		    "pattern: position 1: not an object type");
	check_error("[a-b:c LIKE 3]", ERR_SYNTAX,
		    "pattern: position 12: LIKE needs a string literal");
	check_error("[a-b:c > true]", ERR_SYNTAX,
		    "pattern: position 9: > needs an orderable literal");
	check_error("[a-b:c = 1] WITHIN 0 SECONDS", ERR_SYNTAX,
		    "pattern: position 19: expected a positive number of seconds");
	check_error("[a-b:c = 1] REPEATS 2", ERR_SYNTAX,
		    "pattern: position 21: expected TIMES, found the end of the pattern");
	check_error("[a-b:c = t'2024-01-01T00:00:00+01:00']", ERR_INVALID,
		    "pattern: position 9: not an RFC 3339 UTC timestamp");
	check_error("[a-b:c = h'abc']", ERR_INVALID,
		    "pattern: position 9: not an even number of hex digits");
	check_error("[a-b:c = 1] and [a-b:c = 2]", ERR_SYNTAX,
		    "pattern: position 12: unexpected text after the pattern");
	check_error("[a-b:c = 01]", ERR_SYNTAX, "pattern: position 9: malformed number");
	check_error("[a-b:c.d-e = 1]", ERR_SYNTAX, "pattern: position 7: expected a property name");
	check_error("[a-b:c IN (1, 2]", ERR_SYNTAX, "pattern: position 15: expected ',' or ')'");
	/* MATCHES: the expression must compile as PCRE */
	check_error("[file:name MATCHES '^(evil.*\\\\.exe$']", ERR_SYNTAX,
		    "pattern: position 19: MATCHES: not a PCRE regular expression (missing closing "
		    "parenthesis, at byte 14 of the expression)");
	check_error("[file:name MATCHES 'a{2,1}']", ERR_SYNTAX,
		    "pattern: position 19: MATCHES: not a PCRE regular expression (numbers out of "
		    "order in {} quantifier, at byte 5 of the expression)");
}

static void caps_hold(void **state)
{
	struct buf b;
	struct stix_pattern *p;
	struct err_detail err;

	buf_init(&b, 1 << 20);
	for (int i = 0; i < 100; i++)
		buf_addc(&b, '(');
	buf_adds(&b, "[a-b:c = 1]");
	for (int i = 0; i < 100; i++)
		buf_addc(&b, ')');
	assert_int_equal(parse(b.data, &p, &err), ERR_TOO_LARGE);
	assert_string_equal(err.message, "pattern: position 64: nested deeper than 64");
	buf_reset(&b);
	for (int i = 0; i < 40000; i++)
		buf_adds(&b, "[a-b:c = 1] OR ");
	buf_adds(&b, "[a-b:c = 1]");
	assert_int_equal(stix_pattern_parse(b.data, b.len, &p, &err), ERR_TOO_LARGE);
	/* many comparisons under the length cap are fine: no recursion per AND/OR */
	buf_reset(&b);
	buf_addc(&b, '[');
	for (int i = 0; i < 10000; i++)
		buf_adds(&b, "a-b:c = 1 AND ");
	buf_adds(&b, "a-b:c = 1]");
	assert_int_equal(parse(b.data, &p, &err), ERR_OK);
	stix_pattern_free(p);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(extracts_comparisons),
	    cmocka_unit_test(rejects_with_position),
	    cmocka_unit_test(caps_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
