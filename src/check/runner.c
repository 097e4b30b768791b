/* The check runner: one thread that issues the challenges whose random time
 * came, delivers them (webhook and e-mail through alert/delivery.h, all at
 * once on one libcurl multi handle), retries failed deliveries with backoff
 * and escalates targets left without an answer past reply_within. Every step
 * is a row, so a restart resumes the schedule (check.h). */
#include "check/check.h"

#include "alert/delivery.h"
#include "alert/webhook.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>

#define CHECK_ATTEMPTS_MAX 6 /* 1 + 2 + 4 + 8 + 16 s of backoff: within a short window */
#define CHECK_BATCH 64
#define CHECK_ISSUE_BATCH 256

struct inflight {
	int64_t id;
	struct delivery_msg *msg;
	struct inflight *next;
};

struct check {
	struct node *node;
	pthread_t th;
	CURLM *multi;
	struct webhook_policy *policy;
	atomic_bool stopping;
	struct inflight *inflight;
	uint8_t key[crypto_auth_hmacsha256_KEYBYTES];
};

void check_code_hash(const char *code, size_t n, uint8_t out[32])
{
	crypto_hash_sha256(out, (const unsigned char *)code, n);
}

bool check_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
	char *end;
	if (!s || *s < '0' || *s > '9')
		return false;
	long long v = strtoll(s, &end, 10);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (v > 30LL * 86400000 / units[i].ms)
			return false;
		*ms = v * units[i].ms;
		return true;
	}
	return false;
}

/* The code of challenge `id`: HMAC of its id under the node's check key, so
 * that a retry or a restart sends the same code while the store keeps only
 * its hash. 24 hex digits: 96 bits. */
static void challenge_code(const struct check *k, int64_t id, char out[CHECK_CODE_LEN + 1])
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES], msg[8];
	for (int i = 0; i < 8; i++)
		msg[i] = (uint8_t)((uint64_t)id >> (8 * i));
	crypto_auth_hmacsha256(mac, msg, sizeof(msg), k->key);
	sodium_bin2hex(out, CHECK_CODE_LEN + 1, mac, CHECK_CODE_LEN / 2);
}

static int step_done(struct store_conn *c, sqlite3_stmt *s, const char *what)
{
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	return src == SQLITE_DONE ? ERR_OK : store_error(c, src, what);
}

/* Inside a write transaction: a challenge of target `target` to `contact`,
 * with one delivery per channel the contact has. */
static int issue_challenge(struct check *k, struct store_conn *w, int64_t target, int64_t contact,
			   int64_t level, int64_t now)
{
	sqlite3_stmt *s = store_stmt(w, "INSERT INTO check_challenges(target, contact, level, "
					"code_hash, issued_at) VALUES (?,?,?,randomblob(32),?)");
	sqlite3_bind_int64(s, 1, target);
	sqlite3_bind_int64(s, 2, contact);
	sqlite3_bind_int64(s, 3, level);
	sqlite3_bind_int64(s, 4, now);
	int rc = step_done(w, s, "challenge_insert");
	if (rc)
		return rc;
	int64_t id = sqlite3_last_insert_rowid(store_db(w));
	char code[CHECK_CODE_LEN + 1];
	uint8_t hash[32];
	challenge_code(k, id, code);
	check_code_hash(code, CHECK_CODE_LEN, hash);
	s = store_stmt(w, "UPDATE check_challenges SET code_hash = ? WHERE id = ?");
	sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, id);
	if ((rc = step_done(w, s, "challenge_code")))
		return rc;
	sodium_memzero(code, sizeof(code));
	/* the contact's channels: its webhook, and its address when mail is set up */
	s = store_stmt(w, "INSERT INTO check_deliveries(challenge, channel, address, next_at) "
			  "SELECT ?1, 'webhook', webhook_url, ?2 FROM contacts WHERE id = ?3 AND "
			  "webhook_url IS NOT NULL UNION ALL SELECT ?1, 'email', email, ?2 FROM "
			  "contacts WHERE id = ?3 AND ?4");
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, contact);
	sqlite3_bind_int(s, 4, *k->node->cfg->smtp_url != '\0');
	return step_done(w, s, "check_delivery_insert");
}

/* Targets whose time came: their first challenge. */
/* Is a row of `sql` (with ? = now) due? Read without the writer lock, so an
 * idle runner never takes the lock intake commits under. */
static bool any_due(struct check *k, const char *sql, int64_t now)
{
	struct store_conn *c = store_reader(k->node->st);
	if (!c)
		return false;
	sqlite3_stmt *s = store_stmt(c, sql);
	sqlite3_bind_int64(s, 1, now);
	bool due = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return due;
}

static void issue_due(struct check *k, int64_t now)
{
	struct store_conn *w;
	if (!any_due(
		k, "SELECT 1 FROM check_targets WHERE state = 'scheduled' AND send_at <= ? LIMIT 1",
		now) ||
	    store_write_begin(k->node->st, &w))
		return;
	int64_t ids[CHECK_ISSUE_BATCH], contacts[CHECK_ISSUE_BATCH], reply[CHECK_ISSUE_BATCH];
	int n = 0, rc = ERR_OK;
	sqlite3_stmt *s =
	    store_stmt(w, "SELECT t.id, t.contact, c.reply_within_ms FROM "
			  "check_targets t JOIN checks c ON c.id = t.check_id WHERE "
			  "t.state = 'scheduled' AND t.send_at <= ? ORDER BY t.send_at "
			  "LIMIT ?");
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, CHECK_ISSUE_BATCH);
	while (n < CHECK_ISSUE_BATCH && sqlite3_step(s) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(s, 0);
		contacts[n] = sqlite3_column_int64(s, 1);
		reply[n] = sqlite3_column_int64(s, 2);
		n++;
	}
	sqlite3_reset(s);
	for (int i = 0; i < n && !rc; i++) {
		rc = issue_challenge(k, w, ids[i], contacts[i], 0, now);
		s = store_stmt(w, "UPDATE check_targets SET state = 'open', issued_at = ?1, "
				  "escalate_at = ?2 WHERE id = ?3");
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_int64(s, 2, now + reply[i]);
		sqlite3_bind_int64(s, 3, ids[i]);
		if (!rc)
			rc = step_done(w, s, "target_open");
	}
	store_write_end(k->node->st, rc);
	if (n)
		log_info("event=check_issued targets=%d", n);
}

/* Open targets past their deadline: the member's next contact in escalation
 * order after the one challenged last, or no answer when there is none. */
static void escalate_due(struct check *k, int64_t now)
{
	struct store_conn *w;
	if (!any_due(
		k, "SELECT 1 FROM check_targets WHERE state = 'open' AND escalate_at <= ? LIMIT 1",
		now) ||
	    store_write_begin(k->node->st, &w))
		return;
	int64_t ids[CHECK_ISSUE_BATCH], members[CHECK_ISSUE_BATCH], levels[CHECK_ISSUE_BATCH],
	    reply[CHECK_ISSUE_BATCH];
	int n = 0, rc = ERR_OK;
	sqlite3_stmt *s =
	    store_stmt(w, "SELECT t.id, t.member, t.level, c.reply_within_ms FROM check_targets t "
			  "JOIN checks c ON c.id = t.check_id WHERE t.state = 'open' AND "
			  "t.escalate_at <= ? ORDER BY t.escalate_at LIMIT ?");
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, CHECK_ISSUE_BATCH);
	while (n < CHECK_ISSUE_BATCH && sqlite3_step(s) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(s, 0);
		members[n] = sqlite3_column_int64(s, 1);
		levels[n] = sqlite3_column_int64(s, 2);
		reply[n] = sqlite3_column_int64(s, 3);
		n++;
	}
	sqlite3_reset(s);
	for (int i = 0; i < n && !rc; i++) {
		int64_t next = 0;
		s = store_stmt(w,
			       "SELECT n.id FROM check_challenges ch JOIN contacts cur ON cur.id "
			       "= ch.contact JOIN contacts n ON n.member_id = ?2 AND "
			       "(n.escalation_position, n.id) > (cur.escalation_position, cur.id) "
			       "WHERE ch.target = ?1 AND ch.level = ?3 ORDER BY "
			       "n.escalation_position, n.id LIMIT 1");
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, members[i]);
		sqlite3_bind_int64(s, 3, levels[i]);
		if (sqlite3_step(s) == SQLITE_ROW)
			next = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		if (next)
			rc = issue_challenge(k, w, ids[i], next, levels[i] + 1, now);
		s = store_stmt(w, next ? "UPDATE check_targets SET level = level + 1, "
					 "escalate_at = ?1 WHERE id = ?2"
				       : "UPDATE check_targets SET state = 'unanswered', "
					 "escalate_at = NULL WHERE id = ?2");
		if (next)
			sqlite3_bind_int64(s, 1, now + reply[i]);
		sqlite3_bind_int64(s, 2, ids[i]);
		if (!rc)
			rc = step_done(w, s, "target_escalate");
		log_info("event=check_escalated target=%" PRId64 " level=%" PRId64 " exhausted=%s",
			 ids[i], levels[i] + 1, next ? "false" : "true");
	}
	store_write_end(k->node->st, rc);
}

static bool in_flight(struct check *k, int64_t id)
{
	for (struct inflight *f = k->inflight; f; f = f->next)
		if (f->id == id)
			return true;
	return false;
}

static char *message_json(struct check *k, int64_t check, int64_t challenge, bool exercise,
			  int64_t reply_ms, const char *code)
{
	char base[256], url[400], link[480], page[300];
	config_base_url(k->node->cfg, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/api/v1/checks/answer", base);
	snprintf(page, sizeof(page), "%s/web/check", base);
	snprintf(link, sizeof(link), "%s?code=%s", url, code);
	json_t *m = json_pack(
	    "{ss ss sI sI sb ss sI ss s{ss ss s{ss} ss ss ss}}", "type", "atalaya.check", "node",
	    k->node->node_name ? k->node->node_name : "", "check", (json_int_t)check, "challenge",
	    (json_int_t)challenge, "exercise", exercise, "code", code, "reply_within_seconds",
	    (json_int_t)(reply_ms / 1000), "link", link, "answer", "method", "POST", "url", url,
	    "body", "code", code, "cli", "atalaya check answer CODE", "web", page, "note",
	    "answer with your member's API token (Authorization: Bearer); opening the link "
	    "does not answer");
	char *out = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(m);
	return out;
}

static char *message_mail(struct check *k, int64_t check, bool exercise, int64_t reply_ms,
			  const char *json)
{
	json_t *m = json_loads(json, 0, NULL);
	struct buf b;
	char date[32];
	const char *ex = exercise ? "[EXERCISE] " : "";
	buf_init(&b, 1 << 16);
	time_format_ms(time_now_ms(), date);
	buf_addf(&b,
		 "Subject: [atalaya] %scommunication check %" PRId64 ": please answer\r\n"
		 "X-Atalaya-Check: %" PRId64 "\r\n%s"
		 "Content-Type: text/plain; charset=utf-8\r\n\r\n",
		 ex, check, check, exercise ? "X-Atalaya-Exercise: yes\r\n" : "");
	buf_addf(&b,
		 "%sThis is a communication check of node %s (%s): it checks that this point of "
		 "contact answers.\r\n\r\nYour code: %s\r\n\r\nAnswer within %" PRId64
		 " seconds, signed in with your member's API token:\r\n"
		 "  atalaya check answer %s\r\nor POST %s with {\"code\":\"%s\"},\r\n"
		 "or type the code at %s after signing in.\r\n"
		 "Opening %s shows these instructions and does not answer.\r\n",
		 exercise ? "EXERCISE. " : "", k->node->node_name ? k->node->node_name : "", date,
		 json_string_value(json_object_get(m, "code")), reply_ms / 1000,
		 json_string_value(json_object_get(m, "code")),
		 json_string_value(json_object_get(json_object_get(m, "answer"), "url")),
		 json_string_value(json_object_get(m, "code")),
		 json_string_value(json_object_get(json_object_get(m, "answer"), "web")),
		 json_string_value(json_object_get(m, "link")));
	json_decref(m);
	size_t n;
	return buf_detach(&b, &n);
}

/* Starts up to CHECK_BATCH due deliveries; returns how many it took. */
static int start_due(struct check *k, int64_t now)
{
	struct store_conn *c = store_reader(k->node->st);
	if (!c)
		return 0;
	sqlite3_stmt *s = store_stmt(
	    c, "SELECT d.id, d.challenge, d.channel, d.address, t.member, t.check_id, c.exercise, "
	       "c.reply_within_ms, t.state FROM check_deliveries d JOIN check_challenges ch ON "
	       "ch.id = d.challenge JOIN check_targets t ON t.id = ch.target JOIN checks c ON "
	       "c.id = t.check_id WHERE d.state = 'pending' AND d.next_at <= ? ORDER BY "
	       "d.next_at LIMIT ?");
	struct row {
		int64_t id, challenge, member, check, reply;
		bool exercise, answered;
		char *channel, *address;
	} rows[CHECK_BATCH];
	int n = 0;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, CHECK_BATCH * 2);
	while (n < CHECK_BATCH && sqlite3_step(s) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		if (in_flight(k, id))
			continue;
		rows[n] = (struct row){
		    .id = id,
		    .challenge = sqlite3_column_int64(s, 1),
		    .channel = xstrdup((const char *)sqlite3_column_text(s, 2)),
		    .address = xstrdup((const char *)sqlite3_column_text(s, 3)),
		    .member = sqlite3_column_int64(s, 4),
		    .check = sqlite3_column_int64(s, 5),
		    .exercise = sqlite3_column_int(s, 6) != 0,
		    .reply = sqlite3_column_int64(s, 7),
		    .answered = !strcmp((const char *)sqlite3_column_text(s, 8), "answered"),
		};
		n++;
	}
	sqlite3_reset(s);
	for (int i = 0; i < n; i++) {
		struct row *r = &rows[i];
		if (r->answered) { /* answered through another contact meanwhile */
			struct store_conn *w;
			if (!store_write_begin(k->node->st, &w)) {
				sqlite3_stmt *u = store_stmt(
				    w, "UPDATE check_deliveries SET state = 'cancelled', detail = "
				       "'the target was answered' WHERE id = ?");
				sqlite3_bind_int64(u, 1, r->id);
				store_write_end(k->node->st, step_done(w, u, "cancel"));
			}
		} else {
			char code[CHECK_CODE_LEN + 1], hdr[80];
			challenge_code(k, r->challenge, code);
			char *json =
			    message_json(k, r->check, r->challenge, r->exercise, r->reply, code);
			struct delivery_msg *m;
			if (!strcmp(r->channel, "webhook")) {
				/* "X-Atalaya-Check: 5 exercise" marks an exercise in the
				 * header as well as in the body */
				snprintf(hdr, sizeof(hdr), "X-Atalaya-Check: %" PRId64 "%s",
					 r->check, r->exercise ? " exercise" : "");
				m = delivery_msg_webhook(c, k->policy, r->member, r->address, json,
							 hdr);
			} else {
				char *text = message_mail(k, r->check, r->exercise, r->reply, json);
				m = delivery_msg_email(k->node->cfg, r->address, text);
				free(text);
			}
			sodium_memzero(code, sizeof(code));
			free(json);
			struct inflight *f = xcalloc(1, sizeof(*f));
			f->id = r->id;
			f->msg = m;
			f->next = k->inflight;
			k->inflight = f;
			curl_multi_add_handle(k->multi, delivery_msg_handle(m));
		}
		free(r->channel);
		free(r->address);
	}
	return n;
}

/* Inside a write transaction: delivery `delivery` reached its contact. The
 * first delivery of a challenge starts its reply_within (a challenge that
 * waited for a retry or a restart gets its full time), and the first of a
 * target's first challenge starts its time to answer. */
static int reached(struct store_conn *w, int64_t delivery, int64_t now)
{
	sqlite3_stmt *s =
	    store_stmt(w, "UPDATE check_challenges SET delivered_at = ?1 WHERE id = "
			  "(SELECT challenge FROM check_deliveries WHERE id = ?2) AND "
			  "delivered_at IS NULL RETURNING target, level");
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, delivery);
	int64_t target = 0, level = 0;
	int src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		target = sqlite3_column_int64(s, 0);
		level = sqlite3_column_int64(s, 1);
		src = sqlite3_step(s);
	}
	sqlite3_reset(s);
	if (src != SQLITE_DONE)
		return store_error(w, src, "challenge_delivered");
	if (!target)
		return ERR_OK;
	s = store_stmt(w, "UPDATE check_targets SET escalate_at = ?1 + (SELECT reply_within_ms "
			  "FROM checks WHERE id = check_id), reached_at = coalesce(reached_at, "
			  "?1) WHERE id = ?2 AND level = ?3 AND state = 'open'");
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, target);
	sqlite3_bind_int64(s, 3, level);
	return step_done(w, s, "target_reached");
}

/* Records the outcome of one finished transfer inside the write
 * transaction `w` (NULL when it could not begin: the row stays pending and
 * is sent again, which the receiver may see twice). */
static int record(struct check *k, struct store_conn *w, struct inflight *f, CURLcode res,
		  int64_t now)
{
	char detail[400];
	bool final = false;
	bool ok = delivery_msg_outcome(f->msg, res, detail, sizeof(detail), &final);
	int64_t attempts = 0;
	int rc = ERR_OK;
	if (w) {
		sqlite3_stmt *s =
		    store_stmt(w, "UPDATE check_deliveries SET attempts = attempts + 1, next_at = "
				  "?1 + (1000 << min(attempts, 16)), state = CASE WHEN ?2 THEN "
				  "'delivered' WHEN ?3 OR attempts + 1 >= ?4 THEN 'failed' ELSE "
				  "'pending' END, detail = ?5 WHERE id = ?6 RETURNING attempts");
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_int(s, 2, ok);
		sqlite3_bind_int(s, 3, final);
		sqlite3_bind_int(s, 4, CHECK_ATTEMPTS_MAX);
		sqlite3_bind_text(s, 5, detail, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 6, f->id);
		int src = sqlite3_step(s);
		if (src == SQLITE_ROW) {
			attempts = sqlite3_column_int64(s, 0);
			src = sqlite3_step(s);
		}
		sqlite3_reset(s);
		rc = src == SQLITE_DONE ? ERR_OK : store_error(w, src, "check_delivery");
		if (ok && !rc)
			rc = reached(w, f->id, now);
	}
	log_info("event=check_delivery delivery=%" PRId64 " attempt=%" PRId64
		 " outcome=%s detail=\"%s\"",
		 f->id, attempts, ok ? "delivered" : "retry_or_failed", detail);
	return rc;
}

/* Every transfer that finished, recorded in one transaction: a commit per
 * delivery would make the disk's flush the pace of a check. */
static void finish_all(struct check *k)
{
	struct inflight *done = NULL;
	CURLcode results[CHECK_BATCH * 4];
	size_t n = 0;
	CURLMsg *m;
	int q;
	while (n < sizeof(results) / sizeof(results[0]) &&
	       (m = curl_multi_info_read(k->multi, &q))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct inflight **pp = &k->inflight, *f;
		for (; (f = *pp) && delivery_msg_handle(f->msg) != m->easy_handle; pp = &f->next)
			;
		if (!f)
			continue;
		*pp = f->next;
		curl_multi_remove_handle(k->multi, m->easy_handle);
		results[n++] = m->data.result;
		f->next = done;
		done = f;
	}
	if (!done)
		return;
	struct store_conn *w = NULL;
	int64_t now = time_now_ms();
	int rc = store_write_begin(k->node->st, &w);
	if (rc)
		w = NULL;
	for (struct inflight *f = done; f; f = f->next) {
		int r = record(k, w, f, results[--n], now);
		if (!rc)
			rc = r;
	}
	if (w)
		store_write_end(k->node->st, rc);
	while (done) {
		struct inflight *f = done;
		done = f->next;
		delivery_msg_free(f->msg);
		free(f);
	}
}

/* Milliseconds until the next thing falls due (at most 1 s). */
static int next_wait(struct check *k, int64_t now)
{
	static const char *const sql[] = {
	    "SELECT min(send_at) FROM check_targets WHERE state = 'scheduled'",
	    "SELECT min(escalate_at) FROM check_targets WHERE state = 'open'",
	    "SELECT min(next_at) FROM check_deliveries WHERE state = 'pending' AND next_at > ?",
	};
	struct store_conn *c = store_reader(k->node->st);
	int64_t next = now + 1000;
	if (!c)
		return 1000;
	for (size_t i = 0; i < 3; i++) {
		sqlite3_stmt *s = store_stmt(c, sql[i]);
		if (i == 2)
			sqlite3_bind_int64(s, 1, now);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL &&
		    sqlite3_column_int64(s, 0) < next)
			next = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}
	return next <= now ? 0 : (int)(next - now);
}

static void *runner_main(void *arg)
{
	struct check *k = arg;
	while (!atomic_load(&k->stopping)) {
		int64_t now = time_now_ms();
		issue_due(k, now);
		escalate_due(k, now);
		int started = start_due(k, now);
		int running = 0;
		curl_multi_perform(k->multi, &running);
		finish_all(k);
		int wait = started == CHECK_BATCH ? 0 : next_wait(k, time_now_ms());
		curl_multi_poll(k->multi, NULL, 0, wait ? wait : 1, NULL);
	}
	while (k->inflight) {
		struct inflight *f = k->inflight;
		k->inflight = f->next;
		curl_multi_remove_handle(k->multi, delivery_msg_handle(f->msg));
		delivery_msg_free(f->msg);
		free(f);
	}
	return NULL;
}

/* The node's check key (hex in the node table), created on first use. */
static int load_key(struct check *k, struct err_detail *err)
{
	char *hex = NULL;
	size_t n = 0;
	int rc = store_node_get(k->node->st, "check_key", &hex);
	if (!rc && hex &&
	    sodium_hex2bin(k->key, sizeof(k->key), hex, strlen(hex), NULL, &n, NULL) == 0 &&
	    n == sizeof(k->key)) {
		free(hex);
		return ERR_OK;
	}
	free(hex);
	char text[2 * sizeof(k->key) + 1];
	struct store_conn *w;
	randombytes_buf(k->key, sizeof(k->key));
	sodium_bin2hex(text, sizeof(text), k->key, sizeof(k->key));
	rc = store_write_begin(k->node->st, &w);
	if (!rc)
		rc = store_write_end(k->node->st, store_node_set(w, "check_key", text));
	sodium_memzero(text, sizeof(text));
	if (rc)
		return err_set(err, rc, NULL, "cannot store the communication check key");
	return ERR_OK;
}

int check_new(struct node *node, struct check **out, struct err_detail *err)
{
	struct check *k = xcalloc(1, sizeof(*k));
	k->node = node;
	int rc = load_key(k, err);
	if (!rc)
		rc = webhook_policy_new(node->cfg->webhook_allow_networks, &k->policy, err);
	if (rc) {
		free(k);
		return rc;
	}
	k->multi = curl_multi_init();
	atomic_init(&k->stopping, false);
	if (pthread_create(&k->th, NULL, runner_main, k)) {
		curl_multi_cleanup(k->multi);
		webhook_policy_free(k->policy);
		free(k);
		return err_set(err, ERR_INTERNAL, NULL, "cannot start the check runner thread");
	}
	*out = k;
	return ERR_OK;
}

void check_kick(struct check *k)
{
	if (k)
		curl_multi_wakeup(k->multi);
}

void check_free(struct check *k)
{
	if (!k)
		return;
	atomic_store(&k->stopping, true);
	curl_multi_wakeup(k->multi);
	pthread_join(k->th, NULL);
	curl_multi_cleanup(k->multi);
	webhook_policy_free(k->policy);
	sodium_memzero(k->key, sizeof(k->key));
	free(k);
}
