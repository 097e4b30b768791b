/* The node's settings: one table (name, type, default, bounds, help) read
 * from DATA/atalaya.conf, then overridden by command-line flags. Loaded once
 * by the main thread before other threads start; read-only afterwards. */
#ifndef ATALAYA_SETTINGS_H
#define ATALAYA_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

struct config {
	char *data_dir;
	char *listen;
	bool insecure_listen;
	char *tls_cert;
	char *tls_key;
	int64_t http_threads;
	int64_t http_connections_max;
	int64_t http_timeout_seconds;
	int64_t http_connections_per_ip;
	int64_t http_header_timeout_seconds;
	int64_t shutdown_timeout_seconds;
	int64_t body_max;
	int64_t report_body_max;
	int64_t json_depth_max;
	int64_t object_max;
	int64_t objects_per_report_max;
	char *user;
	char *dns_listen;
	char *dnsbl_zone;
	char *public_url;
	char *log_level;
	bool access_log;
	char *log_file;
	int64_t sqlite_cache_mib;
	int64_t dns_threads;
	double spam_half_life_hours;
	double spam_list_threshold;
	int64_t alert_ack_deadline_seconds;
	char *smtp_url;
	char *smtp_from;
	/* DNS blocklist answers (reloadable, see spam_reload_dns_settings) */
	char *dnsbl_ns;
	char *dnsbl_soa_mname;
	char *dnsbl_soa_rname;
	char *dnsbl_soa_serial;
	int64_t dnsbl_soa_refresh;
	int64_t dnsbl_soa_retry;
	int64_t dnsbl_soa_expire;
	int64_t dnsbl_soa_minimum;
	int64_t dnsbl_ttl;
	int64_t dnsbl_ns_ttl;
	int64_t dns_tcp_idle_ms;
	int64_t dns_tcp_connections_max;
	int64_t dns_tcp_per_address_max;
	char *webhook_allow_networks;
	/* requests for assistance (issue 15) */
	char *request_reminders;
	/* TAXII 2.1 (issue 18) */
	int64_t taxii_page_max;
	int64_t taxii_envelope_max;
	/* federation (issue 14) */
	int64_t federation_sync_interval_ms;
	int64_t federation_page_bytes;
	/* web interface: sessions and sign-in (src/web/session.c) */
	int64_t web_session_idle_seconds;
	int64_t web_session_max_seconds;
	int64_t web_signin_failures_max;
	int64_t web_lockout_seconds;
	int64_t web_upload_max;
	int64_t web_address_failures_max;
};

/* Fills every setting with its default. Release with config_release. */
void config_init(struct config *c);
void config_release(struct config *c);

/* Reads "name = value" lines; '#' starts a comment. An unknown name, a bad
 * value or one out of bounds is an error naming the file, line and setting. A
 * missing file is not an error. */
int config_load_file(struct config *c, const char *path, struct err_detail *err);

/* Sets one setting from text (flags use it: --tls-cert X sets tls_cert).
 * `name` may use '-' or '_'. ERR_NOT_FOUND when there is no such setting. */
int config_set(struct config *c, const char *name, const char *value, struct err_detail *err);

/* Consumes the "--setting value" / "--setting=value" flags of argv that name
 * settings, leaving the others in place (argc updated). */
int config_apply_flags(struct config *c, int *argc, char **argv, struct err_detail *err);

/* Cross-setting checks (TLS needs both files, zone needs a DNS address...). */
int config_validate(const struct config *c, struct err_detail *err);

/* The URL users reach the node at, for links in what it sends (DNS TXT
 * answers, challenges): public_url, else http(s)://listen; no trailing '/'. */
void config_base_url(const struct config *c, char *out, size_t n);

/* Writes the table (name, type, default, bounds, help) for `--help`. */
void config_print_table(FILE *out);

/* Writes a config file listing every setting, commented out, with its help,
 * type, bounds and default (dist/atalaya.conf is this output). */
void config_print_sample(FILE *out);

#endif
