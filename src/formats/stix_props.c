/* STIX 2.1 checks of the common property kinds that stix.c's property table
 * names: references and their allowed types, string lists, hashes, kill chain
 * phases, external references, granular markings, extensions. Pure: any
 * thread. */
#include "formats/stix.h"
#include "formats/stix_check.h"

#include "util/err.h"
#include "util/hex.h"

/* Checks that reference `ref` (already a valid identifier) may point at its type. */
static bool ref_type_ok(const char *allowed, const char *ref)
{
	char t[256];
	const char *sep = strstr(ref, "--");
	size_t n;
	enum stix_kind k;

	if (!sep || (n = (size_t)(sep - ref)) >= sizeof(t))
		return false;
	if (!strpbrk(allowed, " @")) /* one type: the usual case */
		return strlen(allowed) == n && !memcmp(ref, allowed, n);
	memcpy(t, ref, n);
	t[n] = '\0';
	if (!strcmp(t, "bundle"))
		return false;
	k = stix_type_kind(t);
	if (stix_word_in(allowed, "@any"))
		return true;
	if (stix_word_in(allowed, t))
		return true;
	if (stix_word_in(allowed, "@sdo") && (k == STIX_SDO || k == STIX_CUSTOM))
		return true;
	if (stix_word_in(allowed, "@sco") && (k == STIX_SCO || k == STIX_CUSTOM))
		return true;
	if (stix_word_in(allowed, "@sro") && k == STIX_SRO)
		return true;
	if (stix_word_in(allowed, "@rel") && (k == STIX_SDO || k == STIX_SCO || k == STIX_CUSTOM))
		return true;
	if (stix_word_in(allowed, "@lc") && strcmp(t, "language-content") &&
	    strcmp(t, "marking-definition"))
		return true;
	return false;
}

static void describe_allowed(const char *allowed, char *out, size_t n)
{
	if (!strcmp(allowed, "@sdo"))
		snprintf(out, n, "an SDO");
	else if (!strcmp(allowed, "@sco"))
		snprintf(out, n, "an SCO");
	else if (!strcmp(allowed, "@sco @sro"))
		snprintf(out, n, "an SCO or an SRO");
	else if (!strcmp(allowed, "@rel"))
		snprintf(out, n, "an SDO or an SCO");
	else if (!strcmp(allowed, "@lc"))
		snprintf(out, n, "an SDO, SRO or SCO");
	else
		snprintf(out, n, "%s", allowed);
	for (char *p = out; *p; p++)
		if (*p == ' ' && strchr(allowed, ' ') && allowed[0] != '@')
			*p = '/';
}

int stix_check_ref(struct vctx *v, const char *path, const struct jv *j, const char *allowed)
{
	const char *s = jv_str(j);
	char what[128];

	if (!s || !stix_id_valid(s, jv_strlen(j), NULL))
		return stix_verr(v, ERR_INVALID, path, "not a STIX identifier (type--UUID)");
	if (allowed && !ref_type_ok(allowed, s)) {
		describe_allowed(allowed, what, sizeof(what));
		return stix_verr(v, ERR_INVALID, path, "must refer to %s, not %.*s", what,
				 (int)(strstr(s, "--") - s), s);
	}
	return ERR_OK;
}

int stix_check_refs(struct vctx *v, const char *path, const struct jv *j, const char *allowed)
{
	char sub[160];
	size_t i;
	const struct jv *e;
	int rc;

	if (!jv_is_array(j) || jv_size(j) == 0)
		return stix_verr(v, ERR_INVALID, path, "not a non-empty list of identifiers");
	jv_array_foreach(j, i, e)
	{
		const char *s = jv_str(e);
		/* the fast path formats no path; check_ref does when it reports */
		if (s && stix_id_valid(s, jv_strlen(e), NULL) &&
		    (!allowed || ref_type_ok(allowed, s)))
			continue;
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		rc = stix_check_ref(v, sub, e, allowed);
		if (rc)
			return rc;
	}
	return ERR_OK;
}

static int check_strs(struct vctx *v, const char *path, const struct jv *j, bool allow_empty)
{
	size_t i;
	const struct jv *e;

	if (!jv_is_array(j) || (!allow_empty && jv_size(j) == 0))
		return stix_verr(v, ERR_INVALID, path,
				 allow_empty ? "not a list of strings"
					     : "not a non-empty list of strings");
	jv_array_foreach(j, i, e)
	{
		if (!jv_is_string(e)) {
			char sub[160];
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			return stix_verr(v, ERR_INVALID, sub, "not a string");
		}
	}
	return ERR_OK;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hex_digit_value((unsigned char)s[i]) < 0)
			return false;
	return true;
}

static int check_hashes(struct vctx *v, const char *path, const struct jv *j)
{
	static const struct {
		const char *name;
		size_t len;
	} algos[] = {{"MD5", 32},      {"SHA-1", 40},	  {"SHA-256", 64}, {"SHA-512", 128},
		     {"SHA3-256", 64}, {"SHA3-512", 128}, {"SSDEEP", 0},   {"TLSH", 70}};
	const char *k;
	size_t m;
	const struct jv *h;
	char sub[160];

	if (!jv_is_object(j) || jv_size(j) == 0)
		return stix_verr(v, ERR_INVALID, path, "not a non-empty hashes dictionary");
	jv_object_foreach(j, m, k, h)
	{
		const char *s = jv_str(h);
		size_t kn = strlen(k), n = jv_strlen(h);
		snprintf(sub, sizeof(sub), "%s.%s", path, k);
		if (kn < 3 || kn > 250 ||
		    strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
			      "WXYZ0123456789_-") != kn)
			return stix_verr(v, ERR_INVALID, sub, "not a valid hash algorithm name");
		if (!s)
			return stix_verr(v, ERR_INVALID, sub, "not a string");
		for (size_t a = 0; a < sizeof(algos) / sizeof(algos[0]); a++) {
			if (strcmp(k, algos[a].name))
				continue;
			if (algos[a].len && (n != algos[a].len || !all_hex(s, n)))
				return stix_verr(v, ERR_INVALID, sub,
						 "not a %s hash (%zu hex digits)", k, algos[a].len);
			if (!algos[a].len && (n == 0 || n > 128))
				return stix_verr(v, ERR_INVALID, sub, "not an SSDEEP hash");
		}
	}
	return ERR_OK;
}

static int check_kcp(struct vctx *v, const char *path, const struct jv *j)
{
	size_t i;
	const struct jv *e;
	char sub[160];

	if (!jv_is_array(j) || jv_size(j) == 0)
		return stix_verr(v, ERR_INVALID, path, "not a non-empty list of kill chain phases");
	jv_array_foreach(j, i, e)
	{
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!jv_is_object(e))
			return stix_verr(v, ERR_INVALID, sub, "not a kill chain phase object");
		if (!jv_is_string(jv_get(e, "kill_chain_name")))
			return stix_verr(v, ERR_INVALID, sub,
					 "kill_chain_name missing or not a string");
		if (!jv_is_string(jv_get(e, "phase_name")))
			return stix_verr(v, ERR_INVALID, sub, "phase_name missing or not a string");
	}
	return ERR_OK;
}

static int check_extrefs(struct vctx *v, const char *path, const struct jv *j)
{
	size_t i;
	const struct jv *e, *h;
	char sub[160], sub2[200];
	int rc;

	if (!jv_is_array(j) || jv_size(j) == 0)
		return stix_verr(v, ERR_INVALID, path,
				 "not a non-empty list of external references");
	jv_array_foreach(j, i, e)
	{
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!jv_is_object(e))
			return stix_verr(v, ERR_INVALID, sub, "not an external reference object");
		if (!jv_is_string(jv_get(e, "source_name"))) {
			snprintf(sub2, sizeof(sub2), "%s.source_name", sub);
			return stix_verr(v, ERR_INVALID, sub2,
					 "required property missing or not a string");
		}
		if (!jv_get(e, "description") && !jv_get(e, "url") && !jv_get(e, "external_id"))
			return stix_verr(v, ERR_INVALID, sub,
					 "needs description, url or external_id");
		static const char *const strs[] = {"description", "url", "external_id"};
		for (size_t k = 0; k < 3; k++) {
			const struct jv *s = jv_get(e, strs[k]);
			if (s && !jv_is_string(s)) {
				snprintf(sub2, sizeof(sub2), "%s.%s", sub, strs[k]);
				return stix_verr(v, ERR_INVALID, sub2, "not a string");
			}
		}
		if ((h = jv_get(e, "hashes"))) {
			snprintf(sub2, sizeof(sub2), "%s.hashes", sub);
			rc = check_hashes(v, sub2, h);
			if (rc)
				return rc;
		}
	}
	return ERR_OK;
}

/* Whether selector `s` (section 7.2.3.1: property names joined by '.', list elements
 * as "[n]", written "labels.[1]" or "labels[1]") names something in `obj`. */
static bool selector_resolves(const struct jv *obj, const char *s)
{
	const struct jv *cur = obj;

	while (*s) {
		if (*s == '[') {
			char *end;
			unsigned long long n;
			if (s[1] < '0' || s[1] > '9')
				return false;
			n = strtoull(s + 1, &end, 10);
			if (*end != ']' || !jv_is_array(cur) || n >= jv_size(cur))
				return false;
			cur = jv_at(cur, (size_t)n);
			s = end + 1;
		} else {
			size_t n = strcspn(s, ".[");
			if (n == 0 || !(cur = jv_getn(cur, s, n)))
				return false;
			s += n;
		}
		if (*s == '.') {
			if (!*++s)
				return false;
		} else if (*s && *s != '[') {
			return false;
		}
	}
	return true;
}

static int check_granular(struct vctx *v, const char *path, const struct jv *j)
{
	size_t i;
	const struct jv *e, *sel, *mref, *lang;
	char sub[160], sub2[200];
	int rc;

	if (!jv_is_array(j) || jv_size(j) == 0)
		return stix_verr(v, ERR_INVALID, path, "not a non-empty list of granular markings");
	jv_array_foreach(j, i, e)
	{
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!jv_is_object(e))
			return stix_verr(v, ERR_INVALID, sub, "not a granular marking object");
		sel = jv_get(e, "selectors");
		mref = jv_get(e, "marking_ref");
		lang = jv_get(e, "lang");
		snprintf(sub2, sizeof(sub2), "%s.selectors", sub);
		if (!sel)
			return stix_verr(v, ERR_INVALID, sub2, "required property missing");
		rc = check_strs(v, sub2, sel, false);
		if (rc)
			return rc;
		for (size_t k = 0; k < jv_size(sel); k++) {
			const struct jv *one = jv_at(sel, k);
			if (jv_strlen(one) == 0)
				return stix_verr(v, ERR_INVALID, sub2, "empty selector");
			if (!selector_resolves(v->obj, jv_str(one))) {
				char sub3[240];
				snprintf(sub3, sizeof(sub3), "%.200s[%zu]", sub2, k);
				return stix_verr(
				    v, ERR_INVALID, sub3,
				    "'%.80s' selects nothing in this object "
				    "(property names joined by '.', list elements as [n])",
				    jv_str(one));
			}
		}
		if (!mref == !lang)
			return stix_verr(v, ERR_INVALID, sub,
					 "needs exactly one of marking_ref and lang");
		if (mref) {
			snprintf(sub2, sizeof(sub2), "%s.marking_ref", sub);
			rc = stix_check_ref(v, sub2, mref, "marking-definition");
			if (rc)
				return rc;
		} else if (!jv_is_string(lang)) {
			snprintf(sub2, sizeof(sub2), "%s.lang", sub);
			return stix_verr(v, ERR_INVALID, sub2, "not a string");
		}
	}
	return ERR_OK;
}

static bool ext_name_ok(const char *k)
{
	size_t n = strlen(k);

	if (n < 5 || strcmp(k + n - 4, "-ext"))
		return false;
	return stix_type_name_valid(k, n);
}

static int check_exts(struct vctx *v, const char *path, const struct jv *j)
{
	static const char *const ext_types[] = {
	    "new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"};
	const char *k;
	size_t m;
	const struct jv *e;
	char sub[200];

	if (!jv_is_object(j) || jv_size(j) == 0)
		return stix_verr(v, ERR_INVALID, path, "not a non-empty dictionary of extensions");
	jv_object_foreach(j, m, k, e)
	{
		snprintf(sub, sizeof(sub), "%s.%.120s", path, k);
		if (!strncmp(k, "extension-definition--", 22)) {
			const char *t;
			size_t x;
			if (!stix_id_valid(k, strlen(k), "extension-definition"))
				return stix_verr(v, ERR_INVALID, sub,
						 "not an extension-definition "
						 "identifier");
			if (!jv_is_object(e))
				return stix_verr(v, ERR_INVALID, sub, "not an object");
			t = jv_str(jv_get(e, "extension_type"));
			if (!t)
				return stix_verr(v, ERR_INVALID, sub, "extension_type missing");
			for (x = 0; x < 5; x++)
				if (!strcmp(t, ext_types[x]))
					break;
			if (x == 5)
				return stix_verr(v, ERR_INVALID, sub,
						 "unknown extension_type \"%.40s\"", t);
			continue;
		}
		if (!ext_name_ok(k))
			return stix_verr(v, ERR_INVALID, sub,
					 "not an extension-definition id or a "
					 "predefined extension name");
		if (!jv_is_object(e) || jv_size(e) == 0)
			return stix_verr(v, ERR_INVALID, sub, "not a non-empty object");
	}
	return ERR_OK;
}

int stix_check_rule(struct vctx *v, const struct prop_rule *r, const struct jv *j, int64_t *ts)
{
	const char *p = r->name;

	switch (r->kind) {
	case P_STR:
		if (!jv_is_string(j))
			return stix_verr(v, ERR_INVALID, p, "not a string");
		return ERR_OK;
	case P_BOOL:
		if (!jv_is_boolean(j))
			return stix_verr(v, ERR_INVALID, p, "not a boolean");
		return ERR_OK;
	case P_INT:
		if (!jv_is_integer(j))
			return stix_verr(v, ERR_INVALID, p, "not an integer");
		if ((double)jv_int(j) < r->min || (double)jv_int(j) > r->max)
			return stix_verr(v, ERR_INVALID, p, "must be between %.0f and %.0f", r->min,
					 r->max);
		return ERR_OK;
	case P_NUM:
		if (!jv_is_number(j))
			return stix_verr(v, ERR_INVALID, p, "not a number");
		if (jv_number(j) < r->min || jv_number(j) > r->max)
			return stix_verr(v, ERR_INVALID, p, "must be between %g and %g", r->min,
					 r->max);
		return ERR_OK;
	case P_TIME:
	case P_TIME_MS:
		if (!jv_is_string(j) || !stix_is_ts(jv_str(j), jv_strlen(j), false, ts))
			return stix_verr(v, ERR_INVALID, p, "not an RFC 3339 timestamp");
		if (r->kind == P_TIME_MS && !stix_is_ts(jv_str(j), jv_strlen(j), true, NULL))
			return stix_verr(v, ERR_INVALID, p, "not precise to the millisecond");
		return ERR_OK;
	case P_REF: return stix_check_ref(v, p, j, r->refs);
	case P_REFS: return stix_check_refs(v, p, j, r->refs);
	case P_STRS:
	case P_STRS0: return check_strs(v, p, j, r->kind == P_STRS0);
	case P_OBJ:
		if (!jv_is_object(j) || jv_size(j) == 0)
			return stix_verr(v, ERR_INVALID, p, "not a non-empty object");
		return ERR_OK;
	case P_HASHES: return check_hashes(v, p, j);
	case P_KCP: return check_kcp(v, p, j);
	case P_EXTREFS: return check_extrefs(v, p, j);
	case P_GRANULAR: return check_granular(v, p, j);
	case P_EXTS: return check_exts(v, p, j);
	}
	return ERR_OK;
}
