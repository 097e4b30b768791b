/* Webhook policy: the address classifier, the allow list and the URL check.
 * The special-purpose ranges are those of the IANA IPv4 and IPv6
 * Special-Purpose Address Registries (RFC 6890 and its updates) that are not
 * globally reachable, plus multicast. */
#include "alert/webhook.h"

#include "formats/canonical.h"
#include "index/observable.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* Entries of webhook_allow_networks, at most (a config value, not a request). */
#define WEBHOOK_ALLOW_MAX 256

struct net {
	uint8_t family, len;
	uint8_t addr[16];
};

struct webhook_policy {
	struct net *allow;
	size_t nallow;
};

static const struct special {
	uint8_t family, len;
	uint8_t addr[16];
	const char *what;
} specials[] = {
    {4, 8, {0}, "unspecified"},
    {4, 8, {10}, "private"},
    {4, 10, {100, 64}, "shared address space (CGNAT)"},
    {4, 8, {127}, "loopback"},
    {4, 16, {169, 254}, "link-local"},
    {4, 12, {172, 16}, "private"},
    {4, 24, {192, 0, 0}, "reserved"},
    {4, 24, {192, 0, 2}, "documentation"},
    {4, 24, {192, 88, 99}, "reserved"},
    {4, 16, {192, 168}, "private"},
    {4, 15, {198, 18}, "reserved"},
    {4, 24, {198, 51, 100}, "documentation"},
    {4, 24, {203, 0, 113}, "documentation"},
    {4, 4, {224}, "multicast"},
    {4, 4, {240}, "reserved"}, /* and 255.255.255.255 */
    {6, 128, {0}, "unspecified"},
    {6, 128, {[15] = 1}, "loopback"},
    {6, 48, {0, 0x64, 0xff, 0x9b, 0, 1}, "private"}, /* local-use NAT64, RFC 8215 */
    {6, 8, {0}, "reserved"},			     /* incl. IPv4-compatible ::/96 */
    {6, 64, {1, 0}, "reserved"},		     /* discard-only 100::/64 */
    {6, 23, {0x20, 0x01}, "reserved"},		     /* IETF protocol assignments */
    {6, 32, {0x20, 0x01, 0x0d, 0xb8}, "documentation"},
    {6, 20, {0x3f, 0xff}, "documentation"}, /* 3fff::/20, RFC 9637 */
    {6, 7, {0xfc}, "private"},		    /* unique local */
    {6, 10, {0xfe, 0x80}, "link-local"},
    {6, 10, {0xfe, 0xc0}, "private"}, /* site-local, deprecated */
    {6, 8, {0xff}, "multicast"},
};

/* An IPv6 address that stands for an IPv4 one: mapped, NAT64, 6to4. */
static bool embedded_v4(const uint8_t a[16], uint8_t v4[4])
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
	if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12)) {
		memcpy(v4, a + 12, 4);
		return true;
	}
	if (a[0] == 0x20 && a[1] == 0x02) {
		memcpy(v4, a + 2, 4);
		return true;
	}
	return false;
}

const char *webhook_addr_class(int family, const uint8_t addr[16])
{
	uint8_t v4[16] = {0};
	if (family == 6 && embedded_v4(addr, v4)) {
		family = 4;
		addr = v4;
	}
	for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		if (specials[i].family == family &&
		    canon_same_prefix(specials[i].addr, addr, specials[i].len))
			return specials[i].what;
	return NULL;
}

static bool allowed(const struct webhook_policy *p, int family, const uint8_t *addr)
{
	for (size_t i = 0; p && i < p->nallow; i++)
		if (p->allow[i].family == family &&
		    canon_same_prefix(p->allow[i].addr, addr, p->allow[i].len))
			return true;
	return false;
}

/* The policy on one address; `family` 4 or 6. */
static const char *refuses(const struct webhook_policy *p, int family, const uint8_t *addr)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	const char *what = webhook_addr_class(family, addr);
	if (!what)
		return NULL;
	/* an allowed IPv4 network allows its mapped form too */
	if (family == 6 && !memcmp(addr, mapped, 12) && allowed(p, 4, addr + 12))
		return NULL;
	return allowed(p, family, addr) ? NULL : what;
}

const char *webhook_policy_refuses(const struct webhook_policy *p, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return refuses(p, 4, (const uint8_t *)&in->sin_addr);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		return refuses(p, 6, in6->sin6_addr.s6_addr);
	}
	return "not an IP address";
}

int webhook_policy_new(const char *allow, struct webhook_policy **out, struct err_detail *err)
{
	struct webhook_policy *p = xcalloc(1, sizeof(*p));
	const char *s = allow ? allow : "";
	int rc = ERR_OK;
	while (*s) {
		size_t n = strcspn(s, ", \t");
		if (!n) {
			s++;
			continue;
		}
		struct observable o;
		struct err_detail why;
		err_clear(&why);
		enum obs_kind hint = memchr(s, ':', n) ? OBS_IPV6 : OBS_IPV4;
		if (p->nallow == WEBHOOK_ALLOW_MAX) {
			rc = err_set(err, ERR_INVALID, "webhook_allow_networks",
				     "webhook_allow_networks: more than %d networks",
				     WEBHOOK_ALLOW_MAX);
			break;
		}
		if (observable_normalise(hint, s, n, &o, &why) ||
		    (o.kind != OBS_IPV4 && o.kind != OBS_IPV6)) {
			rc = err_set(err, ERR_INVALID, "webhook_allow_networks",
				     "webhook_allow_networks: '%.*s' is not a network in CIDR "
				     "notation (%s)",
				     (int)(n > 100 ? 100 : n), s,
				     why.message[0] ? why.message : "not an address");
			break;
		}
		p->allow = xrealloc(p->allow, (p->nallow + 1) * sizeof(*p->allow));
		p->allow[p->nallow].family = o.family;
		p->allow[p->nallow].len = o.prefix_len;
		memcpy(p->allow[p->nallow].addr, o.addr, 16);
		p->nallow++;
		s += n;
	}
	if (rc) {
		webhook_policy_free(p);
		p = NULL;
	}
	*out = p;
	return rc;
}

void webhook_policy_free(struct webhook_policy *p)
{
	if (!p)
		return;
	free(p->allow);
	free(p);
}

int webhook_url_check(const struct webhook_policy *p, const char *url, const char *field,
		      struct err_detail *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = ERR_OK;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc) {
		rc = err_set(err, ERR_INVALID, field, "%s: '%.200s' is not a valid URL (%s)", field,
			     url, curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		rc = err_set(err, ERR_INVALID, field, "%s: '%.200s' is not an http or https URL",
			     field, url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) || !*host) {
		rc = err_set(err, ERR_INVALID, field, "%s: '%.200s' has no host", field, url);
		goto out;
	}
	/* a literal address (curl keeps IPv6 in brackets; glibc's numeric parse
	 * also reads the short IPv4 forms "127.1" and "2130706433") */
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM}, *ai;
	if (getaddrinfo(host, NULL, &hints, &ai) == 0) {
		const char *why = webhook_policy_refuses(p, ai->ai_addr);
		freeaddrinfo(ai);
		if (why)
			rc = err_set(err, ERR_INVALID, field,
				     "%s: '%.200s' is refused by the webhook policy: %s address "
				     "(webhook_allow_networks allows chosen networks)",
				     field, url, why);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}
