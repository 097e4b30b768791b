/* Reputation formula (with the worked example of docs/internals/spam.md)
 * and fingerprints. */
#include <setjmp.h>
#include <cmocka.h>

#include "spam/fingerprint.h"
#include "spam/reputation.h"

#include <math.h>

#define H (3 * 86400000LL) /* default half-life in ms */
#define NOW (1700000000000LL)

static void one_reporter_never_lists(void **state)
{
	struct spam_rep_params p;
	struct spam_rep_event ev[50];

	spam_rep_defaults(&p);
	for (int i = 0; i < 50; i++)
		ev[i] = (struct spam_rep_event){.reporter = 7, .time_ms = NOW};
	double s = spam_rep_score(ev, 50, NOW, &p);
	assert_true(s < 2.0 && s > 1.99); /* saturates at S = 2 */
	assert_false(spam_rep_listed(s, false, &p));
	assert_true(fabs(spam_rep_score(ev, 1, NOW, &p) - 1.0) < 1e-9);
	assert_true(fabs(spam_rep_score(ev, 2, NOW, &p) - 1.5) < 1e-9);
}

/* The worked example of docs/internals/spam.md. */
static void worked_example(void **state)
{
	struct spam_rep_params p;
	struct spam_rep_event ev[] = {
	    {.reporter = 1, .time_ms = NOW},	     /* A, now */
	    {.reporter = 1, .time_ms = NOW - H},     /* A, one half-life ago */
	    {.reporter = 2, .time_ms = NOW - 2 * H}, /* B, two half-lives ago */
	    {.reporter = 3, .time_ms = NOW},	     /* C, now */
	};
	double s;

	spam_rep_defaults(&p);
	/* A: c = 1 + 0.5 = 1.5, w = 2(1 - 0.5^1.5) = 1.2929
	 * B: c = 0.25,          w = 2(1 - 0.5^0.25) = 0.3182
	 * C: c = 1,             w = 1 */
	s = spam_rep_score(ev, 4, NOW, &p);
	assert_true(fabs(s - 2.6111) < 1e-3);
	assert_true(spam_rep_listed(s, false, &p));
	/* it stays listed until the score falls below 1.0 */
	int64_t exp = spam_rep_expiry(ev, 4, NOW, &p);
	assert_true(exp > NOW + H && exp < NOW + 3 * H);
	assert_true(spam_rep_score(ev, 4, exp, &p) < 1.0);
	assert_true(spam_rep_score(ev, 4, exp - 2000, &p) >= 1.0);
	assert_true(spam_rep_listed(1.5, true, &p));
	assert_false(spam_rep_listed(1.5, false, &p));
	assert_int_equal(spam_rep_expiry(ev, 0, NOW, &p), NOW);
}

static void source_keys(void **state)
{
	char k[80];
	struct err_detail d;

	assert_int_equal(spam_source_key("198.51.100.7", k, sizeof(k), &d), ERR_OK);
	assert_string_equal(k, "198.51.100.7");
	assert_int_equal(spam_source_key("2001:DB8:1:2:aaaa::9", k, sizeof(k), &d), ERR_OK);
	assert_string_equal(k, "2001:db8:1:2::/64");
	assert_int_equal(spam_source_key("Mail.Example.ORG.", k, sizeof(k), &d), ERR_OK);
	assert_string_equal(k, "mail.example.org");
	assert_int_equal(spam_source_key("a..b", k, sizeof(k), &d), ERR_INVALID);
	assert_int_equal(spam_source_key("bad host", k, sizeof(k), &d), ERR_INVALID);
	assert_string_equal(d.message, "not an IP address or domain: 'bad host'");
}

static void normalisation(void **state)
{
	struct buf b;

	buf_init(&b, 4096);
	const char *t =
	    "  Hello\r\n\tWORLD <b>now</b>  see https://Shop.Example/Buy?id=123&u=me#x !\n";
	assert_int_equal(spam_fp_normalise(t, strlen(t), &b), ERR_OK);
	assert_string_equal(b.data, "hello world now see https://shop.example/buy !");
	buf_release(&b);
}

static const char SPAM[] =
    "Dear friend, you have been selected to receive a special prize of one million dollars. "
    "To claim your prize please send your bank details and a small processing fee to our "
    "agent at https://claims.example/win?user=%d before the end of the week. This offer is "
    "strictly confidential and must not be shared with anyone else. Best regards, the "
    "international lottery commission.";

static void similar_messages(void **state)
{
	struct spam_fp a, b, c, e;
	char t1[1024], t2[1024];
	char hex[2 * SPAM_FP_HASH_LEN + 1];
	uint8_t key[SPAM_FP_KEY_LEN] = {1, 2, 3};

	snprintf(t1, sizeof(t1), SPAM, 111);
	snprintf(t2, sizeof(t2), SPAM, 222);
	/* per-recipient query strings and case/space changes do not matter */
	assert_int_equal(spam_fp_compute(t1, strlen(t1), NULL, &a), ERR_OK);
	assert_int_equal(spam_fp_compute(t2, strlen(t2), NULL, &b), ERR_OK);
	assert_memory_equal(a.body_hash, b.body_hash, SPAM_FP_HASH_LEN);
	assert_true(spam_fp_similarity(&a, &b) == 1.0);
	/* a few words changed: similar, not equal */
	char *p = strstr(t2, "one million dollars");
	memcpy(p, "two billion euros!!", 19);
	spam_fp_compute(t2, strlen(t2), NULL, &b);
	assert_memory_not_equal(a.body_hash, b.body_hash, SPAM_FP_HASH_LEN);
	double sim = spam_fp_similarity(&a, &b);
	assert_true(sim > 0.6 && sim < 1.0);
	/* an unrelated text */
	const char *other = "Meeting moved to Thursday at ten, the agenda and the minutes of the "
			    "last session are attached; please bring the budget figures.";
	spam_fp_compute(other, strlen(other), NULL, &c);
	assert_true(spam_fp_similarity(&a, &c) < 0.1);
	/* keyed fingerprints differ from unkeyed ones, and match each other */
	spam_fp_compute(t1, strlen(t1), key, &e);
	assert_memory_not_equal(a.body_hash, e.body_hash, SPAM_FP_HASH_LEN);
	assert_true(spam_fp_similarity(&a, &e) < 0.1);
	spam_fp_compute(t1, strlen(t1), key, &c);
	assert_true(spam_fp_similarity(&e, &c) == 1.0);
	spam_fp_hash_hex(&a, hex);
	assert_int_equal(strlen(hex), 64);
	/* empty and short texts */
	spam_fp_compute("", 0, NULL, &c);
	assert_int_equal(c.words, 0);
	assert_true(spam_fp_similarity(&c, &c) == 0.0);
	spam_fp_compute("buy now", 7, NULL, &c);
	spam_fp_compute("BUY   now\n", 10, NULL, &e);
	assert_true(spam_fp_similarity(&c, &e) == 1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_reporter_never_lists),
	    cmocka_unit_test(worked_example),
	    cmocka_unit_test(source_keys),
	    cmocka_unit_test(normalisation),
	    cmocka_unit_test(similar_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
