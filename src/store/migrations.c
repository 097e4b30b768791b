#include "store/migrations.h"

/* Ids are AUTOINCREMENT so that a deleted group or member id is never
 * reused: an audience naming it must not widen to a newcomer.
 * Times are integer milliseconds since the epoch (UTC). JSON columns hold
 * canonical JSON text written by our own code. */
const char *const store_migrations[] = {
	/* 1: the node, members, tokens, groups, points of contact */
	"CREATE TABLE node (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE members ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  country TEXT NOT NULL,"
	"  languages TEXT NOT NULL DEFAULT '[]',"
	"  role TEXT NOT NULL,"
	"  ack_deadline_seconds INTEGER,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  deleted INTEGER);"
	"CREATE UNIQUE INDEX members_name ON members(name COLLATE NOCASE) WHERE deleted IS NULL;"
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  member_id INTEGER NOT NULL REFERENCES members(id),"
	"  lookup TEXT NOT NULL UNIQUE,"
	"  hash BLOB NOT NULL,"
	"  label TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  revoked INTEGER);"
	"CREATE INDEX tokens_member ON tokens(member_id);"
	"CREATE TABLE groups ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE TABLE group_members ("
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	"  member_id INTEGER NOT NULL REFERENCES members(id),"
	"  PRIMARY KEY (group_id, member_id)) WITHOUT ROWID;"
	"CREATE TABLE contacts ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  member_id INTEGER NOT NULL REFERENCES members(id),"
	"  role TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  email TEXT NOT NULL,"
	"  phone TEXT,"
	"  webhook_url TEXT,"
	"  pgp_fingerprint TEXT,"
	"  languages TEXT NOT NULL DEFAULT '[]',"
	"  availability TEXT NOT NULL,"
	"  escalation_position INTEGER NOT NULL,"
	"  audience TEXT NOT NULL DEFAULT '[]',"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE INDEX contacts_member ON contacts(member_id, escalation_position);",
};

const size_t store_migrations_count = sizeof(store_migrations) / sizeof(store_migrations[0]);
