/* REST of national profiles: show, replace fields and measures (our JSON or
 * FIRST team information), export, the measures catalogue. Every field and
 * measure leaves through policy_may_see (profile/store.h). */
#include "profile/routes.h"

#include "http/answer.h"
#include "node.h"
#include "policy/audience.h"
#include "profile/profile.h"
#include "profile/progress.h"
#include "profile/store.h"
#include "util/caps.h"
#include "util/log.h"
#include "util/timeutil.h"

/* The member's name and country; false (after answering 404) when there is
 * no such member. */
static bool member_row(struct request *r, struct store_conn *c, int64_t id, json_t **out)
{
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT name, country FROM members WHERE id = ? AND deleted IS NULL");
	sqlite3_bind_int64(s, 1, id);
	bool ok = sqlite3_step(s) == SQLITE_ROW;
	if (ok)
		*out = json_pack("{sI ss ss}", "member", (json_int_t)id, "name",
				 (const char *)sqlite3_column_text(s, 0), "country",
				 (const char *)sqlite3_column_text(s, 1));
	else
		http_error(r, 404, "not_found", NULL, "no member %" PRId64, id);
	sqlite3_reset(s);
	return ok;
}

static void answer_profile(struct request *r, int64_t id, enum policy_path path)
{
	struct store_conn *c = node_reader(r);
	json_t *out;
	if (!c || !member_row(r, c, id, &out))
		return;
	json_t *p = profile_visible(r->node, c, &r->who, id, path);
	json_object_update(out, p);
	json_decref(p);
	http_json(r, 200, out);
}

static void get_profile(struct request *r)
{
	answer_profile(r, r->id[0], POLICY_PROFILE_GET);
}

static void get_export(struct request *r)
{
	const char *fmt = http_query(r, "format");
	if (fmt && strcmp(fmt, "json") && strcmp(fmt, "first")) {
		http_error(r, 422, "invalid_field", "format", "format: '%s' is not json or first",
			   fmt);
		return;
	}
	struct store_conn *c = node_reader(r);
	json_t *out;
	if (!c || !member_row(r, c, r->id[0], &out))
		return;
	json_t *p = profile_visible(r->node, c, &r->who, r->id[0], POLICY_PROFILE_EXPORT);
	if (fmt && !strcmp(fmt, "first")) {
		json_t *ag = json_object_get(
		    json_object_get(json_object_get(p, "fields"), "agencies"), "value");
		json_decref(out);
		out = profile_agencies_to_first(ag);
	} else {
		/* the import format: fields and measures without their timestamps */
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(p, "fields"), k, v)
		    json_object_del(v, "updated");
		json_object_foreach(json_object_get(p, "measures"), k, v)
		    json_object_del(v, "updated");
		json_object_set_new(out, "format", json_string("atalaya-profile/1"));
		json_object_update(out, p);
	}
	json_decref(p);
	http_json(r, 200, out);
}

/* "public" -> ["all"], "private" -> [], an array -> its canonical audience. */
static int scope_canonical(struct request *r, json_t *scope, const char *field, struct buf *out,
			   struct err_detail *err)
{
	buf_reset(out);
	if (json_is_string(scope))
		return buf_adds(out,
				strcmp(json_string_value(scope), "public") ? "[]" : "[\"all\"]");
	int rc = audience_from_json(scope, r->node->dir, field, out, err);
	return rc ? rc : audience_local_only(out->data, field, "profiles", err);
}

static int put_field(struct request *r, struct store_conn *c, int64_t member, const char *name,
		     json_t *f, int64_t now, struct buf *aud, struct err_detail *err)
{
	json_t *value = json_object_get(f, "value");
	char field[120];
	snprintf(field, sizeof(field), "fields.%s.scope", name);
	if (json_is_null(value)) {
		sqlite3_stmt *s =
		    store_stmt(c, "DELETE FROM profile_fields WHERE member = ? AND field = ?");
		sqlite3_bind_int64(s, 1, member);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
		return store_step_done(c, s, "profile_field_delete");
	}
	int rc = scope_canonical(r, json_object_get(f, "scope"), field, aud, err);
	if (rc)
		return rc;
	if (!strcmp(name, "contacts")) { /* the member's own points of contact only */
		size_t i;
		json_t *id;
		json_array_foreach(value, i, id)
		{
			sqlite3_stmt *s = store_stmt(c, "SELECT 1 FROM contacts WHERE id = ? AND "
							"member_id = ?");
			sqlite3_bind_int64(s, 1, json_integer_value(id));
			sqlite3_bind_int64(s, 2, member);
			bool ok = sqlite3_step(s) == SQLITE_ROW;
			sqlite3_reset(s);
			if (!ok)
				return err_set(err, ERR_INVALID, "fields.contacts.value",
					       "fields.contacts.value[%zu]: %" JSON_INTEGER_FORMAT
					       " is not a contact of member %" PRId64,
					       i, json_integer_value(id), member);
		}
	}
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	sqlite3_stmt *s = store_stmt(c, "INSERT OR REPLACE INTO profile_fields(member, field, "
					"value, scope, updated) VALUES (?,?,?,?,?)");
	sqlite3_bind_int64(s, 1, member);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, aud->data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, now);
	free(text);
	return store_step_done(c, s, "profile_field");
}

static int put_measure(struct request *r, struct store_conn *c, int64_t member, const char *id,
		       json_t *m, int64_t now, struct buf *aud, struct err_detail *err)
{
	char field[80];
	snprintf(field, sizeof(field), "measures.%s.scope", id);
	if (json_is_null(m)) {
		sqlite3_stmt *s =
		    store_stmt(c, "DELETE FROM profile_measures WHERE member = ? AND measure = ?");
		sqlite3_bind_int64(s, 1, member);
		sqlite3_bind_text(s, 2, id, -1, SQLITE_TRANSIENT);
		return store_step_done(c, s, "profile_measure_delete");
	}
	int rc = scope_canonical(r, json_object_get(m, "scope"), field, aud, err);
	if (rc)
		return rc;
	sqlite3_stmt *s = store_stmt(c, "INSERT OR REPLACE INTO profile_measures(member, measure, "
					"status, since, note, scope, updated) VALUES "
					"(?,?,?,?,?,?,?)");
	sqlite3_bind_int64(s, 1, member);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, json_string_value(json_object_get(m, "status")), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, json_string_value(json_object_get(m, "since")), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, json_string_value(json_object_get(m, "note")), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 6, aud->data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 7, now);
	return store_step_done(c, s, "profile_measure");
}

/* PUT /profiles/{id}[?format=json|first][&scope=public|private]: the fields
 * and measures named in the document replace the stored ones (null removes
 * one); the others stay. The member itself or an admin. */
static void put_profile(struct request *r)
{
	int64_t member = r->id[0];
	const char *fmt = http_query(r, "format");
	struct err_detail err;
	struct store_conn *c = node_reader(r);
	json_t *doc = NULL, *who;
	struct buf aud;
	err_clear(&err);
	buf_init(&aud, CAP_ROW_JSON);
	if (!c || !member_row(r, c, member, &who))
		goto out;
	json_decref(who);
	if (!http_require_self_or_admin(r, member))
		goto out;
	if (fmt && strcmp(fmt, "json") && strcmp(fmt, "first")) {
		http_error(r, 422, "invalid_field", "format", "format: '%s' is not json or first",
			   fmt);
		goto out;
	}
	int rc = profile_parse(r->body.data ? r->body.data : "", r->body.len,
			       fmt && !strcmp(fmt, "first") ? PROFILE_FIRST : PROFILE_JSON,
			       http_query(r, "scope"), &doc, &err);
	if (rc) {
		http_error_detail(r, rc, &err);
		goto out;
	}
	if ((rc = store_write_begin(r->node->st, &c))) {
		http_error_detail(r, rc, NULL);
		goto out;
	}
	int64_t now = time_now_ms();
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(doc, "fields"), k, v)
	{
		if (!rc)
			rc = put_field(r, c, member, k, v, now, &aud, &err);
	}
	json_object_foreach(json_object_get(doc, "measures"), k, v)
	{
		if (!rc)
			rc = put_measure(r, c, member, k, v, now, &aud, &err);
	}
	rc = store_write_end(r->node->st, rc);
	if (rc) {
		http_error_detail(r, rc, err.message[0] ? &err : NULL);
		goto out;
	}
	log_info("event=profile_updated member=%" PRId64 " by=%" PRId64 " format=%s", member,
		 r->who.member_id, fmt ? fmt : "json");
	answer_profile(r, member, POLICY_PROFILE_GET);
out:
	buf_release(&aud);
	json_decref(doc);
}

/* GET /profile-measures: the catalogue (public knowledge, no member data). */
static void get_measures(struct request *r)
{
	json_t *items = json_array();
	for (const struct profile_measure *m = profile_measures; m->id; m++)
		json_array_append_new(items, json_pack("{ss ss ss}", "id", m->id, "source",
						       m->source, "title", m->title));
	http_json(r, 200, json_pack("{so}", "items", items));
}

const struct route profile_routes[] = {
    {"GET", "/api/v1/profile-measures", get_measures, 0, NULL,
     "the confidence-building measures of profiles (GGE §26, ITU Res. 45)"},
    {"GET", "/api/v1/profiles/{id}", get_profile, 0, NULL,
     "a member's national profile: the fields and measures the caller may see"},
    {"PUT", "/api/v1/profiles/{id}", put_profile, ROUTE_WRITE, NULL,
     "replace fields and measures of a profile (?format=json|first)"},
    {"GET", "/api/v1/profiles/{id}/export", get_export, 0, NULL,
     "export a profile (?format=json|first)"},
    {"GET", "/api/v1/progress", progress_get, 0, NULL,
     "the progress report per State and measure (?format=json|csv|html&since=DATE)"},
    {0},
};
