#include "util/timeutil.h"

#include "util/err.h"

#include <time.h>

int64_t time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* y-m-d from days since 1970-01-01 (proleptic Gregorian; inverse of
 * days_from_civil below). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static char *put_digits(char *p, int v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void time_format_ms(int64_t ms, char out[32])
{
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t rem = secs - days * 86400;
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, 32, "0000-01-01T00:00:00.000Z");
		return;
	}
	char *p = put_digits(out, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, (int)(rem / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (int)(rem / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (int)(rem % 60), 2);
	*p++ = '.';
	p = put_digits(p, (int)(ms - secs * 1000), 3);
	*p++ = 'Z';
	*p = '\0';
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int time_parse_rfc3339(const char *s, size_t n, int utc_only, int64_t *ms)
{
	int64_t us;
	int rc = time_parse_rfc3339_us(s, n, utc_only, &us);
	if (!rc) /* floor: a time before 1970 keeps its millisecond */
		*ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
	return rc;
}

int time_parse_rfc3339_us(const char *s, size_t n, int utc_only, int64_t *us)
{
	int Y, M, D, h, mi, sec;
	int64_t frac_us = 0;
	size_t i = 19;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (n < 20 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
	    digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		return ERR_INVALID;
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || mi > 59 || sec > 60)
		return ERR_INVALID;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		return ERR_INVALID;
	if (s[i] == '.') {
		size_t start = ++i;
		int scale = 100000;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			frac_us += (s[i] - '0') * scale;
			scale /= 10;
			i++;
		}
		if (i == start)
			return ERR_INVALID;
	}
	int64_t offset_min = 0;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (!utc_only && i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int oh, om;
		if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return ERR_INVALID;
		offset_min = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
		i += 6;
	} else {
		return ERR_INVALID;
	}
	if (i != n)
		return ERR_INVALID;
	if (sec == 60)
		sec = 59; /* a leap second sorts with the second before it */
	int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
	*us = t * 1000000 + frac_us;
	return ERR_OK;
}
