/* Base64 (RFC 4648, standard alphabet). Pure; any thread. */
#ifndef ATALAYA_BASE64_H
#define ATALAYA_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* 0..63 for a base64 digit, -1 for anything else ('=' included). */
static inline int base64_digit_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* True if s[0..n) is padded base64: a multiple of 4 digits, '=' (at most two) only
 * at the end. The STIX binary type and b'...' literals are this. */
static inline bool base64_padded_valid(const char *s, size_t n)
{
	size_t pad = 0;

	if (n % 4)
		return false;
	while (pad < 2 && pad < n && s[n - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < n - pad; i++)
		if (base64_digit_value((unsigned char)s[i]) < 0)
			return false;
	return true;
}

#endif
