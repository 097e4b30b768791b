/* GET /api/v1/federation/feed?cursor=N: the envelopes a peer node may
 * receive after `cursor` (a position in this node's signatures table, the
 * order reports were signed or received here; never a clock), each with its
 * bundle as stored, then a trailer (envelope.h). Authenticated by the peer's
 * node key (federation_check_request); every envelope passes
 * policy_peer_may_receive and is audited. HTTP workers. */
#include "audit.h"
#include "federation/internal.h"
#include "federation/routes.h"
#include "federation/sightings.h"
#include "http/answer.h"
#include "report/body.h"
#include "store/subject.h"
#include "util/log.h"

#include <sodium.h>

enum {
	F_SEQ,
	F_OKEY,
	F_ONAME,
	F_OMEMBER,
	F_OREPORT,
	F_VERSION,
	F_SIGNED,
	F_TLP,
	F_AUD,
	F_RCPT,
	F_SHA,
	F_SIZE,
	F_SIG,
	F_VIA,
	F_RSEQ,
	F_RID,
	F_OSEQ,
	F_SUBJECT /* STORE_SUBJECT_COLS */
};

#define FEED_COLS                                                                                  \
	"s.seq, s.origin_key, s.origin_name, s.origin_member, s.origin_report, s.version, "        \
	"s.signed_at, s.tlp, s.audience, s.recipients, s.sha256, s.size, s.signature, s.via, "     \
	"r.seq, r.id, op.origin_seq, " STORE_SUBJECT_COLS
#define FEED_WHERE                                                                                 \
	" FROM signatures s JOIN reports r ON r.seq = s.report "                                   \
	"LEFT JOIN origin_positions op ON op.signature = s.seq WHERE s.seq > ?1 AND s.seq <= ?2 "  \
	"AND instr(s.recipients, ?3) AND s.origin_key <> ?3"

/* Appends the kept bundle of report `seq` (`id`), exactly `size` bytes. */
static int add_bundle(struct request *r, struct store_conn *c, int64_t seq, const char *id,
		      int64_t size)
{
	struct report_body b;
	int rc = report_body_open(r->node, c, seq, id, &b);
	if (!rc)
		rc = b.size == (uint64_t)size && !buf_reserve(&r->out, (size_t)size + 1) ? ERR_OK
											 : ERR_IO;
	if (!rc)
		rc = report_body_read(&b, r->out.data + r->out.len, (size_t)size, 0);
	if (!rc) {
		r->out.len += (size_t)size;
		r->out.data[r->out.len] = '\0';
	} else {
		log_err("event=feed_bundle report=%s error=\"missing or not %" PRId64 " bytes\"",
			id, size);
	}
	report_body_close(&b);
	return rc;
}

enum relay { RELAY_SEND, RELAY_HELD, RELAY_DEFER };

/* A relayed report the caller holds from its origin already, or would
 * rather pull from there; otherwise (and our own reports) sent. */
static enum relay relay_verdict(sqlite3_stmt *s, const struct fed_have *hv)
{
	if (!hv->n || sqlite3_column_type(s, F_VIA) == SQLITE_NULL)
		return RELAY_SEND;
	const char *okey = (const char *)sqlite3_column_text(s, F_OKEY);
	for (size_t i = 0; i < hv->n; i++) {
		if (strncmp(okey, hv->key[i], 16))
			continue;
		if (sqlite3_column_type(s, F_OSEQ) != SQLITE_NULL &&
		    sqlite3_column_int64(s, F_OSEQ) <= hv->upto[i])
			return RELAY_HELD;
		return hv->direct[i] ? RELAY_DEFER : RELAY_SEND;
	}
	return RELAY_SEND;
}

static void envelope_of_row(sqlite3_stmt *s, struct fed_envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->seq = sqlite3_column_int64(s, F_SEQ);
	/* our own report: its position here is its origin's */
	e->origin_seq =
	    sqlite3_column_type(s, F_VIA) == SQLITE_NULL ? e->seq : sqlite3_column_int64(s, F_OSEQ);
	snprintf(e->origin_key, sizeof(e->origin_key), "%s",
		 (const char *)sqlite3_column_text(s, F_OKEY));
	snprintf(e->origin_name, sizeof(e->origin_name), "%s",
		 (const char *)sqlite3_column_text(s, F_ONAME));
	e->origin_member = sqlite3_column_int64(s, F_OMEMBER);
	snprintf(e->report, sizeof(e->report), "%s",
		 (const char *)sqlite3_column_text(s, F_OREPORT));
	e->version = sqlite3_column_int64(s, F_VERSION);
	e->signed_at = sqlite3_column_int64(s, F_SIGNED);
	snprintf(e->tlp, sizeof(e->tlp), "%s", (const char *)sqlite3_column_text(s, F_TLP));
	e->audience = (char *)sqlite3_column_text(s, F_AUD);	/* borrowed */
	e->recipients = (char *)sqlite3_column_text(s, F_RCPT); /* borrowed */
	fed_hex_parse((const char *)sqlite3_column_text(s, F_SHA), 64, e->sha256, 32);
	e->size = (uint64_t)sqlite3_column_int64(s, F_SIZE);
	fed_hex_parse((const char *)sqlite3_column_text(s, F_SIG), 128, e->sig, FED_SIG_BYTES);
}

bool fed_pull_authenticated(struct request *r, struct federation *f, const char *path,
			    const char *what, int64_t *cursor, int64_t *peer, int64_t *member)
{
	struct err_detail err;
	const char *cq = http_query(r, "cursor");
	char *end = NULL;
	*cursor = 0;
	if (cq) {
		*cursor = strtoll(cq, &end, 10);
		if (*end || end == cq || *cursor < 0) {
			http_error(r, 422, "invalid_field", "cursor",
				   "cursor: not a position of this node's %s (an integer >= 0)",
				   what);
			return false;
		}
	}
	err_clear(&err);
	if (!f || federation_check_request(f, http_header(r, "X-Atalaya-Node"),
					   http_header(r, "X-Atalaya-Time"),
					   http_header(r, "X-Atalaya-Signature"), "GET", path,
					   *cursor, peer, member, &err)) {
		log_warn("event=feed_refused field=%s error=\"%s\"", err.field, err.message);
		http_error(r, 401, "unauthorized", err.field, "%s", err.message);
		return false;
	}
	return true;
}

static void get_feed(struct request *r)
{
	struct federation *f = r->node->fed;
	struct audit_list audit = {NULL, 0};
	struct fed_trailer t = {0};
	int64_t cursor = 0, peer, member, max = 0, n = 0;
	char peer_key[FED_KEY_HEX];

	if (!fed_pull_authenticated(r, f, "/api/v1/federation/feed", "feed", &cursor, &peer,
				    &member))
		return;
	struct fed_have have;
	if (!fed_have_parse(http_header(r, "X-Atalaya-Have"), &have)) {
		http_error(r, 400, "invalid_field", "X-Atalaya-Have",
			   "X-Atalaya-Have: not at most %d items '<16 hex digits of a node "
			   "key>:<cursor>' (optionally followed by '!'), comma-separated",
			   FED_HAVE_MAX);
		return;
	}
	unsigned char pk[FED_KEY_BYTES];
	fed_key_parse(http_header(r, "X-Atalaya-Node"), pk, peer_key);
	r->who.member_id = member; /* the peer's member here: the audit names it */
	r->who.role = ROLE_READER;
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	sqlite3_stmt *s = store_stmt(c, "SELECT COALESCE(MAX(seq), 0) FROM signatures");
	if (sqlite3_step(s) == SQLITE_ROW)
		max = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	int64_t groups[64];
	size_t ngroups = 0;
	s = store_stmt(c, "SELECT group_id FROM group_peers WHERE peer_id = ? ORDER BY group_id");
	sqlite3_bind_int64(s, 1, peer);
	while (ngroups < 64 && sqlite3_step(s) == SQLITE_ROW)
		groups[ngroups++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	struct policy_peer pp = {peer, peer_key, groups, ngroups};
	s = store_stmt(c, "SELECT " FEED_COLS FEED_WHERE " ORDER BY s.seq");
	sqlite3_bind_int64(s, 1, cursor);
	sqlite3_bind_int64(s, 2, max);
	sqlite3_bind_text(s, 3, peer_key, -1, SQLITE_STATIC);
	r->status = 200;
	r->content_type = "application/x-atalaya-feed";
	t.cursor = max > cursor ? max : cursor;
	int64_t examined = cursor; /* the last row looked at */
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct policy_subject subj;
		struct fed_envelope e;
		store_subject_from_row(s, F_SUBJECT, &subj);
		enum relay verdict = RELAY_SEND;
		if (!policy_peer_may_receive(&subj, sqlite3_column_type(s, F_VIA) == SQLITE_NULL,
					     (const char *)sqlite3_column_text(s, F_OKEY),
					     (const char *)sqlite3_column_text(s, F_RCPT), &pp) ||
		    (verdict = relay_verdict(s, &have)) == RELAY_HELD) {
			examined = sqlite3_column_int64(s, F_SEQ);
			continue;
		}
		if (verdict == RELAY_DEFER) {
			/* the page ends before it: the caller pulls its origin, then
			 * asks again from here, saying what it holds now */
			t.more = true;
			t.cursor = examined;
			snprintf(t.defer, sizeof(t.defer), "%.16s",
				 (const char *)sqlite3_column_text(s, F_OKEY));
			break;
		}
		if (n == FED_PAGE_REPORTS ||
		    (int64_t)r->out.len >= r->node->cfg->federation_page_bytes) {
			t.more = true;
			break;
		}
		envelope_of_row(s, &e);
		fed_envelope_write(&e, &r->out);
		buf_addc(&r->out, '\n');
		if (add_bundle(r, c, sqlite3_column_int64(s, F_RSEQ),
			       (const char *)sqlite3_column_text(s, F_RID), (int64_t)e.size)) {
			sqlite3_reset(s);
			buf_reset(&r->out);
			http_error(r, 500, "internal", NULL,
				   "a report's bytes are missing; see the node's log");
			return;
		}
		buf_addc(&r->out, '\n');
		audit_disclosed(r, &audit, sqlite3_column_int64(s, F_RSEQ),
				sqlite3_column_int64(s, F_SUBJECT), NULL);
		t.cursor = examined = e.seq;
		n++;
	}
	sqlite3_reset(s);
	if (t.more) {
		s = store_stmt(c, "SELECT COUNT(*), COALESCE(MIN(s.signed_at), 0)" FEED_WHERE);
		sqlite3_bind_int64(s, 1, t.cursor);
		sqlite3_bind_int64(s, 2, max);
		sqlite3_bind_text(s, 3, peer_key, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW) {
			t.pending = sqlite3_column_int64(s, 0);
			t.oldest_ms = sqlite3_column_int64(s, 1);
		}
		sqlite3_reset(s);
	}
	/* the contacts shared with the caller, as a stamp: it fetches them when
	 * it changes, so that an empty sync stays one request */
	char item[40];
	snprintf(item, sizeof(item), "\"peer:%" PRId64 "\"", peer);
	s = store_stmt(c, "SELECT COUNT(*), COALESCE(MAX(c.updated), 0), COALESCE(MAX(c.id), 0) "
			  "FROM contacts c JOIN members m ON m.id = c.member_id "
			  "WHERE m.deleted IS NULL AND instr(c.audience, ?)");
	sqlite3_bind_text(s, 1, item, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(t.contacts, sizeof(t.contacts), "%" PRId64 ".%" PRId64 ".%" PRId64,
			 (int64_t)sqlite3_column_int64(s, 0), (int64_t)sqlite3_column_int64(s, 1),
			 (int64_t)sqlite3_column_int64(s, 2));
	sqlite3_reset(s);
	t.sightings = fed_sightings_latest(c, peer_key);
	fed_trailer_write(&t, &r->out);
	audit_flush(r, &audit, POLICY_PEER_FEED);
	federation_count_out(f, peer, r->out.len);
}

const struct route federation_feed_routes[] = {
    {"GET", "/api/v1/federation/feed", get_feed, ROUTE_PUBLIC, NULL,
     "a peer node's feed (signed request: X-Atalaya-Node, -Time, -Signature)"},
    {0},
};
