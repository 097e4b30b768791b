/* The subcommand table (git's commands[]): local commands run in-process;
 * remote ones talk to a running node through the API. */
#include "cli/commands.h"

#include "cli/args.h"
#include "cli/client.h"
#include "cli/daemon.h"
#include "cli/directory_cmds.h"
#include "cli/report_cmds.h"
#include "cli/warning_cmds.h"
#include "cli/spam_cmds.h"
#include "http/router.h"
#include "util/xalloc.h"

#include <curl/curl.h>

static int cmd_help(int argc, char **argv);

static int cmd_version(int argc, char **argv)
{
	printf("atalaya 0.1.0\n");
	return 0;
}

/* Prints every route the server answers: "METHOD PATTERN summary". */
static int cmd_routes(int argc, char **argv)
{
	size_t n;
	const struct route *r = router_routes(&n);
	for (size_t i = 0; i < n; i++)
		printf("%s %s\t%s\n", r[i].method, r[i].pattern, r[i].summary ? r[i].summary : "");
	return 0;
}

/* `atalaya api METHOD PATH [BODY|@FILE]`: any API call, for scripts. */
static int cmd_api(struct client *c, int argc, char **argv)
{
	const char *method = arg_positional(argc, argv, 0), *path = arg_positional(argc, argv, 1);
	const char *body = arg_positional(argc, argv, 2);
	if (!method || !path) {
		fprintf(stderr, "usage: atalaya api METHOD PATH [JSON]\n");
		return 2;
	}
	struct buf out;
	buf_init(&out, (size_t)1 << 34);
	long status = client_call(c, method, path, body, body ? strlen(body) : 0,
				  "application/json", &out);
	if (out.len)
		printf("%s%s", out.data, out.data[out.len - 1] == '\n' ? "" : "\n");
	buf_release(&out);
	return status >= 200 && status < 300 ? 0 : 1;
}

typedef int (*remote_fn)(struct client *c, int argc, char **argv);

static const struct {
	const char *name;
	int (*local)(int argc, char **argv);
	remote_fn remote;
	const char *help;
} commands[] = {
	{"init", cmd_init, NULL, "init --data DIR --name NAME --country CC   create a node"},
	{"serve", cmd_serve, NULL, "serve --data DIR [--listen H:P] [--SETTING V]   run the daemon"},
	{"config", cmd_config, NULL, "config check [--data DIR | FILE] | config show"},
	{"member", NULL, cmd_member, "member add|list|show|update|delete"},
	{"token", NULL, cmd_token, "token add|list|revoke --member ID"},
	{"group", NULL, cmd_group, "group add|list|show|set-members|delete"},
	{"contacts", NULL, cmd_contacts, "contacts list|add|show|update|delete"},
	{"report", NULL, cmd_report, "report submit|list|show|bundle|audit"},
	{"constituency", NULL, cmd_constituency,
	 "constituency set --cidr NET --asn N --domain SUFFIX | show | overlaps"},
	{"lookup", NULL, cmd_lookup, "lookup VALUE | lookup --batch < values.txt"},
	{"alerts", NULL, cmd_alerts, "alerts list [--open] | show ID | ack ID | secret"},
	{"ingest-mail", NULL, cmd_ingest_mail, "ingest-mail < MAIL   submit an abuse report (pipe transport: exit 0, 65, 75)"},
	{"reputation", NULL, cmd_reputation, "reputation VALUE   listing and score of an IP or domain"},
	{"dnsbl", NULL, cmd_dnsbl, "dnsbl list|delist VALUE --reason R | import FILE [--format F] | request-delisting"},
	{"export", NULL, cmd_export, "export --format rbldnsd|csv > FILE   the DNS blocklist"},
	{"api", NULL, cmd_api, "api METHOD PATH [JSON]   any API call"},
	{"routes", cmd_routes, NULL, "routes   every route the server answers"},
	{"version", cmd_version, NULL, "version"},
	{"help", cmd_help, NULL, "help"},
};

static int cmd_help(int argc, char **argv)
{
	printf("atalaya: a cooperation node for national cyber-security teams\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  atalaya %s\n", commands[i].help);
	printf("\nCommands that talk to a node take --url URL (or ATALAYA_URL; default\n"
	       "http://127.0.0.1:8440) and --token-file FILE (or ATALAYA_TOKEN_FILE, or the\n"
	       "token itself in ATALAYA_TOKEN). `atalaya config show` lists every setting.\n");
	return 0;
}

int cli_dispatch(int argc, char **argv)
{
	if (argc < 2)
		return cmd_help(argc, argv) ? 1 : 2;
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		name = "help";
	if (!strcmp(name, "--version"))
		name = "version";
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name))
			continue;
		if (commands[i].local)
			return commands[i].local(argc - 1, argv + 1);
		struct client c;
		int sub_argc = argc - 1, rc;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		if (!client_init(&c, &sub_argc, argv + 1, true)) {
			client_release(&c);
			curl_global_cleanup();
			return 2;
		}
		rc = commands[i].remote(&c, sub_argc, argv + 1);
		client_release(&c);
		curl_global_cleanup();
		return rc;
	}
	fprintf(stderr, "atalaya: '%s' is not a command; see 'atalaya help'\n", name);
	return 2;
}
