/* Figures of communication checks (results.h). The visibility of a State's
 * row is decided by policy_may_see on {owner: the State, audience: the
 * check's audience (which always names its creator)}. */
#include "check/results.h"

#include "http/answer.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct acc {
	int64_t member;
	const char *name, *country;
	int64_t targets, reached, answered, escalated, unanswered, pending, bounced;
	int64_t *times;
	size_t ntimes, cap;
	json_t *contacts;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int64_t check_percentile(const int64_t *v, size_t n, int p)
{
	if (!n)
		return 0;
	size_t rank = (size_t)((p * n + 99) / 100); /* nearest rank, 1-based */
	return v[rank ? rank - 1 : 0];
}

static void acc_add_time(struct acc *a, int64_t t)
{
	if (a->ntimes == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 8;
		a->times = xrealloc(a->times, a->cap * sizeof(*a->times));
	}
	a->times[a->ntimes++] = t;
}

static json_t *acc_json(struct acc *a, bool state)
{
	json_t *o = json_object();
	if (state) {
		json_object_set_new(o, "member", json_integer(a->member));
		json_object_set_new(o, "name", json_string(a->name));
		json_object_set_new(o, "country", json_string(a->country));
	}
	if (a->ntimes)
		qsort(a->times, a->ntimes, sizeof(*a->times), cmp_i64);
	json_object_set_new(o, "targets", json_integer(a->targets));
	json_object_set_new(o, "reached", json_integer(a->reached));
	json_object_set_new(o, "answered", json_integer(a->answered));
	json_object_set_new(o, "answered_share",
			    a->targets ? json_real((double)a->answered / (double)a->targets)
				       : json_null());
	json_object_set_new(o, "escalated", json_integer(a->escalated));
	json_object_set_new(o, "no_answer", json_integer(a->unanswered));
	json_object_set_new(o, "pending", json_integer(a->pending));
	json_object_set_new(o, "bounced", json_integer(a->bounced));
	json_object_set_new(o, "p50_ms",
			    a->ntimes ? json_integer(check_percentile(a->times, a->ntimes, 50))
				      : json_null());
	json_object_set_new(o, "p95_ms",
			    a->ntimes ? json_integer(check_percentile(a->times, a->ntimes, 95))
				      : json_null());
	if (a->contacts)
		json_object_set(o, "contacts", a->contacts);
	return o;
}

static void acc_merge(struct acc *into, const struct acc *a)
{
	into->targets += a->targets;
	into->reached += a->reached;
	into->answered += a->answered;
	into->escalated += a->escalated;
	into->unanswered += a->unanswered;
	into->pending += a->pending;
	into->bounced += a->bounced;
	for (size_t i = 0; i < a->ntimes; i++)
		acc_add_time(into, a->times[i]);
}

static void acc_release(struct acc *a)
{
	free(a->times);
	json_decref(a->contacts);
	memset(a, 0, sizeof(*a));
}

json_t *check_results_json(struct node *node, struct store_conn *c, const struct principal *who,
			   int64_t id, bool contacts, enum policy_path path)
{
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT id, created, created_by, contacts, roles, "
			  "window_ms, reply_within_ms, exercise, audience FROM checks "
			  "WHERE id = ?");
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return NULL;
	}
	json_t *out = json_object();
	json_object_set_new(out, "id", json_integer(id));
	json_object_set_new(out, "created", http_col_time(s, 1));
	json_object_set_new(out, "created_by", json_integer(sqlite3_column_int64(s, 2)));
	json_object_set_new(out, "contacts", http_col_text(s, 3));
	json_object_set_new(out, "roles", http_col_json(s, 4));
	json_object_set_new(out, "window_ms", json_integer(sqlite3_column_int64(s, 5)));
	json_object_set_new(out, "reply_within_ms", json_integer(sqlite3_column_int64(s, 6)));
	json_object_set_new(out, "exercise", json_boolean(sqlite3_column_int(s, 7)));
	json_object_set_new(out, "audience", http_col_json(s, 8));
	char *aud = xstrdup((const char *)sqlite3_column_text(s, 8));
	sqlite3_reset(s);

	s = store_stmt(
	    c, "SELECT t.id, t.member, m.name, m.country, t.contact, t.state, t.level, "
	       "coalesce(t.reached_at, t.issued_at), t.answered_at, t.answered_contact, t.send_at, "
	       "(SELECT count(*) FROM check_deliveries d JOIN check_challenges ch ON ch.id = "
	       "d.challenge WHERE ch.target = t.id AND d.state = 'delivered'), "
	       "(SELECT count(DISTINCT d.address) FROM check_deliveries d JOIN check_challenges "
	       "ch ON ch.id = d.challenge WHERE ch.target = t.id AND d.state = 'failed') "
	       "FROM check_targets t JOIN members m ON m.id = t.member WHERE t.check_id = ? "
	       "ORDER BY m.country, m.name, t.member, t.id");
	sqlite3_bind_int64(s, 1, id);
	json_t *states = json_array();
	struct acc all = {0}, cur = {0};
	bool running = false, cur_visible = false, any = false;
	char *cur_name = NULL, *cur_country = NULL;
	for (;;) {
		int src = sqlite3_step(s);
		int64_t member = src == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
		if (cur.member && member != cur.member) {
			if (cur_visible) {
				json_array_append_new(states, acc_json(&cur, true));
				acc_merge(&all, &cur);
				any = true;
			}
			acc_release(&cur);
			free(cur_name);
			free(cur_country);
			cur_name = cur_country = NULL;
		}
		if (src != SQLITE_ROW)
			break;
		const char *state = (const char *)sqlite3_column_text(s, 5);
		running |= !strcmp(state, "scheduled") || !strcmp(state, "open");
		if (!cur.member) {
			struct policy_subject o = {
			    .owner = member, .audience = aud, .tlp = TLP_NONE};
			cur.member = member;
			cur_visible = policy_may_see(node->dir, who, &o, path);
			cur.name = cur_name = xstrdup((const char *)sqlite3_column_text(s, 2));
			cur.country = cur_country =
			    xstrdup((const char *)sqlite3_column_text(s, 3));
			if (contacts)
				cur.contacts = json_array();
		}
		if (!cur_visible)
			continue;
		int64_t issued = sqlite3_column_int64(s, 7), answered = sqlite3_column_int64(s, 8);
		bool is_answered = !strcmp(state, "answered");
		cur.targets++;
		cur.reached += sqlite3_column_int64(s, 11) > 0;
		cur.answered += is_answered;
		cur.escalated += sqlite3_column_int64(s, 6) > 0;
		cur.unanswered += !strcmp(state, "unanswered");
		cur.pending += !strcmp(state, "scheduled") || !strcmp(state, "open");
		cur.bounced += sqlite3_column_int64(s, 12);
		if (is_answered)
			acc_add_time(&cur, answered - issued);
		if (contacts) {
			json_t *t =
			    json_pack("{sI sI ss sI so so so so sb sI}", "target",
				      (json_int_t)sqlite3_column_int64(s, 0), "contact",
				      (json_int_t)sqlite3_column_int64(s, 4), "state", state,
				      "level", (json_int_t)sqlite3_column_int64(s, 6), "scheduled",
				      http_col_time(s, 10), "challenged", http_col_time(s, 7),
				      "answered", http_col_time(s, 8), "time_to_answer_ms",
				      is_answered ? json_integer(answered - issued) : json_null(),
				      "reached", sqlite3_column_int64(s, 11) > 0, "bounced",
				      (json_int_t)sqlite3_column_int64(s, 12));
			if (sqlite3_column_type(s, 9) != SQLITE_NULL)
				json_object_set_new(t, "answered_by_contact",
						    json_integer(sqlite3_column_int64(s, 9)));
			json_array_append_new(cur.contacts, t);
		}
	}
	sqlite3_reset(s);
	free(aud);
	acc_release(&cur);
	free(cur_name);
	free(cur_country);
	if (!any) {
		acc_release(&all);
		json_decref(states);
		json_decref(out);
		return NULL;
	}
	json_object_set_new(out, "state", json_string(running ? "running" : "finished"));
	json_object_set_new(out, "overall", acc_json(&all, false));
	json_object_set_new(out, "states", states);
	acc_release(&all);
	return out;
}

void check_results_member(struct node *node, struct store_conn *c, const struct principal *who,
			  int64_t member, int64_t since_ms, int64_t *checks, int64_t *targets,
			  int64_t *answered)
{
	sqlite3_stmt *s = store_stmt(c, "SELECT c.audience, count(*), sum(t.state = 'answered') "
					"FROM check_targets t JOIN checks c ON c.id = t.check_id "
					"WHERE t.member = ? AND c.created >= ? GROUP BY c.id");
	*checks = *targets = *answered = 0;
	sqlite3_bind_int64(s, 1, member);
	sqlite3_bind_int64(s, 2, since_ms);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct policy_subject o = {
		    .owner = member,
		    .audience = (const char *)sqlite3_column_text(s, 0),
		    .tlp = TLP_NONE,
		};
		if (!policy_may_see(node->dir, who, &o, POLICY_PROGRESS))
			continue;
		(*checks)++;
		*targets += sqlite3_column_int64(s, 1);
		*answered += sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
}
