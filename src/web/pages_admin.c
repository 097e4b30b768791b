/* The admin's pages: members, groups and people (web/page.h). */
#include "web/pages_admin.h"

#include "web/call.h"
#include "web/page.h"

#include <string.h>

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
	page_text(p, key);
}

/* The form that adds a person's account (POST /api/v1/users). */
static void user_form(struct page *p, json_t *members, json_t *error)
{
	struct buf *o = &p->r->out;
	const char *field = json_string_value(json_object_get(error, "field"));
	size_t i;
	json_t *it;
	buf_adds(o, "<section aria-labelledby=\"h-adduser\"><h2 id=\"h-adduser\">");
	page_text(p, "admin.adduser");
	buf_adds(o, "</h2>");
	if (error)
		page_api_error(p, error);
	buf_adds(o, "<form method=\"post\" action=\"/web/admin/users\" class=\"stack\">");
	html_csrf(o, &p->h);
	page_tag_text(p, "<label for=\"u-member\">", "admin.member", "</label>");
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
	page_tag_text(p, "<label for=\"u-email\">", "signin.email", "</label>");
	buf_addf(o, "<input id=\"u-email\" name=\"email\" type=\"email\" dir=\"ltr\" required%s>",
		 field && !strcmp(field, "email") ? " aria-describedby=\"error-email\"" : "");
	page_tag_text(p, "<label for=\"u-role\">", "admin.role", "</label>");
	buf_addf(o, "<select id=\"u-role\" name=\"role\"%s>",
		 field && !strcmp(field, "role") ? " aria-describedby=\"error-role\"" : "");
	static const char *const roles[] = {"reader", "analyst", "admin"};
	for (int k = 0; k < 3; k++) {
		char key[32];
		snprintf(key, sizeof(key), "role.%s", roles[k]);
		buf_addf(o, "<option value=\"%s\"%s>", roles[k], k == 1 ? " selected" : "");
		page_text(p, key);
		buf_adds(o, "</option>");
	}
	buf_adds(o, "</select>");
	page_tag_text(p, "<button type=\"submit\">", "admin.adduser_submit",
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
		page_not_found(p);
		return;
	}
	page_begin(p, status);
	size_t i;
	json_t *it;
	buf_adds(o, "<section aria-labelledby=\"h-members\"><h2 id=\"h-members\">");
	page_text(p, "admin.members");
	buf_adds(o, "</h2><table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "admin.name", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "contacts.country", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "admin.role", "</th>");
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
	page_text(p, "admin.groups");
	buf_adds(o, "</h2><ul>");
	json_array_foreach(json_object_get(g.json, "items"), i, it)
	{
		buf_adds(o, "<li>");
		html_esc(o, json_string_value(json_object_get(it, "name")));
		buf_adds(o, "</li>");
	}
	buf_adds(o, "</ul>");
	if (!json_array_size(json_object_get(g.json, "items")))
		page_tag_text(p, "<p>", "list.empty", "</p>");
	buf_adds(o, "</section>");
	buf_adds(o, "<section aria-labelledby=\"h-users\"><h2 id=\"h-users\">");
	page_text(p, "admin.users");
	buf_adds(o, "</h2><table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "signin.email", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "admin.member", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "admin.role", "</th>");
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
		page_text(p, "admin.created");
		buf_adds(o, " ");
		html_ltr(o, json_string_value(json_object_get(created, "enrolment_code")));
		buf_adds(o, "</p></div>");
	}
	user_form(p, json_object_get(m.json, "items"), error);
	page_tag_text(p, "<p>", "admin.note", "</p>");
	page_end(p);
	web_call_release(&m);
	web_call_release(&g);
	web_call_release(&u);
}

static void admin_page(struct request *r)
{
	struct page p;
	if (page_open(r, &p, "admin.title", "nav.admin", false))
		admin_render(r, &p, 200, NULL, NULL);
}

static void post_admin_user(struct request *r)
{
	struct page p;
	if (!page_open(r, &p, "admin.title", "nav.admin", true))
		return;
	const char *member = form_get(&p.form, "member");
	int64_t mid = 0;
	if (!member || !http_parse_id(member, &mid))
		mid = 0;
	json_t *body =
	    json_pack("{sI ss ss}", "member", (json_int_t)mid, "email",
		      form_get(&p.form, "email") ?: "", "role", form_get(&p.form, "role") ?: "");
	if (!body) { /* a value that is not UTF-8: no browser sends one */
		http_error(r, 400, "bad_request", NULL, "the form is not UTF-8 text");
		return;
	}
	char *text_body = json_dumps(body, JSON_COMPACT);
	struct web_call c;
	web_call(r, "POST", "/api/v1/users", NULL, "application/json", text_body, strlen(text_body),
		 &c);
	free(text_body);
	json_decref(body);
	if (c.status == 403)
		page_not_found(&p);
	else if (c.status == 201)
		admin_render(r, &p, 200, c.json, NULL);
	else
		admin_render(r, &p, c.status, NULL, web_call_error(&c));
	web_call_release(&c);
}
const struct route web_admin_routes[] = {
    {"GET", "/web/admin", admin_page, ROUTE_PUBLIC, NULL,
     "web: members, groups and people (admin)"},
    {"POST", "/web/admin/users", post_admin_user, ROUTE_PUBLIC, NULL,
     "web: add a person's account (admin)"},
    {0},
};
