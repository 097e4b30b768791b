/* The one canonicaliser of addresses and names: every file that reads an IP
 * address, a CIDR or a domain from text reads it here (IntelMQ's
 * harmonization.py, IPAddress/FQDN, is the model of one place). Observables
 * (index/observable.h) build their canonical forms on it; the parsers
 * (formats/), the zone files and the blocklist (dns/) and the spam
 * reputation use it for the text they read.
 *
 * Pure functions, no state: any thread. A leaf (only util/ below it), so that
 * the parsers may include it.
 */
#ifndef ATALAYA_CANONICAL_H
#define ATALAYA_CANONICAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/caps.h"

/* Caps. */
#define CANON_DOMAIN_MAX CAP_DOMAIN_MAX			/* RFC 1035, without the trailing dot */
#define CANON_DOMAIN_INPUT_MAX CAP_OBSERVABLE_INPUT_MAX /* text handed to the IDNA conversion */
#define CANON_IP_TEXT_MAX CAP_IP_TEXT_MAX /* an address or a CIDR as text, with its NUL */

/* A decimal number of 1..`maxdig` digits, no leading zero unless it is "0".
 * 0 and *v set, or -1. */
int canon_decimal(const char *s, size_t n, unsigned maxdig, uint64_t *v);

/* A strict dotted quad of `n` bytes: four decimal parts 0..255 without leading
 * zeros (what inet_pton(AF_INET) accepts). 0 with a[0..3] set, or -1 with
 * `*why` (may be NULL) saying what is wrong: "part over 255". */
int canon_ipv4_parse(const char *s, size_t n, uint8_t a[4], const char **why);
/* IPv6 text of `n` bytes (RFC 4291 forms, a trailing dotted quad allowed; no
 * zone identifier, no prefix). 0 with a[0..15] set, or -1. */
int canon_ipv6_parse(const char *s, size_t n, uint8_t a[16]);
/* An address of either family, by the presence of ':': 4 or 6 with `a` set
 * (network order, IPv4 in a[0..3] and the rest zero), or 0 when `s` is none. */
int canon_ip_parse(const char *s, size_t n, uint8_t a[16]);

/* The first 12 bytes are ::ffff:0:0/96 (an IPv4-mapped IPv6 address). */
bool canon_is_v4_mapped(const uint8_t a[16]);
/* Are the bits of the `bytes`-byte address `a` below prefix length `plen` zero? */
bool canon_host_bits_zero(const uint8_t *a, unsigned bytes, unsigned plen);
/* Clears them. */
void canon_zero_host_bits(uint8_t *a, unsigned bytes, unsigned plen);
/* Do the first `bits` bits of addresses a and b agree (is b inside the network
 * a/bits)? */
bool canon_same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits);

/* Writes the canonical text of an address or CIDR of family 4 or 6 into out,
 * which holds at least CANON_IP_TEXT_MAX bytes: a dotted quad, or RFC 5952
 * IPv6 (lowercase, the longest run of two or more zero groups, first if tied,
 * as "::"), then "/len" when prefix_len is below 32 or 128. Returns the length. */
size_t canon_ip_format(int family, const uint8_t addr[16], unsigned prefix_len, char *out);

/* Does the last label of the name consist of digits only? Such names are
 * addresses, not domains (RFC 3696 section 2). A trailing dot is ignored. */
bool canon_numeric_last_label(const char *v, size_t n);

/* A domain name of `n` bytes to lowercase A-labels (IDNA2008 through libidn2,
 * UTS #46 non-transitional, for a name with non-ASCII bytes or an A-label),
 * without the trailing dot; labels of 1..63 letters, digits, '-' or '_', not
 * starting or ending with '-'; the last one not numeric. `dst` holds at least
 * CANON_DOMAIN_MAX + 1 bytes and gets the NUL-terminated name, *dlen its
 * length. Returns 0 (ERR_OK), or ERR_INVALID / ERR_TOO_LARGE with the reason
 * in `why` ("label longer than 63 bytes"). */
int canon_domain(const char *v, size_t n, char *dst, size_t *dlen, char *why, size_t whysz);

#endif
