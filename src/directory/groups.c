/* Groups: named sets of members (a region, a bilateral pair) used in
 * audiences as "group:ID", and of peer nodes (federation: the group reaches
 * them as it reaches its members). Admins manage them; every member can read
 * them. */
#include "http/answer.h"
#include "node.h"
#include "directory/routes.h"

#include "util/timeutil.h"

static const struct rj_field group_fields[] = {
    {"name", RJ_STRING, RJ_REQUIRED, 1, 200},
    {"description", RJ_STRING, 0, 0, 2000},
    {"members", RJ_INT_ARRAY, 0, 0, 10000},
    {"peers", RJ_INT_ARRAY, 0, 0, 1000},
};
#define NGROUP (sizeof(group_fields) / sizeof(group_fields[0]))

static json_t *load_group(struct store_conn *c, int64_t id)
{
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT id, name, description, created, updated FROM groups "
			  "WHERE id = ?");
	json_t *g = NULL;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		g = json_pack("{sI so so so so}", "id", (json_int_t)id, "name", http_col_text(s, 1),
			      "description", http_col_text(s, 2), "created", http_col_time(s, 3),
			      "updated", http_col_time(s, 4));
	sqlite3_reset(s);
	if (!g)
		return NULL;
	json_t *members = json_array();
	s = store_stmt(c,
		       "SELECT member_id FROM group_members WHERE group_id = ? ORDER BY member_id");
	sqlite3_bind_int64(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(members, json_integer(sqlite3_column_int64(s, 0)));
	sqlite3_reset(s);
	json_object_set_new(g, "members", members);
	json_t *peers = json_array();
	s = store_stmt(c, "SELECT peer_id FROM group_peers WHERE group_id = ? ORDER BY peer_id");
	sqlite3_bind_int64(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(peers, json_integer(sqlite3_column_int64(s, 0)));
	sqlite3_reset(s);
	json_object_set_new(g, "peers", peers);
	return g;
}

/* Replaces the members (`peers` false) or the peer nodes of group `id` with
 * the ids of `items`, each of which must exist. */
static int set_items(struct request *r, struct store_conn *c, int64_t id, json_t *items, bool peers)
{
	const char *field = peers ? "peers" : "members";
	size_t i;
	json_t *m;
	sqlite3_stmt *s = store_stmt(c, peers ? "DELETE FROM group_peers WHERE group_id = ?"
					      : "DELETE FROM group_members WHERE group_id = ?");
	sqlite3_bind_int64(s, 1, id);
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	if (src != SQLITE_DONE)
		return store_error(c, src, "group_items_clear");
	json_array_foreach(items, i, m)
	{
		int64_t v = json_integer_value(m);
		if (peers ? !directory_peer_exists(r->node->dir, v)
			  : !directory_member_exists(r->node->dir, v)) {
			http_error(r, 422, "invalid_field", field, "%s[%zu]: no %s %" PRId64, field,
				   i, peers ? "peer" : "member", v);
			return ERR_INVALID;
		}
		s = store_stmt(c, peers
				      ? "INSERT OR IGNORE INTO group_peers(group_id, peer_id) "
					"VALUES (?,?)"
				      : "INSERT OR IGNORE INTO group_members(group_id, member_id) "
					"VALUES (?,?)");
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, v);
		src = sqlite3_step(s);
		sqlite3_reset(s);
		if (src != SQLITE_DONE)
			return store_error(c, src, "group_items_add");
	}
	return ERR_OK;
}

/* The members and peers `in` gives, if any. */
static int set_members(struct request *r, struct store_conn *c, int64_t id, json_t *in)
{
	int rc = ERR_OK;
	if (json_object_get(in, "members"))
		rc = set_items(r, c, id, json_object_get(in, "members"), false);
	if (!rc && json_object_get(in, "peers"))
		rc = set_items(r, c, id, json_object_get(in, "peers"), true);
	return rc;
}

/* Answers a write's outcome: 409 for a duplicate name, the group otherwise. */
static void finish(struct request *r, int rc, int64_t id, json_t *in, int status)
{
	if (r->status)
		return; /* answered by set_members */
	if (rc == ERR_CONFLICT) {
		http_error(r, 409, "conflict", "name", "name: a group called '%s' exists already",
			   json_string_value(json_object_get(in, "name")));
	} else if (rc == ERR_NOT_FOUND) {
		http_error(r, 404, "not_found", NULL, "no group %" PRId64, id);
	} else if (rc) {
		http_error_detail(r, rc, NULL);
	} else {
		directory_reload(r->node->dir, r->node->st);
		if (status == 201)
			snprintf(r->location, sizeof(r->location), "/api/v1/groups/%" PRId64, id);
		http_json(r, status, load_group(store_reader(r->node->st), id));
	}
}

static void post_group(struct request *r)
{
	json_t *in = http_decode(r, group_fields, NGROUP, false);
	struct store_conn *c;
	int64_t id = 0, now = time_now_ms();
	if (!in)
		return;
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		finish(r, rc, 0, in, 201);
		json_decref(in);
		return;
	}
	sqlite3_stmt *s = store_stmt(c, "INSERT INTO groups(name, description, created, updated) "
					"VALUES (?,?,?,?)");
	sqlite3_bind_text(s, 1, json_string_value(json_object_get(in, "name")), -1,
			  SQLITE_TRANSIENT);
	const char *desc = json_string_value(json_object_get(in, "description"));
	sqlite3_bind_text(s, 2, desc ? desc : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, now);
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	if (src != SQLITE_DONE)
		rc = store_error(c, src, "group_insert");
	if (!rc) {
		id = sqlite3_last_insert_rowid(store_db(c));
		rc = set_members(r, c, id, in);
	}
	rc = store_write_end(r->node->st, rc);
	finish(r, rc, id, in, 201);
	json_decref(in);
}

static void list_groups(struct request *r)
{
	int64_t limit, after, last = 0;
	struct store_conn *c = node_reader(r);
	if (!c || !http_page_args(r, &limit, &after))
		return;
	json_t *items = json_array();
	int64_t ids[1000];
	size_t n = 0;
	sqlite3_stmt *s = store_stmt(c, "SELECT id FROM groups WHERE id > ? ORDER BY id LIMIT ?");
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, limit);
	while (sqlite3_step(s) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	for (size_t i = 0; i < n; i++) {
		json_t *g = load_group(c, ids[i]);
		if (g)
			json_array_append_new(items, g);
		last = ids[i];
	}
	http_page(r, items, limit, last);
}

static void get_group(struct request *r)
{
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	json_t *g = load_group(c, r->id[0]);
	if (!g)
		http_error(r, 404, "not_found", NULL, "no group %" PRId64, r->id[0]);
	else
		http_json(r, 200, g);
}

static void patch_group(struct request *r)
{
	int64_t id = r->id[0];
	json_t *in = http_decode(r, group_fields, NGROUP, true);
	struct store_conn *c;
	if (!in)
		return;
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		finish(r, rc, id, in, 200);
		json_decref(in);
		return;
	}
	sqlite3_stmt *s = store_stmt(c, "UPDATE groups SET name = coalesce(?, name), description = "
					"coalesce(?, description), updated = ? WHERE id = ?");
	const char *name = json_string_value(json_object_get(in, "name"));
	const char *desc = json_string_value(json_object_get(in, "description"));
	if (name)
		sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	if (desc)
		sqlite3_bind_text(s, 2, desc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, time_now_ms());
	sqlite3_bind_int64(s, 4, id);
	rc = store_step_changed(c, s, "group_update");
	if (!rc)
		rc = set_members(r, c, id, in);
	rc = store_write_end(r->node->st, rc);
	finish(r, rc, id, in, 200);
	json_decref(in);
}

static void delete_group(struct request *r)
{
	struct store_conn *c;
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		http_error_detail(r, rc, NULL);
		return;
	}
	sqlite3_stmt *s = store_stmt(c, "DELETE FROM groups WHERE id = ?");
	sqlite3_bind_int64(s, 1, r->id[0]);
	rc = store_step_changed(c, s, "group_delete");
	rc = store_write_end(r->node->st, rc);
	if (rc == ERR_NOT_FOUND) {
		http_error(r, 404, "not_found", NULL, "no group %" PRId64, r->id[0]);
		return;
	}
	if (rc) {
		http_error_detail(r, rc, NULL);
		return;
	}
	directory_reload(r->node->dir, r->node->st);
	http_no_content(r);
}

const struct route directory_group_routes[] = {
    {"POST", "/api/v1/groups", post_group, ROUTE_ADMIN, NULL, "create a group"},
    {"GET", "/api/v1/groups", list_groups, 0, NULL, "list groups"},
    {"GET", "/api/v1/groups/{id}", get_group, 0, NULL, "show a group"},
    {"PATCH", "/api/v1/groups/{id}", patch_group, ROUTE_ADMIN, NULL, "change a group"},
    {"DELETE", "/api/v1/groups/{id}", delete_group, ROUTE_ADMIN, NULL, "delete a group"},
    {0},
};
