#include "audit.h"

#include "node.h"
#include "util/timeutil.h"

struct disclosure {
	int64_t report;
	const char *object;
	struct disclosure *next;
};

void audit_disclosed(struct request *r, struct audit_list *a, int64_t report, int64_t originator,
		     const char *object)
{
	if (originator == r->who.member_id)
		return; /* reading one's own data discloses nothing */
	for (struct disclosure *d = a->head; d; d = d->next)
		if (d->report == report && ((!d->object && !object) ||
					    (d->object && object && !strcmp(d->object, object))))
			return; /* once per request is enough */
	struct disclosure *d = arena_alloc(&r->arena, sizeof(*d));
	d->report = report;
	d->object = object ? arena_strndup(&r->arena, object, strlen(object)) : NULL;
	d->next = a->head;
	a->head = d;
	a->n++;
}

void audit_flush(struct request *r, struct audit_list *a, enum policy_path p)
{
	struct store_conn *c;
	if (!a->head || r->status >= 300)
		return;
	int rc = store_write_begin(r->node->st, &c);
	if (rc)
		goto fail;
	sqlite3_stmt *s = store_stmt(c, "INSERT INTO audit(report, object, member, path, at) "
					"VALUES (?,?,?,?,?)");
	int64_t now = time_now_ms();
	for (struct disclosure *d = a->head; d && !rc; d = d->next) {
		sqlite3_bind_int64(s, 1, d->report);
		if (d->object)
			sqlite3_bind_text(s, 2, d->object, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 2);
		sqlite3_bind_int64(s, 3, r->who.member_id);
		sqlite3_bind_text(s, 4, policy_path_name(p), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, now);
		rc = store_step_done(c, s, "audit_insert");
	}
	rc = store_write_end(r->node->st, rc);
	if (!rc)
		return;
fail:
	http_error(r, 500, "internal", NULL, "the disclosure could not be audited; nothing sent");
}
