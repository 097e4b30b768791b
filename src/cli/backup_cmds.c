/* `atalaya backup` and `atalaya restore` (issue 12). A backup directory holds
 * atalaya.db (a snapshot taken with SQLite's online backup API, in rollback
 * journal mode so that reading it creates no -wal/-shm files), reports/ with
 * the files that snapshot references, and the other top-level files of the
 * data directory (node.key, admin.token, atalaya.conf, ...). Report files
 * never change once committed, so copying them after the snapshot is
 * consistent; the snapshot cannot reference a report committed after it. */
#include "cli/backup_cmds.h"

#include "cli/args.h"
#include "config/settings.h"
#include "util/err.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>

#define DB_NAME "atalaya.db"
#define LOCK_NAME "lock"
#define INCOMPLETE "BACKUP_INCOMPLETE" /* present until a backup is verified */
#define COPY_CHUNK ((size_t)1 << 20)

struct owner {
	bool set; /* chown what is created (restore as root) */
	uid_t uid;
	gid_t gid;
};

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Files of the data directory's top level that are not copied as files: the
 * store (copied through the backup API), its journals and the daemon's lock. */
static bool skipped_top(const char *name)
{
	return !strncmp(name, DB_NAME, strlen(DB_NAME)) || !strcmp(name, LOCK_NAME) ||
	       !strcmp(name, INCOMPLETE);
}

/* Report ids name files: only report--<uuid> characters. */
static bool safe_id(const char *id)
{
	return *id && strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(id) &&
	       strlen(id) < 100;
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Copies src to a new file dst (never through a symbolic link), fsynced. */
static int copy_file(const char *src, const char *dst, const struct owner *own,
		     struct err_detail *err)
{
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), out = -1, rc = ERR_OK;
	char *chunk = NULL;
	if (in < 0)
		return err_set(err, ERR_IO, src, "cannot read %s: %s", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		rc = err_set(err, ERR_IO, dst, "cannot create %s: %s", dst, strerror(errno));
		goto out;
	}
	chunk = xmalloc(COPY_CHUNK);
	for (;;) {
		ssize_t n = read(in, chunk, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(err, ERR_IO, src, "cannot read %s: %s", src, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, chunk + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = err_set(err, ERR_IO, dst, "cannot write %s: %s", dst,
					     strerror(errno));
				goto out;
			}
			done += w;
		}
	}
	if (own->set && fchown(out, own->uid, own->gid))
		rc = err_set(err, ERR_IO, dst, "cannot chown %s: %s", dst, strerror(errno));
	else if (fsync(out))
		rc = err_set(err, ERR_IO, dst, "cannot write %s: %s", dst, strerror(errno));
out:
	free(chunk);
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

/* Size and SHA-256 (hex) of a file. */
static int hash_file(const char *path, uint64_t *size, char hex[65], struct err_detail *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(err, ERR_NOT_FOUND, path, "%s: %s", path, strerror(errno));
	crypto_hash_sha256_state st;
	unsigned char digest[crypto_hash_sha256_BYTES];
	char *chunk = xmalloc(COPY_CHUNK);
	int rc = ERR_OK;
	ssize_t n;
	crypto_hash_sha256_init(&st);
	*size = 0;
	while ((n = read(fd, chunk, COPY_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc =
			    err_set(err, ERR_IO, path, "cannot read %s: %s", path, strerror(errno));
			break;
		}
		crypto_hash_sha256_update(&st, (unsigned char *)chunk, (unsigned long long)n);
		*size += (uint64_t)n;
	}
	crypto_hash_sha256_final(&st, digest);
	sodium_bin2hex(hex, 65, digest, sizeof(digest));
	free(chunk);
	close(fd);
	return rc;
}

/* Checks a data or backup directory: the store passes PRAGMA integrity_check
 * and every report it references has its files, the submitted one with the
 * recorded size and SHA-256. *nreports: how many reports. */
static int verify(const char *dir, int64_t *nreports, struct err_detail *err)
{
	char *db_path = join(dir, DB_NAME), *rdir = join(dir, "reports");
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc = ERR_OK, src;
	struct stat sb;

	*nreports = 0;
	if (stat(db_path, &sb)) {
		rc = err_set(err, ERR_NOT_FOUND, db_path, "%s: %s", db_path, strerror(errno));
		goto out;
	}
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 10000) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK) {
		rc = err_set(err, ERR_STORE, db_path, "%s: %s", db_path,
			     db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	src = sqlite3_step(s);
	if (src != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(s, 0), "ok")) {
		rc = err_set(err, ERR_STORE, db_path, "%s fails its integrity check: %s", db_path,
			     src == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0)
					       : sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(
		db,
		"SELECT r.id, r.format, r.size, r.sha256, b.body IS NOT NULL, b.body "
		"FROM reports r LEFT JOIN report_bodies b ON b.report = r.seq "
		"ORDER BY r.seq",
		-1, &s, NULL) != SQLITE_OK) {
		rc = err_set(err, ERR_STORE, db_path, "%s: %s", db_path, sqlite3_errmsg(db));
		goto out;
	}
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		bool iodef = !strcmp((const char *)sqlite3_column_text(s, 1), "iodef");
		uint64_t want_size = (uint64_t)sqlite3_column_int64(s, 2), size = 0;
		const char *want_hash = (const char *)sqlite3_column_text(s, 3);
		char name[128], hex[65], *path;
		if (!safe_id(id)) {
			rc = err_set(err, ERR_INVALID, db_path,
				     "%s: report id '%.100s' is not a file "
				     "name",
				     db_path, id);
			goto out;
		}
		if (sqlite3_column_int(s, 4)) { /* kept in the store: named by its id */
			unsigned char digest[crypto_hash_sha256_BYTES];
			size = (uint64_t)sqlite3_column_bytes(s, 5);
			crypto_hash_sha256(digest, sqlite3_column_blob(s, 5), size);
			sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
			path = xstrdup(id);
		} else {
			snprintf(name, sizeof(name), "%s.%s", id, iodef ? "xml" : "json");
			path = join(rdir, name);
			rc = hash_file(path, &size, hex, err);
		}
		if (!rc && (size != want_size || strcmp(hex, want_hash)))
			rc = err_set(err, ERR_INVALID, path,
				     "%s: %" PRIu64 " bytes, sha256 %s; the store recorded %" PRIu64
				     " bytes, sha256 %s",
				     path, size, hex, want_size, want_hash);
		free(path);
		if (!rc && iodef) { /* the bundle mapped from the IODEF document */
			snprintf(name, sizeof(name), "%s.json", id);
			path = join(rdir, name);
			if (stat(path, &sb))
				rc = err_set(err, ERR_NOT_FOUND, path, "%s: %s", path,
					     strerror(errno));
			free(path);
		}
		if (rc)
			goto out;
		(*nreports)++;
	}
	if (src != SQLITE_DONE)
		rc = err_set(err, ERR_STORE, db_path, "%s: %s", db_path, sqlite3_errmsg(db));
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(db_path);
	free(rdir);
	return rc;
}

/* The first entry of dir other than those `ignore` accepts, or NULL (empty);
 * malloc'ed. ERR_NOT_FOUND when dir does not exist. */
static int first_entry(const char *dir, bool (*ignore)(const char *), char **out,
		       struct err_detail *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	*out = NULL;
	if (!d)
		return errno == ENOENT ? ERR_NOT_FOUND
				       : err_set(err, ERR_IO, dir, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    (ignore && ignore(e->d_name)))
			continue;
		*out = xstrdup(e->d_name);
		break;
	}
	closedir(d);
	return ERR_OK;
}

static bool is_lock(const char *name)
{
	return !strcmp(name, LOCK_NAME);
}

/* Copies the regular files of src_dir (not its subdirectories, never a
 * symbolic link) that `skip` does not refuse, into dst_dir. *n: how many. */
static int copy_files(const char *src_dir, const char *dst_dir, bool (*skip)(const char *),
		      const struct owner *own, int64_t *n, struct err_detail *err)
{
	DIR *d = opendir(src_dir);
	struct dirent *e;
	int rc = ERR_OK;
	if (!d)
		return errno == ENOENT
			   ? ERR_OK
			   : err_set(err, ERR_IO, src_dir, "%s: %s", src_dir, strerror(errno));
	while (!rc && (e = readdir(d))) {
		struct stat sb;
		char *from = join(src_dir, e->d_name);
		if (!lstat(from, &sb) && S_ISREG(sb.st_mode) && !(skip && skip(e->d_name))) {
			char *to = join(dst_dir, e->d_name);
			rc = copy_file(from, to, own, err);
			free(to);
			(*n)++;
		}
		free(from);
	}
	closedir(d);
	return rc;
}

static int make_dir(const char *path, const struct owner *own, struct err_detail *err)
{
	if (mkdir(path, 0700) && errno != EEXIST)
		return err_set(err, ERR_IO, path, "cannot create %s: %s", path, strerror(errno));
	if (own->set && lchown(path, own->uid, own->gid))
		return err_set(err, ERR_IO, path, "cannot chown %s: %s", path, strerror(errno));
	return ERR_OK;
}

/* The store's snapshot, through the online backup API: one step copies every
 * page inside one read transaction, so the copy is consistent whatever the
 * daemon commits meanwhile (WAL: the daemon is never blocked). */
static int snapshot(const char *src_path, const char *dst_path, struct err_detail *err)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int rc = ERR_OK, src_rc;

	if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = err_set(err, ERR_STORE, src_path, "%s: %s", src_path,
			     src ? sqlite3_errmsg(src) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(src, 10000);
	if (sqlite3_open_v2(dst_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = err_set(err, ERR_STORE, dst_path, "%s: %s", dst_path,
			     dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	if (!(b = sqlite3_backup_init(dst, "main", src, "main"))) {
		rc = err_set(err, ERR_STORE, dst_path, "backup of %s: %s", src_path,
			     sqlite3_errmsg(dst));
		goto out;
	}
	for (int tries = 0; tries < 100; tries++) {
		src_rc = sqlite3_backup_step(b, -1);
		if (src_rc != SQLITE_BUSY && src_rc != SQLITE_LOCKED)
			break;
		usleep(100000);
	}
	sqlite3_backup_finish(b);
	if (src_rc != SQLITE_DONE) {
		rc = err_set(err, ERR_STORE, src_path, "backup of %s: %s", src_path,
			     sqlite3_errstr(src_rc));
		goto out;
	}
	/* rollback-journal mode: readers of the backup create no -wal/-shm; the
	 * daemon turns WAL back on when it opens a restored store */
	char *msg = NULL;
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, &msg) != SQLITE_OK)
		rc = err_set(err, ERR_STORE, dst_path, "%s: %s", dst_path, msg ? msg : "failed");
	sqlite3_free(msg);
out:
	sqlite3_close(src);
	sqlite3_close(dst);
	return rc;
}

/* Reports referenced by the snapshot: their files, copied into dest/reports
 * (those kept in the store are in the snapshot already). */
static int copy_reports(const char *data, const char *dest, int64_t *n, struct err_detail *err)
{
	char *db_path = join(dest, DB_NAME), *from_dir = join(data, "reports"),
	     *to_dir = join(dest, "reports");
	struct owner none = {0};
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc = make_dir(to_dir, &none, err), src;

	if (rc)
		goto out;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
		db,
		"SELECT id, format FROM reports r WHERE NOT EXISTS "
		"(SELECT 1 FROM report_bodies b WHERE b.report = r.seq) ORDER BY seq",
		-1, &s, NULL) != SQLITE_OK) {
		rc = err_set(err, ERR_STORE, db_path, "%s: %s", db_path,
			     db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		bool iodef = !strcmp((const char *)sqlite3_column_text(s, 1), "iodef");
		if (!safe_id(id)) {
			rc = err_set(err, ERR_INVALID, db_path,
				     "report id '%.100s' is not a file name", id);
			break;
		}
		for (int k = 0; !rc && k < (iodef ? 2 : 1); k++) {
			char name[128], *from, *to;
			snprintf(name, sizeof(name), "%s.%s", id, k ? "xml" : "json");
			from = join(from_dir, name);
			to = join(to_dir, name);
			rc = copy_file(from, to, &none, err);
			free(from);
			free(to);
			(*n)++;
		}
	}
	if (!rc && fsync_path(to_dir))
		rc = err_set(err, ERR_IO, to_dir, "%s: %s", to_dir, strerror(errno));
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(db_path);
	free(from_dir);
	free(to_dir);
	return rc;
}

static int usage(const char *text)
{
	fprintf(stderr, "usage: atalaya %s\n", text);
	return 2;
}

/* Flags other than the known ones are mistakes, not values. */
static int unknown_flag(int argc, char **argv, const char *const *known)
{
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--", 2))
			continue;
		bool ok = false;
		for (int k = 0; known[k]; k++)
			ok |= !strncmp(argv[i], known[k], strlen(known[k])) &&
			      (!argv[i][strlen(known[k])] || argv[i][strlen(known[k])] == '=');
		if (!ok) {
			fprintf(stderr, "atalaya %s: unknown option '%s' (see atalaya help %s)\n",
				argv[0], argv[i], argv[0]);
			return 2;
		}
		if (!strchr(argv[i], '=') && strcmp(argv[i], "--force"))
			i++;
	}
	return 0;
}

int cmd_backup(int argc, char **argv)
{
	static const char *const known[] = {"--data", NULL};
	const char *data = arg_value(argc, argv, "--data"), *dest = arg_positional(argc, argv, 0);
	char *db_path = NULL, *dest_db = NULL, *marker = NULL, *entry = NULL;
	struct err_detail err;
	struct owner none = {0};
	int64_t nreports = 0, nfiles = 0, nverified = 0;
	int rc, fd;
	struct stat sb;

	if (unknown_flag(argc, argv, known))
		return 2;
	if (!data || !dest || arg_positional(argc, argv, 1))
		return usage("backup --data DIR DEST");
	err_clear(&err);
	db_path = join(data, DB_NAME);
	if (stat(db_path, &sb)) {
		rc = err_set(&err, ERR_NOT_FOUND, "data",
			     "%s is not a node's data directory (%s: %s)", data, db_path,
			     strerror(errno));
		goto out;
	}
	rc = first_entry(dest, NULL, &entry, &err);
	if (rc == ERR_NOT_FOUND)
		rc = make_dir(dest, &none, &err);
	else if (!rc && entry)
		rc = err_set(&err, ERR_CONFLICT, dest,
			     "%s is not empty (it holds %s): give a new or empty directory", dest,
			     entry);
	if (rc)
		goto out;
	/* the marker goes first and away last: an interrupted backup says so */
	marker = join(dest, INCOMPLETE);
	fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = err_set(&err, ERR_IO, dest, "cannot write in %s: %s", dest, strerror(errno));
		goto out;
	}
	close(fd);
	dest_db = join(dest, DB_NAME);
	rc = snapshot(db_path, dest_db, &err);
	if (!rc)
		rc = copy_reports(data, dest, &nfiles, &err);
	if (!rc)
		rc = copy_files(data, dest, skipped_top, &none, &nfiles, &err);
	if (!rc)
		rc = verify(dest, &nverified, &err);
	if (!rc && (unlink(marker) || fsync_path(dest)))
		rc = err_set(&err, ERR_IO, dest, "%s: %s", dest, strerror(errno));
	nreports = nverified;
out:
	if (rc)
		fprintf(stderr, "atalaya backup: %s%s\n", err.message,
			marker ? " (the backup is incomplete: delete it)" : "");
	else
		printf("atalaya: backup of %s in %s: %" PRId64 " reports, %" PRId64
		       " files besides the store; verified\n",
		       data, dest, nreports, nfiles);
	free(db_path);
	free(dest_db);
	free(marker);
	free(entry);
	return rc ? 1 : 0;
}

/* --force: what a data directory holds, removed (the lock file stays). */
static int clear_data_dir(const char *data, struct err_detail *err)
{
	static const char *const subdirs[] = {"reports", "spool", NULL};
	DIR *d;
	struct dirent *e;
	int rc = ERR_OK;
	for (int k = 0; subdirs[k]; k++) {
		char *sub = join(data, subdirs[k]);
		if ((d = opendir(sub))) {
			while (!rc && (e = readdir(d))) {
				char *p = join(sub, e->d_name);
				struct stat sb;
				if (!lstat(p, &sb) && !S_ISDIR(sb.st_mode) && unlink(p))
					rc = err_set(err, ERR_IO, p, "cannot remove %s: %s", p,
						     strerror(errno));
				free(p);
			}
			closedir(d);
		}
		free(sub);
	}
	if (rc || !(d = opendir(data)))
		return rc;
	while (!rc && (e = readdir(d))) {
		char *p = join(data, e->d_name);
		struct stat sb;
		if (!is_lock(e->d_name) && !lstat(p, &sb) && !S_ISDIR(sb.st_mode) && unlink(p))
			rc = err_set(err, ERR_IO, p, "cannot remove %s: %s", p, strerror(errno));
		free(p);
	}
	closedir(d);
	return rc;
}

/* Restored as root, the files go to the user `serve` will run as (as its
 * drop_privileges chooses: --user, else the `user` setting of the restored
 * atalaya.conf, else atalaya), not to root: the daemon could not read them. */
static int restore_owner(const char *user, const char *src, struct owner *own,
			 struct err_detail *err)
{
	struct config cfg;
	struct err_detail ignored;
	struct passwd *pw;
	int rc = ERR_OK;

	memset(own, 0, sizeof(*own));
	if (geteuid() != 0)
		return ERR_OK;
	config_init(&cfg);
	if (!user) {
		char *conf = join(src, "atalaya.conf");
		err_clear(&ignored);
		if (!config_load_file(&cfg, conf, &ignored) && *cfg.user)
			user = cfg.user;
		free(conf);
	}
	if (!user)
		user = "atalaya";
	pw = getpwnam(user);
	if (!pw) {
		rc = err_set(err, ERR_INVALID, "user",
			     "no user '%s' to own the restored files (create it: useradd --system "
			     "--no-create-home --shell /usr/sbin/nologin %s)",
			     user, user);
		goto out;
	}
	own->set = pw->pw_uid != 0;
	own->uid = pw->pw_uid;
	own->gid = pw->pw_gid;
out:
	config_release(&cfg);
	return rc;
}

int cmd_restore(int argc, char **argv)
{
	static const char *const known[] = {"--data", "--force", "--user", NULL};
	const char *data = arg_value(argc, argv, "--data"), *src = arg_positional(argc, argv, 0);
	bool force = arg_flag(argc, argv, "--force");
	char *marker = NULL, *lock_path = NULL, *entry = NULL, *from = NULL, *to = NULL;
	char *rfrom = NULL, *rto = NULL;
	struct err_detail err;
	struct owner own;
	int64_t nreports = 0, nfiles = 0;
	int rc, lock_fd = -1;
	struct stat sb;

	if (unknown_flag(argc, argv, known))
		return 2;
	if (!data || !src || arg_positional(argc, argv, 1))
		return usage("restore --data DIR [--force] [--user U] SRC");
	err_clear(&err);
	rc = restore_owner(arg_value(argc, argv, "--user"), src, &own, &err);
	if (rc)
		goto out;
	marker = join(src, INCOMPLETE);
	if (!stat(marker, &sb)) {
		rc = err_set(&err, ERR_INVALID, src, "%s is an incomplete backup (%s exists)", src,
			     marker);
		goto out;
	}
	if ((rc = verify(src, &nreports, &err)))
		goto out;
	if ((rc = make_dir(data, &own, &err)))
		goto out;
	/* the daemon's lock: held by a running daemon, and by us until we are
	 * done, so that no daemon starts on a half-restored directory */
	lock_path = join(data, LOCK_NAME);
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock_fd < 0) {
		rc = err_set(&err, ERR_IO, lock_path, "cannot open %s: %s", lock_path,
			     strerror(errno));
		goto out;
	}
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (fcntl(lock_fd, F_SETLK, &fl)) {
		rc = err_set(&err, ERR_CONFLICT, lock_path,
			     "a daemon is running on %s (%s is locked): stop it first", data,
			     lock_path);
		goto out;
	}
	if (own.set && fchown(lock_fd, own.uid, own.gid)) {
		rc = err_set(&err, ERR_IO, lock_path, "cannot chown %s: %s", lock_path,
			     strerror(errno));
		goto out;
	}
	if ((rc = first_entry(data, is_lock, &entry, &err)))
		goto out;
	if (entry && !force) {
		rc = err_set(&err, ERR_CONFLICT, data,
			     "%s is not empty (it holds %s): restore into an empty directory, or "
			     "give --force to replace what it holds",
			     data, entry);
		goto out;
	}
	if (entry && (rc = clear_data_dir(data, &err)))
		goto out;
	from = join(src, DB_NAME);
	to = join(data, DB_NAME);
	rc = copy_file(from, to, &own, &err);
	rfrom = join(src, "reports");
	rto = join(data, "reports");
	if (!rc)
		rc = make_dir(rto, &own, &err);
	if (!rc)
		rc = copy_files(rfrom, rto, NULL, &own, &nfiles, &err);
	if (!rc)
		rc = copy_files(src, data, skipped_top, &own, &nfiles, &err);
	if (!rc && (fsync_path(rto) || fsync_path(data)))
		rc = err_set(&err, ERR_IO, data, "%s: %s", data, strerror(errno));
	if (!rc)
		rc = verify(data, &nreports, &err);
out:
	if (rc)
		fprintf(stderr, "atalaya restore: %s\n", err.message);
	else
		printf("atalaya: restored %s into %s: %" PRId64 " reports, %" PRId64
		       " files besides the store; verified\n",
		       src, data, nreports, nfiles);
	if (lock_fd >= 0)
		close(lock_fd);
	free(marker);
	free(lock_path);
	free(entry);
	free(from);
	free(to);
	free(rfrom);
	free(rto);
	return rc ? 1 : 0;
}
