/* The requests service: telling members through the alert channels, and the
 * deadline scan. The scan thread sleeps until the earliest due_at of an open
 * request (an index: requests_due), at most a second, or until kicked; each
 * due request gets its next reminder (escalating) or its overdue notice in a
 * transaction of its own. Overdue itself is computed from the deadline when
 * a request is read, so it is exact whatever the scan's timing. */
#include "request/requests.h"

#include "alert/service.h"
#include "policy/policy.h"
#include "policy/tlp.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>

#define SCAN_BATCH 256	      /* requests handled per pass */
#define SCAN_WAIT_MAX_MS 1000 /* the scan looks at least this often */
#define SCAN_TIMES 16	      /* pass durations kept for the median */
#define SCAN_TX 32	      /* due requests handled per transaction */

struct requests_event {
	int64_t member, seq;
	char *json;
	struct requests_event *next;
};

struct requests {
	struct node *node;
	int reminders[REQUEST_REMINDERS_MAX];
	int nreminders;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping, kicked;
	int64_t passes;
	int64_t times_us[SCAN_TIMES];
	int64_t busy_us, busy_requests; /* the last pass that had requests due */
};

int requests_history(struct store_conn *c, int64_t seq, int64_t now, int64_t member,
		     const char *what, const char *detail)
{
	sqlite3_stmt *s = store_stmt(c, "INSERT INTO request_history(request, at, member, what, "
					"detail) VALUES (?,?,?,?,?)");
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, now);
	if (member)
		sqlite3_bind_int64(s, 3, member);
	sqlite3_bind_text(s, 4, what, -1, SQLITE_STATIC);
	if (detail)
		sqlite3_bind_text(s, 5, detail, -1, SQLITE_TRANSIENT);
	return store_step_done(c, s, "request_history");
}

static const char *event_line(const char *event)
{
	static const struct {
		const char *event, *line;
	} lines[] = {
	    {"told", "a request you may help with"},
	    {"reminder", "reminder: a request awaits your acknowledgement"},
	    {"escalated", "escalated: a request was not acknowledged"},
	    {"overdue", "your request passed its deadline"},
	    {"answer", "a new answer to your request"},
	    {"offer", "a new offer of help on your request"},
	    {"offer_accepted", "your offer was accepted"},
	    {"offer_declined", "your offer was declined"},
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (!strcmp(lines[i].event, event))
			return lines[i].line;
	return event;
}

int requests_tell(struct store_conn *c, struct node *node, int64_t seq, int64_t member,
		  int64_t level, const char *event, struct requests_outbox *out, bool *had_contact)
{
	sqlite3_stmt *s = store_stmt(c, "SELECT r.id, r.kind, r.title, r.priority, r.deadline, "
					"r.exercise, r.originator, m.name, r.tlp, r.state "
					"FROM requests r JOIN members m ON m.id = r.originator "
					"WHERE r.seq = ?");
	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return ERR_NOT_FOUND;
	}
	const char *id = (const char *)sqlite3_column_text(s, 0);
	const char *title = (const char *)sqlite3_column_text(s, 2);
	bool exercise = sqlite3_column_int(s, 5);
	char deadline[32], subject[400];
	time_format_ms(sqlite3_column_int64(s, 4), deadline);
	snprintf(subject, sizeof(subject), "%s[atalaya] %s: %.200s", exercise ? "[EXERCISE] " : "",
		 event_line(event), title);
	json_t *msg = json_pack(
	    "{ss ss ss ss sb s{ss ss ss ss ss sb s{sI ss} ss ss}}", "type", "atalaya.request",
	    "event", event, "node", node->node_name ? node->node_name : "", "subject", subject,
	    "exercise", exercise, "request", "id", id, "kind",
	    (const char *)sqlite3_column_text(s, 1), "title", title, "priority",
	    (const char *)sqlite3_column_text(s, 3), "deadline", deadline, "exercise", exercise,
	    "originator", "id", (json_int_t)sqlite3_column_int64(s, 6), "name",
	    (const char *)sqlite3_column_text(s, 7), "tlp",
	    tlp_name((enum tlp)sqlite3_column_int(s, 8)), "state",
	    (const char *)sqlite3_column_text(s, 9));
	char *json = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS);
	struct buf text;
	buf_init(&text, 1 << 16);
	buf_addf(&text,
		 "%s%s.\r\n\r\nRequest %s (%s, priority %s), from %s.\r\nTitle: %s\r\n"
		 "Deadline: %s\r\n\r\nRead it with: atalaya request show %s\r\n",
		 exercise ? "[EXERCISE] This is an exercise. " : "", event_line(event), id,
		 (const char *)sqlite3_column_text(s, 1), (const char *)sqlite3_column_text(s, 3),
		 (const char *)sqlite3_column_text(s, 7), title, deadline, id);
	sqlite3_reset(s);
	json_decref(msg);
	struct alert_notice n = {"request", seq, member, subject, json, text.data};
	bool had = false;
	int rc = alert_notice_queue(c, node, &n, level, time_now_ms(), &had);
	buf_release(&text);
	if (had_contact)
		*had_contact = had;
	if (rc) {
		free(json);
		return rc;
	}
	struct requests_event *e = xcalloc(1, sizeof(*e));
	e->member = member;
	e->seq = seq;
	e->json = json;
	e->next = out->head;
	out->head = e;
	return ERR_OK;
}

void requests_outbox_flush(struct node *node, struct requests_outbox *out, bool committed)
{
	struct requests_event *e = out->head, *next;
	bool any = e != NULL;
	for (; e; e = next) {
		next = e->next;
		if (committed && node->alert)
			alert_publish_event(alert_stream_of(node->alert), e->member,
					    (uint64_t)e->seq, "request", e->json);
		free(e->json);
		free(e);
	}
	out->head = NULL;
	if (committed && any && node->alert)
		alert_kick(node->alert);
}

int64_t requests_due_at(struct requests *q, int64_t created, int64_t deadline, int64_t reminders,
			bool overdue_told)
{
	if (reminders < q->nreminders) {
		int64_t at = created + (deadline - created) * q->reminders[reminders] / 100;
		if (at < deadline)
			return at;
	}
	return overdue_told ? 0 : deadline;
}

/* --- the scan --- */

struct due {
	int64_t seq, originator, created, deadline, reminders;
	enum tlp tlp;
	char *audience;
};

static void set_due(struct store_conn *c, int64_t seq, int64_t reminders, bool overdue_told,
		    int64_t due, int *rc)
{
	sqlite3_stmt *s = store_stmt(c, "UPDATE requests SET reminders = ?, overdue_told = ?, "
					"due_at = ? WHERE seq = ?");
	sqlite3_bind_int64(s, 1, reminders);
	sqlite3_bind_int(s, 2, overdue_told);
	if (due)
		sqlite3_bind_int64(s, 3, due);
	sqlite3_bind_int64(s, 4, seq);
	if (!*rc)
		*rc = store_step_done(c, s, "request_due");
	else
		sqlite3_reset(s);
}

/* Reminder number r.reminders: to every told member that has not
 * acknowledged and still may see the request, through its next contact
 * (escalation) when it has one, else its current one. */
static int remind(struct requests *q, struct store_conn *c, struct due *r, int64_t now,
		  struct requests_outbox *out)
{
	struct policy_subject o = {r->originator, r->audience, r->tlp};
	size_t n = 0, cap = 64;
	int64_t *members = xmalloc(cap * sizeof(*members)),
		*levels = xmalloc(cap * sizeof(*levels));
	int rc = ERR_OK, escalated = 0, reminded = 0;
	sqlite3_stmt *s = store_stmt(c, "SELECT member, level FROM request_members WHERE "
					"request = ? AND told_at IS NOT NULL AND acked_at IS NULL");
	sqlite3_bind_int64(s, 1, r->seq);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap *= 2;
			members = xrealloc(members, cap * sizeof(*members));
			levels = xrealloc(levels, cap * sizeof(*levels));
		}
		members[n] = sqlite3_column_int64(s, 0);
		levels[n++] = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < n && !rc; i++) {
		struct principal who = {.member_id = members[i]};
		bool had = false;
		if (!policy_may_see(q->node->dir, &who, &o, POLICY_REQUEST_NOTICE))
			continue;
		rc = requests_tell(c, q->node, r->seq, members[i], levels[i] + 1, "escalated", out,
				   &had);
		if (!rc && had) {
			escalated++;
			s = store_stmt(c, "UPDATE request_members SET level = level + 1 "
					  "WHERE request = ? AND member = ?");
			sqlite3_bind_int64(s, 1, r->seq);
			sqlite3_bind_int64(s, 2, members[i]);
			rc = store_step_done(c, s, "request_escalate");
		} else if (!rc) {
			reminded++;
			rc = requests_tell(c, q->node, r->seq, members[i], levels[i], "reminder",
					   out, NULL);
		}
	}
	free(members);
	free(levels);
	char detail[200];
	snprintf(detail, sizeof(detail),
		 "reminder %" PRId64 " (%d%% of the time to the deadline): %d escalated to their "
		 "next contact, %d reminded",
		 r->reminders + 1, q->reminders[r->reminders], escalated, reminded);
	if (!rc)
		rc = requests_history(c, r->seq, now, 0, "reminder", detail);
	int64_t due = requests_due_at(q, r->created, r->deadline, r->reminders + 1, false);
	set_due(c, r->seq, r->reminders + 1, false, due, &rc);
	return rc;
}

static int overdue(struct requests *q, struct store_conn *c, struct due *r, int64_t now,
		   struct requests_outbox *out)
{
	int rc = requests_tell(c, q->node, r->seq, r->originator, 0, "overdue", out, NULL);
	if (!rc)
		rc = requests_history(c, r->seq, now, 0, "overdue",
				      "the deadline passed; the originator was told");
	set_due(c, r->seq, r->reminders, true, 0, &rc);
	return rc;
}

/* Handles rows[0..n) in one transaction: each gets its next reminder, or its
 * overdue notice. */
static int handle(struct requests *q, struct due *rows, int n, int64_t now)
{
	struct requests_outbox out = {NULL};
	struct store_conn *w;
	int rc = store_write_begin(q->node->st, &w);
	if (rc)
		return rc;
	for (int i = 0; i < n && !rc; i++) {
		struct due *r = &rows[i];
		/* a reminder due after the deadline is not sent */
		if (r->reminders < q->nreminders &&
		    requests_due_at(q, r->created, r->deadline, r->reminders, false) <
			r->deadline &&
		    now < r->deadline)
			rc = remind(q, w, r, now, &out);
		else
			rc = overdue(q, w, r, now, &out);
	}
	rc = store_write_end(q->node->st, rc);
	requests_outbox_flush(q->node, &out, rc == ERR_OK);
	if (rc)
		log_err("event=request_scan request=%" PRId64 " requests=%d error=\"%s\"",
			rows[0].seq, n, err_str(rc));
	return rc;
}

/* One pass: every request due by `now` (*handled of them). Returns the next
 * due time (0: none known within the batch). */
static int64_t scan_pass(struct requests *q, int64_t now, int *handled)
{
	struct store_conn *c = store_reader(q->node->st);
	struct due rows[SCAN_BATCH];
	int n = 0;
	int64_t next = 0;
	*handled = 0;
	if (!c)
		return 0;
	sqlite3_stmt *s = store_stmt(c, "SELECT seq, originator, created, deadline, reminders, "
					"tlp, audience FROM requests WHERE due_at <= ? "
					"ORDER BY due_at LIMIT ?");
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, SCAN_BATCH);
	while (n < SCAN_BATCH && sqlite3_step(s) == SQLITE_ROW) {
		struct due *r = &rows[n++];
		r->seq = sqlite3_column_int64(s, 0);
		r->originator = sqlite3_column_int64(s, 1);
		r->created = sqlite3_column_int64(s, 2);
		r->deadline = sqlite3_column_int64(s, 3);
		r->reminders = sqlite3_column_int64(s, 4);
		r->tlp = (enum tlp)sqlite3_column_int(s, 5);
		r->audience = xstrdup((const char *)sqlite3_column_text(s, 6));
	}
	sqlite3_reset(s);
	*handled = n;
	/* SCAN_TX requests per transaction (one fsync for them all); when one
	 * fails, its group runs again one request at a time, so that it holds
	 * back no other */
	for (int i = 0; i < n; i += SCAN_TX) {
		int k = n - i < SCAN_TX ? n - i : SCAN_TX;
		if (handle(q, rows + i, k, now) && k > 1)
			for (int j = 0; j < k; j++)
				handle(q, rows + i + j, 1, now);
	}
	for (int i = 0; i < n; i++)
		free(rows[i].audience);
	if (n == SCAN_BATCH)
		return now;
	s = store_stmt(c, "SELECT min(due_at) FROM requests WHERE due_at IS NOT NULL");
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		next = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return next;
}

static void *scan_main(void *arg)
{
	struct requests *q = arg;
	pthread_mutex_lock(&q->lock);
	while (!q->stopping) {
		q->kicked = false;
		pthread_mutex_unlock(&q->lock);
		int64_t t0 = time_mono_ns(), now = time_now_ms();
		int handled;
		int64_t next = scan_pass(q, now, &handled);
		int64_t us = (time_mono_ns() - t0) / 1000;
		pthread_mutex_lock(&q->lock);
		q->times_us[q->passes++ % SCAN_TIMES] = us;
		if (handled) {
			q->busy_us = us;
			q->busy_requests = handled;
		}
		int64_t wait = SCAN_WAIT_MAX_MS;
		now = time_now_ms();
		if (next && next - now < wait)
			wait = next > now ? next - now : 0;
		if (wait > 0 && !q->kicked && !q->stopping) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += wait / 1000;
			until.tv_nsec += (wait % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while (!q->kicked && !q->stopping &&
			       pthread_cond_timedwait(&q->cond, &q->lock, &until) != ETIMEDOUT)
				;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

json_t *requests_scan_json(struct requests *q)
{
	int64_t t[SCAN_TIMES];
	pthread_mutex_lock(&q->lock);
	int64_t passes = q->passes;
	size_t n = passes < SCAN_TIMES ? (size_t)passes : SCAN_TIMES;
	memcpy(t, q->times_us, sizeof(t));
	int64_t busy_us = q->busy_us, busy_requests = q->busy_requests;
	pthread_mutex_unlock(&q->lock);
	qsort(t, n, sizeof(t[0]), cmp_i64);
	return json_pack("{sI sI sI sI}", "passes", (json_int_t)passes, "median_pass_us",
			 (json_int_t)(n ? t[n / 2] : 0), "last_busy_pass_us", (json_int_t)busy_us,
			 "last_busy_pass_requests", (json_int_t)busy_requests);
}

int requests_new(struct node *node, struct requests **out, struct err_detail *err)
{
	struct requests *q = xcalloc(1, sizeof(*q));
	q->node = node;
	int rc = request_reminders_parse(node->cfg->request_reminders, q->reminders, &q->nreminders,
					 err);
	if (rc) {
		free(q);
		return rc;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	if (pthread_create(&q->th, NULL, scan_main, q)) {
		pthread_mutex_destroy(&q->lock);
		pthread_cond_destroy(&q->cond);
		free(q);
		return err_set(err, ERR_INTERNAL, NULL, "cannot start the request deadline scan");
	}
	*out = q;
	node->requests = q;
	return ERR_OK;
}

void requests_kick(struct requests *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->kicked = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void requests_free(struct requests *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->th, NULL);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	q->node->requests = NULL;
	free(q);
}
