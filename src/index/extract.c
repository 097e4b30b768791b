/* Extraction of the observables of a committed report, in one pass over its
 * objects as stored (the report's file mapped, its objects rows read a window
 * at a time). See extract.h. */
#include "index/extract.h"
#include "report/body.h"

#include "formats/stix_pattern.h"
#include "node.h"
#include "store/subject.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <sys/mman.h>
#include <unistd.h>

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
	struct node *node;
	struct jdoc doc; /* each object is parsed into it in turn */
	int64_t report;
	int64_t received;
	const struct index_extract_ops *ops;
	void *ctx;
	const struct jv *obj; /* the object at hand, while ops run for its observables */
	const char *type;     /* its type */
	enum tlp tlp;	      /* its marking */
	/* refs, when the report has sightings or observed-data */
	bool want_refs;
	struct idref *refs;
	size_t nrefs, caprefs;
	struct deferred *deferred;
	size_t ndeferred, capdeferred;
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

static int emit(struct extract *x, const char *id, const struct observable *o, int64_t object_seq,
		int64_t seen)
{
	remember(x, id, o);
	if (x->ops->observable && !x->rc) {
		struct index_found f = {.o = o,
					.object_seq = object_seq,
					.seen = seen,
					.type = x->type,
					.obj = x->obj,
					.tlp = x->tlp};
		x->rc = x->ops->observable(x->ctx, &f);
	}
	return x->rc;
}

static void not_indexed(struct extract *x, const char *id, const char *what, const char *reason)
{
	if (x->ops->not_indexed)
		x->ops->not_indexed(x->ctx, id ? id : "", what, reason);
}

int64_t index_json_time(const struct jv *obj, const char *key, int64_t dflt)
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
	int64_t until = index_json_time(obj, "valid_until", INT64_MAX);
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
				if (x->ops->sighting)
					x->ops->sighting(x->ctx, &o, d->count, d->seen);
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
	d->seen = index_json_time(obj, sighting ? "last_seen" : "last_observed",
				  index_json_time(obj, "modified", x->received));
	if (d->seen > x->received)
		d->seen = x->received;
	if (sighting) {
		add_refs(d, jv_get(obj, "sighting_of_ref"));
		add_refs(d, jv_get(obj, "observed_data_refs"));
	} else {
		add_refs(d, jv_get(obj, "object_refs"));
	}
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
	x->type = type;
	x->tlp = tlp;
	if (!strcmp(type, "indicator")) {
		indicator_values(x, id, obj, object_seq, seen);
	} else if (!strcmp(type, "observed-data") || !strcmp(type, "sighting")) {
		if (!strcmp(type, "observed-data")) {
			/* the deprecated embedded form: {"0": {"type": "ipv4-addr", ...}} */
			const struct jv *objects = jv_get(obj, "objects");
			for (size_t m = 0; m < jv_size(objects); m++) {
				const struct jv *emb = &jv_member(objects, m)->value;
				const char *t = jv_str(jv_get(emb, "type"));
				if (t)
					sco_values(x, id, t, emb, object_seq,
						   index_json_time(obj, "last_observed", seen));
			}
		}
		if (x->ops->sighting)
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
	struct node *node = x->node;
	struct store_conn *c = store_reader(node->st);
	if (!c)
		return ERR_STORE;
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT id, received, counts, first_object, last_object, "
			  "exercise, " STORE_SUBJECT_COLS " FROM reports r WHERE r.seq = ?");
	sqlite3_bind_int64(s, 1, x->report);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return ERR_NOT_FOUND;
	}
	struct report_body b;
	int rc = report_body_open(node, c, x->report, (const char *)sqlite3_column_text(s, 0), &b);
	x->received = sqlite3_column_int64(s, 1);
	if (x->ops->start) {
		/* the report's scope, read once for every subscriber */
		struct index_report rep = {.seq = x->report,
					   .id = (const char *)sqlite3_column_text(s, 0),
					   .received = x->received,
					   .exercise = sqlite3_column_int64(s, 5)};
		store_subject_from_row(s, 6, &rep.subject);
		x->ops->start(x->ctx, &rep);
	}
	const char *counts = (const char *)sqlite3_column_text(s, 2);
	/* objects has no index on report: walk the report's span of seq */
	int64_t first = sqlite3_column_int64(s, 3), last = sqlite3_column_int64(s, 4);
	x->want_refs = x->ops->sighting && counts &&
		       (strstr(counts, "\"sighting\"") || strstr(counts, "\"observed-data\""));
	sqlite3_reset(s);

	if (rc)
		return rc;
	/* a file is mapped: a large report is read without holding it in memory */
	const char *map = (const char *)b.mem, *mapped = NULL;
	size_t size = (size_t)b.size;
	if (!map && size) {
		mapped = mmap(NULL, size, PROT_READ, MAP_PRIVATE, b.fd, 0);
		if (mapped == MAP_FAILED) {
			report_body_close(&b);
			return ERR_IO;
		}
		madvise((void *)mapped, size, MADV_SEQUENTIAL);
		map = mapped;
	}

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
			if (off < 0 || len <= 0 || (uint64_t)(off + len) > size)
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
		if (mapped && upto > released) {
			madvise((void *)(map + released), upto - released, MADV_DONTNEED);
			released = upto;
		}
	}
	jdoc_release(&x->doc);
	if (mapped)
		munmap((void *)mapped, size);
	report_body_close(&b);
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

int index_extract(struct node *node, int64_t report_seq, const struct index_extract_ops *ops,
		  void *ctx)
{
	struct extract x;
	memset(&x, 0, sizeof(x));
	x.node = node;
	x.report = report_seq;
	x.ops = ops;
	x.ctx = ctx;
	return extract_run(&x);
}
