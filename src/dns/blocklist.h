/* The in-memory listing set served over DNS: IPv4 addresses and CIDRs, IPv6
 * addresses and prefixes, domains (exact and wildcard, as rbldnsd's dnset).
 * Each listing carries an A code (answered as 127.0.0.<code>) and a TXT reason.
 *
 * Layout: one immutable snapshot ("view") = a sorted base + a small sorted
 * delta, one array pair per (family, prefix length). Readers never lock: they
 * announce the epoch they entered in their own reader slot, load the view
 * pointer, search, and leave (QSBR, as userspace RCU). Writers build a new
 * delta (and, when the delta grows past a fraction of the base, a new merged
 * base) off to the side, swap the view pointer atomically, wait for a grace
 * period (every reader that could hold the old view has left), then free it.
 * See docs/internals/dnsbl.md.
 *
 * Threads: any number of reader threads, each with its own dnsbl_reader; the
 * writer side (batches, commit, foreach) is serialised by an internal mutex,
 * so any thread may call it, one at a time in effect. Commit waits for the
 * readers to leave the old view (microseconds: a lookup is a few hundred ns). */
#ifndef ATALAYA_DNS_BLOCKLIST_H
#define ATALAYA_DNS_BLOCKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The category codes answered as 127.0.0.<code> (documented in
 * docs/internals/dnsbl.md). 127.0.0.1 is never answered (RFC 5782 2.1: it
 * would mean "listed" to misconfigured clients querying the test entry). */
enum dnsbl_code {
	DNSBL_CODE_EXCLUDED = 0, /* rbldnsd "!": never listed, overrides a shorter prefix */
	DNSBL_CODE_SPAM = 2,	 /* spam source, from abuse reports (also the RFC 5782 test) */
	DNSBL_CODE_PHISHING = 3, /* phishing / fraud */
	DNSBL_CODE_MALWARE = 4,	 /* malware, botnet, virus */
	DNSBL_CODE_MANUAL = 5,	 /* listed by hand by an administrator */
	DNSBL_CODE_INCIDENT = 9, /* fed from TLP:CLEAR incident indicators meant for blocking */
};

enum dnsbl_kind {
	DNSBL_IP4,
	DNSBL_IP6,
	DNSBL_NAME,	 /* the name itself */
	DNSBL_NAME_WILD, /* every name strictly below `name` (rbldnsd "*.name") */
};

enum { DNSBL_REASON_MAX = 255, DNSBL_MAX_READERS = 64, DNSBL_NAME_SIZE = 254 };

/* One listing, by value. */
struct dnsbl_entry {
	enum dnsbl_kind kind;
	uint8_t addr[16];	    /* network order; IPv4 in addr[0..3]; host bits zero */
	uint8_t plen;		    /* 0..32 (IPv4) or 0..128 (IPv6); unused for names */
	char name[DNSBL_NAME_SIZE]; /* lowercase, no trailing dot (names only) */
	uint8_t code;		    /* enum dnsbl_code or any 2..254; 0 = exclusion */
	const char *reason;	    /* TXT text, may be NULL; copied (interned) on add */
};

/* Parses "192.0.2.1", "192.0.2.0/24", "2001:db8::/64", "2001:db8::1",
 * "example.org", "*.example.org" into e (code and reason untouched). Host bits
 * below the prefix must be zero. Returns ERR_OK or ERR_INVALID with a message
 * in err (may be NULL, size errsz). */
int dnsbl_entry_parse(const char *text, size_t len, struct dnsbl_entry *e, char *err, size_t errsz);
/* Writes the entry's value as text ("192.0.2.0/24", "2001:db8::/64",
 * "*.example.org"; a full-length prefix has no "/n"). Returns the length. */
size_t dnsbl_entry_format(const struct dnsbl_entry *e, char *out, size_t outsz);

struct dnsbl;
struct dnsbl_reader;
struct dnsbl_batch;

/* A new empty set; free with dnsbl_free once no reader or writer uses it. */
struct dnsbl *dnsbl_new(void);
void dnsbl_free(struct dnsbl *bl);

/* A reader slot for one thread (at most DNSBL_MAX_READERS at once); NULL when
 * all are taken. Release it with dnsbl_reader_release before the thread ends. */
struct dnsbl_reader *dnsbl_reader_new(struct dnsbl *bl);
void dnsbl_reader_release(struct dnsbl_reader *r);

struct dnsbl_hit {
	uint8_t code;
	const char *reason; /* interned: valid until dnsbl_free; may be NULL */
	uint8_t plen;	    /* prefix length of the entry that matched (IPs) */
};

/* Lookups. `rd` is the calling thread's slot; NULL is allowed from threads
 * without one (then the writer mutex is taken: slow, for tools and tests).
 * Return true when listed (an exclusion or no entry gives false). The most
 * specific prefix wins; for names the exact entry, then the longest wildcard. */
bool dnsbl_lookup_ip4(struct dnsbl *bl, struct dnsbl_reader *rd, uint32_t addr_host_order,
		      struct dnsbl_hit *hit);
bool dnsbl_lookup_ip6(struct dnsbl *bl, struct dnsbl_reader *rd, const uint8_t addr[16],
		      struct dnsbl_hit *hit);
/* `name` lowercase, dotted, no trailing dot. */
bool dnsbl_lookup_name(struct dnsbl *bl, struct dnsbl_reader *rd, const char *name,
		       struct dnsbl_hit *hit);

/* Is a listed name, or a wildcard, below `name` (or a wildcard at it)? Then
 * `name` is an empty non-terminal of the zone: NODATA, never NXDOMAIN (RFC
 * 8020; a resolver that minimises the QNAME, RFC 9156, asks it first). */
bool dnsbl_name_has_below(struct dnsbl *bl, struct dnsbl_reader *rd, const char *name);

/* Changes are collected in a batch (owned by the caller until committed),
 * then applied at once. The latest change of a value within a batch wins. */
struct dnsbl_batch *dnsbl_batch_new(struct dnsbl *bl);
/* Adds or replaces a listing; the reason is copied. ERR_OK or ERR_INVALID
 * (bad prefix length or host bits, code 1 or 255, reason > 255 bytes). */
int dnsbl_batch_add(struct dnsbl_batch *b, const struct dnsbl_entry *e);
/* Removes the listing with the same kind and value (no-op when absent). */
int dnsbl_batch_remove(struct dnsbl_batch *b, const struct dnsbl_entry *e);
size_t dnsbl_batch_size(const struct dnsbl_batch *b);
/* Applies and frees the batch: visible to lookups started after it returns.
 * Never blocks readers. Returns ERR_OK. */
int dnsbl_commit(struct dnsbl *bl, struct dnsbl_batch *b);
/* Drops a batch without applying it. */
void dnsbl_batch_free(struct dnsbl_batch *b);

/* Number of entries (exclusions included) and a serial that grows by one
 * with every commit (for the SOA). Any thread. */
size_t dnsbl_count(struct dnsbl *bl);
uint32_t dnsbl_serial(struct dnsbl *bl);

/* Calls fn for every entry of the current view, IPv4 then IPv6 then names,
 * each sorted; stops early when fn returns non-zero (and returns that).
 * Holds the writer mutex: commits wait, lookups do not. The entry and its
 * reason are only valid during the call. */
int dnsbl_foreach(struct dnsbl *bl, int (*fn)(const struct dnsbl_entry *e, void *ctx), void *ctx);

/* Bytes held by the current view and the string pool (for stats). */
size_t dnsbl_memory(struct dnsbl *bl);

#endif
