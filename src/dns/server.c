#include "dns/server.h"

#include "dns/wire.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

/* The answer settings in wire form: immutable once published, so that a
 * reload swaps one pointer and a query reads one consistent set. */
struct zone_params {
	uint8_t zone[DNS_NAME_MAX];
	size_t zone_len;
	uint8_t ns[DNSBL_NS_MAX][DNS_NAME_MAX];
	size_t ns_len[DNSBL_NS_MAX];
	int nns;
	uint8_t mname[DNS_NAME_MAX];
	size_t mname_len;
	uint8_t rname[DNS_NAME_MAX];
	size_t rname_len;
	char *lookup_url;
	uint32_t ttl, neg_ttl, ns_ttl, refresh, retry, expire;
	bool serial_fixed;
	uint32_t serial;
	struct zone_params *retired; /* next older replaced set */
};

struct dnsbl_responder {
	struct dnsbl *bl;
	_Atomic(struct zone_params *) cur;
	pthread_mutex_t reload_lock;
	struct zone_params *retired; /* replaced sets, freed with the responder */
	uint32_t serial_base;
};

static const char TEST_REASON[] = "RFC 5782 test entry";

static int wire_name_cfg(const char *text, uint8_t *out, size_t *len, const char *what,
			 struct err_detail *d)
{
	*len = dns_name_from_text(text, out);
	if (*len == 0)
		return err_set(d, ERR_INVALID, what, "%s: not a domain name: '%s'", what, text);
	return ERR_OK;
}

static void zone_params_free(struct zone_params *p)
{
	if (!p)
		return;
	free(p->lookup_url);
	free(p);
}

/* "hostmaster@example.org" -> "hostmaster.example.org" (RFC 1035 §8: the
 * first label is the mailbox; a '.' inside it is not supported here). */
static int rname_cfg(const char *text, struct zone_params *p, struct err_detail *d)
{
	char tmp[300];
	const char *at = strchr(text, '@');

	if (!at)
		return wire_name_cfg(text, p->rname, &p->rname_len, "dnsbl_soa_rname", d);
	if (at == text || memchr(text, '.', (size_t)(at - text)) || strchr(at + 1, '@'))
		return err_set(d, ERR_INVALID, "dnsbl_soa_rname",
			       "dnsbl_soa_rname: not a mailbox without dots before '@': '%s'",
			       text);
	snprintf(tmp, sizeof(tmp), "%.*s.%s", (int)(at - text), text, at + 1);
	return wire_name_cfg(tmp, p->rname, &p->rname_len, "dnsbl_soa_rname", d);
}

static int ns_cfg(const char *list, struct zone_params *p, struct err_detail *d)
{
	const char *q = list;

	while (*q) {
		size_t n;
		char one[300];
		int rc;

		while (*q == ',' || *q == ' ' || *q == '\t')
			q++;
		if (!*q)
			break;
		n = strcspn(q, ", \t");
		if (p->nns == DNSBL_NS_MAX)
			return err_set(d, ERR_INVALID, "dnsbl_ns", "dnsbl_ns: more than %d names",
				       DNSBL_NS_MAX);
		if (n >= sizeof(one))
			return err_set(d, ERR_INVALID, "dnsbl_ns", "dnsbl_ns: name too long");
		memcpy(one, q, n);
		one[n] = '\0';
		rc = wire_name_cfg(one, p->ns[p->nns], &p->ns_len[p->nns], "dnsbl_ns", d);
		if (rc)
			return rc;
		p->nns++;
		q += n;
	}
	return ERR_OK;
}

static int serial_cfg(const char *text, struct zone_params *p, struct err_detail *d)
{
	char *end;
	unsigned long long v;

	if (!text || !*text || !strcmp(text, "auto"))
		return ERR_OK;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end || errno || v == 0 || v > UINT32_MAX)
		return err_set(d, ERR_INVALID, "dnsbl_soa_serial",
			       "dnsbl_soa_serial: '%s' is not 'auto' or a number 1..4294967295",
			       text);
	p->serial_fixed = true;
	p->serial = (uint32_t)v;
	return ERR_OK;
}

static int zone_params_new(const struct dnsbl_server_config *cfg, struct zone_params **out,
			   struct err_detail *d)
{
	struct zone_params *p = xcalloc(1, sizeof(*p));
	char tmp[300];
	int rc;

	*out = NULL;
	if (!cfg->zone || !cfg->zone[0] || strcmp(cfg->zone, ".") == 0) {
		rc = err_set(d, ERR_INVALID, "dnsbl.zone", "a zone name is required");
		goto out;
	}
	rc = wire_name_cfg(cfg->zone, p->zone, &p->zone_len, "dnsbl.zone", d);
	if (rc)
		goto out;
	if (cfg->ns_host && cfg->ns_host[0]) {
		rc = ns_cfg(cfg->ns_host, p, d);
		if (rc)
			goto out;
	}
	if (p->nns == 0) {
		snprintf(tmp, sizeof(tmp), "ns.%s", cfg->zone);
		rc = wire_name_cfg(tmp, p->ns[0], &p->ns_len[0], "dnsbl.zone", d);
		if (rc)
			goto out;
		p->nns = 1;
	}
	if (cfg->soa_mname && cfg->soa_mname[0]) {
		rc = wire_name_cfg(cfg->soa_mname, p->mname, &p->mname_len, "dnsbl_soa_mname", d);
		if (rc)
			goto out;
	} else {
		memcpy(p->mname, p->ns[0], p->ns_len[0]);
		p->mname_len = p->ns_len[0];
	}
	if (cfg->hostmaster && cfg->hostmaster[0]) {
		rc = rname_cfg(cfg->hostmaster, p, d);
	} else {
		snprintf(tmp, sizeof(tmp), "hostmaster.%s", cfg->zone);
		rc = wire_name_cfg(tmp, p->rname, &p->rname_len, "dnsbl.zone", d);
	}
	if (rc)
		goto out;
	rc = serial_cfg(cfg->serial, p, d);
	if (rc)
		goto out;
	if (cfg->lookup_url) {
		if (strlen(cfg->lookup_url) > 200) {
			rc = err_set(d, ERR_INVALID, "dnsbl.lookup_url", "longer than 200 bytes");
			goto out;
		}
		p->lookup_url = xstrdup(cfg->lookup_url);
	}
	p->ttl = cfg->ttl ? cfg->ttl : 300;
	p->neg_ttl = cfg->neg_ttl ? cfg->neg_ttl : 300;
	p->ns_ttl = cfg->ns_ttl ? cfg->ns_ttl : 3600;
	p->refresh = cfg->soa_refresh ? cfg->soa_refresh : 3600;
	p->retry = cfg->soa_retry ? cfg->soa_retry : 600;
	p->expire = cfg->soa_expire ? cfg->soa_expire : 604800;
out:
	if (rc) {
		zone_params_free(p);
		return rc;
	}
	*out = p;
	return ERR_OK;
}

int dnsbl_server_config_check(const struct dnsbl_server_config *cfg, struct err_detail *d)
{
	struct zone_params *p;
	int rc = zone_params_new(cfg, &p, d);

	zone_params_free(p);
	return rc;
}

int dnsbl_responder_new(const struct dnsbl_server_config *cfg, struct dnsbl *bl,
			struct dnsbl_responder **out, struct err_detail *d)
{
	struct zone_params *p;
	struct dnsbl_responder *r;
	int rc;

	*out = NULL;
	rc = zone_params_new(cfg, &p, d);
	if (rc)
		return rc;
	r = xcalloc(1, sizeof(*r));
	r->bl = bl;
	atomic_init(&r->cur, p);
	pthread_mutex_init(&r->reload_lock, NULL);
	r->serial_base = (uint32_t)time(NULL);
	*out = r;
	return ERR_OK;
}

int dnsbl_responder_reload(struct dnsbl_responder *r, const struct dnsbl_server_config *cfg,
			   struct err_detail *d)
{
	struct zone_params *p, *old;
	int rc = zone_params_new(cfg, &p, d);

	if (rc)
		return rc;
	pthread_mutex_lock(&r->reload_lock);
	old = atomic_exchange_explicit(&r->cur, p, memory_order_acq_rel);
	old->retired = r->retired;
	r->retired = old;
	pthread_mutex_unlock(&r->reload_lock);
	return ERR_OK;
}

void dnsbl_responder_free(struct dnsbl_responder *r)
{
	if (!r)
		return;
	zone_params_free(atomic_load(&r->cur));
	while (r->retired) {
		struct zone_params *n = r->retired->retired;

		zone_params_free(r->retired);
		r->retired = n;
	}
	pthread_mutex_destroy(&r->reload_lock);
	free(r);
}

/* What the part of the qname below the zone asks about. */
struct subject {
	enum { SUBJ_NONE, SUBJ_IP4, SUBJ_IP6, SUBJ_NAME } kind;
	uint32_t ip4;
	uint8_t ip6[16];
	char text[256]; /* the value as text: "198.51.100.7", "2001:db8::1", "example.org" */
};

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void classify(const uint8_t *name, size_t plen, struct subject *s)
{
	const uint8_t *lab[128];
	uint8_t llen[128];
	int n = 0;
	size_t i = 0, o = 0;

	s->kind = SUBJ_NONE;
	while (i < plen && n < 128) {
		llen[n] = name[i];
		lab[n++] = name + i + 1;
		i += (size_t)name[i] + 1;
	}
	if (n == 4) {
		uint32_t a = 0;
		int ok = 1;

		for (int k = 3; k >= 0 && ok; k--) {
			unsigned v = 0;

			if (llen[k] < 1 || llen[k] > 3)
				ok = 0;
			for (int j = 0; ok && j < llen[k]; j++) {
				if (lab[k][j] < '0' || lab[k][j] > '9')
					ok = 0;
				v = v * 10 + (unsigned)(lab[k][j] - '0');
			}
			if (v > 255)
				ok = 0;
			a = a << 8 | v;
		}
		if (ok) {
			struct in_addr ia = {htonl(a)};

			s->kind = SUBJ_IP4;
			s->ip4 = a;
			inet_ntop(AF_INET, &ia, s->text, sizeof(s->text));
			return;
		}
	}
	if (n == 32) {
		int ok = 1;

		for (int k = 0; k < 32 && ok; k++)
			if (llen[k] != 1 || hexval(lab[k][0]) < 0)
				ok = 0;
		if (ok) {
			for (int b = 0; b < 16; b++)
				s->ip6[b] = (uint8_t)(hexval(lab[31 - 2 * b][0]) << 4 |
						      hexval(lab[30 - 2 * b][0]));
			s->kind = SUBJ_IP6;
			inet_ntop(AF_INET6, s->ip6, s->text, sizeof(s->text));
			return;
		}
	}
	for (int k = 0; k < n; k++) {
		if (o)
			s->text[o++] = '.';
		for (int j = 0; j < llen[k]; j++) {
			uint8_t c = lab[k][j];

			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			      c == '_'))
				return; /* not a host name: never listed */
			s->text[o++] = (char)c;
		}
	}
	s->text[o] = '\0';
	if (o)
		s->kind = SUBJ_NAME;
}

/* Is the part of the qname below the zone (`plen` bytes, lowercase) a proper
 * prefix of an address name, an empty non-terminal of the zone: 1 to 3
 * decimal labels (0-255) of an IPv4 name, or 1 to 31 hex-digit labels of an
 * IPv6 one? Names exist below it, so it must not be NXDOMAIN (RFC 8020: a
 * resolver may take that as "nothing below exists"; with QNAME minimisation,
 * RFC 9156, it asks these names before the full one). Four single-digit
 * labels are both an IPv4 name and a prefix of IPv6 ones (0.0.0.0 is above
 * the IPv6 test entry), so they count too when that address is not listed.
 * Called only for names that are not listed: the full-name path pays nothing. */
static bool empty_nonterminal(const uint8_t *name, size_t plen)
{
	size_t i = 0;
	int n = 0;
	bool v4 = true, v6 = true;

	while (i < plen) {
		uint8_t len = name[i];
		unsigned v = 0;

		if (len != 1 || hexval(name[i + 1]) < 0)
			v6 = false;
		for (uint8_t j = 0; v4 && j < len; j++) {
			uint8_t c = name[i + 1 + j];

			if (len > 3 || c < '0' || c > '9')
				v4 = false;
			v = v * 10 + (unsigned)(c - '0');
		}
		if (v > 255)
			v4 = false;
		if (!v4 && !v6)
			return false;
		i += (size_t)len + 1;
		n++;
	}
	return (v4 && n < 4) || (v6 && n < 32);
}

static const uint8_t TEST6_LISTED[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0x7F, 0, 0, 2};
static const uint8_t TEST6_NOT[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0x7F, 0, 0, 1};

static bool lookup(struct dnsbl_responder *r, struct dnsbl_reader *rd, const struct subject *s,
		   struct dnsbl_hit *hit)
{
	switch (s->kind) {
	case SUBJ_IP4:
		if (s->ip4 == 0x7F000002 || s->ip4 == 0x7F000001) {
			hit->code = DNSBL_CODE_SPAM;
			hit->reason = TEST_REASON;
			return s->ip4 == 0x7F000002;
		}
		return dnsbl_lookup_ip4(r->bl, rd, s->ip4, hit);
	case SUBJ_IP6:
		if (!memcmp(s->ip6, TEST6_LISTED, 16) || !memcmp(s->ip6, TEST6_NOT, 16)) {
			hit->code = DNSBL_CODE_SPAM;
			hit->reason = TEST_REASON;
			return !memcmp(s->ip6, TEST6_LISTED, 16);
		}
		return dnsbl_lookup_ip6(r->bl, rd, s->ip6, hit);
	case SUBJ_NAME:
		if (!strcmp(s->text, "test") || !strcmp(s->text, "invalid")) {
			hit->code = DNSBL_CODE_SPAM;
			hit->reason = TEST_REASON;
			return !strcmp(s->text, "test");
		}
		return dnsbl_lookup_name(r->bl, rd, s->text, hit);
	default: return false;
	}
}

static const char *code_text(uint8_t code)
{
	switch (code) {
	case DNSBL_CODE_SPAM: return "listed: spam source";
	case DNSBL_CODE_PHISHING: return "listed: phishing";
	case DNSBL_CODE_MALWARE: return "listed: malware or botnet";
	case DNSBL_CODE_MANUAL: return "listed by an administrator";
	case DNSBL_CODE_INCIDENT: return "listed: incident indicator";
	default: return "listed";
	}
}

/* Reason with '$' replaced by the value (rbldnsd's convention), then the
 * lookup URL with its first "%s" replaced by the value. */
static size_t txt_text(const struct zone_params *r, const struct dnsbl_hit *hit,
		       const struct subject *s, char *out, size_t outsz)
{
	const char *reason = hit->reason ? hit->reason : code_text(hit->code);
	size_t o = 0, vlen = strlen(s->text);

	for (const char *p = reason; *p && o + 1 < outsz; p++) {
		if (*p == '$' && o + vlen + 1 < outsz) {
			memcpy(out + o, s->text, vlen);
			o += vlen;
		} else if (*p != '$') {
			out[o++] = *p;
		}
	}
	if (r->lookup_url && o + 1 < outsz) {
		const char *u = r->lookup_url, *ps = strstr(u, "%s");

		out[o++] = ' ';
		for (; *u && o + 1 < outsz; u++) {
			if (u == ps && o + vlen + 1 < outsz) {
				memcpy(out + o, s->text, vlen);
				o += vlen;
				u++;
			} else if (u != ps) {
				out[o++] = *u;
			}
		}
	}
	out[o] = '\0';
	return o;
}

static void put_soa(struct dnsbl_responder *r, const struct zone_params *p, struct dns_wr *w,
		    int section)
{
	size_t rdl;
	/* RFC 2308 §3: a negative answer's SOA TTL is the lesser of its TTL and
	 * MINIMUM, so that it caches for MINIMUM at most */
	uint32_t ttl = section == 0 || p->ns_ttl < p->neg_ttl ? p->ns_ttl : p->neg_ttl;

	dns_wr_name(w, p->zone, p->zone_len, p->zone, p->zone_len);
	dns_wr_u16(w, DNS_T_SOA);
	dns_wr_u16(w, DNS_C_IN);
	dns_wr_u32(w, ttl);
	rdl = w->pos;
	dns_wr_u16(w, 0);
	dns_wr_name(w, p->mname, p->mname_len, p->zone, p->zone_len);
	dns_wr_name(w, p->rname, p->rname_len, p->zone, p->zone_len);
	dns_wr_u32(w, p->serial_fixed ? p->serial : r->serial_base + dnsbl_serial(r->bl));
	dns_wr_u32(w, p->refresh);
	dns_wr_u32(w, p->retry);
	dns_wr_u32(w, p->expire);
	dns_wr_u32(w, p->neg_ttl);
	if (!w->full) {
		dns_wr_patch16(w, rdl, (uint16_t)(w->pos - rdl - 2));
		dns_wr_count(w, section);
	}
}

static void put_ns(const struct zone_params *p, struct dns_wr *w)
{
	for (int i = 0; i < p->nns; i++) {
		size_t rdl;

		dns_wr_name(w, p->zone, p->zone_len, p->zone, p->zone_len);
		dns_wr_u16(w, DNS_T_NS);
		dns_wr_u16(w, DNS_C_IN);
		dns_wr_u32(w, p->ns_ttl);
		rdl = w->pos;
		dns_wr_u16(w, 0);
		dns_wr_name(w, p->ns[i], p->ns_len[i], p->zone, p->zone_len);
		if (!w->full) {
			dns_wr_patch16(w, rdl, (uint16_t)(w->pos - rdl - 2));
			dns_wr_count(w, 0);
		}
	}
}

static void put_a(const struct zone_params *p, struct dns_wr *w, uint8_t code)
{
	static const uint8_t net[3] = {127, 0, 0};

	dns_wr_owner_qname(w);
	dns_wr_u16(w, DNS_T_A);
	dns_wr_u16(w, DNS_C_IN);
	dns_wr_u32(w, p->ttl);
	dns_wr_u16(w, 4);
	dns_wr_bytes(w, net, 3);
	dns_wr_u8(w, code);
	if (!w->full)
		dns_wr_count(w, 0);
}

static void put_txt(const struct zone_params *p, struct dns_wr *w, const char *text, size_t len)
{
	size_t rdl;

	dns_wr_owner_qname(w);
	dns_wr_u16(w, DNS_T_TXT);
	dns_wr_u16(w, DNS_C_IN);
	dns_wr_u32(w, p->ttl);
	rdl = w->pos;
	dns_wr_u16(w, 0);
	do {
		size_t n = len > 255 ? 255 : len;

		dns_wr_u8(w, (uint8_t)n);
		dns_wr_bytes(w, text, n);
		text += n;
		len -= n;
	} while (len);
	if (!w->full) {
		dns_wr_patch16(w, rdl, (uint16_t)(w->pos - rdl - 2));
		dns_wr_count(w, 0);
	}
}

/* Does qname end with the zone on a label boundary? Sets the prefix length. */
static bool in_zone(const struct zone_params *r, const struct dns_query *q, size_t *plen)
{
	size_t i = 0;

	if (q->qname_len < r->zone_len ||
	    memcmp(q->qname + q->qname_len - r->zone_len, r->zone, r->zone_len) != 0)
		return false;
	while (i < q->qname_len - r->zone_len)
		i += (size_t)q->qname[i] + 1;
	*plen = i;
	return i == q->qname_len - r->zone_len;
}

/* What an answer was, for the counters. */
enum result {
	RES_LISTED,	/* a listed value (any type) */
	RES_NOT_LISTED, /* NXDOMAIN: a value not listed */
	RES_PARTIAL,	/* NODATA: a prefix of address names (empty non-terminal) */
	RES_APEX,	/* SOA, NS or other type at the apex */
	RES_REFUSED,	/* outside the zone, class CH/HS/ANY */
	RES_FORMERR,
	RES_NOTIMP,
	RES_BADVERS,
	RES_DROPPED, /* nothing sent: not a query */
	NRES
};
static const char *const result_names[NRES] = {"listed", "not_listed", "partial",
					       "apex",	 "refused",    "formerr",
					       "notimp", "badvers",    "dropped"};

enum qtype_slot { QT_A, QT_TXT, QT_ANY, QT_SOA, QT_NS, QT_AAAA, QT_OTHER, NQT };
static const char *const qtype_names[NQT] = {"A", "TXT", "ANY", "SOA", "NS", "AAAA", "other"};

static enum qtype_slot qtype_slot(uint16_t t)
{
	switch (t) {
	case DNS_T_A: return QT_A;
	case DNS_T_TXT: return QT_TXT;
	case DNS_T_ANY: return QT_ANY;
	case DNS_T_SOA: return QT_SOA;
	case DNS_T_NS: return QT_NS;
	case DNS_T_AAAA: return QT_AAAA;
	default: return QT_OTHER;
	}
}

static size_t respond(struct dnsbl_responder *r, struct dnsbl_reader *rd, const uint8_t *qbuf,
		      size_t qlen, bool tcp, uint8_t *out, size_t outsz, enum result *res,
		      enum qtype_slot *qt)
{
	const struct zone_params *p = atomic_load_explicit(&r->cur, memory_order_acquire);
	struct dns_query q;
	struct dns_wr w;
	struct dnsbl_hit hit = {0};
	struct subject s;
	size_t limit, plen = 0, mark, full_cap;
	int rc;

	*res = RES_DROPPED;
	*qt = NQT; /* no question: not counted by type */
	rc = dns_query_parse(qbuf, qlen, &q);
	if (rc < 0)
		return 0;
	if (q.has_question)
		*qt = qtype_slot(q.qtype);
	limit = DNS_TCP_MAX;
	if (!tcp)
		limit =
		    q.edns ? (q.udp_size < DNS_EDNS_UDP ? q.udp_size : DNS_EDNS_UDP) : DNS_UDP_MIN;
	if (rc == DNS_NOERROR && !in_zone(p, &q, &plen))
		rc = DNS_REFUSED;
	dns_wr_begin(&w, out, outsz, limit, &q, rc);
	if (w.full)
		return 0; /* outsz below a header and question: caller bug */
	full_cap = w.cap;
	if (q.edns && w.cap >= 11)
		w.cap -= 11; /* keep room for our OPT record */
	mark = w.pos;
	if (rc != DNS_NOERROR) {
		*res = rc == DNS_FORMERR   ? RES_FORMERR
		       : rc == DNS_NOTIMP  ? RES_NOTIMP
		       : rc == DNS_BADVERS ? RES_BADVERS
					   : RES_REFUSED;
		goto opt;
	}
	dns_wr_set_zone(&w, plen);
	if (plen == 0) {
		*res = RES_APEX;
		if (q.qtype == DNS_T_SOA || q.qtype == DNS_T_ANY)
			put_soa(r, p, &w, 0);
		if (q.qtype == DNS_T_NS || q.qtype == DNS_T_ANY)
			put_ns(p, &w);
		if (q.qtype != DNS_T_SOA && q.qtype != DNS_T_NS && q.qtype != DNS_T_ANY)
			put_soa(r, p, &w, 1);
		goto trunc;
	}
	classify(q.qname, plen, &s);
	if (!lookup(r, rd, &s, &hit)) {
		/* plen 8: four one-character labels, the only IPv4 names that
		 * are also prefixes of IPv6 ones */
		if ((s.kind == SUBJ_NAME || (s.kind == SUBJ_IP4 && plen == 8)) &&
		    empty_nonterminal(q.qname, plen)) {
			*res = RES_PARTIAL;
			put_soa(r, p, &w, 1); /* NOERROR, no data (RFC 2308 NODATA) */
			goto trunc;
		}
		*res = RES_NOT_LISTED;
		dns_wr_set_rcode(&w, DNS_NXDOMAIN);
		put_soa(r, p, &w, 1);
		goto trunc;
	}
	*res = RES_LISTED;
	if (q.qtype == DNS_T_A || q.qtype == DNS_T_ANY)
		put_a(p, &w, hit.code);
	if (q.qtype == DNS_T_TXT || q.qtype == DNS_T_ANY) {
		char text[DNSBL_REASON_MAX + 300 + 256];
		size_t n = txt_text(p, &hit, &s, text, sizeof(text));

		put_txt(p, &w, text, n);
	}
	if (q.qtype != DNS_T_A && q.qtype != DNS_T_TXT && q.qtype != DNS_T_ANY)
		put_soa(r, p, &w, 1); /* listed, but no data of this type */
trunc:
	if (w.full) {
		w.pos = mark;
		w.full = false;
		for (int sec = 0; sec < 3; sec++)
			dns_wr_patch16(&w, 6 + 2 * (size_t)sec, 0);
		dns_wr_set_tc(&w);
	}
opt:
	w.cap = full_cap;
	if (q.edns)
		dns_wr_opt(&w, rc);
	return w.pos;
}

size_t dnsbl_respond(struct dnsbl_responder *r, struct dnsbl_reader *rd, const uint8_t *qbuf,
		     size_t qlen, bool tcp, uint8_t *out, size_t outsz)
{
	enum result res;
	enum qtype_slot qt;

	return respond(r, rd, qbuf, qlen, tcp, out, outsz, &res, &qt);
}

/* ---- sockets and threads */

/* Counters of one thread: only that thread writes them (a relaxed load and
 * store, no locked instruction), the scrape sums every thread's. Each sits on
 * cache lines of its own. */
enum tcp_close { TC_IDLE, TC_PER_ADDRESS, TC_EVICTED, TC_ERROR, NTC };
static const char *const tcp_close_names[NTC] = {"idle", "per_address", "evicted", "client"};

struct counters {
	_Atomic uint64_t res[NRES];
	_Atomic uint64_t qtype[NQT];
	_Atomic uint64_t truncated;
	_Atomic uint64_t tcp_closed[NTC];
	_Atomic uint64_t tcp_open; /* gauge, TCP thread only */
} __attribute__((aligned(64)));

static inline void bump(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static void count(struct counters *c, enum result res, enum qtype_slot qt, const uint8_t *out)
{
	bump(&c->res[res]);
	if (res != RES_DROPPED) {
		if (qt < NQT)
			bump(&c->qtype[qt]);
		if (out[2] & 0x02)
			bump(&c->truncated);
	}
}

struct dnsbl_server {
	struct dnsbl_responder *resp;
	struct dnsbl *bl;
	struct dnsbl_listen l;
	pthread_t udp_th[DNSBL_UDP_SOCKETS_MAX];
	int n_udp_th;
	pthread_t tcp_th;
	bool tcp_started;
	_Atomic int stop;
	_Atomic int tcp_idle_ms, tcp_per_addr_max;
	int tcp_max_conns;
	struct counters *cnt; /* [DNSBL_UDP_SOCKETS_MAX] UDP threads, then TCP */
};

#define TCP_SLOT DNSBL_UDP_SOCKETS_MAX

struct udp_arg {
	struct dnsbl_server *s;
	int fd;
	struct counters *cnt;
};

static void *udp_main(void *p)
{
	struct udp_arg *a = p;
	struct dnsbl_server *s = a->s;
	struct dnsbl_reader *rd = dnsbl_reader_new(s->bl);
	uint8_t in[4096], out[DNS_EDNS_UDP + 64];

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(a->fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		enum result res;
		enum qtype_slot qt;
		size_t m;

		if (n < 0)
			continue; /* timeout (checks stop) or a transient error */
		m = respond(s->resp, rd, in, (size_t)n, false, out, sizeof(out), &res, &qt);
		count(a->cnt, res, qt, out);
		if (m)
			sendto(a->fd, out, m, 0, (struct sockaddr *)&from, fl);
	}
	dnsbl_reader_release(rd);
	free(a);
	return NULL;
}

struct conn {
	int fd;
	size_t have;
	int64_t last_ms;  /* accepted, or last complete query answered */
	uint8_t addr[16]; /* the client address (IPv4 mapped) */
	uint8_t buf[2 + DNSBL_TCP_QUERY_MAX];
};

static void conn_close(struct dnsbl_server *s, struct conn **c, enum tcp_close why)
{
	struct counters *cnt = &s->cnt[TCP_SLOT];

	close((*c)->fd);
	free(*c);
	*c = NULL;
	bump(&cnt->tcp_closed[why]);
	atomic_store_explicit(&cnt->tcp_open,
			      atomic_load_explicit(&cnt->tcp_open, memory_order_relaxed) - 1,
			      memory_order_relaxed);
}

/* Reads what is there and answers every complete query. false: close it.
 * Only a complete query counts as activity: a client trickling bytes is
 * closed after the idle time all the same. Answers are sent without
 * waiting; a client that does not read them is closed. */
static bool conn_serve(struct dnsbl_server *s, struct dnsbl_reader *rd, struct conn *c,
		       uint8_t *out, int64_t now)
{
	ssize_t n = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, MSG_DONTWAIT);

	if (n <= 0)
		return false;
	c->have += (size_t)n;
	while (c->have >= 2) {
		size_t len = (size_t)c->buf[0] << 8 | c->buf[1], m;
		enum result res;
		enum qtype_slot qt;

		if (len > DNSBL_TCP_QUERY_MAX || len < DNS_HEADER_LEN)
			return false;
		if (c->have < 2 + len)
			break;
		m = respond(s->resp, rd, c->buf + 2, len, true, out + 2, DNS_TCP_MAX, &res, &qt);
		count(&s->cnt[TCP_SLOT], res, qt, out + 2);
		c->last_ms = now;
		if (m) {
			out[0] = (uint8_t)(m >> 8);
			out[1] = (uint8_t)m;
			if (send(c->fd, out, m + 2, MSG_NOSIGNAL | MSG_DONTWAIT) !=
			    (ssize_t)(m + 2))
				return false;
		}
		memmove(c->buf, c->buf + 2 + len, c->have - 2 - len);
		c->have -= 2 + len;
	}
	return true;
}

static void peer_key(int fd, uint8_t key[16])
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(key, 0, 16);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET) {
		key[10] = key[11] = 0xFF;
		memcpy(key + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

		memcpy(key, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		/* one IPv6 client holds a /64 (RFC 6177): count it as one address */
		if (memcmp(key, mapped, 12) != 0)
			memset(key + 8, 0, 8);
	}
}

/* A new connection: refused when its address (IPv6: its /64) holds
 * tcp_per_addr_max already; when every slot is taken, the connection idle the longest makes
 * room (so that idle clients cannot keep others out). */
static bool tcp_accept(struct dnsbl_server *s, struct conn **conns, int max, int64_t now)
{
	struct counters *cnt = &s->cnt[TCP_SLOT];
	int fd = accept4(s->l.tcp_fd, NULL, NULL, SOCK_CLOEXEC);
	int slot = -1, oldest = -1, same = 0;
	int per_addr = atomic_load_explicit(&s->tcp_per_addr_max, memory_order_relaxed);
	uint8_t key[16];

	if (fd < 0)
		return false; /* the listener is non-blocking: nothing more waits */
	peer_key(fd, key);
	for (int i = 0; i < max; i++) {
		if (!conns[i]) {
			if (slot < 0)
				slot = i;
			continue;
		}
		if (!memcmp(conns[i]->addr, key, 16))
			same++;
		if (oldest < 0 || conns[i]->last_ms < conns[oldest]->last_ms)
			oldest = i;
	}
	if (same >= per_addr) {
		close(fd);
		bump(&cnt->tcp_closed[TC_PER_ADDRESS]);
		return true;
	}
	if (slot < 0) {
		conn_close(s, &conns[oldest], TC_EVICTED);
		slot = oldest;
	}
	conns[slot] = xmalloc(sizeof(struct conn));
	conns[slot]->fd = fd;
	conns[slot]->have = 0;
	conns[slot]->last_ms = now;
	memcpy(conns[slot]->addr, key, 16);
	atomic_store_explicit(&cnt->tcp_open,
			      atomic_load_explicit(&cnt->tcp_open, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	return true;
}

static void *tcp_main(void *p)
{
	struct dnsbl_server *s = p;
	struct dnsbl_reader *rd = dnsbl_reader_new(s->bl);
	int max = s->tcp_max_conns;
	struct conn **conns = xcalloc((size_t)max, sizeof(*conns));
	struct pollfd *pfd = xcalloc((size_t)max + 1, sizeof(*pfd));
	int *idx = xcalloc((size_t)max + 1, sizeof(int));
	uint8_t *out = xmalloc(2 + DNS_TCP_MAX);

	while (!atomic_load(&s->stop)) {
		int np = 0, rc;
		int64_t now, idle = atomic_load_explicit(&s->tcp_idle_ms, memory_order_relaxed);

		pfd[np].fd = s->l.tcp_fd;
		pfd[np].events = POLLIN;
		idx[np++] = -1;
		for (int i = 0; i < max; i++) {
			if (!conns[i])
				continue;
			pfd[np].fd = conns[i]->fd;
			pfd[np].events = POLLIN;
			idx[np++] = i;
		}
		rc = poll(pfd, (nfds_t)np, 200);
		now = time_mono_ns() / 1000000;
		/* connections first: a new one may replace (evict) one polled here */
		for (int k = 1; rc > 0 && k < np; k++) {
			if (!pfd[k].revents || !conns[idx[k]])
				continue;
			if (!conn_serve(s, rd, conns[idx[k]], out, now))
				conn_close(s, &conns[idx[k]], TC_ERROR);
		}
		if (rc > 0 && pfd[0].revents)
			for (int j = 0; j < 64 && tcp_accept(s, conns, max, now); j++)
				; /* a burst, bounded */
		for (int i = 0; i < max; i++)
			if (conns[i] && now - conns[i]->last_ms > idle)
				conn_close(s, &conns[i], TC_IDLE);
	}
	for (int i = 0; i < max; i++)
		if (conns[i])
			conn_close(s, &conns[i], TC_ERROR);
	free(conns);
	free(pfd);
	free(idx);
	free(out);
	dnsbl_reader_release(rd);
	return NULL;
}

static int split_addr(const char *addr, char *host, size_t hsz, char *port, size_t psz)
{
	const char *colon;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':')
			return -1;
		snprintf(host, hsz, "%.*s", (int)(end - addr - 1), addr + 1);
		snprintf(port, psz, "%s", end + 2);
		return 0;
	}
	colon = strrchr(addr, ':');
	if (!colon)
		return -1;
	snprintf(host, hsz, "%.*s", (int)(colon - addr), addr);
	snprintf(port, psz, "%s", colon + 1);
	return 0;
}

void dnsbl_listen_close(struct dnsbl_listen *l)
{
	for (int i = 0; i < l->nudp; i++)
		if (l->udp_fd[i] >= 0)
			close(l->udp_fd[i]);
	if (l->tcp_fd >= 0)
		close(l->tcp_fd);
	l->nudp = 0;
	l->tcp_fd = -1;
}

static int bound_port(int fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return -1;
	if (ss.ss_family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

int dnsbl_server_bind(const char *addr, int nudp, struct dnsbl_listen *l, struct err_detail *d)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char host[128], port[16];
	int one = 1, rc = ERR_OK;
	struct timeval tv = {0, 300000};

	l->nudp = 0;
	l->tcp_fd = -1;
	l->port = 0;
	if (nudp < 1 || nudp > DNSBL_UDP_SOCKETS_MAX)
		return err_set(d, ERR_INVALID, "dns.udp_threads", "must be 1 to %d",
			       DNSBL_UDP_SOCKETS_MAX);
	if (split_addr(addr, host, sizeof(host), port, sizeof(port)))
		return err_set(d, ERR_INVALID, "dns.listen", "not ADDR:PORT: '%s'", addr);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, port, &hints, &ai) || !ai)
		return err_set(d, ERR_INVALID, "dns.listen", "not a numeric address and port: '%s'",
			       addr);
	for (int i = 0; i < nudp; i++) {
		int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			rc = err_set(d, ERR_IO, "dns.listen", "udp socket: %s", strerror(errno));
			goto out;
		}
		l->udp_fd[l->nudp++] = fd;
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (l->port) {
			/* with port 0, the later sockets join the port the first got */
			if (ai->ai_family == AF_INET)
				((struct sockaddr_in *)ai->ai_addr)->sin_port = htons(l->port);
			else
				((struct sockaddr_in6 *)ai->ai_addr)->sin6_port = htons(l->port);
		}
		if (bind(fd, ai->ai_addr, ai->ai_addrlen)) {
			rc = err_set(d, ERR_IO, "dns.listen", "udp bind %s: %s", addr,
				     strerror(errno));
			goto out;
		}
		if (i == 0 && bound_port(fd, &l->port)) {
			rc = err_set(d, ERR_IO, "dns.listen", "getsockname: %s", strerror(errno));
			goto out;
		}
	}
	if (ai->ai_family == AF_INET)
		((struct sockaddr_in *)ai->ai_addr)->sin_port = htons(l->port);
	else
		((struct sockaddr_in6 *)ai->ai_addr)->sin6_port = htons(l->port);
	l->tcp_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->tcp_fd < 0) {
		rc = err_set(d, ERR_IO, "dns.listen", "tcp socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(l->tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l->tcp_fd, ai->ai_addr, ai->ai_addrlen) || listen(l->tcp_fd, 128)) {
		rc = err_set(d, ERR_IO, "dns.listen", "tcp bind %s: %s", addr, strerror(errno));
		goto out;
	}
out:
	freeaddrinfo(ai);
	if (rc)
		dnsbl_listen_close(l);
	return rc;
}

int dnsbl_server_start(const struct dnsbl_server_config *cfg, struct dnsbl *bl,
		       struct dnsbl_listen *l, struct dnsbl_server **out, struct err_detail *d)
{
	struct dnsbl_server *s = xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	s->l = *l;
	l->nudp = 0;
	l->tcp_fd = -1;
	s->bl = bl;
	s->cnt = aligned_alloc(64, (TCP_SLOT + 1) * sizeof(struct counters));
	if (!s->cnt)
		abort(); /* as xmalloc */
	memset(s->cnt, 0, (TCP_SLOT + 1) * sizeof(struct counters));
	s->tcp_idle_ms = cfg->tcp_idle_ms > 0 ? cfg->tcp_idle_ms : 10000;
	s->tcp_max_conns = cfg->tcp_max_conns > 0 ? cfg->tcp_max_conns : 256;
	s->tcp_per_addr_max = cfg->tcp_per_addr_max > 0 ? cfg->tcp_per_addr_max : 16;
	rc = dnsbl_responder_new(cfg, bl, &s->resp, d);
	if (rc)
		goto out;
	for (int i = 0; i < s->l.nudp; i++) {
		struct udp_arg *a = xmalloc(sizeof(*a));

		a->s = s;
		a->fd = s->l.udp_fd[i];
		a->cnt = &s->cnt[i];
		if (pthread_create(&s->udp_th[i], NULL, udp_main, a)) {
			free(a);
			rc = err_set(d, ERR_INTERNAL, "dns", "cannot start a udp thread");
			goto out;
		}
		s->n_udp_th++;
	}
	if (s->l.tcp_fd >= 0) {
		/* accept() must not wait: the loop drains what poll announced */
		fcntl(s->l.tcp_fd, F_SETFL, fcntl(s->l.tcp_fd, F_GETFL) | O_NONBLOCK);
		if (pthread_create(&s->tcp_th, NULL, tcp_main, s)) {
			rc = err_set(d, ERR_INTERNAL, "dns", "cannot start the tcp thread");
			goto out;
		}
		s->tcp_started = true;
	}
	log_info("event=dnsbl_start zone=%s port=%u udp_threads=%d tcp_max=%d tcp_per_address=%d "
		 "tcp_idle_ms=%d",
		 cfg->zone, s->l.port, s->l.nudp, s->tcp_max_conns, s->tcp_per_addr_max,
		 s->tcp_idle_ms);
out:
	if (rc) {
		dnsbl_server_stop(s);
		return rc;
	}
	*out = s;
	return ERR_OK;
}

void dnsbl_server_stop(struct dnsbl_server *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, 1);
	for (int i = 0; i < s->n_udp_th; i++)
		pthread_join(s->udp_th[i], NULL);
	if (s->tcp_started)
		pthread_join(s->tcp_th, NULL);
	dnsbl_listen_close(&s->l);
	dnsbl_responder_free(s->resp);
	free(s->cnt);
	free(s);
}

int dnsbl_server_reload(struct dnsbl_server *s, const struct dnsbl_server_config *cfg,
			struct err_detail *d)
{
	int rc = dnsbl_responder_reload(s->resp, cfg, d);

	if (rc)
		return rc;
	atomic_store(&s->tcp_idle_ms, cfg->tcp_idle_ms > 0 ? cfg->tcp_idle_ms : 10000);
	atomic_store(&s->tcp_per_addr_max, cfg->tcp_per_addr_max > 0 ? cfg->tcp_per_addr_max : 16);
	log_info("event=dnsbl_reload zone=%s tcp_idle_ms=%d tcp_per_address=%d", cfg->zone,
		 atomic_load(&s->tcp_idle_ms), atomic_load(&s->tcp_per_addr_max));
	return ERR_OK;
}

static uint64_t rd64(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void dnsbl_server_stats(struct dnsbl_server *s, struct dnsbl_server_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (int t = 0; t <= TCP_SLOT; t++) {
		struct counters *c = &s->cnt[t];
		uint64_t answered = 0;

		for (int r = 0; r < NRES; r++)
			if (r != RES_DROPPED)
				answered += rd64(&c->res[r]);
		if (t == TCP_SLOT)
			st->tcp_queries += answered;
		else
			st->udp_queries += answered;
		st->truncated += rd64(&c->truncated);
		st->dropped += rd64(&c->res[RES_DROPPED]);
	}
}

void dnsbl_server_metrics(struct dnsbl_server *s, struct buf *out)
{
	uint64_t res[2][NRES] = {{0}}, qt[NQT] = {0}, trunc[2] = {0};
	struct counters *tc = &s->cnt[TCP_SLOT];

	for (int t = 0; t <= TCP_SLOT; t++) {
		int tr = t == TCP_SLOT;

		for (int r = 0; r < NRES; r++)
			res[tr][r] += rd64(&s->cnt[t].res[r]);
		for (int q = 0; q < NQT; q++)
			qt[q] += rd64(&s->cnt[t].qtype[q]);
		trunc[tr] += rd64(&s->cnt[t].truncated);
	}
	buf_adds(out, "# HELP atalaya_dns_queries_total DNS blocklist queries by transport and "
		      "answer.\n# TYPE atalaya_dns_queries_total counter\n");
	for (int tr = 0; tr < 2; tr++)
		for (int r = 0; r < NRES; r++)
			buf_addf(
			    out,
			    "atalaya_dns_queries_total{transport=\"%s\",result=\"%s\"} %" PRIu64
			    "\n",
			    tr ? "tcp" : "udp", result_names[r], res[tr][r]);
	buf_adds(out, "# HELP atalaya_dns_query_types_total DNS blocklist queries by type.\n"
		      "# TYPE atalaya_dns_query_types_total counter\n");
	for (int q = 0; q < NQT; q++)
		buf_addf(out, "atalaya_dns_query_types_total{qtype=\"%s\"} %" PRIu64 "\n",
			 qtype_names[q], qt[q]);
	buf_adds(out, "# HELP atalaya_dns_truncated_total DNS answers sent truncated (TC).\n"
		      "# TYPE atalaya_dns_truncated_total counter\n");
	for (int tr = 0; tr < 2; tr++)
		buf_addf(out, "atalaya_dns_truncated_total{transport=\"%s\"} %" PRIu64 "\n",
			 tr ? "tcp" : "udp", trunc[tr]);
	buf_addf(out,
		 "# HELP atalaya_dns_tcp_connections Open DNS TCP connections.\n"
		 "# TYPE atalaya_dns_tcp_connections gauge\natalaya_dns_tcp_connections %" PRIu64
		 "\n",
		 rd64(&tc->tcp_open));
	buf_adds(out, "# HELP atalaya_dns_tcp_closed_total DNS TCP connections closed or refused "
		      "by the server, by reason.\n# TYPE atalaya_dns_tcp_closed_total counter\n");
	for (int k = 0; k < NTC; k++)
		buf_addf(out, "atalaya_dns_tcp_closed_total{reason=\"%s\"} %" PRIu64 "\n",
			 tcp_close_names[k], rd64(&tc->tcp_closed[k]));
}
