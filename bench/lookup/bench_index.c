/* bench_index: builds the observable index with 1M IPv4, 1M domain and 1M URL
 * observables (random, fixed seed) and prints the build time, the index bytes per
 * observable for each kind, and in-process lookups per second on one thread (half
 * hits, half misses). Usage: bench_index [count]   (default 1000000) */
#include <malloc.h>
#include <time.h>

#include "index/index.h"
#include "index/observable.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define NQ 16384 /* distinct queries per kind, cycled */

static uint64_t rs = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void word(char *out, size_t n, uint64_t r)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = (char)('a' + r % 26);
		r /= 26;
	}
	out[n] = '\0';
}

/* The i-th value of a kind; `miss` gives values from another seed space. */
static size_t gen(enum obs_kind k, uint64_t i, bool miss, char *out, size_t cap)
{
	uint64_t r = (i + 1) * 0x9e3779b97f4a7c15ull ^ (miss ? 0x5bd1e995ull << 20 : 0);
	char a[16], b[16];

	r ^= r >> 29;
	r *= 0xbf58476d1ce4e5b9ull;
	r ^= r >> 32;
	switch (k) {
	case OBS_IPV4:
		/* hits in 0.0.0.0/1 .. 127.x, misses in 128.x .. 255.x: disjoint halves */
		r = (r & 0x7fffffffull) | (miss ? 0x80000000ull : 0);
		return (size_t)snprintf(out, cap, "%u.%u.%u.%u", (unsigned)(r >> 24) & 255,
					(unsigned)(r >> 16) & 255, (unsigned)(r >> 8) & 255,
					(unsigned)r & 255);
	case OBS_DOMAIN:
		word(a, 8, r);
		word(b, 7, r >> 40 ^ r * 31);
		return (size_t)snprintf(out, cap, "%s.%s.%s", a, b, miss ? "net" : "com");
	default:
		word(a, 7, r);
		word(b, 10, r >> 30 ^ r * 131);
		return (size_t)snprintf(out, cap, "https://%s.example.%s/download/%s.php?id=%u", a,
					miss ? "net" : "com", b, (unsigned)(r >> 40));
	}
}

static int count_cb(const struct index_match *m, void *ctx)
{
	(*(long *)ctx)++;
	return 0;
}

static double secs(int64_t t0)
{
	return (double)(time_mono_ns() - t0) / 1e9;
}

/* This thread's CPU time: on a shared machine, rates per CPU-second are steadier than
 * rates per wall-clock second. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const enum obs_kind kinds[] = {OBS_IPV4, OBS_DOMAIN, OBS_URL};
	uint64_t n = 1000000;
	char v[512];
	struct observable *o = xmalloc(sizeof(*o));
	struct observable *q;
	struct index *idx;
	struct index_stats st;
	struct mallinfo2 m0, m1;

	if (argc > 1)
		n = strtoull(argv[1], NULL, 10);
	q = xmalloc(NQ * sizeof(*q));
	printf("bench_index: %" PRIu64 " observables per kind, one thread\n", n);

	/* normalisation alone, to tell it apart from the index's own cost */
	for (size_t k = 0; k < 3; k++) {
		int64_t t0 = time_mono_ns();
		for (uint64_t i = 0; i < n; i++) {
			size_t l = gen(kinds[k], i, false, v, sizeof(v));
			if (observable_normalise(kinds[k], v, l, o, NULL))
				return 1;
		}
		double s = secs(t0);
		printf("normalise %-6s %8.3f s  %10.0f values/s\n", observable_kind_name(kinds[k]),
		       s, (double)n / s);
	}

	m0 = mallinfo2();
	idx = index_new();
	double build = 0;
	for (size_t k = 0; k < 3; k++) {
		double norm = 0, add = 0;
		for (uint64_t i = 0; i < n; i++) {
			size_t l = gen(kinds[k], i, false, v, sizeof(v));
			int64_t t0 = time_mono_ns();
			observable_normalise(kinds[k], v, l, o, NULL);
			int64_t t1 = time_mono_ns();
			index_add(idx, o, i + 1, i / 10 + 1);
			norm += (double)(t1 - t0);
			add += (double)(time_mono_ns() - t1);
		}
		int64_t t0 = time_mono_ns();
		index_publish(idx);
		double pub = secs(t0);
		build += add / 1e9 + pub;
		printf("build     %-6s %8.3f s  (index_add %.3f s + publish %.3f s; "
		       "normalising took %.3f s more)\n",
		       observable_kind_name(kinds[k]), add / 1e9 + pub, add / 1e9, pub, norm / 1e9);
	}
	index_publish(idx);
	index_publish(idx); /* lets retired memory go */
	m1 = mallinfo2();
	index_stats(idx, &st);
	printf("build     total  %8.3f s for %" PRIu64 " observables\n", build, 3 * n);
	for (size_t k = 0; k < 3; k++) {
		const struct index_kind_stats *s = &st.kind[kinds[k]];
		printf(
		    "memory    %-6s %8.1f bytes/observable  (%zu keys, %zu postings, %.1f MiB)\n",
		    observable_kind_name(kinds[k]), (double)s->bytes / (double)s->keys, s->keys,
		    s->postings, (double)s->bytes / 1048576.0);
	}
	printf("memory    total  %8.1f MiB counted by the index, %.1f MiB by malloc "
	       "(mallinfo2, incl. allocator overhead)\n",
	       (double)st.bytes / 1048576.0,
	       (double)(m1.uordblks + m1.hblkhd - m0.uordblks - m0.hblkhd) / 1048576.0);

	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < NQ; i++) {
			uint64_t j = rnd() % n;
			size_t l = gen(kinds[k], j, i & 1, v, sizeof(v));
			observable_normalise(kinds[k], v, l, &q[i], NULL);
		}
		long hits = 0, lookups = 0;
		int64_t t0 = time_mono_ns();
		double c0 = cpu_now();
		double s;
		do {
			for (size_t i = 0; i < NQ; i++)
				index_lookup(idx, &q[i], count_cb, &hits);
			lookups += NQ;
			s = secs(t0);
		} while (s < 1.0);
		printf("lookup    %-6s %10.0f lookups/s  %10.0f per CPU-second  (%ld lookups, "
		       "%.1f%% found)\n",
		       observable_kind_name(kinds[k]), (double)lookups / s,
		       (double)lookups / (cpu_now() - c0), lookups,
		       100.0 * (double)hits / (double)lookups);
		/* end to end: text -> normalise -> lookup */
		lookups = 0;
		hits = 0;
		t0 = time_mono_ns();
		c0 = cpu_now();
		do {
			for (size_t i = 0; i < 4096; i++) {
				size_t l = gen(kinds[k], rnd() % n, i & 1, v, sizeof(v));
				observable_normalise(kinds[k], v, l, o, NULL);
				index_lookup(idx, o, count_cb, &hits);
			}
			lookups += 4096;
			s = secs(t0);
		} while (s < 1.0);
		printf("lookup    %-6s %10.0f lookups/s  %10.0f per CPU-second  from text "
		       "(normalise + lookup)\n",
		       observable_kind_name(kinds[k]), (double)lookups / s,
		       (double)lookups / (cpu_now() - c0));
	}
	index_free(idx);
	free(q);
	free(o);
	return 0;
}
