/* CLI commands for people's accounts (the web interface). Main thread. */
#ifndef ATALAYA_USER_CMDS_H
#define ATALAYA_USER_CMDS_H

#include "cli/commands.h"

/* `atalaya user add|list|delete ...`; ends with {0}. */
extern const struct cli_subcommand cli_user_subs[];

#endif
