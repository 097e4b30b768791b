/* Observables: the values that reports share (addresses, networks, domains, URLs,
 * e-mail addresses, file hashes, AS numbers), brought to one canonical text so that
 * equal things compare equal byte for byte, plus their decay score.
 *
 * Every function here is pure (no global state apart from libpsl's built-in list,
 * which is read-only): any thread may call them at any time. */
#ifndef ATALAYA_OBSERVABLE_H
#define ATALAYA_OBSERVABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/canonical.h"
#include "util/err.h"

enum obs_kind {
	OBS_AUTO = 0, /* as a hint: guess the kind from the text; never a result */
	OBS_IPV4,     /* an address or a CIDR */
	OBS_IPV6,     /* an address or a CIDR; IPv4-mapped values become OBS_IPV4 */
	OBS_DOMAIN,
	OBS_URL,
	OBS_EMAIL,
	OBS_HASH,
	OBS_ASN,
	OBS_KIND_COUNT,
};

enum obs_hash_alg {
	OBS_HASH_ANY = 0, /* as an input: tell from the length (SHA-256 for 64 digits) */
	OBS_HASH_MD5,
	OBS_HASH_SHA1,
	OBS_HASH_SHA256,
	OBS_HASH_SHA512,
	OBS_HASH_SHA3_256,
	OBS_HASH_SHA3_512,
};

/* Caps, checked before any work: a longer value is refused with ERR_TOO_LARGE. */
#define OBS_INPUT_MAX CAP_OBSERVABLE_INPUT_MAX /* raw text handed to the normaliser */
#define OBS_VALUE_MAX 2048		       /* canonical text (URLs are the long ones) */
#define OBS_DOMAIN_MAX CANON_DOMAIN_MAX	       /* RFC 1035, without the trailing dot */

/* A normalised observable. Embedded, fixed size, no release needed; the struct
 * is large (about 2.4 KiB), so keep it on the stack or in an arena, not in an index. */
struct observable {
	enum obs_kind kind;
	enum obs_hash_alg hash_alg;    /* OBS_HASH only */
	uint8_t family;		       /* 4 or 6 for OBS_IPV4/OBS_IPV6 and for URLs whose host is
					* an address; 0 otherwise */
	uint8_t prefix_len;	       /* 32 or 128 for a single address */
	uint8_t addr[16];	       /* network order, IPv4 in addr[0..3], host bits zero */
	uint32_t asn;		       /* OBS_ASN */
	size_t len;		       /* of value */
	char value[OBS_VALUE_MAX + 1]; /* canonical text, NUL-terminated */
	/* The host part inside `value`: the domain itself, a URL's host (domain or address
	 * text, without brackets or port), an e-mail's domain. host_len 0 for other kinds. */
	size_t host_off, host_len;
	/* The registered domain of that host per the Public Suffix List (libpsl's built-in
	 * list): "example.co.uk" for "a.b.example.co.uk"; "" when the host is an address or
	 * itself a public suffix. */
	char registered[OBS_DOMAIN_MAX + 1];
};

/* Canonical forms:
 *   IPv4       dotted quad, no leading zeros ("1.2.3.4"); CIDR "1.2.3.0/24", "/32" dropped
 *   IPv6       RFC 5952 ("2001:db8::1", lowercase, longest zero run compressed);
 *              CIDR "2001:db8::/32", "/128" dropped; "::ffff:a.b.c.d" becomes IPv4
 *   domain     lowercase A-labels (IDNA2008, UTS #46 non-transitional), no trailing dot
 *   URL        scheme and host lowercased, host as a domain or an address, default port
 *              dropped (http 80, https 443, ftp 21, ws 80, wss 443), percent-encoding
 *              normalised (unreserved characters decoded, hex uppercased, unsafe bytes
 *              encoded), empty path "/", fragment removed
 *   e-mail     local part kept as is, "@", the domain normalised
 *   hash       lowercase hex, length checked for the algorithm
 *   ASN        "AS64500" (accepts "64500", "as64500", asdot "AS1.10")
 * Surrounding ASCII white space is ignored.
 *
 * `hint` is the kind the caller expects, or OBS_AUTO to guess (order: "scheme://" URL,
 * '@' e-mail, "AS"/digits ASN, ':' IPv6, numeric last label IPv4, 32/40/64/128 hex digits
 * hash, otherwise domain). Returns ERR_OK and fills `out`, or ERR_INVALID / ERR_TOO_LARGE
 * with `err` (may be NULL) naming the value and the reason:
 * "'300.1.2.3': not an IPv4 address (300 is over 255)". */
int observable_normalise(enum obs_kind hint, const char *value, size_t len, struct observable *out,
			 struct err_detail *err);

/* Same for a hash whose algorithm is known (STIX "hashes.'SHA-256'"): the length must
 * match `alg`. OBS_HASH_ANY guesses from the length like observable_normalise. */
int observable_normalise_hash(enum obs_hash_alg alg, const char *value, size_t len,
			      struct observable *out, struct err_detail *err);

/* Returned by observable_from_stix for a comparison the index cannot use. Not an error:
 * the caller stores the pattern and reports it as not indexed. */
#define OBS_NOT_INDEXABLE 1

/* Maps one STIX pattern comparison, e.g. [ipv4-addr:value ISSUBSET '198.51.100.0/24'],
 * to an observable: object_type "ipv4-addr", property_path "value", op "ISSUBSET",
 * literal "'198.51.100.0/24'" (a quoted STIX string, with \' and \\ escapes, or a bare
 * number or word). `op` is the comparison operator without a leading NOT.
 * Indexed: ipv4-addr / ipv6-addr value (= or ISSUBSET), domain-name value, url value,
 * email-addr value, email-message from_ref.value / sender_ref.value, autonomous-system
 * number, file / artifact hashes.<MD5|SHA-1|SHA-256|SHA-512|SHA3-256|SHA3-512>,
 * network-traffic src_ref.value / dst_ref.value (address or domain), all with "=".
 * Returns ERR_OK with `out` filled; OBS_NOT_INDEXABLE with the reason in
 * `why->message` (why->code stays ERR_OK); or ERR_INVALID when the comparison is
 * indexable but the literal is not a valid value ("'300.1.2.3': not an IPv4 address"). */
int observable_from_stix(const char *object_type, const char *property_path, const char *op,
			 const char *literal, size_t literal_len, struct observable *out,
			 struct err_detail *why);

/* "ipv4", "ipv6", "domain", "url", "email", "hash", "asn" ("auto" for OBS_AUTO). */
const char *observable_kind_name(enum obs_kind k);

/* Writes the canonical text of an address or CIDR (family 4 or 6) into out, which must
 * hold at least OBS_IP_TEXT_MAX bytes; returns the length. canon_ip_format's. */
#define OBS_IP_TEXT_MAX CANON_IP_TEXT_MAX
size_t observable_format_ip(int family, const uint8_t addr[16], unsigned prefix_len, char *out);

/* Decay. score = 100 * boost(sightings) * 2^(-age / half_life(kind)), where
 * age = max(0, now_ms - last_seen_ms), boost(s) = min(1, 0.5 + 0.25 * log2(max(s, 1))),
 * and half-lives are 14 days for addresses and networks, 30 days for URLs, 60 for
 * domains, 90 for e-mail addresses, 180 for ASNs, 365 for file hashes
 * (docs/internals/index.md explains the choice). The result is in [0, 100]. */
double observable_score(int64_t now_ms, int64_t last_seen_ms, uint32_t sightings,
			enum obs_kind kind);
/* Below this score an observable has expired: it stays queryable but raises no alert. */
#define OBS_SCORE_EXPIRED 10.0
bool observable_expired(double score);
/* Half-life of a kind in milliseconds (for callers that show it). */
int64_t observable_half_life_ms(enum obs_kind kind);

#endif
