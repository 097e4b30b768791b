/* CLI commands for members, tokens, groups and contacts. Main thread. */
#ifndef ATALAYA_DIRECTORY_CMDS_H
#define ATALAYA_DIRECTORY_CMDS_H

#include "cli/commands.h"

/* `atalaya member|token|group|contacts SUB ...` (cli_contacts_subs[0] is the
 * default: `atalaya contacts` lists). Each ends with {0}. */
extern const struct cli_subcommand cli_member_subs[];
extern const struct cli_subcommand cli_token_subs[];
extern const struct cli_subcommand cli_group_subs[];
extern const struct cli_subcommand cli_contacts_subs[];

#endif
