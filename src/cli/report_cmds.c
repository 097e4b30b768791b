/* `atalaya report submit|list|show|bundle|audit`. */
#include "cli/report_cmds.h"

#include "cli/args.h"
#include "util/caps.h"

#include <curl/curl.h>
#include <sys/stat.h>

static int submit(struct client *c, int argc, char **argv)
{
	const char *file = arg_positional(argc, argv, 1);
	const char *aud = arg_value(argc, argv, "--audience");
	const char *ct = arg_value(argc, argv, "--content-type");
	struct stat st;
	FILE *f = fopen(file, "rb");
	if (!f || fstat(fileno(f), &st)) {
		fprintf(stderr, "atalaya: cannot read %s: %s\n", file, strerror(errno));
		if (f)
			fclose(f);
		return 1;
	}
	if (!ct) {
		size_t n = strlen(file);
		ct = n > 4 && !strcasecmp(file + n - 4, ".xml")
			 ? "application/xml"
			 : "application/stix+json;version=2.1";
	}
	char path[1024];
	char *esc = aud ? curl_easy_escape(NULL, aud, 0) : NULL;
	snprintf(path, sizeof(path), "/api/v1/reports%s%s", esc ? "?audience=" : "",
		 esc ? esc : "");
	curl_free(esc);
	struct buf out;
	buf_init(&out, CAP_CLI_REPLY);
	long status = client_upload(c, path, f, (uint64_t)st.st_size, ct, &out);
	fclose(f);
	int rc = 0;
	if (status == 201) {
		json_t *res = json_loadb(out.data, out.len, 0, NULL);
		json_t *aud_j = json_object_get(res, "audience");
		char *a = json_dumps(aud_j, JSON_COMPACT);
		printf("report %s stored: %" JSON_INTEGER_FORMAT " objects, tlp %s, audience %s\n",
		       json_string_value(json_object_get(res, "id")),
		       json_integer_value(json_object_get(res, "objects")),
		       json_string_value(json_object_get(res, "tlp")), a ? a : "[]");
		size_t i;
		json_t *note;
		json_array_foreach(json_object_get(res, "notes"), i, note)
		    printf("note: %s\n", json_string_value(note));
		free(a);
		json_decref(res);
	} else {
		client_print_error(status, &out);
		rc = 1;
	}
	buf_release(&out);
	return rc;
}

static void report_line(json_t *r)
{
	printf("%-45s %-24s %-20s %-12s %6" JSON_INTEGER_FORMAT " objects\n",
	       json_string_value(json_object_get(r, "id")),
	       json_string_value(json_object_get(r, "received")),
	       json_string_value(json_object_get(json_object_get(r, "originator"), "name")),
	       json_string_value(json_object_get(r, "tlp")),
	       json_integer_value(json_object_get(r, "objects")));
}

static int list(struct client *c, int argc, char **argv)
{
	char path[512] = "/api/v1/reports?limit=1000", cursor[32] = "";
	const char *since = arg_value(argc, argv, "--since"),
		   *from = arg_value(argc, argv, "--from");
	const char *tlp = arg_value(argc, argv, "--tlp");
	size_t n = strlen(path);
	if (since)
		n += (size_t)snprintf(path + n, sizeof(path) - n, "&since=%s", since);
	if (from)
		n += (size_t)snprintf(path + n, sizeof(path) - n, "&from=%s", from);
	if (tlp) {
		char *e = curl_easy_escape(NULL, tlp, 0);
		n += (size_t)snprintf(path + n, sizeof(path) - n, "&tlp=%s", e);
		curl_free(e);
	}
	json_t *all = json_array();
	do {
		char p[600];
		snprintf(p, sizeof(p), "%s%s%s", path, cursor[0] ? "&after=" : "", cursor);
		json_t *page = client_json(c, "GET", p, NULL);
		if (!page) {
			json_decref(all);
			return 1;
		}
		json_array_extend(all, json_object_get(page, "items"));
		const char *next = json_string_value(json_object_get(page, "next"));
		snprintf(cursor, sizeof(cursor), "%s", next ? next : "");
		json_decref(page);
	} while (cursor[0]);
	if (arg_flag(argc, argv, "--json")) {
		print_json(all);
	} else {
		size_t i;
		json_t *r;
		json_array_foreach(all, i, r) report_line(r);
	}
	json_decref(all);
	return 0;
}

static int raw(struct client *c, const char *path)
{
	struct buf out;
	buf_init(&out, CAP_CLI_BODY);
	long status = client_call(c, "GET", path, NULL, 0, NULL, &out);
	int rc = 0;
	if (status == 200)
		fwrite(out.data, 1, out.len, stdout);
	else {
		client_print_error(status, &out);
		rc = 1;
	}
	buf_release(&out);
	return rc;
}

static int report_show(struct client *c, int argc, char **argv)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/reports/%s", arg_positional(argc, argv, 1));
	json_t *r = client_json(c, "GET", path, NULL);
	if (!r)
		return 1;
	print_json(r);
	json_decref(r);
	return 0;
}

static int report_bundle(struct client *c, int argc, char **argv)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/reports/%s/bundle", arg_positional(argc, argv, 1));
	return raw(c, path);
}

static int report_audit(struct client *c, int argc, char **argv)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/reports/%s/audit?limit=1000",
		 arg_positional(argc, argv, 1));
	json_t *r = client_json(c, "GET", path, NULL);
	if (!r)
		return 1;
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(r, "items"), i, a)
	    printf("%s  member %" JSON_INTEGER_FORMAT " (%s)  %s%s%s\n",
		   json_string_value(json_object_get(a, "at")),
		   json_integer_value(json_object_get(json_object_get(a, "member"), "id")),
		   json_string_value(json_object_get(json_object_get(a, "member"), "name")),
		   json_string_value(json_object_get(a, "path")),
		   json_is_string(json_object_get(a, "object")) ? "  " : "",
		   json_is_string(json_object_get(a, "object"))
		       ? json_string_value(json_object_get(a, "object"))
		       : "");
	json_decref(r);
	return 0;
}

/* Exit 0 only when the origin's signature still matches the kept bytes. */
static int report_verify(struct client *c, int argc, char **argv)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/reports/%s/signature", arg_positional(argc, argv, 1));
	json_t *r = client_json(c, "GET", path, NULL);
	if (!r)
		return 1;
	print_json(r);
	int rc = json_is_true(json_object_get(r, "verified")) ? 0 : 1;
	json_decref(r);
	return rc;
}

/* `report sight ID VALUE [--count N] [--seen-at T]`: a sighting about the
 * report, signed by this node (and sent to the nodes that hold the report). */
static int report_sight(struct client *c, int argc, char **argv)
{
	char path[256];
	const char *count = arg_value(argc, argv, "--count"),
		   *seen = arg_value(argc, argv, "--seen-at");
	json_t *b = json_pack("{ss}", "value", arg_positional(argc, argv, 2));
	if (count)
		json_object_set_new(b, "count", json_integer(strtoll(count, NULL, 10)));
	if (seen)
		json_object_set_new(b, "seen_at", json_string(seen));
	snprintf(path, sizeof(path), "/api/v1/reports/%s/sightings", arg_positional(argc, argv, 1));
	json_t *r = client_json(c, "POST", path, b);
	json_decref(b);
	if (!r)
		return 1;
	print_json(r);
	json_decref(r);
	return 0;
}

/* `report sightings ID`: one line per sighting, with the node that signed it. */
static int report_sightings(struct client *c, int argc, char **argv)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/reports/%s/sightings", arg_positional(argc, argv, 1));
	json_t *r = client_json(c, "GET", path, NULL);
	if (!r)
		return 1;
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(r, "items"), i, g) printf(
	    "%s  %s x%" JSON_INTEGER_FORMAT "  signed by %s (%s)\n",
	    json_string_value(json_object_get(g, "seen_at")),
	    json_string_value(json_object_get(g, "value")),
	    json_integer_value(json_object_get(g, "count")),
	    json_string_value(json_object_get(json_object_get(g, "signed_by"), "name")),
	    json_string_value(json_object_get(json_object_get(g, "signed_by"), "public_key")));
	json_decref(r);
	return 0;
}

const struct cli_subcommand cli_report_subs[] = {
    {"submit", "submit FILE [--audience all|group:ID,member:ID,peer:ID] [--content-type T]",
     "submit a STIX 2.1 bundle (or an IODEF document, *.xml); no audience: only your member", 1,
     NULL, submit},
    {"list", "list [--since T] [--from MEMBER] [--tlp TLP] [--json]",
     "the reports you may see, newest first", 0, NULL, list},
    {"show", "show ID", "a report's metadata", 1, NULL, report_show},
    {"bundle", "bundle ID", "the report, byte for byte as submitted", 1, NULL, report_bundle},
    {"audit", "audit ID", "who received the report, when, through which path (originator)", 1, NULL,
     report_audit},
    {"verify", "verify ID",
     "check the origin node's signature against the bytes and scope kept (exit 1 if not)", 1, NULL,
     report_verify},
    {"sight", "sight ID VALUE [--count N] [--seen-at RFC3339]",
     "record a sighting about a report, signed by this node and sent to the nodes holding it", 2,
     NULL, report_sight},
    {"sightings", "sightings ID", "the signed sightings about a report, with their signers", 1,
     NULL, report_sightings},
    {0},
};
