/* A report's kept bundle, wherever it is. A STIX bundle of at most
 * REPORT_INLINE_MAX bytes lives in the store (report_bodies, written in the
 * report's own transaction: no file to create, sync and rename, which cost
 * more than the rest of a small report's intake); a larger one, and an IODEF
 * report (its original and the bundle made from it), in DATA/reports/.
 * The objects' offsets point into these bytes either way. Any thread. */
#ifndef ATALAYA_REPORT_BODY_H
#define ATALAYA_REPORT_BODY_H
#include <stdint.h>

#include "node.h"
#include "store/store.h"

#define REPORT_INLINE_MAX ((size_t)64 << 10)

struct report_body {
	int fd;			  /* the file, or -1 */
	const unsigned char *mem; /* or the bytes in memory */
	unsigned char *own;	  /* mem, when this owns it */
	uint64_t size;
};

/* Opens the bundle of report `seq` (its id `id`), read through `c`.
 * ERR_IO (logged) when its bytes are missing. */
int report_body_open(struct node *node, struct store_conn *c, int64_t seq, const char *id,
		     struct report_body *b);
/* The file at `path` (a report being committed). ERR_IO, errno set. */
int report_body_open_file(const char *path, struct report_body *b);
/* Bytes the caller already holds (a report being committed). */
void report_body_of_memory(struct report_body *b, const void *data, size_t size);
/* Exactly `len` bytes at `off` into dst; ERR_IO otherwise. */
int report_body_read(const struct report_body *b, void *dst, size_t len, uint64_t off);
void report_body_close(struct report_body *b);

#endif
