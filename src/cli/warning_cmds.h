/* CLI commands for early warning: constituency, lookup, alerts. Main thread. */
#ifndef ATALAYA_WARNING_CMDS_H
#define ATALAYA_WARNING_CMDS_H

#include "cli/commands.h"

/* `atalaya constituency set|show|overlaps` and `atalaya alerts
 * list|show|ack|secret`; each ends with {0}. */
extern const struct cli_subcommand cli_constituency_subs[];
extern const struct cli_subcommand cli_alerts_subs[];
/* `atalaya lookup VALUE | --batch` */
int cmd_lookup(struct client *c, int argc, char **argv);

#endif
