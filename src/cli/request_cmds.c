/* `atalaya request open|list|show|ack|answer|offer|accept|decline|close|stats`
 * and `atalaya capabilities set|show`: thin front-ends of /api/v1/requests
 * and /api/v1/capabilities. */
#include "cli/request_cmds.h"

#include "cli/args.h"

#include <curl/curl.h>

/* "a,b,c" as a JSON array of strings (empty items skipped). */
static json_t *split_list(const char *s)
{
	json_t *arr = json_array();
	while (s && *s) {
		size_t n = strcspn(s, ",");
		if (n)
			json_array_append_new(arr, json_stringn(s, n));
		s += n + (s[n] == ',');
	}
	return arr;
}

/* The group id named `name` (a number, or a group's name looked up), or 0. */
static long long group_id(struct client *c, const char *name)
{
	char *end;
	long long id = strtoll(name, &end, 10);
	if (*name && !*end)
		return id;
	json_t *res = client_json(c, "GET", "/api/v1/groups?limit=1000", NULL), *g;
	size_t i;
	id = 0;
	json_array_foreach(json_object_get(res, "items"), i, g)
	{
		if (!strcasecmp(json_string_value(json_object_get(g, "name")), name))
			id = json_integer_value(json_object_get(g, "id"));
	}
	json_decref(res);
	return id;
}

/* --audience all,member:7,group:LAC as the API's array; group names are
 * turned into ids. NULL (message printed) when a group is unknown. */
static json_t *audience_arg(struct client *c, const char *list)
{
	json_t *items = split_list(list), *v;
	size_t i;
	json_array_foreach(items, i, v)
	{
		const char *s = json_string_value(v);
		if (strncmp(s, "group:", 6))
			continue;
		long long id = group_id(c, s + 6);
		if (!id) {
			fprintf(stderr, "atalaya: --audience: no group '%s'\n", s + 6);
			json_decref(items);
			return NULL;
		}
		char text[40];
		snprintf(text, sizeof(text), "group:%lld", id);
		json_array_set_new(items, i, json_string(text));
	}
	return items;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

static void request_line(json_t *q)
{
	printf("%s%s  %-13s %-8s %-12s deadline %s%s  %s (from %s)\n",
	       json_is_true(json_object_get(q, "exercise")) ? "[EXERCISE] " : "", str(q, "id"),
	       str(q, "kind"), str(q, "priority"), str(q, "state"), str(q, "deadline"),
	       json_is_true(json_object_get(q, "overdue")) ? " OVERDUE" : "", str(q, "title"),
	       str(json_object_get(q, "originator"), "name"));
}

static int request_open(struct client *c, int argc, char **argv)
{
	const char *kind = arg_value(argc, argv, "--kind"),
		   *title = arg_value(argc, argv, "--title");
	const char *deadline = arg_value(argc, argv, "--deadline");
	const char *tlp = arg_value(argc, argv, "--tlp"),
		   *aud = arg_value(argc, argv, "--audience");
	if (!kind || !title || !deadline || !tlp || !aud) {
		fprintf(stderr,
			"usage: atalaya request open --kind K --title T --deadline D --tlp TLP "
			"--audience LIST [...]\n");
		return 2;
	}
	json_t *audience = audience_arg(c, aud);
	if (!audience)
		return 1;
	json_t *body = json_pack("{ss ss ss ss so so sb}", "kind", kind, "title", title, "deadline",
				 deadline, "tlp", tlp, "audience", audience, "reports",
				 arg_values(argc, argv, "--report"), "exercise",
				 arg_flag(argc, argv, "--exercise"));
	const char *text = arg_value(argc, argv, "--text"),
		   *prio = arg_value(argc, argv, "--priority");
	const char *needs = arg_value(argc, argv, "--needs");
	if (text)
		json_object_set_new(body, "text", json_string(text));
	if (prio)
		json_object_set_new(body, "priority", json_string(prio));
	if (needs)
		json_object_set_new(body, "needs", split_list(needs));
	json_t *res = client_json(c, "POST", "/api/v1/requests", body);
	json_decref(body);
	if (!res)
		return 1;
	if (arg_flag(argc, argv, "--json"))
		print_json(res);
	else
		printf("%srequest %s opened, deadline %s, %zu members told\n",
		       json_is_true(json_object_get(res, "exercise")) ? "[EXERCISE] " : "",
		       str(res, "id"), str(res, "deadline"),
		       json_array_size(json_object_get(res, "told")));
	json_decref(res);
	return 0;
}

static int request_list(struct client *c, int argc, char **argv)
{
	char path[200], cursor[32] = "";
	bool as_json = arg_flag(argc, argv, "--json");
	for (;;) {
		snprintf(path, sizeof(path), "/api/v1/requests?limit=1000%s%s%s%s%s",
			 arg_flag(argc, argv, "--open") ? "&open=true" : "",
			 arg_flag(argc, argv, "--mine") ? "&mine=true" : "",
			 arg_flag(argc, argv, "--overdue") ? "&overdue=true" : "",
			 *cursor ? "&after=" : "", cursor);
		json_t *res = client_json(c, "GET", path, NULL), *q;
		size_t i;
		if (!res)
			return 1;
		if (as_json)
			print_json(json_object_get(res, "items"));
		else
			json_array_foreach(json_object_get(res, "items"), i, q) request_line(q);
		json_t *next = json_object_get(res, "next");
		bool more = json_is_string(next);
		if (more)
			snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
		json_decref(res);
		if (!more)
			return 0;
	}
}

/* /api/v1/requests/ID + suffix, the id escaped. */
static char *request_path(const char *id, const char *suffix)
{
	char *esc = curl_easy_escape(NULL, id, 0);
	size_t n = strlen(esc) + strlen(suffix) + 32;
	char *path = malloc(n);
	if (path)
		snprintf(path, n, "/api/v1/requests/%s%s", esc, suffix);
	curl_free(esc);
	return path;
}

static void print_seconds(const char *what, json_t *v)
{
	if (json_is_number(v))
		printf("  %-22s %.1f s\n", what, json_number_value(v));
	else
		printf("  %-22s -\n", what);
}

static void print_request(json_t *q)
{
	size_t i;
	json_t *v;
	bool ex = json_is_true(json_object_get(q, "exercise"));
	if (ex)
		printf("[EXERCISE] this request is an exercise\n");
	printf("%s  %s, priority %s, tlp %s\n", str(q, "id"), str(q, "kind"), str(q, "priority"),
	       str(q, "tlp"));
	printf("Title:    %s\nFrom:     %s (member %" JSON_INTEGER_FORMAT ")\n", str(q, "title"),
	       str(json_object_get(q, "originator"), "name"),
	       json_integer_value(json_object_get(json_object_get(q, "originator"), "id")));
	printf("State:    %s%s%s%s\n", str(q, "state"),
	       json_is_string(json_object_get(q, "outcome")) ? " (" : "",
	       json_is_string(json_object_get(q, "outcome")) ? str(q, "outcome") : "",
	       json_is_string(json_object_get(q, "outcome")) ? ")" : "");
	printf("Deadline: %s%s\nOpened:   %s\n", str(q, "deadline"),
	       json_is_true(json_object_get(q, "overdue")) ? " (OVERDUE)" : "", str(q, "created"));
	if (*str(q, "text") && strcmp(str(q, "text"), "-"))
		printf("\n%s\n", str(q, "text"));
	printf("\nNeeds:    ");
	json_array_foreach(json_object_get(q, "needs"), i, v)
	    printf("%s%s", i ? ", " : "", json_string_value(v));
	printf("\nReports:  ");
	json_array_foreach(json_object_get(q, "reports"), i, v)
	    printf("%s%s", i ? ", " : "", json_string_value(v));
	json_t *t = json_object_get(q, "times");
	printf("\nTimes:\n");
	print_seconds("to acknowledge", json_object_get(t, "seconds_to_acknowledge"));
	print_seconds("to first answer", json_object_get(t, "seconds_to_first_answer"));
	print_seconds("to first offer", json_object_get(t, "seconds_to_first_offer"));
	printf("Answers:\n");
	json_array_foreach(json_object_get(q, "answers"), i, v)
	{
		printf("  %s %s: %s\n", str(v, "at"), str(json_object_get(v, "member"), "name"),
		       str(v, "text"));
	}
	printf("Offers:\n");
	json_array_foreach(json_object_get(q, "offers"), i, v)
	{
		printf("  #%" JSON_INTEGER_FORMAT " %s by %s (%s): %s\n",
		       json_integer_value(json_object_get(v, "id")), str(v, "capability"),
		       str(json_object_get(v, "member"), "name"), str(v, "state"), str(v, "text"));
	}
	printf("History:\n");
	json_array_foreach(json_object_get(q, "history"), i, v)
	{
		const char *d = str(v, "detail");
		printf("  %s %-16s %s%s%s\n", str(v, "at"), str(v, "what"),
		       json_is_string(json_object_get(v, "member_name")) ? str(v, "member_name")
									 : "(node)",
		       strcmp(d, "-") ? ": " : "", strcmp(d, "-") ? d : "");
	}
	if (json_object_get(q, "seen_by")) {
		printf("Seen by:\n");
		json_array_foreach(json_object_get(q, "seen_by"), i, v)
		{
			printf("  %s (member %" JSON_INTEGER_FORMAT "), %" JSON_INTEGER_FORMAT
			       " times, first %s\n",
			       str(v, "name"), json_integer_value(json_object_get(v, "member")),
			       json_integer_value(json_object_get(v, "views")), str(v, "first_at"));
		}
	}
	if (ex)
		printf("[EXERCISE]\n");
}

/* Sends `body` (may be NULL) to /api/v1/requests/ID<suffix>; prints the
 * request as it is afterwards. */
static int act(struct client *c, int argc, char **argv, const char *suffix, json_t *body,
	       const char *method)
{
	char *path = request_path(arg_positional(argc, argv, 1), suffix);
	if (!path)
		return 1;
	json_t *res = client_json(c, method, path, body);
	free(path);
	json_decref(body);
	if (!res)
		return 1;
	if (arg_flag(argc, argv, "--json"))
		print_json(res);
	else
		print_request(res);
	json_decref(res);
	return 0;
}

static int request_show(struct client *c, int argc, char **argv)
{
	return act(c, argc, argv, "", NULL, "GET");
}

static int request_ack(struct client *c, int argc, char **argv)
{
	return act(c, argc, argv, "/ack", NULL, "POST");
}

static int request_answer(struct client *c, int argc, char **argv)
{
	const char *text = arg_value(argc, argv, "--text");
	if (!text) {
		fprintf(stderr,
			"usage: atalaya request answer ID --text TEXT [--attach REPORT]...\n");
		return 2;
	}
	return act(c, argc, argv, "/answers",
		   json_pack("{ss so}", "text", text, "attach", arg_values(argc, argv, "--attach")),
		   "POST");
}

static int request_offer(struct client *c, int argc, char **argv)
{
	const char *cap = arg_value(argc, argv, "--capability");
	const char *text = arg_value(argc, argv, "--text");
	if (!cap) {
		fprintf(stderr, "usage: atalaya request offer ID --capability C --text TEXT\n");
		return 2;
	}
	return act(c, argc, argv, "/offers",
		   json_pack("{ss ss}", "capability", cap, "text", text ? text : ""), "POST");
}

static int decide(struct client *c, int argc, char **argv, const char *what)
{
	const char *offer = arg_value(argc, argv, "--offer");
	char suffix[80];
	if (!offer || strspn(offer, "0123456789") != strlen(offer) || strlen(offer) > 18) {
		fprintf(stderr, "usage: atalaya request %s ID --offer N\n", what);
		return 2;
	}
	snprintf(suffix, sizeof(suffix), "/offers/%s/%s", offer, what);
	return act(c, argc, argv, suffix, NULL, "POST");
}

static int request_accept(struct client *c, int argc, char **argv)
{
	return decide(c, argc, argv, "accept");
}

static int request_decline(struct client *c, int argc, char **argv)
{
	return decide(c, argc, argv, "decline");
}

static int request_close(struct client *c, int argc, char **argv)
{
	const char *outcome = arg_value(argc, argv, "--outcome");
	const char *text = arg_value(argc, argv, "--text");
	if (!outcome) {
		fprintf(stderr,
			"usage: atalaya request close ID --outcome resolved|declined|expired\n");
		return 2;
	}
	json_t *body = json_pack("{ss}", "outcome", outcome);
	if (text)
		json_object_set_new(body, "text", json_string(text));
	return act(c, argc, argv, "/close", body, "POST");
}

static int request_stats(struct client *c, int argc, char **argv)
{
	return client_print(c, "GET", "/api/v1/requests/stats", NULL);
}

const struct cli_subcommand cli_request_subs[] = {
    {"open",
     "open --kind assistance|clarification|capacity --title T --deadline 48h --tlp TLP "
     "--audience LIST [--text T] [--priority P] [--report ID]... [--needs a,b] [--exercise]",
     "open a request; members of the audience whose capabilities fit --needs are told", 0, NULL,
     request_open},
    {"list", "list [--open] [--mine] [--overdue] [--json]", "requests you may see", 0, NULL,
     request_list},
    {"show", "show ID [--json]",
     "a request: thread, offers, history, times (and who saw it, for its originator)", 1, NULL,
     request_show},
    {"ack", "ack ID", "acknowledge a request: reminders and escalation stop for your member", 1,
     NULL, request_ack},
    {"answer", "answer ID --text T [--attach REPORT]...", "answer a request", 1, NULL,
     request_answer},
    {"offer", "offer ID --capability C --text T", "offer help on a request", 1, NULL,
     request_offer},
    {"accept", "accept ID --offer N", "accept an offer on your request", 1, NULL, request_accept},
    {"decline", "decline ID --offer N", "decline an offer on your request", 1, NULL,
     request_decline},
    {"close", "close ID --outcome resolved|declined|expired [--text T]", "close your request", 1,
     NULL, request_close},
    {"stats", "stats", "counts and times to respond (exercises excluded)", 0, NULL, request_stats},
    {0},
};

static int capabilities_set(struct client *c, int argc, char **argv)
{
	const char *list = arg_positional(argc, argv, 1);
	const char *m = arg_value(argc, argv, "--member");
	char path[80];
	snprintf(path, sizeof(path), "/api/v1/capabilities%s%.20s", m ? "?member=" : "",
		 m ? m : "");
	json_t *body = json_pack("{so}", "capabilities", split_list(list));
	int rc = client_print(c, "PUT", path, body);
	json_decref(body);
	return rc;
}

static int capabilities_show(struct client *c, int argc, char **argv)
{
	const char *m = arg_value(argc, argv, "--member");
	char path[80];
	snprintf(path, sizeof(path), "/api/v1/capabilities%s%.20s", m ? "?member=" : "",
		 m ? m : "");
	return client_print(c, "GET", path, NULL);
}

const struct cli_subcommand cli_capabilities_subs[] = {
    {"set", "set CAPABILITY,... [--member ID]",
     "replace what your member can offer (forensics,malware-analysis,training,...)", 1, NULL,
     capabilities_set},
    {"show", "show [--member ID]", "what a member can offer", 0, NULL, capabilities_show},
    {0},
};
