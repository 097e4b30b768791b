/* CLI commands for federation: the node's identity and its peer nodes.
 * Main thread. */
#ifndef ATALAYA_FEDERATION_CMDS_H
#define ATALAYA_FEDERATION_CMDS_H

#include "cli/commands.h"

/* `atalaya node show`; ends with {0}. */
extern const struct cli_subcommand cli_node_subs[];
/* `atalaya peer add|list|show|sync`; ends with {0}. */
extern const struct cli_subcommand cli_peer_subs[];

#endif
