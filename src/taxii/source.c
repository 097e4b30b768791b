/* The TAXII client: sources an admin configures (another server's API root
 * and collection, credentials in a file, the scope pulled objects get), and
 * the pull that pages through their new objects by added_after and `next`,
 * submitting each page as one report through the intake. */
#include "taxii/taxii.h"

#include "http/answer.h"
#include "policy/audience.h"
#include "report/ingest.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>

#define PULL_PAGE 1000	       /* objects asked for per page */
#define PULL_PAGES_MAX 100000  /* pages of one pull: a server that never ends is cut */
#define PULL_TIMEOUT_MS 120000 /* one page's request */
#define SECRET_MAX 4096	       /* a password or token file */

/* One pull at a time in the node: a scheduled pull and `atalaya taxii pull`
 * never interleave their pages and cursors. */
static pthread_mutex_t pull_lock = PTHREAD_MUTEX_INITIALIZER;

struct source {
	char *name, *url, *collection, *username, *secret_file, *auth, *audience, *cursor;
	int64_t member, every;
};

static void source_release(struct source *s)
{
	free(s->name);
	free(s->url);
	free(s->collection);
	free(s->username);
	free(s->secret_file);
	free(s->auth);
	free(s->audience);
	free(s->cursor);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? xstrdup(t) : NULL;
}

static int source_load(struct node *node, const char *name, struct source *src,
		       struct err_detail *err)
{
	static const char sql[] = "SELECT name, url, collection, username, secret_file, auth, "
				  "audience, added_after, member, every_seconds FROM taxii_sources "
				  "WHERE name = ?";
	struct store_conn *c = store_reader(node->st);
	int rc = ERR_OK;
	memset(src, 0, sizeof(*src));
	if (!c)
		return err_set(err, ERR_STORE, "", "the store cannot be read");
	sqlite3_stmt *s = store_stmt(c, sql);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW) {
		src->name = col_dup(s, 0);
		src->url = col_dup(s, 1);
		src->collection = col_dup(s, 2);
		src->username = col_dup(s, 3);
		src->secret_file = col_dup(s, 4);
		src->auth = col_dup(s, 5);
		src->audience = col_dup(s, 6);
		src->cursor = col_dup(s, 7);
		src->member = sqlite3_column_int64(s, 8);
		src->every = sqlite3_column_int64(s, 9);
	} else {
		rc = err_set(err, ERR_NOT_FOUND, "name", "no TAXII source '%.100s'", name);
	}
	sqlite3_reset(s);
	return rc;
}

/* Reads the password or token: the file's first line. */
static int read_secret(const char *path, char *out, size_t n, struct err_detail *err)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return err_set(err, ERR_IO, "secret_file", "cannot read %s: %s", path,
			       strerror(errno));
	size_t len = fread(out, 1, n - 1, f);
	fclose(f);
	out[len] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return *out ? ERR_OK : err_set(err, ERR_INVALID, "secret_file", "%s is empty", path);
}

struct page {
	struct buf body;
	char added_last[40];
	bool too_large;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct page *pg = arg;
	if (buf_add(&pg->body, p, size * n)) {
		pg->too_large = true;
		return 0;
	}
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct page *pg = arg;
	static const char name[] = "x-taxii-date-added-last:";
	size_t len = size * n;
	if (len > sizeof(name) && !strncasecmp(p, name, sizeof(name) - 1)) {
		const char *v = p + sizeof(name) - 1;
		size_t vn = len - (sizeof(name) - 1);
		while (vn && (*v == ' ' || *v == '\t'))
			v++, vn--;
		while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
			vn--;
		if (vn < sizeof(pg->added_last))
			snprintf(pg->added_last, sizeof(pg->added_last), "%.*s", (int)vn, v);
	}
	return len;
}

/* GETs one page of the source's objects. */
static int fetch(struct node *node, const struct source *src, const char *secret,
		 const char *added_after, const char *next, struct page *pg, struct err_detail *err)
{
	CURL *e = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char *url = NULL, *q1 = NULL, *q2 = NULL, auth[SECRET_MAX * 2];
	long status = 0;
	int rc = ERR_OK;
	struct buf u;

	buf_init(&u, 8192);
	q1 = added_after ? curl_easy_escape(e, added_after, 0) : NULL;
	q2 = next ? curl_easy_escape(e, next, 0) : NULL;
	char *coll = curl_easy_escape(e, src->collection, 0);
	buf_addf(&u, "%scollections/%s/objects/?limit=%d%s%s%s%s", src->url, coll, PULL_PAGE,
		 q1 ? "&added_after=" : "", q1 ? q1 : "", q2 ? "&next=" : "", q2 ? q2 : "");
	curl_free(coll);
	url = u.data;
	hdrs = curl_slist_append(hdrs, "Accept: application/taxii+json;version=2.1");
	if (!strcmp(src->auth, "bearer")) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", secret);
		hdrs = curl_slist_append(hdrs, auth);
	} else if (!strcmp(src->auth, "basic")) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, src->username ? src->username : "");
		curl_easy_setopt(e, CURLOPT_PASSWORD, secret);
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)PULL_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, pg);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, pg);
	CURLcode cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (pg->too_large)
		rc = err_set(err, ERR_TOO_LARGE, "url",
			     "%s: a page is over taxii_envelope_max (%" PRId64 " bytes)", src->url,
			     node->cfg->taxii_envelope_max);
	else if (cc != CURLE_OK)
		rc = err_set(err, ERR_IO, "url", "%s: %s", src->url, curl_easy_strerror(cc));
	else if (status != 200)
		rc = err_set(err, ERR_IO, "url", "%s: HTTP %ld: %.200s", src->url, status,
			     pg->body.data ? pg->body.data : "");
	sodium_memzero(auth, sizeof(auth));
	curl_slist_free_all(hdrs);
	curl_free(q1);
	curl_free(q2);
	curl_easy_cleanup(e);
	buf_release(&u);
	return rc;
}

/* Commits one page's objects as a report with the source's scope. */
static int submit(struct node *node, const struct source *src, const char *bundle, size_t len,
		  struct err_detail *err)
{
	struct ingest *in = NULL;
	struct ingest_result res;
	memset(&res, 0, sizeof(res));
	int rc = ingest_new(node, "application/stix+json;version=2.1", &in, err);
	if (!rc)
		rc = ingest_feed(in, bundle, len, err);
	if (!rc)
		rc = ingest_commit(in, src->member, src->audience, &res, err);
	if (!rc)
		log_info("event=taxii_pulled source=%s report=%s objects=%" PRIu64, src->name,
			 res.id, res.objects);
	ingest_free(in);
	return rc;
}

static void record(struct node *node, const char *name, const char *cursor, int64_t objects,
		   int64_t every, const char *error)
{
	static const char sql[] =
	    "UPDATE taxii_sources SET added_after = coalesce(?2, added_after), pulled = pulled + "
	    "?3, last_pull = ?4, next_pull = ?5, last_error = ?6 WHERE name = ?1";
	struct store_conn *c;
	int64_t now = time_now_ms();
	int rc = store_write_begin(node->st, &c);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(c, sql);
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		if (cursor && *cursor)
			sqlite3_bind_text(s, 2, cursor, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, objects);
		sqlite3_bind_int64(s, 4, now);
		sqlite3_bind_int64(s, 5, every > 0 ? now + every * 1000 : 0);
		if (error)
			sqlite3_bind_text(s, 6, error, -1, SQLITE_STATIC);
		rc = store_step_done(c, s, "taxii_source_record");
	}
	store_write_end(node->st, rc);
}

int taxii_pull(struct node *node, const char *name, struct taxii_pull_result *res,
	       struct err_detail *err)
{
	struct source src;
	char secret[SECRET_MAX] = "", *next = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	if (pthread_mutex_trylock(&pull_lock))
		return err_set(err, ERR_CONFLICT, "name", "a TAXII pull is running; try again");
	rc = source_load(node, name, &src, err);
	if (rc) {
		pthread_mutex_unlock(&pull_lock);
		return rc;
	}
	if (src.cursor)
		snprintf(res->cursor, sizeof(res->cursor), "%s", src.cursor);
	if (strcmp(src.auth, "none"))
		rc = read_secret(src.secret_file, secret, sizeof(secret), err);
	/* `next` resumes the query begun with the saved cursor; the cursor moves
	 * on after each committed page (X-TAXII-Date-Added-Last) */
	const char *after = src.cursor;
	while (!rc && res->pages < PULL_PAGES_MAX) {
		struct page pg;
		memset(&pg, 0, sizeof(pg));
		buf_init(&pg.body, (size_t)node->cfg->taxii_envelope_max);
		rc = fetch(node, &src, secret, after, next, &pg, err);
		json_t *env = NULL, *objs = NULL;
		char *bundle = NULL;
		size_t len = 0;
		if (!rc) {
			env = json_loadb(pg.body.data ? pg.body.data : "", pg.body.len, 0, NULL);
			objs = json_object_get(env, "objects");
			if (!json_is_object(env))
				rc = err_set(err, ERR_SYNTAX, "url",
					     "%s: the answer is not a TAXII envelope", src.url);
		}
		res->pages++;
		bool more = !rc && json_is_true(json_object_get(env, "more"));
		json_t *nx = json_object_get(env, "next");
		free(next);
		next = more && json_is_string(nx) ? xstrdup(json_string_value(nx)) : NULL;
		if (!rc && json_array_size(objs)) {
			rc = taxii_envelope_to_bundle(pg.body.data, pg.body.len,
						      (size_t)node->cfg->json_depth_max, &bundle,
						      &len, NULL, err);
			if (!rc)
				rc = submit(node, &src, bundle, len, err);
			if (!rc) {
				res->objects += (int64_t)json_array_size(objs);
				res->reports++;
				if (pg.added_last[0])
					snprintf(res->cursor, sizeof(res->cursor), "%s",
						 pg.added_last);
				record(node, src.name, pg.added_last,
				       (int64_t)json_array_size(objs), src.every, NULL);
			}
		}
		free(bundle);
		json_decref(env);
		buf_release(&pg.body);
		if (!more)
			break;
		if (!next) { /* no token: page on by the date of the last object */
			if (!pg.added_last[0])
				break;
			after = res->cursor;
		}
	}
	free(next);
	sodium_memzero(secret, sizeof(secret));
	record(node, src.name, NULL, 0, src.every, rc ? err->message : NULL);
	if (rc)
		log_warn("event=taxii_pull_failed source=%s objects=%" PRId64 " error=\"%s\"",
			 src.name, res->objects, err->message);
	else
		log_info("event=taxii_pull source=%s objects=%" PRId64 " pages=%" PRId64, src.name,
			 res->objects, res->pages);
	source_release(&src);
	pthread_mutex_unlock(&pull_lock);
	return rc;
}

/* --- admin routes (atalaya taxii ...) --- */

static const struct rj_field source_fields[] = {
    {"name", RJ_STRING, RJ_REQUIRED, 1, 100},
    {"url", RJ_STRING, RJ_REQUIRED, 8, 2000},
    {"collection", RJ_STRING, RJ_REQUIRED, 1, 200},
    {"username", RJ_STRING, 0, 0, 200},
    {"password_file", RJ_STRING, 0, 1, 4096},
    {"token_file", RJ_STRING, 0, 1, 4096},
    {"audience", RJ_STRING, 0, 0, 4096},
    {"every_seconds", RJ_INT, 0, 0, 31 * 86400},
};

static const char *str_field(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Does the URL carry user:password@ before its host? */
static bool has_userinfo(const char *url)
{
	const char *host = strstr(url, "://");
	if (!host)
		return false;
	host += 3;
	size_t n = strcspn(host, "/?#");
	return memchr(host, '@', n) != NULL;
}

static void post_source(struct request *r)
{
	static const char sql[] = "INSERT INTO taxii_sources(name, url, collection, username, "
				  "secret_file, auth, member, audience, every_seconds, next_pull, "
				  "created) VALUES (?,?,?,?,?,?,?,?,?,?,?)";
	struct err_detail err;
	struct buf aud, url;
	json_t *b =
	    http_decode(r, source_fields, sizeof(source_fields) / sizeof(*source_fields), false);
	if (!b)
		return;
	const char *u = str_field(b, "url"), *pw = str_field(b, "password_file"),
		   *tok = str_field(b, "token_file"), *user = str_field(b, "username");
	int64_t every = json_integer_value(json_object_get(b, "every_seconds"));
	buf_init(&aud, 1 << 16);
	buf_init(&url, 4096);
	err_clear(&err);
	int rc = ERR_OK;
	if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
		rc = err_set(&err, ERR_INVALID, "url", "url: '%.100s' is not an http(s) URL", u);
	else if (has_userinfo(u))
		rc = err_set(
		    &err, ERR_INVALID, "url",
		    "url: no credentials in the URL (they would be stored and logged); give "
		    "username and password_file, or token_file");
	else if (pw && tok)
		rc = err_set(&err, ERR_INVALID, "token_file",
			     "token_file: give a password file or a token file, not both");
	else if (pw && !user)
		rc = err_set(&err, ERR_INVALID, "username",
			     "username: required with a password file");
	else if ((pw || tok) && (pw ? pw : tok)[0] != '/')
		rc = err_set(&err, ERR_INVALID, pw ? "password_file" : "token_file",
			     "%s: must be an absolute path (the daemon reads it)",
			     pw ? "password_file" : "token_file");
	else if (every && every < 60)
		rc = err_set(&err, ERR_INVALID, "every_seconds",
			     "every_seconds: at least 60 (or 0: pulled by hand only)");
	if (!rc)
		rc = audience_from_text(str_field(b, "audience"), r->node->dir, "audience", &aud,
					&err);
	if (rc) {
		http_error_detail(r, rc, &err);
		goto out;
	}
	buf_adds(&url, u);
	if (url.data[url.len - 1] != '/') /* the API root's URL ends with a slash */
		buf_addc(&url, '/');
	struct store_conn *c;
	rc = store_write_begin(r->node->st, &c);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(c, sql);
		int64_t now = time_now_ms();
		sqlite3_bind_text(s, 1, str_field(b, "name"), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, url.data, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, str_field(b, "collection"), -1, SQLITE_STATIC);
		if (user)
			sqlite3_bind_text(s, 4, user, -1, SQLITE_STATIC);
		if (pw || tok)
			sqlite3_bind_text(s, 5, pw ? pw : tok, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, pw ? "basic" : tok ? "bearer" : "none", -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, r->who.member_id);
		sqlite3_bind_text(s, 8, aud.data, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 9, every);
		sqlite3_bind_int64(s, 10, now);
		sqlite3_bind_int64(s, 11, now);
		rc = store_step_done(c, s, "taxii_source_insert");
	}
	rc = store_write_end(r->node->st, rc);
	if (rc == ERR_CONFLICT) {
		http_error(r, 409, "conflict", "name", "name: a source '%.100s' exists already",
			   str_field(b, "name"));
	} else if (rc) {
		http_error_detail(r, rc, NULL);
	} else {
		if (every)
			taxii_kick(r->node->taxii); /* its first pull is due now */
		snprintf(r->location, sizeof(r->location), "/api/v1/taxii/sources/%.80s",
			 str_field(b, "name"));
		http_json(r, 201,
			  json_pack("{ss ss ss ss so sI}", "name", str_field(b, "name"), "url",
				    url.data, "collection", str_field(b, "collection"), "auth",
				    pw	  ? "basic"
				    : tok ? "bearer"
					  : "none",
				    "audience", audience_to_json(aud.data), "every_seconds",
				    (json_int_t)every));
	}
out:
	buf_release(&aud);
	buf_release(&url);
	json_decref(b);
}

static void list_sources(struct request *r)
{
	static const char sql[] =
	    "SELECT name, url, collection, auth, username, audience, every_seconds, added_after, "
	    "pulled, last_pull, next_pull, last_error FROM taxii_sources ORDER BY name";
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	sqlite3_stmt *s = store_stmt(c, sql);
	json_t *items = json_array();
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t every = sqlite3_column_int64(s, 6);
		json_array_append_new(
		    items,
		    json_pack("{so so so so so so sI so sI so so so}", "name", http_col_text(s, 0),
			      "url", http_col_text(s, 1), "collection", http_col_text(s, 2), "auth",
			      http_col_text(s, 3), "username", http_col_text(s, 4), "audience",
			      http_col_json(s, 5), "every_seconds", (json_int_t)every,
			      "added_after", http_col_text(s, 7), "pulled",
			      (json_int_t)sqlite3_column_int64(s, 8), "last_pull",
			      http_col_time(s, 9), "next_pull",
			      every ? http_col_time(s, 10) : json_null(), "last_error",
			      http_col_text(s, 11)));
	}
	sqlite3_reset(s);
	http_json(r, 200, json_pack("{so}", "items", items));
}

static void pull_source(struct request *r)
{
	struct taxii_pull_result res;
	struct err_detail err;
	err_clear(&err);
	int rc = taxii_pull(r->node, r->param[0], &res, &err);
	if (rc == ERR_NOT_FOUND || rc == ERR_CONFLICT) {
		http_error_detail(r, rc, &err);
		return;
	}
	json_t *out = json_pack("{sI sI sI ss?}", "objects", (json_int_t)res.objects, "pages",
				(json_int_t)res.pages, "reports", (json_int_t)res.reports,
				"added_after", res.cursor[0] ? res.cursor : NULL);
	if (rc) /* what came before the failure is committed: say both */
		json_object_set_new(
		    out, "error",
		    json_pack("{ss ss}", "code", "pull_failed", "message", err.message));
	http_json(r, rc ? 502 : 200, out);
}

static void delete_source(struct request *r)
{
	struct store_conn *c;
	int rc = store_write_begin(r->node->st, &c);
	if (!rc) {
		sqlite3_stmt *s = store_stmt(c, "DELETE FROM taxii_sources WHERE name = ?");
		sqlite3_bind_text(s, 1, r->param[0], -1, SQLITE_STATIC);
		rc = store_step_changed(c, s, "taxii_source_delete");
	}
	rc = store_write_end(r->node->st, rc);
	if (rc == ERR_NOT_FOUND)
		http_error(r, 404, "not_found", "name", "no TAXII source '%.100s'", r->param[0]);
	else if (rc)
		http_error_detail(r, rc, NULL);
	else
		http_no_content(r);
}

const struct route taxii_source_routes[] = {
    {"POST", "/api/v1/taxii/sources", post_source, ROUTE_ADMIN, NULL,
     "add a TAXII source to pull from"},
    {"GET", "/api/v1/taxii/sources", list_sources, ROUTE_ADMIN, NULL,
     "the TAXII sources, their cursors and last errors"},
    {"POST", "/api/v1/taxii/sources/{name}/pull", pull_source, ROUTE_ADMIN, NULL,
     "pull a TAXII source's new objects now"},
    {"DELETE", "/api/v1/taxii/sources/{name}", delete_source, ROUTE_ADMIN, NULL,
     "remove a TAXII source (what it brought stays)"},
    {0},
};
