/* Deadlines of requests (issue 15) as users write them: a duration from now
 * ("48h", "90m", "3s", "2d", "1w", or several, "1d12h") or an RFC 3339 time;
 * and the reminder points of the setting request_reminders ("50,90": percents
 * of the time between opening and the deadline). Pure; any thread. */
#ifndef ATALAYA_REQUEST_DEADLINE_H
#define ATALAYA_REQUEST_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define REQUEST_DEADLINE_MIN_MS 1000LL		       /* one second: tests use "3s" */
#define REQUEST_DEADLINE_MAX_MS (366LL * 86400 * 1000) /* a year */
#define REQUEST_REMINDERS_MAX 8

/* The deadline `s` (n bytes) means, opened at `now` (ms): *deadline in ms
 * since the epoch, between now + REQUEST_DEADLINE_MIN_MS and now +
 * REQUEST_DEADLINE_MAX_MS. ERR_INVALID with `err` naming `field` otherwise. */
int request_deadline_parse(const char *s, size_t n, int64_t now, const char *field,
			   int64_t *deadline, struct err_detail *err);

/* Parses request_reminders: up to REQUEST_REMINDERS_MAX percents, 1..99,
 * increasing, separated by commas ("" means no reminder). *count of them in
 * out[]. ERR_INVALID with `err` naming the setting otherwise. */
int request_reminders_parse(const char *s, int out[REQUEST_REMINDERS_MAX], int *count,
			    struct err_detail *err);

#endif
