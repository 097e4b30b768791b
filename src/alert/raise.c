/* Raising alerts from a committed report. See raise.h. */
#include "alert/raise.h"

#include "alert/delivery.h"
#include "alert/service.h"
#include "policy/policy.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define ALERT_VALUES_MAX 1000 /* observables listed in one alert */

struct member_hits {
	int64_t member;
	/* object: canonical value -> [kind, first_seen ms, score, expired] */
	json_t *values;
};

/* What an alert says about the age of one observable (docs/internals/alert.md,
 * "Old news"). */
struct obs_age {
	int64_t first_seen; /* ms: the earliest of the object's created,
			     * first_observed and the time it was seen */
	double score;	    /* decay score when the report arrived */
	bool expired;	    /* valid_until had passed when the report arrived */
};

/* One report's alerts in the making. */
struct raise {
	struct node *node;
	struct alert *w;
	const struct index_report *r;
	struct member_hits *hits;
	size_t nhits;
	json_t *created; /* [[alert, member]], once recorded */
	/* the observable at hand, while the constituencies are matched */
	const struct index_found *f;
	bool aged, revoked;
	struct obs_age age;
};

/* Whole days from `first` to `now`, never negative. */
static int64_t alert_age_days(int64_t now, int64_t first)
{
	return now > first ? (now - first) / 86400000 : 0;
}

/* The age of an observable of the object at hand. A revoked object says
 * nothing any more: false, and it raises no alert. */
static bool obs_age_of(struct raise *cc, const struct observable *o, int64_t seen,
		       struct obs_age *a)
{
	const struct jv *obj = cc->f->obj;
	if (obj && jv_is_true(jv_get(obj, "revoked")))
		return false;
	a->first_seen = seen;
	a->expired = false;
	if (obj) {
		int64_t t = index_json_time(obj, "created", INT64_MAX);
		if (t < a->first_seen)
			a->first_seen = t;
		t = index_json_time(obj, "first_observed", INT64_MAX);
		if (t < a->first_seen)
			a->first_seen = t;
		a->expired = index_json_time(obj, "valid_until", INT64_MAX) <= cc->r->received;
	}
	a->score = observable_score(cc->r->received, seen, 1, o->kind);
	return true;
}

/* A member whose constituency holds the observable at hand. Old news still
 * alerts: an observable that decay counts as expired, or past its
 * valid_until, is news to a member that was never told; its alert shows its
 * age and a lower priority instead (obs_age). */
static void on_member(void *ctx, int64_t member)
{
	struct raise *cc = ctx;
	const struct observable *o = cc->f->o;
	if (!cc->aged) {
		cc->aged = true;
		cc->revoked = !obs_age_of(cc, o, cc->f->seen, &cc->age);
	}
	if (cc->revoked)
		return; /* withdrawn by its provider */
	size_t k;
	for (k = 0; k < cc->nhits && cc->hits[k].member != member; k++)
		;
	if (k == cc->nhits) {
		cc->hits = xrealloc(cc->hits, (cc->nhits + 1) * sizeof(*cc->hits));
		cc->hits[k].member = member;
		cc->hits[k].values = json_object();
		cc->nhits++;
	}
	char *v = xstrndup(o->value, o->len);
	json_t *had = json_object_get(cc->hits[k].values, v);
	struct obs_age a = cc->age;
	if (had) {
		/* the same value twice in a report: its earliest first sight,
		 * its best score, expired only if every mention is */
		if (json_integer_value(json_array_get(had, 1)) < a.first_seen)
			a.first_seen = json_integer_value(json_array_get(had, 1));
		if (json_real_value(json_array_get(had, 2)) > a.score)
			a.score = json_real_value(json_array_get(had, 2));
		a.expired = a.expired && json_is_true(json_array_get(had, 3));
	}
	if (had || json_object_size(cc->hits[k].values) < ALERT_VALUES_MAX)
		json_object_set_new(cc->hits[k].values, v,
				    json_pack("[sIfb]", observable_kind_name(o->kind),
					      (json_int_t)a.first_seen, a.score, a.expired));
	free(v);
}

static void *raise_begin(struct node *node, const struct index_report *r)
{
	if (!node->alert || !node->indexer)
		return NULL;
	struct raise *cc = xcalloc(1, sizeof(*cc));
	cc->node = node;
	cc->w = node->alert;
	cc->r = r;
	cc->created = json_array();
	return cc;
}

static void raise_observable(void *state, const struct index_found *f)
{
	struct raise *cc = state;
	cc->f = f;
	cc->aged = cc->revoked = false;
	constituency_match(indexer_constituency(cc->node->indexer), f->o, on_member, cc);
	cc->f = NULL;
}

/* Inside the indexer's transaction: the alerts, their first deliveries and
 * audit rows. */
static int raise_record(void *state, struct store_conn *c)
{
	struct raise *cc = state;
	struct node *node = cc->node;
	const struct index_report *r = cc->r;
	int64_t originator = r->subject.owner, exercise = r->exercise;
	json_t *created = cc->created;
	sqlite3_stmt *s;
	int rc = ERR_OK, src;
	const struct policy_subject subj = r->subject;
	for (size_t k = 0; k < cc->nhits && !rc; k++) {
		int64_t member = cc->hits[k].member;
		struct principal who = {.member_id = member, .role = ROLE_READER};
		if (member == originator || !directory_member_exists(node->dir, member) ||
		    !policy_may_see(node->dir, &who, &subj, POLICY_ALERT))
			continue;
		json_t *vals = json_array();
		const char *v;
		json_t *hit;
		bool current = false;
		int64_t newest = INT64_MIN;
		json_object_foreach(cc->hits[k].values, v, hit)
		{
			int64_t first = json_integer_value(json_array_get(hit, 1));
			double score = json_real_value(json_array_get(hit, 2));
			bool expired = json_is_true(json_array_get(hit, 3));
			char t[32];
			time_format_ms(first, t);
			json_array_append_new(vals,
					      json_pack("{ss sO ss sI sf sb}", "value", v, "kind",
							json_array_get(hit, 0), "first_seen", t,
							"indicator_age_days",
							(json_int_t)alert_age_days(r->now, first),
							"score", score, "expired", expired));
			current |= !expired && !observable_expired(score);
			if (first > newest)
				newest = first;
		}
		char *vt = json_dumps(vals, JSON_COMPACT);
		json_decref(vals);
		/* old news goes to the first contact and the stream, and does not
		 * escalate: nobody is woken for months-old information */
		int64_t deadline = current ? delivery_deadline_ms(c, node, member) : 0;
		s = store_stmt(c,
			       "INSERT OR IGNORE INTO alerts(member, report, created, observables, "
			       "escalate_at, exercise) VALUES (?,?,?,?,?,?)");
		sqlite3_bind_int64(s, 1, member);
		sqlite3_bind_int64(s, 2, r->seq);
		sqlite3_bind_int64(s, 3, r->now);
		sqlite3_bind_text(s, 4, vt, -1, SQLITE_TRANSIENT);
		if (current)
			sqlite3_bind_int64(s, 5, r->now + deadline);
		else
			sqlite3_bind_null(s, 5);
		sqlite3_bind_int64(s, 6, exercise);
		src = sqlite3_step(s);
		sqlite3_reset(s);
		free(vt);
		if (src != SQLITE_DONE) {
			rc = store_error(c, src, "alert_insert");
			break;
		}
		if (!sqlite3_changes(store_db(c)))
			continue; /* already raised (a replay after a restart) */
		int64_t alert = sqlite3_last_insert_rowid(store_db(c));
		char detail[200];
		if (current)
			snprintf(detail, sizeof(detail), "%zu observables in the constituency",
				 json_object_size(cc->hits[k].values));
		else
			snprintf(detail, sizeof(detail),
				 "%zu observables in the constituency, all old news (the newest "
				 "first seen %" PRId64 " days ago): low priority, no escalation",
				 json_object_size(cc->hits[k].values),
				 alert_age_days(r->now, newest));
		rc = delivery_step(c, alert, r->now, "created", 0, NULL, 0, NULL, detail);
		bool had = false;
		if (!rc)
			rc = delivery_schedule_level(c, node, alert, member, 0, r->now, &had);
		s = store_stmt(c, "INSERT INTO audit(report, object, member, path, at) VALUES "
				  "(?, NULL, ?, ?, ?)");
		sqlite3_bind_int64(s, 1, r->seq);
		sqlite3_bind_int64(s, 2, member);
		sqlite3_bind_text(s, 3, policy_path_name(POLICY_ALERT), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, r->now);
		src = sqlite3_step(s);
		sqlite3_reset(s);
		if (src != SQLITE_DONE && !rc)
			rc = store_error(c, src, "alert_audit");
		json_array_append_new(created,
				      json_pack("[II]", (json_int_t)alert, (json_int_t)member));
	}
	return rc;
}

/* After the commit: the stream, the log, the delivery thread. */
static void raise_done(void *state, int rc)
{
	struct raise *cc = state;
	struct alert *w = cc->w;
	size_t i;
	json_t *a;
	(void)rc; /* what was recorded before a failure is published, as ever */
	struct store_conn *rd = store_reader(cc->node->st);
	json_array_foreach(cc->created, i, a)
	{
		int64_t id = json_integer_value(json_array_get(a, 0));
		json_t *aj = rd ? alert_alert_json(rd, id, false) : NULL;
		if (aj) {
			char *text = json_dumps(aj, JSON_COMPACT);
			alert_publish(alert_stream_of(w), json_integer_value(json_array_get(a, 1)),
				      (uint64_t)id, text);
			free(text);
			json_decref(aj);
		}
		log_info("event=alert_created alert=%" PRId64 " member=%" JSON_INTEGER_FORMAT
			 " report=%" PRId64,
			 id, json_integer_value(json_array_get(a, 1)), cc->r->seq);
	}
	if (json_array_size(cc->created))
		alert_kick(w);
	json_decref(cc->created);
	for (i = 0; i < cc->nhits; i++)
		json_decref(cc->hits[i].values);
	free(cc->hits);
	free(cc);
}

const struct index_subscriber alert_subscriber = {
    .name = "alert",
    .begin = raise_begin,
    .observable = raise_observable,
    .record = raise_record,
    .done = raise_done,
};
