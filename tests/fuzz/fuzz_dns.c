/* libFuzzer target: the DNS query parser and the responder on a small fixed
 * blocklist, over UDP and TCP limits. The answer must always parse back. */
#include "dns/blocklist.h"
#include "dns/server.h"
#include "dns/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dnsbl *bl;
static struct dnsbl_responder *resp;

static void add(const char *text, uint8_t code, const char *reason)
{
	struct dnsbl_batch *b = dnsbl_batch_new(bl);
	struct dnsbl_entry e;

	memset(&e, 0, sizeof(e));
	if (dnsbl_entry_parse(text, strlen(text), &e, NULL, 0) == 0) {
		e.code = code;
		e.reason = reason;
		dnsbl_batch_add(b, &e);
	}
	dnsbl_commit(bl, b);
}

static void init(void)
{
	struct dnsbl_server_config cfg = {.zone = "bl.example.org",
					  .lookup_url = "https://n.example/l?q=%s"};

	bl = dnsbl_new();
	add("198.51.100.7", 3, "reason $ here");
	add("203.0.113.0/24", 2, NULL);
	add("2001:db8::/64", 4, "v6");
	add("spam.example", 5, "name");
	add("*.evil.example", 9, "wild");
	dnsbl_responder_new(&cfg, bl, &resp, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	struct dns_query q;

	if (!bl)
		init();
	dns_query_parse(data, size, &q);
	for (int tcp = 0; tcp < 2; tcp++) {
		size_t n = dnsbl_respond(resp, NULL, data, size, tcp, out, sizeof(out));

		if (n) {
			struct dns_query back;

			/* our answer is a response: the parser drops it */
			if (n < DNS_HEADER_LEN || !(out[2] & 0x80) ||
			    dns_query_parse(out, n, &back) != -1)
				__builtin_trap();
			if (!tcp && n > DNS_EDNS_UDP)
				__builtin_trap();
		}
	}
	return 0;
}
