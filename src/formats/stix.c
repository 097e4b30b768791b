/* STIX 2.1 object validation: see stix.h and docs/internals/stix.md.
 * About 1,000 lines, for a reason: the specification's property table (~190
 * lines of data) and the checks of the property kinds it names run inlined
 * into the object walk, once per property of every object; split into files
 * of their own they cost ~1% more instructions on bench/ingest's bundles.
 * The rules of one type or another are in stix_types.c, bundle-level work
 * in stix_bundle.c. */
#include "formats/stix.h"
#include "formats/stix_check.h"
#include "util/base64.h"
#include "util/hex.h"

#include "formats/stix_pattern.h"
#include "formats/canonical.h"
#include "util/err.h"
#include "util/timeutil.h"

#include <ctype.h>
#include <pthread.h>

/* ---- names, identifiers ------------------------------------------------------------ */

/* Character classes for the identifier checks, which run several times per object. */
enum { C_HEX = 1, C_TYPE = 2, C_LOWER = 4 };
static const unsigned char char_class[256] = {
    ['0' ... '9'] = C_HEX | C_TYPE,
    ['a' ... 'f'] = C_HEX | C_TYPE | C_LOWER,
    ['g' ... 'z'] = C_TYPE | C_LOWER,
    ['A' ... 'F'] = C_HEX,
    ['-'] = C_TYPE,
};

static bool uuid_valid(const char *u, size_t n)
{
	if (n != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-')
		return false;
	for (size_t i = 0; i < 36; i++)
		if (!(char_class[(unsigned char)u[i]] & C_HEX) && i != 8 && i != 13 && i != 18 &&
		    i != 23)
			return false;
	/* RFC 4122: version 1-5, variant 10xx */
	if (u[14] < '1' || u[14] > '5')
		return false;
	return strchr("89abAB", u[19]) != NULL && u[19] != '\0';
}

bool stix_type_name_valid(const char *t, size_t n)
{
	if (n < 3 || n > 250 || !(char_class[(unsigned char)t[0]] & C_LOWER))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!(char_class[(unsigned char)t[i]] & C_TYPE))
			return false;
		if (t[i] == '-' && i + 1 < n && t[i + 1] == '-')
			return false;
	}
	return true;
}

bool stix_id_valid(const char *s, size_t n, const char *type)
{
	const char *sep = NULL;

	if (n < 36 + 2 + 1)
		return false;
	sep = s + n - 38;
	if (sep[0] != '-' || sep[1] != '-')
		return false;
	if (!uuid_valid(sep + 2, 36))
		return false;
	if (type)
		return (size_t)(sep - s) == strlen(type) && !memcmp(s, type, (size_t)(sep - s));
	return stix_type_name_valid(s, (size_t)(sep - s));
}

/* ---- type table -------------------------------------------------------------------- */

struct type_def {
	const char *name;
	enum stix_kind kind;
	const char *required; /* space-separated */
};

static const struct type_def types[] = {
    {"attack-pattern", STIX_SDO, "name"},
    {"campaign", STIX_SDO, "name"},
    {"course-of-action", STIX_SDO, "name"},
    {"grouping", STIX_SDO, "context object_refs"},
    {"identity", STIX_SDO, "name"},
    {"incident", STIX_SDO, "name"},
    {"indicator", STIX_SDO, "pattern pattern_type valid_from"},
    {"infrastructure", STIX_SDO, "name"},
    {"intrusion-set", STIX_SDO, "name"},
    {"location", STIX_SDO, ""},
    {"malware", STIX_SDO, "is_family"},
    {"malware-analysis", STIX_SDO, "product"},
    {"note", STIX_SDO, "content object_refs"},
    {"observed-data", STIX_SDO, "first_observed last_observed number_observed"},
    {"opinion", STIX_SDO, "opinion object_refs"},
    {"report", STIX_SDO, "name published object_refs"},
    {"threat-actor", STIX_SDO, "name"},
    {"tool", STIX_SDO, "name"},
    {"vulnerability", STIX_SDO, "name"},
    {"relationship", STIX_SRO, "relationship_type source_ref target_ref"},
    {"sighting", STIX_SRO, "sighting_of_ref"},
    {"artifact", STIX_SCO, ""},
    {"autonomous-system", STIX_SCO, "number"},
    {"directory", STIX_SCO, "path"},
    {"domain-name", STIX_SCO, "value"},
    {"email-addr", STIX_SCO, "value"},
    {"email-message", STIX_SCO, "is_multipart"},
    {"file", STIX_SCO, ""},
    {"ipv4-addr", STIX_SCO, "value"},
    {"ipv6-addr", STIX_SCO, "value"},
    {"mac-addr", STIX_SCO, "value"},
    {"mutex", STIX_SCO, "name"},
    {"network-traffic", STIX_SCO, "protocols"},
    {"process", STIX_SCO, ""},
    {"software", STIX_SCO, "name"},
    {"url", STIX_SCO, "value"},
    {"user-account", STIX_SCO, ""},
    {"windows-registry-key", STIX_SCO, ""},
    {"x509-certificate", STIX_SCO, ""},
    {"marking-definition", STIX_META, "created"},
    {"language-content", STIX_META, "created modified object_ref contents"},
    {"extension-definition", STIX_META,
     "created modified created_by_ref name schema version extension_types"},
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static const struct type_def *type_lookup(const char *t)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].name[0] == t[0] && !strcmp(types[i].name, t))
			return &types[i];
	return NULL;
}

enum stix_kind stix_type_kind(const char *type)
{
	const struct type_def *d = type_lookup(type);
	return d ? d->kind : STIX_CUSTOM;
}

/* ---- property rules ---------------------------------------------------------------- */

enum pkind {
	P_STR,	    /* string */
	P_BOOL,	    /* boolean */
	P_INT,	    /* integer in [min, max] */
	P_NUM,	    /* number in [min, max] */
	P_TIME,	    /* RFC 3339 UTC timestamp */
	P_TIME_MS,  /* same, with at least millisecond precision */
	P_REF,	    /* identifier of an allowed type */
	P_REFS,	    /* non-empty list of those */
	P_STRS,	    /* non-empty list of strings */
	P_STRS0,    /* list of strings, may be empty */
	P_OBJ,	    /* non-empty object */
	P_HASHES,   /* hashes dictionary */
	P_KCP,	    /* kill chain phases */
	P_EXTREFS,  /* external references */
	P_GRANULAR, /* granular markings */
	P_EXTS,	    /* extensions */
};

struct prop_rule {
	const char *types; /* space-separated; NULL: every type; "!a b": every type but those */
	const char *name;
	enum pkind kind;
	double min, max;
	const char *refs; /* P_REF(S): allowed types, or @sdo @sco @sro @rel @any */
};

#define I32 2147483647.0
#define BIG 9007199254740991.0

static const struct prop_rule rules[] = {
    /* common properties (section 3.2) */
    {"!marking-definition", "created", P_TIME_MS, 0, 0, NULL},
    {"marking-definition", "created", P_TIME, 0, 0, NULL},
    {NULL, "modified", P_TIME_MS, 0, 0, NULL},
    {NULL, "created_by_ref", P_REF, 0, 0, "identity"},
    {NULL, "revoked", P_BOOL, 0, 0, NULL},
    {NULL, "labels", P_STRS, 0, 0, NULL},
    {NULL, "confidence", P_INT, 0, 100, NULL},
    {NULL, "lang", P_STR, 0, 0, NULL},
    {NULL, "external_references", P_EXTREFS, 0, 0, NULL},
    {NULL, "object_marking_refs", P_REFS, 0, 0, "marking-definition"},
    {NULL, "granular_markings", P_GRANULAR, 0, 0, NULL},
    {NULL, "extensions", P_EXTS, 0, 0, NULL},
    {NULL, "defanged", P_BOOL, 0, 0, NULL},
    /* SDOs */
    {"attack-pattern campaign course-of-action grouping identity incident indicator "
     "infrastructure intrusion-set location malware report threat-actor tool vulnerability "
     "marking-definition extension-definition",
     "name", P_STR, 0, 0, NULL},
    {"attack-pattern campaign course-of-action grouping identity incident indicator "
     "infrastructure intrusion-set location malware report threat-actor tool vulnerability "
     "relationship sighting extension-definition",
     "description", P_STR, 0, 0, NULL},
    {"attack-pattern", "aliases", P_STRS0, 0, 0, NULL},
    {"campaign infrastructure intrusion-set malware threat-actor tool", "aliases", P_STRS, 0, 0,
     NULL},
    {"attack-pattern incident indicator infrastructure malware tool", "kill_chain_phases", P_KCP, 0,
     0, NULL},
    {"campaign infrastructure intrusion-set malware threat-actor sighting", "first_seen", P_TIME, 0,
     0, NULL},
    {"campaign infrastructure intrusion-set malware threat-actor sighting", "last_seen", P_TIME, 0,
     0, NULL},
    {"campaign", "objective", P_STR, 0, 0, NULL},
    {"grouping", "context", P_STR, 0, 0, NULL},
    {"grouping note opinion report", "object_refs", P_REFS, 0, 0, "@any"},
    {"identity threat-actor", "roles", P_STRS, 0, 0, NULL},
    {"identity", "identity_class", P_STR, 0, 0, NULL},
    {"identity", "sectors", P_STRS, 0, 0, NULL},
    {"identity", "contact_information", P_STR, 0, 0, NULL},
    {"indicator", "indicator_types", P_STRS, 0, 0, NULL},
    {"indicator", "pattern", P_STR, 0, 0, NULL},
    {"indicator", "pattern_type", P_STR, 0, 0, NULL},
    {"indicator", "pattern_version", P_STR, 0, 0, NULL},
    {"indicator", "valid_from", P_TIME, 0, 0, NULL},
    {"indicator", "valid_until", P_TIME, 0, 0, NULL},
    {"infrastructure", "infrastructure_types", P_STRS, 0, 0, NULL},
    {"intrusion-set threat-actor", "goals", P_STRS, 0, 0, NULL},
    {"intrusion-set threat-actor", "resource_level", P_STR, 0, 0, NULL},
    {"intrusion-set threat-actor", "primary_motivation", P_STR, 0, 0, NULL},
    {"intrusion-set threat-actor", "secondary_motivations", P_STRS, 0, 0, NULL},
    {"location", "latitude", P_NUM, -90, 90, NULL},
    {"location", "longitude", P_NUM, -180, 180, NULL},
    {"location", "precision", P_NUM, 0, BIG, NULL},
    {"location", "region", P_STR, 0, 0, NULL},
    {"location", "country", P_STR, 0, 0, NULL},
    {"location", "administrative_area", P_STR, 0, 0, NULL},
    {"location", "city", P_STR, 0, 0, NULL},
    {"location", "street_address", P_STR, 0, 0, NULL},
    {"location", "postal_code", P_STR, 0, 0, NULL},
    {"malware", "malware_types", P_STRS, 0, 0, NULL},
    {"malware", "is_family", P_BOOL, 0, 0, NULL},
    {"malware", "operating_system_refs", P_REFS, 0, 0, "software"},
    {"malware", "architecture_execution_envs", P_STRS, 0, 0, NULL},
    {"malware", "implementation_languages", P_STRS, 0, 0, NULL},
    {"malware", "capabilities", P_STRS, 0, 0, NULL},
    {"malware", "sample_refs", P_REFS, 0, 0, "file artifact"},
    {"malware-analysis", "product", P_STR, 0, 0, NULL},
    {"malware-analysis", "version", P_STR, 0, 0, NULL},
    {"malware-analysis", "host_vm_ref", P_REF, 0, 0, "software"},
    {"malware-analysis", "operating_system_ref", P_REF, 0, 0, "software"},
    {"malware-analysis", "installed_software_refs", P_REFS, 0, 0, "software"},
    {"malware-analysis", "modules", P_STRS, 0, 0, NULL},
    {"malware-analysis", "submitted", P_TIME, 0, 0, NULL},
    {"malware-analysis", "analysis_started", P_TIME, 0, 0, NULL},
    {"malware-analysis", "analysis_ended", P_TIME, 0, 0, NULL},
    {"malware-analysis", "result", P_STR, 0, 0, NULL},
    {"malware-analysis", "analysis_sco_refs", P_REFS, 0, 0, "@sco"},
    {"malware-analysis", "sample_ref", P_REF, 0, 0, "file artifact network-traffic"},
    {"note", "abstract", P_STR, 0, 0, NULL},
    {"note", "content", P_STR, 0, 0, NULL},
    {"note opinion", "authors", P_STRS, 0, 0, NULL},
    {"observed-data", "first_observed", P_TIME, 0, 0, NULL},
    {"observed-data", "last_observed", P_TIME, 0, 0, NULL},
    {"observed-data", "number_observed", P_INT, 1, 999999999, NULL},
    {"observed-data", "objects", P_OBJ, 0, 0, NULL},
    {"observed-data", "object_refs", P_REFS, 0, 0, "@sco @sro"},
    {"opinion", "explanation", P_STR, 0, 0, NULL},
    {"opinion", "opinion", P_STR, 0, 0, NULL},
    {"report", "report_types", P_STRS, 0, 0, NULL},
    {"report", "published", P_TIME, 0, 0, NULL},
    {"threat-actor", "threat_actor_types", P_STRS, 0, 0, NULL},
    {"threat-actor", "sophistication", P_STR, 0, 0, NULL},
    {"threat-actor", "personal_motivations", P_STRS, 0, 0, NULL},
    {"tool", "tool_types", P_STRS, 0, 0, NULL},
    {"tool", "tool_version", P_STR, 0, 0, NULL},
    /* SROs */
    {"relationship", "relationship_type", P_STR, 0, 0, NULL},
    {"relationship", "source_ref", P_REF, 0, 0, "@rel"},
    {"relationship", "target_ref", P_REF, 0, 0, "@rel"},
    {"relationship", "start_time", P_TIME, 0, 0, NULL},
    {"relationship", "stop_time", P_TIME, 0, 0, NULL},
    {"sighting", "count", P_INT, 0, 999999999, NULL},
    {"sighting", "sighting_of_ref", P_REF, 0, 0, "@sdo"},
    {"sighting", "observed_data_refs", P_REFS, 0, 0, "observed-data"},
    {"sighting", "where_sighted_refs", P_REFS, 0, 0, "identity location"},
    {"sighting", "summary", P_BOOL, 0, 0, NULL},
    /* SCOs */
    {"artifact file", "mime_type", P_STR, 0, 0, NULL},
    {"artifact", "payload_bin", P_STR, 0, 0, NULL},
    {"artifact", "url", P_STR, 0, 0, NULL},
    {"artifact file x509-certificate", "hashes", P_HASHES, 0, 0, NULL},
    {"artifact", "decryption_key", P_STR, 0, 0, NULL},
    {"autonomous-system", "number", P_INT, 0, 4294967295.0, NULL},
    {"autonomous-system", "rir", P_STR, 0, 0, NULL},
    {"autonomous-system mutex software file", "name", P_STR, 0, 0, NULL},
    {"directory", "path", P_STR, 0, 0, NULL},
    {"directory file", "ctime", P_TIME, 0, 0, NULL},
    {"directory file", "mtime", P_TIME, 0, 0, NULL},
    {"directory file", "atime", P_TIME, 0, 0, NULL},
    {"directory", "contains_refs", P_REFS, 0, 0, "file directory"},
    {"file", "contains_refs", P_REFS, 0, 0, "@sco"},
    {"domain-name email-addr ipv4-addr ipv6-addr mac-addr url", "value", P_STR, 0, 0, NULL},
    {"domain-name", "resolves_to_refs", P_REFS, 0, 0, "ipv4-addr ipv6-addr domain-name"},
    {"ipv4-addr ipv6-addr", "resolves_to_refs", P_REFS, 0, 0, "mac-addr"},
    {"ipv4-addr ipv6-addr", "belongs_to_refs", P_REFS, 0, 0, "autonomous-system"},
    {"email-addr", "display_name", P_STR, 0, 0, NULL},
    {"email-addr", "belongs_to_ref", P_REF, 0, 0, "user-account"},
    {"email-message", "is_multipart", P_BOOL, 0, 0, NULL},
    {"email-message", "date", P_TIME, 0, 0, NULL},
    {"email-message", "from_ref", P_REF, 0, 0, "email-addr"},
    {"email-message", "sender_ref", P_REF, 0, 0, "email-addr"},
    {"email-message", "to_refs", P_REFS, 0, 0, "email-addr"},
    {"email-message", "cc_refs", P_REFS, 0, 0, "email-addr"},
    {"email-message", "bcc_refs", P_REFS, 0, 0, "email-addr"},
    {"email-message", "raw_email_ref", P_REF, 0, 0, "artifact"},
    {"email-message", "subject", P_STR, 0, 0, NULL},
    {"email-message", "body", P_STR, 0, 0, NULL},
    {"file", "size", P_INT, 0, BIG, NULL},
    {"file", "parent_directory_ref", P_REF, 0, 0, "directory"},
    {"file", "content_ref", P_REF, 0, 0, "artifact"},
    {"network-traffic", "start", P_TIME, 0, 0, NULL},
    {"network-traffic", "end", P_TIME, 0, 0, NULL},
    {"network-traffic", "is_active", P_BOOL, 0, 0, NULL},
    {"network-traffic", "src_ref", P_REF, 0, 0, "ipv4-addr ipv6-addr mac-addr domain-name"},
    {"network-traffic", "dst_ref", P_REF, 0, 0, "ipv4-addr ipv6-addr mac-addr domain-name"},
    {"network-traffic", "src_port", P_INT, 0, 65535, NULL},
    {"network-traffic", "dst_port", P_INT, 0, 65535, NULL},
    {"network-traffic", "protocols", P_STRS, 0, 0, NULL},
    {"network-traffic", "src_byte_count", P_INT, 0, BIG, NULL},
    {"network-traffic", "dst_byte_count", P_INT, 0, BIG, NULL},
    {"network-traffic", "src_packets", P_INT, 0, BIG, NULL},
    {"network-traffic", "dst_packets", P_INT, 0, BIG, NULL},
    {"network-traffic", "src_payload_ref", P_REF, 0, 0, "artifact"},
    {"network-traffic", "dst_payload_ref", P_REF, 0, 0, "artifact"},
    {"network-traffic", "encapsulates_refs", P_REFS, 0, 0, "network-traffic"},
    {"network-traffic", "encapsulated_by_ref", P_REF, 0, 0, "network-traffic"},
    {"process", "is_hidden", P_BOOL, 0, 0, NULL},
    {"process", "pid", P_INT, 0, BIG, NULL},
    {"process", "created_time", P_TIME, 0, 0, NULL},
    {"process", "opened_connection_refs", P_REFS, 0, 0, "network-traffic"},
    {"process windows-registry-key", "creator_user_ref", P_REF, 0, 0, "user-account"},
    {"process", "image_ref", P_REF, 0, 0, "file"},
    {"process", "parent_ref", P_REF, 0, 0, "process"},
    {"process", "child_refs", P_REFS, 0, 0, "process"},
    {"software", "languages", P_STRS, 0, 0, NULL},
    {"user-account", "account_created", P_TIME, 0, 0, NULL},
    {"user-account", "account_expires", P_TIME, 0, 0, NULL},
    {"user-account", "credential_last_changed", P_TIME, 0, 0, NULL},
    {"user-account", "account_first_login", P_TIME, 0, 0, NULL},
    {"user-account", "account_last_login", P_TIME, 0, 0, NULL},
    {"windows-registry-key", "modified_time", P_TIME, 0, 0, NULL},
    {"windows-registry-key", "number_of_subkeys", P_INT, 0, BIG, NULL},
    {"x509-certificate", "is_self_signed", P_BOOL, 0, 0, NULL},
    {"x509-certificate", "validity_not_before", P_TIME, 0, 0, NULL},
    {"x509-certificate", "validity_not_after", P_TIME, 0, 0, NULL},
    /* marking-definition, language-content, extension-definition */
    {"marking-definition", "definition_type", P_STR, 0, 0, NULL},
    {"marking-definition", "definition", P_OBJ, 0, 0, NULL},
    {"language-content", "object_ref", P_REF, 0, 0, "@lc"},
    {"language-content", "object_modified", P_TIME, 0, 0, NULL},
    {"language-content", "contents", P_OBJ, 0, 0, NULL},
    {"extension-definition", "schema", P_STR, 0, 0, NULL},
    {"extension-definition", "version", P_STR, 0, 0, NULL},
    {"extension-definition", "extension_types", P_STRS, 0, 0, NULL},
    {"extension-definition", "extension_properties", P_STRS, 0, 0, NULL},
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

/* Rules that apply to each known type, and to custom types, computed once. */
#define MAX_TYPE_RULES 64
static unsigned char type_rules[NTYPES + 1][MAX_TYPE_RULES];
static unsigned char type_nrules[NTYPES + 1];
static pthread_once_t rules_once = PTHREAD_ONCE_INIT;

static bool word_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	const char *p = list;

	if (n == 0)
		return false;
	while ((p = strstr(p, w)) != NULL) {
		if ((p == list || p[-1] == ' ' || p[-1] == '!') && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static bool rule_applies(const struct prop_rule *r, const char *type, bool known)
{
	if (!r->types)
		return true;
	if (r->types[0] == '!')
		return !word_in(r->types + 1, type);
	return known && word_in(r->types, type);
}

static void rules_init(void)
{
	for (size_t t = 0; t <= NTYPES; t++) {
		const char *name = t < NTYPES ? types[t].name : "";
		for (size_t r = 0; r < NRULES; r++) {
			if (!rule_applies(&rules[r], name, t < NTYPES))
				continue;
			if (type_nrules[t] < MAX_TYPE_RULES)
				type_rules[t][type_nrules[t]++] = (unsigned char)r;
		}
	}
}

/* ---- validation context, errors ---------------------------------------------------- */

int stix_verr(struct vctx *v, int code, const char *path, const char *fmt, ...)
{
	char msg[320], field[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path)
		snprintf(field, sizeof(field), "objects[%zu].%s", v->index, path);
	else
		snprintf(field, sizeof(field), "objects[%zu]", v->index);
	if (v->id && path)
		return err_set(v->err, code, field, "objects[%zu] (%.100s) .%s: %s", v->index,
			       v->id, path, msg);
	if (v->id)
		return err_set(v->err, code, field, "objects[%zu] (%.100s): %s", v->index, v->id,
			       msg);
	return err_set(v->err, code, field, "%s: %s", field, msg);
}

static bool is_ts(const char *s, size_t n, bool need_ms, int64_t *ms)
{
	int64_t t;

	/* STIX: upper-case T and Z only */
	if (n < 20 || s[10] != 'T' || s[n - 1] != 'Z')
		return false;
	if (time_parse_rfc3339(s, n, 1, &t))
		return false;
	if (need_ms && (n < 24 || s[19] != '.'))
		return false;
	if (ms)
		*ms = t;
	return true;
}

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
	if (word_in(allowed, "@any"))
		return true;
	if (word_in(allowed, t))
		return true;
	if (word_in(allowed, "@sdo") && (k == STIX_SDO || k == STIX_CUSTOM))
		return true;
	if (word_in(allowed, "@sco") && (k == STIX_SCO || k == STIX_CUSTOM))
		return true;
	if (word_in(allowed, "@sro") && k == STIX_SRO)
		return true;
	if (word_in(allowed, "@rel") && (k == STIX_SDO || k == STIX_SCO || k == STIX_CUSTOM))
		return true;
	if (word_in(allowed, "@lc") && strcmp(t, "language-content") &&
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

static int check_ref(struct vctx *v, const char *path, const struct jv *j, const char *allowed)
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

static int check_refs(struct vctx *v, const char *path, const struct jv *j, const char *allowed)
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
		rc = check_ref(v, sub, e, allowed);
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
			rc = check_ref(v, sub2, mref, "marking-definition");
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

static int check_rule(struct vctx *v, const struct prop_rule *r, const struct jv *j, int64_t *ts)
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
		if (!jv_is_string(j) || !is_ts(jv_str(j), jv_strlen(j), false, ts))
			return stix_verr(v, ERR_INVALID, p, "not an RFC 3339 timestamp");
		if (r->kind == P_TIME_MS && !is_ts(jv_str(j), jv_strlen(j), true, NULL))
			return stix_verr(v, ERR_INVALID, p, "not precise to the millisecond");
		return ERR_OK;
	case P_REF: return check_ref(v, p, j, r->refs);
	case P_REFS: return check_refs(v, p, j, r->refs);
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

/* ---- the object -------------------------------------------------------------------- */

static bool custom_prop_name_ok(const char *k, size_t n)
{
	if (n < 3 || n > 250)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return false;
	return true;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);
	return n >= m && !memcmp(s + n - m, suffix, m);
}

/* The binary type (section 2.2): padded base64. */
static bool base64_ok(const struct jv *j)
{
	return jv_is_string(j) && base64_padded_valid(jv_str(j), jv_strlen(j));
}

/* The hex type (section 2.6): whole octets. */
static bool hex_ok(const struct jv *j)
{
	return jv_is_string(j) && hex_octets_valid(jv_str(j), jv_strlen(j));
}

static int check_property_names(struct vctx *v)
{
	static const char *const reserved[] = {"severity", "action", "username", "phone_numbers"};
	const char *k;
	size_t m;
	const struct jv *j;
	int rc;

	jv_object_foreach(v->obj, m, k, j)
	{
		char name[64];
		size_t kn = v->obj->u.members[m].key_len;
		if (kn == 2 && k[0] == 'i' && k[1] == 'd')
			continue;
		memcpy(name, k, kn < 60 ? kn + 1 : 60);
		name[60] = '\0';
		if (!custom_prop_name_ok(k, kn))
			return stix_verr(v, ERR_INVALID, name,
					 "property name does not match "
					 "^[a-z0-9_]{3,250}$");
		for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
			if (k[0] == reserved[i][0] && !strcmp(k, reserved[i]))
				return stix_verr(v, ERR_INVALID, name, "reserved property name");
		/* any property named *_ref or *_refs holds identifiers (section 3.1) */
		if (ends_with(k, kn, "_ref") && (rc = check_ref(v, name, j, NULL)))
			return rc;
		if (ends_with(k, kn, "_refs") && (rc = check_refs(v, name, j, NULL)))
			return rc;
		/* and *_bin and *_hex name the binary and hex types (sections 2.2, 2.6) */
		if (ends_with(k, kn, "_bin") && !base64_ok(j))
			return stix_verr(v, ERR_INVALID, name, "not base64 (RFC 4648, padded)");
		if (ends_with(k, kn, "_hex") && !hex_ok(j))
			return stix_verr(v, ERR_INVALID, name,
					 "not hex (an even number of hex digits)");
	}
	return ERR_OK;
}

static bool needs_spec_version(struct vctx *v)
{
	if (v->kind == STIX_SCO)
		return false;
	if (v->kind == STIX_CUSTOM)
		return stix_has(v, "created") || stix_has(v, "modified");
	return true;
}

int stix_validate_object(const struct jv *obj, size_t index, struct stix_object_info *info,
			 struct err_detail *err)
{
	struct vctx v = {.obj = obj, .index = index, .err = err};
	const struct jv *j;
	size_t ti;
	int rc;
	int64_t created = 0, modified = 0;

	pthread_once(&rules_once, rules_init);
	if (!jv_is_object(obj))
		return stix_verr(&v, ERR_INVALID, NULL, "not an object");
	j = jv_get(obj, "id");
	if (jv_is_string(j))
		v.id = jv_str(j);
	j = jv_get(obj, "type");
	if (!j)
		return stix_verr(&v, ERR_INVALID, "type", "required property missing");
	if (!jv_is_string(j) || !stix_type_name_valid(jv_str(j), jv_strlen(j)))
		return stix_verr(&v, ERR_INVALID, "type",
				 "not a valid type name (3-250 of a-z, 0-9, "
				 "'-', starting with a letter)");
	v.type = jv_str(j);
	v.def = type_lookup(v.type);
	v.kind = v.def ? v.def->kind : STIX_CUSTOM;
	if (!strcmp(v.type, "bundle") || !strcmp(v.type, "action"))
		return stix_verr(&v, ERR_INVALID, "type", "\"%s\" is not an object type", v.type);

	j = jv_get(obj, "id");
	if (!j)
		return stix_verr(&v, ERR_INVALID, "id", "required property missing");
	if (!jv_is_string(j) || !stix_id_valid(jv_str(j), jv_strlen(j), NULL))
		return stix_verr(&v, ERR_INVALID, "id", "not a STIX identifier (type--UUID)");
	if (!stix_id_valid(jv_str(j), jv_strlen(j), v.type))
		return stix_verr(&v, ERR_INVALID, "id", "type prefix does not match type \"%s\"",
				 v.type);

	/* STIX 2.0 objects carry no spec_version (only their bundle does), or "2.0":
	 * say so rather than "missing" */
	j = jv_get(obj, "spec_version");
	if (!j && needs_spec_version(&v))
		return stix_verr(&v, ERR_INVALID, "spec_version",
				 "required property missing (" STIX20_REFUSED ")");
	if (j && jv_is_string(j) && !strcmp(jv_str(j), "2.0"))
		return stix_verr(&v, ERR_INVALID, "spec_version", STIX20_REFUSED);
	if (j && (!jv_is_string(j) || strcmp(jv_str(j), "2.1")))
		return stix_verr(&v, ERR_INVALID, "spec_version", "must be \"2.1\"");

	/* required properties */
	if (v.kind == STIX_SDO || v.kind == STIX_SRO) {
		if (!stix_has(&v, "created"))
			return stix_verr(&v, ERR_INVALID, "created", "required property missing");
		if (!stix_has(&v, "modified"))
			return stix_verr(&v, ERR_INVALID, "modified", "required property missing");
	}
	if (v.def) {
		const char *p = v.def->required;
		while (*p) {
			size_t n = strcspn(p, " ");
			if (!jv_getn(obj, p, n)) {
				char name[64];
				snprintf(name, sizeof(name), "%.*s", (int)n, p);
				return stix_verr(&v, ERR_INVALID, name,
						 "required property missing");
			}
			p += n;
			while (*p == ' ')
				p++;
		}
	}

	/* typed properties */
	ti = v.def ? (size_t)(v.def - types) : NTYPES;
	for (size_t r = 0; r < type_nrules[ti]; r++) {
		const struct prop_rule *rule = &rules[type_rules[ti][r]];
		int64_t ts = 0;
		j = jv_get(obj, rule->name);
		if (!j)
			continue;
		rc = check_rule(&v, rule, j, &ts);
		if (rc)
			return rc;
		if (!strcmp(rule->name, "created"))
			created = ts;
		else if (!strcmp(rule->name, "modified"))
			modified = ts;
	}
	if (stix_has(&v, "created") && stix_has(&v, "modified") && modified < created)
		return stix_verr(&v, ERR_INVALID, "modified", "earlier than created");

	rc = check_property_names(&v);
	if (rc)
		return rc;
	rc = stix_check_type_specific(&v);
	if (rc)
		return rc;

	if (info) {
		int tlp = -1;
		info->type = v.type;
		info->id = v.id;
		info->kind = v.kind;
		info->created_ms = created;
		info->modified_ms = modified;
		info->revoked = jv_is_true(jv_get(obj, "revoked"));
		j = jv_get(obj, "object_marking_refs");
		for (size_t i = 0; i < jv_size(j); i++) {
			int l = tlp_from_marking_id(jv_str(jv_at(j, i)));
			if (l > tlp)
				tlp = l;
		}
		info->tlp = tlp < 0 ? TLP_NONE : (enum tlp)tlp;
	}
	return ERR_OK;
}
