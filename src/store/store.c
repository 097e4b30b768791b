#include "store/store.h"

#include "store/migrations.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

/* WAL frames are copied back into the database file by a thread of the store
 * (the checkpointer, with its own connection), not by the COMMIT of the
 * request that crossed SQLite's autocheckpoint threshold: that copy is as
 * large as the transaction (~0.4 s for a report of a million objects) and
 * the client would wait for it. A commit that leaves more than CKPT_WAL_BYTES
 * in the WAL wakes the checkpointer; while a checkpoint cannot finish (a
 * reader still needs old frames) it tries again every CKPT_RETRY_MS. */
#define CKPT_WAL_BYTES ((int64_t)16 << 20)
#define CKPT_RETRY_MS 1000
#define CKPT_WAIT_MS 250

/* Prepared statements of a connection, by the address of their SQL text
 * (each a static string of its call site): an open-addressing table that
 * grows, so every statement is prepared once whatever their number. */
struct stmt_slot {
	const char *sql;
	sqlite3_stmt *stmt;
};

struct store_conn {
	sqlite3 *db;
	struct stmt_slot *slots;
	size_t nslots; /* a power of two, or 0 */
	size_t nstmts;
	struct store_conn *next;
};

struct store {
	char *path;
	struct store_conn writer;
	pthread_mutex_t write_lock;
	pthread_mutex_t readers_lock;
	struct store_conn *readers;
	pthread_key_t reader_key;
	int64_t page_size;

	/* the checkpointer */
	struct store_conn ckpt;
	pthread_t ckpt_thread;
	bool ckpt_started;
	pthread_mutex_t ckpt_lock;
	pthread_cond_t ckpt_cond;
	bool ckpt_wanted, ckpt_stop;
};

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		log_err("event=sqlite_exec error=\"%s\"", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return ERR_STORE;
	}
	return ERR_OK;
}

int64_t store_stix_key(const char *id, size_t len)
{
	/* Not a secret: a collision costs one more row to compare, and even
	 * chosen ids cannot pile many onto one key (2^63 tries each). */
	static const unsigned char key[crypto_shorthash_siphash24_KEYBYTES] = "atalaya stix_id";
	unsigned char h[crypto_shorthash_siphash24_BYTES];
	uint64_t v = 0;

	crypto_shorthash_siphash24(h, (const unsigned char *)id, len, key);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | h[i];
	return (int64_t)(v & INT64_MAX);
}

static void sql_stix_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	const unsigned char *id = sqlite3_value_text(argv[0]);
	if (!id) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_int64(
	    ctx, store_stix_key((const char *)id, (size_t)sqlite3_value_bytes(argv[0])));
}

static int open_conn(const char *path, struct store_conn *c, int readonly, int64_t cache_mib)
{
	int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
		    SQLITE_OPEN_NOMUTEX;
	memset(c, 0, sizeof(*c));
	if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
		log_err("event=store_open path=%s error=\"%s\"", path,
			c->db ? sqlite3_errmsg(c->db) : "out of memory");
		sqlite3_close(c->db);
		c->db = NULL;
		return ERR_STORE;
	}
	sqlite3_busy_timeout(c->db, 10000);
	if (sqlite3_create_function(c->db, "stix_key", 1,
				    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				    sql_stix_key, NULL, NULL) != SQLITE_OK) {
		log_err("event=store_open path=%s error=\"%s\"", path, sqlite3_errmsg(c->db));
		sqlite3_close(c->db);
		c->db = NULL;
		return ERR_STORE;
	}
	char pragma[160];
	snprintf(pragma, sizeof(pragma),
		 "PRAGMA foreign_keys=ON; PRAGMA cache_size=-%" PRId64
		 "; PRAGMA temp_store=MEMORY;",
		 cache_mib * 1024);
	return exec(c->db, pragma);
}

static void close_conn(struct store_conn *c)
{
	for (size_t i = 0; i < c->nslots; i++)
		sqlite3_finalize(c->slots[i].stmt);
	free(c->slots);
	c->slots = NULL;
	c->nslots = c->nstmts = 0;
	sqlite3_close(c->db);
	c->db = NULL;
}

static int migrate(struct store *st)
{
	sqlite3 *db = st->writer.db;
	sqlite3_stmt *s;
	int version = 0, rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return ERR_STORE;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if ((size_t)version > store_migrations_count) {
		log_err(
		    "event=store_migrate error=\"store schema %d is newer than this binary (%zu)\"",
		    version, store_migrations_count);
		return ERR_STORE;
	}
	for (size_t v = (size_t)version; v < store_migrations_count; v++) {
		char set[64];
		snprintf(set, sizeof(set), "PRAGMA user_version=%zu;", v + 1);
		rc = exec(db, "BEGIN IMMEDIATE");
		if (!rc)
			rc = exec(db, store_migrations[v]);
		if (!rc)
			rc = exec(db, set);
		if (rc) {
			exec(db, "ROLLBACK");
			log_err("event=store_migrate step=%zu", v + 1);
			return rc;
		}
		rc = exec(db, "COMMIT");
		if (rc)
			return rc;
		log_info("event=store_migrate step=%zu", v + 1);
	}
	return ERR_OK;
}

/* Writer's WAL hook, run after each commit (the write lock held): wake the
 * checkpointer once the WAL holds more than CKPT_WAL_BYTES. Replaces SQLite's
 * automatic checkpoint, which would run here, in the committing request. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *st = arg;
	(void)db;
	(void)name;
	if ((int64_t)frames * st->page_size >= CKPT_WAL_BYTES) {
		pthread_mutex_lock(&st->ckpt_lock);
		st->ckpt_wanted = true;
		pthread_cond_signal(&st->ckpt_cond);
		pthread_mutex_unlock(&st->ckpt_lock);
	}
	return SQLITE_OK;
}

/* One checkpoint; true when the WAL can start over at the next write (so
 * that it does not grow). */
static bool checkpoint_once(struct store *st)
{
	int frames = 0, copied = 0;
	/* Most of the work, with writes and reads going on. */
	int src = sqlite3_wal_checkpoint_v2(st->ckpt.db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
					    &copied);
	if (src == SQLITE_OK && copied < frames) {
		/* Writes committed meanwhile, or a reader still reads frames that
		 * were not copied: the WAL could not start over, and under steady
		 * writes it never would. So, with writes held off (the write
		 * lock), copy the rest and wait (CKPT_WAIT_MS at most) for the
		 * readers to leave the WAL: then the next write starts it over. */
		pthread_mutex_lock(&st->write_lock);
		src = sqlite3_wal_checkpoint_v2(st->ckpt.db, NULL, SQLITE_CHECKPOINT_RESTART,
						&frames, &copied);
		pthread_mutex_unlock(&st->write_lock);
	}
	if (src != SQLITE_OK && src != SQLITE_BUSY)
		log_warn("event=store_checkpoint error=\"%s\"", sqlite3_errmsg(st->ckpt.db));
	log_debug("event=store_checkpoint frames=%d copied=%d busy=%d", frames, copied,
		  src == SQLITE_BUSY);
	return src == SQLITE_OK && copied >= frames;
}

/* Sleeps until a commit asks for a checkpoint, or, while the last one could
 * not finish, until it is time to try again (commits meanwhile do not hurry
 * it: what holds it back is a reader, not the size of the WAL). */
static void *checkpointer(void *arg)
{
	struct store *st = arg;
	bool retry = false;
	struct timespec at;

	pthread_mutex_lock(&st->ckpt_lock);
	while (!st->ckpt_stop) {
		if (retry) {
			if (pthread_cond_timedwait(&st->ckpt_cond, &st->ckpt_lock, &at) !=
			    ETIMEDOUT)
				continue;
		} else if (!st->ckpt_wanted) {
			pthread_cond_wait(&st->ckpt_cond, &st->ckpt_lock);
			continue;
		}
		st->ckpt_wanted = false;
		pthread_mutex_unlock(&st->ckpt_lock);
		retry = !checkpoint_once(st);
		if (retry) {
			clock_gettime(CLOCK_REALTIME, &at);
			at.tv_sec += CKPT_RETRY_MS / 1000;
			at.tv_nsec += (long)(CKPT_RETRY_MS % 1000) * 1000000L;
			if (at.tv_nsec >= 1000000000L) {
				at.tv_sec++;
				at.tv_nsec -= 1000000000L;
			}
		}
		pthread_mutex_lock(&st->ckpt_lock);
	}
	pthread_mutex_unlock(&st->ckpt_lock);
	return NULL;
}

static void reader_detach(void *p)
{
	(void)p; /* connections are closed by store_close; the key only caches */
}

/* Before SQLite initialises (the first open): no memory statistics, which
 * nothing reads and which cost a global mutex on every allocation (~5 % of a
 * large report's commit). */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const char *dir, int64_t cache_mib, struct store **out, struct err_detail *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);

	struct store *st = xcalloc(1, sizeof(*st));
	size_t n = strlen(dir) + 16;
	int rc;

	st->path = xmalloc(n);
	snprintf(st->path, n, "%s/atalaya.db", dir);
	pthread_mutex_init(&st->write_lock, NULL);
	pthread_mutex_init(&st->readers_lock, NULL);
	pthread_key_create(&st->reader_key, reader_detach);
	pthread_mutex_init(&st->ckpt_lock, NULL);
	pthread_cond_init(&st->ckpt_cond, NULL);
	rc = open_conn(st->path, &st->writer, 0, cache_mib);
	if (rc) {
		err_set(err, rc, "data_dir", "cannot open the store %s", st->path);
		goto out;
	}
	/* WAL: readers never block the writer. synchronous=FULL: a commit is
	 * fsynced before it returns, so an acknowledged write survives power loss,
	 * not only a process crash (NORMAL would only survive the latter). */
	rc = exec(st->writer.db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
	if (!rc)
		rc = open_conn(st->path, &st->ckpt, 0, 2);
	if (!rc) {
		sqlite3_busy_timeout(st->ckpt.db, CKPT_WAIT_MS);
		rc = exec(st->ckpt.db, "PRAGMA synchronous=FULL;");
	}
	if (!rc) {
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(st->writer.db, "PRAGMA page_size", -1, &s, NULL) ==
			SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			st->page_size = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		if (st->page_size <= 0)
			st->page_size = 4096;
		sqlite3_wal_hook(st->writer.db, wal_hook, st);
		rc = migrate(st);
	}
	if (!rc) {
		if (pthread_create(&st->ckpt_thread, NULL, checkpointer, st)) {
			log_err_errno("event=store_open what=checkpointer");
			rc = ERR_STORE;
		} else {
			st->ckpt_started = true;
		}
	}
	if (rc)
		err_set(err, rc, "data_dir", "cannot initialise the store %s", st->path);
out:
	if (rc) {
		store_close(st);
		return rc;
	}
	*out = st;
	return ERR_OK;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->ckpt_started) {
		pthread_mutex_lock(&st->ckpt_lock);
		st->ckpt_stop = true;
		pthread_cond_signal(&st->ckpt_cond);
		pthread_mutex_unlock(&st->ckpt_lock);
		pthread_join(st->ckpt_thread, NULL);
	}
	if (st->ckpt.db)
		close_conn(&st->ckpt);
	struct store_conn *c = st->readers;
	while (c) {
		struct store_conn *next = c->next;
		close_conn(c);
		free(c);
		c = next;
	}
	if (st->writer.db) {
		/* Everything into the database file and the WAL emptied; closing
		 * the last connection would do it too, but silently. */
		int src = sqlite3_wal_checkpoint_v2(st->writer.db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
						    NULL, NULL);
		if (src != SQLITE_OK)
			log_warn("event=store_checkpoint what=close error=\"%s\"",
				 sqlite3_errmsg(st->writer.db));
		close_conn(&st->writer);
	}
	pthread_key_delete(st->reader_key);
	pthread_cond_destroy(&st->ckpt_cond);
	pthread_mutex_destroy(&st->ckpt_lock);
	pthread_mutex_destroy(&st->write_lock);
	pthread_mutex_destroy(&st->readers_lock);
	free(st->path);
	free(st);
}

struct store_conn *store_reader(struct store *st)
{
	struct store_conn *c = pthread_getspecific(st->reader_key);
	if (c)
		return c;
	c = xcalloc(1, sizeof(*c));
	if (open_conn(st->path, c, 1, 8)) {
		free(c); /* logged by open_conn; the caller answers 500 */
		return NULL;
	}
	pthread_mutex_lock(&st->readers_lock);
	c->next = st->readers;
	st->readers = c;
	pthread_mutex_unlock(&st->readers_lock);
	pthread_setspecific(st->reader_key, c);
	return c;
}

sqlite3 *store_db(struct store_conn *c)
{
	return c->db;
}

/* The slot of `sql` in a table of n slots (n a power of two): its own, or
 * the empty one where it would go. */
static struct stmt_slot *stmt_slot(struct stmt_slot *slots, size_t n, const char *sql)
{
	size_t i = (size_t)(((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15ULL >> 20) & (n - 1);
	while (slots[i].sql && slots[i].sql != sql)
		i = (i + 1) & (n - 1);
	return &slots[i];
}

static void stmt_table_grow(struct store_conn *c)
{
	size_t n = c->nslots ? c->nslots * 2 : 256;
	struct stmt_slot *slots = xcalloc(n, sizeof(*slots));
	for (size_t i = 0; i < c->nslots; i++)
		if (c->slots[i].sql)
			*stmt_slot(slots, n, c->slots[i].sql) = c->slots[i];
	free(c->slots);
	c->slots = slots;
	c->nslots = n;
}

sqlite3_stmt *store_stmt(struct store_conn *c, const char *sql)
{
	if (2 * (c->nstmts + 1) > c->nslots)
		stmt_table_grow(c);
	struct stmt_slot *slot = stmt_slot(c->slots, c->nslots, sql);
	if (slot->sql) {
		sqlite3_reset(slot->stmt);
		sqlite3_clear_bindings(slot->stmt);
		return slot->stmt;
	}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		log_err("event=sqlite_prepare error=\"%s\" sql=\"%.80s\"", sqlite3_errmsg(c->db),
			sql);
		return NULL;
	}
	slot->sql = sql;
	slot->stmt = s;
	c->nstmts++;
	return s;
}

int store_write_begin(struct store *st, struct store_conn **c)
{
	pthread_mutex_lock(&st->write_lock);
	if (exec(st->writer.db, "BEGIN IMMEDIATE")) {
		pthread_mutex_unlock(&st->write_lock);
		return ERR_STORE;
	}
	*c = &st->writer;
	return ERR_OK;
}

int store_write_end(struct store *st, int rc)
{
	if (rc == ERR_OK)
		rc = exec(st->writer.db, "COMMIT");
	if (rc != ERR_OK && !sqlite3_get_autocommit(st->writer.db))
		exec(st->writer.db, "ROLLBACK");
	pthread_mutex_unlock(&st->write_lock);
	return rc;
}

int store_error(struct store_conn *c, int sqlite_rc, const char *what)
{
	sqlite3 *db = c->db;
	if ((sqlite_rc & 0xff) == SQLITE_CONSTRAINT)
		return ERR_CONFLICT;
	log_err("event=sqlite what=%s error=\"%s\"", what, sqlite3_errmsg(db));
	return ERR_STORE;
}

int store_step_done(struct store_conn *c, sqlite3_stmt *s, const char *what)
{
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	return src == SQLITE_DONE ? ERR_OK : store_error(c, src, what);
}

int store_step_changed(struct store_conn *c, sqlite3_stmt *s, const char *what)
{
	int rc = store_step_done(c, s, what);
	if (!rc && sqlite3_changes(c->db) == 0)
		rc = ERR_NOT_FOUND;
	return rc;
}

int64_t store_size_bytes(struct store *st)
{
	struct stat sb;
	int64_t total = 0;
	size_t n = strlen(st->path) + 8;
	char *wal = xmalloc(n);
	if (stat(st->path, &sb) == 0)
		total += sb.st_size;
	snprintf(wal, n, "%s-wal", st->path);
	if (stat(wal, &sb) == 0)
		total += sb.st_size;
	free(wal);
	return total;
}

int store_node_get(struct store *st, const char *key, char **value_out)
{
	static const char sql[] = "SELECT value FROM node WHERE key = ?";
	struct store_conn *c = store_reader(st);
	sqlite3_stmt *s = c ? store_stmt(c, sql) : NULL;
	if (!s)
		return ERR_STORE;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_STORE;
	}
	*value_out = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return ERR_OK;
}

int store_node_set(struct store_conn *c, const char *key, const char *value)
{
	static const char sql[] = "INSERT INTO node(key, value) VALUES (?, ?) "
				  "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *s = store_stmt(c, sql);
	if (!s)
		return ERR_STORE;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	return store_step_done(c, s, "node_set");
}
