/* CLI commands for requests for assistance (issue 15). Main thread. */
#ifndef ATALAYA_REQUEST_CMDS_H
#define ATALAYA_REQUEST_CMDS_H

#include "cli/commands.h"

/* `atalaya request open|list|show|ack|answer|offer|accept|decline|close|stats`
 * and `atalaya capabilities set|show`; each ends with {0}. */
extern const struct cli_subcommand cli_request_subs[];
extern const struct cli_subcommand cli_capabilities_subs[];

#endif
