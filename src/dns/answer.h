/* DNSBL answers, inside src/dns/: what server.c (the UDP/TCP transport)
 * needs of answer.c besides the public dnsbl_respond of server.h, namely
 * the outcome of each answer for its counters. Any thread. */
#ifndef ATALAYA_DNS_ANSWER_H
#define ATALAYA_DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/blocklist.h"

struct dnsbl_responder;

/* What an answer was, for the counters. */
enum dnsbl_result {
	DNSBL_RES_LISTED,     /* a listed value (any type) */
	DNSBL_RES_NOT_LISTED, /* NXDOMAIN: a value not listed */
	DNSBL_RES_PARTIAL,    /* NODATA: a prefix of address names (empty non-terminal) */
	DNSBL_RES_APEX,	      /* SOA, NS or other type at the apex */
	DNSBL_RES_REFUSED,    /* outside the zone, class CH/HS/ANY */
	DNSBL_RES_FORMERR,
	DNSBL_RES_NOTIMP,
	DNSBL_RES_BADVERS,
	DNSBL_RES_DROPPED, /* nothing sent: not a query */
	DNSBL_NRES
};

enum dnsbl_qtype {
	DNSBL_QT_A,
	DNSBL_QT_TXT,
	DNSBL_QT_ANY,
	DNSBL_QT_SOA,
	DNSBL_QT_NS,
	DNSBL_QT_AAAA,
	DNSBL_QT_OTHER,
	DNSBL_NQT
};

/* Their names in the metrics: "listed"..., "A"... */
extern const char *const dnsbl_result_names[DNSBL_NRES];
extern const char *const dnsbl_qtype_names[DNSBL_NQT];

/* dnsbl_respond (server.h), also saying what the answer was (*res) and the
 * question's type (*qt; DNSBL_NQT when there was no question). */
size_t dnsbl_answer(struct dnsbl_responder *r, struct dnsbl_reader *rd, const uint8_t *qbuf,
		    size_t qlen, bool tcp, uint8_t *out, size_t outsz, enum dnsbl_result *res,
		    enum dnsbl_qtype *qt);

#endif
