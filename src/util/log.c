#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level level = LOG_INFO;
/* The log file, when there is one; set once by log_open_file. */
static char log_path[4096];

void log_set_level(enum log_level l)
{
	level = l;
}

void log_msg(enum log_level l, int with_errno, const char *fmt, ...)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	int saved = errno;
	char line[2048];
	size_t n;
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (l > level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s ", ts.tv_nsec / 1000000,
			      names[l]);
	va_start(ap, fmt);
	int w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n = w < 0 ? n : (n + (size_t)w < sizeof(line) ? n + (size_t)w : sizeof(line) - 1);
	if (with_errno && n < sizeof(line) - 1)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " error=\"%s\"", strerror(saved));
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, n, stderr); /* one write per line keeps lines whole */
	errno = saved;
}

/* The file replaces fd 2 (dup2 is atomic): a thread writing a line at that
 * moment writes it whole to the old file or to the new one. */
static int open_onto_stderr(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	int rc = dup2(fd, STDERR_FILENO) < 0 ? -1 : 0, saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int log_open_file(const char *path)
{
	if (strlen(path) >= sizeof(log_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (open_onto_stderr(path))
		return -1;
	memcpy(log_path, path, strlen(path) + 1);
	return 0;
}

int log_reopen(void)
{
	return log_path[0] ? open_onto_stderr(log_path) : 0;
}
