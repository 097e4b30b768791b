#include "request/deadline.h"

#include "util/timeutil.h"

#include <ctype.h>

static int64_t unit_ms(char u)
{
	switch (u) {
	case 's': return 1000;
	case 'm': return 60 * 1000;
	case 'h': return 3600 * 1000;
	case 'd': return 86400 * 1000;
	case 'w': return 7 * 86400 * 1000LL;
	default: return 0;
	}
}

int request_deadline_parse(const char *s, size_t n, int64_t now, const char *field,
			   int64_t *deadline, struct err_detail *err)
{
	int64_t total = 0, at;
	size_t i = 0;
	if (n && n <= 64 && !time_parse_rfc3339(s, n, 0, &at)) {
		total = at - now;
		goto bounds;
	}
	if (!n || n > 32)
		goto bad;
	while (i < n) {
		int64_t v = 0;
		size_t digits = 0;
		while (i < n && isdigit((unsigned char)s[i]) && digits < 9) {
			v = v * 10 + (s[i++] - '0');
			digits++;
		}
		int64_t u = i < n ? unit_ms(s[i]) : 0;
		if (!digits || !u)
			goto bad;
		i++;
		total += v * u; /* at most 4 terms of 10^9 weeks fit in int64 */
		if (total > REQUEST_DEADLINE_MAX_MS)
			break;
	}
bounds:
	if (total < REQUEST_DEADLINE_MIN_MS || total > REQUEST_DEADLINE_MAX_MS)
		return err_set(err, ERR_INVALID, field,
			       "%s: '%.*s' is not between 1 second and 366 days from now", field,
			       (int)(n < 64 ? n : 64), s);
	*deadline = now + total;
	return ERR_OK;
bad:
	return err_set(err, ERR_INVALID, field,
		       "%s: '%.*s' is neither a duration (48h, 90m, 3s, 2d, 1w, 1d12h) nor an "
		       "RFC 3339 time",
		       field, (int)(n < 64 ? n : 64), s);
}

int request_reminders_parse(const char *s, int out[REQUEST_REMINDERS_MAX], int *count,
			    struct err_detail *err)
{
	int n = 0;
	const char *p = s;
	while (*p) {
		int v = 0, digits = 0;
		while (*p == ' ')
			p++;
		while (isdigit((unsigned char)*p) && digits < 3) {
			v = v * 10 + (*p++ - '0');
			digits++;
		}
		while (*p == ' ')
			p++;
		if (!digits || v < 1 || v > 99 || (n && v <= out[n - 1]) ||
		    n == REQUEST_REMINDERS_MAX || (*p && *p != ','))
			return err_set(err, ERR_INVALID, "request_reminders",
				       "request_reminders: '%.64s' is not a list of up to %d "
				       "increasing percents between 1 and 99 (e.g. 50,90)",
				       s, REQUEST_REMINDERS_MAX);
		out[n++] = v;
		if (*p == ',' && !*++p)
			return err_set(err, ERR_INVALID, "request_reminders",
				       "request_reminders: '%.64s' ends with a comma", s);
	}
	*count = n;
	return ERR_OK;
}
