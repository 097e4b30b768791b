/* `atalaya member|token|group|contacts ...`: the directory through the API. */
#include "cli/directory_cmds.h"

#include "cli/args.h"
#include "cli/client.h"

/* Calls the API and prints the result as JSON; returns the exit code. */
static int show(struct client *c, const char *method, const char *path, json_t *body)
{
	json_t *res = client_json(c, method, path, body);
	json_decref(body);
	if (!res)
		return 1;
	if (!json_is_null(res))
		print_json(res);
	json_decref(res);
	return 0;
}

static int need(const char *v, const char *what)
{
	if (v)
		return 0;
	fprintf(stderr, "atalaya: %s is required\n", what);
	return 2;
}

/* Walks every page of a list route, printing one line per item with `line`. */
static int list_all(struct client *c, const char *path, void (*line)(json_t *), bool as_json)
{
	char page_path[512];
	const char *next = NULL;
	json_t *all = json_array();
	int rc = 0;
	char cursor[32] = "";
	do {
		snprintf(page_path, sizeof(page_path), "%s%s%s%s", path,
			 strchr(path, '?') ? "&" : "?", cursor[0] ? "after=" : "limit=1000",
			 cursor);
		json_t *page = client_json(c, "GET", page_path, NULL);
		if (!page) {
			rc = 1;
			break;
		}
		json_array_extend(all, json_object_get(page, "items"));
		next = json_string_value(json_object_get(page, "next"));
		snprintf(cursor, sizeof(cursor), "%s", next ? next : "");
		json_decref(page);
	} while (cursor[0]);
	if (!rc) {
		if (as_json) {
			print_json(all);
		} else {
			size_t i;
			json_t *v;
			json_array_foreach(all, i, v) line(v);
		}
	}
	json_decref(all);
	return rc;
}

static void member_line(json_t *m)
{
	printf("%-5" JSON_INTEGER_FORMAT " %-30s %-14s %-3s %s\n",
	       json_integer_value(json_object_get(m, "id")),
	       json_string_value(json_object_get(m, "name")),
	       json_string_value(json_object_get(m, "kind")),
	       json_string_value(json_object_get(m, "country")),
	       json_string_value(json_object_get(m, "role")));
}

static json_t *member_body(int argc, char **argv)
{
	json_t *b = json_object();
	const char *keys[][2] = {
	    {"--name", "name"}, {"--kind", "kind"}, {"--country", "country"}, {"--role", "role"}};
	for (size_t i = 0; i < 4; i++) {
		const char *v = arg_value(argc, argv, keys[i][0]);
		if (v)
			json_object_set_new(b, keys[i][1], json_string(v));
	}
	json_t *langs = arg_values(argc, argv, "--language");
	if (json_array_size(langs))
		json_object_set(b, "languages", langs);
	json_decref(langs);
	const char *ack = arg_value(argc, argv, "--ack-deadline");
	if (ack)
		json_object_set_new(b, "ack_deadline_seconds",
				    json_integer(strtoll(ack, NULL, 10)));
	return b;
}

int cmd_member(struct client *c, int argc, char **argv)
{
	const char *sub = arg_positional(argc, argv, 0), *id = arg_positional(argc, argv, 1);
	char path[128];
	if (!sub)
		sub = "";
	if (!strcmp(sub, "add")) {
		if (need(arg_value(argc, argv, "--name"), "--name NAME") ||
		    need(arg_value(argc, argv, "--country"), "--country CC"))
			return 2;
		json_t *b = member_body(argc, argv);
		if (!json_object_get(b, "kind"))
			json_object_set_new(b, "kind", json_string("national-cert"));
		if (!json_object_get(b, "role"))
			json_object_set_new(b, "role", json_string("analyst"));
		json_t *res = client_json(c, "POST", "/api/v1/members", b);
		json_decref(b);
		if (!res)
			return 1;
		printf("member %" JSON_INTEGER_FORMAT " created: %s\n"
		       "token (shown once, keep it safe): %s\n",
		       json_integer_value(json_object_get(res, "id")),
		       json_string_value(json_object_get(res, "name")),
		       json_string_value(json_object_get(res, "token")));
		json_decref(res);
		return 0;
	}
	if (!strcmp(sub, "list"))
		return list_all(c, "/api/v1/members", member_line, arg_flag(argc, argv, "--json"));
	if ((!strcmp(sub, "show") || !strcmp(sub, "update") || !strcmp(sub, "delete")) &&
	    need(id, "a member ID"))
		return 2;
	if (id)
		snprintf(path, sizeof(path), "/api/v1/members/%s", id);
	if (!strcmp(sub, "show"))
		return show(c, "GET", path, NULL);
	if (!strcmp(sub, "update"))
		return show(c, "PATCH", path, member_body(argc, argv));
	if (!strcmp(sub, "delete"))
		return show(c, "DELETE", path, NULL);
	fprintf(stderr,
		"usage: atalaya member add --name N --country CC [--kind K] [--role R] "
		"[--language xx]...\n"
		"       atalaya member list [--json] | show ID | delete ID\n"
		"       atalaya member update ID [--name N] [--role R] [--ack-deadline S]...\n");
	return 2;
}

int cmd_token(struct client *c, int argc, char **argv)
{
	const char *sub = arg_positional(argc, argv, 0),
		   *member = arg_value(argc, argv, "--member");
	char path[128];
	if (!sub || need(member, "--member ID"))
		goto usage;
	if (!strcmp(sub, "add")) {
		json_t *b = json_object();
		const char *label = arg_value(argc, argv, "--label");
		if (label)
			json_object_set_new(b, "label", json_string(label));
		snprintf(path, sizeof(path), "/api/v1/members/%s/tokens", member);
		json_t *res = client_json(c, "POST", path, b);
		json_decref(b);
		if (!res)
			return 1;
		printf("token %" JSON_INTEGER_FORMAT " (shown once): %s\n",
		       json_integer_value(json_object_get(res, "id")),
		       json_string_value(json_object_get(res, "token")));
		json_decref(res);
		return 0;
	}
	if (!strcmp(sub, "list")) {
		snprintf(path, sizeof(path), "/api/v1/members/%s/tokens", member);
		return show(c, "GET", path, NULL);
	}
	if (!strcmp(sub, "revoke") && arg_positional(argc, argv, 1)) {
		snprintf(path, sizeof(path), "/api/v1/members/%s/tokens/%s", member,
			 arg_positional(argc, argv, 1));
		return show(c, "DELETE", path, NULL);
	}
usage:
	fprintf(stderr, "usage: atalaya token add --member ID [--label L] | list --member ID | "
			"revoke --member ID TOKEN_ID\n");
	return 2;
}

static json_t *ids_array(int argc, char **argv, const char *flag)
{
	json_t *vals = arg_values(argc, argv, flag), *ids = json_array(), *v;
	size_t i;
	json_array_foreach(vals, i, v)
	    json_array_append_new(ids, json_integer(strtoll(json_string_value(v), NULL, 10)));
	json_decref(vals);
	return ids;
}

int cmd_group(struct client *c, int argc, char **argv)
{
	const char *sub = arg_positional(argc, argv, 0), *id = arg_positional(argc, argv, 1);
	char path[128];
	if (!sub)
		sub = "";
	if (id)
		snprintf(path, sizeof(path), "/api/v1/groups/%s", id);
	if (!strcmp(sub, "add")) {
		if (need(arg_value(argc, argv, "--name"), "--name NAME"))
			return 2;
		json_t *b = json_pack("{ss so}", "name", arg_value(argc, argv, "--name"), "members",
				      ids_array(argc, argv, "--member"));
		const char *d = arg_value(argc, argv, "--description");
		if (d)
			json_object_set_new(b, "description", json_string(d));
		return show(c, "POST", "/api/v1/groups", b);
	}
	if (!strcmp(sub, "list"))
		return show(c, "GET", "/api/v1/groups", NULL);
	if (!strcmp(sub, "show") && id)
		return show(c, "GET", path, NULL);
	if (!strcmp(sub, "set-members") && id)
		return show(c, "PATCH", path,
			    json_pack("{so}", "members", ids_array(argc, argv, "--member")));
	if (!strcmp(sub, "delete") && id)
		return show(c, "DELETE", path, NULL);
	fprintf(stderr, "usage: atalaya group add --name N [--member ID]... | list | show ID | "
			"set-members ID --member ID... | delete ID\n");
	return 2;
}

static void contact_line(json_t *k)
{
	json_t *av = json_object_get(k, "availability");
	char avail[96];
	if (json_is_string(av))
		snprintf(avail, sizeof(avail), "%s", json_string_value(av));
	else
		snprintf(avail, sizeof(avail), "%s %s",
			 json_string_value(json_object_get(av, "hours")),
			 json_string_value(json_object_get(av, "time_zone")));
	printf("%-5" JSON_INTEGER_FORMAT " member=%-4" JSON_INTEGER_FORMAT
	       " #%-2" JSON_INTEGER_FORMAT " %-15s %-28s %-32s %s\n",
	       json_integer_value(json_object_get(k, "id")),
	       json_integer_value(json_object_get(k, "member_id")),
	       json_integer_value(json_object_get(k, "escalation_position")),
	       json_string_value(json_object_get(k, "role")),
	       json_string_value(json_object_get(k, "name")),
	       json_string_value(json_object_get(k, "email")), avail);
}

static json_t *contact_body(int argc, char **argv)
{
	json_t *b = json_object();
	const char *keys[][2] = {{"--role", "role"},	       {"--name", "name"},
				 {"--email", "email"},	       {"--phone", "phone"},
				 {"--webhook", "webhook_url"}, {"--pgp", "pgp_fingerprint"}};
	for (size_t i = 0; i < 6; i++) {
		const char *v = arg_value(argc, argv, keys[i][0]);
		if (v)
			json_object_set_new(b, keys[i][1], json_string(v));
	}
	json_t *langs = arg_values(argc, argv, "--language");
	if (json_array_size(langs))
		json_object_set(b, "languages", langs);
	json_decref(langs);
	const char *hours = arg_value(argc, argv, "--hours"),
		   *tz = arg_value(argc, argv, "--time-zone");
	if (hours || tz)
		json_object_set_new(
		    b, "availability",
		    json_pack("{ss ss}", "hours", hours ? hours : "", "time_zone", tz ? tz : ""));
	else if (arg_flag(argc, argv, "--24x7") || arg_value(argc, argv, "--availability"))
		json_object_set_new(b, "availability", json_string("24/7"));
	const char *pos = arg_value(argc, argv, "--position");
	if (pos)
		json_object_set_new(b, "escalation_position", json_integer(strtoll(pos, NULL, 10)));
	const char *aud = arg_value(argc, argv, "--audience");
	if (aud) {
		json_t *arr = json_array();
		char *copy = strdup(aud), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(arr, json_string(t));
		free(copy);
		json_object_set_new(b, "audience", arr);
	}
	return b;
}

int cmd_contacts(struct client *c, int argc, char **argv)
{
	const char *sub = arg_positional(argc, argv, 0), *id = arg_positional(argc, argv, 1);
	char path[128];
	if (!sub)
		sub = "list";
	if (id)
		snprintf(path, sizeof(path), "/api/v1/contacts/%s", id);
	if (!strcmp(sub, "list")) {
		const char *m = arg_value(argc, argv, "--member");
		snprintf(path, sizeof(path), "/api/v1/contacts%s%s", m ? "?member=" : "",
			 m ? m : "");
		return list_all(c, path, contact_line, arg_flag(argc, argv, "--json"));
	}
	if (!strcmp(sub, "add")) {
		json_t *b = contact_body(argc, argv);
		if (!json_object_get(b, "availability"))
			json_object_set_new(b, "availability", json_string("24/7"));
		return show(c, "POST", "/api/v1/contacts", b);
	}
	if (!strcmp(sub, "show") && id)
		return show(c, "GET", path, NULL);
	if (!strcmp(sub, "update") && id)
		return show(c, "PATCH", path, contact_body(argc, argv));
	if (!strcmp(sub, "delete") && id)
		return show(c, "DELETE", path, NULL);
	fprintf(
	    stderr,
	    "usage: atalaya contacts list [--member ID] [--json]\n"
	    "       atalaya contacts add --role R --name N --email E [--phone P] [--webhook URL]\n"
	    "               [--pgp FPR] [--language xx]... [--hours 08:00-18:00 --time-zone Z]\n"
	    "               [--position N] [--audience all,group:ID,member:ID]\n"
	    "       atalaya contacts show ID | update ID [...] | delete ID\n");
	return 2;
}
