/* The anti-spam service of a running node (issue 8): it owns the live DNS
 * listing set (struct dnsbl), keeps it equal to the dnsbl_listings table,
 * scores sources from the abuse reports members send, and expires listings as
 * their scores decay.
 *
 * SQLite stays the source of truth. Every change is written in one store
 * transaction and applied to the DNS set as one dnsbl batch right after that
 * transaction commits (a service mutex, always taken before the store's
 * writer lock, keeps the two in the same order). A change is therefore
 * answered over DNS as soon as the call that made it returns.
 *
 * Threads: every function may be called from any HTTP worker; an expiry
 * thread of its own runs between spam_new and spam_free. The DNS threads only
 * read the set (lock-free, see dns/blocklist.h). */
#ifndef ATALAYA_SPAM_SERVICE_H
#define ATALAYA_SPAM_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/blocklist.h"
#include "dns/server.h"
#include "dns/zonefile.h"
#include "formats/arf.h"
#include "node.h"
#include "spam/fingerprint.h"
#include "spam/reputation.h"
#include "util/err.h"

struct spam;

/* Reads the settings of node->cfg (spam_half_life_hours, spam_list_threshold),
 * loads every listing of node->st into a new set, and starts the expiry
 * thread. node->st must be open; node must outlive the service. The caller
 * frees with spam_free. ERR_STORE when the listings cannot be read. */
int spam_new(struct node *node, struct spam **out, struct err_detail *d);
/* Stops the DNS server (if started) and the expiry thread, frees the set.
 * No other thread may call the service any more. NULL is allowed. */
void spam_free(struct spam *s);

/* The live set (owned by the service), for tools and tests. */
struct dnsbl *spam_blocklist(struct spam *s);
/* The scoring parameters in use. */
const struct spam_rep_params *spam_params(struct spam *s);

/* Starts the DNS server of node->cfg->dnsbl_zone on sockets bound earlier
 * (dnsbl_server_bind, before the privileges were dropped); takes the
 * sockets, also on error. TXT answers carry the lookup URL
 * <public_url or http://listen>/api/v1/reputation?value=%s. */
int spam_dns_start(struct spam *s, struct dnsbl_listen *l, struct err_detail *d);

/* For SIGHUP: applies the reloadable DNS settings of a freshly loaded cfg to
 * the running DNS server without dropping a query: dnsbl_zone, dnsbl_ns,
 * dnsbl_soa_*, dnsbl_ttl, dnsbl_ns_ttl, public_url (TXT lookup URL),
 * dns_tcp_idle_ms and dns_tcp_per_address_max. dns_listen, dns_threads and
 * dns_tcp_connections_max need a restart. cfg is only read during the call.
 * A bad value leaves the running settings as they were and returns
 * ERR_INVALID with d naming the setting. ERR_OK when no DNS server runs. Any
 * thread; reloads are serialised. */
int spam_reload_dns_settings(struct spam *s, const struct config *cfg, struct err_detail *d);

/* Appends the DNS query counters (dnsbl_server_metrics) when the DNS server
 * runs; s may be NULL. For GET /metrics. */
void spam_dns_metrics(struct spam *s, struct buf *out);

/* What spam_ingest did with a report. */
struct spam_ingest_result {
	int64_t id;	   /* spam_reports.seq */
	char source[160];  /* the source key scored ("" when the report names none) */
	bool counted;	   /* the category counts against the source */
	double score;	   /* the source's score after this report */
	bool listed;	   /* the source is listed after this report */
	bool newly_listed; /* ... and was not before */
	uint8_t code;	   /* its A code when listed */
	bool has_fp;	   /* the report carried a body to fingerprint */
	struct spam_fp fp;
};

/* Stores a parsed report of `reporter` (one transaction), rescoring its
 * source and listing or updating it; the DNS set follows on return. */
int spam_ingest(struct spam *s, int64_t reporter, const struct arf_report *rep,
		struct spam_ingest_result *res, struct err_detail *d);

/* Distinct members that reported a message similar to `fp` (same body hash,
 * or estimated shingle similarity >= SPAM_SIMILAR): a new JSON object
 * {"members", "other_members", "reports", "exact_reports", "threshold"}.
 * Never discloses the messages or who reported them. */
#define SPAM_SIMILAR 0.5
int spam_fp_lookup(struct spam *s, const struct spam_fp *fp, int64_t caller, json_t **out,
		   struct err_detail *d);

/* The reputation of a value (IPv4, IPv6 address or /64, domain): listing
 * state, and with `detail` the score, report and reporter counts. A new JSON
 * object. ERR_INVALID for a value that is not one of those. */
int spam_reputation(struct spam *s, const char *value, bool detail, json_t **out,
		    struct err_detail *d);

/* Manual listing by an administrator (source 'manual', code
 * DNSBL_CODE_MANUAL unless `code` is 2..254), recorded with its reason. */
int spam_list(struct spam *s, int64_t member, const char *value, int code, const char *reason,
	      struct err_detail *d);
/* A value of an incident indicator, for spam_incident_feed. */
struct spam_incident_value {
	const char *value;
	int64_t expires; /* ms; the listing ends then */
	bool revoked;	 /* the indicator was revoked: remove what it listed */
};

/* Lists the values of TLP:CLEAR incident indicators meant for blocking (source
 * 'incident', code DNSBL_CODE_INCIDENT, reason "incident report ID", member the
 * originator), each until its `expires`; for a revoked indicator, removes the
 * incident listings of that value the same originator made. The caller (the early
 * warning) has asked the policy whether DNS may answer for them. A value already
 * listed in any way, or excluded, is left as it is; a value the list cannot hold is
 * skipped. One transaction; *listed and *removed get the counts. */
int spam_incident_feed(struct spam *s, int64_t originator, const char *report_id,
		       const struct spam_incident_value *v, size_t n, size_t *listed,
		       size_t *removed);
/* Removes the listing of `value` whatever its source, recorded with the
 * reason. ERR_NOT_FOUND when it is not listed. A later report can list a
 * reputation source again. */
int spam_delist(struct spam *s, int64_t member, const char *value, const char *reason,
		struct err_detail *d);
/* Bulk load (source 'import'): nothing is applied when a line is bad. */
int spam_import(struct spam *s, int64_t member, const char *data, size_t len,
		enum dnsbl_zone_format fmt, size_t *count, struct err_detail *d);
/* Records a delisting request (outcome 'pending'); *id gets its id. */
int spam_delisting_request(struct spam *s, int64_t member, const char *value, const char *reason,
			   int64_t *id, struct err_detail *d);
/* An administrator's decision on a request: "accepted" delists the value,
 * "rejected" keeps it. ERR_NOT_FOUND, ERR_CONFLICT when already decided. */
int spam_delisting_decide(struct spam *s, int64_t admin, int64_t id, const char *outcome,
			  const char *reason, struct err_detail *d);

/* Runs one expiry pass now (the thread does it every second): delists the
 * reputation listings whose score has decayed below the delist threshold.
 * *removed (may be NULL) gets how many. */
int spam_expire_now(struct spam *s, size_t *removed);

#endif
