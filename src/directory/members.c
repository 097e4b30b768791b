/* Members (a State's CERT or agency, an ISP, an organisation) and their API
 * tokens. Admins manage members; a member manages its own tokens. */
#include "http/answer.h"
#include "node.h"
#include "util/caps.h"
#include "directory/members.h"
#include "directory/routes.h"

#include "directory/token.h"
#include "util/timeutil.h"
#include "util/validate.h"

static const char *const kinds[] = {"national-cert", "government", "isp", "organisation", NULL};

static bool valid_kind(const char *s)
{
	for (int i = 0; kinds[i]; i++)
		if (!strcmp(s, kinds[i]))
			return true;
	return false;
}

static const struct rj_field member_fields[] = {
    {"name", RJ_STRING, RJ_REQUIRED, 1, 200},
    {"kind", RJ_STRING, RJ_REQUIRED, 1, 32},
    {"country", RJ_STRING, RJ_REQUIRED, 2, 2},
    {"languages", RJ_STRING_ARRAY, 0, 0, 20},
    {"role", RJ_STRING, RJ_REQUIRED, 1, 16},
    {"ack_deadline_seconds", RJ_INT, RJ_NULLABLE, 10, 604800},
};
#define NFIELDS(a) (sizeof(a) / sizeof(a[0]))

/* Checks values beyond their types; shared by create and update. */
static bool check_member(struct request *r, json_t *in)
{
	json_t *v;
	size_t i;
	if ((v = json_object_get(in, "kind")) && !valid_kind(json_string_value(v))) {
		http_error(r, 422, "invalid_field", "kind",
			   "kind: '%s' is not national-cert, government, isp or organisation",
			   json_string_value(v));
		return false;
	}
	if ((v = json_object_get(in, "country")) && !valid_country(json_string_value(v))) {
		http_error(r, 422, "invalid_field", "country",
			   "country: '%s' is not an ISO 3166-1 alpha-2 code", json_string_value(v));
		return false;
	}
	if ((v = json_object_get(in, "role")) && role_parse(json_string_value(v)) < 0) {
		http_error(r, 422, "invalid_field", "role",
			   "role: '%s' is not admin, analyst or reader", json_string_value(v));
		return false;
	}
	json_t *item;
	json_array_foreach(json_object_get(in, "languages"), i, item)
	{
		if (!valid_language(json_string_value(item))) {
			http_error(r, 422, "invalid_field", "languages",
				   "languages[%zu]: '%s' is not an ISO 639-1 code", i,
				   json_string_value(item));
			return false;
		}
	}
	return true;
}

#define MEMBER_COLS                                                                                \
	"id, name, kind, country, languages, role, ack_deadline_seconds, created, updated"

static const struct col member_cols[] = {
    {"id", COL_INT},
    {"name", COL_TEXT},
    {"kind", COL_TEXT},
    {"country", COL_TEXT},
    {"languages", COL_JSON},
    {"role", COL_TEXT},
    {"ack_deadline_seconds", COL_INT},
    {"created", COL_TIME},
    {"updated", COL_TIME},
};
#define NMCOLS (sizeof(member_cols) / sizeof(member_cols[0]))

static json_t *member_row(sqlite3_stmt *s)
{
	struct buf b;
	buf_init(&b, CAP_ROW_JSON);
	http_row_out(&b, s, member_cols, NMCOLS);
	json_t *m = json_loadb(b.data, b.len, 0, NULL);
	buf_release(&b);
	return m;
}

/* Loads member `id` (live) as JSON, or NULL. */
static json_t *load_member(struct store_conn *c, int64_t id)
{
	static const char sql[] =
	    "SELECT " MEMBER_COLS " FROM members WHERE id = ? AND deleted IS NULL";
	sqlite3_stmt *s = store_stmt(c, sql);
	json_t *m = NULL;
	if (!s)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		m = member_row(s);
	sqlite3_reset(s);
	return m;
}

static int insert_token(struct store_conn *c, int64_t member, const char *label,
			char text[TOKEN_TEXT_MAX], int64_t *token_id)
{
	static const char sql[] =
	    "INSERT INTO tokens(member_id, lookup, hash, label, created) VALUES (?,?,?,?,?)";
	char lookup[TOKEN_LOOKUP_LEN + 1];
	uint8_t hash[TOKEN_HASH_LEN];
	sqlite3_stmt *s = store_stmt(c, sql);
	if (!s)
		return ERR_STORE;
	token_generate(text, lookup, hash);
	sqlite3_bind_int64(s, 1, member);
	sqlite3_bind_text(s, 2, lookup, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 3, hash, sizeof(hash), SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, label ? label : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, time_now_ms());
	int rc = store_step_done(c, s, "token_insert");
	if (rc)
		return rc;
	*token_id = sqlite3_last_insert_rowid(store_db(c));
	return ERR_OK;
}

/* Creates a member and its first token in one transaction (also used by
 * `atalaya init` for the node's admin). ERR_CONFLICT on a duplicate name. */
int directory_member_create(struct store *st, const char *name, const char *kind,
			    const char *country, const char *languages_json, const char *role,
			    int64_t ack_deadline, int64_t *id, char token[TOKEN_TEXT_MAX],
			    int64_t *token_id)
{
	static const char sql[] =
	    "INSERT INTO members(name, kind, country, languages, role, "
	    "created, updated, ack_deadline_seconds) VALUES (?,?,?,?,?,?,?,?)";
	struct store_conn *c;
	int rc = store_write_begin(st, &c);
	if (rc)
		return rc;
	sqlite3_stmt *s = store_stmt(c, sql);
	if (!s) {
		rc = ERR_STORE;
		goto out;
	}
	int64_t now = time_now_ms();
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, country, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, languages_json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, role, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 6, now);
	sqlite3_bind_int64(s, 7, now);
	if (ack_deadline > 0)
		sqlite3_bind_int64(s, 8, ack_deadline);
	rc = store_step_done(c, s, "member_insert");
	if (rc)
		goto out;
	*id = sqlite3_last_insert_rowid(store_db(c));
	rc = insert_token(c, *id, "first", token, token_id);
out:
	return store_write_end(st, rc);
}

static void post_member(struct request *r)
{
	json_t *in = http_decode(r, member_fields, NFIELDS(member_fields), false);
	char token[TOKEN_TEXT_MAX];
	int64_t id, token_id;
	if (!in || !check_member(r, in))
		goto out;
	json_t *langs = json_object_get(in, "languages");
	json_t *ack = json_object_get(in, "ack_deadline_seconds");
	char *lj = langs ? json_dumps(langs, JSON_COMPACT) : NULL;
	int rc = directory_member_create(
	    r->node->st, json_string_value(json_object_get(in, "name")),
	    json_string_value(json_object_get(in, "kind")),
	    json_string_value(json_object_get(in, "country")), lj ? lj : "[]",
	    json_string_value(json_object_get(in, "role")),
	    json_is_integer(ack) ? json_integer_value(ack) : 0, &id, token, &token_id);
	free(lj);
	if (rc == ERR_CONFLICT) {
		http_error(r, 409, "conflict", "name", "name: a member called '%s' exists already",
			   json_string_value(json_object_get(in, "name")));
		goto out;
	}
	if (rc) {
		http_error_detail(r, rc, NULL);
		goto out;
	}
	directory_reload(r->node->dir, r->node->st);
	json_t *m = load_member(store_reader(r->node->st), id);
	if (!m) {
		http_error(r, 500, "internal", NULL, "member created but not readable");
		goto out;
	}
	json_object_set_new(m, "token", json_string(token));
	json_object_set_new(m, "token_id", json_integer(token_id));
	snprintf(r->location, sizeof(r->location), "/api/v1/members/%" PRId64, id);
	http_json(r, 201, m);
out:
	json_decref(in);
}

static void list_members(struct request *r)
{
	static const char sql[] = "SELECT " MEMBER_COLS " FROM members WHERE deleted IS NULL "
				  "AND id > ? ORDER BY id LIMIT ?";
	int64_t limit, after, last = 0;
	struct store_conn *c = node_reader(r);
	if (!c || !http_page_args(r, &limit, &after))
		return;
	sqlite3_stmt *s = store_stmt(c, sql);
	int64_t n = 0;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, limit);
	http_begin_json(r);
	buf_adds(&r->out, "{\"items\":[");
	while (sqlite3_step(s) == SQLITE_ROW) {
		last = sqlite3_column_int64(s, 0);
		if (n++)
			buf_addc(&r->out, ',');
		http_row_out(&r->out, s, member_cols, NMCOLS);
	}
	sqlite3_reset(s);
	http_end_page(r, n == limit, last);
}

static void get_member(struct request *r)
{
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	json_t *m = load_member(c, r->id[0]);
	if (!m)
		http_error(r, 404, "not_found", NULL, "no member %" PRId64, r->id[0]);
	else
		http_json(r, 200, m);
}

static void patch_member(struct request *r)
{
	int64_t id = r->id[0];
	json_t *in = NULL;
	struct store_conn *c;
	int rc;

	if (!http_require_self_or_admin(r, id))
		return;
	in = http_decode(r, member_fields, NFIELDS(member_fields), true);
	if (!in || !check_member(r, in))
		goto out;
	if (r->who.role != ROLE_ADMIN) {
		const char *key;
		json_t *v;
		json_object_foreach(in, key, v)
		{
			if (strcmp(key, "languages") && strcmp(key, "ack_deadline_seconds")) {
				http_error(r, 403, "forbidden", key,
					   "%s: only an admin may change it; a member may change "
					   "its languages and ack_deadline_seconds",
					   key);
				goto out;
			}
		}
	}
	if (id == r->who.member_id && json_object_get(in, "role") &&
	    strcmp(json_string_value(json_object_get(in, "role")), "admin")) {
		http_error(r, 409, "conflict", "role", "role: an admin cannot demote itself");
		goto out;
	}
	rc = store_write_begin(r->node->st, &c);
	if (rc) {
		http_error_detail(r, rc, NULL);
		goto out;
	}
	static const char sql[] =
	    "UPDATE members SET name = coalesce(?1, name), kind = coalesce(?2, kind), "
	    "country = coalesce(?3, country), languages = coalesce(?4, languages), "
	    "role = coalesce(?5, role), ack_deadline_seconds = CASE WHEN ?6 THEN ?7 ELSE "
	    "ack_deadline_seconds END, updated = ?8 WHERE id = ?9 AND deleted IS NULL";
	sqlite3_stmt *s = store_stmt(c, sql);
	const char *names[] = {"name", "kind", "country", NULL, "role"};
	for (int i = 0; i < 5; i++) {
		json_t *v = names[i] ? json_object_get(in, names[i]) : NULL;
		if (v)
			sqlite3_bind_text(s, i + 1, json_string_value(v), -1, SQLITE_TRANSIENT);
	}
	json_t *langs = json_object_get(in, "languages");
	if (langs) {
		char *lj = json_dumps(langs, JSON_COMPACT);
		sqlite3_bind_text(s, 4, lj, -1, SQLITE_TRANSIENT);
		free(lj);
	}
	json_t *ack = json_object_get(in, "ack_deadline_seconds");
	sqlite3_bind_int(s, 6, ack != NULL);
	if (json_is_integer(ack))
		sqlite3_bind_int64(s, 7, json_integer_value(ack));
	sqlite3_bind_int64(s, 8, time_now_ms());
	sqlite3_bind_int64(s, 9, id);
	rc = store_step_changed(c, s, "member_update");
	rc = store_write_end(r->node->st, rc);
	if (rc == ERR_CONFLICT) {
		http_error(r, 409, "conflict", "name", "name: a member called '%s' exists already",
			   json_string_value(json_object_get(in, "name")));
	} else if (rc == ERR_NOT_FOUND) {
		http_error(r, 404, "not_found", NULL, "no member %" PRId64, id);
	} else if (rc) {
		http_error_detail(r, rc, NULL);
	} else {
		directory_reload(r->node->dir, r->node->st);
		http_json(r, 200, load_member(store_reader(r->node->st), id));
	}
out:
	json_decref(in);
}

static void delete_member(struct request *r)
{
	int64_t id = r->id[0], now = time_now_ms();
	struct store_conn *c;
	if (id == r->who.member_id) {
		http_error(r, 409, "conflict", NULL, "a member cannot delete itself");
		return;
	}
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		http_error_detail(r, rc, NULL);
		return;
	}
	/* Kept as a tombstone: the member stays the originator of what it shared. */
	sqlite3_stmt *s = store_stmt(c, "UPDATE members SET deleted = ?, updated = ? "
					"WHERE id = ? AND deleted IS NULL");
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, id);
	rc = store_step_changed(c, s, "member_delete");
	if (!rc) {
		s = store_stmt(
		    c, "UPDATE tokens SET revoked = ? WHERE member_id = ? AND revoked IS NULL");
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_int64(s, 2, id);
		rc = store_step_done(c, s, "member_delete_tokens");
	}
	if (!rc) {
		s = store_stmt(c, "DELETE FROM group_members WHERE member_id = ?");
		sqlite3_bind_int64(s, 1, id);
		rc = store_step_done(c, s, "member_delete_groups");
	}
	rc = store_write_end(r->node->st, rc);
	if (rc == ERR_NOT_FOUND) {
		http_error(r, 404, "not_found", NULL, "no member %" PRId64, id);
		return;
	}
	if (rc) {
		http_error_detail(r, rc, NULL);
		return;
	}
	directory_reload(r->node->dir, r->node->st);
	http_no_content(r);
}

static const struct rj_field token_fields[] = {
    {"label", RJ_STRING, 0, 0, 100},
};

static void post_token(struct request *r)
{
	int64_t id = r->id[0], token_id;
	char token[TOKEN_TEXT_MAX];
	json_t *in = NULL;
	struct store_conn *c;

	if (!http_require_self_or_admin(r, id))
		return;
	if (r->body.len) {
		in = http_decode(r, token_fields, 1, false);
		if (!in)
			return;
	}
	if (!directory_member_exists(r->node->dir, id)) {
		http_error(r, 404, "not_found", NULL, "no member %" PRId64, id);
		goto out;
	}
	int rc = store_write_begin(r->node->st, &c);
	if (!rc)
		rc = store_write_end(r->node->st,
				     insert_token(c, id,
						  json_string_value(json_object_get(in, "label")),
						  token, &token_id));
	if (rc) {
		http_error_detail(r, rc, NULL);
		goto out;
	}
	directory_reload(r->node->dir, r->node->st);
	snprintf(r->location, sizeof(r->location), "/api/v1/members/%" PRId64 "/tokens/%" PRId64,
		 id, token_id);
	http_json(r, 201,
		  json_pack("{sI ss sI ss}", "id", (json_int_t)token_id, "token", token,
			    "member_id", (json_int_t)id, "label",
			    in ? json_string_value(json_object_get(in, "label")) ?: "" : ""));
out:
	json_decref(in);
}

static void list_tokens(struct request *r)
{
	static const char sql[] = "SELECT id, label, created, revoked FROM tokens "
				  "WHERE member_id = ? ORDER BY id";
	int64_t id = r->id[0];
	if (!http_require_self_or_admin(r, id))
		return;
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	sqlite3_stmt *s = store_stmt(c, sql);
	json_t *items = json_array();
	sqlite3_bind_int64(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(
		    items, json_pack("{sI so so so}", "id", (json_int_t)sqlite3_column_int64(s, 0),
				     "label", http_col_text(s, 1), "created", http_col_time(s, 2),
				     "revoked", http_col_time(s, 3)));
	sqlite3_reset(s);
	http_page(r, items, INT64_MAX, 0);
}

static void delete_token(struct request *r)
{
	int64_t id = r->id[0], token_id = r->id[1];
	struct store_conn *c;
	if (!http_require_self_or_admin(r, id))
		return;
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		http_error_detail(r, rc, NULL);
		return;
	}
	sqlite3_stmt *s = store_stmt(c, "UPDATE tokens SET revoked = ? WHERE id = ? AND "
					"member_id = ? AND revoked IS NULL");
	sqlite3_bind_int64(s, 1, time_now_ms());
	sqlite3_bind_int64(s, 2, token_id);
	sqlite3_bind_int64(s, 3, id);
	rc = store_step_changed(c, s, "token_revoke");
	rc = store_write_end(r->node->st, rc);
	if (rc == ERR_NOT_FOUND) {
		http_error(r, 404, "not_found", NULL,
			   "member %" PRId64 " has no live token %" PRId64, id, token_id);
		return;
	}
	if (rc) {
		http_error_detail(r, rc, NULL);
		return;
	}
	directory_reload(r->node->dir, r->node->st);
	http_no_content(r);
}

const struct route directory_member_routes[] = {
    {"POST", "/api/v1/members", post_member, ROUTE_ADMIN, NULL,
     "create a member and its first token"},
    {"GET", "/api/v1/members", list_members, 0, NULL, "list members"},
    {"GET", "/api/v1/members/{id}", get_member, 0, NULL, "show a member"},
    {"PATCH", "/api/v1/members/{id}", patch_member, 0, NULL, "change a member"},
    {"DELETE", "/api/v1/members/{id}", delete_member, ROUTE_ADMIN, NULL, "delete a member"},
    {"POST", "/api/v1/members/{id}/tokens", post_token, 0, NULL, "create a token"},
    {"GET", "/api/v1/members/{id}/tokens", list_tokens, 0, NULL, "list a member's tokens"},
    {"DELETE", "/api/v1/members/{id}/tokens/{token_id}", delete_token, 0, NULL, "revoke a token"},
    {0},
};
