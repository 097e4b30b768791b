#include "index/observable.h"
#include "formats/canonical.h"
#include "util/hex.h"

#include <libpsl.h>
#include <math.h>

#include "util/err.h"

/* What an error message shows of a value: printable ASCII, at most 64 bytes. */
#define QUOTE_MAX 64

static void quote(const char *v, size_t n, char out[QUOTE_MAX + 4])
{
	size_t i, o = 0;

	for (i = 0; i < n && o < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)v[i];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < n) {
		out[o++] = '.';
		out[o++] = '.';
		out[o++] = '.';
	}
	out[o] = '\0';
}

/* err_set with the value quoted in front: "'v': reason". */
__attribute__((format(printf, 5, 6))) static int bad(struct err_detail *err, int code,
						     const char *v, size_t n, const char *fmt, ...)
{
	char q[QUOTE_MAX + 4], why[400];
	va_list ap;

	if (!err)
		return code;
	quote(v, n, q);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return err_set(err, code, "value", "'%s': %s", q, why);
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **v, size_t *n)
{
	while (*n && is_space((*v)[0])) {
		(*v)++;
		(*n)--;
	}
	while (*n && is_space((*v)[*n - 1]))
		(*n)--;
}

static void reset(struct observable *out, enum obs_kind kind)
{
	out->kind = kind;
	out->hash_alg = OBS_HASH_ANY;
	out->family = 0;
	out->prefix_len = 0;
	memset(out->addr, 0, sizeof(out->addr));
	out->asn = 0;
	out->len = 0;
	out->value[0] = '\0';
	out->host_off = 0;
	out->host_len = 0;
	out->registered[0] = '\0';
}

/* Appending into out->value with a sticky overflow flag. */
struct vout {
	struct observable *o;
	bool over;
};

static void put(struct vout *w, const char *s, size_t n)
{
	if (w->over || n > OBS_VALUE_MAX - w->o->len) {
		w->over = true;
		return;
	}
	memcpy(w->o->value + w->o->len, s, n);
	w->o->len += n;
	w->o->value[w->o->len] = '\0';
}

static void putc1(struct vout *w, char c)
{
	put(w, &c, 1);
}

/* ---------------------------------------------------------------- addresses */

/* Address or CIDR of family 4 or 6 (0: either, by the presence of ':'). */
static int norm_ip(int want, const char *v, size_t n, struct observable *out,
		   struct err_detail *err)
{
	const char *slash = memchr(v, '/', n);
	size_t alen = slash ? (size_t)(slash - v) : n;
	int family = want ? want : (memchr(v, ':', alen) ? 6 : 4);
	uint8_t a[16] = {0};
	uint64_t plen;
	const char *why = NULL;
	char tmp[OBS_IP_TEXT_MAX];

	if (family == 4) {
		if (canon_ipv4_parse(v, alen, a, &why))
			return bad(err, ERR_INVALID, v, n, "not an IPv4 address (%s)", why);
	} else {
		if (memchr(v, '%', alen))
			return bad(err, ERR_INVALID, v, n,
				   "not an IPv6 address (zone identifiers are not accepted)");
		if (canon_ipv6_parse(v, alen, a))
			return bad(err, ERR_INVALID, v, n, "not an IPv6 address");
	}
	plen = family == 4 ? 32 : 128;
	if (slash) {
		if (canon_decimal(slash + 1, n - alen - 1, 3, &plen) ||
		    plen > (family == 4 ? 32 : 128))
			return bad(err, ERR_INVALID, v, n, "prefix length must be 0..%d",
				   family == 4 ? 32 : 128);
		if (!canon_host_bits_zero(a, family == 4 ? 4 : 16, (unsigned)plen)) {
			canon_zero_host_bits(a, family == 4 ? 4 : 16, (unsigned)plen);
			int fam = family;
			if (family == 6 && canon_is_v4_mapped(a) && plen >= 96) {
				memmove(a, a + 12, 4);
				fam = 4;
				plen -= 96;
			}
			canon_ip_format(fam, a, (unsigned)plen, tmp);
			return bad(err, ERR_INVALID, v, n,
				   "host bits set in a CIDR (network is %s)", tmp);
		}
	}
	if (family == 6 && canon_is_v4_mapped(a) && plen >= 96) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		family = 4;
		plen -= 96;
	}
	reset(out, family == 4 ? OBS_IPV4 : OBS_IPV6);
	out->family = (uint8_t)family;
	out->prefix_len = (uint8_t)plen;
	memcpy(out->addr, a, 16);
	out->len = canon_ip_format(family, a, (unsigned)plen, out->value);
	return ERR_OK;
}

size_t observable_format_ip(int family, const uint8_t addr[16], unsigned prefix_len, char *out)
{
	return canon_ip_format(family, addr, prefix_len, out);
}

/* ---------------------------------------------------------------- domains */

static const psl_ctx_t *psl(void)
{
	return psl_builtin();
}

static void set_registered(struct observable *o, const char *host, size_t n)
{
	char tmp[OBS_DOMAIN_MAX + 1];
	const psl_ctx_t *ctx = psl();
	const char *r;

	o->registered[0] = '\0';
	if (!ctx || n == 0 || n > OBS_DOMAIN_MAX)
		return;
	memcpy(tmp, host, n);
	tmp[n] = '\0';
	r = psl_registrable_domain(ctx, tmp);
	if (r)
		snprintf(o->registered, sizeof(o->registered), "%s", r);
}

/* Normalises a domain into dst (at least OBS_DOMAIN_MAX + 1 bytes); *dlen gets the
 * length. `whole`/`wn` is the full value for error messages. */
static int norm_domain_into(const char *v, size_t n, char *dst, size_t *dlen, const char *whole,
			    size_t wn, struct err_detail *err)
{
	char why[400];
	int rc = canon_domain(v, n, dst, dlen, why, sizeof(why));

	return rc ? bad(err, rc, whole, wn, "%s", why) : ERR_OK;
}

static int norm_domain(const char *v, size_t n, struct observable *out, struct err_detail *err)
{
	char d[OBS_INPUT_MAX + 1];
	size_t dl;
	int rc;

	rc = norm_domain_into(v, n, d, &dl, v, n, err);
	if (rc)
		return rc;
	reset(out, OBS_DOMAIN);
	memcpy(out->value, d, dl + 1);
	out->len = dl;
	out->host_off = 0;
	out->host_len = dl;
	set_registered(out, d, dl);
	return ERR_OK;
}

/* ---------------------------------------------------------------- URLs */

static bool unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
	       c == '.' || c == '_' || c == '~';
}

static bool must_encode(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`' || c == '{' ||
	       c == '}';
}

/* Appends a path, query or userinfo with percent-encoding normalised. */
static void put_pct(struct vout *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[3] = {'%', 0, 0};

		if (c == '%' && i + 2 < n && hex_digit_value(s[i + 1]) >= 0 &&
		    hex_digit_value(s[i + 2]) >= 0) {
			int d = hex_digit_value(s[i + 1]) << 4 | hex_digit_value(s[i + 2]);
			i += 2;
			if (unreserved(d)) {
				putc1(w, (char)d);
				continue;
			}
			c = (unsigned char)d;
		} else if (c != '%' && !must_encode(c)) {
			putc1(w, (char)c);
			continue;
		}
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		put(w, e, 3);
	}
}

static unsigned default_port(const char *scheme, size_t n)
{
	static const struct {
		const char *s;
		unsigned port;
	} t[] = {{"http", 80}, {"https", 443}, {"ftp", 21}, {"ws", 80}, {"wss", 443}};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].s) == n && memcmp(t[i].s, scheme, n) == 0)
			return t[i].port;
	return 0;
}

static int norm_url(const char *v, size_t n, struct observable *out, struct err_detail *err)
{
	size_t i = 0, se, as, ae, hs, he, ps = 0, pe = 0;
	const char *at, *p;
	char scheme[32];
	struct vout w = {out, false};
	bool has_port = false;
	uint64_t port = 0;
	int rc;

	/* scheme "://" */
	if (n == 0 || !((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z')))
		return bad(err, ERR_INVALID, v, n, "not a URL (no scheme)");
	while (i < n && i < sizeof(scheme) - 1 &&
	       ((lower(v[i]) >= 'a' && lower(v[i]) <= 'z') || is_digit(v[i]) || v[i] == '+' ||
		v[i] == '-' || v[i] == '.')) {
		scheme[i] = lower(v[i]);
		i++;
	}
	se = i;
	scheme[se] = '\0';
	if (n - i < 3 || memcmp(v + i, "://", 3) != 0)
		return bad(err, ERR_INVALID, v, n, "not a URL (no \"scheme://\")");
	as = i + 3;
	ae = as;
	while (ae < n && v[ae] != '/' && v[ae] != '?' && v[ae] != '#')
		ae++;
	reset(out, OBS_URL);
	put(&w, scheme, se);
	put(&w, "://", 3);

	/* userinfo "@" */
	hs = as;
	at = NULL;
	for (p = v + as; p < v + ae; p++)
		if (*p == '@')
			at = p;
	if (at) {
		put_pct(&w, v + as, (size_t)(at - (v + as)));
		putc1(&w, '@');
		hs = (size_t)(at - v) + 1;
	}

	/* host and port */
	if (hs < ae && v[hs] == '[') {
		const char *rb = memchr(v + hs, ']', ae - hs);
		struct observable ip;
		if (!rb)
			return bad(err, ERR_INVALID, v, n, "not a URL (unterminated '[')");
		he = (size_t)(rb - v) + 1;
		rc = norm_ip(6, v + hs + 1, he - hs - 2, &ip, NULL);
		if (rc || memchr(v + hs + 1, '/', he - hs - 2))
			return bad(err, ERR_INVALID, v, n, "not a URL (bad IPv6 host)");
		out->family = ip.family;
		memcpy(out->addr, ip.addr, 16);
		out->prefix_len = ip.prefix_len;
		if (ip.family == 6)
			putc1(&w, '[');
		out->host_off = out->len;
		out->host_len = ip.len;
		put(&w, ip.value, ip.len);
		if (ip.family == 6)
			putc1(&w, ']');
	} else {
		he = hs;
		while (he < ae && v[he] != ':')
			he++;
		if (he == hs) {
			if (strcmp(scheme, "file") != 0)
				return bad(err, ERR_INVALID, v, n, "not a URL (empty host)");
		} else {
			char host[OBS_DOMAIN_MAX * 3 + 1];
			size_t hl = 0;
			/* percent-decode the host before the domain rules */
			for (size_t k = hs; k < he; k++) {
				if (hl >= sizeof(host) - 1)
					return bad(err, ERR_INVALID, v, n, "URL host too long");
				if (v[k] == '%' && k + 2 < he && hex_digit_value(v[k + 1]) >= 0 &&
				    hex_digit_value(v[k + 2]) >= 0) {
					host[hl++] = (char)(hex_digit_value(v[k + 1]) << 4 |
							    hex_digit_value(v[k + 2]));
					k += 2;
				} else {
					host[hl++] = v[k];
				}
			}
			host[hl] = '\0';
			if (canon_numeric_last_label(host, hl) ||
			    strspn(host, "0123456789.") == hl) {
				struct observable ip;
				const char *why = "";
				if (canon_ipv4_parse(host, hl, ip.addr, &why))
					return bad(err, ERR_INVALID, v, n,
						   "URL host is not an IPv4 address (%s)", why);
				out->family = 4;
				out->prefix_len = 32;
				memcpy(out->addr, ip.addr, 4);
				char t[OBS_IP_TEXT_MAX];
				size_t tl = canon_ip_format(4, out->addr, 32, t);
				out->host_off = out->len;
				out->host_len = tl;
				put(&w, t, tl);
			} else {
				char d[OBS_INPUT_MAX + 1];
				size_t dl;
				rc = norm_domain_into(host, hl, d, &dl, v, n, err);
				if (rc)
					return rc;
				out->host_off = out->len;
				out->host_len = dl;
				put(&w, d, dl);
				set_registered(out, d, dl);
			}
		}
	}
	if (he < ae) {
		if (v[he] != ':')
			return bad(err, ERR_INVALID, v, n, "not a URL (junk after the host)");
		if (he + 1 < ae) {
			size_t k = he + 1;
			while (k < ae && v[k] == '0')
				k++;
			if (k == ae)
				k--;
			if (canon_decimal(v + k, ae - k, 5, &port) || port > 65535)
				return bad(err, ERR_INVALID, v, n, "not a URL (bad port)");
			has_port = true;
		}
	}
	if (has_port && port != default_port(scheme, se)) {
		char t[8];
		int tl = snprintf(t, sizeof(t), ":%u", (unsigned)port);
		put(&w, t, (size_t)tl);
	}

	/* path and query; the fragment goes */
	ps = ae;
	pe = ps;
	while (pe < n && v[pe] != '#')
		pe++;
	if (ps == pe || v[ps] != '/')
		putc1(&w, '/');
	put_pct(&w, v + ps, pe - ps);
	if (w.over)
		return bad(err, ERR_TOO_LARGE, v, n, "URL longer than %d bytes", OBS_VALUE_MAX);
	return ERR_OK;
}

/* ---------------------------------------------------------------- e-mail */

static int norm_email(const char *v, size_t n, struct observable *out, struct err_detail *err)
{
	const char *at = NULL;
	size_t ll;
	char d[OBS_INPUT_MAX + 1];
	size_t dl;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (v[i] == '@')
			at = v + i;
	if (!at)
		return bad(err, ERR_INVALID, v, n, "not an e-mail address (no '@')");
	ll = (size_t)(at - v);
	if (ll == 0)
		return bad(err, ERR_INVALID, v, n, "not an e-mail address (empty local part)");
	if (ll > 64)
		return bad(err, ERR_INVALID, v, n, "local part longer than 64 bytes");
	for (size_t i = 0; i < ll; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c <= 0x20 || c == 0x7f)
			return bad(err, ERR_INVALID, v, n,
				   "not an e-mail address (space or control character)");
	}
	if (ll + 1 < n && at[1] == '[')
		return bad(err, ERR_INVALID, v, n, "address literals are not indexed");
	rc = norm_domain_into(at + 1, n - ll - 1, d, &dl, v, n, err);
	if (rc)
		return rc;
	if (ll + 1 + dl > 254)
		return bad(err, ERR_INVALID, v, n, "e-mail address longer than 254 bytes");
	reset(out, OBS_EMAIL);
	memcpy(out->value, v, ll);
	out->value[ll] = '@';
	memcpy(out->value + ll + 1, d, dl + 1);
	out->len = ll + 1 + dl;
	out->host_off = ll + 1;
	out->host_len = dl;
	set_registered(out, d, dl);
	return ERR_OK;
}

/* ---------------------------------------------------------------- hashes, ASNs */

static const struct {
	enum obs_hash_alg alg;
	const char *name;
	size_t hex;
} hash_algs[] = {
    {OBS_HASH_MD5, "MD5", 32},		 {OBS_HASH_SHA1, "SHA-1", 40},
    {OBS_HASH_SHA256, "SHA-256", 64},	 {OBS_HASH_SHA512, "SHA-512", 128},
    {OBS_HASH_SHA3_256, "SHA3-256", 64}, {OBS_HASH_SHA3_512, "SHA3-512", 128},
};

/* "MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512" ("" for ANY). */
static const char *hash_alg_name(enum obs_hash_alg a)
{
	for (size_t i = 0; i < sizeof(hash_algs) / sizeof(hash_algs[0]); i++)
		if (hash_algs[i].alg == a)
			return hash_algs[i].name;
	return "";
}

static bool all_hex(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hex_digit_value(v[i]) < 0)
			return false;
	return n > 0;
}

int observable_normalise_hash(enum obs_hash_alg alg, const char *value, size_t len,
			      struct observable *out, struct err_detail *err)
{
	const char *v = value;
	size_t n = len;
	size_t want = 0;

	if (len > OBS_INPUT_MAX)
		return bad(err, ERR_TOO_LARGE, value, len, "longer than %d bytes", OBS_INPUT_MAX);
	trim(&v, &n);
	if (!all_hex(v, n))
		return bad(err, ERR_INVALID, v, n, "not a file hash (hex digits expected)");
	if (alg == OBS_HASH_ANY) {
		switch (n) {
		case 32: alg = OBS_HASH_MD5; break;
		case 40: alg = OBS_HASH_SHA1; break;
		case 64: alg = OBS_HASH_SHA256; break;
		case 128: alg = OBS_HASH_SHA512; break;
		default:
			return bad(
			    err, ERR_INVALID, v, n,
			    "not a file hash (32, 40, 64 or 128 hex digits expected, got %zu)", n);
		}
	}
	for (size_t i = 0; i < sizeof(hash_algs) / sizeof(hash_algs[0]); i++)
		if (hash_algs[i].alg == alg)
			want = hash_algs[i].hex;
	if (want == 0)
		return bad(err, ERR_INVALID, v, n, "unknown hash algorithm");
	if (n != want)
		return bad(err, ERR_INVALID, v, n,
			   "not a %s hash (%zu hex digits expected, got %zu)", hash_alg_name(alg),
			   want, n);
	reset(out, OBS_HASH);
	out->hash_alg = alg;
	for (size_t i = 0; i < n; i++)
		out->value[i] = lower(v[i]);
	out->value[n] = '\0';
	out->len = n;
	return ERR_OK;
}

static int norm_asn(const char *v, size_t n, struct observable *out, struct err_detail *err)
{
	const char *d = v;
	size_t dn = n;
	const char *dot;
	uint64_t asn, lo;

	if (dn >= 2 && lower(d[0]) == 'a' && lower(d[1]) == 's') {
		d += 2;
		dn -= 2;
	}
	dot = memchr(d, '.', dn);
	if (dot) {
		/* asdot: high.low, each 0..65535 */
		size_t hl = (size_t)(dot - d);
		if (canon_decimal(d, hl, 5, &asn) || canon_decimal(dot + 1, dn - hl - 1, 5, &lo) ||
		    asn > 65535 || lo > 65535)
			return bad(err, ERR_INVALID, v, n, "not an AS number");
		asn = asn << 16 | lo;
	} else if (canon_decimal(d, dn, 10, &asn)) {
		return bad(err, ERR_INVALID, v, n, "not an AS number");
	}
	if (asn < 1 || asn > UINT32_MAX)
		return bad(err, ERR_INVALID, v, n, "AS number out of range 1..4294967295");
	reset(out, OBS_ASN);
	out->asn = (uint32_t)asn;
	out->len = (size_t)snprintf(out->value, sizeof(out->value), "AS%" PRIu32, out->asn);
	return ERR_OK;
}

/* ---------------------------------------------------------------- dispatch */

static enum obs_kind guess(const char *v, size_t n)
{
	size_t i;
	bool digits = n > 0;

	if (memmem(v, n, "://", 3))
		return OBS_URL;
	if (memchr(v, '@', n))
		return OBS_EMAIL;
	for (i = 0; i < n; i++)
		if (!is_digit(v[i]))
			digits = false;
	if (digits)
		return OBS_ASN;
	if (n > 2 && lower(v[0]) == 'a' && lower(v[1]) == 's' && is_digit(v[2])) {
		bool asn = true;
		for (i = 2; i < n; i++)
			if (!is_digit(v[i]) && v[i] != '.')
				asn = false;
		if (asn)
			return OBS_ASN;
	}
	if (memchr(v, ':', n))
		return OBS_IPV6;
	{
		const char *slash = memchr(v, '/', n);
		size_t an = slash ? (size_t)(slash - v) : n;
		if (canon_numeric_last_label(v, an) || (slash && strspn(v, "0123456789.") >= an))
			return OBS_IPV4;
		if (slash)
			return OBS_IPV4; /* "x/24" can only have been meant as a CIDR */
	}
	if (all_hex(v, n) && (n == 32 || n == 40 || n == 64 || n == 128))
		return OBS_HASH;
	return OBS_DOMAIN;
}

int observable_normalise(enum obs_kind hint, const char *value, size_t len, struct observable *out,
			 struct err_detail *err)
{
	const char *v = value;
	size_t n = len;

	if (!value)
		return err_set(err, ERR_INVALID, "value", "missing value");
	if (len > OBS_INPUT_MAX)
		return bad(err, ERR_TOO_LARGE, value, len, "longer than %d bytes", OBS_INPUT_MAX);
	trim(&v, &n);
	if (n == 0)
		return err_set(err, ERR_INVALID, "value", "empty value");
	if (memchr(v, '\0', n))
		return bad(err, ERR_INVALID, v, n, "NUL byte in the value");
	if (hint == OBS_AUTO)
		hint = guess(v, n);
	switch (hint) {
	case OBS_IPV4: return norm_ip(4, v, n, out, err);
	case OBS_IPV6: return norm_ip(6, v, n, out, err);
	case OBS_DOMAIN: return norm_domain(v, n, out, err);
	case OBS_URL: return norm_url(v, n, out, err);
	case OBS_EMAIL: return norm_email(v, n, out, err);
	case OBS_HASH: return observable_normalise_hash(OBS_HASH_ANY, v, n, out, err);
	case OBS_ASN: return norm_asn(v, n, out, err);
	case OBS_AUTO:
	case OBS_KIND_COUNT: break;
	}
	return err_set(err, ERR_INVALID, "kind", "unknown observable kind");
}

static const char *const kind_names[OBS_KIND_COUNT] = {
    [OBS_AUTO] = "auto", [OBS_IPV4] = "ipv4",	[OBS_IPV6] = "ipv6", [OBS_DOMAIN] = "domain",
    [OBS_URL] = "url",	 [OBS_EMAIL] = "email", [OBS_HASH] = "hash", [OBS_ASN] = "asn",
};

const char *observable_kind_name(enum obs_kind k)
{
	return (unsigned)k < OBS_KIND_COUNT ? kind_names[k] : "unknown";
}

/* ---------------------------------------------------------------- STIX */

/* Unquotes a STIX string literal ('...' with \' and \\) into dst; bare literals
 * (numbers) are copied. Returns -1 on a malformed or non-string literal (b'..', h'..'). */
static int unquote(const char *lit, size_t n, char *dst, size_t cap, size_t *dl)
{
	size_t o = 0;

	trim(&lit, &n);
	if (n == 0)
		return -1;
	if (lit[0] != '\'') {
		if (n >= cap)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (lit[i] == '\'' || is_space(lit[i]))
				return -1;
		memcpy(dst, lit, n);
		*dl = n;
		return 0;
	}
	if (n < 2 || lit[n - 1] != '\'')
		return -1;
	for (size_t i = 1; i < n - 1; i++) {
		char c = lit[i];
		if (c == '\\') {
			if (i + 1 >= n - 1 || (lit[i + 1] != '\'' && lit[i + 1] != '\\'))
				return -1;
			c = lit[++i];
		} else if (c == '\'') {
			return -1;
		}
		if (o >= cap)
			return -1;
		dst[o++] = c;
	}
	*dl = o;
	return 0;
}

static int not_indexable(struct err_detail *why, const char *type, const char *path, const char *op,
			 const char *reason)
{
	if (why) {
		err_set(why, ERR_OK, "pattern", "%s:%s %s: %s", type, path, op, reason);
		why->code = ERR_OK;
	}
	return OBS_NOT_INDEXABLE;
}

int observable_from_stix(const char *object_type, const char *property_path, const char *op,
			 const char *literal, size_t literal_len, struct observable *out,
			 struct err_detail *why)
{
	char lit[OBS_INPUT_MAX];
	size_t ll = 0;
	enum obs_kind kind = OBS_AUTO;
	enum obs_hash_alg alg = OBS_HASH_ANY;
	bool subset = false, net_ref = false;
	const char *t = object_type ? object_type : "";
	const char *p = property_path ? property_path : "";
	const char *o = op ? op : "";
	int rc;

	if (strcmp(o, "=") != 0 && strcmp(o, "ISSUBSET") != 0)
		return not_indexable(why, t, p, o, "only '=' and ISSUBSET comparisons are indexed");
	subset = strcmp(o, "ISSUBSET") == 0;
	if ((!strcmp(t, "ipv4-addr") || !strcmp(t, "ipv6-addr")) && !strcmp(p, "value")) {
		kind = t[3] == '4' ? OBS_IPV4 : OBS_IPV6;
	} else if (subset) {
		return not_indexable(why, t, p, o, "ISSUBSET is indexed for addresses only");
	} else if (!strcmp(t, "domain-name") && !strcmp(p, "value")) {
		kind = OBS_DOMAIN;
	} else if (!strcmp(t, "url") && !strcmp(p, "value")) {
		kind = OBS_URL;
	} else if ((!strcmp(t, "email-addr") && !strcmp(p, "value")) ||
		   (!strcmp(t, "email-message") &&
		    (!strcmp(p, "from_ref.value") || !strcmp(p, "sender_ref.value")))) {
		kind = OBS_EMAIL;
	} else if (!strcmp(t, "autonomous-system") && !strcmp(p, "number")) {
		kind = OBS_ASN;
	} else if (!strcmp(t, "network-traffic") &&
		   (!strcmp(p, "src_ref.value") || !strcmp(p, "dst_ref.value"))) {
		net_ref = true;
	} else if ((!strcmp(t, "file") || !strcmp(t, "artifact")) && !strncmp(p, "hashes.", 7)) {
		const char *h = p + 7;
		size_t hn = strlen(h);
		char name[32];
		if (hn >= 2 && (h[0] == '\'' || h[0] == '"') && h[hn - 1] == h[0]) {
			h++;
			hn -= 2;
		}
		if (hn >= sizeof(name))
			return not_indexable(why, t, p, o, "hash algorithm not indexed");
		memcpy(name, h, hn);
		name[hn] = '\0';
		for (size_t i = 0; i < sizeof(hash_algs) / sizeof(hash_algs[0]); i++)
			if (strcasecmp(name, hash_algs[i].name) == 0)
				alg = hash_algs[i].alg;
		if (alg == OBS_HASH_ANY)
			return not_indexable(why, t, p, o, "hash algorithm not indexed");
		kind = OBS_HASH;
	} else {
		return not_indexable(why, t, p, o, "property not indexed");
	}
	if (!literal || unquote(literal, literal_len, lit, sizeof(lit), &ll))
		return not_indexable(why, t, p, o, "literal is not a plain string or number");
	if (kind == OBS_HASH) {
		rc = observable_normalise_hash(alg, lit, ll, out, why);
	} else if (net_ref) {
		rc = observable_normalise(OBS_AUTO, lit, ll, out, why);
		if (!rc && out->kind != OBS_IPV4 && out->kind != OBS_IPV6 &&
		    out->kind != OBS_DOMAIN)
			return not_indexable(why, t, p, o, "not an address or a domain name");
	} else {
		rc = observable_normalise(kind, lit, ll, out, why);
		/* "=" names one address; a network needs ISSUBSET (STIX 2.1 9.4), but a
		 * CIDR compared with "=" is still a network: index it as one. */
	}
	return rc;
}

/* ---------------------------------------------------------------- decay */

#define DAY_MS INT64_C(86400000)

int64_t observable_half_life_ms(enum obs_kind kind)
{
	switch (kind) {
	case OBS_IPV4:
	case OBS_IPV6: return 14 * DAY_MS;
	case OBS_URL: return 30 * DAY_MS;
	case OBS_DOMAIN: return 60 * DAY_MS;
	case OBS_EMAIL: return 90 * DAY_MS;
	case OBS_ASN: return 180 * DAY_MS;
	case OBS_HASH: return 365 * DAY_MS;
	case OBS_AUTO:
	case OBS_KIND_COUNT: break;
	}
	return 30 * DAY_MS;
}

double observable_score(int64_t now_ms, int64_t last_seen_ms, uint32_t sightings,
			enum obs_kind kind)
{
	double age = now_ms > last_seen_ms ? (double)(now_ms - last_seen_ms) : 0.0;
	double boost = 0.5 + 0.25 * log2(sightings > 1 ? (double)sightings : 1.0);

	if (boost > 1.0)
		boost = 1.0;
	return 100.0 * boost * exp2(-age / (double)observable_half_life_ms(kind));
}

bool observable_expired(double score)
{
	return score < OBS_SCORE_EXPIRED;
}
