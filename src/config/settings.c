#include "config/settings.h"

#include "alert/webhook.h"
#include "dns/server.h"
#include "request/deadline.h"
#include "util/xalloc.h"

#include <math.h>

enum setting_type { SET_STR, SET_INT, SET_SIZE, SET_BOOL, SET_REAL };

struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;
	const char *def;
	double min, max; /* for numbers; sizes in bytes */
	const char *help;
};

#define OFF(f) offsetof(struct config, f)
#define MIB (1024.0 * 1024.0)

static const struct setting settings[] = {
    {"data_dir", SET_STR, OFF(data_dir), "", 0, 0, "directory of the store, keys and config"},
    {"listen", SET_STR, OFF(listen), "127.0.0.1:8440", 0, 0, "HTTP API address (host:port)"},
    {"insecure_listen", SET_BOOL, OFF(insecure_listen), "false", 0, 0,
     "allow plain HTTP on a non-loopback address"},
    {"tls_cert", SET_STR, OFF(tls_cert), "", 0, 0, "PEM certificate: serve HTTPS"},
    {"tls_key", SET_STR, OFF(tls_key), "", 0, 0, "PEM private key for tls_cert"},
    {"http_threads", SET_INT, OFF(http_threads), "2", 1, 256, "HTTP worker threads"},
    {"http_connections_max", SET_INT, OFF(http_connections_max), "4096", 8, 65536,
     "concurrent HTTP connections (bounded by the open-files limit)"},
    {"http_timeout_seconds", SET_INT, OFF(http_timeout_seconds), "60", 1, 3600,
     "idle HTTP connection timeout"},
    {"http_connections_per_ip", SET_INT, OFF(http_connections_per_ip), "128", 1, 65536,
     "concurrent HTTP connections from one client address"},
    {"http_header_timeout_seconds", SET_INT, OFF(http_header_timeout_seconds), "10", 1, 3600,
     "time a connection has for the headers of its next request (TLS handshake included)"},
    {"shutdown_timeout_seconds", SET_INT, OFF(shutdown_timeout_seconds), "30", 0, 3600,
     "on SIGTERM, time given to the requests in flight before they are cut"},
    {"body_max", SET_SIZE, OFF(body_max), "1048576", 1024, 64 * MIB,
     "largest JSON request body of the API, in bytes"},
    {"report_body_max", SET_SIZE, OFF(report_body_max), "1073741824", 1024, 64.0 * 1024 * MIB,
     "largest report (STIX bundle, IODEF, abuse mail) body, in bytes"},
    {"json_depth_max", SET_INT, OFF(json_depth_max), "32", 4, 512, "deepest JSON nesting"},
    {"object_max", SET_SIZE, OFF(object_max), "16777216", 1024, 1024 * MIB,
     "largest single STIX object, in bytes"},
    {"objects_per_report_max", SET_INT, OFF(objects_per_report_max), "5000000", 1, 1e9,
     "most objects in one report"},
    {"user", SET_STR, OFF(user), "atalaya", 0, 0, "user to run as when started as root"},
    {"dns_listen", SET_STR, OFF(dns_listen), "", 0, 0, "DNS blocklist address (host:port)"},
    {"dnsbl_zone", SET_STR, OFF(dnsbl_zone), "", 0, 0, "DNS blocklist zone, e.g. bl.example.org"},
    {"public_url", SET_STR, OFF(public_url), "", 0, 0,
     "URL users reach the node at (links in alerts and TXT answers)"},
    {"log_level", SET_STR, OFF(log_level), "info", 0, 0, "error, warn, info or debug"},
    {"access_log", SET_BOOL, OFF(access_log), "true", 0, 0, "one log line per HTTP request"},
    {"log_file", SET_STR, OFF(log_file), "", 0, 0,
     "append the log to this file, reopened on SIGHUP (default: stderr)"},
    {"sqlite_cache_mib", SET_INT, OFF(sqlite_cache_mib), "64", 2, 65536,
     "SQLite page cache of the writer, MiB"},
    {"dns_threads", SET_INT, OFF(dns_threads), "2", 1, 64, "DNS UDP worker threads"},
    {"spam_half_life_hours", SET_REAL, OFF(spam_half_life_hours), "72", 0.0001, 8760,
     "half-life of a spam source's score, hours (fractions allowed)"},
    {"spam_list_threshold", SET_REAL, OFF(spam_list_threshold), "2.0", 0.1, 1e6,
     "score at or above which a source is listed"},
    {"alert_ack_deadline_seconds", SET_INT, OFF(alert_ack_deadline_seconds), "900", 10, 604800,
     "default time to acknowledge an alert before escalation"},
    {"smtp_url", SET_STR, OFF(smtp_url), "", 0, 0, "SMTP relay for e-mail alerts (smtp://host:25)"},
    {"smtp_from", SET_STR, OFF(smtp_from), "atalaya@localhost", 0, 0, "sender of e-mail alerts"},
    {"dnsbl_ns", SET_STR, OFF(dnsbl_ns), "", 0, 0,
     "NS names of the DNSBL zone, comma separated, at most 4 (default ns.<zone>)"},
    {"dnsbl_soa_mname", SET_STR, OFF(dnsbl_soa_mname), "", 0, 0,
     "SOA MNAME of the DNSBL zone (default: the first NS name)"},
    {"dnsbl_soa_rname", SET_STR, OFF(dnsbl_soa_rname), "", 0, 0,
     "SOA contact, user@domain or user.domain (default hostmaster.<zone>)"},
    {"dnsbl_soa_serial", SET_STR, OFF(dnsbl_soa_serial), "auto", 0, 0,
     "SOA serial: auto (start time + changes) or a fixed number"},
    {"dnsbl_soa_refresh", SET_INT, OFF(dnsbl_soa_refresh), "3600", 1, 2147483647,
     "SOA refresh, seconds"},
    {"dnsbl_soa_retry", SET_INT, OFF(dnsbl_soa_retry), "600", 1, 2147483647, "SOA retry, seconds"},
    {"dnsbl_soa_expire", SET_INT, OFF(dnsbl_soa_expire), "604800", 1, 2147483647,
     "SOA expire, seconds"},
    {"dnsbl_soa_minimum", SET_INT, OFF(dnsbl_soa_minimum), "300", 1, 86400,
     "SOA minimum: TTL of negative answers (RFC 2308), seconds"},
    {"dnsbl_ttl", SET_INT, OFF(dnsbl_ttl), "300", 1, 604800,
     "TTL of listed A and TXT answers, seconds"},
    {"dnsbl_ns_ttl", SET_INT, OFF(dnsbl_ns_ttl), "3600", 1, 604800,
     "TTL of the zone's NS and SOA records, seconds"},
    {"dns_tcp_idle_ms", SET_INT, OFF(dns_tcp_idle_ms), "10000", 100, 600000,
     "DNS TCP connections without a complete query for this long are closed, ms"},
    {"dns_tcp_connections_max", SET_INT, OFF(dns_tcp_connections_max), "256", 8, 65536,
     "concurrent DNS TCP connections (when full, the longest idle one is closed)"},
    {"dns_tcp_per_address_max", SET_INT, OFF(dns_tcp_per_address_max), "16", 1, 65536,
     "concurrent DNS TCP connections from one client address"},
    {"webhook_allow_networks", SET_STR, OFF(webhook_allow_networks), "", 0, 0,
     "CIDRs (comma-separated) that webhooks may reach although loopback, private, "
     "link-local or reserved"},
    /* requests for assistance (issue 15) */
    {"request_reminders", SET_STR, OFF(request_reminders), "50,90", 0, 0,
     "reminders of a request, in percent of the time to its deadline (comma-separated, "
     "each escalating to the next contact of a member that has not acknowledged)"},
    /* TAXII 2.1 (issue 18) */
    {"taxii_page_max", SET_INT, OFF(taxii_page_max), "1000", 1, 10000,
     "most objects in one TAXII page (the default and the cap of ?limit=)"},
    {"taxii_envelope_max", SET_SIZE, OFF(taxii_envelope_max), "16777216", 1024, 1024 * MIB,
     "largest TAXII envelope, POSTed or pulled, in bytes"},
    /* federation (issue 14) */
    {"federation_sync_interval_ms", SET_INT, OFF(federation_sync_interval_ms), "10000", 0, 86400000,
     "pull every peer's feed this often, ms (0: only on `atalaya peer sync`)"},
    {"federation_page_bytes", SET_SIZE, OFF(federation_page_bytes), "16777216", 65536, 1024.0 * MIB,
     "bundle bytes per page of the feed served to peers (a larger report "
     "still goes whole, alone)"},
    /* web interface (src/web/session.c) */
    {"web_session_idle_seconds", SET_INT, OFF(web_session_idle_seconds), "1800", 1, 86400,
     "a web session ends after this long without a page"},
    {"web_session_max_seconds", SET_INT, OFF(web_session_max_seconds), "43200", 1, 2592000,
     "a web session ends this long after its sign-in, however active"},
    {"web_signin_failures_max", SET_INT, OFF(web_signin_failures_max), "5", 1, 1000,
     "failed sign-ins in a row that lock an account for web_lockout_seconds"},
    {"web_lockout_seconds", SET_INT, OFF(web_lockout_seconds), "900", 1, 86400,
     "how long a locked account stays locked; also the window of the per-address budget"},
    {"web_address_failures_max", SET_INT, OFF(web_address_failures_max), "20", 1, 100000,
     "failed sign-ins from one client address per window before it must wait"},
    {"web_upload_max", SET_SIZE, OFF(web_upload_max), "33554432", MIB, 1024.0 * MIB,
     "largest report file uploaded through the web page, in bytes (held in memory while "
     "it is checked; only a signed-in person's upload is read past its first chunk)"},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const struct setting *find(const char *name)
{
	char norm[64];
	size_t i;
	for (i = 0; name[i] && i < sizeof(norm) - 1; i++)
		norm[i] = name[i] == '-' ? '_' : name[i];
	norm[i] = '\0';
	for (size_t k = 0; k < NSETTINGS; k++)
		if (!strcmp(settings[k].name, norm))
			return &settings[k];
	return NULL;
}

static int parse_number(const struct setting *s, const char *v, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (end == v || errno)
		return ERR_INVALID;
	if (s->type == SET_SIZE) {
		switch (*end) {
		case 'k':
		case 'K':
			d *= 1024;
			end++;
			break;
		case 'm':
		case 'M':
			d *= MIB;
			end++;
			break;
		case 'g':
		case 'G':
			d *= 1024 * MIB;
			end++;
			break;
		}
		if (*end == 'i' || *end == 'B')
			end++;
		if (*end == 'B')
			end++;
	}
	if (*end || !isfinite(d))
		return ERR_INVALID;
	if (s->type != SET_REAL && d != floor(d))
		return ERR_INVALID;
	*out = d;
	return ERR_OK;
}

static int set_value(struct config *c, const struct setting *s, const char *v,
		     struct err_detail *err)
{
	char *base = (char *)c;
	double d;

	switch (s->type) {
	case SET_STR: {
		char **p = (char **)(base + s->offset);
		free(*p);
		*p = xstrdup(v);
		return ERR_OK;
	}
	case SET_BOOL: {
		bool *p = (bool *)(base + s->offset);
		if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
			*p = true;
		else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") ||
			 !strcmp(v, "off"))
			*p = false;
		else
			return err_set(err, ERR_INVALID, s->name, "%s: '%s' is not true or false",
				       s->name, v);
		return ERR_OK;
	}
	case SET_INT:
	case SET_SIZE:
	case SET_REAL:
		if (parse_number(s, v, &d))
			return err_set(err, ERR_INVALID, s->name, "%s: '%s' is not %s", s->name, v,
				       s->type == SET_SIZE   ? "a size (e.g. 1048576, 64M, 1G)"
				       : s->type == SET_REAL ? "a number"
							     : "a whole number");
		if (d < s->min || d > s->max)
			return err_set(err, ERR_INVALID, s->name,
				       "%s: %s is out of bounds [%g, %g]", s->name, v, s->min,
				       s->max);
		if (s->type == SET_REAL)
			*(double *)(base + s->offset) = d;
		else
			*(int64_t *)(base + s->offset) = (int64_t)d;
		return ERR_OK;
	}
	return ERR_INTERNAL;
}

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t k = 0; k < NSETTINGS; k++) {
		int rc = set_value(c, &settings[k], settings[k].def, NULL);
		(void)rc;
	}
}

void config_release(struct config *c)
{
	for (size_t k = 0; k < NSETTINGS; k++)
		if (settings[k].type == SET_STR)
			free(*(char **)((char *)c + settings[k].offset));
	memset(c, 0, sizeof(*c));
}

int config_set(struct config *c, const char *name, const char *value, struct err_detail *err)
{
	const struct setting *s = find(name);
	if (!s)
		return err_set(err, ERR_NOT_FOUND, name, "unknown setting '%s'", name);
	return set_value(c, s, value, err);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int config_load_file(struct config *c, const char *path, struct err_detail *err)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int lineno = 0, rc = ERR_OK;

	if (!f)
		return errno == ENOENT
			   ? ERR_OK
			   : err_set(err, ERR_IO, path, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			rc = err_set(err, ERR_INVALID, "", "%s:%d: expected 'name = value'", path,
				     lineno);
			break;
		}
		*eq = '\0';
		char *name = trim(s), *value = trim(eq + 1);
		size_t vn = strlen(value);
		if (vn >= 2 && value[0] == '"' && value[vn - 1] == '"') {
			value[vn - 1] = '\0';
			value++;
		}
		struct err_detail e;
		err_clear(&e);
		rc = config_set(c, name, value, &e);
		if (rc) {
			rc = err_set(err, ERR_INVALID, e.field, "%s:%d: %s", path, lineno,
				     e.message);
			break;
		}
	}
	fclose(f);
	return rc;
}

int config_apply_flags(struct config *c, int *argc, char **argv, struct err_detail *err)
{
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0 || !a[2]) {
			argv[out++] = argv[i];
			continue;
		}
		char name[64];
		const char *eq = strchr(a + 2, '='), *value;
		size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (n >= sizeof(name)) {
			argv[out++] = argv[i];
			continue;
		}
		memcpy(name, a + 2, n);
		name[n] = '\0';
		if (!strcmp(name, "data"))
			memcpy(name, "data_dir", 9);
		else if (!strcmp(name, "dns"))
			memcpy(name, "dns_listen", 11);
		const struct setting *s = find(name);
		if (!s) {
			argv[out++] = argv[i];
			continue;
		}
		if (eq)
			value = eq + 1;
		else if (s->type == SET_BOOL)
			/* "--access-log false" as well as a bare "--insecure-listen" */
			value = i + 1 < *argc && (!strcmp(argv[i + 1], "true") ||
						  !strcmp(argv[i + 1], "false"))
				    ? argv[++i]
				    : "true";
		else if (i + 1 < *argc)
			value = argv[++i];
		else
			return err_set(err, ERR_INVALID, s->name, "--%s needs a value", a + 2);
		int rc = set_value(c, s, value, err);
		if (rc)
			return rc;
	}
	argv[out] = NULL;
	*argc = out;
	return ERR_OK;
}

int config_validate(const struct config *c, struct err_detail *err)
{
	if (!*c->tls_cert != !*c->tls_key)
		return err_set(err, ERR_INVALID, *c->tls_cert ? "tls_key" : "tls_cert",
			       "tls_cert and tls_key go together");
	if (*c->dnsbl_zone && !*c->dns_listen)
		return err_set(err, ERR_INVALID, "dns_listen", "dnsbl_zone needs dns_listen");
	if (*c->dns_listen && !*c->dnsbl_zone)
		return err_set(err, ERR_INVALID, "dnsbl_zone", "dns_listen needs dnsbl_zone");
	if (*c->dnsbl_zone) {
		struct dnsbl_server_config sc = {.zone = c->dnsbl_zone,
						 .ns_host = c->dnsbl_ns,
						 .soa_mname = c->dnsbl_soa_mname,
						 .hostmaster = c->dnsbl_soa_rname,
						 .serial = c->dnsbl_soa_serial};
		int rc = dnsbl_server_config_check(&sc, err);
		if (rc)
			return rc;
	}
	if (strcmp(c->log_level, "error") && strcmp(c->log_level, "warn") &&
	    strcmp(c->log_level, "info") && strcmp(c->log_level, "debug"))
		return err_set(err, ERR_INVALID, "log_level",
			       "log_level: '%s' is not error, warn, info or debug", c->log_level);
	struct webhook_policy *wp;
	int rc = webhook_policy_new(c->webhook_allow_networks, &wp, err);
	webhook_policy_free(wp);
	if (rc)
		return rc;
	int reminders[REQUEST_REMINDERS_MAX], nreminders;
	return request_reminders_parse(c->request_reminders, reminders, &nreminders, err);
}

void config_print_table(FILE *out)
{
	static const char *tn[] = {"string", "integer", "size", "boolean", "number"};
	fprintf(out, "%-28s %-8s %-18s %s\n", "setting", "type", "default", "help");
	for (size_t k = 0; k < NSETTINGS; k++) {
		const struct setting *s = &settings[k];
		char bounds[64] = "";
		if (s->type == SET_INT || s->type == SET_SIZE || s->type == SET_REAL)
			snprintf(bounds, sizeof(bounds), " [%g..%g]", s->min, s->max);
		fprintf(out, "%-28s %-8s %-18s %s%s\n", s->name, tn[s->type],
			*s->def ? s->def : "\"\"", s->help, bounds);
	}
}

void config_print_sample(FILE *out)
{
	static const char *tn[] = {"string", "integer", "size in bytes (or 64M, 1G)", "boolean",
				   "number"};
	fprintf(out,
		"# atalaya.conf: the settings of an atalaya node, read from DATA/atalaya.conf.\n"
		"# One `name = value` per line; '#' starts a comment. Flags of `atalaya serve`\n"
		"# (--name value) override this file. Every setting is listed here, commented\n"
		"# out, with its default; `atalaya config check FILE` validates the file.\n"
		"# Generated by `atalaya config sample`.\n");
	for (size_t k = 0; k < NSETTINGS; k++) {
		const struct setting *s = &settings[k];
		char bounds[80] = "";
		if (s->type == SET_INT || s->type == SET_SIZE || s->type == SET_REAL)
			snprintf(bounds, sizeof(bounds), ", %.15g to %.15g", s->min, s->max);
		fprintf(out, "\n# %s (%s%s)\n#%s = %s%s%s\n", s->help, tn[s->type], bounds, s->name,
			s->type == SET_STR ? "\"" : "", s->def, s->type == SET_STR ? "\"" : "");
	}
}

void config_base_url(const struct config *c, char *out, size_t n)
{
	if (*c->public_url)
		snprintf(out, n, "%s", c->public_url);
	else
		snprintf(out, n, "%s://%s", *c->tls_cert ? "https" : "http", c->listen);
	size_t len = strlen(out);
	while (len && out[len - 1] == '/')
		out[--len] = '\0';
}
