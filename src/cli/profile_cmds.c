/* `atalaya profile show|import|export|measures` and `atalaya progress`:
 * national profiles and the progress report through the API (src/profile). */
#include "cli/profile_cmds.h"

#include "cli/args.h"
#include "util/caps.h"

#include <curl/curl.h>

#define PROFILE_FILE_MAX (1 << 20) /* the server's cap on an imported document */

/* GETs `path` and prints the body as it is (JSON, CSV, HTML). */
static int get_raw(struct client *c, const char *path)
{
	struct buf out;
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

static int profile_show(struct client *c, int argc, char **argv)
{
	char path[96];
	snprintf(path, sizeof(path), "/api/v1/profiles/%.20s", arg_positional(argc, argv, 1));
	return get_raw(c, path);
}

static int profile_export(struct client *c, int argc, char **argv)
{
	const char *fmt = arg_value(argc, argv, "--format");
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/profiles/%.20s/export?format=%.8s",
		 arg_positional(argc, argv, 1), fmt ? fmt : "json");
	return get_raw(c, path);
}

static int profile_import(struct client *c, int argc, char **argv)
{
	const char *file = arg_positional(argc, argv, 1),
		   *member = arg_value(argc, argv, "--member");
	const char *fmt = arg_value(argc, argv, "--format"),
		   *scope = arg_value(argc, argv, "--scope");
	if (!member) {
		fprintf(stderr,
			"atalaya profile import: --member ID is needed (your member's id)\n");
		return 2;
	}
	FILE *f = !strcmp(file, "-") ? stdin : fopen(file, "rb");
	if (!f) {
		fprintf(stderr, "atalaya profile import: cannot open %s: %s\n", file,
			strerror(errno));
		return 1;
	}
	struct buf in, out;
	char chunk[8192], path[200];
	size_t n;
	buf_init(&in, PROFILE_FILE_MAX);
	buf_init(&out, CAP_CLI_REPLY);
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&in, chunk, n)) {
			fprintf(stderr, "atalaya profile import: %s is larger than %d bytes\n",
				file, PROFILE_FILE_MAX);
			rc = 1;
			break;
		}
	if (f != stdin)
		fclose(f);
	snprintf(path, sizeof(path), "/api/v1/profiles/%.20s?format=%.8s%s%.10s", member,
		 fmt ? fmt : "json", scope ? "&scope=" : "", scope ? scope : "");
	if (!rc) {
		long status = client_call(c, "PUT", path, in.data ? in.data : "", in.len,
					  "application/json", &out);
		if (status != 200) {
			client_print_error(status, &out);
			rc = 1;
		} else {
			fwrite(out.data, 1, out.len, stdout);
			putchar('\n');
		}
	}
	buf_release(&in);
	buf_release(&out);
	return rc;
}

static int profile_measures_list(struct client *c, int argc, char **argv)
{
	json_t *res = client_json(c, "GET", "/api/v1/profile-measures", NULL);
	size_t i;
	json_t *m;
	if (!res)
		return 1;
	json_array_foreach(json_object_get(res, "items"), i, m)
	{
		printf("%-7s %-28s %s\n", json_string_value(json_object_get(m, "id")),
		       json_string_value(json_object_get(m, "source")),
		       json_string_value(json_object_get(m, "title")));
	}
	json_decref(res);
	return 0;
}

const struct cli_subcommand cli_profile_subs[] = {
    {"show", "show MEMBER", "a member's profile: the fields and measures you may see", 1, NULL,
     profile_show},
    {"import", "import FILE|- --member ID [--format json|first] [--scope public|private]",
     "set fields and measures from a document (null removes one); FIRST team information "
     "becomes the agencies field",
     1, NULL, profile_import},
    {"export", "export MEMBER [--format json|first]",
     "the profile as a document to import elsewhere (what you may see)", 1, NULL, profile_export},
    {"measures", "measures", "the confidence-building measures (GGE §26, ITU Res. 45)", 0, NULL,
     profile_measures_list},
    {0},
};

int cmd_progress(struct client *c, int argc, char **argv)
{
	const char *fmt = arg_value(argc, argv, "--format"),
		   *since = arg_value(argc, argv, "--since");
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/progress?format=%.8s%s%.10s", fmt ? fmt : "json",
		 since ? "&since=" : "", since ? since : "");
	return get_raw(c, path);
}
