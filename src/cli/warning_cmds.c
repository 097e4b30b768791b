/* `atalaya constituency set|show`, `atalaya lookup VALUE | --batch`,
 * `atalaya alerts list|show|ack|secret`. */
#include "cli/warning_cmds.h"

#include "cli/args.h"

#include <curl/curl.h>

#define BATCH_CHUNK 1000 /* the server's cap per POST /api/v1/lookup */

static int constituency_show(struct client *c, int argc, char **argv)
{
	const char *m = arg_value(argc, argv, "--member");
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/constituency%s%s", m ? "?member=" : "", m ? m : "");
	return client_print(c, "GET", path, NULL);
}

static int constituency_overlaps(struct client *c, int argc, char **argv)
{
	return client_print(c, "GET", "/api/v1/constituency/overlaps", NULL);
}

static int constituency_set(struct client *c, int argc, char **argv)
{
	json_t *body = json_pack("{so so so}", "cidrs", arg_values(argc, argv, "--cidr"), "asns",
				 arg_values(argc, argv, "--asn"), "domains",
				 arg_values(argc, argv, "--domain"));
	int rc = client_print(c, "PUT", "/api/v1/constituency", body);
	json_decref(body);
	return rc;
}

const struct cli_subcommand cli_constituency_subs[] = {
    {"set", "set [--cidr NET]... [--asn N]... [--domain SUFFIX]...",
     "replace your member's networks, autonomous systems and domains", 0, NULL, constituency_set},
    {"show", "show [--member ID]", "a member's constituency", 0, NULL, constituency_show},
    {"overlaps", "overlaps", "networks declared by more than one member (admin)", 0, NULL,
     constituency_overlaps},
    {0},
};

static void print_lookup(json_t *item)
{
	const char *err = json_string_value(json_object_get(item, "error"));
	if (err) {
		printf("%s: %s\n", json_string_value(json_object_get(item, "value")), err);
		return;
	}
	printf("%s (%s): %" JSON_INTEGER_FORMAT " reports, %" JSON_INTEGER_FORMAT
	       " sightings, score %.1f%s\n",
	       json_string_value(json_object_get(item, "value")),
	       json_string_value(json_object_get(item, "kind")),
	       json_integer_value(json_object_get(item, "reports")),
	       json_integer_value(json_object_get(item, "sightings")),
	       json_real_value(json_object_get(item, "score")),
	       json_is_true(json_object_get(item, "expired")) ? " (expired)" : "");
	json_t *f = json_object_get(item, "first_seen"), *l = json_object_get(item, "last_seen");
	if (json_is_string(f))
		printf("  first seen %s, last seen %s\n", json_string_value(f),
		       json_string_value(l));
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(item, "reporting_members"), i, m)
	    printf("  reported by %s (member %" JSON_INTEGER_FORMAT ")\n",
		   json_string_value(json_object_get(m, "name")),
		   json_integer_value(json_object_get(m, "id")));
	json_array_foreach(json_object_get(item, "matches"), i, m)
	    printf("  %-8s %-40s %s in %s\n", json_string_value(json_object_get(m, "relation")),
		   json_string_value(json_object_get(m, "value")),
		   json_string_value(json_object_get(m, "object")),
		   json_string_value(json_object_get(m, "report")));
}

static int lookup_batch(struct client *c, bool as_json)
{
	char line[8300];
	json_t *vals = json_array();
	int rc = 0;
	for (;;) {
		bool eof = !fgets(line, sizeof(line), stdin);
		if (!eof) {
			size_t n = strcspn(line, "\r\n");
			line[n] = '\0';
			if (n && line[0] != '#')
				json_array_append_new(vals, json_string(line));
		}
		if (json_array_size(vals) == BATCH_CHUNK || (eof && json_array_size(vals))) {
			json_t *res = client_json(c, "POST", "/api/v1/lookup", vals);
			if (!res) {
				rc = 1;
				break;
			}
			size_t i;
			json_t *item;
			json_array_foreach(json_object_get(res, "items"), i, item)
			{
				if (as_json) {
					char *t = json_dumps(item, JSON_COMPACT);
					printf("%s\n", t);
					free(t);
				} else {
					print_lookup(item);
				}
			}
			json_decref(res);
			json_array_clear(vals);
		}
		if (eof)
			break;
	}
	json_decref(vals);
	return rc;
}

int cmd_lookup(struct client *c, int argc, char **argv)
{
	const char *value = arg_positional(argc, argv, 0);
	bool as_json = arg_flag(argc, argv, "--json");
	if (arg_flag(argc, argv, "--batch"))
		return lookup_batch(c, as_json);
	if (!value) {
		fprintf(stderr,
			"usage: atalaya lookup VALUE [--json]\n"
			"       atalaya lookup --batch [--json] < values.txt   (one per line)\n");
		return 2;
	}
	char *esc = curl_easy_escape(NULL, value, 0);
	size_t n = strlen(esc) + 32;
	char *path = malloc(n);
	if (!path) {
		curl_free(esc);
		return 1;
	}
	snprintf(path, n, "/api/v1/lookup?value=%s", esc);
	curl_free(esc);
	json_t *res = client_json(c, "GET", path, NULL);
	free(path);
	if (!res)
		return 1;
	if (as_json)
		print_json(res);
	else
		print_lookup(res);
	json_decref(res);
	return 0;
}

static void alert_line(json_t *a)
{
	json_t *rep = json_object_get(a, "report");
	json_t *age = json_object_get(a, "indicator_age_days");
	printf("%-6" JSON_INTEGER_FORMAT " %-13s %-24s %-45s %-12s level %" JSON_INTEGER_FORMAT
	       ", %zu observables, %s priority",
	       json_integer_value(json_object_get(a, "id")),
	       json_string_value(json_object_get(a, "state")),
	       json_string_value(json_object_get(a, "created")),
	       json_string_value(json_object_get(rep, "id")),
	       json_string_value(json_object_get(rep, "originator_name")),
	       json_integer_value(json_object_get(a, "level")),
	       json_array_size(json_object_get(a, "observables")),
	       json_is_string(json_object_get(a, "priority"))
		   ? json_string_value(json_object_get(a, "priority"))
		   : "normal");
	if (json_is_integer(age))
		printf(", first seen %" JSON_INTEGER_FORMAT " days before",
		       json_integer_value(age));
	printf("\n");
}

static int alerts_list(struct client *c, int argc, char **argv)
{
	bool open = arg_flag(argc, argv, "--open");
	char path[160], cursor[32] = "";
	for (;;) {
		snprintf(path, sizeof(path), "/api/v1/alerts?limit=1000%s%s%s",
			 open ? "&open=true" : "", *cursor ? "&after=" : "", cursor);
		json_t *res = client_json(c, "GET", path, NULL);
		if (!res)
			return 1;
		size_t i;
		json_t *a;
		if (arg_flag(argc, argv, "--json"))
			print_json(json_object_get(res, "items"));
		else
			json_array_foreach(json_object_get(res, "items"), i, a) alert_line(a);
		json_t *next = json_object_get(res, "next");
		bool more = json_is_string(next);
		if (more)
			snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
		json_decref(res);
		if (!more)
			return 0;
	}
}

static int alerts_secret(struct client *c, int argc, char **argv)
{
	return client_print(c, "POST", "/api/v1/alerts/webhook-secret", NULL);
}

static int alerts_show(struct client *c, int argc, char **argv)
{
	char path[160];
	snprintf(path, sizeof(path), "/api/v1/alerts/%.40s", arg_positional(argc, argv, 1));
	return client_print(c, "GET", path, NULL);
}

static int alerts_ack(struct client *c, int argc, char **argv)
{
	const char *id = arg_positional(argc, argv, 1);
	char path[160];
	snprintf(path, sizeof(path), "/api/v1/alerts/%.40s/ack", id);
	json_t *res = client_json(c, "POST", path, NULL);
	if (!res)
		return 1;
	printf("alert %s acknowledged\n", id);
	json_decref(res);
	return 0;
}

const struct cli_subcommand cli_alerts_subs[] = {
    {"list", "list [--open] [--json]", "your member's alerts (--open: not acknowledged)", 0, NULL,
     alerts_list},
    {"show", "show ID", "one alert, with the report and observables that raised it", 1, NULL,
     alerts_show},
    {"ack", "ack ID", "acknowledge an alert: its escalation stops", 1, NULL, alerts_ack},
    {"secret", "secret", "a new webhook signing secret (printed once)", 0, NULL, alerts_secret},
    {0},
};
