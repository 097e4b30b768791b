/* One line per event on stderr, or on the file given to log_open_file: time,
 * level, then key=value fields. Never pass secrets (tokens, keys). Any
 * thread; lines are not interleaved. */
#ifndef ATALAYA_LOG_H
#define ATALAYA_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level l);
void log_msg(enum log_level l, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sends the log (and anything else written to stderr) to `path`, appended,
 * created mode 0640 if missing; a symbolic link there is refused. Remembers
 * the path for log_reopen. Main thread, before or after other threads start.
 * Returns 0, or -1 with errno set (the log stays where it was). */
int log_open_file(const char *path);
/* Opens the file of log_open_file again (after a rotation moved it away): 0,
 * or -1 with errno set and the log still going to the old file. Returns 0
 * and does nothing when the log goes to stderr. Any thread. */
int log_reopen(void);

#define log_err(...) log_msg(LOG_ERR, 0, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, 0, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, 0, __VA_ARGS__)
/* Append errno's text as error="..." */
#define log_err_errno(...) log_msg(LOG_ERR, 1, __VA_ARGS__)
#define log_warn_errno(...) log_msg(LOG_WARN, 1, __VA_ARGS__)

#endif
