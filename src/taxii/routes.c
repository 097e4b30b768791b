/* The TAXII 2.1 server (OASIS TAXII 2.1, sections 4 and 5): discovery, one
 * API root, collections that are scopes, objects, manifest, versions, POST
 * of envelopes through the intake, and status. One more read path of the
 * policy module: every object passes policy_may_see and its collection's
 * scope, and every disclosure is audited. Design: docs/internals/taxii.md. */
#include "taxii/taxii.h"

#include "audit.h"
#include "http/answer.h"
#include "policy/policy.h"
#include "report/body.h"
#include "report/ingest.h"
#include "store/subject.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdarg.h>

#define TAXII_MEDIA "application/taxii+json;version=2.1"
#define STIX_MEDIA "application/stix+json;version=2.1"
#define API_ROOT "/taxii2/api/"

/* --- answers --- */

/* A TAXII error message resource (section 3.6.1). */
static void taxii_error(struct request *r, int status, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void taxii_error(struct request *r, int status, const char *title, const char *fmt, ...)
{
	char desc[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	char code[8];
	snprintf(code, sizeof(code), "%d", status);
	http_json(
	    r, status,
	    json_pack("{ss ss ss}", "title", title, "description", desc, "http_status", code));
	r->content_type = TAXII_MEDIA;
}

static void taxii_error_detail(struct request *r, int rc, const struct err_detail *err)
{
	int status = rc == ERR_DENIED			     ? 403
		     : rc == ERR_NOT_FOUND		     ? 404
		     : rc == ERR_TOO_LARGE		     ? 413
		     : rc == ERR_CONFLICT		     ? 409
		     : rc == ERR_INVALID || rc == ERR_SYNTAX ? 400
							     : 500;
	if (status == 500)
		taxii_error(r, 500, "internal error", "see the node's log");
	else
		taxii_error(r, status, err->field[0] ? err->field : "bad request", "%s",
			    err->message);
}

static void taxii_json(struct request *r, int status, json_t *body)
{
	http_json(r, status, body);
	r->content_type = TAXII_MEDIA;
}

/* Hands r->out to MHD with the X-TAXII-Date-Added-First/Last headers (the
 * server adds only its own headers). */
static void finish_page(struct request *r, int64_t first_us, int64_t last_us)
{
	size_t len;
	char *data = buf_detach(&r->out, &len), t[32];
	r->response = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONTENT_TYPE, TAXII_MEDIA);
	if (first_us) {
		taxii_time_format(first_us, t);
		MHD_add_response_header(r->response, "X-TAXII-Date-Added-First", t);
		taxii_time_format(last_us, t);
		MHD_add_response_header(r->response, "X-TAXII-Date-Added-Last", t);
	}
}

/* Is one of the Accept header's media ranges TAXII 2.1 (or a wildcard)? */
static bool accepts_taxii(struct request *r)
{
	const char *a = http_header(r, MHD_HTTP_HEADER_ACCEPT);
	if (!a || !*a)
		return true;
	for (const char *p = a; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char range[160];
		size_t k = 0;
		for (size_t i = 0; i < n && k + 1 < sizeof(range); i++)
			if (p[i] != ' ' && p[i] != '\t')
				range[k++] = (char)tolower((unsigned char)p[i]);
		range[k] = '\0';
		char *params = strchr(range, ';');
		if (params)
			*params++ = '\0';
		if (!strcmp(range, "*/*") || !strcmp(range, "application/*"))
			return true;
		if (!strcmp(range, "application/taxii+json") &&
		    (!params || !strstr(params, "version=") || strstr(params, "version=2.1")))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Every TAXII route starts here: 406 when the client cannot take our media type. */
static bool begin(struct request *r)
{
	if (accepts_taxii(r))
		return true;
	taxii_error(r, 406, "not acceptable",
		    "Accept: this server answers " TAXII_MEDIA " only (got '%.100s')",
		    http_header(r, MHD_HTTP_HEADER_ACCEPT));
	return false;
}

/* --- collections: one per scope the caller belongs to --- */

enum coll_kind { COLL_ALL, COLL_GROUP, COLL_MEMBER };

struct coll {
	enum coll_kind kind;
	int64_t ref;	   /* group or member id */
	char id[32];	   /* "all", "group-3", "member-7" */
	char token[40];	   /* its element in canonical audience text: "\"group:3\"" */
	char audience[40]; /* what a POST into it is shared with */
};

static void coll_set(struct coll *c, enum coll_kind kind, int64_t ref)
{
	c->kind = kind;
	c->ref = ref;
	switch (kind) {
	case COLL_ALL:
		snprintf(c->id, sizeof(c->id), "all");
		snprintf(c->token, sizeof(c->token), "\"all\"");
		snprintf(c->audience, sizeof(c->audience), "[\"all\"]");
		break;
	case COLL_GROUP:
		snprintf(c->id, sizeof(c->id), "group-%" PRId64, ref);
		snprintf(c->token, sizeof(c->token), "\"group:%" PRId64 "\"", ref);
		snprintf(c->audience, sizeof(c->audience), "[\"group:%" PRId64 "\"]", ref);
		break;
	case COLL_MEMBER:
		snprintf(c->id, sizeof(c->id), "member-%" PRId64, ref);
		snprintf(c->token, sizeof(c->token), "\"member:%" PRId64 "\"", ref);
		snprintf(c->audience, sizeof(c->audience), "[]"); /* the member alone */
		break;
	}
}

/* Does a report with this originator and audience belong to the collection?
 * (Whether the caller may see it is policy_may_see's question, asked too.) */
static bool coll_holds(const struct coll *c, int64_t originator, const char *audience)
{
	if (strstr(audience, c->token))
		return true;
	return c->kind == COLL_MEMBER && originator == c->ref && !strcmp(audience, "[]");
}

/* Finds collection {coll} among the caller's; answers 404 itself otherwise. */
static bool coll_find(struct request *r, struct coll *c)
{
	const char *id = r->param[0];
	int64_t ref = 0;
	bool ok = false;
	if (!strcmp(id, "all")) {
		coll_set(c, COLL_ALL, 0);
		ok = true;
	} else if (!strncmp(id, "group-", 6) && http_parse_id(id + 6, &ref)) {
		ok = directory_in_group(r->node->dir, r->who.member_id, ref);
		coll_set(c, COLL_GROUP, ref);
	} else if (!strncmp(id, "member-", 7) && http_parse_id(id + 7, &ref)) {
		ok = ref == r->who.member_id;
		coll_set(c, COLL_MEMBER, ref);
	}
	if (!ok)
		taxii_error(r, 404, "collection not found",
			    "no collection '%.64s' among yours (see " API_ROOT "collections/)", id);
	return ok;
}

static json_t *coll_json(struct request *r, const struct coll *c, const char *group_name)
{
	char title[200], desc[300];
	switch (c->kind) {
	case COLL_ALL:
		snprintf(title, sizeof(title), "Shared with all members");
		snprintf(desc, sizeof(desc),
			 "reports whose audience is all; a POST shares with all members");
		break;
	case COLL_GROUP:
		snprintf(title, sizeof(title), "Group %s", group_name);
		snprintf(desc, sizeof(desc),
			 "reports shared with group %" PRId64 "; a POST shares with it", c->ref);
		break;
	case COLL_MEMBER:
		snprintf(title, sizeof(title), "Addressed to your member");
		snprintf(desc, sizeof(desc),
			 "reports naming your member, and your own unshared ones; a POST is "
			 "seen by your member alone");
		break;
	}
	return json_pack("{ss ss ss sb sb s[s]}", "id", c->id, "title", title, "description", desc,
			 "can_read", 1, "can_write", r->who.role != ROLE_READER, "media_types",
			 STIX_MEDIA);
}

static void get_collections(struct request *r)
{
	static const char sql[] = "SELECT g.id, g.name FROM group_members gm JOIN groups g ON "
				  "g.id = gm.group_id WHERE gm.member_id = ? ORDER BY g.id";
	struct store_conn *sc;
	struct coll c;
	if (!begin(r) || !(sc = node_reader(r)))
		return;
	json_t *items = json_array();
	coll_set(&c, COLL_ALL, 0);
	json_array_append_new(items, coll_json(r, &c, NULL));
	sqlite3_stmt *s = store_stmt(sc, sql);
	sqlite3_bind_int64(s, 1, r->who.member_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		coll_set(&c, COLL_GROUP, sqlite3_column_int64(s, 0));
		json_array_append_new(items,
				      coll_json(r, &c, (const char *)sqlite3_column_text(s, 1)));
	}
	sqlite3_reset(s);
	coll_set(&c, COLL_MEMBER, r->who.member_id);
	json_array_append_new(items, coll_json(r, &c, NULL));
	taxii_json(r, 200, json_pack("{so}", "collections", items));
}

static void get_collection(struct request *r)
{
	static const char sql[] = "SELECT name FROM groups WHERE id = ?";
	struct coll c;
	if (!begin(r) || !coll_find(r, &c))
		return;
	char *name = NULL;
	if (c.kind == COLL_GROUP) {
		struct store_conn *sc = node_reader(r);
		if (!sc)
			return;
		sqlite3_stmt *s = store_stmt(sc, sql);
		sqlite3_bind_int64(s, 1, c.ref);
		if (sqlite3_step(s) == SQLITE_ROW)
			name = xstrdup((const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
	}
	taxii_json(r, 200, coll_json(r, &c, name ? name : ""));
	free(name);
}

/* --- discovery and API root --- */

/* The node's base URL: public_url, else the Host the client used. */
static void base_url(struct request *r, char *out, size_t n)
{
	const char *pub = r->node->cfg->public_url;
	if (*pub) {
		size_t len = strlen(pub);
		snprintf(out, n, "%.*s", (int)(len && pub[len - 1] == '/' ? len - 1 : len), pub);
		return;
	}
	const char *host = http_header(r, MHD_HTTP_HEADER_HOST);
	snprintf(out, n, "%s://%.200s", *r->node->cfg->tls_cert ? "https" : "http",
		 host ? host : r->node->cfg->listen);
}

static void get_discovery(struct request *r)
{
	char base[300], root[400], title[300];
	if (!begin(r))
		return;
	base_url(r, base, sizeof(base));
	snprintf(root, sizeof(root), "%s" API_ROOT, base);
	snprintf(title, sizeof(title), "atalaya node %s", r->node->node_name);
	taxii_json(r, 200,
		   json_pack("{ss ss ss s[s]}", "title", title, "description",
			     "incident exchange of a CERT cooperation node: one collection per "
			     "scope you belong to",
			     "default", root, "api_roots", root));
}

static void get_api_root(struct request *r)
{
	char title[300];
	if (!begin(r))
		return;
	snprintf(title, sizeof(title), "atalaya node %s", r->node->node_name);
	taxii_json(r, 200,
		   json_pack("{ss ss s[s] sI}", "title", title, "description",
			     "collections are scopes: all, each of your groups, your member",
			     "versions", TAXII_MEDIA, "max_content_length",
			     (json_int_t)r->node->cfg->taxii_envelope_max));
}

/* --- reading objects --- */

/* An object's TAXII version: its modified, else its created (objects that
 * are never versioned: marking definitions, SCOs), else 0, answered as its
 * date_added (TAXII 2.1 section 3.4.1 says so of objects without either). */
#define OBJ_VERSION "coalesce(nullif(o.modified, 0), nullif(o.created, 0), 0)"

/* The columns every object query reads: the report's subject, the object,
 * its date_added in microseconds. */
#define OBJ_COLS                                                                                   \
	"r.seq, r.id, " STORE_SUBJECT_COLS ", o.seq, o.stix_id, o.type, " OBJ_VERSION ", o.off, "  \
	"o.len, t.base + o.seq - r.first_object"
#define OBJ_FROM                                                                                   \
	" FROM objects o JOIN reports r ON r.seq = o.report JOIN taxii_reports t ON t.report = "   \
	"r.seq "
enum { K_RSEQ, K_RID, K_ORIG, K_AUD, K_TLP, K_SEQ, K_ID, K_TYPE, K_MOD, K_OFF, K_LEN, K_ADDED };

enum endpoint { EP_OBJECTS, EP_MANIFEST, EP_OBJECT, EP_VERSIONS };
static const char *const ep_names[] = {"objects", "manifest", "object", "versions"};
static const enum policy_path ep_paths[] = {POLICY_TAXII_OBJECTS, POLICY_TAXII_MANIFEST,
					    POLICY_TAXII_OBJECT, POLICY_TAXII_VERSIONS};

/* One read request: its collection, query and the state of its answer. */
struct reading {
	struct request *r;
	enum endpoint ep;
	struct coll c;
	struct taxii_query q;
	int64_t after; /* resume after this object seq (from `next` and added_after) */
	int64_t n, first_us, last_us;
	int64_t pos; /* seq of the last row examined */
	struct audit_list audit;
	struct report_body body; /* the bundle the last object came from */
	int64_t body_report;
	struct buf scratch;
	int64_t origin_report; /* the report whose x_atalaya_origin `origin` holds */
	struct buf origin;
};

static bool visible(struct reading *g, sqlite3_stmt *s, int col)
{
	struct policy_subject o;
	store_subject_from_row(s, col, &o);
	return coll_holds(&g->c, o.owner, o.audience) &&
	       policy_may_see(g->r->node->dir, &g->r->who, &o, ep_paths[g->ep]);
}

/* The seq after which objects are added after `us`: date_added is the
 * report's base plus the object's place in it (migration 9). */
static int64_t seq_after_time(struct store_conn *sc, int64_t us)
{
	static const char sql[] = "SELECT r.first_object, r.last_object, t.base FROM taxii_reports "
				  "t JOIN reports r ON r.seq = t.report WHERE t.base <= ?1 "
				  "ORDER BY t.base DESC LIMIT 1";
	sqlite3_stmt *s = store_stmt(sc, sql);
	int64_t seq = 0;
	sqlite3_bind_int64(s, 1, us);
	if (sqlite3_step(s) == SQLITE_ROW) {
		int64_t first = sqlite3_column_int64(s, 0), last = sqlite3_column_int64(s, 1);
		int64_t base = sqlite3_column_int64(s, 2);
		seq = us - base >= last - first ? last : first + (us - base);
	}
	sqlite3_reset(s);
	return seq;
}

/* Parses the query, `next` included; answers 400/403 itself. */
static bool reading_start(struct request *r, struct reading *g, enum endpoint ep)
{
	struct err_detail err;
	struct taxii_args a = {
	    .endpoint = ep_names[ep],
	    .collection = r->param[0],
	    .object = r->param[1],
	    .added_after = http_query(r, "added_after"),
	    .limit = http_query(r, "limit"),
	    .id = http_query(r, "match[id]"),
	    .type = http_query(r, "match[type]"),
	    .version = http_query(r, "match[version]"),
	    .spec_version = http_query(r, "match[spec_version]"),
	};
	const char *next = http_query(r, "next");
	memset(g, 0, sizeof(*g));
	g->r = r;
	g->ep = ep;
	g->body.fd = -1;
	buf_init(&g->scratch, SIZE_MAX / 2);
	buf_init(&g->origin, SIZE_MAX / 2);
	if (!begin(r) || !coll_find(r, &g->c))
		return false;
	err_clear(&err);
	int rc = taxii_query_parse(&a, r->node->cfg->taxii_page_max, &r->arena, &g->q, &err);
	if (!rc && next)
		rc = taxii_next_decode(taxii_next_key(r->node->taxii), next, r->who.member_id,
				       &g->q, &g->after, &err);
	if (rc) {
		taxii_error_detail(r, rc, &err);
		return false;
	}
	if (g->q.added_after) {
		struct store_conn *sc = node_reader(r);
		if (!sc)
			return false;
		int64_t s = seq_after_time(sc, g->q.added_after);
		if (s > g->after)
			g->after = s;
	}
	g->pos = g->after;
	return true;
}

static void reading_release(struct reading *g)
{
	report_body_close(&g->body);
	buf_release(&g->scratch);
	buf_release(&g->origin);
}

/* Is this row the first / last visible version of its id in the collection?
 * (A second statement, stepped while the caller's holds its row.) */
static void version_rank(struct reading *g, const char *id, int64_t seq, bool *first, bool *last)
{
	static const char sql[] =
	    "SELECT " STORE_SUBJECT_COLS ", o.seq FROM object_keys k CROSS JOIN objects o ON "
	    "o.seq = k.seq JOIN reports r ON r.seq = o.report WHERE k.stix_key = stix_key(?1) AND "
	    "o.stix_id = ?1 ORDER BY k.modified, k.seq";
	sqlite3_stmt *s = store_stmt(store_reader(g->r->node->st), sql);
	int64_t lo = 0, hi = 0;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (!visible(g, s, 0))
			continue;
		if (!lo)
			lo = sqlite3_column_int64(s, 3);
		hi = sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	*first = lo == seq;
	*last = hi == seq;
}

/* Does the row pass the match[] filters? */
static bool wanted(struct reading *g, sqlite3_stmt *s)
{
	const struct taxii_query *q = &g->q;
	if (!q->spec_21)
		return false;
	if (!taxii_in_set(q->types, q->ntypes, (const char *)sqlite3_column_text(s, K_TYPE)) ||
	    !taxii_in_set(q->ids, q->nids, (const char *)sqlite3_column_text(s, K_ID)))
		return false;
	if (q->v_all)
		return true;
	bool first = false, last = false;
	if (q->v_first || q->v_last)
		version_rank(g, (const char *)sqlite3_column_text(s, K_ID),
			     sqlite3_column_int64(s, K_SEQ), &first, &last);
	return taxii_version_wanted(q, sqlite3_column_int64(s, K_MOD), first, last);
}

/* The origin node's signature of the report (federation.md), as the custom
 * property x_atalaya_origin: the envelope fields of the feed, from which the
 * signed canonical form is rebuilt. Empty when the report has none (yet: a
 * report made here is signed moments after its commit). Cached per report. */
static int origin_property(struct reading *g, int64_t report)
{
	static const char sql[] =
	    "SELECT origin_key, origin_name, origin_member, origin_report, version, signed_at, "
	    "tlp, audience, recipients, sha256, size, signature FROM signatures WHERE report = ?";
	static const char *const keys[] = {
	    "origin_key", "origin_name", "origin_member", "report", "version", "signed_at",
	    "tlp",	  "audience",	 "recipients",	  "sha256", "size",    "signature"};
	if (g->origin_report == report)
		return ERR_OK;
	g->origin_report = report;
	buf_reset(&g->origin);
	sqlite3_stmt *s = store_stmt(store_reader(g->r->node->st), sql);
	sqlite3_bind_int64(s, 1, report);
	int rc = ERR_OK;
	if (sqlite3_step(s) == SQLITE_ROW) {
		rc = buf_adds(&g->origin, ",\"x_atalaya_origin\":{");
		for (int i = 0; i < 12 && !rc; i++) {
			rc = buf_addf(&g->origin, "%s\"%s\":", i ? "," : "", keys[i]);
			if (!rc && sqlite3_column_type(s, i) == SQLITE_INTEGER)
				rc = buf_addf(&g->origin, "%lld",
					      (long long)sqlite3_column_int64(s, i));
			else if (!rc)
				rc = buf_add_json_str(&g->origin,
						      (const char *)sqlite3_column_text(s, i),
						      (size_t)sqlite3_column_bytes(s, i));
		}
		if (!rc)
			rc = buf_addc(&g->origin, '}');
	}
	sqlite3_reset(s);
	return rc;
}

/* Appends the object's bytes, read from its report's kept bundle, with
 * its report's origin signature spliced in before the closing brace. */
static int append_object(struct reading *g, sqlite3_stmt *s)
{
	int64_t report = sqlite3_column_int64(s, K_RSEQ);
	if (g->body_report != report) {
		report_body_close(&g->body);
		g->body_report = 0;
		if (report_body_open(g->r->node, store_reader(g->r->node->st), report,
				     (const char *)sqlite3_column_text(s, K_RID), &g->body))
			return ERR_IO;
		g->body_report = report;
	}
	size_t len = (size_t)sqlite3_column_int64(s, K_LEN);
	buf_reset(&g->scratch);
	if (buf_reserve(&g->scratch, len + 1) ||
	    report_body_read(&g->body, g->scratch.data, len,
			     (uint64_t)sqlite3_column_int64(s, K_OFF)))
		return ERR_IO;
	if (origin_property(g, report))
		return ERR_IO;
	const char *b = g->scratch.data;
	size_t end = len;
	while (end > 0 && b[end - 1] != '}')
		end--;
	if (!g->origin.len || end == 0)
		return buf_add(&g->r->out, b, len);
	if (buf_add(&g->r->out, b, end - 1) || buf_add(&g->r->out, g->origin.data, g->origin.len))
		return ERR_IO;
	return buf_add(&g->r->out, b + end - 1, len - end + 1);
}

static int64_t version_ms(sqlite3_stmt *s)
{
	int64_t v = sqlite3_column_int64(s, K_MOD);
	return v ? v : sqlite3_column_int64(s, K_ADDED) / 1000;
}

/* Writes one row as the endpoint's item. */
static int emit(struct reading *g, sqlite3_stmt *s)
{
	struct buf *out = &g->r->out;
	char t[32];
	int64_t added = sqlite3_column_int64(s, K_ADDED);
	if (g->n++)
		buf_addc(out, ',');
	if (!g->first_us)
		g->first_us = added;
	g->last_us = added;
	audit_disclosed(g->r, &g->audit, sqlite3_column_int64(s, K_RSEQ),
			sqlite3_column_int64(s, K_ORIG),
			g->ep == EP_OBJECTS || g->ep == EP_MANIFEST ? NULL : g->r->param[1]);
	switch (g->ep) {
	case EP_OBJECTS:
	case EP_OBJECT: return append_object(g, s);
	case EP_MANIFEST:
		buf_adds(out, "{\"id\":");
		buf_add_json_str(out, (const char *)sqlite3_column_text(s, K_ID),
				 (size_t)sqlite3_column_bytes(s, K_ID));
		taxii_time_format(added, t);
		buf_addf(out, ",\"date_added\":\"%s\",\"version\":\"", t);
		time_format_ms(version_ms(s), t);
		buf_addf(out, "%s\",\"media_type\":\"" STIX_MEDIA "\"}", t);
		return ERR_OK;
	case EP_VERSIONS: time_format_ms(version_ms(s), t); return buf_addf(out, "\"%s\"", t);
	}
	return ERR_OK;
}

/* Rows one request examines at most. A member that sees few of many objects
 * gets pages with fewer than `limit` objects (even none), `more` true and a
 * `next` past the rows examined, instead of one request walking the table. */
#define SCAN_MAX 200000

/* Runs statement `s` (rows in seq order, OBJ_COLS) into the answer. `next`
 * resumes after the last row examined: every row up to it was emitted or
 * does not match. */
static void run_page(struct reading *g, sqlite3_stmt *s)
{
	struct request *r = g->r;
	int64_t looked = 0;
	bool more = false;
	int rc = ERR_OK;
	const char *key = g->ep == EP_VERSIONS ? "versions" : "objects";

	buf_reset(&r->out);
	buf_addf(&r->out, "{\"%s\":[", key);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (++looked > SCAN_MAX) {
			more = true;
			break;
		}
		if (visible(g, s, K_ORIG) && wanted(g, s)) {
			if (g->n == g->q.limit) {
				more = true;
				break;
			}
			rc = emit(g, s);
			if (rc)
				break;
		}
		g->pos = sqlite3_column_int64(s, K_SEQ);
	}
	sqlite3_reset(s);
	if (rc) {
		taxii_error(r, 500, "internal error", "an object's bytes are missing; see the log");
		return;
	}
	if (!g->n && !more) { /* nothing: an empty envelope (as the OASIS reference answers) */
		buf_reset(&r->out);
		buf_adds(&r->out, "{}");
	} else {
		buf_addf(&r->out, "],\"more\":%s", more ? "true" : "false");
	}
	if (more) {
		char next[TAXII_NEXT_TEXT];
		taxii_next_encode(taxii_next_key(r->node->taxii), r->who.member_id, g->pos, &g->q,
				  next);
		buf_addf(&r->out, ",\"next\":\"%s\"", next);
	}
	if (g->n || more)
		buf_addc(&r->out, '}');
	r->status = 200;
	audit_flush(r, &g->audit, ep_paths[g->ep]);
	if (r->status == 200)
		finish_page(r, g->first_us, g->last_us);
}

/* One id's rows after seq ?2, through object_keys. */
static const char by_id_sql[] =
    "SELECT " OBJ_COLS " FROM object_keys k CROSS JOIN objects o ON o.seq = k.seq JOIN "
    "reports r ON r.seq = o.report JOIN taxii_reports t ON t.report = r.seq WHERE "
    "k.stix_key = stix_key(?1) AND o.stix_id = ?1 AND o.seq > ?2 ORDER BY o.seq";

static void list_rows(struct request *r, enum endpoint ep)
{
	static const char sql[] = "SELECT " OBJ_COLS OBJ_FROM "WHERE o.seq > ?1 ORDER BY o.seq";
	struct reading g;
	struct store_conn *sc;
	if (reading_start(r, &g, ep) && (sc = node_reader(r))) {
		sqlite3_stmt *s;
		if (g.q.nids == 1) { /* match[id] of one id (the usual case): its versions only */
			s = store_stmt(sc, by_id_sql);
			sqlite3_bind_text(s, 1, g.q.ids[0], -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, g.after);
		} else {
			s = store_stmt(sc, sql);
			sqlite3_bind_int64(s, 1, g.after);
		}
		run_page(&g, s);
	}
	reading_release(&g);
}

static void get_objects(struct request *r)
{
	list_rows(r, EP_OBJECTS);
}

static void get_manifest(struct request *r)
{
	list_rows(r, EP_MANIFEST);
}

/* One id's versions, in date_added order (seq). */
static void id_rows(struct request *r, enum endpoint ep)
{
	static const char any_sql[] =
	    "SELECT " STORE_SUBJECT_COLS " FROM object_keys k CROSS JOIN objects o ON o.seq = "
	    "k.seq JOIN reports r ON r.seq = o.report WHERE k.stix_key = stix_key(?1) AND "
	    "o.stix_id = ?1";
	struct reading g;
	struct store_conn *sc;
	if (!reading_start(r, &g, ep) || !(sc = node_reader(r)))
		goto out;
	if (ep == EP_VERSIONS)
		g.q.v_all = true; /* the versions endpoint lists them all */
	/* 404 when the caller sees no version of the id in the collection */
	sqlite3_stmt *s = store_stmt(sc, any_sql);
	bool any = false;
	sqlite3_bind_text(s, 1, r->param[1], -1, SQLITE_STATIC);
	while (!any && sqlite3_step(s) == SQLITE_ROW)
		any = visible(&g, s, 0);
	sqlite3_reset(s);
	if (!any) {
		taxii_error(r, 404, "object not found", "no object '%.120s' in collection '%s'",
			    r->param[1], g.c.id);
		goto out;
	}
	s = store_stmt(sc, by_id_sql);
	sqlite3_bind_text(s, 1, r->param[1], -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, g.after);
	run_page(&g, s);
out:
	reading_release(&g);
}

static void get_object(struct request *r)
{
	id_rows(r, EP_OBJECT);
}

static void get_versions(struct request *r)
{
	id_rows(r, EP_VERSIONS);
}

static void delete_object(struct request *r)
{
	struct coll c;
	if (!begin(r) || !coll_find(r, &c))
		return;
	taxii_error(r, 403, "objects are not deleted",
		    "an object is part of a report already shared and audited; revoke it by "
		    "posting a new version with \"revoked\": true");
}

/* --- adding objects --- */

struct posting {
	struct coll c;
	struct buf body;
};

static void posting_cleanup(struct request *r)
{
	struct posting *p = r->route_state;
	buf_release(&p->body);
	free(p);
}

/* Checks that can be made before the body: media type, collection, Accept. */
static int post_start(struct request *r)
{
	struct posting *p = xcalloc(1, sizeof(*p));
	r->route_state = p;
	r->route_cleanup = posting_cleanup;
	buf_init(&p->body, (size_t)r->node->cfg->taxii_envelope_max);
	if (!begin(r) || !coll_find(r, &p->c))
		return ERR_INVALID;
	const char *ct = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	char norm[96];
	size_t k = 0;
	for (; ct && *ct && k + 1 < sizeof(norm); ct++)
		if (*ct != ' ')
			norm[k++] = (char)tolower((unsigned char)*ct);
	norm[k] = '\0';
	if (strcmp(norm, "application/taxii+json;version=2.1") &&
	    strcmp(norm, "application/taxii+json")) {
		taxii_error(r, 415, "unsupported media type",
			    "Content-Type: send the envelope as " TAXII_MEDIA);
		return ERR_INVALID;
	}
	return ERR_OK;
}

static int post_body(struct request *r, const char *data, size_t n)
{
	if (!r->route_state && post_start(r))
		return ERR_INVALID;
	struct posting *p = r->route_state;
	if (r->status)
		return ERR_INVALID;
	if (buf_add(&p->body, data, n)) {
		taxii_error(r, 413, "too large",
			    "the envelope is over taxii_envelope_max (%" PRId64 " bytes)",
			    r->node->cfg->taxii_envelope_max);
		r->abort_upload = true;
		return ERR_TOO_LARGE;
	}
	return ERR_OK;
}

/* The status resource of a stored row. */
static json_t *status_json(sqlite3_stmt *s)
{
	char t[32];
	time_format_ms(sqlite3_column_int64(s, 3), t);
	int64_t total = sqlite3_column_int64(s, 4), ok = sqlite3_column_int64(s, 5),
		bad = sqlite3_column_int64(s, 6);
	return json_pack("{so ss ss sI sI so sI so sI s[]}", "id", http_col_text(s, 0), "status",
			 "complete", "request_timestamp", t, "total_count", (json_int_t)total,
			 "success_count", (json_int_t)ok, "successes", http_col_json(s, 7),
			 "failure_count", (json_int_t)bad, "failures", http_col_json(s, 8),
			 "pending_count", (json_int_t)0, "pendings");
}

#define STATUS_COLS "id, member, report, created, total, success, failure, successes, failures"

/* Records the outcome of a POST: every object succeeded (the report was
 * committed) or every one failed (the intake is all or nothing). */
static int store_status(struct request *r, const char *sid, const struct coll *c,
			const char *report, json_t *objs, const char *failure)
{
	static const char sql[] = "INSERT INTO taxii_status(id, member, collection, report, "
				  "created, total, success, failure, successes, failures) VALUES "
				  "(?,?,?,?,?,?,?,?,?,?)";
	json_t *list = json_array();
	size_t n = json_array_size(objs);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(objs, i), *id = json_object_get(o, "id"),
		       *v = json_object_get(o, "modified");
		json_t *e = json_pack("{s:O?}", "id", json_is_string(id) ? id : NULL);
		if (json_is_string(v))
			json_object_set(e, "version", v);
		if (failure)
			json_object_set_new(e, "message", json_string(failure));
		json_array_append_new(list, e);
	}
	char *text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	struct store_conn *sc;
	int rc = store_write_begin(r->node->st, &sc);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(sc, sql);
		sqlite3_bind_text(s, 1, sid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, r->who.member_id);
		sqlite3_bind_text(s, 3, c->id, -1, SQLITE_STATIC);
		if (report)
			sqlite3_bind_text(s, 4, report, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, time_now_ms());
		sqlite3_bind_int64(s, 6, (int64_t)n);
		sqlite3_bind_int64(s, 7, failure ? 0 : (int64_t)n);
		sqlite3_bind_int64(s, 8, failure ? (int64_t)n : 0);
		sqlite3_bind_text(s, 9, failure ? "[]" : text, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 10, failure ? text : "[]", -1, SQLITE_STATIC);
		rc = store_step_done(sc, s, "taxii_status_insert");
	}
	rc = store_write_end(r->node->st, rc);
	free(text);
	return rc;
}

static void answer_status(struct request *r, const char *sid)
{
	static const char sql[] = "SELECT " STATUS_COLS " FROM taxii_status WHERE id = ?";
	struct store_conn *sc = node_reader(r);
	if (!sc)
		return;
	sqlite3_stmt *s = store_stmt(sc, sql);
	sqlite3_bind_text(s, 1, sid, -1, SQLITE_STATIC);
	/* the poster's alone: its subject is owned by it and shared with no one */
	if (sqlite3_step(s) == SQLITE_ROW) {
		struct policy_subject o = {
		    .owner = sqlite3_column_int64(s, 1), .audience = "[]", .tlp = TLP_NONE};
		if (policy_may_see(r->node->dir, &r->who, &o, POLICY_TAXII_STATUS)) {
			taxii_json(r, !strcmp(r->method, "POST") ? 202 : 200, status_json(s));
			sqlite3_reset(s);
			return;
		}
	}
	sqlite3_reset(s);
	taxii_error(r, 404, "status not found", "no status '%.80s' of yours", sid);
}

static void post_objects(struct request *r)
{
	struct err_detail err;
	struct ingest *in = NULL;
	struct ingest_result res;
	json_t *objs = NULL;
	char *bundle = NULL, uuid[37];
	size_t len;
	int rc;

	if (!r->route_state && post_start(r))
		return;
	if (r->status)
		return;
	struct posting *p = r->route_state;
	err_clear(&err);
	rc =
	    taxii_envelope_to_bundle(p->body.data ? p->body.data : "", p->body.len,
				     (size_t)r->limits->json_depth_max, &bundle, &len, &objs, &err);
	if (rc) {
		taxii_error(r, rc == ERR_SYNTAX ? 400 : 422, "invalid envelope", "%s%s%s",
			    err.field[0] ? err.field : "", err.field[0] ? ": " : "", err.message);
		return;
	}
	buf_release(&p->body); /* the bundle holds it now */
	memset(&res, 0, sizeof(res));
	rc = ingest_new(r->node, STIX_MEDIA, &in, &err);
	if (!rc)
		rc = ingest_feed(in, bundle, len, &err);
	if (!rc)
		rc = ingest_commit(in, r->who.member_id, p->c.audience, &res, &err);
	free(bundle);
	report_new_uuid(uuid);
	if (rc && rc != ERR_INVALID && rc != ERR_SYNTAX && rc != ERR_CONFLICT &&
	    rc != ERR_TOO_LARGE) {
		ingest_free(in);
		json_decref(objs);
		taxii_error_detail(r, rc, &err);
		return;
	}
	char failure[700];
	snprintf(failure, sizeof(failure), "%s%s%s", err.field[0] ? err.field : "",
		 err.field[0] ? ": " : "", err.message);
	if (store_status(r, uuid, &p->c, rc ? NULL : res.id, objs, rc ? failure : NULL)) {
		taxii_error(r, 500, "internal error",
			    "the status could not be stored; see the log");
	} else {
		log_info("event=taxii_post member=%" PRId64 " collection=%s status=%s report=%s "
			 "objects=%zu ok=%s",
			 r->who.member_id, p->c.id, uuid, rc ? "-" : res.id, json_array_size(objs),
			 rc ? "false" : "true");
		answer_status(r, uuid);
	}
	ingest_free(in);
	json_decref(objs);
}

static void get_status(struct request *r)
{
	if (begin(r))
		answer_status(r, r->param[0]);
}

const struct route taxii_routes[] = {
    {"GET", "/taxii2/", get_discovery, 0, NULL, "TAXII 2.1 discovery"},
    {"GET", API_ROOT, get_api_root, 0, NULL, "TAXII 2.1 API root"},
    {"GET", API_ROOT "status/{status}/", get_status, 0, NULL, "TAXII status of a POST"},
    {"GET", API_ROOT "collections/", get_collections, 0, NULL,
     "TAXII collections: the scopes the caller belongs to"},
    {"GET", API_ROOT "collections/{coll}/", get_collection, 0, NULL, "a TAXII collection"},
    {"GET", API_ROOT "collections/{coll}/objects/", get_objects, 0, NULL,
     "TAXII objects of a collection (added_after, limit, next, match[])"},
    {"POST", API_ROOT "collections/{coll}/objects/", post_objects, ROUTE_WRITE | ROUTE_STREAM,
     post_body, "add a TAXII envelope: one report shared with the collection's scope"},
    {"GET", API_ROOT "collections/{coll}/manifest/", get_manifest, 0, NULL,
     "TAXII manifest of a collection"},
    {"GET", API_ROOT "collections/{coll}/objects/{object}/", get_object, 0, NULL,
     "a TAXII object's versions' bytes"},
    {"DELETE", API_ROOT "collections/{coll}/objects/{object}/", delete_object, 0, NULL,
     "refused: objects are revoked, not deleted"},
    {"GET", API_ROOT "collections/{coll}/objects/{object}/versions/", get_versions, 0, NULL,
     "a TAXII object's versions"},
    {0},
};
