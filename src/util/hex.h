/* Hexadecimal digits. Pure; any thread. */
#ifndef ATALAYA_HEX_H
#define ATALAYA_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* 0..15 for a hex digit of either case, -1 for anything else. */
static inline int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* True if s[0..n) is whole octets of hex digits (the STIX hex type, h'...'). */
static inline bool hex_octets_valid(const char *s, size_t n)
{
	if (n % 2)
		return false;
	for (size_t i = 0; i < n; i++)
		if (hex_digit_value((unsigned char)s[i]) < 0)
			return false;
	return true;
}

#endif
