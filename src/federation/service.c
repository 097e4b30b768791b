/* The federation service: the node key, the sync thread (every
 * federation_sync_interval_ms, each peer in turn), the check of feed
 * requests, and the counters shown in `peer list` and /metrics. */
#include "federation/internal.h"
#include "http/metrics.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <sodium.h>

const struct fed_key *federation_key(const struct federation *f)
{
	return &f->key;
}

/* One round: each peer in turn (the first 256: a node has a handful). */
static void sync_all(struct federation *f)
{
	struct store_conn *c = store_reader(f->node->st);
	int64_t ids[256];
	size_t n = 0;
	sqlite3_stmt *s = c ? store_stmt(c, "SELECT id FROM peers ORDER BY id") : NULL;
	while (s && n < 256 && sqlite3_step(s) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	if (s)
		sqlite3_reset(s);
	for (size_t i = 0; i < n; i++)
		federation_sync_peer(f, ids[i]);
}

static void *sync_thread(void *arg)
{
	struct federation *f = arg;
	pthread_mutex_lock(&f->lock);
	while (!f->stop) {
		pthread_mutex_unlock(&f->lock);
		sync_all(f);
		pthread_mutex_lock(&f->lock);
		if (f->stop)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t ns = ts.tv_nsec + f->node->cfg->federation_sync_interval_ms * 1000000;
		ts.tv_sec += ns / 1000000000;
		ts.tv_nsec = ns % 1000000000;
		pthread_cond_timedwait(&f->wake, &f->lock, &ts);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

int federation_new(struct node *node, struct federation **out, struct err_detail *err)
{
	struct federation *f = xcalloc(1, sizeof(*f));
	char *name = NULL;
	f->node = node;
	pthread_mutex_init(&f->sync_lock, NULL);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	int rc = fed_key_load(node->cfg->data_dir, &f->key, err);
	if (rc)
		goto fail;
	struct store_conn *c = store_reader(node->st);
	sqlite3_stmt *s = c ? store_stmt(c, "SELECT m.id FROM members m JOIN node n ON "
					    "n.key = 'name' AND m.name = n.value "
					    "WHERE m.deleted IS NULL ORDER BY m.id LIMIT 1")
			    : NULL;
	if (s && sqlite3_step(s) == SQLITE_ROW)
		f->own_member = sqlite3_column_int64(s, 0);
	if (s)
		sqlite3_reset(s);
	free(name);
	*out = f;
	return ERR_OK;
fail:
	federation_free(f);
	return rc;
}

int federation_start(struct federation *f, struct err_detail *err)
{
	if (!f || f->node->cfg->federation_sync_interval_ms <= 0)
		return ERR_OK;
	if (pthread_create(&f->thread, NULL, sync_thread, f))
		return err_set(err, ERR_INTERNAL, "", "cannot start the federation thread");
	f->started = true;
	return ERR_OK;
}

void federation_stop(struct federation *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	if (f->started)
		pthread_join(f->thread, NULL);
	f->started = false;
}

void federation_free(struct federation *f)
{
	if (!f)
		return;
	federation_stop(f);
	fed_key_release(&f->key);
	pthread_mutex_destroy(&f->sync_lock);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->wake);
	free(f->seen);
	free(f);
}

int federation_sync_peer(struct federation *f, int64_t peer_id)
{
	pthread_mutex_lock(&f->sync_lock);
	int rc = fed_sync_one(f, peer_id);
	pthread_mutex_unlock(&f->sync_lock);
	return rc;
}

struct peer_seen *fed_seen(struct federation *f, int64_t peer)
{
	for (size_t i = 0; i < f->nseen; i++)
		if (f->seen[i].peer == peer)
			return &f->seen[i];
	if (f->nseen == f->capseen)
		f->seen = xrealloc(f->seen, (f->capseen = f->capseen ? f->capseen * 2 : 16) *
						sizeof(*f->seen));
	struct peer_seen *p = &f->seen[f->nseen++];
	memset(p, 0, sizeof(*p));
	p->peer = peer;
	return p;
}

int federation_check_request(struct federation *f, const char *node_hex, const char *time_text,
			     const char *sig_hex, const char *method, const char *path,
			     int64_t cursor, int64_t *peer_id, int64_t *peer_member,
			     struct err_detail *err)
{
	unsigned char pk[FED_KEY_BYTES], sig[FED_SIG_BYTES];
	char hex[FED_KEY_HEX];
	char *end;
	int64_t t, now = time_now_ms();
	struct buf msg;

	if (!node_hex || !time_text || !sig_hex)
		return err_set(err, ERR_UNAUTH, "X-Atalaya-Node",
			       "a feed request needs X-Atalaya-Node, X-Atalaya-Time and "
			       "X-Atalaya-Signature");
	if (!fed_key_parse(node_hex, pk, hex))
		return err_set(err, ERR_UNAUTH, "X-Atalaya-Node",
			       "X-Atalaya-Node: not an Ed25519 public key (64 hex digits)");
	t = strtoll(time_text, &end, 10);
	if (*end || end == time_text || t < now - FED_CLOCK_SKEW_MS || t > now + FED_CLOCK_SKEW_MS)
		return err_set(err, ERR_UNAUTH, "X-Atalaya-Time",
			       "X-Atalaya-Time: not within 300 s of this node's clock (ms since "
			       "the epoch)");
	if (!fed_hex_parse(sig_hex, strlen(sig_hex), sig, sizeof(sig)))
		return err_set(err, ERR_UNAUTH, "X-Atalaya-Signature",
			       "X-Atalaya-Signature: not 128 hex digits");
	struct store_conn *c = store_reader(f->node->st);
	sqlite3_stmt *s =
	    c ? store_stmt(c, "SELECT id, member FROM peers WHERE public_key = ?") : NULL;
	if (!s)
		return err_set(err, ERR_STORE, "", "the store cannot be read");
	sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
	bool known = sqlite3_step(s) == SQLITE_ROW;
	if (known) {
		*peer_id = sqlite3_column_int64(s, 0);
		*peer_member = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (!known)
		return err_set(err, ERR_UNAUTH, "X-Atalaya-Node",
			       "X-Atalaya-Node: this key is not a peer of this node");
	buf_init(&msg, 1 << 16);
	fed_request_canonical(method, path, cursor, t, f->key.pk_hex, &msg);
	bool ok = fed_verify(pk, msg.data, msg.len, sig);
	buf_release(&msg);
	if (!ok)
		return err_set(err, ERR_UNAUTH, "X-Atalaya-Signature",
			       "X-Atalaya-Signature: does not verify against the peer's key");
	pthread_mutex_lock(&f->lock);
	struct peer_seen *p = fed_seen(f, *peer_id);
	bool replay = t <= p->last_time;
	if (!replay)
		p->last_time = t;
	pthread_mutex_unlock(&f->lock);
	if (replay)
		return err_set(err, ERR_UNAUTH, "X-Atalaya-Time",
			       "X-Atalaya-Time: not later than the peer's previous request "
			       "(a replay?)");
	return ERR_OK;
}

void federation_count_out(struct federation *f, int64_t peer_id, uint64_t bytes)
{
	pthread_mutex_lock(&f->lock);
	fed_seen(f, peer_id)->bytes_out += bytes;
	pthread_mutex_unlock(&f->lock);
}

uint64_t federation_bytes_out(struct federation *f, int64_t peer_id)
{
	uint64_t n = 0;
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nseen; i++)
		if (f->seen[i].peer == peer_id)
			n = f->seen[i].bytes_out;
	pthread_mutex_unlock(&f->lock);
	return n;
}

void federation_metrics(struct node *node, struct buf *out)
{
	struct store_conn *c = node->fed ? store_reader(node->st) : NULL;
	sqlite3_stmt *s =
	    c ? store_stmt(c, "SELECT id, name, lag_reports, lag_seconds, errors, bytes_in, "
			      "reports_in, last_contact FROM peers ORDER BY id")
	      : NULL;
	if (!s)
		return;
	buf_adds(out, "# HELP atalaya_peer_lag_reports reports a peer's feed holds that this "
		      "node has not taken yet\n# TYPE atalaya_peer_lag_reports gauge\n"
		      "# HELP atalaya_peer_lag_seconds age of the oldest of them\n"
		      "# TYPE atalaya_peer_lag_seconds gauge\n"
		      "# HELP atalaya_peer_errors_total syncs refused or failed\n"
		      "# TYPE atalaya_peer_errors_total counter\n"
		      "# HELP atalaya_peer_bytes_in_total feed bytes taken from the peer\n"
		      "# TYPE atalaya_peer_bytes_in_total counter\n"
		      "# HELP atalaya_peer_bytes_out_total feed bytes the peer took from this "
		      "node since start\n# TYPE atalaya_peer_bytes_out_total counter\n"
		      "# HELP atalaya_peer_reports_in_total reports stored from the peer's feed\n"
		      "# TYPE atalaya_peer_reports_in_total counter\n");
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 1);
		buf_addf(
		    out,
		    "atalaya_peer_lag_reports{peer=\"%s\"} %" PRId64 "\n"
		    "atalaya_peer_lag_seconds{peer=\"%s\"} %" PRId64 "\n"
		    "atalaya_peer_errors_total{peer=\"%s\"} %" PRId64 "\n"
		    "atalaya_peer_bytes_in_total{peer=\"%s\"} %" PRId64 "\n"
		    "atalaya_peer_bytes_out_total{peer=\"%s\"} %" PRIu64 "\n"
		    "atalaya_peer_reports_in_total{peer=\"%s\"} %" PRId64 "\n",
		    name, (int64_t)sqlite3_column_int64(s, 2), name,
		    (int64_t)sqlite3_column_int64(s, 3), name, (int64_t)sqlite3_column_int64(s, 4),
		    name, (int64_t)sqlite3_column_int64(s, 5), name,
		    federation_bytes_out(node->fed, id), name, (int64_t)sqlite3_column_int64(s, 6));
	}
	sqlite3_reset(s);
}
