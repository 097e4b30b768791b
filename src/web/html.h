/* Writing HTML: the one escaping function every page uses for text and
 * attribute values, and the frame of a page (head, skip link, landmarks,
 * navigation, language switcher). Pure over the caller's buffer; any thread. */
#ifndef ATALAYA_HTML_H
#define ATALAYA_HTML_H

#include <stddef.h>

#include "util/buf.h"
#include "web/i18n.h"

/* Appends s escaped for HTML text and quoted attribute values (& < > " '). */
void html_esc(struct buf *out, const char *s);
void html_escn(struct buf *out, const char *s, size_t n);
/* Appends s as left-to-right text (<bdi dir="ltr">...</bdi>): indicators,
 * hashes, addresses and URLs keep their order inside Arabic text. */
void html_ltr(struct buf *out, const char *s);

/* What the frame needs to know about the page and who reads it. */
struct html_page {
	enum lang lang;
	const char *title_key; /* catalogue key of the page's title (and <h1>) */
	const char *nav;       /* the page's entry in the navigation (its key), or NULL */
	const char *csrf;      /* the session's CSRF token; NULL when signed out */
	const char *user;      /* the user's e-mail, shown beside sign-out; or NULL */
	const char *here;      /* this page's path, where the language switcher returns */
	bool admin;	       /* the admin entries of the navigation are shown */
};

/* Everything up to the page's <h1> included, inside <main>. */
void html_begin(struct buf *out, const struct html_page *p);
/* Closes <main>, the footer and the document. */
void html_end(struct buf *out, const struct html_page *p);
/* <input type="hidden" name="csrf" value="..."> */
void html_csrf(struct buf *out, const struct html_page *p);

#endif
