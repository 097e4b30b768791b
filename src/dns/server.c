#include "dns/server.h"
#include "dns/answer.h"

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

/* ---- sockets and threads */

/* Counters of one thread: only that thread writes them (a relaxed load and
 * store, no locked instruction), the scrape sums every thread's. Each sits on
 * cache lines of its own. */
enum tcp_close { TC_IDLE, TC_PER_ADDRESS, TC_EVICTED, TC_ERROR, NTC };
static const char *const tcp_close_names[NTC] = {"idle", "per_address", "evicted", "client"};

struct counters {
	_Atomic uint64_t res[DNSBL_NRES];
	_Atomic uint64_t qtype[DNSBL_NQT];
	_Atomic uint64_t truncated;
	_Atomic uint64_t tcp_closed[NTC];
	_Atomic uint64_t tcp_open; /* gauge, TCP thread only */
} __attribute__((aligned(64)));

static inline void bump(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static void count(struct counters *c, enum dnsbl_result res, enum dnsbl_qtype qt,
		  const uint8_t *out)
{
	bump(&c->res[res]);
	if (res != DNSBL_RES_DROPPED) {
		if (qt < DNSBL_NQT)
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
		enum dnsbl_result res;
		enum dnsbl_qtype qt;
		size_t m;

		if (n < 0)
			continue; /* timeout (checks stop) or a transient error */
		m = dnsbl_answer(s->resp, rd, in, (size_t)n, false, out, sizeof(out), &res, &qt);
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
		enum dnsbl_result res;
		enum dnsbl_qtype qt;

		if (len > DNSBL_TCP_QUERY_MAX || len < DNS_HEADER_LEN)
			return false;
		if (c->have < 2 + len)
			break;
		m = dnsbl_answer(s->resp, rd, c->buf + 2, len, true, out + 2, DNS_TCP_MAX, &res,
				 &qt);
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

/* One try of dnsbl_server_bind. *busy: port 0 was asked, and the TCP port the
 * UDP sockets got was taken (worth another try with another port). */
static int bind_once(const char *addr, int nudp, struct dnsbl_listen *l, bool *busy,
		     struct err_detail *d)
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
		*busy = errno == EADDRINUSE && !strcmp(port, "0");
		rc = err_set(d, ERR_IO, "dns.listen", "tcp bind %s: %s", addr, strerror(errno));
		goto out;
	}
out:
	freeaddrinfo(ai);
	if (rc)
		dnsbl_listen_close(l);
	return rc;
}

int dnsbl_server_bind(const char *addr, int nudp, struct dnsbl_listen *l, struct err_detail *d)
{
	for (int tries = 1;; tries++) {
		bool busy = false;
		int rc = bind_once(addr, nudp, l, &busy, d);
		if (!rc || !busy || tries == 16)
			return rc;
	}
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

		for (int r = 0; r < DNSBL_NRES; r++)
			if (r != DNSBL_RES_DROPPED)
				answered += rd64(&c->res[r]);
		if (t == TCP_SLOT)
			st->tcp_queries += answered;
		else
			st->udp_queries += answered;
		st->truncated += rd64(&c->truncated);
		st->dropped += rd64(&c->res[DNSBL_RES_DROPPED]);
	}
}

void dnsbl_server_metrics(struct dnsbl_server *s, struct buf *out)
{
	uint64_t res[2][DNSBL_NRES] = {{0}}, qt[DNSBL_NQT] = {0}, trunc[2] = {0};
	struct counters *tc = &s->cnt[TCP_SLOT];

	for (int t = 0; t <= TCP_SLOT; t++) {
		int tr = t == TCP_SLOT;

		for (int r = 0; r < DNSBL_NRES; r++)
			res[tr][r] += rd64(&s->cnt[t].res[r]);
		for (int q = 0; q < DNSBL_NQT; q++)
			qt[q] += rd64(&s->cnt[t].qtype[q]);
		trunc[tr] += rd64(&s->cnt[t].truncated);
	}
	buf_adds(out, "# HELP atalaya_dns_queries_total DNS blocklist queries by transport and "
		      "answer.\n# TYPE atalaya_dns_queries_total counter\n");
	for (int tr = 0; tr < 2; tr++)
		for (int r = 0; r < DNSBL_NRES; r++)
			buf_addf(
			    out,
			    "atalaya_dns_queries_total{transport=\"%s\",result=\"%s\"} %" PRIu64
			    "\n",
			    tr ? "tcp" : "udp", dnsbl_result_names[r], res[tr][r]);
	buf_adds(out, "# HELP atalaya_dns_query_types_total DNS blocklist queries by type.\n"
		      "# TYPE atalaya_dns_query_types_total counter\n");
	for (int q = 0; q < DNSBL_NQT; q++)
		buf_addf(out, "atalaya_dns_query_types_total{qtype=\"%s\"} %" PRIu64 "\n",
			 dnsbl_qtype_names[q], qt[q]);
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
