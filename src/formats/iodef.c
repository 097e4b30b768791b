/* IODEF v2 (RFC 7970) to STIX 2.1: see iodef.h and docs/internals/stix.md. */
#include "formats/iodef.h"
#include "formats/iodef_values.h"

#include "formats/stix.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"

#include <gnutls/crypto.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>

#define IODEF_NS "urn:ietf:params:xml:ns:iodef-2.0"
#define XMLDSIG_NS "http://www.w3.org/2000/09/xmldsig#"

/* Namespace of ids made here (UUIDv5), and the one STIX 2.1 gives for SCO ids. */
static const unsigned char ns_atalaya[16] = {0x3f, 0x0c, 0x5e, 0x61, 0x8b, 0x2d, 0x4a, 0x8e,
					     0x9c, 0x7e, 0x41, 0x0d, 0x2a, 0x6b, 0x13, 0x5c};
static const unsigned char ns_sco[16] = {0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
					 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7};

struct conv {
	json_t *objects;  /* the bundle's objects, in order */
	json_t *seen;	  /* id -> true, to add each object once */
	int tlp;	  /* -1: no marking */
	char created[32]; /* the incident's times, STIX form */
	char modified[32];
	char incident_id[128];
	const char *incident_key;
	struct err_detail *err;
	struct jdoc doc;  /* to check mapped objects as a submitted bundle's are */
	json_t *warnings; /* observables skipped, one message each (up to IODEF_MAX_WARNINGS) */
	size_t skipped;
};

static int xerr(struct conv *c, xmlNode *n, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int xerr(struct conv *c, xmlNode *n, int code, const char *fmt, ...)
{
	char msg[300], field[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(field, sizeof(field), "%.60s", n ? (const char *)n->name : "");
	if (!n)
		return err_set(c->err, code, field, "%s", msg);
	return err_set(c->err, code, field, "line %d: <%s>: %s", n->line, (const char *)n->name,
		       msg);
}

/* An observable whose value cannot be mapped (an Address that is not an address of its
 * category, a hash that is not one): the document is kept, whole, as the original; only
 * this observable is left out of the STIX made from it, and the submitter is told. The
 * structure of the document (elements, enumerated attributes) is never skipped: it is
 * refused with xerr. */
static int skip(struct conv *c, xmlNode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int skip(struct conv *c, xmlNode *n, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->skipped++ < IODEF_MAX_WARNINGS)
		json_array_append_new(c->warnings,
				      json_sprintf("line %d: <%s>: %s; observable skipped", n->line,
						   (const char *)n->name, msg));
	return ERR_OK;
}

static void uuid5(const unsigned char ns[16], const char *name, size_t n, char out[37])
{
	unsigned char h[20];
	gnutls_hash_hd_t hd;

	gnutls_hash_init(&hd, GNUTLS_DIG_SHA1);
	gnutls_hash(hd, ns, 16);
	gnutls_hash(hd, name, n);
	gnutls_hash_deinit(hd, h);
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x50);
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12],
		 h[13], h[14], h[15]);
}

static void make_id(char *out, size_t outn, const char *type, const unsigned char ns[16],
		    const char *key)
{
	char u[37];

	uuid5(ns, key, strlen(key), u);
	snprintf(out, outn, "%s--%s", type, u);
}

static bool is_iodef(xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns &&
	       !strcmp((const char *)n->ns->href, IODEF_NS) && !strcmp((const char *)n->name, name);
}

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (is_iodef(c, name))
			return c;
	return NULL;
}

/* The trimmed text content of n, or NULL when empty; the caller frees it. */
static char *text_of(xmlNode *n)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	char *s, *e, *r;

	if (!t)
		return NULL;
	s = (char *)t;
	while (*s && strchr(" \t\r\n", *s))
		s++;
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		e--;
	r = e > s ? strndup(s, (size_t)(e - s)) : NULL;
	xmlFree(t);
	return r;
}

static char *attr(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *r = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return r;
}

static void mark(struct conv *c, json_t *o)
{
	if (c->tlp >= 0)
		json_object_set_new(o, "object_marking_refs",
				    json_pack("[s]", tlp_marking_id((enum tlp)c->tlp)));
}

/* Adds o (stolen) unless an object with its id is already there. */
static void add(struct conv *c, json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "id"));

	if (json_object_get(c->seen, id)) {
		json_decref(o);
		return;
	}
	json_object_set_new(c->seen, id, json_true());
	json_array_append_new(c->objects, o);
}

static json_t *sdo(struct conv *c, const char *type, const char *key, char *id, size_t idn)
{
	char k[1024];

	snprintf(k, sizeof(k), "%s|%s|%s", type, c->incident_key, key);
	make_id(id, idn, type, ns_atalaya, k);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", type, "spec_version", "2.1",
			      "id", id, "created", c->created, "modified", c->modified);
	mark(c, o);
	return o;
}

/* An SCO with `props` (stolen), its id per STIX 2.1 section 2.9 (UUIDv5 of the
 * canonical JSON of its id-contributing properties, all of which are in props). */
static json_t *sco(struct conv *c, const char *type, json_t *props, char *id, size_t idn)
{
	char *canon = json_dumps(props, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);

	make_id(id, idn, type, ns_sco, canon);
	free(canon);
	json_object_set_new(props, "type", json_string(type));
	json_object_set_new(props, "spec_version", json_string("2.1"));
	json_object_set_new(props, "id", json_string(id));
	mark(c, props);
	return props;
}

/* Appends a STIX pattern string literal for v to b. */
static void pattern_lit(struct buf *b, const char *v)
{
	buf_addc(b, '\'');
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *v);
	}
	buf_addc(b, '\'');
}

/* A mapped object goes through the checks of a submitted one, from its JSON text. */
static int validate_mapped(struct conv *c, json_t *o, struct err_detail *verr)
{
	char *text = json_dumps(o, JSON_COMPACT);
	struct jdoc_error jerr;
	const struct jv *v = jdoc_parse(&c->doc, text, strlen(text), &jerr);
	int rc = v ? stix_validate_object(v, 0, NULL, verr)
		   : err_set(verr, ERR_INTERNAL, "", "mapped object: %s", jerr.text);
	free(text);
	return rc;
}

/* One observable found at element n: the SCO, an indicator with its pattern, and a
 * relationship from the indicator to the incident. The SCO and the indicator go
 * through the STIX validator here, so that what the mapper lets through always makes
 * a valid bundle; a value it refuses is reported against the IODEF element. */
static int observable(struct conv *c, xmlNode *n, const char *sco_type, json_t *props,
		      const char *path, const char *value)
{
	char sid[128], iid[128], rid[128], key[2048];
	struct err_detail verr;
	struct buf pat;
	json_t *o, *s;
	int rc;

	json_t *number = json_object_get(props, path);
	bool is_number = json_is_integer(number);
	json_int_t nv = is_number ? json_integer_value(number) : 0;

	s = sco(c, sco_type, props, sid, sizeof(sid));
	buf_init(&pat, 8192);
	buf_addf(&pat, "[%s:%s = ", sco_type, path);
	if (is_number)
		buf_addf(&pat, "%" JSON_INTEGER_FORMAT, nv);
	else
		pattern_lit(&pat, value);
	buf_addc(&pat, ']');
	snprintf(key, sizeof(key), "%s", pat.data);
	o = sdo(c, "indicator", key, iid, sizeof(iid));
	json_object_set_new(o, "name", json_sprintf("%s %.200s", sco_type, value));
	json_object_set_new(o, "pattern", json_string(pat.data));
	json_object_set_new(o, "pattern_type", json_string("stix"));
	json_object_set_new(o, "valid_from", json_string(c->created));
	buf_release(&pat);
	err_clear(&verr);
	rc = validate_mapped(c, s, &verr);
	if (!rc)
		rc = validate_mapped(c, o, &verr);
	if (rc) {
		const char *why = strrchr(verr.message, ':');
		json_decref(s);
		json_decref(o);
		return skip(c, n, "'%.80s' does not make a valid %s (%s)", value, sco_type,
			    why ? why + 2 : verr.message);
	}
	add(c, s);
	add(c, o);
	snprintf(key, sizeof(key), "%s>%s", iid, c->incident_id);
	o = sdo(c, "relationship", key, rid, sizeof(rid));
	json_object_set_new(o, "relationship_type", json_string("related-to"));
	json_object_set_new(o, "source_ref", json_string(iid));
	json_object_set_new(o, "target_ref", json_string(c->incident_id));
	add(c, o);
	return ERR_OK;
}

/* RFC 7970 enumerations of the attributes read here; "ext-value" is in each. Checked
 * against the RFC's text (sections 3.2, 3.3.1, 3.9, 3.18.1) and its schema (section 8,
 * and the IANA copy iodef-2.0.xsd). */
static const char *const purposes[] = {"traceback", "mitigation", "reporting", "watch",
				       "other",	    "ext-value",  NULL};
static const char *const statuses[] = {"new",	 "in-progress", "forwarded", "resolved",
				       "future", "ext-value",	NULL};
/* RFC 7970 disagrees with itself on one role: section 3.9 and the IANA schema say
 * "vendor-support", the schema printed in section 8 says "vendor-services". A document
 * valid against either is an RFC 7970 document, so both are taken. */
static const char *const contact_roles[] = {"creator",
					    "reporter",
					    "admin",
					    "tech",
					    "provider",
					    "user",
					    "billing",
					    "legal",
					    "irt",
					    "abuse",
					    "cc",
					    "cc-irt",
					    "leo",
					    "vendor",
					    "vendor-support",
					    "vendor-services",
					    "victim",
					    "victim-notified",
					    "ext-value",
					    NULL};
static const char *const contact_types[] = {"person", "organization", "ext-value", NULL};

/* The value "ext-value" needs the matching ext-<name> attribute, non-empty (in RFC 7970
 * every enumerated attribute that allows ext-value has that ext-* companion). */
static int ext_value_named(struct conv *c, xmlNode *n, const char *name, const char *value)
{
	char ext[64];
	int rc = ERR_OK;

	if (strcmp(value, "ext-value"))
		return ERR_OK;
	snprintf(ext, sizeof(ext), "ext-%s", name);
	char *e = attr(n, ext);
	if (!e || !e[0])
		rc = xerr(c, n, ERR_INVALID, "%s 'ext-value' needs a non-empty %s attribute", name,
			  ext);
	free(e);
	return rc;
}

/* An enumerated attribute, when present: one of `allowed`, and "ext-value" with its
 * ext-* attribute. */
static int check_enum(struct conv *c, xmlNode *n, const char *name, const char *value,
		      const char *const *allowed)
{
	if (!value)
		return ERR_OK;
	for (size_t i = 0; allowed[i]; i++)
		if (!strcmp(value, allowed[i]))
			return ext_value_named(c, n, name, value);
	return xerr(c, n, ERR_INVALID, "%s '%.40s' not in RFC 7970", name, value);
}

static int address(struct conv *c, xmlNode *n)
{
	static const char *const cats[] = {"asn",	    "atm",
					   "e-mail",	    "ipv4-addr",
					   "ipv4-net",	    "ipv4-net-masked",
					   "ipv4-net-mask", "ipv6-addr",
					   "ipv6-net",	    "ipv6-net-masked",
					   "mac",	    "site-uri",
					   "ext-value"};
	char *cat = attr(n, "category"), *v = text_of(n);
	int rc = ERR_OK, prefix;
	size_t i;

	if (cat) {
		for (i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
			if (!strcmp(cat, cats[i]))
				break;
		if (i == sizeof(cats) / sizeof(cats[0])) {
			rc = xerr(c, n, ERR_INVALID, "category '%.40s' not in RFC 7970", cat);
			goto out;
		}
		if ((rc = ext_value_named(c, n, "category", cat)))
			goto out;
	}
	if (!v) {
		rc = skip(c, n, "empty address");
		goto out;
	}
	if (!cat) /* RFC 7970 defaults category to ipv6-addr; take the form of the value */
		cat = strdup(strchr(v, ':') ? "ipv6-addr" : "ipv4-addr");
	if (!strncmp(cat, "ipv4-", 5) && strcmp(cat, "ipv4-net-mask")) {
		if (!iodef_ipv4_text_ok(v, &prefix) || (!strcmp(cat, "ipv4-addr") && prefix >= 0)) {
			rc = skip(c, n, "'%.60s' is not an IPv4 %s", v,
				  strcmp(cat, "ipv4-addr") ? "network" : "address");
			goto out;
		}
		rc = observable(c, n, "ipv4-addr", json_pack("{s:s}", "value", v), "value", v);
	} else if (!strncmp(cat, "ipv6-", 5)) {
		if (!stix_ipv6_text_valid(v)) {
			rc = skip(c, n, "'%.60s' is not an IPv6 %s", v,
				  strcmp(cat, "ipv6-addr") ? "network" : "address");
			goto out;
		}
		rc = observable(c, n, "ipv6-addr", json_pack("{s:s}", "value", v), "value", v);
	} else if (!strcmp(cat, "e-mail")) {
		if (!strchr(v, '@')) {
			rc = skip(c, n, "'%.60s' is not an e-mail address", v);
			goto out;
		}
		rc = observable(c, n, "email-addr", json_pack("{s:s}", "value", v), "value", v);
	} else if (!strcmp(cat, "site-uri")) {
		rc = observable(c, n, "url", json_pack("{s:s}", "value", v), "value", v);
	} else if (!strcmp(cat, "ipv4-net-mask")) {
		char cidr[40];
		if (!iodef_ipv4_mask_to_cidr(v, cidr, sizeof(cidr))) {
			rc = skip(c, n,
				  "'%.60s' is not an IPv4 network with a mask "
				  "(192.0.2.0/255.255.255.0)",
				  v);
			goto out;
		}
		rc =
		    observable(c, n, "ipv4-addr", json_pack("{s:s}", "value", cidr), "value", cidr);
	} else if (!strcmp(cat, "asn")) {
		uint32_t asn;
		if (!iodef_asn_parse(v, &asn)) {
			rc = skip(c, n, "'%.60s' is not an AS number", v);
			goto out;
		}
		rc = observable(c, n, "autonomous-system",
				json_pack("{s:I}", "number", (json_int_t)asn), "number", v);
	} else if (!strcmp(cat, "mac")) {
		char mac[18];
		if (!iodef_mac_normalise(v, mac)) {
			rc = skip(c, n, "'%.60s' is not a MAC address", v);
			goto out;
		}
		rc = observable(c, n, "mac-addr", json_pack("{s:s}", "value", mac), "value", mac);
	}
	/* atm, ext-value: no STIX counterpart; kept in the IODEF original only */
out:
	free(cat);
	free(v);
	return rc;
}

static xmlNode *dsig_child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns &&
		    !strcmp((const char *)c->ns->href, XMLDSIG_NS) &&
		    !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

/* File (with FileName) and/or HashData/Hash: a file SCO with its hashes. */
static int file_data(struct conv *c, xmlNode *file)
{
	json_t *hashes = json_object();
	char *name = text_of(child(file, "FileName"));
	int rc = ERR_OK;

	for (xmlNode *hd = file->children; hd; hd = hd->next) {
		if (!is_iodef(hd, "HashData"))
			continue;
		for (xmlNode *h = hd->children; h; h = h->next) {
			if (!is_iodef(h, "Hash"))
				continue;
			xmlNode *m = dsig_child(h, "DigestMethod"),
				*dv = dsig_child(h, "DigestValue");
			char *alg = m ? attr(m, "Algorithm") : NULL, *val = text_of(dv);
			const char *hn = iodef_hash_name(alg);
			char hex[300];
			if (!m || !dv || !val) {
				rc = xerr(c, h, ERR_INVALID,
					  "needs ds:DigestMethod and ds:DigestValue");
			} else if (!hn) {
				/* other algorithms are kept in the original only */
			} else if (iodef_digest_hex(hn, val, hex, sizeof(hex))) {
				json_object_set_new(hashes, hn, json_string(hex));
			} else if (!iodef_b64_to_hex(val, hex, sizeof(hex))) {
				skip(c, dv, "'%.80s' is not a base64 %s digest", val, hn);
			} else {
				json_object_set_new(hashes, hn, json_string(hex));
			}
			free(alg);
			free(val);
			if (rc)
				goto out;
		}
	}
	if (json_object_size(hashes) || name) {
		json_t *props = json_object();
		const char *path = "name", *value = name;
		if (json_object_size(hashes))
			json_object_set(props, "hashes", hashes);
		if (name)
			json_object_set_new(props, "name", json_string(name));
		static const struct {
			const char *alg, *path;
		} pref[] = {{"SHA-256", "hashes.'SHA-256'"},
			    {"SHA-512", "hashes.'SHA-512'"},
			    {"SHA-1", "hashes.'SHA-1'"},
			    {"MD5", "hashes.MD5"}};
		for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]); i++) {
			json_t *h = json_object_get(hashes, pref[i].alg);
			if (h) {
				path = pref[i].path;
				value = json_string_value(h);
				break;
			}
		}
		rc = observable(c, file, "file", props, path, value);
	}
out:
	json_decref(hashes);
	free(name);
	return rc;
}

/* Walks the subtree of an Incident for observables; contacts and references are not
 * observables and are skipped. */
static int walk(struct conv *c, xmlNode *n, int depth)
{
	int rc = ERR_OK;

	if (depth > IODEF_MAX_DEPTH)
		return xerr(c, n, ERR_TOO_LARGE, "nested deeper than %d elements", IODEF_MAX_DEPTH);
	for (xmlNode *k = n->children; k && !rc; k = k->next) {
		if (k->type != XML_ELEMENT_NODE || !k->ns ||
		    strcmp((const char *)k->ns->href, IODEF_NS))
			continue;
		const char *name = (const char *)k->name;
		if (!strcmp(name, "Contact") || !strcmp(name, "Reference") ||
		    !strcmp(name, "AdditionalData") || !strcmp(name, "RelatedActivity"))
			continue;
		if (!strcmp(name, "Address")) {
			rc = address(c, k);
		} else if (!strcmp(name, "DomainData")) {
			char *d = text_of(child(k, "Name"));
			if (!d || strchr(d, ' ') || strchr(d, '/'))
				rc = skip(c, k, "Name missing or not a domain name");
			else
				rc = observable(c, k, "domain-name", json_pack("{s:s}", "value", d),
						"value", d);
			free(d);
		} else if (!strcmp(name, "URL")) {
			char *u = text_of(k);
			if (!u || !strchr(u, ':') || strchr(u, ' '))
				rc = skip(c, k, "not a URL");
			else
				rc = observable(c, k, "url", json_pack("{s:s}", "value", u),
						"value", u);
			free(u);
		} else if (!strcmp(name, "EmailFrom") || !strcmp(name, "EmailTo")) {
			if (k->parent && is_iodef(k->parent, "EmailData")) {
				char *e = text_of(k);
				if (!e || !strchr(e, '@') || strchr(e, ' '))
					rc = skip(c, k, "not an e-mail address");
				else
					rc = observable(c, k, "email-addr",
							json_pack("{s:s}", "value", e), "value", e);
				free(e);
			}
		} else if (!strcmp(name, "File")) {
			rc = file_data(c, k);
		} else {
			rc = walk(c, k, depth + 1);
		}
	}
	return rc;
}

static int contact(struct conv *c, xmlNode *n, json_t *incident, int depth)
{
	char *name = text_of(child(n, "ContactName")), *role = attr(n, "role");
	char *type = attr(n, "type"), *email = text_of(child(child(n, "Email"), "EmailTo"));
	char id[128], key[600];
	int rc = ERR_OK;

	if (depth > IODEF_MAX_DEPTH) {
		rc = xerr(c, n, ERR_TOO_LARGE, "nested deeper than %d elements", IODEF_MAX_DEPTH);
		goto out;
	}
	if (!role || !type) {
		rc = xerr(c, n, ERR_INVALID, "role and type attributes are required");
		goto out;
	}
	if ((rc = check_enum(c, n, "role", role, contact_roles)) ||
	    (rc = check_enum(c, n, "type", type, contact_types)))
		goto out;
	if (!strcmp(role, "ext-value")) { /* the sender's own role name */
		free(role);
		role = attr(n, "ext-role");
	}
	if (name || email) {
		snprintf(key, sizeof(key), "%.250s|%.250s", name ? name : "", email ? email : "");
		json_t *o = sdo(c, "identity", key, id, sizeof(id));
		json_object_set_new(o, "name", json_string(name ? name : email));
		json_object_set_new(o, "identity_class",
				    json_string(!strcmp(type, "person")		? "individual"
						: !strcmp(type, "organization") ? "organization"
										: "unknown"));
		json_object_set_new(o, "roles", json_pack("[s]", role));
		if (email)
			json_object_set_new(o, "contact_information",
					    json_sprintf("e-mail: %s", email));
		add(c, o);
		if (!strcmp(role, "creator") && !json_object_get(incident, "created_by_ref"))
			json_object_set_new(incident, "created_by_ref", json_string(id));
	}
	for (xmlNode *k = n->children; k && !rc; k = k->next)
		if (is_iodef(k, "Contact"))
			rc = contact(c, k, incident, depth + 1);
out:
	free(name);
	free(role);
	free(type);
	free(email);
	return rc;
}

static int stix_time(struct conv *c, xmlNode *n, char out[32])
{
	char *t = text_of(n);
	int64_t ms;
	int rc = ERR_OK;

	/* STIX timestamps have four-digit years; nothing here predates 1970 */
	if (!t || time_parse_rfc3339(t, strlen(t), 0, &ms) || ms < 0 ||
	    ms >= INT64_C(253402300800000))
		rc = xerr(c, n, ERR_INVALID, "'%.40s' is not an xs:dateTime with a time zone",
			  t ? t : "");
	else
		time_format_ms(ms, out);
	free(t);
	return rc;
}

static int restriction_tlp(struct conv *c, xmlNode *n, const char *r, int *tlp)
{
	static const struct {
		const char *name;
		int tlp;
	} map[] = {{"public", TLP_CLEAR},
		   {"white", TLP_CLEAR},
		   {"green", TLP_GREEN},
		   {"partner", TLP_AMBER},
		   {"need-to-know", TLP_AMBER},
		   {"amber", TLP_AMBER},
		   {"private", TLP_RED},
		   {"red", TLP_RED},
		   {"default", -1},
		   {"ext-value", -1}};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (!strcmp(r, map[i].name)) {
			int rc = ext_value_named(c, n, "restriction", r);
			*tlp = map[i].tlp;
			if (!rc && map[i].tlp < 0 && !strcmp(r, "ext-value")) {
				/* TLP 2.0 names, which RFC 7970 predates, as ext-restriction */
				char *e = attr(n, "ext-restriction");
				const char *x = e && !strncasecmp(e, "TLP:", 4) ? e + 4 : e;
				if (x && !strcasecmp(x, "clear"))
					*tlp = TLP_CLEAR;
				else if (x && !strcasecmp(x, "amber+strict"))
					*tlp = TLP_AMBER_STRICT;
				free(e);
			}
			return rc;
		}
	}
	return xerr(c, n, ERR_INVALID, "restriction '%.40s' not in RFC 7970", r);
}

static int incident(struct conv *c, xmlNode *n, int doc_tlp)
{
	xmlNode *idn = child(n, "IncidentID"), *gen = child(n, "GenerationTime");
	xmlNode *rep = child(n, "ReportTime");
	char *idtext = text_of(idn), *idname = idn ? attr(idn, "name") : NULL;
	char *restr = attr(n, "restriction"), *purpose = attr(n, "purpose");
	char *status = attr(n, "status");
	char *desc = text_of(child(n, "Description"));
	char key[600], iid[128];
	json_t *o = NULL, *impacts = json_array();
	int rc = ERR_OK;

	c->tlp = doc_tlp;
	if (restr && (rc = restriction_tlp(c, n, restr, &c->tlp)))
		goto out;
	if (!idtext || !idname) {
		rc = xerr(c, idn ? idn : n, ERR_INVALID,
			  "IncidentID with a name attribute is required");
		goto out;
	}
	if (!purpose) {
		rc = xerr(c, n, ERR_INVALID, "purpose attribute is required");
		goto out;
	}
	if ((rc = check_enum(c, n, "purpose", purpose, purposes)) ||
	    (rc = check_enum(c, n, "status", status, statuses)))
		goto out;
	if (!strcmp(purpose, "ext-value")) { /* the sender's own purpose */
		free(purpose);
		purpose = attr(n, "ext-purpose");
	}
	if (!gen) {
		rc = xerr(c, n, ERR_INVALID, "GenerationTime is required");
		goto out;
	}
	if ((rc = stix_time(c, gen, c->created)))
		goto out;
	memcpy(c->modified, c->created, sizeof(c->created));
	if (rep && (rc = stix_time(c, rep, c->modified)))
		goto out;
	if (strcmp(c->modified, c->created) < 0)
		memcpy(c->modified, c->created, sizeof(c->created));

	snprintf(key, sizeof(key), "%.250s#%.250s", idname, idtext);
	c->incident_key = key;
	o = sdo(c, "incident", "", iid, sizeof(iid));
	snprintf(c->incident_id, sizeof(c->incident_id), "%s", iid);
	json_object_set_new(o, "name", json_string(key));
	if (desc)
		json_object_set_new(o, "description", json_string(desc));
	json_object_set_new(o, "x_iodef_purpose", json_string(purpose));
	for (xmlNode *a = n->children; a; a = a->next) {
		if (!is_iodef(a, "Assessment"))
			continue;
		for (xmlNode *im = a->children; im; im = im->next) {
			if (im->type != XML_ELEMENT_NODE)
				continue;
			char *t = attr(im, "type");
			if (t)
				json_array_append_new(impacts, json_sprintf("%s:%s", im->name, t));
			free(t);
		}
	}
	if (json_array_size(impacts))
		json_object_set(o, "x_iodef_impacts", impacts);
	add(c, json_incref(o));
	for (xmlNode *k = n->children; k && !rc; k = k->next)
		if (is_iodef(k, "Contact"))
			rc = contact(c, k, o, 1);
	if (!rc)
		rc = walk(c, n, 1);
out:
	json_decref(o);
	json_decref(impacts);
	free(idtext);
	free(idname);
	free(restr);
	free(purpose);
	free(status);
	free(desc);
	return rc;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

static int convert(struct conv *c, xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	char *version = NULL, *restr = NULL;
	int rc = ERR_OK, doc_tlp = -1, n = 0;

	if (!is_iodef(root, "IODEF-Document")) {
		rc = xerr(c, root, ERR_INVALID, "not an IODEF-Document in namespace " IODEF_NS);
		goto out;
	}
	version = attr(root, "version");
	if (!version || strcmp(version, "2.00")) {
		rc = xerr(c, root, ERR_INVALID, "version must be \"2.00\"");
		goto out;
	}
	restr = attr(root, "restriction");
	if (restr && (rc = restriction_tlp(c, root, restr, &doc_tlp)))
		goto out;
	for (xmlNode *k = root->children; k && !rc; k = k->next) {
		if (is_iodef(k, "Incident")) {
			rc = incident(c, k, doc_tlp);
			n++;
		}
	}
	if (!rc && n == 0)
		rc = xerr(c, root, ERR_INVALID, "no Incident");
out:
	free(version);
	free(restr);
	return rc;
}

int iodef_to_stix(const char *xml, size_t len, json_t **bundle_out, struct err_detail *err)
{
	json_t *warnings = NULL;
	int rc = iodef_to_stix_warn(xml, len, bundle_out, &warnings, err);

	json_decref(warnings);
	return rc;
}

int iodef_to_stix_warn(const char *xml, size_t len, json_t **bundle_out, json_t **warnings_out,
		       struct err_detail *err)
{
	struct conv c = {.err = err, .tlp = -1};
	xmlParserCtxtPtr ctxt = NULL;
	xmlDoc *doc = NULL;
	int rc = ERR_OK;
	char bid[128], key[80];
	unsigned char h[32];

	*bundle_out = NULL;
	*warnings_out = NULL;
	pthread_once(&xml_once, xml_init);
	if (len > IODEF_MAX_BYTES)
		return err_set(err, ERR_TOO_LARGE, "", "iodef: larger than %u bytes",
			       IODEF_MAX_BYTES);
	if (len > INT32_MAX)
		return err_set(err, ERR_TOO_LARGE, "", "iodef: too large");
	if (memmem(xml, len, "<!DOCTYPE", 9) || memmem(xml, len, "<!ENTITY", 8))
		return err_set(err, ERR_INVALID, "", "iodef: documents with a DOCTYPE are refused");
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return err_set(err, ERR_INTERNAL, "", "iodef: out of memory");
	/* no network, no DTD, no entity substitution (XML_PARSE_NOENT is not set) */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "iodef.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				    XML_PARSE_NOCDATA);
	if (!doc || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[200];
		snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "not well-formed");
		msg[strcspn(msg, "\n")] = '\0';
		rc = err_set(err, ERR_SYNTAX, "", "line %d: not well-formed XML: %s",
			     e ? e->line : 0, msg);
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		rc = err_set(err, ERR_INVALID, "", "iodef: documents with a DOCTYPE are refused");
		goto out;
	}
	c.objects = json_array();
	c.seen = json_object();
	c.warnings = json_array();
	jdoc_init(&c.doc, 0);
	rc = convert(&c, doc);
	jdoc_release(&c.doc);
	if (rc)
		goto out;
	gnutls_hash_fast(GNUTLS_DIG_SHA256, xml, len, h);
	for (int i = 0; i < 16; i++)
		snprintf(key + 2 * i, 3, "%02x", h[i]);
	make_id(bid, sizeof(bid), "bundle", ns_atalaya, key);
	*bundle_out =
	    json_pack("{s:s, s:s, s:O}", "type", "bundle", "id", bid, "objects", c.objects);
	if (c.skipped > IODEF_MAX_WARNINGS)
		json_array_append_new(c.warnings, json_sprintf("%zu more observables skipped",
							       c.skipped - IODEF_MAX_WARNINGS));
	*warnings_out = json_incref(c.warnings);
out:
	json_decref(c.warnings);
	json_decref(c.objects);
	json_decref(c.seen);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}
