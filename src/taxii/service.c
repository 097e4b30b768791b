/* The TAXII state of a running node: the `next` key and the thread that
 * runs the sources' scheduled pulls. */
#include "taxii/taxii.h"

#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <sodium.h>

struct taxii {
	struct node *node;
	unsigned char next_key[TAXII_NEXT_KEY_BYTES];
	pthread_t th;
	bool started, stopping;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

/* The key is kept in the store (node table), so `next` tokens survive a
 * restart; it never leaves the node. */
static int load_key(struct node *node, unsigned char key[TAXII_NEXT_KEY_BYTES],
		    struct err_detail *err)
{
	char *hex = NULL, text[2 * TAXII_NEXT_KEY_BYTES + 1];
	size_t n = 0;
	struct store_conn *c;
	if (store_node_get(node->st, "taxii_next_key", &hex) == ERR_OK) {
		int bad =
		    sodium_hex2bin(key, TAXII_NEXT_KEY_BYTES, hex, strlen(hex), NULL, &n, NULL) ||
		    n != TAXII_NEXT_KEY_BYTES;
		sodium_memzero(hex, strlen(hex));
		free(hex);
		return bad ? err_set(err, ERR_STORE, "taxii_next_key",
				     "taxii_next_key: the stored key is damaged")
			   : ERR_OK;
	}
	randombytes_buf(key, TAXII_NEXT_KEY_BYTES);
	sodium_bin2hex(text, sizeof(text), key, TAXII_NEXT_KEY_BYTES);
	int rc = store_write_begin(node->st, &c);
	if (!rc)
		rc = store_node_set(c, "taxii_next_key", text);
	rc = store_write_end(node->st, rc);
	sodium_memzero(text, sizeof(text));
	return rc ? err_set(err, rc, "taxii_next_key", "taxii_next_key: cannot be stored") : ERR_OK;
}

/* The source due first, or "" when none is due before `*wait_ms`. */
static bool due_source(struct taxii *t, char *name, size_t n, int64_t *wait_ms)
{
	static const char sql[] = "SELECT name, coalesce(next_pull, 0) FROM taxii_sources WHERE "
				  "every_seconds > 0 ORDER BY coalesce(next_pull, 0) LIMIT 1";
	struct store_conn *c = store_reader(t->node->st);
	bool due = false;
	*wait_ms = 60000;
	if (!c)
		return false;
	sqlite3_stmt *s = store_stmt(c, sql);
	if (sqlite3_step(s) == SQLITE_ROW) {
		int64_t at = sqlite3_column_int64(s, 1), now = time_now_ms();
		if (at <= now) {
			snprintf(name, n, "%s", (const char *)sqlite3_column_text(s, 0));
			due = true;
		} else if (at - now < *wait_ms) {
			*wait_ms = at - now;
		}
	}
	sqlite3_reset(s);
	return due;
}

static void *scheduler_main(void *arg)
{
	struct taxii *t = arg;
	char name[128];
	pthread_mutex_lock(&t->lock);
	while (!t->stopping) {
		int64_t wait_ms;
		pthread_mutex_unlock(&t->lock);
		bool due = due_source(t, name, sizeof(name), &wait_ms);
		if (due) {
			struct taxii_pull_result res;
			struct err_detail err;
			err_clear(&err);
			/* logs and records its outcome; a pull by hand that runs
			 * already: wait for it rather than spin */
			if (taxii_pull(t->node, name, &res, &err) == ERR_CONFLICT) {
				due = false;
				wait_ms = 1000;
			}
		}
		pthread_mutex_lock(&t->lock);
		if (due || t->stopping)
			continue;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait_ms / 1000;
		until.tv_nsec += (wait_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&t->wake, &t->lock, &until);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int taxii_new(struct node *node, struct taxii **out, struct err_detail *err)
{
	struct taxii *t = xcalloc(1, sizeof(*t));
	t->node = node;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
	int rc = load_key(node, t->next_key, err);
	if (!rc && pthread_create(&t->th, NULL, scheduler_main, t))
		rc = err_set(err, ERR_INTERNAL, "", "cannot start the TAXII scheduler thread");
	if (rc) {
		taxii_free(t);
		return rc;
	}
	t->started = true;
	*out = t;
	return ERR_OK;
}

void taxii_free(struct taxii *t)
{
	if (!t)
		return;
	if (t->started) {
		pthread_mutex_lock(&t->lock);
		t->stopping = true;
		pthread_cond_signal(&t->wake);
		pthread_mutex_unlock(&t->lock);
		pthread_join(t->th, NULL);
	}
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->wake);
	sodium_memzero(t->next_key, sizeof(t->next_key));
	free(t);
}

void taxii_kick(struct taxii *t)
{
	pthread_mutex_lock(&t->lock);
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
}

const unsigned char *taxii_next_key(const struct taxii *t)
{
	return t->next_key;
}
