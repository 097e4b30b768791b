/* DNS wire format: a read cursor with a sticky error (Knot's wire_ctx), the
 * parser of one query (RFC 1035 header and question, RFC 6891 EDNS0 OPT) and a
 * response writer with name compression and truncation.
 *
 * Everything here is pure: no allocation, no globals. Any thread may call any
 * function on its own structures. */
#ifndef ATALAYA_DNS_WIRE_H
#define ATALAYA_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	DNS_HEADER_LEN = 12,
	DNS_NAME_MAX = 255, /* wire length, root label included */
	DNS_LABEL_MAX = 63,
	DNS_UDP_MIN = 512,   /* payload without EDNS0 */
	DNS_EDNS_UDP = 1232, /* payload we advertise and cap to (DNS flag day 2020) */
	DNS_TCP_MAX = 65535,
};

enum dns_rcode {
	DNS_NOERROR = 0,
	DNS_FORMERR = 1,
	DNS_SERVFAIL = 2,
	DNS_NXDOMAIN = 3,
	DNS_NOTIMP = 4,
	DNS_REFUSED = 5,
	DNS_BADVERS = 16, /* extended: needs an OPT record */
};

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_SOA = 6,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_OPT = 41,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_ANY = 255,
};

enum dns_class { DNS_C_IN = 1, DNS_C_CH = 3, DNS_C_HS = 4, DNS_C_NONE = 254, DNS_C_ANY = 255 };

/* Read cursor. Reads past the end set `err` and return zero; later reads keep
 * failing. Check `err` once at the end. */
struct dns_rd {
	const uint8_t *base;
	size_t len;
	size_t pos;
	int err;
};

void dns_rd_init(struct dns_rd *r, const uint8_t *p, size_t len);
uint16_t dns_rd_u16(struct dns_rd *r);
uint32_t dns_rd_u32(struct dns_rd *r);
void dns_rd_skip(struct dns_rd *r, size_t n);
/* Reads a possibly compressed name at the cursor into out[DNS_NAME_MAX] in
 * uncompressed wire form, lowercased; returns its length (0 and `err` set on a
 * malformed name: pointer loop, forward pointer, label > 63, name > 255,
 * reserved label type, truncation). The cursor moves past the name as stored. */
size_t dns_rd_name(struct dns_rd *r, uint8_t out[DNS_NAME_MAX]);

/* A parsed query. qname is lowercased; qname_raw is the question name as sent
 * (for echoing case, e.g. 0x20 randomisation). */
struct dns_query {
	uint16_t id;
	uint8_t opcode;
	bool rd;
	bool cd;
	uint16_t qtype;
	uint16_t qclass;
	uint8_t qname[DNS_NAME_MAX];
	size_t qname_len;
	uint8_t qname_raw[DNS_NAME_MAX];
	bool has_question; /* the question parsed (even if the query is refused) */
	bool edns;	   /* an OPT record was present */
	uint8_t edns_version;
	bool edns_do;
	uint16_t udp_size; /* requester's payload size, >= DNS_UDP_MIN */
};

/* Parses one query. Returns:
 *   -1 when nothing must be sent back (shorter than a header, or QR set),
 *   DNS_NOERROR when `q` holds a question this server may answer (class IN,
 *     opcode QUERY), or the rcode to answer with: DNS_FORMERR (QDCOUNT != 1,
 *     answer/authority records, bad name, trailing garbage, bad OPT),
 *     DNS_NOTIMP (opcode, unknown class, AXFR/IXFR), DNS_REFUSED (class CH, HS,
 *     ANY), DNS_BADVERS (EDNS version > 0).
 * `q` is filled as far as parsing got: the id always, the question when
 * `has_question`. */
int dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q);

/* Writes a name given in uncompressed wire form as text ("www.example.org",
 * "." for the root) into out; returns the text length or 0 if it does not
 * fit. Bytes other than letters, digits, '-' and '_' are written as \DDD. */
size_t dns_name_to_text(const uint8_t *name, size_t len, char *out, size_t outsz);
/* Converts text ("Example.ORG", trailing dot optional) to lowercased wire
 * form. Returns the wire length, or 0 for an empty label, a label > 63 or a
 * name > 255. */
size_t dns_name_from_text(const char *text, uint8_t out[DNS_NAME_MAX]);

/* Response writer over a caller buffer. `limit` is where an answer must stop
 * (the UDP payload size or 65535 over TCP); past it the writer sets `tc`.
 * The caller rolls back to a mark and sets TC itself, see dns_wr_mark. */
struct dns_wr {
	uint8_t *p;
	size_t cap; /* min(buffer size, limit) */
	size_t pos;
	bool full;	   /* a write did not fit: the message must be truncated */
	uint16_t zone_off; /* offset of the zone apex inside the echoed qname, or 0 */
};

/* Starts a response to `q` (id, opcode, RD, CD copied; QR and AA set) with the
 * question echoed if q->has_question. */
void dns_wr_begin(struct dns_wr *w, uint8_t *buf, size_t bufsz, size_t limit,
		  const struct dns_query *q, int rcode);
/* Records the offset where the zone apex starts inside the echoed qname, so
 * that owner names and rdata names under the zone compress to it. */
void dns_wr_set_zone(struct dns_wr *w, size_t qname_zone_off);
/* Writes an owner name: the qname (as a pointer to offset 12) */
void dns_wr_owner_qname(struct dns_wr *w);
/* Writes a name (wire form, lowercase) compressing a suffix equal to the zone. */
void dns_wr_name(struct dns_wr *w, const uint8_t *name, size_t len, const uint8_t *zone,
		 size_t zone_len);
void dns_wr_u8(struct dns_wr *w, uint8_t v);
void dns_wr_u16(struct dns_wr *w, uint16_t v);
void dns_wr_u32(struct dns_wr *w, uint32_t v);
void dns_wr_bytes(struct dns_wr *w, const void *p, size_t n);
/* Patches a 16-bit value at an earlier offset (RDLENGTH). */
void dns_wr_patch16(struct dns_wr *w, size_t off, uint16_t v);
/* Adds 1 to ANCOUNT (section 0), NSCOUNT (1) or ARCOUNT (2). */
void dns_wr_count(struct dns_wr *w, int section);
/* Appends the OPT record of our answer (payload DNS_EDNS_UDP, version 0) with
 * the extended rcode bits of `rcode`. */
void dns_wr_opt(struct dns_wr *w, int rcode);
/* Sets the header rcode (low 4 bits of `rcode`) and, with `tc`, the TC bit. */
void dns_wr_set_rcode(struct dns_wr *w, int rcode);
void dns_wr_set_tc(struct dns_wr *w);

#endif
