#include "cli/commands.h"

int cli_dispatch(int argc, char **argv)
{
	printf("atalaya 0.1.0\n");
	return 0;
}
