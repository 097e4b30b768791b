#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level level = LOG_INFO;

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
