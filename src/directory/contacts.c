/* Points of contact (GGE §26c): who to reach at a member, how, when, and in
 * which order. A member edits only its own contacts; others see a contact
 * only when its audience includes them (the policy module decides). */
#include "http/answer.h"
#include "node.h"
#include "util/caps.h"
#include "directory/routes.h"

#include "alert/webhook.h"
#include "policy/audience.h"
#include "policy/policy.h"
#include "util/timeutil.h"
#include "util/validate.h"

static const struct rj_field contact_fields[] = {
    {"role", RJ_STRING, RJ_REQUIRED, 1, 32},
    {"name", RJ_STRING, RJ_REQUIRED, 1, 200},
    {"email", RJ_STRING, RJ_REQUIRED, 3, 254},
    {"phone", RJ_STRING, RJ_NULLABLE, 0, 40},
    {"webhook_url", RJ_STRING, RJ_NULLABLE, 0, 2048},
    {"pgp_fingerprint", RJ_STRING, RJ_NULLABLE, 0, 100},
    {"languages", RJ_STRING_ARRAY, 0, 0, 20},
    {"availability", RJ_STRING_OR_OBJECT, RJ_REQUIRED, 0, 0},
    {"escalation_position", RJ_INT, 0, 1, 1000},
    {"audience", RJ_STRING_ARRAY, 0, 0, 1000},
};
#define NCONTACT (sizeof(contact_fields) / sizeof(contact_fields[0]))

static const char *const roles[] = {"policy", "technical", "law-enforcement", "crisis", NULL};

static bool bad(struct request *r, const char *field, const char *fmt, const char *value)
{
	char msg[400];
	snprintf(msg, sizeof(msg), fmt, value);
	http_error(r, 422, "invalid_field", field, "%s: %s", field, msg);
	return false;
}

/* "HH:MM-HH:MM" */
static bool valid_hours(const char *s)
{
	int h1, m1, h2, m2;
	char tail;
	return strlen(s) == 11 && sscanf(s, "%2d:%2d-%2d:%2d%c", &h1, &m1, &h2, &m2, &tail) == 4 &&
	       h1 >= 0 && h1 < 24 && h2 >= 0 && h2 <= 24 && m1 >= 0 && m1 < 60 && m2 >= 0 &&
	       m2 < 60 && s[2] == ':' && s[5] == '-' && s[8] == ':';
}

static bool check_availability(struct request *r, json_t *v)
{
	static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "24/7"))
			return bad(
			    r, "availability",
			    "'%s' is not \"24/7\"; give "
			    "{\"hours\":\"08:00-18:00\",\"time_zone\":\"...\",\"days\":[...]}",
			    json_string_value(v));
		return true;
	}
	const char *key;
	json_t *item;
	json_object_foreach(v, key, item)
	{
		if (strcmp(key, "hours") && strcmp(key, "time_zone") && strcmp(key, "days"))
			return bad(r, "availability", "unknown field '%s' (hours, time_zone, days)",
				   key);
	}
	json_t *hours = json_object_get(v, "hours"), *tz = json_object_get(v, "time_zone");
	json_t *d = json_object_get(v, "days");
	if (!json_is_string(hours) || !valid_hours(json_string_value(hours)))
		return bad(r, "availability.hours", "%s", "must be \"HH:MM-HH:MM\"");
	if (!json_is_string(tz) || !valid_time_zone(json_string_value(tz)))
		return bad(r, "availability.time_zone", "'%s' is not an IANA time zone",
			   json_is_string(tz) ? json_string_value(tz) : "(missing)");
	if (d) {
		size_t i;
		if (!json_is_array(d) || json_array_size(d) == 0 || json_array_size(d) > 7)
			return bad(r, "availability.days", "%s", "must be a list of mon..sun");
		json_array_foreach(d, i, item)
		{
			bool ok = false;
			for (int k = 0; k < 7 && json_is_string(item); k++)
				ok |= !strcmp(json_string_value(item), days[k]);
			if (!ok)
				return bad(r, "availability.days", "%s",
					   "must be a list of mon..sun");
		}
	}
	return true;
}

/* Checks values beyond their types and canonicalises the audience. */
static bool check_contact(struct request *r, json_t *in, struct buf *aud)
{
	json_t *v;
	size_t i;
	if ((v = json_object_get(in, "role"))) {
		bool ok = false;
		for (int k = 0; roles[k]; k++)
			ok |= !strcmp(json_string_value(v), roles[k]);
		if (!ok)
			return bad(r, "role",
				   "'%s' is not policy, technical, law-enforcement or crisis",
				   json_string_value(v));
	}
	if ((v = json_object_get(in, "email")) && !valid_email(json_string_value(v)))
		return bad(r, "email", "'%s' is not an e-mail address", json_string_value(v));
	if ((v = json_object_get(in, "phone")) && json_is_string(v) &&
	    !valid_phone(json_string_value(v)))
		return bad(r, "phone", "'%s' is not an international number such as +598 2 1234567",
			   json_string_value(v));
	if ((v = json_object_get(in, "webhook_url")) && json_is_string(v) &&
	    !valid_http_url(json_string_value(v)))
		return bad(r, "webhook_url", "'%s' is not an http or https URL",
			   json_string_value(v));
	if ((v = json_object_get(in, "webhook_url")) && json_is_string(v)) {
		/* the address rules of the delivery (alert/webhook.h), here on a
		 * literal address; a name is checked at every connect */
		struct webhook_policy *wp = NULL;
		struct err_detail err;
		err_clear(&err);
		int rc = webhook_policy_new(r->node->cfg->webhook_allow_networks, &wp, &err);
		if (!rc)
			rc = webhook_url_check(wp, json_string_value(v), "webhook_url", &err);
		webhook_policy_free(wp);
		if (rc) {
			http_error_detail(r, rc, &err);
			return false;
		}
	}
	if ((v = json_object_get(in, "pgp_fingerprint")) && json_is_string(v) &&
	    !valid_pgp_fingerprint(json_string_value(v)))
		return bad(r, "pgp_fingerprint", "'%s' is not a 40 or 64 hex digit fingerprint",
			   json_string_value(v));
	json_array_foreach(json_object_get(in, "languages"), i, v)
	{
		if (!valid_language(json_string_value(v))) {
			http_error(r, 422, "invalid_field", "languages",
				   "languages[%zu]: '%s' is not an ISO 639-1 code", i,
				   json_string_value(v));
			return false;
		}
	}
	if ((v = json_object_get(in, "availability")) && !check_availability(r, v))
		return false;
	if ((v = json_object_get(in, "audience"))) {
		struct err_detail err;
		err_clear(&err);
		int rc = audience_from_json(v, r->node->dir, "audience", aud, &err);
		if (rc) {
			http_error_detail(r, rc, &err);
			return false;
		}
	}
	return true;
}

#define CONTACT_COLS                                                                               \
	"id, member_id, role, name, email, phone, webhook_url, pgp_fingerprint, languages, "       \
	"availability, escalation_position, audience, created, updated"

static const struct col contact_cols[] = {
    {"id", COL_INT},
    {"member_id", COL_INT},
    {"role", COL_TEXT},
    {"name", COL_TEXT},
    {"email", COL_TEXT},
    {"phone", COL_TEXT},
    {"webhook_url", COL_TEXT},
    {"pgp_fingerprint", COL_TEXT},
    {"languages", COL_JSON},
    {"availability", COL_JSON},
    {"escalation_position", COL_INT},
    {"audience", COL_JSON},
    {"created", COL_TIME},
    {"updated", COL_TIME},
};
#define NCOLS (sizeof(contact_cols) / sizeof(contact_cols[0]))

static bool visible(struct request *r, sqlite3_stmt *s, enum policy_path p)
{
	struct policy_subject o = {
	    .owner = sqlite3_column_int64(s, 1),
	    .audience = (const char *)sqlite3_column_text(s, 11),
	    .tlp = TLP_NONE,
	};
	return policy_may_see(r->node->dir, &r->who, &o, p);
}

static void get_contact(struct request *r)
{
	static const char sql[] = "SELECT " CONTACT_COLS " FROM contacts WHERE id = ?";
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	sqlite3_stmt *s = store_stmt(c, sql);
	sqlite3_bind_int64(s, 1, r->id[0]);
	/* A contact the caller may not see answers exactly like a missing one. */
	if (sqlite3_step(s) == SQLITE_ROW && visible(r, s, POLICY_CONTACT_GET)) {
		http_begin_json(r);
		http_row_out(&r->out, s, contact_cols, NCOLS);
	} else
		http_error(r, 404, "not_found", NULL, "no contact %" PRId64, r->id[0]);
	sqlite3_reset(s);
}

static void list_contacts(struct request *r)
{
	static const char all_sql[] = "SELECT " CONTACT_COLS " FROM contacts WHERE id > ?1 "
				      "ORDER BY id";
	static const char member_sql[] = "SELECT " CONTACT_COLS " FROM contacts WHERE id > ?1 "
					 "AND member_id = ?2 ORDER BY id";
	int64_t limit, after, member = 0, last = 0;
	const char *m = http_query(r, "member");
	struct store_conn *c = node_reader(r);
	if (!c || !http_page_args(r, &limit, &after))
		return;
	if (m && !http_parse_id(m, &member)) {
		http_error(r, 422, "invalid_field", "member", "member: '%s' is not a member id", m);
		return;
	}
	sqlite3_stmt *s = store_stmt(c, member ? member_sql : all_sql);
	int64_t n = 0;
	sqlite3_bind_int64(s, 1, after);
	if (member)
		sqlite3_bind_int64(s, 2, member);
	http_begin_json(r);
	buf_adds(&r->out, "{\"items\":[");
	while (n < limit && sqlite3_step(s) == SQLITE_ROW) {
		last = sqlite3_column_int64(s, 0);
		if (!visible(r, s, POLICY_CONTACT_LIST))
			continue;
		if (n++)
			buf_addc(&r->out, ',');
		http_row_out(&r->out, s, contact_cols, NCOLS);
	}
	sqlite3_reset(s);
	http_end_page(r, n == limit, last);
}

/* Binds the optional columns of a create or update; absent fields bind NULL,
 * which the UPDATE's coalesce() keeps. */
static void bind_fields(sqlite3_stmt *s, json_t *in, const char *aud)
{
	static const char *const text_cols[] = {"role",	 "name",	"email",
						"phone", "webhook_url", "pgp_fingerprint"};
	for (int i = 0; i < 6; i++) {
		json_t *v = json_object_get(in, text_cols[i]);
		if (json_is_string(v))
			sqlite3_bind_text(s, i + 1, json_string_value(v), -1, SQLITE_TRANSIENT);
	}
	json_t *langs = json_object_get(in, "languages"),
	       *avail = json_object_get(in, "availability");
	if (langs) {
		char *t = json_dumps(langs, JSON_COMPACT);
		sqlite3_bind_text(s, 7, t, -1, SQLITE_TRANSIENT);
		free(t);
	}
	if (avail) {
		char *t = json_dumps(avail, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
		sqlite3_bind_text(s, 8, t, -1, SQLITE_TRANSIENT);
		free(t);
	}
	if (json_is_integer(json_object_get(in, "escalation_position")))
		sqlite3_bind_int64(s, 9,
				   json_integer_value(json_object_get(in, "escalation_position")));
	if (aud)
		sqlite3_bind_text(s, 10, aud, -1, SQLITE_TRANSIENT);
}

static void answer_contact(struct request *r, int64_t id, int status)
{
	static const char sql[] = "SELECT " CONTACT_COLS " FROM contacts WHERE id = ?";
	sqlite3_stmt *s = store_stmt(store_reader(r->node->st), sql);
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		if (status == 201)
			snprintf(r->location, sizeof(r->location), "/api/v1/contacts/%" PRId64, id);
		http_begin_json(r);
		r->status = status;
		http_row_out(&r->out, s, contact_cols, NCOLS);
	} else {
		http_error(r, 500, "internal", NULL, "contact written but not readable");
	}
	sqlite3_reset(s);
}

static void post_contact(struct request *r)
{
	static const char sql[] =
	    "INSERT INTO contacts(role, name, email, phone, webhook_url, pgp_fingerprint, "
	    "languages, availability, escalation_position, audience, member_id, created, updated) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, '[]'), ?8, coalesce(?9, (SELECT "
	    "coalesce(max(escalation_position), 0) + 1 FROM contacts WHERE member_id = ?11)), "
	    "coalesce(?10, '[]'), ?11, ?12, ?12)";
	struct buf aud;
	struct store_conn *c;
	int64_t id = 0;
	json_t *in = http_decode(r, contact_fields, NCONTACT, false);
	buf_init(&aud, CAP_ROW_JSON);
	if (!in || !check_contact(r, in, &aud))
		goto out;
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		http_error_detail(r, rc, NULL);
		goto out;
	}
	sqlite3_stmt *s = store_stmt(c, sql);
	bind_fields(s, in, aud.data);
	sqlite3_bind_int64(s, 11, r->who.member_id);
	sqlite3_bind_int64(s, 12, time_now_ms());
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	if (src != SQLITE_DONE)
		rc = store_error(c, src, "contact_insert");
	id = sqlite3_last_insert_rowid(store_db(c));
	rc = store_write_end(r->node->st, rc);
	if (rc)
		http_error_detail(r, rc, NULL);
	else
		answer_contact(r, id, 201);
out:
	buf_release(&aud);
	json_decref(in);
}

/* The owner of contact `id`, 0 when there is none; answers 404 (also for a
 * contact the caller cannot see) or 403 itself. */
static bool own_contact(struct request *r, int64_t id)
{
	static const char sql[] = "SELECT " CONTACT_COLS " FROM contacts WHERE id = ?";
	sqlite3_stmt *s = store_stmt(store_reader(r->node->st), sql);
	bool ok = false;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW || !visible(r, s, POLICY_CONTACT_GET))
		http_error(r, 404, "not_found", NULL, "no contact %" PRId64, id);
	else if (sqlite3_column_int64(s, 1) != r->who.member_id)
		http_error(r, 403, "forbidden", NULL,
			   "contact %" PRId64 " belongs to member %lld; "
			   "a member edits only its own contacts",
			   id, sqlite3_column_int64(s, 1));
	else
		ok = true;
	sqlite3_reset(s);
	return ok;
}

static void patch_contact(struct request *r)
{
	static const char sql[] =
	    "UPDATE contacts SET role = coalesce(?1, role), name = coalesce(?2, name), "
	    "email = coalesce(?3, email), phone = CASE WHEN ?13 THEN ?4 ELSE phone END, "
	    "webhook_url = CASE WHEN ?14 THEN ?5 ELSE webhook_url END, "
	    "pgp_fingerprint = CASE WHEN ?15 THEN ?6 ELSE pgp_fingerprint END, "
	    "languages = coalesce(?7, languages), availability = coalesce(?8, availability), "
	    "escalation_position = coalesce(?9, escalation_position), "
	    "audience = coalesce(?10, audience), updated = ?12 WHERE id = ?11";
	struct buf aud;
	struct store_conn *c;
	int64_t id = r->id[0];
	json_t *in = NULL;
	buf_init(&aud, CAP_ROW_JSON);
	if (!own_contact(r, id))
		goto out;
	in = http_decode(r, contact_fields, NCONTACT, true);
	if (!in || !check_contact(r, in, &aud))
		goto out;
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		http_error_detail(r, rc, NULL);
		goto out;
	}
	sqlite3_stmt *s = store_stmt(c, sql);
	bind_fields(s, in, aud.data);
	sqlite3_bind_int64(s, 11, id);
	sqlite3_bind_int64(s, 12, time_now_ms());
	sqlite3_bind_int(s, 13, json_object_get(in, "phone") != NULL);
	sqlite3_bind_int(s, 14, json_object_get(in, "webhook_url") != NULL);
	sqlite3_bind_int(s, 15, json_object_get(in, "pgp_fingerprint") != NULL);
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	if (src != SQLITE_DONE)
		rc = store_error(c, src, "contact_update");
	rc = store_write_end(r->node->st, rc);
	if (rc)
		http_error_detail(r, rc, NULL);
	else
		answer_contact(r, id, 200);
out:
	buf_release(&aud);
	json_decref(in);
}

static void delete_contact(struct request *r)
{
	struct store_conn *c;
	if (!own_contact(r, r->id[0]))
		return;
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		http_error_detail(r, rc, NULL);
		return;
	}
	sqlite3_stmt *s = store_stmt(c, "DELETE FROM contacts WHERE id = ?");
	sqlite3_bind_int64(s, 1, r->id[0]);
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	rc = store_write_end(r->node->st,
			     src == SQLITE_DONE ? ERR_OK : store_error(c, src, "contact_delete"));
	if (rc)
		http_error_detail(r, rc, NULL);
	else
		http_no_content(r);
}

const struct route directory_contact_routes[] = {
    {"POST", "/api/v1/contacts", post_contact, ROUTE_WRITE, NULL, "add a point of contact"},
    {"GET", "/api/v1/contacts", list_contacts, 0, NULL, "list the contacts the caller may see"},
    {"GET", "/api/v1/contacts/{id}", get_contact, 0, NULL, "show a contact"},
    {"PATCH", "/api/v1/contacts/{id}", patch_contact, ROUTE_WRITE, NULL, "change a contact"},
    {"DELETE", "/api/v1/contacts/{id}", delete_contact, ROUTE_WRITE, NULL, "delete a contact"},
    {0},
};
