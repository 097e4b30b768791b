/* The DNS message parser and writer: RFC 1035 header and names, RFC 6891 OPT. */
#include <setjmp.h>
#include <cmocka.h>

#include "dns/wire.h"

struct msg {
	uint8_t b[1024];
	size_t n;
};

static void put16(struct msg *m, uint16_t v)
{
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

static void header(struct msg *m, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
		   uint16_t ar)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* Writes a name as given, case kept. */
static void name(struct msg *m, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		m->b[m->n++] = (uint8_t)l;
		memcpy(m->b + m->n, p, l);
		m->n += l;
		p += l + (dot ? 1 : 0);
	}
	m->b[m->n++] = 0;
}

static void query(struct msg *m, const char *qname, uint16_t qtype, uint16_t qclass)
{
	header(m, 0x0100, 1, 0, 0, 0);
	name(m, qname);
	put16(m, qtype);
	put16(m, qclass);
}

static void opt(struct msg *m, uint16_t size, uint8_t version)
{
	m->b[m->n++] = 0;
	put16(m, DNS_T_OPT);
	put16(m, size);
	m->b[m->n++] = 0;
	m->b[m->n++] = version;
	put16(m, 0x8000);
	put16(m, 0);
	m->b[11]++; /* ARCOUNT */
}

static void parses_a_plain_query(void **state)
{
	struct msg m;
	struct dns_query q;

	query(&m, "2.0.0.127.BL.Example.ORG", DNS_T_A, DNS_C_IN);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_NOERROR);
	assert_int_equal(q.id, 0x1234);
	assert_true(q.rd);
	assert_int_equal(q.qtype, DNS_T_A);
	assert_false(q.edns);
	assert_int_equal(q.udp_size, 512);
	char text[300];
	assert_true(dns_name_to_text(q.qname, q.qname_len, text, sizeof(text)) > 0);
	assert_string_equal(text, "2.0.0.127.bl.example.org");
	/* the raw copy keeps the case for the echo */
	assert_memory_equal(q.qname_raw + 11, "BL", 2);
}

static void drops_short_messages_and_responses(void **state)
{
	struct msg m;
	struct dns_query q;

	query(&m, "a.example", DNS_T_A, DNS_C_IN);
	assert_int_equal(dns_query_parse(m.b, 11, &q), -1);
	assert_int_equal(dns_query_parse(m.b, 0, &q), -1);
	m.b[2] |= 0x80; /* QR */
	assert_int_equal(dns_query_parse(m.b, m.n, &q), -1);
}

static void rejects_bad_counts_and_truncation(void **state)
{
	struct msg m;
	struct dns_query q;

	header(&m, 0, 0, 0, 0, 0);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
	query(&m, "a.example", DNS_T_A, DNS_C_IN);
	m.b[5] = 2; /* QDCOUNT 2 */
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
	query(&m, "a.example", DNS_T_A, DNS_C_IN);
	m.b[7] = 1; /* ANCOUNT 1 */
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
	query(&m, "a.example", DNS_T_A, DNS_C_IN);
	assert_int_equal(dns_query_parse(m.b, m.n - 1, &q), DNS_FORMERR); /* cut class */
	assert_int_equal(dns_query_parse(m.b, 15, &q), DNS_FORMERR);	  /* cut name */
	query(&m, "a.example", DNS_T_A, DNS_C_IN);
	m.b[m.n++] = 0; /* trailing garbage */
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
}

static void rejects_pointer_loops_and_forward_pointers(void **state)
{
	struct msg m;
	struct dns_query q;

	/* the question name is a pointer to itself */
	header(&m, 0, 1, 0, 0, 0);
	put16(&m, 0xC00C);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
	/* a label then a pointer back into that label: a loop */
	header(&m, 0, 1, 0, 0, 0);
	m.b[m.n++] = 1;
	m.b[m.n++] = 'a';
	put16(&m, 0xC00C);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
	/* a forward pointer */
	header(&m, 0, 1, 0, 0, 0);
	put16(&m, 0xC012);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	name(&m, "x.example");
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
	/* reserved label types 0x40 and 0x80 */
	header(&m, 0, 1, 0, 0, 0);
	m.b[m.n++] = 0x41;
	m.b[m.n++] = 0;
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
}

static void follows_a_backward_pointer(void **state)
{
	struct msg m;
	struct dns_rd r;
	uint8_t out[DNS_NAME_MAX];

	m.n = 0;
	name(&m, "example.org"); /* at 0 */
	m.b[m.n++] = 3;		 /* "www" + pointer to 0, at 13 */
	memcpy(m.b + m.n, "WWW", 3);
	m.n += 3;
	put16(&m, 0xC000);
	dns_rd_init(&r, m.b, m.n);
	dns_rd_skip(&r, 13);
	assert_int_equal(dns_rd_name(&r, out), 17);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.pos, m.n);
	assert_memory_equal(out, "\3www\7example\3org", 17);
}

static void rejects_long_labels_and_names(void **state)
{
	struct msg m;
	struct dns_query q;
	char big[400];

	header(&m, 0, 1, 0, 0, 0);
	m.b[m.n++] = 64;
	memset(m.b + m.n, 'a', 64);
	m.n += 64;
	m.b[m.n++] = 0;
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
	/* 5 labels of 63: 320 bytes of wire name */
	header(&m, 0, 1, 0, 0, 0);
	for (int i = 0; i < 5; i++) {
		m.b[m.n++] = 63;
		memset(m.b + m.n, 'b', 63);
		m.n += 63;
	}
	m.b[m.n++] = 0;
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
	uint8_t w[DNS_NAME_MAX];
	memset(big, 'a', 64);
	big[64] = '\0';
	assert_int_equal(dns_name_from_text(big, w), 0);
	assert_int_equal(dns_name_from_text("a..b", w), 0);
	assert_int_equal(dns_name_from_text("", w), 0);
	assert_int_equal(dns_name_from_text(".", w), 1);
}

static void classes_and_opcodes(void **state)
{
	struct msg m;
	struct dns_query q;

	query(&m, "a.example", DNS_T_A, DNS_C_CH);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_REFUSED);
	assert_true(q.has_question);
	query(&m, "a.example", DNS_T_A, DNS_C_ANY);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_REFUSED);
	query(&m, "a.example", DNS_T_A, 77);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_NOTIMP);
	query(&m, "a.example", DNS_T_AXFR, DNS_C_IN);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_NOTIMP);
	query(&m, "a.example", DNS_T_A, DNS_C_IN);
	m.b[2] |= 2 << 3; /* opcode STATUS */
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_NOTIMP);
}

static void edns0(void **state)
{
	struct msg m;
	struct dns_query q;

	query(&m, "a.example", DNS_T_TXT, DNS_C_IN);
	opt(&m, 4096, 0);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_NOERROR);
	assert_true(q.edns);
	assert_true(q.edns_do);
	assert_int_equal(q.udp_size, 4096);
	query(&m, "a.example", DNS_T_TXT, DNS_C_IN);
	opt(&m, 100, 0);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_NOERROR);
	assert_int_equal(q.udp_size, 512);
	query(&m, "a.example", DNS_T_TXT, DNS_C_IN);
	opt(&m, 1232, 1);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_BADVERS);
	query(&m, "a.example", DNS_T_TXT, DNS_C_IN);
	opt(&m, 1232, 0);
	opt(&m, 1232, 0);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
	query(&m, "a.example", DNS_T_TXT, DNS_C_IN);
	m.b[11] = 1; /* ARCOUNT 1 but no record */
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_FORMERR);
}

static void writer_echoes_and_truncates(void **state)
{
	struct msg m;
	struct dns_query q;
	struct dns_wr w;
	uint8_t out[64];

	query(&m, "Ab.example", DNS_T_A, DNS_C_IN);
	assert_int_equal(dns_query_parse(m.b, m.n, &q), DNS_NOERROR);
	dns_wr_begin(&w, out, sizeof(out), 512, &q, DNS_NXDOMAIN);
	assert_false(w.full);
	assert_int_equal(w.pos, m.n);
	assert_int_equal(out[2] & 0x80, 0x80); /* QR */
	assert_int_equal(out[2] & 0x04, 0x04); /* AA */
	assert_int_equal(out[2] & 0x01, 0x01); /* RD copied */
	assert_int_equal(out[3] & 0x0F, DNS_NXDOMAIN);
	assert_memory_equal(out + 12, "\2Ab", 3); /* case preserved */
	dns_wr_bytes(&w, out, 40);
	assert_true(w.full);
	assert_int_equal(w.pos, m.n); /* nothing partial written */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_a_plain_query),
	    cmocka_unit_test(drops_short_messages_and_responses),
	    cmocka_unit_test(rejects_bad_counts_and_truncation),
	    cmocka_unit_test(rejects_pointer_loops_and_forward_pointers),
	    cmocka_unit_test(follows_a_backward_pointer),
	    cmocka_unit_test(rejects_long_labels_and_names),
	    cmocka_unit_test(classes_and_opcodes),
	    cmocka_unit_test(edns0),
	    cmocka_unit_test(writer_echoes_and_truncates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
