/* The text form of blocklist entries (blocklist.h: dnsbl_entry_parse,
 * dnsbl_entry_format): what zone files, imports and the API read and write.
 * Addresses are read through formats/canonical.h. Pure: any thread. */
#include "dns/blocklist.h"
#include "formats/canonical.h"

#include "util/caps.h"
#include "util/err.h"

#include <arpa/inet.h>

/* ---- text form of entries */

static int perr(char *err, size_t errsz, const char *fmt, const char *text, size_t len)
{
	if (err && errsz)
		snprintf(err, errsz, fmt, (int)(len > 80 ? 80 : len), text);
	return ERR_INVALID;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int dnsbl_entry_parse(const char *text, size_t len, struct dnsbl_entry *e, char *err, size_t errsz)
{
	char buf[256];
	const char *slash;
	long plen = -1;

	memset(e->addr, 0, sizeof(e->addr));
	e->name[0] = '\0';
	e->plen = 0;
	if (len == 0 || len >= sizeof(buf))
		return perr(err, errsz, "not an address, prefix or domain: '%.*s'", text, len);
	memcpy(buf, text, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash) {
		char *end;

		errno = 0;
		plen = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || plen < 0 || plen > 128)
			return perr(err, errsz, "bad prefix length in '%.*s'", text, len);
		buf[slash - buf] = '\0';
	}
	if (strchr(buf, ':')) {
		if (canon_ipv6_parse(buf, strlen(buf), e->addr))
			return perr(err, errsz, "not an IPv6 address: '%.*s'", text, len);
		e->kind = DNSBL_IP6;
		e->plen = (uint8_t)(plen < 0 ? 128 : plen);
		if (!canon_host_bits_zero(e->addr, 16, e->plen))
			return perr(err, errsz, "host bits set below the prefix in '%.*s'", text,
				    len);
		return ERR_OK;
	}
	if (buf[0] >= '0' && buf[0] <= '9' && strspn(buf, "0123456789.") == strlen(buf)) {
		if (canon_ipv4_parse(buf, strlen(buf), e->addr, NULL))
			return perr(err, errsz, "not an IPv4 address: '%.*s'", text, len);
		if (plen > 32)
			return perr(err, errsz, "IPv4 prefix length over 32 in '%.*s'", text, len);
		e->kind = DNSBL_IP4;
		e->plen = (uint8_t)(plen < 0 ? 32 : plen);
		if (!canon_host_bits_zero(e->addr, 4, e->plen))
			return perr(err, errsz, "host bits set below the prefix in '%.*s'", text,
				    len);
		return ERR_OK;
	}
	if (slash)
		return perr(err, errsz, "a prefix length on a domain: '%.*s'", text, len);
	{
		const char *p = buf;
		size_t n, lab = 0;

		e->kind = DNSBL_NAME;
		if (p[0] == '*' && p[1] == '.') {
			e->kind = DNSBL_NAME_WILD;
			p += 2;
		}
		n = strlen(p);
		if (n && p[n - 1] == '.')
			n--;
		if (n == 0 || n > CAP_DOMAIN_MAX)
			return perr(err, errsz, "not a domain name: '%.*s'", text, len);
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '.') {
				if (lab == 0)
					return perr(err, errsz, "empty label in '%.*s'", text, len);
				lab = 0;
			} else if (!name_char(p[i])) {
				return perr(err, errsz, "not a domain name: '%.*s'", text, len);
			} else if (++lab > CAP_LABEL_MAX) {
				return perr(err, errsz, "label over 63 bytes in '%.*s'", text, len);
			}
			e->name[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
		}
		if (lab == 0)
			return perr(err, errsz, "empty label in '%.*s'", text, len);
		e->name[n] = '\0';
	}
	return ERR_OK;
}

size_t dnsbl_entry_format(const struct dnsbl_entry *e, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN];
	int n;

	switch (e->kind) {
	case DNSBL_IP4:
		inet_ntop(AF_INET, e->addr, a, sizeof(a));
		n = e->plen == 32 ? snprintf(out, outsz, "%s", a)
				  : snprintf(out, outsz, "%s/%u", a, e->plen);
		break;
	case DNSBL_IP6:
		inet_ntop(AF_INET6, e->addr, a, sizeof(a));
		n = e->plen == 128 ? snprintf(out, outsz, "%s", a)
				   : snprintf(out, outsz, "%s/%u", a, e->plen);
		break;
	case DNSBL_NAME: n = snprintf(out, outsz, "%s", e->name); break;
	default: n = snprintf(out, outsz, "*.%s", e->name); break;
	}
	if (n < 0)
		return 0;
	return (size_t)n >= outsz ? outsz - 1 : (size_t)n;
}
