/* rbldnsd ip4set/ip6trie/dnset, CSV and plain import and export. */
#include <setjmp.h>
#include <cmocka.h>

#include "dns/zonefile.h"

#include <arpa/inet.h>

struct got {
	int n;
	char lines[16][320];
};

static int collect(const struct dnsbl_entry *e, void *ctx)
{
	struct got *g = ctx;
	char v[300];

	dnsbl_entry_format(e, v, sizeof(v));
	if (g->n < 16)
		snprintf(g->lines[g->n], sizeof(g->lines[0]), "%s %u %s", v, e->code,
			 e->reason ? e->reason : "-");
	g->n++;
	return 0;
}

static void import_ok(const char *text, enum dnsbl_zone_format fmt, struct got *g)
{
	struct err_detail d;
	int rc;

	memset(g, 0, sizeof(*g));
	rc = dnsbl_zone_import(text, strlen(text), fmt, DNSBL_CODE_MANUAL, "imported", collect, g,
			       &d);
	if (rc)
		fprintf(stderr, "%s: %s\n", d.field, d.message);
	assert_int_equal(rc, ERR_OK);
}

static void import_bad(const char *text, enum dnsbl_zone_format fmt, const char *field,
		       const char *msg)
{
	struct err_detail d;
	struct got g = {0};

	assert_int_equal(dnsbl_zone_import(text, strlen(text), fmt, 5, NULL, collect, &g, &d),
			 ERR_SYNTAX);
	if (strcmp(d.field, field) || !strstr(d.message, msg))
		fprintf(stderr, "got %s: %s\n", d.field, d.message);
	assert_string_equal(d.field, field);
	assert_non_null(strstr(d.message, msg));
}

static void ip4set(void **state)
{
	struct got g;

	import_ok("# a comment\n"
		  "$TTL 3600\n"
		  ":127.0.0.2:Spam source $, see http://x/?$\n"
		  "192.0.2.1\n"
		  "198.51.100.0/24 :3:phish\r\n"
		  "10.1.2\n"
		  "203.0.113.4-203.0.113.7\n"
		  "!198.51.100.9\n"
		  "  ; another comment\n"
		  "192.0.2.99 :4\n",
		  DNSBL_FMT_IP4SET, &g);
	assert_int_equal(g.n, 6);
	assert_string_equal(g.lines[0], "192.0.2.1 2 Spam source $, see http://x/?$");
	assert_string_equal(g.lines[1], "198.51.100.0/24 3 phish");
	assert_string_equal(g.lines[2], "10.1.2.0/24 2 Spam source $, see http://x/?$");
	assert_string_equal(g.lines[3], "203.0.113.4/30 2 Spam source $, see http://x/?$");
	assert_string_equal(g.lines[4], "198.51.100.9 0 Spam source $, see http://x/?$");
	assert_string_equal(g.lines[5], "192.0.2.99 4 Spam source $, see http://x/?$");
}

static void ip4set_ranges(void **state)
{
	struct got g;

	import_ok("10.0.0.1-10.0.0.6\n", DNSBL_FMT_IP4SET, &g);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.lines[0], "10.0.0.1 5 imported");
	assert_string_equal(g.lines[1], "10.0.0.2/31 5 imported");
	assert_string_equal(g.lines[2], "10.0.0.4/31 5 imported");
	assert_string_equal(g.lines[3], "10.0.0.6 5 imported");
	import_ok("0.0.0.0-255.255.255.255\n", DNSBL_FMT_IP4SET, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.lines[0], "0.0.0.0/0 5 imported");
}

static void ip6trie_and_dnset(void **state)
{
	struct got g;

	import_ok(":127.0.0.4:bot\n2001:db8:1:2::/64\n2001:db8::1 :2:one\n!2001:db8:1:2::5\n",
		  DNSBL_FMT_IP6TRIE, &g);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.lines[0], "2001:db8:1:2::/64 4 bot");
	assert_string_equal(g.lines[1], "2001:db8::1 2 one");
	assert_string_equal(g.lines[2], "2001:db8:1:2::5 0 bot");
	import_ok("spam.example\n*.Evil.example :3:phish\n.both.example\n!ok.evil.example\n",
		  DNSBL_FMT_DNSET, &g);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.lines[0], "spam.example 5 imported");
	assert_string_equal(g.lines[1], "*.evil.example 3 phish");
	assert_string_equal(g.lines[2], "both.example 5 imported");
	assert_string_equal(g.lines[3], "*.both.example 5 imported");
	assert_string_equal(g.lines[4], "ok.evil.example 0 imported");
}

static void csv_and_plain(void **state)
{
	struct got g;

	import_ok("value,code,reason\n192.0.2.1,3,\"phish, \"\"kit\"\"\"\n"
		  "2001:db8::/32,127.0.0.4,\nexample.org\n192.0.2.2,0,\n",
		  DNSBL_FMT_CSV, &g);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.lines[0], "192.0.2.1 3 phish, \"kit\"");
	assert_string_equal(g.lines[1], "2001:db8::/32 4 imported");
	assert_string_equal(g.lines[2], "example.org 5 imported");
	assert_string_equal(g.lines[3], "192.0.2.2 0 imported");
	import_ok("192.0.2.1\r\n# c\r\n\r\n2001:db8::1\rexample.org\n", DNSBL_FMT_PLAIN, &g);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.lines[2], "example.org 5 imported");
}

static void errors_name_the_line(void **state)
{
	import_bad("192.0.2.1\n192.0.2.256\n", DNSBL_FMT_IP4SET, "line 2",
		   "not an IPv4 address, prefix or range: not an IPv4 address: '192.0.2.256'");
	import_bad("192.0.2.1\n\n2001:db8::1\n", DNSBL_FMT_IP4SET, "line 3",
		   "not an IPv4 address, prefix or range: '2001:db8::1'");
	import_bad("192.0.2.0/24 :127.0.0.1:x\n", DNSBL_FMT_IP4SET, "line 1",
		   "the last octet must be 2 to 254");
	import_bad("192.0.2.0/24 :10.0.0.2:x\n", DNSBL_FMT_IP4SET, "line 1",
		   "A value not in 127.0.0.0/24");
	import_bad("192.0.2.9-192.0.2.1\n", DNSBL_FMT_IP4SET, "line 1",
		   "range start after its end");
	import_bad("192.0.2.1/24\n", DNSBL_FMT_IP4SET, "line 1", "host bits set");
	import_bad("b@d.example\n", DNSBL_FMT_DNSET, "line 1", "not a domain name");
	import_bad("\"192.0.2.1,2,x\n", DNSBL_FMT_CSV, "line 1", "unterminated quote");
	import_bad("192.0.2.1,2,x,y\n", DNSBL_FMT_CSV, "line 1", "more than 3 fields");
}

static void round_trip_through_a_blocklist(void **state)
{
	struct dnsbl *bl = dnsbl_new();
	struct err_detail d;
	size_t n = 0;
	const char *zone = ":127.0.0.2:spam from $\n192.0.2.1\n198.51.100.0/24 :3:phish\n"
			   "!198.51.100.7\n";
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;
	struct dnsbl_hit h;

	assert_int_equal(dnsbl_zone_load(bl, zone, strlen(zone), DNSBL_FMT_IP4SET, 5, NULL, &n, &d),
			 ERR_OK);
	assert_int_equal(n, 3);
	assert_true(dnsbl_lookup_ip4(bl, NULL, 0xC0000201, &h));
	assert_string_equal(h.reason, "spam from $");
	assert_false(dnsbl_lookup_ip4(bl, NULL, 0xC6336407, &h));
	f = open_memstream(&out, &outlen);
	assert_int_equal(dnsbl_zone_export(bl, DNSBL_FMT_IP4SET, f), ERR_OK);
	fclose(f);
	assert_non_null(strstr(out, "192.0.2.1 :127.0.0.2:spam from $\n"));
	assert_non_null(strstr(out, "198.51.100.0/24 :127.0.0.3:phish\n"));
	assert_non_null(strstr(out, "!198.51.100.7\n"));
	/* the export loads back into the same set */
	struct dnsbl *bl2 = dnsbl_new();
	assert_int_equal(dnsbl_zone_load(bl2, out, outlen, DNSBL_FMT_IP4SET, 5, NULL, &n, &d),
			 ERR_OK);
	assert_int_equal(n, 3);
	assert_true(dnsbl_lookup_ip4(bl2, NULL, 0xC6336408, &h));
	assert_int_equal(h.code, 3);
	free(out);
	out = NULL;
	f = open_memstream(&out, &outlen);
	assert_int_equal(dnsbl_zone_export(bl2, DNSBL_FMT_CSV, f), ERR_OK);
	fclose(f);
	assert_int_equal(strncmp(out, "value,code,reason\n", 18), 0);
	assert_non_null(strstr(out, "\n192.0.2.1,2,\"spam from $\"\n"));
	free(out);
	/* a bad line applies nothing */
	const char *bad = "203.0.113.1\nnot-an-ip\n";
	assert_int_equal(dnsbl_zone_load(bl2, bad, strlen(bad), DNSBL_FMT_IP4SET, 5, NULL, &n, &d),
			 ERR_SYNTAX);
	assert_false(dnsbl_lookup_ip4(bl2, NULL, 0xCB007101, &h));
	dnsbl_free(bl);
	dnsbl_free(bl2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ip4set),
	    cmocka_unit_test(ip4set_ranges),
	    cmocka_unit_test(ip6trie_and_dnset),
	    cmocka_unit_test(csv_and_plain),
	    cmocka_unit_test(errors_name_the_line),
	    cmocka_unit_test(round_trip_through_a_blocklist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
