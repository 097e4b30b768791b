/* `atalaya init` and `atalaya serve`. Main thread. */
#ifndef ATALAYA_DAEMON_H
#define ATALAYA_DAEMON_H

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_config(int argc, char **argv);

#endif
