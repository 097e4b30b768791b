/* The one canonicaliser of addresses and names (canonical.h). Moved here from
 * index/observable.c, which builds the observables' canonical forms on it. */
#include "formats/canonical.h"

#include <arpa/inet.h>
#include <idn2.h>

#include "util/err.h"

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* ---------------------------------------------------------------- addresses */

int canon_decimal(const char *s, size_t n, unsigned maxdig, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > maxdig || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* One pass for the common case, a valid dotted quad (zone files load a
 * million of them): false on anything else, which ipv4_why then explains. */
static bool ipv4_fast(const char *s, size_t n, uint8_t a[4])
{
	unsigned part = 0, val = 0, nd = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (nd == 0 || part == 3)
				return false;
			a[part++] = (uint8_t)val;
			val = 0;
			nd = 0;
		} else if (c >= '0' && c <= '9') {
			if (nd == 1 && val == 0)
				return false; /* a leading zero */
			val = val * 10 + (unsigned)(c - '0');
			if (++nd > 3 || val > 255)
				return false;
		} else {
			return false;
		}
	}
	if (nd == 0 || part != 3)
		return false;
	a[3] = (uint8_t)val;
	return true;
}

/* The same grammar part by part, saying what is wrong. */
static int ipv4_why(const char *s, size_t n, uint8_t a[4], const char **why)
{
	size_t start = 0, part = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		uint64_t v;
		size_t plen = i - start;
		if (part >= 4) {
			*why = "more than four parts";
			return -1;
		}
		if (plen == 0) {
			*why = "empty part";
			return -1;
		}
		if (plen > 1 && s[start] == '0') {
			*why = "leading zero in a part";
			return -1;
		}
		if (canon_decimal(s + start, plen, 3, &v)) {
			*why = plen > 3 ? "part too long" : "part is not a decimal number";
			return -1;
		}
		if (v > 255) {
			*why = "part over 255";
			return -1;
		}
		a[part++] = (uint8_t)v;
		start = i + 1;
	}
	if (part != 4) {
		*why = "fewer than four parts";
		return -1;
	}
	return 0;
}

int canon_ipv4_parse(const char *s, size_t n, uint8_t a[4], const char **why)
{
	const char *ignored;

	if (ipv4_fast(s, n, a))
		return 0;
	return ipv4_why(s, n, a, why ? why : &ignored);
}

int canon_ipv6_parse(const char *s, size_t n, uint8_t a[16])
{
	char tmp[64];

	/* every IPv6 text has a ':'; IPv4 text (zone files) is refused at once */
	if (n == 0 || n >= sizeof(tmp) || !memchr(s, ':', n))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, a) == 1 ? 0 : -1;
}

int canon_ip_parse(const char *s, size_t n, uint8_t a[16])
{
	memset(a, 0, 16);
	if (memchr(s, ':', n))
		return canon_ipv6_parse(s, n, a) ? 0 : 6;
	return canon_ipv4_parse(s, n, a, NULL) ? 0 : 4;
}

bool canon_is_v4_mapped(const uint8_t a[16])
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a, pfx, 12) == 0;
}

size_t canon_ip_format(int family, const uint8_t addr[16], unsigned prefix_len, char *out)
{
	size_t o = 0;
	unsigned full = family == 4 ? 32 : 128;

	if (family == 4) {
		o = (size_t)snprintf(out, CANON_IP_TEXT_MAX, "%u.%u.%u.%u", addr[0], addr[1],
				     addr[2], addr[3]);
	} else {
		/* RFC 5952: lowercase, no leading zeros, the longest run (first if tied) of
		 * two or more zero groups replaced by "::". */
		unsigned g[8];
		int best = -1, bestlen = 0;
		for (int i = 0; i < 8; i++)
			g[i] = (unsigned)addr[2 * i] << 8 | addr[2 * i + 1];
		for (int i = 0; i < 8;) {
			int j = i;
			while (j < 8 && g[j] == 0)
				j++;
			if (j - i > bestlen) {
				best = i;
				bestlen = j - i;
			}
			i = j > i ? j : i + 1;
		}
		if (bestlen < 2)
			best = -1;
		for (int i = 0; i < 8; i++) {
			if (i == best) {
				out[o++] = ':';
				out[o++] = ':';
				i += bestlen - 1;
				continue;
			}
			if (i > 0 && i != best + bestlen)
				out[o++] = ':';
			o += (size_t)snprintf(out + o, CANON_IP_TEXT_MAX - o, "%x", g[i]);
		}
		out[o] = '\0';
	}
	if (prefix_len < full)
		o += (size_t)snprintf(out + o, CANON_IP_TEXT_MAX - o, "/%u", prefix_len);
	return o;
}

bool canon_host_bits_zero(const uint8_t *a, unsigned bytes, unsigned plen)
{
	unsigned b = plen / 8;

	if (b >= bytes)
		return true;
	if (plen % 8 && (a[b++] & (0xffu >> (plen % 8))))
		return false;
	for (; b < bytes; b++)
		if (a[b])
			return false;
	return true;
}

void canon_zero_host_bits(uint8_t *a, unsigned bytes, unsigned plen)
{
	for (unsigned b = 0; b < bytes; b++) {
		unsigned keep = plen >= (b + 1) * 8 ? 8 : (plen > b * 8 ? plen - b * 8 : 0);
		a[b] &= (uint8_t)(keep ? 0xff << (8 - keep) : 0);
	}
}

/* ---------------------------------------------------------------- domains */

static bool ldh(char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_';
}

bool canon_numeric_last_label(const char *v, size_t n)
{
	size_t i;

	if (n && v[n - 1] == '.')
		n--;
	if (n == 0)
		return false;
	i = n;
	while (i > 0 && v[i - 1] != '.')
		i--;
	if (i == n)
		return false;
	for (size_t j = i; j < n; j++)
		if (!is_digit(v[j]))
			return false;
	return true;
}

/* `why` gets the reason; returns `code`. */
__attribute__((format(printf, 4, 5))) static int fail(char *why, size_t whysz, int code,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return code;
}

int canon_domain(const char *v, size_t n, char *dst, size_t *dlen, char *why, size_t whysz)
{
	bool ascii = true;
	size_t o = 0, lab = 0;
	char buf[CANON_DOMAIN_INPUT_MAX + 1];

	if (n && v[n - 1] == '.')
		n--;
	if (n == 0)
		return fail(why, whysz, ERR_INVALID, "empty domain name");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c >= 0x80)
			ascii = false;
		if (c == 0 || c < 0x20 || c == 0x7f || c == ' ')
			return fail(why, whysz, ERR_INVALID,
				    "not a domain name (control character or space)");
	}
	if (canon_numeric_last_label(v, n))
		return fail(why, whysz, ERR_INVALID,
			    "not a domain name (the last label is numeric)");
	if (!ascii || (n >= 4 && strncasecmp(v, "xn--", 4) == 0) || memmem(v, n, ".xn--", 5) ||
	    memmem(v, n, ".XN--", 5) || memmem(v, n, ".Xn--", 5) || memmem(v, n, ".xN--", 5)) {
		uint8_t *res = NULL;
		int rc;

		if (n > CANON_DOMAIN_INPUT_MAX)
			return fail(why, whysz, ERR_TOO_LARGE, "domain name too long");
		memcpy(buf, v, n);
		buf[n] = '\0';
		rc = idn2_lookup_u8((const uint8_t *)buf, &res,
				    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK)
			return fail(why, whysz, ERR_INVALID,
				    "not a valid internationalised domain name (%s)",
				    idn2_strerror(rc));
		size_t rl = strlen((const char *)res);
		if (rl > CANON_DOMAIN_MAX) {
			idn2_free(res);
			return fail(why, whysz, ERR_INVALID, "domain name longer than %d bytes",
				    CANON_DOMAIN_MAX);
		}
		for (size_t i = 0; i < rl; i++)
			dst[i] = lower((char)res[i]);
		idn2_free(res);
		o = rl;
		if (o && dst[o - 1] == '.')
			o--;
	} else {
		if (n > CANON_DOMAIN_MAX)
			return fail(why, whysz, ERR_INVALID, "domain name longer than %d bytes",
				    CANON_DOMAIN_MAX);
		for (size_t i = 0; i < n; i++)
			dst[o++] = lower(v[i]);
	}
	dst[o] = '\0';
	/* Labels: 1..63 letters, digits, '-' or '_', not starting or ending with '-'. */
	for (size_t i = 0; i <= o; i++) {
		if (i < o && dst[i] != '.') {
			if (!ldh(dst[i]))
				return fail(why, whysz, ERR_INVALID,
					    "not a domain name (character '%c' not allowed)",
					    (dst[i] >= 0x20 && dst[i] < 0x7f) ? dst[i] : '?');
			continue;
		}
		if (i == lab)
			return fail(why, whysz, ERR_INVALID, "not a domain name (empty label)");
		if (i - lab > CAP_LABEL_MAX)
			return fail(why, whysz, ERR_INVALID, "label longer than 63 bytes");
		if (dst[lab] == '-' || dst[i - 1] == '-')
			return fail(why, whysz, ERR_INVALID, "label starts or ends with a hyphen");
		lab = i + 1;
	}
	if (canon_numeric_last_label(dst, o))
		return fail(why, whysz, ERR_INVALID,
			    "not a domain name (the last label is numeric)");
	*dlen = o;
	return ERR_OK;
}

bool canon_same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}
