/* Sightings about a report, as objects signed by the node where a member
 * recorded them (the report's origin signs the report; a forwarder signs its
 * own sightings, which name the original and never touch its bytes):
 * POST/GET /api/v1/reports/{id}/sightings here, and
 * GET /api/v1/federation/sightings, what a peer pulls of ours. The canonical
 * form is in docs/internals/federation.md ("Sightings about a report").
 * Routes: HTTP workers; fed_sightings_store: the sync (sync_lock held). */
#ifndef ATALAYA_FED_SIGHTINGS_H
#define ATALAYA_FED_SIGHTINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "federation/keys.h"
#include "http/request.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#define FED_SIGHTING_PREFIX "atalaya-sighting-v1"
/* An answer of GET /api/v1/federation/sightings holds at most this many. */
#define FED_SIGHTINGS_PAGE 1000

struct federation;

struct fed_sighting {
	int64_t seq; /* its position in the signer's list (not signed) */
	char id[48]; /* "sighting--<uuid>" */
	unsigned char signer_pk[FED_KEY_BYTES];
	char signer_key[FED_KEY_HEX];
	const char *signer_name;
	int64_t made_at; /* ms */
	unsigned char origin_pk[FED_KEY_BYTES];
	char origin_key[FED_KEY_HEX]; /* the report's origin */
	char report[48];	      /* its id */
	int64_t version;
	unsigned char report_sig_sha256[32]; /* SHA-256 of the origin's 64-byte signature */
	const char *value;		     /* canonical observable text */
	const char *kind;		     /* observable_kind_name() */
	int64_t count, seen_at;		     /* seen_at: ms */
	const char *recipients;		     /* node keys, sorted hex, comma-separated */
	unsigned char sig[FED_SIG_BYTES];    /* the signer's */
};

/* The bytes the signer signs (replaces out's content). */
int fed_sighting_canonical(const struct fed_sighting *s, struct buf *out);

/* Checks a peer's answer {"items":[...],"cursor":N,"more":B}: every item's
 * fields, types and lengths. On ERR_OK *doc is the parsed answer; errors
 * name the item and field. */
int fed_sightings_parse(const char *body, size_t len, json_t **doc, struct err_detail *err);

/* Verifies and stores the sightings of a parsed answer of peer `peer` in
 * one transaction, with the peer's cursor in that list (*cursor, moved past
 * each one taken or skipped). A refused one (not signed by that peer, not
 * for us, a wrong signature, not naming the signed version we hold, a
 * report the peer was not sent) stores nothing of itself and stops there:
 * its error is returned, what precedes it is kept. One whose report is not
 * held here is skipped (logged). */
int fed_sightings_store(struct federation *f, int64_t peer, json_t *doc, int64_t *cursor,
			struct err_detail *err);

/* The peer's cursor in the sightings list of its node (0 at first). */
int64_t fed_sightings_cursor(struct federation *f, int64_t peer);

/* The highest position in our list of sightings for the peer of key
 * `peer_key` (the feed's trailer: the peer pulls when it moved). */
int64_t fed_sightings_latest(struct store_conn *c, const char *peer_key);

extern const struct route federation_sighting_routes[];

#endif
