#include "cli/args.h"

static bool is_bare(const char *name)
{
	return !strcmp(name, "--open") || !strcmp(name, "--json") || !strcmp(name, "--help") ||
	       !strcmp(name, "--batch") || !strcmp(name, "--force") || !strcmp(name, "--24x7");
}

const char *arg_value(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], name) && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], name, n) && argv[i][n] == '=')
			return argv[i] + n + 1;
	}
	return NULL;
}

json_t *arg_values(int argc, char **argv, const char *name)
{
	json_t *arr = json_array();
	size_t n = strlen(name);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], name) && i + 1 < argc)
			json_array_append_new(arr, json_string(argv[++i]));
		else if (!strncmp(argv[i], name, n) && argv[i][n] == '=')
			json_array_append_new(arr, json_string(argv[i] + n + 1));
	}
	return arr;
}

bool arg_flag(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

const char *arg_positional(int argc, char **argv, int n)
{
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2)) {
			if (!strchr(argv[i], '=') && !is_bare(argv[i]))
				i++;
			continue;
		}
		if (n-- == 0)
			return argv[i];
	}
	return NULL;
}

void print_json(json_t *v)
{
	char *t = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
	if (t)
		printf("%s\n", t);
	free(t);
}
