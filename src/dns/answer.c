/* DNSBL answers (RFC 5782): the responder's settings in wire form, and one
 * query in, one answer out (dnsbl_respond, dnsbl_answer). No sockets here:
 * server.c is the UDP/TCP transport that calls it (Knot DNS keeps
 * process_query.c apart from udp-handler.c the same way). Any thread; the
 * settings are swapped whole by a reload. */
#include "dns/answer.h"
#include "dns/server.h"

#include "dns/wire.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
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

const char *const dnsbl_result_names[DNSBL_NRES] = {"listed", "not_listed", "partial",
						    "apex",   "refused",    "formerr",
						    "notimp", "badvers",    "dropped"};
const char *const dnsbl_qtype_names[DNSBL_NQT] = {"A", "TXT", "ANY", "SOA", "NS", "AAAA", "other"};

static enum dnsbl_qtype qtype_slot(uint16_t t)
{
	switch (t) {
	case DNS_T_A: return DNSBL_QT_A;
	case DNS_T_TXT: return DNSBL_QT_TXT;
	case DNS_T_ANY: return DNSBL_QT_ANY;
	case DNS_T_SOA: return DNSBL_QT_SOA;
	case DNS_T_NS: return DNSBL_QT_NS;
	case DNS_T_AAAA: return DNSBL_QT_AAAA;
	default: return DNSBL_QT_OTHER;
	}
}

size_t dnsbl_answer(struct dnsbl_responder *r, struct dnsbl_reader *rd, const uint8_t *qbuf,
		    size_t qlen, bool tcp, uint8_t *out, size_t outsz, enum dnsbl_result *res,
		    enum dnsbl_qtype *qt)
{
	const struct zone_params *p = atomic_load_explicit(&r->cur, memory_order_acquire);
	struct dns_query q;
	struct dns_wr w;
	struct dnsbl_hit hit = {0};
	struct subject s;
	size_t limit, plen = 0, mark, full_cap;
	int rc;

	*res = DNSBL_RES_DROPPED;
	*qt = DNSBL_NQT; /* no question: not counted by type */
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
		*res = rc == DNS_FORMERR   ? DNSBL_RES_FORMERR
		       : rc == DNS_NOTIMP  ? DNSBL_RES_NOTIMP
		       : rc == DNS_BADVERS ? DNSBL_RES_BADVERS
					   : DNSBL_RES_REFUSED;
		goto opt;
	}
	dns_wr_set_zone(&w, plen);
	if (plen == 0) {
		*res = DNSBL_RES_APEX;
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
		if (((s.kind == SUBJ_NAME || (s.kind == SUBJ_IP4 && plen == 8)) &&
		     empty_nonterminal(q.qname, plen)) ||
		    (s.kind == SUBJ_NAME && dnsbl_name_has_below(r->bl, rd, s.text))) {
			*res = DNSBL_RES_PARTIAL;
			put_soa(r, p, &w, 1); /* NOERROR, no data (RFC 2308 NODATA) */
			goto trunc;
		}
		*res = DNSBL_RES_NOT_LISTED;
		dns_wr_set_rcode(&w, DNS_NXDOMAIN);
		put_soa(r, p, &w, 1);
		goto trunc;
	}
	*res = DNSBL_RES_LISTED;
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
	enum dnsbl_result res;
	enum dnsbl_qtype qt;

	return dnsbl_answer(r, rd, qbuf, qlen, tcp, out, outsz, &res, &qt);
}
