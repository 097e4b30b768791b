/* Early warning over REST: constituencies, lookups, related reports,
 * sightings, alerts and their live stream. Every report or object disclosed
 * passes policy_may_see on its path (lookup, related, alert) and is written
 * to the audit table before the answer leaves.
 *
 * Why one file of ~940 lines: it is one route table, whose order `atalaya
 * routes`, the metrics and the OpenAPI test read. Lookups, related reports
 * and sightings read the index (src/index/) and are the part to move out,
 * into a table of their own in src/index/, when the route list becomes the
 * neutral src/routes.c. */
#include "alert/routes.h"

#include "alert/delivery.h"
#include "alert/service.h"
#include "http/answer.h"
#include "index/indexer.h"
#include "node.h"
#include "index/prefixset.h"
#include "policy/policy.h"
#include "store/subject.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define LOOKUP_MATCHES_MAX 1000	      /* objects listed per looked-up value */
#define LOOKUP_BATCH_MAX 1000	      /* values per POST /lookup */
#define RELATED_OBSERVABLES_MAX 10000 /* a report's observables looked at for related */
#define RELATED_MATCHES_MAX 20000
#define CONSTITUENCY_ENTRIES_MAX 10000
#define SSE_KEEPALIVE_MS 14000 /* just under the service's 15 s tick, so each tick sends one */

#include <sodium.h>

#include "audit.h"

static struct alert *service(struct request *r)
{
	if (!r->node->alert) {
		http_error(r, 503, "unavailable", NULL, "the early-warning service is not running");
		return NULL;
	}
	return r->node->alert;
}

/* The index and constituencies (src/index), with the same answer when absent. */
static struct indexer *indexer_of(struct request *r)
{
	if (!r->node->indexer) {
		http_error(r, 503, "unavailable", NULL, "the early-warning service is not running");
		return NULL;
	}
	return r->node->indexer;
}

/* --- report metadata, memoised per request --- */

struct rmeta {
	int64_t seq, originator, received;
	int tlp;
	bool visible;
	char *id, *name;
	struct rmeta *next;
};

static struct rmeta *report_meta(struct request *r, struct rmeta **memo, int64_t seq,
				 enum policy_path p)
{
	for (struct rmeta *m = *memo; m; m = m->next)
		if (m->seq == seq)
			return m;
	static const char sql[] =
	    "SELECT r.id, r.received, m.name, " STORE_SUBJECT_COLS
	    " FROM reports r JOIN members m ON m.id = r.originator WHERE r.seq = ?";
	struct rmeta *m = arena_alloc(&r->arena, sizeof(*m));
	memset(m, 0, sizeof(*m));
	m->seq = seq;
	sqlite3_stmt *s = store_stmt(store_reader(r->node->st), sql);
	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) == SQLITE_ROW) {
		m->id = arena_strndup(&r->arena, (const char *)sqlite3_column_text(s, 0),
				      (size_t)sqlite3_column_bytes(s, 0));
		m->received = sqlite3_column_int64(s, 1);
		m->name = arena_strndup(&r->arena, (const char *)sqlite3_column_text(s, 2),
					(size_t)sqlite3_column_bytes(s, 2));
		struct policy_subject o;
		store_subject_from_row(s, 3, &o);
		m->originator = o.owner;
		m->tlp = (int)o.tlp;
		m->visible = policy_may_see(r->node->dir, &r->who, &o, p);
	}
	sqlite3_reset(s);
	m->next = *memo;
	*memo = m;
	return m;
}

static const char *rel_name(enum index_rel rel)
{
	static const char *const names[] = {"exact", "contains", "within", "parent", "host"};
	return (unsigned)rel < 5 ? names[rel] : "related";
}

static json_t *time_json(int64_t ms)
{
	char t[32];
	if (!ms)
		return json_null();
	time_format_ms(ms, t);
	return json_string(t);
}

/* ------------------------------------------------------------------ */
/* constituency                                                        */

static json_t *constituency_json(struct request *r, int64_t member)
{
	sqlite3_stmt *s = store_stmt(store_reader(r->node->st),
				     "SELECT cidrs, asns, domains, updated FROM constituencies "
				     "WHERE member = ?");
	json_t *out = json_pack("{sI}", "member", (json_int_t)member);
	sqlite3_bind_int64(s, 1, member);
	if (sqlite3_step(s) == SQLITE_ROW) {
		json_object_set_new(out, "cidrs", http_col_json(s, 0));
		json_object_set_new(out, "asns", http_col_json(s, 1));
		json_object_set_new(out, "domains", http_col_json(s, 2));
		json_object_set_new(out, "updated", http_col_time(s, 3));
	} else {
		json_object_set_new(out, "cidrs", json_array());
		json_object_set_new(out, "asns", json_array());
		json_object_set_new(out, "domains", json_array());
		json_object_set_new(out, "updated", json_null());
	}
	sqlite3_reset(s);
	return out;
}

static void get_constituency(struct request *r)
{
	const char *m = http_query(r, "member");
	int64_t member = r->who.member_id;
	if (!node_reader(r))
		return;
	if (m && (!http_parse_id(m, &member) || !http_require_self_or_admin(r, member))) {
		if (!r->status)
			http_error(r, 422, "invalid_field", "member",
				   "member: '%s' is not a member id", m);
		return;
	}
	http_json(r, 200, constituency_json(r, member));
}

static void put_constituency(struct request *r)
{
	struct indexer *w = indexer_of(r);
	struct err_detail err;
	/* each list is checked below, entry by entry, with its canonicaliser */
	static const struct rj_field fields[] = {
	    {"cidrs", RJ_ANY, RJ_NULLABLE, 0, 0},
	    {"asns", RJ_ANY, RJ_NULLABLE, 0, 0},
	    {"domains", RJ_ANY, RJ_NULLABLE, 0, 0},
	};
	json_t *in;
	if (!w || !(in = http_decode(r, fields, sizeof(fields) / sizeof(fields[0]), false)))
		return;
	static const char *const names[3] = {"cidrs", "asns", "domains"};
	json_t *canon[3] = {json_array(), json_array(), json_array()};
	json_t *v;
	int bad = 0;
	for (int k = 0; k < 3 && !bad; k++) {
		json_t *arr = json_object_get(in, names[k]);
		size_t i;
		if (!arr || json_is_null(arr))
			continue;
		if (!json_is_array(arr) || json_array_size(arr) > CONSTITUENCY_ENTRIES_MAX) {
			http_error(r, 422, "invalid_field", names[k],
				   "%s: must be a list of at most %d values", names[k],
				   CONSTITUENCY_ENTRIES_MAX);
			bad = 1;
			break;
		}
		json_array_foreach(arr, i, v)
		{
			struct observable o;
			err_clear(&err);
			if (constituency_entry(names[k], v, &o, &err)) {
				char field[48];
				snprintf(field, sizeof(field), "%s[%zu]", names[k], i);
				http_error(r, 422, "invalid_field", field, "%s", err.message);
				bad = 1;
				break;
			}
			json_t *cv = json_stringn(o.value, o.len);
			bool dup = false;
			size_t j;
			json_t *e;
			json_array_foreach(canon[k], j, e) dup |= json_equal(e, cv);
			if (dup)
				json_decref(cv);
			else
				json_array_append_new(canon[k], cv);
		}
	}
	json_decref(in);
	if (!bad) {
		err_clear(&err);
		int rc = constituency_set(indexer_constituency(w), r->node->st, r->who.member_id,
					  canon[0], canon[1], canon[2], &err);
		if (rc) {
			http_error_detail(r, rc, &err);
		} else {
			json_t *out = constituency_json(r, r->who.member_id);
			/* the first time, the member's webhook secret, shown once */
			sqlite3_stmt *s =
			    store_stmt(store_reader(r->node->st),
				       "SELECT 1 FROM webhook_secrets WHERE member = ?");
			sqlite3_bind_int64(s, 1, r->who.member_id);
			bool has = sqlite3_step(s) == SQLITE_ROW;
			sqlite3_reset(s);
			char secret[65];
			if (!has && !alert_new_secret(r->node, r->who.member_id, secret)) {
				json_object_set_new(out, "webhook_secret", json_string(secret));
				json_object_set_new(
				    out, "note",
				    json_string("webhook_secret is shown once: alert webhooks "
						"carry X-Atalaya-Signature: sha256=HMAC-SHA256("
						"secret, body) in hex; rotate it with POST "
						"/api/v1/alerts/webhook-secret"));
				sodium_memzero(secret, sizeof(secret));
			}
			http_json(r, 200, out);
		}
	}
	for (int k = 0; k < 3; k++)
		json_decref(canon[k]);
}

static void get_overlaps(struct request *r)
{
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	struct entry {
		int64_t member;
		json_t *values;
		struct prefixset *set;
	} *es = NULL;
	size_t n = 0;
	sqlite3_stmt *s = store_stmt(c, "SELECT c.member, c.cidrs, c.asns, c.domains, m.name FROM "
					"constituencies c JOIN members m ON m.id = c.member WHERE "
					"m.deleted IS NULL ORDER BY c.member");
	json_t *names = json_object();
	while (sqlite3_step(s) == SQLITE_ROW) {
		es = xrealloc(es, (n + 1) * sizeof(*es));
		es[n].member = sqlite3_column_int64(s, 0);
		es[n].values = json_array();
		es[n].set = prefixset_new();
		char key[24];
		snprintf(key, sizeof(key), "%" PRId64, es[n].member);
		json_object_set_new(names, key, http_col_text(s, 4));
		for (int k = 0; k < 3; k++) {
			json_t *arr = http_col_json(s, 1 + k);
			size_t i;
			json_t *v;
			json_array_foreach(arr, i, v)
			{
				struct observable o;
				if (constituency_entry(k == 0	? "cidrs"
						       : k == 1 ? "asns"
								: "domains",
						       v, &o, NULL))
					continue;
				prefixset_add(es[n].set, &o, NULL);
				json_array_append_new(es[n].values,
						      json_pack("[is#]", k, o.value, (int)o.len));
			}
			json_decref(arr);
		}
		n++;
	}
	sqlite3_reset(s);
	json_t *items = json_array();
	static const char *const kinds[] = {"cidrs", "asns", "domains"};
	for (size_t a = 0; a < n; a++) {
		for (size_t b = a + 1; b < n; b++) {
			json_t *vals = json_array();
			for (int side = 0; side < 2; side++) {
				struct entry *from = side ? &es[b] : &es[a];
				struct entry *into = side ? &es[a] : &es[b];
				size_t i;
				json_t *v;
				json_array_foreach(from->values, i, v)
				{
					struct observable o;
					int k = (int)json_integer_value(json_array_get(v, 0));
					const char *t = json_string_value(json_array_get(v, 1));
					if (observable_normalise(k == 1	  ? OBS_ASN
								 : k == 2 ? OBS_DOMAIN
									  : OBS_AUTO,
								 t, strlen(t), &o, NULL))
						continue;
					if (prefixset_contains(into->set, &o))
						json_array_append_new(
						    vals,
						    json_pack("{ss ss sI sI}", "value", t, "kind",
							      kinds[k], "of",
							      (json_int_t)from->member, "inside",
							      (json_int_t)into->member));
				}
			}
			if (!json_array_size(vals)) {
				json_decref(vals);
				continue;
			}
			char ka[24], kb[24];
			snprintf(ka, sizeof(ka), "%" PRId64, es[a].member);
			snprintf(kb, sizeof(kb), "%" PRId64, es[b].member);
			json_array_append_new(items, json_pack("{s[{sI sO} {sI sO}] so}", "members",
							       "id", (json_int_t)es[a].member,
							       "name", json_object_get(names, ka),
							       "id", (json_int_t)es[b].member,
							       "name", json_object_get(names, kb),
							       "overlaps", vals));
		}
	}
	for (size_t i = 0; i < n; i++) {
		json_decref(es[i].values);
		prefixset_free(es[i].set);
	}
	free(es);
	json_decref(names);
	http_json(r, 200, json_pack("{so}", "items", items));
}

/* ------------------------------------------------------------------ */
/* lookup                                                              */

struct hit {
	uint64_t object, report;
	enum index_rel rel;
	const char *value;
};

struct hits {
	struct request *r;
	struct hit *h;
	size_t n, cap;
	bool truncated;
};

static int collect(const struct index_match *m, void *ctx)
{
	struct hits *hs = ctx;
	if (hs->n == hs->cap) {
		if (hs->cap >= RELATED_MATCHES_MAX) {
			hs->truncated = true;
			return 1;
		}
		size_t ncap = hs->cap ? 2 * hs->cap : 16;
		struct hit *nh = arena_alloc(&hs->r->arena, ncap * sizeof(*nh));
		if (hs->n)
			memcpy(nh, hs->h, hs->n * sizeof(*nh));
		hs->h = nh;
		hs->cap = ncap;
	}
	struct hit *h = &hs->h[hs->n++];
	h->object = m->object_id;
	h->report = m->report_id;
	h->rel = m->rel;
	h->value = arena_strndup(&hs->r->arena, m->value, m->len);
	return 0;
}

/* The answer for one value; NULL and *err set when it is not an observable. */
static json_t *lookup_one(struct request *r, struct indexer *w, const char *value,
			  struct rmeta **memo, struct audit_list *audit, struct err_detail *err)
{
	struct observable *o = arena_alloc(&r->arena, sizeof(*o));
	if (observable_normalise(OBS_AUTO, value, strlen(value), o, err))
		return NULL;
	struct hits hs = {.r = r};
	index_lookup(indexer_index(w), o, collect, &hs);
	static const char osql[] = "SELECT stix_id, type, modified FROM objects WHERE seq = ?";
	sqlite3_stmt *s = store_stmt(store_reader(r->node->st), osql);
	json_t *matches = json_array(), *members = json_array();
	int64_t first = 0, last = 0, nreports = 0;
	size_t shown = 0;
	struct reported {
		int64_t seq;
		struct reported *next;
	} *seen_reports = NULL;
	for (size_t i = 0; i < hs.n; i++) {
		struct rmeta *m = report_meta(r, memo, (int64_t)hs.h[i].report, POLICY_LOOKUP);
		if (!m->visible)
			continue;
		if (shown >= LOOKUP_MATCHES_MAX) {
			hs.truncated = true;
			break;
		}
		sqlite3_bind_int64(s, 1, (int64_t)hs.h[i].object);
		if (sqlite3_step(s) != SQLITE_ROW) {
			sqlite3_reset(s);
			continue;
		}
		const char *stix_id = (const char *)sqlite3_column_text(s, 0);
		int64_t mod = sqlite3_column_int64(s, 2);
		int64_t seen = mod < m->received ? mod : m->received;
		json_array_append_new(matches,
				      json_pack("{ss ss ss ss ss so}", "object", stix_id, "type",
						(const char *)sqlite3_column_text(s, 1), "report",
						m->id, "relation", rel_name(hs.h[i].rel), "value",
						hs.h[i].value, "seen", time_json(seen)));
		audit_disclosed(r, audit, m->seq, m->originator, stix_id);
		sqlite3_reset(s);
		shown++;
		if (!first || seen < first)
			first = seen;
		if (seen > last)
			last = seen;
		bool dup = false;
		for (struct reported *p = seen_reports; p; p = p->next)
			dup |= p->seq == m->seq;
		if (!dup) {
			struct reported *p = arena_alloc(&r->arena, sizeof(*p));
			p->seq = m->seq;
			p->next = seen_reports;
			seen_reports = p;
			nreports++;
			size_t j;
			json_t *e;
			bool known = false;
			json_array_foreach(members, j, e) known |=
			    json_integer_value(json_object_get(e, "id")) == m->originator;
			if (!known)
				json_array_append_new(members, json_pack("{sI ss}", "id",
									 (json_int_t)m->originator,
									 "name", m->name));
		}
	}
	/* sightings of the value itself: members' own, and those of visible reports */
	int64_t sightings = 0;
	bool maybe = indexer_maybe_sighted(w, o->value, o->len);
	sqlite3_stmt *q =
	    store_stmt(store_reader(r->node->st),
		       "SELECT count, seen_at, report FROM sightings WHERE value = ?");
	sqlite3_bind_text(q, 1, o->value, (int)o->len, SQLITE_STATIC);
	while (maybe && sqlite3_step(q) == SQLITE_ROW) {
		if (sqlite3_column_type(q, 2) != SQLITE_NULL) {
			int64_t rs = sqlite3_column_int64(q, 2);
			/* report_meta uses another statement: safe while q steps */
			if (!report_meta(r, memo, rs, POLICY_LOOKUP)->visible)
				continue;
		}
		int64_t at = sqlite3_column_int64(q, 1);
		sightings += sqlite3_column_int64(q, 0);
		if (!first || at < first)
			first = at;
		if (at > last)
			last = at;
	}
	sqlite3_reset(q);
	int64_t now = time_now_ms();
	uint64_t total = (uint64_t)(nreports + sightings);
	double score =
	    last ? observable_score(now, last, total > UINT32_MAX ? UINT32_MAX : (uint32_t)total,
				    o->kind)
		 : 0.0;
	return json_pack("{ss ss so sI sI so so so sf sb sb}", "value", o->value, "kind",
			 observable_kind_name(o->kind), "matches", matches, "reports",
			 (json_int_t)nreports, "sightings", (json_int_t)sightings, "first_seen",
			 time_json(first), "last_seen", time_json(last), "reporting_members",
			 members, "score", score, "expired",
			 last ? observable_expired(score) : false, "truncated", hs.truncated);
}

static void get_lookup(struct request *r)
{
	struct indexer *w = indexer_of(r);
	const char *v = http_query(r, "value");
	struct audit_list audit = {NULL, 0};
	struct rmeta *memo = NULL;
	struct err_detail err;
	if (!w || !node_reader(r))
		return;
	if (!v || !*v) {
		http_error(r, 422, "invalid_field", "value",
			   "value: give ?value=ADDRESS|CIDR|DOMAIN|URL|"
			   "EMAIL|HASH|ASN");
		return;
	}
	err_clear(&err);
	json_t *out = lookup_one(r, w, v, &memo, &audit, &err);
	if (!out) {
		http_error(r, 422, "invalid_field", "value", "value: %s", err.message);
		return;
	}
	http_json(r, 200, out);
	audit_flush(r, &audit, POLICY_LOOKUP);
}

static void post_lookup(struct request *r)
{
	struct indexer *w = indexer_of(r);
	struct audit_list audit = {NULL, 0};
	struct rmeta *memo = NULL;
	json_error_t jerr;
	if (!w || !node_reader(r))
		return;
	json_t *in = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &jerr);
	if (!in) {
		http_error(r, 400, "invalid_json", NULL, "body: line %d column %d: %s", jerr.line,
			   jerr.column, jerr.text);
		return;
	}
	json_t *vals = json_is_object(in) ? json_object_get(in, "values") : in;
	if (!json_is_array(vals) || json_array_size(vals) > LOOKUP_BATCH_MAX) {
		json_decref(in);
		http_error(
		    r, 422, "invalid_field", "values",
		    "body must be a JSON array of at most %d values (or {\"values\": [...]})",
		    LOOKUP_BATCH_MAX);
		return;
	}
	json_t *items = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(vals, i, v)
	{
		struct err_detail err;
		err_clear(&err);
		if (!json_is_string(v)) {
			json_array_append_new(items, json_pack("{so ss}", "value", json_copy(v),
							       "error", "not a string"));
			continue;
		}
		json_t *one = lookup_one(r, w, json_string_value(v), &memo, &audit, &err);
		json_array_append_new(
		    items, one ? one : json_pack("{sO ss}", "value", v, "error", err.message));
	}
	json_decref(in);
	http_json(r, 200, json_pack("{so}", "items", items));
	audit_flush(r, &audit, POLICY_LOOKUP);
}

/* ------------------------------------------------------------------ */
/* related reports                                                     */

struct related_ctx {
	struct request *r;
	struct indexer *w;
	int64_t self;
	size_t seen;
	struct hits hs;
	const char **query_values; /* parallel to hs.h: this report's value */
	size_t qcap;
	bool truncated;
};

static int related_obs(void *ctx, const struct index_found *f)
{
	struct related_ctx *rc = ctx;
	const struct observable *o = f->o;
	if (++rc->seen > RELATED_OBSERVABLES_MAX) {
		rc->truncated = true;
		return 1;
	}
	size_t before = rc->hs.n;
	index_lookup(indexer_index(rc->w), o, collect, &rc->hs);
	if (rc->hs.truncated)
		rc->truncated = true;
	const char *mine = NULL;
	for (size_t i = before; i < rc->hs.n; i++) {
		if ((int64_t)rc->hs.h[i].report == rc->self)
			continue;
		if (!mine)
			mine = arena_strndup(&rc->r->arena, o->value, o->len);
		if (i >= rc->qcap) {
			size_t ncap = rc->hs.cap;
			const char **nq = arena_alloc(&rc->r->arena, ncap * sizeof(*nq));
			if (rc->qcap)
				memcpy(nq, rc->query_values, rc->qcap * sizeof(*nq));
			rc->query_values = nq;
			rc->qcap = ncap;
		}
		rc->query_values[i] = mine;
	}
	/* drop this report's own postings */
	size_t k = before;
	for (size_t i = before; i < rc->hs.n; i++) {
		if ((int64_t)rc->hs.h[i].report == rc->self)
			continue;
		rc->hs.h[k] = rc->hs.h[i];
		rc->query_values[k] = rc->query_values[i];
		k++;
	}
	rc->hs.n = k;
	return rc->truncated ? 1 : 0;
}

static void get_related(struct request *r)
{
	struct indexer *w = indexer_of(r);
	struct audit_list audit = {NULL, 0};
	struct rmeta *memo = NULL;
	struct store_conn *c = node_reader(r);
	if (!w || !c)
		return;
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT r.seq, " STORE_SUBJECT_COLS " FROM reports r WHERE r.id = ?");
	int64_t self = 0;
	sqlite3_bind_text(s, 1, r->param[0], -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		struct policy_subject o;
		store_subject_from_row(s, 1, &o);
		if (policy_may_see(r->node->dir, &r->who, &o, POLICY_RELATED))
			self = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (!self) {
		http_error(r, 404, "not_found", NULL, "no report %.80s", r->param[0]);
		return;
	}
	struct related_ctx rc;
	memset(&rc, 0, sizeof(rc));
	rc.r = r;
	rc.w = w;
	rc.self = self;
	rc.hs.r = r;
	static const struct index_extract_ops ops = {.observable = related_obs};
	index_extract(r->node, self, &ops, &rc);

	/* group by report, keeping those the caller may see */
	json_t *by = json_object();
	json_t *order = json_array();
	for (size_t i = 0; i < rc.hs.n; i++) {
		struct rmeta *m = report_meta(r, &memo, (int64_t)rc.hs.h[i].report, POLICY_RELATED);
		if (!m->visible || !m->id)
			continue;
		json_t *e = json_object_get(by, m->id);
		if (!e) {
			e = json_pack("{ss s{sI ss} so so}", "report", m->id, "originator", "id",
				      (json_int_t)m->originator, "name", m->name, "received",
				      time_json(m->received), "shared", json_array());
			json_object_set_new(by, m->id, e);
			json_array_append_new(order, json_string(m->id));
			audit_disclosed(r, &audit, m->seq, m->originator, NULL);
		}
		json_t *shared = json_object_get(e, "shared");
		json_t *one = json_pack("{ss ss ss}", "value", rc.query_values[i], "matched",
					rc.hs.h[i].value, "relation", rel_name(rc.hs.h[i].rel));
		size_t j;
		json_t *x;
		bool dup = false;
		json_array_foreach(shared, j, x) dup |= json_equal(x, one);
		if (dup || json_array_size(shared) >= 1000)
			json_decref(one);
		else
			json_array_append_new(shared, one);
	}
	json_t *items = json_array();
	size_t i;
	json_t *id;
	json_array_foreach(order, i, id)
	    json_array_append(items, json_object_get(by, json_string_value(id)));
	json_decref(order);
	json_decref(by);
	json_t *skipped = json_array();
	s = store_stmt(c, "SELECT object, what, reason FROM not_indexed WHERE report = ? ORDER BY "
			  "seq LIMIT 1000");
	sqlite3_bind_int64(s, 1, self);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(
		    skipped, json_pack("{so so so}", "object", http_col_text(s, 0), "pattern",
				       http_col_text(s, 1), "reason", http_col_text(s, 2)));
	sqlite3_reset(s);
	http_json(r, 200,
		  json_pack("{ss so so sb}", "report", r->param[0], "items", items, "not_indexed",
			    skipped, "truncated", rc.truncated));
	audit_flush(r, &audit, POLICY_RELATED);
}

/* ------------------------------------------------------------------ */
/* sightings                                                           */

static void post_sighting(struct request *r)
{
	static const struct rj_field fields[] = {
	    {"value", RJ_STRING, RJ_REQUIRED, 1, OBS_INPUT_MAX},
	    {"count", RJ_INT, 0, 1, 1000000000},
	    {"seen_at", RJ_STRING, 0, 1, 64},
	};
	struct observable *o = arena_alloc(&r->arena, sizeof(*o));
	struct err_detail err;
	struct store_conn *c;
	json_t *in = http_decode(r, fields, 3, false);
	if (!in)
		return;
	const char *value = json_string_value(json_object_get(in, "value"));
	json_t *cnt = json_object_get(in, "count");
	int64_t count = cnt ? json_integer_value(cnt) : 1, now = time_now_ms(), at = now;
	const char *seen = json_string_value(json_object_get(in, "seen_at"));
	err_clear(&err);
	if (observable_normalise(OBS_AUTO, value, strlen(value), o, &err)) {
		http_error(r, 422, "invalid_field", "value", "value: %s", err.message);
		goto out;
	}
	if (seen && (time_parse_rfc3339(seen, strlen(seen), 0, &at) || at > now + 300000)) {
		http_error(r, 422, "invalid_field", "seen_at",
			   "seen_at: '%.64s' is not an RFC 3339 time up to now", seen);
		goto out;
	}
	int rc = store_write_begin(r->node->st, &c);
	if (!rc) {
		sqlite3_stmt *s =
		    store_stmt(c, "INSERT INTO sightings(value, kind, count, seen_at, "
				  "member, report, at) VALUES (?,?,?,?,?,NULL,?)");
		sqlite3_bind_text(s, 1, o->value, (int)o->len, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, observable_kind_name(o->kind), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, count);
		sqlite3_bind_int64(s, 4, at);
		sqlite3_bind_int64(s, 5, r->who.member_id);
		sqlite3_bind_int64(s, 6, now);
		int src = sqlite3_step(s);
		sqlite3_reset(s);
		if (src != SQLITE_DONE)
			rc = store_error(c, src, "sighting_insert");
		rc = store_write_end(r->node->st, rc);
	}
	if (!rc && r->node->indexer)
		indexer_note_sighting(r->node->indexer, o->value, o->len);
	if (rc)
		http_error_detail(r, rc, NULL);
	else
		http_json(r, 201,
			  json_pack("{ss ss sI so}", "value", o->value, "kind",
				    observable_kind_name(o->kind), "count", (json_int_t)count,
				    "seen_at", time_json(at)));
out:
	json_decref(in);
}

/* ------------------------------------------------------------------ */
/* alerts                                                              */

static void list_alerts(struct request *r)
{
	int64_t limit, after, last = 0;
	struct store_conn *c = node_reader(r);
	const char *open = http_query(r, "open");
	if (!c || !http_page_args(r, &limit, &after))
		return;
	if (open && strcmp(open, "true") && strcmp(open, "false")) {
		http_error(r, 422, "invalid_field", "open", "open: '%.32s' is not true or false",
			   open);
		return;
	}
	sqlite3_stmt *s = store_stmt(c, "SELECT id FROM alerts WHERE member = ?1 AND id > ?2 AND "
					"(?3 = 0 OR state = 'open') ORDER BY id LIMIT ?4");
	int64_t ids[1000];
	int n = 0;
	sqlite3_bind_int64(s, 1, r->who.member_id);
	sqlite3_bind_int64(s, 2, after);
	sqlite3_bind_int(s, 3, open && !strcmp(open, "true"));
	sqlite3_bind_int64(s, 4, limit);
	while (n < 1000 && sqlite3_step(s) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	json_t *items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *a = alert_alert_json(c, ids[i], true);
		if (a)
			json_array_append_new(items, a);
		last = ids[i];
	}
	http_page(r, items, limit, last);
}

/* The caller's alert {id}, or NULL after answering 404. */
static json_t *own_alert(struct request *r, struct store_conn *c, bool steps)
{
	sqlite3_stmt *s = store_stmt(c, "SELECT member FROM alerts WHERE id = ?");
	int64_t member = 0;
	sqlite3_bind_int64(s, 1, r->id[0]);
	if (sqlite3_step(s) == SQLITE_ROW)
		member = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	json_t *a = member == r->who.member_id ? alert_alert_json(c, r->id[0], steps) : NULL;
	if (!a)
		http_error(r, 404, "not_found", NULL, "no alert %" PRId64, r->id[0]);
	return a;
}

static void get_alert(struct request *r)
{
	struct store_conn *c = node_reader(r);
	json_t *a = c ? own_alert(r, c, true) : NULL;
	if (a)
		http_json(r, 200, a);
}

static void ack_alert(struct request *r)
{
	struct alert *w = service(r);
	struct store_conn *c = node_reader(r), *wc;
	if (!w || !c)
		return;
	json_t *a = own_alert(r, c, false);
	if (!a)
		return;
	bool open = !strcmp(json_string_value(json_object_get(a, "state")), "open");
	json_decref(a);
	if (open) {
		int64_t now = time_now_ms();
		int rc = store_write_begin(r->node->st, &wc);
		if (!rc) {
			sqlite3_stmt *s =
			    store_stmt(wc, "UPDATE alerts SET state = 'acknowledged', "
					   "acked_at = ?, acked_by = ?, escalate_at = NULL "
					   "WHERE id = ? AND state = 'open'");
			sqlite3_bind_int64(s, 1, now);
			sqlite3_bind_int64(s, 2, r->who.member_id);
			sqlite3_bind_int64(s, 3, r->id[0]);
			int src = sqlite3_step(s);
			sqlite3_reset(s);
			if (src != SQLITE_DONE)
				rc = store_error(wc, src, "alert_ack");
			if (!rc)
				rc = delivery_step(wc, r->id[0], now, "acknowledged", 0, NULL, 0,
						   NULL, "acknowledged; escalation stopped");
			rc = store_write_end(r->node->st, rc);
		}
		if (rc) {
			http_error_detail(r, rc, NULL);
			return;
		}
		alert_kick(w);
	}
	a = alert_alert_json(c, r->id[0], true);
	http_json(r, 200, a);
}

static void new_secret(struct request *r)
{
	char secret[65];
	int rc = alert_new_secret(r->node, r->who.member_id, secret);
	if (rc) {
		http_error_detail(r, rc, NULL);
		return;
	}
	http_json(r, 201,
		  json_pack("{ss ss}", "webhook_secret", secret, "note",
			    "shown once: alert webhooks carry X-Atalaya-Signature: "
			    "sha256=<hex HMAC-SHA256 of the body keyed with this secret>"));
	sodium_memzero(secret, sizeof(secret));
}

/* --- the live stream (Server-Sent Events) --- */

struct stream {
	struct alert_stream *w;
	struct MHD_Connection *conn;
	struct alert_park park;
	int64_t member;
	uint64_t cursor;
	int64_t last_ms;
	bool greeted;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	if (!st->greeted) {
		st->greeted = true;
		st->last_ms = time_now_ms();
		int n =
		    snprintf(buf, max, ": atalaya alerts for member %" PRId64 "\nretry: 2000\n\n",
			     st->member);
		return n > 0 && (size_t)n < max ? n : 0;
	}
	long n = alert_stream_next(st->w, st->member, &st->cursor, buf, max, 0);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	int64_t now = time_now_ms();
	if (n > 0) {
		st->last_ms = now;
		return n;
	}
	if (now - st->last_ms >= SSE_KEEPALIVE_MS && max >= 14) {
		st->last_ms = now;
		memcpy(buf, ": keep-alive\n\n", 14);
		return 14;
	}
	/* Nothing to send: the connection sleeps in MHD (no thread, no spin)
	 * until an alert for this member or the keep-alive tick resumes it. */
	alert_stream_park(st->w, &st->park, st->conn, st->member, st->cursor);
	return 0;
}

static void stream_free(void *cls)
{
	free(cls);
}

static void alert_stream(struct request *r)
{
	struct alert *w = service(r);
	if (!w)
		return;
	struct stream *st = xcalloc(1, sizeof(*st));
	st->w = alert_stream_of(w);
	st->member = r->who.member_id;
	st->conn = r->conn;
	st->cursor = alert_stream_head(st->w);
	r->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, st,
							stream_free);
	if (!r->response) {
		free(st);
		http_error(r, 500, "internal", NULL, "the stream could not start");
		return;
	}
	MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	r->content_type = "text/event-stream";
	r->status = 200;
}

const struct route alert_routes[] = {
    {"GET", "/api/v1/constituency", get_constituency, 0, NULL,
     "the caller's constituency (CIDRs, ASNs, domain suffixes)"},
    {"PUT", "/api/v1/constituency", put_constituency, ROUTE_WRITE, NULL,
     "replace the caller's constituency"},
    {"GET", "/api/v1/constituency/overlaps", get_overlaps, ROUTE_ADMIN, NULL,
     "constituencies that overlap between members (admin)"},
    {"GET", "/api/v1/lookup", get_lookup, 0, NULL, "what visible reports say about ?value="},
    {"POST", "/api/v1/lookup", post_lookup, 0, NULL, "look up a JSON array of values"},
    {"GET", "/api/v1/reports/{report}/related", get_related, 0, NULL,
     "visible reports sharing observables with this one"},
    {"POST", "/api/v1/sightings", post_sighting, ROUTE_WRITE, NULL,
     "record a sighting {value, count, seen_at}"},
    {"GET", "/api/v1/alerts", list_alerts, 0, NULL, "the caller's alerts (?open=true)"},
    {"GET", "/api/v1/alerts/stream", alert_stream, 0, NULL,
     "the caller's alerts as they are raised (Server-Sent Events)"},
    {"POST", "/api/v1/alerts/webhook-secret", new_secret, ROUTE_WRITE, NULL,
     "a new webhook signing secret (shown once)"},
    {"GET", "/api/v1/alerts/{id}", get_alert, 0, NULL, "an alert with every step"},
    {"POST", "/api/v1/alerts/{id}/ack", ack_alert, 0, NULL, "acknowledge an alert"},
    {NULL},
};
