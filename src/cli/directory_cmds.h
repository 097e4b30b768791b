/* CLI commands for members, tokens, groups and contacts. Main thread. */
#ifndef ATALAYA_DIRECTORY_CMDS_H
#define ATALAYA_DIRECTORY_CMDS_H

#include "cli/client.h"

int cmd_member(struct client *c, int argc, char **argv);
int cmd_token(struct client *c, int argc, char **argv);
int cmd_group(struct client *c, int argc, char **argv);
int cmd_contacts(struct client *c, int argc, char **argv);

#endif
