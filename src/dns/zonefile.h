/* Import and export of listings in rbldnsd's formats (ip4set, ip6trie,
 * dnset), CSV (value,code,reason) and plain text (one value per line), so an
 * operator can move an rbldnsd list to atalaya and back.
 *
 * Pure functions over caller buffers; any thread. See docs/internals/dnsbl.md
 * for the accepted syntax. */
#ifndef ATALAYA_DNS_ZONEFILE_H
#define ATALAYA_DNS_ZONEFILE_H

#include "dns/blocklist.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>

enum dnsbl_zone_format {
	DNSBL_FMT_IP4SET,
	DNSBL_FMT_IP6TRIE,
	DNSBL_FMT_DNSET,
	DNSBL_FMT_CSV,
	DNSBL_FMT_PLAIN,
};

/* "ip4set", "ip6trie", "dnset", "csv", "plain". ERR_OK or ERR_INVALID. */
int dnsbl_zone_format_parse(const char *name, enum dnsbl_zone_format *fmt);
const char *dnsbl_zone_format_name(enum dnsbl_zone_format fmt);

/* Parses data (len bytes, any line endings) and calls fn for each entry;
 * the entry and its reason live only during the call. Entries without a
 * value of their own take the file's ":A:TXT" default line, else
 * default_code and default_reason (may be NULL). An ip4set range a-b calls fn
 * once per CIDR that covers it. Stops at the first bad line with ERR_SYNTAX
 * and d->field = "line N", d->message saying what is wrong; or returns what
 * fn returned if non-zero. */
int dnsbl_zone_import(const char *data, size_t len, enum dnsbl_zone_format fmt,
		      uint8_t default_code, const char *default_reason,
		      int (*fn)(const struct dnsbl_entry *e, void *ctx), void *ctx,
		      struct err_detail *d);

/* Imports straight into a blocklist as one batch (nothing is applied when a
 * line is bad). *count (may be NULL) gets the number of entries read. */
int dnsbl_zone_load(struct dnsbl *bl, const char *data, size_t len, enum dnsbl_zone_format fmt,
		    uint8_t default_code, const char *default_reason, size_t *count,
		    struct err_detail *d);

/* Appends one entry as a line of the format (a line for each kind the
 * format can hold; other kinds are skipped and return ERR_OK). ERR_TOO_LARGE
 * when out is full. */
int dnsbl_zone_write_entry(struct buf *out, enum dnsbl_zone_format fmt,
			   const struct dnsbl_entry *e);

/* Writes every entry of bl that the format can hold to f (a header comment
 * first). ERR_OK or ERR_IO. Holds bl's writer mutex while it runs. */
int dnsbl_zone_export(struct dnsbl *bl, enum dnsbl_zone_format fmt, FILE *f);

#endif
