/* The SQLite store: the source of truth. WAL mode, synchronous=FULL, numbered
 * migrations applied at open.
 *
 * Threads: any thread may read through store_reader(), which hands each thread
 * its own connection (created on first use, closed by store_close). Writes are
 * serialised: store_write_begin() takes the writer lock and opens an IMMEDIATE
 * transaction; store_write_end() commits (or rolls back on error) and unlocks.
 * A write is on disk when store_write_end returns ERR_OK. The store runs one
 * thread of its own, the checkpointer, from store_open to store_close: it
 * copies the WAL into the database file off the committing request's path. */
#ifndef ATALAYA_STORE_H
#define ATALAYA_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "util/err.h"

struct store;

/* Opens (creating if needed) DIR/atalaya.db and migrates it. `cache_mib` sizes
 * the writer's page cache. The caller frees with store_close. */
int store_open(const char *dir, int64_t cache_mib, struct store **out, struct err_detail *err);
/* Closes every connection; no other thread may be using the store. */
void store_close(struct store *st);

/* A connection with its prepared-statement cache. */
struct store_conn;

/* This thread's read connection, or NULL if it cannot be opened (logged).
 * Owned by the store. */
struct store_conn *store_reader(struct store *st);
/* The SQLite handle of a connection, for column reads and errors. */
sqlite3 *store_db(struct store_conn *c);

/* A prepared statement for `sql`, cached per connection by the address of
 * `sql` (pass string literals). Reset and unbound, owned by the connection.
 * Returns NULL on a preparation error (a bug), logged. */
sqlite3_stmt *store_stmt(struct store_conn *c, const char *sql);

/* Takes the writer lock and begins a transaction; *c is the writer
 * connection, valid until store_write_end. */
int store_write_begin(struct store *st, struct store_conn **c);
/* rc == ERR_OK commits, anything else rolls back; returns rc or the commit's
 * error. Always releases the lock. */
int store_write_end(struct store *st, int rc);

/* Maps an SQLite result (not OK/ROW/DONE) to ERR_CONFLICT for constraint
 * violations, ERR_STORE otherwise, and logs it. */
int store_error(struct store_conn *c, int sqlite_rc, const char *what);

/* Runs a write statement to its end and resets it: ERR_OK or store_error's code. */
int store_step_done(struct store_conn *c, sqlite3_stmt *s, const char *what);

/* Runs a write statement to its end and resets it: ERR_OK when it changed at
 * least one row, ERR_NOT_FOUND when it changed none, else store_error's code. */
int store_step_changed(struct store_conn *c, sqlite3_stmt *s, const char *what);

/* The key under which object_keys finds a STIX id: SipHash-2-4 of the id's
 * bytes under a fixed, public key, 63 bits. It is stored: it never changes.
 * Different ids may share a key; a lookup matches stix_id as well. Every
 * connection also has it as the SQL function stix_key(TEXT). Any thread. */
int64_t store_stix_key(const char *id, size_t len);

/* Bytes of the database plus its WAL. */
int64_t store_size_bytes(struct store *st);

/* Key/value facts about the node (name, country, key): TEXT values. */
int store_node_get(struct store *st, const char *key, char **value_out);
/* Within a write transaction. */
int store_node_set(struct store_conn *c, const char *key, const char *value);

#endif
