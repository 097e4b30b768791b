/* atalaya: one binary, subcommands dispatched from a table (git's commands[]). */
#include "cli/commands.h"

int main(int argc, char **argv)
{
	return cli_dispatch(argc, argv);
}
