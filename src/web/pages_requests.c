/* Requests for assistance on the web: the list, the form that opens one, a
 * request's page with the actions the person may take (each a small POST
 * form, no script), and the dashboard's crisis sections. Every read and
 * write is the API's own route called as the signed-in person (web/call.h):
 * the same policy_may_see, the same 404 for a request one may not see, the
 * same validation errors, shown tied to their field. */
#include "web/pages_requests.h"

#include "util/xalloc.h"
#include "web/call.h"

#include <string.h>

#define REQUEST_ID_MAX 80 /* "request--" and a UUID, with room */
#define DASHBOARD_ROWS 10

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The catalogue's name of an API value (`prefix`.`value`), or the value
 * itself, left to right, when the catalogue has none (a newer API's). */
static void value_text(struct page *p, const char *prefix, const char *value)
{
	char key[64];
	if (!value)
		return;
	snprintf(key, sizeof(key), "%s.%s", prefix, value);
	const char *t = page_t(p, key);
	if (strcmp(t, key))
		html_esc(&p->r->out, t);
	else
		html_ltr(&p->r->out, value);
}

/* ` aria-describedby="HINT error-NAME"` as far as either applies. */
static void described_by(struct buf *o, const char *hint, const char *error_field, const char *name)
{
	bool err = error_field && !strcmp(error_field, name);
	if (!hint && !err)
		return;
	buf_adds(o, " aria-describedby=\"");
	if (hint)
		buf_adds(o, hint);
	if (err) {
		buf_adds(o, hint ? " error-" : "error-");
		html_esc(o, name);
	}
	buf_adds(o, "\"");
}

static bool id_ok(const char *id)
{
	return id && *id && strlen(id) <= REQUEST_ID_MAX && !strpbrk(id, "&?/%#");
}

static void request_link(struct buf *o, json_t *it)
{
	buf_adds(o, "<a href=\"/web/requests/");
	html_esc(o, jstr(it, "id"));
	buf_adds(o, "\">");
	html_esc(o, jstr(it, "title"));
	buf_adds(o, "</a>");
}

/* The marks a person must not miss: an exercise, and a deadline passed. */
static void marks(struct page *p, json_t *it)
{
	if (json_is_true(json_object_get(it, "exercise")))
		page_tag_text(p, " <strong class=\"mark exercise\">", "requests.exercise",
			      "</strong>");
}

static void deadline_cell(struct page *p, json_t *it)
{
	page_when(p, jstr(it, "deadline"));
	if (json_is_true(json_object_get(it, "overdue")))
		page_tag_text(p, " <strong class=\"mark overdue\">", "requests.overdue",
			      "</strong>");
}

static void state_cell(struct page *p, json_t *it)
{
	value_text(p, "requests.state", jstr(it, "state"));
	if (jstr(it, "outcome")) {
		buf_adds(&p->r->out, " (");
		value_text(p, "requests.outcome", jstr(it, "outcome"));
		buf_adds(&p->r->out, ")");
	}
}

/* --- the list --- */

static void request_rows(struct page *p, json_t *items)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *it;
	if (!json_array_size(items)) {
		page_tag_text(p, "<p>", "list.empty", "</p>");
		return;
	}
	buf_adds(o, "<table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.title", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.kind", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.priority", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.state", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.requester", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.addressees", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.deadline", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(items, i, it)
	{
		buf_adds(o, "<tr><td>");
		request_link(o, it);
		marks(p, it);
		buf_adds(o, "</td><td>");
		value_text(p, "requests.kind", jstr(it, "kind"));
		buf_adds(o, "</td><td>");
		value_text(p, "requests.priority", jstr(it, "priority"));
		buf_adds(o, "</td><td>");
		state_cell(p, it);
		buf_adds(o, "</td><td>");
		html_esc(o, jstr(json_object_get(it, "originator"), "name"));
		buf_adds(o, "</td><td>");
		page_tlp_badge(p, jstr(it, "tlp"));
		buf_adds(o, " ");
		page_audience(p, json_object_get(it, "audience"));
		buf_adds(o, "</td><td>");
		deadline_cell(p, it);
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
}

static const char *const whiches[] = {"all", "addressed", "mine", NULL};
static const char *const orders[] = {"newest", "deadline", NULL};

static const char *one_of(const char *v, const char *const *set)
{
	for (int i = 0; set[i]; i++)
		if (v && !strcmp(v, set[i]))
			return set[i];
	return set[0];
}

static void select_field(struct page *p, const char *id, const char *name, const char *label,
			 const char *prefix, const char *const *values, const char *chosen,
			 const char *error_field)
{
	struct buf *o = &p->r->out;
	buf_addf(o, "<div class=\"field\"><label for=\"%s\">", id);
	page_text(p, label);
	buf_addf(o, "</label> <select id=\"%s\" name=\"%s\"", id, name);
	described_by(o, NULL, error_field, id);
	buf_adds(o, ">");
	for (int i = 0; values[i]; i++) {
		char key[64];
		snprintf(key, sizeof(key), "%s.%s", prefix, values[i]);
		buf_addf(o, "<option value=\"%s\"%s>", values[i],
			 chosen && !strcmp(chosen, values[i]) ? " selected" : "");
		page_text(p, key);
		buf_adds(o, "</option>");
	}
	buf_adds(o, "</select></div>");
}

static void checkbox(struct page *p, const char *id, const char *name, const char *value,
		     bool checked, const char *label_key, const char *label_text)
{
	struct buf *o = &p->r->out;
	buf_addf(o, "<div class=\"choice\"><input type=\"checkbox\" id=\"%s\" name=\"%s\" ", id,
		 name);
	buf_adds(o, "value=\"");
	html_esc(o, value);
	buf_addf(o, "\"%s><label for=\"%s\">", checked ? " checked" : "", id);
	if (label_key)
		page_text(p, label_key);
	else
		html_esc(o, label_text);
	buf_adds(o, "</label></div>");
}

/* GET /web/requests?which=all|addressed|mine&open=1&overdue=1&order=newest|deadline */
static void list_page(struct request *r)
{
	struct page p;
	char q[200], base[120];
	if (!page_open(r, &p, "requests.title", "nav.requests", false))
		return;
	struct buf *o = &r->out;
	const char *which = one_of(http_query(r, "which"), whiches);
	const char *order = one_of(http_query(r, "order"), orders);
	bool open = http_query(r, "open") != NULL, overdue = http_query(r, "overdue") != NULL;
	const char *after = page_query_id(r, "after");
	snprintf(q, sizeof(q), "limit=%d&order=%s%s%s%s%s%s", PAGE_SIZE, order,
		 strcmp(which, "all") ? "&" : "", strcmp(which, "all") ? which : "",
		 strcmp(which, "all") ? "=true" : "", open ? "&open=true" : "",
		 overdue ? "&overdue=true" : "");
	if (after) {
		size_t n = strlen(q);
		snprintf(q + n, sizeof(q) - n, "&after=%s", after);
	}
	snprintf(base, sizeof(base), "/web/requests?which=%s&order=%s%s%s", which, order,
		 open ? "&open=1" : "", overdue ? "&overdue=1" : "");
	struct web_call c;
	web_call(r, "GET", "/api/v1/requests", q, NULL, NULL, 0, &c);
	page_begin(&p, 200);
	page_tag_text(&p, "<p><a href=\"/web/requests/new\">", "requests.new", "</a></p>");
	buf_adds(o, "<form method=\"get\" action=\"/web/requests\" class=\"filters\">");
	select_field(&p, "f-which", "which", "requests.filter.which", "requests.which", whiches,
		     which, NULL);
	checkbox(&p, "f-open", "open", "1", open, "requests.filter.open", NULL);
	checkbox(&p, "f-overdue", "overdue", "1", overdue, "requests.filter.overdue", NULL);
	select_field(&p, "f-order", "order", "requests.filter.order", "requests.order", orders,
		     order, NULL);
	page_tag_text(&p, "<button type=\"submit\">", "requests.filter.apply", "</button></form>");
	if (c.status != 200) {
		page_api_error(&p, web_call_error(&c));
	} else {
		request_rows(&p, json_object_get(c.json, "items"));
		/* the next page's link keeps the filters */
		page_next_link(&p, base, c.json);
	}
	page_end(&p);
	web_call_release(&c);
}

/* --- opening a request --- */

static const char *const kinds[] = {"assistance", "clarification", "capacity", NULL};
static const char *const priorities[] = {"normal", "low", "high", "critical", NULL};
static const char *const tlps[] = {"amber", "clear", "green", "amber+strict", "red", NULL};

/* Is `value` among the posted values of `name` (the audience's checkboxes)? */
static bool posted_has(const struct form *f, const char *name, const char *value)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->f[i].name, name) && !strcmp(f->f[i].value, value))
			return true;
	return false;
}

/* A labelled <input id=ID name=NAME>, its hint and error tied to it. */
static void text_input(struct page *p, const char *id, const char *name, const char *label,
		       const char *hint, const char *field, const char *value, const char *attrs)
{
	struct buf *o = &p->r->out;
	buf_addf(o, "<label for=\"%s\">", id);
	page_text(p, label);
	buf_adds(o, "</label>");
	char hint_id[40];
	snprintf(hint_id, sizeof(hint_id), "%s-hint", id);
	if (hint) {
		buf_addf(o, "<p class=\"hint\" id=\"%s\">", hint_id);
		page_text(p, hint);
		buf_adds(o, "</p>");
	}
	buf_addf(o, "<input id=\"%s\" name=\"%s\" %s", id, name, attrs);
	described_by(o, hint ? hint_id : NULL, field, id);
	buf_adds(o, " value=\"");
	html_esc(o, value);
	buf_adds(o, "\">");
}

/* The audience: all members, or groups and members named one by one. */
static void audience_fieldset(struct page *p, const struct form *f, const char *field)
{
	struct buf *o = &p->r->out;
	struct web_call g, m;
	char id[48], value[48];
	size_t i;
	json_t *it;
	web_call(p->r, "GET", "/api/v1/groups", "limit=1000", NULL, NULL, 0, &g);
	web_call(p->r, "GET", "/api/v1/members", "limit=1000", NULL, NULL, 0, &m);
	buf_adds(o, "<fieldset id=\"audience\"");
	described_by(o, NULL, field, "audience");
	buf_adds(o, "><legend>");
	page_text(p, "requests.form.audience");
	buf_adds(o, "</legend>");
	checkbox(p, "aud-all", "audience", "all", posted_has(f, "audience", "all"),
		 "requests.form.audience_all", NULL);
	if (json_array_size(json_object_get(g.json, "items"))) {
		page_tag_text(p, "<p class=\"hint\">", "requests.form.groups", "</p>");
		json_array_foreach(json_object_get(g.json, "items"), i, it)
		{
			json_int_t gid = json_integer_value(json_object_get(it, "id"));
			snprintf(id, sizeof(id), "aud-g%" JSON_INTEGER_FORMAT, gid);
			snprintf(value, sizeof(value), "group:%" JSON_INTEGER_FORMAT, gid);
			checkbox(p, id, "audience", value, posted_has(f, "audience", value), NULL,
				 jstr(it, "name"));
		}
	}
	page_tag_text(p, "<p class=\"hint\">", "requests.form.members", "</p>");
	json_array_foreach(json_object_get(m.json, "items"), i, it)
	{
		json_int_t mid = json_integer_value(json_object_get(it, "id"));
		if (mid == p->r->who.member_id) /* the requester is in its own scope */
			continue;
		snprintf(id, sizeof(id), "aud-m%" JSON_INTEGER_FORMAT, mid);
		snprintf(value, sizeof(value), "member:%" JSON_INTEGER_FORMAT, mid);
		checkbox(p, id, "audience", value, posted_has(f, "audience", value), NULL,
			 jstr(it, "name"));
	}
	buf_adds(o, "</fieldset>");
	web_call_release(&g);
	web_call_release(&m);
}

static void new_form(struct page *p, int status, json_t *error)
{
	struct buf *o = &p->r->out;
	const struct form *f = &p->form;
	const char *field = page_form_head(p, status, error, NULL, "/web/requests/new");
	select_field(p, "kind", "kind", "requests.form.kind", "requests.kind", kinds,
		     form_get(f, "kind"), field);
	text_input(p, "title", "title", "requests.form.title", NULL, field, form_get(f, "title"),
		   "required maxlength=\"200\"");
	buf_adds(o, "<label for=\"text\">");
	page_text(p, "requests.form.text");
	buf_adds(o, "</label><textarea id=\"text\" name=\"text\" rows=\"6\"");
	described_by(o, NULL, field, "text");
	buf_adds(o, ">");
	html_esc(o, form_get(f, "text"));
	buf_adds(o, "</textarea>");
	select_field(p, "priority", "priority", "requests.form.priority", "requests.priority",
		     priorities, form_get(f, "priority"), field);
	text_input(p, "deadline", "deadline", "requests.form.deadline",
		   "requests.form.deadline_hint", field, form_get(f, "deadline"),
		   "required dir=\"ltr\" autocomplete=\"off\"");
	select_field(p, "tlp", "tlp", "requests.form.tlp", "requests.tlp", tlps, form_get(f, "tlp"),
		     field);
	audience_fieldset(p, f, field);
	text_input(p, "needs", "needs", "requests.form.needs", "requests.form.needs_hint", field,
		   form_get(f, "needs"), "dir=\"ltr\" autocomplete=\"off\"");
	text_input(p, "reports", "reports", "requests.form.reports", "requests.form.reports_hint",
		   field, form_get(f, "reports"), "dir=\"ltr\" autocomplete=\"off\"");
	checkbox(p, "exercise", "exercise", "1", form_get(f, "exercise") != NULL,
		 "requests.form.exercise", NULL);
	page_tag_text(p, "<button type=\"submit\">", "requests.form.submit", "</button></form>");
	page_end(p);
}

static void get_new(struct request *r)
{
	struct page p;
	if (page_open(r, &p, "requests.new", "nav.requests", false))
		new_form(&p, 200, NULL);
}

/* "a, b c" as ["a","b","c"]; NULL when the field is empty (not sent). */
static json_t *split_list(const char *s)
{
	json_t *out = NULL;
	while (s && *s) {
		size_t skip = strspn(s, ", \t\r\n"), n;
		s += skip;
		if (!(n = strcspn(s, ", \t\r\n")))
			break;
		if (!out)
			out = json_array();
		/* not UTF-8: a value the API refuses by name, not one dropped here */
		json_array_append_new(out, json_stringn(s, n) ?: json_string("?"));
		s += n;
	}
	return out;
}

/* A textarea's value as the API takes it: browsers send line breaks as
 * CR LF (HTML's form submission), the API's texts have LF alone. */
static json_t *lines(const char *s)
{
	size_t n = s ? strlen(s) : 0, k = 0;
	char *t = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r')
			t[k++] = s[i];
		else if (s[i + 1] != '\n')
			t[k++] = '\n';
	json_t *v = json_stringn(t, k);
	free(t);
	return v;
}

static void post_new(struct request *r)
{
	struct page p;
	if (!page_open(r, &p, "requests.new", "nav.requests", true))
		return;
	const struct form *f = &p.form;
	json_t *aud = json_array(), *needs = split_list(form_get(f, "needs")),
	       *reports = split_list(form_get(f, "reports"));
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->f[i].name, "audience"))
			json_array_append_new(aud, json_string(f->f[i].value));
	json_t *body = json_pack(
	    "{ss ss ss ss ss ss so sb}", "kind", form_get(f, "kind") ?: "", "title",
	    form_get(f, "title") ?: "", "text", form_get(f, "text") ?: "", "deadline",
	    form_get(f, "deadline") ?: "", "priority", form_get(f, "priority") ?: "", "tlp",
	    form_get(f, "tlp") ?: "", "audience", aud, "exercise", form_get(f, "exercise") != NULL);
	if (!body) { /* a value that is not UTF-8: no browser sends one for our pages */
		json_decref(needs);
		json_decref(reports);
		http_error(r, 400, "bad_request", NULL, "the form is not UTF-8 text");
		return;
	}
	if (needs)
		json_object_set_new(body, "needs", needs);
	if (reports)
		json_object_set_new(body, "reports", reports);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	struct web_call c;
	web_call(r, "POST", "/api/v1/requests", NULL, "application/json", text, strlen(text), &c);
	free(text);
	if (c.status == 201) {
		char to[160];
		snprintf(to, sizeof(to), "/web/requests/%.100s", jstr(c.json, "id"));
		page_redirect(r, to);
	} else {
		new_form(&p, c.status >= 400 && c.status < 500 ? c.status : 500,
			 web_call_error(&c));
	}
	web_call_release(&c);
}

/* --- a request's page --- */

/* Which form on the page an error belongs to ("answer", "offer", "close"),
 * so that its field is named "<form>-<field>" and tied to that form. */
struct action_error {
	const char *form;
	json_t *error;
};

/* Shows `ae`'s error inside form `form` if it is that form's; returns the
 * field the error names there ("answer-text"), or NULL. */
static const char *form_error(struct page *p, const struct action_error *ae, const char *form,
			      char *field, size_t size)
{
	const char *f = jstr(ae->error, "field");
	if (!ae->error || !ae->form || strcmp(ae->form, form) || !f)
		return NULL;
	snprintf(field, size, "%s-%s", form, f);
	json_t *e =
	    json_pack("{sO ss}", "message", json_object_get(ae->error, "message"), "field", field);
	page_api_error(p, e);
	json_decref(e);
	return field;
}

/* The value a failed form posted, to show it again; NULL otherwise. */
static const char *posted(struct page *p, const struct action_error *ae, const char *form,
			  const char *name)
{
	return ae->error && ae->form && !strcmp(ae->form, form) ? form_get(&p->form, name) : NULL;
}

static void form_open(struct page *p, const char *id, const char *action)
{
	struct buf *o = &p->r->out;
	buf_adds(o, "<form method=\"post\" class=\"stack\" action=\"/web/requests/");
	html_esc(o, id);
	buf_adds(o, "/");
	buf_adds(o, action);
	buf_adds(o, "\">");
	html_csrf(o, &p->h);
}

static void textarea(struct page *p, const char *id, const char *name, const char *label,
		     const char *err_field, const char *value, bool required)
{
	struct buf *o = &p->r->out;
	buf_addf(o, "<label for=\"%s\">", id);
	page_text(p, label);
	buf_addf(o, "</label><textarea id=\"%s\" name=\"%s\" rows=\"4\"%s", id, name,
		 required ? " required" : "");
	described_by(o, NULL, err_field, id);
	buf_adds(o, ">");
	html_esc(o, value);
	buf_adds(o, "</textarea>");
}

/* Seconds as the locale writes a number, with a unit (s, min, h). */
static void duration(struct page *p, json_t *seconds)
{
	double s = json_number_value(seconds);
	if (!json_is_number(seconds)) {
		buf_adds(&p->r->out, "—");
		return;
	}
	const char *unit = s < 120    ? "requests.unit.s"
			   : s < 7200 ? "requests.unit.min"
				      : "requests.unit.h";
	i18n_number(&p->r->out, p->h.lang, (int64_t)(s < 120 ? s : s < 7200 ? s / 60 : s / 3600));
	buf_adds(&p->r->out, " ");
	page_text(p, unit);
}

/* The name of `id` in the API's list `items` (members, groups), or NULL. */
static const char *name_of(json_t *items, int64_t id)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		if (json_integer_value(json_object_get(it, "id")) == id)
			return jstr(it, "name");
	}
	return NULL;
}

/* A request's addressees by name (the members' and groups' lists the API
 * gives the person); an item it cannot name stays as written. */
static void addressees(struct page *p, json_t *aud)
{
	struct web_call g = {0}, m = {0};
	size_t i;
	json_t *v;
	if (!json_array_size(aud)) {
		page_text(p, "audience.originator");
		return;
	}
	web_call(p->r, "GET", "/api/v1/groups", "limit=1000", NULL, NULL, 0, &g);
	web_call(p->r, "GET", "/api/v1/members", "limit=1000", NULL, NULL, 0, &m);
	json_array_foreach(aud, i, v)
	{
		const char *item = json_string_value(v), *name = NULL;
		int64_t id = 0;
		if (i)
			buf_adds(&p->r->out, ", ");
		if (item && !strcmp(item, "all")) {
			page_text(p, "audience.all");
			continue;
		}
		if (item && !strncmp(item, "member:", 7) && http_parse_id(item + 7, &id))
			name = name_of(json_object_get(m.json, "items"), id);
		else if (item && !strncmp(item, "group:", 6) && http_parse_id(item + 6, &id))
			name = name_of(json_object_get(g.json, "items"), id);
		if (name)
			html_esc(&p->r->out, name);
		else
			html_ltr(&p->r->out, item);
	}
	web_call_release(&g);
	web_call_release(&m);
}

/* Links to the reports of `ids` (a JSON array), space-separated. */
static void report_links(struct buf *o, json_t *ids)
{
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
	{
		buf_adds(o, i ? " " : "");
		page_report_link(o, json_string_value(v));
	}
}

static void meta(struct page *p, json_t *rq)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *v;
	buf_adds(o, "<dl class=\"meta\">");
	page_tag_text(p, "<dt>", "requests.field.id", "</dt><dd>");
	html_ltr(o, jstr(rq, "id"));
	page_tag_text(p, "</dd><dt>", "requests.col.kind", "</dt><dd>");
	value_text(p, "requests.kind", jstr(rq, "kind"));
	page_tag_text(p, "</dd><dt>", "requests.col.priority", "</dt><dd>");
	value_text(p, "requests.priority", jstr(rq, "priority"));
	page_tag_text(p, "</dd><dt>", "requests.col.state", "</dt><dd>");
	state_cell(p, rq);
	page_tag_text(p, "</dd><dt>", "requests.col.requester", "</dt><dd>");
	html_esc(o, jstr(json_object_get(rq, "originator"), "name"));
	page_tag_text(p, "</dd><dt>", "requests.field.created", "</dt><dd>");
	page_when(p, jstr(rq, "created"));
	page_tag_text(p, "</dd><dt>", "requests.col.deadline", "</dt><dd>");
	deadline_cell(p, rq);
	page_tag_text(p, "</dd><dt>", "requests.col.addressees", "</dt><dd>");
	page_tlp_badge(p, jstr(rq, "tlp"));
	buf_adds(o, " ");
	addressees(p, json_object_get(rq, "audience"));
	buf_adds(o, "</dd>");
	if (json_array_size(json_object_get(rq, "needs"))) {
		page_tag_text(p, "<dt>", "requests.field.needs", "</dt><dd>");
		json_array_foreach(json_object_get(rq, "needs"), i, v)
		{
			buf_adds(o, i ? ", " : "");
			html_ltr(o, json_string_value(v));
		}
		buf_adds(o, "</dd>");
	}
	if (json_array_size(json_object_get(rq, "reports"))) {
		page_tag_text(p, "<dt>", "requests.field.reports", "</dt><dd>");
		report_links(o, json_object_get(rq, "reports"));
		buf_adds(o, "</dd>");
	}
	json_t *t = json_object_get(rq, "times");
	static const char *const times[][2] = {
	    {"seconds_to_acknowledge", "requests.field.to_ack"},
	    {"seconds_to_first_answer", "requests.field.to_answer"},
	    {"seconds_to_first_offer", "requests.field.to_offer"},
	};
	for (size_t k = 0; k < 3; k++) {
		if (!json_is_number(json_object_get(t, times[k][0])))
			continue;
		page_tag_text(p, "<dt>", times[k][1], "</dt><dd>");
		duration(p, json_object_get(t, times[k][0]));
		buf_adds(o, "</dd>");
	}
	buf_adds(o, "</dl>");
	if (jstr(rq, "text") && *jstr(rq, "text")) {
		buf_adds(o, "<div class=\"request-text\">");
		html_esc(o, jstr(rq, "text"));
		buf_adds(o, "</div>");
	}
}

static void answers(struct page *p, json_t *items)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *a;
	page_section(p, "h-answers", "requests.answers");
	if (!json_array_size(items))
		page_tag_text(p, "<p>", "list.empty", "</p>");
	else
		buf_adds(o, "<ol class=\"thread\">");
	json_array_foreach(items, i, a)
	{
		buf_adds(o, "<li><p class=\"hint\">");
		html_esc(o, jstr(json_object_get(a, "member"), "name"));
		buf_adds(o, " · ");
		page_when(p, jstr(a, "at"));
		buf_adds(o, "</p><div class=\"request-text\">");
		html_esc(o, jstr(a, "text"));
		buf_adds(o, "</div>");
		if (json_array_size(json_object_get(a, "attach"))) {
			page_tag_text(p, "<p>", "requests.field.reports", ": ");
			report_links(o, json_object_get(a, "attach"));
			buf_adds(o, "</p>");
		}
		buf_adds(o, "</li>");
	}
	if (json_array_size(items))
		buf_adds(o, "</ol>");
	buf_adds(o, "</section>");
}

/* Offers: the originator sees all of them (and decides on the pending
 * ones), another member only its own (the API decides which). */
static void offers(struct page *p, json_t *rq, bool originator, bool closed)
{
	struct buf *o = &p->r->out;
	json_t *items = json_object_get(rq, "offers"), *it;
	size_t i;
	if (!json_array_size(items))
		return;
	page_section(p, "h-offers", "requests.offers");
	buf_adds(o, "<table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.member", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.when", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.offer.capability", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.offer.text", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.state", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(items, i, it)
	{
		json_int_t id = json_integer_value(json_object_get(it, "id"));
		const char *state = jstr(it, "state");
		/* the member's cell names the offer its buttons decide */
		buf_addf(o, "<tr><td id=\"offer-%" JSON_INTEGER_FORMAT "\">", id);
		html_esc(o, jstr(json_object_get(it, "member"), "name"));
		buf_adds(o, "</td><td>");
		page_when(p, jstr(it, "at"));
		buf_adds(o, "</td><td>");
		html_ltr(o, jstr(it, "capability"));
		buf_adds(o, "</td><td>");
		html_esc(o, jstr(it, "text"));
		buf_adds(o, "</td><td>");
		value_text(p, "requests.offer", state);
		if (originator && !closed && state && !strcmp(state, "pending")) {
			static const char *const acts[] = {"accept", "decline"};
			buf_adds(o, "<div class=\"offer-actions\">");
			for (int k = 0; k < 2; k++) {
				char action[64], key[40];
				snprintf(action, sizeof(action),
					 "offers/%" JSON_INTEGER_FORMAT "/%s", id, acts[k]);
				snprintf(key, sizeof(key), "requests.offer.%s", acts[k]);
				buf_adds(o, "<form method=\"post\" class=\"inline\" "
					    "action=\"/web/requests/");
				html_esc(o, jstr(rq, "id"));
				buf_addf(o, "/%s\">", action);
				html_csrf(o, &p->h);
				buf_addf(o,
					 "<button type=\"submit\" id=\"%s-%" JSON_INTEGER_FORMAT
					 "\" aria-describedby=\"offer-%" JSON_INTEGER_FORMAT "\">",
					 acts[k], id, id);
				page_text(p, key);
				buf_adds(o, "</button></form>");
			}
			buf_adds(o, "</div>");
		}
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table></section>");
}

static void history(struct page *p, json_t *items)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *it;
	page_section(p, "h-history", "requests.history");
	buf_adds(o, "<table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.when", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.member", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.what", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(items, i, it)
	{
		buf_adds(o, "<tr><td>");
		page_when(p, jstr(it, "at"));
		buf_adds(o, "</td><td>");
		if (jstr(it, "member_name"))
			html_esc(o, jstr(it, "member_name"));
		else
			page_text(p, "requests.node");
		buf_adds(o, "</td><td>");
		value_text(p, "requests.what", jstr(it, "what"));
		/* the closing note is what a person wrote; the node's own details
		 * (counts, offer numbers) are English and said by `what` alone */
		const char *what = jstr(it, "what"), *detail = jstr(it, "detail");
		if (detail && what &&
		    (!strcmp(what, "resolved") || !strcmp(what, "declined") ||
		     !strcmp(what, "expired"))) {
			buf_adds(o, ": ");
			html_esc(o, detail);
		}
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table></section>");
}

/* The originator's view: who was told and when they reacted, who saw it. */
static void members(struct page *p, json_t *rq)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *it, *list = json_object_get(rq, "members"), *seen = json_object_get(rq, "seen_by");
	if (!json_is_array(list))
		return;
	page_section(p, "h-members", "requests.members");
	buf_adds(o, "<table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.member", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.told", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.field.to_ack", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.field.to_answer", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "requests.col.seen", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(list, i, it)
	{
		json_int_t m = json_integer_value(json_object_get(it, "member"));
		json_t *view = NULL, *v;
		size_t k;
		json_array_foreach(seen, k, v)
		{
			if (json_integer_value(json_object_get(v, "member")) == m)
				view = v;
		}
		buf_adds(o, "<tr><td>");
		html_esc(o, jstr(it, "name"));
		buf_adds(o, "</td><td>");
		page_when(p, jstr(it, "told_at"));
		buf_adds(o, "</td><td>");
		duration(p, json_object_get(it, "seconds_to_acknowledge"));
		buf_adds(o, "</td><td>");
		duration(p, json_object_get(it, "seconds_to_answer"));
		buf_adds(o, "</td><td>");
		page_when(p, view ? jstr(view, "first_at") : NULL);
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
	if (!json_array_size(list))
		page_tag_text(p, "<p>", "list.empty", "</p>");
	buf_adds(o, "</section>");
}

/* Has the person's member already acknowledged (or answered, or offered)? */
static bool acknowledged(json_t *rq, int64_t member)
{
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(rq, "history"), i, h)
	{
		const char *what = jstr(h, "what");
		if (json_integer_value(json_object_get(h, "member")) == member && what &&
		    (!strcmp(what, "acknowledged") || !strcmp(what, "answered") ||
		     !strcmp(what, "offered")))
			return true;
	}
	return false;
}

static const char *const outcomes[] = {"resolved", "declined", "expired", NULL};

static void actions(struct page *p, json_t *rq, bool originator, const struct action_error *ae)
{
	struct buf *o = &p->r->out;
	const char *id = jstr(rq, "id");
	char field[64];
	const char *ef;
	page_section(p, "h-actions", "requests.actions");
	if (!originator && !acknowledged(rq, p->r->who.member_id)) {
		form_open(p, id, "ack");
		page_tag_text(p, "<button type=\"submit\" id=\"ack\">", "requests.ack",
			      "</button></form>");
	}
	form_open(p, id, "answer");
	ef = form_error(p, ae, "answer", field, sizeof(field));
	textarea(p, "answer-text", "text", originator ? "requests.comment" : "requests.answer", ef,
		 posted(p, ae, "answer", "text"), true);
	text_input(p, "answer-attach", "attach", "requests.form.reports",
		   "requests.form.reports_hint", ef, posted(p, ae, "answer", "attach"),
		   "dir=\"ltr\"");
	page_tag_text(p, "<button type=\"submit\">", "requests.answer.submit", "</button></form>");
	if (!originator) {
		form_open(p, id, "offer");
		ef = form_error(p, ae, "offer", field, sizeof(field));
		text_input(p, "offer-capability", "capability", "requests.offer.capability",
			   "requests.offer.capability_hint", ef,
			   posted(p, ae, "offer", "capability"), "required dir=\"ltr\"");
		textarea(p, "offer-text", "text", "requests.offer.text", ef,
			 posted(p, ae, "offer", "text"), false);
		page_tag_text(p, "<button type=\"submit\">", "requests.offer.submit",
			      "</button></form>");
	} else {
		form_open(p, id, "close");
		ef = form_error(p, ae, "close", field, sizeof(field));
		buf_adds(o, "<label for=\"close-outcome\">");
		page_text(p, "requests.close.outcome");
		buf_adds(o, "</label><select id=\"close-outcome\" name=\"outcome\"");
		described_by(o, NULL, ef, "close-outcome");
		buf_adds(o, ">");
		for (int i = 0; outcomes[i]; i++) {
			char key[48];
			snprintf(key, sizeof(key), "requests.outcome.%s", outcomes[i]);
			buf_addf(o, "<option value=\"%s\">", outcomes[i]);
			page_text(p, key);
			buf_adds(o, "</option>");
		}
		buf_adds(o, "</select>");
		textarea(p, "close-text", "text", "requests.close.text", ef,
			 posted(p, ae, "close", "text"), false);
		page_tag_text(p, "<button type=\"submit\">", "requests.close.submit",
			      "</button></form>");
	}
	buf_adds(o, "</section>");
}

/* The page of request {key} as the API shows it to the person, with an
 * action's error when one failed (status then the API's). */
static void request_page(struct page *p, int status, const struct action_error *ae)
{
	struct buf *o = &p->r->out;
	char path[160];
	const char *id = p->r->param[0];
	struct web_call c;
	if (!id_ok(id)) {
		page_not_found(p);
		return;
	}
	snprintf(path, sizeof(path), "/api/v1/requests/%s", id);
	if (!page_get(p, path, NULL, &c))
		return;
	json_t *rq = c.json;
	bool originator = json_integer_value(json_object_get(json_object_get(rq, "originator"),
							     "id")) == p->r->who.member_id;
	bool closed = !strcmp(jstr(rq, "state") ?: "", "closed");
	page_begin(p, status);
	/* an error no form field of the page names (a closed request, an offer
	 * decided meanwhile) comes first */
	if (ae->error && !jstr(ae->error, "field"))
		page_api_error(p, ae->error);
	buf_adds(o, "<h2 class=\"request-title\">");
	html_esc(o, jstr(rq, "title"));
	marks(p, rq);
	buf_adds(o, "</h2>");
	meta(p, rq);
	answers(p, json_object_get(rq, "answers"));
	offers(p, rq, originator, closed);
	if (closed)
		page_tag_text(p, "<p role=\"status\">", "requests.closed", "</p>");
	else
		actions(p, rq, originator, ae);
	history(p, json_object_get(rq, "history"));
	members(p, rq);
	page_end(p);
	web_call_release(&c);
}

static void show_page(struct request *r)
{
	struct page p;
	struct action_error none = {NULL, NULL};
	if (page_open(r, &p, "requests.page", "nav.requests", false))
		request_page(&p, 200, &none);
}

/* An action's POST: the body `build` makes of the form, to the API's `what`
 * under the request; back to the request's page when done (so a reload
 * does not post again), else the page with the API's error. */
static void act(struct request *r, const char *form, const char *what,
		json_t *(*build)(const struct form *f))
{
	struct page p;
	char path[200], to[160];
	if (!page_open(r, &p, "requests.page", "nav.requests", true))
		return;
	if (!id_ok(r->param[0])) {
		page_not_found(&p);
		return;
	}
	snprintf(path, sizeof(path), "/api/v1/requests/%s/%s", r->param[0], what);
	json_t *body = build(&p.form);
	if (!body) { /* a value that is not UTF-8: no browser sends one for our pages */
		http_error(r, 400, "bad_request", NULL, "the form is not UTF-8 text");
		return;
	}
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	struct web_call c;
	web_call(r, "POST", path, NULL, "application/json", text, strlen(text), &c);
	free(text);
	if (c.status >= 200 && c.status < 300) {
		snprintf(to, sizeof(to), "/web/requests/%s", r->param[0]);
		page_redirect(r, to);
	} else {
		/* the request page again: its 404 when the person may not see it */
		struct action_error ae = {form, web_call_error(&c)};
		request_page(&p, c.status >= 400 && c.status < 500 ? c.status : 500, &ae);
	}
	web_call_release(&c);
}

static json_t *empty_body(const struct form *f)
{
	(void)f;
	return json_object();
}

static json_t *answer_body(const struct form *f)
{
	json_t *b = json_pack("{so}", "text", lines(form_get(f, "text")));
	json_t *attach = split_list(form_get(f, "attach"));
	if (b && attach)
		json_object_set_new(b, "attach", attach);
	else
		json_decref(attach);
	return b;
}

static json_t *offer_body(const struct form *f)
{
	return json_pack("{ss so}", "capability", form_get(f, "capability") ?: "", "text",
			 lines(form_get(f, "text")));
}

static json_t *close_body(const struct form *f)
{
	json_t *b = json_pack("{ss}", "outcome", form_get(f, "outcome") ?: "");
	const char *text = form_get(f, "text");
	json_t *note = text && *text ? lines(text) : NULL;
	if (!b || (text && *text && !note)) { /* not UTF-8: refused, not closed without it */
		json_decref(b);
		json_decref(note);
		return NULL;
	}
	if (note)
		json_object_set_new(b, "text", note);
	return b;
}

static void post_ack(struct request *r)
{
	act(r, "ack", "ack", empty_body);
}

static void post_answer(struct request *r)
{
	act(r, "answer", "answers", answer_body);
}

static void post_offer(struct request *r)
{
	act(r, "offer", "offers", offer_body);
}

static void post_close(struct request *r)
{
	act(r, "close", "close", close_body);
}

static void post_decide(struct request *r, const char *decision)
{
	char what[64];
	snprintf(what, sizeof(what), "offers/%" PRId64 "/%s", r->id[1], decision);
	act(r, "offers", what, empty_body);
}

static void post_accept(struct request *r)
{
	post_decide(r, "accept");
}

static void post_decline(struct request *r)
{
	post_decide(r, "decline");
}

/* --- the dashboard's sections --- */

/* Open requests addressed to the person's member or opened by it, nearest
 * deadline first, overdue marked. */
void web_requests_deadlines(struct page *p)
{
	struct buf *o = &p->r->out;
	struct web_call c;
	char q[64];
	size_t i;
	json_t *it;
	snprintf(q, sizeof(q), "open=true&order=deadline&limit=%d", DASHBOARD_ROWS);
	web_call(p->r, "GET", "/api/v1/requests", q, NULL, NULL, 0, &c);
	page_section(p, "h-deadlines", "dashboard.deadlines");
	if (c.status != 200)
		page_api_error(p, web_call_error(&c));
	else if (!json_array_size(json_object_get(c.json, "items")))
		page_tag_text(p, "<p>", "list.empty", "</p>");
	else {
		buf_adds(o, "<table><thead><tr>");
		page_tag_text(p, "<th scope=\"col\">", "requests.col.deadline", "</th>");
		page_tag_text(p, "<th scope=\"col\">", "requests.col.title", "</th>");
		page_tag_text(p, "<th scope=\"col\">", "requests.col.priority", "</th>");
		page_tag_text(p, "<th scope=\"col\">", "requests.col.state", "</th>");
		page_tag_text(p, "<th scope=\"col\">", "requests.col.requester", "</th>");
		buf_adds(o, "</tr></thead><tbody>");
		json_array_foreach(json_object_get(c.json, "items"), i, it)
		{
			buf_adds(o, "<tr><td>");
			deadline_cell(p, it);
			buf_adds(o, "</td><td>");
			request_link(o, it);
			marks(p, it);
			buf_adds(o, "</td><td>");
			value_text(p, "requests.priority", jstr(it, "priority"));
			buf_adds(o, "</td><td>");
			state_cell(p, it);
			buf_adds(o, "</td><td>");
			html_esc(o, jstr(json_object_get(it, "originator"), "name"));
			buf_adds(o, "</td></tr>");
		}
		buf_adds(o, "</tbody></table>");
	}
	page_tag_text(p, "<p><a href=\"/web/requests?which=all&amp;order=deadline&amp;open=1\">",
		      "dashboard.all_requests", "</a></p></section>");
	web_call_release(&c);
}

/* Challenges sent to the person's member that still wait for its answer;
 * the answer itself is the check page's form (the code is in the message). */
void web_requests_checks_waiting(struct page *p)
{
	struct buf *o = &p->r->out;
	struct web_call c;
	size_t i;
	json_t *it;
	web_call(p->r, "GET", "/api/v1/checks/waiting", "limit=20", NULL, NULL, 0, &c);
	page_section(p, "h-checks", "dashboard.checks");
	if (c.status != 200)
		page_api_error(p, web_call_error(&c));
	else if (!json_array_size(json_object_get(c.json, "items")))
		page_tag_text(p, "<p>", "list.empty", "</p>");
	else {
		buf_adds(o, "<table><thead><tr>");
		page_tag_text(p, "<th scope=\"col\">", "dashboard.check.id", "</th>");
		page_tag_text(p, "<th scope=\"col\">", "dashboard.check.contact", "</th>");
		page_tag_text(p, "<th scope=\"col\">", "dashboard.check.challenged", "</th>");
		page_tag_text(p, "<th scope=\"col\">", "dashboard.check.reply_by", "</th>");
		buf_adds(o, "</tr></thead><tbody>");
		json_array_foreach(json_object_get(c.json, "items"), i, it)
		{
			buf_adds(o, "<tr><td>");
			i18n_number(o, p->h.lang, json_integer_value(json_object_get(it, "check")));
			marks(p, it);
			buf_adds(o, "</td><td>");
			html_esc(o, jstr(json_object_get(it, "contact"), "name"));
			buf_adds(o, "</td><td>");
			page_when(p, jstr(it, "challenged"));
			buf_adds(o, "</td><td>");
			page_when(p, jstr(it, "reply_by"));
			buf_adds(o, "</td></tr>");
		}
		buf_adds(o, "</tbody></table>");
	}
	page_tag_text(p, "<p><a href=\"/web/check\">", "dashboard.checks_answer",
		      "</a></p></section>");
	web_call_release(&c);
}

/* Public means "no API token": each page finds its session itself. "new"
 * comes before {key}, which would take it. */
#define PAGE ROUTE_PUBLIC
const struct route web_request_routes[] = {
    {"GET", "/web/requests", list_page, PAGE, NULL, "web: requests for assistance"},
    {"GET", "/web/requests/new", get_new, PAGE, NULL, "web: open a request"},
    {"POST", "/web/requests/new", post_new, PAGE, NULL, "web: open a request"},
    {"GET", "/web/requests/{key}", show_page, PAGE, NULL, "web: a request"},
    {"POST", "/web/requests/{key}/ack", post_ack, PAGE, NULL, "web: acknowledge a request"},
    {"POST", "/web/requests/{key}/answer", post_answer, PAGE, NULL, "web: answer a request"},
    {"POST", "/web/requests/{key}/offer", post_offer, PAGE, NULL, "web: offer help"},
    {"POST", "/web/requests/{key}/offers/{id}/accept", post_accept, PAGE, NULL,
     "web: accept an offer"},
    {"POST", "/web/requests/{key}/offers/{id}/decline", post_decline, PAGE, NULL,
     "web: decline an offer"},
    {"POST", "/web/requests/{key}/close", post_close, PAGE, NULL, "web: close a request"},
    {0},
};
