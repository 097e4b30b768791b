#include "report/body.h"

#include "util/err.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int report_body_open(struct node *node, struct store_conn *c, int64_t seq, const char *id,
		     struct report_body *b)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	sqlite3_stmt *s = store_stmt(c, "SELECT body FROM report_bodies WHERE report = ?");
	if (!s)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);
		b->own = xmalloc(n + 1);
		if (n)
			memcpy(b->own, sqlite3_column_blob(s, 0), n);
		b->own[n] = '\0';
		b->mem = b->own;
		b->size = n;
		sqlite3_reset(s);
		return ERR_OK;
	}
	sqlite3_reset(s);
	char *path = node_report_file(node, id, "json");
	int rc = report_body_open_file(path, b);
	if (rc)
		log_err_errno("event=report_body report=%s path=%s", id, path);
	free(path);
	return rc;
}

int report_body_open_file(const char *path, struct report_body *b)
{
	struct stat st;
	memset(b, 0, sizeof(*b));
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &st)) {
		int e = errno;
		report_body_close(b);
		errno = e;
		return ERR_IO;
	}
	b->size = (uint64_t)st.st_size;
	return ERR_OK;
}

void report_body_of_memory(struct report_body *b, const void *data, size_t size)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->mem = data;
	b->size = size;
}

int report_body_read(const struct report_body *b, void *dst, size_t len, uint64_t off)
{
	if (off > b->size || len > b->size - off)
		return ERR_IO;
	if (b->mem) {
		memcpy(dst, b->mem + off, len);
		return ERR_OK;
	}
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(b->fd, (char *)dst + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ERR_IO;
		got += (size_t)n;
	}
	return ERR_OK;
}

void report_body_close(struct report_body *b)
{
	if (b->fd >= 0)
		close(b->fd);
	free(b->own);
	memset(b, 0, sizeof(*b));
	b->fd = -1;
}
