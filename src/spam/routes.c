/* The anti-spam routes (issue 8): abuse report intake, fingerprint lookup,
 * reputation, and the DNSBL's listings, imports and exports. The work is in
 * spam/service.c; these handlers decode, call it and answer. */
#include "spam/routes.h"

#include "http/answer.h"
#include "index/indexer.h"
#include "node.h"
#include "spam/service.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <math.h>
#include <sodium.h>

enum { ARF_BODY_MAX = 4 << 20 };

/* --- bodies collected in memory up to a cap of the route's own --- */

struct body {
	struct buf b;
	bool too_large; /* the rest was drained, not kept: answered 413 at the end */
	size_t max;
	const char *what;
};

static void body_cleanup(struct request *r)
{
	struct body *x = r->route_state;
	buf_release(&x->b);
	free(x);
}

static int collect(struct request *r, const char *data, size_t n, size_t max, const char *what)
{
	if (!r->route_state) {
		struct body *x = xcalloc(1, sizeof(*x));
		buf_init(&x->b, max);
		r->route_state = x;
		r->route_cleanup = body_cleanup;
	}
	struct body *x = r->route_state;
	x->max = max;
	x->what = what;
	/* Past the cap the body is drained rather than refused mid-upload, so
	 * that the client reads a clean 413 instead of a reset connection. */
	if (!x->too_large && buf_add(&x->b, data, n)) {
		x->too_large = true;
		buf_release(&x->b);
		buf_init(&x->b, max);
	}
	return ERR_OK;
}

/* The collected body, or NULL after answering 413. */
static const char *body_data(struct request *r, size_t *len)
{
	struct body *x = r->route_state;
	*len = x ? x->b.len : 0;
	if (x && x->too_large) {
		http_error(r, 413, "too_large", NULL, "%s is over the limit of %zu bytes", x->what,
			   x->max);
		return NULL;
	}
	return x && x->b.data ? x->b.data : "";
}

static int arf_body(struct request *r, const char *data, size_t n)
{
	return collect(r, data, n, ARF_BODY_MAX, "an abuse report");
}

static int import_body(struct request *r, const char *data, size_t n)
{
	return collect(r, data, n, (size_t)r->node->cfg->report_body_max, "the zone file");
}

/* "message/rfc822; charset=..." -> true when the media type is one of `types`. */
static bool media_is(struct request *r, const char *const *types)
{
	const char *ct = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ct)
		return false;
	size_t n = strcspn(ct, "; \t");
	for (int i = 0; types[i]; i++)
		if (strlen(types[i]) == n && !strncasecmp(ct, types[i], n))
			return true;
	return false;
}

static const char *const mail_types[] = {"message/rfc822", "application/json", "text/plain",
					 "application/octet-stream", NULL};

static struct spam *service(struct request *r)
{
	if (!r->node->spam)
		http_error(r, 503, "unavailable", NULL, "the anti-spam service is not running");
	return r->node->spam;
}

static json_t *str_list(const char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* --- POST /api/v1/spam-reports --- */

static void post_spam_report(struct request *r)
{
	struct spam *sp = service(r);
	struct arf_report *rep = NULL;
	struct spam_ingest_result res;
	struct err_detail err;
	size_t len;
	if (!sp)
		return;
	if (!media_is(r, mail_types)) {
		http_error(r, 415, "unsupported_media_type", "Content-Type",
			   "send the report as message/rfc822 (ARF, X-ARF) or application/json "
			   "(XARF v4)");
		return;
	}
	const char *data = body_data(r, &len);
	if (!data)
		return;
	err_clear(&err);
	int rc = arf_parse(data, len, NULL, &rep, &err);
	if (rc == ERR_TOO_LARGE) {
		http_error_detail(r, rc, &err);
		return;
	}
	if (rc) {
		/* not a report, or a report with a bad field: nothing is stored */
		http_error(r, 422, "not_a_report", err.field[0] ? err.field : NULL, "%s",
			   err.message[0] ? err.message : err_str(rc));
		return;
	}
	rc = spam_ingest(sp, r->who.member_id, rep, &res, &err);
	if (rc) {
		http_error_detail(r, rc, &err);
		arf_report_free(rep);
		return;
	}
	char arrival[32], hash[2 * SPAM_FP_HASH_LEN + 1];
	time_format_ms(rep->has_arrival ? rep->arrival_ms : time_now_ms(), arrival);
	json_t *out =
	    json_pack("{sI ss so ss so so ss so so so sI sb}", "id", (json_int_t)res.id, "format",
		      rep->format == ARF_FORMAT_XARF02	? "x-arf"
		      : rep->format == ARF_FORMAT_XARF4 ? "xarf"
							: "arf",
		      "feedback_type", opt_str(rep->feedback_type), "category",
		      arf_category_name(rep->category), "source_ip", opt_str(rep->source_ip),
		      "user_agent", opt_str(rep->user_agent), "arrival", arrival,
		      "original_mail_from", opt_str(rep->original_mail_from), "reported_domains",
		      str_list(rep->reported_domains, rep->n_reported_domains), "reported_uris",
		      str_list(rep->reported_uris, rep->n_reported_uris), "incidents",
		      (json_int_t)rep->incidents, "truncated", rep->truncated);
	if (res.has_fp) {
		spam_fp_hash_hex(&res.fp, hash);
		json_object_set_new(
		    out, "fingerprint",
		    json_pack("{ss sI}", "body_hash", hash, "words", (json_int_t)res.fp.words));
	} else {
		json_object_set_new(out, "fingerprint", json_null());
	}
	if (res.source[0]) {
		json_t *rp = json_pack("{ss sb sf sb sb}", "source", res.source, "counted",
				       res.counted, "score", round(res.score * 1e4) / 1e4, "listed",
				       res.listed, "newly_listed", res.newly_listed);
		if (res.listed)
			json_object_set_new(rp, "code", json_integer(res.code));
		json_object_set_new(out, "reputation", rp);
	} else {
		json_object_set_new(out, "reputation", json_null());
	}
	arf_report_free(rep);
	snprintf(r->location, sizeof(r->location), "/api/v1/spam-reports/%" PRId64, res.id);
	http_json(r, 201, out);
}

/* --- POST /api/v1/spam-fingerprints/lookup --- */

static bool hex_bytes(const char *hex, uint8_t *out, size_t n)
{
	size_t got = 0;
	return hex && strlen(hex) == 2 * n &&
	       !sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, NULL) && got == n;
}

/* {"text": "..."} or {"body_hash": hex, "shingles": [64 x 16 hex]} */
static bool fp_from_json(struct request *r, const char *data, size_t len, struct spam_fp *fp)
{
	/* checked below, with messages that say which form is expected */
	static const struct rj_field fields[] = {
	    {"text", RJ_ANY, RJ_NULLABLE, 0, 0},
	    {"body_hash", RJ_ANY, RJ_NULLABLE, 0, 0},
	    {"shingles", RJ_ANY, RJ_NULLABLE, 0, 0},
	};
	struct err_detail err;
	json_t *in = NULL, *v;
	bool ok = false;
	memset(fp, 0, sizeof(*fp));
	err_clear(&err);
	int rc = reqjson_decode(data, len, (size_t)r->node->cfg->json_depth_max, fields,
				sizeof(fields) / sizeof(fields[0]), false, &in, &err);
	if (rc) {
		http_error_detail(r, rc, &err);
		goto out;
	}
	if (json_is_string(v = json_object_get(in, "text"))) {
		spam_fp_compute(json_string_value(v), json_string_length(v), NULL, fp);
		ok = true;
		goto out;
	}
	if (!hex_bytes(json_string_value(json_object_get(in, "body_hash")), fp->body_hash,
		       SPAM_FP_HASH_LEN)) {
		http_error(r, 422, "invalid_field", "body_hash",
			   "body_hash: must be %d hex digits (or give \"text\")",
			   2 * SPAM_FP_HASH_LEN);
		goto out;
	}
	v = json_object_get(in, "shingles");
	if (!json_is_array(v) || json_array_size(v) != SPAM_FP_SHINGLES) {
		http_error(r, 422, "invalid_field", "shingles",
			   "shingles: must be a list of %d hex strings of 16 digits",
			   SPAM_FP_SHINGLES);
		goto out;
	}
	for (size_t i = 0; i < SPAM_FP_SHINGLES; i++) {
		uint8_t b[8];
		if (!hex_bytes(json_string_value(json_array_get(v, i)), b, 8)) {
			http_error(r, 422, "invalid_field", "shingles",
				   "shingles[%zu]: must be 16 hex digits", i);
			goto out;
		}
		uint64_t x = 0;
		for (int k = 0; k < 8; k++)
			x = x << 8 | b[k];
		fp->minhash[i] = x;
	}
	ok = true;
out:
	json_decref(in);
	return ok;
}

static void post_fp_lookup(struct request *r)
{
	static const char *const json_types[] = {"application/json", NULL};
	struct spam *sp = service(r);
	struct spam_fp fp;
	struct err_detail err;
	size_t len;
	json_t *out = NULL;
	if (!sp)
		return;
	const char *data = body_data(r, &len);
	if (!data)
		return;
	err_clear(&err);
	if (media_is(r, json_types)) {
		if (!fp_from_json(r, data, len, &fp))
			return;
	} else if (media_is(r, mail_types)) {
		/* an abuse report: its original message; any other mail: its body */
		struct arf_report *rep = NULL;
		if (!arf_parse(data, len, NULL, &rep, &err) && rep->original_body) {
			spam_fp_compute(rep->original_body, rep->original_body_len, NULL, &fp);
		} else {
			const char *b = strstr(data, "\r\n\r\n"), *lf = strstr(data, "\n\n");
			const char *body = b && (!lf || b < lf) ? b + 4 : lf ? lf + 2 : data;
			spam_fp_compute(body, len - (size_t)(body - data), NULL, &fp);
		}
		arf_report_free(rep);
	} else {
		http_error(r, 415, "unsupported_media_type", "Content-Type",
			   "send a message (message/rfc822) or a fingerprint (application/json)");
		return;
	}
	int rc = spam_fp_lookup(sp, &fp, r->who.member_id, &out, &err);
	if (rc) {
		http_error_detail(r, rc, &err);
		return;
	}
	char hash[2 * SPAM_FP_HASH_LEN + 1];
	spam_fp_hash_hex(&fp, hash);
	json_object_set_new(out, "body_hash", json_string(hash));
	http_json(r, 200, out);
}

/* --- GET /api/v1/reputation?value= --- */

static void get_reputation(struct request *r)
{
	struct spam *sp = service(r);
	struct err_detail err;
	json_t *out = NULL;
	if (!sp)
		return;
	/* Public, so that the link in a TXT answer works for any mail operator:
	 * anonymous callers see what DNS already answers; members see the score. */
	const char *auth = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	bool member = auth && !strncmp(auth, "Bearer ", 7) &&
		      !directory_authenticate(r->node->dir, auth + 7, strlen(auth + 7), &r->who);
	err_clear(&err);
	int rc = spam_reputation(sp, http_query(r, "value"), member, &out, &err);
	if (rc)
		http_error_detail(r, rc, &err);
	else
		http_json(r, 200, out);
}

/* --- listings --- */

static const struct rj_field list_fields[] = {
    {"value", RJ_STRING, RJ_REQUIRED, 1, 300},
    {"reason", RJ_STRING, RJ_REQUIRED, 1, DNSBL_REASON_MAX},
    {"code", RJ_INT, 0, 2, 254},
};

static const struct rj_field delist_fields[] = {
    {"value", RJ_STRING, RJ_REQUIRED, 1, 300},
    {"reason", RJ_STRING, RJ_REQUIRED, 1, 1000},
};

static const struct rj_field request_fields[] = {
    {"value", RJ_STRING, RJ_REQUIRED, 1, 300},
    {"reason", RJ_STRING, RJ_REQUIRED, 1, 4000},
};

static const struct rj_field decide_fields[] = {
    {"outcome", RJ_STRING, RJ_REQUIRED, 1, 16},
    {"reason", RJ_STRING, 0, 0, 1000},
};

#define NF(t) (sizeof(t) / sizeof(t[0]))

static const char *jstr(json_t *in, const char *k)
{
	return json_string_value(json_object_get(in, k));
}

static void answer_reputation(struct request *r, struct spam *sp, const char *value, int status)
{
	json_t *out = NULL;
	struct err_detail err;
	err_clear(&err);
	if (spam_reputation(sp, value, true, &out, &err))
		out = json_pack("{ss}", "value", value);
	http_json(r, status, out);
}

static void post_listing(struct request *r)
{
	struct spam *sp = service(r);
	struct err_detail err;
	json_t *in;
	if (!sp || !(in = http_decode(r, list_fields, NF(list_fields), false)))
		return;
	err_clear(&err);
	json_t *code = json_object_get(in, "code");
	int rc = spam_list(sp, r->who.member_id, jstr(in, "value"),
			   code ? (int)json_integer_value(code) : 0, jstr(in, "reason"), &err);
	if (rc)
		http_error_detail(r, rc, &err);
	else
		answer_reputation(r, sp, jstr(in, "value"), 201);
	json_decref(in);
}

static void delist(struct request *r, const char *value, const char *reason)
{
	struct spam *sp = r->node->spam;
	struct err_detail err;
	err_clear(&err);
	int rc = spam_delist(sp, r->who.member_id, value, reason, &err);
	if (rc)
		http_error_detail(r, rc, &err);
	else
		answer_reputation(r, sp, value, 200);
}

static void delete_listing(struct request *r)
{
	if (!service(r))
		return;
	const char *reason = http_query(r, "reason");
	if (!reason || !*reason) {
		http_error(r, 422, "missing_field", "reason",
			   "reason: missing required query argument (?reason=...)");
		return;
	}
	delist(r, r->param[0], reason);
}

static void post_delist(struct request *r)
{
	json_t *in;
	if (!service(r) || !(in = http_decode(r, delist_fields, NF(delist_fields), false)))
		return;
	delist(r, jstr(in, "value"), jstr(in, "reason"));
	json_decref(in);
}

#define LISTING_COLS "value, kind, code, reason, source, listed_at, expires, member"

static json_t *listing_row(sqlite3_stmt *s)
{
	return json_pack("{so so sI so so so so so}", "value", http_col_text(s, 0), "kind",
			 http_col_text(s, 1), "code", (json_int_t)sqlite3_column_int64(s, 2),
			 "reason", http_col_text(s, 3), "source", http_col_text(s, 4), "listed_at",
			 http_col_time(s, 5), "expires", http_col_time(s, 6), "member",
			 sqlite3_column_type(s, 7) == SQLITE_NULL
			     ? json_null()
			     : json_integer(sqlite3_column_int64(s, 7)));
}

/* GET /api/v1/dnsbl/listings?source=&after=VALUE&limit= */
static void list_listings(struct request *r)
{
	static const char sql[] = "SELECT " LISTING_COLS " FROM dnsbl_listings WHERE value > ?1 "
				  "AND (?2 IS NULL OR source = ?2) ORDER BY value LIMIT ?3";
	struct store_conn *c = node_reader(r);
	const char *after = http_query(r, "after"), *lim = http_query(r, "limit");
	int64_t limit = 100;
	if (!c || !service(r))
		return;
	if (lim && (!http_parse_id(lim, &limit) || limit > 1000)) {
		http_error(r, 422, "invalid_field", "limit", "limit: must be 1..1000");
		return;
	}
	sqlite3_stmt *s = store_stmt(c, sql);
	sqlite3_bind_text(s, 1, after ? after : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, http_query(r, "source"), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, limit);
	json_t *items = json_array();
	char last[300] = "";
	while (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(last, sizeof(last), "%s", (const char *)sqlite3_column_text(s, 0));
		json_array_append_new(items, listing_row(s));
	}
	sqlite3_reset(s);
	bool more = (int64_t)json_array_size(items) == limit;
	http_json(r, 200,
		  json_pack("{so so sI}", "items", items, "next",
			    more ? json_string(last) : json_null(), "total",
			    (json_int_t)dnsbl_count(spam_blocklist(r->node->spam))));
}

/* --- delisting requests --- */

static void post_delisting_request(struct request *r)
{
	struct spam *sp = service(r);
	struct err_detail err;
	int64_t id = 0;
	json_t *in;
	if (!sp || !(in = http_decode(r, request_fields, NF(request_fields), false)))
		return;
	/* A source is the business of the member whose networks hold it. */
	const char *value = jstr(in, "value");
	if (r->who.role != ROLE_ADMIN && value &&
	    !constituency_holds(r->node->indexer ? indexer_constituency(r->node->indexer) : NULL,
				r->who.member_id, value, strlen(value))) {
		http_error(
		    r, 403, "forbidden", "value",
		    "value: '%.100s' is not in your constituency; only the member whose "
		    "constituency holds a source may ask for its delisting (declare yours with "
		    "PUT /api/v1/constituency)",
		    value);
		json_decref(in);
		return;
	}
	err_clear(&err);
	int rc = spam_delisting_request(sp, r->who.member_id, jstr(in, "value"), jstr(in, "reason"),
					&id, &err);
	json_decref(in);
	if (rc) {
		http_error_detail(r, rc, &err);
		return;
	}
	snprintf(r->location, sizeof(r->location), "/api/v1/dnsbl/delisting-requests/%" PRId64, id);
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT id, member, value, reason, at, outcome, decided_by, "
			  "decided_at FROM dnsbl_delisting_requests WHERE id = ?");
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		http_json(r, 201,
			  json_pack("{sI sI so so so so so so}", "id", (json_int_t)id, "member",
				    (json_int_t)sqlite3_column_int64(s, 1), "value",
				    http_col_text(s, 2), "reason", http_col_text(s, 3), "at",
				    http_col_time(s, 4), "outcome", http_col_text(s, 5),
				    "decided_by",
				    sqlite3_column_type(s, 6) == SQLITE_NULL
					? json_null()
					: json_integer(sqlite3_column_int64(s, 6)),
				    "decided_at", http_col_time(s, 7)));
	else
		http_error(r, 500, "internal", NULL, "request written but not readable");
	sqlite3_reset(s);
}

/* Admins see every request; others their own. */
static void list_delisting_requests(struct request *r)
{
	static const char sql[] = "SELECT id, member, value, reason, at, outcome, decided_by, "
				  "decided_at FROM dnsbl_delisting_requests WHERE id > ?1 AND "
				  "(?2 = 0 OR member = ?2) ORDER BY id";
	int64_t limit, after, last = 0;
	struct store_conn *c = node_reader(r);
	if (!c || !http_page_args(r, &limit, &after))
		return;
	sqlite3_stmt *s = store_stmt(c, sql);
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, r->who.role == ROLE_ADMIN ? 0 : r->who.member_id);
	json_t *items = json_array();
	while ((int64_t)json_array_size(items) < limit && sqlite3_step(s) == SQLITE_ROW) {
		last = sqlite3_column_int64(s, 0);
		json_array_append_new(items,
				      json_pack("{sI sI so so so so so so}", "id", (json_int_t)last,
						"member", (json_int_t)sqlite3_column_int64(s, 1),
						"value", http_col_text(s, 2), "reason",
						http_col_text(s, 3), "at", http_col_time(s, 4),
						"outcome", http_col_text(s, 5), "decided_by",
						sqlite3_column_type(s, 6) == SQLITE_NULL
						    ? json_null()
						    : json_integer(sqlite3_column_int64(s, 6)),
						"decided_at", http_col_time(s, 7)));
	}
	sqlite3_reset(s);
	http_page(r, items, limit, last);
}

static void post_delisting_decision(struct request *r)
{
	struct spam *sp = service(r);
	struct err_detail err;
	json_t *in;
	if (!sp || !(in = http_decode(r, decide_fields, NF(decide_fields), false)))
		return;
	err_clear(&err);
	int rc = spam_delisting_decide(sp, r->who.member_id, r->id[0], jstr(in, "outcome"),
				       jstr(in, "reason"), &err);
	json_decref(in);
	if (rc)
		http_error_detail(r, rc, &err);
	else
		http_json(r, 200,
			  json_pack("{sI ss}", "id", (json_int_t)r->id[0], "outcome", "decided"));
}

/* --- import / export --- */

/* "rbldnsd-ip4set" or "ip4set", ... ; "rbldnsd" alone is ip4set. */
static int zone_format(const char *name, enum dnsbl_zone_format *fmt)
{
	if (!name || !strcmp(name, "rbldnsd")) {
		*fmt = DNSBL_FMT_IP4SET;
		return ERR_OK;
	}
	if (!strncmp(name, "rbldnsd-", 8))
		name += 8;
	return dnsbl_zone_format_parse(name, fmt);
}

static void post_import(struct request *r)
{
	struct spam *sp = service(r);
	enum dnsbl_zone_format fmt;
	struct err_detail err;
	size_t len, count = 0;
	if (!sp)
		return;
	const char *f = http_query(r, "format");
	if (zone_format(f ? f : "plain", &fmt)) {
		http_error(r, 422, "invalid_field", "format",
			   "format: '%s' is not ip4set, ip6trie, dnset, csv or plain", f);
		return;
	}
	const char *data = body_data(r, &len);
	if (!data)
		return;
	err_clear(&err);
	int64_t t0 = time_mono_ns();
	int rc = spam_import(sp, r->who.member_id, data, len, fmt, &count, &err);
	if (rc == ERR_SYNTAX || rc == ERR_INVALID) {
		/* a bad line: nothing was applied */
		http_error(r, 422, "invalid_zone", err.field[0] ? err.field : NULL, "%s%s%s",
			   err.field, err.field[0] ? ": " : "", err.message);
		return;
	}
	if (rc) {
		http_error_detail(r, rc, &err);
		return;
	}
	http_json(r, 200,
		  json_pack("{ss sI sI sf}", "format", dnsbl_zone_format_name(fmt), "imported",
			    (json_int_t)count, "listed",
			    (json_int_t)dnsbl_count(spam_blocklist(sp)), "seconds",
			    (double)(time_mono_ns() - t0) / 1e9));
}

struct export_ctx {
	struct buf *out;
	enum dnsbl_zone_format fmt;
	int rc;
};

static int export_one(const struct dnsbl_entry *e, void *arg)
{
	struct export_ctx *x = arg;
	return x->rc = dnsbl_zone_write_entry(x->out, x->fmt, e);
}

static void get_export(struct request *r)
{
	struct spam *sp = service(r);
	enum dnsbl_zone_format fmt;
	if (!sp)
		return;
	const char *f = http_query(r, "format");
	if (zone_format(f, &fmt)) {
		http_error(
		    r, 422, "invalid_field", "format",
		    "format: '%s' is not rbldnsd-ip4set, rbldnsd-ip6trie, rbldnsd-dnset, csv "
		    "or plain",
		    f);
		return;
	}
	char now[32];
	time_format_ms(time_now_ms(), now);
	buf_reset(&r->out);
	if (fmt == DNSBL_FMT_CSV)
		buf_adds(&r->out, "value,code,reason\n");
	else
		buf_addf(&r->out, "# atalaya DNSBL export (%s), %s, %zu entries in the set\n",
			 dnsbl_zone_format_name(fmt), now, dnsbl_count(spam_blocklist(sp)));
	struct export_ctx x = {&r->out, fmt, ERR_OK};
	dnsbl_foreach(spam_blocklist(sp), export_one, &x);
	if (x.rc) {
		http_error_detail(r, x.rc, NULL);
		return;
	}
	r->status = 200;
	r->content_type =
	    fmt == DNSBL_FMT_CSV ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8";
}

const struct route spam_routes[] = {
    {"POST", "/api/v1/spam-reports", post_spam_report, ROUTE_WRITE | ROUTE_STREAM, arf_body,
     "submit an abuse report (ARF, X-ARF as message/rfc822; XARF v4 as JSON)"},
    {"POST", "/api/v1/spam-fingerprints/lookup", post_fp_lookup, ROUTE_STREAM, arf_body,
     "how many members reported a message similar to this one (message or fingerprint)"},
    {"GET", "/api/v1/reputation", get_reputation, ROUTE_PUBLIC, NULL,
     "listing state of ?value= (IP or domain); the score for members"},
    {"GET", "/api/v1/dnsbl/listings", list_listings, 0, NULL, "list DNSBL listings"},
    {"POST", "/api/v1/dnsbl/listings", post_listing, ROUTE_ADMIN, NULL,
     "list a value by hand with a reason (admin)"},
    {"DELETE", "/api/v1/dnsbl/listings/{key}", delete_listing, ROUTE_ADMIN, NULL,
     "delist a value with ?reason= (admin)"},
    {"POST", "/api/v1/dnsbl/delist", post_delist, ROUTE_ADMIN, NULL,
     "delist a value with a reason (admin)"},
    {"POST", "/api/v1/dnsbl/delisting-requests", post_delisting_request, ROUTE_WRITE, NULL,
     "ask for a value to be delisted, with a reason"},
    {"GET", "/api/v1/dnsbl/delisting-requests", list_delisting_requests, 0, NULL,
     "list delisting requests (admins: all; others: their own)"},
    {"POST", "/api/v1/dnsbl/delisting-requests/{id}/decision", post_delisting_decision, ROUTE_ADMIN,
     NULL, "accept (delist) or reject a delisting request (admin)"},
    {"POST", "/api/v1/dnsbl/import", post_import, ROUTE_ADMIN | ROUTE_STREAM, import_body,
     "bulk load listings: ?format=ip4set|ip6trie|dnset|csv|plain (admin)"},
    {"GET", "/api/v1/dnsbl/export", get_export, 0, NULL,
     "the DNS set as ?format=rbldnsd-ip4set|rbldnsd-ip6trie|rbldnsd-dnset|csv|plain"},
    {0},
};
