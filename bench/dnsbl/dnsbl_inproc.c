/* In-process figures for the DNS blocklist: time to load 1,000,000 random
 * IPv4 listings from an ip4set text (parse + sort + publish), RSS, lookup
 * rate on one thread (half listed), and lookups during commits of 10,000
 * changes (the longest lookup seen while a commit and its merge run).
 * The dnsperf/rbldnsd comparison lives in the daemon benchmark. */
#include "dns/blocklist.h"
#include "dns/zonefile.h"
#include "util/buf.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdatomic.h>

enum { N = 1000000, LOOKUPS = 10000000 };

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

struct rd {
	struct dnsbl *bl;
	uint32_t *keys;
	atomic_int stop;
	int64_t max_ns;
	uint64_t n, over100us;
};

static void *reader(void *p)
{
	struct rd *r = p;
	struct dnsbl_reader *slot = dnsbl_reader_new(r->bl);
	struct dnsbl_hit h;
	uint64_t i = 0;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		int64_t t = time_mono_ns(), d;

		dnsbl_lookup_ip4(r->bl, slot, r->keys[i % N], &h);
		d = time_mono_ns() - t;
		if (d > r->max_ns)
			r->max_ns = d;
		r->over100us += d > 100000;
		i++;
	}
	r->n = i;
	dnsbl_reader_release(slot);
	return NULL;
}

int main(void)
{
	uint32_t *keys = malloc(N * sizeof(uint32_t));
	struct buf text;
	struct dnsbl *bl;
	struct err_detail d;
	size_t count;
	long rss0, rss1;
	int64_t t0, t1;
	uint64_t listed = 0;
	struct dnsbl_reader *slot;
	struct dnsbl_hit h;

	buf_init(&text, (size_t)64 << 20);
	buf_adds(&text, ":127.0.0.2:listed by atalaya, see https://node.example/lookup?ip=$\n");
	for (int i = 0; i < N; i++) {
		keys[i] = rnd() | 0x01000000u;
		buf_addf(&text, "%u.%u.%u.%u\n", keys[i] >> 24, (keys[i] >> 16) & 255,
			 (keys[i] >> 8) & 255, keys[i] & 255);
	}
	rss0 = rss_kib();
	bl = dnsbl_new();
	t0 = time_mono_ns();
	if (dnsbl_zone_load(bl, text.data, text.len, DNSBL_FMT_IP4SET, 2, NULL, &count, &d)) {
		fprintf(stderr, "load: %s: %s\n", d.field, d.message);
		return 1;
	}
	t1 = time_mono_ns();
	buf_release(&text);
	rss1 = rss_kib();
	printf("load 1M ip4set lines: %.3f s (%zu entries, %zu distinct)\n", (t1 - t0) / 1e9, count,
	       dnsbl_count(bl));
	printf("set memory: %.1f MiB (dnsbl_memory); process RSS after load %.1f MiB "
	       "(%.1f MiB with the 1M-line text still held)\n",
	       dnsbl_memory(bl) / 1048576.0, rss1 / 1024.0, rss0 / 1024.0);

	slot = dnsbl_reader_new(bl);
	t0 = time_mono_ns();
	for (int i = 0; i < LOOKUPS; i++) {
		uint32_t k = (i & 1) ? keys[rnd() % N] : rnd();

		listed += dnsbl_lookup_ip4(bl, slot, k, &h);
	}
	t1 = time_mono_ns();
	printf("lookups, one thread: %.1f M/s (%.0f ns each; %.1f%% listed)\n",
	       LOOKUPS / ((t1 - t0) / 1e3), (double)(t1 - t0) / LOOKUPS,
	       100.0 * (double)listed / LOOKUPS);
	dnsbl_reader_release(slot);

	/* the same reader with no commit, as a baseline */
	{
		struct rd q = {.bl = bl, .keys = keys};
		pthread_t th;
		struct timespec ts = {0, 200000000};

		pthread_create(&th, NULL, reader, &q);
		nanosleep(&ts, NULL);
		atomic_store(&q.stop, 1);
		pthread_join(th, NULL);
		printf("reader, quiet 0.2 s: %.1f M lookups, longest %.1f us, %lu over 100 us\n",
		       q.n / 1e6, q.max_ns / 1e3, (unsigned long)q.over100us);
	}
	/* commits of 10,000 changes while a reader runs flat out */
	{
		struct rd r = {.bl = bl, .keys = keys};
		pthread_t th;
		int64_t worst = 0, sum = 0;

		pthread_create(&th, NULL, reader, &r);
		for (int round = 0; round < 10; round++) {
			struct dnsbl_batch *b = dnsbl_batch_new(bl);
			struct dnsbl_entry e;
			int64_t c0, c1;

			memset(&e, 0, sizeof(e));
			e.kind = DNSBL_IP4;
			e.plen = 32;
			e.code = 3;
			e.reason = "bench change";
			for (int i = 0; i < 10000; i++) {
				uint32_t k = rnd();

				e.addr[0] = (uint8_t)(k >> 24);
				e.addr[1] = (uint8_t)(k >> 16);
				e.addr[2] = (uint8_t)(k >> 8);
				e.addr[3] = (uint8_t)k;
				if (i & 1)
					dnsbl_batch_add(b, &e);
				else
					dnsbl_batch_remove(b, &e);
			}
			c0 = time_mono_ns();
			dnsbl_commit(bl, b);
			c1 = time_mono_ns();
			sum += c1 - c0;
			if (c1 - c0 > worst)
				worst = c1 - c0;
		}
		atomic_store(&r.stop, 1);
		pthread_join(th, NULL);
		printf(
		    "commit of 10,000 changes: mean %.1f ms, worst %.1f ms (visible on return)\n",
		    sum / 10 / 1e6, worst / 1e6);
		printf("reader during commits: %.1f M lookups, longest %.1f us, %lu over 100 us\n",
		       r.n / 1e6, r.max_ns / 1e3, (unsigned long)r.over100us);
	}
	printf("RSS at end: %.1f MiB\n", rss_kib() / 1024.0);
	dnsbl_free(bl);
	free(keys);
	return 0;
}
