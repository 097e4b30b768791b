/* The profile documents: our JSON format and FIRST's team information
 * (profile.h). Every rejection names the place in the document. */
#include "profile/profile.h"

#include "http/reqjson.h"
#include "util/validate.h"

const struct profile_measure profile_measures[] = {
    {"gge26a", "GGE 2013 §26 a)",
     "exchange of views and information on national policies, strategies, best practices, "
     "decision-making and competent national organisations"},
    {"gge26b", "GGE 2013 §26 b)",
     "bilateral, regional and multilateral consultative frameworks (workshops, seminars, "
     "exercises)"},
    {"gge26c", "GGE 2013 §26 c)",
     "exchange of information on incidents; national points of contact for crisis "
     "management; early-warning mechanisms"},
    {"gge26d", "GGE 2013 §26 d)", "exchanges between national computer emergency response teams"},
    {"gge26e", "GGE 2013 §26 e)",
     "cooperation on incidents affecting critical infrastructure and industrial control "
     "systems"},
    {"gge26f", "GGE 2013 §26 f)",
     "cooperation between law-enforcement agencies on incidents that could be misread as "
     "hostile State actions"},
    {"itu45a", "ITU-D Res. 45 (2006), §4 a)", "awareness"},
    {"itu45b", "ITU-D Res. 45 (2006), §4 b)", "adequate national legislation"},
    {"itu45c", "ITU-D Res. 45 (2006), §4 c)", "human and institutional capacity building"},
    {"itu45d", "ITU-D Res. 45 (2006), §4 d)", "enforcement of legislation"},
    {"itu45e", "ITU-D Res. 45 (2006), §4 e)", "national cyber-security policies and strategies"},
    {"itu45f", "ITU-D Res. 45 (2006), §4 f)",
     "information sharing between countries and stakeholders"},
    {"itu45g", "ITU-D Res. 45 (2006), §4 g)", "national focal point (coordination centre)"},
    {"itu45h", "ITU-D Res. 45 (2006), §4 h)",
     "monitoring and evaluation of the progress of existing initiatives"},
    {"itu45i", "ITU-D Res. 45 (2006), §4 i)", "incident response, watch and warning"},
    {"itu45j", "ITU-D Res. 45 (2006), §4 j)", "vulnerability and threat assessment"},
    {"itu45k", "ITU-D Res. 45 (2006), §4 k)", "effective network and security tools"},
    {"itu45l", "ITU-D Res. 45 (2006), §4 l)", "partnerships"},
    {"itu45m", "ITU-D Res. 45 (2006), §4 m)", "international cooperation"},
    {0},
};

const char *const profile_field_names[] = {
    "strategy", "policy_documents", "legislation", "agencies", "contacts", "response_times", NULL,
};

static const char *const statuses[] = {"implemented", "in-progress", "planned", "not-implemented",
				       NULL};

const struct profile_measure *profile_measure_find(const char *id)
{
	for (const struct profile_measure *m = profile_measures; m->id; m++)
		if (!strcmp(m->id, id))
			return m;
	return NULL;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* YYYY-MM-DD, a real day. */
static bool valid_date(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;
	char tail;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

static int check_scope(json_t *s, const char *where, struct err_detail *err)
{
	size_t i;
	json_t *v;
	if (json_is_string(s) &&
	    (!strcmp(json_string_value(s), "public") || !strcmp(json_string_value(s), "private")))
		return ERR_OK;
	if (!json_is_array(s) || json_array_size(s) > 1000)
		return err_set(err, ERR_INVALID, where,
			       "%s: must be \"public\", \"private\" or an audience such as "
			       "[\"group:1\",\"member:7\"]",
			       where);
	json_array_foreach(s, i, v)
	{
		if (!json_is_string(v) || !valid_text(json_string_value(v), 40))
			return err_set(err, ERR_INVALID, where,
				       "%s[%zu]: not all, group:ID or member:ID", where, i);
	}
	return ERR_OK;
}

struct key_rule {
	const char *name;
	size_t max; /* text length */
	bool required;
	int kind; /* 0 text, 1 date, 2 http(s) URL, 3 e-mail, 4 phone, 5 country */
};

static const struct key_rule document_keys[] = {
    {"title", 300, true, 0}, {"date", 10, false, 1}, {"link", 2048, false, 2}, {0}};
static const struct key_rule agency_keys[] = {
    {"name", 300, true, 0},	   {"short_name", 64, false, 0},
    {"role", 300, false, 0},	   {"description", PROFILE_TEXT_MAX, false, 0},
    {"link", 2048, false, 2},	   {"email", 254, false, 3},
    {"phone", 40, false, 4},	   {"country", 2, false, 5},
    {"established", 10, false, 1}, {0}};

static int check_object(json_t *o, const struct key_rule *rules, const char *where,
			struct err_detail *err)
{
	const char *key;
	json_t *v;
	if (!json_is_object(o))
		return err_set(err, ERR_INVALID, where, "%s: must be an object", where);
	json_object_foreach(o, key, v)
	{
		const struct key_rule *r = rules;
		for (; r->name && strcmp(r->name, key); r++)
			;
		if (!r->name) {
			if (!strcmp(key, "file"))
				return err_set(
				    err, ERR_INVALID, where,
				    "%s.file: attached files are not stored; give a link", where);
			return err_set(err, ERR_INVALID, where, "%s: unknown field '%.60s'", where,
				       key);
		}
		const char *s = json_string_value(v);
		bool ok = s && valid_text(s, r->max) && *s;
		if (ok && r->kind == 1)
			ok = valid_date(s);
		else if (ok && r->kind == 2)
			ok = valid_http_url(s);
		else if (ok && r->kind == 3)
			ok = valid_email(s);
		else if (ok && r->kind == 4)
			ok = valid_phone(s);
		else if (ok && r->kind == 5)
			ok = valid_country(s);
		if (!ok) {
			static const char *const what[] = {"text",
							   "a date YYYY-MM-DD",
							   "an http or https URL",
							   "an e-mail address",
							   "an international phone number",
							   "an ISO 3166-1 alpha-2 code"};
			return err_set(err, ERR_INVALID, where,
				       "%s.%s: not %s of at most %zu bytes", where, key,
				       what[r->kind], r->max);
		}
	}
	for (const struct key_rule *r = rules; r->name; r++)
		if (r->required && !json_object_get(o, r->name))
			return err_set(err, ERR_INVALID, where, "%s.%s: missing", where, r->name);
	return ERR_OK;
}

static int check_list(json_t *v, const struct key_rule *rules, const char *where,
		      struct err_detail *err)
{
	size_t i;
	json_t *item;
	char at[200];
	if (!json_is_array(v) || json_array_size(v) > PROFILE_ITEMS_MAX)
		return err_set(err, ERR_INVALID, where, "%s: must be a list of at most %d items",
			       where, PROFILE_ITEMS_MAX);
	json_array_foreach(v, i, item)
	{
		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		int rc = check_object(item, rules, at, err);
		if (rc)
			return rc;
	}
	return ERR_OK;
}

static int check_field(const char *name, json_t *f, struct err_detail *err)
{
	char where[120], sw[140];
	snprintf(where, sizeof(where), "fields.%s.value", name);
	snprintf(sw, sizeof(sw), "fields.%s.scope", name);
	const char *key;
	json_t *v;
	if (!json_is_object(f))
		return err_set(err, ERR_INVALID, where, "fields.%s: must be {\"value\",\"scope\"}",
			       name);
	json_object_foreach(f, key, v)
	{
		if (strcmp(key, "value") && strcmp(key, "scope"))
			return err_set(err, ERR_INVALID, where,
				       "fields.%s: unknown field '%.60s' (value, scope)", name,
				       key);
	}
	if (!json_object_get(f, "scope"))
		json_object_set_new(f, "scope", json_string("private"));
	int rc = check_scope(json_object_get(f, "scope"), sw, err);
	if (rc)
		return rc;
	v = json_object_get(f, "value");
	if (!v)
		return err_set(err, ERR_INVALID, where, "%s: missing (null removes the field)",
			       where);
	if (json_is_null(v))
		return ERR_OK;
	if (!strcmp(name, "agencies"))
		return check_list(v, agency_keys, where, err);
	if (!strcmp(name, "contacts")) {
		size_t i;
		json_t *id;
		if (!json_is_array(v) || json_array_size(v) > PROFILE_ITEMS_MAX)
			return err_set(err, ERR_INVALID, where, "%s: must be a list of contact ids",
				       where);
		json_array_foreach(v, i, id)
		{
			if (!json_is_integer(id) || json_integer_value(id) < 1)
				return err_set(err, ERR_INVALID, where, "%s[%zu]: not a contact id",
					       where, i);
		}
		return ERR_OK;
	}
	if (!strcmp(name, "response_times")) {
		if (!json_is_string(v) || !valid_text(json_string_value(v), 300))
			return err_set(
			    err, ERR_INVALID, where,
			    "%s: a note of at most 300 bytes (its scope decides who sees "
			    "your alert acknowledgement times)",
			    where);
		return ERR_OK;
	}
	return check_list(v, document_keys, where, err);
}

static int check_measure(const char *id, json_t *m, struct err_detail *err)
{
	char where[80], at[120];
	snprintf(where, sizeof(where), "measures.%s", id);
	if (!profile_measure_find(id))
		return err_set(err, ERR_INVALID, where,
			       "%s: not a measure of the catalogue (gge26a..gge26f, "
			       "itu45a..itu45m)",
			       where);
	if (json_is_null(m))
		return ERR_OK;
	const char *key;
	json_t *v;
	if (!json_is_object(m))
		return err_set(err, ERR_INVALID, where,
			       "%s: must be {\"status\",\"since\",\"note\",\"scope\"} or null",
			       where);
	json_object_foreach(m, key, v)
	{
		snprintf(at, sizeof(at), "%s.%.30s", where, key);
		const char *s = json_string_value(v);
		if (!strcmp(key, "status")) {
			if (!s || !in_list(s, statuses))
				return err_set(err, ERR_INVALID, at,
					       "%s: not implemented, in-progress, planned or "
					       "not-implemented",
					       at);
		} else if (!strcmp(key, "since")) {
			if (!json_is_null(v) && (!s || !valid_date(s)))
				return err_set(err, ERR_INVALID, at, "%s: not a date YYYY-MM-DD",
					       at);
		} else if (!strcmp(key, "note")) {
			if (!json_is_null(v) && (!s || !valid_text(s, PROFILE_TEXT_MAX)))
				return err_set(err, ERR_INVALID, at, "%s: text of at most %d bytes",
					       at, PROFILE_TEXT_MAX);
		} else if (!strcmp(key, "scope")) {
			int rc = check_scope(v, at, err);
			if (rc)
				return rc;
		} else {
			return err_set(err, ERR_INVALID, where,
				       "%s: unknown field '%.60s' (status, since, note, scope)",
				       where, key);
		}
	}
	snprintf(at, sizeof(at), "%s.status", where);
	if (!json_object_get(m, "status"))
		return err_set(err, ERR_INVALID, at, "%s: missing", at);
	if (!json_object_get(m, "scope"))
		json_object_set_new(m, "scope", json_string("private"));
	return ERR_OK;
}

static int parse_ours(json_t *doc, struct err_detail *err)
{
	const char *key;
	json_t *v;
	if (!json_is_object(doc))
		return err_set(err, ERR_INVALID, "", "a profile is a JSON object");
	json_object_foreach(doc, key, v)
	{
		/* an export names its member: ignored (the route says which) */
		if (strcmp(key, "fields") && strcmp(key, "measures") && strcmp(key, "format") &&
		    strcmp(key, "member") && strcmp(key, "name") && strcmp(key, "country"))
			return err_set(err, ERR_INVALID, key,
				       "unknown field '%.60s' (fields, measures)", key);
	}
	json_t *fields = json_object_get(doc, "fields"),
	       *measures = json_object_get(doc, "measures");
	v = json_object_get(doc, "format");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), "atalaya-profile/1")))
		return err_set(err, ERR_INVALID, "format", "format: not \"atalaya-profile/1\"");
	if (fields && !json_is_object(fields))
		return err_set(err, ERR_INVALID, "fields", "fields: must be an object");
	if (measures && !json_is_object(measures))
		return err_set(err, ERR_INVALID, "measures", "measures: must be an object");
	json_object_foreach(fields, key, v)
	{
		if (!in_list(key, profile_field_names))
			return err_set(err, ERR_INVALID, "fields",
				       "fields.%.60s: not a profile field (strategy, "
				       "policy_documents, legislation, agencies, contacts, "
				       "response_times)",
				       key);
		int rc = check_field(key, v, err);
		if (rc)
			return rc;
	}
	json_object_foreach(measures, key, v)
	{
		int rc = check_measure(key, v, err);
		if (rc)
			return rc;
	}
	json_object_del(doc, "format");
	json_object_del(doc, "member");
	json_object_del(doc, "name");
	json_object_del(doc, "country");
	if (!fields)
		json_object_set_new(doc, "fields", json_object());
	if (!measures)
		json_object_set_new(doc, "measures", json_object());
	return ERR_OK;
}

/* The FIRST key of each agency key it maps to (first element of the lists). */
static const struct {
	const char *first, *ours;
	bool list;
} first_map[] = {
    {"official-team-name", "name", false},
    {"short-team-name", "short_name", false},
    {"website", "link", true},
    {"email", "email", false},
    {"phone-numbers", "phone", true},
    {"country-code", "country", true},
    {"establishment", "established", false},
    {"constituency-description", "description", false},
};

static int parse_first(json_t *doc, const char *scope, json_t **out, struct err_detail *err)
{
	json_t *teams = json_is_object(doc) ? json_pack("[O]", doc) : json_incref(doc);
	json_t *agencies = json_array();
	size_t i;
	json_t *t;
	int rc = ERR_OK;
	if (!json_is_array(teams) || json_array_size(teams) > PROFILE_ITEMS_MAX)
		rc = err_set(err, ERR_INVALID, "",
			     "a FIRST document is a team object or a list "
			     "of at most %d",
			     PROFILE_ITEMS_MAX);
	json_array_foreach(teams, i, t)
	{
		char where[40];
		snprintf(where, sizeof(where), "[%zu]", i);
		if (rc)
			break;
		if (!json_is_object(t)) {
			rc = err_set(err, ERR_INVALID, where, "%s: a team is an object", where);
			break;
		}
		json_t *a = json_object();
		for (size_t k = 0; k < sizeof(first_map) / sizeof(first_map[0]); k++) {
			json_t *v = json_object_get(t, first_map[k].first);
			if (first_map[k].list && json_is_array(v))
				v = json_array_get(v, 0);
			if (!json_is_string(v) || !*json_string_value(v))
				continue;
			const char *s = json_string_value(v);
			/* establishment may carry a time; the date is what maps */
			if (!strcmp(first_map[k].ours, "established") && strlen(s) > 10)
				json_object_set_new(a, "established", json_stringn(s, 10));
			else if (!strcmp(first_map[k].ours, "country")) {
				char cc[3] = {0};
				snprintf(cc, sizeof(cc), "%s", s);
				if (strlen(s) == 2) {
					for (int c = 0; c < 2; c++)
						cc[c] =
						    (char)(cc[c] >= 'a' && cc[c] <= 'z' ? cc[c] - 32
											: cc[c]);
					json_object_set_new(a, "country", json_string(cc));
				} else
					json_object_set_new(a, "country", json_string(s));
			} else
				json_object_set(a, first_map[k].ours, v);
		}
		if (!json_object_get(a, "name") && json_object_get(a, "short_name"))
			json_object_set(a, "name", json_object_get(a, "short_name"));
		json_t *types = json_object_get(t, "cert-type");
		char role[300] = "CSIRT";
		if (json_is_array(types) && json_array_size(types)) {
			size_t j, len = strlen(role);
			json_t *ty;
			json_array_foreach(types, j, ty)
			{
				if (json_is_string(ty) && len < sizeof(role))
					len += (size_t)snprintf(role + len, sizeof(role) - len,
								"%s%s", j ? ", " : " (",
								json_string_value(ty));
			}
			if (len + 1 < sizeof(role))
				role[len] = ')', role[len + 1] = '\0';
		}
		json_object_set_new(a, "role", json_string(role));
		json_array_append_new(agencies, a);
		rc = check_object(a, agency_keys, where, err);
	}
	json_decref(teams);
	if (rc) {
		json_decref(agencies);
		return rc;
	}
	*out = json_pack("{s{s{so ss}} s{}}", "fields", "agencies", "value", agencies, "scope",
			 scope ? scope : "private", "measures");
	return ERR_OK;
}

int profile_parse(const char *text, size_t n, enum profile_format fmt, const char *first_scope,
		  json_t **out, struct err_detail *err)
{
	json_error_t je;
	*out = NULL;
	if (n > PROFILE_BODY_MAX)
		return err_set(err, ERR_TOO_LARGE, "", "a profile document is at most %d bytes",
			       PROFILE_BODY_MAX);
	if (reqjson_depth(text, n, PROFILE_DEPTH_MAX) > PROFILE_DEPTH_MAX)
		return err_set(err, ERR_INVALID, "", "the document nests deeper than %d",
			       PROFILE_DEPTH_MAX);
	json_t *doc = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return err_set(err, ERR_SYNTAX, "", "not JSON: %s at line %d, column %d", je.text,
			       je.line, je.column);
	int rc;
	if (fmt == PROFILE_FIRST) {
		if (first_scope && strcmp(first_scope, "public") && strcmp(first_scope, "private"))
			rc = err_set(err, ERR_INVALID, "scope", "scope: not public or private");
		else
			rc = parse_first(doc, first_scope, out, err);
		json_decref(doc);
		return rc;
	}
	rc = parse_ours(doc, err);
	if (rc)
		json_decref(doc);
	else
		*out = doc;
	return rc;
}

json_t *profile_agencies_to_first(json_t *agencies)
{
	json_t *teams = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(agencies, i, a)
	{
		json_t *t = json_object();
		for (size_t k = 0; k < sizeof(first_map) / sizeof(first_map[0]); k++) {
			json_t *v = json_object_get(a, first_map[k].ours);
			if (!v)
				continue;
			json_object_set_new(t, first_map[k].first,
					    first_map[k].list ? json_pack("[O]", v)
							      : json_incref(v));
		}
		if (!json_object_get(t, "short-team-name") && json_object_get(a, "name"))
			json_object_set(t, "short-team-name", json_object_get(a, "name"));
		json_array_append_new(teams, t);
	}
	return teams;
}
