/* CLI commands for incident reports. Main thread. */
#ifndef ATALAYA_REPORT_CMDS_H
#define ATALAYA_REPORT_CMDS_H

#include "cli/commands.h"

/* `atalaya report submit|list|show|bundle|audit ...`; ends with {0}. */
extern const struct cli_subcommand cli_report_subs[];

#endif
