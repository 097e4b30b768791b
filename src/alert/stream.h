/* The live stream of alerts (Server-Sent Events): a ring of the last events,
 * each for one member, read by every open GET /api/v1/alerts/stream; idle
 * streams are suspended in MHD (no thread, no spin) and resumed when an event
 * for their member arrives or at the keep-alive tick.
 *
 * Threads: alert_stream_new/free on the main thread; everything else any
 * thread (the ring is under one lock; a ticker thread of its own wakes idle
 * streams). */
#ifndef ATALAYA_ALERT_STREAM_H
#define ATALAYA_ALERT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alert_stream;
struct MHD_Connection;

/* Starts the keep-alive ticker. Free with alert_stream_free (NULL is fine),
 * after alert_stream_close and after the HTTP server stopped. */
struct alert_stream *alert_stream_new(void);
void alert_stream_free(struct alert_stream *s);

/* Publishes an event for `member`: `json` is copied. */
void alert_publish(struct alert_stream *s, int64_t member, uint64_t alert_id, const char *json);
/* The same with another SSE event name than "alert" ("request"). */
void alert_publish_event(struct alert_stream *s, int64_t member, uint64_t id, const char *event,
			 const char *json);

/* A subscriber's cursor: the next event sequence it has not seen. */
uint64_t alert_stream_head(struct alert_stream *s);
/* Copies into out (max bytes) the next event for `member` after *cursor as an
 * SSE message, waiting at most wait_ms; returns its length, or 0 when nothing
 * came (a keep-alive is then due). *cursor moves past the events read and the
 * ones of other members. Returns -1 when the stream is closing. */
long alert_stream_next(struct alert_stream *s, int64_t member, uint64_t *cursor, char *out,
		       size_t max, int wait_ms);

/* A stream's place among the idle streams suspended in MHD; embedded in the
 * stream, owned by the alert stream while `parked`. */
struct alert_park {
	struct MHD_Connection *conn;
	int64_t member;
	bool parked;
	struct alert_park *next;
};

/* From the stream's content reader, when it has nothing to send: suspends
 * `conn` until an event for `member` arrives, the keep-alive tick, or the end.
 * Returns false (and suspends nothing) when an event past `cursor` is already
 * there or the stream is closing: read again. */
bool alert_stream_park(struct alert_stream *s, struct alert_park *p, struct MHD_Connection *conn,
		       int64_t member, uint64_t cursor);

/* Ends every stream (parked ones are resumed, their readers finish). Call
 * before stopping the HTTP server, which must not hold suspended connections.
 * NULL is fine. */
void alert_stream_close(struct alert_stream *s);

#endif
