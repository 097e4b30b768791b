#include <setjmp.h>
#include <cmocka.h>

#include "index/epoch.h"
#include "index/iptrie.h"

struct seen {
	size_t n;
	uint8_t addr[32768][16];
	unsigned len[32768];
	uint32_t handle[32768];
	enum iptrie_rel rel[32768];
};

static int collect(void *ctx, const uint8_t addr[16], unsigned len, uint32_t handle,
		   enum iptrie_rel rel)
{
	struct seen *s = ctx;

	assert_true(s->n < 32768);
	memcpy(s->addr[s->n], addr, 16);
	s->len[s->n] = len;
	s->handle[s->n] = handle;
	s->rel[s->n] = rel;
	s->n++;
	return 0;
}

static void set4(uint8_t a[16], unsigned x, unsigned y, unsigned z, unsigned w)
{
	memset(a, 0, 16);
	a[0] = (uint8_t)x;
	a[1] = (uint8_t)y;
	a[2] = (uint8_t)z;
	a[3] = (uint8_t)w;
}

static void put(struct iptrie *t, const uint8_t a[16], unsigned len, uint32_t h)
{
	atomic_store_explicit(iptrie_slot(t, a, len), h, memory_order_release);
}

static void answers_both_ways(void **state)
{
	struct epoch ep;
	struct iptrie *t;
	uint8_t a[16];
	struct seen *s = calloc(1, sizeof(*s));

	epoch_init(&ep);
	t = iptrie_new(4, &ep);
	set4(a, 198, 51, 100, 0);
	put(t, a, 24, 1);
	set4(a, 10, 0, 0, 5);
	put(t, a, 32, 2);
	set4(a, 10, 0, 1, 0);
	put(t, a, 24, 3);
	set4(a, 10, 1, 0, 0);
	put(t, a, 32, 4);

	/* nothing is visible before publish */
	set4(a, 198, 51, 100, 7);
	assert_int_equal(iptrie_lookup(t, a, 32, 0, collect, s), 0);
	iptrie_publish(t);

	/* a reported /24 matches an address inside it */
	assert_int_equal(iptrie_lookup(t, a, 32, 0, collect, s), 1);
	assert_int_equal(s->handle[0], 1);
	assert_int_equal(s->len[0], 24);
	assert_int_equal(s->rel[0], IPTRIE_CONTAINS);
	assert_int_equal(s->addr[0][3], 0);

	/* a queried /16 finds what lies inside */
	s->n = 0;
	set4(a, 10, 0, 0, 0);
	assert_int_equal(iptrie_lookup(t, a, 16, 0, collect, s), 2);
	assert_int_equal(s->handle[0], 2);
	assert_int_equal(s->rel[0], IPTRIE_WITHIN);
	assert_int_equal(s->handle[1], 3);
	assert_int_equal(s->len[1], 24);

	/* exact, and a /8 above everything; a capped walk */
	s->n = 0;
	set4(a, 10, 0, 1, 0);
	assert_int_equal(iptrie_lookup(t, a, 24, 0, collect, s), 1);
	assert_int_equal(s->rel[0], IPTRIE_EXACT);
	s->n = 0;
	set4(a, 10, 0, 0, 0);
	assert_int_equal(iptrie_lookup(t, a, 8, 2, collect, s), 2);
	s->n = 0;
	assert_int_equal(iptrie_lookup(t, a, 8, 0, collect, s), 3);

	/* a new handle on a published key is visible at once */
	set4(a, 10, 0, 0, 5);
	put(t, a, 32, 9);
	s->n = 0;
	assert_int_equal(iptrie_lookup(t, a, 32, 0, collect, s), 1);
	assert_int_equal(s->handle[0], 9);

	iptrie_free(t);
	epoch_release(&ep);
	free(s);
}

static void ipv6_keys(void **state)
{
	struct epoch ep;
	struct iptrie *t;
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
	struct seen *s = calloc(1, sizeof(*s));

	epoch_init(&ep);
	t = iptrie_new(6, &ep);
	put(t, a, 32, 1);
	a[15] = 1;
	put(t, a, 128, 2);
	iptrie_publish(t);
	assert_int_equal(iptrie_lookup(t, a, 128, 0, collect, s), 2);
	assert_int_equal(s->rel[0], IPTRIE_CONTAINS);
	assert_int_equal(s->rel[1], IPTRIE_EXACT);
	s->n = 0;
	a[15] = 0;
	assert_int_equal(iptrie_lookup(t, a, 32, 0, collect, s), 2);
	assert_int_equal(s->rel[0], IPTRIE_EXACT);
	assert_int_equal(s->rel[1], IPTRIE_WITHIN);
	s->n = 0;
	a[1] = 2;
	assert_int_equal(iptrie_lookup(t, a, 128, 0, collect, s), 0);
	iptrie_free(t);
	epoch_release(&ep);
	free(s);
}

/* Random prefixes in several batches (so that deltas are merged into the base),
 * compared with a brute-force answer. */
#define NKEYS 20000

static uint64_t rnd_state = 88172645463325252ull;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)rnd_state;
}

static uint32_t maskv4(uint32_t a, unsigned len)
{
	return len ? a & (uint32_t)(0xffffffffu << (32 - len)) : 0;
}

static void matches_brute_force(void **state)
{
	static uint32_t keys[NKEYS];
	static unsigned lens[NKEYS];
	struct epoch ep;
	struct iptrie *t;
	uint8_t a[16];
	struct seen *s = calloc(1, sizeof(*s));
	size_t n = 0;

	epoch_init(&ep);
	t = iptrie_new(4, &ep);
	for (int batch = 0; batch < 40; batch++) {
		for (int i = 0; i < NKEYS / 40; i++) {
			/* a small space, so that prefixes nest and repeat */
			unsigned len = (rnd() % 4 == 0) ? 16 + rnd() % 17 : 32;
			uint32_t k = maskv4(0x0a000000u | (rnd() & 0x3ffff), len);
			bool dup = false;
			for (size_t j = 0; j < n && !dup; j++)
				dup = keys[j] == k && lens[j] == len;
			set4(a, k >> 24, (k >> 16) & 255, (k >> 8) & 255, k & 255);
			if (!dup) {
				keys[n] = k;
				lens[n] = len;
				n++;
				put(t, a, len, (uint32_t)n);
			}
		}
		iptrie_publish(t);
	}
	struct iptrie_stats st;
	iptrie_stats(t, &st);
	assert_int_equal(st.keys, n);
	for (int q = 0; q < 2000; q++) {
		unsigned len = q % 3 ? 32 : 14 + rnd() % 19;
		uint32_t k = maskv4(0x0a000000u | (rnd() & 0x3ffff), len);
		size_t want = 0;
		for (size_t j = 0; j < n; j++) {
			bool contains = lens[j] <= len && maskv4(k, lens[j]) == keys[j];
			bool within = lens[j] > len && maskv4(keys[j], len) == k;
			want += contains || within;
		}
		s->n = 0;
		set4(a, k >> 24, (k >> 16) & 255, (k >> 8) & 255, k & 255);
		assert_int_equal(iptrie_lookup(t, a, len, 0, collect, s), want);
		for (size_t m = 0; m < s->n; m++) {
			uint32_t h = s->handle[m] - 1;
			uint32_t got = (uint32_t)s->addr[m][0] << 24 | s->addr[m][1] << 16 |
				       s->addr[m][2] << 8 | s->addr[m][3];
			assert_int_equal(got, keys[h]);
			assert_int_equal(s->len[m], lens[h]);
			enum iptrie_rel r = lens[h] == len  ? IPTRIE_EXACT
					    : lens[h] < len ? IPTRIE_CONTAINS
							    : IPTRIE_WITHIN;
			assert_int_equal(s->rel[m], r);
		}
	}
	iptrie_free(t);
	epoch_release(&ep);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(answers_both_ways),
	    cmocka_unit_test(ipv6_keys),
	    cmocka_unit_test(matches_brute_force),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
