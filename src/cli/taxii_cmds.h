/* CLI commands of the TAXII client: `atalaya taxii add-source|sources|pull|
 * remove-source`. Main thread. */
#ifndef ATALAYA_TAXII_CMDS_H
#define ATALAYA_TAXII_CMDS_H

#include "cli/commands.h"

/* Ends with {0}. */
extern const struct cli_subcommand cli_taxii_subs[];

#endif
