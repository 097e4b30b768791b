/* `atalaya check start|status|report|answer|list`: communication checks
 * through the API (src/check). */
#include "cli/check_cmds.h"

#include "cli/args.h"
#include "util/caps.h"
#include "util/xalloc.h"

#include <curl/curl.h>

static int check_start(struct client *c, int argc, char **argv)
{
	const char *contacts = arg_value(argc, argv, "--contacts");
	const char *roles = arg_value(argc, argv, "--roles");
	const char *window = arg_value(argc, argv, "--window");
	const char *reply = arg_value(argc, argv, "--reply-within");
	const char *aud = arg_value(argc, argv, "--audience");
	if (!contacts || !roles || !window || !reply) {
		fprintf(stderr, "usage: atalaya check start --contacts all|group:ID|member:ID "
				"--roles R[,R] --window 24h --reply-within 2h [--exercise] "
				"[--audience LIST]\n");
		return 2;
	}
	json_t *rl = json_array(), *al = json_array();
	char *copy = xstrdup(roles), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(rl, json_string(t));
	free(copy);
	if (aud) {
		copy = xstrdup(aud);
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(al, json_string(t));
		free(copy);
	}
	json_t *body = json_pack("{ss so ss ss sb so}", "contacts", contacts, "roles", rl, "window",
				 window, "reply_within", reply, "exercise",
				 arg_flag(argc, argv, "--exercise"), "audience", al);
	json_t *res = client_json(c, "POST", "/api/v1/checks", body);
	json_decref(body);
	if (!res)
		return 1;
	if (arg_flag(argc, argv, "--json"))
		print_json(res);
	else
		printf(
		    "check %" JSON_INTEGER_FORMAT " started: %" JSON_INTEGER_FORMAT " contacts%s\n",
		    json_integer_value(json_object_get(res, "id")),
		    json_integer_value(json_object_get(json_object_get(res, "overall"), "targets")),
		    json_is_true(json_object_get(res, "exercise")) ? " (exercise)" : "");
	json_decref(res);
	return 0;
}

static void print_ms(json_t *v)
{
	if (json_is_integer(v))
		printf(" %9.1f", (double)json_integer_value(v) / 1000.0);
	else
		printf(" %9s", "-");
}

static void print_row(const char *who, json_t *o)
{
	double share = json_real_value(json_object_get(o, "answered_share"));
	printf("%-28.28s %7" JSON_INTEGER_FORMAT " %7" JSON_INTEGER_FORMAT " %8" JSON_INTEGER_FORMAT
	       " %5.0f%% %9" JSON_INTEGER_FORMAT " %9" JSON_INTEGER_FORMAT
	       " %7" JSON_INTEGER_FORMAT,
	       who, json_integer_value(json_object_get(o, "targets")),
	       json_integer_value(json_object_get(o, "reached")),
	       json_integer_value(json_object_get(o, "answered")), share * 100,
	       json_integer_value(json_object_get(o, "escalated")),
	       json_integer_value(json_object_get(o, "no_answer")),
	       json_integer_value(json_object_get(o, "bounced")));
	print_ms(json_object_get(o, "p50_ms"));
	print_ms(json_object_get(o, "p95_ms"));
	printf("\n");
}

static int check_status(struct client *c, int argc, char **argv)
{
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/checks/%.40s", arg_positional(argc, argv, 1));
	json_t *res = client_json(c, "GET", path, NULL);
	if (!res)
		return 1;
	if (arg_flag(argc, argv, "--json")) {
		print_json(res);
		json_decref(res);
		return 0;
	}
	printf("check %" JSON_INTEGER_FORMAT " (%s%s), contacts %s, started %s\n",
	       json_integer_value(json_object_get(res, "id")),
	       json_string_value(json_object_get(res, "state")),
	       json_is_true(json_object_get(res, "exercise")) ? ", exercise" : "",
	       json_string_value(json_object_get(res, "contacts")),
	       json_string_value(json_object_get(res, "created")));
	printf("%-28s %7s %7s %8s %6s %9s %9s %7s %9s %9s\n", "State", "targets", "reached",
	       "answered", "share", "escalated", "no answer", "bounced", "p50 s", "p95 s");
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(res, "states"), i, st)
	{
		char who[64];
		snprintf(who, sizeof(who), "%s %s",
			 json_string_value(json_object_get(st, "country")),
			 json_string_value(json_object_get(st, "name")));
		print_row(who, st);
	}
	print_row("overall", json_object_get(res, "overall"));
	json_decref(res);
	return 0;
}

static int check_report(struct client *c, int argc, char **argv)
{
	const char *fmt = arg_value(argc, argv, "--format");
	char path[160];
	struct buf out;
	snprintf(path, sizeof(path), "/api/v1/checks/%.40s/report?format=%.8s",
		 arg_positional(argc, argv, 1), fmt ? fmt : "json");
	buf_init(&out, CAP_CLI_BODY);
	long status = client_call(c, "GET", path, NULL, 0, NULL, &out);
	if (status != 200) {
		client_print_error(status, &out);
		buf_release(&out);
		return 1;
	}
	fwrite(out.data, 1, out.len, stdout);
	if (out.len && out.data[out.len - 1] != '\n')
		putchar('\n');
	buf_release(&out);
	return 0;
}

static int check_answer(struct client *c, int argc, char **argv)
{
	json_t *body = json_pack("{ss}", "code", arg_positional(argc, argv, 1));
	json_t *res = client_json(c, "POST", "/api/v1/checks/answer", body);
	json_decref(body);
	if (!res)
		return 1;
	printf("check %" JSON_INTEGER_FORMAT ": %s after %.1f s\n",
	       json_integer_value(json_object_get(res, "check")),
	       json_is_true(json_object_get(res, "already_answered")) ? "already answered"
								      : "answered",
	       (double)json_integer_value(json_object_get(res, "time_to_answer_ms")) / 1000.0);
	json_decref(res);
	return 0;
}

static int check_list(struct client *c, int argc, char **argv)
{
	const char *m = arg_value(argc, argv, "--member");
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/checks?limit=1000%s%.20s", m ? "&member=" : "",
		 m ? m : "");
	json_t *res = client_json(c, "GET", path, NULL);
	if (!res)
		return 1;
	if (arg_flag(argc, argv, "--json")) {
		print_json(json_object_get(res, "items"));
		json_decref(res);
		return 0;
	}
	printf("%-28s %7s %7s %8s %6s %9s %9s %7s %9s %9s\n", "check", "targets", "reached",
	       "answered", "share", "escalated", "no answer", "bounced", "p50 s", "p95 s");
	size_t i;
	json_t *k;
	json_array_foreach(json_object_get(res, "items"), i, k)
	{
		char who[64];
		snprintf(who, sizeof(who), "%" JSON_INTEGER_FORMAT " %.10s%s",
			 json_integer_value(json_object_get(k, "id")),
			 json_string_value(json_object_get(k, "created")),
			 json_is_true(json_object_get(k, "exercise")) ? " exercise" : "");
		print_row(who, m ? json_object_get(k, "member") : json_object_get(k, "overall"));
	}
	json_decref(res);
	return 0;
}

const struct cli_subcommand cli_check_subs[] = {
    {"start",
     "start --contacts all|group:ID|member:ID --roles R[,R] --window 24h --reply-within 2h "
     "[--exercise] [--audience LIST]",
     "challenge the contacts at random times within the window (admin)", 0, NULL, check_start},
    {"status", "status ID [--json]",
     "per State: reached, answered, escalated, no answer, time to answer", 1, NULL, check_status},
    {"report", "report ID [--format csv|json]", "a check's figures per State and overall", 1, NULL,
     check_report},
    {"answer", "answer CODE", "answer a challenge of your member (with your token)", 1, NULL,
     check_answer},
    {"list", "list [--member ID] [--json]", "checks, or one State's history across checks", 0, NULL,
     check_list},
    {0},
};
