/* Incident exchange over REST: submit reports under a scope, read what the
 * scope allows (every read passes policy_may_see), and audit each disclosure. */
#include "http/answer.h"
#include "node.h"
#include "report/routes.h"

#include "policy/audience.h"
#include "policy/policy.h"
#include "audit.h"
#include "report/body.h"
#include "report/ingest.h"
#include "store/subject.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define REPORT_COLS                                                                                \
	"r.seq, r.id, " STORE_SUBJECT_COLS ", r.received, r.format, r.content_type, r.bundle_id, " \
	"r.objects, r.counts, r.size, r.sha256, m.name"
#define REPORT_FROM " FROM reports r JOIN members m ON m.id = r.originator "

enum {
	C_SEQ,
	C_ID,
	C_ORIG, /* the subject: C_ORIG, C_AUD, C_TLP (STORE_SUBJECT_COLS) */
	C_AUD,
	C_TLP,
	C_RECV,
	C_FMT,
	C_CT,
	C_BUNDLE,
	C_OBJS,
	C_COUNTS,
	C_SIZE,
	C_SHA,
	C_ONAME
};

/* --- scope --- */

static bool may_see(struct request *r, sqlite3_stmt *s, enum policy_path p)
{
	struct policy_subject o;
	store_subject_from_row(s, C_ORIG, &o);
	return policy_may_see(r->node->dir, &r->who, &o, p);
}

static json_t *report_json(sqlite3_stmt *s)
{
	return json_pack(
	    "{so s{sI so} so so so so so sI so sI so}", "id", http_col_text(s, C_ID), "originator",
	    "id", (json_int_t)sqlite3_column_int64(s, C_ORIG), "name", http_col_text(s, C_ONAME),
	    "received", http_col_time(s, C_RECV), "format", http_col_text(s, C_FMT), "tlp",
	    json_string(tlp_name((enum tlp)sqlite3_column_int(s, C_TLP))), "audience",
	    http_col_json(s, C_AUD), "bundle_id", http_col_text(s, C_BUNDLE), "objects",
	    (json_int_t)sqlite3_column_int64(s, C_OBJS), "counts", http_col_json(s, C_COUNTS),
	    "size", (json_int_t)sqlite3_column_int64(s, C_SIZE), "sha256", http_col_text(s, C_SHA));
}

/* --- submit --- */

struct submit {
	struct ingest *in;
	struct buf audience;
};

static void submit_cleanup(struct request *r)
{
	struct submit *sub = r->route_state;
	ingest_free(sub->in);
	buf_release(&sub->audience);
	free(sub);
}

/* First chunk: scope and format are checked before any work on the body. */
static int submit_start(struct request *r)
{
	struct submit *sub = xcalloc(1, sizeof(*sub));
	struct err_detail err;
	int rc;

	r->route_state = sub;
	r->route_cleanup = submit_cleanup;
	buf_init(&sub->audience, 1 << 16);
	err_clear(&err);
	rc = audience_from_text(http_query(r, "audience"), r->node->dir, "audience", &sub->audience,
				&err);
	if (!rc)
		rc = ingest_new(r->node, http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE), &sub->in,
				&err);
	if (rc == ERR_UNSUPPORTED)
		http_error(r, 415, "unsupported_media_type", "Content-Type", "%s", err.message);
	else if (rc)
		http_error_detail(r, rc, &err);
	return rc;
}

static int submit_body(struct request *r, const char *data, size_t n)
{
	struct err_detail err;
	if (!r->route_state && submit_start(r))
		return ERR_INVALID;
	struct submit *sub = r->route_state;
	err_clear(&err);
	int rc = ingest_feed(sub->in, data, n, &err);
	if (rc) {
		http_error_detail(r, rc, &err);
		ingest_free(sub->in); /* the spool is gone before the answer leaves */
		sub->in = NULL;
	}
	return rc;
}

static void post_report(struct request *r)
{
	struct err_detail err;
	struct ingest_result res;
	if (!r->route_state) {
		if (submit_start(r))
			return;
		/* an empty body: ingest_commit names what is missing */
	}
	struct submit *sub = r->route_state;
	err_clear(&err);
	memset(&res, 0, sizeof(res));
	int rc = ingest_commit(sub->in, r->who.member_id, sub->audience.data, &res, &err);
	if (rc) {
		http_error_detail(r, rc, &err);
		ingest_free(sub->in); /* the spool is gone before the answer leaves */
		sub->in = NULL;
		return;
	}
	json_t *out =
	    json_pack("{ss sI ss so so}", "id", res.id, "objects", (json_int_t)res.objects, "tlp",
		      tlp_name(res.tlp), "audience", audience_to_json(sub->audience.data), "counts",
		      json_loads(res.counts_json, 0, NULL));
	json_t *notes = json_array();
	if (!strcmp(sub->audience.data, "[]"))
		json_array_append_new(
		    notes,
		    json_string(
			"no audience given: only your member can see this report; share it with "
			"?audience=all, group:ID or member:ID"));
	if (res.warnings_json) { /* IODEF observables left out: docs/internals/stix.md */
		json_t *w = json_loads(res.warnings_json, 0, NULL);
		json_array_extend(notes, w);
		json_decref(w);
	}
	if (res.tlp == TLP_NONE)
		json_array_append_new(
		    notes,
		    json_string(
			"no TLP marking: the report is unmarked; it reaches its audience only and "
			"is never treated as TLP:CLEAR"));
	if (json_array_size(notes))
		json_object_set_new(out, "notes", notes);
	else
		json_decref(notes);
	snprintf(r->location, sizeof(r->location), "/api/v1/reports/%s", res.id);
	http_json(r, 201, out);
}

/* --- read reports --- */

static bool parse_time_arg(struct request *r, const char *name, int64_t *ms)
{
	const char *v = http_query(r, name);
	*ms = 0;
	if (v && time_parse_rfc3339(v, strlen(v), 0, ms)) {
		http_error(r, 422, "invalid_field", name, "%s: '%s' is not an RFC 3339 time", name,
			   v);
		return false;
	}
	return true;
}

static void list_reports(struct request *r)
{
	/* oldest first (the default), or newest first with ?order=newest, where
	 * the cursor `after` is the last seq seen going back */
	static const char sql[] =
	    "SELECT " REPORT_COLS REPORT_FROM "WHERE r.seq > ?1 AND r.received > ?2 AND (?3 = 0 OR "
	    "r.originator = ?3) AND (?4 < 0 OR r.tlp = ?4) ORDER BY r.seq";
	static const char newest_sql[] =
	    "SELECT " REPORT_COLS REPORT_FROM "WHERE (?1 = 0 OR r.seq < ?1) AND r.received > ?2 "
	    "AND (?3 = 0 OR r.originator = ?3) AND (?4 < 0 OR r.tlp = ?4) ORDER BY r.seq DESC";
	int64_t limit, after, since, from = 0, last = 0;
	int tlp = -1;
	struct audit_list audit = {NULL, 0};
	struct store_conn *c = node_reader(r);
	const char *f = http_query(r, "from"), *t = http_query(r, "tlp");
	const char *order = http_query(r, "order");
	bool newest = order && !strcmp(order, "newest");

	if (!c || !http_page_args(r, &limit, &after) || !parse_time_arg(r, "since", &since))
		return;
	if (f && !http_parse_id(f, &from)) {
		http_error(r, 422, "invalid_field", "from", "from: '%s' is not a member id", f);
		return;
	}
	if (t && (tlp = tlp_parse(t)) < 0) {
		http_error(r, 422, "invalid_field", "tlp",
			   "tlp: '%s' is not clear, green, amber, amber+strict, red or none", t);
		return;
	}
	if (order && !newest && strcmp(order, "oldest")) {
		http_error(r, 422, "invalid_field", "order",
			   "order: '%.32s' is not oldest or newest", order);
		return;
	}
	sqlite3_stmt *s = store_stmt(c, newest ? newest_sql : sql);
	json_t *items = json_array();
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, since);
	sqlite3_bind_int64(s, 3, from);
	sqlite3_bind_int(s, 4, tlp);
	while ((int64_t)json_array_size(items) < limit && sqlite3_step(s) == SQLITE_ROW) {
		last = sqlite3_column_int64(s, C_SEQ);
		if (!may_see(r, s, POLICY_REPORT_LIST))
			continue;
		json_array_append_new(items, report_json(s));
		audit_disclosed(r, &audit, last, sqlite3_column_int64(s, C_ORIG), NULL);
	}
	sqlite3_reset(s);
	http_page(r, items, limit, last);
	audit_flush(r, &audit, POLICY_REPORT_LIST);
}

/* Finds report {report} visible through `p`; answers 404 itself otherwise.
 * The statement stays on its row until sqlite3_reset. */
static sqlite3_stmt *find_report(struct request *r, enum policy_path p)
{
	static const char sql[] = "SELECT " REPORT_COLS REPORT_FROM "WHERE r.id = ?";
	struct store_conn *c = node_reader(r);
	if (!c)
		return NULL;
	sqlite3_stmt *s = store_stmt(c, sql);
	sqlite3_bind_text(s, 1, r->param[0], -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && may_see(r, s, p))
		return s;
	sqlite3_reset(s);
	http_error(r, 404, "not_found", NULL, "no report %.80s", r->param[0]);
	return NULL;
}

static void get_report(struct request *r)
{
	struct audit_list audit = {NULL, 0};
	sqlite3_stmt *s = find_report(r, POLICY_REPORT_GET);
	if (!s)
		return;
	audit_disclosed(r, &audit, sqlite3_column_int64(s, C_SEQ), sqlite3_column_int64(s, C_ORIG),
			NULL);
	http_json(r, 200, report_json(s));
	sqlite3_reset(s);
	audit_flush(r, &audit, POLICY_REPORT_GET);
}

static void get_bundle(struct request *r)
{
	struct audit_list audit = {NULL, 0};
	sqlite3_stmt *s = find_report(r, POLICY_REPORT_BUNDLE);
	if (!s)
		return;
	const char *want = http_query(r, "format");
	bool iodef = !strcmp((const char *)sqlite3_column_text(s, C_FMT), "iodef");
	bool as_stix = iodef && want && !strcmp(want, "stix");
	struct report_body b;
	int rc;
	if (iodef && !as_stix) {
		char *path =
		    node_report_file(r->node, (const char *)sqlite3_column_text(s, C_ID), "xml");
		rc = report_body_open_file(path, &b);
		free(path);
	} else {
		rc = report_body_open(r->node, store_reader(r->node->st),
				      sqlite3_column_int64(s, C_SEQ),
				      (const char *)sqlite3_column_text(s, C_ID), &b);
	}
	if (rc) {
		http_error(r, 500, "internal", NULL, "the report's bytes are missing; see the log");
		sqlite3_reset(s);
		return;
	}
	if (b.fd >= 0) {
		r->response = MHD_create_response_from_fd(b.size, b.fd); /* MHD closes it */
		b.fd = -1;
	} else {
		r->response =
		    MHD_create_response_from_buffer_with_free_callback((size_t)b.size, b.own, free);
		b.own = NULL;
	}
	report_body_close(&b);
	r->status = 200;
	r->content_type = as_stix
			      ? "application/stix+json;version=2.1"
			      : arena_strndup(&r->arena, (const char *)sqlite3_column_text(s, C_CT),
					      (size_t)sqlite3_column_bytes(s, C_CT));
	MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	audit_disclosed(r, &audit, sqlite3_column_int64(s, C_SEQ), sqlite3_column_int64(s, C_ORIG),
			NULL);
	sqlite3_reset(s);
	audit_flush(r, &audit, POLICY_REPORT_BUNDLE);
}

static void get_audit(struct request *r)
{
	static const char sql[] =
	    "SELECT a.seq, a.member, m.name, a.path, a.at, a.object FROM audit a "
	    "JOIN members m ON m.id = a.member WHERE a.report = ? AND a.seq > ? "
	    "ORDER BY a.seq LIMIT ?";
	int64_t limit, after, last = 0;
	if (!http_page_args(r, &limit, &after))
		return;
	sqlite3_stmt *rs = find_report(r, POLICY_REPORT_GET);
	if (!rs)
		return;
	struct policy_subject o = {
	    .owner = sqlite3_column_int64(rs, C_ORIG), .audience = "[]", .tlp = TLP_NONE};
	int64_t seq = sqlite3_column_int64(rs, C_SEQ);
	sqlite3_reset(rs);
	if (!policy_may_see(r->node->dir, &r->who, &o, POLICY_REPORT_AUDIT)) {
		http_error(r, 403, "forbidden", NULL,
			   "only the originator of a report reads who received it");
		return;
	}
	sqlite3_stmt *s = store_stmt(store_reader(r->node->st), sql);
	json_t *items = json_array();
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, after);
	sqlite3_bind_int64(s, 3, limit);
	while (sqlite3_step(s) == SQLITE_ROW) {
		last = sqlite3_column_int64(s, 0);
		json_array_append_new(
		    items, json_pack("{s{sI so} so so so}", "member", "id",
				     (json_int_t)sqlite3_column_int64(s, 1), "name",
				     http_col_text(s, 2), "path", http_col_text(s, 3), "at",
				     http_col_time(s, 4), "object", http_col_text(s, 5)));
	}
	sqlite3_reset(s);
	http_page(r, items, limit, last);
}

/* --- objects --- */

#define OBJECT_COLS REPORT_COLS ", o.seq, o.stix_id, o.type, o.modified, o.revoked, o.off, o.len"
#define OBJECT_FROM                                                                                \
	" FROM objects o JOIN reports r ON r.seq = o.report JOIN members m ON m.id = "             \
	"r.originator "
/* The versions of one id, ?1: through object_keys, newest first when ordered
 * by k.modified DESC, k.seq DESC (its key order, read backwards). stix_key
 * may collide: o.stix_id is matched too. CROSS JOIN keeps object_keys first. */
#define OBJECT_BY_ID                                                                               \
	" FROM object_keys k CROSS JOIN objects o ON o.seq = k.seq"                                \
	" JOIN reports r ON r.seq = o.report JOIN members m ON m.id = r.originator"                \
	" WHERE k.stix_key = stix_key(?1) AND o.stix_id = ?1 "
enum { O_SEQ = C_ONAME + 1, O_ID, O_TYPE, O_MOD, O_REVOKED, O_OFF, O_LEN };

/* Reads an object's bytes from its report's kept bundle into `out`. */
static int append_object(struct request *r, sqlite3_stmt *s, struct buf *out)
{
	struct report_body b;
	if (report_body_open(r->node, store_reader(r->node->st), sqlite3_column_int64(s, C_SEQ),
			     (const char *)sqlite3_column_text(s, C_ID), &b))
		return ERR_IO;
	size_t len = (size_t)sqlite3_column_int64(s, O_LEN);
	char *tmp = arena_alloc(&r->arena, len);
	int rc = report_body_read(&b, tmp, len, (uint64_t)sqlite3_column_int64(s, O_OFF));
	if (!rc)
		rc = buf_add(out, tmp, len);
	report_body_close(&b);
	return rc;
}

/* The latest version of `stix_id` the caller may see (its o.seq), or 0.
 * An object revoked in any visible version stays revoked. */
static int64_t latest_visible(struct request *r, const char *stix_id, enum policy_path p,
			      bool *revoked)
{
	static const char sql[] =
	    "SELECT " OBJECT_COLS OBJECT_BY_ID "ORDER BY k.modified DESC, k.seq DESC";
	sqlite3_stmt *s = store_stmt(store_reader(r->node->st), sql);
	int64_t best = 0;
	*revoked = false;
	sqlite3_bind_text(s, 1, stix_id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (!may_see(r, s, p))
			continue;
		if (!best)
			best = sqlite3_column_int64(s, O_SEQ);
		*revoked |= sqlite3_column_int(s, O_REVOKED) != 0;
	}
	sqlite3_reset(s);
	return best;
}

/* ?report=ID narrows a listing to that report's objects: their seqs are one
 * run (reports.first_object..last_object), so the page is read from the
 * run's start, not found by scanning from the first object. Each object's
 * scope is still checked as it is read. An unknown report lists nothing. */
static bool report_range(struct request *r, struct store_conn *c, int64_t *after, int64_t *upto)
{
	const char *rep = http_query(r, "report");
	if (!rep)
		return true;
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT first_object, last_object FROM reports WHERE id = ?");
	if (!s) {
		http_error_detail(r, ERR_STORE, NULL);
		return false;
	}
	sqlite3_bind_text(s, 1, rep, -1, SQLITE_STATIC);
	*upto = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		int64_t first = sqlite3_column_int64(s, 0);
		*upto = sqlite3_column_int64(s, 1);
		if (*after < first - 1)
			*after = first - 1;
	}
	sqlite3_reset(s);
	return true;
}

/* Lists objects as a page of their own bytes; used by objects and export. */
static void list_objects_into(struct request *r, enum policy_path p, bool as_bundle)
{
	static const char sql[] =
	    "SELECT " OBJECT_COLS OBJECT_FROM
	    "WHERE o.seq > ?1 AND o.seq <= ?4 AND r.received > ?2 AND (?3 IS NULL OR o.type = ?3) "
	    "ORDER BY o.seq";
	int64_t limit, after, since, last = 0, n = 0;
	const char *type = http_query(r, "type"), *v = http_query(r, "versions");
	bool all_versions = v && !strcmp(v, "all");
	const char *ir = http_query(r, "include_revoked");
	bool include_revoked = ir && !strcmp(ir, "true");
	struct audit_list audit = {NULL, 0};
	struct store_conn *c = node_reader(r);
	int rc = ERR_OK;
	int64_t upto = INT64_MAX;
	if (!c || !http_page_args(r, &limit, &after) || !parse_time_arg(r, "since", &since) ||
	    !report_range(r, c, &after, &upto))
		return;
	sqlite3_stmt *s = store_stmt(c, sql);
	http_begin_json(r);
	if (as_bundle) {
		char uuid[37];
		report_new_uuid(uuid);
		buf_addf(&r->out, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", uuid);
		r->content_type = "application/stix+json;version=2.1";
	} else {
		buf_adds(&r->out, "{\"items\":[");
	}
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, since);
	if (type)
		sqlite3_bind_text(s, 3, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, upto);
	while (n < limit && sqlite3_step(s) == SQLITE_ROW) {
		last = sqlite3_column_int64(s, O_SEQ);
		if (!may_see(r, s, p))
			continue;
		const char *id = (const char *)sqlite3_column_text(s, O_ID);
		if (!all_versions) {
			/* an id's latest version the caller may see, once; none of a
			 * revoked object unless asked (a second statement, stepped
			 * while this one holds its row) */
			bool revoked;
			if (latest_visible(r, id, p, &revoked) != last ||
			    (revoked && !include_revoked))
				continue;
		}
		if (n++)
			buf_addc(&r->out, ',');
		rc = append_object(r, s, &r->out);
		if (rc)
			break;
		audit_disclosed(r, &audit, sqlite3_column_int64(s, C_SEQ),
				sqlite3_column_int64(s, C_ORIG), id);
	}
	sqlite3_reset(s);
	if (rc) {
		http_error(r, 500, "internal", NULL, "an object's bytes are missing; see the log");
		return;
	}
	if (as_bundle) {
		buf_adds(&r->out, "]}");
		if (n == limit) /* the bundle has no room for a cursor: a header */
			snprintf(r->next, sizeof(r->next), "%" PRId64, last);
	} else {
		http_end_page(r, n == limit, last);
	}
	audit_flush(r, &audit, p);
}

static void list_objects(struct request *r)
{
	list_objects_into(r, POLICY_OBJECT_LIST, false);
}

static void export_objects(struct request *r)
{
	list_objects_into(r, POLICY_EXPORT, true);
}

static void get_object(struct request *r)
{
	static const char sql[] = "SELECT " OBJECT_COLS OBJECT_FROM "WHERE o.seq = ?";
	struct audit_list audit = {NULL, 0};
	bool revoked;
	const char *ir = http_query(r, "include_revoked");
	int64_t seq = latest_visible(r, r->param[0], POLICY_OBJECT_GET, &revoked);
	const char *mod = http_query(r, "modified");
	if (mod) {
		/* a given version: the newest visible row with that modified */
		int64_t ms;
		if (time_parse_rfc3339(mod, strlen(mod), 0, &ms)) {
			http_error(r, 422, "invalid_field", "modified",
				   "modified: '%s' is not an RFC 3339 time", mod);
			return;
		}
		static const char vsql[] =
		    "SELECT " OBJECT_COLS OBJECT_BY_ID "AND k.modified = ?2 ORDER BY k.seq DESC";
		sqlite3_stmt *v = store_stmt(store_reader(r->node->st), vsql);
		sqlite3_bind_text(v, 1, r->param[0], -1, SQLITE_STATIC);
		sqlite3_bind_int64(v, 2, ms);
		seq = 0;
		while (!seq && sqlite3_step(v) == SQLITE_ROW)
			if (may_see(r, v, POLICY_OBJECT_GET))
				seq = sqlite3_column_int64(v, O_SEQ);
		sqlite3_reset(v);
	}
	if (!seq) {
		http_error(r, 404, "not_found", NULL, "no object %.120s", r->param[0]);
		return;
	}
	if (revoked && !mod && !(ir && !strcmp(ir, "true"))) {
		http_error(
		    r, 410, "revoked", NULL,
		    "%.120s was revoked by its creator; add ?include_revoked=true to read it",
		    r->param[0]);
		return;
	}
	sqlite3_stmt *s = store_stmt(store_reader(r->node->st), sql);
	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) != SQLITE_ROW || append_object(r, s, &r->out)) {
		sqlite3_reset(s);
		http_error(r, 500, "internal", NULL, "an object's bytes are missing; see the log");
		return;
	}
	r->status = 200;
	r->content_type = "application/stix+json;version=2.1";
	audit_disclosed(r, &audit, sqlite3_column_int64(s, C_SEQ), sqlite3_column_int64(s, C_ORIG),
			r->param[0]);
	sqlite3_reset(s);
	audit_flush(r, &audit, POLICY_OBJECT_GET);
}

static void get_versions(struct request *r)
{
	static const char sql[] =
	    "SELECT " OBJECT_COLS OBJECT_BY_ID "ORDER BY k.modified DESC, k.seq DESC";
	struct audit_list audit = {NULL, 0};
	sqlite3_stmt *s = store_stmt(store_reader(r->node->st), sql);
	json_t *items = json_array();
	sqlite3_bind_text(s, 1, r->param[0], -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (!may_see(r, s, POLICY_OBJECT_VERSIONS))
			continue;
		json_array_append_new(items,
				      json_pack("{so so sb}", "modified", http_col_time(s, O_MOD),
						"report", http_col_text(s, C_ID), "revoked",
						sqlite3_column_int(s, O_REVOKED)));
		audit_disclosed(r, &audit, sqlite3_column_int64(s, C_SEQ),
				sqlite3_column_int64(s, C_ORIG), r->param[0]);
	}
	sqlite3_reset(s);
	if (!json_array_size(items)) {
		json_decref(items);
		http_error(r, 404, "not_found", NULL, "no object %.120s", r->param[0]);
		return;
	}
	http_json(r, 200, json_pack("{so}", "items", items));
	audit_flush(r, &audit, POLICY_OBJECT_VERSIONS);
}

const struct route report_routes[] = {
    {"POST", "/api/v1/reports", post_report, ROUTE_WRITE | ROUTE_STREAM, submit_body,
     "submit a report (STIX 2.1 bundle or IODEF v2) under ?audience="},
    {"GET", "/api/v1/reports", list_reports, 0, NULL, "list the reports the caller may see"},
    {"GET", "/api/v1/reports/{report}", get_report, 0, NULL, "a report's metadata"},
    {"GET", "/api/v1/reports/{report}/bundle", get_bundle, 0, NULL, "the report as submitted"},
    {"GET", "/api/v1/reports/{report}/audit", get_audit, 0, NULL,
     "who received the report (originator only)"},
    {"GET", "/api/v1/objects", list_objects, 0, NULL, "STIX objects the caller may see"},
    {"GET", "/api/v1/objects/{object}", get_object, 0, NULL, "the latest version of an object"},
    {"GET", "/api/v1/objects/{object}/versions", get_versions, 0, NULL, "an object's versions"},
    {"GET", "/api/v1/export", export_objects, 0, NULL, "visible objects as one STIX bundle"},
    {0},
};
