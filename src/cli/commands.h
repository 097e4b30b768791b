/* The subcommand table and its dispatcher. Main thread only. */
#ifndef ATALAYA_CLI_COMMANDS_H
#define ATALAYA_CLI_COMMANDS_H

/* Runs argv[1] with the remaining arguments; returns the process exit code. */
int cli_dispatch(int argc, char **argv);

#endif
