/* `atalaya init`, `atalaya serve` and `atalaya config`: the server's start-up,
 * next to node.h (moved from cli/daemon.c; see serve.h). Main thread. */
#include "serve.h"

#include "web/i18n.h"

#include "directory/members.h"
#include "directory/directory.h"
#include "directory/token.h"
#include "config/settings.h"
#include "http/metrics.h"
#include "http/server.h"
#include "node.h"
#include "check/check.h"
#include "routes.h"
#include "spam/service.h"
#include "taxii/taxii.h"
#include "alert/service.h" /* early warning */
#include "request/requests.h"
#include "pipeline.h"
#include "federation/federation.h"
#include "util/log.h"
#include "util/xalloc.h"

#include "util/timeutil.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Writes a secret file readable by its owner alone. */
static int write_secret(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return ERR_IO;
	int ok = write(fd, data, n) == (ssize_t)n && fsync(fd) == 0;
	close(fd);
	return ok ? ERR_OK : ERR_IO;
}

/* Settings: defaults, then DATA/atalaya.conf, then flags; the flags it takes
 * are removed from argv. On error, err says what is wrong and cfg is filled
 * (release it either way). */
static int read_config(struct config *cfg, int *argc, char **argv, struct err_detail *e)
{
	struct config pre;
	struct err_detail err;
	char **copy = xcalloc((size_t)*argc + 1, sizeof(*copy));
	int n = *argc, rc;

	err_clear(&err);
	memcpy(copy, argv, (size_t)n * sizeof(*copy));
	config_init(&pre);
	rc = config_apply_flags(&pre, &n, copy, &err);
	free(copy);
	config_init(cfg);
	if (!rc && *pre.data_dir) {
		char *file = path_join(pre.data_dir, "atalaya.conf");
		rc = config_load_file(cfg, file, &err);
		free(file);
	}
	config_release(&pre);
	if (!rc)
		rc = config_apply_flags(cfg, argc, argv, &err);
	if (!rc)
		rc = config_validate(cfg, &err);
	if (!rc && !*cfg->data_dir)
		rc = err_set(&err, ERR_INVALID, "data_dir", "--data DIR is required");
	*e = err;
	return rc;
}

static int load_config(struct config *cfg, int *argc, char **argv)
{
	struct err_detail err;
	int rc = read_config(cfg, argc, argv, &err);
	if (rc)
		fprintf(stderr, "atalaya: %s\n", err.message);
	return rc;
}

static int unexpected_args(int argc, char **argv)
{
	if (argc <= 1)
		return 0;
	fprintf(stderr, "atalaya %s: unknown argument '%s' (see atalaya help)\n", argv[0], argv[1]);
	return 2;
}

int cmd_init(int argc, char **argv)
{
	struct config cfg;
	struct store *st = NULL;
	struct err_detail err;
	const char *name = NULL, *country = NULL, *kind = "national-cert";
	int rc, out = 1;

	/* init's own flags first; the rest are settings */
	for (int i = 1; i < argc; i++) {
		const char **slot = !strcmp(argv[i], "--name")	    ? &name
				    : !strcmp(argv[i], "--country") ? &country
				    : !strcmp(argv[i], "--kind")    ? &kind
								    : NULL;
		if (slot && i + 1 < argc)
			*slot = argv[++i];
		else
			argv[out++] = argv[i];
	}
	argc = out;
	argv[argc] = NULL;
	if (load_config(&cfg, &argc, argv))
		return 2;
	if ((rc = unexpected_args(argc, argv)))
		goto done;
	if (!name || !country) {
		fprintf(stderr, "atalaya init: --name NAME and --country CC are required\n");
		rc = 2;
		goto done;
	}
	if (token_init()) {
		rc = 1;
		goto done;
	}
	if (mkdir(cfg.data_dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "atalaya init: cannot create %s: %s\n", cfg.data_dir,
			strerror(errno));
		rc = 1;
		goto done;
	}
	err_clear(&err);
	if (store_open(cfg.data_dir, cfg.sqlite_cache_mib, &st, &err)) {
		fprintf(stderr, "atalaya init: %s\n", err.message);
		rc = 1;
		goto done;
	}
	char *existing = NULL;
	if (store_node_get(st, "name", &existing) == ERR_OK) {
		fprintf(stderr, "atalaya init: %s is already the node '%s'; nothing changed\n",
			cfg.data_dir, existing);
		free(existing);
		rc = 1;
		goto done;
	}
	/* The node's Ed25519 identity, for signing what it sends to peers. */
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char pk_hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
	crypto_sign_keypair(pk, sk);
	sodium_bin2hex(pk_hex, sizeof(pk_hex), pk, sizeof(pk));
	char *key_path = path_join(cfg.data_dir, "node.key");
	rc = write_secret(key_path, sk, sizeof(sk));
	sodium_memzero(sk, sizeof(sk));
	free(key_path);
	if (rc) {
		fprintf(stderr, "atalaya init: cannot write node.key: %s\n", strerror(errno));
		rc = 1;
		goto done;
	}
	char token[TOKEN_TEXT_MAX];
	int64_t id, token_id;
	rc = directory_member_create(st, name, kind, country, "[]", "admin", 0, &id, token,
				     &token_id);
	if (rc == ERR_CONFLICT) {
		fprintf(stderr, "atalaya init: a member called '%s' exists already\n", name);
		rc = 1;
		goto done;
	}
	struct store_conn *c;
	if (!rc && !(rc = store_write_begin(st, &c))) {
		rc = store_node_set(c, "name", name);
		if (!rc)
			rc = store_node_set(c, "country", country);
		if (!rc)
			rc = store_node_set(c, "public_key", pk_hex);
		rc = store_write_end(st, rc);
	}
	char *tok_path = path_join(cfg.data_dir, "admin.token");
	size_t tn = strlen(token);
	token[tn] = '\n';
	if (!rc)
		rc = write_secret(tok_path, token, tn + 1);
	sodium_memzero(token, sizeof(token));
	if (rc) {
		fprintf(stderr, "atalaya init: %s\n", err_str(rc));
		free(tok_path);
		rc = 1;
		goto done;
	}
	printf("atalaya: node '%s' (%s) initialised in %s\n"
	       "  admin member: %" PRId64 "\n"
	       "  admin token:  %s (mode 0600; shown nowhere else)\n"
	       "  node key:     Ed25519 %s\n",
	       name, country, cfg.data_dir, id, tok_path, pk_hex);
	free(tok_path);
	rc = 0;
done:
	store_close(st);
	config_release(&cfg);
	return rc;
}

/* The data directory is the node's alone: a lock held from start to exit
 * keeps a second `serve` from writing into it (two nodes on one store would
 * diverge silently). An open-file-description lock: closing another
 * descriptor of the file does not drop it, as it would a POSIX one. The file
 * holds the holder's pid, for the message and for people. */
static int lock_data_dir(const char *dir, int *out)
{
	char *p = path_join(dir, "lock");
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600), rc = ERR_OK;
	char pid[24];
	ssize_t n;

	if (fd < 0) {
		if (errno == ENOENT)
			log_err(
			    "event=start data_dir=%s error=\"no such directory: create the node "
			    "with atalaya init --data %s --name NAME --country CC\"",
			    dir, dir);
		else if (errno == ELOOP)
			log_err("event=start path=%s error=\"a symbolic link: the lock file of the "
				"data directory must be a regular file\"",
				p);
		else
			log_err_errno("event=start path=%s hint=\"cannot open the lock file of the "
				      "data directory\"",
				      p);
		rc = ERR_IO;
		goto out;
	}
	if (fcntl(fd, F_OFD_SETLK, &fl)) {
		if (errno == EACCES || errno == EAGAIN) {
			n = pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strspn(pid, "0123456789")] = '\0'; /* the file is the service user's */
			log_err(
			    "event=start data_dir=%s holder_pid=%s error=\"the data directory is "
			    "in use by another atalaya serve (pid %s): stop it first, or give "
			    "this one another --data\"",
			    dir, *pid ? pid : "unknown", *pid ? pid : "unknown");
		} else {
			log_err_errno("event=start data_dir=%s error=\"cannot lock %s\"", dir, p);
		}
		close(fd);
		rc = ERR_CONFLICT;
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn_errno("event=lock path=%s", p);
	*out = fd;
out:
	free(p);
	return rc;
}

/* The soft limit on open files goes up to the hard one: each connection is a
 * descriptor. If that still cannot hold http_connections_max (with room for
 * the store, the DNS sockets and report files), the cap comes down to it. */
static void raise_nofile(struct config *cfg)
{
	enum { RESERVE = 256 };
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rlim_t want = rl.rlim_max == RLIM_INFINITY ? (rlim_t)1 << 20 : rl.rlim_max;
	if (rl.rlim_cur < want) {
		rlim_t was = rl.rlim_cur;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			rl.rlim_cur = was;
	}
	if (rl.rlim_cur < (rlim_t)cfg->http_connections_max + RESERVE) {
		int64_t fit = rl.rlim_cur > RESERVE + 8 ? (int64_t)rl.rlim_cur - RESERVE : 8;
		log_warn("event=limits open_files=%llu http_connections_max=%" PRId64
			 " lowered_to=%" PRId64 " hint=\"raise the open-files limit (ulimit -n, "
			 "LimitNOFILE=) to serve more connections\"",
			 (unsigned long long)rl.rlim_cur, cfg->http_connections_max, fit);
		cfg->http_connections_max = fit;
	}
}

/* Gives `name` (in the directory dfd) to uid:gid without ever following a
 * link: a link is left alone, and so is a file with other hard links (the
 * service user may have planted either, pointing at a file of root's). Only
 * what is not the service user's already is opened. */
static void give_entry(int dfd, const char *dir, const char *name, uid_t uid, gid_t gid)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT)
			log_warn_errno("event=chown path=%s/%s", dir, name);
		return;
	}
	if (st.st_uid == uid && st.st_gid == gid)
		return;
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		log_warn(
		    "event=chown path=%s/%s error=\"not a regular file or directory (%s): left "
		    "as it is\"",
		    dir, name, S_ISLNK(st.st_mode) ? "a symbolic link" : "a special file");
		return;
	}
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		log_warn_errno("event=chown path=%s/%s", dir, name);
		return;
	}
	if (fstat(fd, &st) || !(S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && st.st_nlink == 1)))
		log_warn(
		    "event=chown path=%s/%s error=\"has other hard links or changed type: left "
		    "as it is\"",
		    dir, name);
	else if (fchown(fd, uid, gid))
		log_warn_errno("event=chown path=%s/%s", dir, name);
	close(fd);
}

/* Gives a directory of the data dir and the files in it (reports/, spool/):
 * files written under an earlier service user stay readable after a change
 * of user. */
static void give_dir(int dfd, const char *data_dir, const char *name, uid_t uid, gid_t gid)
{
	char where[4096];
	give_entry(dfd, data_dir, name, uid, gid);
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn_errno(
			    "event=chown path=%s/%s hint=\"not followed: a symbolic link, "
			    "or not a directory\"",
			    data_dir, name);
		return;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	snprintf(where, sizeof(where), "%s/%s", data_dir, name);
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			give_entry(dirfd(d), where, e->d_name, uid, gid);
	closedir(d);
}

/* Started as root: give the files the node writes to the service user (never
 * through a link), then drop to it for good, after the ports are bound and
 * the TLS key read. admin.token and atalaya.conf stay root's. */
static int drop_privileges(const struct config *cfg, int lock_fd)
{
	if (geteuid() != 0)
		return ERR_OK;
	const char *user = cfg->user;
	struct passwd *pw = *user ? getpwnam(user) : NULL;
	if (!pw) {
		log_err("event=drop_privileges user=%s error=\"started as root, the node runs as "
			"the user '%s', which does not exist: create it (useradd --system "
			"--no-create-home --shell /usr/sbin/nologin --user-group %s; make run and "
			"make test do) or name another with --user\"",
			user, user, user);
		return ERR_INVALID;
	}
	if (pw->pw_uid == 0) {
		log_err("event=drop_privileges user=%s error=\"the service user must not be root\"",
			user);
		return ERR_INVALID;
	}
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	struct stat st;
	int dfd = open(cfg->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fchown(dfd, uid, gid))
			log_warn_errno("event=chown path=%s", cfg->data_dir);
		if (fchown(lock_fd, uid, gid))
			log_warn_errno("event=chown path=%s/lock", cfg->data_dir);
		static const char *const files[] = {"atalaya.db", "atalaya.db-wal",
						    "atalaya.db-shm", "node.key", NULL};
		for (int i = 0; files[i]; i++)
			give_entry(dfd, cfg->data_dir, files[i], uid, gid);
		give_dir(dfd, cfg->data_dir, "spool", uid, gid);
		give_dir(dfd, cfg->data_dir, "reports", uid, gid);
		if (!fstatat(dfd, "atalaya.conf", &st, AT_SYMLINK_NOFOLLOW) && st.st_uid != 0)
			log_warn(
			    "event=config path=%s/atalaya.conf owner_uid=%u hint=\"read as root "
			    "at start: give it to root (chown root:root) so that only root "
			    "chooses the settings\"",
			    cfg->data_dir, (unsigned)st.st_uid);
		close(dfd);
	}
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		log_err_errno("event=drop_privileges user=%s", user);
		return ERR_IO;
	}
	if (setuid(0) == 0) {
		log_err("event=drop_privileges error=\"root could be regained\"");
		return ERR_INTERNAL;
	}
	log_info("event=drop_privileges user=%s uid=%u", user, (unsigned)uid);
	return ERR_OK;
}

/* "report--" and a UUID: the names ingest gives report files. */
static bool report_file_id(const char *name, char *id, size_t size)
{
	static const char prefix[] = "report--";
	const char *dot = strrchr(name, '.');
	size_t n = dot ? (size_t)(dot - name) : 0;
	if (!dot || (strcmp(dot, ".json") && strcmp(dot, ".xml")) || n != sizeof(prefix) - 1 + 36 ||
	    strncmp(name, prefix, sizeof(prefix) - 1) || n >= size)
		return false;
	for (size_t i = sizeof(prefix) - 1; i < n; i++)
		if (!isxdigit((unsigned char)name[i]) && name[i] != '-')
			return false;
	memcpy(id, name, n);
	id[n] = '\0';
	return true;
}

/* 1 when a committed report has this id, 0 when none, -1 when the store
 * cannot tell (then nothing is removed). */
/* Does a committed report keep its bytes in the file named by `id`? (A
 * small one keeps them in the store: a file of its id is a leftover.) */
static int report_file_kept(struct store *st, const char *id)
{
	static const char sql[] = "SELECT 1 FROM reports r WHERE r.id = ? AND NOT EXISTS "
				  "(SELECT 1 FROM report_bodies b WHERE b.report = r.seq)";
	struct store_conn *c = store_reader(st);
	sqlite3_stmt *q = c ? store_stmt(c, sql) : NULL;
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

struct leftovers {
	unsigned files;
	unsigned long long bytes;
};

/* Removes the files of DATA/`name` (links too, never followed); with a store,
 * only report files no committed report keeps its bytes in. */
static void sweep(const char *data_dir, const char *name, struct store *st, struct leftovers *lo)
{
	char path[4096], id[64];
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (errno != ENOENT)
			log_warn_errno("event=leftovers path=%s", path);
		if (fd >= 0)
			close(fd);
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		struct stat sb;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (st) { /* reports/: only files of reports that never committed */
			if (!report_file_id(e->d_name, id, sizeof(id)) || report_file_kept(st, id))
				continue;
		}
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) || S_ISDIR(sb.st_mode))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0)) {
			log_warn_errno("event=leftovers path=%s/%s", path, e->d_name);
			continue;
		}
		lo->files++;
		lo->bytes += S_ISREG(sb.st_mode) ? (unsigned long long)sb.st_size : 0;
	}
	closedir(d);
}

/* What a crash leaves: bodies in spool/ (every one is a submission that was
 * never answered), and report files renamed into reports/ whose transaction
 * never committed. Run before serving, so no submission is in progress. */
static void clean_leftovers(const struct config *cfg, struct store *st)
{
	struct leftovers spool = {0}, orphans = {0};
	sweep(cfg->data_dir, "spool", NULL, &spool);
	sweep(cfg->data_dir, "reports", st, &orphans);
	if (spool.files || orphans.files)
		log_info("event=leftovers_removed spool_files=%u spool_bytes=%llu "
			 "orphan_report_files=%u "
			 "orphan_report_bytes=%llu",
			 spool.files, spool.bytes, orphans.files, orphans.bytes);
}

/* SIGHUP: each entry reloads one thing. ERR_OK: reloaded; ERR_NOT_FOUND:
 * nothing to reload (not configured); anything else: failed, with `err`
 * saying why, and what was there stays. */
struct reloader {
	const char *what;
	int (*fn)(struct node *node, struct server *srv, struct err_detail *err);
};

static int reload_log(struct node *node, struct server *srv, struct err_detail *err)
{
	if (!*node->cfg->log_file)
		return ERR_NOT_FOUND;
	if (log_reopen())
		return err_set(err, ERR_IO, "log_file", "log_file: cannot open %s: %s",
			       node->cfg->log_file, strerror(errno));
	return ERR_OK;
}

static int reload_tls(struct node *node, struct server *srv, struct err_detail *err)
{
	bool done;
	int rc = server_reload_tls(srv, &done, err);
	return rc ? rc : done ? ERR_OK : ERR_NOT_FOUND;
}

/* The flags `serve` was started with, read again with DATA/atalaya.conf on
 * SIGHUP so a reload sees what a restart would. Set once in cmd_serve. */
static int serve_argc;
static char **serve_argv;

/* The DNSBL's answer settings (zone, SOA, NS, TTLs, TCP limits); the rest of
 * atalaya.conf needs a restart. */
static int reload_dnsbl(struct node *node, struct server *srv, struct err_detail *err)
{
	struct config fresh;
	int argc = serve_argc, rc;
	char **argv = xcalloc((size_t)argc + 1, sizeof(*argv));

	if (!node->spam || !*node->cfg->dns_listen) {
		free(argv);
		return ERR_NOT_FOUND;
	}
	memcpy(argv, serve_argv, (size_t)argc * sizeof(*argv));
	rc = read_config(&fresh, &argc, argv, err);
	if (!rc)
		rc = spam_reload_dns_settings(node->spam, &fresh, err);
	config_release(&fresh);
	free(argv);
	return rc;
}

static const struct reloader reloaders[] = {
    {"log", reload_log},
    {"tls", reload_tls},
    {"dnsbl", reload_dnsbl},
    {NULL, NULL},
};

static void reload(struct node *node, struct server *srv)
{
	char done[128] = "";
	size_t n = 0;
	for (const struct reloader *r = reloaders; r->what; r++) {
		struct err_detail err;
		err_clear(&err);
		int rc = r->fn(node, srv, &err);
		if (rc == ERR_OK)
			n += (size_t)snprintf(done + n, sizeof(done) - n, "%s%s", n ? "," : "",
					      r->what);
		else if (rc != ERR_NOT_FOUND)
			log_err(
			    "event=reload what=%s error=\"%s\" hint=\"the previous one stays in "
			    "use\"",
			    r->what, err.message[0] ? err.message : err_str(rc));
		if (n >= sizeof(done))
			n = sizeof(done) - 1;
	}
	log_info("event=reload signal=SIGHUP reloaded=%s", n ? done : "nothing");
}

/* Waits for the requests in flight to end, at most `seconds`; a second
 * SIGTERM or SIGINT cuts the wait short. Returns how many were left. */
static unsigned drain(struct server *srv, const sigset_t *sigs, int64_t seconds)
{
	const int64_t deadline = time_mono_ns() + seconds * 1000000000LL;
	const struct timespec tick = {0, 20 * 1000000};
	unsigned left;
	while ((left = server_inflight(srv)) && time_mono_ns() < deadline) {
		int sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM) {
			log_warn("event=stopping signal=%d in_flight=%u hint=\"second signal: not "
				 "waiting any longer\"",
				 sig, left);
			break;
		}
	}
	return left;
}

/* The HTTP server's side of the settings; the rest of its options (routes,
 * metrics, the node) are set just before it starts. */
static void http_options(const struct config *cfg, struct server_options *o)
{
	memset(o, 0, sizeof(*o));
	o->listen = cfg->listen;
	o->tls_cert = cfg->tls_cert;
	o->tls_key = cfg->tls_key;
	o->insecure_listen = cfg->insecure_listen;
	o->threads = (unsigned)cfg->http_threads;
	o->connections_max = (unsigned)cfg->http_connections_max;
	o->connections_per_ip = (unsigned)cfg->http_connections_per_ip;
	o->timeout_seconds = (unsigned)cfg->http_timeout_seconds;
	o->header_timeout_seconds = cfg->http_header_timeout_seconds;
	o->access_log = cfg->access_log;
	o->limits.body_max = cfg->body_max;
	o->limits.report_body_max = cfg->report_body_max;
	o->limits.json_depth_max = cfg->json_depth_max;
}

/* The server's token check (server_auth_fn): the directory answers. */
static int authenticate(struct node *node, const char *token, size_t n, struct principal *who)
{
	return directory_authenticate(node->dir, token, n, who);
}

int cmd_serve(int argc, char **argv)
{
	struct server_options http;
	struct config cfg;
	struct node node;
	struct server *srv = NULL;
	struct server_tls *tls = NULL;
	struct err_detail err;
	sigset_t sigs;
	int fd = -1, lock_fd = -1, rc, sig;
	struct dnsbl_listen dns_l = {.nudp = 0, .tcp_fd = -1}; /* anti-spam DNSBL (issue 8) */

	memset(&node, 0, sizeof(node));
	serve_argc = argc;
	serve_argv = xcalloc((size_t)argc + 1, sizeof(*serve_argv));
	memcpy(serve_argv, argv, (size_t)argc * sizeof(*serve_argv));
	if (load_config(&cfg, &argc, argv)) {
		free(serve_argv);
		return 2;
	}
	if ((rc = unexpected_args(argc, argv)))
		goto done;
	log_set_level(!strcmp(cfg.log_level, "debug")	? LOG_DEBUG
		      : !strcmp(cfg.log_level, "warn")	? LOG_WARN
		      : !strcmp(cfg.log_level, "error") ? LOG_ERR
							: LOG_INFO);
	token_init();
	struct err_detail i18n_err = {0};
	if (i18n_init(&i18n_err)) { /* a catalogue built into the binary is broken */
		log_err("event=i18n_error error=\"%s\"", i18n_err.message);
		rc = 1;
		goto done;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* Every thread inherits this mask; the main thread waits for the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(&cfg);

	err_clear(&err);
	http_options(&cfg, &http);
	rc = lock_data_dir(cfg.data_dir, &lock_fd);
	if (!rc)
		rc = server_bind(&http, &fd, &err);
	/* anti-spam DNSBL (issue 8): its sockets too are bound before dropping root */
	if (!rc && *cfg.dns_listen)
		rc = dnsbl_server_bind(cfg.dns_listen, (int)cfg.dns_threads, &dns_l, &err);
	if (!rc)
		rc = server_tls_load(&http, &tls, &err); /* the key may be root's alone */
	if (!rc)
		rc = drop_privileges(&cfg, lock_fd);
	if (!rc && *cfg.log_file && log_open_file(cfg.log_file)) {
		log_err_errno("event=start log_file=%s hint=\"the service user must be able to "
			      "create and write it\"",
			      cfg.log_file);
		rc = ERR_IO;
	}
	if (rc) {
		if (err.message[0])
			log_err("event=start error=\"%s\"", err.message);
		rc = 1;
		goto done;
	}
	node.cfg = &cfg;
	node.spool_dir = path_join(cfg.data_dir, "spool");
	mkdir(node.spool_dir, 0700);
	char *reports_dir = path_join(cfg.data_dir, "reports");
	mkdir(reports_dir, 0700);
	free(reports_dir);
	if (access(cfg.data_dir, R_OK | W_OK | X_OK)) {
		log_err_errno(
		    "event=start data_dir=%s uid=%u hint=\"the user the node runs as must "
		    "reach and write the data directory\"",
		    cfg.data_dir, (unsigned)getuid());
		rc = 1;
		goto done;
	}
	rc = store_open(cfg.data_dir, cfg.sqlite_cache_mib, &node.st, &err);
	if (!rc && store_node_get(node.st, "name", &node.node_name)) {
		rc =
		    err_set(&err, ERR_INVALID, "data_dir",
			    "%s is not an initialised node: run atalaya init --data %s --name NAME "
			    "--country CC",
			    cfg.data_dir, cfg.data_dir);
	}
	if (!rc)
		clean_leftovers(&cfg, node.st);
	if (!rc)
		rc = directory_new(node.st, &node.dir);
	/* anti-spam (issue 8): listings loaded from the store, then the DNS server */
	if (!rc)
		rc = spam_new(&node, &node.spam, &err);
	if (!rc && *cfg.dns_listen)
		rc = spam_dns_start(node.spam, &dns_l, &err); /* takes the sockets */
	/* early warning (issue 4): alert delivery, then the index built from the
	 * store and the indexer thread that runs the post-commit pipeline */
	if (!rc)
		rc = alert_new(&node, &node.alert, &err);
	/* federation (issue 14): the node key, before the indexer, whose signing
	 * subscriber uses it; its sync thread starts after the indexer */
	if (!rc && federation_new(&node, &node.fed, &err)) {
		/* the node serves its members without it; peers are refused */
		log_err("event=federation_off error=\"%s\"", err.message);
		err_clear(&err);
	}
	if (!rc)
		rc = indexer_new(&node, pipeline_subscribers, &node.indexer, &err);
	if (!rc) /* TAXII 2.1 (issue 18): the `next` key and scheduled pulls */
		rc = taxii_new(&node, &node.taxii, &err);
	if (!rc)
		rc = federation_start(node.fed, &err); /* pulls peers' feeds */
	/* end early warning */
	if (!rc) /* communication checks (issue 16): the runner resumes its schedule */
		rc = check_new(&node, &node.check, &err);
	/* requests for assistance (issue 15): the deadline scan, after alerts */
	if (!rc)
		rc = requests_new(&node, &node.requests, &err);
	if (rc) {
		log_err("event=start error=\"%s\"", err.message[0] ? err.message : err_str(rc));
		rc = 1;
		goto done;
	}
	http.routes = routes_all(&http.nroutes);
	node.metrics = metrics_new(http.nroutes);
	http.metrics = node.metrics;
	http.authenticate = authenticate;
	http.node = &node;
	rc = server_start(&http, fd, tls, &srv, &err);
	tls = NULL; /* the server took it */
	if (rc) {
		log_err("event=start error=\"%s\"", err.message);
		rc = 1;
		goto done;
	}
	fd = -1; /* the server owns it now */
	log_info("event=serving url=%s://%s node=\"%s\" pid=%d", *cfg.tls_cert ? "https" : "http",
		 cfg.listen, node.node_name, (int)getpid());
	for (;;) {
		if (sigwait(&sigs, &sig))
			break;
		if (sig != SIGHUP)
			break;
		reload(&node, srv);
	}
	log_info("event=stopping signal=%d", sig);
	/* No new connection; the requests in flight are answered (each write is
	 * one transaction: what was acknowledged is on disk), for at most
	 * shutdown_timeout_seconds; alert streams end first. */
	server_quiesce(srv);
	alert_streams_close(node.alert);
	unsigned cut = drain(srv, &sigs, cfg.shutdown_timeout_seconds);
	if (cut)
		log_warn("event=shutdown_timeout requests_cut=%u seconds=%" PRId64, cut,
			 cfg.shutdown_timeout_seconds);
	server_stop(srv);
	check_free(node.check); /* communication checks: pending deliveries stay in the store */
	node.check = NULL;
	taxii_free(node.taxii); /* scheduled pulls stop before the pipeline */
	node.taxii = NULL;
	federation_stop(node.fed);  /* no sync hands the indexer a report any more */
	indexer_free(node.indexer); /* the pipeline stops before its subscribers */
	node.indexer = NULL;
	federation_free(node.fed); /* after the indexer: its signing subscriber */
	node.fed = NULL;
	spam_free(node.spam); /* anti-spam: DNS threads and expiry stop here */
	node.spam = NULL;
	/* requests: before the alert channels it queues to */
	requests_free(node.requests);
	alert_free(node.alert); /* early warning: after the server (streams) */
	node.alert = NULL;
	rc = 0;
	log_info("event=stopped");
done:
	if (fd >= 0)
		close(fd);
	server_tls_free(tls);
	dnsbl_listen_close(&dns_l); /* anti-spam: sockets not handed to the server */
	check_free(node.check);
	taxii_free(node.taxii);
	federation_stop(node.fed);
	indexer_free(node.indexer);
	federation_free(node.fed);
	spam_free(node.spam);
	requests_free(node.requests);
	alert_free(node.alert); /* early warning */
	metrics_free(node.metrics);
	directory_free(node.dir);
	store_close(node.st);
	free(node.spool_dir);
	free(node.node_name);
	config_release(&cfg);
	curl_global_cleanup();
	if (lock_fd >= 0)
		close(lock_fd); /* last: the store is closed */
	free(serve_argv);
	serve_argv = NULL;
	return rc;
}

int cmd_config_show(int argc, char **argv)
{
	config_print_table(stdout);
	return 0;
}

int cmd_config_check(int argc, char **argv)
{
	struct config cfg;
	struct err_detail err;
	const char *file = NULL;
	char *owned = NULL;
	bool sub_seen = false;
	for (int i = 1; i < argc; i++) {
		if (!sub_seen && !strcmp(argv[i], "check"))
			sub_seen = true; /* the subcommand's own name */
		else if (!strcmp(argv[i], "--data") && i + 1 < argc)
			file = owned = path_join(argv[++i], "atalaya.conf");
		else
			file = argv[i];
	}
	if (!file) {
		fprintf(stderr, "atalaya config check: give --data DIR or a file\n");
		return 2;
	}
	config_init(&cfg);
	err_clear(&err);
	int rc = access(file, R_OK) ? err_set(&err, ERR_IO, "", "%s: %s", file, strerror(errno))
				    : config_load_file(&cfg, file, &err);
	if (!rc)
		rc = config_validate(&cfg, &err);
	if (rc)
		fprintf(stderr, "atalaya config: %s\n", err.message);
	else
		printf("%s: ok\n", file);
	config_release(&cfg);
	free(owned);
	return rc ? 1 : 0;
}
