/* The early-warning service: index build at start, the indexer thread fed by
 * commits, constituency matching and alert creation, the SSE event hub. */
#include "alert/service.h"

#include <microhttpd.h>

#include "alert/delivery.h"
#include "formats/jdoc.h"
#include "formats/stix_pattern.h"
#include "index/prefixset.h"
#include "policy/policy.h"
#include "report/ingest.h"
#include "spam/service.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define ALERT_VALUES_MAX 1000	/* observables listed in one alert */
#define SSE_RING 1024		/* events kept for stream subscribers */
#define SIGHTED_BITS (1u << 22) /* 512 KiB filter of values with sightings */

struct cset {
	int64_t member;
	struct prefixset *set;
};

struct sse_event {
	uint64_t seq;
	int64_t member;
	uint64_t alert;
	char *text; /* a whole SSE message */
};

#define SSE_KEEPALIVE_S 15 /* a comment line on idle streams, for proxies */

struct alert {
	struct node *node;
	struct index *idx;
	double build_seconds;

	/* reports waiting for the indexer */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	int64_t *queue;
	size_t qhead, qlen, qcap;
	bool stopping;
	pthread_t indexer;
	bool indexer_started;

	/* constituencies: the indexer reads them, PUT swaps them */
	pthread_mutex_t clock;
	struct cset *cs;
	size_t ncs;

	/* the live stream */
	pthread_mutex_t slock;
	pthread_cond_t scond;
	struct sse_event ring[SSE_RING];
	uint64_t next_seq; /* of the next event published */
	bool sse_stopping;
	struct alert_park *parked; /* idle streams, suspended in MHD */
	pthread_t ticker;	   /* wakes parked streams for their keep-alive */
	bool ticker_started;

	struct delivery *dlv;

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

bool alert_in_constituency(struct alert *w, int64_t member, const char *value, size_t len)
{
	struct observable o;
	struct err_detail e;
	bool in = false;
	if (!w || observable_normalise(OBS_AUTO, value, len, &o, &e))
		return false;
	pthread_mutex_lock(&w->clock);
	for (size_t i = 0; i < w->ncs && !in; i++)
		in = w->cs[i].member == member && w->cs[i].set &&
		     prefixset_contains(w->cs[i].set, &o);
	pthread_mutex_unlock(&w->clock);
	return in;
}

void alert_note_sighting(struct alert *w, const char *value, size_t len)
{
	uint32_t b = value_hash(value, len);
	atomic_fetch_or_explicit(&w->sighted[b / 64], 1ull << (b % 64), memory_order_release);
}

bool alert_maybe_sighted(struct alert *w, const char *value, size_t len)
{
	uint32_t b = value_hash(value, len);
	return (atomic_load_explicit(&w->sighted[b / 64], memory_order_acquire) >> (b % 64)) & 1;
}

struct index *alert_index(struct alert *w)
{
	return w->idx;
}

double alert_build_seconds(const struct alert *w)
{
	return w->build_seconds;
}

/* ------------------------------------------------------------------ */
/* extraction                                                          */

/* One observable seen in an object, remembered for sightings' refs. */
struct idref {
	char *id;
	enum obs_kind kind;
	char *value;
};

/* A sighting or observed-data object, counted once the report's observables are known. */
struct deferred {
	int64_t count, seen;
	char **refs;
	size_t nrefs;
};

struct extract {
	struct alert *w;
	struct jdoc doc; /* each object is parsed into it in turn */
	int64_t report;
	int64_t received;
	alert_obs_fn fn;
	void *ctx;
	const struct jv *obj; /* the object at hand, while fn runs for its observables */
	/* side effects of a new report (NULL when only walking) */
	void (*not_indexed)(void *ctx, const char *object, const char *what, const char *reason);
	void (*sighting)(void *ctx, const struct observable *o, int64_t count, int64_t seen_ms);
	/* refs, when the report has sightings or observed-data */
	bool want_refs;
	struct idref *refs;
	size_t nrefs, caprefs;
	struct deferred *deferred;
	size_t ndeferred, capdeferred;
	/* the DNSBL feed (side effects only): the report, then the object at hand */
	bool want_blockable;
	struct policy_subject subject;
	char report_id[128];
	enum { FEED_NONE, FEED_LIST, FEED_REVOKE } feed; /* the indicator at hand */
	int64_t blocking_until;				 /* its valid_until, INT64_MAX when none */
	struct spam_incident_value *block;
	size_t nblock, capblock;
	int rc;
};

static void remember(struct extract *x, const char *id, const struct observable *o)
{
	if (!x->want_refs || !id)
		return;
	if (x->nrefs == x->caprefs) {
		x->caprefs = x->caprefs ? 2 * x->caprefs : 64;
		x->refs = xrealloc(x->refs, x->caprefs * sizeof(*x->refs));
	}
	x->refs[x->nrefs].id = xstrdup(id);
	x->refs[x->nrefs].kind = o->kind;
	x->refs[x->nrefs].value = xstrndup(o->value, o->len);
	x->nrefs++;
}

/* The DNSBL answers for addresses and domains; a listing lasts as long as the
 * indicator is valid, and at most one half-life of its kind after it was seen. */
static void note_blockable(struct extract *x, const struct observable *o, int64_t seen)
{
	if (o->kind != OBS_IPV4 && o->kind != OBS_IPV6 && o->kind != OBS_DOMAIN)
		return;
	if (x->nblock == x->capblock) {
		x->capblock = x->capblock ? 2 * x->capblock : 64;
		x->block = xrealloc(x->block, x->capblock * sizeof(*x->block));
	}
	int64_t expires = seen + observable_half_life_ms(o->kind);
	if (x->blocking_until < expires)
		expires = x->blocking_until;
	x->block[x->nblock].value = xstrndup(o->value, o->len);
	x->block[x->nblock].expires = expires;
	x->block[x->nblock].revoked = x->feed == FEED_REVOKE;
	x->nblock++;
}

static int emit(struct extract *x, const char *id, const struct observable *o, int64_t object_seq,
		int64_t seen)
{
	remember(x, id, o);
	if (x->feed != FEED_NONE)
		note_blockable(x, o, seen);
	if (x->fn && !x->rc)
		x->rc = x->fn(x->ctx, o, object_seq, seen);
	return x->rc;
}

static void not_indexed(struct extract *x, const char *id, const char *what, const char *reason)
{
	if (x->not_indexed)
		x->not_indexed(x->ctx, id ? id : "", what, reason);
}

static int64_t json_time(const struct jv *obj, const char *key, int64_t dflt)
{
	const struct jv *v = jv_get(obj, key);
	int64_t ms;
	if (jv_is_string(v) && !time_parse_rfc3339(jv_str(v), jv_strlen(v), 0, &ms))
		return ms;
	return dflt;
}

/* An SCO (or an object embedded in observed-data): its value(s). */
static void sco_values(struct extract *x, const char *id, const char *type, const struct jv *obj,
		       int64_t object_seq, int64_t seen)
{
	struct observable o;
	struct err_detail err;
	enum obs_kind hint = OBS_AUTO;
	const char *key = "value";
	err_clear(&err);
	if (!strcmp(type, "ipv4-addr"))
		hint = OBS_IPV4;
	else if (!strcmp(type, "ipv6-addr"))
		hint = OBS_IPV6;
	else if (!strcmp(type, "domain-name"))
		hint = OBS_DOMAIN;
	else if (!strcmp(type, "url"))
		hint = OBS_URL;
	else if (!strcmp(type, "email-addr"))
		hint = OBS_EMAIL;
	else if (!strcmp(type, "autonomous-system")) {
		hint = OBS_ASN;
		key = "number";
	} else if (!strcmp(type, "file") || !strcmp(type, "artifact")) {
		const struct jv *hashes = jv_get(obj, "hashes"), *h;
		const char *alg;
		size_t m;
		jv_object_foreach(hashes, m, alg, h)
		{
			static const struct {
				const char *name;
				enum obs_hash_alg a;
			} algs[] = {
			    {"MD5", OBS_HASH_MD5},	     {"SHA-1", OBS_HASH_SHA1},
			    {"SHA-256", OBS_HASH_SHA256},    {"SHA-512", OBS_HASH_SHA512},
			    {"SHA3-256", OBS_HASH_SHA3_256}, {"SHA3-512", OBS_HASH_SHA3_512}};
			int k = -1;
			for (int i = 0; i < 6; i++)
				if (!strcasecmp(alg, algs[i].name))
					k = i;
			if (k < 0 || !jv_is_string(h)) {
				not_indexed(x, id, alg, "hash algorithm not indexed");
				continue;
			}
			if (observable_normalise_hash(algs[k].a, jv_str(h), jv_strlen(h), &o, &err))
				not_indexed(x, id, jv_str(h), err.message);
			else
				emit(x, id, &o, object_seq, seen);
		}
		return;
	} else {
		return;
	}
	const struct jv *v = jv_get(obj, key);
	char num[32];
	const char *text;
	size_t n;
	if (jv_is_integer(v)) {
		n = (size_t)snprintf(num, sizeof(num), "%" PRId64, jv_int(v));
		text = num;
	} else if (jv_is_string(v)) {
		text = jv_str(v);
		n = jv_strlen(v);
	} else {
		return;
	}
	if (observable_normalise(hint, text, n, &o, &err))
		not_indexed(x, id, text, err.message);
	else
		emit(x, id, &o, object_seq, seen);
}

struct pat_ctx {
	struct extract *x;
	const char *id;
	int64_t object_seq, seen;
	char *pattern;
};

/* Quotes a literal back into STIX text for observable_from_stix. */
static char *stix_quote(const struct stix_pattern_literal *l)
{
	if (l->kind != STIX_LIT_STRING)
		return xstrndup(l->text, l->len);
	char *q = xmalloc(2 * l->len + 3), *p = q;
	*p++ = '\'';
	for (size_t i = 0; i < l->len; i++) {
		if (l->text[i] == '\'' || l->text[i] == '\\')
			*p++ = '\\';
		*p++ = l->text[i];
	}
	*p++ = '\'';
	*p = '\0';
	return q;
}

static int on_comparison(void *ctx, const struct stix_pattern_comparison *c)
{
	struct pat_ctx *pc = ctx;
	char what[512];
	snprintf(what, sizeof(what), "%s:%s %s%s", c->object_type, c->path,
		 c->negated ? "NOT " : "", c->op_name);
	if (c->negated) {
		not_indexed(pc->x, pc->id, what, "a negated comparison names no observable");
		return 0;
	}
	if (c->op != STIX_OP_EQ && c->op != STIX_OP_IN && c->op != STIX_OP_ISSUBSET) {
		struct observable o;
		struct err_detail why;
		err_clear(&why);
		const char *lit = c->nvalues ? c->values[0].text : "";
		if (observable_from_stix(c->object_type, c->path, c->op_name, lit, strlen(lit), &o,
					 &why) != ERR_OK)
			not_indexed(pc->x, pc->id, what,
				    why.message[0] ? why.message : "operator not indexed");
		return 0;
	}
	for (size_t i = 0; i < c->nvalues; i++) {
		struct observable o;
		struct err_detail why;
		err_clear(&why);
		char *lit = stix_quote(&c->values[i]);
		int rc = observable_from_stix(c->object_type, c->path,
					      c->op == STIX_OP_IN ? "=" : c->op_name, lit,
					      strlen(lit), &o, &why);
		if (rc == ERR_OK) {
			emit(pc->x, pc->id, &o, pc->object_seq, pc->seen);
		} else {
			char full[1024];
			snprintf(full, sizeof(full), "%s %.400s", what, lit);
			not_indexed(pc->x, pc->id, full,
				    why.message[0] ? why.message : "comparison not indexed");
		}
		free(lit);
	}
	return pc->x->rc;
}

static void indicator_values(struct extract *x, const char *id, const struct jv *obj,
			     int64_t object_seq, int64_t seen)
{
	const char *ptype = jv_str(jv_get(obj, "pattern_type"));
	const struct jv *pat = jv_get(obj, "pattern");
	if (!jv_is_string(pat))
		return;
	if (ptype && strcmp(ptype, "stix")) {
		char reason[160];
		snprintf(reason, sizeof(reason), "pattern_type '%.100s' is not indexed", ptype);
		not_indexed(x, id, jv_str(pat), reason);
		return;
	}
	/* an indicator past valid_until decays from that time */
	int64_t until = json_time(obj, "valid_until", INT64_MAX);
	x->blocking_until = until;
	if (until < seen)
		seen = until;
	struct stix_pattern *p = NULL;
	struct err_detail err;
	err_clear(&err);
	if (stix_pattern_parse(jv_str(pat), jv_strlen(pat), &p, &err)) {
		not_indexed(x, id, jv_str(pat), err.message);
		return;
	}
	struct pat_ctx pc = {x, id, object_seq, seen, NULL};
	stix_pattern_foreach_comparison(p, on_comparison, &pc);
	stix_pattern_free(p);
}

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct idref *)a)->id, ((const struct idref *)b)->id);
}

/* Sightings and observed-data count the observables they point to. */
static void resolve_refs(struct extract *x)
{
	if (!x->ndeferred)
		return;
	qsort(x->refs, x->nrefs, sizeof(*x->refs), cmp_ref);
	for (size_t i = 0; i < x->ndeferred; i++) {
		const struct deferred *d = &x->deferred[i];
		for (size_t k = 0; k < d->nrefs && x->nrefs; k++) {
			struct idref key = {.id = d->refs[k]};
			struct idref *hit =
			    bsearch(&key, x->refs, x->nrefs, sizeof(*x->refs), cmp_ref);
			if (!hit)
				continue;
			while (hit > x->refs && !strcmp(hit[-1].id, key.id))
				hit--;
			for (; hit < x->refs + x->nrefs && !strcmp(hit->id, key.id); hit++) {
				struct observable o;
				if (observable_normalise(hit->kind, hit->value, strlen(hit->value),
							 &o, NULL))
					continue;
				if (x->sighting)
					x->sighting(x->ctx, &o, d->count, d->seen);
			}
		}
	}
}

static void add_refs(struct deferred *d, const struct jv *v)
{
	size_t n = jv_is_array(v) ? jv_size(v) : 1;
	d->refs = xrealloc(d->refs, (d->nrefs + n) * sizeof(*d->refs));
	for (size_t i = 0; i < n; i++) {
		const char *id = jv_str(jv_is_array(v) ? jv_at(v, i) : v);
		if (id)
			d->refs[d->nrefs++] = xstrdup(id);
	}
}

/* What resolve_refs needs from a sighting or observed-data, kept past this object. */
static void defer(struct extract *x, const struct jv *obj, bool sighting)
{
	if (x->ndeferred == x->capdeferred) {
		x->capdeferred = x->capdeferred ? 2 * x->capdeferred : 16;
		x->deferred = xrealloc(x->deferred, x->capdeferred * sizeof(*x->deferred));
	}
	struct deferred *d = &x->deferred[x->ndeferred++];
	memset(d, 0, sizeof(*d));
	d->count = jv_int(jv_get(obj, sighting ? "count" : "number_observed"));
	if (d->count <= 0)
		d->count = 1;
	d->seen = json_time(obj, sighting ? "last_seen" : "last_observed",
			    json_time(obj, "modified", x->received));
	if (d->seen > x->received)
		d->seen = x->received;
	if (sighting) {
		add_refs(d, jv_get(obj, "sighting_of_ref"));
		add_refs(d, jv_get(obj, "observed_data_refs"));
	} else {
		add_refs(d, jv_get(obj, "object_refs"));
	}
}

/* What an indicator does to the DNSBL: its values are listed when its provider
 * meant it for blocking (indicator_types malicious-activity) and the policy lets
 * anonymous DNS clients see it (TLP:CLEAR, shared with everyone); a revoked version
 * removes what the provider's earlier versions listed. */
static int feed_of(struct extract *x, const struct jv *obj, enum tlp tlp)
{
	if (!x->want_blockable)
		return FEED_NONE;
	if (jv_is_true(jv_get(obj, "revoked")))
		return FEED_REVOKE;
	const struct jv *types = jv_get(obj, "indicator_types"), *t;
	size_t i;
	bool meant = false;
	jv_array_foreach(types, i, t)
	{
		if (jv_str(t) && !strcmp(jv_str(t), "malicious-activity"))
			meant = true;
	}
	struct policy_subject o = x->subject;
	o.tlp = tlp;
	return meant && policy_may_see(x->w->node->dir, NULL, &o, POLICY_DNS) ? FEED_LIST
									      : FEED_NONE;
}

static void extract_object(struct extract *x, const char *type, const char *bytes, size_t len,
			   int64_t object_seq, int64_t modified, enum tlp tlp)
{
	struct jdoc_error jerr;
	const struct jv *obj = jdoc_parse(&x->doc, bytes, len, &jerr);
	if (!obj)
		return; /* the intake validated it; a damaged file is logged by the caller */
	const char *id = jv_str(jv_get(obj, "id"));
	int64_t seen = modified < x->received ? modified : x->received;
	x->obj = obj;
	if (!strcmp(type, "indicator")) {
		x->feed = feed_of(x, obj, tlp);
		indicator_values(x, id, obj, object_seq, seen);
		x->feed = FEED_NONE;
	} else if (!strcmp(type, "observed-data") || !strcmp(type, "sighting")) {
		if (!strcmp(type, "observed-data")) {
			/* the deprecated embedded form: {"0": {"type": "ipv4-addr", ...}} */
			const struct jv *objects = jv_get(obj, "objects");
			for (size_t m = 0; m < jv_size(objects); m++) {
				const struct jv *emb = &jv_member(objects, m)->value;
				const char *t = jv_str(jv_get(emb, "type"));
				if (t)
					sco_values(x, id, t, emb, object_seq,
						   json_time(obj, "last_observed", seen));
			}
		}
		if (x->sighting)
			defer(x, obj, !strcmp(type, "sighting"));
	} else {
		sco_values(x, id, type, obj, object_seq, seen);
	}
	x->obj = NULL;
}

static bool interesting(const char *type)
{
	static const char *const types[] = {"indicator", "observed-data", "sighting",
					    "ipv4-addr", "ipv6-addr",	  "domain-name",
					    "url",	 "email-addr",	  "autonomous-system",
					    "file",	 "artifact",	  NULL};
	for (int i = 0; types[i]; i++)
		if (!strcmp(type, types[i]))
			return true;
	return false;
}

#define EXTRACT_WINDOW 8192

static int extract_run(struct extract *x)
{
	struct node *node = x->w->node;
	struct store_conn *c = store_reader(node->st);
	if (!c)
		return ERR_STORE;
	sqlite3_stmt *s = store_stmt(c, "SELECT id, received, counts, first_object, last_object, "
					"originator, audience FROM reports WHERE seq = ?");
	sqlite3_bind_int64(s, 1, x->report);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return ERR_NOT_FOUND;
	}
	char *path = report_file(node, (const char *)sqlite3_column_text(s, 0), "json");
	x->received = sqlite3_column_int64(s, 1);
	snprintf(x->report_id, sizeof(x->report_id), "%s", (const char *)sqlite3_column_text(s, 0));
	x->subject.owner = sqlite3_column_int64(s, 5);
	x->subject.audience =
	    x->want_blockable ? xstrdup((const char *)sqlite3_column_text(s, 6)) : NULL;
	const char *counts = (const char *)sqlite3_column_text(s, 2);
	/* objects has no index on report: walk the report's span of seq */
	int64_t first = sqlite3_column_int64(s, 3), last = sqlite3_column_int64(s, 4);
	x->want_refs = x->sighting && counts &&
		       (strstr(counts, "\"sighting\"") || strstr(counts, "\"observed-data\""));
	sqlite3_reset(s);

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	const char *map = NULL;
	if (fd < 0 || fstat(fd, &st)) {
		log_warn_errno("event=warning_extract report=%" PRId64 " path=%s", x->report, path);
		if (fd >= 0)
			close(fd);
		free(path);
		return ERR_IO;
	}
	free(path);
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			map = NULL;
	}
	close(fd);
	if (!map)
		return st.st_size ? ERR_IO : ERR_OK;
	madvise((void *)map, (size_t)st.st_size, MADV_SEQUENTIAL);

	/* A window of seq at a time, each its own read transaction: one
	 * transaction over a large report (seconds) would hold the WAL at its
	 * start, and every write meanwhile would lengthen it (store.c). The
	 * rows of a committed report never change. */
	s = store_stmt(c,
		       "SELECT seq, type, off, len, modified, tlp FROM objects WHERE seq BETWEEN ? "
		       "AND ? AND report = ? ORDER BY seq");
	jdoc_init(&x->doc, 0);
	size_t page = (size_t)sysconf(_SC_PAGESIZE), released = 0, reached = 0;
	for (int64_t from = first; !x->rc && from <= last; from += EXTRACT_WINDOW) {
		sqlite3_bind_int64(s, 1, from);
		sqlite3_bind_int64(s, 2,
				   last - from < EXTRACT_WINDOW ? last : from + EXTRACT_WINDOW - 1);
		sqlite3_bind_int64(s, 3, x->report);
		while (!x->rc && sqlite3_step(s) == SQLITE_ROW) {
			const char *type = (const char *)sqlite3_column_text(s, 1);
			int64_t off = sqlite3_column_int64(s, 2), len = sqlite3_column_int64(s, 3);
			if (off < 0 || len <= 0 || off + len > st.st_size)
				continue;
			if ((size_t)(off + len) > reached)
				reached = (size_t)(off + len);
			if (!interesting(type))
				continue;
			extract_object(x, type, map + off, (size_t)len, sqlite3_column_int64(s, 0),
				       sqlite3_column_int64(s, 4),
				       (enum tlp)sqlite3_column_int(s, 5));
		}
		sqlite3_reset(s);
		/* objects lie in seq order in the file: the pages behind are done with, and
		 * leaving them mapped would add the whole report to the daemon's RSS */
		size_t upto = reached / page * page;
		if (upto > released) {
			madvise((void *)(map + released), upto - released, MADV_DONTNEED);
			released = upto;
		}
	}
	jdoc_release(&x->doc);
	munmap((void *)map, (size_t)st.st_size);
	resolve_refs(x);
	for (size_t i = 0; i < x->nrefs; i++) {
		free(x->refs[i].id);
		free(x->refs[i].value);
	}
	free(x->refs);
	for (size_t i = 0; i < x->ndeferred; i++) {
		for (size_t k = 0; k < x->deferred[i].nrefs; k++)
			free(x->deferred[i].refs[k]);
		free(x->deferred[i].refs);
	}
	free(x->deferred);
	return x->rc;
}

int alert_extract_report(struct alert *w, int64_t report_seq, alert_obs_fn fn, void *ctx)
{
	struct extract x;
	memset(&x, 0, sizeof(x));
	x.w = w;
	x.report = report_seq;
	x.fn = fn;
	x.ctx = ctx;
	return extract_run(&x);
}

/* ------------------------------------------------------------------ */
/* constituencies                                                      */

int alert_constituency_entry(const char *field, json_t *v, struct observable *o,
			     struct err_detail *err)
{
	char num[32];
	const char *text;
	size_t n;
	enum obs_kind hint = !strcmp(field, "asns")	 ? OBS_ASN
			     : !strcmp(field, "domains") ? OBS_DOMAIN
							 : OBS_AUTO;
	if (json_is_integer(v) && hint == OBS_ASN) {
		n = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				     json_integer_value(v));
		text = num;
	} else if (json_is_string(v)) {
		text = json_string_value(v);
		n = json_string_length(v);
	} else {
		return err_set(err, ERR_INVALID, field, "%s: every entry must be a string", field);
	}
	int rc = observable_normalise(hint, text, n, o, err);
	if (!rc && hint == OBS_AUTO && o->kind != OBS_IPV4 && o->kind != OBS_IPV6)
		rc = err_set(err, ERR_INVALID, field, "'%.64s': not an IPv4 or IPv6 network", text);
	if (rc && err) {
		char msg[sizeof(err->message)];
		snprintf(msg, sizeof(msg), "%.400s", err->message);
		return err_set(err, rc, field, "%s: %s", field, msg);
	}
	return ERR_OK;
}

static struct prefixset *build_set(json_t *cidrs, json_t *asns, json_t *domains)
{
	struct prefixset *set = prefixset_new();
	json_t *lists[3] = {cidrs, asns, domains};
	static const char *const names[3] = {"cidrs", "asns", "domains"};
	for (int k = 0; k < 3; k++) {
		size_t i;
		json_t *v;
		json_array_foreach(lists[k], i, v)
		{
			struct observable o;
			if (!alert_constituency_entry(names[k], v, &o, NULL))
				prefixset_add(set, &o, NULL);
		}
	}
	return set;
}

static void swap_set(struct alert *w, int64_t member, struct prefixset *set)
{
	struct prefixset *old = NULL;
	pthread_mutex_lock(&w->clock);
	size_t i;
	for (i = 0; i < w->ncs && w->cs[i].member != member; i++)
		;
	if (i == w->ncs) {
		w->cs = xrealloc(w->cs, (w->ncs + 1) * sizeof(*w->cs));
		w->cs[w->ncs].member = member;
		w->cs[w->ncs].set = NULL;
		w->ncs++;
	}
	old = w->cs[i].set;
	w->cs[i].set = set;
	pthread_mutex_unlock(&w->clock);
	prefixset_free(old);
}

int alert_set_constituency(struct alert *w, int64_t member, json_t *cidrs, json_t *asns,
			   json_t *domains, struct err_detail *err)
{
	struct store_conn *c;
	int rc = store_write_begin(w->node->st, &c);
	if (rc)
		return rc;
	sqlite3_stmt *s =
	    store_stmt(c, "INSERT OR REPLACE INTO constituencies(member, cidrs, asns, "
			  "domains, updated) VALUES (?,?,?,?,?)");
	char *t[3] = {json_dumps(cidrs, JSON_COMPACT), json_dumps(asns, JSON_COMPACT),
		      json_dumps(domains, JSON_COMPACT)};
	sqlite3_bind_int64(s, 1, member);
	for (int k = 0; k < 3; k++)
		sqlite3_bind_text(s, 2 + k, t[k], -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, time_now_ms());
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	for (int k = 0; k < 3; k++)
		free(t[k]);
	if (src != SQLITE_DONE)
		rc = store_error(c, src, "constituency_put");
	rc = store_write_end(w->node->st, rc);
	if (!rc)
		swap_set(w, member, build_set(cidrs, asns, domains));
	return rc;
}

static int load_constituencies(struct alert *w)
{
	struct store_conn *c = store_reader(w->node->st);
	if (!c)
		return ERR_STORE;
	sqlite3_stmt *s = store_stmt(c, "SELECT member, cidrs, asns, domains FROM constituencies");
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *l[3];
		for (int k = 0; k < 3; k++)
			l[k] = json_loads((const char *)sqlite3_column_text(s, 1 + k), 0, NULL);
		swap_set(w, sqlite3_column_int64(s, 0), build_set(l[0], l[1], l[2]));
		for (int k = 0; k < 3; k++)
			json_decref(l[k]);
	}
	sqlite3_reset(s);
	return ERR_OK;
}

/* ------------------------------------------------------------------ */
/* secrets and signatures                                              */

void alert_sign(const char *key, const char *body, size_t n, char out[80])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, n);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	sodium_bin2hex(out + 7, 80 - 7, mac, sizeof(mac));
}

int alert_new_secret(struct node *node, int64_t member, char out[65])
{
	unsigned char raw[32];
	struct store_conn *c;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, 65, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	int rc = store_write_begin(node->st, &c);
	if (rc)
		return rc;
	sqlite3_stmt *s = store_stmt(c, "INSERT OR REPLACE INTO webhook_secrets(member, secret, "
					"created) VALUES (?,?,?)");
	sqlite3_bind_int64(s, 1, member);
	sqlite3_bind_text(s, 2, out, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, time_now_ms());
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	if (src != SQLITE_DONE)
		rc = store_error(c, src, "webhook_secret");
	return store_write_end(node->st, rc);
}

/* ------------------------------------------------------------------ */
/* alerts as JSON                                                      */

/* Sets the alert's "priority" from its observables: "normal" when one of them
 * was current when the report arrived (neither expired by its valid_until
 * nor decayed below OBS_SCORE_EXPIRED), "low" for old news; and the age of the
 * freshest observable ("first_seen", "indicator_age_days"). Alerts raised
 * before observables carried a score are "normal", without an age. */
static void alert_priority(json_t *a)
{
	json_t *o, *fresh = NULL;
	size_t i;
	bool current = false, scored = false;
	json_array_foreach(json_object_get(a, "observables"), i, o)
	{
		json_t *score = json_object_get(o, "score");
		if (!json_is_number(score)) {
			current = true;
			continue;
		}
		scored = true;
		if (!json_is_true(json_object_get(o, "expired")) &&
		    !observable_expired(json_number_value(score)))
			current = true;
		if (!fresh || json_integer_value(json_object_get(o, "indicator_age_days")) <
				  json_integer_value(json_object_get(fresh, "indicator_age_days")))
			fresh = o;
	}
	json_object_set_new(a, "priority", json_string(current || !scored ? "normal" : "low"));
	if (fresh) {
		json_object_set(a, "first_seen", json_object_get(fresh, "first_seen"));
		json_object_set(a, "indicator_age_days",
				json_object_get(fresh, "indicator_age_days"));
	}
}

json_t *alert_alert_json(struct store_conn *c, int64_t id, bool steps)
{
	static const char sql[] =
	    "SELECT a.id, a.member, a.created, a.state, a.observables, a.level, a.escalate_at, "
	    "a.acked_at, a.acked_by, a.exercise, r.id, r.originator, m.name, r.tlp "
	    "FROM alerts a JOIN reports r ON r.seq = a.report JOIN members m ON m.id = "
	    "r.originator WHERE a.id = ?";
	sqlite3_stmt *s = store_stmt(c, sql);
	json_t *out = NULL;
	char t[32];
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		time_format_ms(sqlite3_column_int64(s, 2), t);
		out = json_pack("{sI sI ss ss so sI sb s{ss sI ss ss}}", "id",
				(json_int_t)sqlite3_column_int64(s, 0), "member",
				(json_int_t)sqlite3_column_int64(s, 1), "created", t, "state",
				(const char *)sqlite3_column_text(s, 3), "observables",
				json_loads((const char *)sqlite3_column_text(s, 4), 0, NULL),
				"level", (json_int_t)sqlite3_column_int64(s, 5), "exercise",
				sqlite3_column_int(s, 9), "report", "id",
				(const char *)sqlite3_column_text(s, 10), "originator",
				(json_int_t)sqlite3_column_int64(s, 11), "originator_name",
				(const char *)sqlite3_column_text(s, 12), "tlp",
				tlp_name((enum tlp)sqlite3_column_int(s, 13)));
		alert_priority(out);
		if (sqlite3_column_type(s, 6) != SQLITE_NULL) {
			time_format_ms(sqlite3_column_int64(s, 6), t);
			json_object_set_new(out, "escalate_at", json_string(t));
		} else {
			json_object_set_new(out, "escalate_at", json_null());
		}
		if (sqlite3_column_type(s, 7) != SQLITE_NULL) {
			time_format_ms(sqlite3_column_int64(s, 7), t);
			json_object_set_new(out, "acknowledged",
					    json_pack("{ss sI}", "at", t, "by",
						      (json_int_t)sqlite3_column_int64(s, 8)));
		} else {
			json_object_set_new(out, "acknowledged", json_null());
		}
	}
	sqlite3_reset(s);
	if (!out || !steps)
		return out;
	s = store_stmt(c, "SELECT at, kind, contact, channel, attempt, outcome, detail FROM "
			  "alert_steps WHERE alert = ? ORDER BY seq");
	json_t *arr = json_array();
	sqlite3_bind_int64(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		time_format_ms(sqlite3_column_int64(s, 0), t);
		json_t *st =
		    json_pack("{ss ss}", "at", t, "kind", (const char *)sqlite3_column_text(s, 1));
		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			json_object_set_new(st, "contact",
					    json_integer(sqlite3_column_int64(s, 2)));
		static const char *const tk[] = {"channel", "attempt", "outcome", "detail"};
		for (int k = 0; k < 4; k++) {
			if (sqlite3_column_type(s, 3 + k) == SQLITE_NULL)
				continue;
			if (k == 1)
				json_object_set_new(st, tk[k],
						    json_integer(sqlite3_column_int64(s, 4)));
			else
				json_object_set_new(
				    st, tk[k],
				    json_string((const char *)sqlite3_column_text(s, 3 + k)));
		}
		json_array_append_new(arr, st);
	}
	sqlite3_reset(s);
	json_object_set_new(out, "steps", arr);
	return out;
}

/* ------------------------------------------------------------------ */
/* the live stream                                                     */

/* Resumes the parked streams of `member` (all of them for -1). Under slock:
 * a stream parks under the same lock, so no event slips between its last
 * look and its suspension. */
static void wake_parked(struct alert *w, int64_t member)
{
	struct alert_park **pp = &w->parked;
	while (*pp) {
		struct alert_park *p = *pp;
		if (member >= 0 && p->member != member) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		p->parked = false;
		MHD_resume_connection(p->conn);
	}
}

bool alert_stream_park(struct alert *w, struct alert_park *p, struct MHD_Connection *conn,
		       int64_t member, uint64_t cursor)
{
	bool parked = false;
	pthread_mutex_lock(&w->slock);
	bool pending = false;
	for (uint64_t c = cursor + SSE_RING < w->next_seq ? w->next_seq - SSE_RING : cursor;
	     c < w->next_seq && !pending; c++)
		pending = w->ring[c % SSE_RING].member == member;
	if (!pending && !w->sse_stopping) {
		p->conn = conn;
		p->member = member;
		p->parked = true;
		p->next = w->parked;
		w->parked = p;
		MHD_suspend_connection(conn);
		parked = true;
	}
	pthread_mutex_unlock(&w->slock);
	return parked;
}

void alert_streams_close(struct alert *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->slock);
	w->sse_stopping = true;
	wake_parked(w, -1);
	pthread_cond_broadcast(&w->scond);
	pthread_mutex_unlock(&w->slock);
}

/* Every keep-alive period, parked streams are resumed to send one. */
static void *ticker_main(void *arg)
{
	struct alert *w = arg;
	pthread_mutex_lock(&w->slock);
	while (!w->sse_stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += SSE_KEEPALIVE_S;
		while (!w->sse_stopping &&
		       pthread_cond_timedwait(&w->scond, &w->slock, &until) != ETIMEDOUT)
			;
		wake_parked(w, -1);
	}
	pthread_mutex_unlock(&w->slock);
	return NULL;
}

void alert_publish(struct alert *w, int64_t member, uint64_t alert_id, const char *json)
{
	size_t n = strlen(json) + 64;
	char *text = xmalloc(n);
	snprintf(text, n, "id: %" PRIu64 "\nevent: alert\ndata: %s\n\n", alert_id, json);
	pthread_mutex_lock(&w->slock);
	struct sse_event *e = &w->ring[w->next_seq % SSE_RING];
	free(e->text);
	e->seq = w->next_seq++;
	e->member = member;
	e->alert = alert_id;
	e->text = text;
	wake_parked(w, member);
	pthread_cond_broadcast(&w->scond);
	pthread_mutex_unlock(&w->slock);
}

uint64_t alert_stream_head(struct alert *w)
{
	pthread_mutex_lock(&w->slock);
	uint64_t h = w->next_seq;
	pthread_mutex_unlock(&w->slock);
	return h;
}

long alert_stream_next(struct alert *w, int64_t member, uint64_t *cursor, char *out, size_t max,
		       int wait_ms)
{
	long n = 0;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->slock);
	for (;;) {
		if (w->sse_stopping) {
			n = -1;
			break;
		}
		if (*cursor + SSE_RING < w->next_seq)
			*cursor = w->next_seq - SSE_RING; /* a slow reader loses the oldest */
		while (*cursor < w->next_seq) {
			struct sse_event *e = &w->ring[*cursor % SSE_RING];
			if (e->member == member) {
				size_t len = strlen(e->text);
				if (len <= max) {
					memcpy(out, e->text, len);
					n = (long)len;
				} else {
					/* over the stream's buffer: name it; GET /alerts/{id} has
					 * it */
					int k = snprintf(out, max,
							 "id: %" PRIu64
							 "\nevent: alert\ndata: {\"id\":%" PRIu64
							 ",\"truncated\":true}\n\n",
							 e->alert, e->alert);
					n = k > 0 && (size_t)k < max ? k : 0;
				}
				(*cursor)++;
				break;
			}
			(*cursor)++;
		}
		if (n || wait_ms <= 0)
			break;
		if (pthread_cond_timedwait(&w->scond, &w->slock, &until))
			break;
	}
	pthread_mutex_unlock(&w->slock);
	return n;
}

/* ------------------------------------------------------------------ */
/* indexing a committed report and raising its alerts                  */

struct member_hits {
	int64_t member;
	/* object: canonical value -> [kind, first_seen ms, score, expired] */
	json_t *values;
};

/* What an alert says about the age of one observable (docs/internals/alert.md,
 * "Old news"). */
struct obs_age {
	int64_t first_seen; /* ms: the earliest of the object's created,
			     * first_observed and the time it was seen */
	double score;	    /* decay score when the report arrived */
	bool expired;	    /* valid_until had passed when the report arrived */
};

struct commit_ctx {
	struct alert *w;
	struct extract *x;
	int64_t report;
	int64_t now;
	bool side_effects; /* a new report: alerts, sightings, not-indexed */
	struct member_hits *hits;
	size_t nhits;
	json_t *skipped;   /* [[object, what, reason]] */
	json_t *sightings; /* [[value, kind, count, seen]] */
	size_t added;
};

/* Whole days from `first` to `now`, never negative. */
static int64_t alert_age_days(int64_t now, int64_t first)
{
	return now > first ? (now - first) / 86400000 : 0;
}

/* The age of an observable of the object at hand. A revoked object says
 * nothing any more: false, and it raises no alert. */
static bool obs_age_of(struct commit_ctx *cc, const struct observable *o, int64_t seen,
		       struct obs_age *a)
{
	const struct jv *obj = cc->x->obj;
	if (obj && jv_is_true(jv_get(obj, "revoked")))
		return false;
	a->first_seen = seen;
	a->expired = false;
	if (obj) {
		int64_t t = json_time(obj, "created", INT64_MAX);
		if (t < a->first_seen)
			a->first_seen = t;
		t = json_time(obj, "first_observed", INT64_MAX);
		if (t < a->first_seen)
			a->first_seen = t;
		a->expired = json_time(obj, "valid_until", INT64_MAX) <= cc->x->received;
	}
	a->score = observable_score(cc->x->received, seen, 1, o->kind);
	return true;
}

static int on_commit_obs(void *ctx, const struct observable *o, int64_t object_seq, int64_t seen)
{
	struct commit_ctx *cc = ctx;
	if (index_add(cc->w->idx, o, (uint64_t)object_seq, (uint64_t)cc->report) == ERR_OK)
		cc->added++;
	if (!cc->side_effects)
		return 0;
	/* Old news still alerts: an observable that decay counts as expired, or
	 * past its valid_until, is news to a member that was never told; its
	 * alert shows its age and a lower priority instead (obs_age). */
	struct obs_age age;
	bool aged = false;
	for (size_t i = 0; i < cc->w->ncs; i++) {
		if (!cc->w->cs[i].set || !prefixset_contains(cc->w->cs[i].set, o))
			continue;
		if (!aged && !(aged = obs_age_of(cc, o, seen, &age)))
			return 0; /* revoked: withdrawn by its provider */
		size_t k;
		for (k = 0; k < cc->nhits && cc->hits[k].member != cc->w->cs[i].member; k++)
			;
		if (k == cc->nhits) {
			cc->hits = xrealloc(cc->hits, (cc->nhits + 1) * sizeof(*cc->hits));
			cc->hits[k].member = cc->w->cs[i].member;
			cc->hits[k].values = json_object();
			cc->nhits++;
		}
		char *v = xstrndup(o->value, o->len);
		json_t *had = json_object_get(cc->hits[k].values, v);
		struct obs_age a = age;
		if (had) {
			/* the same value twice in a report: its earliest first sight,
			 * its best score, expired only if every mention is */
			if (json_integer_value(json_array_get(had, 1)) < a.first_seen)
				a.first_seen = json_integer_value(json_array_get(had, 1));
			if (json_real_value(json_array_get(had, 2)) > a.score)
				a.score = json_real_value(json_array_get(had, 2));
			a.expired = a.expired && json_is_true(json_array_get(had, 3));
		}
		if (had || json_object_size(cc->hits[k].values) < ALERT_VALUES_MAX)
			json_object_set_new(cc->hits[k].values, v,
					    json_pack("[sIfb]", observable_kind_name(o->kind),
						      (json_int_t)a.first_seen, a.score,
						      a.expired));
		free(v);
	}
	return 0;
}

static void on_not_indexed(void *ctx, const char *object, const char *what, const char *reason)
{
	struct commit_ctx *cc = ctx;
	if (cc->side_effects && json_array_size(cc->skipped) < 100000)
		json_array_append_new(cc->skipped, json_pack("[sss]", object, what, reason));
}

static void on_sighting(void *ctx, const struct observable *o, int64_t count, int64_t seen)
{
	struct commit_ctx *cc = ctx;
	if (cc->side_effects)
		json_array_append_new(cc->sightings,
				      json_pack("[s#sII]", o->value, (int)o->len,
						observable_kind_name(o->kind), (json_int_t)count,
						(json_int_t)seen));
}

/* One transaction: not-indexed patterns, sightings, alerts with their first
 * deliveries and audit rows, and the progress mark. */
static int record_report(struct commit_ctx *cc, json_t *created)
{
	struct node *node = cc->w->node;
	struct store_conn *c;
	int64_t originator = 0, exercise = 0;
	int tlp = 0;
	char *aud = NULL;
	int rc, src;

	struct store_conn *rd = store_reader(node->st);
	sqlite3_stmt *s = store_stmt(rd, "SELECT originator, tlp, audience, exercise FROM reports "
					 "WHERE seq = ?");
	sqlite3_bind_int64(s, 1, cc->report);
	if (sqlite3_step(s) == SQLITE_ROW) {
		originator = sqlite3_column_int64(s, 0);
		tlp = sqlite3_column_int(s, 1);
		aud = xstrdup((const char *)sqlite3_column_text(s, 2));
		exercise = sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	if (!aud)
		return ERR_NOT_FOUND;

	rc = store_write_begin(node->st, &c);
	if (rc) {
		free(aud);
		return rc;
	}
	size_t i;
	json_t *row;
	s = store_stmt(c, "INSERT INTO not_indexed(report, object, what, reason) VALUES (?,?,?,?)");
	json_array_foreach(cc->skipped, i, row)
	{
		sqlite3_bind_int64(s, 1, cc->report);
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
	json_array_foreach(cc->sightings, i, row)
	{
		sqlite3_bind_text(s, 1, json_string_value(json_array_get(row, 0)), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(s, 2, json_string_value(json_array_get(row, 1)), -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, json_integer_value(json_array_get(row, 2)));
		sqlite3_bind_int64(s, 4, json_integer_value(json_array_get(row, 3)));
		sqlite3_bind_int64(s, 5, originator);
		sqlite3_bind_int64(s, 6, cc->report);
		sqlite3_bind_int64(s, 7, cc->now);
		src = sqlite3_step(s);
		sqlite3_reset(s);
		if (src != SQLITE_DONE && !rc)
			rc = store_error(c, src, "sighting_insert");
	}
	struct policy_subject subj = {.owner = originator, .audience = aud, .tlp = (enum tlp)tlp};
	for (size_t k = 0; k < cc->nhits && !rc; k++) {
		int64_t member = cc->hits[k].member;
		struct principal who = {.member_id = member, .role = ROLE_READER};
		if (member == originator || !directory_member_exists(node->dir, member) ||
		    !policy_may_see(node->dir, &who, &subj, POLICY_ALERT))
			continue;
		json_t *vals = json_array();
		const char *v;
		json_t *hit;
		bool current = false;
		int64_t newest = INT64_MIN;
		json_object_foreach(cc->hits[k].values, v, hit)
		{
			int64_t first = json_integer_value(json_array_get(hit, 1));
			double score = json_real_value(json_array_get(hit, 2));
			bool expired = json_is_true(json_array_get(hit, 3));
			char t[32];
			time_format_ms(first, t);
			json_array_append_new(vals,
					      json_pack("{ss sO ss sI sf sb}", "value", v, "kind",
							json_array_get(hit, 0), "first_seen", t,
							"indicator_age_days",
							(json_int_t)alert_age_days(cc->now, first),
							"score", score, "expired", expired));
			current |= !expired && !observable_expired(score);
			if (first > newest)
				newest = first;
		}
		char *vt = json_dumps(vals, JSON_COMPACT);
		json_decref(vals);
		/* old news goes to the first contact and the stream, and does not
		 * escalate: nobody is woken for months-old information */
		int64_t deadline = current ? delivery_deadline_ms(c, node, member) : 0;
		s = store_stmt(c,
			       "INSERT OR IGNORE INTO alerts(member, report, created, observables, "
			       "escalate_at, exercise) VALUES (?,?,?,?,?,?)");
		sqlite3_bind_int64(s, 1, member);
		sqlite3_bind_int64(s, 2, cc->report);
		sqlite3_bind_int64(s, 3, cc->now);
		sqlite3_bind_text(s, 4, vt, -1, SQLITE_TRANSIENT);
		if (current)
			sqlite3_bind_int64(s, 5, cc->now + deadline);
		else
			sqlite3_bind_null(s, 5);
		sqlite3_bind_int64(s, 6, exercise);
		src = sqlite3_step(s);
		sqlite3_reset(s);
		free(vt);
		if (src != SQLITE_DONE) {
			rc = store_error(c, src, "alert_insert");
			break;
		}
		if (!sqlite3_changes(store_db(c)))
			continue; /* already raised (a replay after a restart) */
		int64_t alert = sqlite3_last_insert_rowid(store_db(c));
		char detail[200];
		if (current)
			snprintf(detail, sizeof(detail), "%zu observables in the constituency",
				 json_object_size(cc->hits[k].values));
		else
			snprintf(detail, sizeof(detail),
				 "%zu observables in the constituency, all old news (the newest "
				 "first seen %" PRId64 " days ago): low priority, no escalation",
				 json_object_size(cc->hits[k].values),
				 alert_age_days(cc->now, newest));
		rc = delivery_step(c, alert, cc->now, "created", 0, NULL, 0, NULL, detail);
		bool had = false;
		if (!rc)
			rc = delivery_schedule_level(c, node, alert, member, 0, cc->now, &had);
		s = store_stmt(c, "INSERT INTO audit(report, object, member, path, at) VALUES "
				  "(?, NULL, ?, ?, ?)");
		sqlite3_bind_int64(s, 1, cc->report);
		sqlite3_bind_int64(s, 2, member);
		sqlite3_bind_text(s, 3, policy_path_name(POLICY_ALERT), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, cc->now);
		src = sqlite3_step(s);
		sqlite3_reset(s);
		if (src != SQLITE_DONE && !rc)
			rc = store_error(c, src, "alert_audit");
		json_array_append_new(created,
				      json_pack("[II]", (json_int_t)alert, (json_int_t)member));
	}
	if (!rc) {
		char seq[32];
		snprintf(seq, sizeof(seq), "%" PRId64, cc->report);
		rc = store_node_set(c, "warning_last_report", seq);
	}
	free(aud);
	return store_write_end(node->st, rc);
}

/* TLP:CLEAR indicators meant for blocking feed the DNSBL (code 9). */
static void feed_dnsbl(struct alert *w, struct extract *x)
{
	size_t listed, removed;
	int rc = spam_incident_feed(w->node->spam, x->subject.owner, x->report_id, x->block,
				    x->nblock, &listed, &removed);
	if (rc)
		log_err("event=dnsbl_incident report=%s error=\"%s\"", x->report_id, err_str(rc));
}

static void process_report(struct alert *w, int64_t report, bool side_effects)
{
	struct commit_ctx cc;
	struct extract x;
	memset(&cc, 0, sizeof(cc));
	memset(&x, 0, sizeof(x));
	cc.w = w;
	cc.x = &x;
	cc.report = report;
	cc.now = time_now_ms();
	cc.side_effects = side_effects;
	cc.skipped = json_array();
	cc.sightings = json_array();
	x.w = w;
	x.report = report;
	x.fn = on_commit_obs;
	x.ctx = &cc;
	x.not_indexed = on_not_indexed;
	x.sighting = on_sighting;
	x.want_blockable = side_effects && w->node->spam;
	pthread_mutex_lock(&w->clock);
	int rc = extract_run(&x);
	pthread_mutex_unlock(&w->clock);
	if (rc && rc != ERR_NOT_FOUND)
		log_warn("event=alert_index report=%" PRId64 " error=\"%s\"", report, err_str(rc));
	if (side_effects) {
		json_t *created = json_array();
		index_publish(w->idx); /* lookups see it before the alert leaves */
		rc = record_report(&cc, created);
		if (rc)
			log_err("event=warning_alerts report=%" PRId64 " error=\"%s\"", report,
				err_str(rc));
		size_t si;
		json_t *srow;
		json_array_foreach(cc.sightings, si, srow)
		    alert_note_sighting(w, json_string_value(json_array_get(srow, 0)),
					json_string_length(json_array_get(srow, 0)));
		size_t i;
		json_t *a;
		struct store_conn *rd = store_reader(w->node->st);
		json_array_foreach(created, i, a)
		{
			int64_t id = json_integer_value(json_array_get(a, 0));
			json_t *aj = rd ? alert_alert_json(rd, id, false) : NULL;
			if (aj) {
				char *text = json_dumps(aj, JSON_COMPACT);
				alert_publish(w, json_integer_value(json_array_get(a, 1)),
					      (uint64_t)id, text);
				free(text);
				json_decref(aj);
			}
			log_info("event=alert_created alert=%" PRId64
				 " member=%" JSON_INTEGER_FORMAT " report=%" PRId64,
				 id, json_integer_value(json_array_get(a, 1)), report);
		}
		if (json_array_size(created))
			delivery_kick(w->dlv);
		if (x.nblock)
			feed_dnsbl(w, &x);
		json_decref(created);
		log_debug("event=report_indexed report=%" PRId64 " observables=%zu", report,
			  cc.added);
	}
	for (size_t i = 0; i < x.nblock; i++)
		free((char *)x.block[i].value);
	free(x.block);
	free((char *)x.subject.audience); /* extract_run's copy, on every path */
	for (size_t i = 0; i < cc.nhits; i++)
		json_decref(cc.hits[i].values);
	free(cc.hits);
	json_decref(cc.skipped);
	json_decref(cc.sightings);
}

static void *indexer_main(void *arg)
{
	struct alert *w = arg;
	pthread_mutex_lock(&w->qlock);
	for (;;) {
		while (!w->qlen && !w->stopping)
			pthread_cond_wait(&w->qcond, &w->qlock);
		if (w->stopping)
			break;
		int64_t report = w->queue[w->qhead];
		w->qhead = (w->qhead + 1) % w->qcap;
		w->qlen--;
		pthread_mutex_unlock(&w->qlock);
		process_report(w, report, true);
		pthread_mutex_lock(&w->qlock);
	}
	pthread_mutex_unlock(&w->qlock);
	return NULL;
}

void alert_report_committed(struct node *node, int64_t report_seq)
{
	struct alert *w = node->alert;
	if (!w)
		return;
	pthread_mutex_lock(&w->qlock);
	if (w->qlen == w->qcap) {
		size_t ncap = w->qcap ? 2 * w->qcap : 64;
		int64_t *q = xmalloc(ncap * sizeof(*q));
		for (size_t i = 0; i < w->qlen; i++)
			q[i] = w->queue[(w->qhead + i) % w->qcap];
		free(w->queue);
		w->queue = q;
		w->qcap = ncap;
		w->qhead = 0;
	}
	w->queue[(w->qhead + w->qlen) % w->qcap] = report_seq;
	w->qlen++;
	pthread_cond_signal(&w->qcond);
	pthread_mutex_unlock(&w->qlock);
}

void alert_kick(struct alert *w)
{
	delivery_kick(w->dlv);
}

/* ------------------------------------------------------------------ */
/* start and stop                                                      */

int alert_new(struct node *node, struct alert **out, struct err_detail *err)
{
	struct alert *w = xcalloc(1, sizeof(*w));
	w->node = node;
	w->idx = index_new();
	pthread_mutex_init(&w->qlock, NULL);
	pthread_cond_init(&w->qcond, NULL);
	pthread_mutex_init(&w->clock, NULL);
	pthread_mutex_init(&w->slock, NULL);
	pthread_cond_init(&w->scond, NULL);
	node->alert = w;
	load_constituencies(w);
	struct store_conn *sc = store_reader(node->st);
	if (sc) {
		sqlite3_stmt *q = store_stmt(sc, "SELECT DISTINCT value FROM sightings");
		while (sqlite3_step(q) == SQLITE_ROW)
			alert_note_sighting(w, (const char *)sqlite3_column_text(q, 0),
					    (size_t)sqlite3_column_bytes(q, 0));
		sqlite3_reset(q);
	}

	/* the index, from every stored report; reports committed after the last
	 * one processed (the node stopped in between) raise their alerts now */
	int64_t t0 = time_mono_ns(), done = 0, nreports = 0;
	char *mark = NULL;
	if (store_node_get(node->st, "warning_last_report", &mark) == ERR_OK)
		done = strtoll(mark, NULL, 10);
	free(mark);
	struct store_conn *c = store_reader(node->st);
	if (!c) {
		alert_free(w);
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
			process_report(w, seqs[i], false);
			nreports++;
		}
	}
	index_publish(w->idx);
	w->build_seconds = (double)(time_mono_ns() - t0) / 1e9;
	struct index_stats st;
	index_stats(w->idx, &st);
	size_t keys = 0, postings = 0;
	for (int k = 0; k < OBS_KIND_COUNT; k++) {
		keys += st.kind[k].keys;
		postings += st.kind[k].postings;
	}
	log_info("event=index_built reports=%" PRId64 " observables=%zu postings=%zu bytes=%zu "
		 "seconds=%.3f",
		 nreports, keys, postings, st.bytes, w->build_seconds);

	w->dlv = delivery_start(node, w);
	if (!pthread_create(&w->ticker, NULL, ticker_main, w))
		w->ticker_started = true;
	if (pthread_create(&w->indexer, NULL, indexer_main, w)) {
		free(seqs);
		alert_free(w);
		return err_set(err, ERR_INTERNAL, "", "cannot start the indexer thread");
	}
	w->indexer_started = true;
	for (size_t i = 0; i < n; i++)
		if (seqs[i] > done)
			alert_report_committed(node, seqs[i]);
	free(seqs);
	node->report_committed = alert_report_committed;
	*out = w;
	return ERR_OK;
}

void alert_free(struct alert *w)
{
	if (!w)
		return;
	if (w->node->report_committed == alert_report_committed)
		w->node->report_committed = NULL;
	pthread_mutex_lock(&w->qlock);
	w->stopping = true;
	pthread_cond_broadcast(&w->qcond);
	pthread_mutex_unlock(&w->qlock);
	alert_streams_close(w);
	if (w->ticker_started)
		pthread_join(w->ticker, NULL);
	if (w->indexer_started)
		pthread_join(w->indexer, NULL);
	delivery_stop(w->dlv);
	index_free(w->idx);
	for (size_t i = 0; i < w->ncs; i++)
		prefixset_free(w->cs[i].set);
	free(w->cs);
	for (size_t i = 0; i < SSE_RING; i++)
		free(w->ring[i].text);
	free(w->queue);
	if (w->node->alert == w)
		w->node->alert = NULL;
	free(w);
}
