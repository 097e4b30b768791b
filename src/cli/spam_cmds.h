/* The anti-spam commands (issue 8); they talk to a running node. Main thread. */
#ifndef ATALAYA_SPAM_CMDS_H
#define ATALAYA_SPAM_CMDS_H

#include "cli/commands.h"

/* `atalaya ingest-mail < mail`: exit 0 stored, 65 not a report, 75 try later. */
int cmd_ingest_mail(struct client *c, int argc, char **argv);
/* `atalaya reputation VALUE` */
int cmd_reputation(struct client *c, int argc, char **argv);
/* `atalaya dnsbl list|delist|import|request-delisting|export ...`; ends with {0}. */
extern const struct cli_subcommand cli_dnsbl_subs[];
/* `atalaya export --format rbldnsd|csv > FILE` */
int cmd_export(struct client *c, int argc, char **argv);

#endif
