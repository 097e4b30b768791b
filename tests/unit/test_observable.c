#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#include "index/observable.h"
#include "index/prefixset.h"

/* Normalises `in` with `hint` and checks the kind and the canonical text. */
static void ok(enum obs_kind hint, const char *in, enum obs_kind kind, const char *want)
{
	struct observable o;
	struct err_detail e;

	err_clear(&e);
	int rc = observable_normalise(hint, in, strlen(in), &o, &e);
	if (rc)
		print_error("input '%s': %s\n", in, e.message);
	assert_int_equal(rc, ERR_OK);
	assert_int_equal(o.kind, kind);
	assert_string_equal(o.value, want);
	assert_int_equal(o.len, strlen(want));
	/* canonical forms are fixed points */
	struct observable again;
	assert_int_equal(observable_normalise(o.kind, o.value, o.len, &again, NULL), ERR_OK);
	assert_string_equal(again.value, o.value);
}

/* Checks that `in` is refused and that the message names the value and `why`. */
static void ko(enum obs_kind hint, const char *in, const char *why)
{
	struct observable o;
	struct err_detail e;
	char named[128];

	err_clear(&e);
	int rc = observable_normalise(hint, in, strlen(in), &o, &e);
	if (rc == ERR_OK)
		print_error("input '%s' accepted as '%s'\n", in, o.value);
	assert_true(rc == ERR_INVALID || rc == ERR_TOO_LARGE);
	assert_int_equal(e.code, rc);
	if (strlen(in) > 0 && strlen(in) < 60 && strspn(in, " ") == 0) {
		snprintf(named, sizeof(named), "'%s': ", in);
		if (strncmp(e.message, named, strlen(named)) != 0)
			print_error("message '%s' does not start with %s\n", e.message, named);
		assert_true(strncmp(e.message, named, strlen(named)) == 0);
	}
	if (!strstr(e.message, why))
		print_error("message '%s' lacks '%s'\n", e.message, why);
	assert_non_null(strstr(e.message, why));
}

static void ipv4_forms(void **state)
{
	struct observable o;

	ok(OBS_AUTO, "1.2.3.4", OBS_IPV4, "1.2.3.4");
	ok(OBS_IPV4, " 198.51.100.7\n", OBS_IPV4, "198.51.100.7");
	ok(OBS_AUTO, "0.0.0.0", OBS_IPV4, "0.0.0.0");
	ok(OBS_AUTO, "10.0.0.0/8", OBS_IPV4, "10.0.0.0/8");
	ok(OBS_AUTO, "1.2.3.4/32", OBS_IPV4, "1.2.3.4");
	ok(OBS_AUTO, "0.0.0.0/0", OBS_IPV4, "0.0.0.0/0");
	assert_int_equal(observable_normalise(OBS_AUTO, "198.51.100.0/24", 15, &o, NULL), ERR_OK);
	assert_int_equal(o.family, 4);
	assert_int_equal(o.prefix_len, 24);
	assert_int_equal(o.addr[0], 198);
	assert_int_equal(o.addr[3], 0);
	ko(OBS_AUTO, "300.1.2.3", "not an IPv4 address");
	ko(OBS_AUTO, "01.2.3.4", "leading zero");
	ko(OBS_AUTO, "0x7f.1", "not an IPv4 address");
	ko(OBS_AUTO, "127.1", "fewer than four parts");
	ko(OBS_AUTO, "1.2.3.4.5", "more than four parts");
	ko(OBS_AUTO, "1.2..4", "empty part");
	ko(OBS_AUTO, "1.2.3.4/33", "prefix length must be 0..32");
	ko(OBS_AUTO, "1.2.3.4/024", "prefix length");
	ko(OBS_AUTO, "1.2.3.4/", "prefix length");
	ko(OBS_AUTO, "1.2.3.4/24", "host bits set in a CIDR (network is 1.2.3.0/24)");
	ko(OBS_IPV4, "example.com", "not an IPv4 address");
	ko(OBS_IPV4, "::1", "not an IPv4 address");
}

static void ipv6_forms(void **state)
{
	struct observable o;

	ok(OBS_AUTO, "2001:DB8:0:0:0:0:0:1", OBS_IPV6, "2001:db8::1");
	ok(OBS_AUTO, "2001:db8:0000:0000:1:0:0:1", OBS_IPV6, "2001:db8::1:0:0:1");
	ok(OBS_AUTO, "2001:db8:0:1:1:1:1:1", OBS_IPV6, "2001:db8:0:1:1:1:1:1");
	ok(OBS_AUTO, "2001:0:0:1:0:0:0:1", OBS_IPV6, "2001:0:0:1::1");
	ok(OBS_AUTO, "::", OBS_IPV6, "::");
	ok(OBS_AUTO, "::1", OBS_IPV6, "::1");
	ok(OBS_AUTO, "1::", OBS_IPV6, "1::");
	ok(OBS_AUTO, "::2:3:4:5:6:7:8", OBS_IPV6, "0:2:3:4:5:6:7:8");
	ok(OBS_AUTO, "2001:db8::/32", OBS_IPV6, "2001:db8::/32");
	ok(OBS_AUTO, "2001:db8::1/128", OBS_IPV6, "2001:db8::1");
	ok(OBS_AUTO, "::ffff:1.2.3.4", OBS_IPV4, "1.2.3.4");
	ok(OBS_IPV6, "::FFFF:0102:0304", OBS_IPV4, "1.2.3.4");
	ok(OBS_AUTO, "::ffff:1.2.3.0/120", OBS_IPV4, "1.2.3.0/24");
	ok(OBS_AUTO, "::ffff:0:0/96", OBS_IPV4, "0.0.0.0/0");
	ok(OBS_AUTO, "::/0", OBS_IPV6, "::/0");
	assert_int_equal(observable_normalise(OBS_AUTO, "::ffff:1.2.3.4", 14, &o, NULL), ERR_OK);
	assert_int_equal(o.family, 4);
	assert_int_equal(o.prefix_len, 32);
	ko(OBS_AUTO, "2001:db8::1/129", "prefix length must be 0..128");
	ko(OBS_AUTO, "2001:db8::1/64", "host bits set in a CIDR (network is 2001:db8::/64)");
	ko(OBS_AUTO, "1:2:3:4:5:6:7:8:9", "not an IPv6 address");
	ko(OBS_AUTO, "1::2::3", "not an IPv6 address");
	ko(OBS_AUTO, "fe80::1%eth0", "zone identifiers");
	ko(OBS_AUTO, "::ffff:01.2.3.4", "not an IPv6 address");
	ko(OBS_AUTO, "12345::", "not an IPv6 address");
}

static void domain_forms(void **state)
{
	struct observable o;
	char longlabel[80];

	ok(OBS_AUTO, "Example.COM.", OBS_DOMAIN, "example.com");
	ok(OBS_AUTO, "bücher.de", OBS_DOMAIN, "xn--bcher-kva.de");
	ok(OBS_DOMAIN, "BÜCHER.de", OBS_DOMAIN, "xn--bcher-kva.de");
	ok(OBS_DOMAIN, "xn--bcher-kva.de", OBS_DOMAIN, "xn--bcher-kva.de");
	ok(OBS_DOMAIN, "faß.de", OBS_DOMAIN, "xn--fa-hia.de"); /* non-transitional */
	ok(OBS_AUTO, "_dmarc.example.org", OBS_DOMAIN, "_dmarc.example.org");
	ok(OBS_AUTO, "localhost", OBS_DOMAIN, "localhost");
	ok(OBS_AUTO, "deadbeef.example", OBS_DOMAIN, "deadbeef.example");
	assert_int_equal(observable_normalise(OBS_AUTO, "a.b.Example.co.uk", 17, &o, NULL), ERR_OK);
	assert_string_equal(o.registered, "example.co.uk");
	assert_int_equal(o.host_off, 0);
	assert_int_equal(o.host_len, 17);
	assert_int_equal(observable_normalise(OBS_AUTO, "co.uk", 5, &o, NULL), ERR_OK);
	assert_string_equal(o.registered, "");
	ko(OBS_DOMAIN, "a..b", "empty label");
	ko(OBS_DOMAIN, ".", "empty domain name");
	ko(OBS_DOMAIN, "-a.com", "hyphen");
	ko(OBS_DOMAIN, "a-.com", "hyphen");
	ko(OBS_DOMAIN, "a b.com", "control character or space");
	ko(OBS_DOMAIN, "a!b.com", "character '!'");
	ko(OBS_DOMAIN, "xn--zz.com", "not a valid internationalised domain name");
	ko(OBS_DOMAIN, "1.2.3.4", "the last label is numeric");
	memset(longlabel, 'a', 64);
	memcpy(longlabel + 64, ".com", 5);
	ko(OBS_DOMAIN, longlabel, "label longer than 63 bytes");
	char longname[300];
	for (int i = 0; i < 64; i++)
		memcpy(longname + 4 * i, "abc.", 4);
	memcpy(longname + 256, "com", 4);
	ko(OBS_DOMAIN, longname, "longer than 253");
}

static void url_forms(void **state)
{
	struct observable o;

	ok(OBS_AUTO, "HTTP://Example.COM:80/a%7eb", OBS_URL, "http://example.com/a~b");
	ok(OBS_AUTO, "https://example.com:443", OBS_URL, "https://example.com/");
	ok(OBS_AUTO, "https://example.com:8443/x?y=1#frag", OBS_URL,
	   "https://example.com:8443/x?y=1");
	ok(OBS_AUTO, "http://example.com/%2f%3a%41", OBS_URL, "http://example.com/%2F%3AA");
	ok(OBS_AUTO, "http://example.com/a b", OBS_URL, "http://example.com/a%20b");
	ok(OBS_AUTO, "http://example.com/100%", OBS_URL, "http://example.com/100%25");
	ok(OBS_AUTO, "http://bücher.de/ü", OBS_URL, "http://xn--bcher-kva.de/%C3%BC");
	ok(OBS_AUTO, "http://user:pw@Example.com:0080/", OBS_URL, "http://user:pw@example.com/");
	ok(OBS_AUTO, "http://[2001:DB8::1]:8080/p", OBS_URL, "http://[2001:db8::1]:8080/p");
	ok(OBS_AUTO, "http://[::ffff:1.2.3.4]/", OBS_URL, "http://1.2.3.4/");
	ok(OBS_AUTO, "http://198.51.100.7:80?q", OBS_URL, "http://198.51.100.7/?q");
	ok(OBS_AUTO, "ftp://files.example.net:21/pub", OBS_URL, "ftp://files.example.net/pub");
	ok(OBS_AUTO, "file:///etc/passwd", OBS_URL, "file:///etc/passwd");
	assert_int_equal(observable_normalise(OBS_URL, "http://a.evil.co.uk/x", 21, &o, NULL),
			 ERR_OK);
	assert_string_equal(o.registered, "evil.co.uk");
	assert_int_equal(o.host_len, 12);
	assert_memory_equal(o.value + o.host_off, "a.evil.co.uk", 12);
	assert_int_equal(observable_normalise(OBS_URL, "http://10.1.2.3/", 16, &o, NULL), ERR_OK);
	assert_int_equal(o.family, 4);
	assert_int_equal(o.addr[0], 10);
	ko(OBS_URL, "example.com/x", "no \"scheme://\"");
	ko(OBS_URL, "http:///x", "empty host");
	ko(OBS_URL, "http://example.com:99999/", "bad port");
	ko(OBS_URL, "http://example.com:8x/", "bad port");
	ko(OBS_URL, "http://0x7f.1/", "URL host is not an IPv4 address");
	ko(OBS_URL, "http://[::1/", "unterminated");
	ko(OBS_URL, "http://ex ample.com/", "control character or space");
	char big[3000] = "http://example.com/";
	memset(big + 19, 'a', 2500);
	big[2519] = '\0';
	ko(OBS_URL, big, "longer than 2048 bytes");
}

static void email_hash_asn_forms(void **state)
{
	struct observable o;

	ok(OBS_AUTO, "John.Doe@Example.COM", OBS_EMAIL, "John.Doe@example.com");
	ok(OBS_AUTO, "x@bücher.de", OBS_EMAIL, "x@xn--bcher-kva.de");
	assert_int_equal(observable_normalise(OBS_AUTO, "a@mail.example.org", 18, &o, NULL),
			 ERR_OK);
	assert_string_equal(o.registered, "example.org");
	ko(OBS_EMAIL, "@example.com", "empty local part");
	ko(OBS_EMAIL, "a@", "empty domain name");
	ko(OBS_EMAIL, "a b@example.com", "space or control character");
	ko(OBS_EMAIL, "a@[1.2.3.4]", "address literals");
	ko(OBS_EMAIL, "example.com", "no '@'");

	ok(OBS_AUTO, "D41D8CD98F00B204E9800998ECF8427E", OBS_HASH,
	   "d41d8cd98f00b204e9800998ecf8427e");
	ok(OBS_AUTO, "da39a3ee5e6b4b0d3255bfef95601890afd80709", OBS_HASH,
	   "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_int_equal(
	    observable_normalise(OBS_AUTO,
				 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
				 64, &o, NULL),
	    ERR_OK);
	assert_int_equal(o.hash_alg, OBS_HASH_SHA256);
	assert_int_equal(observable_normalise_hash(
			     OBS_HASH_SHA3_256,
			     "A7FFC6F8BF1ED76651C14756A061D662F580FF4DE43B49FA82D80A4B80F8434A", 64,
			     &o, NULL),
			 ERR_OK);
	assert_int_equal(o.hash_alg, OBS_HASH_SHA3_256);
	assert_string_equal(o.value,
			    "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
	struct err_detail e;
	assert_int_equal(observable_normalise_hash(OBS_HASH_SHA256, "abc", 3, &o, &e), ERR_INVALID);
	assert_string_equal(e.message, "'abc': not a SHA-256 hash (64 hex digits expected, got 3)");
	assert_int_equal(observable_normalise_hash(
			     OBS_HASH_MD5, "da39a3ee5e6b4b0d3255bfef95601890afd80709", 40, &o, &e),
			 ERR_INVALID);
	assert_non_null(strstr(e.message, "not a MD5 hash (32 hex digits expected, got 40)"));
	assert_int_equal(observable_normalise_hash(OBS_HASH_SHA1, "zz", 2, &o, &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "hex digits expected"));
	ko(OBS_HASH, "d41d8cd98f00b204e9800998ecf8427", "got 31");

	ok(OBS_AUTO, "AS64500", OBS_ASN, "AS64500");
	ok(OBS_AUTO, "64500", OBS_ASN, "AS64500");
	ok(OBS_AUTO, "as4294967295", OBS_ASN, "AS4294967295");
	ok(OBS_AUTO, "AS1.10", OBS_ASN, "AS65546");
	ok(OBS_ASN, "1", OBS_ASN, "AS1");
	assert_int_equal(observable_normalise(OBS_AUTO, "AS64500", 7, &o, NULL), ERR_OK);
	assert_int_equal(o.asn, 64500);
	ko(OBS_AUTO, "AS0", "out of range");
	ko(OBS_AUTO, "4294967296", "out of range");
	ko(OBS_AUTO, "AS064500", "not an AS number");
	ko(OBS_ASN, "ASx", "not an AS number");
	ko(OBS_AUTO, "", "empty value");
}

static void stix_mapping(void **state)
{
	struct observable o;
	struct err_detail e;

#define STIX(t, p, op, lit) observable_from_stix(t, p, op, lit, strlen(lit), &o, &e)
	assert_int_equal(STIX("ipv4-addr", "value", "=", "'198.51.100.7'"), ERR_OK);
	assert_int_equal(o.kind, OBS_IPV4);
	assert_string_equal(o.value, "198.51.100.7");
	assert_int_equal(STIX("ipv4-addr", "value", "ISSUBSET", "'198.51.100.0/24'"), ERR_OK);
	assert_string_equal(o.value, "198.51.100.0/24");
	assert_int_equal(STIX("ipv6-addr", "value", "=", "'2001:DB8::1'"), ERR_OK);
	assert_string_equal(o.value, "2001:db8::1");
	assert_int_equal(STIX("domain-name", "value", "=", "'Evil.Example.'"), ERR_OK);
	assert_string_equal(o.value, "evil.example");
	assert_int_equal(STIX("url", "value", "=", "'http://x.test/it\\'s'"), ERR_OK);
	assert_string_equal(o.value, "http://x.test/it's");
	assert_int_equal(STIX("email-addr", "value", "=", "'a@B.test'"), ERR_OK);
	assert_string_equal(o.value, "a@b.test");
	assert_int_equal(STIX("email-message", "from_ref.value", "=", "'a@b.test'"), ERR_OK);
	assert_int_equal(STIX("autonomous-system", "number", "=", "64500"), ERR_OK);
	assert_string_equal(o.value, "AS64500");
	assert_int_equal(STIX("file", "hashes.'SHA-256'", "=",
			      "'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855'"),
			 ERR_OK);
	assert_int_equal(o.hash_alg, OBS_HASH_SHA256);
	assert_int_equal(STIX("file", "hashes.MD5", "=", "'d41d8cd98f00b204e9800998ecf8427e'"),
			 ERR_OK);
	assert_int_equal(o.hash_alg, OBS_HASH_MD5);
	assert_int_equal(STIX("file", "hashes.'SHA3-512'", "=", "'abc'"), ERR_INVALID);
	assert_non_null(strstr(e.message, "not a SHA3-512 hash"));
	assert_int_equal(STIX("network-traffic", "dst_ref.value", "=", "'10.0.0.1'"), ERR_OK);
	assert_int_equal(o.kind, OBS_IPV4);
	assert_int_equal(STIX("ipv4-addr", "value", "=", "'300.1.2.3'"), ERR_INVALID);
	assert_string_equal(e.message, "'300.1.2.3': not an IPv4 address (part over 255)");

	assert_int_equal(STIX("file", "name", "=", "'evil.exe'"), OBS_NOT_INDEXABLE);
	assert_int_equal(e.code, ERR_OK);
	assert_non_null(strstr(e.message, "file:name"));
	assert_int_equal(STIX("url", "value", "LIKE", "'http://%'"), OBS_NOT_INDEXABLE);
	assert_int_equal(STIX("url", "value", "MATCHES", "'^http'"), OBS_NOT_INDEXABLE);
	assert_int_equal(STIX("domain-name", "value", "ISSUBSET", "'x.test'"), OBS_NOT_INDEXABLE);
	assert_int_equal(STIX("file", "hashes.SSDEEP", "=", "'3:a:b'"), OBS_NOT_INDEXABLE);
	assert_int_equal(STIX("file", "hashes.MD5", "=", "h'00'"), OBS_NOT_INDEXABLE);
	assert_int_equal(STIX("x-custom", "value", "=", "'1.2.3.4'"), OBS_NOT_INDEXABLE);
#undef STIX
}

static void decay(void **state)
{
	const int64_t day = 86400000;
	int64_t now = INT64_C(1800000000000);

	/* one sighting starts at 50, halves each half-life */
	assert_true(fabs(observable_score(now, now, 1, OBS_IPV4) - 50.0) < 1e-9);
	assert_true(fabs(observable_score(now, now - 14 * day, 1, OBS_IPV4) - 25.0) < 1e-9);
	assert_true(fabs(observable_score(now, now - 60 * day, 1, OBS_DOMAIN) - 25.0) < 1e-9);
	/* sightings boost up to 100 at four */
	assert_true(fabs(observable_score(now, now, 2, OBS_URL) - 75.0) < 1e-9);
	assert_true(fabs(observable_score(now, now, 4, OBS_URL) - 100.0) < 1e-9);
	assert_true(fabs(observable_score(now, now, 1000, OBS_URL) - 100.0) < 1e-9);
	assert_true(fabs(observable_score(now, now, 0, OBS_URL) - 50.0) < 1e-9);
	/* a future last_seen counts as now */
	assert_true(fabs(observable_score(now, now + day, 1, OBS_HASH) - 50.0) < 1e-9);
	/* a single-sighting address expires after log2(5) half-lives (32.5 days) */
	assert_false(observable_expired(observable_score(now, now - 32 * day, 1, OBS_IPV4)));
	assert_true(observable_expired(observable_score(now, now - 33 * day, 1, OBS_IPV4)));
	/* a hash lasts longer than an address */
	assert_true(observable_score(now, now - 90 * day, 1, OBS_HASH) >
		    observable_score(now, now - 90 * day, 1, OBS_IPV6));
	assert_true(observable_half_life_ms(OBS_ASN) == 180 * day);
}

static void prefix_sets(void **state)
{
	struct prefixset *set = prefixset_new();
	struct observable o;
	struct err_detail e;
	const char *members[] = {"198.51.100.0/24", "2001:db8::/32", "AS64500", "gub.uy"};

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(
		    observable_normalise(OBS_AUTO, members[i], strlen(members[i]), &o, NULL),
		    ERR_OK);
		assert_int_equal(prefixset_add(set, &o, NULL), ERR_OK);
	}
	assert_int_equal(prefixset_size(set), 4);
	observable_normalise(OBS_AUTO, "http://x.test/", 14, &o, NULL);
	assert_int_equal(prefixset_add(set, &o, &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "'http://x.test/'"));

	const char *in[] = {"198.51.100.7",  "198.51.100.128/25",	  "198.51.100.0/24",
			    "2001:db8:1::5", "::ffff:198.51.100.9",	  "AS64500",
			    "gub.uy",	     "www.presidencia.gub.uy",	  "http://mail.gub.uy/x",
			    "a@gub.uy",	     "http://198.51.100.1:8080/", "http://[2001:db8::2]/"};
	const char *out[] = {"198.51.101.7",
			     "198.51.0.0/16",
			     "2001:db9::1",
			     "AS64501",
			     "notgub.uy",
			     "uy",
			     "http://gub.uy.evil.test/",
			     "a@gub.uy.test",
			     "d41d8cd98f00b204e9800998ecf8427e"};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(observable_normalise(OBS_AUTO, in[i], strlen(in[i]), &o, NULL),
				 ERR_OK);
		if (!prefixset_contains(set, &o))
			print_error("%s should be inside\n", in[i]);
		assert_true(prefixset_contains(set, &o));
	}
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		assert_int_equal(observable_normalise(OBS_AUTO, out[i], strlen(out[i]), &o, NULL),
				 ERR_OK);
		if (prefixset_contains(set, &o))
			print_error("%s should be outside\n", out[i]);
		assert_false(prefixset_contains(set, &o));
	}
	prefixset_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ipv4_forms),
	    cmocka_unit_test(ipv6_forms),
	    cmocka_unit_test(domain_forms),
	    cmocka_unit_test(url_forms),
	    cmocka_unit_test(email_hash_asn_forms),
	    cmocka_unit_test(stix_mapping),
	    cmocka_unit_test(decay),
	    cmocka_unit_test(prefix_sets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
