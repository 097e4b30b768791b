/* National profiles and the progress report in the web interface (issue
 * 16's data): a State's profile, the form that edits one's own, and the
 * progress report drawn as charts. Everything through the API's handlers
 * (web/call.h). */
#include "web/pages_profiles.h"

#include "web/call.h"
#include "web/chart.h"
#include "web/page.h"

#include "util/xalloc.h"

#include <math.h>
#include <string.h>

static const char *const doc_fields[] = {"strategy", "policy_documents", "legislation", NULL};
static const char *const doc_keys[] = {"title", "date", "link", NULL};
static const char *const agency_keys[] = {"name",  "short_name", "role",    "description", "link",
					  "email", "phone",	 "country", "established", NULL};
static const char *const statuses[] = {"implemented", "in-progress", "planned", "not-implemented",
				       NULL};
static const char *const scopes[] = {"public", "private", "audience", NULL};

#define DOC_BLANKS 2	/* empty rows offered under a list of documents */
#define AGENCY_BLANKS 1 /* and under the agencies */
#define ROWS_MAX 100	/* PROFILE_ITEMS_MAX: rows read back from a form */

/* Catalogue text of `prefix` + `name` ("status." + "planned"). */
static void text_of(struct page *p, const char *prefix, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "%s%s", prefix, name ? name : "");
	page_text(p, key);
}

/* ` aria-describedby="error-FIELD"` when the API's error names `field`. */
static void described(struct buf *o, const char *error_field, const char *field)
{
	if (!error_field || strcmp(error_field, field))
		return;
	buf_adds(o, " aria-describedby=\"error-");
	html_esc(o, field);
	buf_adds(o, "\"");
}

/* --- a State's profile, read --- */

static void documents_view(struct page *p, json_t *list)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *d;
	buf_adds(o, "<ul>");
	json_array_foreach(list, i, d)
	{
		const char *link = json_string_value(json_object_get(d, "link"));
		buf_adds(o, "<li>");
		if (link) {
			buf_adds(o, "<a href=\"");
			html_esc(o, link);
			buf_adds(o, "\">");
		}
		html_esc(o, json_string_value(json_object_get(d, "title")));
		if (link)
			buf_adds(o, "</a>");
		const char *date = json_string_value(json_object_get(d, "date"));
		if (date) {
			buf_adds(o, " (");
			html_ltr(o, date);
			buf_adds(o, ")");
		}
		buf_adds(o, "</li>");
	}
	buf_adds(o, "</ul>");
}

static void agencies_view(struct page *p, json_t *list)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *a;
	json_array_foreach(list, i, a)
	{
		buf_adds(o, "<dl class=\"meta\">");
		for (int k = 0; agency_keys[k]; k++) {
			const char *v = json_string_value(json_object_get(a, agency_keys[k]));
			if (!v)
				continue;
			buf_adds(o, "<dt>");
			text_of(p, "profile.agency.", agency_keys[k]);
			buf_adds(o, "</dt><dd>");
			if (k >= 4 && k != 7) /* link, e-mail, phone, date: left to right */
				html_ltr(o, v);
			else
				html_esc(o, v);
			buf_adds(o, "</dd>");
		}
		buf_adds(o, "</dl>");
	}
}

/* The measure's status (its name in the person's language), since, note. */
static void measures_view(struct page *p, json_t *measures, json_t *catalogue)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *c;
	buf_adds(o, "<table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "profile.measure", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "profile.status", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "profile.since", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "profile.note", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(catalogue, i, c)
	{
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *m = json_object_get(measures, id);
		if (!m)
			continue;
		buf_adds(o, "<tr><th scope=\"row\">");
		text_of(p, "measure.", id);
		buf_adds(o, "</th><td>");
		text_of(p, "status.", json_string_value(json_object_get(m, "status")));
		buf_adds(o, "</td><td>");
		html_ltr(o, json_string_value(json_object_get(m, "since")));
		buf_adds(o, "</td><td>");
		html_esc(o, json_string_value(json_object_get(m, "note")));
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
	if (!json_object_size(measures))
		page_tag_text(p, "<p>", "profile.not_shown", "</p>");
}

/* The profile's points of contact: those the person may see in the
 * directory (GET /api/v1/contacts) by name, the others by number. */
static void contacts_view(struct page *p, json_t *ids)
{
	struct buf *o = &p->r->out;
	struct web_call c;
	size_t i, k;
	json_t *id, *it;
	web_call(p->r, "GET", "/api/v1/contacts", "limit=1000", NULL, NULL, 0, &c);
	buf_adds(o, "<ul>");
	json_array_foreach(ids, i, id)
	{
		json_t *found = NULL;
		json_array_foreach(json_object_get(c.json, "items"), k, it)
		{
			if (json_integer_value(json_object_get(it, "id")) == json_integer_value(id))
				found = it;
		}
		buf_adds(o, "<li>");
		if (found) {
			html_esc(o, json_string_value(json_object_get(found, "name")));
			buf_adds(o, " (");
			html_esc(o, json_string_value(json_object_get(found, "role")));
			buf_adds(o, ") ");
			html_ltr(o, json_string_value(json_object_get(found, "email")));
		} else {
			page_text(p, "profile.contact");
			buf_addf(o, " <bdi dir=\"ltr\">#%" JSON_INTEGER_FORMAT "</bdi>",
				 json_integer_value(id));
		}
		buf_adds(o, "</li>");
	}
	buf_adds(o, "</ul>");
	web_call_release(&c);
}

static void export_links(struct page *p, const char *base)
{
	struct buf *o = &p->r->out;
	buf_adds(o, "<p class=\"links\">");
	page_text(p, "profile.export");
	buf_addf(o, " <a href=\"%s?format=json\">", base);
	page_text(p, "profile.export_json");
	buf_addf(o, "</a> · <a href=\"%s?format=first\">", base);
	page_text(p, "profile.export_first");
	buf_adds(o, "</a></p>");
}

static void profile_page(struct request *r)
{
	struct page p;
	char path[64], base[64];
	if (!page_open(r, &p, "profile.title", "nav.profile", false))
		return;
	struct buf *o = &r->out;
	struct web_call c, cat;
	snprintf(path, sizeof(path), "/api/v1/profiles/%" PRId64, r->id[0]);
	if (!page_get(&p, path, NULL, &c))
		return;
	web_call(r, "GET", "/api/v1/profile-measures", NULL, NULL, NULL, 0, &cat);
	page_begin(&p, 200);
	buf_adds(o, "<p class=\"lead\"><bdi>"); /* a Latin name keeps its place in Arabic */
	html_esc(o, json_string_value(json_object_get(c.json, "name")));
	buf_adds(o, "</bdi> (");
	html_ltr(o, json_string_value(json_object_get(c.json, "country")));
	buf_adds(o, ")</p>");
	if (r->id[0] == p.s.who.member_id)
		page_tag_text(&p, "<p class=\"links\"><a href=\"/web/profile\">",
			      "profile.edit_link", "</a></p>");
	json_t *fields = json_object_get(c.json, "fields");
	for (int k = 0; doc_fields[k]; k++) {
		buf_addf(o, "<section aria-labelledby=\"h-%s\"><h2 id=\"h-%s\">", doc_fields[k],
			 doc_fields[k]);
		text_of(&p, "profile.field.", doc_fields[k]);
		buf_adds(o, "</h2>");
		json_t *v = json_object_get(json_object_get(fields, doc_fields[k]), "value");
		if (json_array_size(v))
			documents_view(&p, v);
		else
			page_tag_text(&p, "<p>", "profile.not_shown", "</p>");
		buf_adds(o, "</section>");
	}
	page_section(&p, "h-agencies", "profile.field.agencies");
	json_t *ag = json_object_get(json_object_get(fields, "agencies"), "value");
	if (json_array_size(ag))
		agencies_view(&p, ag);
	else
		page_tag_text(&p, "<p>", "profile.not_shown", "</p>");
	buf_adds(o, "</section>");
	page_section(&p, "h-contacts", "profile.field.contacts");
	json_t *ct = json_object_get(json_object_get(fields, "contacts"), "value");
	if (json_array_size(ct)) {
		contacts_view(&p, ct);
		page_tag_text(&p, "<p class=\"links\"><a href=\"/web/contacts\">",
			      "profile.contacts_link", "</a></p>");
	} else
		page_tag_text(&p, "<p>", "profile.not_shown", "</p>");
	buf_adds(o, "</section>");
	page_section(&p, "h-measures", "profile.measures");
	measures_view(&p, json_object_get(c.json, "measures"), json_object_get(cat.json, "items"));
	buf_adds(o, "</section>");
	snprintf(base, sizeof(base), "/web/profiles/%" PRId64 "/export", r->id[0]);
	export_links(&p, base);
	page_end(&p);
	web_call_release(&c);
	web_call_release(&cat);
}

/* The API's export, as a file the browser downloads or shows. */
static void profile_export(struct request *r)
{
	struct page p;
	char path[64], q[32];
	if (!page_open(r, &p, "profile.title", "nav.profile", false))
		return;
	const char *fmt = http_query(r, "format");
	snprintf(path, sizeof(path), "/api/v1/profiles/%" PRId64 "/export", r->id[0]);
	snprintf(q, sizeof(q), "format=%s", fmt && !strcmp(fmt, "first") ? "first" : "json");
	web_call_pass(r, path, q);
}

/* --- editing one's own profile --- */

/* The scope of a field or measure: public, private, or an audience (then
 * the list in a text field). Names `NAME.scope` and `NAME.audience`. */
static void scope_inputs(struct page *p, const char *name, json_t *scope, const char *error_field,
			 const char *api_field, const char *labelled)
{
	struct buf *o = &p->r->out;
	const char *cur = json_is_array(scope)	     ? "audience"
			  : json_string_value(scope) ? json_string_value(scope)
						     : "private";
	char api[160];
	snprintf(api, sizeof(api), "%s.scope", api_field);
	buf_addf(o, "<select id=\"%s.scope\" name=\"%s.scope\"", name, name);
	if (labelled)
		buf_addf(o, " aria-labelledby=\"%s c-scope\"", labelled);
	described(o, error_field, api);
	buf_adds(o, ">");
	for (int k = 0; scopes[k]; k++) {
		buf_addf(o, "<option value=\"%s\"%s>", scopes[k],
			 !strcmp(cur, scopes[k]) ? " selected" : "");
		text_of(p, "scope.", scopes[k]);
		buf_adds(o, "</option>");
	}
	buf_adds(o, "</select>");
	if (!labelled) {
		buf_addf(o, "<label for=\"%s.audience\">", name);
		page_text(p, "profile.audience");
		buf_adds(o, "</label>");
	}
	buf_addf(o, "<input id=\"%s.audience\" name=\"%s.audience\" dir=\"ltr\" value=\"", name,
		 name);
	if (json_is_array(scope)) {
		size_t i;
		json_t *v;
		json_array_foreach(scope, i, v)
		{
			if (i)
				buf_adds(o, ", ");
			html_esc(o, json_string_value(v));
		}
	}
	buf_adds(o, "\"");
	if (labelled)
		buf_addf(o, " aria-labelledby=\"%s c-audience\"", labelled);
	described(o, error_field, api);
	buf_adds(o, ">");
}

static void scope_label(struct page *p, const char *name)
{
	char open[96];
	snprintf(open, sizeof(open), "<label for=\"%s.scope\">", name);
	page_tag_text(p, open, "profile.scope", "</label>");
}

/* A section's form; `full`: as wide as the page (the measures' table). */
static void section_open(struct page *p, const char *id, const char *title_key, bool full)
{
	struct buf *o = &p->r->out;
	buf_addf(o, "<section aria-labelledby=\"h-%s\"><h2 id=\"h-%s\">", id, id);
	page_text(p, title_key);
	buf_addf(o, "</h2><form method=\"post\" action=\"/web/profile\" class=\"stack%s\">",
		 full ? " full" : "");
	html_csrf(o, &p->h);
	/* whose profile: the API, not the page, refuses another member's */
	buf_addf(o, "<input type=\"hidden\" name=\"member\" value=\"%" PRId64 "\">",
		 p->s.who.member_id);
}

static void section_close(struct page *p)
{
	page_tag_text(p, "<button type=\"submit\">", "profile.save", "</button></form></section>");
}

/* A list of documents: a table of rows (title, date, link), the stored ones
 * and DOC_BLANKS empty ones; the API names a bad row as
 * fields.NAME.value[i]. */
static void documents_form(struct page *p, const char *name, json_t *field, const char *efield)
{
	struct buf *o = &p->r->out;
	char key[64], api[160], open[96];
	json_t *list = json_object_get(field, "value");
	size_t n = json_array_size(list);
	snprintf(key, sizeof(key), "profile.field.%s", name);
	section_open(p, name, key, false);
	snprintf(api, sizeof(api), "fields.%s.value", name);
	buf_adds(o, "<table><thead><tr><th scope=\"col\"><span class=\"visually-hidden\">");
	page_text(p, "profile.row");
	buf_adds(o, "</span></th>");
	for (int k = 0; doc_keys[k]; k++) {
		snprintf(open, sizeof(open), "<th scope=\"col\" id=\"%s-c-%s\">", name,
			 doc_keys[k]);
		buf_adds(o, open);
		text_of(p, "profile.doc.", doc_keys[k]);
		buf_adds(o, "</th>");
	}
	buf_adds(o, "</tr></thead><tbody>");
	for (size_t i = 0; i < n + DOC_BLANKS && i < ROWS_MAX; i++) {
		json_t *d = json_array_get(list, i);
		char item[180];
		snprintf(item, sizeof(item), "%s[%zu]", api, i);
		buf_addf(o, "<tr><th scope=\"row\" id=\"%s-r%zu\">", name, i);
		i18n_number(o, p->h.lang, (int64_t)i + 1);
		buf_adds(o, "</th>");
		for (int k = 0; doc_keys[k]; k++) {
			buf_addf(o,
				 "<td><input id=\"%s.%zu.%s\" name=\"%s.%zu.%s\" "
				 "aria-labelledby=\"%s-c-%s %s-r%zu\"%s value=\"",
				 name, i, doc_keys[k], name, i, doc_keys[k], name, doc_keys[k],
				 name, i,
				 k == 1	  ? " type=\"date\" dir=\"ltr\""
				 : k == 2 ? " type=\"url\" dir=\"ltr\""
					  : "");
			html_esc(o, json_string_value(json_object_get(d, doc_keys[k])));
			buf_adds(o, "\"");
			described(o, efield, item);
			described(o, efield, api);
			buf_adds(o, "></td>");
		}
		buf_adds(o, "</tr>");
	}
	buf_adds(o, "</tbody></table>");
	page_tag_text(p, "<p class=\"hint\">", "profile.rows_hint", "</p>");
	snprintf(api, sizeof(api), "fields.%s", name);
	scope_label(p, name);
	scope_inputs(p, name, json_object_get(field, "scope"), efield, api, NULL);
	section_close(p);
}

static void agencies_form(struct page *p, json_t *field, const char *efield)
{
	struct buf *o = &p->r->out;
	json_t *list = json_object_get(field, "value");
	size_t n = json_array_size(list);
	section_open(p, "agencies", "profile.field.agencies", false);
	for (size_t i = 0; i < n + AGENCY_BLANKS && i < ROWS_MAX; i++) {
		json_t *a = json_array_get(list, i);
		char item[64];
		snprintf(item, sizeof(item), "fields.agencies.value[%zu]", i);
		buf_adds(o, "<fieldset><legend>");
		page_text(p, "profile.agency");
		buf_adds(o, " ");
		i18n_number(o, p->h.lang, (int64_t)i + 1);
		buf_adds(o, "</legend>");
		for (int k = 0; agency_keys[k]; k++) {
			bool ltr = k >= 4;
			buf_addf(o, "<label for=\"agencies.%zu.%s\">", i, agency_keys[k]);
			text_of(p, "profile.agency.", agency_keys[k]);
			buf_addf(
			    o, "</label><input id=\"agencies.%zu.%s\" name=\"agencies.%zu.%s\"%s%s",
			    i, agency_keys[k], i, agency_keys[k], ltr ? " dir=\"ltr\"" : "",
			    k == 4   ? " type=\"url\""
			    : k == 5 ? " type=\"email\""
			    : k == 8 ? " type=\"date\""
				     : "");
			described(o, efield, item);
			buf_adds(o, " value=\"");
			html_esc(o, json_string_value(json_object_get(a, agency_keys[k])));
			buf_adds(o, "\">");
		}
		buf_adds(o, "</fieldset>");
	}
	page_tag_text(p, "<p class=\"hint\">", "profile.rows_hint", "</p>");
	scope_label(p, "agencies");
	scope_inputs(p, "agencies", json_object_get(field, "scope"), efield, "fields.agencies",
		     NULL);
	section_close(p);
}

/* The member's own points of contact as checkboxes; the note on response
 * times (its scope decides who sees the acknowledgement times). */
static void contacts_form(struct page *p, json_t *fields, json_t *contacts, const char *efield)
{
	struct buf *o = &p->r->out;
	json_t *chosen = json_object_get(json_object_get(fields, "contacts"), "value");
	size_t i, shown = 0;
	json_t *c;
	section_open(p, "contacts", "profile.field.contacts", false);
	buf_adds(o, "<input type=\"hidden\" name=\"contacts.form\" value=\"1\">");
	buf_adds(o, "<fieldset><legend>");
	page_text(p, "profile.contacts_pick");
	buf_adds(o, "</legend>");
	json_array_foreach(contacts, i, c)
	{
		json_int_t id = json_integer_value(json_object_get(c, "id"));
		if (json_integer_value(json_object_get(c, "member_id")) != p->s.who.member_id)
			continue;
		bool on = false;
		size_t j;
		json_t *v;
		json_array_foreach(chosen, j, v) on |= json_integer_value(v) == id;
		shown++;
		buf_addf(o,
			 "<div class=\"choice\"><input type=\"checkbox\" "
			 "id=\"contact-%" JSON_INTEGER_FORMAT
			 "\" name=\"contact-%" JSON_INTEGER_FORMAT "\" value=\"1\"%s",
			 id, id, on ? " checked" : "");
		described(o, efield, "fields.contacts.value");
		buf_addf(o, "><label for=\"contact-%" JSON_INTEGER_FORMAT "\">", id);
		html_esc(o, json_string_value(json_object_get(c, "name")));
		buf_adds(o, " (");
		html_esc(o, json_string_value(json_object_get(c, "role")));
		buf_adds(o, ")</label></div>");
	}
	if (!shown)
		page_tag_text(p, "<p>", "list.empty", "</p>");
	buf_adds(o, "</fieldset>");
	scope_label(p, "contacts");
	scope_inputs(p, "contacts", json_object_get(json_object_get(fields, "contacts"), "scope"),
		     efield, "fields.contacts", NULL);
	json_t *rt = json_object_get(fields, "response_times");
	page_tag_text(p, "<h3>", "profile.field.response_times", "</h3>");
	page_tag_text(p, "<label for=\"response_times.value\">", "profile.note", "</label>");
	buf_adds(o, "<textarea id=\"response_times.value\" name=\"response_times.value\" "
		    "aria-describedby=\"rt-hint");
	if (efield && !strcmp(efield, "fields.response_times.value"))
		buf_adds(o, " error-fields.response_times.value");
	buf_adds(o, "\">");
	html_esc(o, json_string_value(json_object_get(rt, "value")));
	buf_adds(o, "</textarea>");
	page_tag_text(p, "<p class=\"hint\" id=\"rt-hint\">", "profile.response_hint", "</p>");
	scope_label(p, "response_times");
	scope_inputs(p, "response_times", json_object_get(rt, "scope"), efield,
		     "fields.response_times", NULL);
	section_close(p);
}

/* The catalogue as a table: a row per measure (status, since, note, scope),
 * each input named by its row and column headers. */
static void measures_form(struct page *p, json_t *measures, json_t *catalogue, const char *efield)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *c;
	section_open(p, "measures", "profile.measures", true);
	buf_adds(o, "<div class=\"wide\" tabindex=\"0\"><table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "profile.measure", "</th>");
	page_tag_text(p, "<th scope=\"col\" id=\"c-status\">", "profile.status", "</th>");
	page_tag_text(p, "<th scope=\"col\" id=\"c-since\">", "profile.since", "</th>");
	page_tag_text(p, "<th scope=\"col\" id=\"c-note\">", "profile.note", "</th>");
	page_tag_text(p, "<th scope=\"col\" id=\"c-scope\">", "profile.scope", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(catalogue, i, c)
	{
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *m = json_object_get(measures, id);
		const char *st = json_string_value(json_object_get(m, "status"));
		char name[48], api[64], row[48], at[96];
		snprintf(name, sizeof(name), "m.%s", id);
		snprintf(api, sizeof(api), "measures.%s", id);
		snprintf(row, sizeof(row), "r-%s", id);
		buf_addf(o, "<tr><th scope=\"row\" id=\"%s\">", row);
		text_of(p, "measure.", id);
		buf_adds(o, " <span class=\"hint\">");
		html_esc(o, json_string_value(json_object_get(c, "source")));
		buf_addf(o,
			 "</span></th><td><select id=\"%s.status\" name=\"%s.status\" "
			 "aria-labelledby=\"%s c-status\"",
			 name, name, row);
		snprintf(at, sizeof(at), "%s.status", api);
		described(o, efield, at);
		described(o, efield, api);
		buf_addf(o, "><option value=\"\"%s>", st ? "" : " selected");
		page_text(p, "status.none");
		buf_adds(o, "</option>");
		for (int k = 0; statuses[k]; k++) {
			buf_addf(o, "<option value=\"%s\"%s>", statuses[k],
				 st && !strcmp(st, statuses[k]) ? " selected" : "");
			text_of(p, "status.", statuses[k]);
			buf_adds(o, "</option>");
		}
		buf_addf(o,
			 "</select></td><td><input type=\"date\" dir=\"ltr\" id=\"%s.since\" "
			 "name=\"%s.since\" aria-labelledby=\"%s c-since\"",
			 name, name, row);
		snprintf(at, sizeof(at), "%s.since", api);
		described(o, efield, at);
		buf_adds(o, " value=\"");
		html_esc(o, json_string_value(json_object_get(m, "since")));
		buf_addf(o,
			 "\"></td><td><input id=\"%s.note\" name=\"%s.note\" "
			 "aria-labelledby=\"%s c-note\"",
			 name, name, row);
		snprintf(at, sizeof(at), "%s.note", api);
		described(o, efield, at);
		buf_adds(o, " value=\"");
		html_esc(o, json_string_value(json_object_get(m, "note")));
		buf_adds(o, "\"></td><td class=\"scope\">");
		scope_inputs(p, name, json_object_get(m, "scope"), efield, api, row);
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table></div>");
	page_tag_text(p, "<p class=\"hint\" id=\"c-audience\">", "profile.audience", "</p>");
	section_close(p);
}

/* The form page: `shown` is the profile in the API's shape (the stored one,
 * or after a refusal the stored one with the person's input over it). */
static void edit_render(struct page *p, int status, json_t *shown, json_t *error, bool done)
{
	struct request *r = p->r;
	struct buf *o = &r->out;
	struct web_call cat, ct;
	char base[64];
	web_call(r, "GET", "/api/v1/profile-measures", NULL, NULL, NULL, 0, &cat);
	web_call(r, "GET", "/api/v1/contacts", "limit=1000", NULL, NULL, 0, &ct);
	const char *efield = json_string_value(json_object_get(error, "field"));
	page_begin(p, status);
	if (done)
		page_tag_text(p, "<p role=\"status\" class=\"done\">", "profile.saved", "</p>");
	if (error)
		page_api_error(p, error);
	buf_addf(o, "<p class=\"links\"><a href=\"/web/profiles/%" PRId64 "\">",
		 p->s.who.member_id);
	page_text(p, "profile.view_link");
	buf_adds(o, "</a></p>");
	page_tag_text(p, "<p class=\"hint\">", "profile.sections_hint", "</p>");
	json_t *fields = json_object_get(shown, "fields");
	for (int k = 0; doc_fields[k]; k++)
		documents_form(p, doc_fields[k], json_object_get(fields, doc_fields[k]), efield);
	agencies_form(p, json_object_get(fields, "agencies"), efield);
	contacts_form(p, fields, json_object_get(ct.json, "items"), efield);
	measures_form(p, json_object_get(shown, "measures"), json_object_get(cat.json, "items"),
		      efield);
	snprintf(base, sizeof(base), "/web/profiles/%" PRId64 "/export", p->s.who.member_id);
	export_links(p, base);
	page_end(p);
	web_call_release(&cat);
	web_call_release(&ct);
}

/* The stored profile of the signed-in person's member (NULL: not shown). */
static json_t *own_profile(struct page *p)
{
	char path[64];
	struct web_call c;
	snprintf(path, sizeof(path), "/api/v1/profiles/%" PRId64, p->s.who.member_id);
	web_call(p->r, "GET", path, NULL, NULL, NULL, 0, &c);
	json_t *out = c.status == 200 ? json_incref(c.json) : NULL;
	web_call_release(&c);
	return out;
}

static void get_edit(struct request *r)
{
	struct page p;
	if (!page_open(r, &p, "profile.edit_title", "nav.profile", false))
		return;
	json_t *shown = own_profile(&p);
	if (!shown) {
		page_not_found(&p);
		return;
	}
	edit_render(&p, 200, shown, NULL, false);
	json_decref(shown);
}

/* The scope the form gives NAME: "public", "private" or the audience's
 * items (split on commas and spaces; the API checks them). */
static json_t *form_scope(struct page *p, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "%s.scope", name);
	const char *s = form_get(&p->form, key);
	if (!s || strcmp(s, "audience"))
		return json_string(s && !strcmp(s, "public") ? "public" : "private");
	snprintf(key, sizeof(key), "%s.audience", name);
	const char *a = form_get(&p->form, key);
	json_t *out = json_array();
	while (a && *a) {
		size_t n = strcspn(a, ", ");
		if (n)
			json_array_append_new(out, json_stringn(a, n));
		a += n;
		a += strspn(a, ", ");
	}
	return out;
}

/* Rows NAME.i.KEY of the form, the empty ones left out; NULL when none. */
static json_t *form_rows(struct page *p, const char *name, const char *const *keys)
{
	json_t *rows = json_array();
	char key[96];
	for (size_t i = 0; i < ROWS_MAX + AGENCY_BLANKS + DOC_BLANKS; i++) {
		json_t *row = json_object();
		bool any = false;
		for (int k = 0; keys[k]; k++) {
			snprintf(key, sizeof(key), "%s.%zu.%s", name, i, keys[k]);
			const char *v = form_get(&p->form, key);
			if (v && *v) {
				json_object_set_new(row, keys[k], json_string(v));
				any = true;
			}
		}
		if (any)
			json_array_append_new(rows, row);
		else
			json_decref(row);
	}
	if (json_array_size(rows))
		return rows;
	json_decref(rows);
	return json_null();
}

/* The PUT document of the section the person saved: a field or measure is
 * in it when its scope select was posted (an empty one removes it). */
static json_t *form_document(struct page *p)
{
	json_t *fields = json_object(), *measures = json_object();
	char key[64];
	for (int k = 0; doc_fields[k]; k++) {
		snprintf(key, sizeof(key), "%s.scope", doc_fields[k]);
		if (form_get(&p->form, key))
			json_object_set_new(fields, doc_fields[k],
					    json_pack("{so so}", "value",
						      form_rows(p, doc_fields[k], doc_keys),
						      "scope", form_scope(p, doc_fields[k])));
	}
	if (form_get(&p->form, "agencies.scope"))
		json_object_set_new(fields, "agencies",
				    json_pack("{so so}", "value",
					      form_rows(p, "agencies", agency_keys), "scope",
					      form_scope(p, "agencies")));
	if (form_get(&p->form, "contacts.form")) {
		json_t *ids = json_array();
		for (size_t i = 0; i < p->form.n; i++) {
			int64_t id;
			const char *n = p->form.f[i].name;
			if (!strncmp(n, "contact-", 8) && http_parse_id(n + 8, &id))
				json_array_append_new(ids, json_integer(id));
		}
		json_object_set_new(fields, "contacts",
				    json_pack("{so so}", "value",
					      json_array_size(ids) ? ids : json_null(), "scope",
					      form_scope(p, "contacts")));
		if (!json_array_size(ids))
			json_decref(ids);
		const char *rt = form_get(&p->form, "response_times.value");
		json_object_set_new(fields, "response_times",
				    json_pack("{so so}", "value",
					      rt && *rt ? json_string(rt) : json_null(), "scope",
					      form_scope(p, "response_times")));
	}
	for (size_t i = 0; i < p->form.n; i++) {
		const char *n = p->form.f[i].name;
		size_t len = strlen(n);
		if (strncmp(n, "m.", 2) || len < 9 || strcmp(n + len - 7, ".status") || len > 40)
			continue;
		char id[40], name[48];
		snprintf(id, sizeof(id), "%.*s", (int)(len - 9), n + 2);
		snprintf(name, sizeof(name), "m.%s", id);
		const char *st = p->form.f[i].value;
		if (!*st) {
			json_object_set_new(measures, id, json_null());
			continue;
		}
		json_t *m = json_pack("{ss so}", "status", st, "scope", form_scope(p, name));
		snprintf(key, sizeof(key), "%s.since", name);
		const char *v = form_get(&p->form, key);
		if (v && *v)
			json_object_set_new(m, "since", json_string(v));
		snprintf(key, sizeof(key), "%s.note", name);
		v = form_get(&p->form, key);
		if (v && *v)
			json_object_set_new(m, "note", json_string(v));
		json_object_set_new(measures, id, m);
	}
	return json_pack("{so so}", "fields", fields, "measures", measures);
}

/* Saves one section of the form through PUT /api/v1/profiles/{own}: the
 * API's refusal is shown with the person's input kept and nothing stored;
 * an account that may not write gets the API's 403. */
static void post_edit(struct request *r)
{
	struct page p;
	char path[64];
	if (!page_open(r, &p, "profile.edit_title", "nav.profile", true))
		return;
	const char *m = form_get(&p.form, "member");
	int64_t member = p.s.who.member_id;
	if (m && !http_parse_id(m, &member)) {
		page_not_found(&p);
		return;
	}
	json_t *doc = form_document(&p);
	char *text = json_dumps(doc, JSON_COMPACT);
	struct web_call c;
	snprintf(path, sizeof(path), "/api/v1/profiles/%" PRId64, member);
	web_call(r, "PUT", path, NULL, "application/json", text, strlen(text), &c);
	free(text);
	if (c.status == 403) {
		page_forbidden(&p, web_call_error(&c));
	} else if (c.status == 404) {
		page_not_found(&p);
	} else if (c.status == 200 && member != p.s.who.member_id) { /* an admin's post */
		snprintf(path, sizeof(path), "/web/profiles/%" PRId64, member);
		page_redirect(r, path);
	} else if (c.status == 200) {
		edit_render(&p, 200, c.json, NULL, true);
	} else {
		json_t *shown = own_profile(&p);
		if (!shown)
			shown = json_pack("{s{} s{}}", "fields", "measures");
		json_object_update(json_object_get(shown, "fields"),
				   json_object_get(doc, "fields"));
		json_object_update(json_object_get(shown, "measures"),
				   json_object_get(doc, "measures"));
		edit_render(&p, c.status, shown, web_call_error(&c), false);
		json_decref(shown);
	}
	web_call_release(&c);
	json_decref(doc);
}

/* --- the progress report as charts --- */

/* The catalogue text of a measure as a chart label. */
static void measure_label(struct page *p, const char *id, char *out, size_t cap)
{
	char key[32];
	snprintf(key, sizeof(key), "measure.%s", id ? id : "");
	snprintf(out, cap, "%s", page_t(p, key));
}

static void measures_chart(struct page *p, json_t *rep)
{
	struct buf *o = &p->r->out;
	json_t *cat = json_object_get(rep, "measures"), *m;
	size_t n = json_array_size(cat), i;
	int64_t states = (int64_t)json_array_size(json_object_get(rep, "states"));
	struct chart_bar *b = xcalloc(n ? n : 1, sizeof(*b));
	json_array_foreach(cat, i, m)
	{
		measure_label(p, json_string_value(json_object_get(m, "id")), b[i].label,
			      sizeof(b[i].label));
		b[i].value = json_integer_value(json_object_get(m, "implemented"));
	}
	chart_bars(p, "measures", "progress.chart_measures", b, n, states, false);
	free(b);
	buf_adds(o, "<table><caption>");
	page_text(p, "progress.table_measures");
	buf_adds(o, "</caption><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "profile.measure", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "progress.source", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "progress.implemented_by", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(cat, i, m)
	{
		buf_adds(o, "<tr><th scope=\"row\">");
		text_of(p, "measure.", json_string_value(json_object_get(m, "id")));
		buf_adds(o, "</th><td>");
		html_esc(o, json_string_value(json_object_get(m, "source")));
		buf_adds(o, "</td><td class=\"num\">");
		i18n_number(o, p->h.lang, json_integer_value(json_object_get(m, "implemented")));
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
}

/* A State's figure in the per-State charts and table: the answered share of
 * its checks in whole percent, the medians in tenths of a second; false
 * when the report has none (not measured, or not shared with the caller). */
static bool state_figure(json_t *st, int which, int64_t *v)
{
	json_t *x;
	if (which == 0) {
		x = json_object_get(json_object_get(st, "checks"), "answered_share");
		if (!json_is_number(x))
			return false;
		*v = (int64_t)llround(json_number_value(x) * 100.0);
		return true;
	}
	x = json_object_get(json_object_get(st, which == 1 ? "alerts" : "requests"),
			    "median_ack_seconds");
	if (!json_is_number(x))
		return false;
	*v = (int64_t)llround(json_number_value(x) * 10.0);
	return true;
}

static void state_chart(struct page *p, json_t *states, int which, const char *id,
			const char *caption_key)
{
	size_t n = json_array_size(states), k = 0, i;
	struct chart_bar *b = xcalloc(n ? n : 1, sizeof(*b));
	int64_t max = which == 0 ? 100 : 1;
	json_t *st;
	json_array_foreach(states, i, st)
	{
		if (!state_figure(st, which, &b[k].value))
			continue;
		snprintf(b[k].label, sizeof(b[k].label), "%s",
			 json_string_value(json_object_get(st, "name")));
		if (b[k].value > max)
			max = b[k].value;
		k++;
	}
	if (k)
		chart_bars(p, id, caption_key, b, k, max, which != 0);
	free(b);
}

static void states_table(struct page *p, json_t *states)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *st;
	buf_adds(o, "<div class=\"wide\" tabindex=\"0\"><table id=\"progress-states\"><caption>");
	page_text(p, "progress.table_states");
	buf_adds(o, "</caption><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "progress.state", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "contacts.country", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "progress.implemented", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "progress.answer_rate", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "progress.alert_ack", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "progress.request_ack", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(states, i, st)
	{
		buf_addf(o, "<tr data-member=\"%" JSON_INTEGER_FORMAT "\"><th scope=\"row\">",
			 json_integer_value(json_object_get(st, "member")));
		buf_addf(o, "<a href=\"/web/profiles/%" JSON_INTEGER_FORMAT "\">",
			 json_integer_value(json_object_get(st, "member")));
		html_esc(o, json_string_value(json_object_get(st, "name")));
		buf_adds(o, "</a></th><td>");
		html_ltr(o, json_string_value(json_object_get(st, "country")));
		buf_adds(o, "</td><td class=\"num\">");
		i18n_number(o, p->h.lang, json_integer_value(json_object_get(st, "implemented")));
		for (int w = 0; w < 3; w++) {
			int64_t v;
			buf_adds(o, "</td><td class=\"num\">");
			if (!state_figure(st, w, &v))
				buf_adds(o, "—");
			else
				chart_figure(p, v, w != 0);
		}
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table></div>");
}

/* ?since= as the API's query: only a date's characters pass, so that the
 * API (not the page) says what is wrong with anything else. */
static void since_query(const char *since, char *q, size_t cap)
{
	char clean[16];
	size_t n = 0;
	for (const char *c = since; c && *c && n < sizeof(clean) - 1; c++)
		clean[n++] = (*c >= '0' && *c <= '9') || *c == '-' ? *c : 'x';
	clean[n] = '\0';
	snprintf(q, cap, "%s%s", n ? "since=" : "", clean);
}

static void progress_page(struct request *r)
{
	struct page p;
	char q[48];
	if (!page_open(r, &p, "progress.title", "nav.progress", false))
		return;
	struct buf *o = &r->out;
	const char *since = http_query(r, "since");
	since_query(since, q, sizeof(q));
	struct web_call c;
	web_call(r, "GET", "/api/v1/progress", q[0] ? q : NULL, NULL, NULL, 0, &c);
	json_t *error = c.status == 200 ? NULL : web_call_error(&c);
	const char *efield = json_string_value(json_object_get(error, "field"));
	page_begin(&p, c.status == 200 ? 200 : c.status);
	buf_adds(o, "<form method=\"get\" action=\"/web/progress\" class=\"filters\">");
	page_tag_text(&p, "<label for=\"since\">", "progress.since", "</label>");
	buf_adds(o, "<input id=\"since\" name=\"since\" type=\"date\" dir=\"ltr\" value=\"");
	html_esc(o, since);
	buf_adds(o, "\"");
	described(o, efield, "since");
	page_tag_text(&p, "><button type=\"submit\">", "progress.apply", "</button></form>");
	if (error) {
		page_api_error(&p, error);
		page_end(&p);
		web_call_release(&c);
		return;
	}
	buf_adds(o, "<p class=\"links\">");
	page_text(&p, "progress.export");
	buf_addf(o,
		 " <a href=\"/web/progress/export?format=csv%s%s\">CSV</a> · "
		 "<a href=\"/web/progress/export?format=json%s%s\">JSON</a></p>",
		 q[0] ? "&amp;" : "", q, q[0] ? "&amp;" : "", q);
	page_tag_text(&p, "<p class=\"hint\">", "progress.note", "</p>");
	json_t *states = json_object_get(c.json, "states");
	page_section(&p, "h-pmeasures", "profile.measures");
	measures_chart(&p, c.json);
	buf_adds(o, "</section>");
	page_section(&p, "h-pstates", "progress.per_state");
	state_chart(&p, states, 0, "checks", "progress.chart_checks");
	state_chart(&p, states, 1, "alerts", "progress.chart_alerts");
	state_chart(&p, states, 2, "requests", "progress.chart_requests");
	states_table(&p, states);
	buf_adds(o, "</section>");
	page_end(&p);
	web_call_release(&c);
}

static void progress_export(struct request *r)
{
	struct page p;
	char q[64], sq[48];
	if (!page_open(r, &p, "progress.title", "nav.progress", false))
		return;
	const char *fmt = http_query(r, "format");
	since_query(http_query(r, "since"), sq, sizeof(sq));
	snprintf(q, sizeof(q), "format=%s%s%s", fmt && !strcmp(fmt, "csv") ? "csv" : "json",
		 sq[0] ? "&" : "", sq);
	web_call_pass(r, "/api/v1/progress", q);
}

/* Public here means "no API token": each page finds its session itself. */
#define PAGE ROUTE_PUBLIC
const struct route web_profile_routes[] = {
    {"GET", "/web/profile", get_edit, PAGE, NULL, "web: edit my State's profile"},
    {"POST", "/web/profile", post_edit, PAGE, NULL, "web: save a section of my State's profile"},
    {"GET", "/web/profiles/{id}", profile_page, PAGE, NULL, "web: a State's profile"},
    {"GET", "/web/profiles/{id}/export", profile_export, PAGE, NULL,
     "web: a State's profile exported (?format=json|first)"},
    {"GET", "/web/progress", progress_page, PAGE, NULL, "web: the progress report as charts"},
    {"GET", "/web/progress/export", progress_export, PAGE, NULL,
     "web: the progress report exported (?format=csv|json&since=DATE)"},
    {0},
};
