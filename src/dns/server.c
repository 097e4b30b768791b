#include "dns/server.h"

#include "dns/wire.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

struct dnsbl_responder {
	struct dnsbl *bl;
	uint8_t zone[DNS_NAME_MAX];
	size_t zone_len;
	uint8_t ns[DNS_NAME_MAX];
	size_t ns_len;
	uint8_t rname[DNS_NAME_MAX];
	size_t rname_len;
	char *lookup_url;
	uint32_t ttl, neg_ttl;
	uint32_t serial_base;
};

static const char TEST_REASON[] = "RFC 5782 test entry";

static int wire_name_cfg(const char *text, uint8_t *out, size_t *len, const char *what,
			 struct err_detail *d)
{
	*len = dns_name_from_text(text, out);
	if (*len == 0)
		return err_set(d, ERR_INVALID, what, "not a domain name: '%s'", text);
	return ERR_OK;
}

int dnsbl_responder_new(const struct dnsbl_server_config *cfg, struct dnsbl *bl,
			struct dnsbl_responder **out, struct err_detail *d)
{
	struct dnsbl_responder *r = xcalloc(1, sizeof(*r));
	char tmp[300];
	int rc;

	*out = NULL;
	r->bl = bl;
	if (!cfg->zone || !cfg->zone[0] || strcmp(cfg->zone, ".") == 0) {
		rc = err_set(d, ERR_INVALID, "dnsbl.zone", "a zone name is required");
		goto out;
	}
	rc = wire_name_cfg(cfg->zone, r->zone, &r->zone_len, "dnsbl.zone", d);
	if (rc)
		goto out;
	if (cfg->ns_host) {
		rc = wire_name_cfg(cfg->ns_host, r->ns, &r->ns_len, "dnsbl.ns_host", d);
	} else {
		snprintf(tmp, sizeof(tmp), "ns.%s", cfg->zone);
		rc = wire_name_cfg(tmp, r->ns, &r->ns_len, "dnsbl.zone", d);
	}
	if (rc)
		goto out;
	if (cfg->hostmaster) {
		rc = wire_name_cfg(cfg->hostmaster, r->rname, &r->rname_len, "dnsbl.hostmaster",
				   d);
	} else {
		snprintf(tmp, sizeof(tmp), "hostmaster.%s", cfg->zone);
		rc = wire_name_cfg(tmp, r->rname, &r->rname_len, "dnsbl.zone", d);
	}
	if (rc)
		goto out;
	if (cfg->lookup_url) {
		if (strlen(cfg->lookup_url) > 200) {
			rc = err_set(d, ERR_INVALID, "dnsbl.lookup_url", "longer than 200 bytes");
			goto out;
		}
		r->lookup_url = xstrdup(cfg->lookup_url);
	}
	r->ttl = cfg->ttl ? cfg->ttl : 300;
	r->neg_ttl = cfg->neg_ttl ? cfg->neg_ttl : 300;
	r->serial_base = (uint32_t)time(NULL);
out:
	if (rc) {
		dnsbl_responder_free(r);
		return rc;
	}
	*out = r;
	return ERR_OK;
}

void dnsbl_responder_free(struct dnsbl_responder *r)
{
	if (!r)
		return;
	free(r->lookup_url);
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
	default:
		return false;
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
static size_t txt_text(const struct dnsbl_responder *r, const struct dnsbl_hit *hit,
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

static void put_soa(struct dnsbl_responder *r, struct dns_wr *w, int section)
{
	size_t rdl;

	dns_wr_name(w, r->zone, r->zone_len, r->zone, r->zone_len);
	dns_wr_u16(w, DNS_T_SOA);
	dns_wr_u16(w, DNS_C_IN);
	dns_wr_u32(w, r->neg_ttl);
	rdl = w->pos;
	dns_wr_u16(w, 0);
	dns_wr_name(w, r->ns, r->ns_len, r->zone, r->zone_len);
	dns_wr_name(w, r->rname, r->rname_len, r->zone, r->zone_len);
	dns_wr_u32(w, r->serial_base + dnsbl_serial(r->bl));
	dns_wr_u32(w, 3600);   /* refresh */
	dns_wr_u32(w, 600);    /* retry */
	dns_wr_u32(w, 604800); /* expire */
	dns_wr_u32(w, r->neg_ttl);
	if (!w->full) {
		dns_wr_patch16(w, rdl, (uint16_t)(w->pos - rdl - 2));
		dns_wr_count(w, section);
	}
}

static void put_ns(struct dnsbl_responder *r, struct dns_wr *w)
{
	size_t rdl;

	dns_wr_name(w, r->zone, r->zone_len, r->zone, r->zone_len);
	dns_wr_u16(w, DNS_T_NS);
	dns_wr_u16(w, DNS_C_IN);
	dns_wr_u32(w, r->ttl);
	rdl = w->pos;
	dns_wr_u16(w, 0);
	dns_wr_name(w, r->ns, r->ns_len, r->zone, r->zone_len);
	if (!w->full) {
		dns_wr_patch16(w, rdl, (uint16_t)(w->pos - rdl - 2));
		dns_wr_count(w, 0);
	}
}

static void put_a(struct dnsbl_responder *r, struct dns_wr *w, uint8_t code)
{
	static const uint8_t net[3] = {127, 0, 0};

	dns_wr_owner_qname(w);
	dns_wr_u16(w, DNS_T_A);
	dns_wr_u16(w, DNS_C_IN);
	dns_wr_u32(w, r->ttl);
	dns_wr_u16(w, 4);
	dns_wr_bytes(w, net, 3);
	dns_wr_u8(w, code);
	if (!w->full)
		dns_wr_count(w, 0);
}

static void put_txt(struct dnsbl_responder *r, struct dns_wr *w, const char *text, size_t len)
{
	size_t rdl;

	dns_wr_owner_qname(w);
	dns_wr_u16(w, DNS_T_TXT);
	dns_wr_u16(w, DNS_C_IN);
	dns_wr_u32(w, r->ttl);
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
static bool in_zone(const struct dnsbl_responder *r, const struct dns_query *q, size_t *plen)
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

size_t dnsbl_respond(struct dnsbl_responder *r, struct dnsbl_reader *rd, const uint8_t *qbuf,
		     size_t qlen, bool tcp, uint8_t *out, size_t outsz)
{
	struct dns_query q;
	struct dns_wr w;
	struct dnsbl_hit hit = {0};
	struct subject s;
	size_t limit, plen = 0, mark, full_cap;
	int rc;

	rc = dns_query_parse(qbuf, qlen, &q);
	if (rc < 0)
		return 0;
	limit = DNS_TCP_MAX;
	if (!tcp)
		limit = q.edns ? (q.udp_size < DNS_EDNS_UDP ? q.udp_size : DNS_EDNS_UDP)
			       : DNS_UDP_MIN;
	if (rc == DNS_NOERROR && !in_zone(r, &q, &plen))
		rc = DNS_REFUSED;
	dns_wr_begin(&w, out, outsz, limit, &q, rc);
	if (w.full)
		return 0; /* outsz below a header and question: caller bug */
	full_cap = w.cap;
	if (q.edns && w.cap >= 11)
		w.cap -= 11; /* keep room for our OPT record */
	mark = w.pos;
	if (rc != DNS_NOERROR)
		goto opt;
	dns_wr_set_zone(&w, plen);
	if (plen == 0) {
		if (q.qtype == DNS_T_SOA || q.qtype == DNS_T_ANY)
			put_soa(r, &w, 0);
		if (q.qtype == DNS_T_NS || q.qtype == DNS_T_ANY)
			put_ns(r, &w);
		if (q.qtype != DNS_T_SOA && q.qtype != DNS_T_NS && q.qtype != DNS_T_ANY)
			put_soa(r, &w, 1);
		goto trunc;
	}
	classify(q.qname, plen, &s);
	if (!lookup(r, rd, &s, &hit)) {
		dns_wr_set_rcode(&w, DNS_NXDOMAIN);
		put_soa(r, &w, 1);
		goto trunc;
	}
	if (q.qtype == DNS_T_A || q.qtype == DNS_T_ANY)
		put_a(r, &w, hit.code);
	if (q.qtype == DNS_T_TXT || q.qtype == DNS_T_ANY) {
		char text[DNSBL_REASON_MAX + 300 + 256];
		size_t n = txt_text(r, &hit, &s, text, sizeof(text));

		put_txt(r, &w, text, n);
	}
	if (q.qtype != DNS_T_A && q.qtype != DNS_T_TXT && q.qtype != DNS_T_ANY)
		put_soa(r, &w, 1); /* listed, but no data of this type */
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

/* ---- sockets and threads */

struct dnsbl_server {
	struct dnsbl_responder *resp;
	struct dnsbl *bl;
	struct dnsbl_listen l;
	pthread_t udp_th[DNSBL_UDP_SOCKETS_MAX];
	int n_udp_th;
	pthread_t tcp_th;
	bool tcp_started;
	_Atomic int stop;
	int tcp_idle_ms, tcp_max_conns;
	_Atomic uint64_t udp_queries, tcp_queries, truncated, dropped;
};

struct udp_arg {
	struct dnsbl_server *s;
	int fd;
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
		size_t m;

		if (n < 0)
			continue; /* timeout (checks stop) or a transient error */
		m = dnsbl_respond(s->resp, rd, in, (size_t)n, false, out, sizeof(out));
		if (!m) {
			atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
			continue;
		}
		if (out[2] & 0x02)
			atomic_fetch_add_explicit(&s->truncated, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->udp_queries, 1, memory_order_relaxed);
		sendto(a->fd, out, m, 0, (struct sockaddr *)&from, fl);
	}
	dnsbl_reader_release(rd);
	free(a);
	return NULL;
}

struct conn {
	int fd;
	size_t have;
	int64_t last_ms;
	uint8_t buf[2 + DNSBL_TCP_QUERY_MAX];
};

static void conn_close(struct conn **c)
{
	close((*c)->fd);
	free(*c);
	*c = NULL;
}

/* Reads what is there and answers every complete query. false: close it. */
static bool conn_serve(struct dnsbl_server *s, struct dnsbl_reader *rd, struct conn *c,
		       uint8_t *out)
{
	ssize_t n = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);

	if (n <= 0)
		return false;
	c->have += (size_t)n;
	c->last_ms = time_mono_ns() / 1000000;
	while (c->have >= 2) {
		size_t len = (size_t)c->buf[0] << 8 | c->buf[1], m;

		if (len > DNSBL_TCP_QUERY_MAX || len < DNS_HEADER_LEN)
			return false;
		if (c->have < 2 + len)
			break;
		m = dnsbl_respond(s->resp, rd, c->buf + 2, len, true, out + 2, DNS_TCP_MAX);
		if (m) {
			out[0] = (uint8_t)(m >> 8);
			out[1] = (uint8_t)m;
			if (send(c->fd, out, m + 2, MSG_NOSIGNAL) != (ssize_t)(m + 2))
				return false;
			atomic_fetch_add_explicit(&s->tcp_queries, 1, memory_order_relaxed);
		}
		memmove(c->buf, c->buf + 2 + len, c->have - 2 - len);
		c->have -= 2 + len;
	}
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
		int64_t now;

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
		for (int k = 0; rc > 0 && k < np; k++) {
			if (!pfd[k].revents)
				continue;
			if (idx[k] < 0) {
				int fd = accept(s->l.tcp_fd, NULL, NULL);
				int slot = -1;
				struct timeval tv = {1, 0};

				if (fd < 0)
					continue;
				for (int i = 0; i < max && slot < 0; i++)
					if (!conns[i])
						slot = i;
				if (slot < 0) {
					close(fd); /* full: the client retries */
					continue;
				}
				setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
				conns[slot] = xmalloc(sizeof(struct conn));
				conns[slot]->fd = fd;
				conns[slot]->have = 0;
				conns[slot]->last_ms = now;
				continue;
			}
			if (!conn_serve(s, rd, conns[idx[k]], out))
				conn_close(&conns[idx[k]]);
		}
		for (int i = 0; i < max; i++)
			if (conns[i] && now - conns[i]->last_ms > s->tcp_idle_ms)
				conn_close(&conns[i]);
	}
	for (int i = 0; i < max; i++)
		if (conns[i])
			conn_close(&conns[i]);
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
	s->tcp_idle_ms = cfg->tcp_idle_ms > 0 ? cfg->tcp_idle_ms : 10000;
	s->tcp_max_conns = cfg->tcp_max_conns > 0 ? cfg->tcp_max_conns : 256;
	rc = dnsbl_responder_new(cfg, bl, &s->resp, d);
	if (rc)
		goto out;
	for (int i = 0; i < s->l.nudp; i++) {
		struct udp_arg *a = xmalloc(sizeof(*a));

		a->s = s;
		a->fd = s->l.udp_fd[i];
		if (pthread_create(&s->udp_th[i], NULL, udp_main, a)) {
			free(a);
			rc = err_set(d, ERR_INTERNAL, "dns", "cannot start a udp thread");
			goto out;
		}
		s->n_udp_th++;
	}
	if (s->l.tcp_fd >= 0) {
		if (pthread_create(&s->tcp_th, NULL, tcp_main, s)) {
			rc = err_set(d, ERR_INTERNAL, "dns", "cannot start the tcp thread");
			goto out;
		}
		s->tcp_started = true;
	}
	log_info("event=dnsbl_start zone=%s port=%u udp_threads=%d", cfg->zone, s->l.port,
		 s->l.nudp);
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
	free(s);
}

void dnsbl_server_stats(struct dnsbl_server *s, struct dnsbl_server_stats *st)
{
	st->udp_queries = atomic_load_explicit(&s->udp_queries, memory_order_relaxed);
	st->tcp_queries = atomic_load_explicit(&s->tcp_queries, memory_order_relaxed);
	st->truncated = atomic_load_explicit(&s->truncated, memory_order_relaxed);
	st->dropped = atomic_load_explicit(&s->dropped, memory_order_relaxed);
}
