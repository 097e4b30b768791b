/* Requests over REST (issue 15): open, list, show, acknowledge, answer, offer,
 * accept or decline an offer, close; statistics; members' capabilities.
 * Every read and every action asks policy_may_see on its path; a request the
 * caller may not see is a 404, the same as one that does not exist. */
#include "request/routes.h"

#include "http/answer.h"
#include "node.h"
#include "policy/audience.h"
#include "policy/policy.h"
#include "request/requests.h"
#include "store/subject.h"
#include "util/caps.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <sodium.h>

#define REQUEST_LINKS_MAX 100	   /* reports linked to a request or an answer */
#define REQUEST_NEEDS_MAX 32	   /* capabilities a request needs */
#define CAPABILITIES_MAX 64	   /* capabilities a member declares */
#define CAPABILITY_NAME_MAX 64	   /* [a-z0-9-] */
#define REQUEST_TEXT_MAX 20000	   /* bytes of a request's or an answer's text */
#define REQUEST_MEMBERS_MAX 100000 /* members looked at when matching */

static const char *const kinds[] = {"assistance", "clarification", "capacity", NULL};
static const char *const priorities[] = {"low", "normal", "high", "critical", NULL};
static const char *const outcomes[] = {"resolved", "declined", "expired", NULL};

static bool one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(v, *set))
			return true;
	return false;
}

static bool capability_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > CAPABILITY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* A JSON array of capability names, checked, sorted and without duplicates,
 * as compact text (the caller frees); NULL after answering 422. */
static char *capability_list(struct request *r, json_t *arr, const char *field)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (!capability_ok(json_string_value(v))) {
			http_error(
			    r, 422, "invalid_field", field,
			    "%s[%zu]: '%.64s' is not a capability name (1 to 64 of a-z, 0-9, "
			    "'-')",
			    field, i, json_string_value(v));
			return NULL;
		}
	}
	json_t *sorted = json_array();
	for (i = 0; i < json_array_size(arr); i++) {
		const char *c = json_string_value(json_array_get(arr, i));
		size_t k = 0, dup = 0;
		for (; k < json_array_size(sorted); k++) {
			int d = strcmp(c, json_string_value(json_array_get(sorted, k)));
			if (!d)
				dup = 1;
			if (d <= 0)
				break;
		}
		if (!dup)
			json_array_insert_new(sorted, k, json_string(c));
	}
	char *text = json_dumps(sorted, JSON_COMPACT);
	json_decref(sorted);
	return text;
}

/* --- the request row --- */

/* The list's columns (C_SEQ .. C_ONAME), then the rest of the whole request. */
#define RQ_LIST_COLS                                                                               \
	"r.seq, r.id, r.originator, r.audience, r.tlp, r.kind, r.title, r.priority, r.state, "     \
	"r.outcome, r.exercise, r.created, r.deadline, m.name"
#define RQ_COLS                                                                                    \
	RQ_LIST_COLS ", r.text, r.needs, r.reports, r.acked_at, r.answered_at, r.offered_at, "     \
		     "r.closed_at"
#define RQ_FROM " FROM requests r JOIN members m ON m.id = r.originator "

enum {
	C_SEQ,
	C_ID,
	C_ORIG, /* the subject: C_ORIG, C_AUD, C_TLP (as STORE_SUBJECT_COLS) */
	C_AUD,
	C_TLP,
	C_KIND,
	C_TITLE,
	C_PRIO,
	C_STATE,
	C_OUTCOME,
	C_EXERCISE,
	C_CREATED,
	C_DEADLINE,
	C_ONAME,
	C_TEXT,
	C_NEEDS,
	C_REPORTS,
	C_ACKED,
	C_ANSWERED,
	C_OFFERED,
	C_CLOSED,
};

static bool may_see(struct request *r, sqlite3_stmt *s, enum policy_path p)
{
	struct policy_subject o;
	store_subject_from_row(s, C_ORIG, &o);
	return policy_may_see(r->node->dir, &r->who, &o, p);
}

static bool is_overdue(sqlite3_stmt *s, int64_t now)
{
	return strcmp((const char *)sqlite3_column_text(s, C_STATE), "closed") &&
	       now >= sqlite3_column_int64(s, C_DEADLINE);
}

/* Seconds from the request's creation to column `col`, or null. */
static json_t *since_created(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return json_null();
	return json_real(
	    (double)(sqlite3_column_int64(s, col) - sqlite3_column_int64(s, C_CREATED)) / 1000.0);
}

static void add_text(struct buf *b, const char *key, sqlite3_stmt *s, int col)
{
	buf_adds(b, key);
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		buf_adds(b, "null");
	else
		buf_add_json_str(b, (const char *)sqlite3_column_text(s, col),
				 (size_t)sqlite3_column_bytes(s, col));
}

static void add_time(struct buf *b, const char *key, int64_t ms)
{
	char t[32];
	time_format_ms(ms, t);
	buf_adds(b, key);
	buf_addc(b, '"');
	buf_adds(b, t);
	buf_addc(b, '"');
}

/* The list form, written straight into the answer without printf (the hot
 * path: a page is up to 1000 of these). */
static void row_out(struct buf *b, sqlite3_stmt *s, int64_t now)
{
	char id[24], *p = id + sizeof(id);
	uint64_t v = (uint64_t)sqlite3_column_int64(s, C_ORIG);
	*--p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) && p > id);
	add_text(b, "{\"id\":", s, C_ID);
	add_text(b, ",\"kind\":", s, C_KIND);
	add_text(b, ",\"title\":", s, C_TITLE);
	add_text(b, ",\"priority\":", s, C_PRIO);
	add_text(b, ",\"state\":", s, C_STATE);
	add_text(b, ",\"outcome\":", s, C_OUTCOME);
	buf_adds(b,
		 sqlite3_column_int(s, C_EXERCISE) ? ",\"exercise\":true" : ",\"exercise\":false");
	buf_adds(b, is_overdue(s, now) ? ",\"overdue\":true" : ",\"overdue\":false");
	add_time(b, ",\"created\":", sqlite3_column_int64(s, C_CREATED));
	add_time(b, ",\"deadline\":", sqlite3_column_int64(s, C_DEADLINE));
	buf_adds(b, ",\"tlp\":\"");
	buf_adds(b, tlp_name((enum tlp)sqlite3_column_int(s, C_TLP)));
	buf_adds(b, "\",\"audience\":"); /* canonical JSON text already */
	buf_add(b, (const char *)sqlite3_column_text(s, C_AUD),
		(size_t)sqlite3_column_bytes(s, C_AUD));
	buf_adds(b, ",\"originator\":{\"id\":");
	buf_adds(b, p);
	add_text(b, ",\"name\":", s, C_ONAME);
	buf_adds(b, "}}");
}

/* Finds request {request} visible to the caller through `p`; answers 404
 * itself otherwise. The statement stays on its row until sqlite3_reset. */
static sqlite3_stmt *find_request(struct request *r, struct store_conn *c, enum policy_path p)
{
	static const char sql[] = "SELECT " RQ_COLS RQ_FROM "WHERE r.id = ?";
	sqlite3_stmt *s = store_stmt(c, sql);
	sqlite3_bind_text(s, 1, r->param[0], -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && may_see(r, s, p))
		return s;
	sqlite3_reset(s);
	http_error(r, 404, "not_found", NULL, "no request %.80s", r->param[0]);
	return NULL;
}

/* Is report `id` one the caller may see (POLICY_REPORT_GET)? */
static bool report_visible(struct request *r, struct store_conn *c, const char *id)
{
	static const char sql[] = "SELECT " STORE_SUBJECT_COLS " FROM reports r WHERE r.id = ?";
	struct policy_subject o;
	sqlite3_stmt *s = store_stmt(c, sql);
	bool ok = false;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		store_subject_from_row(s, 0, &o);
		ok = policy_may_see(r->node->dir, &r->who, &o, POLICY_REPORT_GET);
	}
	sqlite3_reset(s);
	return ok;
}

/* Checks a JSON array of report ids the caller links; NULL after a 422. */
static char *report_links(struct request *r, struct store_conn *c, json_t *arr, const char *field)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (!report_visible(r, c, json_string_value(v))) {
			http_error(r, 422, "invalid_field", field,
				   "%s[%zu]: no report %.80s that you may see", field, i,
				   json_string_value(v));
			return NULL;
		}
	}
	return arr ? json_dumps(arr, JSON_COMPACT) : xstrdup("[]");
}

/* The report ids of JSON text `links` the caller may see. */
static json_t *visible_links(struct request *r, struct store_conn *c, const char *links)
{
	json_t *all = json_loads(links, 0, NULL), *out = json_array(), *v;
	size_t i;
	json_array_foreach(all, i, v)
	{
		if (json_is_string(v) && report_visible(r, c, json_string_value(v)))
			json_array_append(out, v);
	}
	json_decref(all);
	return out;
}

/* --- open --- */

static void new_id(char out[46])
{
	uint8_t u[16];
	randombytes_buf(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 46,
		 "request--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

/* Tells every member in the request's audience whose capabilities fit its
 * needs (all of them when it needs nothing named), but the originator. */
static int tell_matches(struct request *r, struct store_conn *c, int64_t seq,
			const struct policy_subject *o, const char *needs, int64_t now,
			struct requests_outbox *out, json_t *told)
{
	static const char sql[] =
	    "SELECT m.id FROM members m WHERE m.deleted IS NULL AND m.id <> ?1 AND "
	    "(?2 = '[]' OR EXISTS (SELECT 1 FROM member_capabilities c WHERE c.member = m.id "
	    "AND c.capability IN (SELECT value FROM json_each(?2)))) ORDER BY m.id";
	int64_t *ids = xmalloc(sizeof(int64_t) * 1024);
	size_t n = 0, cap = 1024;
	sqlite3_stmt *s = store_stmt(c, sql);
	sqlite3_bind_int64(s, 1, o->owner);
	sqlite3_bind_text(s, 2, needs, -1, SQLITE_STATIC);
	while (n < REQUEST_MEMBERS_MAX && sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap)
			ids = xrealloc(ids, sizeof(int64_t) * (cap *= 2));
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	int rc = ERR_OK;
	for (size_t i = 0; i < n && !rc; i++) {
		struct principal who = {.member_id = ids[i]};
		if (!policy_may_see(r->node->dir, &who, o, POLICY_REQUEST_NOTICE))
			continue;
		s = store_stmt(c, "INSERT INTO request_members(request, member, told_at) "
				  "VALUES (?,?,?)");
		sqlite3_bind_int64(s, 1, seq);
		sqlite3_bind_int64(s, 2, ids[i]);
		sqlite3_bind_int64(s, 3, now);
		rc = store_step_done(c, s, "request_told");
		if (!rc)
			rc = requests_tell(c, r->node, seq, ids[i], 0, "told", out, NULL);
		json_array_append_new(told, json_integer(ids[i]));
	}
	free(ids);
	return rc;
}

static void open_request(struct request *r)
{
	static const struct rj_field fields[] = {
	    {"kind", RJ_STRING, RJ_REQUIRED, 1, 32},
	    {"title", RJ_STRING, RJ_REQUIRED, 1, 200},
	    {"text", RJ_STRING, RJ_LINES, 0, REQUEST_TEXT_MAX},
	    {"deadline", RJ_STRING, RJ_REQUIRED, 1, 64},
	    {"priority", RJ_STRING, 0, 1, 16},
	    {"tlp", RJ_STRING, RJ_REQUIRED, 1, 16},
	    {"audience", RJ_ANY, RJ_REQUIRED, 0, 0},
	    {"reports", RJ_STRING_ARRAY, 0, 0, REQUEST_LINKS_MAX},
	    {"needs", RJ_STRING_ARRAY, 0, 0, REQUEST_NEEDS_MAX},
	    {"exercise", RJ_BOOL, 0, 0, 0},
	};
	struct store_conn *c = node_reader(r), *w;
	struct err_detail err;
	struct buf aud;
	char *needs = NULL, *links = NULL, id[46];
	int64_t now = time_now_ms(), deadline, seq = 0;
	json_t *in = c ? http_decode(r, fields, sizeof(fields) / sizeof(fields[0]), false) : NULL;
	if (!in)
		return;
	buf_init(&aud, CAP_ROW_JSON);
	err_clear(&err);
	const char *kind = json_string_value(json_object_get(in, "kind"));
	const char *prio = json_string_value(json_object_get(in, "priority"));
	const char *dl = json_string_value(json_object_get(in, "deadline"));
	int tlp = tlp_parse(json_string_value(json_object_get(in, "tlp")));
	bool exercise = json_is_true(json_object_get(in, "exercise"));
	if (!prio)
		prio = "normal";
	if (!one_of(kind, kinds)) {
		http_error(r, 422, "invalid_field", "kind",
			   "kind: '%.32s' is not assistance, clarification or capacity", kind);
		goto out;
	}
	if (!one_of(prio, priorities)) {
		http_error(r, 422, "invalid_field", "priority",
			   "priority: '%.16s' is not low, normal, high or critical", prio);
		goto out;
	}
	if (tlp < 0 || tlp == TLP_NONE) {
		http_error(r, 422, "invalid_field", "tlp",
			   "tlp: '%.16s' is not clear, green, amber, amber+strict or red",
			   json_string_value(json_object_get(in, "tlp")));
		goto out;
	}
	if (request_deadline_parse(dl, strlen(dl), now, "deadline", &deadline, &err) ||
	    audience_from_json(json_object_get(in, "audience"), r->node->dir, "audience", &aud,
			       &err) ||
	    audience_local_only(aud.data, "audience", "requests", &err) ||
	    policy_check_scope((enum tlp)tlp, aud.data, &err)) {
		http_error_detail(r, ERR_INVALID, &err);
		goto out;
	}
	json_t *none = json_array(), *needs_in = json_object_get(in, "needs");
	needs = capability_list(r, needs_in ? needs_in : none, "needs");
	json_decref(none);
	if (!needs || !(links = report_links(r, c, json_object_get(in, "reports"), "reports")))
		goto out;
	new_id(id);
	struct requests_outbox outbox = {NULL};
	json_t *told = json_array();
	int rc = store_write_begin(r->node->st, &w);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(
		    w, "INSERT INTO requests(id, originator, kind, title, text, priority, tlp, "
		       "audience, needs, reports, exercise, created, deadline, due_at) "
		       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
		const char *text = json_string_value(json_object_get(in, "text"));
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, r->who.member_id);
		sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, json_string_value(json_object_get(in, "title")), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(s, 5, text ? text : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, prio, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 7, tlp);
		sqlite3_bind_text(s, 8, aud.data, (int)aud.len, SQLITE_STATIC);
		sqlite3_bind_text(s, 9, needs, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 10, links, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 11, exercise);
		sqlite3_bind_int64(s, 12, now);
		sqlite3_bind_int64(s, 13, deadline);
		sqlite3_bind_int64(s, 14,
				   requests_due_at(r->node->requests, now, deadline, 0, false));
		rc = store_step_done(w, s, "request_insert");
		seq = sqlite3_last_insert_rowid(store_db(w));
		if (!rc) {
			s = store_stmt(w,
				       "INSERT INTO request_scope(item, request) SELECT value, ?1 "
				       "FROM json_each(?2) UNION SELECT 'owner:' || ?3, ?1");
			sqlite3_bind_int64(s, 1, seq);
			sqlite3_bind_text(s, 2, aud.data, (int)aud.len, SQLITE_STATIC);
			sqlite3_bind_int64(s, 3, r->who.member_id);
			rc = store_step_done(w, s, "request_scope");
		}
		if (!rc)
			rc = requests_history(w, seq, now, r->who.member_id, "opened",
					      exercise ? "an exercise" : NULL);
		struct policy_subject o = {r->who.member_id, aud.data, (enum tlp)tlp};
		if (!rc)
			rc = tell_matches(r, w, seq, &o, needs, now, &outbox, told);
		if (!rc) {
			char detail[64];
			snprintf(detail, sizeof(detail), "%zu members told", json_array_size(told));
			rc = requests_history(w, seq, now, 0, "told", detail);
		}
		rc = store_write_end(r->node->st, rc);
	}
	requests_outbox_flush(r->node, &outbox, rc == ERR_OK);
	if (rc) {
		json_decref(told);
		http_error_detail(r, rc, NULL);
		goto out;
	}
	requests_kick(r->node->requests);
	log_info("event=request_opened request=%s member=%" PRId64 " kind=%s exercise=%s told=%zu",
		 id, r->who.member_id, kind, exercise ? "true" : "false", json_array_size(told));
	snprintf(r->location, sizeof(r->location), "/api/v1/requests/%s", id);
	char dl_text[32];
	time_format_ms(deadline, dl_text);
	http_json(r, 201,
		  json_pack("{ss ss ss sb ss so}", "id", id, "state", "open", "deadline", dl_text,
			    "exercise", exercise, "tlp", tlp_name((enum tlp)tlp), "told", told));
out:
	free(needs);
	free(links);
	buf_release(&aud);
	json_decref(in);
}

/* --- list --- */

static bool bool_arg(struct request *r, const char *name, bool *v)
{
	const char *a = http_query(r, name);
	*v = a && !strcmp(a, "true");
	if (a && strcmp(a, "true") && strcmp(a, "false")) {
		http_error(r, 422, "invalid_field", name, "%s: '%.32s' is not true or false", name,
			   a);
		return false;
	}
	return true;
}

/* The list's filters, one row: ?open, ?mine (opened by the caller's member),
 * ?addressed (not opened by it: its audience names the member, one of its
 * groups or all), ?overdue. */
struct list_filter {
	bool open, mine, addressed, overdue;
};

static bool list_row_matches(struct request *r, sqlite3_stmt *s, const struct list_filter *f,
			     int64_t now)
{
	bool own = sqlite3_column_int64(s, C_ORIG) == r->who.member_id;
	return may_see(r, s, POLICY_REQUEST_LIST) &&
	       (!f->open || strcmp((const char *)sqlite3_column_text(s, C_STATE), "closed")) &&
	       (!f->mine || own) && (!f->addressed || !own) && (!f->overdue || is_overdue(s, now));
}

/* ?order=deadline: nearest deadline first. The candidates are all gathered
 * and sorted (a member's requests, not the node's), so `after` counts the
 * rows already given rather than naming the last one. */
static void list_by_deadline(struct request *r, struct store_conn *c, const struct list_filter *f,
			     int64_t limit, int64_t after)
{
	/* only (deadline, seq) go through the sorter; each row is read after */
	static const char sql[] =
	    "SELECT seq FROM requests WHERE seq IN (SELECT request FROM request_scope WHERE "
	    "item IN ('all', 'member:' || ?1, 'owner:' || ?1) UNION SELECT s.request FROM "
	    "group_members g JOIN request_scope s ON s.item = 'group:' || g.group_id WHERE "
	    "g.member_id = ?1) AND (?2 = 0 OR state <> 'closed') ORDER BY deadline, seq";
	static const char row_sql[] = "SELECT " RQ_LIST_COLS RQ_FROM "WHERE r.seq = ?";
	int64_t n = 0, skipped = 0, now = time_now_ms();
	sqlite3_stmt *cand = store_stmt(c, sql), *s = store_stmt(c, row_sql);
	sqlite3_bind_int64(cand, 1, r->who.member_id);
	sqlite3_bind_int(cand, 2, f->open);
	http_begin_json(r);
	buf_adds(&r->out, "{\"items\":[");
	while (n < limit && sqlite3_step(cand) == SQLITE_ROW) {
		sqlite3_bind_int64(s, 1, sqlite3_column_int64(cand, 0));
		if (sqlite3_step(s) == SQLITE_ROW && list_row_matches(r, s, f, now) &&
		    skipped++ >= after) {
			if (n++)
				buf_addc(&r->out, ',');
			row_out(&r->out, s, now);
		}
		sqlite3_reset(s);
	}
	sqlite3_reset(cand);
	http_end_page(r, n == limit, after + n);
}

static void list_requests(struct request *r)
{
	/* The candidates, in seq order (newest first with ?order=newest): the
	 * requests whose audience has "all", names the caller or one of its
	 * groups, or that it opened. Each arm walks request_scope's primary key
	 * in order and SQLite merges them as they are stepped, so a page costs
	 * its own rows, not every request the member may see (only the group arm
	 * is sorted). The policy decides on each row. */
	static const char cand_sql[] =
	    "SELECT request FROM request_scope WHERE item = 'all' AND request > ?2 "
	    "UNION SELECT request FROM request_scope WHERE item = 'member:' || ?1 AND request > ?2 "
	    "UNION SELECT request FROM request_scope WHERE item = 'owner:' || ?1 AND request > ?2 "
	    "UNION SELECT s.request FROM group_members g JOIN request_scope s ON "
	    "s.item = 'group:' || g.group_id WHERE g.member_id = ?1 AND s.request > ?2 "
	    "ORDER BY 1";
	static const char newest_sql[] =
	    "SELECT request FROM request_scope WHERE item = 'all' AND (?2 = 0 OR request < ?2) "
	    "UNION SELECT request FROM request_scope WHERE item = 'member:' || ?1 AND "
	    "(?2 = 0 OR request < ?2) UNION SELECT request FROM request_scope WHERE "
	    "item = 'owner:' || ?1 AND (?2 = 0 OR request < ?2) UNION SELECT s.request FROM "
	    "group_members g JOIN request_scope s ON s.item = 'group:' || g.group_id WHERE "
	    "g.member_id = ?1 AND (?2 = 0 OR s.request < ?2) ORDER BY 1 DESC";
	static const char row_sql[] = "SELECT " RQ_LIST_COLS RQ_FROM "WHERE r.seq = ?";
	int64_t limit, after, last = 0, n = 0, now = time_now_ms();
	struct list_filter f;
	struct store_conn *c = node_reader(r);
	const char *order = http_query(r, "order");
	if (!c || !http_page_args(r, &limit, &after) || !bool_arg(r, "open", &f.open) ||
	    !bool_arg(r, "mine", &f.mine) || !bool_arg(r, "addressed", &f.addressed) ||
	    !bool_arg(r, "overdue", &f.overdue))
		return;
	if (order && strcmp(order, "oldest") && strcmp(order, "newest") &&
	    strcmp(order, "deadline")) {
		http_error(r, 422, "invalid_field", "order",
			   "order: '%.32s' is not oldest, newest or deadline", order);
		return;
	}
	if (order && !strcmp(order, "deadline")) {
		list_by_deadline(r, c, &f, limit, after);
		return;
	}
	bool newest = order && !strcmp(order, "newest");
	sqlite3_stmt *cand = store_stmt(c, newest ? newest_sql : cand_sql),
		     *s = store_stmt(c, row_sql);
	sqlite3_bind_int64(cand, 1, r->who.member_id);
	sqlite3_bind_int64(cand, 2, after);
	http_begin_json(r);
	buf_adds(&r->out, "{\"items\":[");
	while (n < limit && sqlite3_step(cand) == SQLITE_ROW) {
		sqlite3_bind_int64(s, 1, sqlite3_column_int64(cand, 0));
		if (sqlite3_step(s) == SQLITE_ROW && list_row_matches(r, s, &f, now)) {
			if (n++)
				buf_addc(&r->out, ',');
			row_out(&r->out, s, now);
			last = sqlite3_column_int64(s, C_SEQ);
		}
		sqlite3_reset(s);
	}
	sqlite3_reset(cand);
	http_end_page(r, n == limit, last);
}

/* --- show --- */

static json_t *answers_json(struct request *r, struct store_conn *c, int64_t seq)
{
	sqlite3_stmt *s = store_stmt(c, "SELECT a.seq, a.member, m.name, a.at, a.text, a.attach "
					"FROM request_answers a JOIN members m ON m.id = a.member "
					"WHERE a.request = ? ORDER BY a.seq");
	json_t *out = json_array();
	sqlite3_bind_int64(s, 1, seq);
	while (sqlite3_step(s) == SQLITE_ROW) {
		char *attach = xstrdup((const char *)sqlite3_column_text(s, 5));
		json_t *a =
		    json_pack("{sI s{sI so} so so}", "id", sqlite3_column_int64(s, 0), "member",
			      "id", sqlite3_column_int64(s, 1), "name", http_col_text(s, 2), "at",
			      http_col_time(s, 3), "text", http_col_text(s, 4));
		json_array_append_new(out, a);
		/* attachments are resolved after the statement is done with */
		json_object_set_new(a, "attach_raw", json_string(attach));
		free(attach);
	}
	sqlite3_reset(s);
	size_t i;
	json_t *a;
	json_array_foreach(out, i, a)
	{
		json_object_set_new(
		    a, "attach",
		    visible_links(r, c, json_string_value(json_object_get(a, "attach_raw"))));
		json_object_del(a, "attach_raw");
	}
	return out;
}

/* Offers: the originator sees them all, anyone else only its own. */
static json_t *offers_json(struct request *r, struct store_conn *c, int64_t seq, bool originator)
{
	sqlite3_stmt *s = store_stmt(c, "SELECT o.seq, o.member, m.name, o.at, o.capability, "
					"o.text, o.state, o.decided_at FROM request_offers o JOIN "
					"members m ON m.id = o.member WHERE o.request = ?1 AND "
					"(?2 OR o.member = ?3) ORDER BY o.seq");
	json_t *out = json_array();
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int(s, 2, originator);
	sqlite3_bind_int64(s, 3, r->who.member_id);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(
		    out, json_pack("{sI s{sI so} so so so so so}", "id", sqlite3_column_int64(s, 0),
				   "member", "id", sqlite3_column_int64(s, 1), "name",
				   http_col_text(s, 2), "at", http_col_time(s, 3), "capability",
				   http_col_text(s, 4), "text", http_col_text(s, 5), "state",
				   http_col_text(s, 6), "decided_at", http_col_time(s, 7)));
	sqlite3_reset(s);
	return out;
}

/* Every change, with who and when; offers being between the originator and
 * the offerer, another member reads only its own offers' rows. */
static json_t *history_json(struct request *r, struct store_conn *c, int64_t seq, bool originator)
{
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT h.at, h.member, m.name, h.what, h.detail FROM "
			  "request_history h LEFT JOIN members m ON m.id = h.member "
			  "WHERE h.request = ?1 AND (?2 OR h.what NOT LIKE 'offer%' OR "
			  "h.member = ?3) ORDER BY h.seq");
	json_t *out = json_array();
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int(s, 2, originator);
	sqlite3_bind_int64(s, 3, r->who.member_id);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(
		    out, json_pack("{so so so so so}", "at", http_col_time(s, 0), "member",
				   sqlite3_column_type(s, 1) == SQLITE_NULL
				       ? json_null()
				       : json_integer(sqlite3_column_int64(s, 1)),
				   "member_name", http_col_text(s, 2), "what", http_col_text(s, 3),
				   "detail", http_col_text(s, 4)));
	sqlite3_reset(s);
	return out;
}

/* The members involved (told, or who acted) with their times, in seconds
 * from the request's creation: the originator's view. */
static json_t *members_json(struct store_conn *c, int64_t seq, int64_t created)
{
	sqlite3_stmt *s = store_stmt(c, "SELECT x.member, m.name, x.told_at, x.level, x.acked_at, "
					"x.answered_at, x.offered_at FROM request_members x JOIN "
					"members m ON m.id = x.member WHERE x.request = ? "
					"ORDER BY x.member");
	json_t *out = json_array();
	sqlite3_bind_int64(s, 1, seq);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *t[3];
		for (int k = 0; k < 3; k++)
			t[k] = sqlite3_column_type(s, 4 + k) == SQLITE_NULL
				   ? json_null()
				   : json_real((double)(sqlite3_column_int64(s, 4 + k) - created) /
					       1000.0);
		json_array_append_new(
		    out,
		    json_pack("{sI so so sI so so so}", "member", sqlite3_column_int64(s, 0),
			      "name", http_col_text(s, 1), "told_at", http_col_time(s, 2),
			      "contact_level", sqlite3_column_int64(s, 3), "seconds_to_acknowledge",
			      t[0], "seconds_to_answer", t[1], "seconds_to_offer", t[2]));
	}
	sqlite3_reset(s);
	return out;
}

static json_t *views_json(struct store_conn *c, int64_t seq)
{
	sqlite3_stmt *s = store_stmt(c, "SELECT v.member, m.name, v.first_at, v.last_at, v.views "
					"FROM request_views v JOIN members m ON m.id = v.member "
					"WHERE v.request = ? ORDER BY v.first_at");
	json_t *out = json_array();
	sqlite3_bind_int64(s, 1, seq);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(
		    out, json_pack("{sI so so so sI}", "member", sqlite3_column_int64(s, 0), "name",
				   http_col_text(s, 1), "first_at", http_col_time(s, 2), "last_at",
				   http_col_time(s, 3), "views", sqlite3_column_int64(s, 4)));
	sqlite3_reset(s);
	return out;
}

/* The request of row `s` in full, as the caller may see it. */
static json_t *request_json(struct request *r, struct store_conn *c, sqlite3_stmt *s, int64_t now)
{
	int64_t seq = sqlite3_column_int64(s, C_SEQ), created = sqlite3_column_int64(s, C_CREATED);
	struct policy_subject o;
	store_subject_from_row(s, C_ORIG, &o);
	bool originator = r->who.member_id == o.owner;
	bool views = policy_may_see(r->node->dir, &r->who, &o, POLICY_REQUEST_VIEWS);
	char *reports = xstrdup((const char *)sqlite3_column_text(s, C_REPORTS));
	json_t *j = json_pack(
	    "{so so so so so so so sb sb so so s{sI so} so so so s{so so so} so}", "id",
	    http_col_text(s, C_ID), "kind", http_col_text(s, C_KIND), "title",
	    http_col_text(s, C_TITLE), "text", http_col_text(s, C_TEXT), "priority",
	    http_col_text(s, C_PRIO), "state", http_col_text(s, C_STATE), "outcome",
	    http_col_text(s, C_OUTCOME), "exercise", sqlite3_column_int(s, C_EXERCISE) != 0,
	    "overdue", is_overdue(s, now), "created", http_col_time(s, C_CREATED), "deadline",
	    http_col_time(s, C_DEADLINE), "originator", "id", (json_int_t)o.owner, "name",
	    http_col_text(s, C_ONAME), "tlp", json_string(tlp_name(o.tlp)), "audience",
	    audience_to_json(o.audience), "needs", http_col_json(s, C_NEEDS), "times",
	    "seconds_to_acknowledge", since_created(s, C_ACKED), "seconds_to_first_answer",
	    since_created(s, C_ANSWERED), "seconds_to_first_offer", since_created(s, C_OFFERED),
	    "closed_at", http_col_time(s, C_CLOSED));
	sqlite3_reset(s);
	json_object_set_new(j, "reports", visible_links(r, c, reports));
	free(reports);
	json_object_set_new(j, "answers", answers_json(r, c, seq));
	json_object_set_new(j, "offers", offers_json(r, c, seq, originator));
	json_object_set_new(j, "history", history_json(r, c, seq, originator));
	if (!originator) /* that someone offered is the originator's business */
		json_object_set_new(json_object_get(j, "times"), "seconds_to_first_offer",
				    json_null());
	if (views) {
		json_object_set_new(j, "members", members_json(c, seq, created));
		json_object_set_new(j, "seen_by", views_json(c, seq));
	}
	return j;
}

/* Records that the caller (not the originator) read request `seq` in full. */
static int note_view(struct request *r, int64_t seq, int64_t originator, int64_t now)
{
	struct store_conn *w;
	if (r->who.member_id == originator)
		return ERR_OK;
	int rc = store_write_begin(r->node->st, &w);
	if (rc)
		return rc;
	sqlite3_stmt *s = store_stmt(w, "INSERT INTO request_views(request, member, first_at, "
					"last_at, views) VALUES (?1,?2,?3,?3,1) ON CONFLICT DO "
					"UPDATE SET last_at = ?3, views = views + 1");
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, r->who.member_id);
	sqlite3_bind_int64(s, 3, now);
	rc = store_step_done(w, s, "request_view");
	return store_write_end(r->node->st, rc);
}

static void get_request(struct request *r)
{
	struct store_conn *c = node_reader(r);
	int64_t now = time_now_ms();
	sqlite3_stmt *s = c ? find_request(r, c, POLICY_REQUEST_GET) : NULL;
	if (!s)
		return;
	int64_t seq = sqlite3_column_int64(s, C_SEQ), orig = sqlite3_column_int64(s, C_ORIG);
	/* the view is on disk before the request leaves: the originator's
	 * record of who saw it is complete */
	int rc = note_view(r, seq, orig, now);
	if (rc) {
		sqlite3_reset(s);
		http_error_detail(r, rc, NULL);
		return;
	}
	http_json(r, 200, request_json(r, c, s, now));
}

/* --- actions --- */

/* The request the caller acts on: visible through POLICY_REQUEST_ACT, and
 * not closed. Fills seq, originator and state; false after answering. */
struct target {
	int64_t seq, originator;
	char state[16];
};

static bool find_target(struct request *r, struct store_conn *c, struct target *t)
{
	sqlite3_stmt *s = find_request(r, c, POLICY_REQUEST_ACT);
	if (!s)
		return false;
	t->seq = sqlite3_column_int64(s, C_SEQ);
	t->originator = sqlite3_column_int64(s, C_ORIG);
	snprintf(t->state, sizeof(t->state), "%s", (const char *)sqlite3_column_text(s, C_STATE));
	sqlite3_reset(s);
	if (!strcmp(t->state, "closed")) {
		http_error(r, 409, "conflict", NULL, "request %.80s is closed", r->param[0]);
		return false;
	}
	return true;
}

/* A responder's step: the member's row (created when it was not told) gets
 * the time of `col` if it had none, and acknowledged with it; the request
 * gets its first acknowledgement / answer / offer time and its state moves
 * forward (open -> acknowledged -> answered), never back. */
static int responder_step(struct store_conn *w, int64_t seq, int64_t member, const char *what,
			  int64_t now)
{
	static const char ins[] = "INSERT OR IGNORE INTO request_members(request, member) "
				  "VALUES (?,?)";
	static const char ack[] = "UPDATE request_members SET acked_at = coalesce(acked_at, ?3) "
				  "WHERE request = ?1 AND member = ?2";
	static const char ans[] = "UPDATE request_members SET acked_at = coalesce(acked_at, ?3), "
				  "answered_at = coalesce(answered_at, ?3) WHERE request = ?1 AND "
				  "member = ?2";
	static const char off[] = "UPDATE request_members SET acked_at = coalesce(acked_at, ?3), "
				  "offered_at = coalesce(offered_at, ?3) WHERE request = ?1 AND "
				  "member = ?2";
	static const char rq_ack[] =
	    "UPDATE requests SET acked_at = coalesce(acked_at, ?2), "
	    "state = CASE state WHEN 'open' THEN 'acknowledged' ELSE state "
	    "END WHERE seq = ?1";
	static const char rq_ans[] = "UPDATE requests SET acked_at = coalesce(acked_at, ?2), "
				     "answered_at = coalesce(answered_at, ?2), state = 'answered' "
				     "WHERE seq = ?1";
	static const char rq_off[] =
	    "UPDATE requests SET acked_at = coalesce(acked_at, ?2), "
	    "offered_at = coalesce(offered_at, ?2), state = CASE state "
	    "WHEN 'open' THEN 'acknowledged' ELSE state END WHERE seq = ?1";
	bool answer = !strcmp(what, "answered"), offer = !strcmp(what, "offered");
	sqlite3_stmt *s = store_stmt(w, ins);
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, member);
	int rc = store_step_done(w, s, "request_member");
	if (rc)
		return rc;
	s = store_stmt(w, answer ? ans : offer ? off : ack);
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, member);
	sqlite3_bind_int64(s, 3, now);
	if ((rc = store_step_done(w, s, "request_member_time")))
		return rc;
	s = store_stmt(w, answer ? rq_ans : offer ? rq_off : rq_ack);
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, now);
	return store_step_done(w, s, "request_state");
}

/* Answers with the request as the caller now sees it. */
static void answer_request(struct request *r, int status)
{
	struct store_conn *c = node_reader(r);
	sqlite3_stmt *s = c ? find_request(r, c, POLICY_REQUEST_GET) : NULL;
	if (s)
		http_json(r, status, request_json(r, c, s, time_now_ms()));
}

static void ack_request(struct request *r)
{
	struct store_conn *c = node_reader(r), *w;
	struct target t;
	if (!c || !find_target(r, c, &t))
		return;
	if (t.originator == r->who.member_id) {
		http_error(r, 409, "conflict", NULL,
			   "the originator does not acknowledge its own request");
		return;
	}
	int64_t now = time_now_ms();
	int rc = store_write_begin(r->node->st, &w);
	if (!rc) {
		rc = responder_step(w, t.seq, r->who.member_id, "acknowledged", now);
		if (!rc)
			rc =
			    requests_history(w, t.seq, now, r->who.member_id, "acknowledged", NULL);
		rc = store_write_end(r->node->st, rc);
	}
	if (rc) {
		http_error_detail(r, rc, NULL);
		return;
	}
	answer_request(r, 200);
}

/* Tells the originator (or `to`) of an event, in the caller's transaction. */
static int tell(struct request *r, struct store_conn *w, int64_t seq, int64_t to, const char *event,
		struct requests_outbox *out)
{
	struct store_conn *c = w;
	sqlite3_stmt *s = store_stmt(c, "SELECT originator, audience, tlp FROM requests r "
					"WHERE seq = ?");
	struct policy_subject o;
	bool ok = false;
	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) == SQLITE_ROW) {
		struct principal who = {.member_id = to};
		store_subject_from_row(s, 0, &o);
		ok = policy_may_see(r->node->dir, &who, &o, POLICY_REQUEST_NOTICE);
	}
	sqlite3_reset(s);
	return ok ? requests_tell(w, r->node, seq, to, 0, event, out, NULL) : ERR_OK;
}

static void post_answer(struct request *r)
{
	static const struct rj_field fields[] = {
	    {"text", RJ_STRING, RJ_REQUIRED | RJ_LINES, 1, REQUEST_TEXT_MAX},
	    {"attach", RJ_STRING_ARRAY, 0, 0, REQUEST_LINKS_MAX},
	};
	struct store_conn *c = node_reader(r), *w;
	struct target t;
	struct requests_outbox out = {NULL};
	char *attach = NULL;
	json_t *in = c ? http_decode(r, fields, 2, false) : NULL;
	if (!in || !find_target(r, c, &t) ||
	    !(attach = report_links(r, c, json_object_get(in, "attach"), "attach")))
		goto done;
	int64_t now = time_now_ms();
	bool responder = t.originator != r->who.member_id;
	int rc = store_write_begin(r->node->st, &w);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(w, "INSERT INTO request_answers(request, member, at, "
						"text, attach) VALUES (?,?,?,?,?)");
		sqlite3_bind_int64(s, 1, t.seq);
		sqlite3_bind_int64(s, 2, r->who.member_id);
		sqlite3_bind_int64(s, 3, now);
		sqlite3_bind_text(s, 4, json_string_value(json_object_get(in, "text")), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(s, 5, attach, -1, SQLITE_STATIC);
		rc = store_step_done(w, s, "request_answer");
		if (!rc && responder)
			rc = responder_step(w, t.seq, r->who.member_id, "answered", now);
		if (!rc)
			rc = requests_history(w, t.seq, now, r->who.member_id,
					      responder ? "answered" : "commented", NULL);
		if (!rc && responder)
			rc = tell(r, w, t.seq, t.originator, "answer", &out);
		rc = store_write_end(r->node->st, rc);
	}
	requests_outbox_flush(r->node, &out, rc == ERR_OK);
	if (rc)
		http_error_detail(r, rc, NULL);
	else
		answer_request(r, 201);
done:
	free(attach);
	json_decref(in);
}

static void post_offer(struct request *r)
{
	static const struct rj_field fields[] = {
	    {"capability", RJ_STRING, RJ_REQUIRED, 1, CAPABILITY_NAME_MAX},
	    {"text", RJ_STRING, RJ_LINES, 0, REQUEST_TEXT_MAX},
	};
	struct store_conn *c = node_reader(r), *w;
	struct target t;
	struct requests_outbox out = {NULL};
	json_t *in = c ? http_decode(r, fields, 2, false) : NULL;
	if (!in || !find_target(r, c, &t))
		goto done;
	const char *cap = json_string_value(json_object_get(in, "capability"));
	const char *text = json_string_value(json_object_get(in, "text"));
	if (!capability_ok(cap)) {
		http_error(r, 422, "invalid_field", "capability",
			   "capability: '%.64s' is not a capability name (a-z, 0-9, '-')", cap);
		goto done;
	}
	if (t.originator == r->who.member_id) {
		http_error(r, 409, "conflict", NULL,
			   "the originator does not offer help to itself");
		goto done;
	}
	int64_t now = time_now_ms(), offer = 0;
	int rc = store_write_begin(r->node->st, &w);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(w, "INSERT INTO request_offers(request, member, at, "
						"capability, text) VALUES (?,?,?,?,?)");
		sqlite3_bind_int64(s, 1, t.seq);
		sqlite3_bind_int64(s, 2, r->who.member_id);
		sqlite3_bind_int64(s, 3, now);
		sqlite3_bind_text(s, 4, cap, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, text ? text : "", -1, SQLITE_STATIC);
		rc = store_step_done(w, s, "request_offer");
		offer = sqlite3_last_insert_rowid(store_db(w));
		char detail[120];
		snprintf(detail, sizeof(detail), "offer %" PRId64 ": %s", offer, cap);
		if (!rc)
			rc = responder_step(w, t.seq, r->who.member_id, "offered", now);
		if (!rc)
			rc = requests_history(w, t.seq, now, r->who.member_id, "offered", detail);
		if (!rc)
			rc = tell(r, w, t.seq, t.originator, "offer", &out);
		rc = store_write_end(r->node->st, rc);
	}
	requests_outbox_flush(r->node, &out, rc == ERR_OK);
	if (rc)
		http_error_detail(r, rc, NULL);
	else
		answer_request(r, 201);
done:
	json_decref(in);
}

static void decide_offer(struct request *r, bool accept)
{
	struct store_conn *c = node_reader(r), *w;
	struct target t;
	struct requests_outbox out = {NULL};
	if (!c || !find_target(r, c, &t))
		return;
	if (t.originator != r->who.member_id) {
		http_error(r, 403, "forbidden", NULL,
			   "only the originator of a request accepts or declines its offers");
		return;
	}
	int64_t now = time_now_ms(), offerer = 0;
	int rc = store_write_begin(r->node->st, &w);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(w, "UPDATE request_offers SET state = ?, "
						"decided_at = ? WHERE seq = ? AND request = ? AND "
						"state = 'pending' RETURNING member");
		sqlite3_bind_text(s, 1, accept ? "accepted" : "declined", -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_int64(s, 3, r->id[1]);
		sqlite3_bind_int64(s, 4, t.seq);
		int src = sqlite3_step(s);
		if (src == SQLITE_ROW)
			offerer = sqlite3_column_int64(s, 0);
		else if (src != SQLITE_DONE)
			rc = store_error(w, src, "offer_decide");
		sqlite3_reset(s);
		if (!rc && !offerer)
			rc = ERR_NOT_FOUND;
		char detail[64];
		snprintf(detail, sizeof(detail), "offer %" PRId64, r->id[1]);
		if (!rc)
			rc = requests_history(w, t.seq, now, r->who.member_id,
					      accept ? "offer_accepted" : "offer_declined", detail);
		if (!rc)
			rc = tell(r, w, t.seq, offerer,
				  accept ? "offer_accepted" : "offer_declined", &out);
		rc = store_write_end(r->node->st, rc);
	}
	requests_outbox_flush(r->node, &out, rc == ERR_OK);
	if (rc == ERR_NOT_FOUND)
		http_error(r, 404, "not_found", NULL,
			   "no pending offer %" PRId64 " on request %.80s", r->id[1], r->param[0]);
	else if (rc)
		http_error_detail(r, rc, NULL);
	else
		answer_request(r, 200);
}

static void accept_offer(struct request *r)
{
	decide_offer(r, true);
}

static void decline_offer(struct request *r)
{
	decide_offer(r, false);
}

static void close_request(struct request *r)
{
	static const struct rj_field fields[] = {
	    {"outcome", RJ_STRING, RJ_REQUIRED, 1, 16},
	    {"text", RJ_STRING, RJ_LINES, 0, 2000},
	};
	struct store_conn *c = node_reader(r), *w;
	struct target t;
	json_t *in = c ? http_decode(r, fields, 2, false) : NULL;
	if (!in || !find_target(r, c, &t))
		goto done;
	const char *outcome = json_string_value(json_object_get(in, "outcome"));
	if (!one_of(outcome, outcomes)) {
		http_error(r, 422, "invalid_field", "outcome",
			   "outcome: '%.16s' is not resolved, declined or expired", outcome);
		goto done;
	}
	if (t.originator != r->who.member_id) {
		http_error(r, 403, "forbidden", NULL, "only the originator closes a request");
		goto done;
	}
	int64_t now = time_now_ms();
	int rc = store_write_begin(r->node->st, &w);
	if (!rc) {
		sqlite3_stmt *s =
		    store_stmt(w, "UPDATE requests SET state = 'closed', outcome = ?, "
				  "closed_at = ?, due_at = NULL WHERE seq = ? AND "
				  "state <> 'closed'");
		sqlite3_bind_text(s, 1, outcome, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_int64(s, 3, t.seq);
		rc = store_step_changed(w, s, "request_close");
		if (!rc)
			rc = requests_history(w, t.seq, now, r->who.member_id, outcome,
					      json_string_value(json_object_get(in, "text")));
		rc = store_write_end(r->node->st, rc);
	}
	if (rc == ERR_NOT_FOUND)
		http_error(r, 409, "conflict", NULL, "request %.80s is closed", r->param[0]);
	else if (rc)
		http_error_detail(r, rc, NULL);
	else
		answer_request(r, 200);
done:
	json_decref(in);
}

/* --- statistics --- */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* {"count", "median_seconds"} of v[0..n) (sorted here). */
static json_t *median_json(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return json_pack("{sI so}", "count", (json_int_t)n, "median_seconds",
			 n ? json_real(n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2)
			   : json_null());
}

static void request_stats(struct request *r)
{
	static const char sql[] =
	    "SELECT r.originator, r.audience, r.tlp, r.state, r.exercise, r.deadline, "
	    "r.acked_at - r.created, r.answered_at - r.created, r.offered_at - r.created, r.kind "
	    "FROM requests r";
	static const char mine_sql[] =
	    "SELECT x.acked_at - r.created, x.answered_at - r.created, x.offered_at - r.created "
	    "FROM request_members x JOIN requests r ON r.seq = x.request WHERE x.member = ? AND "
	    "r.exercise = 0";
	struct store_conn *c = node_reader(r);
	int64_t now = time_now_ms(), total = 0, exercises = 0, overdue = 0;
	if (!c)
		return;
	size_t cap = 1024, n[3] = {0, 0, 0};
	double *t[3];
	for (int k = 0; k < 3; k++)
		t[k] = xmalloc(cap * sizeof(double));
	json_t *states =
	    json_pack("{sI sI sI sI}", "open", 0, "acknowledged", 0, "answered", 0, "closed", 0);
	json_t *by_kind =
	    json_pack("{sI sI sI}", "assistance", 0, "clarification", 0, "capacity", 0);
	sqlite3_stmt *s = store_stmt(c, sql);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct policy_subject o;
		store_subject_from_row(s, 0, &o);
		if (!policy_may_see(r->node->dir, &r->who, &o, POLICY_REQUEST_STATS))
			continue;
		if (sqlite3_column_int(s, 4)) { /* exercises stay out of the figures */
			exercises++;
			continue;
		}
		total++;
		const char *st = (const char *)sqlite3_column_text(s, 3);
		const char *kind = (const char *)sqlite3_column_text(s, 9);
		json_object_set_new(
		    states, st, json_integer(json_integer_value(json_object_get(states, st)) + 1));
		json_object_set_new(
		    by_kind, kind,
		    json_integer(json_integer_value(json_object_get(by_kind, kind)) + 1));
		if (strcmp(st, "closed") && now >= sqlite3_column_int64(s, 5))
			overdue++;
		for (int k = 0; k < 3; k++) {
			if (sqlite3_column_type(s, 6 + k) == SQLITE_NULL)
				continue;
			if (n[k] == cap) {
				cap *= 2;
				for (int j = 0; j < 3; j++)
					t[j] = xrealloc(t[j], cap * sizeof(double));
			}
			t[k][n[k]++] = (double)sqlite3_column_int64(s, 6 + k) / 1000.0;
		}
	}
	sqlite3_reset(s);
	json_t *out = json_pack("{sI sI sI so so s{so so so}}", "requests", (json_int_t)total,
				"overdue", (json_int_t)overdue, "exercises_excluded",
				(json_int_t)exercises, "by_state", states, "by_kind", by_kind,
				"time_to", "acknowledge", median_json(t[0], n[0]), "first_answer",
				median_json(t[1], n[1]), "first_offer", median_json(t[2], n[2]));
	/* the caller's own member as a responder */
	n[0] = n[1] = n[2] = 0;
	s = store_stmt(c, mine_sql);
	sqlite3_bind_int64(s, 1, r->who.member_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (int k = 0; k < 3; k++) {
			if (sqlite3_column_type(s, k) == SQLITE_NULL)
				continue;
			if (n[k] == cap) {
				cap *= 2;
				for (int j = 0; j < 3; j++)
					t[j] = xrealloc(t[j], cap * sizeof(double));
			}
			t[k][n[k]++] = (double)sqlite3_column_int64(s, k) / 1000.0;
		}
	}
	sqlite3_reset(s);
	json_object_set_new(out, "member",
			    json_pack("{sI so so so}", "id", (json_int_t)r->who.member_id,
				      "acknowledge", median_json(t[0], n[0]), "answer",
				      median_json(t[1], n[1]), "offer", median_json(t[2], n[2])));
	if (r->who.role == ROLE_ADMIN && r->node->requests)
		json_object_set_new(out, "deadline_scan", requests_scan_json(r->node->requests));
	for (int k = 0; k < 3; k++)
		free(t[k]);
	http_json(r, 200, out);
}

/* --- capabilities --- */

static bool member_arg(struct request *r, int64_t *member)
{
	const char *m = http_query(r, "member");
	*member = r->who.member_id;
	if (m && (!http_parse_id(m, member) || !directory_member_exists(r->node->dir, *member))) {
		http_error(r, 422, "invalid_field", "member", "member: no member %.32s", m);
		return false;
	}
	return true;
}

static json_t *capabilities_json(struct store_conn *c, int64_t member)
{
	sqlite3_stmt *s = store_stmt(c, "SELECT capability FROM member_capabilities WHERE "
					"member = ? ORDER BY capability");
	json_t *caps = json_array();
	sqlite3_bind_int64(s, 1, member);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(caps, http_col_text(s, 0));
	sqlite3_reset(s);
	return json_pack("{sI so}", "member", (json_int_t)member, "capabilities", caps);
}

static void get_capabilities(struct request *r)
{
	struct store_conn *c = node_reader(r);
	int64_t member;
	if (c && member_arg(r, &member))
		http_json(r, 200, capabilities_json(c, member));
}

static void put_capabilities(struct request *r)
{
	static const struct rj_field fields[] = {
	    {"capabilities", RJ_STRING_ARRAY, RJ_REQUIRED, 0, CAPABILITIES_MAX},
	};
	struct store_conn *c = node_reader(r), *w;
	int64_t member;
	char *list = NULL;
	json_t *in = NULL;
	if (!c || !member_arg(r, &member) || !http_require_self_or_admin(r, member) ||
	    !(in = http_decode(r, fields, 1, false)) ||
	    !(list = capability_list(r, json_object_get(in, "capabilities"), "capabilities")))
		goto done;
	int rc = store_write_begin(r->node->st, &w);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(w, "DELETE FROM member_capabilities WHERE member = ?");
		sqlite3_bind_int64(s, 1, member);
		rc = store_step_done(w, s, "capabilities_clear");
		if (!rc) {
			s = store_stmt(w, "INSERT INTO member_capabilities(capability, member) "
					  "SELECT value, ? FROM json_each(?)");
			sqlite3_bind_int64(s, 1, member);
			sqlite3_bind_text(s, 2, list, -1, SQLITE_STATIC);
			rc = store_step_done(w, s, "capabilities_set");
		}
		rc = store_write_end(r->node->st, rc);
	}
	if (rc)
		http_error_detail(r, rc, NULL);
	else
		http_json(r, 200, capabilities_json(c, member));
done:
	free(list);
	json_decref(in);
}

const struct route request_routes[] = {
    {"GET", "/api/v1/requests", list_requests, 0, NULL,
     "requests the caller may see (?open, mine, addressed, overdue=true; "
     "order=oldest|newest|deadline)"},
    {"POST", "/api/v1/requests", open_request, ROUTE_WRITE, NULL,
     "open a request for assistance, clarification or capacity"},
    {"GET", "/api/v1/requests/stats", request_stats, 0, NULL,
     "counts and times to respond over the requests the caller may see (exercises excluded)"},
    {"GET", "/api/v1/requests/{request}", get_request, 0, NULL,
     "a request with its answers, offers and history"},
    {"POST", "/api/v1/requests/{request}/ack", ack_request, ROUTE_WRITE, NULL,
     "acknowledge a request"},
    {"POST", "/api/v1/requests/{request}/answers", post_answer, ROUTE_WRITE, NULL,
     "answer a request {text, attach}"},
    {"POST", "/api/v1/requests/{request}/offers", post_offer, ROUTE_WRITE, NULL,
     "offer help {capability, text}"},
    {"POST", "/api/v1/requests/{request}/offers/{id}/accept", accept_offer, ROUTE_WRITE, NULL,
     "accept an offer (the originator)"},
    {"POST", "/api/v1/requests/{request}/offers/{id}/decline", decline_offer, ROUTE_WRITE, NULL,
     "decline an offer (the originator)"},
    {"POST", "/api/v1/requests/{request}/close", close_request, ROUTE_WRITE, NULL,
     "close a request {outcome: resolved|declined|expired} (the originator)"},
    {"GET", "/api/v1/capabilities", get_capabilities, 0, NULL,
     "what a member can offer (?member=ID)"},
    {"PUT", "/api/v1/capabilities", put_capabilities, ROUTE_WRITE, NULL,
     "replace what the caller's member can offer"},
    {NULL},
};
