/* The creator check of report intake (creator.h): object_keys and the
 * report's sorted keys walked together, as a merge. Moved out of ingest.c. */
#include "report/creator.h"

#include "formats/stix.h"
#include "policy/policy.h"
#include "report/body.h"
#include "report/ingest.h"
#include "store/subject.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <sqlite3.h>

int creator_key_cmp(const void *pa, const void *pb)
{
	const struct object_key *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->modified != b->modified)
		return a->modified < b->modified ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Reads `len` bytes at `off` of a report's bundle into a buffer the caller
 * frees; NULL on error. */
static char *read_span(const struct report_body *b, int64_t off, int64_t len)
{
	if (off < 0 || len <= 0)
		return NULL;
	char *p = xmalloc((size_t)len);
	if (report_body_read(b, p, (size_t)len, (uint64_t)off)) {
		free(p);
		return NULL;
	}
	return p;
}

/* Do two objects' bytes hold the same JSON (member order aside)? */
static bool same_object(const char *a, int64_t alen, const char *b, int64_t blen)
{
	json_t *x = a ? json_loadb(a, (size_t)alen, 0, NULL) : NULL;
	json_t *y = x && b ? json_loadb(b, (size_t)blen, 0, NULL) : NULL;
	bool same = x && y && json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return same;
}

/* Is the new object of row `seq` (id `id`, key `k`) a copy of a version its
 * creator submitted, one that the submitter may read? */
static int is_readable_copy(const struct creator_check *cc, struct store_conn *c,
			    const struct object_key *k, const char *id, int64_t creator,
			    int64_t first, bool *copy)
{
	static const char mine_sql[] = "SELECT off, len FROM objects WHERE seq = ?";
	static const char theirs_sql[] =
	    "SELECT o.off, o.len, r.id, r.seq, " STORE_SUBJECT_COLS " FROM object_keys k "
	    "CROSS JOIN objects o ON o.seq = k.seq JOIN reports r ON r.seq = o.report "
	    "WHERE k.stix_key = ?1 AND k.modified = ?2 AND k.seq < ?3 AND o.stix_id = ?4 "
	    "AND r.originator = ?5 ORDER BY k.seq";
	const struct principal who = {.member_id = cc->originator};
	char *mine = NULL;
	int64_t mine_len = 0;
	int src;

	*copy = false;
	sqlite3_stmt *s = store_stmt(c, mine_sql);
	if (!s)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, k->seq);
	if ((src = sqlite3_step(s)) == SQLITE_ROW) {
		mine_len = sqlite3_column_int64(s, 1);
		mine = read_span(cc->mine, sqlite3_column_int64(s, 0), mine_len);
	}
	sqlite3_reset(s);
	if (src != SQLITE_ROW || !mine) {
		free(mine);
		return src == SQLITE_ROW ? ERR_IO : store_error(c, src, "object_copy");
	}
	s = store_stmt(c, theirs_sql);
	if (!s) {
		free(mine);
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, k->key);
	sqlite3_bind_int64(s, 2, k->modified);
	sqlite3_bind_int64(s, 3, first);
	sqlite3_bind_text(s, 4, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, creator);
	while (!*copy && (src = sqlite3_step(s)) == SQLITE_ROW) {
		struct policy_subject o;
		store_subject_from_row(s, 4, &o); /* its owner is creator (?5) */
		if (!policy_may_see(cc->node->dir, &who, &o, POLICY_OBJECT_GET))
			continue;
		struct report_body b;
		if (report_body_open(cc->node, c, sqlite3_column_int64(s, 3),
				     (const char *)sqlite3_column_text(s, 2), &b))
			continue;
		int64_t len = sqlite3_column_int64(s, 1);
		char *theirs = read_span(&b, sqlite3_column_int64(s, 0), len);
		report_body_close(&b);
		*copy = same_object(mine, mine_len, theirs, len);
		free(theirs);
	}
	sqlite3_reset(s);
	free(mine);
	return src == SQLITE_ROW || src == SQLITE_DONE ? ERR_OK
						       : store_error(c, src, "object_copy");
}

/* A key that earlier reports hold with rows of another member: may
 * the submitter add this row? Only the creator of an id (the member whose
 * report first held it) versions it; others may re-share a version unchanged.
 * SCO ids are derived from their values and have no versions, and the TLP
 * marking definitions are the specification's: anyone may send them.
 * `*fine` false names a forgery; `id` receives the object's id. */
static int may_add_version(const struct creator_check *cc, struct store_conn *c,
			   const struct object_key *k, int64_t first, bool *fine, char *id,
			   size_t idn)
{
	static const char id_sql[] = "SELECT stix_id, type FROM objects WHERE seq = ?";
	static const char creator_sql[] =
	    "SELECT r.originator FROM object_keys k CROSS JOIN objects o ON o.seq = k.seq "
	    "JOIN reports r ON r.seq = o.report "
	    "WHERE k.stix_key = ?1 AND k.seq < ?2 AND o.stix_id = ?3 ORDER BY k.seq LIMIT 1";
	int64_t creator = 0;
	bool sco = false;
	int src;

	*fine = true;
	sqlite3_stmt *s = store_stmt(c, id_sql);
	if (!s)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, k->seq);
	if ((src = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(id, idn, "%s", (const char *)sqlite3_column_text(s, 0));
		sco = stix_type_kind((const char *)sqlite3_column_text(s, 1)) == STIX_SCO;
	}
	sqlite3_reset(s);
	if (src != SQLITE_ROW)
		return store_error(c, src, "object_creator");
	if (sco || tlp_from_marking_id(id) >= 0)
		return ERR_OK;
	s = store_stmt(c, creator_sql);
	if (!s)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, k->key);
	sqlite3_bind_int64(s, 2, first);
	sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
	if ((src = sqlite3_step(s)) == SQLITE_ROW)
		creator = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (src != SQLITE_ROW && src != SQLITE_DONE)
		return store_error(c, src, "object_creator");
	if (!creator || creator == cc->originator)
		return ERR_OK; /* a new id (its key collided with another's), or the creator's */
	return is_readable_copy(cc, c, k, id, creator, first, fine);
}

/* A cursor over object_keys in key order (struct creator_walk). */
struct key_cursor {
	sqlite3_stmt *s;
	bool positioned, end;
	int64_t key, seq, member;
};

static int cursor_read(struct store_conn *c, struct key_cursor *kc)
{
	int src = sqlite3_step(kc->s);
	kc->positioned = true;
	if (src == SQLITE_ROW) {
		kc->key = sqlite3_column_int64(kc->s, 0);
		kc->seq = sqlite3_column_int64(kc->s, 1);
		kc->member = sqlite3_column_int64(kc->s, 2);
		return ERR_OK;
	}
	kc->end = true;
	return src == SQLITE_DONE ? ERR_OK : store_error(c, src, "object_keys_walk");
}

/* Moves the cursor to the first stored row whose key is >= `key`: by stepping
 * when it is a few rows behind (cheap), by a new search otherwise. */
static int cursor_seek(struct store_conn *c, struct key_cursor *kc, int64_t key)
{
	int rc = ERR_OK;
	for (int steps = 0; !rc && kc->positioned && !kc->end && kc->key < key; steps++) {
		if (steps == 16) {
			kc->positioned = false;
			break;
		}
		rc = cursor_read(c, kc);
	}
	if (rc || kc->positioned)
		return rc;
	sqlite3_reset(kc->s);
	sqlite3_bind_int64(kc->s, 1, key);
	return cursor_read(c, kc);
}

/* The check that a report adds versions only to ids its submitter created (or
 * identical copies, may_add_version). The report's keys, sorted, and
 * object_keys are walked together in key order, as a merge, before any key of
 * the report is inserted: a key that no earlier report holds, or only with the
 * submitter's own rows, costs a step of the cursor (a search when many stored
 * keys lie between two of the report's), the walk stops at the last stored
 * key, and only an id that another member sent costs more. A report of
 * several key batches is walked once, through a merge of its sorted batches. */
struct creator_walk {
	struct key_cursor kc;
	int64_t first; /* the report's first object row: rows are numbered in bundle order */
	int64_t last;  /* the previous key walked */
	bool started, suspect, done;
	int64_t bad; /* the row of the first offender in bundle order, 0 while none */
	char id[300], bad_id[300];
};

static int walk_begin(struct store_conn *c, struct creator_walk *w, int64_t first)
{
	static const char sql[] = "SELECT stix_key, seq, member FROM object_keys "
				  "WHERE stix_key >= ?1 ORDER BY stix_key";
	memset(w, 0, sizeof(*w));
	w->first = first;
	w->kc.s = store_stmt(c, sql);
	return w->kc.s ? ERR_OK : ERR_STORE;
}

/* The next key in key order; sets w->done when no stored key follows. */
static int walk_key(const struct creator_check *cc, struct store_conn *c, struct creator_walk *w,
		    const struct object_key *k)
{
	int rc = ERR_OK;
	if (!w->started || k->key != w->last) {
		rc = cursor_seek(c, &w->kc, k->key);
		if (rc || w->kc.end) {
			w->done = true;
			return rc;
		}
		/* the stored rows of this key: from earlier reports, by another member? */
		w->started = true;
		w->last = k->key;
		w->suspect = false;
		while (!rc && !w->kc.end && w->kc.key == k->key) {
			if (w->kc.seq < w->first && w->kc.member != cc->originator)
				w->suspect = true;
			rc = cursor_read(c, &w->kc);
		}
	}
	if (rc || !w->suspect || (w->bad && k->seq > w->bad))
		return rc;
	bool fine;
	rc = may_add_version(cc, c, k, w->first, &fine, w->id, sizeof(w->id));
	if (!rc && !fine) {
		w->bad = k->seq;
		memcpy(w->bad_id, w->id, sizeof(w->id));
	}
	return rc;
}

/* Ends the walk: ERR_CONFLICT naming the first offender, if any. */
static int walk_end(const struct creator_check *cc, struct creator_walk *w, int rc)
{
	if (w->kc.s)
		sqlite3_reset(w->kc.s);
	if (rc || !w->bad)
		return rc;
	int64_t index = w->bad - w->first;
	log_warn("event=report_refused reason=not_creator originator=%" PRId64
		 " object=%s index=%" PRId64,
		 cc->originator, w->bad_id, index);
	char field[64];
	snprintf(field, sizeof(field), "objects[%" PRId64 "].id", index);
	return err_set(cc->err, ERR_CONFLICT, field,
		       "objects[%" PRId64 "] (%s): another member created this object: only its "
		       "creator may add versions of it or revoke it, and a copy must be identical "
		       "to a version you can read; nothing was stored",
		       index, w->bad_id);
}

int creator_check_keys(const struct creator_check *cc, struct store_conn *c,
		       const struct object_key *keys, size_t n, int64_t first)
{
	struct creator_walk w;
	int rc = walk_begin(c, &w, first);
	for (size_t i = 0; !rc && !w.done && i < n; i++)
		rc = walk_key(cc, c, &w, &keys[i]);
	return walk_end(cc, &w, rc);
}

/* A sorted batch of keys in the spill file, read a slice at a time. */
#define RUN_SLICE 1024
struct run {
	off_t at, end;
	size_t i, n;
	struct object_key buf[RUN_SLICE];
};

static int run_fill(int fd, struct run *r)
{
	size_t want = (size_t)(r->end - r->at) / sizeof(struct object_key);
	if (want > RUN_SLICE)
		want = RUN_SLICE;
	r->i = 0;
	r->n = want;
	if (want && pread(fd, r->buf, want * sizeof(struct object_key), r->at) !=
			(ssize_t)(want * sizeof(struct object_key)))
		return ERR_IO;
	r->at += (off_t)(want * sizeof(struct object_key));
	return ERR_OK;
}

/* The run at heap[h] goes down (sift) to its place in the heap of runs. */
static void heap_down(const struct run *runs, size_t *heap, size_t nheap, size_t h)
{
	for (;;) {
		size_t l = 2 * h + 1, m = h;
		if (l < nheap &&
		    runs[heap[l]].buf[runs[heap[l]].i].key < runs[heap[m]].buf[runs[heap[m]].i].key)
			m = l;
		if (l + 1 < nheap && runs[heap[l + 1]].buf[runs[heap[l + 1]].i].key <
					 runs[heap[m]].buf[runs[heap[m]].i].key)
			m = l + 1;
		if (m == h)
			return;
		size_t t = heap[m];
		heap[m] = heap[h];
		heap[h] = t;
		h = m;
	}
}

/* A merge of the spill file's sorted batches by a binary heap of them. */
int creator_check_spilled(const struct creator_check *cc, struct store_conn *c, FILE *f,
			  size_t total, size_t cap, int64_t first)
{
	size_t nruns = (total + cap - 1) / cap, nheap = 0;
	struct run *runs = xcalloc(nruns, sizeof(*runs));
	size_t *heap = xmalloc(nruns * sizeof(*heap));
	struct creator_walk w;
	int fd = fileno(f);
	int rc = walk_begin(c, &w, first);
	if (!rc && fflush(f))
		rc = ERR_IO;

	for (size_t r = 0; !rc && r < nruns; r++) {
		runs[r].at = (off_t)(r * cap * sizeof(struct object_key));
		runs[r].end =
		    (off_t)((r + 1 < nruns ? (r + 1) * cap : total) * sizeof(struct object_key));
		rc = run_fill(fd, &runs[r]);
		if (!rc && runs[r].n)
			heap[nheap++] = r;
	}
	for (size_t h = nheap / 2; h-- > 0;)
		heap_down(runs, heap, nheap, h);
	while (!rc && !w.done && nheap) {
		struct run *r = &runs[heap[0]];
		rc = walk_key(cc, c, &w, &r->buf[r->i]);
		if (!rc && ++r->i == r->n)
			rc = run_fill(fd, r);
		if (!r->n)
			heap[0] = heap[--nheap];
		heap_down(runs, heap, nheap, 0);
	}
	rc = walk_end(cc, &w, rc);
	free(heap);
	free(runs);
	return rc;
}
