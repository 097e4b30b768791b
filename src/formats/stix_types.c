/* STIX 2.1 rules of one type or another, beyond the property table of
 * stix.c: SCO values (addresses through formats/canonical.h), indicator
 * patterns, the order of timestamps, and marking definitions (the predefined
 * TLP ones must be the canonical ones of formats/tlp_markings.h). */
#include "formats/stix.h"
#include "formats/stix_check.h"

#include "formats/stix_pattern.h"
#include "formats/tlp_markings.h"
#include "formats/canonical.h"
#include "util/caps.h"
#include "util/err.h"
#include "util/timeutil.h"

#include <ctype.h>

/* ---- type-specific rules ----------------------------------------------------------- */

static int64_t ts_of(const struct jv *obj, const char *name)
{
	const struct jv *j = jv_get(obj, name);
	int64_t t = 0;

	if (j)
		time_parse_rfc3339(jv_str(j), jv_strlen(j), 1, &t);
	return t;
}

static int check_order(struct vctx *v, const char *first, const char *later, bool strict)
{
	if (!jv_get(v->obj, first) || !jv_get(v->obj, later))
		return ERR_OK;
	int64_t a = ts_of(v->obj, first), b = ts_of(v->obj, later);
	if (strict ? b <= a : b < a)
		return stix_verr(v, ERR_INVALID, later,
				 strict ? "not later than %s" : "earlier than %s", first);
	return ERR_OK;
}

/* An address or CIDR text, "/len" 0..max without leading zeros. */
static bool ip_text_ok(int family, const char *s)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint8_t a[16];
	uint64_t plen;

	if (family == 4 ? canon_ipv4_parse(s, n, a, NULL) : canon_ipv6_parse(s, n, a))
		return false;
	return !slash || (!canon_decimal(slash + 1, strlen(slash + 1), 3, &plen) &&
			  plen <= (family == 4 ? 32u : 128u));
}

static bool ipv4_ok(const char *s)
{
	return ip_text_ok(4, s);
}

bool stix_ipv6_text_valid(const char *s)
{
	return ip_text_ok(6, s);
}

static bool printable_no_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return n > 0;
}

static bool url_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (!printable_no_space(s, n) || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
		return false;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
		i++;
	return i < n && s[i] == ':' && i + 1 < n;
}

static bool mac_ok(const char *s, size_t n)
{
	if (n != 17)
		return false;
	for (size_t i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

static bool domain_ok(const char *s, size_t n)
{
	if (n == 0 || n > CAP_DOMAIN_MAX || !printable_no_space(s, n) || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr("/\\@:?#[]", s[i]) || (s[i] == '.' && i + 1 < n && s[i + 1] == '.'))
			return false;
	return true;
}

static bool email_ok(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);

	return printable_no_space(s, n) && at && at != s && at + 1 < s + n &&
	       !memchr(at + 1, '@', (size_t)(s + n - at - 1)) &&
	       domain_ok(at + 1, (size_t)(s + n - at - 1));
}

static int check_sco_value(struct vctx *v)
{
	const struct jv *j = jv_get(v->obj, "value");
	const char *s = jv_str(j);
	size_t n = jv_strlen(j);
	const char *t = v->type;

	if (!s)
		return ERR_OK;
	if (!strcmp(t, "ipv4-addr") && !ipv4_ok(s))
		return stix_verr(v, ERR_INVALID, "value", "not an IPv4 address or CIDR");
	if (!strcmp(t, "ipv6-addr") && !stix_ipv6_text_valid(s))
		return stix_verr(v, ERR_INVALID, "value", "not an IPv6 address or CIDR");
	if (!strcmp(t, "mac-addr") && !mac_ok(s, n))
		return stix_verr(v, ERR_INVALID, "value",
				 "not a MAC address (lower-case, colon-separated)");
	if (!strcmp(t, "domain-name") && !domain_ok(s, n))
		return stix_verr(v, ERR_INVALID, "value", "not a domain name");
	if (!strcmp(t, "email-addr") && !email_ok(s, n))
		return stix_verr(v, ERR_INVALID, "value", "not an e-mail address");
	if (!strcmp(t, "url") && !url_ok(s, n))
		return stix_verr(v, ERR_INVALID, "value", "not a URL");
	return ERR_OK;
}

/* An SCO whose properties are all optional must still say something. */
static int check_not_empty_sco(struct vctx *v)
{
	static const char *const common[] = {
	    "type", "id", "spec_version", "object_marking_refs", "granular_markings", "defanged"};
	for (size_t m = 0; m < jv_size(v->obj); m++) {
		const char *k = jv_member(v->obj, m)->key;
		size_t i;
		for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
			if (!strcmp(k, common[i]))
				break;
		if (i == sizeof(common) / sizeof(common[0]))
			return ERR_OK;
	}
	return stix_verr(v, ERR_INVALID, NULL, "%s has no property besides the common ones",
			 v->type);
}

static int check_pattern(struct vctx *v)
{
	const char *type = jv_str(jv_get(v->obj, "pattern_type"));
	const struct jv *pj = jv_get(v->obj, "pattern");
	struct stix_pattern *pat = NULL;
	struct err_detail perr;
	int rc;

	if (!type || strcmp(type, "stix") || !jv_is_string(pj))
		return ERR_OK;
	err_clear(&perr);
	rc = stix_pattern_parse(jv_str(pj), jv_strlen(pj), &pat, &perr);
	stix_pattern_free(pat);
	if (rc) {
		const char *m = perr.message;
		if (!strncmp(m, "pattern: ", 9))
			m += 9;
		return stix_verr(v, rc, "pattern", "%s", m);
	}
	return ERR_OK;
}

/* A predefined TLP marking id (TLP 1.0, STIX 2.1 section 7.2.1.4; TLP 2.0, OASIS) must
 * carry its canonical definition: the level comes from the id everywhere else, so an
 * object that says otherwise (the TLP:WHITE id defined as red) is a lie about scope. */
static int check_tlp_canonical(struct vctx *v, const struct tlp_marking *m)
{
	const struct jv *name = jv_get(v->obj, "name");
	const struct jv *dt = jv_get(v->obj, "definition_type");
	const struct jv *d = jv_get(v->obj, "definition");
	const struct jv *ext = jv_get(jv_get(v->obj, "extensions"), TLP_EXTENSION_ID);
	const struct jv *created = jv_get(v->obj, "created");
	int64_t want = 0, got = 0;

	if (name && strcmp(jv_str(name), m->name))
		return stix_verr(v, ERR_INVALID, "name",
				 "\"%.40s\" on the TLP %d.0 marking %s "
				 "(canonical: \"%s\")",
				 jv_str(name), m->version, m->name, m->name);
	if (m->version == 1) {
		const char *l = jv_str(jv_get(d, "tlp"));
		if (!dt || strcmp(jv_str(dt), "tlp"))
			return stix_verr(v, ERR_INVALID, "definition_type",
					 "must be \"tlp\" on the "
					 "TLP 1.0 marking %s",
					 m->name);
		if (!l || strcmp(l, m->value) || jv_size(d) != 1)
			return stix_verr(v, ERR_INVALID, "definition",
					 "not the canonical definition of "
					 "the TLP 1.0 marking %s ({\"tlp\": \"%s\"})",
					 m->name, m->value);
		if (ext)
			return stix_verr(v, ERR_INVALID, "extensions",
					 "the TLP 2.0 extension on the "
					 "TLP 1.0 marking %s",
					 m->name);
	} else {
		const char *l = jv_str(jv_get(ext, "tlp_2_0"));
		if (dt || d)
			return stix_verr(
			    v, ERR_INVALID, dt ? "definition_type" : "definition",
			    "not part "
			    "of the TLP 2.0 marking %s (it is defined by its extension)",
			    m->name);
		if (!l || strcmp(l, m->value))
			return stix_verr(v, ERR_INVALID, "extensions",
					 "not the canonical definition of the "
					 "TLP 2.0 marking %s (%s with \"tlp_2_0\": \"%s\")",
					 m->name, TLP_EXTENSION_ID, m->value);
	}
	time_parse_rfc3339(m->created, strlen(m->created), 1, &want);
	if (created)
		time_parse_rfc3339(jv_str(created), jv_strlen(created), 1, &got);
	if (got != want)
		return stix_verr(v, ERR_INVALID, "created",
				 "not the creation time of the TLP %d.0 "
				 "marking %s (%s)",
				 m->version, m->name, m->created);
	return ERR_OK;
}

/* A marking definition cannot mark itself (section 7.2: markings apply to other
 * objects; a self-reference would make its own scope circular). */
static int check_not_self_marked(struct vctx *v)
{
	const struct jv *refs = jv_get(v->obj, "object_marking_refs");
	const struct jv *gm = jv_get(v->obj, "granular_markings");
	char path[96];

	for (size_t i = 0; i < jv_size(refs); i++) {
		if (!strcmp(jv_str(jv_at(refs, i)), v->id)) {
			snprintf(path, sizeof(path), "object_marking_refs[%zu]", i);
			return stix_verr(v, ERR_INVALID, path,
					 "a marking definition cannot mark itself");
		}
	}
	for (size_t i = 0; i < jv_size(gm); i++) {
		const char *r = jv_str(jv_get(jv_at(gm, i), "marking_ref"));
		if (r && !strcmp(r, v->id)) {
			snprintf(path, sizeof(path), "granular_markings[%zu].marking_ref", i);
			return stix_verr(v, ERR_INVALID, path,
					 "a marking definition cannot mark itself");
		}
	}
	return ERR_OK;
}

static int check_marking_definition(struct vctx *v)
{
	const struct jv *dt = jv_get(v->obj, "definition_type");
	const struct jv *d = jv_get(v->obj, "definition");
	const char *t = jv_str(dt);
	const struct tlp_marking *m = tlp_marking_lookup(v->id);
	int rc;

	if ((rc = check_not_self_marked(v)))
		return rc;
	if (m)
		return check_tlp_canonical(v, m);
	if (stix_has(v, "extensions") && !dt && !d)
		return ERR_OK; /* TLP 2.0 and other extension-based markings */
	if (!dt)
		return stix_verr(v, ERR_INVALID, "definition_type", "required property missing");
	if (!d)
		return stix_verr(v, ERR_INVALID, "definition", "required property missing");
	if (!strcmp(t, "tlp")) {
		const char *l = jv_str(jv_get(d, "tlp"));
		if (!l || (strcmp(l, "white") && strcmp(l, "green") && strcmp(l, "amber") &&
			   strcmp(l, "red")))
			return stix_verr(v, ERR_INVALID, "definition.tlp",
					 "not white, green, amber or red");
	} else if (!strcmp(t, "statement")) {
		if (!jv_is_string(jv_get(d, "statement")))
			return stix_verr(v, ERR_INVALID, "definition.statement",
					 "required property missing "
					 "or not a string");
	}
	return ERR_OK;
}

int stix_check_type_specific(struct vctx *v)
{
	const char *t = v->type;
	int rc = ERR_OK;

	if (v->kind == STIX_SCO && (rc = check_sco_value(v)))
		return rc;
	if (!strcmp(t, "indicator")) {
		if ((rc = check_order(v, "valid_from", "valid_until", true)))
			return rc;
		return check_pattern(v);
	}
	if (!strcmp(t, "malware")) {
		if (jv_is_true(jv_get(v->obj, "is_family")) && !stix_has(v, "name"))
			return stix_verr(v, ERR_INVALID, "name", "required when is_family is true");
		return check_order(v, "first_seen", "last_seen", false);
	}
	if (!strcmp(t, "campaign") || !strcmp(t, "intrusion-set") || !strcmp(t, "threat-actor") ||
	    !strcmp(t, "infrastructure") || !strcmp(t, "sighting"))
		return check_order(v, "first_seen", "last_seen", false);
	if (!strcmp(t, "observed-data")) {
		if ((rc = check_order(v, "first_observed", "last_observed", false)))
			return rc;
		if (stix_has(v, "objects") == stix_has(v, "object_refs"))
			return stix_verr(v, ERR_INVALID, NULL,
					 "needs exactly one of objects and object_refs");
		return ERR_OK;
	}
	if (!strcmp(t, "relationship")) {
		const char *rt = jv_str(jv_get(v->obj, "relationship_type"));
		if (!rt[0] || strspn(rt, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(rt))
			return stix_verr(v, ERR_INVALID, "relationship_type", "not of [a-z0-9-]+");
		return check_order(v, "start_time", "stop_time", true);
	}
	if (!strcmp(t, "location")) {
		bool la = stix_has(v, "latitude"), lo = stix_has(v, "longitude");
		if (la != lo)
			return stix_verr(v, ERR_INVALID, la ? "longitude" : "latitude",
					 "required with %s", la ? "latitude" : "longitude");
		if (stix_has(v, "precision") && !la)
			return stix_verr(v, ERR_INVALID, "precision",
					 "needs latitude and longitude");
		if (!la && !stix_has(v, "region") && !stix_has(v, "country"))
			return stix_verr(v, ERR_INVALID, NULL,
					 "needs region, country or latitude and "
					 "longitude");
		return ERR_OK;
	}
	if (!strcmp(t, "malware-analysis")) {
		if (!stix_has(v, "result") && !stix_has(v, "analysis_sco_refs"))
			return stix_verr(v, ERR_INVALID, NULL, "needs result or analysis_sco_refs");
		return check_order(v, "analysis_started", "analysis_ended", false);
	}
	if (!strcmp(t, "opinion")) {
		static const char *const ops[] = {"strongly-disagree", "disagree", "neutral",
						  "agree", "strongly-agree"};
		const char *o = jv_str(jv_get(v->obj, "opinion"));
		for (size_t i = 0; i < 5; i++)
			if (!strcmp(o, ops[i]))
				return ERR_OK;
		return stix_verr(v, ERR_INVALID, "opinion",
				 "not one of strongly-disagree, disagree, "
				 "neutral, agree, strongly-agree");
	}
	if (!strcmp(t, "marking-definition"))
		return check_marking_definition(v);
	if (!strcmp(t, "artifact")) {
		if (stix_has(v, "payload_bin") == stix_has(v, "url"))
			return stix_verr(v, ERR_INVALID, NULL,
					 "needs exactly one of payload_bin and url");
		if (stix_has(v, "url") && !stix_has(v, "hashes"))
			return stix_verr(v, ERR_INVALID, "hashes", "required when url is present");
		return ERR_OK;
	}
	if (!strcmp(t, "file")) {
		if (!stix_has(v, "hashes") && !stix_has(v, "name"))
			return stix_verr(v, ERR_INVALID, NULL, "needs hashes or name");
		return ERR_OK;
	}
	if (!strcmp(t, "network-traffic")) {
		if (!stix_has(v, "src_ref") && !stix_has(v, "dst_ref"))
			return stix_verr(v, ERR_INVALID, NULL, "needs src_ref or dst_ref");
		return check_order(v, "start", "end", false);
	}
	if (!strcmp(t, "email-message")) {
		bool multi = jv_is_true(jv_get(v->obj, "is_multipart"));
		if (multi && stix_has(v, "body"))
			return stix_verr(v, ERR_INVALID, "body",
					 "not allowed when is_multipart is true");
		if (!multi && stix_has(v, "body_multipart"))
			return stix_verr(v, ERR_INVALID, "body_multipart",
					 "not allowed when is_multipart "
					 "is false");
		return ERR_OK;
	}
	if (!strcmp(t, "process") || !strcmp(t, "user-account") ||
	    !strcmp(t, "windows-registry-key") || !strcmp(t, "x509-certificate"))
		return check_not_empty_sco(v);
	return ERR_OK;
}
