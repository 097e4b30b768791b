/* Prometheus counters: requests by route and status, a latency histogram,
 * and gauges read at scrape time. Counters are relaxed atomics: any thread. */
#ifndef ATALAYA_METRICS_H
#define ATALAYA_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct metrics;

/* `nroutes` routes plus one "unmatched" slot. Caller frees with metrics_free. */
struct metrics *metrics_new(size_t nroutes);
void metrics_free(struct metrics *m);
void metrics_observe(struct metrics *m, size_t route, int status, int64_t duration_ns);
/* Appends the text exposition format; `route_names[i]` labels route i. */
void metrics_render(struct metrics *m, const char *const *route_names, int64_t store_bytes,
		    struct buf *out);

#endif
