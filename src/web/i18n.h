/* The web interface's six languages (the UN's: ar, zh, en, fr, ru, es): one
 * message catalogue per language (src/web/i18n/<lang>.json, embedded at build
 * time), CLDR plural categories, and numbers and dates written per locale by
 * small formatters of our own (glibc locales need not be installed; see
 * docs/internals/web.md). Catalogues are loaded once by i18n_init (main
 * thread, before the server starts); read-only afterwards: any thread. */
#ifndef ATALAYA_I18N_H
#define ATALAYA_I18N_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

enum lang { LANG_AR, LANG_ZH, LANG_EN, LANG_FR, LANG_RU, LANG_ES, LANG_COUNT };

/* "ar", "zh", ... */
const char *i18n_code(enum lang l);
/* "rtl" for Arabic, "ltr" otherwise. */
const char *i18n_dir(enum lang l);
/* The language's own name ("العربية", "中文", ...). */
const char *i18n_native_name(enum lang l);
/* The language of a code ("fr", "fr-CA", case-insensitive); false when none. */
bool i18n_parse(const char *code, enum lang *out);
/* The best of an Accept-Language header (q-values honoured); English when
 * nothing in it is one of ours or the header is NULL. */
enum lang i18n_negotiate(const char *accept_language);

/* Parses the embedded catalogues and checks that each has every key of the
 * English one and every plural category its language uses (an error names
 * the language and key). Idempotent. */
int i18n_init(struct err_detail *err);

/* A message; the key itself when missing (i18n_init refuses that). */
const char *i18n_text(enum lang l, const char *key);

/* CLDR cardinal plural category of the integer n: "zero", "one", "two",
 * "few", "many" or "other" (ar has all six, ru four, zh one). */
const char *i18n_plural_category(enum lang l, int64_t n);
/* The plural message `key` for n with "{n}" replaced by n written per locale,
 * HTML-escaped, appended to out. */
void i18n_plural_html(struct buf *out, enum lang l, const char *key, int64_t n);

/* n with the locale's digits and grouping (Arabic-Indic digits for ar). */
void i18n_number(struct buf *out, enum lang l, int64_t n);
/* A millisecond UTC time as the locale writes a date and time (the
 * catalogue's "date.format" with month names), appended to out. */
void i18n_datetime(struct buf *out, enum lang l, int64_t ms);

#endif
