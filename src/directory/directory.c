#include "directory/directory.h"

#include "directory/token.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <pthread.h>

struct tok {
	char lookup[TOKEN_LOOKUP_LEN + 1];
	uint8_t hash[TOKEN_HASH_LEN];
	int64_t member_id;
	enum role role;
};

struct pair {
	int64_t a, b;
};

struct snapshot {
	struct tok *toks; /* sorted by lookup */
	size_t ntoks;
	int64_t *members; /* live member ids, sorted */
	size_t nmembers;
	int64_t *groups; /* group ids, sorted */
	size_t ngroups;
	struct pair *memberships; /* (group, member), sorted */
	size_t nmemberships;
	int64_t *peers; /* peer node ids (federation), sorted */
	size_t npeers;
};

struct directory {
	pthread_rwlock_t lock;
	struct snapshot snap;
};

static const char *const role_names[] = {"reader", "analyst", "admin"};

int role_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, role_names[i]))
			return i;
	return -1;
}

static int cmp_tok(const void *a, const void *b)
{
	return strcmp(((const struct tok *)a)->lookup, ((const struct tok *)b)->lookup);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->a != y->a)
		return (x->a > y->a) - (x->a < y->a);
	return (x->b > y->b) - (x->b < y->b);
}

/* bsearch that accepts an empty (NULL) table. */
static const void *find(const void *key, const void *base, size_t n, size_t size,
			int (*cmp)(const void *, const void *))
{
	return n ? bsearch(key, base, n, size, cmp) : NULL;
}

static void snapshot_release(struct snapshot *s)
{
	free(s->toks);
	free(s->members);
	free(s->groups);
	free(s->memberships);
	free(s->peers);
	memset(s, 0, sizeof(*s));
}

/* Runs `sql` and appends each row through `take`; grows *arr as needed. */
static int load_rows(struct store_conn *c, const char *sql, void **arr, size_t *n, size_t size,
		     void (*take)(sqlite3_stmt *, void *))
{
	sqlite3_stmt *s = store_stmt(c, sql);
	size_t cap = 0;
	int rc;

	if (!s)
		return ERR_STORE;
	*arr = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*arr = xrealloc(*arr, cap * size);
		}
		take(s, (char *)*arr + *n * size);
		(*n)++;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? ERR_OK : ERR_STORE;
}

static void take_tok(sqlite3_stmt *s, void *out)
{
	struct tok *t = out;
	snprintf(t->lookup, sizeof(t->lookup), "%s", (const char *)sqlite3_column_text(s, 0));
	memset(t->hash, 0, sizeof(t->hash));
	if (sqlite3_column_bytes(s, 1) == TOKEN_HASH_LEN)
		memcpy(t->hash, sqlite3_column_blob(s, 1), TOKEN_HASH_LEN);
	t->member_id = sqlite3_column_int64(s, 2);
	int r = role_parse((const char *)sqlite3_column_text(s, 3));
	t->role = r < 0 ? ROLE_READER : (enum role)r;
}

static void take_id(sqlite3_stmt *s, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(s, 0);
}

static void take_pair(sqlite3_stmt *s, void *out)
{
	struct pair *p = out;
	p->a = sqlite3_column_int64(s, 0);
	p->b = sqlite3_column_int64(s, 1);
}

static int load(struct store *st, struct snapshot *s)
{
	static const char toks_sql[] =
	    "SELECT t.lookup, t.hash, m.id, m.role FROM tokens t JOIN members m "
	    "ON m.id = t.member_id WHERE t.revoked IS NULL AND m.deleted IS NULL";
	static const char members_sql[] = "SELECT id FROM members WHERE deleted IS NULL";
	static const char groups_sql[] = "SELECT id FROM groups";
	static const char gm_sql[] = "SELECT group_id, member_id FROM group_members";
	static const char peers_sql[] = "SELECT id FROM peers";
	struct store_conn *c = store_reader(st);
	int rc;

	memset(s, 0, sizeof(*s));
	if (!c)
		return ERR_STORE;
	rc = load_rows(c, toks_sql, (void **)&s->toks, &s->ntoks, sizeof(struct tok), take_tok);
	if (!rc)
		rc = load_rows(c, members_sql, (void **)&s->members, &s->nmembers, sizeof(int64_t),
			       take_id);
	if (!rc)
		rc = load_rows(c, groups_sql, (void **)&s->groups, &s->ngroups, sizeof(int64_t),
			       take_id);
	if (!rc)
		rc = load_rows(c, gm_sql, (void **)&s->memberships, &s->nmemberships,
			       sizeof(struct pair), take_pair);
	if (!rc)
		rc = load_rows(c, peers_sql, (void **)&s->peers, &s->npeers, sizeof(int64_t),
			       take_id);
	if (rc) {
		snapshot_release(s);
		return rc;
	}
	/* empty tables have NULL arrays, which qsort and bsearch must not see */
	if (s->ntoks)
		qsort(s->toks, s->ntoks, sizeof(*s->toks), cmp_tok);
	if (s->nmembers)
		qsort(s->members, s->nmembers, sizeof(int64_t), cmp_i64);
	if (s->ngroups)
		qsort(s->groups, s->ngroups, sizeof(int64_t), cmp_i64);
	if (s->nmemberships)
		qsort(s->memberships, s->nmemberships, sizeof(struct pair), cmp_pair);
	if (s->npeers)
		qsort(s->peers, s->npeers, sizeof(int64_t), cmp_i64);
	return ERR_OK;
}

int directory_new(struct store *st, struct directory **out)
{
	struct directory *d = xcalloc(1, sizeof(*d));
	pthread_rwlock_init(&d->lock, NULL);
	int rc = load(st, &d->snap);
	if (rc) {
		directory_free(d);
		return rc;
	}
	*out = d;
	return ERR_OK;
}

void directory_free(struct directory *d)
{
	if (!d)
		return;
	snapshot_release(&d->snap);
	pthread_rwlock_destroy(&d->lock);
	free(d);
}

int directory_reload(struct directory *d, struct store *st)
{
	struct snapshot fresh, old;
	int rc = load(st, &fresh);
	if (rc) {
		log_err("event=directory_reload error=\"%s\"", err_str(rc));
		return rc;
	}
	pthread_rwlock_wrlock(&d->lock);
	old = d->snap;
	d->snap = fresh;
	pthread_rwlock_unlock(&d->lock);
	snapshot_release(&old);
	return ERR_OK;
}

int directory_authenticate(struct directory *d, const char *token, size_t n, struct principal *who)
{
	struct tok key;
	uint8_t hash[TOKEN_HASH_LEN];
	int rc = ERR_UNAUTH;

	if (token_parse(token, n, key.lookup, hash))
		return ERR_UNAUTH;
	pthread_rwlock_rdlock(&d->lock);
	const struct tok *t = find(&key, d->snap.toks, d->snap.ntoks, sizeof(key), cmp_tok);
	if (t && token_hash_equal(t->hash, hash)) {
		who->member_id = t->member_id;
		who->role = t->role;
		rc = ERR_OK;
	}
	pthread_rwlock_unlock(&d->lock);
	return rc;
}

bool directory_member_exists(struct directory *d, int64_t member_id)
{
	pthread_rwlock_rdlock(&d->lock);
	bool found =
	    find(&member_id, d->snap.members, d->snap.nmembers, sizeof(int64_t), cmp_i64) != NULL;
	pthread_rwlock_unlock(&d->lock);
	return found;
}

bool directory_group_exists(struct directory *d, int64_t group_id)
{
	pthread_rwlock_rdlock(&d->lock);
	bool found =
	    find(&group_id, d->snap.groups, d->snap.ngroups, sizeof(int64_t), cmp_i64) != NULL;
	pthread_rwlock_unlock(&d->lock);
	return found;
}

bool directory_in_group(struct directory *d, int64_t member_id, int64_t group_id)
{
	struct pair key = {group_id, member_id};
	pthread_rwlock_rdlock(&d->lock);
	bool found =
	    find(&key, d->snap.memberships, d->snap.nmemberships, sizeof(key), cmp_pair) != NULL;
	pthread_rwlock_unlock(&d->lock);
	return found;
}

bool directory_peer_exists(struct directory *d, int64_t peer_id)
{
	pthread_rwlock_rdlock(&d->lock);
	bool found =
	    find(&peer_id, d->snap.peers, d->snap.npeers, sizeof(int64_t), cmp_i64) != NULL;
	pthread_rwlock_unlock(&d->lock);
	return found;
}
