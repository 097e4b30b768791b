/* `atalaya ingest-mail`, `atalaya reputation`, `atalaya dnsbl ...` and
 * `atalaya export --format rbldnsd|csv`: the anti-spam commands (issue 8). */
#include "cli/spam_cmds.h"

#include "cli/args.h"
#include "util/caps.h"
#include "util/err.h"

#include <curl/curl.h>
#include <sysexits.h>

enum { MAIL_MAX = 4 << 20, INGEST_TIMEOUT_DEFAULT = 60 /* seconds */ };

/* Reads all of f into b. ERR_OK, ERR_TOO_LARGE or ERR_IO. */
static int slurp(FILE *f, struct buf *b)
{
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n))
			return ERR_TOO_LARGE;
	return ferror(f) ? ERR_IO : ERR_OK;
}

/* A mail on stdin, for a Postfix/Exim pipe transport: exit 0 when the node
 * stored it, 65 (EX_DATAERR: the MTA bounces the mail) only when the node
 * says the mail itself is not a valid abuse report, and 75 (EX_TEMPFAIL: the
 * MTA keeps it queued and retries) for everything else: node unreachable or
 * stalled past the timeout, overloaded, a token missing (the dispatcher exits
 * 75 then too) or refused. A refused token is a configuration problem of
 * ours: bouncing would send the reporter our error. 75 rather than 78
 * (EX_CONFIG) because Exim's pipe transport defers only on 75 and 73 by
 * default. */
int cmd_ingest_mail(struct client *c, int argc, char **argv)
{
	struct buf in, out;
	int rc;
	buf_init(&in, MAIL_MAX);
	buf_init(&out, CAP_CLI_REPLY);
	if (c->timeout < 0)
		c->timeout = INGEST_TIMEOUT_DEFAULT;
	if ((rc = slurp(stdin, &in))) {
		fprintf(stderr, "atalaya ingest-mail: %s\n",
			rc == ERR_TOO_LARGE ? "the mail is larger than 4 MiB" : strerror(errno));
		rc = rc == ERR_TOO_LARGE ? EX_DATAERR : EX_TEMPFAIL;
		goto out;
	}
	const char *ct = in.len && in.data[0] == '{' ? "application/json" : "message/rfc822";
	long status = client_call(c, "POST", "/api/v1/spam-reports", in.data ? in.data : "", in.len,
				  ct, &out);
	if (status == 201) {
		json_t *res = json_loadb(out.data, out.len, 0, NULL);
		json_t *rep = json_object_get(res, "reputation");
		printf("abuse report %" JSON_INTEGER_FORMAT " stored (%s, %s)",
		       json_integer_value(json_object_get(res, "id")),
		       json_string_value(json_object_get(res, "format")),
		       json_string_value(json_object_get(res, "category")));
		if (json_is_object(rep))
			printf(": source %s score %.3f%s",
			       json_string_value(json_object_get(rep, "source")),
			       json_number_value(json_object_get(rep, "score")),
			       json_is_true(json_object_get(rep, "listed")) ? " (listed)" : "");
		printf("\n");
		json_decref(res);
		rc = EX_OK;
	} else {
		if (status)
			client_print_error(status, &out);
		/* the report itself is bad: 400 (not JSON), 413 (too large), 422 */
		bool bad_report = status == 400 || status == 413 || status == 422;
		if (status == 401 || status == 403)
			fprintf(stderr,
				"atalaya ingest-mail: the node refused the token (%ld): the mail "
				"stays queued until the token is fixed\n",
				status);
		else if (!bad_report)
			fprintf(stderr,
				"atalaya ingest-mail: not stored (%s): the mail stays queued\n",
				status ? "the node answered an error" : "no answer from the node");
		rc = bad_report ? EX_DATAERR : EX_TEMPFAIL;
	}
out:
	buf_release(&in);
	buf_release(&out);
	return rc;
}

static char *escaped_path(const char *fmt, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0);
	size_t n = strlen(fmt) + strlen(esc) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, fmt, esc);
	curl_free(esc);
	return p;
}

int cmd_reputation(struct client *c, int argc, char **argv)
{
	const char *value = arg_positional(argc, argv, 0);
	if (!value) {
		fprintf(stderr, "usage: atalaya reputation VALUE   (an IP address or a domain)\n");
		return 2;
	}
	char *path = escaped_path("/api/v1/reputation?value=%s", value);
	json_t *res = path ? client_json(c, "GET", path, NULL) : NULL;
	free(path);
	if (!res)
		return 1;
	json_t *l = json_object_get(res, "listing");
	printf("%s: %s", json_string_value(json_object_get(res, "value")),
	       json_is_true(json_object_get(res, "listed")) ? "listed" : "not listed");
	if (json_is_true(json_object_get(res, "listed")))
		printf(" (%s, %s)", json_string_value(json_object_get(res, "answer")),
		       json_string_value(json_object_get(res, "reason")));
	printf("\n");
	if (json_is_number(json_object_get(res, "score")))
		printf(
		    "  score %.4f from %" JSON_INTEGER_FORMAT " reports by %" JSON_INTEGER_FORMAT
		    " members (source key %s; listed at %.2f, delisted below %.2f)\n",
		    json_number_value(json_object_get(res, "score")),
		    json_integer_value(json_object_get(res, "reports")),
		    json_integer_value(json_object_get(res, "reporters")),
		    json_string_value(json_object_get(res, "source_key")),
		    json_number_value(json_object_get(json_object_get(res, "thresholds"), "list")),
		    json_number_value(
			json_object_get(json_object_get(res, "thresholds"), "delist")));
	if (json_is_object(l))
		printf("  listing: %s since %s, expires %s\n",
		       json_string_value(json_object_get(l, "source")),
		       json_string_value(json_object_get(l, "listed_at")),
		       json_is_string(json_object_get(l, "expires"))
			   ? json_string_value(json_object_get(l, "expires"))
			   : "never");
	json_decref(res);
	return 0;
}

static int import_file(struct client *c, int argc, char **argv)
{
	const char *file = arg_positional(argc, argv, 1), *fmt = arg_value(argc, argv, "--format");
	if (!fmt) { /* guess from the name, else one value per line */
		static const char *const ext[] = {"ip4set", "ip6trie", "dnset", "csv", NULL};
		fmt = "plain";
		for (int i = 0; ext[i]; i++)
			if (strstr(file, ext[i]))
				fmt = ext[i];
	}
	FILE *f = !strcmp(file, "-") ? stdin : fopen(file, "rb");
	if (!f) {
		fprintf(stderr, "atalaya: cannot read %s: %s\n", file, strerror(errno));
		return 1;
	}
	struct buf in, out;
	buf_init(&in, CAP_CLI_BODY);
	buf_init(&out, CAP_CLI_REPLY);
	int rc = slurp(f, &in);
	if (f != stdin)
		fclose(f);
	if (rc) {
		fprintf(stderr, "atalaya: cannot read %s\n", file);
		rc = 1;
		goto out;
	}
	char *path = escaped_path("/api/v1/dnsbl/import?format=%s", fmt);
	long status =
	    client_call(c, "POST", path, in.data ? in.data : "", in.len, "text/plain", &out);
	free(path);
	if (status == 200) {
		json_t *res = json_loadb(out.data, out.len, 0, NULL);
		printf("imported %" JSON_INTEGER_FORMAT
		       " entries (%s) in %.2f s; %" JSON_INTEGER_FORMAT " in the DNS set\n",
		       json_integer_value(json_object_get(res, "imported")),
		       json_string_value(json_object_get(res, "format")),
		       json_number_value(json_object_get(res, "seconds")),
		       json_integer_value(json_object_get(res, "listed")));
		json_decref(res);
		rc = 0;
	} else {
		client_print_error(status, &out);
		rc = 1;
	}
out:
	buf_release(&in);
	buf_release(&out);
	return rc;
}

static int list_or_delist(struct client *c, int argc, char **argv, bool list)
{
	const char *value = arg_positional(argc, argv, 1),
		   *reason = arg_value(argc, argv, "--reason");
	const char *code = arg_value(argc, argv, "--code");
	if (!reason) {
		fprintf(stderr, "atalaya: --reason TEXT is required\n");
		return 2;
	}
	json_t *body = json_pack("{ss ss}", "value", value, "reason", reason);
	if (code)
		json_object_set_new(body, "code", json_integer(strtol(code, NULL, 10)));
	json_t *res =
	    client_json(c, "POST", list ? "/api/v1/dnsbl/listings" : "/api/v1/dnsbl/delist", body);
	json_decref(body);
	if (!res)
		return 1;
	printf("%s %s\n", json_string_value(json_object_get(res, "value")),
	       json_is_true(json_object_get(res, "listed")) ? "listed" : "delisted");
	json_decref(res);
	return 0;
}

static int request_delisting(struct client *c, int argc, char **argv)
{
	const char *value = arg_positional(argc, argv, 1),
		   *reason = arg_value(argc, argv, "--reason");
	if (!reason) {
		fprintf(stderr, "atalaya: --reason TEXT is required\n");
		return 2;
	}
	json_t *body = json_pack("{ss ss}", "value", value, "reason", reason);
	json_t *res = client_json(c, "POST", "/api/v1/dnsbl/delisting-requests", body);
	json_decref(body);
	if (!res)
		return 1;
	printf("delisting request %" JSON_INTEGER_FORMAT
	       " recorded (%s); an administrator decides\n",
	       json_integer_value(json_object_get(res, "id")),
	       json_string_value(json_object_get(res, "outcome")));
	json_decref(res);
	return 0;
}

/* `atalaya export --format rbldnsd|rbldnsd-ip6trie|rbldnsd-dnset|csv` to stdout */
int cmd_export(struct client *c, int argc, char **argv)
{
	const char *fmt = arg_value(argc, argv, "--format");
	if (!fmt) {
		fprintf(stderr,
			"usage: atalaya export --format rbldnsd|rbldnsd-ip6trie|rbldnsd-dnset|"
			"csv|plain > FILE\n");
		return 2;
	}
	struct buf out;
	buf_init(&out, CAP_CLI_BODY);
	char *path = escaped_path("/api/v1/dnsbl/export?format=%s", fmt);
	long status = client_call(c, "GET", path, NULL, 0, NULL, &out);
	free(path);
	int rc = 0;
	if (status == 200) {
		if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
			rc = 1;
	} else {
		client_print_error(status, &out);
		rc = 1;
	}
	buf_release(&out);
	return rc;
}

static int dnsbl_list(struct client *c, int argc, char **argv)
{
	return list_or_delist(c, argc, argv, true);
}

static int dnsbl_delist(struct client *c, int argc, char **argv)
{
	return list_or_delist(c, argc, argv, false);
}

const struct cli_subcommand cli_dnsbl_subs[] = {
    {"list", "list VALUE --reason TEXT [--code 2..254]", "list an address or domain (admin)", 1,
     NULL, dnsbl_list},
    {"delist", "delist VALUE --reason TEXT", "remove a listing (admin)", 1, NULL, dnsbl_delist},
    {"import", "import FILE [--format ip4set|ip6trie|dnset|csv|plain]",
     "bulk load listings, e.g. an rbldnsd zone file (admin; FILE - is stdin)", 1, NULL,
     import_file},
    {"request-delisting", "request-delisting VALUE --reason TEXT",
     "ask the administrators to delist a value", 1, NULL, request_delisting},
    {"export", "export --format rbldnsd|rbldnsd-ip6trie|rbldnsd-dnset|csv|plain",
     "the DNS blocklist, to stdout", 0, NULL, cmd_export},
    {0},
};
