/* Listings made by hand and by the pipeline: manual listing and delisting,
 * incident indicators (spam/feed.c's spam_incident_feed), bulk import, and
 * delisting requests with their decisions. Each one transaction, applied to
 * the DNS set only once committed (spam_write_end). See service.h. */
#include "spam/internal.h"
#include "spam/service.h"

#include <malloc.h>

#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* imports of at least this many lines give their memory back (~1 ms) */
enum { IMPORT_GIVE_BACK = 10000 };

/* ---- manual actions ---- */

int spam_list(struct spam *s, int64_t member, const char *value, int code, const char *reason,
	      struct err_detail *d)
{
	static const char sql[] =
	    "INSERT OR REPLACE INTO dnsbl_listings(value, kind, code, reason, source, "
	    "listed_at, expires, member) VALUES (?, ?, ?, ?, 'manual', ?, NULL, ?)";
	struct dnsbl_entry e;
	struct store_conn *c;
	char canon[300];
	int64_t now = time_now_ms();
	int rc;

	if ((rc = spam_canonical(value, &e, canon, sizeof(canon), d)))
		return rc;
	if (code == 0)
		code = DNSBL_CODE_MANUAL;
	if (code < 2 || code > 254)
		return err_set(d, ERR_INVALID, "code", "code: %d is not 2..254", code);
	if (!reason || !*reason || strlen(reason) > DNSBL_REASON_MAX)
		return err_set(d, ERR_INVALID, "reason", "reason: required, at most %d bytes",
			       DNSBL_REASON_MAX);
	e.code = (uint8_t)code;
	e.reason = reason;
	struct dnsbl_batch *b = dnsbl_batch_new(s->bl);
	if ((rc = dnsbl_batch_add(b, &e))) {
		dnsbl_batch_free(b);
		return err_set(d, rc, "value", "value: '%s' cannot be listed", canon);
	}
	if ((rc = spam_write_begin(s, &c))) {
		dnsbl_batch_free(b);
		return rc;
	}
	sqlite3_stmt *st = store_stmt(c, sql);
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, spam_kind_name(e.kind), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, code);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, member);
	rc = spam_step_done(c, st, "listing_manual");
	if (!rc)
		rc = spam_record_action(c, member, "list", canon, reason, NULL, now);
	rc = spam_write_end(s, rc, b);
	if (!rc)
		log_info("event=dnsbl_list value=%s member=%" PRId64 " code=%d", canon, member,
			 code);
	return rc;
}

int spam_incident_feed(struct spam *s, int64_t originator, const char *report_id,
		       const struct spam_incident_value *v, size_t n, size_t *listed,
		       size_t *removed)
{
	static const char list_sql[] =
	    "INSERT OR IGNORE INTO dnsbl_listings(value, kind, code, reason, source, "
	    "listed_at, expires, member) VALUES (?, ?, ?, ?, 'incident', ?, ?, ?)";
	static const char unlist_sql[] = "DELETE FROM dnsbl_listings WHERE value = ? AND "
					 "source = 'incident' AND member = ?";
	struct store_conn *c;
	char reason[160];
	int64_t now = time_now_ms();
	int rc;

	*listed = *removed = 0;
	snprintf(reason, sizeof(reason), "incident report %.120s", report_id);
	struct dnsbl_batch *b = dnsbl_batch_new(s->bl);
	if ((rc = spam_write_begin(s, &c))) {
		dnsbl_batch_free(b);
		return rc;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		struct dnsbl_entry e;
		char canon[300];
		if ((!v[i].revoked && v[i].expires <= now) ||
		    spam_canonical(v[i].value, &e, canon, sizeof(canon), NULL))
			continue;
		sqlite3_stmt *st;
		if (v[i].revoked) {
			st = store_stmt(c, unlist_sql);
			sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, originator);
			rc = spam_step_done(c, st, "listing_incident_revoked");
			if (!rc && sqlite3_changes(store_db(c)) > 0) {
				rc = dnsbl_batch_remove(b, &e);
				(*removed)++;
			}
			continue;
		}
		e.code = DNSBL_CODE_INCIDENT;
		e.reason = reason;
		st = store_stmt(c, list_sql);
		sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, spam_kind_name(e.kind), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, DNSBL_CODE_INCIDENT);
		sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, now);
		sqlite3_bind_int64(st, 6, v[i].expires);
		sqlite3_bind_int64(st, 7, originator);
		rc = spam_step_done(c, st, "listing_incident");
		if (!rc && sqlite3_changes(store_db(c)) > 0) {
			rc = dnsbl_batch_add(b, &e);
			(*listed)++;
		}
	}
	rc = spam_write_end(s, rc, b);
	if (!rc && (*listed || *removed))
		log_info("event=dnsbl_incident report=%s listed=%zu removed=%zu", report_id,
			 *listed, *removed);
	return rc;
}

/* See internal.h. */
int spam_delist_in(struct store_conn *c, const char *canon, const struct dnsbl_entry *e,
		   struct dnsbl_batch *b, bool *found)
{
	sqlite3_stmt *st = store_stmt(c, "DELETE FROM dnsbl_listings WHERE value = ?");
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	int rc = spam_step_done(c, st, "listing_delist");
	*found = sqlite3_changes(store_db(c)) > 0;
	if (!rc && *found)
		rc = dnsbl_batch_remove(b, e);
	return rc;
}

int spam_delist(struct spam *s, int64_t member, const char *value, const char *reason,
		struct err_detail *d)
{
	struct dnsbl_entry e;
	struct store_conn *c;
	char canon[300];
	bool found = false;
	int rc;

	if ((rc = spam_canonical(value, &e, canon, sizeof(canon), d)))
		return rc;
	if (!reason || !*reason || strlen(reason) > 1000)
		return err_set(d, ERR_INVALID, "reason", "reason: required, at most 1000 bytes");
	struct dnsbl_batch *b = dnsbl_batch_new(s->bl);
	if ((rc = spam_write_begin(s, &c))) {
		dnsbl_batch_free(b);
		return rc;
	}
	int64_t now = time_now_ms();
	rc = spam_delist_in(c, canon, &e, b, &found);
	if (!rc && !found)
		rc = err_set(d, ERR_NOT_FOUND, "value", "'%s' is not listed", canon);
	if (!rc)
		rc = spam_record_action(c, member, "delist", canon, reason, NULL, now);
	rc = spam_write_end(s, rc, b);
	if (!rc)
		log_info("event=dnsbl_delist value=%s member=%" PRId64, canon, member);
	return rc;
}

struct import_ctx {
	struct store_conn *c;
	sqlite3_stmt *st;
	struct dnsbl_batch *b;
	size_t n;
	int64_t now, member;
};

static int import_one(const struct dnsbl_entry *e, void *arg)
{
	struct import_ctx *x = arg;
	char canon[300];
	dnsbl_entry_format(e, canon, sizeof(canon));
	sqlite3_bind_text(x->st, 1, canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(x->st, 2, spam_kind_name(e->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int(x->st, 3, e->code);
	sqlite3_bind_text(x->st, 4, e->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(x->st, 5, x->now);
	sqlite3_bind_int64(x->st, 6, x->member);
	int rc = spam_step_done(x->c, x->st, "listing_import");
	if (!rc)
		rc = dnsbl_batch_add(x->b, e);
	x->n++;
	return rc;
}

/* After a large write: the writer's page cache holds the pages it wrote (up
 * to sqlite_cache_mib) and the heap the parsed batch, both garbage now. Hand
 * them back so that the node's resident set stays the listing set. The
 * writer connection is only used under the store's writer lock: take it in a
 * transaction that changes nothing (rolled back, no disk access). */
static void give_back_memory(struct spam *s)
{
	struct store_conn *c;

	if (spam_write_begin(s, &c) == ERR_OK) {
		sqlite3_db_release_memory(store_db(c));
		spam_write_end(s, ERR_NOT_FOUND, NULL); /* not ERR_OK: rolled back */
	}
	malloc_trim(0);
}

int spam_import(struct spam *s, int64_t member, const char *data, size_t len,
		enum dnsbl_zone_format fmt, size_t *count, struct err_detail *d)
{
	static const char sql[] =
	    "INSERT OR REPLACE INTO dnsbl_listings(value, kind, code, reason, source, "
	    "listed_at, expires, member) VALUES (?, ?, ?, ?, 'import', ?, NULL, ?)";
	struct import_ctx x = {0};
	char detail[96];
	int rc;

	x.b = dnsbl_batch_new(s->bl);
	if ((rc = spam_write_begin(s, &x.c))) {
		dnsbl_batch_free(x.b);
		return rc;
	}
	x.st = store_stmt(x.c, sql);
	x.now = time_now_ms();
	x.member = member;
	rc = dnsbl_zone_import(data, len, fmt, DNSBL_CODE_SPAM, "listed by import", import_one, &x,
			       d);
	snprintf(detail, sizeof(detail), "{\"format\":\"%s\",\"entries\":%zu}",
		 dnsbl_zone_format_name(fmt), x.n);
	if (!rc)
		rc = spam_record_action(x.c, member, "import", NULL, "", detail, x.now);
	rc = spam_write_end(s, rc, x.b);
	if (count)
		*count = rc ? 0 : x.n;
	if (x.n >= IMPORT_GIVE_BACK)
		give_back_memory(s);
	if (!rc)
		log_info("event=dnsbl_import member=%" PRId64 " format=%s entries=%zu", member,
			 dnsbl_zone_format_name(fmt), x.n);
	return rc;
}

int spam_delisting_request(struct spam *s, int64_t member, const char *value, const char *reason,
			   int64_t *id, struct err_detail *d)
{
	static const char sql[] = "INSERT INTO dnsbl_delisting_requests(member, value, reason, at) "
				  "VALUES (?, ?, ?, ?)";
	struct dnsbl_entry e;
	struct store_conn *c;
	char canon[300];
	int rc;

	if ((rc = spam_canonical(value, &e, canon, sizeof(canon), d)))
		return rc;
	if (!reason || !*reason || strlen(reason) > 4000)
		return err_set(d, ERR_INVALID, "reason", "reason: required, at most 4000 bytes");
	if ((rc = spam_write_begin(s, &c)))
		return rc;
	sqlite3_stmt *st = store_stmt(c, sql);
	sqlite3_bind_int64(st, 1, member);
	sqlite3_bind_text(st, 2, canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, time_now_ms());
	rc = spam_step_done(c, st, "delisting_request");
	*id = sqlite3_last_insert_rowid(store_db(c));
	rc = spam_write_end(s, rc, NULL);
	if (!rc)
		log_info("event=dnsbl_delisting_request id=%" PRId64 " value=%s member=%" PRId64,
			 *id, canon, member);
	return rc;
}

int spam_delisting_decide(struct spam *s, int64_t admin, int64_t id, const char *outcome,
			  const char *reason, struct err_detail *d)
{
	static const char get_sql[] =
	    "SELECT value, outcome FROM dnsbl_delisting_requests WHERE id = ?";
	static const char set_sql[] = "UPDATE dnsbl_delisting_requests SET outcome = ?, "
				      "decided_by = ?, decided_at = ? WHERE id = ?";
	struct store_conn *c;
	struct dnsbl_entry e;
	char value[300], canon[300], why[600];
	bool accepted = outcome && !strcmp(outcome, "accepted"), found;
	int rc;

	if (!outcome || (!accepted && strcmp(outcome, "rejected")))
		return err_set(d, ERR_INVALID, "outcome", "outcome: must be accepted or rejected");
	struct dnsbl_batch *b = dnsbl_batch_new(s->bl);
	if ((rc = spam_write_begin(s, &c))) {
		dnsbl_batch_free(b);
		return rc;
	}
	int64_t now = time_now_ms();
	sqlite3_stmt *st = store_stmt(c, get_sql);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = err_set(d, ERR_NOT_FOUND, "", "no delisting request %" PRId64, id);
	} else {
		snprintf(value, sizeof(value), "%s", (const char *)sqlite3_column_text(st, 0));
		if (strcmp((const char *)sqlite3_column_text(st, 1), "pending"))
			rc = err_set(d, ERR_CONFLICT, "",
				     "delisting request %" PRId64 " was already %s", id,
				     sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (!rc) {
		st = store_stmt(c, set_sql);
		sqlite3_bind_text(st, 1, accepted ? "accepted" : "rejected", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, admin);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_int64(st, 4, id);
		rc = spam_step_done(c, st, "delisting_decide");
	}
	snprintf(why, sizeof(why), "delisting request %" PRId64 " %s: %s", id,
		 accepted ? "accepted" : "rejected", reason ? reason : "");
	if (!rc && accepted && !spam_canonical(value, &e, canon, sizeof(canon), NULL)) {
		rc = spam_delist_in(c, canon, &e, b, &found);
		if (!rc)
			rc = spam_record_action(c, admin, "delist", canon, why, NULL, now);
	} else if (!rc) {
		rc = spam_record_action(c, admin, "keep", value, why, NULL, now);
	}
	return spam_write_end(s, rc, b);
}
