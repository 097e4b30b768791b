#include "dns/zonefile.h"
#include "formats/canonical.h"

#include "util/xalloc.h"

static const char *const fmt_names[] = {"ip4set", "ip6trie", "dnset", "csv", "plain"};

int dnsbl_zone_format_parse(const char *name, enum dnsbl_zone_format *fmt)
{
	for (size_t i = 0; i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++) {
		if (!strcasecmp(name, fmt_names[i])) {
			*fmt = (enum dnsbl_zone_format)i;
			return ERR_OK;
		}
	}
	return ERR_INVALID;
}

const char *dnsbl_zone_format_name(enum dnsbl_zone_format fmt)
{
	return (unsigned)fmt < 5 ? fmt_names[fmt] : "?";
}

struct imp {
	enum dnsbl_zone_format fmt;
	uint8_t def_code;
	char def_reason[DNSBL_REASON_MAX + 1];
	bool has_def_reason;
	int (*fn)(const struct dnsbl_entry *e, void *ctx);
	void *ctx;
	struct err_detail *d;
	size_t lineno;
};

static int line_err(struct imp *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int line_err(struct imp *im, const char *fmt, ...)
{
	char field[32], msg[400];
	va_list ap;

	snprintf(field, sizeof(field), "line %zu", im->lineno);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(im->d, ERR_SYNTAX, field, "%s", msg);
}

/* "127.0.0.N" or "N" -> N (2..254). Empty -> keep. */
static int parse_code(struct imp *im, const char *s, size_t n, uint8_t *code)
{
	char buf[32];
	uint8_t a[4];
	char *end;
	long v;

	if (n == 0)
		return ERR_OK;
	if (n >= sizeof(buf))
		return line_err(im, "not an A value: '%.*s'", (int)(n > 40 ? 40 : n), s);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strchr(buf, '.')) {
		if (canon_ipv4_parse(buf, strlen(buf), a, NULL) || a[0] != 127 || a[1] || a[2])
			return line_err(im, "A value not in 127.0.0.0/24: '%s'", buf);
		v = (long)a[3];
	} else {
		v = strtol(buf, &end, 10);
		if (*end || end == buf)
			return line_err(im, "not an A value: '%s'", buf);
	}
	if (v < 2 || v > 254)
		return line_err(im, "A value 127.0.0.%ld: the last octet must be 2 to 254", v);
	*code = (uint8_t)v;
	return ERR_OK;
}

/* ":A:TXT" or "A:TXT" or "A" (rbldnsd value syntax). */
static int parse_value(struct imp *im, const char *s, size_t n, uint8_t *code, char *reason,
		       bool *has_reason)
{
	const char *colon;
	size_t tl;

	if (n && s[0] == ':') {
		s++;
		n--;
	}
	colon = memchr(s, ':', n);
	if (parse_code(im, s, colon ? (size_t)(colon - s) : n, code))
		return ERR_SYNTAX;
	if (!colon)
		return ERR_OK;
	tl = n - (size_t)(colon + 1 - s);
	if (tl > DNSBL_REASON_MAX)
		return line_err(im, "TXT longer than %d bytes", DNSBL_REASON_MAX);
	memcpy(reason, colon + 1, tl);
	reason[tl] = '\0';
	*has_reason = tl > 0;
	return ERR_OK;
}

static int emit(struct imp *im, struct dnsbl_entry *e, uint8_t code, const char *reason)
{
	e->code = code;
	e->reason = reason && *reason ? reason : NULL;
	return im->fn(e, im->ctx);
}

/* rbldnsd's short forms: "10" = 10/8, "10.1" = 10.1/16, "10.1.2" = 10.1.2/24. */
static bool short_ip4(const char *s, size_t n, struct dnsbl_entry *e)
{
	unsigned oct[4];
	int k = 0;
	size_t i = 0;

	if (n == 0 || memchr(s, '/', n))
		return false;
	while (i < n && k < 4) {
		unsigned v = 0;
		size_t st = i;

		while (i < n && s[i] >= '0' && s[i] <= '9' && i - st < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == st || v > 255)
			return false;
		oct[k++] = v;
		if (i < n && s[i] == '.')
			i++;
		else
			break;
	}
	if (i != n || k >= 4 || k == 0)
		return false;
	memset(e->addr, 0, sizeof(e->addr));
	for (int j = 0; j < k; j++)
		e->addr[j] = (uint8_t)oct[j];
	e->kind = DNSBL_IP4;
	e->plen = (uint8_t)(8 * k);
	return true;
}

/* a-b, both full addresses: the covering CIDRs, largest first. */
static int emit_range(struct imp *im, const char *s, size_t n, uint8_t code, const char *reason,
		      bool excl)
{
	const char *dash = memchr(s, '-', n);
	char a[32], b[32];
	uint8_t x[4], y[4];
	uint64_t lo, hi;
	struct dnsbl_entry e;
	int rc;

	if ((size_t)(dash - s) >= sizeof(a) || n - (size_t)(dash - s) - 1 >= sizeof(b))
		return line_err(im, "not an IPv4 range: '%.*s'", (int)(n > 60 ? 60 : n), s);
	snprintf(a, sizeof(a), "%.*s", (int)(dash - s), s);
	snprintf(b, sizeof(b), "%.*s", (int)(n - (size_t)(dash - s) - 1), dash + 1);
	if (canon_ipv4_parse(a, strlen(a), x, NULL) || canon_ipv4_parse(b, strlen(b), y, NULL))
		return line_err(im, "not an IPv4 range: '%.*s'", (int)(n > 60 ? 60 : n), s);
	lo = (uint64_t)x[0] << 24 | (uint64_t)x[1] << 16 | (uint64_t)x[2] << 8 | x[3];
	hi = (uint64_t)y[0] << 24 | (uint64_t)y[1] << 16 | (uint64_t)y[2] << 8 | y[3];
	if (lo > hi)
		return line_err(im, "range start after its end: '%s-%s'", a, b);
	memset(&e, 0, sizeof(e));
	e.kind = DNSBL_IP4;
	while (lo <= hi) {
		int len = 32;

		while (len > 0) {
			uint64_t size = (uint64_t)1 << (32 - (len - 1));

			if ((lo & (size - 1)) || lo + size - 1 > hi)
				break;
			len--;
		}
		e.plen = (uint8_t)len;
		e.addr[0] = (uint8_t)(lo >> 24);
		e.addr[1] = (uint8_t)(lo >> 16);
		e.addr[2] = (uint8_t)(lo >> 8);
		e.addr[3] = (uint8_t)lo;
		rc = emit(im, &e, excl ? DNSBL_CODE_EXCLUDED : code, reason);
		if (rc)
			return rc;
		lo += (uint64_t)1 << (32 - len);
	}
	return ERR_OK;
}

static bool kind_fits(enum dnsbl_zone_format fmt, enum dnsbl_kind k)
{
	switch (fmt) {
	case DNSBL_FMT_IP4SET: return k == DNSBL_IP4;
	case DNSBL_FMT_IP6TRIE: return k == DNSBL_IP6;
	case DNSBL_FMT_DNSET: return k == DNSBL_NAME || k == DNSBL_NAME_WILD;
	default: return true;
	}
}

static const char *fmt_what(enum dnsbl_zone_format fmt)
{
	switch (fmt) {
	case DNSBL_FMT_IP4SET: return "an IPv4 address, prefix or range";
	case DNSBL_FMT_IP6TRIE: return "an IPv6 address or prefix";
	case DNSBL_FMT_DNSET: return "a domain name";
	default: return "an address, prefix or domain";
	}
}

/* One rbldnsd line (ip4set, ip6trie, dnset) or plain line. */
static int rbl_line(struct imp *im, const char *s, size_t n)
{
	struct dnsbl_entry e;
	char reason[DNSBL_REASON_MAX + 1];
	bool has_reason = false, excl = false, both = false;
	uint8_t code = im->def_code;
	size_t vl = 0;
	char err[200];
	int rc;

	if (s[0] == ':' && im->fmt != DNSBL_FMT_PLAIN) {
		/* default value for the lines that follow */
		rc = parse_value(im, s, n, &im->def_code, im->def_reason, &im->has_def_reason);
		return rc;
	}
	if (s[0] == '$')
		return ERR_OK; /* $TTL, $SOA, $NS...: zone settings, not listings */
	if (s[0] == '!' && im->fmt != DNSBL_FMT_PLAIN) {
		excl = true;
		s++;
		n--;
	}
	if (im->fmt == DNSBL_FMT_IP4SET) {
		char tok[64];
		size_t w = 0;

		while (w < n && w + 1 < sizeof(tok) && s[w] != ' ' && s[w] != '\t')
			w++;
		snprintf(tok, sizeof(tok), "%.*s", (int)w, s);
		if (strchr(tok, '/'))
			*strchr(tok, '/') = '\0';
		if (!canon_ipv6_parse(tok, strlen(tok), e.addr))
			return line_err(im, "not %s: '%.*s'", fmt_what(im->fmt), (int)w, s);
	}
	/* the value ends at whitespace, or at ':' where no IPv6 address can be */
	while (vl < n && s[vl] != ' ' && s[vl] != '\t' &&
	       !(s[vl] == ':' && (im->fmt == DNSBL_FMT_IP4SET || im->fmt == DNSBL_FMT_DNSET)))
		vl++;
	if (im->has_def_reason)
		snprintf(reason, sizeof(reason), "%s", im->def_reason);
	else
		reason[0] = '\0';
	if (vl < n && im->fmt != DNSBL_FMT_PLAIN) {
		size_t k = vl;

		while (k < n && (s[k] == ' ' || s[k] == '\t'))
			k++;
		if (k < n && parse_value(im, s + k, n - k, &code, reason, &has_reason))
			return ERR_SYNTAX;
	}
	memset(&e, 0, sizeof(e));
	if (im->fmt == DNSBL_FMT_DNSET && vl > 1 && s[0] == '.') {
		both = true; /* ".name": the name and everything below */
		s++;
		vl--;
	}
	if (im->fmt == DNSBL_FMT_IP4SET && memchr(s, '-', vl))
		return emit_range(im, s, vl, code, reason, excl);
	if (!(im->fmt == DNSBL_FMT_IP4SET && short_ip4(s, vl, &e)) &&
	    dnsbl_entry_parse(s, vl, &e, err, sizeof(err)) != ERR_OK)
		return line_err(im, "not %s: %s", fmt_what(im->fmt), err);
	if (!kind_fits(im->fmt, e.kind))
		return line_err(im, "not %s: '%.*s'", fmt_what(im->fmt), (int)(vl > 60 ? 60 : vl),
				s);
	if (excl)
		code = DNSBL_CODE_EXCLUDED;
	rc = emit(im, &e, code, reason);
	if (!rc && both) {
		e.kind = DNSBL_NAME_WILD;
		rc = emit(im, &e, code, reason);
	}
	return rc;
}

/* Splits one CSV field (RFC 4180 quoting) into out; returns the position after
 * it (past the comma), or -1 on a bad quote. */
static long csv_field(const char *s, size_t n, size_t pos, char *out, size_t outsz)
{
	size_t o = 0;

	if (pos < n && s[pos] == '"') {
		pos++;
		for (;;) {
			if (pos >= n)
				return -1;
			if (s[pos] == '"') {
				if (pos + 1 < n && s[pos + 1] == '"') {
					pos++;
				} else {
					pos++;
					break;
				}
			}
			if (o + 1 < outsz)
				out[o++] = s[pos];
			pos++;
		}
		if (pos < n && s[pos] != ',')
			return -1;
	} else {
		while (pos < n && s[pos] != ',') {
			if (o + 1 < outsz)
				out[o++] = s[pos];
			pos++;
		}
	}
	out[o] = '\0';
	return (long)(pos < n ? pos + 1 : pos);
}

static int csv_line(struct imp *im, const char *s, size_t n)
{
	char val[300], code_s[40], reason[DNSBL_REASON_MAX + 2];
	struct dnsbl_entry e;
	uint8_t code = im->def_code;
	char err[200];
	long p;
	bool excl = false;

	p = csv_field(s, n, 0, val, sizeof(val));
	if (p < 0)
		return line_err(im, "unterminated quote in the value");
	if (im->lineno == 1 && !strcasecmp(val, "value"))
		return ERR_OK; /* header */
	code_s[0] = '\0';
	reason[0] = '\0';
	if ((size_t)p < n || (p > 0 && s[p - 1] == ',')) {
		p = csv_field(s, n, (size_t)p, code_s, sizeof(code_s));
		if (p < 0)
			return line_err(im, "unterminated quote in the code");
	}
	if ((size_t)p < n) {
		p = csv_field(s, n, (size_t)p, reason, sizeof(reason));
		if (p < 0)
			return line_err(im, "unterminated quote in the reason");
		if ((size_t)p < n)
			return line_err(im, "more than 3 fields (value,code,reason)");
	}
	if (strlen(reason) > DNSBL_REASON_MAX)
		return line_err(im, "reason longer than %d bytes", DNSBL_REASON_MAX);
	if (!reason[0] && im->has_def_reason)
		snprintf(reason, sizeof(reason), "%s", im->def_reason);
	if (!strcmp(code_s, "0")) {
		excl = true;
	} else if (parse_code(im, code_s, strlen(code_s), &code)) {
		return ERR_SYNTAX;
	}
	memset(&e, 0, sizeof(e));
	if (dnsbl_entry_parse(val, strlen(val), &e, err, sizeof(err)) != ERR_OK)
		return line_err(im, "%s", err);
	return emit(im, &e, excl ? DNSBL_CODE_EXCLUDED : code, reason);
}

int dnsbl_zone_import(const char *data, size_t len, enum dnsbl_zone_format fmt,
		      uint8_t default_code, const char *default_reason,
		      int (*fn)(const struct dnsbl_entry *e, void *ctx), void *ctx,
		      struct err_detail *d)
{
	struct imp im = {.fmt = fmt, .def_code = default_code, .fn = fn, .ctx = ctx, .d = d};
	size_t i = 0;
	int rc = ERR_OK;

	if ((unsigned)fmt > DNSBL_FMT_PLAIN)
		return err_set(d, ERR_INVALID, "format", "unknown zone format");
	if (default_code < 2 || default_code > 254)
		return err_set(d, ERR_INVALID, "code", "default code must be 2 to 254");
	if (default_reason && strlen(default_reason) <= DNSBL_REASON_MAX) {
		snprintf(im.def_reason, sizeof(im.def_reason), "%s", default_reason);
		im.has_def_reason = default_reason[0] != '\0';
	}
	while (i < len && !rc) {
		size_t e = i, s, t;

		while (e < len && data[e] != '\n' && data[e] != '\r')
			e++;
		im.lineno++;
		s = i;
		t = e;
		i = e + 1;
		if (e < len && data[e] == '\r' && e + 1 < len && data[e + 1] == '\n')
			i++;
		while (s < t && (data[s] == ' ' || data[s] == '\t'))
			s++;
		while (t > s && (data[t - 1] == ' ' || data[t - 1] == '\t'))
			t--;
		if (s == t || data[s] == '#' || (data[s] == ';' && fmt != DNSBL_FMT_CSV))
			continue;
		if (memchr(data + s, '\0', t - s))
			rc = line_err(&im, "a NUL byte");
		else if (fmt == DNSBL_FMT_CSV)
			rc = csv_line(&im, data + s, t - s);
		else
			rc = rbl_line(&im, data + s, t - s);
	}
	return rc;
}

struct load {
	struct dnsbl_batch *b;
	size_t n;
};

static int load_one(const struct dnsbl_entry *e, void *ctx)
{
	struct load *l = ctx;

	l->n++;
	return dnsbl_batch_add(l->b, e);
}

int dnsbl_zone_load(struct dnsbl *bl, const char *data, size_t len, enum dnsbl_zone_format fmt,
		    uint8_t default_code, const char *default_reason, size_t *count,
		    struct err_detail *d)
{
	struct load l = {.b = dnsbl_batch_new(bl)};
	int rc;

	rc = dnsbl_zone_import(data, len, fmt, default_code, default_reason, load_one, &l, d);
	if (rc) {
		if (rc != ERR_SYNTAX && d && !d->message[0])
			err_set(d, rc, "entry", "rejected by the blocklist: %s", err_str(rc));
		dnsbl_batch_free(l.b);
		return rc;
	}
	if (count)
		*count = l.n;
	return dnsbl_commit(bl, l.b);
}

static int add_csv_str(struct buf *out, const char *s)
{
	int rc = buf_addc(out, '"');

	for (; *s && !rc; s++) {
		if (*s == '"')
			rc = buf_addc(out, '"');
		if (!rc)
			rc = buf_addc(out, (*s == '\n' || *s == '\r') ? ' ' : *s);
	}
	return rc ? rc : buf_addc(out, '"');
}

int dnsbl_zone_write_entry(struct buf *out, enum dnsbl_zone_format fmt, const struct dnsbl_entry *e)
{
	char v[300];
	const char *reason = e->reason ? e->reason : "";
	int rc;

	if (!kind_fits(fmt, e->kind))
		return ERR_OK;
	dnsbl_entry_format(e, v, sizeof(v));
	switch (fmt) {
	case DNSBL_FMT_CSV:
		rc = buf_addf(out, "%s,%u,", v, e->code);
		if (!rc)
			rc = add_csv_str(out, reason);
		return rc ? rc : buf_addc(out, '\n');
	case DNSBL_FMT_PLAIN:
		if (e->code == DNSBL_CODE_EXCLUDED)
			return ERR_OK;
		return buf_addf(out, "%s\n", v);
	default:
		if (e->code == DNSBL_CODE_EXCLUDED)
			return buf_addf(out, "!%s\n", v);
		/* a reason cannot hold a newline in these formats */
		rc = buf_addf(out, "%s :127.0.0.%u:", v, e->code);
		for (const char *p = reason; *p && !rc; p++)
			rc = buf_addc(out, (*p == '\n' || *p == '\r') ? ' ' : *p);
		return rc ? rc : buf_addc(out, '\n');
	}
}

struct exp {
	enum dnsbl_zone_format fmt;
	struct buf b;
	FILE *f;
};

static int export_one(const struct dnsbl_entry *e, void *ctx)
{
	struct exp *x = ctx;

	if (dnsbl_zone_write_entry(&x->b, x->fmt, e))
		return ERR_INTERNAL;
	if (x->b.len > 60000) {
		if (fwrite(x->b.data, 1, x->b.len, x->f) != x->b.len)
			return ERR_IO;
		buf_reset(&x->b);
	}
	return ERR_OK;
}

int dnsbl_zone_export(struct dnsbl *bl, enum dnsbl_zone_format fmt, FILE *f)
{
	struct exp x = {.fmt = fmt, .f = f};
	int rc;

	buf_init(&x.b, 1 << 20);
	if (fmt == DNSBL_FMT_CSV)
		rc = buf_adds(&x.b, "value,code,reason\n");
	else
		rc = buf_addf(&x.b, "# atalaya dnsbl export, format %s, %zu entries in the set\n",
			      dnsbl_zone_format_name(fmt), dnsbl_count(bl));
	if (!rc)
		rc = dnsbl_foreach(bl, export_one, &x);
	if (!rc && x.b.len && fwrite(x.b.data, 1, x.b.len, f) != x.b.len)
		rc = ERR_IO;
	if (!rc && fflush(f))
		rc = ERR_IO;
	buf_release(&x.b);
	return rc;
}
