/* GET /api/v1/node; GET, POST /api/v1/peers; GET /api/v1/peers/{id};
 * POST /api/v1/peers/{id}/sync; GET /api/v1/reports/{key}/signature. */
#include "federation/routes.h"
#include "audit.h"
#include "federation/internal.h"
#include "http/answer.h"
#include "report/body.h"
#include "policy/audience.h"
#include "store/subject.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <sodium.h>

/* False (after a 503) when the node runs without its key. */
static bool federation_on(struct request *r)
{
	if (r->node->fed)
		return true;
	http_error(r, 503, "unavailable", NULL,
		   "federation is off: the node could not load DATA/node.key (see its log)");
	return false;
}

static void get_node(struct request *r)
{
	if (!federation_on(r))
		return;
	const struct fed_key *k = federation_key(r->node->fed);
	char fp[FED_FINGERPRINT_TEXT], key[80];
	char *country = NULL;
	store_node_get(r->node->st, "country", &country);
	fed_fingerprint(k->pk, fp);
	snprintf(key, sizeof(key), "ed25519:%s", k->pk_hex);
	http_json(r, 200,
		  json_pack("{ss ss ss ss}", "name", r->node->node_name, "country",
			    country ? country : "", "public_key", key, "fingerprint", fp));
	free(country);
}

#define PEER_COLS                                                                                  \
	"id, name, url, public_key, audience, cursor, created, last_contact, last_error, "         \
	"last_error_at, errors, bytes_in, reports_in, lag_reports, lag_seconds, tls_pin"

static json_t *peer_json(struct request *r, sqlite3_stmt *s)
{
	int64_t id = sqlite3_column_int64(s, 0);
	char key[80], fp[FED_FINGERPRINT_TEXT] = "";
	unsigned char pk[FED_KEY_BYTES];
	const char *hex = (const char *)sqlite3_column_text(s, 3);
	snprintf(key, sizeof(key), "ed25519:%s", hex);
	if (hex && fed_hex_parse(hex, strlen(hex), pk, sizeof(pk)))
		fed_fingerprint(pk, fp); /* read out on the phone, as the node's own */
	json_t *peer = json_pack(
	    "{sI so so ss so sI so so so so sI sI sI sI sI sI so}", "id", (json_int_t)id, "name",
	    http_col_text(s, 1), "url", http_col_text(s, 2), "public_key", key, "audience",
	    audience_to_json((const char *)sqlite3_column_text(s, 4)), "cursor",
	    (json_int_t)sqlite3_column_int64(s, 5), "created", http_col_time(s, 6), "last_contact",
	    http_col_time(s, 7), "last_error", http_col_text(s, 8), "last_error_at",
	    http_col_time(s, 9), "errors", (json_int_t)sqlite3_column_int64(s, 10), "bytes_in",
	    (json_int_t)sqlite3_column_int64(s, 11), "bytes_out",
	    (json_int_t)(r->node->fed ? federation_bytes_out(r->node->fed, id) : 0), "reports_in",
	    (json_int_t)sqlite3_column_int64(s, 12), "lag_reports",
	    (json_int_t)sqlite3_column_int64(s, 13), "lag_seconds",
	    (json_int_t)sqlite3_column_int64(s, 14), "tls_pin", http_col_text(s, 15));
	json_object_set_new(peer, "fingerprint", json_string(fp));
	return peer;
}

static void get_peers(struct request *r)
{
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	sqlite3_stmt *s = store_stmt(c, "SELECT " PEER_COLS " FROM peers ORDER BY id");
	json_t *items = json_array();
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(items, peer_json(r, s));
	sqlite3_reset(s);
	http_json(r, 200, json_pack("{so}", "items", items));
}

static void answer_peer(struct request *r, int64_t id, int status)
{
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	sqlite3_stmt *s = store_stmt(c, "SELECT " PEER_COLS " FROM peers WHERE id = ?");
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		http_json(r, status, peer_json(r, s));
	else
		http_error(r, 404, "not_found", NULL, "no peer %" PRId64, id);
	sqlite3_reset(s);
}

static void get_peer(struct request *r)
{
	answer_peer(r, r->id[0], 200);
}

static const struct rj_field peer_fields[] = {
    {"name", RJ_STRING, RJ_REQUIRED, 1, 64},
    {"url", RJ_STRING, RJ_REQUIRED, 8, 1000},
    {"public_key", RJ_STRING, RJ_REQUIRED, 64, 72},
    {"audience", RJ_ANY, 0, 0, 0},
    {"tls_pin", RJ_STRING, 0, 8, 1000},
};
#define NPEER (sizeof(peer_fields) / sizeof(peer_fields[0]))

static bool name_valid(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* Checks the fields present in `in` (all of them when creating); answers
 * 422 and returns false on the first wrong one. The audience's canonical
 * text goes to `aud` when given. */
static bool check_peer(struct request *r, json_t *in, struct buf *aud, char hex[FED_KEY_HEX])
{
	const char *name = json_string_value(json_object_get(in, "name"));
	const char *url = json_string_value(json_object_get(in, "url"));
	const char *pin = json_string_value(json_object_get(in, "tls_pin"));
	const char *key = json_string_value(json_object_get(in, "public_key"));
	json_t *a = json_object_get(in, "audience");
	unsigned char pk[FED_KEY_BYTES];
	struct err_detail err;
	int rc;

	err_clear(&err);
	if (name && !name_valid(name)) {
		http_error(r, 422, "invalid_field", "name",
			   "name: letters, digits, '.', '-' and '_' only");
	} else if (url && strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		http_error(r, 422, "invalid_field", "url", "url: not an http:// or https:// URL");
	} else if (url && (url[strlen(url) - 1] == '/' || strchr(url, '?') || strchr(url, ' '))) {
		http_error(r, 422, "invalid_field", "url",
			   "url: the node's base URL, without a trailing '/', query or space");
	} else if (key && !fed_key_parse(key, pk, hex)) {
		http_error(r, 422, "invalid_field", "public_key",
			   "public_key: not ed25519:HEX (64 hex digits)");
	} else if (key && !strcmp(hex, federation_key(r->node->fed)->pk_hex)) {
		http_error(r, 422, "invalid_field", "public_key",
			   "public_key: this is the node's own key");
	} else if (pin && strncmp(pin, "sha256//", 8)) {
		http_error(r, 422, "invalid_field", "tls_pin",
			   "tls_pin: not sha256//BASE64 (the peer's TLS public key hash)");
	} else if (a && (rc = audience_from_json(a, r->node->dir, "audience", aud, &err))) {
		http_error_detail(r, rc, &err);
	} else if (a && strstr(aud->data, "\"peer:")) {
		http_error(r, 422, "invalid_field", "audience",
			   "audience: members and groups of this node only (all, group:ID, "
			   "member:ID)");
	}
	return !r->status;
}

static void post_peer(struct request *r)
{
	json_t *in = http_decode(r, peer_fields, NPEER, false);
	char hex[FED_KEY_HEX], member_name[80];
	struct buf aud;
	struct store_conn *c = NULL;
	int64_t id = 0, member = 0, now = time_now_ms();
	int rc;

	if (!in || !federation_on(r)) {
		json_decref(in);
		return;
	}
	buf_init(&aud, FED_AUDIENCE_MAX);
	buf_adds(&aud, "[]");
	if (!check_peer(r, in, &aud, hex))
		goto out;
	const char *name = json_string_value(json_object_get(in, "name"));
	const char *pin = json_string_value(json_object_get(in, "tls_pin"));
	rc = store_write_begin(r->node->st, &c);
	if (!rc) {
		/* The peer's reports need an originator here: a member no one can
		 * use (deleted: no token, no listing, no audience reaches it). */
		snprintf(member_name, sizeof(member_name), "peer:%s", name);
		sqlite3_stmt *s = store_stmt(
		    c, "INSERT INTO members(name, kind, country, role, created, updated, deleted) "
		       "VALUES (?, 'peer-node', '', 'reader', ?, ?, ?)");
		sqlite3_bind_text(s, 1, member_name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_int64(s, 3, now);
		sqlite3_bind_int64(s, 4, now);
		rc = store_step_done(c, s, "peer_member");
		member = sqlite3_last_insert_rowid(store_db(c));
	}
	if (!rc) {
		sqlite3_stmt *s =
		    store_stmt(c, "INSERT INTO peers(name, url, public_key, tls_pin, "
				  "audience, member, created) VALUES (?,?,?,?,?,?,?)");
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, json_string_value(json_object_get(in, "url")), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(s, 3, hex, -1, SQLITE_STATIC);
		if (pin)
			sqlite3_bind_text(s, 4, pin, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, aud.data, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 6, member);
		sqlite3_bind_int64(s, 7, now);
		rc = store_step_done(c, s, "peer_insert");
		id = sqlite3_last_insert_rowid(store_db(c));
	}
	if (c)
		rc = store_write_end(r->node->st, rc);
	if (rc == ERR_CONFLICT) {
		http_error(r, 409, "conflict", "name",
			   "name: a peer called '%s' or with this key exists already", name);
	} else if (rc) {
		http_error(r, 500, "internal", NULL, "the peer could not be stored");
	} else {
		directory_reload(r->node->dir, r->node->st);
		snprintf(r->location, sizeof(r->location), "/api/v1/peers/%" PRId64, id);
		answer_peer(r, id, 201);
	}
out:
	buf_release(&aud);
	json_decref(in);
}

/* url, audience (for reports that arrive from now on), tls_pin (null: none)
 * and cursor (0: pull the peer's whole feed again, e.g. after it was restored
 * from a backup; what is here already is skipped); a new key or name is a
 * new peer. */
static void patch_peer(struct request *r)
{
	static const struct rj_field fields[] = {
	    {"url", RJ_STRING, 0, 8, 1000},
	    {"audience", RJ_ANY, 0, 0, 0},
	    {"tls_pin", RJ_STRING, RJ_NULLABLE, 8, 1000},
	    {"cursor", RJ_INT, 0, 0, INT64_MAX},
	};
	json_t *in = http_decode(r, fields, sizeof(fields) / sizeof(fields[0]), true);
	char hex[FED_KEY_HEX];
	struct buf aud;
	struct store_conn *c;
	int rc;
	if (!in)
		return;
	buf_init(&aud, FED_AUDIENCE_MAX);
	if (!check_peer(r, in, &aud, hex))
		goto out;
	json_t *pin = json_object_get(in, "tls_pin");
	rc = store_write_begin(r->node->st, &c);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(
		    c,
		    "UPDATE peers SET url = coalesce(?1, url), audience = coalesce(?2, audience), "
		    "tls_pin = CASE WHEN ?3 THEN ?4 ELSE tls_pin END, "
		    "cursor = coalesce(?6, cursor) WHERE id = ?5");
		const char *url = json_string_value(json_object_get(in, "url"));
		if (url)
			sqlite3_bind_text(s, 1, url, -1, SQLITE_STATIC);
		if (json_object_get(in, "audience"))
			sqlite3_bind_text(s, 2, aud.data, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, pin != NULL);
		if (json_is_string(pin))
			sqlite3_bind_text(s, 4, json_string_value(pin), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, r->id[0]);
		if (json_is_integer(json_object_get(in, "cursor")))
			sqlite3_bind_int64(s, 6, json_integer_value(json_object_get(in, "cursor")));
		rc = store_step_changed(c, s, "peer_update");
		rc = store_write_end(r->node->st, rc);
	}
	if (rc == ERR_NOT_FOUND)
		http_error(r, 404, "not_found", NULL, "no peer %" PRId64, r->id[0]);
	else if (rc)
		http_error(r, 500, "internal", NULL, "the peer could not be stored");
	else
		answer_peer(r, r->id[0], 200);
out:
	buf_release(&aud);
	json_decref(in);
}

/* Stops trusting a peer: its key no longer opens this node's feed, its shared
 * contacts go; the reports it sent stay (with their signatures). */
static void delete_peer(struct request *r)
{
	struct store_conn *c;
	int rc = store_write_begin(r->node->st, &c);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(c, "DELETE FROM peer_contacts WHERE peer = ?");
		sqlite3_bind_int64(s, 1, r->id[0]);
		rc = store_step_done(c, s, "peer_contacts_delete");
		if (!rc) {
			s = store_stmt(c, "DELETE FROM peers WHERE id = ?");
			sqlite3_bind_int64(s, 1, r->id[0]);
			rc = store_step_changed(c, s, "peer_delete");
		}
		rc = store_write_end(r->node->st, rc);
	}
	if (rc == ERR_NOT_FOUND) {
		http_error(r, 404, "not_found", NULL, "no peer %" PRId64, r->id[0]);
	} else if (rc) {
		http_error(r, 500, "internal", NULL, "the peer could not be removed");
	} else {
		directory_reload(r->node->dir, r->node->st); /* peer:ID no longer accepted */
		log_info("event=peer_deleted peer=%" PRId64, r->id[0]);
		http_no_content(r);
	}
}

static void post_sync(struct request *r)
{
	if (!federation_on(r))
		return;
	int rc = federation_sync_peer(r->node->fed, r->id[0]);
	if (rc == ERR_NOT_FOUND) {
		http_error(r, 404, "not_found", NULL, "no peer %" PRId64, r->id[0]);
		return;
	}
	answer_peer(r, r->id[0], 200); /* the outcome is in last_error and the counters */
}

/* The origin signature of a report, verified again over the bytes kept. */
static void get_signature(struct request *r)
{
	struct audit_list audit = {NULL, 0};
	struct policy_subject subj;
	struct fed_envelope e;
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	sqlite3_stmt *s = store_stmt(
	    c, "SELECT s.origin_key, s.origin_name, s.origin_member, s.origin_report, s.version, "
	       "s.signed_at, s.tlp, s.audience, s.recipients, s.sha256, s.size, s.signature, "
	       "p.name, r.seq, " STORE_SUBJECT_COLS " FROM reports r "
	       "LEFT JOIN signatures s ON s.report = r.seq "
	       "LEFT JOIN peers p ON p.id = s.via WHERE r.id = ?");
	sqlite3_bind_text(s, 1, r->param[0], -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW ||
	    (store_subject_from_row(s, 14, &subj),
	     !policy_may_see(r->node->dir, &r->who, &subj, POLICY_REPORT_GET))) {
		sqlite3_reset(s);
		http_error(r, 404, "not_found", NULL, "no report %.80s", r->param[0]);
		return;
	}
	if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
		sqlite3_reset(s);
		http_error(r, 409, "not_signed", NULL,
			   "report %.80s has no signature yet (reports are signed by the "
			   "indexer moments after their commit; those stored before federation "
			   "never are)",
			   r->param[0]);
		return;
	}
	memset(&e, 0, sizeof(e));
	fed_hex_parse((const char *)sqlite3_column_text(s, 0), 64, e.origin_pk, FED_KEY_BYTES);
	snprintf(e.origin_key, sizeof(e.origin_key), "%s", (const char *)sqlite3_column_text(s, 0));
	snprintf(e.origin_name, sizeof(e.origin_name), "%s",
		 (const char *)sqlite3_column_text(s, 1));
	e.origin_member = sqlite3_column_int64(s, 2);
	snprintf(e.report, sizeof(e.report), "%s", (const char *)sqlite3_column_text(s, 3));
	e.version = sqlite3_column_int64(s, 4);
	e.signed_at = sqlite3_column_int64(s, 5);
	snprintf(e.tlp, sizeof(e.tlp), "%s", (const char *)sqlite3_column_text(s, 6));
	e.audience = (char *)sqlite3_column_text(s, 7);
	e.recipients = (char *)sqlite3_column_text(s, 8);
	fed_hex_parse((const char *)sqlite3_column_text(s, 11), 128, e.sig, FED_SIG_BYTES);
	e.size = (uint64_t)sqlite3_column_int64(s, 10);

	/* the bytes as kept now, not the hash recorded at arrival */
	unsigned char sha[32];
	uint64_t size = 0;
	struct report_body b;
	bool kept = !report_body_open(r->node, c, sqlite3_column_int64(s, 13), r->param[0], &b);
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	unsigned char chunk[1 << 16];
	while (kept && size < b.size) {
		size_t n = b.size - size < sizeof(chunk) ? (size_t)(b.size - size) : sizeof(chunk);
		if (report_body_read(&b, chunk, n, size)) {
			kept = false;
			break;
		}
		crypto_hash_sha256_update(&h, chunk, n);
		size += n;
	}
	report_body_close(&b);
	crypto_hash_sha256_final(&h, sha);
	/* the hash recorded at arrival tells a change of the bytes from a bad signature */
	unsigned char recorded[32];
	bool bytes_ok = kept && size == e.size &&
			fed_hex_parse((const char *)sqlite3_column_text(s, 9), 64, recorded, 32) &&
			!sodium_memcmp(recorded, sha, sizeof(sha));
	memcpy(e.sha256, sha, sizeof(sha));
	bool ok = bytes_ok && fed_envelope_verify(&e);
	char key[80], sha_hex[65];
	snprintf(key, sizeof(key), "ed25519:%s", e.origin_key);
	sodium_bin2hex(sha_hex, sizeof(sha_hex), sha, sizeof(sha));
	json_t *out = json_pack(
	    "{ss sb ss s{ss ss sI} sI sI ss so so ss ss so}", "report", r->param[0], "verified", ok,
	    "reason",
	    ok ? "the origin's Ed25519 signature matches the bytes and scope kept here"
	       : (bytes_ok ? "the signature does not match" : "the kept bytes changed"),
	    "origin", "public_key", key, "name", e.origin_name, "member",
	    (json_int_t)e.origin_member, "version", (json_int_t)e.version, "signed_at",
	    (json_int_t)e.signed_at, "tlp", e.tlp, "audience", audience_to_json(e.audience),
	    "recipients", json_string(e.recipients), "sha256", sha_hex, "signature",
	    (const char *)sqlite3_column_text(s, 11), "received_from", http_col_text(s, 12));
	audit_disclosed(r, &audit, sqlite3_column_int64(s, 13), subj.owner, NULL);
	sqlite3_reset(s);
	http_json(r, 200, out);
	audit_flush(r, &audit, POLICY_REPORT_GET);
}

const struct route federation_routes[] = {
    {"GET", "/api/v1/node", get_node, 0, NULL, "this node: name, country, public key"},
    {"GET", "/api/v1/peers", get_peers, ROUTE_ADMIN, NULL, "peer nodes, with their sync state"},
    {"POST", "/api/v1/peers", post_peer, ROUTE_ADMIN, NULL, "add a peer node (its pinned key)"},
    {"GET", "/api/v1/peers/{id}", get_peer, ROUTE_ADMIN, NULL, "one peer node"},
    {"PATCH", "/api/v1/peers/{id}", patch_peer, ROUTE_ADMIN, NULL,
     "change a peer's URL, audience here, or TLS pin"},
    {"DELETE", "/api/v1/peers/{id}", delete_peer, ROUTE_ADMIN, NULL,
     "stop trusting a peer node (its reports stay)"},
    {"POST", "/api/v1/peers/{id}/sync", post_sync, ROUTE_ADMIN, NULL, "pull a peer's feed now"},
    {"GET", "/api/v1/reports/{key}/signature", get_signature, 0, NULL,
     "a report's origin signature, verified again"},
    {0},
};
