/* The DNS blocklist inside a node (spam service + store + DNS server):
 * - spam_reload_dns_settings (for SIGHUP): the running DNS server takes new
 *   TTL, SOA and NS settings from a freshly loaded config, answers with them
 *   right after the call, and keeps the old ones when the new config is bad;
 * - a large import gives back the writer's page cache (the node's RSS after
 *   `atalaya dnsbl import` of 1M lines was 5x rbldnsd's because of it). */
#include <setjmp.h>
#include <cmocka.h>

#include "config/settings.h"
#include "dns/server.h"
#include "dns/wire.h"
#include "node.h"
#include "spam/service.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>

/* The first answer record of a UDP query: its TTL and type; rcode. */
struct rec {
	int rcode;
	uint16_t type;
	uint32_t ttl;
	uint32_t soa_refresh; /* when the record is a SOA */
	char target[64];      /* NS target / SOA MNAME as text */
};

static void ask(uint16_t port, const char *qname, uint16_t qtype, struct rec *out)
{
	uint8_t q[300], m[1500], name[DNS_NAME_MAX];
	size_t qn = 12, wl = dns_name_from_text(qname, name);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct dns_rd r;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	memset(q, 0, 12);
	q[0] = 0x12;
	q[5] = 1;
	memcpy(q + qn, name, wl);
	qn += wl;
	q[qn++] = (uint8_t)(qtype >> 8);
	q[qn++] = (uint8_t)qtype;
	q[qn++] = 0;
	q[qn++] = 1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd, q, qn, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)qn);
	assert_int_equal(poll(&p, 1, 2000), 1);
	n = recv(fd, m, sizeof(m), 0);
	close(fd);
	assert_true(n > 12);
	out->rcode = m[3] & 0xF;
	dns_rd_init(&r, m, (size_t)n);
	dns_rd_skip(&r, 4);
	dns_rd_u16(&r); /* qd */
	int an = dns_rd_u16(&r), ns = dns_rd_u16(&r);
	dns_rd_skip(&r, 2);
	dns_rd_name(&r, name);
	dns_rd_skip(&r, 4);
	if (an + ns == 0)
		return;
	dns_rd_name(&r, name);
	out->type = dns_rd_u16(&r);
	dns_rd_skip(&r, 2);
	out->ttl = dns_rd_u32(&r);
	dns_rd_skip(&r, 2);
	if (out->type == DNS_T_NS || out->type == DNS_T_SOA) {
		size_t l = dns_rd_name(&r, name);
		dns_name_to_text(name, l, out->target, sizeof(out->target));
	}
	if (out->type == DNS_T_SOA) {
		dns_rd_name(&r, name); /* rname */
		dns_rd_skip(&r, 4);    /* serial */
		out->soa_refresh = dns_rd_u32(&r);
	}
	assert_int_equal(r.err, 0);
}

static void reload_applies_new_ttl_soa_ns(void **state)
{
	char dir[] = "/tmp/atalaya-dnsreload-XXXXXX", cmd[64];
	struct config cfg, cfg2;
	struct node node = {0};
	struct spam *sp;
	struct dnsbl_listen l;
	struct err_detail d;
	struct rec a;

	(void)state;
	assert_non_null(mkdtemp(dir));
	config_init(&cfg);
	assert_int_equal(config_set(&cfg, "dnsbl_zone", "bl.example.org", &d), ERR_OK);
	assert_int_equal(config_set(&cfg, "dns_listen", "127.0.0.1:0", &d), ERR_OK);
	assert_int_equal(store_open(dir, 2, &node.st, &d), ERR_OK);
	node.cfg = &cfg;
	assert_int_equal(spam_new(&node, &sp, &d), ERR_OK);
	assert_int_equal(dnsbl_server_bind("127.0.0.1:0", 1, &l, &d), ERR_OK);
	uint16_t port = l.port;
	assert_int_equal(spam_dns_start(sp, &l, &d), ERR_OK);

	ask(port, "2.0.0.127.bl.example.org", DNS_T_A, &a);
	assert_int_equal(a.type, DNS_T_A);
	assert_int_equal(a.ttl, 300); /* the default */
	ask(port, "bl.example.org", DNS_T_NS, &a);
	assert_string_equal(a.target, "ns.bl.example.org");

	/* SIGHUP with a new config file: TTL, NS, SOA refresh */
	config_init(&cfg2);
	assert_int_equal(config_set(&cfg2, "dnsbl_zone", "bl.example.org", &d), ERR_OK);
	assert_int_equal(config_set(&cfg2, "dnsbl_ttl", "60", &d), ERR_OK);
	assert_int_equal(config_set(&cfg2, "dnsbl_ns", "ns1.example.net", &d), ERR_OK);
	assert_int_equal(config_set(&cfg2, "dnsbl_soa_refresh", "1234", &d), ERR_OK);
	assert_int_equal(spam_reload_dns_settings(sp, &cfg2, &d), ERR_OK);
	config_release(&cfg2); /* the server keeps its own copy */
	ask(port, "2.0.0.127.bl.example.org", DNS_T_A, &a);
	assert_int_equal(a.ttl, 60);
	ask(port, "bl.example.org", DNS_T_NS, &a);
	assert_string_equal(a.target, "ns1.example.net");
	ask(port, "bl.example.org", DNS_T_SOA, &a);
	assert_string_equal(a.target, "ns1.example.net");
	assert_int_equal(a.soa_refresh, 1234);

	/* a bad config changes nothing and names the setting */
	config_init(&cfg2);
	assert_int_equal(config_set(&cfg2, "dnsbl_zone", "bl.example.org", &d), ERR_OK);
	assert_int_equal(config_set(&cfg2, "dnsbl_ttl", "5", &d), ERR_OK);
	assert_int_equal(config_set(&cfg2, "dnsbl_ns", "bad..name", &d), ERR_OK);
	assert_int_equal(spam_reload_dns_settings(sp, &cfg2, &d), ERR_INVALID);
	assert_string_equal(d.field, "dnsbl_ns");
	config_release(&cfg2);
	ask(port, "2.0.0.127.bl.example.org", DNS_T_A, &a);
	assert_int_equal(a.ttl, 60);

	/* the zone itself can move */
	config_init(&cfg2);
	assert_int_equal(config_set(&cfg2, "dnsbl_zone", "dnsbl.example.net", &d), ERR_OK);
	assert_int_equal(spam_reload_dns_settings(sp, &cfg2, &d), ERR_OK);
	config_release(&cfg2);
	ask(port, "2.0.0.127.dnsbl.example.net", DNS_T_A, &a);
	assert_int_equal(a.type, DNS_T_A);
	ask(port, "2.0.0.127.bl.example.org", DNS_T_A, &a);
	assert_int_equal(a.rcode, DNS_REFUSED);

	spam_free(sp);
	store_close(node.st);
	config_release(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void large_import_gives_back_page_cache(void **state)
{
	char dir[] = "/tmp/atalaya-dnsimport-XXXXXX", cmd[64];
	struct config cfg;
	struct node node = {0};
	struct spam *sp;
	struct err_detail d;
	struct store_conn *c;
	int cur = 0, hi = 0;
	size_t n = 0, len = 0, cap = 40000 * 16;
	char *zone = malloc(cap);

	(void)state;
	for (int i = 0; i < 40000; i++)
		len += (size_t)snprintf(zone + len, cap - len, "10.%d.%d.%d\n", i >> 16 & 255,
					i >> 8 & 255, i & 255);
	assert_non_null(mkdtemp(dir));
	config_init(&cfg);
	assert_int_equal(store_open(dir, 64, &node.st, &d), ERR_OK);
	node.cfg = &cfg;
	assert_int_equal(spam_new(&node, &sp, &d), ERR_OK);
	assert_int_equal(spam_import(sp, 1, zone, len, DNSBL_FMT_IP4SET, &n, &d), ERR_OK);
	assert_int_equal(n, 40000);
	/* every line answered from the set */
	struct dnsbl_hit hit;
	assert_true(dnsbl_lookup_ip4(spam_blocklist(sp), NULL, 0x0A009C3F, &hit)); /* 10.0.156.63 */
	/* the writer's page cache is back to (almost) nothing: 40,000 rows wrote
	 * megabytes of pages */
	assert_int_equal(store_write_begin(node.st, &c), ERR_OK);
	assert_int_equal(sqlite3_db_status(store_db(c), SQLITE_DBSTATUS_CACHE_USED, &cur, &hi, 0),
			 SQLITE_OK);
	store_write_end(node.st, ERR_NOT_FOUND);
	assert_true(cur < 256 * 1024);
	spam_free(sp);
	store_close(node.st);
	config_release(&cfg);
	free(zone);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(reload_applies_new_ttl_soa_ns),
	    cmocka_unit_test(large_import_gives_back_page_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
