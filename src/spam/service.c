/* The anti-spam service: reports -> reputation -> listings -> DNS set:
 * intake of abuse reports, fingerprints, reputation answers, expiry and the
 * service's life cycle. Listings made by hand or by the pipeline are in
 * listings.c, the pipeline's DNSBL feed in feed.c. See service.h for the
 * threading rules and docs/internals/spam.md for the design. */
#include "spam/service.h"
#include "spam/internal.h"

#include <malloc.h>

#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

enum { MAX_EVENTS = 10000, FP_WINDOW_DAYS = 30, FP_SCAN_MAX = 100000 };

struct dnsbl *spam_blocklist(struct spam *s)
{
	return s->bl;
}

const struct spam_rep_params *spam_params(struct spam *s)
{
	return &s->params;
}

const char *spam_kind_name(enum dnsbl_kind k)
{
	switch (k) {
	case DNSBL_IP4: return "ip4";
	case DNSBL_IP6: return "ip6";
	case DNSBL_NAME: return "name";
	case DNSBL_NAME_WILD: return "wildcard";
	}
	return "name";
}

static const char *format_name(enum arf_format f)
{
	return f == ARF_FORMAT_XARF02 ? "x-arf" : f == ARF_FORMAT_XARF4 ? "xarf" : "arf";
}

static bool category_counts(enum arf_category c)
{
	return c == ARF_CAT_SPAM || c == ARF_CAT_FRAUD || c == ARF_CAT_MALWARE;
}

static uint8_t category_code(const char *cat)
{
	if (cat && !strcmp(cat, "fraud"))
		return DNSBL_CODE_PHISHING;
	if (cat && !strcmp(cat, "malware"))
		return DNSBL_CODE_MALWARE;
	return DNSBL_CODE_SPAM;
}

/* Canonical text of a listing value ("192.0.2.1", "2001:db8::/64",
 * "*.example.org") and its parsed entry. */
int spam_canonical(const char *value, struct dnsbl_entry *e, char *out, size_t outsz,
		   struct err_detail *d)
{
	char msg[200];
	memset(e, 0, sizeof(*e));
	if (!value || !*value || strlen(value) > 300)
		return err_set(d, ERR_INVALID, "value", "value: missing or longer than 300 bytes");
	if (dnsbl_entry_parse(value, strlen(value), e, msg, sizeof(msg)))
		return err_set(d, ERR_INVALID, "value",
			       "value: '%s' is not an IPv4 or IPv6 address or prefix, or a domain: "
			       "%s",
			       value, msg);
	dnsbl_entry_format(e, out, outsz);
	return ERR_OK;
}

/* Takes the service lock, then the store's writer lock. */
int spam_write_begin(struct spam *s, struct store_conn **c)
{
	pthread_mutex_lock(&s->wlock);
	int rc = store_write_begin(s->node->st, c);
	if (rc)
		pthread_mutex_unlock(&s->wlock);
	return rc;
}

/* Commits (rc == ERR_OK) or rolls back, then applies the batch to the DNS
 * set only when the commit succeeded. Always frees the batch and unlocks. */
int spam_write_end(struct spam *s, int rc, struct dnsbl_batch *b)
{
	rc = store_write_end(s->node->st, rc);
	if (!rc && b && dnsbl_batch_size(b))
		dnsbl_commit(s->bl, b);
	else if (b)
		dnsbl_batch_free(b);
	pthread_mutex_unlock(&s->wlock);
	return rc;
}

int spam_step_done(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
	int src = sqlite3_step(st);
	sqlite3_reset(st);
	return src == SQLITE_DONE ? ERR_OK : store_error(c, src, what);
}

int spam_record_action(struct store_conn *c, int64_t member, const char *action, const char *value,
		       const char *reason, const char *detail, int64_t now)
{
	static const char sql[] = "INSERT INTO spam_actions(member, action, value, reason, detail, "
				  "at) VALUES (?, ?, ?, coalesce(?, ''), ?, ?)";
	sqlite3_stmt *st = store_stmt(c, sql);
	sqlite3_bind_int64(st, 1, member);
	sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	return spam_step_done(c, st, "spam_action_insert");
}

/* ---- reputation ---- */

struct events {
	struct spam_rep_event ev[MAX_EVENTS];
	size_t n;
	size_t reporters;  /* distinct */
	char category[32]; /* of the latest counted report */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The counted reports against `key` since its last manual delisting (a
 * delisting forgives what came before it), newest first. */
static int load_events(struct store_conn *c, const char *key, struct events *ev)
{
	static const char sql[] =
	    "SELECT reporter, received, category FROM spam_reports WHERE source = ?1 AND "
	    "category IN ('spam', 'fraud', 'malware') AND received > coalesce((SELECT max(at) "
	    "FROM spam_actions WHERE value = ?1 AND action = 'delist'), -1) "
	    "ORDER BY received DESC LIMIT 10000";
	sqlite3_stmt *st = store_stmt(c, sql);
	int src;
	ev->n = 0;
	ev->reporters = 0;
	ev->category[0] = '\0';
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	while ((src = sqlite3_step(st)) == SQLITE_ROW && ev->n < MAX_EVENTS) {
		struct spam_rep_event *e = &ev->ev[ev->n++];
		e->reporter = (uint64_t)sqlite3_column_int64(st, 0);
		e->time_ms = sqlite3_column_int64(st, 1);
		e->trust = 0;
		if (ev->n == 1)
			snprintf(ev->category, sizeof(ev->category), "%s",
				 (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_reset(st);
	if (src != SQLITE_ROW && src != SQLITE_DONE)
		return store_error(c, src, "spam_events");
	uint64_t *ids = xmalloc((ev->n + 1) * sizeof(*ids));
	for (size_t i = 0; i < ev->n; i++)
		ids[i] = ev->ev[i].reporter;
	qsort(ids, ev->n, sizeof(*ids), cmp_u64);
	for (size_t i = 0; i < ev->n; i++)
		ev->reporters += i == 0 || ids[i] != ids[i - 1];
	free(ids);
	return ERR_OK;
}

struct rescore {
	double score;
	bool listed;
	bool newly_listed;
	uint8_t code;
};

/* Scores `key` at `now` and, with `apply`, lists, updates or delists its
 * reputation listing in the transaction of c, adding the change to b.
 * Listings of another source (manual, import, incident) are left alone. */
static int rescore(struct spam *s, struct store_conn *c, const char *key, int64_t now, bool apply,
		   struct dnsbl_batch *b, struct rescore *out)
{
	static const char get_sql[] = "SELECT source, code FROM dnsbl_listings WHERE value = ?";
	static const char put_sql[] =
	    "INSERT INTO dnsbl_listings(value, kind, code, reason, source, listed_at, expires) "
	    "VALUES (?1, ?2, ?3, ?4, 'reputation', ?5, ?6) ON CONFLICT(value) DO UPDATE SET "
	    "code = ?3, reason = ?4, expires = ?6";
	static const char del_sql[] = "DELETE FROM dnsbl_listings WHERE value = ?";
	struct events *ev = xmalloc(sizeof(*ev));
	struct dnsbl_entry e;
	char canon[300], reason[128];
	bool listed_rep = false, listed_other = false;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = load_events(c, key, ev);
	if (rc)
		goto out;
	out->score = spam_rep_score(ev->ev, ev->n, now, &s->params);
	sqlite3_stmt *st = store_stmt(c, get_sql);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		listed_rep = !strcmp((const char *)sqlite3_column_text(st, 0), "reputation");
		listed_other = !listed_rep;
		out->code = (uint8_t)sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	out->listed = listed_rep || listed_other;
	if (listed_other || !apply)
		goto out;
	/* A tolerance of 1/1000 on the list threshold, so that two reports a
	 * few minutes apart count as two full reports (the first one has decayed
	 * by a few millionths by the time the second one arrives). */
	struct spam_rep_params p = s->params;
	p.list_threshold -= 1e-3;
	bool want = spam_rep_listed(out->score, listed_rep, &p);
	if (spam_canonical(key, &e, canon, sizeof(canon), NULL)) {
		rc = ERR_OK; /* a key the set cannot hold is scored, never listed */
		goto out;
	}
	if (want) {
		uint8_t code = category_code(ev->category);
		snprintf(reason, sizeof(reason), "%s source: abuse reports from %zu members",
			 code == DNSBL_CODE_PHISHING  ? "phishing"
			 : code == DNSBL_CODE_MALWARE ? "malware"
						      : "spam",
			 ev->reporters);
		st = store_stmt(c, put_sql);
		sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, spam_kind_name(e.kind), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, code);
		sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, now);
		sqlite3_bind_int64(st, 6, spam_rep_expiry(ev->ev, ev->n, now, &s->params));
		if ((rc = spam_step_done(c, st, "listing_upsert")))
			goto out;
		e.code = code;
		e.reason = reason;
		rc = dnsbl_batch_add(b, &e);
		out->listed = true;
		out->newly_listed = !listed_rep;
		out->code = code;
	} else if (listed_rep) {
		st = store_stmt(c, del_sql);
		sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
		if ((rc = spam_step_done(c, st, "listing_delete")))
			goto out;
		rc = dnsbl_batch_remove(b, &e);
		out->listed = false;
		out->code = 0;
	}
out:
	free(ev);
	return rc;
}

/* ---- intake ---- */

static char *json_list(const char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	char *t = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return t;
}

static void shingles_to_blob(const struct spam_fp *fp, uint8_t out[SPAM_FP_SHINGLES * 8])
{
	for (int i = 0; i < SPAM_FP_SHINGLES; i++)
		for (int k = 0; k < 8; k++)
			out[i * 8 + k] = (uint8_t)(fp->minhash[i] >> (8 * k));
}

static void blob_to_shingles(const uint8_t *p, struct spam_fp *fp)
{
	for (int i = 0; i < SPAM_FP_SHINGLES; i++) {
		uint64_t v = 0;
		for (int k = 0; k < 8; k++)
			v |= (uint64_t)p[i * 8 + k] << (8 * k);
		fp->minhash[i] = v;
	}
}

int spam_ingest(struct spam *s, int64_t reporter, const struct arf_report *rep,
		struct spam_ingest_result *res, struct err_detail *d)
{
	static const char sql[] =
	    "INSERT INTO spam_reports(reporter, received, arrival, format, source, source_ip, "
	    "category, feedback_type, domains, uris, fp_hash, fp_shingles, fp_words) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct store_conn *c;
	uint8_t blob[SPAM_FP_SHINGLES * 8];
	int64_t now = time_now_ms();
	int rc;

	memset(res, 0, sizeof(*res));
	const char *src_text = rep->source_ip		 ? rep->source_ip
			       : rep->n_reported_domains ? rep->reported_domains[0]
							 : NULL;
	if (src_text && spam_source_key(src_text, res->source, sizeof(res->source), NULL))
		res->source[0] = '\0';
	if (rep->original_body && rep->original_body_len) {
		spam_fp_compute(rep->original_body, rep->original_body_len, NULL, &res->fp);
		res->has_fp = true;
	}
	res->counted = category_counts(rep->category) && res->source[0];
	char *domains = json_list(rep->reported_domains, rep->n_reported_domains);
	char *uris = json_list(rep->reported_uris, rep->n_reported_uris);
	struct dnsbl_batch *b = dnsbl_batch_new(s->bl);

	if ((rc = spam_write_begin(s, &c))) {
		dnsbl_batch_free(b);
		goto out;
	}
	sqlite3_stmt *st = store_stmt(c, sql);
	sqlite3_bind_int64(st, 1, reporter);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, rep->has_arrival ? rep->arrival_ms : now);
	sqlite3_bind_text(st, 4, format_name(rep->format), -1, SQLITE_STATIC);
	if (res->source[0])
		sqlite3_bind_text(st, 5, res->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, rep->source_ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, arf_category_name(rep->category), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, rep->feedback_type ? rep->feedback_type : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, domains, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, uris, -1, SQLITE_STATIC);
	if (res->has_fp) {
		shingles_to_blob(&res->fp, blob);
		sqlite3_bind_blob(st, 11, res->fp.body_hash, SPAM_FP_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 12, blob, sizeof(blob), SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 13, res->has_fp ? res->fp.words : 0);
	rc = spam_step_done(c, st, "spam_report_insert");
	res->id = sqlite3_last_insert_rowid(store_db(c));
	struct rescore sc = {0};
	if (!rc && res->source[0])
		rc = rescore(s, c, res->source, now, res->counted, b, &sc);
	rc = spam_write_end(s, rc, b);
	if (!rc) {
		res->score = sc.score;
		res->listed = sc.listed;
		res->newly_listed = sc.newly_listed;
		res->code = sc.code;
		if (sc.newly_listed)
			log_info("event=dnsbl_listed value=%s score=%.3f code=%u", res->source,
				 sc.score, (unsigned)sc.code);
	}
out:
	free(domains);
	free(uris);
	if (rc && d && !d->message[0])
		err_set(d, rc, "", "%s", err_str(rc));
	return rc;
}

/* ---- fingerprints ---- */

static size_t count_distinct(int64_t *ids, size_t n)
{
	size_t k = 0;
	qsort(ids, n, sizeof(*ids), cmp_u64);
	for (size_t i = 0; i < n; i++)
		k += i == 0 || ids[i] != ids[i - 1];
	return k;
}

int spam_fp_lookup(struct spam *s, const struct spam_fp *fp, int64_t caller, json_t **out,
		   struct err_detail *d)
{
	static const char sql[] = "SELECT reporter, fp_hash, fp_shingles FROM spam_reports WHERE "
				  "fp_shingles IS NOT NULL AND received >= ? ORDER BY seq DESC "
				  "LIMIT 100000";
	struct store_conn *c = store_reader(s->node->st);
	if (!c)
		return err_set(d, ERR_STORE, "", "the store cannot be read");
	size_t cap = 64, n = 0, n_other = 0, reports = 0, exact = 0;
	int64_t *ids = xmalloc(cap * sizeof(*ids)), *others = xmalloc(cap * sizeof(*others));
	sqlite3_stmt *st = store_stmt(c, sql);
	sqlite3_bind_int64(st, 1, time_now_ms() - (int64_t)FP_WINDOW_DAYS * 86400 * 1000);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct spam_fp other;
		const void *h = sqlite3_column_blob(st, 1), *sh = sqlite3_column_blob(st, 2);
		if (sqlite3_column_bytes(st, 1) != SPAM_FP_HASH_LEN ||
		    sqlite3_column_bytes(st, 2) != SPAM_FP_SHINGLES * 8)
			continue;
		bool same = !memcmp(h, fp->body_hash, SPAM_FP_HASH_LEN);
		blob_to_shingles(sh, &other);
		if (!same && spam_fp_similarity(fp, &other) < SPAM_SIMILAR)
			continue;
		reports++;
		exact += same;
		if (n == cap) {
			cap *= 2;
			ids = xrealloc(ids, cap * sizeof(*ids));
			others = xrealloc(others, cap * sizeof(*others));
		}
		int64_t who = sqlite3_column_int64(st, 0);
		ids[n++] = who;
		if (who != caller)
			others[n_other++] = who;
	}
	sqlite3_reset(st);
	*out = json_pack("{sI sI sI sI sf si}", "members", (json_int_t)count_distinct(ids, n),
			 "other_members", (json_int_t)count_distinct(others, n_other), "reports",
			 (json_int_t)reports, "exact_reports", (json_int_t)exact, "threshold",
			 SPAM_SIMILAR, "window_days", FP_WINDOW_DAYS);
	free(ids);
	free(others);
	return ERR_OK;
}

/* ---- reputation answers ---- */

int spam_reputation(struct spam *s, const char *value, bool detail, json_t **out,
		    struct err_detail *d)
{
	static const char sql[] = "SELECT value, kind, code, reason, source, listed_at, expires "
				  "FROM dnsbl_listings WHERE value = ?";
	char key[300], canon[300];
	struct dnsbl_entry e;
	struct dnsbl_hit hit = {0};
	int rc;

	if (!value || !*value)
		return err_set(d, ERR_INVALID, "value", "value: missing (?value=IP or domain)");
	if ((rc = spam_source_key(value, key, sizeof(key), d))) {
		snprintf(d->field, sizeof(d->field), "value");
		return rc;
	}
	if ((rc = spam_canonical(value, &e, canon, sizeof(canon), d)))
		return rc;
	bool listed = false;
	if (e.kind == DNSBL_IP4 && e.plen == 32) {
		uint32_t a = (uint32_t)e.addr[0] << 24 | (uint32_t)e.addr[1] << 16 |
			     (uint32_t)e.addr[2] << 8 | e.addr[3];
		listed = dnsbl_lookup_ip4(s->bl, NULL, a, &hit);
	} else if (e.kind == DNSBL_IP6 && e.plen == 128) {
		listed = dnsbl_lookup_ip6(s->bl, NULL, e.addr, &hit);
	} else if (e.kind == DNSBL_NAME) {
		listed = dnsbl_lookup_name(s->bl, NULL, e.name, &hit);
	}
	json_t *o = json_pack("{ss ss sb}", "value", canon, "source_key", key, "listed", listed);
	if (listed) {
		json_object_set_new(o, "code", json_integer(hit.code));
		char a[16];
		snprintf(a, sizeof(a), "127.0.0.%u", (unsigned)hit.code);
		json_object_set_new(o, "answer", json_string(a));
		json_object_set_new(o, "reason",
				    hit.reason ? json_string(hit.reason) : json_null());
	}
	struct store_conn *c = store_reader(s->node->st);
	if (!c) {
		json_decref(o);
		return err_set(d, ERR_STORE, "", "the store cannot be read");
	}
	/* the listing row of the key (or of the value itself, for prefixes) */
	sqlite3_stmt *st = store_stmt(c, sql);
	sqlite3_bind_text(st, 1, listed && strcmp(key, canon) ? canon : key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		char t1[32], t2[32];
		time_format_ms(sqlite3_column_int64(st, 5), t1);
		json_t *l =
		    json_pack("{ss ss si ss* ss ss}", "value", sqlite3_column_text(st, 0), "kind",
			      sqlite3_column_text(st, 1), "code", sqlite3_column_int(st, 2),
			      "reason", sqlite3_column_text(st, 3), "source",
			      sqlite3_column_text(st, 4), "listed_at", t1);
		if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
			time_format_ms(sqlite3_column_int64(st, 6), t2);
			json_object_set_new(l, "expires", json_string(t2));
		} else {
			json_object_set_new(l, "expires", json_null());
		}
		json_object_set_new(o, "listing", l);
	} else {
		json_object_set_new(o, "listing", json_null());
	}
	sqlite3_reset(st);
	if (detail) {
		struct events *ev = xmalloc(sizeof(*ev));
		int64_t now = time_now_ms();
		rc = load_events(c, key, ev);
		if (!rc) {
			double score = spam_rep_score(ev->ev, ev->n, now, &s->params);
			char t[32];
			json_object_set_new(o, "score", json_real(round(score * 1e4) / 1e4));
			json_object_set_new(o, "reports", json_integer((json_int_t)ev->n));
			json_object_set_new(o, "reporters",
					    json_integer((json_int_t)ev->reporters));
			if (ev->n) {
				time_format_ms(ev->ev[0].time_ms, t);
				json_object_set_new(o, "last_report", json_string(t));
			}
			json_object_set_new(o, "thresholds",
					    json_pack("{sf sf sf}", "list",
						      s->params.list_threshold, "delist",
						      s->params.delist_threshold, "half_life_hours",
						      s->params.half_life_s / 3600.0));
		}
		free(ev);
		if (rc) {
			json_decref(o);
			return rc;
		}
	}
	*out = o;
	return ERR_OK;
}

/* ---- expiry ---- */

/* The values `sql` (bound to `now`) selects, copied into *values (grown as needed). */
static size_t due_values(struct store_conn *c, const char *sql, int64_t now, char ***values,
			 size_t *cap)
{
	sqlite3_stmt *st = store_stmt(c, sql);
	size_t n = 0;

	sqlite3_bind_int64(st, 1, now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == *cap)
			*values = xrealloc(*values, (*cap *= 2) * sizeof(**values));
		(*values)[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	return n;
}

int spam_expire_now(struct spam *s, size_t *removed)
{
	static const char due_sql[] = "SELECT value FROM dnsbl_listings WHERE expires IS NOT NULL "
				      "AND expires <= ? LIMIT 1";
	static const char list_sql[] = "SELECT value FROM dnsbl_listings WHERE expires IS NOT NULL "
				       "AND expires <= ? AND source = 'reputation' LIMIT 10000";
	static const char incident_sql[] =
	    "SELECT value FROM dnsbl_listings WHERE expires IS NOT "
	    "NULL AND expires <= ? AND source = 'incident' LIMIT 10000";
	struct store_conn *c, *rd = store_reader(s->node->st);
	int64_t now = time_now_ms();
	size_t n = 0;
	int rc;

	if (removed)
		*removed = 0;
	if (!rd)
		return ERR_STORE;
	/* a cheap check on this thread's reader first: most seconds nothing is due */
	sqlite3_stmt *st = store_stmt(rd, due_sql);
	sqlite3_bind_int64(st, 1, now);
	bool due = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!due)
		return ERR_OK;
	struct dnsbl_batch *b = dnsbl_batch_new(s->bl);
	if ((rc = spam_write_begin(s, &c))) {
		dnsbl_batch_free(b);
		return rc;
	}
	size_t cap = 16, nv;
	char **values = xmalloc(cap * sizeof(*values));
	nv = due_values(c, list_sql, now, &values, &cap);
	for (size_t i = 0; i < nv && !rc; i++) {
		struct rescore sc;
		rc = rescore(s, c, values[i], now, true, b, &sc);
		if (!rc && !sc.listed) {
			n++;
			log_info("event=dnsbl_expired value=%s score=%.3f", values[i], sc.score);
		}
	}
	for (size_t i = 0; i < nv; i++)
		free(values[i]);
	/* incident listings end with their indicator's validity, without a score */
	nv = rc ? 0 : due_values(c, incident_sql, now, &values, &cap);
	for (size_t i = 0; i < nv; i++) {
		struct dnsbl_entry e;
		char canon[300];
		bool found = false;
		if (!rc && !spam_canonical(values[i], &e, canon, sizeof(canon), NULL) &&
		    !(rc = spam_delist_in(c, canon, &e, b, &found)) && found) {
			n++;
			log_info("event=dnsbl_expired value=%s source=incident", canon);
		}
		free(values[i]);
	}
	free(values);
	rc = spam_write_end(s, rc, b);
	if (removed)
		*removed = rc ? 0 : n;
	return rc;
}

static void *expiry_main(void *arg)
{
	struct spam *s = arg;
	pthread_mutex_lock(&s->stop_lock);
	while (!s->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&s->stop_cond, &s->stop_lock, &ts);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->stop_lock);
		int rc = spam_expire_now(s, NULL);
		if (rc)
			log_warn("event=dnsbl_expiry error=\"%s\"", err_str(rc));
		pthread_mutex_lock(&s->stop_lock);
	}
	pthread_mutex_unlock(&s->stop_lock);
	return NULL;
}

/* ---- life cycle ---- */

static int load_listings(struct spam *s, size_t *count, struct err_detail *d)
{
	static const char sql[] = "SELECT value, code, reason FROM dnsbl_listings";
	struct store_conn *c = store_reader(s->node->st);
	if (!c)
		return err_set(d, ERR_STORE, "", "the store cannot be read");
	struct dnsbl_batch *b = dnsbl_batch_new(s->bl);
	sqlite3_stmt *st = store_stmt(c, sql);
	size_t n = 0, bad = 0;
	int src;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		struct dnsbl_entry e;
		const char *v = (const char *)sqlite3_column_text(st, 0);
		int len = sqlite3_column_bytes(st, 0);
		if (dnsbl_entry_parse(v, (size_t)len, &e, NULL, 0)) {
			bad++;
			continue;
		}
		e.code = (uint8_t)sqlite3_column_int(st, 1);
		e.reason = (const char *)sqlite3_column_text(st, 2);
		if (dnsbl_batch_add(b, &e))
			bad++;
		else
			n++;
	}
	sqlite3_reset(st);
	if (src != SQLITE_DONE) {
		dnsbl_batch_free(b);
		return err_set(d, store_error(c, src, "listings_load"), "",
			       "the DNSBL listings cannot be read");
	}
	dnsbl_commit(s->bl, b);
	/* The load's batch and pages are garbage now: hand them back, so the
	 * resident set is the listing set, not the way it was built. */
	sqlite3_db_release_memory(store_db(c));
	malloc_trim(0);
	if (bad)
		log_warn("event=dnsbl_load skipped=%zu hint=\"rows the set cannot hold\"", bad);
	*count = n;
	return ERR_OK;
}

int spam_new(struct node *node, struct spam **out, struct err_detail *d)
{
	struct spam *s = xcalloc(1, sizeof(*s));
	const struct config *cfg = node->cfg;
	size_t n = 0;
	int64_t t0 = time_mono_ns();
	int rc;

	s->node = node;
	spam_rep_defaults(&s->params);
	s->params.half_life_s = cfg->spam_half_life_hours * 3600.0;
	s->params.list_threshold = cfg->spam_list_threshold;
	/* the default ratio of the two thresholds (1.0 / 2.5): hysteresis */
	s->params.delist_threshold = cfg->spam_list_threshold * 0.4;
	pthread_mutex_init(&s->wlock, NULL);
	pthread_mutex_init(&s->stop_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	s->bl = dnsbl_new();
	if ((rc = load_listings(s, &n, d))) {
		spam_free(s);
		return rc;
	}
	log_info("event=dnsbl_loaded entries=%zu ms=%.1f half_life_hours=%g list=%g delist=%g", n,
		 (double)(time_mono_ns() - t0) / 1e6, s->params.half_life_s / 3600.0,
		 s->params.list_threshold, s->params.delist_threshold);
	if (pthread_create(&s->expiry, NULL, expiry_main, s)) {
		spam_free(s);
		return err_set(d, ERR_INTERNAL, "", "cannot start the expiry thread");
	}
	s->expiry_running = true;
	*out = s;
	return ERR_OK;
}

/* The DNS server's settings from cfg; url (urlsz >= 256) holds the lookup URL
 * <public_url or http://listen>/api/v1/reputation?value=%s. */
static void dns_config(const struct config *cfg, char *url, size_t urlsz,
		       struct dnsbl_server_config *sc)
{
	char base[200];
	config_base_url(cfg, base, sizeof(base));
	snprintf(url, urlsz, "%s/api/v1/reputation?value=%%s", base);
	if (strchr(base, '%') || strlen(url) > 200)
		url[0] = '\0';
	*sc = (struct dnsbl_server_config){
	    .zone = cfg->dnsbl_zone,
	    .ns_host = cfg->dnsbl_ns,
	    .soa_mname = cfg->dnsbl_soa_mname,
	    .hostmaster = cfg->dnsbl_soa_rname,
	    .serial = cfg->dnsbl_soa_serial,
	    .lookup_url = url[0] ? url : NULL,
	    .ttl = (uint32_t)cfg->dnsbl_ttl,
	    .neg_ttl = (uint32_t)cfg->dnsbl_soa_minimum,
	    .ns_ttl = (uint32_t)cfg->dnsbl_ns_ttl,
	    .soa_refresh = (uint32_t)cfg->dnsbl_soa_refresh,
	    .soa_retry = (uint32_t)cfg->dnsbl_soa_retry,
	    .soa_expire = (uint32_t)cfg->dnsbl_soa_expire,
	    .tcp_idle_ms = (int)cfg->dns_tcp_idle_ms,
	    .tcp_max_conns = (int)cfg->dns_tcp_connections_max,
	    .tcp_per_addr_max = (int)cfg->dns_tcp_per_address_max,
	};
}

int spam_dns_start(struct spam *s, struct dnsbl_listen *l, struct err_detail *d)
{
	struct dnsbl_server_config sc;

	dns_config(s->node->cfg, s->lookup_url, sizeof(s->lookup_url), &sc);
	return dnsbl_server_start(&sc, s->bl, l, &s->dns, d);
}

int spam_reload_dns_settings(struct spam *s, const struct config *cfg, struct err_detail *d)
{
	struct dnsbl_server_config sc;
	char url[256];

	if (!s->dns)
		return ERR_OK;
	dns_config(cfg, url, sizeof(url), &sc);
	return dnsbl_server_reload(s->dns, &sc, d);
}

void spam_dns_metrics(struct spam *s, struct buf *out)
{
	if (s && s->dns)
		dnsbl_server_metrics(s->dns, out);
}

void spam_free(struct spam *s)
{
	if (!s)
		return;
	if (s->dns)
		dnsbl_server_stop(s->dns);
	if (s->expiry_running) {
		pthread_mutex_lock(&s->stop_lock);
		s->stopping = true;
		pthread_cond_signal(&s->stop_cond);
		pthread_mutex_unlock(&s->stop_lock);
		pthread_join(s->expiry, NULL);
	}
	dnsbl_free(s->bl);
	pthread_cond_destroy(&s->stop_cond);
	pthread_mutex_destroy(&s->stop_lock);
	pthread_mutex_destroy(&s->wlock);
	free(s);
}
