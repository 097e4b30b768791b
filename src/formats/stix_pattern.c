/* STIX 2.1 patterning language: a tokenizer and a recursive-descent parser with a
 * depth cap. The grammar (STIX 2.1 section 9 and its ANTLR grammar), from loosest to
 * tightest binding:
 *
 *   pattern      := obs_seq EOF
 *   obs_seq      := obs_or ("FOLLOWEDBY" obs_or)*
 *   obs_or       := obs_and ("OR" obs_and)*
 *   obs_and      := obs_qual ("AND" obs_qual)*
 *   obs_qual     := obs_primary qualifier*
 *   obs_primary  := "[" cmp_or "]" | "(" obs_seq ")"
 *   qualifier    := "WITHIN" number "SECONDS" | "REPEATS" int "TIMES"
 *                 | "START" t'..' "STOP" t'..'
 *   cmp_or       := cmp_and ("OR" cmp_and)*
 *   cmp_and      := cmp_primary ("AND" cmp_primary)*
 *   cmp_primary  := "(" cmp_or ")" | "EXISTS" path | path ["NOT"] op literal
 *   path         := type ":" (ident | 'str') ("." (ident | 'str') | "[" (int | "*") "]")*
 *
 * Only the comparisons are kept (in text order): that is what callers need.
 */
#include "formats/stix_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util/arena.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct stix_pattern {
	struct arena arena;
	struct stix_pattern_comparison *cmps;
	size_t ncmps, cap;
	size_t observations;
};

enum tok {
	T_EOF,
	T_LBRACK,
	T_RBRACK,
	T_LPAREN,
	T_RPAREN,
	T_COLON,
	T_DOT,
	T_COMMA,
	T_STAR,
	T_OP, /* = != < > <= >= */
	T_IDENT,
	T_STRING,
	T_INT,
	T_FLOAT,
	T_TIMESTAMP,
	T_HEX,
	T_BINARY,
	T_BAD,
};

struct parser {
	const char *s;
	size_t n;
	size_t pos; /* next byte to tokenize */
	/* current token */
	enum tok t;
	size_t ts, te;	 /* token bytes s[ts..te) */
	size_t vs, ve;	 /* value bytes for quoted literals (inside the quotes) */
	const char *bad; /* T_BAD: why */
	int depth;
	struct stix_pattern *p;
	struct err_detail *err;
	int rc;
};

static int perr(struct parser *ps, int code, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int perr(struct parser *ps, int code, size_t at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (ps->rc)
		return ps->rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->rc = code;
	return err_set(ps->err, code, "pattern", "pattern: position %zu: %s", at, msg);
}

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Scans a quoted body starting after the opening quote at s[i]; returns the index of
 * the closing quote or n. With `escapes`, \' and \\ are the only escapes. */
static size_t scan_quoted(struct parser *ps, size_t i, bool escapes, const char **bad)
{
	while (i < ps->n) {
		char c = ps->s[i];
		if (c == '\'')
			return i;
		if (c == '\\' && escapes) {
			if (i + 1 >= ps->n || (ps->s[i + 1] != '\'' && ps->s[i + 1] != '\\')) {
				*bad = "invalid escape in string (only \\' and \\\\)";
				return i;
			}
			i += 2;
			continue;
		}
		i++;
	}
	*bad = "unterminated string";
	return ps->n;
}

static void next(struct parser *ps)
{
	const char *s = ps->s;
	size_t i = ps->pos;
	unsigned char c;

	while (i < ps->n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	ps->ts = i;
	ps->bad = NULL;
	if (i >= ps->n) {
		ps->t = T_EOF;
		ps->te = ps->pos = i;
		return;
	}
	c = (unsigned char)s[i];
	switch (c) {
	case '[':
		ps->t = T_LBRACK;
		i++;
		goto done;
	case ']':
		ps->t = T_RBRACK;
		i++;
		goto done;
	case '(':
		ps->t = T_LPAREN;
		i++;
		goto done;
	case ')':
		ps->t = T_RPAREN;
		i++;
		goto done;
	case ':':
		ps->t = T_COLON;
		i++;
		goto done;
	case ',':
		ps->t = T_COMMA;
		i++;
		goto done;
	case '*':
		ps->t = T_STAR;
		i++;
		goto done;
	case '=':
		ps->t = T_OP;
		i++;
		goto done;
	case '!':
		if (i + 1 < ps->n && s[i + 1] == '=') {
			ps->t = T_OP;
			i += 2;
			goto done;
		}
		ps->t = T_BAD;
		ps->bad = "unexpected '!'";
		i++;
		goto done;
	case '<':
	case '>':
		ps->t = T_OP;
		i++;
		if (i < ps->n && s[i] == '=')
			i++;
		goto done;
	case '\'': {
		const char *bad = NULL;
		size_t e = scan_quoted(ps, i + 1, true, &bad);
		if (bad) {
			ps->t = T_BAD;
			ps->bad = bad;
			ps->te = ps->pos = e; /* the error is reported where it is */
			ps->ts = e;
			return;
		}
		ps->t = T_STRING;
		ps->vs = i + 1;
		ps->ve = e;
		i = e + 1;
		goto done;
	}
	default: break;
	}
	if ((c == 't' || c == 'h' || c == 'b') && i + 1 < ps->n && s[i + 1] == '\'') {
		const char *bad = NULL;
		size_t e = scan_quoted(ps, i + 2, false, &bad);
		if (bad) {
			ps->t = T_BAD;
			ps->bad = bad;
			ps->te = ps->pos = e;
			return;
		}
		ps->t = c == 't' ? T_TIMESTAMP : c == 'h' ? T_HEX : T_BINARY;
		ps->vs = i + 2;
		ps->ve = e;
		i = e + 1;
		goto done;
	}
	if (c == '.' && !(i + 1 < ps->n && is_digit((unsigned char)s[i + 1]))) {
		ps->t = T_DOT;
		i++;
		goto done;
	}
	if (is_digit(c) || c == '-' || c == '+' || c == '.') {
		size_t j = i;
		bool dot = false;
		if (s[j] == '-' || s[j] == '+')
			j++;
		size_t d0 = j;
		while (j < ps->n && is_digit((unsigned char)s[j]))
			j++;
		size_t intdigits = j - d0;
		if (j < ps->n && s[j] == '.') {
			dot = true;
			j++;
			size_t f0 = j;
			while (j < ps->n && is_digit((unsigned char)s[j]))
				j++;
			if (j == f0) {
				ps->t = T_BAD;
				ps->bad = "malformed number";
				i = j;
				goto done;
			}
		}
		if ((!dot && intdigits == 0) || (!dot && intdigits > 1 && s[d0] == '0') ||
		    (j < ps->n && is_ident_char((unsigned char)s[j]))) {
			ps->t = T_BAD;
			ps->bad = "malformed number";
			i = j;
			goto done;
		}
		ps->t = dot ? T_FLOAT : T_INT;
		i = j;
		goto done;
	}
	if (is_ident_start(c)) {
		while (i < ps->n && is_ident_char((unsigned char)s[i]))
			i++;
		ps->t = T_IDENT;
		goto done;
	}
	ps->t = T_BAD;
	ps->bad = "unexpected character";
	i++;
done:
	ps->te = ps->pos = i;
}

static bool is_kw(struct parser *ps, const char *kw)
{
	size_t n = strlen(kw);
	return ps->t == T_IDENT && ps->te - ps->ts == n && !memcmp(ps->s + ps->ts, kw, n);
}

static int expected(struct parser *ps, const char *what)
{
	if (ps->t == T_BAD)
		return perr(ps, ERR_SYNTAX, ps->ts, "%s", ps->bad);
	if (ps->t == T_EOF)
		return perr(ps, ERR_SYNTAX, ps->ts, "expected %s, found the end of the pattern",
			    what);
	return perr(ps, ERR_SYNTAX, ps->ts, "expected %s", what);
}

static char *tok_dup(struct parser *ps, size_t a, size_t b)
{
	return arena_strndup(&ps->p->arena, ps->s + a, b - a);
}

static bool ts_ok(struct parser *ps, int64_t *ms)
{
	const char *v = ps->s + ps->vs;
	size_t n = ps->ve - ps->vs;

	return n >= 20 && v[10] == 'T' && v[n - 1] == 'Z' && !time_parse_rfc3339(v, n, 1, ms);
}

/* Parses one literal at the current token into *lit and advances. */
static int literal(struct parser *ps, struct stix_pattern_literal *lit)
{
	int64_t ms;

	switch (ps->t) {
	case T_STRING: {
		/* undo \' and \\ */
		char *out = arena_alloc(&ps->p->arena, ps->ve - ps->vs + 1);
		size_t k = 0;
		for (size_t i = ps->vs; i < ps->ve; i++) {
			if (ps->s[i] == '\\')
				i++;
			out[k++] = ps->s[i];
		}
		out[k] = '\0';
		lit->kind = STIX_LIT_STRING;
		lit->text = out;
		lit->len = k;
		break;
	}
	case T_INT:
	case T_FLOAT:
		lit->kind = ps->t == T_INT ? STIX_LIT_INT : STIX_LIT_FLOAT;
		lit->text = tok_dup(ps, ps->ts, ps->te);
		lit->len = ps->te - ps->ts;
		break;
	case T_TIMESTAMP:
		if (!ts_ok(ps, &ms))
			return perr(ps, ERR_INVALID, ps->ts, "not an RFC 3339 UTC timestamp");
		lit->kind = STIX_LIT_TIMESTAMP;
		goto quoted;
	case T_HEX:
		if (!hex_octets_valid(ps->s + ps->vs, ps->ve - ps->vs))
			return perr(ps, ERR_INVALID, ps->ts, "not an even number of hex digits");
		lit->kind = STIX_LIT_HEX;
		goto quoted;
	case T_BINARY:
		if (!base64_padded_valid(ps->s + ps->vs, ps->ve - ps->vs))
			return perr(ps, ERR_INVALID, ps->ts, "not base64");
		lit->kind = STIX_LIT_BINARY;
		goto quoted;
	case T_IDENT:
		if (ps->te - ps->ts == 4 && !strncasecmp(ps->s + ps->ts, "true", 4)) {
			lit->kind = STIX_LIT_BOOL;
			lit->text = "true";
			lit->len = 4;
			break;
		}
		if (ps->te - ps->ts == 5 && !strncasecmp(ps->s + ps->ts, "false", 5)) {
			lit->kind = STIX_LIT_BOOL;
			lit->text = "false";
			lit->len = 5;
			break;
		}
		/* fall through */
	default: return expected(ps, "a literal");
	}
	next(ps);
	return ERR_OK;
quoted:
	lit->text = tok_dup(ps, ps->vs, ps->ve);
	lit->len = ps->ve - ps->vs;
	next(ps);
	return ERR_OK;
}

static const struct {
	const char *name;
	enum stix_pattern_op op;
} ops[] = {
    {"=", STIX_OP_EQ},
    {"!=", STIX_OP_NEQ},
    {">", STIX_OP_GT},
    {"<", STIX_OP_LT},
    {">=", STIX_OP_GE},
    {"<=", STIX_OP_LE},
    {"IN", STIX_OP_IN},
    {"LIKE", STIX_OP_LIKE},
    {"MATCHES", STIX_OP_MATCHES},
    {"ISSUBSET", STIX_OP_ISSUBSET},
    {"ISSUPERSET", STIX_OP_ISSUPERSET},
    {"EXISTS", STIX_OP_EXISTS},
};

static struct stix_pattern_comparison *new_cmp(struct parser *ps)
{
	struct stix_pattern *p = ps->p;

	if (p->ncmps == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->cmps = xrealloc(p->cmps, p->cap * sizeof(*p->cmps));
	}
	memset(&p->cmps[p->ncmps], 0, sizeof(p->cmps[0]));
	p->cmps[p->ncmps].observation = p->observations - 1;
	return &p->cmps[p->ncmps++];
}

static int path(struct parser *ps, struct stix_pattern_comparison *c)
{
	struct buf b;
	int rc = ERR_OK;
	size_t n;

	if (ps->t != T_IDENT)
		return expected(ps, "an object path");
	n = ps->te - ps->ts;
	bool type_ok = n >= 3 && n <= 250 && ps->s[ps->ts] >= 'a' && ps->s[ps->ts] <= 'z';
	for (size_t i = ps->ts; type_ok && i < ps->te; i++) {
		char ch = ps->s[i];
		type_ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			  (ch == '-' && ps->s[i - 1] != '-');
	}
	if (!type_ok)
		return perr(ps, ERR_SYNTAX, ps->ts, "not an object type");
	c->object_type = tok_dup(ps, ps->ts, ps->te);
	next(ps);
	if (ps->t != T_COLON)
		return expected(ps, "':' after the object type");
	next(ps);
	buf_init(&b, 16 * 1024);
	for (bool first = true;; first = false) {
		if (!first && ps->t == T_LBRACK) {
			next(ps);
			if (ps->t == T_STAR)
				rc = buf_adds(&b, "[*]");
			else if (ps->t == T_INT)
				rc = buf_addf(&b, "[%.*s]", (int)(ps->te - ps->ts), ps->s + ps->ts);
			else {
				rc = expected(ps, "an index or '*'");
				goto out;
			}
			next(ps);
			if (ps->t != T_RBRACK) {
				rc = expected(ps, "']' after the index");
				goto out;
			}
			next(ps);
		} else if (first || ps->t == T_DOT) {
			if (!first) {
				next(ps);
				rc = buf_addc(&b, '.');
			}
			if (ps->t == T_IDENT && !memchr(ps->s + ps->ts, '-', ps->te - ps->ts))
				rc = rc ? rc : buf_add(&b, ps->s + ps->ts, ps->te - ps->ts);
			else if (ps->t == T_STRING)
				rc = rc ? rc : buf_add(&b, ps->s + ps->ts, ps->te - ps->ts);
			else {
				rc = expected(ps, "a property name");
				goto out;
			}
			next(ps);
		} else {
			break;
		}
		if (rc) {
			rc = perr(ps, ERR_TOO_LARGE, ps->ts, "object path too long");
			goto out;
		}
	}
	c->path = arena_strndup(&ps->p->arena, b.data ? b.data : "", b.len);
out:
	buf_release(&b);
	return rc;
}

static int cmp_or(struct parser *ps);

/* "(" inner ")", with the nesting cap checked before descending. */
static int parenthesised(struct parser *ps, int (*inner)(struct parser *))
{
	if (++ps->depth > STIX_PATTERN_MAX_DEPTH)
		return perr(ps, ERR_TOO_LARGE, ps->ts, "nested deeper than %d",
			    STIX_PATTERN_MAX_DEPTH);
	next(ps);
	int rc = inner(ps);
	if (rc)
		return rc;
	if (ps->t != T_RPAREN)
		return expected(ps, "')'");
	ps->depth--;
	next(ps);
	return ERR_OK;
}

/* MATCHES takes a PCRE regular expression (section 9.5 of the patterning spec): one
 * that does not compile could never match, so the pattern is refused. */
static int check_regex(struct parser *ps, const struct stix_pattern_literal *lit, size_t at)
{
	int code;
	PCRE2_SIZE where;
	pcre2_code *re =
	    pcre2_compile((PCRE2_SPTR)lit->text, lit->len, PCRE2_UTF, &code, &where, NULL);

	if (re) {
		pcre2_code_free(re);
		return ERR_OK;
	}
	PCRE2_UCHAR msg[160];
	if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", code);
	return perr(ps, ERR_SYNTAX, at,
		    "MATCHES: not a PCRE regular expression (%s, at byte %zu "
		    "of the expression)",
		    (const char *)msg, (size_t)where);
}

static int cmp_primary(struct parser *ps)
{
	struct stix_pattern_comparison *c;
	size_t i;
	int rc;

	if (ps->t == T_LPAREN)
		return parenthesised(ps, cmp_or);
	c = new_cmp(ps);
	if (is_kw(ps, "EXISTS")) {
		next(ps);
		c->op = STIX_OP_EXISTS;
		c->op_name = "EXISTS";
		return path(ps, c);
	}
	rc = path(ps, c);
	if (rc)
		return rc;
	if (is_kw(ps, "NOT")) {
		c->negated = true;
		next(ps);
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]) - 1; i++) {
		size_t n = strlen(ops[i].name);
		if ((ps->t == T_OP || ps->t == T_IDENT) && ps->te - ps->ts == n &&
		    !memcmp(ps->s + ps->ts, ops[i].name, n))
			break;
	}
	if (i == sizeof(ops) / sizeof(ops[0]) - 1)
		return expected(ps, "a comparison operator");
	c->op = ops[i].op;
	c->op_name = ops[i].name;
	next(ps);

	if (c->op == STIX_OP_IN) {
		struct stix_pattern_literal *vals = NULL;
		size_t nv = 0, cap = 0;
		if (ps->t != T_LPAREN)
			return expected(ps, "'(' to open the set");
		next(ps);
		while (ps->t != T_RPAREN) {
			struct stix_pattern_literal lit;
			if (nv) {
				if (ps->t != T_COMMA)
					return expected(ps, "',' or ')'");
				next(ps);
			}
			rc = literal(ps, &lit);
			if (rc)
				return rc;
			if (nv == cap) {
				struct stix_pattern_literal *nvals;
				cap = cap ? cap * 2 : 4;
				nvals = arena_alloc(&ps->p->arena, cap * sizeof(*nvals));
				if (nv)
					memcpy(nvals, vals, nv * sizeof(*nvals));
				vals = nvals;
			}
			vals[nv++] = lit;
		}
		next(ps);
		c->values = vals;
		c->nvalues = nv;
		return ERR_OK;
	}
	struct stix_pattern_literal *lit = arena_alloc(&ps->p->arena, sizeof(*lit));
	size_t at = ps->ts;
	rc = literal(ps, lit);
	if (rc)
		return rc;
	c->values = lit;
	c->nvalues = 1;
	switch (c->op) {
	case STIX_OP_GT:
	case STIX_OP_LT:
	case STIX_OP_GE:
	case STIX_OP_LE:
		if (lit->kind == STIX_LIT_BOOL)
			return perr(ps, ERR_SYNTAX, at, "%s needs an orderable literal",
				    c->op_name);
		break;
	case STIX_OP_LIKE:
	case STIX_OP_MATCHES:
	case STIX_OP_ISSUBSET:
	case STIX_OP_ISSUPERSET:
		if (lit->kind != STIX_LIT_STRING)
			return perr(ps, ERR_SYNTAX, at, "%s needs a string literal", c->op_name);
		break;
	default: break;
	}
	if (c->op == STIX_OP_MATCHES)
		return check_regex(ps, lit, at);
	return ERR_OK;
}

/* One level of a left-associative binary operator: sub (KW sub)* */
static int binary(struct parser *ps, const char *kw, int (*sub)(struct parser *))
{
	int rc = sub(ps);

	while (!rc && is_kw(ps, kw)) {
		next(ps);
		rc = sub(ps);
	}
	return rc;
}

static int cmp_and(struct parser *ps)
{
	return binary(ps, "AND", cmp_primary);
}

static int cmp_or(struct parser *ps)
{
	return binary(ps, "OR", cmp_and);
}

static int obs_seq(struct parser *ps);

static int obs_primary(struct parser *ps)
{
	int rc;

	if (ps->t == T_LBRACK) {
		ps->p->observations++;
		next(ps);
		rc = cmp_or(ps);
		if (rc)
			return rc;
		if (ps->t != T_RBRACK)
			return expected(ps, "']'");
		next(ps);
		return ERR_OK;
	}
	if (ps->t == T_LPAREN)
		return parenthesised(ps, obs_seq);
	return expected(ps, "'[' or '('");
}

static int qualifiers(struct parser *ps)
{
	for (;;) {
		if (is_kw(ps, "WITHIN")) {
			next(ps);
			char num[64];
			snprintf(num, sizeof(num), "%.*s", (int)(ps->te - ps->ts), ps->s + ps->ts);
			if ((ps->t != T_INT && ps->t != T_FLOAT) || num[0] == '-' ||
			    strtod(num, NULL) <= 0)
				return expected(ps, "a positive number of seconds");
			next(ps);
			if (!is_kw(ps, "SECONDS"))
				return expected(ps, "SECONDS");
			next(ps);
		} else if (is_kw(ps, "REPEATS")) {
			next(ps);
			if (ps->t != T_INT || ps->s[ps->ts] == '-' || ps->s[ps->ts] == '0' ||
			    (ps->s[ps->ts] == '+' && ps->s[ps->ts + 1] == '0'))
				return expected(ps, "a positive integer");
			next(ps);
			if (!is_kw(ps, "TIMES"))
				return expected(ps, "TIMES");
			next(ps);
		} else if (is_kw(ps, "START")) {
			int64_t a, b;
			size_t at;
			next(ps);
			if (ps->t != T_TIMESTAMP)
				return expected(ps, "a timestamp t'...'");
			if (!ts_ok(ps, &a))
				return perr(ps, ERR_INVALID, ps->ts,
					    "not an RFC 3339 UTC timestamp");
			next(ps);
			if (!is_kw(ps, "STOP"))
				return expected(ps, "STOP");
			next(ps);
			if (ps->t != T_TIMESTAMP)
				return expected(ps, "a timestamp t'...'");
			if (!ts_ok(ps, &b))
				return perr(ps, ERR_INVALID, ps->ts,
					    "not an RFC 3339 UTC timestamp");
			at = ps->ts;
			if (b <= a)
				return perr(ps, ERR_INVALID, at, "STOP is not later than START");
			next(ps);
		} else {
			return ERR_OK;
		}
	}
}

static int obs_qual(struct parser *ps)
{
	int rc = obs_primary(ps);

	return rc ? rc : qualifiers(ps);
}

static int obs_and(struct parser *ps)
{
	return binary(ps, "AND", obs_qual);
}

static int obs_or(struct parser *ps)
{
	return binary(ps, "OR", obs_and);
}

static int obs_seq(struct parser *ps)
{
	return binary(ps, "FOLLOWEDBY", obs_or);
}

int stix_pattern_parse(const char *s, size_t n, struct stix_pattern **out, struct err_detail *err)
{
	struct parser ps = {.s = s, .n = n, .err = err};
	int rc;

	*out = NULL;
	if (n > STIX_PATTERN_MAX_LEN)
		return err_set(err, ERR_TOO_LARGE, "pattern",
			       "pattern: position %d: longer than %d "
			       "bytes",
			       STIX_PATTERN_MAX_LEN, STIX_PATTERN_MAX_LEN);
	if (memchr(s, '\0', n))
		return err_set(err, ERR_SYNTAX, "pattern", "pattern: position %zu: NUL byte",
			       (size_t)((const char *)memchr(s, '\0', n) - s));
	ps.p = xcalloc(1, sizeof(*ps.p));
	arena_init(&ps.p->arena);
	next(&ps);
	if (ps.t == T_EOF) {
		rc = perr(&ps, ERR_SYNTAX, 0, "empty pattern");
		goto out;
	}
	rc = obs_seq(&ps);
	if (rc)
		goto out;
	if (ps.t != T_EOF) {
		if (ps.t == T_BAD)
			rc = perr(&ps, ERR_SYNTAX, ps.ts, "%s", ps.bad);
		else
			rc = perr(&ps, ERR_SYNTAX, ps.ts, "unexpected text after the pattern");
		goto out;
	}
	*out = ps.p;
	ps.p = NULL;
out:
	stix_pattern_free(ps.p);
	return rc;
}

void stix_pattern_free(struct stix_pattern *p)
{
	if (!p)
		return;
	arena_release(&p->arena);
	free(p->cmps);
	free(p);
}

int stix_pattern_foreach_comparison(const struct stix_pattern *p,
				    int (*cb)(void *ctx, const struct stix_pattern_comparison *c),
				    void *ctx)
{
	for (size_t i = 0; i < p->ncmps; i++) {
		int rc = cb(ctx, &p->cmps[i]);
		if (rc)
			return rc;
	}
	return 0;
}
