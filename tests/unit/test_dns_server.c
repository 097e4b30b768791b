/* RFC 5782 answers from dnsbl_respond, then the real server over UDP and TCP. */
#include <setjmp.h>
#include <cmocka.h>

#include "dns/blocklist.h"
#include "dns/server.h"
#include "dns/wire.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

static const char URL[] = "https://node.example/lookup?q=%s";

struct fx {
	struct dnsbl *bl;
	struct dnsbl_responder *r;
};

static void put(struct dnsbl *bl, const char *text, uint8_t code, const char *reason)
{
	struct dnsbl_batch *b = dnsbl_batch_new(bl);
	struct dnsbl_entry e;

	memset(&e, 0, sizeof(e));
	assert_int_equal(dnsbl_entry_parse(text, strlen(text), &e, NULL, 0), ERR_OK);
	e.code = code;
	e.reason = reason;
	assert_int_equal(dnsbl_batch_add(b, &e), ERR_OK);
	dnsbl_commit(bl, b);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct dnsbl_server_config cfg = {.zone = "bl.example.org", .lookup_url = URL};
	static char longr[256];

	f->bl = dnsbl_new();
	put(f->bl, "198.51.100.7", DNSBL_CODE_PHISHING, "phishing kit seen at $");
	put(f->bl, "203.0.113.0/24", DNSBL_CODE_SPAM, NULL);
	put(f->bl, "2001:db8:1:2::/64", DNSBL_CODE_MALWARE, "botnet");
	put(f->bl, "spam.example", DNSBL_CODE_MANUAL, "by hand");
	put(f->bl, "*.evil.example", DNSBL_CODE_INCIDENT, "incident");
	memset(longr, '$', 40); /* each '$' becomes the address: a long TXT */
	put(f->bl, "192.0.2.200", DNSBL_CODE_SPAM, longr);
	assert_int_equal(dnsbl_responder_new(&cfg, f->bl, &f->r, NULL), ERR_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	dnsbl_responder_free(f->r);
	dnsbl_free(f->bl);
	free(f);
	return 0;
}

static size_t mkquery(uint8_t *b, const char *qname, uint16_t qtype, int edns_size)
{
	size_t n = 12;
	uint8_t w[DNS_NAME_MAX];
	size_t wl = dns_name_from_text(qname, w);

	memset(b, 0, 12);
	b[0] = 0xAB;
	b[1] = 0xCD;
	b[2] = 0x01; /* RD */
	b[5] = 1;
	memcpy(b + n, w, wl);
	n += wl;
	b[n++] = (uint8_t)(qtype >> 8);
	b[n++] = (uint8_t)qtype;
	b[n++] = 0;
	b[n++] = 1;
	if (edns_size) {
		b[11] = 1;
		b[n++] = 0;
		b[n++] = 0;
		b[n++] = 41;
		b[n++] = (uint8_t)(edns_size >> 8);
		b[n++] = (uint8_t)edns_size;
		memset(b + n, 0, 6);
		n += 6;
	}
	return n;
}

/* What a resolver sees in an answer. */
struct ans {
	int rcode, tc, aa;
	int an, ns, ar;
	int a_code;	/* last octet of the first A, or -1 */
	char txt[1024]; /* the first TXT, strings joined */
	int soa_in_auth;
	int opt; /* OPT present */
	int ext_rcode;
};

static void read_answer(const uint8_t *m, size_t n, struct ans *a)
{
	struct dns_rd r;
	uint8_t name[DNS_NAME_MAX];

	memset(a, 0, sizeof(*a));
	a->a_code = -1;
	assert_true(n >= 12);
	a->rcode = m[3] & 0xF;
	a->tc = (m[2] & 2) != 0;
	a->aa = (m[2] & 4) != 0;
	assert_int_equal(m[0], 0xAB);
	dns_rd_init(&r, m, n);
	dns_rd_skip(&r, 4);
	int qd = dns_rd_u16(&r);
	a->an = dns_rd_u16(&r);
	a->ns = dns_rd_u16(&r);
	a->ar = dns_rd_u16(&r);
	for (int i = 0; i < qd; i++) {
		dns_rd_name(&r, name);
		dns_rd_skip(&r, 4);
	}
	for (int i = 0; i < a->an + a->ns + a->ar; i++) {
		dns_rd_name(&r, name);
		uint16_t type = dns_rd_u16(&r);
		uint16_t cls = dns_rd_u16(&r);
		uint32_t ttl = dns_rd_u32(&r);
		uint16_t rdl = dns_rd_u16(&r);
		size_t end = r.pos + rdl;
		assert_int_equal(r.err, 0);
		if (type == DNS_T_A && a->a_code < 0) {
			assert_int_equal(rdl, 4);
			assert_int_equal(m[r.pos], 127);
			a->a_code = m[r.pos + 3];
		} else if (type == DNS_T_TXT && !a->txt[0]) {
			size_t o = 0, p = r.pos;
			while (p < end) {
				uint8_t l = m[p++];
				memcpy(a->txt + o, m + p, l);
				o += l;
				p += l;
			}
			a->txt[o] = '\0';
		} else if (type == DNS_T_SOA && i >= a->an && i < a->an + a->ns) {
			uint8_t mname[DNS_NAME_MAX];
			struct dns_rd r2 = r;
			assert_true(dns_rd_name(&r2, mname) > 0); /* compressed names parse */
			a->soa_in_auth = 1;
		} else if (type == DNS_T_OPT) {
			a->opt = 1;
			a->ext_rcode = (int)(ttl >> 24);
			(void)cls;
		}
		dns_rd_skip(&r, rdl);
	}
	assert_int_equal(r.err, 0);
	assert_int_equal(r.pos, n);
}

static void ask(struct fx *f, const char *qname, uint16_t qtype, int edns, bool tcp, struct ans *a)
{
	uint8_t q[600], out[65535];
	size_t qn = mkquery(q, qname, qtype, edns);
	size_t n = dnsbl_respond(f->r, NULL, q, qn, tcp, out, sizeof(out));

	assert_true(n > 0);
	if (!tcp)
		assert_true(n <= (edns ? (size_t)(edns < 1232 ? edns : 1232) : 512));
	read_answer(out, n, a);
}

static void rfc5782_test_entries(void **state)
{
	struct fx *f = *state;
	struct ans a;

	ask(f, "2.0.0.127.bl.example.org", DNS_T_A, 0, false, &a);
	assert_int_equal(a.rcode, DNS_NOERROR);
	assert_true(a.aa);
	assert_int_equal(a.an, 1);
	assert_int_equal(a.a_code, 2);
	ask(f, "1.0.0.127.bl.example.org", DNS_T_A, 0, false, &a);
	assert_int_equal(a.rcode, DNS_NXDOMAIN);
	assert_true(a.soa_in_auth);
	ask(f, "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.example.org",
	    DNS_T_A, 0, false, &a);
	assert_int_equal(a.a_code, 2);
	ask(f, "1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.example.org",
	    DNS_T_A, 0, false, &a);
	assert_int_equal(a.rcode, DNS_NXDOMAIN);
	ask(f, "TEST.bl.example.org", DNS_T_A, 0, false, &a);
	assert_int_equal(a.a_code, 2);
	ask(f, "invalid.bl.example.org", DNS_T_A, 0, false, &a);
	assert_int_equal(a.rcode, DNS_NXDOMAIN);
	ask(f, "2.0.0.127.bl.example.org", DNS_T_TXT, 0, false, &a);
	assert_string_equal(a.txt, "RFC 5782 test entry https://node.example/lookup?q=127.0.0.2");
}

static void listed_addresses_and_names(void **state)
{
	struct fx *f = *state;
	struct ans a;

	ask(f, "7.100.51.198.bl.example.org", DNS_T_A, 0, false, &a);
	assert_int_equal(a.a_code, 3);
	ask(f, "7.100.51.198.bl.example.org", DNS_T_TXT, 0, false, &a);
	assert_string_equal(a.txt, "phishing kit seen at 198.51.100.7 "
				   "https://node.example/lookup?q=198.51.100.7");
	ask(f, "7.100.51.198.bl.example.org", DNS_T_ANY, 0, false, &a);
	assert_int_equal(a.an, 2);
	ask(f, "7.100.51.198.bl.example.org", DNS_T_AAAA, 0, false, &a);
	assert_int_equal(a.rcode, DNS_NOERROR); /* listed, no data of that type */
	assert_int_equal(a.an, 0);
	assert_true(a.soa_in_auth);
	ask(f, "99.113.0.203.bl.example.org", DNS_T_TXT, 0, false, &a);
	assert_string_equal(a.txt,
			    "listed: spam source https://node.example/lookup?q=203.0.113.99");
	ask(f, "8.100.51.198.bl.example.org", DNS_T_A, 0, false, &a);
	assert_int_equal(a.rcode, DNS_NXDOMAIN);
	/* 2001:db8:1:2::5 in the listed /64 */
	ask(f, "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.example.org",
	    DNS_T_TXT, 0, false, &a);
	assert_string_equal(a.txt, "botnet https://node.example/lookup?q=2001:db8:1:2::5");
	ask(f, "spam.example.bl.example.org", DNS_T_A, 0, false, &a);
	assert_int_equal(a.a_code, 5);
	ask(f, "www.spam.example.bl.example.org", DNS_T_A, 0, false, &a);
	assert_int_equal(a.rcode, DNS_NXDOMAIN);
	ask(f, "a.b.evil.example.bl.example.org", DNS_T_A, 0, false, &a);
	assert_int_equal(a.a_code, 9);
}

static void expect_nodata(struct fx *f, const char *qname, uint16_t qtype)
{
	struct ans a;

	ask(f, qname, qtype, 0, false, &a);
	assert_int_equal(a.rcode, DNS_NOERROR);
	assert_int_equal(a.an, 0);
	assert_true(a.soa_in_auth);
}

static void expect_nxdomain(struct fx *f, const char *qname)
{
	struct ans a;

	ask(f, qname, DNS_T_A, 0, false, &a);
	assert_int_equal(a.rcode, DNS_NXDOMAIN);
	assert_true(a.soa_in_auth);
}

/* What a resolver with QNAME minimisation asks on its way to a full address
 * name: the prefixes exist (names below them do), so NOERROR without data,
 * never NXDOMAIN (RFC 8020), whatever the type. */
static void partial_names_nodata(void **state)
{
	struct fx *f = *state;
	static const char v6[] = "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0";

	for (size_t cut = 1; cut < 32; cut++) { /* every proper suffix of the nibbles */
		char name[128];

		snprintf(name, sizeof(name), "%s.bl.example.org", v6 + 64 - 2 * cut);
		expect_nodata(f, name, DNS_T_A);
	}
	expect_nodata(f, "127.bl.example.org", DNS_T_A);
	expect_nodata(f, "0.127.bl.example.org", DNS_T_TXT);
	expect_nodata(f, "0.0.127.bl.example.org", DNS_T_ANY);
	expect_nodata(f, "100.51.198.bl.example.org", DNS_T_A); /* above a listed address */
	expect_nodata(f, "8.b.d.0.1.0.0.2.bl.example.org", DNS_T_A);
	expect_nodata(f, "F.F.bl.example.org", DNS_T_A); /* any case */
	/* four digits are an IPv4 name and a prefix of IPv6 ones (0.0.0.0 is
	 * above the IPv6 test entry): no data when that address is not listed */
	expect_nodata(f, "0.0.0.0.bl.example.org", DNS_T_A);
	expect_nodata(f, "1.0.0.2.bl.example.org", DNS_T_A);
	/* full names not listed stay NXDOMAIN (RFC 5782) */
	expect_nxdomain(f, "1.0.0.127.bl.example.org");
	expect_nxdomain(f, "9.2.0.192.bl.example.org");
	expect_nxdomain(f, "10.0.0.1.bl.example.org");
	expect_nxdomain(
	    f, "1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.example.org");
	/* not a prefix of an address name */
	expect_nxdomain(f, "256.bl.example.org");
	expect_nxdomain(f, "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
			   "bl.example.org"); /* 33 nibbles */
	expect_nxdomain(f, "1.2.3.4.56.bl.example.org");
	expect_nxdomain(f, "ab.bl.example.org");
	expect_nxdomain(f, "g.0.bl.example.org");
	expect_nxdomain(f, "invalid.bl.example.org");
	expect_nxdomain(f, "www.spam.example.bl.example.org");
}

static void apex_and_refusals(void **state)
{
	struct fx *f = *state;
	struct ans a;
	uint8_t q[600], out[1024];
	size_t n;

	ask(f, "bl.example.org", DNS_T_SOA, 0, false, &a);
	assert_int_equal(a.rcode, DNS_NOERROR);
	assert_int_equal(a.an, 1);
	ask(f, "bl.example.org", DNS_T_NS, 0, false, &a);
	assert_int_equal(a.an, 1);
	ask(f, "bl.example.org", DNS_T_A, 0, false, &a);
	assert_int_equal(a.an, 0);
	assert_true(a.soa_in_auth);
	ask(f, "www.example.com", DNS_T_A, 0, false, &a);
	assert_int_equal(a.rcode, DNS_REFUSED);
	ask(f, "xbl.example.org", DNS_T_A, 0, false, &a); /* not on a label boundary */
	assert_int_equal(a.rcode, DNS_REFUSED);
	n = mkquery(q, "2.0.0.127.bl.example.org", DNS_T_A, 0);
	q[5] = 2; /* QDCOUNT 2 */
	n = dnsbl_respond(f->r, NULL, q, n, false, out, sizeof(out));
	read_answer(out, n, &a);
	assert_int_equal(a.rcode, DNS_FORMERR);
	q[2] |= 0x80; /* a response: dropped */
	assert_int_equal(dnsbl_respond(f->r, NULL, q, 30, false, out, sizeof(out)), 0);
}

static void truncation_and_edns(void **state)
{
	struct fx *f = *state;
	struct ans a;
	uint8_t q[600], out[1024];
	size_t n;

	/* 255-byte reason + URL does not fit in 512 bytes */
	ask(f, "200.2.0.192.bl.example.org", DNS_T_TXT, 0, false, &a);
	assert_true(a.tc);
	assert_int_equal(a.an, 0);
	ask(f, "200.2.0.192.bl.example.org", DNS_T_TXT, 0, true, &a);
	assert_false(a.tc);
	assert_int_equal(strlen(a.txt), 41 * strlen("192.0.2.200") + 1 + strlen(URL) - 2);
	ask(f, "200.2.0.192.bl.example.org", DNS_T_TXT, 1232, false, &a);
	assert_false(a.tc);
	assert_true(a.opt);
	ask(f, "200.2.0.192.bl.example.org", DNS_T_TXT, 512, false, &a);
	assert_true(a.tc);
	assert_true(a.opt);
	n = mkquery(q, "2.0.0.127.bl.example.org", DNS_T_A, 1232);
	q[n - 5] = 1; /* EDNS version 1 */
	n = dnsbl_respond(f->r, NULL, q, n, false, out, sizeof(out));
	read_answer(out, n, &a);
	assert_int_equal(a.rcode, 0);
	assert_int_equal(a.ext_rcode, 1); /* BADVERS = 16 */
	assert_int_equal(a.an, 0);
}

static int udp_ask(uint16_t port, const uint8_t *q, size_t qn, uint8_t *out, size_t outsz)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sendto(fd, q, qn, 0, (struct sockaddr *)&sa, sizeof(sa));
	if (poll(&p, 1, 2000) == 1)
		n = recv(fd, out, outsz, 0);
	close(fd);
	return (int)n;
}

static void live_server_udp_and_tcp(void **state)
{
	struct fx *f = *state;
	struct dnsbl_listen l;
	struct dnsbl_server *srv;
	struct dnsbl_server_config cfg = {.zone = "bl.example.org", .tcp_idle_ms = 500};
	struct err_detail d;
	uint8_t q[600], out[65535 + 2];
	size_t qn;
	int n;
	struct ans a;

	assert_int_equal(dnsbl_server_bind("127.0.0.1:0", 2, &l, &d), ERR_OK);
	assert_true(l.port > 0);
	assert_int_equal(dnsbl_server_start(&cfg, f->bl, &l, &srv, &d), ERR_OK);
	qn = mkquery(q, "2.0.0.127.bl.example.org", DNS_T_A, 0);
	n = udp_ask(l.port, q, qn, out, sizeof(out));
	assert_true(n > 0);
	read_answer(out, (size_t)n, &a);
	assert_int_equal(a.a_code, 2);

	/* a change is answered right after its commit */
	qn = mkquery(q, "1.1.168.192.bl.example.org", DNS_T_A, 0);
	n = udp_ask(l.port, q, qn, out, sizeof(out));
	read_answer(out, (size_t)n, &a);
	assert_int_equal(a.rcode, DNS_NXDOMAIN);
	put(f->bl, "192.168.1.1", DNSBL_CODE_MANUAL, NULL);
	n = udp_ask(l.port, q, qn, out, sizeof(out));
	read_answer(out, (size_t)n, &a);
	assert_int_equal(a.a_code, 5);

	/* TCP: two queries on one connection, then the long answer in full */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(l.port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	uint8_t two[1200];
	size_t tn = 0;
	const char *names[2] = {"7.100.51.198.bl.example.org", "200.2.0.192.bl.example.org"};
	for (int i = 0; i < 2; i++) {
		qn = mkquery(q, names[i], DNS_T_TXT, 0);
		two[tn++] = (uint8_t)(qn >> 8);
		two[tn++] = (uint8_t)qn;
		memcpy(two + tn, q, qn);
		tn += qn;
	}
	assert_int_equal(send(fd, two, tn, 0), (ssize_t)tn);
	for (int i = 0; i < 2; i++) {
		uint8_t lenb[2];
		size_t got = 0, len;
		assert_int_equal(recv(fd, lenb, 2, MSG_WAITALL), 2);
		len = (size_t)lenb[0] << 8 | lenb[1];
		while (got < len) {
			ssize_t k = recv(fd, out + got, len - got, 0);
			assert_true(k > 0);
			got += (size_t)k;
		}
		read_answer(out, len, &a);
		assert_false(a.tc);
		assert_true(a.txt[0] != '\0');
	}
	/* idle connections are closed by the server */
	struct pollfd p = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 3000), 1);
	assert_int_equal(recv(fd, out, 1, 0), 0);
	close(fd);
	struct dnsbl_server_stats st;
	dnsbl_server_stats(srv, &st);
	assert_int_equal(st.tcp_queries, 2);
	assert_int_equal(st.udp_queries, 3);
	dnsbl_server_stop(srv);
}

static void bad_config_and_bind(void **state)
{
	struct fx *f = *state;
	struct dnsbl_server_config cfg = {.zone = "bad..zone"};
	struct dnsbl_responder *r;
	struct dnsbl_listen l;
	struct err_detail d;

	assert_int_equal(dnsbl_responder_new(&cfg, f->bl, &r, &d), ERR_INVALID);
	assert_string_equal(d.field, "dnsbl.zone");
	assert_int_equal(dnsbl_server_bind("localhost:53", 1, &l, &d), ERR_INVALID);
	assert_int_equal(dnsbl_server_bind("127.0.0.1", 1, &l, &d), ERR_INVALID);
}

/* Over IPv6 too, one client address holds at most tcp_per_addr_max TCP
 * connections: the next one is closed at once, the others stay. */
static void tcp_per_address_cap_ipv6(void **state)
{
	struct fx *f = *state;
	struct dnsbl_listen l;
	struct dnsbl_server *srv;
	struct dnsbl_server_config cfg = {.zone = "bl.example.org", .tcp_per_addr_max = 2};
	struct err_detail d;
	int fd[3];
	uint8_t b;

	if (dnsbl_server_bind("[::1]:0", 1, &l, &d) != ERR_OK)
		skip(); /* no IPv6 loopback here */
	assert_int_equal(dnsbl_server_start(&cfg, f->bl, &l, &srv, &d), ERR_OK);
	for (int i = 0; i < 3; i++) {
		struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(l.port)};

		sa.sin6_addr = in6addr_loopback;
		fd[i] = socket(AF_INET6, SOCK_STREAM, 0);
		assert_int_equal(connect(fd[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
		usleep(50000);
	}
	struct pollfd p = {.fd = fd[2], .events = POLLIN};
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(recv(fd[2], &b, 1, 0), 0); /* the third: closed */
	p.fd = fd[0];
	assert_int_equal(poll(&p, 1, 300), 0); /* the first two: still open */
	p.fd = fd[1];
	assert_int_equal(poll(&p, 1, 10), 0);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	dnsbl_server_stop(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(rfc5782_test_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(listed_addresses_and_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(partial_names_nodata, setup, teardown),
	    cmocka_unit_test_setup_teardown(apex_and_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(truncation_and_edns, setup, teardown),
	    cmocka_unit_test_setup_teardown(live_server_udp_and_tcp, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_config_and_bind, setup, teardown),
	    cmocka_unit_test_setup_teardown(tcp_per_address_cap_ipv6, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
