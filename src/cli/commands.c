/* The command table (git's commands[]): local commands run in-process;
 * remote ones talk to a running node through the API. Each entry carries its
 * own help (usage, options, an example) and its subcommand table (kept by the
 * command's file, beside its functions); the dispatcher runs a subcommand
 * from the same table that `atalaya help CMD`, `atalaya CMD [SUB] --help` and
 * the shell completion read. */
#include "cli/commands.h"

#include "cli/args.h"
#include "util/caps.h"
#include "cli/backup_cmds.h"
#include "cli/check_cmds.h"
#include "cli/profile_cmds.h"
#include "cli/client.h"
#include "serve.h"
#include "cli/directory_cmds.h"
#include "cli/federation_cmds.h"
#include "cli/report_cmds.h"
#include "cli/request_cmds.h"
#include "cli/warning_cmds.h"
#include "cli/spam_cmds.h"
#include "cli/taxii_cmds.h"
#include "cli/user_cmds.h"
#include "config/settings.h"
#include "routes.h"
#include "util/xalloc.h"

#include <curl/curl.h>
#include <sysexits.h>

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
	const struct route *r = routes_all(&n);
	for (size_t i = 0; i < n; i++)
		printf("%s %s\t%s\n", r[i].method, r[i].pattern, r[i].summary ? r[i].summary : "");
	return 0;
}

/* `atalaya config sample`: every setting, commented out with its default
 * (dist/atalaya.conf is this output); `config check|show` are in serve.c. */
static int config_sample(int argc, char **argv)
{
	config_print_sample(stdout);
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
	buf_init(&out, CAP_CLI_BODY);
	long status =
	    client_call(c, method, path, body, body ? strlen(body) : 0, "application/json", &out);
	if (out.len)
		printf("%s%s", out.data, out.data[out.len - 1] == '\n' ? "" : "\n");
	buf_release(&out);
	return status >= 200 && status < 300 ? 0 : 1;
}

typedef int (*remote_fn)(struct client *c, int argc, char **argv);

struct command {
	const char *name;
	int (*local)(int argc, char **argv);
	remote_fn remote;
	int setup_exit;	     /* exit code when no client can be set up (no token): 2 if 0 */
	const char *summary; /* one line in `atalaya help` */
	const char *usage;   /* after "atalaya ", when there are no subcommands */
	const char *about;
	const char *options; /* "  --flag ARG   text\n" lines */
	const char *example;
	const struct cli_subcommand *subs; /* ends with {0}; run instead of local/remote */
	const char *default_sub;	   /* run when no subcommand is named */
};

static const struct cli_subcommand config_subs[] = {
    {"check", "check [--data DIR | FILE]",
     "validate a config file (DATA/atalaya.conf with --data): names, values, bounds", 0,
     cmd_config_check, NULL},
    {"show", "show", "the settings table: name, type, default, bounds, help", 0, cmd_config_show,
     NULL},
    {"sample", "sample > atalaya.conf",
     "a config file listing every setting, commented out with its default", 0, config_sample, NULL},
    {0},
};

#define DATA_OPT "  --data DIR          the node's data directory\n"

static const struct command commands[] = {
    {"init", cmd_init, NULL, 0, "create a node (store, keys, admin token)",
     "init --data DIR --name NAME --country CC [--kind K] [--SETTING VALUE]...",
     "Creates a node in DIR: the SQLite store, the node's Ed25519 key (node.key) and the\n"
     "admin member with its token in DIR/admin.token (mode 0600; printed nowhere else).",
     DATA_OPT "  --name NAME         the node's name (also the admin member's)\n"
	      "  --country CC        ISO 3166-1 alpha-2 code of the node's country\n"
	      "  --kind K            the admin member's kind (default national-cert)\n",
     "atalaya init --data /var/lib/atalaya --name CERT-UY --country UY", NULL, NULL},
    {"serve", cmd_serve, NULL, 0, "run the daemon (HTTP API, DNS blocklist, alerts)",
     "serve --data DIR [--listen HOST:PORT] [--dns HOST:PORT --dnsbl-zone ZONE] "
     "[--SETTING VALUE]...",
     "Runs the node in the foreground, logging to stderr. Settings come from\n"
     "DIR/atalaya.conf, then from flags (--setting-name value; see `atalaya config show`).\n"
     "SIGTERM or SIGINT stop it cleanly. Started as root, it binds its ports, then runs as\n"
     "the user `atalaya` (setting user).",
     DATA_OPT "  --listen HOST:PORT  HTTP API address (default 127.0.0.1:8440)\n"
	      "  --dns HOST:PORT     serve the DNS blocklist there (setting dns_listen)\n"
	      "  --dnsbl-zone ZONE   the blocklist's zone, e.g. bl.example.org\n"
	      "  --public-url URL    the URL users reach the node at (alerts, DNS TXT)\n"
	      "  --tls-cert FILE --tls-key FILE   serve HTTPS\n",
     "atalaya serve --data /var/lib/atalaya --listen 127.0.0.1:8440", NULL, NULL},
    {"config", NULL, NULL, 0, "check a config file, list or sample the settings", NULL,
     "Settings are read from DATA/atalaya.conf (`name = value` lines, # comments), then\n"
     "from the command line of `serve` (--name value).",
     DATA_OPT, "atalaya config sample > /var/lib/atalaya/atalaya.conf", config_subs, NULL},
    {"backup", cmd_backup, NULL, 0, "copy a node's data, online and consistent",
     "backup --data DIR DEST",
     "Copies the store (SQLite online backup: the daemon keeps running and taking\n"
     "reports), the report files it references, the keys, tokens and atalaya.conf into\n"
     "DEST, a new or empty directory, then verifies the copy (integrity check, every\n"
     "report file present with its size and hash).",
     DATA_OPT, "atalaya backup --data /var/lib/atalaya /srv/backup/atalaya-$(date +%F)", NULL,
     NULL},
    {"restore", cmd_restore, NULL, 0, "restore a backup into an empty data directory",
     "restore --data DIR [--force] [--user USER] SRC",
     "Verifies the backup SRC, then copies it into DIR, which must be empty or absent\n"
     "(--force: replace what DIR holds). Refused while a daemon holds DIR (DIR/lock).\n"
     "Run as root, the restored files belong to the service user.",
     DATA_OPT "  --force             replace a non-empty data directory\n"
	      "  --user USER         as root: owner of the restored files (default: the user\n"
	      "                      serve runs as: setting user, else atalaya)\n",
     "atalaya restore --data /var/lib/atalaya /srv/backup/atalaya-2026-12-01", NULL, NULL},
    {"member", NULL, NULL, 0, "members: add, list, show, update, delete", NULL,
     "The members of the node: CERTs, points of contact, ISPs. Each has a role (admin,\n"
     "analyst, reader) and API tokens.",
     "  --name N --country CC --kind K --role R --language xx --ack-deadline SECONDS\n"
     "  --json              print JSON\n",
     "atalaya member add --name CERT.br --country BR --kind national-cert --role analyst",
     cli_member_subs, NULL},
    {"token", NULL, NULL, 0, "API tokens of a member: add, list, revoke", NULL,
     "API tokens: shown once when created, stored hashed, revoked at once.",
     "  --member ID         the member\n  --label L           a label for the token\n",
     "atalaya token add --member 2 --label ingest", cli_token_subs, NULL},
    {"user", NULL, NULL, 0, "people's accounts for the web interface: add, list, delete", NULL,
     "A person signs in to the web interface (/web) with an e-mail, a password (Argon2id)\n"
     "and a TOTP code. Accounts belong to a member, with its role or a lower one.",
     "  --member ID --email ADDRESS --role R --language xx\n"
     "  --password-file FILE  set the password (else an enrolment code is printed)\n",
     "atalaya user add --member 2 --email analyst@cert.br --role analyst", cli_user_subs, NULL},
    {"group", NULL, NULL, 0, "groups of members, used in audiences", NULL,
     "Named sets of members; an audience `group:ID` means its members.",
     "  --name N --description D --member ID\n",
     "atalaya group add --name LAC --member 2 --member 3", cli_group_subs, NULL},
    {"contacts", NULL, NULL, 0, "points of contact and their escalation order", NULL,
     "Points of contact of your member, each with its own audience; alerts go to them in\n"
     "escalation order (--position) until one acknowledges.",
     "  --role R --name N --email E --phone P --webhook URL --pgp FPR --language xx\n"
     "  --hours H --time-zone Z --24x7 --position N --audience LIST --member ID --json\n",
     "atalaya contacts add --role crisis --name \"Duty officer\" --email duty@cert.uy "
     "--audience all",
     cli_contacts_subs, "list"},
    {"report", NULL, NULL, 0, "incident reports: submit, list, show, bundle, audit", NULL,
     "Incident reports (STIX 2.1 bundles, IODEF documents) shared with the audience their\n"
     "sender chooses; the strictest TLP marking in a bundle is the report's.",
     "  --audience LIST     all, group:ID, member:ID, peer:ID, comma-separated\n"
     "  --content-type T    the file's media type (default from its name)\n"
     "  --since T --from MEMBER --tlp TLP --json   filters and output of list\n",
     "atalaya report submit examples/bundle.json --audience all", cli_report_subs, NULL},
    {"node", NULL, NULL, 0, "this node's identity: name, country, Ed25519 key", NULL,
     "The node's Ed25519 public key signs every report that leaves it; read its fingerprint\n"
     "out to a peer's admin, who pins the key with `atalaya peer add`.",
     "", "atalaya node show", cli_node_subs, "show"},
    {"peer", NULL, NULL, 0, "peer nodes (federation): add, list, show, sync, delete", NULL,
     "Peer nodes exchange reports whose audience names them (peer:ID), signed by their\n"
     "origin; each side adds the other with its key. Admin only.",
     "  --key ed25519:HEX   the peer's node key (from its `atalaya node show`)\n"
     "  --name NAME         the peer's name here\n"
     "  --audience LIST     who here sees what it sends: all, group:ID, member:ID\n"
     "  --tls-pin sha256//B64   the peer's TLS public key (https URLs)\n",
     "atalaya peer add https://cert.br.example:8440 --key ed25519:... --name CERT.br "
     "--audience group:1",
     cli_peer_subs, "list"},
    {"constituency", NULL, NULL, 0, "your networks, ASNs and domains (early warning)", NULL,
     "A report that touches your constituency and that you may see raises an alert.",
     "  --cidr NET --asn N --domain SUFFIX   repeatable\n  --member ID\n",
     "atalaya constituency set --cidr 198.51.100.0/24 --asn 64500 --domain gub.uy",
     cli_constituency_subs, NULL},
    {"lookup", NULL, cmd_lookup, 0, "what the visible reports say about a value",
     "lookup VALUE [--json] | lookup --batch [--json] < values.txt",
     "Reports naming an IP address, network, domain, URL or hash (or a network holding\n"
     "it) that you may see, with a score. --batch reads one value per line.",
     "  --batch             values from stdin, one per line\n  --json              print JSON\n",
     "atalaya lookup 198.51.100.7", NULL, NULL},
    {"alerts", NULL, NULL, 0, "early-warning alerts: list, show, ack", NULL,
     "Alerts raised for your member by reports touching its constituency.",
     "  --open              only alerts not acknowledged\n  --json              print JSON\n",
     "atalaya alerts list --open && atalaya alerts ack 1", cli_alerts_subs, NULL},
    {"check", NULL, NULL, 0, "communication checks: do the points of contact answer?", NULL,
     "Challenges points of contact at random times within a window, each with a one-time\n"
     "code sent through its own channels (webhook, e-mail); a challenge counts as answered\n"
     "only when the contact's member sends the code back with its API token. Without an\n"
     "answer in time, the member's next contact is challenged.",
     "  --contacts SPEC     all, group:ID or member:ID\n"
     "  --roles R[,R]       policy, technical, law-enforcement, crisis\n"
     "  --window D          spread of the challenges: 24h, 30m, 5s (0s: all at once)\n"
     "  --reply-within D    time to answer before escalation\n"
     "  --exercise          mark every message as an exercise\n"
     "  --audience LIST     who else sees every State's results (all, group:ID, member:ID)\n"
     "  --format F          csv or json (report)\n  --member ID         one State (list)\n"
     "  --json              print JSON\n",
     "atalaya check start --contacts all --roles crisis --window 24h --reply-within 2h",
     cli_check_subs, NULL},
    {"profile", NULL, NULL, 0, "national profiles: show, import, export, measures", NULL,
     "A member's national profile: strategy and policy documents, legislation, agencies,\n"
     "its points of contact and the confidence-building measures it implemented, each\n"
     "field and measure with its own scope (public, private or an audience).",
     "  --member ID         the profile to import into (yours, or any as admin)\n"
     "  --format F          json (default) or first (FIRST team information)\n"
     "  --scope S           public or private: the scope of imported FIRST teams\n",
     "atalaya profile import profile.json --member 2", cli_profile_subs, NULL},
    {"progress", NULL, cmd_progress, 0, "the progress report per State and measure",
     "progress [--format json|csv|html] [--since YYYY-MM-DD]",
     "Per State: the measures implemented and since when, the answer rate of communication\n"
     "checks and the median time to acknowledge alerts; only what you may see. HTML is one\n"
     "self-contained page.",
     "  --format F          json (default), csv or html\n"
     "  --since DATE        checks and alerts from this day on\n",
     "atalaya progress --format html --since 2026-01-01 > progress.html", NULL, NULL},
    {"request", NULL, NULL, 0, "requests for assistance, clarification, capacity", NULL,
     "Requests with a deadline, shared with the audience their originator chooses (TLP and\n"
     "audience, as reports). Members whose capabilities fit its needs are told through the\n"
     "alert channels; reminders escalate to the next contact of a member that has not\n"
     "acknowledged; a request is overdue from its deadline on.",
     "  --kind K --title T --text T --deadline 48h|RFC3339 --priority P --tlp TLP\n"
     "  --audience LIST     all, group:ID|NAME, member:ID, comma-separated\n"
     "  --report ID --needs a,b --exercise --attach ID --capability C --offer N\n"
     "  --outcome resolved|declined|expired --open --mine --overdue --json\n",
     "atalaya request open --kind assistance --title \"DDoS on gub.uy\" --deadline 48h "
     "--tlp amber --audience group:LAC --needs forensics",
     cli_request_subs, NULL},
    {"capabilities", NULL, NULL, 0, "what your member can offer to requests", NULL,
     "Capabilities (forensics, malware-analysis, training, legal-advice, ...) match your\n"
     "member to the requests that need them.",
     "  --member ID\n", "atalaya capabilities set forensics,malware-analysis,training",
     cli_capabilities_subs, NULL},
    {"taxii", NULL, NULL, 0, "TAXII 2.1 sources the node pulls from: add, list, pull", NULL,
     "Other TAXII 2.1 servers' collections, pulled into reports under the scope you give\n"
     "(admin). The node's own TAXII server is under /taxii2/ (docs/internals/taxii.md).",
     "  --collection ID     the source's collection id\n"
     "  --name NAME         the source's name here (default: the collection id)\n"
     "  --user U            HTTP Basic user, with --password-file\n"
     "  --password-file F   file holding the password (read by the daemon at each pull)\n"
     "  --source-token-file F  file holding the source's Bearer token instead (--token-file\n"
     "                      stays the token you use with this node)\n"
     "  --audience A        who sees what is pulled: all, group:ID,member:ID (default: us)\n"
     "  --every DURATION    pull on schedule: 15m, 2h, 1d (default: by hand only)\n",
     "atalaya taxii add-source https://cti.example.org/api1/ --collection 9ee8 "
     "--source-token-file t.txt --audience all --every 15m && atalaya taxii pull 9ee8",
     cli_taxii_subs, "sources"},
    {"ingest-mail", NULL, cmd_ingest_mail, EX_TEMPFAIL,
     "submit an abuse report from stdin (a Postfix/Exim pipe transport)",
     "ingest-mail [--timeout SECONDS] < MAIL",
     "Reads one mail (ARF, X-ARF, XARF abuse report) on stdin and submits it. Exit status,\n"
     "as sendmail's sysexits.h: 0 stored; 65 (EX_DATAERR) the mail is not a valid abuse\n"
     "report (the MTA bounces it); 75 (EX_TEMPFAIL) anything else: node unreachable,\n"
     "stalled past --timeout, overloaded, or a token missing, unreadable or refused (the\n"
     "MTA keeps the mail queued and retries; the message on stderr says what to fix).",
     "  --timeout SECONDS   give up on a node that does not answer (default 60)\n",
     "atalaya ingest-mail --token-file /etc/atalaya/ingest.token < examples/report.eml", NULL,
     NULL},
    {"reputation", NULL, cmd_reputation, 0, "listing and score of an IP address or domain",
     "reputation VALUE", "The spam reputation of a source, and its DNSBL listing.", "",
     "atalaya reputation 198.51.100.7", NULL, NULL},
    {"dnsbl", NULL, NULL, 0, "the DNS blocklist: list, delist, import, export", NULL,
     "Listings served over DNS (RFC 5782) with `serve --dns`.",
     "  --reason TEXT --code N --format F\n", "atalaya dnsbl import examples/zone.ip4set",
     cli_dnsbl_subs, NULL},
    {"export", NULL, cmd_export, 0, "the DNS blocklist, as an rbldnsd zone or CSV",
     "export --format rbldnsd|rbldnsd-ip6trie|rbldnsd-dnset|csv|plain > FILE",
     "Writes the DNS blocklist to stdout.", "  --format F          output format\n",
     "atalaya export --format rbldnsd > zone.ip4set", NULL, NULL},
    {"api", NULL, cmd_api, 0, "any API call, for scripts", "api METHOD PATH [JSON]",
     "Calls the API and prints the answer; exit 0 on a 2xx status, else 1.", "",
     "atalaya api GET /api/v1/members", NULL, NULL},
    {"routes", cmd_routes, NULL, 0, "every route the server answers", "routes",
     "Prints METHOD PATTERN and a summary per route.", "", "atalaya routes", NULL, NULL},
    {"version", cmd_version, NULL, 0, "print the version", "version", "Prints the version.", "",
     "atalaya version", NULL, NULL},
    {"help", cmd_help, NULL, 0, "help on a command", "help [COMMAND [SUBCOMMAND]]",
     "Without a command, lists them; `atalaya COMMAND [SUBCOMMAND] --help` is the same.", "",
     "atalaya help report submit", NULL, NULL},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static const struct cli_subcommand *find_sub(const struct command *cmd, const char *name)
{
	if (!name)
		return NULL;
	for (const struct cli_subcommand *s = cmd->subs; s && s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/* Edit distance, capped: for the "did you mean" hint. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];
	if (la >= 63 || lb >= 63)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

static int unknown_command(const char *name)
{
	const char *best = NULL;
	size_t bd = 3; /* suggest at distance 1 or 2, or a prefix */
	for (size_t i = 0; i < NCOMMANDS; i++) {
		size_t d = distance(name, commands[i].name);
		if (*name && !strncmp(commands[i].name, name, strlen(name)))
			d = 1;
		if (d < bd) {
			bd = d;
			best = commands[i].name;
		}
	}
	if (best)
		fprintf(stderr,
			"atalaya: '%s' is not a command; did you mean '%s'? See 'atalaya help'\n",
			name, best);
	else
		fprintf(stderr, "atalaya: '%s' is not a command; see 'atalaya help'\n", name);
	return 2;
}

/* Does the command talk to a node (with a client and its options)? */
static bool is_remote(const struct command *cmd)
{
	return cmd->remote || (cmd->subs && cmd->subs[0].remote);
}

static void print_connection_options(const struct command *cmd)
{
	if (!is_remote(cmd))
		return;
	printf(
	    "\nConnection (every command that talks to a node):\n"
	    "  --url URL           the node (or ATALAYA_URL; default http://127.0.0.1:8440)\n"
	    "  --token-file FILE   your API token (or ATALAYA_TOKEN_FILE, or the token itself\n"
	    "                      in ATALAYA_TOKEN)\n"
	    "  --cacert FILE       CA certificate for https with a private CA (ATALAYA_CACERT)\n");
}

static void print_command_help(const struct command *cmd, const struct cli_subcommand *sub)
{
	if (sub) {
		printf("usage: atalaya %s %s\n\n%s.\n", cmd->name, sub->usage, sub->about);
	} else if (cmd->subs && cmd->subs[0].name) {
		const char *lead = "usage:";
		for (const struct cli_subcommand *s = cmd->subs; s->name; s++, lead = "      ")
			printf("%s atalaya %s %s\n", lead, cmd->name, s->usage);
		printf("\n%s\n\nSubcommands:\n", cmd->about);
		for (const struct cli_subcommand *s = cmd->subs; s->name; s++)
			printf("  %-18s %s\n", s->name, s->about);
	} else {
		printf("usage: atalaya %s\n\n%s\n", cmd->usage ? cmd->usage : cmd->name,
		       cmd->about);
	}
	if (cmd->options && *cmd->options)
		printf("\nOptions:\n%s", cmd->options);
	print_connection_options(cmd);
	printf("\nExample:\n  %s\n", cmd->example);
}

/* `atalaya help --list [CMD]`: words for the shell completion (dist/atalaya.bash):
 * the commands, or a command's subcommands and flags. */
static int list_words(const char *name)
{
	if (!name) {
		for (size_t i = 0; i < NCOMMANDS; i++)
			printf("%s\n", commands[i].name);
		return 0;
	}
	const struct command *cmd = find_command(name);
	if (!cmd)
		return 2;
	for (const struct cli_subcommand *s = cmd->subs; s && s->name; s++)
		printf("%s\n", s->name);
	const char *texts[] = {cmd->usage, cmd->options};
	for (size_t t = 0; t < 2; t++) {
		for (const char *p = texts[t]; p && (p = strstr(p, "--"));) {
			size_t n = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
			if (n > 2)
				printf("%.*s\n", (int)n, p);
			p += n;
		}
	}
	if (is_remote(cmd))
		printf("--url\n--token-file\n--cacert\n");
	printf("--help\n");
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--list"))
		return list_words(argc >= 3 ? argv[2] : NULL);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		print_command_help(find_command("help"), NULL);
		return 0;
	}
	if (argc >= 2) {
		const struct command *cmd = find_command(argv[1]);
		if (!cmd)
			return unknown_command(argv[1]);
		const struct cli_subcommand *sub = argc >= 3 ? find_sub(cmd, argv[2]) : NULL;
		if (argc >= 3 && !sub) {
			fprintf(stderr,
				"atalaya: '%s' is not a subcommand of %s; see 'atalaya help %s'\n",
				argv[2], cmd->name, cmd->name);
			return 2;
		}
		print_command_help(cmd, sub);
		return 0;
	}
	printf("usage: atalaya COMMAND [ARGS]\n\n"
	       "atalaya: a cooperation node for national cyber-security teams\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		printf("  %-14s %s\n", commands[i].name, commands[i].summary);
	printf("\n`atalaya help COMMAND` (or `atalaya COMMAND --help`) describes a command.\n"
	       "Commands that talk to a node take --url URL (or ATALAYA_URL; default\n"
	       "http://127.0.0.1:8440) and --token-file FILE (or ATALAYA_TOKEN_FILE, or the\n"
	       "token itself in ATALAYA_TOKEN). `atalaya config show` lists every setting.\n");
	return 0;
}

/* `atalaya CMD [SUB] ... --help`: true (help printed) when argv asks for it. */
static bool asked_help(const struct command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") && strcmp(argv[i], "-h"))
			continue;
		const struct cli_subcommand *sub = argc > 2 ? find_sub(cmd, argv[1]) : NULL;
		print_command_help(cmd, sub);
		return true;
	}
	return false;
}

/* Runs a command's subcommand named by the first positional argument (or its
 * default): usage from the table, exit 2, when there is none or it lacks its
 * arguments. `c` is NULL for local commands. */
static int run_sub(const struct command *cmd, struct client *c, int argc, char **argv)
{
	const char *name = arg_positional(argc, argv, 0);
	const struct cli_subcommand *sub = find_sub(cmd, name ? name : cmd->default_sub);
	if (!sub) {
		const char *lead = "usage:";
		for (const struct cli_subcommand *s = cmd->subs; s->name; s++, lead = "      ")
			fprintf(stderr, "%s atalaya %s %s\n", lead, cmd->name, s->usage);
		return 2;
	}
	if (sub->nargs && !arg_positional(argc, argv, sub->nargs)) {
		fprintf(stderr, "usage: atalaya %s %s\n", cmd->name, sub->usage);
		return 2;
	}
	return c ? sub->remote(c, argc, argv) : sub->local(argc, argv);
}

int cli_dispatch(int argc, char **argv)
{
	if (argc < 2) {
		cmd_help(1, argv);
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		name = "help";
	if (!strcmp(name, "--version"))
		name = "version";
	const struct command *cmd = find_command(name);
	if (!cmd)
		return unknown_command(name);
	if (cmd->local != cmd_help && asked_help(cmd, argc - 1, argv + 1))
		return 0;
	if (!is_remote(cmd))
		return cmd->subs ? run_sub(cmd, NULL, argc - 1, argv + 1)
				 : cmd->local(argc - 1, argv + 1);
	struct client c;
	int sub_argc = argc - 1, rc;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!client_init(&c, &sub_argc, argv + 1, true)) {
		client_release(&c);
		curl_global_cleanup();
		return cmd->setup_exit ? cmd->setup_exit : 2;
	}
	rc = cmd->subs ? run_sub(cmd, &c, sub_argc, argv + 1) : cmd->remote(&c, sub_argc, argv + 1);
	client_release(&c);
	curl_global_cleanup();
	return rc;
}
