/* A push parser for the body of a STIX 2.1 bundle as it arrives over HTTP.
 *
 * It checks the envelope (a JSON object with "type":"bundle", "id":"bundle--<uuid>" and
 * an "objects" array, keys in any order) and hands every element of "objects" to a
 * callback, as the exact bytes of that element, without ever building a tree of the
 * bundle: it holds at most one object (up to max_object_bytes) plus a few small
 * buffers, so memory stays flat however large the bundle is.
 *
 * The scanner tracks only nesting depth and strings; it checks the JSON syntax of the
 * envelope itself. The bytes of each object are passed as they are: the callback is
 * expected to parse them (json_loadb), which is where their own syntax is checked.
 * Other top-level properties are accepted when their name follows the STIX custom
 * property rule (^[a-z0-9_]{3,250}$); their values are syntax-checked and dropped.
 *
 * Because keys may come in any order, "type" and "id" may follow "objects": objects
 * handed to the callback are provisional until bundle_stream_finish() returns ERR_OK.
 *
 * One stream per body; not thread-safe (one thread feeds one stream).
 */
#ifndef ATALAYA_BUNDLE_STREAM_H
#define ATALAYA_BUNDLE_STREAM_H

#include <stddef.h>

struct err_detail;
struct bundle_stream;

/* Nesting depth allowed inside one object (the object itself is depth 1). */
#define BUNDLE_STREAM_MAX_DEPTH 64

/* Called once per element of "objects". `obj_json` points to `len` bytes holding
 * exactly the element's JSON text (not NUL-terminated); it is valid only during the
 * call and belongs to the stream or to the caller's chunk. `index` counts from 0.
 * Return 0 to go on; any other value stops the stream, and bundle_stream_feed()
 * returns it without touching `err` (so the callback may have filled it through
 * `ctx`). */
typedef int (*bundle_stream_cb)(void *ctx, const char *obj_json, size_t len, size_t index);

/* A new stream; objects over `max_object_bytes` (0: 64 MiB) are rejected with
 * ERR_TOO_LARGE. The caller frees it with bundle_stream_free(). */
struct bundle_stream *bundle_stream_new(size_t max_object_bytes);
void bundle_stream_free(struct bundle_stream *s);

/* Feeds the next `len` bytes of the body. Calls `cb` for every object completed by
 * these bytes. Returns ERR_OK, ERR_SYNTAX (malformed JSON or envelope), ERR_INVALID
 * (wrong type/id, duplicate key), ERR_TOO_LARGE (object or depth cap) with `err`
 * naming the byte offset and objects[i], or the callback's non-zero value. After an
 * error, every further call returns the same code. */
int bundle_stream_feed(struct bundle_stream *s, const void *data, size_t len, bundle_stream_cb cb,
		       void *ctx, struct err_detail *err);

/* Declares the end of the body: checks that the envelope is complete and that
 * "type" and "id" were present and right. Returns ERR_OK or an error as above. */
int bundle_stream_finish(struct bundle_stream *s, struct err_detail *err);

/* Number of objects handed to the callback so far. */
size_t bundle_stream_count(const struct bundle_stream *s);

/* During the callback: the byte offset in the body where the object handed to it
 * begins (so a caller that keeps the body can find the object's bytes again). */
size_t bundle_stream_object_offset(const struct bundle_stream *s);

/* The bundle's id once seen (NUL-terminated, owned by the stream, valid until
 * bundle_stream_free), or NULL. */
const char *bundle_stream_id(const struct bundle_stream *s);

#endif
