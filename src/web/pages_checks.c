/* Communication checks in the web interface (issue 16's checks): the list
 * with their figures, starting one (admin, POST /api/v1/checks), a check's
 * page per State and contact, its report. A member sees what the API gives
 * it: its own State's rows. */
#include "web/pages_checks.h"

#include "web/call.h"
#include "web/chart.h"
#include "web/page.h"
#include "util/xalloc.h"

#include <math.h>
#include <string.h>

static const char *const roles[] = {"crisis", "technical", "policy", "law-enforcement", NULL};

/* A duration of the API (ms) as the form writes one: 24h, 90m, 5s, 500ms. */
static void duration(struct buf *o, json_int_t ms)
{
	char t[32];
	if (ms && ms % 3600000 == 0)
		snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT "h", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT "s", ms / 1000);
	else
		snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT "ms", ms);
	html_ltr(o, t);
}

/* A count of the API's figures, or "—". */
static void count(struct page *p, json_t *v)
{
	if (json_is_integer(v))
		i18n_number(&p->r->out, p->h.lang, json_integer_value(v));
	else
		buf_adds(&p->r->out, "—");
}

/* Milliseconds as seconds with a tenth, or "—". */
static void seconds(struct page *p, json_t *ms)
{
	if (json_is_integer(ms))
		page_tenths(p, (json_integer_value(ms) + 50) / 100);
	else
		buf_adds(&p->r->out, "—");
}

static const char *const figure_keys[] = {"targets",   "reached", "answered", "escalated",
					  "no_answer", "pending", "bounced",  NULL};

static void figure_heads(struct page *p)
{
	char key[48];
	for (int k = 0; figure_keys[k]; k++) {
		snprintf(key, sizeof(key), "checks.%s", figure_keys[k]);
		page_tag_text(p, "<th scope=\"col\">", key, "</th>");
	}
	page_tag_text(p, "<th scope=\"col\">", "checks.p50", "</th>");
}

static void figure_cells(struct page *p, json_t *fig)
{
	for (int k = 0; figure_keys[k]; k++) {
		buf_adds(&p->r->out, "<td class=\"num\">");
		count(p, json_object_get(fig, figure_keys[k]));
		buf_adds(&p->r->out, "</td>");
	}
	buf_adds(&p->r->out, "<td class=\"num\">");
	seconds(p, json_object_get(fig, "p50_ms"));
	buf_adds(&p->r->out, "</td>");
}

/* Whole percent of a State's targets that `key` (reached, answered) counts. */
static int64_t percent(json_t *st, const char *key)
{
	json_int_t t = json_integer_value(json_object_get(st, "targets"));
	json_int_t v = json_integer_value(json_object_get(st, key));
	return t > 0 ? (int64_t)llround(100.0 * (double)v / (double)t) : 0;
}

/* Reachability and answers per State as charts; the per-State table below
 * them has the same percentages. */
static void state_charts(struct page *p, json_t *states)
{
	static const char *const keys[] = {"reached", "answered"};
	static const char *const captions[] = {"checks.chart_reached", "checks.chart_answered"};
	size_t n = json_array_size(states), i;
	json_t *st;
	if (!n)
		return;
	struct chart_bar *b = xcalloc(n, sizeof(*b));
	for (int k = 0; k < 2; k++) {
		json_array_foreach(states, i, st)
		{
			snprintf(b[i].label, sizeof(b[i].label), "%s",
				 json_string_value(json_object_get(st, "name")));
			b[i].value = percent(st, keys[k]);
		}
		chart_bars(p, keys[k], captions[k], b, n, 100, false);
	}
	free(b);
}

static void check_rows(struct page *p, json_t *items)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *c;
	buf_adds(o, "<div class=\"wide\" tabindex=\"0\"><table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "checks.id", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "checks.created", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "checks.contacts", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "checks.state", "</th>");
	figure_heads(p);
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(items, i, c)
	{
		json_int_t id = json_integer_value(json_object_get(c, "id"));
		buf_addf(o,
			 "<tr><td><a href=\"/web/checks/%" JSON_INTEGER_FORMAT
			 "\"><bdi dir=\"ltr\">%" JSON_INTEGER_FORMAT "</bdi></a></td><td>",
			 id, id);
		page_when(p, json_string_value(json_object_get(c, "created")));
		buf_adds(o, "</td><td>");
		html_ltr(o, json_string_value(json_object_get(c, "contacts")));
		buf_adds(o, "</td><td>");
		page_text(p, json_is_true(json_object_get(c, "exercise")) ? "checks.exercise_mark"
									  : "checks.real");
		buf_adds(o, ", ");
		page_text(p,
			  !strcmp(json_string_value(json_object_get(c, "state")) ?: "", "running")
			      ? "checks.running"
			      : "checks.finished");
		buf_adds(o, "</td>");
		figure_cells(p, json_object_get(c, "overall"));
		buf_adds(o, "</tr>");
	}
	buf_adds(o, "</tbody></table></div>");
	if (!json_array_size(items))
		page_tag_text(p, "<p>", "list.empty", "</p>");
}

/* ` aria-describedby="error-F"` when the API's error names F. */
static void tie(struct buf *o, const char *efield, const char *field)
{
	if (efield && !strcmp(efield, field))
		buf_addf(o, " aria-describedby=\"error-%s\"", field);
}

/* The form that starts a check (admin); `in` is the person's input after a
 * refusal, kept. */
static void start_form(struct page *p, json_t *in, json_t *error)
{
	struct buf *o = &p->r->out;
	const char *ef = json_string_value(json_object_get(error, "field"));
	const char *v;
	page_section(p, "h-start", "checks.start");
	if (error)
		page_api_error(p, error);
	buf_adds(o, "<form method=\"post\" action=\"/web/checks\" class=\"stack\">");
	html_csrf(o, &p->h);
	page_tag_text(p, "<label for=\"contacts\">", "checks.contacts_label", "</label>");
	v = json_string_value(json_object_get(in, "contacts"));
	buf_adds(o, "<input id=\"contacts\" name=\"contacts\" dir=\"ltr\" required");
	tie(o, ef, "contacts");
	buf_adds(o, " value=\"");
	html_esc(o, v ? v : "all");
	buf_adds(o, "\"><fieldset><legend>");
	page_text(p, "checks.roles");
	buf_adds(o, "</legend>");
	json_t *chosen = json_object_get(in, "roles");
	for (int k = 0; roles[k]; k++) {
		bool on = !in && !strcmp(roles[k], "crisis");
		size_t i;
		json_t *r;
		json_array_foreach(chosen, i, r) on |= !strcmp(json_string_value(r), roles[k]);
		buf_addf(o,
			 "<div class=\"choice\"><input type=\"checkbox\" id=\"role-%s\" "
			 "name=\"role-%s\" value=\"1\"%s",
			 roles[k], roles[k], on ? " checked" : "");
		tie(o, ef, "roles");
		buf_addf(o, "><label for=\"role-%s\">", roles[k]);
		char key[48];
		snprintf(key, sizeof(key), "checks.role.%s", roles[k]);
		page_text(p, key);
		buf_adds(o, "</label></div>");
	}
	buf_adds(o, "</fieldset>");
	page_tag_text(p, "<label for=\"window\">", "checks.window", "</label>");
	v = json_string_value(json_object_get(in, "window"));
	buf_adds(o, "<input id=\"window\" name=\"window\" dir=\"ltr\" required");
	tie(o, ef, "window");
	buf_adds(o, " value=\"");
	html_esc(o, v ? v : "24h");
	page_tag_text(p, "\"><label for=\"reply_within\">", "checks.reply_within", "</label>");
	v = json_string_value(json_object_get(in, "reply_within"));
	buf_adds(o, "<input id=\"reply_within\" name=\"reply_within\" dir=\"ltr\" required");
	tie(o, ef, "reply_within");
	buf_adds(o, " value=\"");
	html_esc(o, v ? v : "2h");
	page_tag_text(p, "\"><label for=\"audience\">", "checks.audience", "</label>");
	buf_adds(o, "<input id=\"audience\" name=\"audience\" dir=\"ltr\"");
	tie(o, ef, "audience");
	buf_adds(o, " value=\"");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(in, "audience"), i, a)
	{
		if (i)
			buf_adds(o, ", ");
		html_esc(o, json_string_value(a));
	}
	buf_addf(o,
		 "\"><div class=\"choice\"><input type=\"checkbox\" id=\"exercise\" "
		 "name=\"exercise\" value=\"1\"%s><label for=\"exercise\">",
		 json_is_true(json_object_get(in, "exercise")) ? " checked" : "");
	page_text(p, "checks.exercise");
	page_tag_text(p, "</label></div><button type=\"submit\">", "checks.submit",
		      "</button></form></section>");
}

static void list_render(struct page *p, int status, json_t *in, json_t *error)
{
	struct request *r = p->r;
	struct buf *o = &r->out;
	char q[64];
	const char *after = page_query_id(r, "after");
	snprintf(q, sizeof(q), "limit=%d%s%s", PAGE_SIZE, after ? "&after=" : "",
		 after ? after : "");
	struct web_call c;
	web_call(r, "GET", "/api/v1/checks", q, NULL, NULL, 0, &c);
	page_begin(p, status);
	if (p->h.admin)
		start_form(p, in, error);
	else
		page_tag_text(p, "<p class=\"hint\">", "checks.member_note", "</p>");
	page_section(p, "h-checks", "checks.list");
	if (c.status != 200)
		page_api_error(p, web_call_error(&c));
	else {
		check_rows(p, json_object_get(c.json, "items"));
		page_next_link(p, "/web/checks", c.json);
	}
	buf_adds(o, "</section>");
	page_end(p);
	web_call_release(&c);
}

static void checks_page(struct request *r)
{
	struct page p;
	if (page_open(r, &p, "checks.title", "nav.checks", false))
		list_render(&p, 200, NULL, NULL);
}

/* Items of a list typed with commas or spaces. */
static json_t *split_list(const char *s)
{
	json_t *out = json_array();
	while (s && *s) {
		size_t n = strcspn(s, ", ");
		if (n)
			json_array_append_new(out, json_stringn(s, n));
		s += n;
		s += strspn(s, ", ");
	}
	return out;
}

/* Starts a check through POST /api/v1/checks: its page on success; the
 * API's refusal with the input kept; the API's 403 for a non-admin. */
static void post_start(struct request *r)
{
	struct page p;
	if (!page_open(r, &p, "checks.title", "nav.checks", true))
		return;
	json_t *rl = json_array();
	char key[48];
	for (int k = 0; roles[k]; k++) {
		snprintf(key, sizeof(key), "role-%s", roles[k]);
		if (form_get(&p.form, key))
			json_array_append_new(rl, json_string(roles[k]));
	}
	json_t *in =
	    json_pack("{ss so ss ss sb so}", "contacts", form_get(&p.form, "contacts") ?: "",
		      "roles", rl, "window", form_get(&p.form, "window") ?: "", "reply_within",
		      form_get(&p.form, "reply_within") ?: "", "exercise",
		      form_get(&p.form, "exercise") != NULL, "audience",
		      split_list(form_get(&p.form, "audience")));
	char *text = json_dumps(in, JSON_COMPACT);
	struct web_call c;
	web_call(r, "POST", "/api/v1/checks", NULL, "application/json", text, strlen(text), &c);
	free(text);
	if (c.status == 201) {
		char to[64];
		snprintf(to, sizeof(to), "/web/checks/%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(c.json, "id")));
		page_redirect(r, to);
	} else if (c.status == 403)
		page_forbidden(&p, web_call_error(&c));
	else
		list_render(&p, c.status, in, web_call_error(&c));
	web_call_release(&c);
	json_decref(in);
}

/* A contact's outcome: answered (on time or late), no answer, waiting. */
static const char *outcome(json_t *t, json_int_t reply_within)
{
	const char *s = json_string_value(json_object_get(t, "state"));
	if (!s)
		return "checks.status.scheduled";
	if (!strcmp(s, "answered"))
		return json_integer_value(json_object_get(t, "time_to_answer_ms")) > reply_within
			   ? "checks.status.late"
			   : "checks.status.answered";
	if (!strcmp(s, "unanswered"))
		return "checks.status.unanswered";
	if (!strcmp(s, "open"))
		return "checks.status.open";
	return "checks.status.scheduled";
}

static void contact_rows(struct page *p, json_t *states, json_int_t reply_within)
{
	struct buf *o = &p->r->out;
	size_t i, j;
	json_t *st, *t;
	buf_adds(o, "<div class=\"wide\" tabindex=\"0\"><table><caption>");
	page_text(p, "checks.per_contact");
	buf_adds(o, "</caption><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "progress.state", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "checks.contact", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "checks.outcome", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "checks.reached", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "checks.level", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "checks.challenged", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "checks.answered_at", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "checks.time", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(states, i, st)
	{
		json_array_foreach(json_object_get(st, "contacts"), j, t)
		{
			buf_adds(o, "<tr><td>");
			html_esc(o, json_string_value(json_object_get(st, "name")));
			buf_addf(o, "</td><td><bdi dir=\"ltr\">#%" JSON_INTEGER_FORMAT "</bdi>",
				 json_integer_value(json_object_get(t, "contact")));
			json_t *by = json_object_get(t, "answered_by_contact");
			if (json_is_integer(by) &&
			    json_integer_value(by) !=
				json_integer_value(json_object_get(t, "contact"))) {
				buf_adds(o, " ");
				page_text(p, "checks.answered_by");
				buf_addf(o, " <bdi dir=\"ltr\">#%" JSON_INTEGER_FORMAT "</bdi>",
					 json_integer_value(by));
			}
			buf_adds(o, "</td><td>");
			page_text(p, outcome(t, reply_within));
			buf_adds(o, "</td><td>");
			page_text(p, json_is_true(json_object_get(t, "reached")) ? "checks.yes"
										 : "checks.no");
			buf_adds(o, "</td><td class=\"num\">");
			count(p, json_object_get(t, "level"));
			buf_adds(o, "</td><td>");
			page_when(p, json_string_value(json_object_get(t, "challenged")));
			buf_adds(o, "</td><td>");
			page_when(p, json_string_value(json_object_get(t, "answered")));
			buf_adds(o, "</td><td class=\"num\">");
			seconds(p, json_object_get(t, "time_to_answer_ms"));
			buf_adds(o, "</td></tr>");
		}
	}
	buf_adds(o, "</tbody></table></div>");
}

static void check_page(struct request *r)
{
	struct page p;
	char path[64];
	if (!page_open(r, &p, "checks.check_title", "nav.checks", false))
		return;
	struct buf *o = &r->out;
	struct web_call c;
	snprintf(path, sizeof(path), "/api/v1/checks/%" PRId64, r->id[0]);
	if (!page_get(&p, path, NULL, &c))
		return;
	json_t *j = c.json;
	json_int_t reply = json_integer_value(json_object_get(j, "reply_within_ms"));
	page_begin(&p, 200);
	buf_adds(o, "<dl class=\"meta\"><dt>");
	page_text(&p, "checks.id");
	buf_addf(o, "</dt><dd><bdi dir=\"ltr\">%" PRId64 "</bdi>", r->id[0]);
	if (json_is_true(json_object_get(j, "exercise")))
		page_tag_text(&p, " <strong>", "checks.exercise_mark", "</strong>");
	buf_adds(o, "</dd><dt>");
	page_text(&p, "checks.created");
	buf_adds(o, "</dt><dd>");
	page_when(&p, json_string_value(json_object_get(j, "created")));
	buf_adds(o, "</dd><dt>");
	page_text(&p, "checks.contacts");
	buf_adds(o, "</dt><dd>");
	html_ltr(o, json_string_value(json_object_get(j, "contacts")));
	buf_adds(o, "</dd><dt>");
	page_text(&p, "checks.roles");
	buf_adds(o, "</dt><dd>");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "roles"), i, v)
	{
		char key[48];
		if (i)
			buf_adds(o, ", ");
		snprintf(key, sizeof(key), "checks.role.%s", json_string_value(v));
		page_text(&p, key);
	}
	buf_adds(o, "</dd><dt>");
	page_text(&p, "checks.window_short");
	buf_adds(o, "</dt><dd>");
	duration(o, json_integer_value(json_object_get(j, "window_ms")));
	buf_adds(o, "</dd><dt>");
	page_text(&p, "checks.reply_short");
	buf_adds(o, "</dt><dd>");
	duration(o, reply);
	buf_adds(o, "</dd><dt>");
	page_text(&p, "checks.state");
	buf_adds(o, "</dt><dd>");
	page_text(&p, !strcmp(json_string_value(json_object_get(j, "state")) ?: "", "running")
			  ? "checks.running"
			  : "checks.finished");
	buf_adds(o, "</dd></dl>");
	page_tag_text(&p, "<p class=\"links\">", "checks.report", "");
	buf_addf(o,
		 " <a href=\"/web/checks/%" PRId64 "/report?format=csv\">CSV</a> · "
		 "<a href=\"/web/checks/%" PRId64 "/report?format=json\">JSON</a></p>",
		 r->id[0], r->id[0]);
	state_charts(&p, json_object_get(j, "states"));
	buf_adds(o, "<div class=\"wide\" tabindex=\"0\"><table id=\"check-states\"><caption>");
	page_text(&p, "checks.per_state");
	buf_adds(o, "</caption><thead><tr>");
	page_tag_text(&p, "<th scope=\"col\">", "progress.state", "</th>");
	figure_heads(&p);
	page_tag_text(&p, "<th scope=\"col\">", "checks.p95", "</th>");
	page_tag_text(&p, "<th scope=\"col\">", "checks.reached_pct", "</th>");
	page_tag_text(&p, "<th scope=\"col\">", "checks.answered_pct", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_t *st;
	json_array_foreach(json_object_get(j, "states"), i, st)
	{
		buf_adds(o, "<tr><th scope=\"row\"><bdi>");
		html_esc(o, json_string_value(json_object_get(st, "name")));
		buf_adds(o, "</bdi> (");
		html_ltr(o, json_string_value(json_object_get(st, "country")));
		buf_adds(o, ")</th>");
		figure_cells(&p, st);
		buf_adds(o, "<td class=\"num\">");
		seconds(&p, json_object_get(st, "p95_ms"));
		buf_adds(o, "</td><td class=\"num\">");
		i18n_number(o, p.h.lang, percent(st, "reached"));
		buf_adds(o, "</td><td class=\"num\">");
		i18n_number(o, p.h.lang, percent(st, "answered"));
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody><tfoot><tr><th scope=\"row\">");
	page_text(&p, "checks.overall");
	buf_adds(o, "</th>");
	figure_cells(&p, json_object_get(j, "overall"));
	buf_adds(o, "<td class=\"num\">");
	json_t *all = json_object_get(j, "overall");
	seconds(&p, json_object_get(all, "p95_ms"));
	buf_adds(o, "</td><td class=\"num\">");
	i18n_number(o, p.h.lang, percent(all, "reached"));
	buf_adds(o, "</td><td class=\"num\">");
	i18n_number(o, p.h.lang, percent(all, "answered"));
	buf_adds(o, "</td></tr></tfoot></table></div>");
	contact_rows(&p, json_object_get(j, "states"), reply);
	page_end(&p);
	web_call_release(&c);
}

static void check_report(struct request *r)
{
	struct page p;
	char path[64];
	if (!page_open(r, &p, "checks.check_title", "nav.checks", false))
		return;
	const char *fmt = http_query(r, "format");
	snprintf(path, sizeof(path), "/api/v1/checks/%" PRId64 "/report", r->id[0]);
	web_call_pass(r, path, fmt && !strcmp(fmt, "csv") ? "format=csv" : "format=json");
}

/* Public here means "no API token": each page finds its session itself. */
#define PAGE ROUTE_PUBLIC
const struct route web_check_routes[] = {
    {"GET", "/web/checks", checks_page, PAGE, NULL, "web: communication checks"},
    {"POST", "/web/checks", post_start, PAGE, NULL, "web: start a communication check (admin)"},
    {"GET", "/web/checks/{id}", check_page, PAGE, NULL,
     "web: a communication check per State and contact"},
    {"GET", "/web/checks/{id}/report", check_report, PAGE, NULL,
     "web: a check's report (?format=csv|json)"},
    {0},
};
