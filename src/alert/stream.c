/* The live stream of alerts. See stream.h. */
#include "alert/stream.h"

#include <microhttpd.h>

#include "util/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SSE_RING 1024	   /* events kept for stream subscribers */
#define SSE_KEEPALIVE_S 15 /* a comment line on idle streams, for proxies */

struct sse_event {
	uint64_t seq;
	int64_t member;
	uint64_t alert;
	char *text; /* a whole SSE message */
};

struct alert_stream {
	pthread_mutex_t slock;
	pthread_cond_t scond;
	struct sse_event ring[SSE_RING];
	uint64_t next_seq; /* of the next event published */
	bool sse_stopping;
	struct alert_park *parked; /* idle streams, suspended in MHD */
	pthread_t ticker;	   /* wakes parked streams for their keep-alive */
	bool ticker_started;
};

/* Resumes the parked streams of `member` (all of them for -1). Under slock:
 * a stream parks under the same lock, so no event slips between its last
 * look and its suspension. */
static void wake_parked(struct alert_stream *w, int64_t member)
{
	struct alert_park **pp = &w->parked;
	while (*pp) {
		struct alert_park *p = *pp;
		if (member >= 0 && p->member != member) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		p->parked = false;
		MHD_resume_connection(p->conn);
	}
}

bool alert_stream_park(struct alert_stream *w, struct alert_park *p, struct MHD_Connection *conn,
		       int64_t member, uint64_t cursor)
{
	bool parked = false;
	pthread_mutex_lock(&w->slock);
	bool pending = false;
	for (uint64_t c = cursor + SSE_RING < w->next_seq ? w->next_seq - SSE_RING : cursor;
	     c < w->next_seq && !pending; c++)
		pending = w->ring[c % SSE_RING].member == member;
	if (!pending && !w->sse_stopping) {
		p->conn = conn;
		p->member = member;
		p->parked = true;
		p->next = w->parked;
		w->parked = p;
		MHD_suspend_connection(conn);
		parked = true;
	}
	pthread_mutex_unlock(&w->slock);
	return parked;
}

void alert_stream_close(struct alert_stream *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->slock);
	w->sse_stopping = true;
	wake_parked(w, -1);
	pthread_cond_broadcast(&w->scond);
	pthread_mutex_unlock(&w->slock);
}

/* Every keep-alive period, parked streams are resumed to send one. */
static void *ticker_main(void *arg)
{
	struct alert_stream *w = arg;
	pthread_mutex_lock(&w->slock);
	while (!w->sse_stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += SSE_KEEPALIVE_S;
		while (!w->sse_stopping &&
		       pthread_cond_timedwait(&w->scond, &w->slock, &until) != ETIMEDOUT)
			;
		wake_parked(w, -1);
	}
	pthread_mutex_unlock(&w->slock);
	return NULL;
}

void alert_publish(struct alert_stream *w, int64_t member, uint64_t alert_id, const char *json)
{
	alert_publish_event(w, member, alert_id, "alert", json);
}

void alert_publish_event(struct alert_stream *w, int64_t member, uint64_t alert_id,
			 const char *event, const char *json)
{
	size_t n = strlen(json) + strlen(event) + 64;
	char *text = xmalloc(n);
	snprintf(text, n, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", alert_id, event, json);
	pthread_mutex_lock(&w->slock);
	struct sse_event *e = &w->ring[w->next_seq % SSE_RING];
	free(e->text);
	e->seq = w->next_seq++;
	e->member = member;
	e->alert = alert_id;
	e->text = text;
	wake_parked(w, member);
	pthread_cond_broadcast(&w->scond);
	pthread_mutex_unlock(&w->slock);
}

uint64_t alert_stream_head(struct alert_stream *w)
{
	pthread_mutex_lock(&w->slock);
	uint64_t h = w->next_seq;
	pthread_mutex_unlock(&w->slock);
	return h;
}

long alert_stream_next(struct alert_stream *w, int64_t member, uint64_t *cursor, char *out,
		       size_t max, int wait_ms)
{
	long n = 0;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->slock);
	for (;;) {
		if (w->sse_stopping) {
			n = -1;
			break;
		}
		if (*cursor + SSE_RING < w->next_seq)
			*cursor = w->next_seq - SSE_RING; /* a slow reader loses the oldest */
		while (*cursor < w->next_seq) {
			struct sse_event *e = &w->ring[*cursor % SSE_RING];
			if (e->member == member) {
				size_t len = strlen(e->text);
				if (len <= max) {
					memcpy(out, e->text, len);
					n = (long)len;
				} else {
					/* over the stream's buffer: name it; GET /alerts/{id} has
					 * it */
					int k = snprintf(out, max,
							 "id: %" PRIu64
							 "\nevent: alert\ndata: {\"id\":%" PRIu64
							 ",\"truncated\":true}\n\n",
							 e->alert, e->alert);
					n = k > 0 && (size_t)k < max ? k : 0;
				}
				(*cursor)++;
				break;
			}
			(*cursor)++;
		}
		if (n || wait_ms <= 0)
			break;
		if (pthread_cond_timedwait(&w->scond, &w->slock, &until))
			break;
	}
	pthread_mutex_unlock(&w->slock);
	return n;
}

struct alert_stream *alert_stream_new(void)
{
	struct alert_stream *w = xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->slock, NULL);
	pthread_cond_init(&w->scond, NULL);
	if (!pthread_create(&w->ticker, NULL, ticker_main, w))
		w->ticker_started = true;
	return w;
}

void alert_stream_free(struct alert_stream *w)
{
	if (!w)
		return;
	alert_stream_close(w);
	if (w->ticker_started)
		pthread_join(w->ticker, NULL);
	for (size_t i = 0; i < SSE_RING; i++)
		free(w->ring[i].text);
	free(w);
}
