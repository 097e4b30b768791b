#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "alert/webhook.h"

/* The class of an address given as text, or NULL when public. */
static const char *cls(const char *text)
{
	uint8_t a[16] = {0};
	int family = strchr(text, ':') ? 6 : 4;
	assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, text, a), 1);
	return webhook_addr_class(family, a);
}

static void ipv4_classes(void **state)
{
	assert_string_equal(cls("127.0.0.1"), "loopback");
	assert_string_equal(cls("127.255.255.254"), "loopback");
	assert_string_equal(cls("169.254.169.254"), "link-local"); /* cloud metadata */
	assert_string_equal(cls("10.1.2.3"), "private");
	assert_string_equal(cls("172.16.0.1"), "private");
	assert_string_equal(cls("172.31.255.255"), "private");
	assert_string_equal(cls("192.168.1.1"), "private");
	assert_string_equal(cls("100.64.0.1"), "shared address space (CGNAT)");
	assert_string_equal(cls("100.127.255.255"), "shared address space (CGNAT)");
	assert_string_equal(cls("0.0.0.0"), "unspecified");
	assert_string_equal(cls("224.0.0.1"), "multicast");
	assert_string_equal(cls("255.255.255.255"), "reserved");
	assert_string_equal(cls("240.0.0.1"), "reserved");
	assert_string_equal(cls("198.18.0.1"), "reserved");
	assert_string_equal(cls("192.0.2.10"), "documentation");
	/* the edges of the ranges are public */
	assert_null(cls("172.15.255.255"));
	assert_null(cls("172.32.0.0"));
	assert_null(cls("100.63.255.255"));
	assert_null(cls("100.128.0.0"));
	assert_null(cls("169.253.255.255"));
	assert_null(cls("11.0.0.1"));
	assert_null(cls("8.8.8.8"));
	assert_null(cls("223.255.255.255"));
}

static void ipv6_classes(void **state)
{
	assert_string_equal(cls("::1"), "loopback");
	assert_string_equal(cls("::"), "unspecified");
	assert_string_equal(cls("fe80::1"), "link-local");
	assert_string_equal(cls("febf::1"), "link-local");
	assert_string_equal(cls("fc00::1"), "private");
	assert_string_equal(cls("fd12:3456::1"), "private");
	assert_string_equal(cls("ff02::1"), "multicast");
	assert_string_equal(cls("2001:db8::1"), "documentation");
	assert_string_equal(cls("::127.0.0.1"), "reserved"); /* IPv4-compatible */
	assert_null(cls("2a00:1450:4001::1"));
	assert_null(cls("2600::1"));
	assert_string_equal(cls("fec0::1"), "private"); /* site-local, deprecated */
}

static void mapped_forms(void **state)
{
	assert_string_equal(cls("::ffff:127.0.0.1"), "loopback");
	assert_string_equal(cls("::ffff:169.254.169.254"), "link-local");
	assert_string_equal(cls("::ffff:10.0.0.1"), "private");
	assert_string_equal(cls("64:ff9b::127.0.0.1"), "loopback"); /* NAT64 */
	assert_string_equal(cls("64:ff9b::10.0.0.1"), "private");   /* NAT64 */
	assert_string_equal(cls("2002:7f00:1::1"), "loopback");	    /* 6to4 */
	assert_string_equal(cls("2002:a9fe:a9fe::"), "link-local"); /* 6to4 */
	assert_null(cls("::ffff:8.8.8.8"));
	assert_null(cls("64:ff9b::8.8.8.8"));
	assert_string_equal(cls("64:ff9b:1::8.8.8.8"), "private"); /* local-use NAT64 */
}

static struct sockaddr_storage sa(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
	}
	return ss;
}

static const char *refuses(const struct webhook_policy *p, const char *text)
{
	struct sockaddr_storage ss = sa(text);
	return webhook_policy_refuses(p, (struct sockaddr *)&ss);
}

static void allow_list(void **state)
{
	struct webhook_policy *p = NULL;
	struct err_detail e;
	assert_int_equal(webhook_policy_new("", &p, &e), ERR_OK);
	assert_string_equal(refuses(p, "127.0.0.1"), "loopback");
	assert_string_equal(refuses(p, "::ffff:127.0.0.1"), "loopback");
	assert_null(refuses(p, "8.8.8.8"));
	webhook_policy_free(p);

	assert_int_equal(webhook_policy_new("127.0.0.0/8, fd00::/8 10.1.0.0/16", &p, &e), ERR_OK);
	assert_null(refuses(p, "127.0.0.1"));
	assert_null(refuses(p, "::ffff:127.0.0.1")); /* the mapped form of an allowed one */
	assert_null(refuses(p, "fd00::5"));
	assert_null(refuses(p, "10.1.2.3"));
	assert_string_equal(refuses(p, "10.2.0.1"), "private");
	assert_string_equal(refuses(p, "::1"), "loopback");
	assert_string_equal(refuses(p, "169.254.169.254"), "link-local");
	webhook_policy_free(p);

	assert_int_equal(webhook_policy_new("127.0.0.0/8,not-a-net", &p, &e), ERR_INVALID);
	assert_null(p);
	assert_string_equal(e.field, "webhook_allow_networks");
	assert_non_null(strstr(e.message, "'not-a-net'"));
	assert_int_equal(webhook_policy_new("10.0.0.0/33", &p, &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "'10.0.0.0/33'"));
}

static void urls(void **state)
{
	struct webhook_policy *p = NULL;
	struct err_detail e;
	assert_int_equal(webhook_policy_new("", &p, &e), ERR_OK);
	assert_int_equal(webhook_url_check(p, "https://hooks.example.org/a?b=1", "webhook_url", &e),
			 ERR_OK);
	assert_int_equal(webhook_url_check(p, "http://localhost:8080/", "webhook_url", &e),
			 ERR_OK); /* a name: checked at connect */
	assert_int_equal(webhook_url_check(p, "http://8.8.8.8/", "webhook_url", &e), ERR_OK);

	static const struct {
		const char *url, *says;
	} bad[] = {
	    {"http://[::1", "not a valid URL"},
	    {"http://example.org:99999/", "not a valid URL"},
	    {"ftp://example.org/", "not an http or https URL"},
	    {"gopher://example.org/", "not"},
	    {"http://127.0.0.1:8080/", "loopback"},
	    {"http://127.1/", "loopback"},
	    {"http://2130706433/", "loopback"},
	    {"http://[::1]/", "loopback"},
	    {"http://[::ffff:127.0.0.1]/", "loopback"},
	    {"http://169.254.169.254/latest/meta-data/", "link-local"},
	    {"http://[fe80::1%25eth0]/", "link-local"},
	    {"https://10.0.0.1/", "private"},
	    {"http://0.0.0.0/", "unspecified"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		assert_int_equal(webhook_url_check(p, bad[i].url, "webhook_url", &e), ERR_INVALID);
		assert_string_equal(e.field, "webhook_url");
		if (!strstr(e.message, bad[i].says))
			fail_msg("%s: %s", bad[i].url, e.message);
		assert_non_null(strstr(e.message, "webhook_url: "));
	}
	webhook_policy_free(p);

	assert_int_equal(webhook_policy_new("127.0.0.0/8", &p, &e), ERR_OK);
	assert_int_equal(webhook_url_check(p, "http://127.0.0.1:8080/", "webhook_url", &e), ERR_OK);
	assert_int_equal(webhook_url_check(p, "http://[::ffff:127.0.0.1]/", "webhook_url", &e),
			 ERR_OK);
	assert_int_equal(webhook_url_check(p, "http://[::1]/", "webhook_url", &e), ERR_INVALID);
	webhook_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ipv4_classes), cmocka_unit_test(ipv6_classes),
	    cmocka_unit_test(mapped_forms), cmocka_unit_test(allow_list),
	    cmocka_unit_test(urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
