#include "http/metrics.h"

#include "util/xalloc.h"

#include <stdatomic.h>

static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405,
			       409, 413, 415, 422, 500, 501, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1) /* + "other" */
static const double buckets_ms[] = {0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 5000};
#define NBUCKETS (sizeof(buckets_ms) / sizeof(buckets_ms[0]))

struct metrics {
	size_t nroutes;
	_Atomic uint64_t *count; /* [(nroutes + 1) * NSTATUS] */
	_Atomic uint64_t bucket[NBUCKETS + 1];
	_Atomic uint64_t sum_ns;
};

struct metrics *metrics_new(size_t nroutes)
{
	struct metrics *m = xcalloc(1, sizeof(*m));
	m->nroutes = nroutes;
	m->count = xcalloc((nroutes + 1) * NSTATUS, sizeof(*m->count));
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free((void *)m->count);
	free(m);
}

static size_t status_slot(int status)
{
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS - 1;
}

void metrics_observe(struct metrics *m, size_t route, int status, int64_t duration_ns)
{
	if (route > m->nroutes)
		route = m->nroutes;
	atomic_fetch_add_explicit(&m->count[route * NSTATUS + status_slot(status)], 1,
				  memory_order_relaxed);
	double ms = (double)duration_ns / 1e6;
	size_t b = 0;
	while (b < NBUCKETS && ms > buckets_ms[b])
		b++;
	atomic_fetch_add_explicit(&m->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_ns, (uint64_t)duration_ns, memory_order_relaxed);
}

void metrics_render(struct metrics *m, const char *const *route_names, int64_t store_bytes,
		    struct buf *out)
{
	buf_adds(out, "# HELP atalaya_http_requests_total HTTP requests by route and status.\n"
		      "# TYPE atalaya_http_requests_total counter\n");
	for (size_t r = 0; r <= m->nroutes; r++) {
		for (size_t s = 0; s < NSTATUS; s++) {
			uint64_t n =
			    atomic_load_explicit(&m->count[r * NSTATUS + s], memory_order_relaxed);
			if (!n)
				continue;
			char st[8];
			if (s < NSTATUS - 1)
				snprintf(st, sizeof(st), "%d", statuses[s]);
			else
				snprintf(st, sizeof(st), "other");
			buf_addf(out,
				 "atalaya_http_requests_total{route=\"%s\",status=\"%s\"} %" PRIu64
				 "\n",
				 r < m->nroutes ? route_names[r] : "unmatched", st, n);
		}
	}
	buf_adds(out, "# HELP atalaya_http_request_duration_seconds Time to answer a request.\n"
		      "# TYPE atalaya_http_request_duration_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t b = 0; b <= NBUCKETS; b++) {
		cum += atomic_load_explicit(&m->bucket[b], memory_order_relaxed);
		if (b < NBUCKETS)
			buf_addf(out,
				 "atalaya_http_request_duration_seconds_bucket{le=\"%g\"} %" PRIu64
				 "\n",
				 buckets_ms[b] / 1000, cum);
		else
			buf_addf(
			    out,
			    "atalaya_http_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64
			    "\n",
			    cum);
	}
	buf_addf(out, "atalaya_http_request_duration_seconds_sum %.6f\n",
		 (double)atomic_load_explicit(&m->sum_ns, memory_order_relaxed) / 1e9);
	buf_addf(out, "atalaya_http_request_duration_seconds_count %" PRIu64 "\n", cum);
	buf_addf(out,
		 "# HELP atalaya_store_bytes Size of the SQLite store and its WAL.\n"
		 "# TYPE atalaya_store_bytes gauge\natalaya_store_bytes %" PRId64 "\n",
		 store_bytes);
}
