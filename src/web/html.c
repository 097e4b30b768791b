#include "web/html.h"

#include <stdbool.h>
#include <string.h>

void html_escn(struct buf *out, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\0': rep = "\xef\xbf\xbd"; break; /* U+FFFD: no NUL in a page */
		default: continue;
		}
		buf_add(out, s + start, i - start);
		buf_adds(out, rep);
		start = i + 1;
	}
	buf_add(out, s + start, n - start);
}

void html_esc(struct buf *out, const char *s)
{
	if (s)
		html_escn(out, s, strlen(s));
}

void html_ltr(struct buf *out, const char *s)
{
	buf_adds(out, "<bdi dir=\"ltr\">");
	html_esc(out, s);
	buf_adds(out, "</bdi>");
}

/* The navigation, in one place: pages of later capabilities (requests,
 * checks, profiles, federation) add a line here. */
static const struct nav_entry {
	const char *key, *path;
	bool admin;
} nav[] = {
    {"nav.dashboard", "/web", false},		{"nav.reports", "/web/reports", false},
    {"nav.submit", "/web/submit", false},	{"nav.alerts", "/web/alerts", false},
    {"nav.contacts", "/web/contacts", false},	{"nav.lookup", "/web/lookup", false},
    {"nav.delisting", "/web/delisting", false}, {"nav.check", "/web/check", false},
    {"nav.requests", "/web/requests", false},	{"nav.profile", "/web/profile", false},
    {"nav.progress", "/web/progress", false},	{"nav.checks", "/web/checks", true},
    {"nav.admin", "/web/admin", true},		{"nav.peers", "/web/admin/peers", true},
    {"nav.taxii", "/web/admin/taxii", true},
};

void html_csrf(struct buf *out, const struct html_page *p)
{
	if (!p->csrf)
		return;
	buf_adds(out, "<input type=\"hidden\" name=\"csrf\" value=\"");
	html_esc(out, p->csrf);
	buf_adds(out, "\">");
}

static void language_switcher(struct buf *out, const struct html_page *p)
{
	enum lang l = p->lang;
	buf_adds(out, "<form class=\"lang\" method=\"post\" action=\"/web/language\">");
	html_csrf(out, p);
	buf_adds(out, "<input type=\"hidden\" name=\"back\" value=\"");
	html_esc(out, p->here ? p->here : "/web");
	buf_adds(out, "\"><label for=\"lang-select\">");
	html_esc(out, i18n_text(l, "lang.label"));
	buf_adds(out, "</label> <select id=\"lang-select\" name=\"lang\">");
	for (int i = 0; i < LANG_COUNT; i++) {
		buf_addf(out, "<option value=\"%s\" lang=\"%s\"%s>", i18n_code((enum lang)i),
			 i18n_code((enum lang)i), i == (int)l ? " selected" : "");
		html_esc(out, i18n_native_name((enum lang)i));
		buf_adds(out, "</option>");
	}
	buf_adds(out, "</select> <button type=\"submit\">");
	html_esc(out, i18n_text(l, "lang.apply"));
	buf_adds(out, "</button></form>");
}

void html_begin(struct buf *out, const struct html_page *p)
{
	enum lang l = p->lang;
	buf_addf(out,
		 "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\"><head><meta charset=\"utf-8\">"
		 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
		 i18n_code(l), i18n_dir(l));
	html_esc(out, i18n_text(l, p->title_key));
	buf_adds(out, " · atalaya</title><link rel=\"stylesheet\" href=\"/web/assets/style.css\">"
		      "</head><body><a class=\"skip\" href=\"#main\">");
	html_esc(out, i18n_text(l, "skip"));
	buf_adds(out, "</a><header><p class=\"brand\">atalaya</p>");
	if (p->csrf) {
		buf_adds(out, "<nav aria-label=\"");
		html_esc(out, i18n_text(l, "nav.label"));
		buf_adds(out, "\"><ul>");
		for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++) {
			if (nav[i].admin && !p->admin)
				continue;
			bool cur = p->nav && !strcmp(p->nav, nav[i].key);
			buf_addf(out, "<li><a href=\"%s\"%s>", nav[i].path,
				 cur ? " aria-current=\"page\"" : "");
			html_esc(out, i18n_text(l, nav[i].key));
			buf_adds(out, "</a></li>");
		}
		buf_adds(out, "</ul></nav>");
	}
	language_switcher(out, p);
	if (p->csrf) {
		buf_adds(out, "<form class=\"signout\" method=\"post\" action=\"/web/signout\">");
		html_csrf(out, p);
		buf_adds(out, "<span class=\"user\">");
		html_ltr(out, p->user);
		buf_adds(out, "</span> <button type=\"submit\">");
		html_esc(out, i18n_text(l, "signout"));
		buf_adds(out, "</button> <button type=\"submit\" name=\"everywhere\" value=\"1\">");
		html_esc(out, i18n_text(l, "signout.everywhere"));
		buf_adds(out, "</button></form>");
	}
	buf_adds(out, "</header><main id=\"main\" tabindex=\"-1\"><h1>");
	html_esc(out, i18n_text(l, p->title_key));
	buf_adds(out, "</h1>");
}

void html_end(struct buf *out, const struct html_page *p)
{
	buf_adds(out, "</main><footer><p>");
	html_esc(out, i18n_text(p->lang, "footer"));
	buf_adds(out, "</p></footer></body></html>\n");
}
