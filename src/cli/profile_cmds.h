/* CLI commands for national profiles and the progress report (issue 16).
 * Main thread. */
#ifndef ATALAYA_PROFILE_CMDS_H
#define ATALAYA_PROFILE_CMDS_H

#include "cli/commands.h"

/* `atalaya profile show|import|export|measures`; ends with {0}. */
extern const struct cli_subcommand cli_profile_subs[];
/* `atalaya progress [--format json|csv|html] [--since DATE]` */
int cmd_progress(struct client *c, int argc, char **argv);

#endif
