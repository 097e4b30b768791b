/* Each page: find the session (or send to sign-in), read through the API's
 * own handlers as the signed-in user (web/call.h: same policy, same audit),
 * write HTML with the one escaping function (web/html.h) in the user's
 * language (web/i18n.h). Forms post with a CSRF token bound to the session. */
#include "web/pages.h"
#include "web/qr.h"

#include "node.h"
#include "util/timeutil.h"
#include "web/call.h"
#include "web/page.h"
#include "web/pages_requests.h"
#include "web/totp.h"

#include <strings.h>

extern const char web_style_css[];
extern const size_t web_style_css_len;

/* --- sign-in, sign-out, enrolment, language --- */

static void signin_form(struct request *r, enum lang l, int status, const char *error_key,
			int64_t retry)
{
	struct page p = {.r = r};
	p.h = (struct html_page){.lang = l, .title_key = "signin.title", .here = "/web/signin"};
	page_begin(&p, status);
	struct buf *o = &r->out;
	const char *desc = error_key ? " aria-describedby=\"signin-error\"" : "";
	if (error_key) {
		buf_adds(o, "<div class=\"error\" role=\"alert\" id=\"signin-error\"><p>");
		page_text(&p, error_key);
		if (retry) {
			buf_adds(o, " ");
			i18n_plural_html(o, l, "signin.retry", (retry + 59) / 60);
		}
		buf_adds(o, "</p></div>");
	}
	buf_adds(o, "<form method=\"post\" action=\"/web/signin\" class=\"stack\">");
	page_tag_text(&p, "<label for=\"email\">", "signin.email", "</label>");
	buf_addf(o,
		 "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" "
		 "required%s>",
		 desc);
	page_tag_text(&p, "<label for=\"password\">", "signin.password", "</label>");
	buf_addf(o,
		 "<input id=\"password\" name=\"password\" type=\"password\" "
		 "autocomplete=\"current-password\" required%s>",
		 desc);
	page_tag_text(&p, "<label for=\"code\">", "signin.code", "</label>");
	buf_addf(o,
		 "<input id=\"code\" name=\"code\" inputmode=\"numeric\" pattern=\"[0-9]{6}\" "
		 "autocomplete=\"one-time-code\" required%s>",
		 desc);
	page_tag_text(&p, "<button type=\"submit\">", "signin.submit", "</button></form>");
	page_tag_text(&p, "<p><a href=\"/web/enrol\">", "enrol.link", "</a></p>");
	page_end(&p);
}

static void get_signin(struct request *r)
{
	signin_form(r, page_lang(r, NULL), 200, NULL, 0);
}

static void post_signin(struct request *r)
{
	struct page p = {.r = r};
	enum lang l = page_lang(r, NULL);
	int64_t retry;
	if (!page_same_origin(r)) {
		http_error(r, 403, "forbidden", "Origin", "Origin: a form from another site");
		return;
	}
	if (!page_read_form(&p))
		return;
	const char *email = form_get(&p.form, "email"), *pw = form_get(&p.form, "password");
	const char *code = form_get(&p.form, "code");
	if (!email || !*email || strlen(email) > 254 || !pw || !code) {
		signin_form(r, l, 422, "signin.failed", 0); /* an incomplete form */
		return;
	}
	int rc = session_signin(r, email, pw, code, &retry);
	if (!rc)
		page_redirect(r, "/web");
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
	if (!page_open(r, &p, "signin.title", NULL, true))
		return;
	bool everywhere = form_get(&p.form, "everywhere") != NULL;
	int rc = session_end(r, &p.s, everywhere);
	if (rc)
		http_error_detail(r, rc, NULL);
	else
		page_redirect(r, "/web/signin");
}

static void enrol_form(struct request *r, enum lang l, int status, json_t *error)
{
	struct page p = {.r = r};
	p.h = (struct html_page){.lang = l, .title_key = "enrol.title", .here = "/web/enrol"};
	page_begin(&p, status);
	struct buf *o = &r->out;
	if (error)
		page_api_error(&p, error);
	page_tag_text(&p, "<p>", "enrol.text", "</p>");
	buf_adds(o, "<form method=\"post\" action=\"/web/enrol\" class=\"stack\">");
	page_tag_text(&p, "<label for=\"code\">", "enrol.code", "</label>");
	buf_adds(o, "<input id=\"code\" name=\"code\" autocomplete=\"off\" required>");
	page_tag_text(&p, "<label for=\"password\">", "enrol.password", "</label>");
	buf_addf(o,
		 "<input id=\"password\" name=\"password\" type=\"password\" minlength=\"12\" "
		 "autocomplete=\"new-password\" required%s>",
		 error ? " aria-describedby=\"error-password\"" : "");
	page_tag_text(&p, "<button type=\"submit\">", "enrol.submit", "</button></form>");
	page_end(&p);
}

static void get_enrol(struct request *r)
{
	enrol_form(r, page_lang(r, NULL), 200, NULL);
}

static void post_enrol(struct request *r)
{
	struct page p = {.r = r};
	enum lang l = page_lang(r, NULL);
	char email[256], b32[TOTP_BASE32_MAX];
	struct err_detail err = {0};
	if (!page_same_origin(r)) {
		http_error(r, 403, "forbidden", "Origin", "Origin: a form from another site");
		return;
	}
	if (!page_read_form(&p))
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
	page_begin(&p, 200);
	struct buf *o = &r->out;
	page_tag_text(&p, "<p>", "enrol.totp", "</p>");
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
	int modules; /* the same URI for the app's camera (it always fits: < 600 bytes) */
	buf_adds(o, "<p class=\"qr\">");
	qr_svg(o, uri, page_t(&p, "enrol.qr"), &modules);
	buf_adds(o, "</p>");
	page_tag_text(&p, "<p><a href=\"/web/signin\">", "signin.title", "</a></p>");
	page_end(&p);
}

/* The language: the account's when signed in, else a cookie. */
static void post_language(struct request *r)
{
	struct page p = {.r = r};
	enum lang l;
	bool signed_in = session_find(r, &p.s) == ERR_OK;
	if (!page_same_origin(r) || !page_read_form(&p)) {
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
	page_redirect(r, back && !strncmp(back, "/web", 4) && !strpbrk(back, "\r\n\\") &&
				 strncmp(back, "//", 2)
			     ? back
			     : "/web");
}

/* --- reports --- */

static void report_rows(struct page *p, json_t *items)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *it;
	buf_adds(o, "<table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "report.id", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "report.originator", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "report.received", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "report.scope", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "report.objects", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(items, i, it)
	{
		const char *id = json_string_value(json_object_get(it, "id"));
		buf_adds(o, "<tr><td>");
		page_report_link(o, id);
		buf_adds(o, "</td><td>");
		html_esc(o, json_string_value(
				json_object_get(json_object_get(it, "originator"), "name")));
		buf_adds(o, "</td><td>");
		page_when(p, json_string_value(json_object_get(it, "received")));
		buf_adds(o, "</td><td>");
		page_tlp_badge(p, json_string_value(json_object_get(it, "tlp")));
		buf_adds(o, " ");
		page_audience(p, json_object_get(it, "audience"));
		buf_adds(o, "</td><td>");
		i18n_number(o, p->h.lang, json_integer_value(json_object_get(it, "objects")));
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
	if (!json_array_size(items))
		page_tag_text(p, "<p>", "list.empty", "</p>");
}

static void list_reports_page(struct request *r)
{
	page_list(r, "reports.title", "nav.reports", "/api/v1/reports", "/web/reports",
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
	if (!page_open(r, &p, "report.title", "nav.reports", false))
		return;
	const char *id = r->param[0];
	if (strlen(id) > 150 || strpbrk(id, "&?")) { /* no report id has them */
		page_not_found(&p);
		return;
	}
	snprintf(path, sizeof(path), "/api/v1/reports/%s", id);
	if (!page_get(&p, path, NULL, &meta))
		return;
	struct buf *o = &r->out;
	json_t *m = meta.json;
	page_begin(&p, 200);
	buf_adds(o, "<dl class=\"meta\">");
	page_tag_text(&p, "<dt>", "report.id", "</dt><dd>");
	html_ltr(o, id);
	page_tag_text(&p, "</dd><dt>", "report.originator", "</dt><dd>");
	html_esc(o, json_string_value(json_object_get(json_object_get(m, "originator"), "name")));
	page_tag_text(&p, "</dd><dt>", "report.received", "</dt><dd>");
	page_when(&p, json_string_value(json_object_get(m, "received")));
	page_tag_text(&p, "</dd><dt>", "report.scope", "</dt><dd>");
	page_tlp_badge(&p, json_string_value(json_object_get(m, "tlp")));
	buf_adds(o, " ");
	page_audience(&p, json_object_get(m, "audience"));
	page_tag_text(&p, "</dd><dt>", "report.format", "</dt><dd>");
	html_ltr(o, json_string_value(json_object_get(m, "format")));
	page_tag_text(&p, "</dd><dt>", "report.sha256", "</dt><dd>");
	html_ltr(o, json_string_value(json_object_get(m, "sha256")));
	buf_adds(o, "</dd></dl>");

	/* Objects, a page at a time (a report may hold millions). */
	const char *after = page_query_id(r, "after");
	snprintf(q, sizeof(q), "report=%.150s&versions=all&limit=%d%s%s", id, PAGE_SIZE,
		 after ? "&after=" : "", after ? after : "");
	web_call(r, "GET", "/api/v1/objects", q, NULL, NULL, 0, &objs);
	buf_adds(o, "<section aria-labelledby=\"h-objects\"><h2 id=\"h-objects\">");
	i18n_plural_html(o, p.h.lang, "report.objects_count",
			 json_integer_value(json_object_get(m, "objects")));
	buf_adds(o, "</h2>");
	if (objs.status != 200) {
		page_api_error(&p, web_call_error(&objs));
	} else {
		buf_adds(o, "<table><thead><tr>");
		page_tag_text(&p, "<th scope=\"col\">", "object.type", "</th>");
		page_tag_text(&p, "<th scope=\"col\">", "object.id", "</th>");
		page_tag_text(&p, "<th scope=\"col\">", "object.content", "</th>");
		buf_adds(o, "</tr></thead><tbody>");
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(objs.json, "items"), i, it) object_row(&p, it);
		buf_adds(o, "</tbody></table>");
		char base[200];
		snprintf(base, sizeof(base), "/web/reports/%.150s", id);
		page_next_link(&p, base, objs.json);
	}
	buf_adds(o, "</section>");
	web_call_release(&objs);

	/* Related reports: their own page, as finding them walks every
	 * observable of the report (tens of ms for 100,000). */
	page_section(&p, "h-related", "report.related");
	buf_adds(o, "<p><a href=\"/web/reports/");
	html_esc(o, id);
	buf_adds(o, "/related\">");
	page_text(&p, "report.related_link");
	buf_adds(o, "</a></p></section>");

	/* Who received it: for its originator only (the API decides). */
	json_int_t orig =
	    json_integer_value(json_object_get(json_object_get(m, "originator"), "id"));
	if (orig == r->who.member_id) {
		snprintf(path, sizeof(path), "/api/v1/reports/%.150s/audit", id);
		web_call(r, "GET", path, "limit=50", NULL, NULL, 0, &aud);
		page_section(&p, "h-audit", "report.audit");
		buf_adds(o, "<table><thead><tr>");
		page_tag_text(&p, "<th scope=\"col\">", "audit.member", "</th>");
		page_tag_text(&p, "<th scope=\"col\">", "audit.path", "</th>");
		page_tag_text(&p, "<th scope=\"col\">", "audit.at", "</th>");
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
			page_when(&p, json_string_value(json_object_get(it, "at")));
			buf_adds(o, "</td></tr>");
		}
		buf_adds(o, "</tbody></table></section>");
		web_call_release(&aud);
	}
	page_end(&p);
	web_call_release(&meta);
}

/* Reports sharing observables with {key}, through the API's scope. */
static void related_page(struct request *r)
{
	struct page p;
	char path[200];
	struct web_call rel;
	if (!page_open(r, &p, "report.related", "nav.reports", false))
		return;
	const char *id = r->param[0];
	if (strlen(id) > 150 || strpbrk(id, "&?")) {
		page_not_found(&p);
		return;
	}
	snprintf(path, sizeof(path), "/api/v1/reports/%s/related", id);
	if (!page_get(&p, path, "limit=50", &rel))
		return;
	struct buf *o = &r->out;
	page_begin(&p, 200);
	buf_adds(o, "<p>");
	page_report_link(o, id);
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
		page_report_link(o, rid);
		buf_adds(o, "</li>");
	}
	buf_adds(o, "</ul>");
	if (!n)
		page_tag_text(&p, "<p>", "list.empty", "</p>");
	page_end(&p);
	web_call_release(&rel);
}

/* --- submit --- */

static const char *const audiences[] = {"all", "originator", NULL};

/* The web upload's cap in whole megabytes (10^6 bytes, as the hint says MB). */
static int64_t upload_max_mb(struct request *r)
{
	return r->node->cfg->web_upload_max / 1000000;
}

static void submit_form(struct page *p, int status, json_t *error)
{
	struct buf *o = &p->r->out;
	const char *field = json_string_value(json_object_get(error, "field"));
	bool on_audience = field && !strcmp(field, "audience");
	page_begin(p, status);
	if (error)
		page_api_error(p, error);
	buf_adds(o, "<form method=\"post\" action=\"/web/submit\" enctype=\"multipart/form-data\" "
		    "class=\"stack\">");
	html_csrf(o, &p->h);
	page_tag_text(p, "<label for=\"file\">", "submit.file", "</label>");
	page_tag_text(p, "<p class=\"hint\" id=\"file-hint\">", "submit.file_hint", " ");
	i18n_plural_html(o, p->h.lang, "submit.size_hint", upload_max_mb(p->r));
	buf_adds(o, "</p>");
	buf_adds(o, "<input id=\"file\" name=\"file\" type=\"file\" required "
		    "accept=\".json,.xml,application/json,application/xml\" "
		    "aria-describedby=\"file-hint");
	if (error && !on_audience && field) { /* the API's error is about the file */
		buf_adds(o, " error-");
		html_esc(o, field);
	}
	buf_adds(o, "\">");
	page_tag_text(p, "<fieldset><legend>", "submit.audience", "</legend>");
	for (int i = 0; audiences[i]; i++) {
		buf_addf(o,
			 "<div class=\"choice\"><input type=\"radio\" id=\"aud-%s\" "
			 "name=\"audience\" value=\"%s\"%s%s>",
			 audiences[i], audiences[i], i == 0 ? " checked" : "",
			 on_audience ? " aria-describedby=\"error-audience\"" : "");
		char key[40];
		snprintf(key, sizeof(key), "submit.audience.%s", audiences[i]);
		buf_addf(o, "<label for=\"aud-%s\">", audiences[i]);
		page_text(p, key);
		buf_adds(o, "</label></div>");
	}
	buf_adds(o, "<div class=\"choice\"><input type=\"radio\" id=\"aud-list\" "
		    "name=\"audience\" value=\"list\"><label for=\"aud-list\">");
	page_text(p, "submit.audience.list");
	buf_adds(o, "</label></div>");
	page_tag_text(p, "<label for=\"audience-list\">", "submit.audience.list_label", "</label>");
	buf_adds(o, "<input id=\"audience-list\" name=\"audience_list\" dir=\"ltr\" "
		    "placeholder=\"group:1,member:2\"></fieldset>");
	page_tag_text(p, "<p class=\"hint\">", "submit.tlp_hint", "</p>");
	page_tag_text(p, "<button type=\"submit\">", "submit.submit", "</button></form>");
	page_end(p);
}

static void get_submit(struct request *r)
{
	struct page p;
	if (page_open(r, &p, "submit.title", "nav.submit", false))
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

/* The upload's body as it arrives: only a signed-in person's is read past
 * its first chunk, into memory up to web_upload_max (larger than the
 * body_max of other forms: bundles are often megabytes). */
static int submit_body(struct request *r, const char *data, size_t n)
{
	int64_t max = r->node->cfg->web_upload_max;
	if (r->body_bytes == n) { /* the first chunk (body_bytes counts it already) */
		struct page p = {.r = r};
		int rc = session_find(r, &p.s);
		if (rc) {
			r->abort_upload = true;
			if (rc == ERR_UNAUTH)
				http_error(r, 401, "unauthorized", NULL,
					   "sign in before uploading a report");
			else
				http_error_detail(r, rc, NULL);
			return rc;
		}
		buf_release(&r->body);
		buf_init(&r->body, (size_t)max);
		const char *cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > (unsigned long long)max) {
			/* Said at once, in the page: the rest is read and dropped. */
			p.h = (struct html_page){.lang = page_lang(r, &p.s),
						 .title_key = "submit.title",
						 .nav = "nav.submit",
						 .csrf = p.s.csrf,
						 .user = p.s.email,
						 .here = "/web/submit",
						 .admin = p.s.who.role == ROLE_ADMIN};
			json_t *e = json_pack("{ss ss}", "message", page_t(&p, "submit.too_large"),
					      "field", "file");
			submit_form(&p, 413, e);
			json_decref(e);
			return ERR_TOO_LARGE;
		}
	}
	if (buf_add(&r->body, data, n)) {
		r->abort_upload = true; /* longer than it said, or no length */
		http_error(r, 413, "too_large", "file",
			   "the upload is over the limit of %" PRId64 " bytes (web_upload_max)",
			   max);
		return ERR_TOO_LARGE;
	}
	return ERR_OK;
}

static void post_submit(struct request *r)
{
	struct page p;
	char q[600];
	if (!page_open(r, &p, "submit.title", "nav.submit", true))
		return;
	const struct form_field *file = form_field(&p.form, "file");
	const char *aud = form_get(&p.form, "audience");
	if (aud && !strcmp(aud, "list"))
		aud = form_get(&p.form, "audience_list");
	if (!file || !file->len) {
		json_t *e =
		    json_pack("{ss ss}", "message", page_t(&p, "submit.nofile"), "field", "file");
		submit_form(&p, 422, e);
		json_decref(e);
		return;
	}
	/* "originator": no page_audience (only the sender's member sees it). */
	if (aud && (!strcmp(aud, "originator") || !*aud))
		aud = NULL;
	if (aud && (strchr(aud, '&') || strlen(aud) > 500)) {
		json_t *e = json_pack("{ss ss}", "message", page_t(&p, "submit.badaudience"),
				      "field", "audience");
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
		page_redirect(r, to);
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
	page_tag_text(p, "<th scope=\"col\">", "alert.id", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "alert.created", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "alert.report", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "alert.observables", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "alert.state", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(items, i, a)
	{
		json_int_t id = json_integer_value(json_object_get(a, "id"));
		json_t *rep = json_object_get(a, "report");
		const char *rid = json_string_value(json_object_get(rep, "id"));
		buf_addf(o, "<tr><td>%" JSON_INTEGER_FORMAT "</td><td>", id);
		page_when(p, json_string_value(json_object_get(a, "created")));
		buf_adds(o, "</td><td>");
		page_report_link(o, rid);
		buf_adds(o, " ");
		page_tlp_badge(p, json_string_value(json_object_get(rep, "tlp")));
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
		page_text(p, open ? "alert.open" : "alert.acked");
		if (open && forms) {
			buf_addf(o,
				 "<form method=\"post\" action=\"/web/alerts/%" JSON_INTEGER_FORMAT
				 "/ack\">",
				 id);
			html_csrf(o, &p->h);
			buf_addf(o, "<button type=\"submit\" id=\"ack-%" JSON_INTEGER_FORMAT "\">",
				 id);
			page_text(p, "alert.ack");
			buf_adds(o, "</button></form>");
		}
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
	if (!json_array_size(items))
		page_tag_text(p, "<p>", "list.empty", "</p>");
}

static void ackable_alert_rows(struct page *p, json_t *items)
{
	alert_rows(p, items, true);
}

static void alerts_page(struct request *r)
{
	page_list(r, "alerts.title", "nav.alerts", "/api/v1/alerts", "/web/alerts",
		  ackable_alert_rows);
}

static void post_ack(struct request *r)
{
	struct page p;
	char path[64];
	if (!page_open(r, &p, "alerts.title", "nav.alerts", true))
		return;
	snprintf(path, sizeof(path), "/api/v1/alerts/%" PRId64 "/ack", r->id[0]);
	struct web_call c;
	web_call(r, "POST", path, NULL, "application/json", "{}", 2, &c);
	if (c.status >= 200 && c.status < 300) {
		page_redirect(r, "/web/alerts");
	} else if (c.status == 404) {
		page_not_found(&p);
	} else {
		page_begin(&p, c.status);
		page_api_error(&p, web_call_error(&c));
		page_end(&p);
	}
	web_call_release(&c);
}

/* --- dashboard --- */

static void dashboard(struct request *r)
{
	struct page p;
	char q[96], since[32];
	if (!page_open(r, &p, "dashboard.title", "nav.dashboard", false))
		return;
	struct buf *o = &r->out;
	struct web_call al, rep;
	web_call(r, "GET", "/api/v1/alerts", "open=true&limit=20", NULL, NULL, 0, &al);
	time_format_ms(time_now_ms() - 7LL * 86400000, since);
	snprintf(q, sizeof(q), "limit=20&order=newest&since=%s", since);
	web_call(r, "GET", "/api/v1/reports", q, NULL, NULL, 0, &rep);
	page_begin(&p, 200);
	/* Sections of later capabilities (requests with deadlines, checks
	 * waiting for an answer) go here, each from its own module. */
	web_requests_deadlines(&p);
	web_requests_checks_waiting(&p);
	buf_adds(o, "<section aria-labelledby=\"h-open\"><h2 id=\"h-open\">");
	i18n_plural_html(o, p.h.lang, "dashboard.open_alerts",
			 (int64_t)json_array_size(json_object_get(al.json, "items")));
	buf_adds(o, "</h2>");
	if (al.status == 200)
		alert_rows(&p, json_object_get(al.json, "items"), true);
	else
		page_api_error(&p, web_call_error(&al));
	buf_adds(o, "</section>");
	page_section(&p, "h-recent", "dashboard.recent");
	if (rep.status == 200)
		report_rows(&p, json_object_get(rep.json, "items"));
	else
		page_api_error(&p, web_call_error(&rep));
	page_tag_text(&p, "<p><a href=\"/web/reports\">", "dashboard.all_reports", "</a></p>");
	buf_adds(o, "</section>");
	page_end(&p);
	web_call_release(&al);
	web_call_release(&rep);
}

/* --- directory, lookup, delisting, check --- */

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
	if (!page_open(r, &p, "contacts.title", "nav.contacts", false))
		return;
	struct buf *o = &r->out;
	const char *country = http_query(r, "country"), *role = http_query(r, "role");
	bool h24 = http_query(r, "h24") != NULL;
	struct web_call c, m;
	web_call(r, "GET", "/api/v1/contacts", "limit=1000", NULL, NULL, 0, &c);
	web_call(r, "GET", "/api/v1/members", "limit=1000", NULL, NULL, 0, &m);
	page_begin(&p, 200);
	buf_adds(o, "<form method=\"get\" action=\"/web/contacts\" class=\"filters\">");
	page_tag_text(&p, "<label for=\"f-country\">", "contacts.country", "</label>");
	buf_adds(o,
		 "<input id=\"f-country\" name=\"country\" size=\"3\" maxlength=\"2\" dir=\"ltr\" "
		 "value=\"");
	html_esc(o, country);
	buf_adds(o, "\">");
	page_tag_text(&p, "<label for=\"f-role\">", "contacts.role", "</label>");
	buf_adds(o, "<input id=\"f-role\" name=\"role\" dir=\"ltr\" value=\"");
	html_esc(o, role);
	buf_addf(o,
		 "\"><div class=\"choice\"><input type=\"checkbox\" id=\"f-h24\" name=\"h24\" "
		 "value=\"1\"%s><label for=\"f-h24\">",
		 h24 ? " checked" : "");
	page_text(&p, "contacts.h24");
	page_tag_text(&p, "</label></div><button type=\"submit\">", "contacts.search",
		      "</button></form>");
	buf_adds(o, "<table><thead><tr>");
	page_tag_text(&p, "<th scope=\"col\">", "contacts.name", "</th>");
	page_tag_text(&p, "<th scope=\"col\">", "contacts.role", "</th>");
	page_tag_text(&p, "<th scope=\"col\">", "contacts.country", "</th>");
	page_tag_text(&p, "<th scope=\"col\">", "contacts.email", "</th>");
	page_tag_text(&p, "<th scope=\"col\">", "contacts.phone", "</th>");
	page_tag_text(&p, "<th scope=\"col\">", "contacts.availability", "</th>");
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
			page_text(&p, "contacts.h24");
		else if (json_is_string(av))
			html_esc(o, json_string_value(av));
		else
			page_text(&p, "contacts.hours");
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
	if (!shown)
		page_tag_text(&p, "<p>", "list.empty", "</p>");
	page_end(&p);
	web_call_release(&c);
	web_call_release(&m);
}

static void lookup_page(struct request *r)
{
	struct page p;
	if (!page_open(r, &p, "lookup.title", "nav.lookup", false))
		return;
	struct buf *o = &r->out;
	const char *value = http_query(r, "value");
	page_begin(&p, 200);
	buf_adds(o, "<form method=\"get\" action=\"/web/lookup\" class=\"filters\">");
	page_tag_text(&p, "<label for=\"value\">", "lookup.value", "</label>");
	buf_adds(o, "<input id=\"value\" name=\"value\" dir=\"ltr\" required value=\"");
	html_esc(o, value);
	page_tag_text(&p, "\"><button type=\"submit\">", "lookup.submit", "</button></form>");
	json_t *body = value && *value ? json_pack("[s]", value) : NULL;
	if (value && *value && !body) { /* not UTF-8 (json_pack refuses it) */
		json_t *e =
		    json_pack("{ss ss}", "message", "value: not UTF-8 text", "field", "value");
		page_api_error(&p, e);
		json_decref(e);
	} else if (value && *value) {
		/* The JSON form of the API, so that any value (a URL with '&') passes. */
		char *text_body = json_dumps(body, JSON_COMPACT);
		struct web_call c;
		web_call(r, "POST", "/api/v1/lookup", NULL, "application/json", text_body,
			 strlen(text_body), &c);
		free(text_body);
		json_decref(body);
		json_t *item = json_array_get(json_object_get(c.json, "items"), 0);
		if (c.status != 200)
			page_api_error(&p, web_call_error(&c));
		else if (json_object_get(item, "error")) {
			json_t *e = json_pack("{sO ss}", "message", json_object_get(item, "error"),
					      "field", "value");
			page_api_error(&p, e);
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
				page_report_link(o, rid);
				buf_adds(o, "</li>");
			}
			buf_adds(o, "</ul>");
			if (!n)
				page_tag_text(&p, "<p>", "lookup.none", "</p>");
		}
		web_call_release(&c);
	}
	page_end(&p);
}

static void delisting_form(struct page *p, int status, json_t *error, bool done)
{
	struct buf *o = &p->r->out;
	const char *field =
	    page_form_head(p, status, error, done ? "delisting.done" : NULL, "/web/delisting");
	page_tag_text(p, "<label for=\"value\">", "delisting.value", "</label>");
	buf_addf(o, "<input id=\"value\" name=\"value\" dir=\"ltr\" required%s>",
		 field && !strcmp(field, "value") ? " aria-describedby=\"error-value\"" : "");
	page_tag_text(p, "<label for=\"reason\">", "delisting.reason", "</label>");
	buf_addf(o, "<textarea id=\"reason\" name=\"reason\" required%s></textarea>",
		 field && !strcmp(field, "reason") ? " aria-describedby=\"error-reason\"" : "");
	page_tag_text(p, "<button type=\"submit\">", "delisting.submit", "</button></form>");
	page_end(p);
}

static void get_delisting(struct request *r)
{
	struct page p;
	if (page_open(r, &p, "delisting.title", "nav.delisting", false))
		delisting_form(&p, 200, NULL, false);
}

static void post_delisting(struct request *r)
{
	struct page p;
	if (!page_open(r, &p, "delisting.title", "nav.delisting", true))
		return;
	page_form_to_api(&p, "/api/v1/dnsbl/delisting-requests",
			 json_pack("{ss ss}", "value", form_get(&p.form, "value") ?: "", "reason",
				   form_get(&p.form, "reason") ?: ""),
			 201, delisting_form);
}

/* Answering a communication check: the code of the challenge, sent with the
 * signed-in person's member (the only answer that counts, check/). */
static void check_form(struct page *p, int status, json_t *error, bool done)
{
	struct buf *o = &p->r->out;
	const char *field =
	    page_form_head(p, status, error, done ? "check.done" : NULL, "/web/check");
	page_tag_text(p, "<label for=\"code\">", "check.code", "</label>");
	buf_addf(o,
		 "<input id=\"code\" name=\"code\" dir=\"ltr\" autocomplete=\"off\" "
		 "required%s>",
		 field && !strcmp(field, "code") ? " aria-describedby=\"error-code\"" : "");
	page_tag_text(p, "<button type=\"submit\">", "check.submit", "</button></form>");
	page_end(p);
}

static void get_check(struct request *r)
{
	struct page p;
	if (page_open(r, &p, "check.title", "nav.check", false))
		check_form(&p, 200, NULL, false);
}

static void post_check(struct request *r)
{
	struct page p;
	if (!page_open(r, &p, "check.title", "nav.check", true))
		return;
	page_form_to_api(&p, "/api/v1/checks/answer",
			 json_pack("{ss}", "code", form_get(&p.form, "code") ?: ""), 200,
			 check_form);
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
	page_redirect(r, "/web");
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
    {"POST", "/web/submit", post_submit, PAGE | ROUTE_STREAM, submit_body,
     "web: submit a report (upload)"},
    {"GET", "/web/alerts", alerts_page, PAGE, NULL, "web: alerts"},
    {"POST", "/web/alerts/{id}/ack", post_ack, PAGE, NULL, "web: acknowledge an alert"},
    {"GET", "/web/contacts", contacts_page, PAGE, NULL, "web: points-of-contact directory"},
    {"GET", "/web/lookup", lookup_page, PAGE, NULL, "web: look up an address or domain"},
    {"GET", "/web/check", get_check, PAGE, NULL, "web: answer a communication check"},
    {"POST", "/web/check", post_check, PAGE, NULL, "web: answer a communication check"},
    {"GET", "/web/delisting", get_delisting, PAGE, NULL, "web: request a DNSBL delisting"},
    {"POST", "/web/delisting", post_delisting, PAGE, NULL, "web: request a DNSBL delisting"},
    {"GET", "/web/assets/{key}", asset, PAGE, NULL, "web: the stylesheet"},
    {0},
};
