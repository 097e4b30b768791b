/* A report as it travels between nodes: its envelope (origin, scope, hash,
 * signature), the canonical bytes the origin signs (docs/internals/
 * federation.md gives the exact layout, for independent implementations),
 * and the feed page that carries envelopes with their bundles.
 * Pure; any thread. */
#ifndef ATALAYA_FED_ENVELOPE_H
#define ATALAYA_FED_ENVELOPE_H

#include <stdbool.h>
#include <stdint.h>

#include "federation/keys.h"
#include "formats/jdoc.h"
#include "util/buf.h"
#include "util/err.h"

/* "atalaya-report-v1", then each field as a 4-byte big-endian length and
 * its bytes (the header names the order). */
#define FED_SIGNED_PREFIX "atalaya-report-v1"
/* A request to a peer's feed: the same framing with this prefix. */
#define FED_REQUEST_PREFIX "atalaya-request-v1"

#define FED_NAME_MAX 200
#define FED_AUDIENCE_MAX ((size_t)64 << 10)
#define FED_RECIPIENTS_MAX 1000

struct fed_envelope {
	int64_t seq;	    /* its position in the sender's feed (not signed) */
	int64_t origin_seq; /* and in its origin's feed; 0: not known (not signed) */
	unsigned char origin_pk[FED_KEY_BYTES];
	char origin_key[FED_KEY_HEX];	    /* the same, lowercase hex */
	char origin_name[FED_NAME_MAX + 1]; /* the origin node's name */
	int64_t origin_member;		    /* the member that submitted it there */
	char report[48];		    /* "report--<uuid>", its id at the origin */
	int64_t version;		    /* 1: report bytes never change */
	int64_t signed_at;		    /* ms since the epoch */
	char tlp[16];			    /* tlp_name() of the report's TLP */
	char *audience;			    /* the origin's canonical audience text */
	char *recipients;		    /* node keys it names: sorted hex, comma-separated */
	unsigned char sha256[32];	    /* of the bundle bytes */
	uint64_t size;			    /* of the bundle bytes */
	unsigned char sig[FED_SIG_BYTES];   /* the origin's Ed25519 signature */
};

/* The framing of every signed form: a field's length as 4 bytes,
 * big-endian, then its bytes; integers as decimal ASCII. */
int fed_field(struct buf *out, const void *p, size_t n);
int fed_field_int(struct buf *out, int64_t v);
int fed_field_str(struct buf *out, const char *s);

/* Frees audience and recipients. */
void fed_envelope_release(struct fed_envelope *e);

/* The bytes the origin signs (replaces out's content). */
int fed_canonical(const struct fed_envelope *e, struct buf *out);

/* Is e->sig the origin's signature of e (against e->origin_pk)? */
bool fed_envelope_verify(const struct fed_envelope *e);

/* One envelope as a line of JSON (no newline added). */
int fed_envelope_write(const struct fed_envelope *e, struct buf *out);

/* The last line of a feed page. */
struct fed_trailer {
	int64_t cursor;	   /* where the next page starts */
	bool more;	   /* another page is ready now */
	int64_t pending;   /* envelopes after this page */
	int64_t oldest_ms; /* signed_at of the oldest of them; 0 when none */
	char contacts[64]; /* changes when the contacts shared with the caller do */
	int64_t sightings; /* the latest of our signed sightings for the caller (0: none) */
	char defer[17];	   /* the page stops before a report of this origin (the first
			    * 16 hex digits of its key), which the caller said it pulls
			    * itself ("!" in X-Atalaya-Have); "" when not */
};

int fed_trailer_write(const struct fed_trailer *t, struct buf *out);

/* What a feed's caller holds from each origin it pulls directly (the
 * X-Atalaya-Have header: "<first 16 hex of its key>:<cursor in its feed>",
 * comma-separated, at most FED_HAVE_MAX): a relay skips those reports. A
 * "!" after the cursor: the caller pulls that origin without trouble, and
 * would rather take what it lacks of it from there (the page stops before
 * it: fed_trailer.defer). */
#define FED_HAVE_MAX 64
#define FED_HAVE_MAX_TEXT "64"
struct fed_have {
	char key[FED_HAVE_MAX][17];
	int64_t upto[FED_HAVE_MAX];
	bool direct[FED_HAVE_MAX];
	size_t n;
};

/* Parses the header (NULL: empty); false when it is malformed. */
bool fed_have_parse(const char *h, struct fed_have *hv);

/* A feed page: lines of envelope JSON each followed by "\n", its bundle's
 * `size` bytes and "\n"; then the trailer line. Reads the item at *pos:
 * an envelope (ERR_OK, *bundle pointing into `page`; the caller releases
 * e) or the trailer (ERR_OK, *bundle NULL). `doc` parses each line (its
 * values are gone at the next call). Any malformation: ERR_SYNTAX or
 * ERR_INVALID with the field, and nothing filled. */
int fed_feed_next(struct jdoc *doc, const char *page, size_t len, size_t *pos,
		  struct fed_envelope *e, const char **bundle, struct fed_trailer *t,
		  struct err_detail *err);

/* The bytes a node signs to ask `server_key` for its feed from `cursor`. */
int fed_request_canonical(const char *method, const char *path, int64_t cursor, int64_t time_ms,
			  const char *server_key, struct buf *out);

#endif
