/* Small argv helpers for the subcommands. Main thread. */
#ifndef ATALAYA_ARGS_H
#define ATALAYA_ARGS_H

#include <jansson.h>
#include <stdbool.h>

/* The value after `--name` (or in `--name=value`), or NULL. */
const char *arg_value(int argc, char **argv, const char *name);
/* Every value of a repeatable flag, as a JSON array of strings. */
json_t *arg_values(int argc, char **argv, const char *name);
/* Is the bare flag present? */
bool arg_flag(int argc, char **argv, const char *name);
/* The n-th argument that is neither a flag nor a flag's value (0-based). */
const char *arg_positional(int argc, char **argv, int n);

/* Prints a JSON value indented, for `show` commands. */
void print_json(json_t *v);

#endif
