#include "dns/wire.h"

#include <string.h>

void dns_rd_init(struct dns_rd *r, const uint8_t *p, size_t len)
{
	r->base = p;
	r->len = len;
	r->pos = 0;
	r->err = 0;
}

static bool rd_need(struct dns_rd *r, size_t n)
{
	if (r->err || r->len - r->pos < n) {
		r->err = 1;
		return false;
	}
	return true;
}

uint16_t dns_rd_u16(struct dns_rd *r)
{
	uint16_t v;

	if (!rd_need(r, 2))
		return 0;
	v = (uint16_t)(r->base[r->pos] << 8 | r->base[r->pos + 1]);
	r->pos += 2;
	return v;
}

uint32_t dns_rd_u32(struct dns_rd *r)
{
	uint32_t hi = dns_rd_u16(r);

	return hi << 16 | dns_rd_u16(r);
}

void dns_rd_skip(struct dns_rd *r, size_t n)
{
	if (rd_need(r, n))
		r->pos += n;
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Compression pointers must point strictly backwards from where the name
 * being read started; each jump moves to a lower offset, so there is no loop
 * and at most len/2 jumps. */
size_t dns_rd_name(struct dns_rd *r, uint8_t out[DNS_NAME_MAX])
{
	size_t pos, olen = 0, end = 0, limit;
	bool jumped = false;

	if (r->err)
		return 0;
	pos = r->pos;
	limit = r->pos; /* pointers must go below this */
	for (;;) {
		uint8_t c;

		if (pos >= r->len)
			goto bad;
		c = r->base[pos];
		if ((c & 0xC0) == 0xC0) {
			size_t target;

			if (pos + 1 >= r->len)
				goto bad;
			target = (size_t)(c & 0x3F) << 8 | r->base[pos + 1];
			if (!jumped)
				end = pos + 2;
			if (target >= limit)
				goto bad; /* forward pointer or loop */
			limit = target;
			pos = target;
			jumped = true;
			continue;
		}
		if (c & 0xC0)
			goto bad; /* 0x40/0x80: extended or reserved label types */
		if (olen + 1 + c > DNS_NAME_MAX)
			goto bad;
		if (pos + 1 + c > r->len)
			goto bad;
		out[olen++] = c;
		for (size_t i = 0; i < c; i++)
			out[olen++] = lower(r->base[pos + 1 + i]);
		pos += 1 + (size_t)c;
		if (c == 0)
			break;
	}
	r->pos = jumped ? end : pos;
	return olen;
bad:
	r->err = 1;
	return 0;
}

/* Reads the question name again without lowercasing, for the echo. The name
 * already parsed, so no checks are needed beyond bounds. */
static void raw_name(const uint8_t *msg, size_t len, size_t pos, uint8_t *out)
{
	size_t olen = 0;

	while (pos < len && olen < DNS_NAME_MAX) {
		uint8_t c = msg[pos];

		if ((c & 0xC0) == 0xC0) {
			pos = (size_t)(c & 0x3F) << 8 | msg[pos + 1];
			continue;
		}
		memcpy(out + olen, msg + pos, (size_t)c + 1);
		olen += (size_t)c + 1;
		pos += (size_t)c + 1;
		if (c == 0)
			break;
	}
}

static int parse_opt(struct dns_rd *r, struct dns_query *q)
{
	uint16_t cls, rdlen;
	uint32_t ttl;

	cls = dns_rd_u16(r);
	ttl = dns_rd_u32(r);
	rdlen = dns_rd_u16(r);
	dns_rd_skip(r, rdlen);
	if (r->err)
		return DNS_FORMERR;
	if (q->edns)
		return DNS_FORMERR; /* RFC 6891 6.1.1: more than one OPT */
	q->edns = true;
	q->udp_size = cls < DNS_UDP_MIN ? DNS_UDP_MIN : cls;
	q->edns_version = (uint8_t)(ttl >> 16);
	q->edns_do = (ttl & 0x8000) != 0;
	return DNS_NOERROR;
}

int dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q)
{
	struct dns_rd r;
	uint16_t flags, qd, an, ns, ar;
	size_t qname_pos;
	int rc = DNS_NOERROR;

	memset(q, 0, sizeof(*q));
	q->udp_size = DNS_UDP_MIN;
	if (len < DNS_HEADER_LEN)
		return -1;
	dns_rd_init(&r, msg, len);
	q->id = dns_rd_u16(&r);
	flags = dns_rd_u16(&r);
	if (flags & 0x8000)
		return -1; /* a response: never answer it */
	q->opcode = (uint8_t)((flags >> 11) & 0xF);
	q->rd = (flags & 0x0100) != 0;
	q->cd = (flags & 0x0010) != 0;
	qd = dns_rd_u16(&r);
	an = dns_rd_u16(&r);
	ns = dns_rd_u16(&r);
	ar = dns_rd_u16(&r);
	if (q->opcode != 0)
		return DNS_NOTIMP;
	if (qd != 1 || an != 0 || ns != 0)
		return DNS_FORMERR;
	qname_pos = r.pos;
	q->qname_len = dns_rd_name(&r, q->qname);
	q->qtype = dns_rd_u16(&r);
	q->qclass = dns_rd_u16(&r);
	if (r.err)
		return DNS_FORMERR;
	raw_name(msg, len, qname_pos, q->qname_raw);
	q->has_question = true;
	for (uint16_t i = 0; i < ar; i++) {
		uint8_t owner[DNS_NAME_MAX];
		size_t olen = dns_rd_name(&r, owner);
		uint16_t type = dns_rd_u16(&r);

		if (r.err)
			return DNS_FORMERR;
		if (type == DNS_T_OPT) {
			if (olen != 1)
				return DNS_FORMERR; /* OPT owner must be the root */
			rc = parse_opt(&r, q);
			if (rc)
				return rc;
			continue;
		}
		dns_rd_skip(&r, 6); /* class, ttl */
		dns_rd_skip(&r, dns_rd_u16(&r));
		if (r.err)
			return DNS_FORMERR;
	}
	if (r.pos != len)
		return DNS_FORMERR; /* trailing garbage */
	if (q->edns && q->edns_version > 0)
		return DNS_BADVERS;
	switch (q->qclass) {
	case DNS_C_IN: break;
	case DNS_C_CH:
	case DNS_C_HS:
	case DNS_C_ANY: return DNS_REFUSED;
	default: return DNS_NOTIMP;
	}
	if (q->qtype == DNS_T_AXFR || q->qtype == DNS_T_IXFR)
		return DNS_NOTIMP;
	if (q->qtype == DNS_T_OPT)
		return DNS_FORMERR;
	return DNS_NOERROR;
}

static bool plain_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '*';
}

size_t dns_name_to_text(const uint8_t *name, size_t len, char *out, size_t outsz)
{
	size_t o = 0, i = 0;

	if (outsz < 2)
		return 0;
	if (len <= 1) {
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	while (i < len && name[i] != 0) {
		uint8_t l = name[i++];

		if (o) {
			if (o + 1 >= outsz)
				return 0;
			out[o++] = '.';
		}
		for (uint8_t k = 0; k < l && i < len; k++, i++) {
			uint8_t c = name[i];

			if (plain_char(c)) {
				if (o + 1 >= outsz)
					return 0;
				out[o++] = (char)c;
			} else {
				if (o + 4 >= outsz)
					return 0;
				snprintf(out + o, 5, "\\%03u", c);
				o += 4;
			}
		}
	}
	out[o] = '\0';
	return o;
}

size_t dns_name_from_text(const char *text, uint8_t out[DNS_NAME_MAX])
{
	size_t o = 0, n = strlen(text);
	const char *p = text, *end = text + n;

	if (n == 1 && text[0] == '.') {
		out[0] = 0;
		return 1;
	}
	if (n > 0 && text[n - 1] == '.')
		end--;
	if (p == end)
		return 0;
	while (p < end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t l = dot ? (size_t)(dot - p) : (size_t)(end - p);

		if (l == 0 || l > DNS_LABEL_MAX || o + 1 + l + 1 > DNS_NAME_MAX)
			return 0;
		out[o++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++)
			out[o++] = lower((uint8_t)p[i]);
		p += l + (dot ? 1 : 0);
		if (dot && p == end)
			return 0; /* "a..": empty label at the end */
	}
	out[o++] = 0;
	return o;
}

static void wr_need(struct dns_wr *w, size_t n, uint8_t **at)
{
	*at = NULL;
	if (w->full || w->cap - w->pos < n) {
		w->full = true;
		return;
	}
	*at = w->p + w->pos;
	w->pos += n;
}

void dns_wr_u8(struct dns_wr *w, uint8_t v)
{
	uint8_t *at;

	wr_need(w, 1, &at);
	if (at)
		at[0] = v;
}

void dns_wr_u16(struct dns_wr *w, uint16_t v)
{
	uint8_t *at;

	wr_need(w, 2, &at);
	if (at) {
		at[0] = (uint8_t)(v >> 8);
		at[1] = (uint8_t)v;
	}
}

void dns_wr_u32(struct dns_wr *w, uint32_t v)
{
	dns_wr_u16(w, (uint16_t)(v >> 16));
	dns_wr_u16(w, (uint16_t)v);
}

void dns_wr_bytes(struct dns_wr *w, const void *p, size_t n)
{
	uint8_t *at;

	wr_need(w, n, &at);
	if (at && n)
		memcpy(at, p, n);
}

void dns_wr_patch16(struct dns_wr *w, size_t off, uint16_t v)
{
	if (off + 2 > w->pos)
		return;
	w->p[off] = (uint8_t)(v >> 8);
	w->p[off + 1] = (uint8_t)v;
}

void dns_wr_count(struct dns_wr *w, int section)
{
	size_t off = 6 + 2 * (size_t)section;
	uint16_t v = (uint16_t)(w->p[off] << 8 | w->p[off + 1]);

	dns_wr_patch16(w, off, (uint16_t)(v + 1));
}

void dns_wr_begin(struct dns_wr *w, uint8_t *buf, size_t bufsz, size_t limit,
		  const struct dns_query *q, int rcode)
{
	uint16_t flags = 0x8000 | 0x0400; /* QR, AA */

	w->p = buf;
	w->cap = bufsz < limit ? bufsz : limit;
	w->pos = 0;
	w->full = false;
	w->zone_off = 0;
	flags |= (uint16_t)(q->opcode & 0xF) << 11;
	if (q->rd)
		flags |= 0x0100;
	if (q->cd)
		flags |= 0x0010;
	flags |= (uint16_t)(rcode & 0xF);
	dns_wr_u16(w, q->id);
	dns_wr_u16(w, flags);
	dns_wr_u16(w, q->has_question ? 1 : 0);
	dns_wr_u16(w, 0);
	dns_wr_u16(w, 0);
	dns_wr_u16(w, 0);
	if (q->has_question) {
		dns_wr_bytes(w, q->qname_raw, q->qname_len);
		dns_wr_u16(w, q->qtype);
		dns_wr_u16(w, q->qclass);
	}
}

void dns_wr_set_zone(struct dns_wr *w, size_t qname_zone_off)
{
	w->zone_off = (uint16_t)(DNS_HEADER_LEN + qname_zone_off);
}

void dns_wr_owner_qname(struct dns_wr *w)
{
	dns_wr_u16(w, 0xC000 | DNS_HEADER_LEN);
}

void dns_wr_name(struct dns_wr *w, const uint8_t *name, size_t len, const uint8_t *zone,
		 size_t zone_len)
{
	if (w->zone_off && zone && zone_len > 1 && len >= zone_len &&
	    memcmp(name + len - zone_len, zone, zone_len) == 0) {
		/* the prefix must end on a label boundary: walk the labels */
		size_t i = 0;

		while (i < len - zone_len && name[i])
			i += (size_t)name[i] + 1;
		if (i == len - zone_len) {
			dns_wr_bytes(w, name, i);
			dns_wr_u16(w, (uint16_t)(0xC000 | w->zone_off));
			return;
		}
	}
	dns_wr_bytes(w, name, len);
}

void dns_wr_opt(struct dns_wr *w, int rcode)
{
	dns_wr_u8(w, 0); /* root */
	dns_wr_u16(w, DNS_T_OPT);
	dns_wr_u16(w, DNS_EDNS_UDP);
	dns_wr_u8(w, (uint8_t)(rcode >> 4));
	dns_wr_u8(w, 0);  /* version */
	dns_wr_u16(w, 0); /* flags: DO clear, we do not sign */
	dns_wr_u16(w, 0); /* rdlen */
	if (!w->full)
		dns_wr_count(w, 2);
}

void dns_wr_set_rcode(struct dns_wr *w, int rcode)
{
	if (w->pos < DNS_HEADER_LEN)
		return;
	w->p[3] = (uint8_t)((w->p[3] & 0xF0) | (rcode & 0xF));
}

void dns_wr_set_tc(struct dns_wr *w)
{
	if (w->pos >= DNS_HEADER_LEN)
		w->p[2] |= 0x02;
}
