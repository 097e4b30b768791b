#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "index/index.h"

struct hits {
	size_t n;
	struct {
		uint64_t object_id, report_id;
		enum obs_kind kind;
		enum index_rel rel;
		char value[256];
	} m[64];
	size_t stop_after; /* 0: never stop */
};

static int collect(const struct index_match *m, void *ctx)
{
	struct hits *h = ctx;

	if (h->n < 64) {
		h->m[h->n].object_id = m->object_id;
		h->m[h->n].report_id = m->report_id;
		h->m[h->n].kind = m->kind;
		h->m[h->n].rel = m->rel;
		snprintf(h->m[h->n].value, sizeof(h->m[h->n].value), "%.*s", (int)m->len, m->value);
	}
	h->n++;
	return h->stop_after && h->n >= h->stop_after;
}

static void add(struct index *idx, const char *v, uint64_t obj, uint64_t rep)
{
	struct observable o;

	assert_int_equal(observable_normalise(OBS_AUTO, v, strlen(v), &o, NULL), ERR_OK);
	assert_int_equal(index_add(idx, &o, obj, rep), ERR_OK);
}

static long look(struct index *idx, const char *v, struct hits *h)
{
	struct observable o;

	memset(h, 0, sizeof(*h));
	assert_int_equal(observable_normalise(OBS_AUTO, v, strlen(v), &o, NULL), ERR_OK);
	return index_lookup(idx, &o, collect, h);
}

/* Is there a match with this value, relation and report? */
static bool has(const struct hits *h, const char *value, enum index_rel rel, uint64_t rep)
{
	for (size_t i = 0; i < h->n && i < 64; i++)
		if (!strcmp(h->m[i].value, value) && h->m[i].rel == rel && h->m[i].report_id == rep)
			return true;
	return false;
}

static void finds_every_kind(void **state)
{
	struct index *idx = index_new();
	struct hits h;

	add(idx, "198.51.100.0/24", 11, 1);
	add(idx, "203.0.113.9", 12, 1);
	add(idx, "2001:db8::/32", 13, 1);
	add(idx, "example.co.uk", 14, 1);
	add(idx, "http://Evil.Example.org:80/a%7eb", 15, 1);
	add(idx, "evil.example.org", 16, 1);
	add(idx, "bad@Mail.Example.net", 17, 1);
	add(idx, "d41d8cd98f00b204e9800998ecf8427e", 18, 1);
	add(idx, "AS64500", 19, 1);
	add(idx, "co.uk", 20, 1);

	/* nothing before publish */
	assert_int_equal(look(idx, "198.51.100.7", &h), 0);
	index_publish(idx);

	assert_int_equal(look(idx, "198.51.100.7", &h), 1);
	assert_true(has(&h, "198.51.100.0/24", INDEX_CONTAINS, 1));
	assert_int_equal(h.m[0].object_id, 11);
	assert_int_equal(h.m[0].kind, OBS_IPV4);
	assert_int_equal(look(idx, "203.0.0.0/16", &h), 1);
	assert_true(has(&h, "203.0.113.9", INDEX_WITHIN, 1));
	assert_int_equal(look(idx, "2001:db8:5::1", &h), 1);
	assert_true(has(&h, "2001:db8::/32", INDEX_CONTAINS, 1));
	assert_int_equal(look(idx, "::ffff:203.0.113.9", &h), 1);
	assert_true(has(&h, "203.0.113.9", INDEX_EXACT, 1));

	/* a subdomain finds its reported parents, never a public suffix */
	assert_int_equal(look(idx, "a.b.example.co.uk", &h), 1);
	assert_true(has(&h, "example.co.uk", INDEX_PARENT, 1));
	assert_int_equal(look(idx, "example.co.uk", &h), 1);
	assert_true(has(&h, "example.co.uk", INDEX_EXACT, 1));
	assert_int_equal(look(idx, "other.co.uk", &h), 0);
	assert_int_equal(look(idx, "co.uk", &h), 1);
	assert_int_equal(look(idx, "example.org", &h), 0);

	/* a URL finds itself and its host */
	assert_int_equal(look(idx, "http://evil.example.org/a~b", &h), 2);
	assert_true(has(&h, "http://evil.example.org/a~b", INDEX_EXACT, 1));
	assert_true(has(&h, "evil.example.org", INDEX_HOST, 1));
	assert_int_equal(look(idx, "http://x.evil.example.org/", &h), 1);
	assert_true(has(&h, "evil.example.org", INDEX_HOST, 1));
	assert_int_equal(look(idx, "http://198.51.100.20/x", &h), 1);
	assert_true(has(&h, "198.51.100.0/24", INDEX_HOST, 1));

	assert_int_equal(look(idx, "bad@mail.example.net", &h), 1);
	assert_int_equal(look(idx, "Bad@mail.example.net", &h), 0);
	assert_int_equal(look(idx, "D41D8CD98F00B204E9800998ECF8427E", &h), 1);
	assert_int_equal(h.m[0].object_id, 18);
	assert_int_equal(look(idx, "64500", &h), 1);
	assert_true(has(&h, "AS64500", INDEX_EXACT, 1));
	assert_int_equal(look(idx, "AS64501", &h), 0);

	struct index_stats st;
	index_stats(idx, &st);
	assert_int_equal(st.kind[OBS_IPV4].keys, 2);
	assert_int_equal(st.kind[OBS_DOMAIN].keys, 3);
	assert_int_equal(st.kind[OBS_URL].postings, 1);
	assert_true(st.bytes > 0);
	index_free(idx);
}

static void postings_and_removal(void **state)
{
	struct index *idx = index_new();
	struct hits h;
	struct observable o;

	observable_normalise(OBS_AUTO, "evil.test", 9, &o, NULL);
	o.kind = OBS_AUTO;
	assert_int_equal(index_add(idx, &o, 1, 1), ERR_INVALID);
	for (uint64_t r = 1; r <= 5; r++) {
		add(idx, "evil.test", r * 10, r);
		add(idx, "evil.test", r * 10, r); /* repeated: ignored */
		add(idx, "10.0.0.1", r * 10 + 1, r);
		index_publish(idx);
	}
	assert_int_equal(look(idx, "evil.test", &h), 5);
	assert_int_equal(h.m[0].report_id, 5); /* newest first */
	assert_int_equal(h.m[4].report_id, 1);
	index_remove_report(idx, 3);
	index_remove_report(idx, 3);
	assert_int_equal(look(idx, "evil.test", &h), 4);
	assert_false(has(&h, "evil.test", INDEX_EXACT, 3));
	assert_int_equal(look(idx, "10.0.0.0/8", &h), 4);
	/* the callback can stop the walk */
	memset(&h, 0, sizeof(h));
	h.stop_after = 2;
	assert_int_equal(index_lookup(idx, &o, collect, &h), 0); /* OBS_AUTO finds nothing */
	o.kind = OBS_DOMAIN;
	assert_int_equal(index_lookup(idx, &o, collect, &h), -1);
	assert_int_equal(h.n, 2);
	struct index_stats st;
	index_stats(idx, &st);
	assert_int_equal(st.removed_reports, 1);
	assert_int_equal(st.kind[OBS_DOMAIN].postings, 5);
	index_free(idx);
}

static void grows_past_many_keys(void **state)
{
	struct index *idx = index_new();
	struct hits h;
	char v[64];

	for (int i = 0; i < 50000; i++) {
		snprintf(v, sizeof(v), "host%d.example.com", i);
		add(idx, v, (uint64_t)i, 1);
		snprintf(v, sizeof(v), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		add(idx, v, (uint64_t)i, 1);
		if (i % 5000 == 0)
			index_publish(idx);
	}
	index_publish(idx);
	for (int i = 0; i < 50000; i += 997) {
		snprintf(v, sizeof(v), "host%d.example.com", i);
		assert_int_equal(look(idx, v, &h), 1);
		assert_int_equal(h.m[0].object_id, (uint64_t)i);
		snprintf(v, sizeof(v), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		assert_int_equal(look(idx, v, &h), 1);
		assert_int_equal(h.m[0].object_id, (uint64_t)i);
	}
	index_free(idx);
}

/* One writer publishes a batch per "report"; readers check that a lookup sees every
 * posting of the batches published before it began and none of those not yet started. */
#define BATCHES 3000

struct stress {
	struct index *idx;
	_Atomic long started, done;
	_Atomic int stop;
	_Atomic long lookups;
};

static int count_cb(const struct index_match *m, void *ctx)
{
	long *n = ctx;

	if (m->object_id != m->report_id * 7)
		return 1;
	(*n)++;
	return 0;
}

static void *reader(void *arg)
{
	struct stress *s = arg;
	struct observable q[3];
	const char *qv[3] = {"10.1.2.3", "a.b.shared.example.com", "http://shared.example.com/x"};

	for (int i = 0; i < 3; i++)
		observable_normalise(OBS_AUTO, qv[i], strlen(qv[i]), &q[i], NULL);
	while (!atomic_load(&s->stop)) {
		for (int i = 0; i < 3; i++) {
			long n = 0;
			long lo = atomic_load(&s->done);
			long got = index_lookup(s->idx, &q[i], count_cb, &n);
			long hi = atomic_load(&s->started);
			if (got < 0 || n < lo || n > hi) {
				fprintf(stderr, "reader: kind %d saw %ld, expected %ld..%ld\n", i,
					got, lo, hi);
				atomic_store(&s->stop, 2);
			}
			atomic_fetch_add(&s->lookups, 1);
		}
	}
	return NULL;
}

static void readers_never_see_a_partial_state(void **state)
{
	struct stress s = {.idx = index_new()};
	pthread_t th[2];
	struct observable o;
	char v[64];

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, &s), 0);
	for (long b = 1; b <= BATCHES; b++) {
		/* a shared network, domain and URL host, plus fresh keys that force merges
		 * and table growth while readers run */
		observable_normalise(OBS_AUTO, "10.0.0.0/8", 10, &o, NULL);
		index_add(s.idx, &o, (uint64_t)b * 7, (uint64_t)b);
		observable_normalise(OBS_AUTO, "shared.example.com", 18, &o, NULL);
		index_add(s.idx, &o, (uint64_t)b * 7, (uint64_t)b);
		for (int k = 0; k < 20; k++) {
			snprintf(v, sizeof(v), "11.%ld.%ld.%d", b >> 8, b & 255, k);
			observable_normalise(OBS_AUTO, v, strlen(v), &o, NULL);
			index_add(s.idx, &o, (uint64_t)b * 7, (uint64_t)b);
			snprintf(v, sizeof(v), "h%d.r%ld.example.net", k, b);
			observable_normalise(OBS_AUTO, v, strlen(v), &o, NULL);
			index_add(s.idx, &o, (uint64_t)b * 7, (uint64_t)b);
		}
		atomic_store(&s.started, b);
		index_publish(s.idx);
		atomic_store(&s.done, b);
		if (atomic_load(&s.stop))
			break;
	}
	int failed = atomic_load(&s.stop) == 2;
	atomic_store(&s.stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_false(failed);
	assert_true(atomic_load(&s.lookups) > 0);
	struct hits h;
	assert_int_equal(look(s.idx, "10.9.9.9", &h), BATCHES);
	index_free(s.idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(finds_every_kind),
	    cmocka_unit_test(postings_and_removal),
	    cmocka_unit_test(grows_past_many_keys),
	    cmocka_unit_test(readers_never_see_a_partial_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
