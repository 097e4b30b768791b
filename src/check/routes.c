/* REST of communication checks: start (admin), status, report, history, and
 * the answer path. A GET of the answer link only says how to answer: only an
 * authenticated POST with the code of a challenge of the caller's own member
 * counts. Each State's row goes through policy_may_see (results.h). */
#include "check/routes.h"

#include "check/check.h"
#include "check/results.h"
#include "directory/token.h"
#include "http/answer.h"
#include "node.h"
#include "policy/audience.h"
#include "util/caps.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <sodium.h>

#define CHECK_TARGETS_MAX 100000 /* targeted contacts in one check */

static const struct rj_field start_fields[] = {
    {"contacts", RJ_STRING, RJ_REQUIRED, 3, 40},
    {"roles", RJ_STRING_ARRAY, RJ_REQUIRED, 1, 4},
    {"window", RJ_STRING, RJ_REQUIRED, 2, 16},
    {"reply_within", RJ_STRING, RJ_REQUIRED, 2, 16},
    {"exercise", RJ_BOOL, 0, 0, 0},
    {"audience", RJ_STRING_ARRAY, 0, 0, 1000},
};

static const char *const roles[] = {"policy", "technical", "law-enforcement", "crisis", NULL};

/* The members a check targets ("all", "group:ID", "member:ID"), as SQL over
 * contacts with ?1 = the id and ?2 = the roles (a JSON array). */
static const char *targets_sql(const char *spec, int64_t *id)
{
	if (!strcmp(spec, "all")) {
		*id = 0;
		return "SELECT c.member_id, c.id FROM contacts c JOIN members m ON m.id = "
		       "c.member_id WHERE m.deleted IS NULL AND ?1 = 0 AND c.role IN (SELECT value "
		       "FROM json_each(?2)) ORDER BY c.member_id, c.escalation_position, c.id";
	}
	if (!strncmp(spec, "group:", 6) && http_parse_id(spec + 6, id))
		return "SELECT c.member_id, c.id FROM contacts c JOIN group_members g ON "
		       "g.member_id = c.member_id JOIN members m ON m.id = c.member_id WHERE "
		       "m.deleted IS NULL AND g.group_id = ?1 AND c.role IN (SELECT value FROM "
		       "json_each(?2)) ORDER BY c.member_id, c.escalation_position, c.id";
	if (!strncmp(spec, "member:", 7) && http_parse_id(spec + 7, id))
		return "SELECT c.member_id, c.id FROM contacts c JOIN members m ON m.id = "
		       "c.member_id WHERE m.deleted IS NULL AND c.member_id = ?1 AND c.role IN "
		       "(SELECT value FROM json_each(?2)) ORDER BY c.escalation_position, c.id";
	return NULL;
}

static bool check_roles(struct request *r, json_t *arr)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		bool ok = false;
		for (int k = 0; roles[k]; k++)
			ok |= !strcmp(json_string_value(v), roles[k]);
		if (!ok) {
			http_error(r, 422, "invalid_field", "roles",
				   "roles[%zu]: '%s' is not policy, technical, law-enforcement or "
				   "crisis",
				   i, json_string_value(v));
			return false;
		}
	}
	return true;
}

static void answer_check(struct request *r, int64_t id, int status, bool contacts)
{
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	json_t *j = check_results_json(r->node, c, &r->who, id, contacts, POLICY_CHECK_RESULT);
	if (!j) {
		http_error(r, 404, "not_found", NULL, "no check %" PRId64, id);
		return;
	}
	if (status == 201)
		snprintf(r->location, sizeof(r->location), "/api/v1/checks/%" PRId64, id);
	http_json(r, status, j);
}

static void post_check(struct request *r)
{
	struct buf aud;
	struct err_detail err;
	int64_t window, reply, spec_id = 0, id = 0, n = 0;
	json_t *in =
	    http_decode(r, start_fields, sizeof(start_fields) / sizeof(start_fields[0]), false);
	buf_init(&aud, CAP_ROW_JSON);
	err_clear(&err);
	if (!in || !check_roles(r, json_object_get(in, "roles")))
		goto out;
	const char *spec = json_string_value(json_object_get(in, "contacts"));
	const char *sql = targets_sql(spec, &spec_id);
	if (!sql) {
		http_error(r, 422, "invalid_field", "contacts",
			   "contacts: '%s' is not all, group:ID or member:ID", spec);
		goto out;
	}
	if (spec_id && audience_from_text(spec, r->node->dir, "contacts", &aud, &err)) {
		http_error_detail(r, ERR_INVALID, &err);
		goto out;
	}
	const char *w = json_string_value(json_object_get(in, "window"));
	const char *rw = json_string_value(json_object_get(in, "reply_within"));
	if (!check_parse_duration(w, &window)) {
		http_error(r, 422, "invalid_field", "window",
			   "window: '%s' is not a duration such as 24h, 30m, 5s (at most 30d)", w);
		goto out;
	}
	if (!check_parse_duration(rw, &reply) || reply < 1000) {
		http_error(r, 422, "invalid_field", "reply_within",
			   "reply_within: '%s' is not a duration of at least 1s such as 2h, 2s",
			   rw);
		goto out;
	}
	/* the audience of the results always names the check's creator */
	json_t *a = json_deep_copy(json_object_get(in, "audience"));
	char self[32];
	if (!a)
		a = json_array();
	snprintf(self, sizeof(self), "member:%" PRId64, r->who.member_id);
	json_array_append_new(a, json_string(self));
	buf_reset(&aud);
	int rc = audience_from_json(a, r->node->dir, "audience", &aud, &err);
	if (!rc)
		rc = audience_local_only(aud.data, "audience", "check results", &err);
	json_decref(a);
	if (rc) {
		http_error_detail(r, rc, &err);
		goto out;
	}
	struct store_conn *c;
	if ((rc = store_write_begin(r->node->st, &c))) {
		http_error_detail(r, rc, NULL);
		goto out;
	}
	int64_t now = time_now_ms();
	char *roles_text = json_dumps(json_object_get(in, "roles"), JSON_COMPACT);
	sqlite3_stmt *s =
	    store_stmt(c, "INSERT INTO checks(created, created_by, contacts, roles, window_ms, "
			  "reply_within_ms, exercise, audience) VALUES (?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, r->who.member_id);
	sqlite3_bind_text(s, 3, spec, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, roles_text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, window);
	sqlite3_bind_int64(s, 6, reply);
	sqlite3_bind_int(s, 7, json_is_true(json_object_get(in, "exercise")));
	sqlite3_bind_text(s, 8, aud.data, -1, SQLITE_TRANSIENT);
	rc = store_step_done(c, s, "check_insert");
	id = sqlite3_last_insert_rowid(store_db(c));
	sqlite3_stmt *t = store_stmt(c, "INSERT INTO check_targets(check_id, member, contact, "
					"send_at) VALUES (?,?,?,?)");
	s = store_stmt(c, sql);
	sqlite3_bind_int64(s, 1, spec_id);
	sqlite3_bind_text(s, 2, roles_text, -1, SQLITE_TRANSIENT);
	while (!rc && sqlite3_step(s) == SQLITE_ROW) {
		if (++n > CHECK_TARGETS_MAX) {
			rc = ERR_TOO_LARGE;
			break;
		}
		/* a random time within the window, uniform, fixed now (it survives a
		 * restart) */
		int64_t at =
		    now + (window ? (int64_t)randombytes_uniform((uint32_t)window + 1) : 0);
		sqlite3_bind_int64(t, 1, id);
		sqlite3_bind_int64(t, 2, sqlite3_column_int64(s, 0));
		sqlite3_bind_int64(t, 3, sqlite3_column_int64(s, 1));
		sqlite3_bind_int64(t, 4, at);
		rc = store_step_done(c, t, "check_target_insert");
	}
	sqlite3_reset(s);
	free(roles_text);
	if (!rc && n == 0)
		rc = ERR_NOT_FOUND;
	rc = store_write_end(r->node->st, rc);
	if (rc == ERR_NOT_FOUND)
		http_error(
		    r, 422, "invalid_field", "contacts",
		    "contacts: no point of contact with one of these roles among the members "
		    "of '%s'",
		    spec);
	else if (rc == ERR_TOO_LARGE)
		http_error(r, 413, "too_large", "contacts",
			   "contacts: more than %d contacts in one check", CHECK_TARGETS_MAX);
	else if (rc)
		http_error_detail(r, rc, NULL);
	else {
		log_info("event=check_started check=%" PRId64 " targets=%" PRId64
			 " window_ms=%" PRId64 " exercise=%s",
			 id, n, window,
			 json_is_true(json_object_get(in, "exercise")) ? "true" : "false");
		check_kick(r->node->check);
		answer_check(r, id, 201, false);
	}
out:
	buf_release(&aud);
	json_decref(in);
}

static void get_check(struct request *r)
{
	answer_check(r, r->id[0], 200, true);
}

static void csv_field(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; s && *s; s++) {
		if (*s == '"')
			buf_addc(b, '"');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

static void csv_num(struct buf *b, json_t *v)
{
	buf_addc(b, ',');
	if (json_is_integer(v))
		buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		buf_addf(b, "%.4f", json_real_value(v));
}

/* GET /checks/{id}/report?format=csv|json: per State and overall. */
static void get_report(struct request *r)
{
	static const char *const cols[] = {"targets",	"reached",   "answered", "answered_share",
					   "escalated", "no_answer", "pending",	 "bounced",
					   "p50_ms",	"p95_ms"};
	const char *fmt = http_query(r, "format");
	if (fmt && strcmp(fmt, "json") && strcmp(fmt, "csv")) {
		http_error(r, 422, "invalid_field", "format", "format: '%s' is not csv or json",
			   fmt);
		return;
	}
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	json_t *j = check_results_json(r->node, c, &r->who, r->id[0], false, POLICY_CHECK_RESULT);
	if (!j) {
		http_error(r, 404, "not_found", NULL, "no check %" PRId64, r->id[0]);
		return;
	}
	if (!fmt || !strcmp(fmt, "json")) {
		http_json(r, 200, j);
		return;
	}
	r->status = 200;
	r->content_type = "text/csv; charset=utf-8";
	buf_reset(&r->out);
	buf_adds(&r->out, "member,name,country");
	for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
		buf_addf(&r->out, ",%s", cols[k]);
	buf_adds(&r->out, "\r\n");
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(j, "states"), i, st)
	{
		buf_addf(&r->out, "%" JSON_INTEGER_FORMAT ",",
			 json_integer_value(json_object_get(st, "member")));
		csv_field(&r->out, json_string_value(json_object_get(st, "name")));
		buf_addc(&r->out, ',');
		csv_field(&r->out, json_string_value(json_object_get(st, "country")));
		for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
			csv_num(&r->out, json_object_get(st, cols[k]));
		buf_adds(&r->out, "\r\n");
	}
	buf_adds(&r->out, ",\"overall\",");
	for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
		csv_num(&r->out, json_object_get(json_object_get(j, "overall"), cols[k]));
	buf_adds(&r->out, "\r\n");
	json_decref(j);
}

/* GET /checks[?member=ID]: the checks the caller sees a row of, newest
 * first, with their overall figures; with member, that State's row of each
 * (its history across checks). */
static void list_checks(struct request *r)
{
	int64_t limit, after, member = 0, last = 0, n = 0;
	const char *m = http_query(r, "member");
	struct store_conn *c = node_reader(r);
	if (!c || !http_page_args(r, &limit, &after))
		return;
	if (m && !http_parse_id(m, &member)) {
		http_error(r, 422, "invalid_field", "member", "member: '%s' is not a member id", m);
		return;
	}
	json_t *items = json_array();
	sqlite3_stmt *s = store_stmt(c, "SELECT id FROM checks WHERE ?1 = 0 OR id < ?1 ORDER BY "
					"id DESC");
	int64_t ids[1000];
	size_t nids = 0;
	sqlite3_bind_int64(s, 1, after);
	while (nids < 1000 && sqlite3_step(s) == SQLITE_ROW)
		ids[nids++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	for (size_t k = 0; k < nids && n < limit; k++) {
		json_t *j =
		    check_results_json(r->node, c, &r->who, ids[k], false, POLICY_CHECK_RESULT);
		last = ids[k];
		if (!j)
			continue;
		json_t *states = json_incref(json_object_get(j, "states"));
		json_object_del(j, "states");
		if (member) {
			size_t i;
			json_t *st, *mine = NULL;
			json_array_foreach(states, i, st)
			{
				if (json_integer_value(json_object_get(st, "member")) == member)
					mine = st;
			}
			if (!mine) {
				json_decref(states);
				json_decref(j);
				continue;
			}
			json_object_set(j, "member", mine);
		}
		json_decref(states);
		json_array_append_new(items, j);
		n++;
	}
	http_page(r, items, limit, last);
}

/* GET /checks/waiting: the challenges sent to the caller's own member that
 * still wait for its answer (target state 'open'), newest first, each with
 * the contact it reached and when the reply is due before escalation. A
 * challenge not sent yet is not listed: its time is the check's secret. */
static void list_waiting(struct request *r)
{
	int64_t limit, after, last = 0;
	struct store_conn *c = node_reader(r);
	if (!c || !http_page_args(r, &limit, &after))
		return;
	sqlite3_stmt *s = store_stmt(
	    c, "SELECT t.id, t.check_id, ch.created, ch.exercise, ch.audience, t.contact, "
	       "k.name, coalesce(t.reached_at, t.issued_at), t.escalate_at, t.level "
	       "FROM check_targets t JOIN checks ch ON ch.id = t.check_id LEFT JOIN contacts k "
	       "ON k.id = t.contact WHERE t.member = ?1 AND t.state = 'open' AND "
	       "(?2 = 0 OR t.id < ?2) ORDER BY t.id DESC");
	json_t *items = json_array();
	sqlite3_bind_int64(s, 1, r->who.member_id);
	sqlite3_bind_int64(s, 2, after);
	while ((int64_t)json_array_size(items) < limit && sqlite3_step(s) == SQLITE_ROW) {
		struct policy_subject o = {.owner = r->who.member_id,
					   .audience = (const char *)sqlite3_column_text(s, 4),
					   .tlp = TLP_NONE};
		last = sqlite3_column_int64(s, 0);
		if (!policy_may_see(r->node->dir, &r->who, &o, POLICY_CHECK_RESULT))
			continue;
		json_array_append_new(
		    items, json_pack("{sI sI so sb s{sI so} so so sI}", "target", (json_int_t)last,
				     "check", (json_int_t)sqlite3_column_int64(s, 1), "created",
				     http_col_time(s, 2), "exercise", sqlite3_column_int(s, 3) != 0,
				     "contact", "id", (json_int_t)sqlite3_column_int64(s, 5),
				     "name", http_col_text(s, 6), "challenged", http_col_time(s, 7),
				     "reply_by", http_col_time(s, 8), "level",
				     (json_int_t)sqlite3_column_int64(s, 9)));
	}
	sqlite3_reset(s);
	http_page(r, items, limit, last);
}

static const struct rj_field answer_fields[] = {
    {"code", RJ_STRING, RJ_REQUIRED, 1, 64},
};

/* POST /checks/answer {"code"}: the only way a challenge counts as answered. */
static void post_answer(struct request *r)
{
	json_t *in = http_decode(r, answer_fields, 1, false);
	if (!in)
		return;
	const char *code = json_string_value(json_object_get(in, "code"));
	uint8_t hash[32];
	check_code_hash(code, strlen(code), hash);
	struct store_conn *c;
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		http_error_detail(r, rc, NULL);
		json_decref(in);
		return;
	}
	sqlite3_stmt *s = store_stmt(
	    c, "SELECT ch.id, ch.target, ch.contact, t.member, t.check_id, "
	       "coalesce(t.reached_at, t.issued_at), ch.code_hash, t.state, t.answered_at FROM "
	       "check_challenges ch JOIN check_targets t ON t.id = ch.target "
	       "WHERE ch.code_hash = ?");
	sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
	int64_t challenge = 0, target = 0, contact = 0, check = 0, issued = 0, answered = 0;
	bool found = false, already = false;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 6) == 32 &&
	    token_hash_equal(hash, sqlite3_column_blob(s, 6)) &&
	    sqlite3_column_int64(s, 3) == r->who.member_id) {
		found = true;
		challenge = sqlite3_column_int64(s, 0);
		target = sqlite3_column_int64(s, 1);
		contact = sqlite3_column_int64(s, 2);
		check = sqlite3_column_int64(s, 4);
		issued = sqlite3_column_int64(s, 5);
		already = !strcmp((const char *)sqlite3_column_text(s, 7), "answered");
		answered = already ? sqlite3_column_int64(s, 8) : time_now_ms();
	}
	sqlite3_reset(s);
	if (found && !already) {
		s = store_stmt(c, "UPDATE check_challenges SET answered_at = ? WHERE id = ?");
		sqlite3_bind_int64(s, 1, answered);
		sqlite3_bind_int64(s, 2, challenge);
		rc = store_step_done(c, s, "challenge_answer");
		s = store_stmt(c, "UPDATE check_targets SET state = 'answered', answered_at = ?, "
				  "answered_contact = ?, escalate_at = NULL WHERE id = ?");
		sqlite3_bind_int64(s, 1, answered);
		sqlite3_bind_int64(s, 2, contact);
		sqlite3_bind_int64(s, 3, target);
		if (!rc)
			rc = store_step_done(c, s, "target_answer");
	}
	rc = store_write_end(r->node->st, rc);
	if (rc) {
		http_error_detail(r, rc, NULL);
	} else if (!found) {
		/* the same answer for a code of another member: no oracle */
		http_error(r, 404, "not_found", "code",
			   "code: no challenge of your member has this code");
	} else {
		char at[32];
		time_format_ms(answered, at);
		log_info("event=check_answered check=%" PRId64 " target=%" PRId64 " member=%" PRId64
			 " already=%s",
			 check, target, r->who.member_id, already ? "true" : "false");
		http_json(r, 200,
			  json_pack("{sI sI sI ss sI sb}", "check", (json_int_t)check, "challenge",
				    (json_int_t)challenge, "contact", (json_int_t)contact,
				    "answered", at, "time_to_answer_ms",
				    (json_int_t)(answered - issued), "already_answered", already));
	}
	json_decref(in);
}

/* GET /checks/answer?code=...: the link of a challenge. A prefetcher or a
 * scanner opens it too, so it changes nothing and says how to answer. */
static void get_answer(struct request *r)
{
	http_json(r, 200,
		  json_pack("{ss ss ss ss ss}", "answered", "no: opening this link does not answer",
			    "how",
			    "POST /api/v1/checks/answer with {\"code\":\"<the code>\"} and your "
			    "member's API token (Authorization: Bearer ...)",
			    "cli", "atalaya check answer CODE", "web",
			    "sign in at /web/check and type the code", "why",
			    "a communication check counts only an authenticated answer, so that a "
			    "link prefetcher or an automatic reply does not look like a person"));
}

const struct route check_routes[] = {
    {"POST", "/api/v1/checks", post_check, ROUTE_ADMIN, NULL,
     "start a communication check (admin)"},
    {"GET", "/api/v1/checks", list_checks, 0, NULL,
     "communication checks the caller may see (?member=ID: a State's history)"},
    {"GET", "/api/v1/checks/waiting", list_waiting, 0, NULL,
     "challenges sent to the caller's member still waiting for its answer"},
    {"POST", "/api/v1/checks/answer", post_answer, 0, NULL,
     "answer a challenge with its one-time code (your member's token)"},
    {"GET", "/api/v1/checks/answer", get_answer, ROUTE_PUBLIC, NULL,
     "the challenge link: how to answer (changes nothing)"},
    {"GET", "/api/v1/checks/{id}", get_check, 0, NULL, "a check's status per State and contact"},
    {"GET", "/api/v1/checks/{id}/report", get_report, 0, NULL,
     "a check's figures per State and overall (?format=csv|json)"},
    {0},
};
