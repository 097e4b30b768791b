/* Abuse report intake: ARF (RFC 5965, multipart/report; report-type=
 * feedback-report), X-ARF 0.2 (multipart/mixed, "X-ARF: yes", YAML report
 * part) and XARF v4 (a JSON report, bare or as an application/json part).
 * MIME is parsed by GMime 3. CRLF, LF and lone CR line endings are accepted.
 *
 * Any thread may call arf_parse (GMime is initialised once, thread-safely;
 * each call uses its own parser). A report is owned by the caller. */
#ifndef ATALAYA_FORMATS_ARF_H
#define ATALAYA_FORMATS_ARF_H

#include "util/arena.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps checked before any MIME work. Zero fields take the defaults. */
struct arf_limits {
	size_t max_message; /* whole mail; default 4 MiB */
	size_t max_header;  /* top-level header block; default 64 KiB */
	size_t max_parts;   /* MIME parts looked at; default 32 */
};

enum arf_format { ARF_FORMAT_ARF = 1, ARF_FORMAT_XARF02, ARF_FORMAT_XARF4 };

enum arf_category {
	ARF_CAT_SPAM = 1,     /* ARF abuse, XARF messaging/spam */
	ARF_CAT_FRAUD,	      /* ARF fraud, phishing */
	ARF_CAT_MALWARE,      /* ARF virus, malware, botnet */
	ARF_CAT_AUTH_FAILURE, /* ARF auth-failure (RFC 6591, DMARC forensic) */
	ARF_CAT_NOT_SPAM,     /* ARF not-spam: a false positive, never counts against a source */
	ARF_CAT_OPT_OUT,      /* ARF opt-out (unsubscribe request) */
	ARF_CAT_OTHER,
};

/* A parsed report. Strings are NUL-terminated and live in `arena`; absent
 * fields are NULL (lists: count 0). */
struct arf_report {
	enum arf_format format;
	const char *feedback_type; /* as given, lowercased: "abuse", "auth-failure", "spam" */
	enum arf_category category;
	const char *user_agent;
	const char *version;
	const char *source_ip;	 /* normalised text form, validated */
	int source_family;	 /* AF_INET, AF_INET6, or 0 when absent */
	uint8_t source_addr[16]; /* network order; IPv4 in the first 4 bytes */
	int64_t arrival_ms;	 /* Arrival-Date / Received-Date / Date, ms since epoch */
	bool has_arrival;
	const char *original_mail_from;
	const char **original_rcpt_to;
	size_t n_original_rcpt_to;
	const char **reported_domains;
	size_t n_reported_domains;
	const char **reported_uris;
	size_t n_reported_uris;
	const char *auth_results;
	long incidents;	      /* Incidents: field, 1 when absent */
	const char *reporter; /* X-ARF Reported-From / XARF reporter.org, else NULL */
	/* The original message (message/rfc822) or its headers (text/rfc822-headers)
	 * with LF line endings, or NULL when the report carried none. */
	const char *original;
	size_t original_len;
	bool original_headers_only;
	/* The text body of the original, transfer encoding decoded and converted
	 * to UTF-8, for fingerprinting; NULL when there is none. */
	const char *original_body;
	size_t original_body_len;
	bool truncated; /* the MIME structure ended early but the report part was complete */
	struct arena arena;
};

/* Parses one mail (or a bare XARF v4 JSON document). On success *out is a
 * new report, freed with arf_report_free. Errors: ERR_TOO_LARGE (a cap),
 * ERR_SYNTAX (not MIME, bad JSON), ERR_INVALID (not an abuse report, missing
 * or bad field, unknown charset), with d naming what is wrong and where.
 * lim may be NULL for the defaults. */
int arf_parse(const char *data, size_t len, const struct arf_limits *lim, struct arf_report **out,
	      struct err_detail *d);
void arf_report_free(struct arf_report *r);

/* "spam", "fraud", "malware", "auth-failure", "not-spam", "opt-out", "other". */
const char *arf_category_name(enum arf_category c);

#endif
