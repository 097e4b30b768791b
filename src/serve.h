/* The server's start-up, beside node.h: `atalaya init` (create a node),
 * `atalaya serve` (build the node, start its threads and the HTTP server with
 * the route list of src/routes.c, wait for signals) and `atalaya config`.
 * Main thread. cli/ only dispatches to these. */
#ifndef ATALAYA_SERVE_H
#define ATALAYA_SERVE_H

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_config(int argc, char **argv);

#endif
