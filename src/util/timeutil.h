/* Wall-clock time as milliseconds since the epoch, and RFC 3339 text. Any thread. */
#ifndef ATALAYA_TIMEUTIL_H
#define ATALAYA_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

int64_t time_now_ms(void);
/* Monotonic clock in nanoseconds, for durations. */
int64_t time_mono_ns(void);
/* Writes "2026-11-23T10:00:00.000Z" (24 chars + NUL) into out[32]. */
void time_format_ms(int64_t ms, char out[32]);
/* Parses RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)". With
 * `utc_only`, only the "Z" form is accepted (STIX requires it).
 * Returns ERR_OK or ERR_INVALID. */
int time_parse_rfc3339(const char *s, size_t n, int utc_only, int64_t *ms);
/* The same in microseconds (TAXII's date_added); digits past them are read
 * and dropped. */
int time_parse_rfc3339_us(const char *s, size_t n, int utc_only, int64_t *us);

#endif
