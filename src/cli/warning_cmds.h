/* CLI commands for early warning: constituency, lookup, alerts. Main thread. */
#ifndef ATALAYA_WARNING_CMDS_H
#define ATALAYA_WARNING_CMDS_H

#include "cli/client.h"

int cmd_constituency(struct client *c, int argc, char **argv);
int cmd_lookup(struct client *c, int argc, char **argv);
int cmd_alerts(struct client *c, int argc, char **argv);

#endif
