/* Abuse reports (arf.h): ARF, X-ARF and XARF read into one struct arf_report.
 * About 900 lines, for a reason: three formats of one report that share their
 * field readers (addresses, dates, the reported message). */
#include "formats/arf.h"
#include "formats/canonical.h"

#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <gmime/gmime.h>
#include <jansson.h>
#include <pthread.h>

enum { DEF_MAX_MESSAGE = 4 << 20, DEF_MAX_HEADER = 64 << 10, DEF_MAX_PARTS = 32 };
enum { MAX_LIST = 64 }; /* repeated fields kept per report */

struct ctx {
	struct arf_report *r;
	struct err_detail *d;
	struct arf_limits lim;
	size_t parts_seen;
	bool gmime_truncated;
	bool gmime_critical;
	/* RFC 5965 section 3.1: these three appear exactly once in an ARF report */
	int n_feedback_type, n_user_agent, n_version;
	bool xarf_category, xarf_source; /* X-ARF 0.2: Category and Source seen */
	/* growable lists, copied into the arena at the end */
	const char *rcpt[MAX_LIST], *domains[MAX_LIST], *uris[MAX_LIST];
};

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_setup(void)
{
	g_mime_init();
}

const char *arf_category_name(enum arf_category c)
{
	switch (c) {
	case ARF_CAT_SPAM: return "spam";
	case ARF_CAT_FRAUD: return "fraud";
	case ARF_CAT_MALWARE: return "malware";
	case ARF_CAT_AUTH_FAILURE: return "auth-failure";
	case ARF_CAT_NOT_SPAM: return "not-spam";
	case ARF_CAT_OPT_OUT: return "opt-out";
	default: return "other";
	}
}

static enum arf_category category_of(const char *t)
{
	static const struct {
		const char *name;
		enum arf_category c;
	} map[] = {
	    {"abuse", ARF_CAT_SPAM},
	    {"spam", ARF_CAT_SPAM},
	    {"bulk_messaging", ARF_CAT_SPAM},
	    {"messaging", ARF_CAT_SPAM},
	    {"fraud", ARF_CAT_FRAUD},
	    {"phishing", ARF_CAT_FRAUD},
	    {"virus", ARF_CAT_MALWARE},
	    {"malware", ARF_CAT_MALWARE},
	    {"botnet", ARF_CAT_MALWARE},
	    {"bot", ARF_CAT_MALWARE},
	    /* X-ARF 0.2 report types of the abuse_* schemata */
	    {"malware-attack", ARF_CAT_MALWARE},
	    {"bot-infection", ARF_CAT_MALWARE},
	    {"auth-failure", ARF_CAT_AUTH_FAILURE},
	    {"not-spam", ARF_CAT_NOT_SPAM},
	    {"opt-out", ARF_CAT_OPT_OUT},
	    {"opt-out-list", ARF_CAT_OPT_OUT},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcasecmp(t, map[i].name))
			return map[i].c;
	return ARF_CAT_OTHER;
}

static char *adup(struct ctx *c, const char *s, size_t n)
{
	return arena_strndup(&c->r->arena, s, n);
}

static char *adup_lower(struct ctx *c, const char *s)
{
	char *p = adup(c, s, strlen(s));

	for (char *q = p; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q + 32);
	return p;
}

/* CRLF and lone CR become LF; the caller frees the copy. */
static char *normalise_eol(const char *data, size_t len, size_t *olen)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < len && data[i + 1] == '\n')
				i++;
		} else {
			out[o++] = data[i];
		}
	}
	out[o] = '\0';
	*olen = o;
	return out;
}

/* Length of the top-level header block (up to the blank line), or -1 when
 * none is found within max bytes. */
static long header_block_len(const char *s, size_t len, size_t max)
{
	size_t lim = len < max ? len : max;

	if (lim && s[0] == '\n')
		return 0;
	for (size_t i = 0; i + 1 < lim; i++)
		if (s[i] == '\n' && s[i + 1] == '\n')
			return (long)i + 1;
	return -1;
}

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
	struct ctx *c = data;

	(void)offset;
	(void)item;
	if (code == GMIME_WARN_TRUNCATED_MESSAGE || code == GMIME_WARN_PART_WITHOUT_CONTENT)
		c->gmime_truncated = true;
	if (code == GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY || code == GMIME_CRIT_NESTING_OVERFLOW ||
	    code == GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT)
		c->gmime_critical = true;
}

static const char *part_type(GMimeObject *o, char *buf, size_t sz)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	snprintf(buf, sz, "%s/%s", ct ? g_mime_content_type_get_media_type(ct) : "?",
		 ct ? g_mime_content_type_get_media_subtype(ct) : "?");
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return buf;
}

static bool is_type(GMimeObject *o, const char *type, const char *sub)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	return ct && g_mime_content_type_is_type(ct, type, sub);
}

/* Checks that a charset named by a part is one iconv knows. */
static int check_charset(struct ctx *c, GMimeObject *o, const char *where)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	const char *cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
	iconv_t cd;

	if (!cs || !*cs)
		return ERR_OK;
	cd = g_mime_iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return err_set(c->d, ERR_INVALID, where, "unknown charset '%.60s'", cs);
	g_mime_iconv_close(cd);
	return ERR_OK;
}

/* The decoded content of a leaf part (transfer encoding undone), as a
 * NUL-terminated copy the caller frees. */
static char *part_bytes(GMimeObject *o, size_t *len)
{
	GMimeDataWrapper *dw = GMIME_IS_PART(o) ? g_mime_part_get_content(GMIME_PART(o)) : NULL;
	GMimeStream *ms = g_mime_stream_mem_new();
	GByteArray *ba;
	char *copy;

	if (dw)
		g_mime_data_wrapper_write_to_stream(dw, ms);
	else
		g_mime_object_write_to_stream(o, NULL, ms);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	copy = xmalloc(ba->len + 1);
	if (ba->len)
		memcpy(copy, ba->data, ba->len);
	copy[ba->len] = '\0';
	*len = ba->len;
	g_object_unref(ms);
	return copy;
}

static int parse_ip(struct ctx *c, const char *v, const char *field)
{
	char buf[64];
	size_t n = strlen(v);
	struct arf_report *r = c->r;

	if (n && v[0] == '[' && v[n - 1] == ']') {
		v++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return err_set(c->d, ERR_INVALID, field, "not an IP address: '%.60s'", v);
	memcpy(buf, v, n);
	buf[n] = '\0';
	switch (canon_ip_parse(buf, n, r->source_addr)) {
	case 4: r->source_family = AF_INET; break;
	case 6: r->source_family = AF_INET6; break;
	default: return err_set(c->d, ERR_INVALID, field, "not an IP address: '%.60s'", buf);
	}
	/* inet_ntop's text, not canon_ip_format's: an IPv4-mapped source stays
	 * "::ffff:192.0.2.1" as the report wrote it */
	inet_ntop(r->source_family, r->source_addr, buf, sizeof(buf));
	r->source_ip = adup(c, buf, strlen(buf));
	return ERR_OK;
}

static int parse_date(struct ctx *c, const char *v, const char *field)
{
	GDateTime *dt;
	int64_t ms;

	if (time_parse_rfc3339(v, strlen(v), 0, &ms) == ERR_OK) {
		c->r->arrival_ms = ms;
		c->r->has_arrival = true;
		return ERR_OK;
	}
	dt = g_mime_utils_header_decode_date(v);
	if (!dt)
		return err_set(c->d, ERR_INVALID, field, "not an RFC 5322 date: '%.60s'", v);
	c->r->arrival_ms = (int64_t)g_date_time_to_unix(dt) * 1000;
	c->r->has_arrival = true;
	g_date_time_unref(dt);
	return ERR_OK;
}

static void list_add(struct ctx *c, const char **list, size_t *n, const char *v)
{
	if (*n < MAX_LIST && *v)
		list[(*n)++] = adup(c, v, strlen(v));
}

static void lists_to_arena(struct ctx *c)
{
	struct arf_report *r = c->r;
	size_t sz;

	sz = r->n_original_rcpt_to * sizeof(char *);
	r->original_rcpt_to = memcpy(arena_alloc(&r->arena, sz + 1), c->rcpt, sz);
	sz = r->n_reported_domains * sizeof(char *);
	r->reported_domains = memcpy(arena_alloc(&r->arena, sz + 1), c->domains, sz);
	sz = r->n_reported_uris * sizeof(char *);
	r->reported_uris = memcpy(arena_alloc(&r->arena, sz + 1), c->uris, sz);
}

/* Iterates "Name: value" fields of a header-like block (feedback-report or
 * the X-ARF YAML subset), unfolding continuation lines. fn returns an error
 * to stop. */
static int each_field(struct ctx *c, const char *s, size_t len,
		      int (*fn)(struct ctx *c, const char *name, char *value))
{
	size_t i = 0;
	int rc = ERR_OK;
	struct buf line;

	buf_init(&line, 64 << 10);
	while (i < len && !rc) {
		size_t e = i;
		char *colon;

		buf_reset(&line);
		for (;;) {
			while (e < len && s[e] != '\n')
				e++;
			if (buf_add(&line, s + i, e - i))
				return err_set(c->d, ERR_TOO_LARGE, "report",
					       "a field over 64 KiB");
			if (e + 1 < len && (s[e + 1] == ' ' || s[e + 1] == '\t')) {
				i = e + 1;
				e = i;
				buf_addc(&line, ' ');
				continue;
			}
			break;
		}
		i = e + 1;
		if (!line.data || !line.len || line.data[0] == '#' || !strncmp(line.data, "---", 3))
			continue;
		colon = strchr(line.data, ':');
		if (!colon)
			continue;
		*colon = '\0';
		{
			char *v = colon + 1, *end;
			char *name = line.data;

			while (*name == ' ' || *name == '\t')
				name++;
			while (*v == ' ' || *v == '\t')
				v++;
			end = v + strlen(v);
			while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
				*--end = '\0';
			if (end - v >= 2 && (v[0] == '"' || v[0] == '\'') && end[-1] == v[0]) {
				end[-1] = '\0';
				v++;
			}
			rc = fn(c, name, v);
		}
	}
	buf_release(&line);
	return rc;
}

static int once_only(struct ctx *c, const char *name)
{
	char field[64];

	snprintf(field, sizeof(field), "feedback-report.%s", name);
	return err_set(c->d, ERR_INVALID, field, "appears more than once: RFC 5965 allows %s once",
		       name);
}

static int arf_field(struct ctx *c, const char *name, char *v)
{
	struct arf_report *r = c->r;

	if (!strcasecmp(name, "Feedback-Type")) {
		if (c->n_feedback_type++)
			return once_only(c, "Feedback-Type");
		r->feedback_type = adup_lower(c, v);
		r->category = category_of(v);
	} else if (!strcasecmp(name, "User-Agent")) {
		if (c->n_user_agent++)
			return once_only(c, "User-Agent");
		r->user_agent = adup(c, v, strlen(v));
	} else if (!strcasecmp(name, "Version")) {
		if (c->n_version++)
			return once_only(c, "Version");
		r->version = adup(c, v, strlen(v));
	} else if (!strcasecmp(name, "Source-IP")) {
		return parse_ip(c, v, "feedback-report.Source-IP");
	} else if (!strcasecmp(name, "Arrival-Date") || !strcasecmp(name, "Received-Date")) {
		if (!r->has_arrival)
			return parse_date(c, v, "feedback-report.Arrival-Date");
	} else if (!strcasecmp(name, "Original-Mail-From")) {
		r->original_mail_from = adup(c, v, strlen(v));
	} else if (!strcasecmp(name, "Original-Rcpt-To")) {
		list_add(c, c->rcpt, &r->n_original_rcpt_to, v);
	} else if (!strcasecmp(name, "Reported-Domain")) {
		list_add(c, c->domains, &r->n_reported_domains, v);
	} else if (!strcasecmp(name, "Reported-URI")) {
		list_add(c, c->uris, &r->n_reported_uris, v);
	} else if (!strcasecmp(name, "Authentication-Results")) {
		if (*v)
			r->auth_results = adup(c, v, strlen(v));
	} else if (!strcasecmp(name, "Incidents")) {
		char *end;
		long n = strtol(v, &end, 10);

		if (end == v || *end || n < 1)
			return err_set(c->d, ERR_INVALID, "feedback-report.Incidents",
				       "not a positive number: '%.30s'", v);
		r->incidents = n;
	}
	return ERR_OK;
}

/* The Category values of the published X-ARF 0.2 schemata (x-arf.org/schemata.html,
 * github.com/xarf/xarf-schemata, versioned files): abuse (login-attack,
 * malware-attack, bot-infection, compromised-account), fraud, info (dnsbl), and the
 * others vertized_0.1.0.json lists (auth, private, outdated, update). */
static bool xarf02_category_known(const char *cat)
{
	static const char *const known[] = {"abuse",   "fraud",	   "info",  "auth",
					    "private", "outdated", "update"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcasecmp(cat, known[i]))
			return true;
	return false;
}

static int xarf02_field(struct ctx *c, const char *name, char *v)
{
	struct arf_report *r = c->r;

	if (!strcasecmp(name, "Report-Type")) {
		/* the type says what the report is, whichever of the two fields comes first */
		enum arf_category t = category_of(v);
		r->feedback_type = adup_lower(c, v);
		if (t != ARF_CAT_OTHER || r->category == 0)
			r->category = t;
	} else if (!strcasecmp(name, "Category")) {
		if (!xarf02_category_known(v))
			return err_set(c->d, ERR_INVALID, "x-arf.Category",
				       "unknown X-ARF category '%.40s' (abuse, fraud, info, auth, "
				       "private, outdated or update)",
				       v);
		c->xarf_category = true;
		/* X-ARF's "abuse" is not spam (its schemas are login, malware and bot
		 * attacks and compromised accounts; spam is fraud/spam): only "fraud" says
		 * what a report is when its Report-Type does not */
		if (r->category == 0 || r->category == ARF_CAT_OTHER)
			r->category = strcasecmp(v, "fraud") ? ARF_CAT_OTHER : ARF_CAT_FRAUD;
	} else if (!strcasecmp(name, "User-Agent")) {
		r->user_agent = adup(c, v, strlen(v));
	} else if (!strcasecmp(name, "Version")) {
		r->version = adup(c, v, strlen(v));
	} else if (!strcasecmp(name, "Reported-From")) {
		r->reporter = adup(c, v, strlen(v));
	} else if (!strcasecmp(name, "Source")) {
		/* an address, or a domain/URI depending on Source-Type */
		c->xarf_source = *v != '\0';
		if (parse_ip(c, v, "report.Source") != ERR_OK) {
			err_clear(c->d);
			if (strstr(v, "://"))
				list_add(c, c->uris, &r->n_reported_uris, v);
			else
				list_add(c, c->domains, &r->n_reported_domains, v);
		}
	} else if (!strcasecmp(name, "Date")) {
		return parse_date(c, v, "report.Date");
	}
	return ERR_OK;
}

static bool is_rfc822_headers(GMimeObject *o)
{
	/* "text/rfc822-headers" (RFC 6522); "text/rfc822-header" is a common typo */
	return is_type(o, "text", "rfc822-headers") || is_type(o, "text", "rfc822-header");
}

/* Finds the first text/plain leaf (else any text/ leaf) of a message. */
static GMimeObject *first_text(GMimeObject *o, int depth, bool plain_only)
{
	if (depth > 8 || !o)
		return NULL;
	if (GMIME_IS_MULTIPART(o)) {
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(o));

		for (int i = 0; i < n && i < DEF_MAX_PARTS; i++) {
			GMimeObject *t =
			    first_text(g_mime_multipart_get_part(GMIME_MULTIPART(o), i), depth + 1,
				       plain_only);

			if (t)
				return t;
		}
		return NULL;
	}
	if (GMIME_IS_TEXT_PART(o) &&
	    (plain_only ? is_type(o, "text", "plain") : is_type(o, "text", "*")))
		return o;
	return NULL;
}

/* The original message, from a message/rfc822 part, a text/rfc822-headers
 * part, or (X-ARF evidence) a text part. */
static int take_original(struct ctx *c, GMimeObject *o, const char *where)
{
	struct arf_report *r = c->r;
	int rc = ERR_OK;

	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		GMimeStream *ms;
		GByteArray *ba;
		GMimeObject *t;

		if (!m)
			return ERR_OK;
		ms = g_mime_stream_mem_new();
		g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, ms);
		ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
		r->original = adup(c, (const char *)ba->data, ba->len);
		r->original_len = ba->len;
		g_object_unref(ms);
		t = first_text(g_mime_message_get_mime_part(m), 0, true);
		if (!t)
			t = first_text(g_mime_message_get_mime_part(m), 0, false);
		if (t) {
			char *text;

			rc = check_charset(c, t, where);
			if (rc)
				return rc;
			text = g_mime_text_part_get_text(GMIME_TEXT_PART(t));
			if (text) {
				r->original_body = adup(c, text, strlen(text));
				r->original_body_len = strlen(text);
				g_free(text);
			}
		}
		return ERR_OK;
	}
	rc = check_charset(c, o, where);
	if (rc)
		return rc;
	{
		size_t n;
		char *s = part_bytes(o, &n);
		const char *blank = n ? memmem(s, n, "\n\n", 2) : NULL;

		r->original = adup(c, s, n);
		r->original_len = n;
		r->original_headers_only = is_rfc822_headers(o);
		if (blank && blank + 2 < s + n) {
			r->original_body = adup(c, blank + 2, (size_t)(s + n - blank - 2));
			r->original_body_len = (size_t)(s + n - blank - 2);
		} else if (!r->original_headers_only && !blank) {
			r->original_body = r->original;
			r->original_body_len = n;
		}
		free(s);
	}
	return ERR_OK;
}

static int parse_arf(struct ctx *c, GMimeMultipart *mp)
{
	int n = g_mime_multipart_get_count(mp), rc;
	GMimeObject *fb = NULL, *orig = NULL;
	int fb_index = -1;
	char where[160], tbuf[128];

	c->r->format = ARF_FORMAT_ARF;
	for (int i = 0; i < n && (size_t)i < c->lim.max_parts; i++) {
		GMimeObject *p = g_mime_multipart_get_part(mp, i);

		if (!fb && is_type(p, "message", "feedback-report")) {
			fb = p;
			fb_index = i;
		} else if (fb && !orig && (GMIME_IS_MESSAGE_PART(p) || is_rfc822_headers(p))) {
			orig = p;
		}
	}
	if (!fb) {
		if (c->gmime_truncated)
			return err_set(c->d, ERR_INVALID, "multipart/report",
				       "truncated report: the message ends before its "
				       "message/feedback-report part");
		return err_set(c->d, ERR_INVALID, "multipart/report",
			       "no message/feedback-report part among its %d parts", n);
	}
	snprintf(where, sizeof(where), "part %d (message/feedback-report)", fb_index + 1);
	rc = check_charset(c, fb, where);
	if (rc)
		return rc;
	{
		size_t blen;
		char *b = part_bytes(fb, &blen);

		rc = each_field(c, b, blen, arf_field);
		free(b);
		if (rc)
			return rc;
	}
	if (!c->r->feedback_type)
		return err_set(c->d, ERR_INVALID, "feedback-report.Feedback-Type",
			       "missing: RFC 5965 requires Feedback-Type");
	if (!c->r->user_agent)
		return err_set(c->d, ERR_INVALID, "feedback-report.User-Agent",
			       "missing: RFC 5965 requires User-Agent");
	if (!c->r->version)
		return err_set(c->d, ERR_INVALID, "feedback-report.Version",
			       "missing: RFC 5965 requires Version");
	if (orig) {
		snprintf(where, sizeof(where), "original message (%s)",
			 part_type(orig, tbuf, sizeof(tbuf)));
		rc = take_original(c, orig, where);
	}
	return rc;
}

static int parse_xarf02(struct ctx *c, GMimeMultipart *mp)
{
	int n = g_mime_multipart_get_count(mp), rc;
	size_t blen;
	char *b;

	c->r->format = ARF_FORMAT_XARF02;
	if (n < 2)
		return err_set(c->d, ERR_INVALID, "x-arf",
			       "X-ARF needs a report as the second MIME part; %d part(s) found", n);
	b = part_bytes(g_mime_multipart_get_part(mp, 1), &blen);
	rc = each_field(c, b, blen, xarf02_field);
	free(b);
	if (rc)
		return rc;
	if (!c->r->feedback_type)
		return err_set(c->d, ERR_INVALID, "x-arf.Report-Type",
			       "missing in the report part (part 2)");
	if (!c->xarf_category)
		return err_set(c->d, ERR_INVALID, "x-arf.Category",
			       "missing in the report part (part 2)");
	if (!c->xarf_source)
		return err_set(c->d, ERR_INVALID, "x-arf.Source",
			       "missing in the report part (part 2): a report needs its source");
	if (!c->r->reporter || !c->r->reporter[0])
		return err_set(c->d, ERR_INVALID, "x-arf.Reported-From",
			       "missing in the report part (part 2): a report needs its reporter");
	if (n >= 3)
		rc = take_original(c, g_mime_multipart_get_part(mp, 2), "part 3 (evidence)");
	return rc;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The XARF v4 categories: the "category" enum of xarf-core.json (xarf/xarf-spec,
 * schemas/v4), formerly "class". */
static bool xarf4_category_known(const char *cat)
{
	static const char *const known[] = {"messaging",      "connection", "content",
					    "infrastructure", "copyright",  "vulnerability",
					    "reputation"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(cat, known[i]))
			return true;
	return false;
}

static int parse_xarf4_json(struct ctx *c, const char *s, size_t len)
{
	json_error_t je;
	json_t *root = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je), *ev;
	struct arf_report *r = c->r;
	const char *v, *cat, *type;
	int rc = ERR_OK;

	r->format = ARF_FORMAT_XARF4;
	if (!root)
		return err_set(c->d, ERR_SYNTAX, "xarf", "not JSON: %s at line %d", je.text,
			       je.line);
	if (!json_is_object(root) || !jstr(root, "xarf_version")) {
		rc = err_set(c->d, ERR_INVALID, "xarf.xarf_version",
			     "not an XARF v4 report: no xarf_version");
		goto out;
	}
	r->version = adup(c, jstr(root, "xarf_version"), strlen(jstr(root, "xarf_version")));
	cat = jstr(root, "category") ? jstr(root, "category") : jstr(root, "class");
	type = jstr(root, "type");
	if (!cat) {
		rc = err_set(c->d, ERR_INVALID, "xarf.category", "missing");
		goto out;
	}
	if (!xarf4_category_known(cat)) {
		/* an unknown category is not guessed from its type (a "spam" type under it
		 * would otherwise count against the source as spam) */
		rc = err_set(c->d, ERR_INVALID, "xarf.category",
			     "unknown XARF v4 category '%.40s' (messaging, connection, content, "
			     "infrastructure, copyright, vulnerability or reputation)",
			     cat);
		goto out;
	}
	if (!type) {
		rc = err_set(c->d, ERR_INVALID, "xarf.type", "missing");
		goto out;
	}
	if (!jstr(root, "source_identifier") || !jstr(root, "source_identifier")[0]) {
		rc = err_set(c->d, ERR_INVALID, "xarf.source_identifier",
			     "missing: a report needs its source");
		goto out;
	}
	{
		json_t *rep = json_object_get(root, "reporter");
		const char *who = jstr(rep, "org");
		if (!who || !who[0])
			who = jstr(rep, "domain");
		if (!who || !who[0])
			who = jstr(rep, "contact");
		if (!who || !who[0]) {
			rc = err_set(
			    c->d, ERR_INVALID, "xarf.reporter",
			    "missing: a report needs its reporter (org, domain or contact)");
			goto out;
		}
		r->reporter = adup(c, who, strlen(who));
	}
	r->feedback_type = adup_lower(c, type);
	r->category = category_of(type);
	if (r->category == ARF_CAT_OTHER && cat)
		r->category = category_of(cat);
	if ((v = jstr(root, "source_identifier"))) {
		if (parse_ip(c, v, "xarf.source_identifier") != ERR_OK) {
			err_clear(c->d);
			list_add(c, c->domains, &r->n_reported_domains, v);
		}
	}
	if ((v = jstr(root, "timestamp"))) {
		rc = parse_date(c, v, "xarf.timestamp");
		if (rc)
			goto out;
	}
	if ((v = jstr(root, "smtp_from")))
		r->original_mail_from = adup(c, v, strlen(v));
	if ((v = jstr(root, "smtp_to")))
		list_add(c, c->rcpt, &r->n_original_rcpt_to, v);
	if ((v = jstr(root, "url")))
		list_add(c, c->uris, &r->n_reported_uris, v);
	if ((v = jstr(root, "domain")))
		list_add(c, c->domains, &r->n_reported_domains, v);
	if ((v = jstr(root, "user_agent")))
		r->user_agent = adup(c, v, strlen(v));
	ev = json_object_get(root, "evidence");
	for (size_t i = 0; json_is_array(ev) && i < json_array_size(ev); i++) {
		json_t *e = json_array_get(ev, i);
		const char *ct = jstr(e, "content_type"), *pl = jstr(e, "payload");
		gsize outlen;
		guchar *raw;
		char *norm;
		size_t nlen;
		const char *blank;

		if (!ct || !pl || strcasecmp(ct, "message/rfc822"))
			continue;
		raw = g_base64_decode(pl, &outlen);
		norm = normalise_eol((const char *)raw, outlen, &nlen);
		g_free(raw);
		r->original = adup(c, norm, nlen);
		r->original_len = nlen;
		blank = memmem(norm, nlen, "\n\n", 2);
		if (blank) {
			r->original_body = adup(c, blank + 2, (size_t)(norm + nlen - blank - 2));
			r->original_body_len = (size_t)(norm + nlen - blank - 2);
		}
		free(norm);
		break;
	}
out:
	json_decref(root);
	return rc;
}

static int parse_xarf4_mime(struct ctx *c, GMimeMultipart *mp)
{
	int n = g_mime_multipart_get_count(mp);

	for (int i = 0; i < n && (size_t)i < c->lim.max_parts; i++) {
		GMimeObject *p = g_mime_multipart_get_part(mp, i);
		size_t blen;
		char *b;
		int rc;

		if (!is_type(p, "application", "json"))
			continue;
		b = part_bytes(p, &blen);
		rc = parse_xarf4_json(c, b, blen);
		free(b);
		return rc;
	}
	return -1;
}

static int parse_mime(struct ctx *c, const char *s, size_t len)
{
	GMimeParserOptions *po = g_mime_parser_options_new();
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(s, len);
	GMimeParser *p = g_mime_parser_new_with_stream(st);
	GMimeMessage *m;
	GMimeObject *body;
	const char *xarf;
	char tbuf[128];
	int rc;

	g_mime_parser_options_set_warning_callback(po, on_warning, c);
	m = g_mime_parser_construct_message(p, po);
	if (!m) {
		rc = err_set(c->d, ERR_SYNTAX, "message", "not a MIME message");
		goto out;
	}
	body = g_mime_message_get_mime_part(m);
	if (!body) {
		rc = err_set(c->d, ERR_INVALID, "message",
			     "not an abuse report: the mail has no body");
		goto out;
	}
	part_type(body, tbuf, sizeof(tbuf));
	xarf = g_mime_object_get_header(GMIME_OBJECT(m), "X-ARF");
	if (is_type(body, "multipart", "report")) {
		GMimeContentType *ct = g_mime_object_get_content_type(body);
		const char *rt = g_mime_content_type_get_parameter(ct, "report-type");

		if (!rt || strcasecmp(rt, "feedback-report")) {
			rc = err_set(c->d, ERR_INVALID, "Content-Type",
				     "not an abuse report: multipart/report with report-type=%.40s",
				     rt ? rt : "(none)");
			goto out;
		}
		if (!GMIME_IS_MULTIPART(body)) {
			rc = err_set(c->d, ERR_INVALID, "Content-Type",
				     "malformed MIME: multipart/report without a boundary");
			goto out;
		}
		rc = parse_arf(c, GMIME_MULTIPART(body));
	} else if (xarf && !strncasecmp(xarf, "yes", 3) && GMIME_IS_MULTIPART(body)) {
		rc = parse_xarf02(c, GMIME_MULTIPART(body));
	} else if (GMIME_IS_MULTIPART(body) &&
		   (rc = parse_xarf4_mime(c, GMIME_MULTIPART(body))) != -1) {
		/* XARF v4 JSON attached to a mail */
	} else if (is_type(body, "multipart", "*") && !GMIME_IS_MULTIPART(body)) {
		rc = err_set(c->d, ERR_INVALID, "Content-Type",
			     "malformed MIME: %s without a boundary", tbuf);
	} else {
		rc = err_set(c->d, ERR_INVALID, "Content-Type",
			     "not an abuse report: Content-Type is %s without "
			     "report-type=feedback-report",
			     tbuf);
	}
	if (!rc && c->gmime_truncated)
		c->r->truncated = true;
out:
	if (m)
		g_object_unref(m);
	g_object_unref(p);
	g_object_unref(st);
	g_mime_parser_options_free(po);
	return rc;
}

int arf_parse(const char *data, size_t len, const struct arf_limits *lim, struct arf_report **out,
	      struct err_detail *d)
{
	struct ctx c;
	char *norm = NULL;
	size_t nlen, i = 0;
	long hlen;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.lim.max_message = lim && lim->max_message ? lim->max_message : DEF_MAX_MESSAGE;
	c.lim.max_header = lim && lim->max_header ? lim->max_header : DEF_MAX_HEADER;
	c.lim.max_parts = lim && lim->max_parts ? lim->max_parts : DEF_MAX_PARTS;
	if (len > c.lim.max_message)
		return err_set(d, ERR_TOO_LARGE, "message", "larger than %zu bytes",
			       c.lim.max_message);
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	if (i == len)
		return err_set(d, ERR_INVALID, "message", "empty");
	c.r = xcalloc(1, sizeof(*c.r));
	arena_init(&c.r->arena);
	c.r->incidents = 1;
	pthread_once(&gmime_once, gmime_setup);
	if (data[i] == '{') {
		rc = parse_xarf4_json(&c, data, len);
		goto out;
	}
	/* the header cap is checked on the raw bytes before any copy */
	hlen = header_block_len(data, len, c.lim.max_header + 2);
	if (hlen < 0) {
		char *tmp = normalise_eol(
		    data, len < c.lim.max_header + 4 ? len : c.lim.max_header + 4, &nlen);

		hlen = header_block_len(tmp, nlen, c.lim.max_header + 2);
		free(tmp);
	}
	if (hlen < 0 || (size_t)hlen > c.lim.max_header) {
		if (len > c.lim.max_header)
			rc = err_set(d, ERR_TOO_LARGE, "headers",
				     "header block larger than %zu bytes", c.lim.max_header);
		else
			rc = err_set(d, ERR_INVALID, "headers",
				     "truncated: the mail ends inside its header block");
		goto out;
	}
	norm = normalise_eol(data, len, &nlen);
	rc = parse_mime(&c, norm, nlen);
out:
	free(norm);
	if (rc) {
		arf_report_free(c.r);
		return rc;
	}
	if (c.r->source_family == 0 && c.r->format == ARF_FORMAT_ARF)
		c.r->source_ip = NULL;
	lists_to_arena(&c);
	*out = c.r;
	return ERR_OK;
}

void arf_report_free(struct arf_report *r)
{
	if (!r)
		return;
	arena_release(&r->arena);
	free(r);
}
