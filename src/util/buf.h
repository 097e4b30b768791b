/* A growable byte buffer with a maximum size fixed at init (curl's dynbuf).
 * The data is always NUL-terminated. One owner; not thread-safe. */
#ifndef ATALAYA_BUF_H
#define ATALAYA_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* NULL until the first add */
	size_t len;
	size_t cap;
	size_t max; /* adds that would pass it fail with ERR_TOO_LARGE */
};

void buf_init(struct buf *b, size_t max);
/* Frees the data; the buffer can be reused after buf_init. */
void buf_release(struct buf *b);
/* Empties without freeing. */
void buf_reset(struct buf *b);
/* Makes room for n more bytes without adding any. */
int buf_reserve(struct buf *b, size_t n);
/* Return ERR_OK or ERR_TOO_LARGE (then nothing is added). */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends `s` as a JSON string literal with quotes. */
int buf_add_json_str(struct buf *b, const char *s, size_t n);
/* Hands the data to the caller, who frees it; the buffer is left empty. */
char *buf_detach(struct buf *b, size_t *len);

#endif
