/* Checks of user-supplied values that several modules share. Pure functions;
 * any thread. Each returns true when the value is acceptable. */
#ifndef ATALAYA_VALIDATE_H
#define ATALAYA_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* ISO 3166-1 alpha-2, officially assigned codes, upper case. */
bool valid_country(const char *s);
/* ISO 639-1 two-letter language code, lower case. */
bool valid_language(const char *s);
/* addr-spec of RFC 5322 without comments or quoted local parts, with a domain
 * of at least two labels; at most 254 bytes. */
bool valid_email(const char *s);
/* http:// or https:// URL with a host, no spaces or control characters. */
bool valid_http_url(const char *s);
/* International phone number: '+', then digits, spaces or '-' (7..15 digits). */
bool valid_phone(const char *s);
/* OpenPGP fingerprint: 40 (v4) or 64 (v5) hex digits, spaces allowed. */
bool valid_pgp_fingerprint(const char *s);
/* IANA time zone name such as "America/Montevideo" or "UTC". */
bool valid_time_zone(const char *s);
/* UTF-8 text of 1..max bytes with no control characters. */
bool valid_text(const char *s, size_t max);

#endif
