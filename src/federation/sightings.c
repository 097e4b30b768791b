#include "federation/sightings.h"
#include "federation/internal.h"
#include "http/answer.h"
#include "index/indexer.h"
#include "index/observable.h"
#include "policy/policy.h"
#include "report/ingest.h"
#include "store/subject.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <sodium.h>

#define SIGHTING_COLS                                                                              \
	"g.seq, g.id, g.signer_key, g.signer_name, g.made_at, g.origin_key, g.origin_report, "     \
	"g.version, g.report_signature, g.value, g.kind, g.count, g.seen_at, g.recipients, "       \
	"g.signature"

int fed_sighting_canonical(const struct fed_sighting *s, struct buf *out)
{
	buf_reset(out);
	int rc = buf_add(out, FED_SIGHTING_PREFIX, sizeof(FED_SIGHTING_PREFIX) - 1);
	if (!rc)
		rc = fed_field(out, s->signer_pk, FED_KEY_BYTES);
	if (!rc)
		rc = fed_field_str(out, s->signer_name);
	if (!rc)
		rc = fed_field_str(out, s->id);
	if (!rc)
		rc = fed_field_int(out, s->made_at);
	if (!rc)
		rc = fed_field(out, s->origin_pk, FED_KEY_BYTES);
	if (!rc)
		rc = fed_field_str(out, s->report);
	if (!rc)
		rc = fed_field_int(out, s->version);
	if (!rc)
		rc = fed_field(out, s->report_sig_sha256, sizeof(s->report_sig_sha256));
	if (!rc)
		rc = fed_field_str(out, s->value);
	if (!rc)
		rc = fed_field_str(out, s->kind);
	if (!rc)
		rc = fed_field_int(out, s->count);
	if (!rc)
		rc = fed_field_int(out, s->seen_at);
	if (!rc)
		rc = fed_field_str(out, s->recipients);
	return rc;
}

static bool sighting_verify(const struct fed_sighting *s)
{
	struct buf msg;
	buf_init(&msg, (size_t)1 << 20);
	bool ok =
	    !fed_sighting_canonical(s, &msg) && fed_verify(s->signer_pk, msg.data, msg.len, s->sig);
	buf_release(&msg);
	return ok;
}

/* ------------------------------------------------------------------ */
/* the wire form: one JSON object per sighting                         */

static json_t *hex_json(const unsigned char *p, size_t n)
{
	char h[2 * 64 + 1];
	sodium_bin2hex(h, sizeof(h), p, n);
	return json_string(h);
}

static json_t *sighting_json(const struct fed_sighting *s)
{
	return json_pack("{sI ss ss ss sI ss ss sI so ss ss sI sI ss so}", "seq",
			 (json_int_t)s->seq, "id", s->id, "signer_key", s->signer_key,
			 "signer_name", s->signer_name, "made_at", (json_int_t)s->made_at,
			 "origin_key", s->origin_key, "report", s->report, "version",
			 (json_int_t)s->version, "report_signature_sha256",
			 hex_json(s->report_sig_sha256, 32), "value", s->value, "kind", s->kind,
			 "count", (json_int_t)s->count, "seen_at", (json_int_t)s->seen_at,
			 "recipients", s->recipients, "signature", hex_json(s->sig, FED_SIG_BYTES));
}

static const char *str_of(json_t *it, const char *name, size_t max)
{
	json_t *v = json_object_get(it, name);
	if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

static bool int_of(json_t *it, const char *name, int64_t min, int64_t *out)
{
	json_t *v = json_object_get(it, name);
	if (!json_is_integer(v) || json_integer_value(v) < min)
		return false;
	*out = json_integer_value(v);
	return true;
}

static bool id_ok(const char *id, const char *prefix)
{
	size_t n = strlen(prefix);
	return id && strlen(id) == n + 36 && !strncmp(id, prefix, n);
}

/* One item into *s (its strings borrowed from `it`); the error names the
 * item and the field. */
static int sighting_of_json(json_t *it, size_t i, struct fed_sighting *s, struct err_detail *err)
{
	const char *t;
	const char *bad = NULL;
	memset(s, 0, sizeof(*s));
	if (!json_is_object(it))
		return err_set(err, ERR_INVALID, "items", "items[%zu]: not an object", i);
	if (!int_of(it, "seq", 1, &s->seq))
		bad = "seq";
	else if (!id_ok((t = str_of(it, "id", 47)), "sighting--"))
		bad = "id";
	else if (!(t = str_of(it, "signer_key", 64)) ||
		 !fed_key_parse(t, s->signer_pk, s->signer_key))
		bad = "signer_key";
	else if (!(s->signer_name = str_of(it, "signer_name", FED_NAME_MAX)))
		bad = "signer_name";
	else if (!int_of(it, "made_at", 0, &s->made_at))
		bad = "made_at";
	else if (!(t = str_of(it, "origin_key", 64)) ||
		 !fed_key_parse(t, s->origin_pk, s->origin_key))
		bad = "origin_key";
	else if (!id_ok(str_of(it, "report", 47), "report--"))
		bad = "report";
	else if (!int_of(it, "version", 1, &s->version))
		bad = "version";
	else if (!(t = str_of(it, "report_signature_sha256", 64)) ||
		 !fed_hex_parse(t, 64, s->report_sig_sha256, 32))
		bad = "report_signature_sha256";
	else if (!(s->value = str_of(it, "value", OBS_VALUE_MAX)))
		bad = "value";
	else if (!(s->kind = str_of(it, "kind", 15)))
		bad = "kind";
	else if (!int_of(it, "count", 1, &s->count))
		bad = "count";
	else if (!int_of(it, "seen_at", 0, &s->seen_at))
		bad = "seen_at";
	else if (!(s->recipients = str_of(it, "recipients", FED_RECIPIENTS_MAX * FED_KEY_HEX)))
		bad = "recipients";
	else if (!(t = str_of(it, "signature", 128)) ||
		 !fed_hex_parse(t, 128, s->sig, FED_SIG_BYTES))
		bad = "signature";
	if (bad)
		return err_set(err, ERR_INVALID, bad,
			       "sightings: items[%zu].%s: missing or invalid", i, bad);
	snprintf(s->id, sizeof(s->id), "%s", json_string_value(json_object_get(it, "id")));
	snprintf(s->report, sizeof(s->report), "%s",
		 json_string_value(json_object_get(it, "report")));
	return ERR_OK;
}

int fed_sightings_parse(const char *body, size_t len, json_t **doc, struct err_detail *err)
{
	json_error_t je;
	json_t *d = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je), *it;
	json_t *items = json_object_get(d, "items");
	struct fed_sighting s;
	int64_t cursor;
	size_t i;
	int rc = ERR_OK;

	if (!json_is_array(items) || !int_of(d, "cursor", 0, &cursor) ||
	    !json_is_boolean(json_object_get(d, "more")))
		rc = err_set(err, ERR_SYNTAX, "items",
			     "sightings: not {\"items\":[...],\"cursor\":N,\"more\":B}");
	else if (json_array_size(items) > FED_SIGHTINGS_PAGE)
		rc = err_set(err, ERR_INVALID, "items", "sightings: more than %d",
			     FED_SIGHTINGS_PAGE);
	json_array_foreach(items, i, it)
	{
		if (rc)
			break;
		rc = sighting_of_json(it, i, &s, err);
	}
	if (rc)
		json_decref(d);
	else
		*doc = d;
	return rc;
}

/* ------------------------------------------------------------------ */
/* receiving a peer's                                                  */

static void sighting_of_row(sqlite3_stmt *s, int col, struct fed_sighting *g)
{
	memset(g, 0, sizeof(*g));
	g->seq = sqlite3_column_int64(s, col);
	snprintf(g->id, sizeof(g->id), "%s", (const char *)sqlite3_column_text(s, col + 1));
	fed_key_parse((const char *)sqlite3_column_text(s, col + 2), g->signer_pk, g->signer_key);
	g->signer_name = (const char *)sqlite3_column_text(s, col + 3);
	g->made_at = sqlite3_column_int64(s, col + 4);
	fed_key_parse((const char *)sqlite3_column_text(s, col + 5), g->origin_pk, g->origin_key);
	snprintf(g->report, sizeof(g->report), "%s", (const char *)sqlite3_column_text(s, col + 6));
	g->version = sqlite3_column_int64(s, col + 7);
	fed_hex_parse((const char *)sqlite3_column_text(s, col + 8), 64, g->report_sig_sha256, 32);
	g->value = (const char *)sqlite3_column_text(s, col + 9);
	g->kind = (const char *)sqlite3_column_text(s, col + 10);
	g->count = sqlite3_column_int64(s, col + 11);
	g->seen_at = sqlite3_column_int64(s, col + 12);
	g->recipients = (const char *)sqlite3_column_text(s, col + 13);
	fed_hex_parse((const char *)sqlite3_column_text(s, col + 14), 128, g->sig, FED_SIG_BYTES);
}

/* The row of a sighting and the sightings row that lookups count (visible
 * with the report, policy as ever), in the open transaction. */
static int insert_sighting(struct store_conn *c, const struct fed_sighting *g, int64_t report,
			   int64_t member, int64_t via, int64_t now, int64_t *row)
{
	char sha[65], sig[FED_SIG_HEX];
	sodium_bin2hex(sha, sizeof(sha), g->report_sig_sha256, 32);
	sodium_bin2hex(sig, sizeof(sig), g->sig, FED_SIG_BYTES);
	sqlite3_stmt *s = store_stmt(
	    c, "INSERT OR IGNORE INTO signed_sightings(id, signer_key, signer_name, made_at, "
	       "report, origin_key, origin_report, version, report_signature, value, kind, count, "
	       "seen_at, recipients, signature, via) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_text(s, 1, g->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, g->signer_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, g->signer_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, g->made_at);
	sqlite3_bind_int64(s, 5, report);
	sqlite3_bind_text(s, 6, g->origin_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, g->report, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, g->version);
	sqlite3_bind_text(s, 9, sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, g->value, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, g->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 12, g->count);
	sqlite3_bind_int64(s, 13, g->seen_at);
	sqlite3_bind_text(s, 14, g->recipients, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 15, sig, -1, SQLITE_STATIC);
	if (via)
		sqlite3_bind_int64(s, 16, via);
	int rc = store_step_done(c, s, "signed_sighting_insert");
	*row = !rc && sqlite3_changes(store_db(c)) > 0 ? sqlite3_last_insert_rowid(store_db(c)) : 0;
	if (rc || !*row)
		return rc; /* held already (a page read again) */
	s = store_stmt(c, "INSERT INTO sightings(value, kind, count, seen_at, member, report, at) "
			  "VALUES (?,?,?,?,?,?,?)");
	sqlite3_bind_text(s, 1, g->value, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, g->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, g->count);
	sqlite3_bind_int64(s, 4, g->seen_at);
	sqlite3_bind_int64(s, 5, member);
	sqlite3_bind_int64(s, 6, report);
	sqlite3_bind_int64(s, 7, now);
	return store_step_done(c, s, "sighting_insert");
}

/* Does every node the sighting names hold the report (its origin or one of
 * the recipients it signed)? Relayed, it never goes wider than the report. */
static bool within_report(const struct fed_sighting *g, const char *report_recipients)
{
	for (const char *k = g->recipients; *k;) {
		const char *end = strchr(k, ',');
		size_t n = end ? (size_t)(end - k) : strlen(k);
		char key[FED_KEY_HEX];
		if (n != FED_KEY_HEX - 1)
			return false;
		memcpy(key, k, n);
		key[n] = '\0';
		if (strcmp(key, g->origin_key) && !fed_names_key(report_recipients, key))
			return false;
		k += n + (end ? 1 : 0);
	}
	return true;
}

/* One of the sightings peer `peer` sends: its own, or one it relays for
 * another node (held if its signer is a peer of this node, as forwarded
 * reports are); checked, then stored or skipped. */
static int take(struct federation *f, struct store_conn *c, int64_t peer, const char *peer_key,
		int64_t peer_member, const char *peer_name, const struct fed_sighting *g,
		struct err_detail *err)
{
	int64_t signer_member = peer_member;
	if (!strcmp(g->signer_key, f->key.pk_hex))
		return ERR_OK; /* our own, come back through a relay */
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT 1 FROM signed_sightings WHERE signer_key = ? AND id = ?");
	sqlite3_bind_text(s, 1, g->signer_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, g->id, -1, SQLITE_STATIC);
	bool held = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	if (held)
		return ERR_OK; /* through another peer already */
	if (strcmp(g->signer_key, peer_key)) {
		s = store_stmt(c, "SELECT member FROM peers WHERE public_key = ?");
		sqlite3_bind_text(s, 1, g->signer_key, -1, SQLITE_STATIC);
		signer_member = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		sqlite3_reset(s);
		if (!signer_member) {
			log_warn("event=peer_skipped peer=%s sighting=%s signer=%s reason=\"its "
				 "signer is not a peer of this node\"",
				 peer_name, g->id, g->signer_key);
			return ERR_OK;
		}
	}
	if (!fed_names_key(g->recipients, f->key.pk_hex))
		return err_set(err, ERR_DENIED, "recipients",
			       "%s: its signer did not name this node among its recipients", g->id);
	if (!sighting_verify(g))
		return err_set(err, ERR_DENIED, "signature",
			       "%s: the signature does not verify against its signer's key", g->id);
	s = store_stmt(c, "SELECT report, signature, recipients FROM signatures "
			  "WHERE origin_key = ? AND origin_report = ? AND version = ?");
	sqlite3_bind_text(s, 1, g->origin_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, g->report, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, g->version);
	int rc = ERR_OK;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		log_warn("event=peer_skipped peer=%s sighting=%s report=%s reason=\"the report is "
			 "not held here\"",
			 peer_name, g->id, g->report);
		return ERR_OK;
	}
	int64_t report = sqlite3_column_int64(s, 0);
	unsigned char sig[FED_SIG_BYTES], sha[32];
	fed_hex_parse((const char *)sqlite3_column_text(s, 1), 128, sig, sizeof(sig));
	crypto_hash_sha256(sha, sig, sizeof(sig));
	if (sodium_memcmp(sha, g->report_sig_sha256, sizeof(sha)))
		rc = err_set(err, ERR_INVALID, "report_signature_sha256",
			     "%s: it does not name the signed version of %s held here", g->id,
			     g->report);
	else if (strcmp(g->origin_key, g->signer_key) &&
		 !fed_names_key((const char *)sqlite3_column_text(s, 2), g->signer_key))
		rc = err_set(err, ERR_DENIED, "report",
			     "%s: its signer was not among the recipients of %s", g->id, g->report);
	else if (!within_report(g, (const char *)sqlite3_column_text(s, 2)))
		rc = err_set(err, ERR_DENIED, "recipients",
			     "%s: it names a node that is neither the origin nor a recipient of %s "
			     "(it would be relayed there)",
			     g->id, g->report);
	sqlite3_reset(s);
	int64_t row = 0;
	if (!rc)
		rc = insert_sighting(c, g, report, signer_member, peer, time_now_ms(), &row);
	if (row && f->node->indexer)
		indexer_note_sighting(f->node->indexer, g->value, strlen(g->value));
	return rc;
}

int fed_sightings_store(struct federation *f, int64_t peer, json_t *doc, int64_t *cursor,
			struct err_detail *err)
{
	struct store_conn *c;
	struct fed_sighting g;
	json_t *it;
	size_t i;
	char peer_key[FED_KEY_HEX] = "", peer_name[80] = "";
	int64_t peer_member = 0;
	int rc = store_write_begin(f->node->st, &c), refused = ERR_OK;
	if (rc)
		return err_set(err, rc, "", "the store cannot be written");
	sqlite3_stmt *s = store_stmt(c, "SELECT public_key, name, member FROM peers WHERE id = ?");
	sqlite3_bind_int64(s, 1, peer);
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(peer_key, sizeof(peer_key), "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(peer_name, sizeof(peer_name), "%s",
			 (const char *)sqlite3_column_text(s, 1));
		peer_member = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	json_array_foreach(json_object_get(doc, "items"), i, it)
	{
		if (rc || refused)
			break;
		rc = sighting_of_json(it, i, &g, err); /* checked by fed_sightings_parse */
		if (!rc && g.seq <= *cursor)
			continue;
		/* a savepoint: a refused one takes back nothing but itself */
		if (!rc)
			rc = sqlite3_exec(store_db(c), "SAVEPOINT sighting", NULL, NULL, NULL)
				 ? ERR_STORE
				 : ERR_OK;
		if (rc)
			break;
		refused = take(f, c, peer, peer_key, peer_member, peer_name, &g, err);
		if (refused)
			rc = sqlite3_exec(store_db(c), "ROLLBACK TO sighting", NULL, NULL, NULL)
				 ? ERR_STORE
				 : ERR_OK;
		if (!rc)
			rc = sqlite3_exec(store_db(c), "RELEASE sighting", NULL, NULL, NULL)
				 ? ERR_STORE
				 : ERR_OK;
		if (!rc && !refused)
			*cursor = g.seq;
	}
	if (!rc && !refused) {
		int64_t end = json_integer_value(json_object_get(doc, "cursor"));
		if (end > *cursor && !json_array_size(json_object_get(doc, "items")))
			*cursor = end;
	}
	if (!rc) {
		s = store_stmt(c, "INSERT OR REPLACE INTO peer_sighting_cursors(peer, cursor) "
				  "VALUES (?, ?)");
		sqlite3_bind_int64(s, 1, peer);
		sqlite3_bind_int64(s, 2, *cursor);
		rc = store_step_done(c, s, "sighting_cursor");
	}
	rc = store_write_end(f->node->st, rc);
	if (rc && !refused)
		return err_set(err, rc, "", "the peer's sightings could not be stored");
	return refused ? refused : rc;
}

int64_t fed_sightings_cursor(struct federation *f, int64_t peer)
{
	struct store_conn *c = store_reader(f->node->st);
	int64_t cursor = 0;
	if (!c)
		return 0;
	sqlite3_stmt *s = store_stmt(c, "SELECT cursor FROM peer_sighting_cursors WHERE peer = ?");
	sqlite3_bind_int64(s, 1, peer);
	if (sqlite3_step(s) == SQLITE_ROW)
		cursor = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return cursor;
}

int64_t fed_sightings_latest(struct store_conn *c, const char *peer_key)
{
	int64_t latest = 0;
	sqlite3_stmt *s = store_stmt(c, "SELECT COALESCE(MAX(seq), 0) FROM signed_sightings "
					"WHERE instr(recipients, ?1) AND signer_key <> ?1");
	sqlite3_bind_text(s, 1, peer_key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		latest = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return latest;
}

/* ------------------------------------------------------------------ */
/* routes                                                              */

/* GET /api/v1/federation/sightings?cursor=N: the sightings that name the
 * calling peer among their recipients (ours, and those we relay for their
 * signers; never its own back), after its cursor. */
static void get_for_peer(struct request *r)
{
	struct federation *f = r->node->fed;
	int64_t peer, member, cursor = 0, n = 0;
	char peer_key[FED_KEY_HEX];
	unsigned char pk[FED_KEY_BYTES];
	if (!fed_pull_authenticated(r, f, "/api/v1/federation/sightings", "sightings", &cursor,
				    &peer, &member))
		return;
	fed_key_parse(http_header(r, "X-Atalaya-Node"), pk, peer_key);
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	sqlite3_stmt *s = store_stmt(c, "SELECT " SIGHTING_COLS " FROM signed_sightings g "
					"WHERE g.seq > ?1 AND instr(g.recipients, ?2) AND "
					"g.signer_key <> ?2 ORDER BY g.seq");
	sqlite3_bind_int64(s, 1, cursor);
	sqlite3_bind_text(s, 2, peer_key, -1, SQLITE_STATIC);
	json_t *items = json_array();
	bool more = false;
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct fed_sighting g;
		sighting_of_row(s, 0, &g);
		if (!fed_names_key(g.recipients, peer_key))
			continue; /* instr matched inside another key's text: never */
		if (n == FED_SIGHTINGS_PAGE) {
			more = true;
			break;
		}
		json_array_append_new(items, sighting_json(&g));
		cursor = g.seq;
		n++;
	}
	sqlite3_reset(s);
	http_json(
	    r, 200,
	    json_pack("{so sI sb}", "items", items, "cursor", (json_int_t)cursor, "more", more));
	federation_count_out(f, peer, r->out.len);
}

/* The report `r->param[0]` if the caller may see it: its seq and, when it
 * is signed, its origin signature's row. 404 (and false) otherwise. */
struct signed_report {
	int64_t seq;
	bool signed_;
	char origin_key[FED_KEY_HEX], report[48];
	int64_t version;
	unsigned char sig[FED_SIG_BYTES];
	char *recipients;
};

static bool report_for(struct request *r, enum policy_path path, struct signed_report *o)
{
	struct policy_subject subj;
	struct store_conn *c = node_reader(r);
	memset(o, 0, sizeof(*o));
	if (!c)
		return false;
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT r.seq, s.origin_key, s.origin_report, s.version, s.signature, "
			  "s.recipients, " STORE_SUBJECT_COLS " FROM reports r "
			  "LEFT JOIN signatures s ON s.report = r.seq WHERE r.id = ?");
	sqlite3_bind_text(s, 1, r->param[0], -1, SQLITE_STATIC);
	bool ok =
	    sqlite3_step(s) == SQLITE_ROW && (store_subject_from_row(s, 6, &subj),
					      policy_may_see(r->node->dir, &r->who, &subj, path));
	if (ok) {
		o->seq = sqlite3_column_int64(s, 0);
		o->signed_ = sqlite3_column_type(s, 1) != SQLITE_NULL;
		if (o->signed_) {
			snprintf(o->origin_key, sizeof(o->origin_key), "%s",
				 (const char *)sqlite3_column_text(s, 1));
			snprintf(o->report, sizeof(o->report), "%s",
				 (const char *)sqlite3_column_text(s, 2));
			o->version = sqlite3_column_int64(s, 3);
			fed_hex_parse((const char *)sqlite3_column_text(s, 4), 128, o->sig,
				      FED_SIG_BYTES);
			o->recipients = xstrdup((const char *)sqlite3_column_text(s, 5));
		}
	}
	sqlite3_reset(s);
	if (!ok)
		http_error(r, 404, "not_found", NULL, "no report %.80s", r->param[0]);
	return ok;
}

/* Who a sighting about `o` goes to: the report's origin and the nodes it
 * named (those that are not peers of this node get it through a node that
 * relays it); never this node, never another. */
static char *recipients_for(struct federation *f, const struct signed_report *o)
{
	char *keys[FED_RECIPIENTS_MAX + 1];
	size_t n = 0;
	size_t len = strlen(o->recipients) + 1 + FED_KEY_HEX;
	char *all = xmalloc(len);
	snprintf(all, len, "%s,%s", o->origin_key, o->recipients);
	for (char *save = NULL, *k = strtok_r(all, ",", &save); k && n < FED_RECIPIENTS_MAX;
	     k = strtok_r(NULL, ",", &save))
		if (strcmp(k, f->key.pk_hex))
			keys[n++] = k;
	char *joined = fed_keys_joined(keys, n);
	free(all);
	return joined;
}

/* POST /api/v1/reports/{id}/sightings {value, count?, seen_at?}: a member's
 * sighting of a value, about a report it may see; signed by this node, and
 * sent to the report's origin and recipients (relayed to those that are
 * not peers here). */
static void post_sighting(struct request *r)
{
	static const struct rj_field fields[] = {
	    {"value", RJ_STRING, RJ_REQUIRED, 1, OBS_INPUT_MAX},
	    {"count", RJ_INT, 0, 1, 1000000000},
	    {"seen_at", RJ_STRING, 0, 1, 64},
	};
	struct federation *f = r->node->fed;
	struct signed_report o;
	struct observable *ob = arena_alloc(&r->arena, sizeof(*ob));
	struct err_detail err;
	struct store_conn *c;
	struct fed_sighting g;
	char uuid[37];
	if (!f) {
		http_error(r, 503, "unavailable", NULL,
			   "this node runs without federation (its key cannot be loaded)");
		return;
	}
	json_t *in = http_decode(r, fields, 3, false);
	if (!in)
		return;
	if (!report_for(r, POLICY_REPORT_GET, &o))
		goto out;
	const char *value = json_string_value(json_object_get(in, "value"));
	json_t *cnt = json_object_get(in, "count");
	const char *seen = json_string_value(json_object_get(in, "seen_at"));
	int64_t now = time_now_ms(), at = now;
	err_clear(&err);
	if (!o.signed_) {
		http_error(r, 409, "not_signed", NULL,
			   "report %.80s has no signature yet: a sighting names the signed "
			   "version of its report",
			   r->param[0]);
		goto out;
	}
	if (observable_normalise(OBS_AUTO, value, strlen(value), ob, &err)) {
		http_error(r, 422, "invalid_field", "value", "value: %s", err.message);
		goto out;
	}
	if (seen && (time_parse_rfc3339(seen, strlen(seen), 0, &at) || at > now + 300000)) {
		http_error(r, 422, "invalid_field", "seen_at",
			   "seen_at: '%.64s' is not an RFC 3339 time up to now", seen);
		goto out;
	}
	memset(&g, 0, sizeof(g));
	report_new_uuid(uuid);
	snprintf(g.id, sizeof(g.id), "sighting--%s", uuid);
	memcpy(g.signer_pk, f->key.pk, FED_KEY_BYTES);
	snprintf(g.signer_key, sizeof(g.signer_key), "%s", f->key.pk_hex);
	g.signer_name = r->node->node_name;
	g.made_at = now;
	fed_key_parse(o.origin_key, g.origin_pk, g.origin_key);
	snprintf(g.report, sizeof(g.report), "%s", o.report);
	g.version = o.version;
	crypto_hash_sha256(g.report_sig_sha256, o.sig, sizeof(o.sig));
	g.value = ob->value;
	g.kind = observable_kind_name(ob->kind);
	g.count = cnt ? json_integer_value(cnt) : 1;
	g.seen_at = at;
	int rc = store_write_begin(r->node->st, &c);
	char *recipients = NULL;
	if (!rc) {
		recipients = recipients_for(f, &o);
		g.recipients = recipients;
		struct buf msg;
		buf_init(&msg, (size_t)1 << 20);
		rc = fed_sighting_canonical(&g, &msg);
		fed_key_sign(&f->key, msg.data, msg.len, g.sig);
		buf_release(&msg);
		if (!rc)
			rc = insert_sighting(c, &g, o.seq, r->who.member_id, 0, now, &g.seq);
		rc = store_write_end(r->node->st, rc);
	}
	if (rc) {
		http_error_detail(r, rc, NULL);
	} else {
		if (r->node->indexer)
			indexer_note_sighting(r->node->indexer, ob->value, ob->len);
		log_info("event=sighting_signed id=%s report=%s member=%" PRId64 " recipients=%zu",
			 g.id, r->param[0], r->who.member_id,
			 g.recipients[0] ? (strlen(g.recipients) + 1) / FED_KEY_HEX : 0);
		http_json(r, 201, sighting_json(&g));
	}
	free(recipients);
out:
	free(o.recipients);
	json_decref(in);
}

/* GET /api/v1/reports/{id}/sightings: the signed sightings about a report,
 * made here or received from peers, each with the node that signed it; for
 * whoever may see the report. */
static void get_sightings(struct request *r)
{
	struct signed_report o;
	if (!report_for(r, POLICY_REPORT_SIGHTINGS, &o))
		return;
	free(o.recipients);
	sqlite3_stmt *s =
	    store_stmt(node_reader(r), "SELECT " SIGHTING_COLS ", p.name FROM signed_sightings g "
				       "LEFT JOIN peers p ON p.id = g.via WHERE g.report = ? "
				       "ORDER BY g.seen_at, g.seq");
	sqlite3_bind_int64(s, 1, o.seq);
	json_t *items = json_array();
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct fed_sighting g;
		char key[80];
		sighting_of_row(s, 0, &g);
		snprintf(key, sizeof(key), "ed25519:%s", g.signer_key);
		json_t *it = sighting_json(&g);
		json_object_del(it, "seq");
		json_object_set_new(it, "signed_by",
				    json_pack("{ss ss}", "name", g.signer_name, "public_key", key));
		json_object_set_new(it, "received_from", http_col_text(s, 15));
		json_object_set_new(it, "seen_at", http_col_time(s, 12));
		json_object_set_new(it, "made_at", http_col_time(s, 4));
		json_array_append_new(items, it);
	}
	sqlite3_reset(s);
	http_json(r, 200, json_pack("{ss so}", "report", r->param[0], "items", items));
}

const struct route federation_sighting_routes[] = {
    {"GET", "/api/v1/federation/sightings", get_for_peer, ROUTE_PUBLIC, NULL,
     "this node's signed sightings for the calling peer node (signed request)"},
    {"GET", "/api/v1/reports/{key}/sightings", get_sightings, 0, NULL,
     "signed sightings about a report, each with the node that signed it"},
    {"POST", "/api/v1/reports/{key}/sightings", post_sighting, ROUTE_WRITE, NULL,
     "record a sighting about a report, signed by this node and sent to its origin"},
    {0},
};
