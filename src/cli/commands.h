/* The command table and its dispatcher (git's commands[] in git.c), and the
 * subcommand tables each command file keeps beside its functions (git's
 * OPT_SUBCOMMAND in builtin/remote.c). One table per command both dispatches
 * and feeds `atalaya help`, `--help` and the shell completion, so the usage
 * shown cannot drift from what runs. Main thread only. */
#ifndef ATALAYA_CLI_COMMANDS_H
#define ATALAYA_CLI_COMMANDS_H

#include "cli/client.h"

/* A subcommand runs in-process (`local`: config) or against a node through
 * the API (`remote`); argv[0] is the command's name, argv[1] (the first
 * positional argument) the subcommand's. Returns the exit code. */
struct cli_subcommand {
	const char *name;
	const char *usage; /* after "atalaya CMD " */
	const char *about;
	int nargs; /* positional arguments after the name it needs (else usage, exit 2) */
	int (*local)(int argc, char **argv);
	int (*remote)(struct client *c, int argc, char **argv);
};

/* Runs argv[1] with the remaining arguments; returns the process exit code. */
int cli_dispatch(int argc, char **argv);

#endif
