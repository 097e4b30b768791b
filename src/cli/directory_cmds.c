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

static int member_add(struct client *c, int argc, char **argv)
{
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

static int member_list(struct client *c, int argc, char **argv)
{
	return list_all(c, "/api/v1/members", member_line, arg_flag(argc, argv, "--json"));
}

/* `member show|update|delete ID`: one member's path. */
static const char *member_path(char path[128], int argc, char **argv)
{
	snprintf(path, 128, "/api/v1/members/%s", arg_positional(argc, argv, 1));
	return path;
}

static int member_show(struct client *c, int argc, char **argv)
{
	char path[128];
	return show(c, "GET", member_path(path, argc, argv), NULL);
}

static int member_update(struct client *c, int argc, char **argv)
{
	char path[128];
	return show(c, "PATCH", member_path(path, argc, argv), member_body(argc, argv));
}

static int member_delete(struct client *c, int argc, char **argv)
{
	char path[128];
	return show(c, "DELETE", member_path(path, argc, argv), NULL);
}

const struct cli_subcommand cli_member_subs[] = {
    {"add", "add --name N --country CC [--kind K] [--role R] [--language xx]...",
     "create a member and its first API token (printed once; admin)", 0, NULL, member_add},
    {"list", "list [--json]", "every member", 0, NULL, member_list},
    {"show", "show ID", "one member", 1, NULL, member_show},
    {"update", "update ID [--name N] [--role R] [--kind K] [--ack-deadline SECONDS]...",
     "change a member (admin)", 1, NULL, member_update},
    {"delete", "delete ID", "delete a member and revoke its tokens (admin)", 1, NULL,
     member_delete},
    {0},
};

/* `token ... --member ID`: the member's tokens path, or NULL (said why). */
static const char *tokens_path(char path[128], int argc, char **argv)
{
	const char *member = arg_value(argc, argv, "--member");
	if (need(member, "--member ID"))
		return NULL;
	snprintf(path, 128, "/api/v1/members/%s/tokens", member);
	return path;
}

static int token_add(struct client *c, int argc, char **argv)
{
	char path[128];
	if (!tokens_path(path, argc, argv))
		return 2;
	json_t *b = json_object();
	const char *label = arg_value(argc, argv, "--label");
	if (label)
		json_object_set_new(b, "label", json_string(label));
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

static int token_list(struct client *c, int argc, char **argv)
{
	char path[128];
	if (!tokens_path(path, argc, argv))
		return 2;
	return show(c, "GET", path, NULL);
}

static int token_revoke(struct client *c, int argc, char **argv)
{
	char path[128], one[160];
	if (!tokens_path(path, argc, argv))
		return 2;
	snprintf(one, sizeof(one), "%s/%s", path, arg_positional(argc, argv, 1));
	return show(c, "DELETE", one, NULL);
}

const struct cli_subcommand cli_token_subs[] = {
    {"add", "add --member ID [--label L]", "a new API token for a member (printed once)", 0, NULL,
     token_add},
    {"list", "list --member ID", "a member's tokens (never their secrets)", 0, NULL, token_list},
    {"revoke", "revoke --member ID TOKEN_ID", "revoke a token at once", 1, NULL, token_revoke},
    {0},
};

static json_t *ids_array(int argc, char **argv, const char *flag)
{
	json_t *vals = arg_values(argc, argv, flag), *ids = json_array(), *v;
	size_t i;
	json_array_foreach(vals, i, v)
	    json_array_append_new(ids, json_integer(strtoll(json_string_value(v), NULL, 10)));
	json_decref(vals);
	return ids;
}

static int group_add(struct client *c, int argc, char **argv)
{
	if (need(arg_value(argc, argv, "--name"), "--name NAME"))
		return 2;
	json_t *b = json_pack("{ss so}", "name", arg_value(argc, argv, "--name"), "members",
			      ids_array(argc, argv, "--member"));
	const char *d = arg_value(argc, argv, "--description");
	if (d)
		json_object_set_new(b, "description", json_string(d));
	return show(c, "POST", "/api/v1/groups", b);
}

static int group_list(struct client *c, int argc, char **argv)
{
	return show(c, "GET", "/api/v1/groups", NULL);
}

/* `group show|set-members|delete ID`: one group's path. */
static const char *group_path(char path[128], int argc, char **argv)
{
	snprintf(path, 128, "/api/v1/groups/%s", arg_positional(argc, argv, 1));
	return path;
}

static int group_show(struct client *c, int argc, char **argv)
{
	char path[128];
	return show(c, "GET", group_path(path, argc, argv), NULL);
}

static int group_set_members(struct client *c, int argc, char **argv)
{
	char path[128];
	return show(c, "PATCH", group_path(path, argc, argv),
		    json_pack("{so}", "members", ids_array(argc, argv, "--member")));
}

static int group_delete(struct client *c, int argc, char **argv)
{
	char path[128];
	return show(c, "DELETE", group_path(path, argc, argv), NULL);
}

const struct cli_subcommand cli_group_subs[] = {
    {"add", "add --name N [--member ID]... [--description D]", "a named set of members", 0, NULL,
     group_add},
    {"list", "list", "every group", 0, NULL, group_list},
    {"show", "show ID", "one group and its members", 1, NULL, group_show},
    {"set-members", "set-members ID --member ID...", "replace a group's members", 1, NULL,
     group_set_members},
    {"delete", "delete ID", "delete a group", 1, NULL, group_delete},
    {0},
};

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

static int contacts_list(struct client *c, int argc, char **argv)
{
	char path[128];
	const char *m = arg_value(argc, argv, "--member");
	snprintf(path, sizeof(path), "/api/v1/contacts%s%s", m ? "?member=" : "", m ? m : "");
	return list_all(c, path, contact_line, arg_flag(argc, argv, "--json"));
}

static int contacts_add(struct client *c, int argc, char **argv)
{
	json_t *b = contact_body(argc, argv);
	if (!json_object_get(b, "availability"))
		json_object_set_new(b, "availability", json_string("24/7"));
	return show(c, "POST", "/api/v1/contacts", b);
}

/* `contacts show|update|delete ID`: one contact's path. */
static const char *contact_path(char path[128], int argc, char **argv)
{
	snprintf(path, 128, "/api/v1/contacts/%s", arg_positional(argc, argv, 1));
	return path;
}

static int contacts_show(struct client *c, int argc, char **argv)
{
	char path[128];
	return show(c, "GET", contact_path(path, argc, argv), NULL);
}

static int contacts_update(struct client *c, int argc, char **argv)
{
	char path[128];
	return show(c, "PATCH", contact_path(path, argc, argv), contact_body(argc, argv));
}

static int contacts_delete(struct client *c, int argc, char **argv)
{
	char path[128];
	return show(c, "DELETE", contact_path(path, argc, argv), NULL);
}

/* The first is what `atalaya contacts` alone runs. */
const struct cli_subcommand cli_contacts_subs[] = {
    {"list", "list [--member ID] [--json]", "the points of contact you may see", 0, NULL,
     contacts_list},
    {"add",
     "add --role R --name N --email E [--phone P] [--webhook URL] [--pgp FPR]\n"
     "                 [--language xx]... [--hours 08:00-18:00 --time-zone Z | --24x7]\n"
     "                 [--position N] [--audience all,group:ID,member:ID]",
     "a point of contact of your member, with the audience that may see it", 0, NULL, contacts_add},
    {"show", "show ID", "one point of contact", 1, NULL, contacts_show},
    {"update", "update ID [the flags of add]", "change a point of contact", 1, NULL,
     contacts_update},
    {"delete", "delete ID", "delete a point of contact", 1, NULL, contacts_delete},
    {0},
};
