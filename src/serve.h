/* The server's start-up, beside node.h: `atalaya init` (create a node),
 * `atalaya serve` (build the node, start its threads and the HTTP server with
 * the route list of src/routes.c, wait for signals) and `atalaya config`.
 * Main thread. cli/ only dispatches to these. */
#ifndef ATALAYA_SERVE_H
#define ATALAYA_SERVE_H

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
/* `atalaya config check [--data DIR | FILE]`: validates a config file; exit
 * 0 valid, 1 not (the message names the setting), 2 usage. */
int cmd_config_check(int argc, char **argv);
/* `atalaya config show`: the settings table on stdout. */
int cmd_config_show(int argc, char **argv);

#endif
