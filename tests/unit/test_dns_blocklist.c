/* The listing set: prefixes, exclusions, names, batches, merges, and lookups
 * that run while commits happen. */
#include <setjmp.h>
#include <cmocka.h>

#include "dns/blocklist.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>

static void entry(struct dnsbl_entry *e, const char *text, uint8_t code, const char *reason)
{
	char err[200];

	memset(e, 0, sizeof(*e));
	assert_int_equal(dnsbl_entry_parse(text, strlen(text), e, err, sizeof(err)), ERR_OK);
	e->code = code;
	e->reason = reason;
}

static void add(struct dnsbl *bl, const char *text, uint8_t code, const char *reason)
{
	struct dnsbl_batch *b = dnsbl_batch_new(bl);
	struct dnsbl_entry e;

	entry(&e, text, code, reason);
	assert_int_equal(dnsbl_batch_add(b, &e), ERR_OK);
	assert_int_equal(dnsbl_commit(bl, b), ERR_OK);
}

static void del(struct dnsbl *bl, const char *text)
{
	struct dnsbl_batch *b = dnsbl_batch_new(bl);
	struct dnsbl_entry e;

	entry(&e, text, 0, NULL);
	assert_int_equal(dnsbl_batch_remove(b, &e), ERR_OK);
	assert_int_equal(dnsbl_commit(bl, b), ERR_OK);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

static bool l4(struct dnsbl *bl, const char *s, struct dnsbl_hit *h)
{
	return dnsbl_lookup_ip4(bl, NULL, ip4(s), h);
}

static bool l6(struct dnsbl *bl, const char *s)
{
	uint8_t a[16];
	struct dnsbl_hit h;

	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	return dnsbl_lookup_ip6(bl, NULL, a, &h);
}

static void parses_entries(void **state)
{
	struct dnsbl_entry e;
	char err[200], out[300];
	const char *bad[] = {"192.0.2.1/24",
			     "192.0.2.256",
			     "192.0.2",
			     "10.0.0.0/33",
			     "2001:db8::1/64",
			     "2001:db8::/129",
			     "exa mple.org",
			     "a..b",
			     "",
			     "example.org/24",
			     "*."};

	entry(&e, "192.0.2.0/24", 2, NULL);
	assert_int_equal(e.kind, DNSBL_IP4);
	assert_int_equal(e.plen, 24);
	dnsbl_entry_format(&e, out, sizeof(out));
	assert_string_equal(out, "192.0.2.0/24");
	entry(&e, "2001:DB8:1:2::/64", 2, NULL);
	assert_int_equal(e.kind, DNSBL_IP6);
	dnsbl_entry_format(&e, out, sizeof(out));
	assert_string_equal(out, "2001:db8:1:2::/64");
	entry(&e, "*.Spam.Example", 2, NULL);
	assert_int_equal(e.kind, DNSBL_NAME_WILD);
	assert_string_equal(e.name, "spam.example");
	dnsbl_entry_format(&e, out, sizeof(out));
	assert_string_equal(out, "*.spam.example");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(dnsbl_entry_parse(bad[i], strlen(bad[i]), &e, err, sizeof(err)),
				 ERR_INVALID);
		assert_true(err[0] != '\0');
	}
	dnsbl_entry_parse("192.0.2.1/24", 12, &e, err, sizeof(err));
	assert_string_equal(err, "host bits set below the prefix in '192.0.2.1/24'");
}

static void most_specific_prefix_wins(void **state)
{
	struct dnsbl *bl = dnsbl_new();
	struct dnsbl_hit h;

	add(bl, "198.51.100.0/24", DNSBL_CODE_SPAM, "net");
	add(bl, "198.51.100.7", DNSBL_CODE_PHISHING, "phish $");
	add(bl, "198.51.100.9", DNSBL_CODE_EXCLUDED, NULL);
	assert_true(l4(bl, "198.51.100.7", &h));
	assert_int_equal(h.code, 3);
	assert_string_equal(h.reason, "phish $");
	assert_true(l4(bl, "198.51.100.8", &h));
	assert_int_equal(h.code, 2);
	assert_int_equal(h.plen, 24);
	assert_string_equal(h.reason, "net");
	assert_false(l4(bl, "198.51.100.9", &h)); /* excluded */
	assert_false(l4(bl, "198.51.101.1", &h));
	assert_int_equal(dnsbl_count(bl), 3);
	del(bl, "198.51.100.7");
	assert_true(l4(bl, "198.51.100.7", &h)); /* the /24 still holds it */
	assert_int_equal(h.code, 2);
	del(bl, "198.51.100.0/24");
	assert_false(l4(bl, "198.51.100.7", &h));
	assert_int_equal(dnsbl_count(bl), 1);
	del(bl, "203.0.113.1"); /* absent: no-op */
	assert_int_equal(dnsbl_count(bl), 1);
	assert_true(dnsbl_serial(bl) >= 6);
	dnsbl_free(bl);
}

static void ipv6_prefix_matches_inside(void **state)
{
	struct dnsbl *bl = dnsbl_new();

	add(bl, "2001:db8:1:2::/64", DNSBL_CODE_SPAM, NULL);
	add(bl, "2001:db8:ffff::1", DNSBL_CODE_MALWARE, NULL);
	assert_true(l6(bl, "2001:db8:1:2:abcd::99"));
	assert_false(l6(bl, "2001:db8:1:3::1"));
	assert_true(l6(bl, "2001:db8:ffff::1"));
	assert_false(l6(bl, "2001:db8:ffff::2"));
	dnsbl_free(bl);
}

static void names_exact_and_wildcard(void **state)
{
	struct dnsbl *bl = dnsbl_new();
	struct dnsbl_hit h;

	add(bl, "spam.example", DNSBL_CODE_SPAM, "exact");
	add(bl, "*.bad.example", DNSBL_CODE_PHISHING, "wild");
	add(bl, "*.x.bad.example", DNSBL_CODE_MALWARE, "deeper");
	assert_true(dnsbl_lookup_name(bl, NULL, "spam.example", &h));
	assert_string_equal(h.reason, "exact");
	assert_false(dnsbl_lookup_name(bl, NULL, "www.spam.example", &h));
	assert_false(dnsbl_lookup_name(bl, NULL, "bad.example", &h)); /* wildcard: below only */
	assert_true(dnsbl_lookup_name(bl, NULL, "a.b.bad.example", &h));
	assert_int_equal(h.code, 3);
	assert_true(dnsbl_lookup_name(bl, NULL, "y.x.bad.example", &h));
	assert_int_equal(h.code, 4); /* the longest wildcard */
	del(bl, "*.bad.example");
	assert_false(dnsbl_lookup_name(bl, NULL, "a.b.bad.example", &h));
	dnsbl_free(bl);
}

struct names_seen {
	char text[256];
	size_t len;
};

static int collect_name(const struct dnsbl_entry *e, void *ctx)
{
	struct names_seen *s = ctx;
	char v[300];
	size_t n = dnsbl_entry_format(e, v, sizeof(v));

	if (s->len + n + 2 > sizeof(s->text))
		return 1;
	memcpy(s->text + s->len, v, n);
	s->len += n;
	s->text[s->len++] = ' ';
	s->text[s->len] = '\0';
	return 0;
}

/* The names above a listed one exist (empty non-terminals): a resolver that
 * minimises the QNAME asks them first, and NXDOMAIN there would hide the
 * listing. Names beside or below a listing have nothing below them. */
static void names_below_listings(void **state)
{
	struct dnsbl *bl = dnsbl_new();

	add(bl, "spam.mail.example", DNSBL_CODE_SPAM, NULL);
	add(bl, "*.bad.example", DNSBL_CODE_PHISHING, NULL);
	add(bl, "x.mail-a.example", DNSBL_CODE_SPAM, NULL); /* '-' sorts before '.' */
	assert_true(dnsbl_name_has_below(bl, NULL, "mail.example"));
	assert_true(dnsbl_name_has_below(bl, NULL, "example"));
	assert_true(dnsbl_name_has_below(bl, NULL, "bad.example")); /* its wildcard */
	assert_true(dnsbl_name_has_below(bl, NULL, "mail-a.example"));
	assert_false(dnsbl_name_has_below(bl, NULL, "a.example"));
	assert_false(dnsbl_name_has_below(bl, NULL, "spam.mail.example"));
	assert_false(dnsbl_name_has_below(bl, NULL, "ail.example"));
	assert_false(dnsbl_name_has_below(bl, NULL, "mail.example.org"));
	assert_false(dnsbl_name_has_below(bl, NULL, "x.spam.mail.example"));
	assert_false(dnsbl_name_has_below(bl, NULL, "xample"));
	/* a removal empties what was above it */
	del(bl, "spam.mail.example");
	assert_false(dnsbl_name_has_below(bl, NULL, "mail.example")); /* mail-a is beside it */
	assert_true(dnsbl_name_has_below(bl, NULL, "example"));
	/* and the text form survives the reversed keeping */
	struct names_seen seen = {0};
	assert_int_equal(dnsbl_foreach(bl, collect_name, &seen), 0);
	assert_string_equal(seen.text, "x.mail-a.example *.bad.example ");
	dnsbl_free(bl);
}

static void rejects_bad_adds(void **state)
{
	struct dnsbl *bl = dnsbl_new();
	struct dnsbl_batch *b = dnsbl_batch_new(bl);
	struct dnsbl_entry e;
	char reason[300];

	entry(&e, "192.0.2.1", 1, NULL);
	assert_int_equal(dnsbl_batch_add(b, &e), ERR_INVALID); /* 127.0.0.1 is never an answer */
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	e.code = 2;
	e.reason = reason;
	assert_int_equal(dnsbl_batch_add(b, &e), ERR_INVALID);
	e.plen = 24; /* host bits set */
	e.reason = NULL;
	assert_int_equal(dnsbl_batch_add(b, &e), ERR_INVALID);
	assert_int_equal(dnsbl_batch_size(b), 0);
	dnsbl_batch_free(b);
	dnsbl_free(bl);
}

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 32);
}

/* Enough adds to force merges into the base; later batches win within one. */
static void large_batches_merge(void **state)
{
	struct dnsbl *bl = dnsbl_new();
	struct dnsbl_batch *b = dnsbl_batch_new(bl);
	struct dnsbl_entry e;
	struct dnsbl_hit h;
	uint64_t s = 42;
	enum { N = 200000 };
	uint32_t *keys = malloc(N * sizeof(uint32_t));
	size_t n = 0;

	memset(&e, 0, sizeof(e));
	e.kind = DNSBL_IP4;
	e.plen = 32;
	e.code = 2;
	e.reason = "bulk";
	for (int i = 0; i < N; i++) {
		uint32_t k = rnd(&s) | 0x01000000;

		keys[i] = k;
		e.addr[0] = (uint8_t)(k >> 24);
		e.addr[1] = (uint8_t)(k >> 16);
		e.addr[2] = (uint8_t)(k >> 8);
		e.addr[3] = (uint8_t)k;
		assert_int_equal(dnsbl_batch_add(b, &e), ERR_OK);
	}
	/* the same key twice in one batch: the later wins */
	e.code = 4;
	e.addr[0] = (uint8_t)(keys[0] >> 24);
	e.addr[1] = (uint8_t)(keys[0] >> 16);
	e.addr[2] = (uint8_t)(keys[0] >> 8);
	e.addr[3] = (uint8_t)keys[0];
	dnsbl_batch_add(b, &e);
	assert_int_equal(dnsbl_commit(bl, b), ERR_OK);
	for (int i = 0; i < N; i++)
		assert_true(dnsbl_lookup_ip4(bl, NULL, keys[i], NULL));
	assert_true(dnsbl_lookup_ip4(bl, NULL, keys[0], &h));
	assert_int_equal(h.code, 4);
	n = dnsbl_count(bl);
	assert_true(n > N - 100 && n <= N);
	/* remove half in small batches (stays in the delta), then big (merges) */
	for (int round = 0; round < 2; round++) {
		b = dnsbl_batch_new(bl);
		for (int i = 0; i < N; i += round ? 2 : 100) {
			uint32_t k = keys[i];
			e.addr[0] = (uint8_t)(k >> 24);
			e.addr[1] = (uint8_t)(k >> 16);
			e.addr[2] = (uint8_t)(k >> 8);
			e.addr[3] = (uint8_t)k;
			dnsbl_batch_remove(b, &e);
		}
		dnsbl_commit(bl, b);
	}
	for (int i = 0; i < N; i += 2)
		assert_false(dnsbl_lookup_ip4(bl, NULL, keys[i], NULL));
	free(keys);
	dnsbl_free(bl);
}

struct fe {
	int n;
	char first[64];
};

static int count_entry(const struct dnsbl_entry *e, void *ctx)
{
	struct fe *f = ctx;

	if (f->n++ == 0)
		dnsbl_entry_format(e, f->first, sizeof(f->first));
	return 0;
}

static void foreach_sees_merged_view(void **state)
{
	struct dnsbl *bl = dnsbl_new();
	struct fe f = {0};

	add(bl, "10.0.0.2", 2, NULL);
	add(bl, "10.0.0.1", 2, NULL);
	add(bl, "2001:db8::/32", 2, NULL);
	add(bl, "example.org", 2, NULL);
	del(bl, "10.0.0.2");
	assert_int_equal(dnsbl_foreach(bl, count_entry, &f), 0);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.first, "10.0.0.1");
	dnsbl_free(bl);
}

struct race {
	struct dnsbl *bl;
	atomic_int stop;
	atomic_long lookups;
	atomic_int wrong;
};

static void *reader(void *p)
{
	struct race *r = p;
	struct dnsbl_reader *rd = dnsbl_reader_new(r->bl);
	struct dnsbl_hit h;

	while (!atomic_load(&r->stop)) {
		/* 10.0.0.0/8 stays listed through every commit */
		if (!dnsbl_lookup_ip4(r->bl, rd, 0x0A010203, &h) || h.code != 2 ||
		    strcmp(h.reason, "always"))
			atomic_fetch_add(&r->wrong, 1);
		dnsbl_lookup_name(r->bl, rd, "a.b.example", &h);
		atomic_fetch_add(&r->lookups, 1);
	}
	dnsbl_reader_release(rd);
	return NULL;
}

static void lookups_run_during_commits(void **state)
{
	struct race r = {.bl = dnsbl_new()};
	pthread_t th[2];
	struct dnsbl_entry e;

	add(r.bl, "10.0.0.0/8", 2, "always");
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader, &r);
	for (int round = 0; round < 60; round++) {
		struct dnsbl_batch *b = dnsbl_batch_new(r.bl);

		memset(&e, 0, sizeof(e));
		e.kind = DNSBL_IP4;
		e.plen = 32;
		e.code = 3;
		for (uint32_t i = 0; i < 5000; i++) {
			uint32_t k = 0xC0000000u + (uint32_t)round * 5000 + i;
			e.addr[0] = (uint8_t)(k >> 24);
			e.addr[1] = (uint8_t)(k >> 16);
			e.addr[2] = (uint8_t)(k >> 8);
			e.addr[3] = (uint8_t)k;
			dnsbl_batch_add(b, &e);
		}
		entry(&e, "*.example", 2, round % 2 ? "odd" : "even");
		dnsbl_batch_add(b, &e);
		dnsbl_commit(r.bl, b);
	}
	atomic_store(&r.stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&r.wrong), 0);
	assert_true(atomic_load(&r.lookups) > 0);
	assert_true(dnsbl_lookup_ip4(r.bl, NULL, 0xC0000000u + 59 * 5000 + 4999, NULL));
	assert_int_equal(dnsbl_count(r.bl), 1 + 60 * 5000 + 1);
	dnsbl_free(r.bl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_entries),
	    cmocka_unit_test(most_specific_prefix_wins),
	    cmocka_unit_test(ipv6_prefix_matches_inside),
	    cmocka_unit_test(names_exact_and_wildcard),
	    cmocka_unit_test(names_below_listings),
	    cmocka_unit_test(rejects_bad_adds),
	    cmocka_unit_test(large_batches_merge),
	    cmocka_unit_test(foreach_sees_merged_view),
	    cmocka_unit_test(lookups_run_during_commits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
