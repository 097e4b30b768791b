/* The pull client: asks a peer's feed for what follows our cursor in it,
 * verifies each envelope, and stores it through the intake (report/ingest.c)
 * as the origin signed it, under the audience this node's admin gave the
 * origin peer, narrowed by the report's TLP (policy_peer_audience). The
 * cursor moves past an envelope once it is stored (or known already), so an
 * interrupted sync resumes where it stopped; a refused envelope stops the
 * sync there and is recorded as the peer's last error. sync_lock held. */
#include "federation/contacts.h"
#include "federation/sightings.h"
#include "federation/internal.h"
#include "policy/audience.h"
#include "policy/policy.h"
#include "report/ingest.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <curl/curl.h>
#include <sodium.h>

struct peer_row {
	int64_t id;
	char name[80];
	char *url, *tls_pin;
	char key[FED_KEY_HEX];
	int64_t cursor;
};

/* A page's reports are committed together (ingest_commit_staged), at most
 * this many per transaction: each holds two open files until then. */
#define SYNC_BATCH 256

/* A verified envelope whose report waits for its batch's commit. */
struct staged {
	struct fed_envelope e;
	int64_t via;
	int64_t before; /* the cursor before it */
	struct ingest_origin o;
	struct ingest *in;
};

static int load_peer(struct store_conn *c, int64_t id, struct peer_row *p)
{
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT name, url, tls_pin, public_key, cursor FROM peers WHERE id = ?");
	sqlite3_bind_int64(s, 1, id);
	int rc = ERR_NOT_FOUND;
	if (sqlite3_step(s) == SQLITE_ROW) {
		p->id = id;
		snprintf(p->name, sizeof(p->name), "%s", (const char *)sqlite3_column_text(s, 0));
		p->url = xstrdup((const char *)sqlite3_column_text(s, 1));
		p->tls_pin = sqlite3_column_type(s, 2) == SQLITE_NULL
				 ? NULL
				 : xstrdup((const char *)sqlite3_column_text(s, 2));
		snprintf(p->key, sizeof(p->key), "%s", (const char *)sqlite3_column_text(s, 3));
		p->cursor = sqlite3_column_int64(s, 4);
		rc = ERR_OK;
	}
	sqlite3_reset(s);
	return rc;
}

/* The signature's row, in the intake's transaction. */
static int record_signature(void *ctx, struct store_conn *c, int64_t seq)
{
	const struct staged *st = ctx;
	const struct fed_envelope *e = &st->e;
	char sig[FED_SIG_HEX], sha[65];
	sodium_bin2hex(sig, sizeof(sig), e->sig, sizeof(e->sig));
	sodium_bin2hex(sha, sizeof(sha), e->sha256, sizeof(e->sha256));
	sqlite3_stmt *s =
	    store_stmt(c, "INSERT INTO signatures(report, origin_key, origin_name, origin_member, "
			  "origin_report, version, signed_at, tlp, audience, recipients, sha256, "
			  "size, signature, via) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_text(s, 2, e->origin_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, e->origin_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, e->origin_member);
	sqlite3_bind_text(s, 5, e->report, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, e->version);
	sqlite3_bind_int64(s, 7, e->signed_at);
	sqlite3_bind_text(s, 8, e->tlp, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, e->audience, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, e->recipients, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 12, (int64_t)e->size);
	sqlite3_bind_text(s, 13, sig, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 14, st->via);
	int rc = store_step_done(c, s, "signature_insert");
	if (rc || e->origin_seq <= 0)
		return rc;
	s = store_stmt(c, "INSERT INTO origin_positions(signature, origin_seq) VALUES (?,?)");
	sqlite3_bind_int64(s, 1, sqlite3_last_insert_rowid(store_db(c)));
	sqlite3_bind_int64(s, 2, e->origin_seq);
	return store_step_done(c, s, "origin_position_insert");
}

bool fed_names_key(const char *recipients, const char *key)
{
	size_t kn = strlen(key);
	for (const char *r = recipients; (r = strstr(r, key)); r += kn)
		if ((r == recipients || r[-1] == ',') && (r[kn] == ',' || !r[kn]))
			return true;
	return false;
}

static bool staged_already(const struct staged *b, size_t n, const struct fed_envelope *e)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(b[i].e.report, e->report) && !strcmp(b[i].e.origin_key, e->origin_key))
			return true;
	return false;
}

/* Verifies one envelope and stages its report (ingest_stage) in `slot`,
 * which then owns `e`; *staged false when it is skipped (held already, ours,
 * or from an origin this node does not know). */
static int stage(struct federation *f, const struct peer_row *via, const struct fed_envelope *e,
		 const char *bundle, struct staged *slot, bool *staged, struct err_detail *err)
{
	struct node *node = f->node;
	struct store_conn *c = store_reader(node->st);
	int64_t origin_member = 0;
	char *peer_audience = NULL;
	struct buf aud;
	int rc;

	*staged = false;
	if (!c)
		return err_set(err, ERR_STORE, "", "the store cannot be read");
	if (!strcmp(e->origin_key, f->key.pk_hex))
		return ERR_OK; /* our own report, back through a ring */
	sqlite3_stmt *s = store_stmt(c, "SELECT 1 FROM signatures WHERE origin_key = ? AND "
					"origin_report = ? AND version = ?");
	sqlite3_bind_text(s, 1, e->origin_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, e->report, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, e->version);
	bool have = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	if (have)
		return ERR_OK; /* through another peer already */
	s = store_stmt(c, "SELECT member, audience FROM peers WHERE public_key = ?");
	sqlite3_bind_text(s, 1, e->origin_key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		origin_member = sqlite3_column_int64(s, 0);
		peer_audience = xstrdup((const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_reset(s);
	if (!peer_audience) {
		/* forwarded from a node this one does not know: not stored, and it
		 * must not hold up what follows it in the feed (it is no one's
		 * fault here; the origin's own feed offers it once it is a peer) */
		log_warn("event=peer_skipped peer=%s report=%s origin=%s reason=\"its origin is "
			 "not a peer of this node\"",
			 via->name, e->report, e->origin_key);
		return ERR_OK;
	}
	buf_init(&aud, FED_AUDIENCE_MAX);
	int t = tlp_parse(e->tlp);
	if (!fed_names_key(e->recipients, f->key.pk_hex)) {
		rc = err_set(err, ERR_DENIED, "recipients",
			     "%s: its origin did not name this node among its recipients",
			     e->report);
	} else if (!fed_envelope_verify(e)) {
		rc = err_set(err, ERR_DENIED, "signature",
			     "%s: the signature does not verify against its origin's key",
			     e->report);
	} else if (t < 0) {
		rc = err_set(err, ERR_INVALID, "tlp", "%s: tlp '%s' is not a TLP level", e->report,
			     e->tlp);
	} else {
		rc = policy_peer_audience(node->dir, (enum tlp)t, peer_audience, f->own_member,
					  &aud);
	}
	free(peer_audience);
	if (!rc)
		rc = ingest_new(node, "application/stix+json;version=2.1", &slot->in, err);
	if (!rc) {
		slot->e = *e;
		if (!slot->e.origin_seq && !strcmp(e->origin_key, via->key))
			slot->e.origin_seq = e->seq; /* from its origin: its feed's position */
		slot->via = via->id;
		slot->o = (struct ingest_origin){slot->e.report, slot->e.sha256, (enum tlp)t,
						 record_signature, slot};
		ingest_set_origin(slot->in, &slot->o);
		rc = ingest_feed(slot->in, bundle, e->size, err);
		if (!rc)
			rc = ingest_stage(slot->in, origin_member, aud.data, err);
		if (rc) {
			ingest_free(slot->in);
			slot->in = NULL;
		}
		*staged = !rc;
	}
	buf_release(&aud);
	return rc;
}

/* An error message may quote peer input: kept and logged as one line. */
static void one_line(char *msg)
{
	for (char *q = msg; q && *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f || *q == '"')
			*q = '?';
}

/* Logs a refused envelope; its error names the report (for `peer list`). */
static void log_refused(const struct peer_row *p, const char *report, struct err_detail *err)
{
	if (!strstr(err->message, report)) {
		char msg[sizeof(err->message)];
		snprintf(msg, sizeof(msg), "%s", err->message);
		snprintf(err->message, sizeof(err->message), "%.60s: %.440s", report, msg);
	}
	one_line(err->message);
	log_warn("event=peer_refused peer=%s report=%s field=%s error=\"%s\"", p->name, report,
		 err->field, err->message);
}

/* Commits the staged reports in one transaction; the cursor moves to `upto`
 * when all are committed, else to just before the first that was not. */
static int commit_batch(struct peer_row *p, struct staged *b, size_t *n, int64_t upto,
			int64_t *stored, struct err_detail *err)
{
	struct ingest *ins[SYNC_BATCH];
	size_t done = 0;
	for (size_t i = 0; i < *n; i++)
		ins[i] = b[i].in;
	int rc = ingest_commit_staged(ins, *n, &done, err);
	p->cursor = rc ? b[done < *n ? done : 0].before : upto;
	if (rc)
		log_refused(p, b[done < *n ? done : 0].e.report, err);
	*stored += (int64_t)done;
	for (size_t i = 0; i < *n; i++) {
		ingest_free(b[i].in);
		fed_envelope_release(&b[i].e);
	}
	*n = 0;
	return rc;
}

/* The first bytes of a peer's answer, for an error message: printable ASCII
 * only (it goes to the log and to `peer list`). */
static const char *printable(const struct buf *b, char out[201])
{
	size_t n = b->len < 200 ? b->len : 200;
	for (size_t i = 0; i < n; i++)
		out[i] = b->data[i] >= 0x20 && b->data[i] < 0x7f ? b->data[i] : '?';
	out[n] = '\0';
	return out;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	return buf_add(ctx, p, size * n) ? 0 : size * n;
}

/* The peers one sync has pulled on the way, when a relay deferred to them
 * (their own feed first; such a pull may defer in turn), so that each is
 * pulled once: the round ends. */
struct sync_round {
	int64_t tried[FED_HAVE_MAX];
	size_t ntried;
};

static bool tried(const struct sync_round *round, int64_t id)
{
	for (size_t i = 0; i < round->ntried; i++)
		if (round->tried[i] == id)
			return true;
	return false;
}

/* The X-Atalaya-Have header of a pull from peer `p`: for each other peer
 * (FED_HAVE_MAX at most), the start of its key and our cursor in its feed,
 * "<16 hex>:<cursor>,..." (federation.md, "Relays"): everything it addressed
 * to us up to there we hold, so a relay need not send it again. "!" after
 * a peer whose last pull did not fail: we would rather take what we lack of
 * its reports from it than through the relay (which then defers to it);
 * once that pull fails, the relay's copy is taken. Empty when there is no
 * other peer. */
static void have_header(struct federation *f, const struct peer_row *p,
			const struct sync_round *round, struct buf *out)
{
	struct store_conn *c = store_reader(f->node->st);
	buf_reset(out);
	if (!c)
		return;
	sqlite3_stmt *s = store_stmt(
	    c, "SELECT id, public_key, cursor, last_error IS NULL FROM peers WHERE id <> ? "
	       "ORDER BY id LIMIT " FED_HAVE_MAX_TEXT);
	sqlite3_bind_int64(s, 1, p->id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		bool direct =
		    sqlite3_column_int(s, 3) && !tried(round, id) && round->ntried < FED_HAVE_MAX;
		buf_addf(out, "%s%.16s:%" PRId64 "%s", out->len ? "," : "X-Atalaya-Have: ",
			 (const char *)sqlite3_column_text(s, 1),
			 (int64_t)sqlite3_column_int64(s, 2), direct ? "!" : "");
	}
	sqlite3_reset(s);
}

/* The peer a relay's page deferred to (trailer "defer"), if we asked it to
 * (a healthy peer not pulled yet in this round); else 0. */
static int64_t deferred_to(struct federation *f, const char *prefix, const struct sync_round *round)
{
	struct store_conn *c = store_reader(f->node->st);
	if (!c || round->ntried == FED_HAVE_MAX)
		return 0;
	sqlite3_stmt *s = store_stmt(
	    c, "SELECT id FROM peers WHERE substr(public_key, 1, 16) = ? AND last_error IS NULL");
	sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return id && !tried(round, id) ? id : 0;
}

/* GETs `path` (the feed from `cursor`, or the shared contacts with cursor 0)
 * into `page`, with the header line `extra` when not NULL: the HTTP status,
 * or 0 with the reason. */
static long fetch(struct federation *f, const struct peer_row *p, const char *path, int64_t cursor,
		  const char *extra, struct buf *page, struct err_detail *err)
{
	char url[2048], h_node[96], h_time[64], h_sig[160];
	unsigned char sig[FED_SIG_BYTES];
	char sig_hex[FED_SIG_HEX];
	struct buf msg;
	long status = 0;
	/* peers refuse a request not later than our previous one (replays) */
	int64_t now = time_now_ms();
	if (now <= f->last_request_ms)
		now = f->last_request_ms + 1;
	f->last_request_ms = now;

	snprintf(url, sizeof(url), "%s%s?cursor=%" PRId64, p->url, path, cursor);
	buf_init(&msg, 1 << 16);
	fed_request_canonical("GET", path, cursor, now, p->key, &msg);
	fed_key_sign(&f->key, msg.data, msg.len, sig);
	buf_release(&msg);
	sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
	snprintf(h_node, sizeof(h_node), "X-Atalaya-Node: %s", f->key.pk_hex);
	snprintf(h_time, sizeof(h_time), "X-Atalaya-Time: %" PRId64, now);
	snprintf(h_sig, sizeof(h_sig), "X-Atalaya-Signature: %s", sig_hex);
	struct curl_slist *h = curl_slist_append(NULL, h_node);
	h = curl_slist_append(h, h_time);
	h = curl_slist_append(h, h_sig);
	if (extra)
		h = curl_slist_append(h, extra);
	CURL *cu = curl_easy_init();
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, page);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	if (p->tls_pin) {
		/* the admin pinned the peer's TLS key: that, not a CA, vouches for it */
		curl_easy_setopt(cu, CURLOPT_PINNEDPUBLICKEY, p->tls_pin);
		curl_easy_setopt(cu, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(cu, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode cc = curl_easy_perform(cu);
	if (cc == CURLE_OK)
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
	else
		err_set(err, ERR_IO, "url", "%s: %s", p->url, curl_easy_strerror(cc));
	curl_easy_cleanup(cu);
	curl_slist_free_all(h);
	return status;
}

/* What a page did to the peer's row; `error` NULL after a clean page (which
 * clears last_error: it is the last sync's; errors and last_error_at keep
 * the history). */
static void record_page(struct federation *f, const struct peer_row *p, uint64_t bytes,
			int64_t stored, const struct fed_trailer *t, char *error)
{
	one_line(error);
	struct store_conn *c;
	int64_t now = time_now_ms();
	if (store_write_begin(f->node->st, &c))
		return;
	sqlite3_stmt *s = store_stmt(
	    c, "UPDATE peers SET cursor = ?, last_contact = ?, bytes_in = bytes_in + ?, "
	       "reports_in = reports_in + ?, lag_reports = COALESCE(?, lag_reports), "
	       "lag_seconds = COALESCE(?, lag_seconds), errors = errors + ?, "
	       "last_error = ?, "
	       "last_error_at = CASE WHEN ? IS NULL THEN last_error_at ELSE ? END WHERE id = ?");
	sqlite3_bind_int64(s, 1, p->cursor);
	if (bytes)
		sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, (int64_t)bytes);
	sqlite3_bind_int64(s, 4, stored);
	if (t) {
		sqlite3_bind_int64(s, 5, t->pending);
		sqlite3_bind_int64(s, 6,
				   t->pending && t->oldest_ms ? (now - t->oldest_ms) / 1000 : 0);
	}
	sqlite3_bind_int(s, 7, error ? 1 : 0);
	if (error) {
		sqlite3_bind_text(s, 8, error, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 9, error, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 10, now);
	}
	sqlite3_bind_int64(s, 11, p->id);
	store_write_end(f->node->st, store_step_done(c, s, "peer_sync"));
}

/* Replaces the contacts peer `p` shares with us by the set it answers now. */
static int pull_contacts(struct federation *f, const struct peer_row *p, struct buf *page,
			 struct err_detail *err)
{
	json_t *items = NULL, *it;
	struct store_conn *c = NULL;
	char text[201];
	size_t i;
	buf_reset(page);
	long status = fetch(f, p, "/api/v1/federation/contacts", 0, NULL, page, err);
	if (status != 200) {
		if (status)
			err_set(err, ERR_IO, "status", "%s answered HTTP %ld to contacts: %s",
				p->url, status, printable(page, text));
		return err->code ? err->code : ERR_IO;
	}
	int rc = fed_contacts_parse(page->data, page->len, &items, err);
	if (rc)
		return rc;
	/* each signed by the peer for this node; one that is not refuses the
	 * answer: the set held before stays */
	unsigned char pk[FED_KEY_BYTES];
	char hex[FED_KEY_HEX];
	fed_key_parse(p->key, pk, hex);
	json_array_foreach(items, i, it)
	{
		if (!fed_contact_verify(pk, f->key.pk_hex, it)) {
			rc = err_set(err, ERR_DENIED, "signature",
				     "contact %" JSON_INTEGER_FORMAT
				     ": the signature does not verify against the peer's key",
				     json_integer_value(json_object_get(it, "id")));
			json_decref(items);
			return rc;
		}
	}
	rc = store_write_begin(f->node->st, &c);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(c, "DELETE FROM peer_contacts WHERE peer = ?");
		sqlite3_bind_int64(s, 1, p->id);
		rc = store_step_done(c, s, "peer_contacts_clear");
	}
	json_array_foreach(items, i, it)
	{
		if (rc)
			break;
		static const char *const cols[] = {"member", "role",  "name",
						   "email",  "phone", "pgp_fingerprint"};
		sqlite3_stmt *s = store_stmt(
		    c, "INSERT OR REPLACE INTO peer_contacts(peer, origin_id, member, role, name, "
		       "email, phone, pgp_fingerprint, languages, availability, "
		       "escalation_position, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
		sqlite3_bind_int64(s, 1, p->id);
		sqlite3_bind_int64(s, 2, json_integer_value(json_object_get(it, "id")));
		for (int k = 0; k < 6; k++) {
			json_t *v = json_object_get(it, cols[k]);
			if (json_is_string(v))
				sqlite3_bind_text(s, 3 + k, json_string_value(v), -1,
						  SQLITE_TRANSIENT);
		}
		char *langs = json_dumps(json_object_get(it, "languages"), JSON_COMPACT);
		char *avail = json_dumps(json_object_get(it, "availability"),
					 JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
		sqlite3_bind_text(s, 9, langs, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 10, avail, -1, SQLITE_TRANSIENT);
		free(langs);
		free(avail);
		sqlite3_bind_int64(s, 11,
				   json_integer_value(json_object_get(it, "escalation_position")));
		sqlite3_bind_int64(s, 12, json_integer_value(json_object_get(it, "updated")));
		rc = store_step_done(c, s, "peer_contact_insert");
	}
	if (c)
		rc = store_write_end(f->node->st, rc);
	json_decref(items);
	if (rc && !err->message[0])
		err_set(err, rc, "", "the peer's contacts could not be stored");
	return rc;
}

/* Our peer's own signed sightings after our cursor in its list, when its
 * trailer shows more than we took. */
static int pull_sightings(struct federation *f, const struct peer_row *p, struct buf *page,
			  struct err_detail *err)
{
	int64_t cursor = fed_sightings_cursor(f, p->id);
	char text[201];
	for (;;) {
		json_t *doc = NULL;
		buf_reset(page);
		long status = fetch(f, p, "/api/v1/federation/sightings", cursor, NULL, page, err);
		if (status != 200) {
			if (status)
				err_set(err, ERR_IO, "status",
					"%s answered HTTP %ld to sightings: %s", p->url, status,
					printable(page, text));
			return err->code ? err->code : ERR_IO;
		}
		int rc = fed_sightings_parse(page->data, page->len, &doc, err);
		if (!rc)
			rc = fed_sightings_store(f, p->id, doc, &cursor, err);
		bool more = !rc && json_is_true(json_object_get(doc, "more"));
		json_decref(doc);
		if (rc || !more)
			return rc;
	}
}

static int sync_peer(struct federation *f, int64_t peer_id, struct sync_round *round);

int fed_sync_one(struct federation *f, int64_t peer_id)
{
	struct sync_round round = {.ntried = 0};
	return sync_peer(f, peer_id, &round);
}

static int sync_peer(struct federation *f, int64_t peer_id, struct sync_round *round)
{
	if (!tried(round, peer_id) && round->ntried < FED_HAVE_MAX)
		round->tried[round->ntried++] = peer_id; /* no pull it starts comes back here */
	struct peer_row p = {0};
	struct store_conn *c = store_reader(f->node->st);
	struct buf page;
	struct err_detail err;
	char text[201], stamp[64] = "";
	int64_t sightings = 0;
	int rc = c ? load_peer(c, peer_id, &p) : ERR_STORE;
	if (rc)
		return rc;
	buf_init(&page, (size_t)f->node->cfg->federation_page_bytes * 2 + ((size_t)1 << 20) +
			    (size_t)f->node->cfg->report_body_max);
	struct staged *batch = xcalloc(SYNC_BATCH, sizeof(*batch));
	struct buf have;
	buf_init(&have, 1 << 16);
	struct jdoc lines;
	jdoc_init(&lines, 4);
	for (;;) {
		struct fed_trailer t = {0};
		int64_t stored = 0, start = p.cursor;
		size_t pos = 0;
		bool end = false;
		err_clear(&err);
		buf_reset(&page);
		have_header(f, &p, round, &have);
		long status = fetch(f, &p, "/api/v1/federation/feed", p.cursor,
				    have.len ? have.data : NULL, &page, &err);
		if (status != 200) {
			if (status)
				err_set(&err, ERR_IO, "status", "%s answered HTTP %ld: %s", p.url,
					status, printable(&page, text));
			rc = err.code ? err.code : ERR_IO;
			record_page(f, &p, 0, 0, NULL, err.message);
			break;
		}
		/* every envelope of the page is verified and staged before the
		 * batch commits; the first refused one ends the page there (what
		 * precedes it is committed, the cursor stays before it) */
		size_t nb = 0;
		int64_t upto = p.cursor;
		bool commit_failed = false;
		while (!end) {
			struct fed_envelope e;
			const char *bundle;
			bool held = false;
			rc =
			    fed_feed_next(&lines, page.data, page.len, &pos, &e, &bundle, &t, &err);
			if (rc)
				break;
			if (!bundle) {
				end = true;
				break;
			}
			batch[nb].before = upto;
			rc = staged_already(batch, nb, &e)
				 ? ERR_OK /* twice in a page: once */
				 : stage(f, &p, &e, bundle, &batch[nb], &held, &err);
			if (rc)
				log_refused(&p, e.report, &err);
			else
				upto = e.seq;
			if (held)
				nb++;
			else
				fed_envelope_release(&e);
			if (rc)
				break;
			if (nb == SYNC_BATCH) {
				rc = commit_batch(&p, batch, &nb, upto, &stored, &err);
				commit_failed = rc != ERR_OK;
				if (rc)
					break;
			}
		}
		if (nb) {
			struct err_detail cerr;
			err_clear(&cerr);
			int crc = commit_batch(&p, batch, &nb, upto, &stored, &cerr);
			if (crc) {
				rc = crc;
				err = cerr;
			}
		} else if (!commit_failed) {
			p.cursor = upto;
		}
		int64_t defer = 0;
		if (end && !rc && t.defer[0] && !(defer = deferred_to(f, t.defer, round)))
			rc = err_set(&err, ERR_INVALID, "defer",
				     "defer: %s deferred to an origin this node did not offer to "
				     "pull itself",
				     p.name);
		else if (end && !rc && t.more && !t.defer[0] && t.cursor <= start && !stored)
			rc = err_set(&err, ERR_INVALID, "more",
				     "more: %s says more follows, but its page moved nothing",
				     p.name);
		if (end && !rc) {
			p.cursor = t.cursor > p.cursor ? t.cursor : p.cursor;
			snprintf(stamp, sizeof(stamp), "%s", t.contacts);
			sightings = t.sightings;
		}
		record_page(f, &p, page.len, stored, end ? &t : NULL, rc ? err.message : NULL);
		if (stored)
			log_info("event=peer_synced peer=%s reports=%" PRId64
				 " bytes=%zu cursor=%" PRId64,
				 p.name, stored, page.len, p.cursor);
		if (!rc && defer) {
			/* its origin first (whatever comes of that pull: an error is
			 * that peer's), then this feed again from where it stopped */
			sync_peer(f, defer, round);
		}
		if (rc || !t.more || __atomic_load_n(&f->stop, __ATOMIC_RELAXED))
			break;
	}
	if (!rc) {
		/* the contacts, when their stamp in the last trailer changed */
		char held[64];
		pthread_mutex_lock(&f->lock);
		snprintf(held, sizeof(held), "%s", fed_seen(f, p.id)->contacts);
		pthread_mutex_unlock(&f->lock);
		err_clear(&err);
		if (strcmp(held, stamp))
			rc = pull_contacts(f, &p, &page, &err);
		if (!rc && sightings > fed_sightings_cursor(f, p.id))
			rc = pull_sightings(f, &p, &page, &err);
		if (rc) {
			one_line(err.message);
			if (rc == ERR_DENIED || rc == ERR_INVALID || rc == ERR_SYNTAX)
				log_warn("event=peer_refused peer=%s field=%s error=\"%s\"", p.name,
					 err.field, err.message);
			record_page(f, &p, 0, 0, NULL, err.message);
		} else {
			pthread_mutex_lock(&f->lock);
			snprintf(fed_seen(f, p.id)->contacts, sizeof(held), "%s", stamp);
			pthread_mutex_unlock(&f->lock);
		}
	}
	if (rc && !err.message[0])
		err_set(&err, rc, "", "%s", err_str(rc));
	if (rc)
		log_warn("event=peer_sync peer=%s error=\"%s\"", p.name, err.message);
	buf_release(&page);
	buf_release(&have);
	jdoc_release(&lines);
	free(batch);
	free(p.url);
	free(p.tls_pin);
	return rc;
}
