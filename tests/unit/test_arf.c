/* Abuse report intake: every sample in tests/data/arf with its expected
 * fields, line endings, caps, and the rejections users see. */
#include <setjmp.h>
#include <cmocka.h>

#include "formats/arf.h"
#include "formats/formats_testdata.h"
#include "util/timeutil.h"

#include <arpa/inet.h>

static char *load(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof(path), "%s/arf/%s", FORMATS_TESTDATA_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

static struct arf_report *parse_ok(const char *name)
{
	size_t len;
	char *data = load(name, &len);
	struct arf_report *r = NULL;
	struct err_detail d;
	int rc = arf_parse(data, len, NULL, &r, &d);

	if (rc)
		fprintf(stderr, "%s: %s: %s\n", name, d.field, d.message);
	assert_int_equal(rc, ERR_OK);
	free(data);
	return r;
}

static void parse_bad(const char *name, int code, const char *field, const char *msg)
{
	size_t len;
	char *data = load(name, &len);
	struct arf_report *r = NULL;
	struct err_detail d;

	err_clear(&d);
	assert_int_equal(arf_parse(data, len, NULL, &r, &d), code);
	assert_null(r);
	if (strstr(d.message, msg) == NULL || strcmp(d.field, field))
		fprintf(stderr, "%s: got %s: %s\n", name, d.field, d.message);
	assert_string_equal(d.field, field);
	assert_non_null(strstr(d.message, msg));
	free(data);
}

static void arf_01(void **state)
{
	struct arf_report *r = parse_ok("arf-01.eml");

	assert_int_equal(r->format, ARF_FORMAT_ARF);
	assert_string_equal(r->feedback_type, "abuse");
	assert_int_equal(r->category, ARF_CAT_SPAM);
	assert_string_equal(r->user_agent, "SMP-FBL");
	assert_string_equal(r->version, "1.0");
	assert_string_equal(r->source_ip, "192.0.2.89");
	assert_int_equal(r->source_family, AF_INET);
	assert_true(r->has_arrival);
	assert_true(r->arrival_ms == INT64_C(1240963200000));
	assert_int_equal(r->n_reported_domains, 1);
	assert_string_equal(r->reported_domains[0], "example.ed.jp");
	assert_false(r->original_headers_only);
	assert_non_null(strstr(r->original, "Subject: Kijitora cat family"));
	assert_string_equal(r->original_body, "test\n");
	assert_int_equal(r->incidents, 1);
	arf_report_free(r);
}

static void arf_02(void **state)
{
	struct arf_report *r = parse_ok("arf-02.eml");

	assert_string_equal(r->feedback_type, "abuse");
	assert_string_equal(r->user_agent, "Yahoo!-Mail-Feedback/1.0");
	assert_string_equal(r->version, "0.1");
	assert_null(r->source_ip); /* none given */
	assert_string_equal(r->original_mail_from, "<shironeko@example.com>");
	assert_int_equal(r->n_original_rcpt_to, 1);
	assert_string_equal(r->original_rcpt_to[0],
			    "this-local-part-does-not-exist-on-yahoo@yahoo.com");
	assert_true(r->arrival_ms == INT64_C(1367307950000)); /* PST = -0800 */
	assert_string_equal(r->reported_domains[0], "example.com");
	assert_null(r->auth_results); /* present but empty */
	assert_non_null(strstr(r->original_body, "Nyaa"));
	arf_report_free(r);
}

static void arf_12_headers_only(void **state)
{
	struct arf_report *r = parse_ok("arf-12.eml");

	assert_string_equal(r->feedback_type, "opt-out");
	assert_int_equal(r->category, ARF_CAT_OPT_OUT);
	assert_null(r->source_ip);
	assert_false(r->has_arrival);
	assert_true(r->original_headers_only);
	assert_non_null(strstr(r->original, "From: <shironeko@example.net>"));
	assert_string_equal(r->original_body, "Nyaaaan");
	arf_report_free(r);
}

static void arf_15(void **state)
{
	struct arf_report *r = parse_ok("arf-15.eml");

	assert_string_equal(r->feedback_type, "abuse");
	assert_string_equal(r->user_agent, "ReturnPathFBL/1.0");
	assert_string_equal(r->version, "1");
	assert_string_equal(r->source_ip, "192.0.2.222");
	assert_true(r->arrival_ms == INT64_C(1430350485000));
	assert_string_equal(r->original_mail_from, "kijitora@example.net");
	assert_non_null(strstr(r->original_body, "Nyaan"));
	arf_report_free(r);
}

static void arf_17_two_recipients(void **state)
{
	struct arf_report *r = parse_ok("arf-17.eml");

	assert_string_equal(r->source_ip, "192.0.2.3");
	assert_string_equal(r->user_agent, "abusix-py/0.1");
	assert_int_equal(r->n_original_rcpt_to, 2);
	assert_string_equal(r->original_rcpt_to[0], "kijitora@example.com");
	assert_string_equal(r->original_rcpt_to[1], "sabatora@example.net");
	assert_true(r->arrival_ms == INT64_C(1461972885000));
	assert_string_equal(r->original_mail_from, "sironeko@example.jp");
	assert_non_null(strstr(r->original_body, "Nyaan"));
	arf_report_free(r);
}

static void arf_18_dmarc(void **state)
{
	struct arf_report *r = parse_ok("arf-18.eml");

	assert_string_equal(r->feedback_type, "auth-failure");
	assert_int_equal(r->category, ARF_CAT_AUTH_FAILURE);
	assert_string_equal(r->source_ip, "192.0.2.222");
	assert_string_equal(r->auth_results,
			    "dmarc=fail (p=none; dis=none) header.from=example.org");
	assert_string_equal(r->reported_domains[0], "example.net");
	assert_string_equal(r->original_rcpt_to[0], "kijitora@example.com");
	assert_true(r->arrival_ms == INT64_C(1430350485000));
	arf_report_free(r);
}

static void arf_20_rfc822_headers(void **state)
{
	struct arf_report *r = parse_ok("arf-20.eml");

	assert_string_equal(r->feedback_type, "auth-failure");
	assert_string_equal(r->user_agent, "OpenDMARC-Filter/1.3.0");
	assert_string_equal(r->source_ip, "203.0.113.2");
	assert_string_equal(r->auth_results, "example.net; dmarc=fail header.from=example.net");
	assert_string_equal(r->original_mail_from, "dmarc-bounces@ietf.example.org");
	assert_true(r->original_headers_only);
	assert_non_null(strstr(r->original, "Message-ID: <000000000eee@example.net>"));
	assert_false(r->has_arrival);
	arf_report_free(r);
}

static void arf_22_is_not_arf(void **state)
{
	parse_bad("arf-22.eml", ERR_INVALID, "Content-Type",
		  "not an abuse report: Content-Type is multipart/mixed without "
		  "report-type=feedback-report");
}

static void xarf_02(void **state)
{
	struct arf_report *r = parse_ok("xarf-02.eml");

	assert_int_equal(r->format, ARF_FORMAT_XARF02);
	assert_string_equal(r->feedback_type, "spam");
	assert_int_equal(r->category, ARF_CAT_SPAM);
	assert_string_equal(r->source_ip, "192.0.2.77");
	assert_string_equal(r->reporter, "abuse-reports@reporter.example");
	assert_string_equal(r->version, "0.2");
	assert_true(r->arrival_ms == INT64_C(1330862400000));
	/* quoted-printable and latin-1 decoded to UTF-8 */
	assert_non_null(strstr(r->original_body, "id=42 caf\xc3\xa9 now"));
	arf_report_free(r);
}

/* X-ARF's "abuse" category is login, malware and bot attacks, not spam: a login attack
 * (Report-Type before Category here, the reverse of xarf-02.eml) is not counted as
 * spam; its Report-Type says what it is whichever field comes first. */
static void xarf_02_abuse_is_not_spam(void **state)
{
	struct arf_report *r = parse_ok("xarf-02-login-attack.eml");

	assert_int_equal(r->format, ARF_FORMAT_XARF02);
	assert_string_equal(r->feedback_type, "login-attack");
	assert_int_equal(r->category, ARF_CAT_OTHER);
	assert_string_equal(r->source_ip, "198.51.100.9");
	assert_string_equal(r->reporter, "abuse-reports@reporter.example");
	arf_report_free(r);
}

static void xarf_4_json_and_mail(void **state)
{
	const char *names[2] = {"xarf4.json", "xarf4-mail.eml"};

	for (int i = 0; i < 2; i++) {
		struct arf_report *r = parse_ok(names[i]);

		assert_int_equal(r->format, ARF_FORMAT_XARF4);
		assert_string_equal(r->feedback_type, "spam");
		assert_int_equal(r->category, ARF_CAT_SPAM);
		assert_string_equal(r->source_ip, "2001:db8::77");
		assert_int_equal(r->source_family, AF_INET6);
		assert_string_equal(r->reporter, "Spam Trap Service");
		assert_string_equal(r->original_mail_from, "spammer@bad.example");
		assert_true(r->arrival_ms == INT64_C(1705314600000));
		assert_string_equal(r->original_body, "Buy cheap pills now\n");
		arf_report_free(r);
	}
}

static void line_endings(void **state)
{
	size_t len;
	char *data = load("arf-15.eml", &len);
	char *crlf = malloc(2 * len + 1), *cr = malloc(len + 1);
	size_t a = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			crlf[a++] = '\r';
		crlf[a++] = data[i];
		cr[i] = data[i] == '\n' ? '\r' : data[i];
	}
	const char *inputs[2] = {crlf, cr};
	size_t lens[2] = {a, len};
	for (int k = 0; k < 2; k++) {
		struct arf_report *r = NULL;
		struct err_detail d;

		assert_int_equal(arf_parse(inputs[k], lens[k], NULL, &r, &d), ERR_OK);
		assert_string_equal(r->source_ip, "192.0.2.222");
		assert_string_equal(r->original_mail_from, "kijitora@example.net");
		assert_true(r->arrival_ms == INT64_C(1430350485000));
		arf_report_free(r);
	}
	free(crlf);
	free(cr);
	free(data);
}

static void rejections(void **state)
{
	parse_bad("bad-source-ip.eml", ERR_INVALID, "feedback-report.Source-IP",
		  "not an IP address: '192.0.2.999'");
	parse_bad("bad-no-feedback-type.eml", ERR_INVALID, "feedback-report.Feedback-Type",
		  "missing");
	parse_bad("bad-charset.eml", ERR_INVALID, "part 2 (message/feedback-report)",
		  "unknown charset 'x-no-such-charset'");
	parse_bad("bad-truncated.eml", ERR_INVALID, "multipart/report", "truncated report");
	parse_bad("bad-delivery-status.eml", ERR_INVALID, "Content-Type",
		  "not an abuse report: multipart/report with report-type=delivery-status");
	parse_bad("bad-date.eml", ERR_INVALID, "feedback-report.Arrival-Date",
		  "not an RFC 5322 date: 'yesterday at noon'");
}

/* RFC 5965 section 3.1: Feedback-Type, User-Agent and Version, each exactly once. */
static void arf_required_fields_once(void **state)
{
	parse_bad("bad-no-user-agent.eml", ERR_INVALID, "feedback-report.User-Agent",
		  "missing: RFC 5965 requires User-Agent");
	parse_bad("bad-no-version.eml", ERR_INVALID, "feedback-report.Version",
		  "missing: RFC 5965 requires Version");
	parse_bad("bad-feedback-type-twice.eml", ERR_INVALID, "feedback-report.Feedback-Type",
		  "appears more than once: RFC 5965 allows Feedback-Type once");
	parse_bad("bad-user-agent-twice.eml", ERR_INVALID, "feedback-report.User-Agent",
		  "appears more than once: RFC 5965 allows User-Agent once");
	parse_bad("bad-version-twice.eml", ERR_INVALID, "feedback-report.Version",
		  "appears more than once: RFC 5965 allows Version once");
}

/* X-ARF and XARF reports name their source and reporter; an unknown category is
 * refused rather than guessed (it would count as spam through its type). */
static void xarf_source_reporter_category(void **state)
{
	parse_bad("bad-xarf-02-no-source.eml", ERR_INVALID, "x-arf.Source",
		  "missing in the report part (part 2): a report needs its source");
	parse_bad("bad-xarf-02-no-reporter.eml", ERR_INVALID, "x-arf.Reported-From",
		  "missing in the report part (part 2): a report needs its reporter");
	parse_bad("bad-xarf-02-unknown-category.eml", ERR_INVALID, "x-arf.Category",
		  "unknown X-ARF category 'spamtrap' (abuse, fraud, info, auth, private, "
		  "outdated or update)");
	parse_bad("bad-xarf4-unknown-category.json", ERR_INVALID, "xarf.category",
		  "unknown XARF v4 category 'spamtrap' (messaging, connection, content, "
		  "infrastructure, copyright, vulnerability or reputation)");
	parse_bad("bad-xarf4-no-category.json", ERR_INVALID, "xarf.category", "missing");
	parse_bad("bad-xarf4-no-source.json", ERR_INVALID, "xarf.source_identifier",
		  "missing: a report needs its source");
	parse_bad("bad-xarf4-no-reporter.json", ERR_INVALID, "xarf.reporter",
		  "missing: a report needs its reporter (org, domain or contact)");
}

static void caps_before_work(void **state)
{
	size_t n = 10u << 20;
	char *big = malloc(n + 16);
	struct arf_report *r = NULL;
	struct err_detail d;
	struct arf_limits lim = {.max_message = 16u << 20};
	int64_t t0;

	/* a 10 MB header: one header line that never ends */
	memcpy(big, "Subject: ", 9);
	memset(big + 9, 'a', n - 9);
	t0 = time_mono_ns();
	assert_int_equal(arf_parse(big, n, NULL, &r, &d), ERR_TOO_LARGE);
	assert_string_equal(d.field, "message");
	assert_int_equal(arf_parse(big, n, &lim, &r, &d), ERR_TOO_LARGE);
	assert_string_equal(d.field, "headers");
	assert_string_equal(d.message, "header block larger than 65536 bytes");
	assert_true(time_mono_ns() - t0 < INT64_C(500000000)); /* well under 0.5 s */
	free(big);
	assert_int_equal(arf_parse("Subject: x\n", 11, NULL, &r, &d), ERR_INVALID);
	assert_string_equal(d.message, "truncated: the mail ends inside its header block");
	assert_int_equal(arf_parse("\n\n  ", 4, NULL, &r, &d), ERR_INVALID);
	assert_int_equal(arf_parse("{\"xarf_version\": 4", 18, NULL, &r, &d), ERR_SYNTAX);
	const char *nb = "Content-Type: multipart/report; report-type=feedback-report\n\nhello\n";
	assert_int_equal(arf_parse(nb, strlen(nb), NULL, &r, &d), ERR_INVALID);
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(arf_01),
	    cmocka_unit_test(arf_02),
	    cmocka_unit_test(arf_12_headers_only),
	    cmocka_unit_test(arf_15),
	    cmocka_unit_test(arf_17_two_recipients),
	    cmocka_unit_test(arf_18_dmarc),
	    cmocka_unit_test(arf_20_rfc822_headers),
	    cmocka_unit_test(arf_22_is_not_arf),
	    cmocka_unit_test(xarf_02),
	    cmocka_unit_test(xarf_02_abuse_is_not_spam),
	    cmocka_unit_test(xarf_4_json_and_mail),
	    cmocka_unit_test(line_endings),
	    cmocka_unit_test(rejections),
	    cmocka_unit_test(arf_required_fields_once),
	    cmocka_unit_test(xarf_source_reporter_category),
	    cmocka_unit_test(caps_before_work),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
