/* The text values of IODEF v2 that map to STIX values: IPv4 addresses and
 * masks (read through formats/canonical.h), AS numbers, MAC addresses, and the
 * digests of XML Signature (iodef_values.h). Pure: any thread. */
#include "formats/iodef_values.h"

#include "formats/canonical.h"
#include "util/base64.h"
#include "util/hex.h"

#include <ctype.h>

bool iodef_ipv4_text_ok(const char *s, int *prefix)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint8_t a[4];

	*prefix = -1;
	if (canon_ipv4_parse(s, n, a, NULL))
		return false;
	if (slash) {
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || v < 0 || v > 32)
			return false;
		*prefix = (int)v;
	}
	return true;
}

/* "192.0.2.0/255.255.255.0" -> "192.0.2.0/24"; the mask must be contiguous. */
bool iodef_ipv4_mask_to_cidr(const char *v, char *out, size_t n)
{
	char addr[16], mask[16];
	uint8_t a[4], m[4];
	const char *slash = strchr(v, '/');

	if (!slash || (size_t)(slash - v) >= sizeof(addr) || strlen(slash + 1) >= sizeof(mask))
		return false;
	memcpy(addr, v, (size_t)(slash - v));
	addr[slash - v] = '\0';
	snprintf(mask, sizeof(mask), "%s", slash + 1);
	if (canon_ipv4_parse(addr, strlen(addr), a, NULL) ||
	    canon_ipv4_parse(mask, strlen(mask), m, NULL))
		return false;
	uint32_t bits = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	int len = __builtin_popcount(bits);
	if (len && bits != ~(uint32_t)0 << (32 - len))
		return false; /* not contiguous */
	snprintf(out, n, "%s/%d", addr, len);
	return true;
}

/* "64496", "AS64496" or asdot "1.10" (RFC 5396). */
bool iodef_asn_parse(const char *v, uint32_t *out)
{
	uint64_t hi = 0, lo = 0, *cur = &lo;
	bool dot = false;

	if ((v[0] == 'A' || v[0] == 'a') && (v[1] == 'S' || v[1] == 's'))
		v += 2;
	if (!*v)
		return false;
	for (; *v; v++) {
		if (*v == '.' && !dot && cur == &lo && v[1]) {
			hi = lo;
			lo = 0;
			dot = true;
			continue;
		}
		if (*v < '0' || *v > '9' || *cur > UINT32_MAX)
			return false;
		*cur = *cur * 10 + (uint64_t)(*v - '0');
	}
	if (dot && (hi > 65535 || lo > 65535))
		return false;
	uint64_t asn = dot ? hi << 16 | lo : lo;
	if (asn < 1 || asn > UINT32_MAX)
		return false;
	*out = (uint32_t)asn;
	return true;
}

/* A MAC address with ':' or '-' between six pairs of hex digits, in STIX's form:
 * lower case, colon-separated. */
bool iodef_mac_normalise(const char *v, char out[18])
{
	if (strlen(v) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (v[i] != ':' && v[i] != '-')
				return false;
			out[i] = ':';
		} else if (hex_digit_value((unsigned char)v[i]) < 0) {
			return false;
		} else {
			out[i] = (char)tolower((unsigned char)v[i]);
		}
	}
	out[17] = '\0';
	return true;
}

/* Base64 (white space ignored) to lower-case hex; false if malformed or too long. */
bool iodef_b64_to_hex(const char *s, char *hex, size_t hexn)
{
	unsigned int acc = 0;
	int bits = 0;
	size_t k = 0;

	for (; *s && *s != '='; s++) {
		if (strchr(" \t\r\n", *s))
			continue;
		int v = base64_digit_value((unsigned char)*s);
		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k + 3 > hexn)
				return false;
			snprintf(hex + k, 3, "%02x", (acc >> bits) & 0xff);
			k += 2;
		}
	}
	hex[k] = '\0';
	return k > 0;
}

const char *iodef_hash_name(const char *alg)
{
	const char *h = alg ? strrchr(alg, '#') : NULL;

	if (!h)
		return NULL;
	h++;
	if (!strcmp(h, "md5"))
		return "MD5";
	if (!strcmp(h, "sha1"))
		return "SHA-1";
	if (!strcmp(h, "sha256"))
		return "SHA-256";
	if (!strcmp(h, "sha512"))
		return "SHA-512";
	return NULL;
}

/* Some senders write a DigestValue in hex, where XML Signature has base64 (RFC 7970's
 * examples have no Hash; this leniency is atalaya's). A hex string of exactly the
 * digest's length is unambiguous (base64 of a digest is never that long), so it is
 * taken as hex. */
bool iodef_digest_hex(const char *stix_name, const char *val, char *hex, size_t hexn)
{
	size_t want = !strcmp(stix_name, "MD5")	      ? 32
		      : !strcmp(stix_name, "SHA-1")   ? 40
		      : !strcmp(stix_name, "SHA-256") ? 64
						      : 128;
	size_t n = strlen(val);

	if (n != want || n >= hexn)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (hex_digit_value((unsigned char)val[i]) < 0)
			return false;
		hex[i] = (char)tolower((unsigned char)val[i]);
	}
	hex[n] = '\0';
	return true;
}
