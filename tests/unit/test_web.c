#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "util/buf.h"
#include "web/chart.h"
#include "web/form.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/totp.h"

/* RFC 6238 Appendix B: the SHA-1 rows (8 digits, the 20-byte ASCII key). */
static void totp_matches_rfc6238_vectors(void **state)
{
	const uint8_t *key = (const uint8_t *)"12345678901234567890";
	static const struct {
		uint64_t t;
		uint32_t code;
	} v[] = {{59, 94287082},	 {1111111109, 7081804},	 {1111111111, 14050471},
		 {1234567890, 89005924}, {2000000000, 69279037}, {20000000000ULL, 65353130}};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(totp_hotp(key, 20, v[i].t / 30, 8), v[i].code);
}

static void totp_check_takes_the_next_and_previous_step_only(void **state)
{
	const uint8_t *key = (const uint8_t *)"12345678901234567890";
	char code[8];
	snprintf(code, sizeof(code), "%06u", totp_hotp(key, 20, 1234567890 / 30, 6));
	int64_t step;
	assert_true(totp_check(key, 1234567890, code, &step));
	assert_int_equal(step, 1234567890 / 30);
	assert_true(totp_check(key, 1234567890 + 30, code, &step));
	assert_int_equal(step, 1234567890 / 30);
	assert_true(totp_check(key, 1234567890 - 30, code, &step));
	assert_false(totp_check(key, 1234567890 + 90, code, &step));
	assert_false(totp_check(key, 1234567890, "12345", &step));
	assert_false(totp_check(key, 1234567890, NULL, &step));
}

static void base32_is_rfc4648(void **state)
{
	char out[64];
	totp_base32((const uint8_t *)"foobar", 6, out, sizeof(out));
	assert_string_equal(out, "MZXW6YTBOI"); /* RFC 4648 section 10, unpadded */
}

static void catalogues_are_complete(void **state)
{
	struct err_detail err = {0};
	assert_int_equal(i18n_init(&err), ERR_OK); /* fails naming a missing key */
	for (int l = 0; l < LANG_COUNT; l++)
		assert_string_not_equal(i18n_text((enum lang)l, "nav.reports"), "nav.reports");
}

static void plural_rules_follow_cldr(void **state)
{
	static const struct {
		enum lang l;
		int64_t n;
		const char *cat;
	} v[] = {
	    {LANG_AR, 0, "zero"},   {LANG_AR, 1, "one"},     {LANG_AR, 2, "two"},
	    {LANG_AR, 3, "few"},    {LANG_AR, 110, "few"},   {LANG_AR, 11, "many"},
	    {LANG_AR, 199, "many"}, {LANG_AR, 100, "other"}, {LANG_AR, 102, "other"},
	    {LANG_RU, 1, "one"},    {LANG_RU, 21, "one"},    {LANG_RU, 11, "many"},
	    {LANG_RU, 2, "few"},    {LANG_RU, 24, "few"},    {LANG_RU, 12, "many"},
	    {LANG_RU, 5, "many"},   {LANG_RU, 0, "many"},    {LANG_ZH, 1, "other"},
	    {LANG_EN, 1, "one"},    {LANG_EN, 0, "other"},   {LANG_FR, 0, "one"},
	    {LANG_FR, 1, "one"},    {LANG_FR, 2, "other"},   {LANG_FR, 1000000, "many"},
	    {LANG_ES, 0, "other"},  {LANG_ES, 1, "one"},     {LANG_ES, 2000000, "many"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_string_equal(i18n_plural_category(v[i].l, v[i].n), v[i].cat);
}

static void numbers_and_dates_per_locale(void **state)
{
	struct buf b;
	struct err_detail err = {0};
	assert_int_equal(i18n_init(&err), ERR_OK);
	buf_init(&b, 1024);
	i18n_number(&b, LANG_EN, 1234567);
	assert_string_equal(b.data, "1,234,567");
	buf_reset(&b);
	i18n_number(&b, LANG_FR, 1234567);
	assert_string_equal(b.data, "1\u202f234\u202f567");
	buf_reset(&b);
	i18n_number(&b, LANG_AR, 1234);
	assert_string_equal(b.data, "١٢٣٤");
	buf_reset(&b);
	i18n_number(&b, LANG_ES, 12345);
	assert_string_equal(b.data, "12.345");
	buf_reset(&b);
	i18n_datetime(&b, LANG_EN, 1764758460000LL); /* 2025-12-03T10:41:00Z */
	assert_string_equal(b.data, "3 Dec 2025, 10:41 UTC");
	buf_reset(&b);
	i18n_datetime(&b, LANG_ZH, 1764758460000LL);
	assert_string_equal(b.data, "2025年12月3日 10:41 UTC");
	buf_reset(&b);
	i18n_plural_html(&b, LANG_RU, "report.objects_count", 22);
	assert_string_equal(b.data, "22 объекта");
	buf_release(&b);
}

/* A bar chart's geometry (labels start side, bars from the axis) and its
 * mirror in Arabic; figures in tenths with the locale's separator. */
static void charts_mirror_in_arabic_and_tenths_per_locale(void **state)
{
	struct err_detail err = {0};
	struct request r;
	memset(&r, 0, sizeof(r));
	assert_int_equal(i18n_init(&err), ERR_OK);
	buf_init(&r.out, 1 << 16);
	struct page p = {.r = &r, .h = {.lang = LANG_EN}};
	const struct chart_bar b[] = {{"x<y", 5}};
	chart_bars(&p, "t", "progress.title", b, 1, 10, false);
	assert_non_null(
	    strstr(r.out.data, "<svg class=\"chart\" role=\"img\" aria-labelledby=\"fc-t\""));
	assert_non_null(strstr(r.out.data, "<figcaption id=\"fc-t\">Progress report</figcaption>"));
	assert_non_null(strstr(r.out.data, "x=\"294\" y=\"17\" text-anchor=\"end\">x&lt;y</text>"));
	assert_non_null(strstr(r.out.data, "<rect class=\"bar\" x=\"300\" y=\"4\" width=\"175\""));
	buf_reset(&r.out);
	p.h.lang = LANG_AR; /* axis at 720 - 300: labels right of it, the bar left */
	chart_bars(&p, "t", "progress.title", b, 1, 10, false);
	assert_non_null(
	    strstr(r.out.data, "x=\"426\" y=\"17\" text-anchor=\"start\">x&lt;y</text>"));
	assert_non_null(strstr(r.out.data, "<rect class=\"bar\" x=\"245\" y=\"4\" width=\"175\""));
	assert_non_null(strstr(r.out.data, "text-anchor=\"end\">٥</text>"));
	buf_reset(&r.out);
	page_tenths(&p, 123);
	assert_string_equal(r.out.data, "١٢٫٣");
	buf_reset(&r.out);
	p.h.lang = LANG_FR;
	page_tenths(&p, 1234507);
	assert_string_equal(r.out.data, "123\u202f450,7");
	buf_release(&r.out);
}

static void negotiation_honours_q_values(void **state)
{
	assert_int_equal(i18n_negotiate("de-DE,fr;q=0.5,ar;q=0.8"), LANG_AR);
	assert_int_equal(i18n_negotiate("zh-CN"), LANG_ZH);
	assert_int_equal(i18n_negotiate("de"), LANG_EN);
	assert_int_equal(i18n_negotiate(NULL), LANG_EN);
}

static void html_escapes_everything_that_matters(void **state)
{
	struct buf b;
	buf_init(&b, 1024);
	html_esc(&b, "<script>\"a\"&'b'</script>");
	assert_string_equal(b.data, "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/script&gt;");
	buf_reset(&b);
	html_ltr(&b, "198.51.100.7");
	assert_string_equal(b.data, "<bdi dir=\"ltr\">198.51.100.7</bdi>");
	buf_release(&b);
}

static void forms_parse(void **state)
{
	struct arena a;
	struct form f;
	struct err_detail err = {0};
	arena_init(&a);
	const char *u = "email=a%40b.org&password=x+y%26z&empty=&flag";
	assert_int_equal(form_parse_urlencoded(&a, u, strlen(u), &f, &err), ERR_OK);
	assert_string_equal(form_get(&f, "email"), "a@b.org");
	assert_string_equal(form_get(&f, "password"), "x y&z");
	assert_string_equal(form_get(&f, "empty"), "");
	assert_string_equal(form_get(&f, "flag"), "");
	assert_int_equal(form_parse_urlencoded(&a, "a=%4", 4, &f, &err), ERR_INVALID);
	const char *m = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n"
			"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
			"filename=\"b.json\"\r\nContent-Type: application/json\r\n\r\n{\"a\":1}\r\n"
			"--XyZ--\r\n";
	assert_int_equal(
	    form_parse_multipart(&a, "multipart/form-data; boundary=XyZ", m, strlen(m), &f, &err),
	    ERR_OK);
	assert_string_equal(form_get(&f, "csrf"), "tok");
	const struct form_field *file = form_field(&f, "file");
	assert_non_null(file);
	assert_string_equal(file->filename, "b.json");
	assert_string_equal(file->content_type, "application/json");
	assert_int_equal(file->len, 7);
	assert_int_equal(form_parse_multipart(&a, "multipart/form-data; boundary=XyZ", m,
					      strlen(m) - 10, &f, &err),
			 ERR_INVALID);
	arena_release(&a);
}

/* Text fields are UTF-8 without NUL (what the API's JSON takes); a file's
 * bytes are its own. */
static void form_text_is_utf8(void **state)
{
	(void)state;
	struct arena a;
	struct form f;
	arena_init(&a);
	static const char *const good[] = {"v=%C3%A9t%C3%A9", "v=%E4%B8%AD", "v=%F0%9F%98%80",
					   "v=%D8%B9%D8%B1%D8%A8%D9%8A", "v=%EF%BF%BF"};
	static const char *const bad[] = {"v=%FF",
					  "v=%C0%AF" /* overlong */,
					  "v=%ED%A0%80" /* surrogate */,
					  "v=%F4%90%80%80" /* past U+10FFFF */,
					  "v=%E4%B8" /* cut */,
					  "v=a%00b",
					  "%FF=1" /* the name */};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct err_detail err = {0};
		assert_int_equal(form_parse_urlencoded(&a, good[i], strlen(good[i]), &f, &err),
				 ERR_OK);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err_detail err = {0};
		assert_int_equal(form_parse_urlencoded(&a, bad[i], strlen(bad[i]), &f, &err),
				 ERR_INVALID);
		assert_non_null(strstr(err.message, "UTF-8"));
	}
	const char m[] =
	    "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n"
	    "\xff\x00\xfe\r\n--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
	    "\xff\r\n--B--\r\n";
	struct err_detail err = {0};
	assert_int_equal(
	    form_parse_multipart(&a, "multipart/form-data; boundary=B", m, sizeof(m) - 1, &f, &err),
	    ERR_INVALID);
	assert_string_equal(err.field, "note"); /* the file's bytes passed; the text did not */
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(totp_matches_rfc6238_vectors),
	    cmocka_unit_test(totp_check_takes_the_next_and_previous_step_only),
	    cmocka_unit_test(base32_is_rfc4648),
	    cmocka_unit_test(catalogues_are_complete),
	    cmocka_unit_test(plural_rules_follow_cldr),
	    cmocka_unit_test(numbers_and_dates_per_locale),
	    cmocka_unit_test(charts_mirror_in_arabic_and_tenths_per_locale),
	    cmocka_unit_test(negotiation_honours_q_values),
	    cmocka_unit_test(html_escapes_everything_that_matters),
	    cmocka_unit_test(forms_parse),
	    cmocka_unit_test(form_text_is_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
