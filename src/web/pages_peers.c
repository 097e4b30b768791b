/* The admin's pages of what comes from outside the node: peer nodes
 * (federation) with this node's own identity, and TAXII sources. */
#include "web/pages_peers.h"

#include "web/pages_admin.h"

#include <inttypes.h>
#include <string.h>

/* A <dt> term and the start of its <dd>. */
static void term(struct page *p, const char *key)
{
	page_tag_text(p, "<dt>", key, "</dt><dd>");
}

static void number(struct page *p, json_t *v)
{
	i18n_number(&p->r->out, p->h.lang, json_integer_value(v));
}

/* Where a post's outcome is shown: a field's error goes with its form below. */
static void outcome(struct page *p, const char *done, json_t *error)
{
	if (done)
		page_tag_text(p, "<p role=\"status\" class=\"done\">", done, "</p>");
	if (error && !json_object_get(error, "field"))
		page_api_error(p, error);
}

/* --- peer nodes --- */

static void node_section(struct page *p)
{
	struct buf *o = &p->r->out;
	struct web_call c;
	web_call(p->r, "GET", "/api/v1/node", NULL, NULL, NULL, 0, &c);
	page_section(p, "h-node", "peers.node");
	if (c.status != 200) {
		page_api_error(p, web_call_error(&c));
	} else {
		buf_adds(o, "<dl class=\"meta\">");
		term(p, "admin.name");
		html_esc(o, json_string_value(json_object_get(c.json, "name")));
		buf_adds(o, "</dd>");
		term(p, "contacts.country");
		html_ltr(o, json_string_value(json_object_get(c.json, "country")));
		buf_adds(o, "</dd>");
		term(p, "peers.key");
		buf_adds(o, "<span class=\"secret\">");
		html_ltr(o, json_string_value(json_object_get(c.json, "public_key")));
		buf_adds(o, "</span></dd>");
		term(p, "peers.fingerprint");
		buf_adds(o, "<span class=\"secret\">");
		html_ltr(o, json_string_value(json_object_get(c.json, "fingerprint")));
		buf_adds(o, "</span></dd></dl>");
		page_tag_text(p, "<p class=\"hint\">", "peers.node_hint", "</p>");
	}
	buf_adds(o, "</section>");
	web_call_release(&c);
}

static void peer_item(struct page *p, json_t *it)
{
	struct buf *o = &p->r->out;
	json_int_t id = json_integer_value(json_object_get(it, "id"));
	char action[64];
	buf_addf(o, "<section class=\"item\" aria-labelledby=\"h-peer-%" JSON_INTEGER_FORMAT "\">",
		 id);
	buf_addf(o,
		 "<h3 id=\"h-peer-%" JSON_INTEGER_FORMAT
		 "\"><a href=\"/web/admin/peers/%" JSON_INTEGER_FORMAT "\">",
		 id, id);
	html_esc(o, json_string_value(json_object_get(it, "name")));
	buf_adds(o, "</a></h3><dl class=\"meta\">");
	term(p, "peers.url");
	html_ltr(o, json_string_value(json_object_get(it, "url")));
	buf_adds(o, "</dd>");
	term(p, "peers.fingerprint");
	buf_adds(o, "<span class=\"secret\">");
	html_ltr(o, json_string_value(json_object_get(it, "fingerprint")));
	buf_adds(o, "</span></dd>");
	term(p, "peers.audience");
	page_audience(p, json_object_get(it, "audience"));
	buf_adds(o, "</dd>");
	term(p, "peers.last_contact");
	page_when(p, json_string_value(json_object_get(it, "last_contact")));
	buf_adds(o, "</dd>");
	term(p, "peers.lag_reports");
	number(p, json_object_get(it, "lag_reports"));
	buf_adds(o, "</dd>");
	term(p, "peers.lag_seconds");
	number(p, json_object_get(it, "lag_seconds"));
	buf_adds(o, "</dd>");
	term(p, "peers.reports_in");
	number(p, json_object_get(it, "reports_in"));
	buf_adds(o, "</dd>");
	term(p, "peers.bytes_in");
	number(p, json_object_get(it, "bytes_in"));
	buf_adds(o, "</dd>");
	term(p, "peers.bytes_out");
	number(p, json_object_get(it, "bytes_out"));
	buf_adds(o, "</dd>");
	term(p, "peers.last_error");
	const char *err = json_string_value(json_object_get(it, "last_error"));
	if (err && *err) {
		html_ltr(o, err);
		buf_adds(o, " ");
		page_when(p, json_string_value(json_object_get(it, "last_error_at")));
	} else {
		page_text(p, "peers.no_error");
	}
	buf_adds(o, "</dd></dl><div class=\"actions\">");
	snprintf(action, sizeof(action), "/web/admin/peers/%" JSON_INTEGER_FORMAT "/sync", id);
	admin_button(p, action, "peers.sync");
	snprintf(action, sizeof(action), "/web/admin/peers/%" JSON_INTEGER_FORMAT "/delete", id);
	admin_button(p, action, "admin.delete");
	buf_adds(o, "</div></section>");
}

static void peer_form(struct page *p, json_t *error)
{
	struct buf *o = &p->r->out;
	const char *field = json_string_value(json_object_get(error, "field"));
	page_section(p, "h-addpeer", "peers.add");
	if (field)
		page_api_error(p, error);
	buf_adds(o, "<form method=\"post\" action=\"/web/admin/peers\" class=\"stack\">");
	html_csrf(o, &p->h);
	admin_input(p, "p-name", "name", "admin.name", "", "required maxlength=\"64\" dir=\"ltr\"",
		    field);
	admin_input(p, "p-url", "url", "peers.url", "",
		    "type=\"url\" required placeholder=\"https://node.example:8440\" dir=\"ltr\"",
		    field);
	admin_input(p, "p-key", "public_key", "peers.key", "",
		    "required placeholder=\"ed25519:…\" dir=\"ltr\" autocomplete=\"off\"", field);
	admin_input(p, "p-audience", "audience", "peers.audience", "",
		    "placeholder=\"group:1, member:2\" dir=\"ltr\"", field);
	page_tag_text(p, "<p class=\"hint\">", "peers.audience_hint", "</p>");
	admin_input(p, "p-pin", "tls_pin", "peers.tls_pin", "",
		    "placeholder=\"sha256//…\" dir=\"ltr\"", field);
	page_tag_text(p, "<button type=\"submit\">", "peers.add_submit",
		      "</button></form></section>");
}

static void peers_render(struct page *p, int status, const char *done, json_t *error)
{
	struct buf *o = &p->r->out;
	struct web_call c;
	size_t i;
	json_t *it;
	web_call(p->r, "GET", "/api/v1/peers", NULL, NULL, NULL, 0, &c);
	p->h.title_key = "peers.title";
	p->h.here = "/web/admin/peers";
	page_begin(p, status);
	outcome(p, done, error);
	node_section(p);
	page_section(p, "h-peers", "peers.list");
	json_array_foreach(json_object_get(c.json, "items"), i, it) peer_item(p, it);
	if (!json_array_size(json_object_get(c.json, "items")))
		page_tag_text(p, "<p>", "list.empty", "</p>");
	buf_adds(o, "</section>");
	peer_form(p, error);
	page_end(p);
	web_call_release(&c);
}

static void peers_page(struct request *r)
{
	struct page p;
	if (admin_open(r, &p, "peers.title", "nav.peers", false))
		peers_render(&p, 200, NULL, NULL);
}

static void post_peer(struct request *r)
{
	struct page p;
	struct web_call c;
	if (!admin_open(r, &p, "peers.title", "nav.peers", true))
		return;
	json_t *body = json_pack("{ss ss ss so}", "name", form_get(&p.form, "name") ?: "", "url",
				 form_get(&p.form, "url") ?: "", "public_key",
				 form_get(&p.form, "public_key") ?: "", "audience",
				 admin_list(form_get(&p.form, "audience")));
	const char *pin = form_get(&p.form, "tls_pin");
	if (pin && *pin)
		json_object_set_new(body, "tls_pin", json_string(pin));
	admin_call(&p, "POST", "/api/v1/peers", body, &c);
	if (c.status == 201)
		peers_render(&p, 200, "peers.added", NULL);
	else
		peers_render(&p, c.status, NULL, web_call_error(&c));
	web_call_release(&c);
}

static void post_peer_sync(struct request *r)
{
	struct page p;
	struct web_call c;
	char path[64];
	if (!admin_open(r, &p, "peers.title", "nav.peers", true))
		return;
	snprintf(path, sizeof(path), "/api/v1/peers/%" PRId64 "/sync", r->id[0]);
	admin_call(&p, "POST", path, NULL, &c);
	if (c.status == 200)
		peers_render(&p, 200, "peers.synced", NULL);
	else
		peers_render(&p, c.status, NULL, web_call_error(&c));
	web_call_release(&c);
}

static void post_peer_delete(struct request *r)
{
	struct page p;
	struct web_call g, c;
	char path[64];
	if (!admin_open(r, &p, "peers.title", "nav.peers", true))
		return;
	snprintf(path, sizeof(path), "/api/v1/peers/%" PRId64, r->id[0]);
	if (!page_get(&p, path, NULL, &g))
		return;
	bool go = admin_confirmed(&p, json_string_value(json_object_get(g.json, "name")),
				  "/web/admin/peers", "admin.delete");
	web_call_release(&g);
	if (!go)
		return;
	admin_call(&p, "DELETE", path, NULL, &c);
	if (c.status == 204)
		peers_render(&p, 200, "peers.deleted", NULL);
	else
		peers_render(&p, c.status, NULL, web_call_error(&c));
	web_call_release(&c);
}

/* A peer's page: what can change (URL, audience here, TLS pin) and a way to
 * pull its whole feed again. `peer` is the API's answer. */
static void peer_render(struct page *p, int status, json_t *peer, const char *done, json_t *error)
{
	struct buf *o = &p->r->out;
	const char *field = json_string_value(json_object_get(error, "field"));
	json_int_t id = json_integer_value(json_object_get(peer, "id"));
	char here[64], audience[1024] = "";
	size_t i, n = 0;
	json_t *it;
	json_array_foreach(json_object_get(peer, "audience"), i, it)
	{
		int k = snprintf(audience + n, sizeof(audience) - n, "%s%s", i ? ", " : "",
				 json_string_value(it));
		if (k < 0 || (size_t)k >= sizeof(audience) - n)
			break;
		n += (size_t)k;
	}
	snprintf(here, sizeof(here), "/web/admin/peers/%" JSON_INTEGER_FORMAT, id);
	p->h.title_key = "peers.edit";
	p->h.here = here;
	page_begin(p, status);
	buf_adds(o, "<p class=\"lead\">");
	html_esc(o, json_string_value(json_object_get(peer, "name")));
	buf_adds(o, " · <span class=\"secret\">");
	html_ltr(o, json_string_value(json_object_get(peer, "fingerprint")));
	page_tag_text(p, "</span> · <a href=\"/web/admin/peers\">", "peers.back", "</a></p>");
	if (done)
		page_tag_text(p, "<p role=\"status\" class=\"done\">", done, "</p>");
	if (error)
		page_api_error(p, error);
	buf_addf(o, "<form method=\"post\" class=\"stack\" action=\"%s\">", here);
	html_csrf(o, &p->h);
	admin_input(p, "p-url", "url", "peers.url", json_string_value(json_object_get(peer, "url")),
		    "type=\"url\" required dir=\"ltr\"", field);
	admin_input(p, "p-audience", "audience", "peers.audience", audience, "dir=\"ltr\"", field);
	page_tag_text(p, "<p class=\"hint\">", "peers.audience_hint", "</p>");
	admin_input(p, "p-pin", "tls_pin", "peers.tls_pin",
		    json_string_value(json_object_get(peer, "tls_pin")), "dir=\"ltr\"", field);
	buf_adds(o, "<div class=\"choice\"><input type=\"checkbox\" id=\"p-again\" name=\"again\" "
		    "value=\"1\">");
	page_tag_text(p, "<label for=\"p-again\">", "peers.pull_again", "</label></div>");
	page_tag_text(p, "<button type=\"submit\">", "admin.save", "</button></form>");
	page_end(p);
}

static void peer_page(struct request *r)
{
	struct page p;
	struct web_call c;
	char path[64];
	if (!admin_open(r, &p, "peers.edit", "nav.peers", false))
		return;
	snprintf(path, sizeof(path), "/api/v1/peers/%" PRId64, r->id[0]);
	if (!page_get(&p, path, NULL, &c))
		return;
	peer_render(&p, 200, c.json, NULL, NULL);
	web_call_release(&c);
}

/* PATCH: the URL, the audience (for reports that arrive from now on), the
 * TLS pin (empty: none), and the cursor back to 0 when asked. */
static void post_peer_change(struct request *r)
{
	struct page p;
	struct web_call g, c;
	char path[64];
	if (!admin_open(r, &p, "peers.edit", "nav.peers", true))
		return;
	snprintf(path, sizeof(path), "/api/v1/peers/%" PRId64, r->id[0]);
	if (!page_get(&p, path, NULL, &g))
		return;
	const char *pin = form_get(&p.form, "tls_pin");
	json_t *body = json_pack("{ss so so}", "url", form_get(&p.form, "url") ?: "", "audience",
				 admin_list(form_get(&p.form, "audience")), "tls_pin",
				 pin && *pin ? json_string(pin) : json_null());
	if (form_get(&p.form, "again"))
		json_object_set_new(body, "cursor", json_integer(0));
	admin_call(&p, "PATCH", path, body, &c);
	if (c.status == 200)
		peer_render(&p, 200, c.json, "admin.saved", NULL);
	else
		peer_render(&p, c.status, g.json, NULL, web_call_error(&c));
	web_call_release(&c);
	web_call_release(&g);
}

/* --- TAXII sources --- */

/* A one-button form naming source `name` in a hidden field (a source's name
 * may hold any character: it is not put in the page's URL). */
static void source_button(struct page *p, const char *action, const char *name,
			  const char *label_key)
{
	struct buf *o = &p->r->out;
	buf_addf(o, "<form method=\"post\" class=\"inline\" action=\"%s\">", action);
	html_csrf(o, &p->h);
	buf_adds(o, "<input type=\"hidden\" name=\"name\" value=\"");
	html_esc(o, name);
	buf_adds(o, "\">");
	page_tag_text(p, "<button type=\"submit\">", label_key, "</button></form>");
}

static void source_item(struct page *p, json_t *it, size_t n)
{
	struct buf *o = &p->r->out;
	const char *name = json_string_value(json_object_get(it, "name"));
	buf_addf(o, "<section class=\"item\" aria-labelledby=\"h-src-%zu\"><h3 id=\"h-src-%zu\">",
		 n, n);
	html_esc(o, name);
	buf_adds(o, "</h3><dl class=\"meta\">");
	term(p, "peers.url");
	html_ltr(o, json_string_value(json_object_get(it, "url")));
	buf_adds(o, "</dd>");
	term(p, "taxii.collection");
	html_ltr(o, json_string_value(json_object_get(it, "collection")));
	buf_adds(o, "</dd>");
	term(p, "taxii.auth");
	html_ltr(o, json_string_value(json_object_get(it, "auth")));
	if (json_string_value(json_object_get(it, "username"))) {
		buf_adds(o, " ");
		html_ltr(o, json_string_value(json_object_get(it, "username")));
	}
	buf_adds(o, "</dd>");
	term(p, "peers.audience");
	page_audience(p, json_object_get(it, "audience"));
	buf_adds(o, "</dd>");
	term(p, "taxii.every");
	if (json_integer_value(json_object_get(it, "every_seconds")))
		number(p, json_object_get(it, "every_seconds"));
	else
		page_text(p, "taxii.by_hand");
	buf_adds(o, "</dd>");
	term(p, "taxii.pulled");
	number(p, json_object_get(it, "pulled"));
	buf_adds(o, "</dd>");
	term(p, "taxii.last_pull");
	page_when(p, json_string_value(json_object_get(it, "last_pull")));
	buf_adds(o, "</dd>");
	term(p, "taxii.next_pull");
	page_when(p, json_string_value(json_object_get(it, "next_pull")));
	buf_adds(o, "</dd>");
	term(p, "peers.last_error");
	const char *err = json_string_value(json_object_get(it, "last_error"));
	if (err && *err)
		html_ltr(o, err);
	else
		page_text(p, "peers.no_error");
	buf_adds(o, "</dd></dl><div class=\"actions\">");
	source_button(p, "/web/admin/taxii/pull", name, "taxii.pull");
	source_button(p, "/web/admin/taxii/delete", name, "admin.delete");
	buf_adds(o, "</div></section>");
}

static void source_form(struct page *p, json_t *error)
{
	struct buf *o = &p->r->out;
	const char *field = json_string_value(json_object_get(error, "field"));
	page_section(p, "h-addsrc", "taxii.add");
	if (field)
		page_api_error(p, error);
	buf_adds(o, "<form method=\"post\" action=\"/web/admin/taxii\" class=\"stack\">");
	html_csrf(o, &p->h);
	admin_input(p, "s-name", "name", "admin.name", "", "required maxlength=\"100\"", field);
	admin_input(p, "s-url", "url", "taxii.api_root", "",
		    "type=\"url\" required placeholder=\"https://taxii.example/api1/\" dir=\"ltr\"",
		    field);
	admin_input(p, "s-collection", "collection", "taxii.collection", "", "required dir=\"ltr\"",
		    field);
	admin_input(p, "s-username", "username", "taxii.username", "",
		    "dir=\"ltr\" autocomplete=\"off\"", field);
	admin_input(p, "s-password-file", "password_file", "taxii.password_file", "",
		    "dir=\"ltr\" placeholder=\"/etc/atalaya/taxii.password\"", field);
	admin_input(p, "s-token-file", "token_file", "taxii.token_file", "",
		    "dir=\"ltr\" placeholder=\"/etc/atalaya/taxii.token\"", field);
	page_tag_text(p, "<p class=\"hint\">", "taxii.files_hint", "</p>");
	admin_input(p, "s-audience", "audience", "peers.audience", "",
		    "placeholder=\"all\" dir=\"ltr\"", field);
	admin_input(p, "s-every", "every_seconds", "taxii.every", "",
		    "type=\"number\" min=\"0\" dir=\"ltr\"", field);
	page_tag_text(p, "<p class=\"hint\">", "taxii.every_hint", "</p>");
	page_tag_text(p, "<button type=\"submit\">", "taxii.add_submit",
		      "</button></form></section>");
}

/* `pulled` is the API's answer to "pull now", when that was the post. */
static void taxii_render(struct page *p, int status, const char *done, json_t *pulled,
			 json_t *error)
{
	struct buf *o = &p->r->out;
	struct web_call c;
	size_t i;
	json_t *it;
	web_call(p->r, "GET", "/api/v1/taxii/sources", NULL, NULL, NULL, 0, &c);
	p->h.title_key = "taxii.title";
	p->h.here = "/web/admin/taxii";
	page_begin(p, status);
	outcome(p, done, error);
	if (pulled) {
		buf_adds(o, "<dl class=\"meta\">");
		term(p, "taxii.objects");
		number(p, json_object_get(pulled, "objects"));
		buf_adds(o, "</dd>");
		term(p, "taxii.reports");
		number(p, json_object_get(pulled, "reports"));
		buf_adds(o, "</dd></dl>");
	}
	page_section(p, "h-sources", "taxii.list");
	json_array_foreach(json_object_get(c.json, "items"), i, it) source_item(p, it, i);
	if (!json_array_size(json_object_get(c.json, "items")))
		page_tag_text(p, "<p>", "list.empty", "</p>");
	buf_adds(o, "</section>");
	source_form(p, error);
	page_end(p);
	web_call_release(&c);
}

static void taxii_page(struct request *r)
{
	struct page p;
	if (admin_open(r, &p, "taxii.title", "nav.taxii", false))
		taxii_render(&p, 200, NULL, NULL, NULL);
}

static void post_source(struct request *r)
{
	struct page p;
	struct web_call c;
	static const char *const optional[] = {"username", "password_file", "token_file",
					       "audience"};
	if (!admin_open(r, &p, "taxii.title", "nav.taxii", true))
		return;
	json_t *body = json_pack("{ss ss ss}", "name", form_get(&p.form, "name") ?: "", "url",
				 form_get(&p.form, "url") ?: "", "collection",
				 form_get(&p.form, "collection") ?: "");
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		const char *v = form_get(&p.form, optional[i]);
		if (v && *v)
			json_object_set_new(body, optional[i], json_string(v));
	}
	const char *every = form_get(&p.form, "every_seconds");
	if (every && *every) {
		char *end;
		long long n = strtoll(every, &end, 10);
		json_object_set_new(body, "every_seconds",
				    *end ? json_string(every) : json_integer(n));
	}
	admin_call(&p, "POST", "/api/v1/taxii/sources", body, &c);
	if (c.status == 201)
		taxii_render(&p, 200, "taxii.added", NULL, NULL);
	else
		taxii_render(&p, c.status, NULL, NULL, web_call_error(&c));
	web_call_release(&c);
}

/* The API path of the posted source name plus `suffix`, false when there is
 * none or it is too long for a path. */
static bool source_path(struct page *p, const char *suffix, char *out, size_t n)
{
	const char *name = form_get(&p->form, "name");
	if (!name || !*name)
		return false;
	int k = snprintf(out, n, "/api/v1/taxii/sources/%s%s", name, suffix);
	return k > 0 && (size_t)k < n;
}

static void post_source_pull(struct request *r)
{
	struct page p;
	struct web_call c;
	char path[256];
	if (!admin_open(r, &p, "taxii.title", "nav.taxii", true))
		return;
	if (!source_path(&p, "/pull", path, sizeof(path))) {
		page_not_found(&p);
		return;
	}
	admin_call(&p, "POST", path, NULL, &c);
	if (c.status == 200)
		taxii_render(&p, 200, "taxii.pulled_done", c.json, NULL);
	else
		taxii_render(&p, c.status, NULL, NULL, web_call_error(&c));
	web_call_release(&c);
}

static void post_source_delete(struct request *r)
{
	struct page p;
	struct web_call c;
	char path[256];
	if (!admin_open(r, &p, "taxii.title", "nav.taxii", true))
		return;
	if (!source_path(&p, "", path, sizeof(path))) {
		page_not_found(&p);
		return;
	}
	if (!admin_confirmed(&p, form_get(&p.form, "name"), "/web/admin/taxii", "admin.delete"))
		return;
	admin_call(&p, "DELETE", path, NULL, &c);
	if (c.status == 204)
		taxii_render(&p, 200, "taxii.deleted", NULL, NULL);
	else
		taxii_render(&p, c.status, NULL, NULL, web_call_error(&c));
	web_call_release(&c);
}

#define PAGE ROUTE_PUBLIC /* the session is checked by the page itself */
const struct route web_peer_routes[] = {
    {"GET", "/web/admin/peers", peers_page, PAGE, NULL,
     "web: this node's identity and its peer nodes (admin)"},
    {"POST", "/web/admin/peers", post_peer, PAGE, NULL, "web: add a peer node (admin)"},
    {"GET", "/web/admin/peers/{id}", peer_page, PAGE, NULL,
     "web: a peer node's URL, audience here and TLS pin (admin)"},
    {"POST", "/web/admin/peers/{id}", post_peer_change, PAGE, NULL,
     "web: change a peer node (admin)"},
    {"POST", "/web/admin/peers/{id}/sync", post_peer_sync, PAGE, NULL,
     "web: pull a peer's feed now (admin)"},
    {"POST", "/web/admin/peers/{id}/delete", post_peer_delete, PAGE, NULL,
     "web: remove a peer node, after confirmation (admin)"},
    {"GET", "/web/admin/taxii", taxii_page, PAGE, NULL, "web: the TAXII sources (admin)"},
    {"POST", "/web/admin/taxii", post_source, PAGE, NULL, "web: add a TAXII source (admin)"},
    {"POST", "/web/admin/taxii/pull", post_source_pull, PAGE, NULL,
     "web: pull a TAXII source now (admin)"},
    {"POST", "/web/admin/taxii/delete", post_source_delete, PAGE, NULL,
     "web: remove a TAXII source, after confirmation (admin)"},
    {0},
};
