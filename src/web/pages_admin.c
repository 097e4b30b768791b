/* The admin's pages: members, their tokens, groups and people (web/page.h). */
#include "web/pages_admin.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

bool admin_open(struct request *r, struct page *p, const char *title, const char *nav, bool post)
{
	if (!page_open(r, p, title, nav, post))
		return false;
	if (p->h.admin)
		return true;
	page_not_found(p); /* the API would refuse it anyway: say nothing of it */
	return false;
}

void admin_call(struct page *p, const char *method, const char *path, json_t *body,
		struct web_call *out)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	web_call(p->r, method, path, NULL, text ? "application/json" : NULL, text,
		 text ? strlen(text) : 0, out);
	free(text);
	json_decref(body);
}

void admin_describedby(struct page *p, const char *error_field, const char *name)
{
	if (!error_field || strcmp(error_field, name))
		return;
	buf_adds(&p->r->out, " aria-describedby=\"error-");
	html_esc(&p->r->out, name);
	buf_adds(&p->r->out, "\"");
}

void admin_input(struct page *p, const char *id, const char *name, const char *label_key,
		 const char *value, const char *attrs, const char *error_field)
{
	struct buf *o = &p->r->out;
	buf_addf(o, "<label for=\"%s\">", id);
	page_text(p, label_key);
	buf_addf(o, "</label><input id=\"%s\" name=\"%s\" %s value=\"", id, name, attrs);
	html_esc(o, value);
	buf_adds(o, "\"");
	admin_describedby(p, error_field, name);
	buf_adds(o, ">");
}

void admin_button(struct page *p, const char *action, const char *label_key)
{
	struct buf *o = &p->r->out;
	buf_adds(o, "<form method=\"post\" class=\"inline\" action=\"");
	html_esc(o, action);
	buf_adds(o, "\">");
	html_csrf(o, &p->h);
	page_tag_text(p, "<button type=\"submit\">", label_key, "</button></form>");
}

json_t *admin_error(struct page *p, const char *field, const char *key)
{
	return json_pack("{ss ss ss}", "code", "invalid_field", "message", page_t(p, key), "field",
			 field);
}

/* Deletions take two steps, without script: the first post asks, the second
 * (with the box ticked) acts. The form's other fields are carried along. */
bool admin_confirmed(struct page *p, const char *what, const char *back, const char *button_key)
{
	const char *confirm = form_get(&p->form, "confirm");
	if (confirm && !strcmp(confirm, "yes"))
		return true;
	struct buf *o = &p->r->out;
	bool asked = form_get(&p->form, "asked") != NULL;
	json_t *error = asked ? admin_error(p, "confirm", "admin.confirm_missing") : NULL;
	p->h.title_key = "admin.confirm_title";
	p->h.here = back;
	page_begin(p, asked ? 422 : 200);
	buf_adds(o, "<p>");
	page_text(p, "admin.confirm_text");
	buf_adds(o, " <strong>");
	html_esc(o, what);
	buf_adds(o, "</strong></p>");
	if (error)
		page_api_error(p, error);
	buf_adds(o, "<form method=\"post\" class=\"stack\" action=\"");
	html_esc(o, p->r->url);
	buf_adds(o, "\">");
	html_csrf(o, &p->h);
	buf_adds(o, "<input type=\"hidden\" name=\"asked\" value=\"1\">");
	for (size_t i = 0; i < p->form.n; i++) {
		const char *n = p->form.f[i].name;
		if (!strcmp(n, "csrf") || !strcmp(n, "confirm") || !strcmp(n, "asked"))
			continue;
		buf_adds(o, "<input type=\"hidden\" name=\"");
		html_esc(o, n);
		buf_adds(o, "\" value=\"");
		html_esc(o, p->form.f[i].value);
		buf_adds(o, "\">");
	}
	buf_adds(o,
		 "<div class=\"choice\"><input type=\"checkbox\" id=\"confirm\" name=\"confirm\" "
		 "value=\"yes\" required");
	admin_describedby(p, error ? "confirm" : NULL, "confirm");
	page_tag_text(p, "><label for=\"confirm\">", "admin.confirm_yes", "</label></div>");
	page_tag_text(p, "<button type=\"submit\">", button_key, "</button></form>");
	buf_adds(o, "<p><a href=\"");
	html_esc(o, back);
	page_tag_text(p, "\">", "admin.cancel", "</a></p>");
	page_end(p);
	json_decref(error);
	return false;
}

json_t *admin_list(const char *text)
{
	json_t *a = json_array();
	while (text && *text) {
		size_t n = strcspn(text, ",");
		const char *s = text, *e = text + n;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s)
			json_array_append_new(a, json_stringn(s, (size_t)(e - s)));
		text += n + (text[n] == ',');
	}
	return a;
}

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

/* A <select> of the roles, `current` selected. */
static void role_select(struct page *p, const char *id, const char *current, const char *field)
{
	static const char *const roles[] = {"reader", "analyst", "admin"};
	struct buf *o = &p->r->out;
	buf_addf(o, "<select id=\"%s\" name=\"role\"", id);
	admin_describedby(p, field, "role");
	buf_adds(o, ">");
	for (int k = 0; k < 3; k++) {
		buf_addf(o, "<option value=\"%s\"%s>", roles[k],
			 current && !strcmp(current, roles[k]) ? " selected" : "");
		role_text(p, roles[k]);
		buf_adds(o, "</option>");
	}
	buf_adds(o, "</select>");
}

/* A shown-once secret (an enrolment code, a token) with what to do with it. */
static void secret_once(struct page *p, const char *key, const char *secret)
{
	struct buf *o = &p->r->out;
	buf_adds(o, "<div role=\"status\" class=\"done\"><p>");
	page_text(p, key);
	buf_adds(o, "</p><p class=\"secret\">");
	html_ltr(o, secret);
	buf_adds(o, "</p></div>");
}

/* The form that adds a person's account (POST /api/v1/users). */
static void user_form(struct page *p, json_t *members, json_t *error)
{
	struct buf *o = &p->r->out;
	const char *field = json_string_value(json_object_get(error, "field"));
	size_t i;
	json_t *it;
	page_section(p, "h-adduser", "admin.adduser");
	if (error)
		page_api_error(p, error);
	buf_adds(o, "<form method=\"post\" action=\"/web/admin/users\" class=\"stack\">");
	html_csrf(o, &p->h);
	page_tag_text(p, "<label for=\"u-member\">", "admin.member", "</label>");
	buf_adds(o, "<select id=\"u-member\" name=\"member\"");
	admin_describedby(p, field, "member");
	buf_adds(o, ">");
	json_array_foreach(members, i, it)
	{
		buf_addf(o, "<option value=\"%" JSON_INTEGER_FORMAT "\">",
			 json_integer_value(json_object_get(it, "id")));
		html_esc(o, json_string_value(json_object_get(it, "name")));
		buf_adds(o, "</option>");
	}
	buf_adds(o, "</select>");
	admin_input(p, "u-email", "email", "signin.email", "",
		    "type=\"email\" dir=\"ltr\" required", field);
	page_tag_text(p, "<label for=\"u-role\">", "admin.role", "</label>");
	role_select(p, "u-role", "analyst", field);
	page_tag_text(p, "<button type=\"submit\">", "admin.adduser_submit",
		      "</button></form></section>");
}

/* The name of member `id` in the API's list, or its number. */
static void member_name(struct buf *o, json_t *members, json_int_t id)
{
	size_t i;
	json_t *it;
	json_array_foreach(members, i, it)
	{
		if (json_integer_value(json_object_get(it, "id")) == id) {
			html_esc(o, json_string_value(json_object_get(it, "name")));
			return;
		}
	}
	buf_addf(o, "%" JSON_INTEGER_FORMAT, id);
}

/* A member's form: `m` NULL for a new one (on /web/admin; `error` is shown
 * in it), else its edit form. The fields `error` names are tied to it. */
static void member_form(struct page *p, json_t *m, json_t *error)
{
	const char *field = json_string_value(json_object_get(error, "field"));
	static const char *const kinds[] = {"national-cert", "government", "isp", "organisation"};
	struct buf *o = &p->r->out;
	json_int_t id = json_integer_value(json_object_get(m, "id"));
	const char *kind = json_string_value(json_object_get(m, "kind"));
	char langs[256] = "", ack[32] = "";
	size_t i, n = 0;
	json_t *it;
	json_array_foreach(json_object_get(m, "languages"), i, it)
	{
		int k = snprintf(langs + n, sizeof(langs) - n, "%s%s", i ? ", " : "",
				 json_string_value(it));
		if (k < 0 || (size_t)k >= sizeof(langs) - n)
			break;
		n += (size_t)k;
	}
	if (json_is_integer(json_object_get(m, "ack_deadline_seconds")))
		snprintf(ack, sizeof(ack), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(m, "ack_deadline_seconds")));
	page_section(p, "h-member", m ? "admin.member_edit" : "admin.member_add");
	if (error && !m)
		page_api_error(p, error);
	if (m)
		buf_addf(o,
			 "<form method=\"post\" class=\"stack\" "
			 "action=\"/web/admin/members/%" JSON_INTEGER_FORMAT "\">",
			 id);
	else
		buf_adds(o, "<form method=\"post\" class=\"stack\" action=\"/web/admin/members\">");
	html_csrf(o, &p->h);
	admin_input(p, "m-name", "name", "admin.name",
		    json_string_value(json_object_get(m, "name")), "required", field);
	page_tag_text(p, "<label for=\"m-kind\">", "admin.kind", "</label>");
	buf_adds(o, "<select id=\"m-kind\" name=\"kind\"");
	admin_describedby(p, field, "kind");
	buf_adds(o, ">");
	for (int k = 0; k < 4; k++) {
		char key[40];
		snprintf(key, sizeof(key), "kind.%s", kinds[k]);
		buf_addf(o, "<option value=\"%s\"%s>", kinds[k],
			 kind && !strcmp(kind, kinds[k]) ? " selected" : "");
		page_text(p, key);
		buf_adds(o, "</option>");
	}
	buf_adds(o, "</select>");
	admin_input(p, "m-country", "country", "contacts.country",
		    json_string_value(json_object_get(m, "country")),
		    "dir=\"ltr\" maxlength=\"2\" required", field);
	page_tag_text(p, "<label for=\"m-role\">", "admin.role", "</label>");
	role_select(p, "m-role", m ? json_string_value(json_object_get(m, "role")) : "analyst",
		    field);
	admin_input(p, "m-languages", "languages", "admin.languages", langs, "dir=\"ltr\"", field);
	admin_input(p, "m-ack", "ack_deadline_seconds", "admin.ack_deadline", ack,
		    "type=\"number\" min=\"10\" dir=\"ltr\"", field);
	page_tag_text(p, "<button type=\"submit\">", m ? "admin.save" : "admin.member_add_submit",
		      "</button></form></section>");
}

/* Admin: the members, groups and people of the node, and forms to add a
 * member or a person. `done` is a message of what was just done; `code` a
 * secret to show once (after `code_key`); `error` the API's refusal of the
 * form `form` ("member", "user"), or of a row's button (NULL). */
static void admin_render(struct page *p, int status, const char *done, const char *code_key,
			 const char *code, json_t *error, const char *form)
{
	struct request *r = p->r;
	struct buf *o = &r->out;
	struct web_call m, g, u;
	web_call(r, "GET", "/api/v1/members", "limit=1000", NULL, NULL, 0, &m);
	web_call(r, "GET", "/api/v1/groups", "limit=1000", NULL, NULL, 0, &g);
	web_call(r, "GET", "/api/v1/users", "limit=1000", NULL, NULL, 0, &u);
	json_t *members = json_object_get(m.json, "items");
	p->h.title_key = "admin.title";
	p->h.here = "/web/admin"; /* where the language switcher returns after a post */
	page_begin(p, status);
	if (done)
		page_tag_text(p, "<p role=\"status\" class=\"done\">", done, "</p>");
	if (code)
		secret_once(p, code_key, code);
	if (error && !form)
		page_api_error(p, error); /* one of a row's buttons; the forms' are below */
	size_t i;
	json_t *it;
	page_section(p, "h-members", "admin.members");
	buf_adds(o, "<table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "admin.name", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "contacts.country", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "admin.role", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(members, i, it)
	{
		buf_addf(o, "<tr><td><a href=\"/web/admin/members/%" JSON_INTEGER_FORMAT "\">",
			 json_integer_value(json_object_get(it, "id")));
		html_esc(o, json_string_value(json_object_get(it, "name")));
		buf_adds(o, "</a></td><td>");
		html_ltr(o, json_string_value(json_object_get(it, "country")));
		buf_adds(o, "</td><td>");
		role_text(p, json_string_value(json_object_get(it, "role")));
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table></section>");
	member_form(p, NULL, form && !strcmp(form, "member") ? error : NULL);
	page_section(p, "h-groups", "admin.groups");
	buf_adds(o, "<ul>");
	json_array_foreach(json_object_get(g.json, "items"), i, it)
	{
		buf_addf(o, "<li><a href=\"/web/admin/groups/%" JSON_INTEGER_FORMAT "\">",
			 json_integer_value(json_object_get(it, "id")));
		html_esc(o, json_string_value(json_object_get(it, "name")));
		buf_adds(o, "</a></li>");
	}
	buf_adds(o, "</ul>");
	if (!json_array_size(json_object_get(g.json, "items")))
		page_tag_text(p, "<p>", "list.empty", "</p>");
	page_tag_text(p, "<p><a href=\"/web/admin/groups/new\">", "admin.group_new", "</a></p>");
	buf_adds(o, "</section>");
	page_section(p, "h-users", "admin.users");
	buf_adds(o, "<table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "signin.email", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "admin.member", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "admin.role", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "admin.actions", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(json_object_get(u.json, "items"), i, it)
	{
		char action[80];
		json_int_t id = json_integer_value(json_object_get(it, "id"));
		buf_adds(o, "<tr><td>");
		html_ltr(o, json_string_value(json_object_get(it, "email")));
		buf_adds(o, "</td><td>");
		member_name(o, members, json_integer_value(json_object_get(it, "member")));
		buf_adds(o, "</td><td>");
		role_text(p, json_string_value(json_object_get(it, "role")));
		buf_adds(o, "</td><td class=\"actions\">");
		snprintf(action, sizeof(action),
			 "/web/admin/users/%" JSON_INTEGER_FORMAT "/enrolment", id);
		admin_button(p, action, "admin.reset");
		snprintf(action, sizeof(action), "/web/admin/users/%" JSON_INTEGER_FORMAT "/delete",
			 id);
		admin_button(p, action, "admin.delete");
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
	page_tag_text(p, "<p class=\"hint\">", "admin.reset_hint", "</p></section>");
	user_form(p, members, form && !strcmp(form, "user") ? error : NULL);
	page_end(p);
	web_call_release(&m);
	web_call_release(&g);
	web_call_release(&u);
}

static void admin_page(struct request *r)
{
	struct page p;
	if (admin_open(r, &p, "admin.title", "nav.admin", false))
		admin_render(&p, 200, NULL, NULL, NULL, NULL, NULL);
}

/* The id of the form's field `name`, 0 when it is not one. */
static int64_t form_id(struct page *p, const char *name)
{
	const char *v = form_get(&p->form, name);
	int64_t id = 0;
	return v && http_parse_id(v, &id) ? id : 0;
}

static void post_admin_user(struct request *r)
{
	struct page p;
	struct web_call c;
	if (!admin_open(r, &p, "admin.title", "nav.admin", true))
		return;
	admin_call(&p, "POST", "/api/v1/users",
		   json_pack("{sI ss ss}", "member", (json_int_t)form_id(&p, "member"), "email",
			     form_get(&p.form, "email") ?: "", "role",
			     form_get(&p.form, "role") ?: ""),
		   &c);
	if (c.status == 201)
		admin_render(&p, 200, NULL, "admin.created",
			     json_string_value(json_object_get(c.json, "enrolment_code")), NULL,
			     NULL);
	else
		admin_render(&p, c.status, NULL, NULL, NULL, web_call_error(&c), "user");
	web_call_release(&c);
}

/* The e-mail of account `id` into out (its number when it is gone). */
static void user_email(struct page *p, int64_t id, char *out, size_t n)
{
	struct web_call u;
	size_t i;
	json_t *it;
	snprintf(out, n, "%" PRId64, id);
	web_call(p->r, "GET", "/api/v1/users", "limit=1000", NULL, NULL, 0, &u);
	json_array_foreach(json_object_get(u.json, "items"), i, it)
	{
		if (json_integer_value(json_object_get(it, "id")) == id)
			snprintf(out, n, "%s", json_string_value(json_object_get(it, "email")));
	}
	web_call_release(&u);
}

/* Resets an account (after confirmation): its new enrolment code shown once. */
static void post_user_enrolment(struct request *r)
{
	struct page p;
	struct web_call c;
	char path[64], email[256];
	if (!admin_open(r, &p, "admin.title", "nav.admin", true))
		return;
	user_email(&p, r->id[0], email, sizeof(email));
	if (!admin_confirmed(&p, email, "/web/admin", "admin.reset"))
		return;
	snprintf(path, sizeof(path), "/api/v1/users/%" PRId64 "/enrolment", r->id[0]);
	admin_call(&p, "POST", path, NULL, &c);
	if (c.status == 200)
		admin_render(&p, 200, NULL, "admin.reset_done",
			     json_string_value(json_object_get(c.json, "enrolment_code")), NULL,
			     NULL);
	else
		admin_render(&p, c.status, NULL, NULL, NULL, web_call_error(&c), NULL);
	web_call_release(&c);
}

static void post_user_delete(struct request *r)
{
	struct page p;
	struct web_call c;
	char path[64], email[256];
	if (!admin_open(r, &p, "admin.title", "nav.admin", true))
		return;
	user_email(&p, r->id[0], email, sizeof(email));
	if (!admin_confirmed(&p, email, "/web/admin", "admin.delete"))
		return;
	snprintf(path, sizeof(path), "/api/v1/users/%" PRId64, r->id[0]);
	admin_call(&p, "DELETE", path, NULL, &c);
	if (c.status == 204)
		admin_render(&p, 200, "admin.user_deleted", NULL, NULL, NULL, NULL);
	else
		admin_render(&p, c.status, NULL, NULL, NULL, web_call_error(&c), NULL);
	web_call_release(&c);
}

/* --- a member: its details, its API tokens, its deletion --- */

static void tokens_section(struct page *p, json_int_t member, json_t *tokens, const char *field)
{
	struct buf *o = &p->r->out;
	size_t i;
	json_t *it;
	page_section(p, "h-tokens", "tokens.title");
	page_tag_text(p, "<p class=\"hint\">", "tokens.hint", "</p>");
	buf_adds(o, "<table><thead><tr>");
	page_tag_text(p, "<th scope=\"col\">", "tokens.label", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "tokens.created", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "tokens.revoked", "</th>");
	page_tag_text(p, "<th scope=\"col\">", "admin.actions", "</th>");
	buf_adds(o, "</tr></thead><tbody>");
	json_array_foreach(tokens, i, it)
	{
		buf_adds(o, "<tr><td>");
		html_esc(o, json_string_value(json_object_get(it, "label")));
		buf_adds(o, "</td><td>");
		page_when(p, json_string_value(json_object_get(it, "created")));
		buf_adds(o, "</td><td>");
		const char *revoked = json_string_value(json_object_get(it, "revoked"));
		if (revoked)
			page_when(p, revoked);
		else
			page_text(p, "tokens.live");
		buf_adds(o, "</td><td class=\"actions\">");
		if (!revoked) {
			char action[96];
			snprintf(action, sizeof(action),
				 "/web/admin/members/%" JSON_INTEGER_FORMAT
				 "/tokens/%" JSON_INTEGER_FORMAT "/revoke",
				 member, json_integer_value(json_object_get(it, "id")));
			admin_button(p, action, "tokens.revoke");
		}
		buf_adds(o, "</td></tr>");
	}
	buf_adds(o, "</tbody></table>");
	buf_addf(o,
		 "<form method=\"post\" class=\"stack\" "
		 "action=\"/web/admin/members/%" JSON_INTEGER_FORMAT "/tokens\">",
		 member);
	html_csrf(o, &p->h);
	admin_input(p, "t-label", "label", "tokens.label", "", "maxlength=\"100\"", field);
	page_tag_text(p, "<button type=\"submit\">", "tokens.create", "</button></form></section>");
}

/* Member r->id[0]'s page: `done` says what was just done, `token` is a new
 * token (its secret shown once), `error` the API's refusal. */
static void member_render(struct page *p, int status, const char *done, json_t *token,
			  json_t *error)
{
	char path[64];
	struct web_call m, t;
	snprintf(path, sizeof(path), "/api/v1/members/%" PRId64, p->r->id[0]);
	if (!page_get(p, path, NULL, &m))
		return;
	snprintf(path, sizeof(path), "/api/v1/members/%" PRId64 "/tokens", p->r->id[0]);
	web_call(p->r, "GET", path, NULL, NULL, NULL, 0, &t);
	struct buf *o = &p->r->out;
	const char *field = json_string_value(json_object_get(error, "field"));
	char here[64];
	snprintf(here, sizeof(here), "/web/admin/members/%" PRId64, p->r->id[0]);
	p->h.title_key = "admin.member_title";
	p->h.here = here;
	page_begin(p, status);
	buf_adds(o, "<p class=\"lead\">");
	html_esc(o, json_string_value(json_object_get(m.json, "name")));
	page_tag_text(p, " · <a href=\"/web/admin\">", "admin.back", "</a></p>");
	if (done)
		page_tag_text(p, "<p role=\"status\" class=\"done\">", done, "</p>");
	if (error)
		page_api_error(p, error);
	if (token) {
		secret_once(p, "tokens.shown_once",
			    json_string_value(json_object_get(token, "token")));
	}
	member_form(p, m.json, error); /* tied to its field; shown above with the others */
	tokens_section(p, json_integer_value(json_object_get(m.json, "id")),
		       json_object_get(t.json, "items"), field);
	page_section(p, "h-delete", "admin.member_delete");
	page_tag_text(p, "<p class=\"hint\">", "admin.member_delete_hint", "</p>");
	snprintf(path, sizeof(path), "/web/admin/members/%" PRId64 "/delete", p->r->id[0]);
	admin_button(p, path, "admin.member_delete");
	buf_adds(o, "</section>");
	page_end(p);
	web_call_release(&m);
	web_call_release(&t);
}

static void member_page(struct request *r)
{
	struct page p;
	if (admin_open(r, &p, "admin.member_title", "nav.admin", false))
		member_render(&p, 200, NULL, NULL, NULL);
}

/* A whole number typed in a form: as a JSON integer, else as the text (the
 * API then names the field), null when empty. */
static json_t *form_number(const char *v)
{
	char *end;
	if (!v || !*v)
		return json_null();
	errno = 0;
	long long n = strtoll(v, &end, 10);
	return *end || errno ? json_string(v) : json_integer(n);
}

/* The member fields of the posted form, as the API takes them. */
static json_t *member_body(struct page *p)
{
	return json_pack("{ss ss ss ss so so}", "name", form_get(&p->form, "name") ?: "", "kind",
			 form_get(&p->form, "kind") ?: "", "country",
			 form_get(&p->form, "country") ?: "", "role",
			 form_get(&p->form, "role") ?: "", "languages",
			 admin_list(form_get(&p->form, "languages")), "ack_deadline_seconds",
			 form_number(form_get(&p->form, "ack_deadline_seconds")));
}

/* A new member: its first API token is shown once. */
static void post_member_new(struct request *r)
{
	struct page p;
	struct web_call c;
	if (!admin_open(r, &p, "admin.title", "nav.admin", true))
		return;
	admin_call(&p, "POST", "/api/v1/members", member_body(&p), &c);
	if (c.status == 201)
		admin_render(&p, 200, NULL, "admin.member_created",
			     json_string_value(json_object_get(c.json, "token")), NULL, NULL);
	else
		admin_render(&p, c.status, NULL, NULL, NULL, web_call_error(&c), "member");
	web_call_release(&c);
}

static void post_member(struct request *r)
{
	struct page p;
	struct web_call c;
	char path[64];
	if (!admin_open(r, &p, "admin.member_title", "nav.admin", true))
		return;
	snprintf(path, sizeof(path), "/api/v1/members/%" PRId64, r->id[0]);
	admin_call(&p, "PATCH", path, member_body(&p), &c);
	if (c.status == 200)
		member_render(&p, 200, "admin.saved", NULL, NULL);
	else
		member_render(&p, c.status, NULL, NULL, web_call_error(&c));
	web_call_release(&c);
}

static void post_member_delete(struct request *r)
{
	struct page p;
	struct web_call m, c;
	char path[64];
	if (!admin_open(r, &p, "admin.member_title", "nav.admin", true))
		return;
	snprintf(path, sizeof(path), "/api/v1/members/%" PRId64, r->id[0]);
	if (!page_get(&p, path, NULL, &m))
		return;
	char back[64];
	snprintf(back, sizeof(back), "/web/admin/members/%" PRId64, r->id[0]);
	bool go = admin_confirmed(&p, json_string_value(json_object_get(m.json, "name")), back,
				  "admin.delete");
	web_call_release(&m);
	if (!go)
		return;
	admin_call(&p, "DELETE", path, NULL, &c);
	if (c.status == 204)
		admin_render(&p, 200, "admin.member_deleted", NULL, NULL, NULL, NULL);
	else
		member_render(&p, c.status, NULL, NULL, web_call_error(&c));
	web_call_release(&c);
}

static void post_token(struct request *r)
{
	struct page p;
	struct web_call c;
	char path[64];
	if (!admin_open(r, &p, "admin.member_title", "nav.admin", true))
		return;
	snprintf(path, sizeof(path), "/api/v1/members/%" PRId64 "/tokens", r->id[0]);
	admin_call(&p, "POST", path, json_pack("{ss}", "label", form_get(&p.form, "label") ?: ""),
		   &c);
	if (c.status == 201)
		member_render(&p, 200, NULL, c.json, NULL);
	else
		member_render(&p, c.status, NULL, NULL, web_call_error(&c));
	web_call_release(&c);
}

static void post_token_revoke(struct request *r)
{
	struct page p;
	struct web_call c;
	char path[96];
	if (!admin_open(r, &p, "admin.member_title", "nav.admin", true))
		return;
	snprintf(path, sizeof(path), "/api/v1/members/%" PRId64 "/tokens/%" PRId64, r->id[0],
		 r->id[1]);
	admin_call(&p, "DELETE", path, NULL, &c);
	if (c.status == 204)
		member_render(&p, 200, "tokens.revoked_done", NULL, NULL);
	else
		member_render(&p, c.status, NULL, NULL, web_call_error(&c));
	web_call_release(&c);
}

/* --- groups: named sets of members and peer nodes --- */

/* Checkboxes for each item of `items` (members or peers), ticked when its id
 * is in `chosen`. */
static void item_boxes(struct page *p, const char *name, const char *legend, json_t *items,
		       json_t *chosen, const char *field)
{
	struct buf *o = &p->r->out;
	size_t i, j;
	json_t *it, *c;
	buf_adds(o, "<fieldset");
	admin_describedby(p, field, name);
	page_tag_text(p, "><legend>", legend, "</legend>");
	json_array_foreach(items, i, it)
	{
		json_int_t id = json_integer_value(json_object_get(it, "id"));
		bool on = false;
		json_array_foreach(chosen, j, c) on = on || json_integer_value(c) == id;
		buf_addf(
		    o,
		    "<div class=\"choice\"><input type=\"checkbox\" id=\"g-%s-%" JSON_INTEGER_FORMAT
		    "\" name=\"%s\" value=\"%" JSON_INTEGER_FORMAT
		    "\"%s><label for=\"g-%s-%" JSON_INTEGER_FORMAT "\">",
		    name, id, name, id, on ? " checked" : "", name, id);
		html_esc(o, json_string_value(json_object_get(it, "name")));
		buf_adds(o, "</label></div>");
	}
	if (!json_array_size(items))
		page_tag_text(p, "<p>", "list.empty", "</p>");
	buf_adds(o, "</fieldset>");
}

/* A group's form: `g` NULL for a new one. */
static void group_render(struct page *p, int status, json_t *g, const char *done, json_t *error)
{
	struct buf *o = &p->r->out;
	struct web_call m, pe;
	const char *field = json_string_value(json_object_get(error, "field"));
	web_call(p->r, "GET", "/api/v1/members", "limit=1000", NULL, NULL, 0, &m);
	web_call(p->r, "GET", "/api/v1/peers", NULL, NULL, NULL, 0, &pe);
	json_int_t id = json_integer_value(json_object_get(g, "id"));
	char here[64];
	snprintf(here, sizeof(here), "/web/admin/groups/%" JSON_INTEGER_FORMAT, id);
	p->h.title_key = g ? "admin.group_title" : "admin.group_new";
	p->h.here = g ? here : "/web/admin/groups/new";
	page_begin(p, status);
	page_tag_text(p, "<p><a href=\"/web/admin\">", "admin.back", "</a></p>");
	if (done)
		page_tag_text(p, "<p role=\"status\" class=\"done\">", done, "</p>");
	if (error)
		page_api_error(p, error);
	if (g)
		buf_addf(o,
			 "<form method=\"post\" class=\"stack\" "
			 "action=\"/web/admin/groups/%" JSON_INTEGER_FORMAT "\">",
			 id);
	else
		buf_adds(o, "<form method=\"post\" class=\"stack\" action=\"/web/admin/groups\">");
	html_csrf(o, &p->h);
	admin_input(p, "g-name", "name", "admin.name",
		    json_string_value(json_object_get(g, "name")), "required maxlength=\"200\"",
		    field);
	admin_input(p, "g-description", "description", "admin.description",
		    json_string_value(json_object_get(g, "description")), "maxlength=\"2000\"",
		    field);
	item_boxes(p, "members", "admin.members", json_object_get(m.json, "items"),
		   json_object_get(g, "members"), field);
	item_boxes(p, "peers", "peers.title", json_object_get(pe.json, "items"),
		   json_object_get(g, "peers"), field);
	page_tag_text(p, "<button type=\"submit\">", g ? "admin.save" : "admin.group_create",
		      "</button></form>");
	if (g) {
		char action[64];
		snprintf(action, sizeof(action),
			 "/web/admin/groups/%" JSON_INTEGER_FORMAT "/delete", id);
		admin_button(p, action, "admin.group_delete");
	}
	page_end(p);
	web_call_release(&m);
	web_call_release(&pe);
}

/* The group of r->id[0] as the API gives it; 404 page (NULL) when none. */
static json_t *load_group(struct page *p, struct web_call *c)
{
	char path[64];
	snprintf(path, sizeof(path), "/api/v1/groups/%" PRId64, p->r->id[0]);
	web_call(p->r, "GET", path, NULL, NULL, NULL, 0, c);
	if (c->status == 200)
		return c->json;
	web_call_release(c);
	page_not_found(p);
	return NULL;
}

static void group_page(struct request *r)
{
	struct page p;
	struct web_call c;
	if (!admin_open(r, &p, "admin.group_title", "nav.admin", false))
		return;
	json_t *g = load_group(&p, &c);
	if (g) {
		group_render(&p, 200, g, NULL, NULL);
		web_call_release(&c);
	}
}

static void group_new_page(struct request *r)
{
	struct page p;
	if (admin_open(r, &p, "admin.group_new", "nav.admin", false))
		group_render(&p, 200, NULL, NULL, NULL);
}

/* The ids of every field `name` of the form (the ticked boxes). */
static json_t *form_ids(struct page *p, const char *name)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->form.n; i++) {
		int64_t id;
		if (!strcmp(p->form.f[i].name, name) && http_parse_id(p->form.f[i].value, &id))
			json_array_append_new(a, json_integer(id));
	}
	return a;
}

static json_t *group_body(struct page *p)
{
	return json_pack("{ss ss so so}", "name", form_get(&p->form, "name") ?: "", "description",
			 form_get(&p->form, "description") ?: "", "members", form_ids(p, "members"),
			 "peers", form_ids(p, "peers"));
}

static void post_group_new(struct request *r)
{
	struct page p;
	struct web_call c;
	if (!admin_open(r, &p, "admin.group_new", "nav.admin", true))
		return;
	admin_call(&p, "POST", "/api/v1/groups", group_body(&p), &c);
	if (c.status == 201)
		group_render(&p, 200, c.json, "admin.group_created", NULL);
	else
		group_render(&p, c.status, NULL, NULL, web_call_error(&c));
	web_call_release(&c);
}

static void post_group(struct request *r)
{
	struct page p;
	struct web_call g, c;
	char path[64];
	if (!admin_open(r, &p, "admin.group_title", "nav.admin", true) || !load_group(&p, &g))
		return;
	snprintf(path, sizeof(path), "/api/v1/groups/%" PRId64, r->id[0]);
	admin_call(&p, "PATCH", path, group_body(&p), &c);
	if (c.status == 200)
		group_render(&p, 200, c.json, "admin.saved", NULL);
	else
		group_render(&p, c.status, g.json, NULL, web_call_error(&c));
	web_call_release(&c);
	web_call_release(&g);
}

static void post_group_delete(struct request *r)
{
	struct page p;
	struct web_call g, c;
	char path[64], back[64];
	if (!admin_open(r, &p, "admin.group_title", "nav.admin", true) || !load_group(&p, &g))
		return;
	snprintf(back, sizeof(back), "/web/admin/groups/%" PRId64, r->id[0]);
	bool go = admin_confirmed(&p, json_string_value(json_object_get(g.json, "name")), back,
				  "admin.delete");
	if (go) {
		snprintf(path, sizeof(path), "/api/v1/groups/%" PRId64, r->id[0]);
		admin_call(&p, "DELETE", path, NULL, &c);
		if (c.status == 204)
			admin_render(&p, 200, "admin.group_deleted", NULL, NULL, NULL, NULL);
		else
			group_render(&p, c.status, g.json, NULL, web_call_error(&c));
		web_call_release(&c);
	}
	web_call_release(&g);
}

#define PAGE ROUTE_PUBLIC /* the session is checked by the page itself */
const struct route web_admin_routes[] = {
    {"GET", "/web/admin", admin_page, PAGE, NULL, "web: members, groups and people (admin)"},
    {"POST", "/web/admin/users", post_admin_user, PAGE, NULL,
     "web: add a person's account (admin)"},
    {"POST", "/web/admin/users/{id}/enrolment", post_user_enrolment, PAGE, NULL,
     "web: reset a person's enrolment, after confirmation (admin)"},
    {"POST", "/web/admin/users/{id}/delete", post_user_delete, PAGE, NULL,
     "web: delete a person's account, after confirmation (admin)"},
    {"POST", "/web/admin/members", post_member_new, PAGE, NULL,
     "web: add a member, its first API token shown once (admin)"},
    {"GET", "/web/admin/members/{id}", member_page, PAGE, NULL,
     "web: a member, its API tokens (admin)"},
    {"POST", "/web/admin/members/{id}", post_member, PAGE, NULL, "web: change a member (admin)"},
    {"POST", "/web/admin/members/{id}/delete", post_member_delete, PAGE, NULL,
     "web: delete a member, after confirmation (admin)"},
    {"POST", "/web/admin/members/{id}/tokens", post_token, PAGE, NULL,
     "web: create an API token, its secret shown once (admin)"},
    {"POST", "/web/admin/members/{id}/tokens/{token_id}/revoke", post_token_revoke, PAGE, NULL,
     "web: revoke an API token (admin)"},
    {"GET", "/web/admin/groups/new", group_new_page, PAGE, NULL, "web: create a group (admin)"},
    {"POST", "/web/admin/groups", post_group_new, PAGE, NULL, "web: create a group (admin)"},
    {"GET", "/web/admin/groups/{id}", group_page, PAGE, NULL,
     "web: a group's members and peers (admin)"},
    {"POST", "/web/admin/groups/{id}", post_group, PAGE, NULL, "web: change a group (admin)"},
    {"POST", "/web/admin/groups/{id}/delete", post_group_delete, PAGE, NULL,
     "web: delete a group, after confirmation (admin)"},
    {0},
};
