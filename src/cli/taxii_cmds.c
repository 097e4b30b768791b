/* `atalaya taxii ...`: the sources a node pulls TAXII 2.1 collections from
 * (the daemon does the pulling: src/taxii/source.c). */
#include "cli/taxii_cmds.h"

#include "cli/args.h"
#include "util/caps.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdlib.h>

/* "15m", "2h", "1d", "90s" or plain seconds; -1 when it is none of them. */
static int64_t parse_every(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);
	if (end == s || n < 0)
		return -1;
	int64_t mult = !*end		   ? 1
		       : !strcmp(end, "s") ? 1
		       : !strcmp(end, "m") ? 60
		       : !strcmp(end, "h") ? 3600
		       : !strcmp(end, "d") ? 86400
					   : -1;
	return mult < 0 || n > 31 * 86400 ? -1 : n * mult;
}

static int add_source(struct client *c, int argc, char **argv)
{
	const char *url = arg_positional(argc, argv, 1),
		   *coll = arg_value(argc, argv, "--collection");
	const char *name = arg_value(argc, argv, "--name"),
		   *every = arg_value(argc, argv, "--every");
	const char *files[2] = {arg_value(argc, argv, "--password-file"),
				arg_value(argc, argv, "--source-token-file")};
	const char *keys[2] = {"password_file", "token_file"};
	if (!url || !coll) {
		fprintf(stderr,
			"usage: atalaya taxii add-source URL --collection ID [--name NAME] "
			"[--user U --password-file F | --source-token-file F] [--audience A] "
			"[--every 15m]\n");
		return 2;
	}
	json_t *body =
	    json_pack("{ss ss ss}", "name", name ? name : coll, "url", url, "collection", coll);
	if (arg_value(argc, argv, "--user"))
		json_object_set_new(body, "username", json_string(arg_value(argc, argv, "--user")));
	if (arg_value(argc, argv, "--audience"))
		json_object_set_new(body, "audience",
				    json_string(arg_value(argc, argv, "--audience")));
	for (int i = 0; i < 2; i++) {
		if (!files[i])
			continue;
		char real[PATH_MAX]; /* the daemon reads the file: it needs the whole path */
		if (!realpath(files[i], real)) {
			fprintf(stderr, "%s: %s\n", files[i], strerror(errno));
			json_decref(body);
			return 1;
		}
		json_object_set_new(body, keys[i], json_string(real));
	}
	if (every) {
		int64_t s = parse_every(every);
		if (s < 0) {
			fprintf(stderr, "--every: '%s' is not a duration such as 15m, 2h or 1d\n",
				every);
			json_decref(body);
			return 2;
		}
		json_object_set_new(body, "every_seconds", json_integer(s));
	}
	json_t *res = client_json(c, "POST", "/api/v1/taxii/sources", body);
	json_decref(body);
	if (!res)
		return 1;
	printf("source %s: %s collection %s, shared with %s%s\n",
	       json_string_value(json_object_get(res, "name")),
	       json_string_value(json_object_get(res, "url")),
	       json_string_value(json_object_get(res, "collection")),
	       json_array_size(json_object_get(res, "audience")) ? "the audience given"
								 : "your member only",
	       every ? ", pulled on schedule" : "; pull it with atalaya taxii pull NAME");
	json_decref(res);
	return 0;
}

static int list_sources(struct client *c, int argc, char **argv)
{
	json_t *res = client_json(c, "GET", "/api/v1/taxii/sources", NULL);
	if (!res)
		return 1;
	if (arg_flag(argc, argv, "--json")) {
		print_json(json_object_get(res, "items"));
		json_decref(res);
		return 0;
	}
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(res, "items"), i, s)
	{
		json_t *err = json_object_get(s, "last_error"),
		       *after = json_object_get(s, "added_after");
		printf("%s\t%s collection %s\tevery %" JSON_INTEGER_FORMAT
		       "s\tpulled %" JSON_INTEGER_FORMAT "\tadded_after %s%s%s\n",
		       json_string_value(json_object_get(s, "name")),
		       json_string_value(json_object_get(s, "url")),
		       json_string_value(json_object_get(s, "collection")),
		       json_integer_value(json_object_get(s, "every_seconds")),
		       json_integer_value(json_object_get(s, "pulled")),
		       json_is_string(after) ? json_string_value(after) : "-",
		       json_is_string(err) ? "\terror: " : "",
		       json_is_string(err) ? json_string_value(err) : "");
	}
	json_decref(res);
	return 0;
}

static int pull(struct client *c, int argc, char **argv)
{
	const char *name = arg_positional(argc, argv, 1);
	char *esc = curl_easy_escape(NULL, name, 0);
	char path[512];
	struct buf out;
	snprintf(path, sizeof(path), "/api/v1/taxii/sources/%s/pull", esc);
	curl_free(esc);
	buf_init(&out, CAP_CLI_BODY);
	fprintf(stderr, "pulling %s...\n", name);
	long status = client_call(c, "POST", path, "{}", 2, "application/json", &out);
	json_t *res = status == 200 || status == 502 ? json_loads(out.data, 0, NULL) : NULL;
	if (!res) {
		client_print_error(status, &out);
		buf_release(&out);
		return 1;
	}
	json_t *after = json_object_get(res, "added_after");
	printf("%s: %" JSON_INTEGER_FORMAT " objects in %" JSON_INTEGER_FORMAT
	       " pages, stored as %" JSON_INTEGER_FORMAT " reports; next pull from %s\n",
	       name, json_integer_value(json_object_get(res, "objects")),
	       json_integer_value(json_object_get(res, "pages")),
	       json_integer_value(json_object_get(res, "reports")),
	       json_is_string(after) ? json_string_value(after) : "the start");
	json_t *err = json_object_get(json_object_get(res, "error"), "message");
	if (err)
		fprintf(stderr, "error: %s (what came before it is stored)\n",
			json_string_value(err));
	json_decref(res);
	buf_release(&out);
	return status == 200 ? 0 : 1;
}

static int remove_source(struct client *c, int argc, char **argv)
{
	char *esc = curl_easy_escape(NULL, arg_positional(argc, argv, 1), 0);
	char path[512];
	snprintf(path, sizeof(path), "/api/v1/taxii/sources/%s", esc);
	curl_free(esc);
	json_t *res = client_json(c, "DELETE", path, NULL);
	json_decref(res);
	return res ? 0 : 1;
}

const struct cli_subcommand cli_taxii_subs[] = {
    {"add-source",
     "add-source URL --collection ID [--name NAME] [--user U --password-file F | "
     "--source-token-file F] [--audience A] [--every 15m]",
     "pull a TAXII 2.1 server's collection (URL: its API root) into reports under the audience", 1,
     NULL, add_source},
    {"sources", "sources [--json]", "the sources, their cursors and last errors", 0, NULL,
     list_sources},
    {"pull", "pull NAME", "pull a source's new objects now", 1, NULL, pull},
    {"remove-source", "remove-source NAME", "stop pulling a source (what it brought stays)", 1,
     NULL, remove_source},
    {0},
};
