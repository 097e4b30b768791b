/* `atalaya backup` and `atalaya restore`: local commands on a data directory.
 * Main thread only. */
#ifndef ATALAYA_BACKUP_CMDS_H
#define ATALAYA_BACKUP_CMDS_H

/* `atalaya backup --data DIR DEST`: the store through SQLite's online backup
 * API (a consistent snapshot while the daemon keeps writing), the report files
 * that snapshot references, and the other files of DIR's top level (keys,
 * tokens, atalaya.conf), into DEST (new or empty); then verifies DEST. Returns
 * the exit code: 0, 1 (failed; DEST is incomplete and says so), 2 (usage). */
int cmd_backup(int argc, char **argv);

/* `atalaya restore --data DIR [--force] SRC`: verifies the backup SRC, then
 * copies it into DIR (absent or empty, or anything with --force), refusing
 * while a daemon holds DIR/lock; verifies DIR afterwards. Exit code as above. */
int cmd_restore(int argc, char **argv);

#endif
