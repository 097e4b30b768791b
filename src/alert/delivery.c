/* Alert delivery: webhooks (JSON POST, HMAC-SHA256 signed) and e-mail (SMTP
 * relay) for every pending row of alert_deliveries, all at once through one
 * libcurl multi handle on one thread, so that a receiver that hangs, fails or
 * redirects costs only its own transfer (connect 3 s, whole transfer 5 s,
 * redirects not followed). Failures are retried with exponential backoff
 * (1 s, 2 s, 4 s ... at most 5 min; 8 attempts). Open alerts past their
 * deadline escalate to the member's next contact. Each attempt and each
 * escalation is an alert_steps row; the state lives in SQLite, so a restart
 * resumes whatever was pending. */
#include "alert/delivery.h"

#include "alert/service.h"
#include "alert/webhook.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>

#define DELIVERY_ATTEMPTS_MAX 8
#define DELIVERY_BACKOFF_MAX_MS 300000
#define DELIVERY_CONNECT_MS 3000
#define DELIVERY_TIMEOUT_MS 5000
#define DELIVERY_SMTP_TIMEOUT_MS 15000
#define DELIVERY_BATCH 64

struct xfer {
	int64_t id, alert, contact, attempts;
	bool notice; /* a row of notice_deliveries (alert is then its ref) */
	char channel[8];
	CURL *easy;
	struct curl_slist *hdrs;
	struct curl_slist *rcpt;
	char *body;
	size_t len, sent;
	char errbuf[CURL_ERROR_SIZE];
	const struct webhook_policy *policy;
	const char *refused; /* why the policy refused an address (static) */
	char refused_addr[INET6_ADDRSTRLEN];
	struct xfer *next;
};

struct delivery {
	struct node *node;
	struct alert *w;
	pthread_t th;
	CURLM *multi;
	struct webhook_policy *policy;
	atomic_bool stopping;
	struct xfer *inflight;
};

int delivery_step(struct store_conn *c, int64_t alert, int64_t now, const char *kind,
		  int64_t contact, const char *channel, int64_t attempt, const char *outcome,
		  const char *detail)
{
	sqlite3_stmt *s =
	    store_stmt(c, "INSERT INTO alert_steps(alert, at, kind, contact, channel, "
			  "attempt, outcome, detail) VALUES (?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(s, 1, alert);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	if (contact)
		sqlite3_bind_int64(s, 4, contact);
	if (channel)
		sqlite3_bind_text(s, 5, channel, -1, SQLITE_STATIC);
	if (attempt)
		sqlite3_bind_int64(s, 6, attempt);
	if (outcome)
		sqlite3_bind_text(s, 7, outcome, -1, SQLITE_STATIC);
	if (detail)
		sqlite3_bind_text(s, 8, detail, -1, SQLITE_TRANSIENT);
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	return src == SQLITE_DONE ? ERR_OK : store_error(c, src, "alert_step");
}

int64_t delivery_deadline_ms(struct store_conn *c, struct node *node, int64_t member)
{
	int64_t secs = node->cfg->alert_ack_deadline_seconds;
	sqlite3_stmt *s = store_stmt(c, "SELECT ack_deadline_seconds FROM members WHERE id = ?");
	sqlite3_bind_int64(s, 1, member);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		secs = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return secs * 1000;
}

/* The member's contact number `level` in escalation order: its id (0 when
 * there is none) and, allocated (the caller frees), its webhook URL (NULL when
 * none), e-mail and name. */
static int64_t contact_at(struct store_conn *c, int64_t member, int64_t level, char **hook,
			  char **email, char **name, int64_t *pos)
{
	sqlite3_stmt *s = store_stmt(c, "SELECT id, webhook_url, email, escalation_position, name "
					"FROM contacts WHERE member_id = ? ORDER BY "
					"escalation_position, id LIMIT 1 OFFSET ?");
	int64_t contact = 0;
	*hook = *email = *name = NULL;
	sqlite3_bind_int64(s, 1, member);
	sqlite3_bind_int64(s, 2, level);
	if (sqlite3_step(s) == SQLITE_ROW) {
		contact = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			*hook = xstrdup((const char *)sqlite3_column_text(s, 1));
		*email = xstrdup((const char *)sqlite3_column_text(s, 2));
		*pos = sqlite3_column_int64(s, 3);
		*name = xstrdup((const char *)sqlite3_column_text(s, 4));
	}
	sqlite3_reset(s);
	return contact;
}

int alert_notice_queue(struct store_conn *c, struct node *node, const struct alert_notice *n,
		       int64_t level, int64_t now, bool *had_contact)
{
	char *hook, *email, *name;
	int64_t pos = 0;
	int64_t contact = contact_at(c, n->member, level, &hook, &email, &name, &pos);
	bool smtp = *node->cfg->smtp_url != '\0';
	int rc = ERR_OK;
	*had_contact = contact != 0;
	sqlite3_stmt *s = store_stmt(c, "INSERT INTO notice_deliveries(source, ref, member, "
					"contact, channel, target, subject, body, next_at) "
					"VALUES (?,?,?,?,?,?,?,?,?)");
	for (int k = 0; k < 2 && contact && !rc; k++) {
		const char *target = k == 0 ? hook : (smtp ? email : NULL);
		if (!target)
			continue;
		sqlite3_bind_text(s, 1, n->source, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, n->ref);
		sqlite3_bind_int64(s, 3, n->member);
		sqlite3_bind_int64(s, 4, contact);
		sqlite3_bind_text(s, 5, k == 0 ? "webhook" : "email", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, target, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 7, n->subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 8, k == 0 ? n->json : n->text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 9, now);
		rc = store_step_done(c, s, "notice_insert");
	}
	free(hook);
	free(email);
	free(name);
	return rc;
}

int delivery_schedule_level(struct store_conn *c, struct node *node, int64_t alert, int64_t member,
			    int64_t level, int64_t now, bool *had_contact)
{
	char *hook, *email, *name;
	int64_t pos = 0;
	int64_t contact = contact_at(c, member, level, &hook, &email, &name, &pos);
	*had_contact = contact != 0;
	if (!contact)
		return level ? ERR_OK
			     : delivery_step(c, alert, now, "notify", 0, NULL, 0, NULL,
					     "the member has no point of contact: the stream only");
	bool smtp = *node->cfg->smtp_url != '\0';
	char detail[400];
	snprintf(detail, sizeof(detail),
		 "contact '%.200s' (escalation position %" PRId64 "): %s%s%s", name, pos,
		 hook ? "webhook" : "", hook && smtp ? ", " : "", smtp ? "e-mail" : "");
	if (!hook && !smtp)
		snprintf(detail, sizeof(detail),
			 "contact '%.200s' (escalation position %" PRId64
			 ") has no webhook_url and no smtp_url is set: the stream only",
			 name, pos);
	int rc = delivery_step(c, alert, now, "notify", contact, NULL, 0, NULL, detail);
	sqlite3_stmt *s =
	    store_stmt(c, "INSERT INTO alert_deliveries(alert, contact, channel, target, next_at) "
			  "VALUES (?,?,?,?,?)");
	for (int k = 0; k < 2 && !rc; k++) {
		const char *target = k == 0 ? hook : (smtp ? email : NULL);
		if (!target)
			continue;
		sqlite3_bind_int64(s, 1, alert);
		sqlite3_bind_int64(s, 2, contact);
		sqlite3_bind_text(s, 3, k == 0 ? "webhook" : "email", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, target, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 5, now);
		int src = sqlite3_step(s);
		sqlite3_reset(s);
		if (src != SQLITE_DONE)
			rc = store_error(c, src, "delivery_insert");
	}
	free(hook);
	free(email);
	free(name);
	return rc;
}

/* ------------------------------------------------------------------ */

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	return size * n;
}

static size_t read_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t left = x->len - x->sent, want = size * n;
	if (want > left)
		want = left;
	memcpy(p, x->body + x->sent, want);
	x->sent += want;
	return want;
}

static void xfer_free(struct xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	curl_slist_free_all(x->rcpt);
	free(x->body);
	free(x);
}

static bool in_flight(struct delivery *d, int64_t id, bool notice)
{
	for (struct xfer *x = d->inflight; x; x = x->next)
		if (x->id == id && x->notice == notice)
			return true;
	return false;
}

/* Records the outcome of one attempt. A refusal by the webhook policy is
 * final: the next attempt would be refused the same way. */
static void record_attempt(struct delivery *d, struct xfer *x, bool ok, bool refused,
			   const char *detail)
{
	struct store_conn *c;
	int64_t now = time_now_ms();
	int64_t attempt = x->attempts + 1;
	bool give_up = !ok && (refused || attempt >= DELIVERY_ATTEMPTS_MAX);
	const char *outcome = ok ? "delivered" : refused ? "refused" : give_up ? "failed" : "retry";
	int64_t backoff = 1000LL << (attempt - 1 < 20 ? attempt - 1 : 20);
	if (backoff > DELIVERY_BACKOFF_MAX_MS)
		backoff = DELIVERY_BACKOFF_MAX_MS;
	int rc = store_write_begin(d->node->st, &c);
	if (rc)
		return;
	char full[600];
	if (!ok && !give_up)
		snprintf(full, sizeof(full), "%.400s; next attempt in %" PRId64 " s", detail,
			 backoff / 1000);
	else
		snprintf(full, sizeof(full), "%.400s", detail);
	sqlite3_stmt *s =
	    x->notice ? store_stmt(c, "UPDATE notice_deliveries SET attempts = ?, next_at = ?, "
				      "state = ?, outcome = ?5, detail = ?6 WHERE id = ?4")
		      : store_stmt(c, "UPDATE alert_deliveries SET attempts = ?, next_at = ?, "
				      "state = ? WHERE id = ?");
	if (x->notice) {
		sqlite3_bind_text(s, 5, outcome, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, full, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(s, 1, attempt);
	sqlite3_bind_int64(s, 2, now + backoff);
	sqlite3_bind_text(s, 3,
			  ok	    ? "delivered"
			  : give_up ? "failed"
				    : "pending",
			  -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, x->id);
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	if (src != SQLITE_DONE)
		rc = store_error(c, src, "delivery_update");
	if (!rc && !x->notice)
		rc = delivery_step(c, x->alert, now, "delivery", x->contact, x->channel, attempt,
				   outcome, full);
	store_write_end(d->node->st, rc);
	log_info("event=%s %s=%" PRId64 " delivery=%" PRId64 " channel=%s attempt=%" PRId64
		 " outcome=%s detail=\"%s\"",
		 x->notice ? "notice_delivery" : "alert_delivery", x->notice ? "ref" : "alert",
		 x->alert, x->id, x->channel, attempt, outcome, detail);
}

static void finish(struct delivery *d, CURL *easy, CURLcode res)
{
	struct xfer **pp = &d->inflight, *x;
	for (; (x = *pp) && x->easy != easy; pp = &x->next)
		;
	if (!x)
		return;
	*pp = x->next;
	curl_multi_remove_handle(d->multi, easy);
	char detail[400];
	bool ok = false, refused = false;
	if (res != CURLE_OK && x->refused) {
		/* the member reads this: say no more than that (no connect error, no
		 * address, which would tell what a name resolves to inside); the
		 * operator's log has the address and the reason */
		refused = true;
		snprintf(detail, sizeof(detail), "refused by webhook policy");
		log_warn("event=webhook_refused alert=%" PRId64 " delivery=%" PRId64
			 " address=%s reason=\"%s\"",
			 x->alert, x->id, x->refused_addr, x->refused);
	} else if (res != CURLE_OK) {
		snprintf(detail, sizeof(detail), "%s",
			 x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
	} else if (!strcmp(x->channel, "email")) {
		ok = true;
		snprintf(detail, sizeof(detail), "accepted by the SMTP relay");
	} else {
		long code = 0;
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
		ok = code >= 200 && code < 300;
		snprintf(detail, sizeof(detail), "HTTP %ld%s", code,
			 code >= 300 && code < 400 ? " (redirects are not followed)" : "");
	}
	record_attempt(d, x, ok, refused, detail);
	xfer_free(x);
}

/* libcurl's socket opener for webhooks: every address it resolved passes the
 * webhook policy just before the connect, so a name that resolves to a
 * refused address (first or later: DNS rebinding) reaches nothing. */
static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct xfer *x = ud;
	const char *why = webhook_policy_refuses(x->policy, &a->addr);
	(void)purpose;
	if (why) {
		const void *raw = a->family == AF_INET6
				      ? (const void *)&((struct sockaddr_in6 *)&a->addr)->sin6_addr
				      : (const void *)&((struct sockaddr_in *)&a->addr)->sin_addr;
		x->refused = why;
		if (!inet_ntop(a->family, raw, x->refused_addr, sizeof(x->refused_addr)))
			snprintf(x->refused_addr, sizeof(x->refused_addr), "?");
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static char *member_secret(struct store_conn *c, int64_t member)
{
	sqlite3_stmt *s = store_stmt(c, "SELECT secret FROM webhook_secrets WHERE member = ?");
	char *out = NULL;
	sqlite3_bind_int64(s, 1, member);
	if (sqlite3_step(s) == SQLITE_ROW)
		out = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return out;
}

/* Hands x (its body built: the webhook's JSON, or the whole e-mail with its
 * headers) to the multi handle: a signed webhook POST with `hdr` ("X-Atalaya-
 * Alert: 3") among its headers, or an e-mail to `target` through smtp_url. */
static void start_xfer(struct delivery *d, struct store_conn *c, struct xfer *x, const char *target,
		       int64_t member, const char *hdr_name, int64_t hdr_value)
{
	x->easy = curl_easy_init();
	CURL *e = x->easy;
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)DELIVERY_CONNECT_MS);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_URL, target);
	if (!strcmp(x->channel, "webhook")) {
		char *secret = member_secret(c, member);
		char hdr[160];
		x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
		x->hdrs = curl_slist_append(x->hdrs, "User-Agent: atalaya-alerts/0.1");
		snprintf(hdr, sizeof(hdr), "%s: %" PRId64, hdr_name, hdr_value);
		x->hdrs = curl_slist_append(x->hdrs, hdr);
		snprintf(hdr, sizeof(hdr), "X-Atalaya-Delivery: %" PRId64, x->id);
		x->hdrs = curl_slist_append(x->hdrs, hdr);
		if (secret) {
			char sig[80];
			alert_sign(secret, x->body, x->len, sig);
			snprintf(hdr, sizeof(hdr), "X-Atalaya-Signature: %s", sig);
			x->hdrs = curl_slist_append(x->hdrs, hdr);
			free(secret);
		}
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_PROXY, ""); /* none from the environment */
		x->policy = d->policy;
		curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
		curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)x->len);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)DELIVERY_TIMEOUT_MS);
	} else {
		char from[300];
		snprintf(from, sizeof(from), "<%s>", d->node->cfg->smtp_from);
		x->rcpt = curl_slist_append(NULL, target);
		curl_easy_setopt(e, CURLOPT_URL, d->node->cfg->smtp_url);
		curl_easy_setopt(e, CURLOPT_MAIL_FROM, from);
		curl_easy_setopt(e, CURLOPT_MAIL_RCPT, x->rcpt);
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, read_body);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)DELIVERY_SMTP_TIMEOUT_MS);
	}
	x->next = d->inflight;
	d->inflight = x;
	curl_multi_add_handle(d->multi, e);
}

static void start_one(struct delivery *d, struct store_conn *c, int64_t id, int64_t alert,
		      int64_t contact, const char *channel, const char *target, int64_t attempts,
		      int64_t member)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	x->id = id;
	x->alert = alert;
	x->contact = contact;
	x->attempts = attempts;
	snprintf(x->channel, sizeof(x->channel), "%s", channel);
	json_t *a = alert_alert_json(c, alert, false);
	if (!a) {
		xfer_free(x);
		return;
	}
	if (!strcmp(channel, "webhook")) {
		json_t *msg =
		    json_pack("{ss ss sI sI sO}", "type", "atalaya.alert", "node",
			      d->node->node_name ? d->node->node_name : "", "delivery",
			      (json_int_t)id, "attempt", (json_int_t)(attempts + 1), "alert", a);
		x->body = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS);
		x->len = strlen(x->body);
		json_decref(msg);
	} else {
		struct buf b;
		char date[32], from[300];
		json_t *obs = json_object_get(a, "observables");
		size_t i;
		json_t *o;
		buf_init(&b, 1 << 20);
		time_format_ms(time_now_ms(), date);
		snprintf(from, sizeof(from), "<%s>", d->node->cfg->smtp_from);
		buf_addf(&b,
			 "From: %s\r\nTo: <%s>\r\nSubject: [atalaya] alert %" PRId64
			 ": report %s touches your constituency\r\nX-Atalaya-Alert: %" PRId64
			 "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
			 from, target, alert,
			 json_string_value(json_object_get(json_object_get(a, "report"), "id")),
			 alert);
		buf_addf(&b,
			 "Alert %" PRId64 " (raised %s by node %s).\r\n\r\nReport: %s (%s)\r\n"
			 "Observables in your constituency:\r\n",
			 alert, json_string_value(json_object_get(a, "created")),
			 d->node->node_name ? d->node->node_name : "",
			 json_string_value(json_object_get(json_object_get(a, "report"), "id")),
			 json_string_value(json_object_get(json_object_get(a, "report"), "tlp")));
		json_array_foreach(obs, i, o)
		{
			if (i >= 100)
				break;
			buf_addf(&b, "  %s (%s)\r\n",
				 json_string_value(json_object_get(o, "value")),
				 json_string_value(json_object_get(o, "kind")));
		}
		if (!strcmp(json_string_value(json_object_get(a, "priority")), "low"))
			buf_addf(&b,
				 "\r\nPriority: low. This is old news: the newest of these was "
				 "first seen %s (%" JSON_INTEGER_FORMAT " days before this "
				 "alert); no escalation follows.\r\n",
				 json_string_value(json_object_get(a, "first_seen")),
				 json_integer_value(json_object_get(a, "indicator_age_days")));
		buf_addf(&b, "\r\nAcknowledge with: atalaya alerts ack %" PRId64 "\r\n", alert);
		x->body = buf_detach(&b, &x->len);
	}
	json_decref(a);
	start_xfer(d, c, x, target, member, "X-Atalaya-Alert", alert);
}

/* A notice (alert_notice_queue): its body was written when it was queued;
 * an e-mail gets its headers here. */
static void start_notice(struct delivery *d, struct store_conn *c, int64_t id, int64_t ref,
			 int64_t contact, const char *channel, const char *target, int64_t attempts,
			 int64_t member, const char *subject, const char *body)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	x->id = id;
	x->alert = ref;
	x->notice = true;
	x->contact = contact;
	x->attempts = attempts;
	snprintf(x->channel, sizeof(x->channel), "%s", channel);
	if (!strcmp(channel, "webhook")) {
		x->body = xstrdup(body);
		x->len = strlen(body);
	} else {
		struct buf b;
		buf_init(&b, 1 << 20);
		buf_addf(&b,
			 "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nX-Atalaya-Notice: %" PRId64
			 "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
			 d->node->cfg->smtp_from, target, subject, id, body);
		x->body = buf_detach(&b, &x->len);
	}
	start_xfer(d, c, x, target, member, "X-Atalaya-Notice", id);
}

static void start_notices_due(struct delivery *d, int64_t now)
{
	static const char sql[] =
	    "SELECT id, ref, contact, channel, target, attempts, member, subject, body "
	    "FROM notice_deliveries WHERE state = 'pending' AND next_at <= ? "
	    "ORDER BY next_at LIMIT ?";
	struct store_conn *c = store_reader(d->node->st);
	if (!c)
		return;
	sqlite3_stmt *s = store_stmt(c, sql);
	int n = 0;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, DELIVERY_BATCH);
	while (n < DELIVERY_BATCH && sqlite3_step(s) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		if (in_flight(d, id, true))
			continue;
		n++;
		start_notice(d, c, id, sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
			     (const char *)sqlite3_column_text(s, 3),
			     (const char *)sqlite3_column_text(s, 4), sqlite3_column_int64(s, 5),
			     sqlite3_column_int64(s, 6), (const char *)sqlite3_column_text(s, 7),
			     (const char *)sqlite3_column_text(s, 8));
	}
	sqlite3_reset(s);
}

static void start_due(struct delivery *d, int64_t now)
{
	static const char sql[] =
	    "SELECT d.id, d.alert, d.contact, d.channel, d.target, d.attempts, a.member, a.state "
	    "FROM alert_deliveries d JOIN alerts a ON a.id = d.alert WHERE d.state = 'pending' "
	    "AND d.next_at <= ? ORDER BY d.next_at LIMIT ?";
	struct store_conn *c = store_reader(d->node->st);
	if (!c)
		return;
	struct row {
		int64_t id, alert, contact, attempts, member;
		char *channel, *target;
		bool acked;
	} rows[DELIVERY_BATCH];
	int n = 0;
	sqlite3_stmt *s = store_stmt(c, sql);
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, DELIVERY_BATCH);
	while (n < DELIVERY_BATCH && sqlite3_step(s) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		if (in_flight(d, id, false))
			continue;
		rows[n].id = id;
		rows[n].alert = sqlite3_column_int64(s, 1);
		rows[n].contact = sqlite3_column_int64(s, 2);
		rows[n].channel = xstrdup((const char *)sqlite3_column_text(s, 3));
		rows[n].target = xstrdup((const char *)sqlite3_column_text(s, 4));
		rows[n].attempts = sqlite3_column_int64(s, 5);
		rows[n].member = sqlite3_column_int64(s, 6);
		rows[n].acked = strcmp((const char *)sqlite3_column_text(s, 7), "open") != 0;
		n++;
	}
	sqlite3_reset(s);
	for (int i = 0; i < n; i++) {
		if (rows[i].acked) {
			struct store_conn *w;
			if (!store_write_begin(d->node->st, &w)) {
				sqlite3_stmt *u =
				    store_stmt(w, "UPDATE alert_deliveries SET state = "
						  "'failed' WHERE id = ?");
				sqlite3_bind_int64(u, 1, rows[i].id);
				int src = sqlite3_step(u);
				sqlite3_reset(u);
				int rc =
				    src == SQLITE_DONE ? ERR_OK : store_error(w, src, "cancel");
				if (!rc)
					rc = delivery_step(w, rows[i].alert, now, "delivery",
							   rows[i].contact, rows[i].channel, 0,
							   "cancelled",
							   "the alert was acknowledged");
				store_write_end(d->node->st, rc);
			}
		} else {
			start_one(d, c, rows[i].id, rows[i].alert, rows[i].contact, rows[i].channel,
				  rows[i].target, rows[i].attempts, rows[i].member);
		}
		free(rows[i].channel);
		free(rows[i].target);
	}
}

static void escalate_due(struct delivery *d, int64_t now)
{
	struct store_conn *c = store_reader(d->node->st);
	if (!c)
		return;
	int64_t ids[32], members[32], levels[32];
	int n = 0;
	sqlite3_stmt *s = store_stmt(c, "SELECT id, member, level FROM alerts WHERE state = 'open' "
					"AND escalate_at <= ? ORDER BY escalate_at LIMIT 32");
	sqlite3_bind_int64(s, 1, now);
	while (n < 32 && sqlite3_step(s) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(s, 0);
		members[n] = sqlite3_column_int64(s, 1);
		levels[n] = sqlite3_column_int64(s, 2);
		n++;
	}
	sqlite3_reset(s);
	for (int i = 0; i < n; i++) {
		struct store_conn *w;
		bool had = false;
		if (store_write_begin(d->node->st, &w))
			return;
		int rc = delivery_schedule_level(w, d->node, ids[i], members[i], levels[i] + 1, now,
						 &had);
		int64_t next = had ? now + delivery_deadline_ms(w, d->node, members[i]) : 0;
		sqlite3_stmt *u = store_stmt(w, "UPDATE alerts SET level = ?, escalate_at = ? "
						"WHERE id = ? AND state = 'open'");
		sqlite3_bind_int64(u, 1, had ? levels[i] + 1 : levels[i]);
		if (had)
			sqlite3_bind_int64(u, 2, next);
		else
			sqlite3_bind_null(u, 2);
		sqlite3_bind_int64(u, 3, ids[i]);
		int src = sqlite3_step(u);
		sqlite3_reset(u);
		if (src != SQLITE_DONE && !rc)
			rc = store_error(w, src, "escalate");
		char detail[160];
		snprintf(detail, sizeof(detail),
			 had ? "not acknowledged in time: escalated to contact number %" PRId64
			     : "not acknowledged in time and no contact after number %" PRId64
			       ": escalation exhausted",
			 had ? levels[i] + 2 : levels[i] + 1);
		if (!rc)
			rc = delivery_step(w, ids[i], now,
					   had ? "escalated" : "escalation_exhausted", 0, NULL, 0,
					   NULL, detail);
		store_write_end(d->node->st, rc);
		log_info("event=alert_escalated alert=%" PRId64 " level=%" PRId64 " exhausted=%s",
			 ids[i], levels[i] + 1, had ? "false" : "true");
	}
}

/* Milliseconds until the next thing falls due (at most 1 s). */
static int next_wait(struct delivery *d, int64_t now)
{
	struct store_conn *c = store_reader(d->node->st);
	int64_t next = now + 1000;
	if (!c)
		return 1000;
	sqlite3_stmt *s = store_stmt(c, "SELECT min(next_at) FROM alert_deliveries WHERE state = "
					"'pending' AND next_at > ?");
	sqlite3_bind_int64(s, 1, now);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL &&
	    sqlite3_column_int64(s, 0) < next)
		next = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	s = store_stmt(c, "SELECT min(next_at) FROM notice_deliveries WHERE state = "
			  "'pending' AND next_at > ?");
	sqlite3_bind_int64(s, 1, now);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL &&
	    sqlite3_column_int64(s, 0) < next)
		next = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	s = store_stmt(c, "SELECT min(escalate_at) FROM alerts WHERE state = 'open'");
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL &&
	    sqlite3_column_int64(s, 0) < next)
		next = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return next <= now ? 0 : (int)(next - now);
}

static void *delivery_main(void *arg)
{
	struct delivery *d = arg;
	while (!atomic_load(&d->stopping)) {
		int64_t now = time_now_ms();
		escalate_due(d, now);
		start_due(d, now);
		start_notices_due(d, now);
		int running = 0, q;
		curl_multi_perform(d->multi, &running);
		CURLMsg *m;
		while ((m = curl_multi_info_read(d->multi, &q)))
			if (m->msg == CURLMSG_DONE)
				finish(d, m->easy_handle, m->data.result);
		int wait = next_wait(d, time_now_ms());
		curl_multi_poll(d->multi, NULL, 0, wait ? wait : 1, NULL);
	}
	while (d->inflight) {
		struct xfer *x = d->inflight;
		d->inflight = x->next;
		curl_multi_remove_handle(d->multi, x->easy);
		xfer_free(x);
	}
	return NULL;
}

struct delivery *delivery_start(struct node *node, struct alert *w)
{
	struct delivery *d = xcalloc(1, sizeof(*d));
	d->node = node;
	d->w = w;
	d->multi = curl_multi_init();
	struct err_detail err;
	if (webhook_policy_new(node->cfg->webhook_allow_networks, &d->policy, &err)) {
		/* config_validate refused it already; allow nothing extra */
		log_err("event=start error=\"%s\"", err.message);
		webhook_policy_new("", &d->policy, NULL);
	}
	atomic_init(&d->stopping, false);
	if (pthread_create(&d->th, NULL, delivery_main, d)) {
		log_err("event=start error=\"cannot start the alert delivery thread\"");
		curl_multi_cleanup(d->multi);
		webhook_policy_free(d->policy);
		free(d);
		return NULL;
	}
	return d;
}

void delivery_kick(struct delivery *d)
{
	if (d)
		curl_multi_wakeup(d->multi);
}

void delivery_stop(struct delivery *d)
{
	if (!d)
		return;
	atomic_store(&d->stopping, true);
	curl_multi_wakeup(d->multi);
	pthread_join(d->th, NULL);
	curl_multi_cleanup(d->multi);
	webhook_policy_free(d->policy);
	free(d);
}

/* ------------------------------------------------------------------ */
/* Messages outside alerts (delivery.h): the same transfer rules on a handle
 * the caller runs. */

struct delivery_msg {
	struct xfer x; /* first: xfer_free(&m->x) frees m */
};

static struct delivery_msg *msg_new(const char *channel)
{
	struct delivery_msg *m = xcalloc(1, sizeof(*m));
	snprintf(m->x.channel, sizeof(m->x.channel), "%s", channel);
	m->x.easy = curl_easy_init();
	curl_easy_setopt(m->x.easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(m->x.easy, CURLOPT_ERRORBUFFER, m->x.errbuf);
	curl_easy_setopt(m->x.easy, CURLOPT_PRIVATE, m);
	curl_easy_setopt(m->x.easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(m->x.easy, CURLOPT_CONNECTTIMEOUT_MS, (long)DELIVERY_CONNECT_MS);
	curl_easy_setopt(m->x.easy, CURLOPT_WRITEFUNCTION, discard);
	return m;
}

struct delivery_msg *delivery_msg_webhook(struct store_conn *c, const struct webhook_policy *p,
					  int64_t member, const char *url, const char *json,
					  const char *header)
{
	struct delivery_msg *m = msg_new("webhook");
	struct xfer *x = &m->x;
	CURL *e = x->easy;
	char *secret = member_secret(c, member);
	x->body = xstrdup(json);
	x->len = strlen(json);
	x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
	x->hdrs = curl_slist_append(x->hdrs, "User-Agent: atalaya-alerts/0.1");
	if (header)
		x->hdrs = curl_slist_append(x->hdrs, header);
	if (secret) {
		char sig[80], hdr[120];
		alert_sign(secret, x->body, x->len, sig);
		snprintf(hdr, sizeof(hdr), "X-Atalaya-Signature: %s", sig);
		x->hdrs = curl_slist_append(x->hdrs, hdr);
		free(secret);
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	x->policy = p;
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)x->len);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)DELIVERY_TIMEOUT_MS);
	return m;
}

struct delivery_msg *delivery_msg_email(const struct config *cfg, const char *to, const char *text)
{
	struct delivery_msg *m = msg_new("email");
	struct xfer *x = &m->x;
	CURL *e = x->easy;
	struct buf b;
	char from[300];
	snprintf(from, sizeof(from), "<%s>", cfg->smtp_from);
	buf_init(&b, 1 << 20);
	buf_addf(&b, "From: %s\r\nTo: <%s>\r\n%s", from, to, text);
	x->body = buf_detach(&b, &x->len);
	x->rcpt = curl_slist_append(NULL, to);
	curl_easy_setopt(e, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, x->rcpt);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, read_body);
	curl_easy_setopt(e, CURLOPT_READDATA, x);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)DELIVERY_SMTP_TIMEOUT_MS);
	return m;
}

void *delivery_msg_handle(struct delivery_msg *m)
{
	return m->x.easy;
}

bool delivery_msg_outcome(struct delivery_msg *m, int res, char *detail, size_t n, bool *final)
{
	struct xfer *x = &m->x;
	*final = false;
	if (res != CURLE_OK && x->refused) {
		*final = true; /* the member reads no more than this (see finish) */
		snprintf(detail, n, "refused by webhook policy");
		log_warn("event=webhook_refused address=%s reason=\"%s\"", x->refused_addr,
			 x->refused);
		return false;
	}
	if (res != CURLE_OK) {
		snprintf(detail, n, "%s",
			 x->errbuf[0] ? x->errbuf : curl_easy_strerror((CURLcode)res));
		return false;
	}
	if (!strcmp(x->channel, "email")) {
		snprintf(detail, n, "accepted by the SMTP relay");
		return true;
	}
	long code = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	snprintf(detail, n, "HTTP %ld%s", code,
		 code >= 300 && code < 400 ? " (redirects are not followed)" : "");
	return code >= 200 && code < 300;
}

void delivery_msg_free(struct delivery_msg *m)
{
	if (m)
		xfer_free(&m->x);
}
