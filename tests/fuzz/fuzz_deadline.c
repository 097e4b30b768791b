/* Fuzzes the request deadline parser ("48h", "1d12h", RFC 3339) and the
 * request_reminders setting parser: every answer is in bounds or an error
 * that says why. */
#include "request/deadline.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const int64_t now = 1800000000000LL;
	struct err_detail err;
	int64_t at = 0;
	err_clear(&err);
	int rc = request_deadline_parse((const char *)data, size, now, "deadline", &at, &err);
	if (rc == ERR_OK &&
	    (at < now + REQUEST_DEADLINE_MIN_MS || at > now + REQUEST_DEADLINE_MAX_MS))
		__builtin_trap();
	if (rc != ERR_OK && !err.message[0])
		__builtin_trap();
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	int pct[REQUEST_REMINDERS_MAX], n = -1;
	err_clear(&err);
	rc = request_reminders_parse(s, pct, &n, &err);
	if (rc == ERR_OK) {
		if (n < 0 || n > REQUEST_REMINDERS_MAX)
			__builtin_trap();
		for (int i = 0; i < n; i++)
			if (pct[i] < 1 || pct[i] > 99 || (i && pct[i] <= pct[i - 1]))
				__builtin_trap();
	} else if (!err.message[0]) {
		__builtin_trap();
	}
	free(s);
	return 0;
}
