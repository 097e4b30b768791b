/* CLI commands for communication checks (issue 16). Main thread. */
#ifndef ATALAYA_CHECK_CMDS_H
#define ATALAYA_CHECK_CMDS_H

#include "cli/commands.h"

/* `atalaya check start|status|report|answer|list`; ends with {0}. */
extern const struct cli_subcommand cli_check_subs[];

#endif
