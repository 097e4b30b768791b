#include "web/i18n.h"

#include "util/xalloc.h"

#include <jansson.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "web/html.h"

/* The catalogues, generated from src/web/i18n/<lang>.json (src/web/meson.build). */
extern const char web_i18n_ar[], web_i18n_zh[], web_i18n_en[], web_i18n_fr[], web_i18n_ru[],
    web_i18n_es[];
extern const size_t web_i18n_ar_len, web_i18n_zh_len, web_i18n_en_len, web_i18n_fr_len,
    web_i18n_ru_len, web_i18n_es_len;

struct language {
	const char *code, *dir, *native;
	const char *text;
	const size_t *len;
	const char *const *plurals; /* the CLDR categories it uses */
	const char *digits[10];	    /* its digits (UTF-8) */
	const char *group;	    /* thousands separator */
};

static const char *const plural_ar[] = {"zero", "one", "two", "few", "many", "other", NULL};
static const char *const plural_ru[] = {"one", "few", "many", "other", NULL};
static const char *const plural_zh[] = {"other", NULL};
static const char *const plural_en[] = {"one", "other", NULL};
static const char *const plural_fr_es[] = {"one", "many", "other", NULL};

#define LATN                                                                                       \
	{                                                                                          \
		"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"                                   \
	}
static const struct language langs[LANG_COUNT] = {
    [LANG_AR] = {"ar",
		 "rtl",
		 "العربية",
		 web_i18n_ar,
		 &web_i18n_ar_len,
		 plural_ar,
		 {"٠", "١", "٢", "٣", "٤", "٥", "٦", "٧", "٨", "٩"},
		 "٬"},
    [LANG_ZH] = {"zh", "ltr", "中文", web_i18n_zh, &web_i18n_zh_len, plural_zh, LATN, ","},
    [LANG_EN] = {"en", "ltr", "English", web_i18n_en, &web_i18n_en_len, plural_en, LATN, ","},
    [LANG_FR] = {"fr", "ltr", "Français", web_i18n_fr, &web_i18n_fr_len, plural_fr_es, LATN,
		 "\u202f"},
    [LANG_RU] = {"ru", "ltr", "Русский", web_i18n_ru, &web_i18n_ru_len, plural_ru, LATN, "\u00a0"},
    [LANG_ES] = {"es", "ltr", "Español", web_i18n_es, &web_i18n_es_len, plural_fr_es, LATN, "."},
};

static json_t *messages[LANG_COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct err_detail load_err;

const char *i18n_code(enum lang l)
{
	return langs[l].code;
}
const char *i18n_dir(enum lang l)
{
	return langs[l].dir;
}
const char *i18n_native_name(enum lang l)
{
	return langs[l].native;
}

bool i18n_parse(const char *code, enum lang *out)
{
	if (!code)
		return false;
	for (int i = 0; i < LANG_COUNT; i++)
		if (!strncasecmp(code, langs[i].code, 2) && (!code[2] || code[2] == '-')) {
			*out = (enum lang)i;
			return true;
		}
	return false;
}

enum lang i18n_negotiate(const char *h)
{
	enum lang best = LANG_EN, l;
	double best_q = -1;
	while (h && *h) {
		const char *end = strchr(h, ',');
		size_t n = end ? (size_t)(end - h) : strlen(h);
		char item[64];
		snprintf(item, sizeof(item), "%.*s", (int)(n < 63 ? n : 63), h);
		char *p = item;
		while (*p == ' ')
			p++;
		double q = 1;
		char *semi = strchr(p, ';');
		if (semi) {
			*semi = '\0';
			char *qs = strstr(semi + 1, "q=");
			if (qs)
				q = strtod(qs + 2, NULL);
		}
		if (q > best_q && i18n_parse(p, &l)) {
			best = l;
			best_q = q;
		}
		h = end ? end + 1 : NULL;
	}
	return best;
}

static bool has_plurals(json_t *v, const char *const *cats, const char **missing)
{
	for (; *cats; cats++)
		if (!json_is_string(json_object_get(v, *cats))) {
			*missing = *cats;
			return false;
		}
	return true;
}

static void load(void)
{
	for (int i = 0; i < LANG_COUNT; i++) {
		json_error_t je;
		json_t *doc = json_loadb(langs[i].text, *langs[i].len, 0, &je);
		json_t *m = json_object_get(doc, "messages");
		if (!json_is_object(m)) {
			err_set(&load_err, ERR_INTERNAL, langs[i].code,
				"catalogue %s: not an object with \"messages\" (%s, line %d)",
				langs[i].code, je.text, je.line);
			json_decref(doc);
			return;
		}
		messages[i] = json_incref(m);
		json_decref(doc);
	}
	const char *key;
	json_t *en;
	json_object_foreach(messages[LANG_EN], key, en)
	{
		for (int i = 0; i < LANG_COUNT; i++) {
			json_t *v = json_object_get(messages[i], key);
			const char *cat = NULL;
			if (!v || json_typeof(v) != json_typeof(en) ||
			    (json_is_object(v) && !has_plurals(v, langs[i].plurals, &cat))) {
				err_set(&load_err, ERR_INTERNAL, key,
					"catalogue %s: message '%s'%s%s is missing", langs[i].code,
					key, cat ? " plural " : "", cat ? cat : "");
				return;
			}
		}
	}
}

int i18n_init(struct err_detail *err)
{
	pthread_once(&once, load);
	if (load_err.code)
		return err_set(err, load_err.code, load_err.field, "%s", load_err.message);
	return ERR_OK;
}

const char *i18n_text(enum lang l, const char *key)
{
	const char *s = json_string_value(json_object_get(messages[l], key));
	return s ? s : key;
}

const char *i18n_plural_category(enum lang l, int64_t n)
{
	int64_t a = n < 0 ? -n : n, m10 = a % 10, m100 = a % 100;
	switch (l) {
	case LANG_AR:
		if (a == 0)
			return "zero";
		if (a == 1)
			return "one";
		if (a == 2)
			return "two";
		if (m100 >= 3 && m100 <= 10)
			return "few";
		if (m100 >= 11)
			return "many";
		return "other";
	case LANG_RU:
		if (m10 == 1 && m100 != 11)
			return "one";
		if (m10 >= 2 && m10 <= 4 && !(m100 >= 12 && m100 <= 14))
			return "few";
		return "many"; /* "other" is for fractions only */
	case LANG_ZH: return "other";
	case LANG_EN: return a == 1 ? "one" : "other";
	case LANG_FR:
		if (a == 0 || a == 1)
			return "one";
		return a % 1000000 == 0 ? "many" : "other";
	case LANG_ES:
		if (a == 1)
			return "one";
		return a && a % 1000000 == 0 ? "many" : "other";
	case LANG_COUNT: break;
	}
	return "other";
}

void i18n_number(struct buf *out, enum lang l, int64_t n)
{
	char digits[24];
	snprintf(digits, sizeof(digits), "%lld", (long long)(n < 0 ? -n : n));
	size_t len = strlen(digits);
	if (n < 0)
		buf_adds(out, "-");
	for (size_t i = 0; i < len; i++) {
		/* Groups of three, from four digits on (CLDR's minimum grouping
		 * is 2 for es and pl, but 1234 grouped is still read right). */
		if (i && len > 4 && (len - i) % 3 == 0)
			buf_adds(out, langs[l].group);
		buf_adds(out, langs[l].digits[digits[i] - '0']);
	}
}

void i18n_plural_html(struct buf *out, enum lang l, const char *key, int64_t n)
{
	json_t *v = json_object_get(messages[l], key);
	const char *t = json_string_value(json_object_get(v, i18n_plural_category(l, n)));
	if (!t)
		t = json_string_value(json_object_get(v, "other"));
	if (!t)
		t = key;
	const char *at = strstr(t, "{n}");
	if (!at) {
		html_esc(out, t);
		return;
	}
	html_escn(out, t, (size_t)(at - t));
	i18n_number(out, l, n);
	html_esc(out, at + 3);
}

/* Two digits of v in the locale's digits. */
static void two(struct buf *out, enum lang l, int v)
{
	buf_adds(out, langs[l].digits[(v / 10) % 10]);
	buf_adds(out, langs[l].digits[v % 10]);
}

void i18n_datetime(struct buf *out, enum lang l, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char month[24];
	snprintf(month, sizeof(month), "month.%d", tm.tm_mon + 1);
	/* {d} day, {m} month number, {mon} month name, {y} year, {hh}:{mm} */
	for (const char *p = i18n_text(l, "date.format"); *p;) {
		if (!strncmp(p, "{d}", 3)) {
			i18n_number(out, l, tm.tm_mday);
			p += 3;
		} else if (!strncmp(p, "{mon}", 5)) {
			html_esc(out, i18n_text(l, month));
			p += 5;
		} else if (!strncmp(p, "{m}", 3)) {
			i18n_number(out, l, tm.tm_mon + 1);
			p += 3;
		} else if (!strncmp(p, "{y}", 3)) {
			char y[16];
			snprintf(y, sizeof(y), "%d", tm.tm_year + 1900);
			for (const char *d = y; *d; d++)
				buf_adds(out, langs[l].digits[*d - '0']);
			p += 3;
		} else if (!strncmp(p, "{hh}", 4)) {
			two(out, l, tm.tm_hour);
			p += 4;
		} else if (!strncmp(p, "{mm}", 4)) {
			two(out, l, tm.tm_min);
			p += 4;
		} else {
			const char *next = strchr(p + 1, '{');
			size_t n = next ? (size_t)(next - p) : strlen(p);
			html_escn(out, p, n);
			p += n;
		}
	}
}
