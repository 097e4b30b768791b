/* The indexer thread and the post-commit pipeline. See indexer.h and
 * docs/internals/pipeline.md. */
#include "index/indexer.h"

#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SIGHTED_BITS (1u << 22) /* 512 KiB filter of values with sightings */
#define NOT_INDEXED_MAX 100000	/* not-indexed rows kept per report */
#define INDEX_BATCH 64		/* reports per pass and transaction, at most */

struct indexer {
	struct node *node;
	const struct index_subscriber *const *subs;
	size_t nsubs;
	struct index *idx;
	struct constituency *cs;
	double build_seconds;

	/* reports waiting for the indexer */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	int64_t *queue;
	size_t qhead, qlen, qcap;
	bool stopping;
	pthread_t thread;
	bool started;

	/* one bit per hash of a sighted value; bits are only ever set */
	_Atomic uint64_t sighted[SIGHTED_BITS / 64];
};

static uint32_t value_hash(const char *v, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)v[i]) * 1099511628211ull;
	return (uint32_t)(h ^ (h >> 32)) & (SIGHTED_BITS - 1);
}

void indexer_note_sighting(struct indexer *ix, const char *value, size_t len)
{
	uint32_t b = value_hash(value, len);
	atomic_fetch_or_explicit(&ix->sighted[b / 64], 1ull << (b % 64), memory_order_release);
}

bool indexer_maybe_sighted(struct indexer *ix, const char *value, size_t len)
{
	uint32_t b = value_hash(value, len);
	return (atomic_load_explicit(&ix->sighted[b / 64], memory_order_acquire) >> (b % 64)) & 1;
}

struct index *indexer_index(struct indexer *ix)
{
	return ix->idx;
}

double indexer_build_seconds(const struct indexer *ix)
{
	return ix->build_seconds;
}

struct constituency *indexer_constituency(struct indexer *ix)
{
	return ix->cs;
}

/* ------------------------------------------------------------------ */
/* one report through the pipeline                                     */

struct run {
	struct indexer *ix;
	bool side_effects; /* a new report: subscribers, sightings, not-indexed */
	bool found;	   /* its row was read (index_report below is set) */
	struct index_report rep;
	char *id, *audience; /* rep's copies */
	void **state;	     /* per subscriber, NULL when it skips the report */
	json_t *skipped;     /* [[object, what, reason]] */
	json_t *sightings;   /* [[value, kind, count, seen]] */
	size_t added;
};

static void on_start(void *ctx, const struct index_report *r)
{
	struct run *run = ctx;
	int64_t now = run->rep.now;
	run->rep = *r;
	run->rep.now = now;
	run->id = xstrdup(r->id ? r->id : "");
	run->audience = xstrdup(r->subject.audience ? r->subject.audience : "");
	run->rep.id = run->id;
	run->rep.subject.audience = run->audience;
	run->found = true;
	if (!run->side_effects)
		return;
	for (size_t i = 0; i < run->ix->nsubs; i++)
		run->state[i] = run->ix->subs[i]->begin
				    ? run->ix->subs[i]->begin(run->ix->node, &run->rep)
				    : NULL;
}

static int on_observable(void *ctx, const struct index_found *f)
{
	struct run *run = ctx;
	if (index_add(run->ix->idx, f->o, (uint64_t)f->object_seq, (uint64_t)run->rep.seq) ==
	    ERR_OK)
		run->added++;
	if (!run->side_effects)
		return 0;
	for (size_t i = 0; i < run->ix->nsubs; i++)
		if (run->state[i] && run->ix->subs[i]->observable)
			run->ix->subs[i]->observable(run->state[i], f);
	return 0;
}

static void on_not_indexed(void *ctx, const char *object, const char *what, const char *reason)
{
	struct run *run = ctx;
	if (json_array_size(run->skipped) < NOT_INDEXED_MAX)
		json_array_append_new(run->skipped, json_pack("[sss]", object, what, reason));
}

static void on_sighting(void *ctx, const struct observable *o, int64_t count, int64_t seen)
{
	struct run *run = ctx;
	json_array_append_new(run->sightings, json_pack("[s#sII]", o->value, (int)o->len,
							observable_kind_name(o->kind),
							(json_int_t)count, (json_int_t)seen));
}

/* A report's rows, in the batch's transaction: not-indexed patterns,
 * sightings, what the subscribers record (alerts with their first
 * deliveries and audit rows). */
static int record_report(struct run *run, struct store_conn *c)
{
	int rc = ERR_OK, src;
	size_t i;
	json_t *row;
	sqlite3_stmt *s =
	    store_stmt(c, "INSERT INTO not_indexed(report, object, what, reason) VALUES (?,?,?,?)");
	json_array_foreach(run->skipped, i, row)
	{
		sqlite3_bind_int64(s, 1, run->rep.seq);
		for (int k = 0; k < 3; k++)
			sqlite3_bind_text(s, 2 + k,
					  json_string_value(json_array_get(row, (size_t)k)), -1,
					  SQLITE_STATIC);
		src = sqlite3_step(s);
		sqlite3_reset(s);
		if (src != SQLITE_DONE && !rc)
			rc = store_error(c, src, "not_indexed_insert");
	}
	s = store_stmt(c, "INSERT INTO sightings(value, kind, count, seen_at, member, report, at) "
			  "VALUES (?,?,?,?,?,?,?)");
	json_array_foreach(run->sightings, i, row)
	{
		sqlite3_bind_text(s, 1, json_string_value(json_array_get(row, 0)), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(s, 2, json_string_value(json_array_get(row, 1)), -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, json_integer_value(json_array_get(row, 2)));
		sqlite3_bind_int64(s, 4, json_integer_value(json_array_get(row, 3)));
		sqlite3_bind_int64(s, 5, run->rep.subject.owner);
		sqlite3_bind_int64(s, 6, run->rep.seq);
		sqlite3_bind_int64(s, 7, run->rep.now);
		src = sqlite3_step(s);
		sqlite3_reset(s);
		if (src != SQLITE_DONE && !rc)
			rc = store_error(c, src, "sighting_insert");
	}
	for (size_t k = 0; k < run->ix->nsubs && !rc; k++)
		if (run->state[k] && run->ix->subs[k]->record)
			rc = run->ix->subs[k]->record(run->state[k], c);
	return rc;
}

static int exec_sql(struct store_conn *c, const char *sql)
{
	int src = sqlite3_exec(store_db(c), sql, NULL, NULL, NULL);
	return src == SQLITE_OK ? ERR_OK : store_error(c, src, "savepoint");
}

/* One transaction for the batch: each report's rows under a savepoint of
 * its own (a failure takes only that report's rows back), and the progress
 * mark. rcs[i] is each report's outcome. */
static void record_batch(struct indexer *ix, struct run *runs, size_t n, int *rcs)
{
	struct store_conn *c;
	int rc = store_write_begin(ix->node->st, &c);
	for (size_t i = 0; i < n; i++) {
		rcs[i] = rc ? rc : runs[i].found ? ERR_OK : ERR_NOT_FOUND;
		if (rcs[i])
			continue;
		rc = exec_sql(c, "SAVEPOINT report");
		if (!rc)
			rcs[i] = record_report(&runs[i], c);
		if (!rc && rcs[i])
			rc = exec_sql(c, "ROLLBACK TO report");
		if (!rc)
			rc = exec_sql(c, "RELEASE report");
		if (rc)
			rcs[i] = rc;
	}
	if (!rc) {
		char seq[32];
		snprintf(seq, sizeof(seq), "%" PRId64, runs[n - 1].rep.seq);
		rc = store_node_set(c, "warning_last_report", seq);
	}
	rc = store_write_end(ix->node->st, rc);
	for (size_t i = 0; rc && i < n; i++)
		if (!rcs[i])
			rcs[i] = rc;
}

/* Extraction: the index (and, for a new report, the subscribers' begin and
 * observable hooks, not-indexed values and sightings). */
static void run_extract(struct indexer *ix, struct run *run, int64_t report, bool side_effects)
{
	static const struct index_extract_ops build_ops = {
	    .start = on_start,
	    .observable = on_observable,
	};
	static const struct index_extract_ops new_ops = {
	    .start = on_start,
	    .observable = on_observable,
	    .not_indexed = on_not_indexed,
	    .sighting = on_sighting,
	};
	memset(run, 0, sizeof(*run));
	run->ix = ix;
	run->side_effects = side_effects;
	run->rep.seq = report;
	run->rep.now = time_now_ms();
	if (side_effects) {
		run->state = xcalloc(ix->nsubs + 1, sizeof(*run->state));
		run->skipped = json_array();
		run->sightings = json_array();
	}
	int rc = index_extract(ix->node, report, side_effects ? &new_ops : &build_ops, run);
	if (rc && rc != ERR_NOT_FOUND)
		log_warn("event=warning_index report=%" PRId64 " error=\"%s\"", report,
			 err_str(rc));
}

static void run_release(struct run *run)
{
	json_decref(run->skipped);
	json_decref(run->sightings);
	free(run->state);
	free(run->id);
	free(run->audience);
}

/* After the batch's transaction: the sightings filter, each subscriber's
 * done (outputs that leave the node). */
static void run_done(struct indexer *ix, struct run *run, int rc)
{
	int64_t report = run->rep.seq;
	if (rc && rc != ERR_NOT_FOUND)
		log_err("event=warning_alerts report=%" PRId64 " error=\"%s\"", report,
			err_str(rc));
	size_t si;
	json_t *srow;
	json_array_foreach(run->sightings, si, srow)
	    indexer_note_sighting(ix, json_string_value(json_array_get(srow, 0)),
				  json_string_length(json_array_get(srow, 0)));
	for (size_t i = 0; i < ix->nsubs; i++)
		if (run->state[i] && ix->subs[i]->done)
			ix->subs[i]->done(run->state[i], rc);
	log_debug("event=report_indexed report=%" PRId64 " observables=%zu", report, run->added);
}

/* New reports, in commit order: one extraction pass each, one publication,
 * one transaction for all, then the outputs. */
static void process_batch(struct indexer *ix, const int64_t *reports, size_t n)
{
	struct run *runs = xcalloc(n, sizeof(*runs));
	int *rcs = xcalloc(n, sizeof(*rcs));
	for (size_t i = 0; i < n; i++)
		run_extract(ix, &runs[i], reports[i], true);
	index_publish(ix->idx); /* lookups see them before any output leaves */
	record_batch(ix, runs, n, rcs);
	for (size_t i = 0; i < n; i++) {
		run_done(ix, &runs[i], rcs[i]);
		run_release(&runs[i]);
	}
	free(rcs);
	free(runs);
}

static void *indexer_main(void *arg)
{
	struct indexer *ix = arg;
	int64_t batch[INDEX_BATCH];
	pthread_mutex_lock(&ix->qlock);
	for (;;) {
		while (!ix->qlen && !ix->stopping)
			pthread_cond_wait(&ix->qcond, &ix->qlock);
		if (ix->stopping)
			break;
		/* what has queued up meanwhile goes as one batch */
		size_t n = 0;
		while (ix->qlen && n < INDEX_BATCH) {
			batch[n++] = ix->queue[ix->qhead];
			ix->qhead = (ix->qhead + 1) % ix->qcap;
			ix->qlen--;
		}
		pthread_mutex_unlock(&ix->qlock);
		process_batch(ix, batch, n);
		pthread_mutex_lock(&ix->qlock);
	}
	pthread_mutex_unlock(&ix->qlock);
	return NULL;
}

void indexer_committed(struct indexer *ix, int64_t report_seq)
{
	if (!ix)
		return;
	pthread_mutex_lock(&ix->qlock);
	if (ix->qlen == ix->qcap) {
		size_t ncap = ix->qcap ? 2 * ix->qcap : 64;
		int64_t *q = xmalloc(ncap * sizeof(*q));
		for (size_t i = 0; i < ix->qlen; i++)
			q[i] = ix->queue[(ix->qhead + i) % ix->qcap];
		free(ix->queue);
		ix->queue = q;
		ix->qcap = ncap;
		ix->qhead = 0;
	}
	ix->queue[(ix->qhead + ix->qlen) % ix->qcap] = report_seq;
	ix->qlen++;
	pthread_cond_signal(&ix->qcond);
	pthread_mutex_unlock(&ix->qlock);
}

/* ------------------------------------------------------------------ */
/* start and stop                                                      */

int indexer_new(struct node *node, const struct index_subscriber *const *subs, struct indexer **out,
		struct err_detail *err)
{
	struct indexer *ix = xcalloc(1, sizeof(*ix));
	ix->node = node;
	ix->subs = subs;
	while (subs && subs[ix->nsubs])
		ix->nsubs++;
	ix->idx = index_new();
	pthread_mutex_init(&ix->qlock, NULL);
	pthread_cond_init(&ix->qcond, NULL);
	node->indexer = ix;
	ix->cs = constituency_new(node->st);
	struct store_conn *sc = store_reader(node->st);
	if (sc) {
		sqlite3_stmt *q = store_stmt(sc, "SELECT DISTINCT value FROM sightings");
		while (sqlite3_step(q) == SQLITE_ROW)
			indexer_note_sighting(ix, (const char *)sqlite3_column_text(q, 0),
					      (size_t)sqlite3_column_bytes(q, 0));
		sqlite3_reset(q);
	}

	/* the index, from every stored report; reports committed after the last
	 * one processed (the node stopped in between) go through the pipeline now */
	int64_t t0 = time_mono_ns(), done = 0, nreports = 0;
	char *mark = NULL;
	if (store_node_get(node->st, "warning_last_report", &mark) == ERR_OK)
		done = strtoll(mark, NULL, 10);
	free(mark);
	struct store_conn *c = store_reader(node->st);
	if (!c) {
		indexer_free(ix);
		return err_set(err, ERR_STORE, "", "the store cannot be read");
	}
	int64_t *seqs = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s = store_stmt(c, "SELECT seq FROM reports ORDER BY seq");
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			seqs = xrealloc(seqs, cap * sizeof(*seqs));
		}
		seqs[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < n; i++) {
		if (seqs[i] <= done) {
			struct run run;
			run_extract(ix, &run, seqs[i], false);
			run_release(&run);
			nreports++;
		}
	}
	index_publish(ix->idx);
	ix->build_seconds = (double)(time_mono_ns() - t0) / 1e9;
	struct index_stats st;
	index_stats(ix->idx, &st);
	size_t keys = 0, postings = 0;
	for (int k = 0; k < OBS_KIND_COUNT; k++) {
		keys += st.kind[k].keys;
		postings += st.kind[k].postings;
	}
	log_info("event=index_built reports=%" PRId64 " observables=%zu postings=%zu bytes=%zu "
		 "seconds=%.3f",
		 nreports, keys, postings, st.bytes, ix->build_seconds);

	if (pthread_create(&ix->thread, NULL, indexer_main, ix)) {
		free(seqs);
		indexer_free(ix);
		return err_set(err, ERR_INTERNAL, "", "cannot start the indexer thread");
	}
	ix->started = true;
	for (size_t i = 0; i < n; i++)
		if (seqs[i] > done)
			indexer_committed(ix, seqs[i]);
	free(seqs);
	*out = ix;
	return ERR_OK;
}

void indexer_free(struct indexer *ix)
{
	if (!ix)
		return;
	pthread_mutex_lock(&ix->qlock);
	ix->stopping = true;
	pthread_cond_broadcast(&ix->qcond);
	pthread_mutex_unlock(&ix->qlock);
	if (ix->started)
		pthread_join(ix->thread, NULL);
	index_free(ix->idx);
	constituency_free(ix->cs);
	free(ix->queue);
	if (ix->node->indexer == ix)
		ix->node->indexer = NULL;
	free(ix);
}
