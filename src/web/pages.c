/* Each page: find the session (or send to sign-in), read through the API's
 * own handlers as the signed-in user (web/call.h: same policy, same audit),
 * write HTML with the one escaping function (web/html.h) in the user's
 * language (web/i18n.h). Forms post with a CSRF token bound to the session. */
#include "web/pages.h"

#include "node.h"
#include "util/timeutil.h"
#include "web/call.h"
#include "web/form.h"
#include "web/html.h"
#include "web/session.h"
#include "web/totp.h"

#include <strings.h>

#define HTML_TYPE "text/html; charset=utf-8"
#define PAGE_SIZE 50 /* rows of a list page */

extern const char web_style_css[];
extern const size_t web_style_css_len;

struct page {
	struct request *r;
	struct web_session s;
	struct html_page h;
	struct form form;
};

/* --- frame --- */

static enum lang request_lang(struct request *r, const struct web_session *s)
{
	enum lang l;
	if (s && s->has_lang)
		return s->lang;
	if (i18n_parse(MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "atalaya_lang"), &l))
		return l;
	return i18n_negotiate(http_header(r, "Accept-Language"));
}

static void redirect(struct request *r, const char *to)
{
	r->status = 303;
	r->content_type = NULL;
	buf_reset(&r->out);
	size_t n = strlen(to);
	if (n >= sizeof(r->location)) /* never for our own paths: a safe place instead */
		to = "/web", n = 4;
	memcpy(r->location, to, n + 1);
}

/* A form post from another site is refused whatever its cookies (SameSite
 * already keeps the session cookie off it; this covers the sign-in form). */
static bool same_origin(struct request *r)
{
	const char *origin = http_header(r, "Origin"), *host = http_header(r, "Host");
	if (!origin || !strcmp(origin, "null"))
		return !origin;
	const char *p = strstr(origin, "://");
	return p && host && !strcmp(p + 3, host);
}

static void begin(struct page *p, int status)
{
	p->r->status = status;
	p->r->content_type = HTML_TYPE;
	buf_reset(&p->r->out);
	html_begin(&p->r->out, &p->h);
}

static void end(struct page *p)
{
	html_end(&p->r->out, &p->h);
}

/* Parses a form body (urlencoded or multipart); false after answering 400. */
static bool read_form(struct page *p)
{
	struct request *r = p->r;
	const char *ct = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct err_detail err = {0};
	int rc = ct && !strncasecmp(ct, "multipart/form-data", 19)
		     ? form_parse_multipart(&r->arena, ct, r->body.data ? r->body.data : "",
					    r->body.len, &p->form, &err)
		     : form_parse_urlencoded(&r->arena, r->body.data ? r->body.data : "",
					     r->body.len, &p->form, &err);
	if (rc) {
		http_error(r, 400, "bad_request", err.field, "%s", err.message);
		return false;
	}
	return true;
}

/* The session, the language and the frame of a page; false when the request
 * was answered instead (sent to sign-in, or a refused form). */
static bool open_page(struct request *r, struct page *p, const char *title, const char *nav,
		      bool post)
{
	memset(p, 0, sizeof(*p));
	p->r = r;
	int rc = session_find(r, &p->s);
	if (rc) {
		if (rc == ERR_UNAUTH)
			redirect(r, "/web/signin");
		else
			http_error_detail(r, rc, NULL);
		return false;
	}
	r->who = p->s.who;
	r->authenticated = true;
	p->h = (struct html_page){.lang = request_lang(r, &p->s),
				  .title_key = title,
				  .nav = nav,
				  .csrf = p->s.csrf,
				  .user = p->s.email,
				  .here = r->url,
				  .admin = p->s.who.role == ROLE_ADMIN};
	if (!post)
		return true;
	if (!same_origin(r)) {
		http_error(r, 403, "forbidden", "Origin", "Origin: a form from another site");
		return false;
	}
	if (!read_form(p))
		return false;
	if (!session_csrf_ok(&p->s, form_get(&p->form, "csrf"))) {
		http_error(r, 403, "forbidden", "csrf",
			   "csrf: the form's token is missing or not this session's; reload the "
			   "page and send it again");
		return false;
	}
	return true;
}

static const char *t(const struct page *p, const char *key)
{
	return i18n_text(p->h.lang, key);
}

static void text(struct page *p, const char *key)
{
	html_esc(&p->r->out, t(p, key));
}

static void tag_text(struct page *p, const char *open, const char *key, const char *close)
{
	buf_adds(&p->r->out, open);
	text(p, key);
	buf_adds(&p->r->out, close);
}

/* An RFC 3339 time of the API, written per locale in a <time>. */
static void when(struct page *p, const char *rfc3339)
{
	int64_t ms;
	if (!rfc3339 || time_parse_rfc3339(rfc3339, strlen(rfc3339), 0, &ms)) {
		buf_adds(&p->r->out, "—");
		return;
	}
	buf_adds(&p->r->out, "<time datetime=\"");
	html_esc(&p->r->out, rfc3339);
	buf_adds(&p->r->out, "\">");
	i18n_datetime(&p->r->out, p->h.lang, ms);
	buf_adds(&p->r->out, "</time>");
}

static void tlp_badge(struct page *p, const char *tlp)
{
	char cls[32];
	snprintf(cls, sizeof(cls), "%s", tlp ? tlp : "none");
	for (char *c = cls; *c; c++)
		if (*c == '+')
			*c = '-';
	buf_adds(&p->r->out, "<span class=\"tlp tlp-");
	html_esc(&p->r->out, cls);
	buf_adds(&p->r->out, "\"><bdi dir=\"ltr\">TLP:");
	for (const char *c = tlp ? tlp : "none"; *c; c++) {
		char u = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		html_escn(&p->r->out, &u, 1);
	}
	buf_adds(&p->r->out, "</bdi></span>");
}

static void audience(struct page *p, json_t *aud)
{
	size_t i;
	json_t *v;
	if (!json_array_size(aud)) {
		text(p, "audience.originator");
		return;
	}
	json_array_foreach(aud, i, v)
	{
		if (i)
			buf_adds(&p->r->out, " ");
		const char *s = json_string_value(v);
		if (s && !strcmp(s, "all"))
			text(p, "audience.all");
		else
			html_ltr(&p->r->out, s);
	}
}

/* An API error shown in the page: the message the API gives, tied to its
 * field by id "error-FIELD" (the field's aria-describedby). */
static void api_error(struct page *p, json_t *e)
{
	const char *field = json_string_value(json_object_get(e, "field"));
	buf_adds(&p->r->out, "<div class=\"error\" role=\"alert\"");
	if (field) {
		buf_adds(&p->r->out, " id=\"error-");
		html_esc(&p->r->out, field);
		buf_adds(&p->r->out, "\"");
	}
	buf_adds(&p->r->out, "><p>");
	text(p, "error.api");
	buf_adds(&p->r->out, " ");
	html_esc(&p->r->out, json_string_value(json_object_get(e, "message")));
	buf_adds(&p->r->out, "</p></div>");
}

static void not_found(struct page *p)
{
	p->h.title_key = "notfound.title";
	begin(p, 404);
	tag_text(p, "<p>", "notfound.text", "</p>");
	end(p);
}

/* A link to the next page of a list when the API gave a cursor. */
static void next_link(struct page *p, const char *base, json_t *page)
{
	const char *next = json_string_value(json_object_get(page, "next"));
	if (!next)
		return;
	buf_adds(&p->r->out, "<p><a class=\"next\" href=\"");
	html_esc(&p->r->out, base);
	buf_adds(&p->r->out, strchr(base, '?') ? "&amp;after=" : "?after=");
	html_esc(&p->r->out, next);
	buf_adds(&p->r->out, "\">");
	text(p, "list.next");
	buf_adds(&p->r->out, "</a></p>");
}

/* An id from the query (?after=): digits only, or NULL. */
static const char *query_id(struct request *r, const char *name)
{
	const char *v = http_query(r, name);
	int64_t id;
	return v && http_parse_id(v, &id) ? v : NULL;
}

/* --- sign-in, sign-out, enrolment, language --- */

static void signin_form(struct request *r, enum lang l, int status, const char *error_key,
			int64_t retry)
{
	struct page p = {.r = r};
	p.h = (struct html_page){.lang = l, .title_key = "signin.title", .here = "/web/signin"};
	begin(&p, status);
	struct buf *o = &r->out;
	const char *desc = error_key ? " aria-describedby=\"signin-error\"" : "";
	if (error_key) {
		buf_adds(o, "<div class=\"error\" role=\"alert\" id=\"signin-error\"><p>");
		text(&p, error_key);
		if (retry) {
			buf_adds(o, " ");
			i18n_plural_html(o, l, "signin.retry", (retry + 59) / 60);
		}
		buf_adds(o, "</p></div>");
	}
	buf_adds(o, "<form method=\"post\" action=\"/web/signin\" class=\"stack\">");
	tag_text(&p, "<label for=\"email\">", "signin.email", "</label>");
	buf_addf(o,
		 "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" "
		 "required%s>",
		 desc);
	tag_text(&p, "<label for=\"password\">", "signin.password", "</label>");
	buf_addf(o,
		 "<input id=\"password\" name=\"password\" type=\"password\" "
		 "autocomplete=\"current-password\" required%s>",
		 desc);
	tag_text(&p, "<label for=\"code\">", "signin.code", "</label>");
	buf_addf(o,
		 "<input id=\"code\" name=\"code\" inputmode=\"numeric\" pattern=\"[0-9]{6}\" "
		 "autocomplete=\"one-time-code\" required%s>",
		 desc);
	tag_text(&p, "<button type=\"submit\">", "signin.submit", "</button></form>");
	tag_text(&p, "<p><a href=\"/web/enrol\">", "enrol.link", "</a></p>");
	end(&p);
}

static void get_signin(struct request *r)
{
	signin_form(r, request_lang(r, NULL), 200, NULL, 0);
}

static void post_signin(struct request *r)
{
	struct page p = {.r = r};
	enum lang l = request_lang(r, NULL);
	int64_t retry;
	if (!same_origin(r)) {
		http_error(r, 403, "forbidden", "Origin", "Origin: a form from another site");
		return;
	}
	if (!read_form(&p))
		return;
	const char *email = form_get(&p.form, "email"), *pw = form_get(&p.form, "password");
	const char *code = form_get(&p.form, "code");
	if (!email || !*email || strlen(email) > 254 || !pw || !code) {
		signin_form(r, l, 422, "signin.failed", 0); /* an incomplete form */
		return;
	}
	int rc = session_signin(r, email, pw, code, &retry);
	if (!rc)
		redirect(r, "/web");
	else if (rc == ERR_DENIED)
		signin_form(r, l, 429, "signin.locked", retry);
	else if (rc == ERR_UNAUTH)
		signin_form(r, l, 401, "signin.failed", 0);
	else
		http_error_detail(r, rc, NULL);
}

static void post_signout(struct request *r)
{
	struct page p;
	if (!open_page(r, &p, "signin.title", NULL, true))
		return;
	bool everywhere = form_get(&p.form, "everywhere") != NULL;
	int rc = session_end(r, &p.s, everywhere);
	if (rc)
		http_error_detail(r, rc, NULL);
	else
		redirect(r, "/web/signin");
}

static void enrol_form(struct request *r, enum lang l, int status, json_t *error)
{
	struct page p = {.r = r};
	p.h = (struct html_page){.lang = l, .title_key = "enrol.title", .here = "/web/enrol"};
	begin(&p, status);
	struct buf *o = &r->out;
	if (error)
		api_error(&p, error);
	tag_text(&p, "<p>", "enrol.text", "</p>");
	buf_adds(o, "<form method=\"post\" action=\"/web/enrol\" class=\"stack\">");
	tag_text(&p, "<label for=\"code\">", "enrol.code", "</label>");
	buf_adds(o, "<input id=\"code\" name=\"code\" autocomplete=\"off\" required>");
	tag_text(&p, "<label for=\"password\">", "enrol.password", "</label>");
	buf_addf(o,
		 "<input id=\"password\" name=\"password\" type=\"password\" minlength=\"12\" "
		 "autocomplete=\"new-password\" required%s>",
		 error ? " aria-describedby=\"error-password\"" : "");
	tag_text(&p, "<button type=\"submit\">", "enrol.submit", "</button></form>");
	end(&p);
}

static void get_enrol(struct request *r)
{
	enrol_form(r, request_lang(r, NULL), 200, NULL);
}

static void post_enrol(struct request *r)
{
	struct page p = {.r = r};
	enum lang l = request_lang(r, NULL);
	char email[256], b32[TOTP_BASE32_MAX];
	struct err_detail err = {0};
	if (!same_origin(r)) {
		http_error(r, 403, "forbidden", "Origin", "Origin: a form from another site");
		return;
	}
	if (!read_form(&p))
		return;
	if (!form_get(&p.form, "code") || !form_get(&p.form, "password")) {
		json_t *e =
		    json_pack("{ss ss}", "message", i18n_text(l, "enrol.badcode"), "field", "code");
		enrol_form(r, l, 422, e); /* an incomplete form */
		json_decref(e);
		return;
	}
	int rc = session_enrol(r, form_get(&p.form, "code"), form_get(&p.form, "password"), email,
			       sizeof(email), b32, sizeof(b32), &err);
	if (rc == ERR_INVALID || rc == ERR_UNAUTH) {
		json_t *e =
		    json_pack("{ss ss}", "message",
			      rc == ERR_UNAUTH ? i18n_text(l, "enrol.badcode") : err.message,
			      "field", rc == ERR_UNAUTH ? "code" : "password");
		enrol_form(r, l, rc == ERR_UNAUTH ? 401 : 422, e);
		json_decref(e);
		return;
	}
	if (rc) {
		http_error_detail(r, rc, NULL);
		return;
	}
	p.h = (struct html_page){.lang = l, .title_key = "enrol.done", .here = "/web/enrol"};
	begin(&p, 200);
	struct buf *o = &r->out;
	tag_text(&p, "<p>", "enrol.totp", "</p>");
	buf_adds(o, "<p class=\"secret\">");
	html_ltr(o, b32);
	buf_adds(o, "</p><p class=\"secret\">");
	char uri[512];
	snprintf(uri, sizeof(uri),
		 "otpauth://totp/atalaya:%s?secret=%s&issuer=atalaya&algorithm=SHA1&digits=6&"
		 "period=30",
		 email, b32);
	html_ltr(o, uri);
	buf_adds(o, "</p>");
	tag_text(&p, "<p>", "enrol.noqr", "</p>");
	tag_text(&p, "<p><a href=\"/web/signin\">", "signin.title", "</a></p>");
	end(&p);
}

/* The language: the account's when signed in, else a cookie. */
static void post_language(struct request *r)
{
	struct page p = {.r = r};
	enum lang l;
	bool signed_in = session_find(r, &p.s) == ERR_OK;
	if (!same_origin(r) || !read_form(&p)) {
		if (!r->status)
			http_error(r, 403, "forbidden", "Origin",
				   "Origin: a form from another site");
		return;
	}
	if (!i18n_parse(form_get(&p.form, "lang"), &l)) {
		http_error(r, 422, "invalid_field", "lang",
			   "lang: not one of ar, zh, en, fr, ru, es");
		return;
	}
	if (signed_in) {
		if (!session_csrf_ok(&p.s, form_get(&p.form, "csrf"))) {
			http_error(r, 403, "forbidden", "csrf",
				   "csrf: the form's token is missing or not this session's");
			return;
		}
		int rc = session_set_language(r, &p.s, l);
		if (rc) {
			http_error_detail(r, rc, NULL);
			return;
		}
	} else {
		snprintf(
		    r->cookie, sizeof(r->cookie),
		    "atalaya_lang=%s; Path=/; Max-Age=31536000; HttpOnly; Secure; SameSite=Strict",
		    i18n_code(l));
	}
	/* Back to a page of ours only. */
	const char *back = form_get(&p.form, "back");
	redirect(r, back && !strncmp(back, "/web", 4) && !strpbrk(back, "\r\n\\") &&
			    strncmp(back, "//", 2)
			? back
			: "/web");
}

/* --- reports --- */

/* A link to a report's page, its id kept left to right in any language. */
static void report_link(struct buf *o, const char *id)
{
	buf_adds(o, "<a href=\"/web/reports/");
	html_esc(o, id);
	buf_adds(o, "\">");
	html_ltr(o, id);
	buf_adds(o, "</a>");
}

static void report_rows(struct page *p, json_t *items)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *it;
	buf_adds(o, "<table><thead><tr>");
	tag_text(p, "<th scope=\"col\">", "report.id", "</th>");
	tag_text(p, "<th scope=\"col\">", "report.originator", "</th>");
	tag_text(p, "<th scope=\"col\">", "report.received", "</th>");
	tag_text(p, "<th scope=\"col\">", "report.scope", "</th>");
	tag_text(p, "<th scope=\"col\">", "report.objects", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(items, i, it)
	{
		const char *id = json_string_value(json_object_get(it, "id"));
		buf_adds(o, "<tr><td>");
		report_link(o, id);
		buf_adds(o, "</td><td>");
		html_esc(o, json_string_value(
				json_object_get(json_object_get(it, "originator"), "name")));
		buf_adds(o, "</td><td>");
		when(p, json_string_value(json_object_get(it, "received")));
		buf_adds(o, "</td><td>");
		tlp_badge(p, json_string_value(json_object_get(it, "tlp")));
		buf_adds(o, " ");
		audience(p, json_object_get(it, "audience"));
		buf_adds(o, "</td><td>");
		i18n_number(o, p->h.lang, json_integer_value(json_object_get(it, "objects")));
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
	if (!json_array_size(items))
		tag_text(p, "<p>", "list.empty", "</p>");
}

/* A page of the API's list at `api` (PAGE_SIZE items after ?after=), drawn
 * by `rows`, with a link to the next page at `web`: the reports and alerts. */
static void paged_list(struct request *r, const char *title, const char *nav, const char *api,
		       const char *web, void (*rows)(struct page *p, json_t *items))
{
	struct page p;
	char q[64];
	if (!open_page(r, &p, title, nav, false))
		return;
	const char *after = query_id(r, "after");
	snprintf(q, sizeof(q), "limit=%d%s%s", PAGE_SIZE, after ? "&after=" : "",
		 after ? after : "");
	struct web_call c;
	web_call(r, "GET", api, q, NULL, NULL, 0, &c);
	begin(&p, 200);
	if (c.status != 200)
		api_error(&p, web_call_error(&c));
	else {
		rows(&p, json_object_get(c.json, "items"));
		next_link(&p, web, c.json);
	}
	end(&p);
	web_call_release(&c);
}

static void list_reports_page(struct request *r)
{
	paged_list(r, "reports.title", "nav.reports", "/api/v1/reports", "/web/reports",
		   report_rows);
}

/* One STIX object as a row: type, id, and what it says (pattern, value, name). */
static void object_row(struct page *p, json_t *obj)
{
	struct buf *o = &p->r->out;
	const char *what = json_string_value(json_object_get(obj, "pattern"));
	if (!what)
		what = json_string_value(json_object_get(obj, "value"));
	if (!what)
		what = json_string_value(json_object_get(obj, "name"));
	buf_adds(o, "<tr><td>");
	html_ltr(o, json_string_value(json_object_get(obj, "type")));
	buf_adds(o, "</td><td>");
	html_ltr(o, json_string_value(json_object_get(obj, "id")));
	buf_adds(o, "</td><td>");
	if (what)
		html_ltr(o, what);
	buf_adds(o, "</td></tr>");
}

static void report_page(struct request *r)
{
	struct page p;
	char path[200], q[200];
	struct web_call meta, objs, aud = {0};
	if (!open_page(r, &p, "report.title", "nav.reports", false))
		return;
	const char *id = r->param[0];
	if (strlen(id) > 150 || strpbrk(id, "&?")) { /* no report id has them */
		not_found(&p);
		return;
	}
	snprintf(path, sizeof(path), "/api/v1/reports/%s", id);
	web_call(r, "GET", path, NULL, NULL, NULL, 0, &meta);
	if (meta.status != 200) { /* 404 alike for "none" and "not yours": the API's */
		web_call_release(&meta);
		not_found(&p);
		return;
	}
	struct buf *o = &r->out;
	json_t *m = meta.json;
	begin(&p, 200);
	buf_adds(o, "<dl class=\"meta\">");
	tag_text(&p, "<dt>", "report.id", "</dt><dd>");
	html_ltr(o, id);
	tag_text(&p, "</dd><dt>", "report.originator", "</dt><dd>");
	html_esc(o, json_string_value(json_object_get(json_object_get(m, "originator"), "name")));
	tag_text(&p, "</dd><dt>", "report.received", "</dt><dd>");
	when(&p, json_string_value(json_object_get(m, "received")));
	tag_text(&p, "</dd><dt>", "report.scope", "</dt><dd>");
	tlp_badge(&p, json_string_value(json_object_get(m, "tlp")));
	buf_adds(o, " ");
	audience(&p, json_object_get(m, "audience"));
	tag_text(&p, "</dd><dt>", "report.format", "</dt><dd>");
	html_ltr(o, json_string_value(json_object_get(m, "format")));
	tag_text(&p, "</dd><dt>", "report.sha256", "</dt><dd>");
	html_ltr(o, json_string_value(json_object_get(m, "sha256")));
	buf_adds(o, "</dd></dl>");

	/* Objects, a page at a time (a report may hold millions). */
	const char *after = query_id(r, "after");
	snprintf(q, sizeof(q), "report=%.150s&versions=all&limit=%d%s%s", id, PAGE_SIZE,
		 after ? "&after=" : "", after ? after : "");
	web_call(r, "GET", "/api/v1/objects", q, NULL, NULL, 0, &objs);
	buf_adds(o, "<section aria-labelledby=\"h-objects\"><h2 id=\"h-objects\">");
	i18n_plural_html(o, p.h.lang, "report.objects_count",
			 json_integer_value(json_object_get(m, "objects")));
	buf_adds(o, "</h2>");
	if (objs.status != 200) {
		api_error(&p, web_call_error(&objs));
	} else {
		buf_adds(o, "<table><thead><tr>");
		tag_text(&p, "<th scope=\"col\">", "object.type", "</th>");
		tag_text(&p, "<th scope=\"col\">", "object.id", "</th>");
		tag_text(&p, "<th scope=\"col\">", "object.content", "</th>");
		buf_adds(o, "</tr></thead><tbody>");
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(objs.json, "items"), i, it) object_row(&p, it);
		buf_adds(o, "</tbody></table>");
		char base[200];
		snprintf(base, sizeof(base), "/web/reports/%.150s", id);
		next_link(&p, base, objs.json);
	}
	buf_adds(o, "</section>");
	web_call_release(&objs);

	/* Related reports: their own page, as finding them walks every
	 * observable of the report (tens of ms for 100,000). */
	buf_adds(o, "<section aria-labelledby=\"h-related\"><h2 id=\"h-related\">");
	text(&p, "report.related");
	buf_adds(o, "</h2><p><a href=\"/web/reports/");
	html_esc(o, id);
	buf_adds(o, "/related\">");
	text(&p, "report.related_link");
	buf_adds(o, "</a></p></section>");

	/* Who received it: for its originator only (the API decides). */
	json_int_t orig =
	    json_integer_value(json_object_get(json_object_get(m, "originator"), "id"));
	if (orig == r->who.member_id) {
		snprintf(path, sizeof(path), "/api/v1/reports/%.150s/audit", id);
		web_call(r, "GET", path, "limit=50", NULL, NULL, 0, &aud);
		buf_adds(o, "<section aria-labelledby=\"h-audit\"><h2 id=\"h-audit\">");
		text(&p, "report.audit");
		buf_adds(o, "</h2><table><thead><tr>");
		tag_text(&p, "<th scope=\"col\">", "audit.member", "</th>");
		tag_text(&p, "<th scope=\"col\">", "audit.path", "</th>");
		tag_text(&p, "<th scope=\"col\">", "audit.at", "</th>");
		buf_adds(o, "</tr></thead><tbody>");
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(aud.json, "items"), i, it)
		{
			buf_adds(o, "<tr><td>");
			html_esc(o, json_string_value(
					json_object_get(json_object_get(it, "member"), "name")));
			buf_adds(o, "</td><td>");
			html_ltr(o, json_string_value(json_object_get(it, "path")));
			buf_adds(o, "</td><td>");
			when(&p, json_string_value(json_object_get(it, "at")));
			buf_adds(o, "</td></tr>");
		}
		buf_adds(o, "</tbody></table></section>");
		web_call_release(&aud);
	}
	end(&p);
	web_call_release(&meta);
}

/* Reports sharing observables with {key}, through the API's scope. */
static void related_page(struct request *r)
{
	struct page p;
	char path[200];
	struct web_call rel;
	if (!open_page(r, &p, "report.related", "nav.reports", false))
		return;
	const char *id = r->param[0];
	if (strlen(id) > 150 || strpbrk(id, "&?")) {
		not_found(&p);
		return;
	}
	snprintf(path, sizeof(path), "/api/v1/reports/%s/related", id);
	web_call(r, "GET", path, "limit=50", NULL, NULL, 0, &rel);
	if (rel.status != 200) {
		web_call_release(&rel);
		not_found(&p);
		return;
	}
	struct buf *o = &r->out;
	begin(&p, 200);
	buf_adds(o, "<p>");
	report_link(o, id);
	buf_adds(o, "</p><ul>");
	size_t i, n = 0;
	json_t *it;
	json_array_foreach(json_object_get(rel.json, "items"), i, it)
	{
		const char *rid = json_string_value(json_object_get(it, "report"));
		if (!rid)
			continue;
		n++;
		buf_adds(o, "<li>");
		report_link(o, rid);
		buf_adds(o, "</li>");
	}
	buf_adds(o, "</ul>");
	if (!n)
		tag_text(&p, "<p>", "list.empty", "</p>");
	end(&p);
	web_call_release(&rel);
}

/* --- submit --- */

static const char *const audiences[] = {"all", "originator", NULL};

static void submit_form(struct page *p, int status, json_t *error)
{
	struct buf *o = &p->r->out;
	const char *field = json_string_value(json_object_get(error, "field"));
	bool on_audience = field && !strcmp(field, "audience");
	begin(p, status);
	if (error)
		api_error(p, error);
	buf_adds(o, "<form method=\"post\" action=\"/web/submit\" enctype=\"multipart/form-data\" "
		    "class=\"stack\">");
	html_csrf(o, &p->h);
	tag_text(p, "<label for=\"file\">", "submit.file", "</label>");
	tag_text(p, "<p class=\"hint\" id=\"file-hint\">", "submit.file_hint", "</p>");
	buf_adds(o, "<input id=\"file\" name=\"file\" type=\"file\" required "
		    "accept=\".json,.xml,application/json,application/xml\" "
		    "aria-describedby=\"file-hint");
	if (error && !on_audience && field) { /* the API's error is about the file */
		buf_adds(o, " error-");
		html_esc(o, field);
	}
	buf_adds(o, "\">");
	tag_text(p, "<fieldset><legend>", "submit.audience", "</legend>");
	for (int i = 0; audiences[i]; i++) {
		buf_addf(o,
			 "<div class=\"choice\"><input type=\"radio\" id=\"aud-%s\" "
			 "name=\"audience\" value=\"%s\"%s%s>",
			 audiences[i], audiences[i], i == 0 ? " checked" : "",
			 on_audience ? " aria-describedby=\"error-audience\"" : "");
		char key[40];
		snprintf(key, sizeof(key), "submit.audience.%s", audiences[i]);
		buf_addf(o, "<label for=\"aud-%s\">", audiences[i]);
		text(p, key);
		buf_adds(o, "</label></div>");
	}
	buf_adds(o, "<div class=\"choice\"><input type=\"radio\" id=\"aud-list\" "
		    "name=\"audience\" value=\"list\"><label for=\"aud-list\">");
	text(p, "submit.audience.list");
	buf_adds(o, "</label></div>");
	tag_text(p, "<label for=\"audience-list\">", "submit.audience.list_label", "</label>");
	buf_adds(o, "<input id=\"audience-list\" name=\"audience_list\" dir=\"ltr\" "
		    "placeholder=\"group:1,member:2\"></fieldset>");
	tag_text(p, "<p class=\"hint\">", "submit.tlp_hint", "</p>");
	tag_text(p, "<button type=\"submit\">", "submit.submit", "</button></form>");
	end(p);
}

static void get_submit(struct request *r)
{
	struct page p;
	if (open_page(r, &p, "submit.title", "nav.submit", false))
		submit_form(&p, 200, NULL);
}

/* The media type the API takes for an uploaded file: its own when it gives
 * a STIX or IODEF one, else from its name. */
static const char *upload_type(const struct form_field *f)
{
	const char *ct = f->content_type;
	if (ct && (strstr(ct, "stix") || strstr(ct, "xml")))
		return ct;
	const char *dot = f->filename ? strrchr(f->filename, '.') : NULL;
	if (dot && !strcasecmp(dot, ".xml"))
		return "application/xml";
	return "application/stix+json;version=2.1";
}

static void post_submit(struct request *r)
{
	struct page p;
	char q[600];
	if (!open_page(r, &p, "submit.title", "nav.submit", true))
		return;
	const struct form_field *file = form_field(&p.form, "file");
	const char *aud = form_get(&p.form, "audience");
	if (aud && !strcmp(aud, "list"))
		aud = form_get(&p.form, "audience_list");
	if (!file || !file->len) {
		json_t *e =
		    json_pack("{ss ss}", "message", t(&p, "submit.nofile"), "field", "file");
		submit_form(&p, 422, e);
		json_decref(e);
		return;
	}
	/* "originator": no audience (only the sender's member sees it). */
	if (aud && (!strcmp(aud, "originator") || !*aud))
		aud = NULL;
	if (aud && (strchr(aud, '&') || strlen(aud) > 500)) {
		json_t *e = json_pack("{ss ss}", "message", t(&p, "submit.badaudience"), "field",
				      "audience");
		submit_form(&p, 422, e);
		json_decref(e);
		return;
	}
	snprintf(q, sizeof(q), "%s%s", aud ? "audience=" : "", aud ? aud : "");
	struct web_call c;
	web_call(r, "POST", "/api/v1/reports", q, upload_type(file), file->value, file->len, &c);
	if (c.status == 201) {
		char to[200];
		snprintf(to, sizeof(to), "/web/reports/%.150s",
			 json_string_value(json_object_get(c.json, "id")));
		redirect(r, to);
	} else {
		submit_form(&p, c.status >= 400 && c.status < 500 ? c.status : 500,
			    web_call_error(&c));
	}
	web_call_release(&c);
}

/* --- alerts --- */

static void alert_rows(struct page *p, json_t *items, bool forms)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *a;
	buf_adds(o, "<table><thead><tr>");
	tag_text(p, "<th scope=\"col\">", "alert.id", "</th>");
	tag_text(p, "<th scope=\"col\">", "alert.created", "</th>");
	tag_text(p, "<th scope=\"col\">", "alert.report", "</th>");
	tag_text(p, "<th scope=\"col\">", "alert.observables", "</th>");
	tag_text(p, "<th scope=\"col\">", "alert.state", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(items, i, a)
	{
		json_int_t id = json_integer_value(json_object_get(a, "id"));
		json_t *rep = json_object_get(a, "report");
		const char *rid = json_string_value(json_object_get(rep, "id"));
		buf_addf(o, "<tr><td>%" JSON_INTEGER_FORMAT "</td><td>", id);
		when(p, json_string_value(json_object_get(a, "created")));
		buf_adds(o, "</td><td>");
		report_link(o, rid);
		buf_adds(o, " ");
		tlp_badge(p, json_string_value(json_object_get(rep, "tlp")));
		buf_adds(o, " ");
		html_esc(o, json_string_value(json_object_get(rep, "originator_name")));
		buf_adds(o, "</td><td><ul class=\"values\">");
		size_t k;
		json_t *v;
		json_array_foreach(json_object_get(a, "observables"), k, v)
		{
			const char *s = json_string_value(v);
			if (!s)
				s = json_string_value(json_object_get(v, "value"));
			buf_adds(o, "<li>");
			html_ltr(o, s);
			buf_adds(o, "</li>");
		}
		buf_adds(o, "</ul></td><td>");
		const char *state = json_string_value(json_object_get(a, "state"));
		bool open = state && !strcmp(state, "open");
		text(p, open ? "alert.open" : "alert.acked");
		if (open && forms) {
			buf_addf(o,
				 "<form method=\"post\" action=\"/web/alerts/%" JSON_INTEGER_FORMAT
				 "/ack\">",
				 id);
			html_csrf(o, &p->h);
			buf_addf(o, "<button type=\"submit\" id=\"ack-%" JSON_INTEGER_FORMAT "\">",
				 id);
			text(p, "alert.ack");
			buf_adds(o, "</button></form>");
		}
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
	if (!json_array_size(items))
		tag_text(p, "<p>", "list.empty", "</p>");
}

static void ackable_alert_rows(struct page *p, json_t *items)
{
	alert_rows(p, items, true);
}

static void alerts_page(struct request *r)
{
	paged_list(r, "alerts.title", "nav.alerts", "/api/v1/alerts", "/web/alerts",
		   ackable_alert_rows);
}

static void post_ack(struct request *r)
{
	struct page p;
	char path[64];
	if (!open_page(r, &p, "alerts.title", "nav.alerts", true))
		return;
	snprintf(path, sizeof(path), "/api/v1/alerts/%" PRId64 "/ack", r->id[0]);
	struct web_call c;
	web_call(r, "POST", path, NULL, "application/json", "{}", 2, &c);
	if (c.status >= 200 && c.status < 300) {
		redirect(r, "/web/alerts");
	} else if (c.status == 404) {
		not_found(&p);
	} else {
		begin(&p, c.status);
		api_error(&p, web_call_error(&c));
		end(&p);
	}
	web_call_release(&c);
}

/* --- dashboard --- */

static void dashboard(struct request *r)
{
	struct page p;
	char q[96], since[32];
	if (!open_page(r, &p, "dashboard.title", "nav.dashboard", false))
		return;
	struct buf *o = &r->out;
	struct web_call al, rep;
	web_call(r, "GET", "/api/v1/alerts", "open=true&limit=20", NULL, NULL, 0, &al);
	time_format_ms(time_now_ms() - 7LL * 86400000, since);
	snprintf(q, sizeof(q), "limit=20&order=newest&since=%s", since);
	web_call(r, "GET", "/api/v1/reports", q, NULL, NULL, 0, &rep);
	begin(&p, 200);
	/* Sections of later capabilities (requests with deadlines, checks
	 * waiting for an answer) go here, each from its own module. */
	buf_adds(o, "<section aria-labelledby=\"h-open\"><h2 id=\"h-open\">");
	i18n_plural_html(o, p.h.lang, "dashboard.open_alerts",
			 (int64_t)json_array_size(json_object_get(al.json, "items")));
	buf_adds(o, "</h2>");
	if (al.status == 200)
		alert_rows(&p, json_object_get(al.json, "items"), true);
	else
		api_error(&p, web_call_error(&al));
	buf_adds(o, "</section><section aria-labelledby=\"h-recent\"><h2 id=\"h-recent\">");
	text(&p, "dashboard.recent");
	buf_adds(o, "</h2>");
	if (rep.status == 200)
		report_rows(&p, json_object_get(rep.json, "items"));
	else
		api_error(&p, web_call_error(&rep));
	tag_text(&p, "<p><a href=\"/web/reports\">", "dashboard.all_reports", "</a></p>");
	buf_adds(o, "</section>");
	end(&p);
	web_call_release(&al);
	web_call_release(&rep);
}

/* --- directory, lookup, delisting, admin --- */

static bool contact_matches(json_t *c, const char *country, const char *role, bool h24,
			    const char *(*country_of)(void *, json_int_t), void *ctx)
{
	if (role && *role && strcmp(role, json_string_value(json_object_get(c, "role")) ?: ""))
		return false;
	json_t *av = json_object_get(c, "availability");
	if (h24 && !(json_is_string(av) && !strcmp(json_string_value(av), "24/7")))
		return false;
	if (country && *country) {
		const char *cc =
		    country_of(ctx, json_integer_value(json_object_get(c, "member_id")));
		if (!cc || strcasecmp(cc, country))
			return false;
	}
	return true;
}

static const char *member_country(void *ctx, json_int_t id)
{
	size_t i;
	json_t *m;
	json_array_foreach((json_t *)ctx, i,
			   m) if (json_integer_value(json_object_get(m, "id")) ==
				  id) return json_string_value(json_object_get(m, "country"));
	return NULL;
}

static void contacts_page(struct request *r)
{
	struct page p;
	if (!open_page(r, &p, "contacts.title", "nav.contacts", false))
		return;
	struct buf *o = &r->out;
	const char *country = http_query(r, "country"), *role = http_query(r, "role");
	bool h24 = http_query(r, "h24") != NULL;
	struct web_call c, m;
	web_call(r, "GET", "/api/v1/contacts", "limit=1000", NULL, NULL, 0, &c);
	web_call(r, "GET", "/api/v1/members", "limit=1000", NULL, NULL, 0, &m);
	begin(&p, 200);
	buf_adds(o, "<form method=\"get\" action=\"/web/contacts\" class=\"filters\">");
	tag_text(&p, "<label for=\"f-country\">", "contacts.country", "</label>");
	buf_adds(o,
		 "<input id=\"f-country\" name=\"country\" size=\"3\" maxlength=\"2\" dir=\"ltr\" "
		 "value=\"");
	html_esc(o, country);
	buf_adds(o, "\">");
	tag_text(&p, "<label for=\"f-role\">", "contacts.role", "</label>");
	buf_adds(o, "<input id=\"f-role\" name=\"role\" dir=\"ltr\" value=\"");
	html_esc(o, role);
	buf_addf(o,
		 "\"><div class=\"choice\"><input type=\"checkbox\" id=\"f-h24\" name=\"h24\" "
		 "value=\"1\"%s><label for=\"f-h24\">",
		 h24 ? " checked" : "");
	text(&p, "contacts.h24");
	tag_text(&p, "</label></div><button type=\"submit\">", "contacts.search",
		 "</button></form>");
	buf_adds(o, "<table><thead><tr>");
	tag_text(&p, "<th scope=\"col\">", "contacts.name", "</th>");
	tag_text(&p, "<th scope=\"col\">", "contacts.role", "</th>");
	tag_text(&p, "<th scope=\"col\">", "contacts.country", "</th>");
	tag_text(&p, "<th scope=\"col\">", "contacts.email", "</th>");
	tag_text(&p, "<th scope=\"col\">", "contacts.phone", "</th>");
	tag_text(&p, "<th scope=\"col\">", "contacts.availability", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_t *members = json_object_get(m.json, "items");
	size_t i, shown = 0;
	json_t *ct;
	json_array_foreach(json_object_get(c.json, "items"), i, ct)
	{
		if (!contact_matches(ct, country, role, h24, member_country, members))
			continue;
		shown++;
		buf_adds(o, "<tr><td>");
		html_esc(o, json_string_value(json_object_get(ct, "name")));
		buf_adds(o, "</td><td>");
		html_esc(o, json_string_value(json_object_get(ct, "role")));
		buf_adds(o, "</td><td>");
		html_ltr(o, member_country(members,
					   json_integer_value(json_object_get(ct, "member_id"))));
		buf_adds(o, "</td><td>");
		html_ltr(o, json_string_value(json_object_get(ct, "email")));
		buf_adds(o, "</td><td>");
		html_ltr(o, json_string_value(json_object_get(ct, "phone")));
		buf_adds(o, "</td><td>");
		json_t *av = json_object_get(ct, "availability");
		if (json_is_string(av) && !strcmp(json_string_value(av), "24/7"))
			text(&p, "contacts.h24");
		else if (json_is_string(av))
			html_esc(o, json_string_value(av));
		else
			text(&p, "contacts.hours");
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
	if (!shown)
		tag_text(&p, "<p>", "list.empty", "</p>");
	end(&p);
	web_call_release(&c);
	web_call_release(&m);
}

static void lookup_page(struct request *r)
{
	struct page p;
	if (!open_page(r, &p, "lookup.title", "nav.lookup", false))
		return;
	struct buf *o = &r->out;
	const char *value = http_query(r, "value");
	begin(&p, 200);
	buf_adds(o, "<form method=\"get\" action=\"/web/lookup\" class=\"filters\">");
	tag_text(&p, "<label for=\"value\">", "lookup.value", "</label>");
	buf_adds(o, "<input id=\"value\" name=\"value\" dir=\"ltr\" required value=\"");
	html_esc(o, value);
	tag_text(&p, "\"><button type=\"submit\">", "lookup.submit", "</button></form>");
	if (value && *value) {
		/* The JSON form of the API, so that any value (a URL with '&') passes. */
		json_t *body = json_pack("[s]", value);
		char *text_body = json_dumps(body, JSON_COMPACT);
		struct web_call c;
		web_call(r, "POST", "/api/v1/lookup", NULL, "application/json", text_body,
			 strlen(text_body), &c);
		free(text_body);
		json_decref(body);
		json_t *item = json_array_get(json_object_get(c.json, "items"), 0);
		if (c.status != 200)
			api_error(&p, web_call_error(&c));
		else if (json_object_get(item, "error")) {
			json_t *e = json_pack("{sO ss}", "message", json_object_get(item, "error"),
					      "field", "value");
			api_error(&p, e);
			json_decref(e);
		} else {
			buf_adds(o, "<h2>");
			html_ltr(o, value);
			buf_adds(o, "</h2><ul>");
			size_t i, n = 0;
			json_t *m;
			json_array_foreach(json_object_get(item, "matches"), i, m)
			{
				const char *rid = json_string_value(json_object_get(m, "report"));
				if (!rid)
					continue;
				n++;
				buf_adds(o, "<li>");
				report_link(o, rid);
				buf_adds(o, "</li>");
			}
			buf_adds(o, "</ul>");
			if (!n)
				tag_text(&p, "<p>", "lookup.none", "</p>");
		}
		web_call_release(&c);
	}
	end(&p);
}

/* The top of a form page: the page begun, `done_key`'s message (if not
 * NULL) or the API's `error`, and the form opened towards `action` with its
 * CSRF token. Returns the field the error names, or NULL. */
static const char *form_head(struct page *p, int status, json_t *error, const char *done_key,
			     const char *action)
{
	struct buf *o = &p->r->out;
	begin(p, status);
	if (done_key)
		tag_text(p, "<p role=\"status\">", done_key, "</p>");
	if (error)
		api_error(p, error);
	buf_adds(o, "<form method=\"post\" action=\"");
	buf_adds(o, action);
	buf_adds(o, "\" class=\"stack\">");
	html_csrf(o, &p->h);
	return json_string_value(json_object_get(error, "field"));
}

/* A form's POST: `body` (taken) to the API route `api` as the signed-in
 * person; then the form again, saying it was done when the API answered `ok`,
 * else with the API's error tied to its field. */
static void form_to_api(struct page *p, const char *api, json_t *body, int ok,
			void (*form)(struct page *p, int status, json_t *error, bool done))
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct web_call c;
	web_call(p->r, "POST", api, NULL, "application/json", text, strlen(text), &c);
	free(text);
	json_decref(body);
	if (c.status == ok)
		form(p, 200, NULL, true);
	else
		form(p, c.status, web_call_error(&c), false);
	web_call_release(&c);
}

static void delisting_form(struct page *p, int status, json_t *error, bool done)
{
	struct buf *o = &p->r->out;
	const char *field =
	    form_head(p, status, error, done ? "delisting.done" : NULL, "/web/delisting");
	tag_text(p, "<label for=\"value\">", "delisting.value", "</label>");
	buf_addf(o, "<input id=\"value\" name=\"value\" dir=\"ltr\" required%s>",
		 field && !strcmp(field, "value") ? " aria-describedby=\"error-value\"" : "");
	tag_text(p, "<label for=\"reason\">", "delisting.reason", "</label>");
	buf_addf(o, "<textarea id=\"reason\" name=\"reason\" required%s></textarea>",
		 field && !strcmp(field, "reason") ? " aria-describedby=\"error-reason\"" : "");
	tag_text(p, "<button type=\"submit\">", "delisting.submit", "</button></form>");
	end(p);
}

static void get_delisting(struct request *r)
{
	struct page p;
	if (open_page(r, &p, "delisting.title", "nav.delisting", false))
		delisting_form(&p, 200, NULL, false);
}

static void post_delisting(struct request *r)
{
	struct page p;
	if (!open_page(r, &p, "delisting.title", "nav.delisting", true))
		return;
	form_to_api(&p, "/api/v1/dnsbl/delisting-requests",
		    json_pack("{ss ss}", "value", form_get(&p.form, "value") ?: "", "reason",
			      form_get(&p.form, "reason") ?: ""),
		    201, delisting_form);
}

/* Answering a communication check: the code of the challenge, sent with the
 * signed-in person's member (the only answer that counts, check/). */
static void check_form(struct page *p, int status, json_t *error, bool done)
{
	struct buf *o = &p->r->out;
	const char *field = form_head(p, status, error, done ? "check.done" : NULL, "/web/check");
	tag_text(p, "<label for=\"code\">", "check.code", "</label>");
	buf_addf(o,
		 "<input id=\"code\" name=\"code\" dir=\"ltr\" autocomplete=\"off\" "
		 "required%s>",
		 field && !strcmp(field, "code") ? " aria-describedby=\"error-code\"" : "");
	tag_text(p, "<button type=\"submit\">", "check.submit", "</button></form>");
	end(p);
}

static void get_check(struct request *r)
{
	struct page p;
	if (open_page(r, &p, "check.title", "nav.check", false))
		check_form(&p, 200, NULL, false);
}

static void post_check(struct request *r)
{
	struct page p;
	if (!open_page(r, &p, "check.title", "nav.check", true))
		return;
	form_to_api(&p, "/api/v1/checks/answer",
		    json_pack("{ss}", "code", form_get(&p.form, "code") ?: ""), 200, check_form);
}

/* Admin: the members, groups and people of the node (changes: CLI or API). */
/* A role's name in the page's language. */
static void role_text(struct page *p, const char *role)
{
	char key[32];
	if (!role || strlen(role) > 16) {
		html_esc(&p->r->out, role);
		return;
	}
	snprintf(key, sizeof(key), "role.%s", role);
	text(p, key);
}

/* The form that adds a person's account (POST /api/v1/users). */
static void user_form(struct page *p, json_t *members, json_t *error)
{
	struct buf *o = &p->r->out;
	const char *field = json_string_value(json_object_get(error, "field"));
	size_t i;
	json_t *it;
	buf_adds(o, "<section aria-labelledby=\"h-adduser\"><h2 id=\"h-adduser\">");
	text(p, "admin.adduser");
	buf_adds(o, "</h2>");
	if (error)
		api_error(p, error);
	buf_adds(o, "<form method=\"post\" action=\"/web/admin/users\" class=\"stack\">");
	html_csrf(o, &p->h);
	tag_text(p, "<label for=\"u-member\">", "admin.member", "</label>");
	buf_addf(o, "<select id=\"u-member\" name=\"member\"%s>",
		 field && !strcmp(field, "member") ? " aria-describedby=\"error-member\"" : "");
	json_array_foreach(members, i, it)
	{
		buf_addf(o, "<option value=\"%" JSON_INTEGER_FORMAT "\">",
			 json_integer_value(json_object_get(it, "id")));
		html_esc(o, json_string_value(json_object_get(it, "name")));
		buf_adds(o, "</option>");
	}
	buf_adds(o, "</select>");
	tag_text(p, "<label for=\"u-email\">", "signin.email", "</label>");
	buf_addf(o, "<input id=\"u-email\" name=\"email\" type=\"email\" dir=\"ltr\" required%s>",
		 field && !strcmp(field, "email") ? " aria-describedby=\"error-email\"" : "");
	tag_text(p, "<label for=\"u-role\">", "admin.role", "</label>");
	buf_addf(o, "<select id=\"u-role\" name=\"role\"%s>",
		 field && !strcmp(field, "role") ? " aria-describedby=\"error-role\"" : "");
	static const char *const roles[] = {"reader", "analyst", "admin"};
	for (int k = 0; k < 3; k++) {
		char key[32];
		snprintf(key, sizeof(key), "role.%s", roles[k]);
		buf_addf(o, "<option value=\"%s\"%s>", roles[k], k == 1 ? " selected" : "");
		text(p, key);
		buf_adds(o, "</option>");
	}
	buf_adds(o, "</select>");
	tag_text(p, "<button type=\"submit\">", "admin.adduser_submit",
		 "</button></form></section>");
}

/* Admin: the members, groups and people of the node, and a form to add a
 * person (other changes: CLI or API). `created` is the API's answer to that
 * form (its enrolment code is shown once), `error` its refusal. */
static void admin_render(struct request *r, struct page *p, int status, json_t *created,
			 json_t *error)
{
	struct buf *o = &r->out;
	struct web_call m, g, u;
	web_call(r, "GET", "/api/v1/members", "limit=1000", NULL, NULL, 0, &m);
	web_call(r, "GET", "/api/v1/groups", "limit=1000", NULL, NULL, 0, &g);
	web_call(r, "GET", "/api/v1/users", "limit=1000", NULL, NULL, 0, &u);
	if (m.status == 403 || u.status == 403) {
		web_call_release(&m);
		web_call_release(&g);
		web_call_release(&u);
		not_found(p);
		return;
	}
	begin(p, status);
	size_t i;
	json_t *it;
	buf_adds(o, "<section aria-labelledby=\"h-members\"><h2 id=\"h-members\">");
	text(p, "admin.members");
	buf_adds(o, "</h2><table><thead><tr>");
	tag_text(p, "<th scope=\"col\">", "admin.name", "</th>");
	tag_text(p, "<th scope=\"col\">", "contacts.country", "</th>");
	tag_text(p, "<th scope=\"col\">", "admin.role", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(json_object_get(m.json, "items"), i, it)
	{
		buf_adds(o, "<tr><td>");
		html_esc(o, json_string_value(json_object_get(it, "name")));
		buf_adds(o, "</td><td>");
		html_ltr(o, json_string_value(json_object_get(it, "country")));
		buf_adds(o, "</td><td>");
		role_text(p, json_string_value(json_object_get(it, "role")));
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table></section>");
	buf_adds(o, "<section aria-labelledby=\"h-groups\"><h2 id=\"h-groups\">");
	text(p, "admin.groups");
	buf_adds(o, "</h2><ul>");
	json_array_foreach(json_object_get(g.json, "items"), i, it)
	{
		buf_adds(o, "<li>");
		html_esc(o, json_string_value(json_object_get(it, "name")));
		buf_adds(o, "</li>");
	}
	buf_adds(o, "</ul>");
	if (!json_array_size(json_object_get(g.json, "items")))
		tag_text(p, "<p>", "list.empty", "</p>");
	buf_adds(o, "</section>");
	buf_adds(o, "<section aria-labelledby=\"h-users\"><h2 id=\"h-users\">");
	text(p, "admin.users");
	buf_adds(o, "</h2><table><thead><tr>");
	tag_text(p, "<th scope=\"col\">", "signin.email", "</th>");
	tag_text(p, "<th scope=\"col\">", "admin.member", "</th>");
	tag_text(p, "<th scope=\"col\">", "admin.role", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(json_object_get(u.json, "items"), i, it)
	{
		buf_adds(o, "<tr><td>");
		html_ltr(o, json_string_value(json_object_get(it, "email")));
		buf_addf(o, "</td><td>%" JSON_INTEGER_FORMAT "</td><td>",
			 json_integer_value(json_object_get(it, "member")));
		role_text(p, json_string_value(json_object_get(it, "role")));
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table></section>");
	if (created) {
		buf_adds(o, "<div role=\"status\" class=\"done\"><p>");
		text(p, "admin.created");
		buf_adds(o, " ");
		html_ltr(o, json_string_value(json_object_get(created, "enrolment_code")));
		buf_adds(o, "</p></div>");
	}
	user_form(p, json_object_get(m.json, "items"), error);
	tag_text(p, "<p>", "admin.note", "</p>");
	end(p);
	web_call_release(&m);
	web_call_release(&g);
	web_call_release(&u);
}

static void admin_page(struct request *r)
{
	struct page p;
	if (open_page(r, &p, "admin.title", "nav.admin", false))
		admin_render(r, &p, 200, NULL, NULL);
}

static void post_admin_user(struct request *r)
{
	struct page p;
	if (!open_page(r, &p, "admin.title", "nav.admin", true))
		return;
	const char *member = form_get(&p.form, "member");
	int64_t mid = 0;
	if (!member || !http_parse_id(member, &mid))
		mid = 0;
	json_t *body =
	    json_pack("{sI ss ss}", "member", (json_int_t)mid, "email",
		      form_get(&p.form, "email") ?: "", "role", form_get(&p.form, "role") ?: "");
	char *text_body = json_dumps(body, JSON_COMPACT);
	struct web_call c;
	web_call(r, "POST", "/api/v1/users", NULL, "application/json", text_body, strlen(text_body),
		 &c);
	free(text_body);
	json_decref(body);
	if (c.status == 403)
		not_found(&p);
	else if (c.status == 201)
		admin_render(r, &p, 200, c.json, NULL);
	else
		admin_render(r, &p, c.status, NULL, web_call_error(&c));
	web_call_release(&c);
}

static void asset(struct request *r)
{
	if (strcmp(r->param[0], "style.css")) {
		http_error(r, 404, "not_found", NULL, "no asset %.60s", r->param[0]);
		return;
	}
	r->status = 200;
	r->content_type = "text/css; charset=utf-8";
	buf_add(&r->out, web_style_css, web_style_css_len);
}

static void root(struct request *r)
{
	redirect(r, "/web");
}

/* Public here means "no API token": each page finds its session itself and
 * sends to the sign-in page without one. */
#define PAGE ROUTE_PUBLIC
const struct route web_page_routes[] = {
    {"GET", "/", root, PAGE, NULL, "the web interface (redirects to /web)"},
    {"GET", "/web", dashboard, PAGE, NULL, "web: dashboard"},
    {"GET", "/web/signin", get_signin, PAGE, NULL, "web: sign-in form"},
    {"POST", "/web/signin", post_signin, PAGE, NULL, "web: sign in (password and TOTP)"},
    {"POST", "/web/signout", post_signout, PAGE, NULL, "web: sign out (or everywhere)"},
    {"GET", "/web/enrol", get_enrol, PAGE, NULL, "web: enrolment form"},
    {"POST", "/web/enrol", post_enrol, PAGE, NULL, "web: set a password with an enrolment code"},
    {"POST", "/web/language", post_language, PAGE, NULL, "web: choose the language"},
    {"GET", "/web/reports", list_reports_page, PAGE, NULL, "web: reports"},
    {"GET", "/web/reports/{key}", report_page, PAGE, NULL, "web: a report"},
    {"GET", "/web/reports/{key}/related", related_page, PAGE, NULL, "web: related reports"},
    {"GET", "/web/submit", get_submit, PAGE, NULL, "web: submit a report"},
    {"POST", "/web/submit", post_submit, PAGE, NULL, "web: submit a report (upload)"},
    {"GET", "/web/alerts", alerts_page, PAGE, NULL, "web: alerts"},
    {"POST", "/web/alerts/{id}/ack", post_ack, PAGE, NULL, "web: acknowledge an alert"},
    {"GET", "/web/contacts", contacts_page, PAGE, NULL, "web: points-of-contact directory"},
    {"GET", "/web/lookup", lookup_page, PAGE, NULL, "web: look up an address or domain"},
    {"GET", "/web/check", get_check, PAGE, NULL, "web: answer a communication check"},
    {"POST", "/web/check", post_check, PAGE, NULL, "web: answer a communication check"},
    {"GET", "/web/delisting", get_delisting, PAGE, NULL, "web: request a DNSBL delisting"},
    {"POST", "/web/delisting", post_delisting, PAGE, NULL, "web: request a DNSBL delisting"},
    {"GET", "/web/admin", admin_page, PAGE, NULL, "web: members, groups and people (admin)"},
    {"POST", "/web/admin/users", post_admin_user, PAGE, NULL,
     "web: add a person's account (admin)"},
    {"GET", "/web/assets/{key}", asset, PAGE, NULL, "web: the stylesheet"},
    {0},
};
