/* The frame and the shared pieces of the web pages (web/page.h). */
#include "web/page.h"

#include "util/timeutil.h"
#include "web/call.h"

#include <string.h>
#include <strings.h>

enum lang page_lang(struct request *r, const struct web_session *s)
{
	enum lang l;
	if (s && s->has_lang)
		return s->lang;
	if (i18n_parse(MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "atalaya_lang"), &l))
		return l;
	return i18n_negotiate(http_header(r, "Accept-Language"));
}

void page_redirect(struct request *r, const char *to)
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
bool page_same_origin(struct request *r)
{
	const char *origin = http_header(r, "Origin"), *host = http_header(r, "Host");
	if (!origin || !strcmp(origin, "null"))
		return !origin;
	const char *p = strstr(origin, "://");
	return p && host && !strcmp(p + 3, host);
}

void page_begin(struct page *p, int status)
{
	p->r->status = status;
	p->r->content_type = PAGE_HTML_TYPE;
	buf_reset(&p->r->out);
	html_begin(&p->r->out, &p->h);
}

void page_end(struct page *p)
{
	html_end(&p->r->out, &p->h);
}

/* Parses a form body (urlencoded or multipart); false after answering 400. */
bool page_read_form(struct page *p)
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
bool page_open(struct request *r, struct page *p, const char *title, const char *nav, bool post)
{
	memset(p, 0, sizeof(*p));
	p->r = r;
	int rc = session_find(r, &p->s);
	if (rc) {
		if (rc == ERR_UNAUTH)
			page_redirect(r, "/web/signin");
		else
			http_error_detail(r, rc, NULL);
		return false;
	}
	r->who = p->s.who;
	r->authenticated = true;
	p->h = (struct html_page){.lang = page_lang(r, &p->s),
				  .title_key = title,
				  .nav = nav,
				  .csrf = p->s.csrf,
				  .user = p->s.email,
				  .here = r->url,
				  .admin = p->s.who.role == ROLE_ADMIN};
	if (!post)
		return true;
	if (!page_same_origin(r)) {
		http_error(r, 403, "forbidden", "Origin", "Origin: a form from another site");
		return false;
	}
	if (!page_read_form(p))
		return false;
	if (!session_csrf_ok(&p->s, form_get(&p->form, "csrf"))) {
		http_error(r, 403, "forbidden", "csrf",
			   "csrf: the form's token is missing or not this session's; reload the "
			   "page and send it again");
		return false;
	}
	return true;
}

const char *page_t(const struct page *p, const char *key)
{
	return i18n_text(p->h.lang, key);
}

void page_text(struct page *p, const char *key)
{
	html_esc(&p->r->out, page_t(p, key));
}

void page_tag_text(struct page *p, const char *open, const char *key, const char *close)
{
	buf_adds(&p->r->out, open);
	page_text(p, key);
	buf_adds(&p->r->out, close);
}

void page_section(struct page *p, const char *id, const char *key)
{
	buf_addf(&p->r->out, "<section aria-labelledby=\"%s\"><h2 id=\"%s\">", id, id);
	page_tag_text(p, "", key, "</h2>");
}

/* An RFC 3339 time of the API, written per locale in a <time>. */
void page_when(struct page *p, const char *rfc3339)
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

void page_tlp_badge(struct page *p, const char *tlp)
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

void page_audience(struct page *p, json_t *aud)
{
	size_t i;
	json_t *v;
	if (!json_array_size(aud)) {
		page_text(p, "audience.originator");
		return;
	}
	json_array_foreach(aud, i, v)
	{
		if (i)
			buf_adds(&p->r->out, " ");
		const char *s = json_string_value(v);
		if (s && !strcmp(s, "all"))
			page_text(p, "audience.all");
		else
			html_ltr(&p->r->out, s);
	}
}

/* An API error shown in the page: the message the API gives, tied to its
 * field by id "error-FIELD" (the field's aria-describedby). */
void page_api_error(struct page *p, json_t *e)
{
	const char *field = json_string_value(json_object_get(e, "field"));
	buf_adds(&p->r->out, "<div class=\"error\" role=\"alert\"");
	if (field) {
		buf_adds(&p->r->out, " id=\"error-");
		html_esc(&p->r->out, field);
		buf_adds(&p->r->out, "\"");
	}
	buf_adds(&p->r->out, "><p>");
	page_text(p, "error.api");
	buf_adds(&p->r->out, " ");
	html_esc(&p->r->out, json_string_value(json_object_get(e, "message")));
	buf_adds(&p->r->out, "</p></div>");
}

void page_not_found(struct page *p)
{
	p->h.title_key = "notfound.title";
	page_begin(p, 404);
	page_tag_text(p, "<p>", "notfound.text", "</p>");
	page_end(p);
}

bool page_get(struct page *p, const char *path, const char *query, struct web_call *c)
{
	web_call(p->r, "GET", path, query, NULL, NULL, 0, c);
	if (c->status == 200)
		return true;
	web_call_release(c);
	page_not_found(p);
	return false;
}

void page_forbidden(struct page *p, json_t *error)
{
	p->h.title_key = "forbidden.title";
	page_begin(p, 403);
	page_tag_text(p, "<p>", "forbidden.text", "</p>");
	if (error)
		page_api_error(p, error);
	page_end(p);
}

void page_tenths(struct page *p, int64_t tenths)
{
	i18n_number(&p->r->out, p->h.lang, tenths / 10);
	page_text(p, "number.decimal");
	i18n_number(&p->r->out, p->h.lang, tenths % 10);
}

/* A link to the next page of a list when the API gave a cursor. */
void page_next_link(struct page *p, const char *base, json_t *page)
{
	const char *next = json_string_value(json_object_get(page, "next"));
	if (!next)
		return;
	buf_adds(&p->r->out, "<p><a class=\"next\" href=\"");
	html_esc(&p->r->out, base);
	buf_adds(&p->r->out, strchr(base, '?') ? "&amp;after=" : "?after=");
	html_esc(&p->r->out, next);
	buf_adds(&p->r->out, "\">");
	page_text(p, "list.next");
	buf_adds(&p->r->out, "</a></p>");
}

/* An id from the query (?after=): digits only, or NULL. */
const char *page_query_id(struct request *r, const char *name)
{
	const char *v = http_query(r, name);
	int64_t id;
	return v && http_parse_id(v, &id) ? v : NULL;
}

/* A link to a report's page, its id kept left to right in any language. */
void page_report_link(struct buf *o, const char *id)
{
	buf_adds(o, "<a href=\"/web/reports/");
	html_esc(o, id);
	buf_adds(o, "\">");
	html_ltr(o, id);
	buf_adds(o, "</a>");
}

/* A page of the API's list at `api` (PAGE_SIZE items after ?after=), drawn
 * by `rows`, with a link to the next page at `web`: the reports and alerts. */
void page_list(struct request *r, const char *title, const char *nav, const char *api,
	       const char *web, void (*rows)(struct page *p, json_t *items))
{
	struct page p;
	char q[64];
	if (!page_open(r, &p, title, nav, false))
		return;
	const char *after = page_query_id(r, "after");
	snprintf(q, sizeof(q), "limit=%d%s%s", PAGE_SIZE, after ? "&after=" : "",
		 after ? after : "");
	struct web_call c;
	web_call(r, "GET", api, q, NULL, NULL, 0, &c);
	page_begin(&p, 200);
	if (c.status != 200)
		page_api_error(&p, web_call_error(&c));
	else {
		rows(&p, json_object_get(c.json, "items"));
		page_next_link(&p, web, c.json);
	}
	page_end(&p);
	web_call_release(&c);
}

/* The top of a form page: the page begun, `done_key`'s message (if not
 * NULL) or the API's `error`, and the form opened towards `action` with its
 * CSRF token. Returns the field the error names, or NULL. */
const char *page_form_head(struct page *p, int status, json_t *error, const char *done_key,
			   const char *action)
{
	struct buf *o = &p->r->out;
	page_begin(p, status);
	if (done_key)
		page_tag_text(p, "<p role=\"status\">", done_key, "</p>");
	if (error)
		page_api_error(p, error);
	buf_adds(o, "<form method=\"post\" action=\"");
	buf_adds(o, action);
	buf_adds(o, "\" class=\"stack\">");
	html_csrf(o, &p->h);
	return json_string_value(json_object_get(error, "field"));
}

/* A form's POST: `body` (taken) to the API route `api` as the signed-in
 * person; then the form again, saying it was done when the API answered `ok`,
 * else with the API's error tied to its field. */
void page_form_to_api(struct page *p, const char *api, json_t *body, int ok,
		      void (*form)(struct page *p, int status, json_t *error, bool done))
{
	if (!body) { /* a value that is not UTF-8 (json_pack refuses it): no browser sends one */
		http_error(p->r, 400, "bad_request", NULL, "the form is not UTF-8 text");
		return;
	}
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