/* CLI commands for incident reports. Main thread. */
#ifndef ATALAYA_REPORT_CMDS_H
#define ATALAYA_REPORT_CMDS_H

#include "cli/client.h"

int cmd_report(struct client *c, int argc, char **argv);

#endif
