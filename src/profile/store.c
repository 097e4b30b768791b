/* Reading profiles with each field's scope enforced (store.h). */
#include "profile/store.h"

#include "http/answer.h"
#include "policy/audience.h"

/* "public" / "private" / the audience array, as the owner wrote it. */
static json_t *scope_json(const char *aud)
{
	if (!strcmp(aud, "[\"all\"]"))
		return json_string("public");
	if (!strcmp(aud, "[]"))
		return json_string("private");
	return audience_to_json(aud);
}

static bool may_see(struct node *node, const struct principal *who, int64_t member, const char *aud,
		    enum policy_path path)
{
	struct policy_subject o = {.owner = member, .audience = aud, .tlp = TLP_NONE};
	return policy_may_see(node->dir, who, &o, path);
}

json_t *profile_visible(struct node *node, struct store_conn *c, const struct principal *who,
			int64_t member, enum policy_path path)
{
	json_t *fields = json_object(), *measures = json_object();
	bool owner = who && who->member_id == member;
	sqlite3_stmt *s = store_stmt(c, "SELECT field, value, scope, updated FROM profile_fields "
					"WHERE member = ? ORDER BY field");
	sqlite3_bind_int64(s, 1, member);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *aud = (const char *)sqlite3_column_text(s, 2);
		if (!may_see(node, who, member, aud, path))
			continue;
		json_t *f = json_pack("{so so}", "value", http_col_json(s, 1), "updated",
				      http_col_time(s, 3));
		if (owner)
			json_object_set_new(f, "scope", scope_json(aud));
		json_object_set_new(fields, (const char *)sqlite3_column_text(s, 0), f);
	}
	sqlite3_reset(s);
	s = store_stmt(c, "SELECT measure, status, since, note, scope, updated FROM "
			  "profile_measures WHERE member = ? ORDER BY measure");
	sqlite3_bind_int64(s, 1, member);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *aud = (const char *)sqlite3_column_text(s, 4);
		if (!may_see(node, who, member, aud, path))
			continue;
		json_t *m = json_pack("{so so so so}", "status", http_col_text(s, 1), "since",
				      http_col_text(s, 2), "note", http_col_text(s, 3), "updated",
				      http_col_time(s, 5));
		if (owner)
			json_object_set_new(m, "scope", scope_json(aud));
		json_object_set_new(measures, (const char *)sqlite3_column_text(s, 0), m);
	}
	sqlite3_reset(s);
	return json_pack("{so so}", "fields", fields, "measures", measures);
}

bool profile_field_visible(struct node *node, struct store_conn *c, const struct principal *who,
			   int64_t member, const char *field, enum policy_path path)
{
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT scope FROM profile_fields WHERE member = ? AND field = ?");
	bool ok;
	sqlite3_bind_int64(s, 1, member);
	sqlite3_bind_text(s, 2, field, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		ok = may_see(node, who, member, (const char *)sqlite3_column_text(s, 0), path);
	else
		ok = may_see(node, who, member, "[]", path);
	sqlite3_reset(s);
	return ok;
}
