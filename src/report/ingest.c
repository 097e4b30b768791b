#include "report/ingest.h"
#include "report/body.h"
#include "report/creator.h"

#include "formats/bundle_stream.h"
#include "formats/iodef.h"
#include "formats/stix.h"
#include "index/indexer.h"
#include "policy/policy.h"
#include "store/subject.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <gnutls/crypto.h>
#include <sodium.h>
#include <sys/stat.h>

/* IODEF documents are parsed whole by libxml2: they get a smaller cap. */
/* A staged file smaller than this is not handed to the disk when staged:
 * the batch's syncfs writes it with the others. */
#define STAGED_SMALL (1u << 20)
#define IODEF_MAX ((size_t)IODEF_MAX_BYTES)

/* One validated object, as written to the records spool between the two
 * phases (validate while receiving, insert at commit). */
struct record {
	uint64_t seen_key[2]; /* stix_seen_key, computed on the validator thread */
	int64_t created, modified;
	uint64_t off;
	uint64_t index;
	uint32_t len;
	uint16_t id_len, type_len;
	uint8_t tlp, revoked;
};

/* Objects are parsed and validated on VALIDATORS threads, in batches; the
 * receiving thread collects the batches in order (duplicate check, records),
 * so errors and their messages are those of a sequential pass. At most
 * INFLIGHT batches exist: memory stays flat. */
#define VALIDATORS 2
#define INFLIGHT 6
#define BATCH_OBJECTS 256
#define BATCH_BYTES ((size_t)256 << 10)
/* The records stay in memory up to this size, then go to a temporary file
 * (a file per report cost more than the rest of a small report's intake:
 * ext4 searches its inode bitmap past every recently deleted temporary). */
#define RECORDS_MEM_MAX ((size_t)4 << 20)

enum batch_state { BATCH_FILLING, BATCH_QUEUED, BATCH_RUNNING, BATCH_DONE };

struct batch {
	enum batch_state state;
	uint64_t seq;
	size_t n;
	size_t first_index;
	struct buf bytes; /* the objects, back to back */
	size_t start[BATCH_OBJECTS], len[BATCH_OBJECTS];
	uint64_t body_off[BATCH_OBJECTS];
	struct buf out; /* validated records: struct record + id + type each */
	int rc;
	struct err_detail err;
};

struct pool {
	pthread_t threads[VALIDATORS];
	int nthreads;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct batch batch[INFLIGHT];
	size_t fill;   /* the batch being filled */
	size_t oldest; /* the next batch to collect */
	uint64_t next_seq;
	bool stop;
	bool up; /* threads running, buffers held */
};

struct ingest {
	struct node *node;
	struct pool pool;
	bool cb_failed;	    /* the error came from collecting, not from the scanner */
	int64_t started_ns; /* first byte, for the phase timings in the log */
	enum report_format format;
	char content_type[128];
	char spool_path[512]; /* the body as received */
	char stix_path[600];  /* IODEF: the STIX bundle made from it */
	int fd;		      /* the spool, or -1 while the body is kept in memory */
	struct buf body;      /* a STIX body of up to REPORT_INLINE_MAX: kept in the store */
	struct buf recmem;    /* the records, while small */
	FILE *records;	      /* the records once they outgrow recmem */
	struct bundle_stream *bs;
	struct stix_seen *seen;
	struct buf xml;	      /* IODEF body */
	gnutls_hash_hd_t sha; /* SHA-256 of the body (gnutls: SHA-NI where the CPU has it) */
	uint64_t size;
	uint64_t written_back; /* spool bytes already handed to the disk */
	uint64_t objects;
	enum tlp tlp; /* strictest TLP seen; TLP_NONE while unmarked */
	json_t *counts;
	char *counts_json;
	char *warnings_json; /* IODEF: the observables skipped (JSON array), or NULL */
	char bundle_id[128];
	int failed;
	struct err_detail first_err;
	/* at commit: who submits, and the kept bundle the objects' offsets point into */
	int64_t originator;
	char *audience;
	char *main_file, *orig_file; /* in reports/; removed by ingest_free unless committed */
	char hex[65];		     /* SHA-256 of the body */
	int64_t t_drain;
	int64_t seq; /* its row, once inserted */
	bool committed;
	struct ingest_result res;
	const struct ingest_origin *origin; /* received from a peer node, or NULL */
};

/* Worker side: parse and validate every object of a batch, in order, and
 * write their records; stop at the first error. */
static void validate_batch(struct batch *b, struct jdoc *doc)
{
	struct stix_object_info info;

	for (size_t i = 0; i < b->n; i++) {
		b->rc =
		    stix_check_bundle_element(doc, NULL, b->bytes.data + b->start[i], b->len[i],
					      b->first_index + i, b->body_off[i], &info, &b->err);
		if (b->rc)
			return;
		struct record r = {
		    .seen_key = {info.seen_key[0], info.seen_key[1]},
		    .created = info.created_ms,
		    .modified = info.modified_ms,
		    .off = b->body_off[i],
		    .index = b->first_index + i,
		    .len = (uint32_t)b->len[i],
		    .id_len = (uint16_t)strlen(info.id),
		    .type_len = (uint16_t)strlen(info.type),
		    .tlp = (uint8_t)info.tlp,
		    .revoked = info.revoked,
		};
		buf_add(&b->out, &r, sizeof(r));
		buf_add(&b->out, info.id, r.id_len);
		buf_add(&b->out, info.type, r.type_len);
	}
}

static void *validator(void *arg)
{
	struct pool *p = arg;
	struct jdoc doc; /* reused for every object this thread parses */

	jdoc_init(&doc, BUNDLE_STREAM_MAX_DEPTH);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct batch *pick = NULL;
		for (size_t i = 0; i < INFLIGHT; i++)
			if (p->batch[i].state == BATCH_QUEUED &&
			    (!pick || p->batch[i].seq < pick->seq))
				pick = &p->batch[i];
		if (!pick) {
			if (p->stop)
				break;
			pthread_cond_wait(&p->work, &p->lock);
			continue;
		}
		pick->state = BATCH_RUNNING;
		pthread_mutex_unlock(&p->lock);
		validate_batch(pick, &doc);
		pthread_mutex_lock(&p->lock);
		pick->state = BATCH_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	jdoc_release(&doc);
	return NULL;
}

static void pool_init(struct pool *p, size_t object_max)
{
	memset(p, 0, sizeof(*p));
	p->up = true;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (size_t i = 0; i < INFLIGHT; i++) {
		buf_init(&p->batch[i].bytes, BATCH_BYTES + object_max);
		buf_init(&p->batch[i].out, (size_t)1 << 30);
	}
}

/* The validator threads start with a report's second batch: a report of one
 * batch (most of them) is validated on the receiving thread (drain). */
static void pool_start(struct pool *p)
{
	for (int i = 0; i < VALIDATORS; i++)
		if (!pthread_create(&p->threads[i], NULL, validator, p))
			p->nthreads++;
}

static void pool_release(struct pool *p)
{
	if (!p->up)
		return;
	p->up = false;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (size_t i = 0; i < INFLIGHT; i++) {
		buf_release(&p->batch[i].bytes);
		buf_release(&p->batch[i].out);
	}
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
}

void report_new_uuid(char out[37])
{
	unsigned char b[16];
	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return ERR_OK;
}

/* The spool file, with the bytes kept in memory so far. */
static int spool_open(struct ingest *in)
{
	in->fd = open(in->spool_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (in->fd < 0 || write_all(in->fd, in->body.data, in->body.len))
		return ERR_IO; /* the caller logs it */
	buf_release(&in->body);
	return ERR_OK;
}

static bool type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);
	return !strncasecmp(ct, want, n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

int ingest_new(struct node *node, const char *content_type, struct ingest **out,
	       struct err_detail *err)
{
	enum report_format f;
	char uuid[37];
	const char *ct = content_type ? content_type : "";

	if (type_is(ct, "application/stix+json") || type_is(ct, "application/json"))
		f = REPORT_STIX;
	else if (type_is(ct, "application/xml") || type_is(ct, "text/xml") ||
		 type_is(ct, "application/iodef+xml"))
		f = REPORT_IODEF;
	else
		return err_set(err, ERR_UNSUPPORTED, "Content-Type",
			       "Content-Type '%.60s' is not a report format: send "
			       "application/stix+json;version=2.1 (STIX 2.1 bundle) or "
			       "application/xml (IODEF v2)",
			       ct);
	struct ingest *in = xcalloc(1, sizeof(*in));
	in->node = node;
	in->format = f;
	in->started_ns = time_mono_ns();
	in->fd = -1;
	in->tlp = TLP_NONE;
	snprintf(in->content_type, sizeof(in->content_type), "%s", ct);
	report_new_uuid(uuid);
	snprintf(in->spool_path, sizeof(in->spool_path), "%s/%s.body", node->spool_dir, uuid);
	buf_init(&in->body, REPORT_INLINE_MAX);
	if (f == REPORT_IODEF && spool_open(in)) {
		log_err_errno("event=spool path=%s", in->spool_path);
		ingest_free(in);
		return err_set(err, ERR_IO, "", "the node cannot spool the submission");
	}
	in->bs = bundle_stream_new((size_t)node->cfg->object_max);
	pool_init(&in->pool, (size_t)node->cfg->object_max);
	in->seen = stix_seen_new();
	in->counts = json_object();
	buf_init(&in->recmem, RECORDS_MEM_MAX);
	buf_init(&in->xml, IODEF_MAX < (size_t)node->cfg->report_body_max
			       ? IODEF_MAX
			       : (size_t)node->cfg->report_body_max);
	if (gnutls_hash_init(&in->sha, GNUTLS_DIG_SHA256))
		abort(); /* out of memory */
	*out = in;
	return ERR_OK;
}

void ingest_free(struct ingest *in)
{
	if (!in)
		return;
	if (in->fd >= 0) {
		close(in->fd);
		if (in->spool_path[0])
			unlink(in->spool_path); /* gone once committed (renamed) or rejected */
	}
	buf_release(&in->body);
	if (in->stix_path[0])
		unlink(in->stix_path);
	pool_release(&in->pool);
	if (!in->committed && in->main_file)
		unlink(in->main_file);
	if (!in->committed && in->orig_file)
		unlink(in->orig_file);
	free(in->main_file);
	free(in->orig_file);
	free(in->audience);
	if (in->records)
		fclose(in->records);
	buf_release(&in->recmem);
	bundle_stream_free(in->bs);
	stix_seen_free(in->seen);
	buf_release(&in->xml);
	json_decref(in->counts);
	free(in->counts_json);
	free(in->warnings_json);
	if (in->sha)
		gnutls_hash_deinit(in->sha, NULL);
	free(in);
}

static void submit_batch(struct pool *p)
{
	struct batch *b = &p->batch[p->fill];
	if (b->state != BATCH_FILLING || b->n == 0)
		return;
	if (!p->nthreads)
		pool_start(p);
	pthread_mutex_lock(&p->lock);
	b->seq = p->next_seq++;
	b->state = BATCH_QUEUED;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	p->fill = (p->fill + 1) % INFLIGHT;
}

/* counts[type] += 1, without allocating once the type is known. */
static void count_type(struct ingest *in, const char *type, size_t len)
{
	char name[260];
	snprintf(name, sizeof(name), "%.*s", (int)len, type);
	json_t *c = json_object_get(in->counts, name);
	if (c)
		json_integer_set(c, json_integer_value(c) + 1);
	else
		json_object_set_new(in->counts, name, json_integer(1));
}

/* Appends validated records, in memory while they are small. */
static int keep_records(struct ingest *in, const char *p, size_t n)
{
	if (!in->records && !buf_add(&in->recmem, p, n))
		return ERR_OK;
	if (!in->records) {
		in->records = tmpfile();
		if (!in->records || (in->recmem.len &&
				     fwrite(in->recmem.data, in->recmem.len, 1, in->records) != 1))
			return ERR_IO;
		buf_release(&in->recmem);
	}
	return fwrite(p, n, 1, in->records) == 1 ? ERR_OK : ERR_IO;
}

/* Receiving side: takes the oldest batch once validated, in order: the
 * duplicate check, the records spool, counts and TLP. */
static int collect_oldest(struct ingest *in)
{
	struct pool *p = &in->pool;
	struct batch *b = &p->batch[p->oldest];
	int rc = ERR_OK;

	if (b->state == BATCH_FILLING)
		return ERR_OK; /* nothing in flight there */
	pthread_mutex_lock(&p->lock);
	while (b->state != BATCH_DONE)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
	if (b->rc) {
		rc = b->rc;
		in->first_err = b->err;
	}
	/* the set is far larger than the caches: start every probe of the batch first */
	for (size_t at = 0; !rc && at < b->out.len;) {
		struct record r;
		memcpy(&r, b->out.data + at, sizeof(r));
		stix_seen_prefetch(in->seen, r.seen_key);
		at += sizeof(r) + r.id_len + r.type_len;
	}
	for (size_t at = 0; !rc && at < b->out.len;) {
		struct record r;
		memcpy(&r, b->out.data + at, sizeof(r));
		const char *id = b->out.data + at + sizeof(r), *type = id + r.id_len;
		at += sizeof(r) + r.id_len + r.type_len;
		rc = stix_check_duplicate(in->seen, r.seen_key, id, r.id_len, r.index,
					  &in->first_err);
		if (rc)
			break;
		if (r.tlp != TLP_NONE && (in->tlp == TLP_NONE || r.tlp > in->tlp))
			in->tlp = (enum tlp)r.tlp;
		count_type(in, type, r.type_len);
		in->objects++;
	}
	/* the records are kept as the validator wrote them */
	if (!rc && b->out.len && keep_records(in, b->out.data, b->out.len))
		rc = err_set(&in->first_err, ERR_IO, "", "the node cannot spool the submission");
	b->state = BATCH_FILLING;
	b->n = 0;
	b->rc = ERR_OK;
	buf_reset(&b->bytes);
	buf_reset(&b->out);
	p->oldest = (p->oldest + 1) % INFLIGHT;
	return rc;
}

/* Submits what is being filled and collects everything in flight, in order;
 * returns the first error among them. */
static int drain(struct ingest *in)
{
	struct pool *p = &in->pool;
	struct batch *b = &p->batch[p->fill];
	int rc = ERR_OK;
	if (!p->nthreads && b->state == BATCH_FILLING && b->n) {
		/* the report's only batch: validated here, no thread started */
		struct jdoc doc;
		jdoc_init(&doc, BUNDLE_STREAM_MAX_DEPTH);
		validate_batch(b, &doc);
		jdoc_release(&doc);
		b->state = BATCH_DONE;
		p->fill = (p->fill + 1) % INFLIGHT;
	} else {
		submit_batch(p);
	}
	for (size_t i = 0; i < INFLIGHT; i++) {
		int r = collect_oldest(in);
		if (r && !rc)
			rc = r;
	}
	return rc;
}

/* Scanner callback: queue the object's bytes for validation. */
static int on_object(void *ctx, const char *obj, size_t len, size_t index)
{
	struct ingest *in = ctx;
	struct pool *p = &in->pool;
	int rc;

	if (index >= (size_t)in->node->cfg->objects_per_report_max)
		return err_set(&in->first_err, ERR_TOO_LARGE, "objects",
			       "objects: more than %" PRId64 " objects in one report",
			       in->node->cfg->objects_per_report_max);
	struct batch *b = &p->batch[p->fill];
	if (b->n == BATCH_OBJECTS || (b->n && b->bytes.len + len > BATCH_BYTES)) {
		submit_batch(p);
		b = &p->batch[p->fill];
		if (b->state != BATCH_FILLING || b->n) {
			/* the ring is full: wait for the oldest */
			rc = collect_oldest(in);
			if (rc) {
				in->cb_failed = true;
				return rc;
			}
		}
	}
	if (b->n == 0)
		b->first_index = index;
	b->start[b->n] = b->bytes.len;
	b->len[b->n] = len;
	b->body_off[b->n] = bundle_stream_object_offset(in->bs);
	if (buf_add(&b->bytes, obj, len))
		return err_set(&in->first_err, ERR_TOO_LARGE, "", "objects[%zu]: too large", index);
	b->n++;
	return ERR_OK;
}

/* Feeds the scanner; when it stops on an error of its own, objects before
 * that point may still be in flight: their errors come first. */
static int feed_stream(struct ingest *in, const char *data, size_t n)
{
	struct err_detail scan_err;
	err_clear(&scan_err);
	int rc = bundle_stream_feed(in->bs, data, n, on_object, in, &scan_err);
	if (!rc)
		return ERR_OK;
	if (in->cb_failed || in->first_err.code) {
		drain(in);
		return rc;
	}
	int earlier = drain(in);
	if (earlier)
		return earlier;
	in->first_err = scan_err;
	return rc;
}

/* Starts writing the spool to disk as it grows, so that the fsync before the commit
 * waits for the last few MiB instead of the whole body. */
static void start_writeback(struct ingest *in)
{
	const uint64_t step = 32 << 20;

	if (in->size - in->written_back < step)
		return;
	sync_file_range(in->fd, (off_t)in->written_back, (off_t)(in->size - in->written_back),
			SYNC_FILE_RANGE_WRITE);
	in->written_back = in->size;
}

int ingest_feed(struct ingest *in, const char *data, size_t n, struct err_detail *err)
{
	int rc;
	if (in->failed)
		goto failed;
	in->size += n;
	gnutls_hash(in->sha, data, n);
	if (in->fd < 0 && !buf_add(&in->body, data, n)) {
		/* kept in memory, then in the store */
	} else if ((in->fd < 0 && spool_open(in)) || write_all(in->fd, data, n)) {
		log_err_errno("event=spool path=%s", in->spool_path);
		rc = err_set(&in->first_err, ERR_IO, "", "the node cannot spool the submission");
		goto fail;
	} else {
		start_writeback(in);
	}
	if (in->format == REPORT_IODEF) {
		rc = buf_add(&in->xml, data, n);
		if (rc)
			err_set(&in->first_err, rc, "", "an IODEF document larger than %zu bytes",
				in->xml.max);
	} else {
		rc = feed_stream(in, data, n);
	}
	if (!rc)
		return ERR_OK;
fail:
	in->failed = rc;
failed:
	if (err)
		*err = in->first_err;
	return in->failed;
}

/* IODEF: map the document to a STIX bundle, keep that bundle beside the
 * original, and run it through the same object checks. */
static int convert_iodef(struct ingest *in)
{
	json_t *bundle = NULL, *warnings = NULL;
	int rc = iodef_to_stix_warn(in->xml.data ? in->xml.data : "", in->xml.len, &bundle,
				    &warnings, &in->first_err);
	if (rc)
		return rc;
	if (json_array_size(warnings))
		in->warnings_json = json_dumps(warnings, JSON_COMPACT);
	json_decref(warnings);
	char *text = json_dumps(bundle, JSON_COMPACT);
	json_decref(bundle);
	snprintf(in->stix_path, sizeof(in->stix_path), "%s.stix", in->spool_path);
	int fd = open(in->stix_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	rc = fd < 0 || write_all(fd, text, strlen(text)) || fsync(fd) ? ERR_IO : ERR_OK;
	if (fd >= 0)
		close(fd);
	if (!rc)
		rc = feed_stream(in, text, strlen(text));
	free(text);
	if (rc == ERR_IO)
		err_set(&in->first_err, ERR_IO, "", "the node cannot spool the submission");
	return rc;
}

static int insert_keys(struct ingest *in, struct store_conn *c, const struct object_key *keys,
		       size_t n)
{
	static const char sql[] =
	    "INSERT INTO object_keys(stix_key, modified, seq, member) VALUES (?,?,?,?)";
	sqlite3_stmt *s = store_stmt(c, sql);
	int rc = s ? ERR_OK : ERR_STORE;

	for (size_t i = 0; !rc && i < n; i++) {
		sqlite3_bind_int64(s, 1, keys[i].key);
		sqlite3_bind_int64(s, 2, keys[i].modified);
		sqlite3_bind_int64(s, 3, keys[i].seq);
		sqlite3_bind_int64(s, 4, in->originator);
		rc = store_step_done(c, s, "object_key_insert");
	}
	return rc;
}

/* One row per object in objects, and its key in object_keys. */
static int insert_objects(struct ingest *in, struct store_conn *c, int64_t report, int64_t *first,
			  int64_t *last)
{
	static const char sql[] = "INSERT INTO objects(report, stix_id, type, created, modified, "
				  "revoked, tlp, off, len) VALUES (?,?,?,?,?,?,?,?,?)";
	sqlite3_stmt *s = store_stmt(c, sql);
	struct record r;
	char id[512], type[512];
	struct report_body mine; /* the copies' bytes, for the creator check */
	if (in->fd < 0)
		report_body_of_memory(&mine, in->body.data, in->body.len);
	else if (report_body_open_file(in->main_file, &mine))
		return ERR_IO;
	size_t cap = in->objects && in->objects < KEYS_BATCH ? (size_t)in->objects : KEYS_BATCH;
	struct object_key *keys = xmalloc(cap * sizeof(*keys));
	FILE *spilled = NULL; /* the sorted batches, when there are several */
	const struct creator_check cc = {in->node, in->originator, &mine, &in->first_err};
	size_t n = 0, total = 0;
	int rc = ERR_OK;
	FILE *records = in->records ? in->records : fmemopen(in->recmem.data, in->recmem.len, "r");

	*first = *last = 0;
	if (!s || !records || fseek(records, 0, SEEK_SET)) {
		rc = ERR_STORE;
		goto out;
	}
	while (fread(&r, sizeof(r), 1, records) == 1) {
		if (r.id_len >= sizeof(id) || r.type_len >= sizeof(type) ||
		    fread(id, r.id_len, 1, records) != 1 ||
		    fread(type, r.type_len, 1, records) != 1) {
			rc = ERR_IO;
			goto out;
		}
		sqlite3_bind_int64(s, 1, report);
		sqlite3_bind_text(s, 2, id, r.id_len, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, type, r.type_len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, r.created);
		sqlite3_bind_int64(s, 5, r.modified);
		sqlite3_bind_int(s, 6, r.revoked);
		sqlite3_bind_int(s, 7, r.tlp);
		sqlite3_bind_int64(s, 8, (int64_t)r.off);
		sqlite3_bind_int64(s, 9, r.len);
		rc = store_step_done(c, s, "object_insert");
		if (rc)
			goto out;
		*last = sqlite3_last_insert_rowid(store_db(c));
		if (!*first)
			*first = *last;
		if (n == cap) {
			/* sorted now, checked once every batch is (creator_check_spilled), then
			 * inserted */
			qsort(keys, n, sizeof(*keys), creator_key_cmp);
			if (!spilled)
				spilled = tmpfile();
			if (!spilled || fwrite(keys, sizeof(*keys), n, spilled) != n) {
				rc = ERR_IO;
				goto out;
			}
			total += n;
			n = 0;
		}
		keys[n++] = (struct object_key){store_stix_key(id, r.id_len), r.modified, *last};
	}
	if (ferror(records)) {
		rc = ERR_IO;
		goto out;
	}
	qsort(keys, n, sizeof(*keys), creator_key_cmp);
	if (!spilled) {
		rc = creator_check_keys(&cc, c, keys, n, *first);
		if (!rc)
			rc = insert_keys(in, c, keys, n);
		goto out;
	}
	if (fwrite(keys, sizeof(*keys), n, spilled) != n) {
		rc = ERR_IO;
		goto out;
	}
	rc = creator_check_spilled(&cc, c, spilled, total + n, cap, *first);
	if (!rc && fseek(spilled, 0, SEEK_SET))
		rc = ERR_IO;
	while (!rc && (n = fread(keys, sizeof(*keys), cap, spilled)) > 0)
		rc = insert_keys(in, c, keys, n); /* one sorted batch */
	if (!rc && ferror(spilled))
		rc = ERR_IO;
out:
	if (spilled)
		fclose(spilled);
	if (records && records != in->records)
		fclose(records);
	free(keys);
	report_body_close(&mine);
	return rc;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 || fsync(fd) ? ERR_IO : ERR_OK;
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ERR_CONFLICT, named, when a peer's report id is held here already (asked
 * through `c`; held when the store cannot tell). */
static int conflicting_id(struct ingest *in, struct store_conn *c)
{
	bool held = true;
	if (c) {
		sqlite3_stmt *s = store_stmt(c, "SELECT 1 FROM reports WHERE id = ?");
		sqlite3_bind_text(s, 1, in->res.id, -1, SQLITE_STATIC);
		held = sqlite3_step(s) == SQLITE_ROW;
		sqlite3_reset(s);
	}
	return held ? err_set(&in->first_err, ERR_CONFLICT, "report",
			      "report: %s is already stored on this node", in->res.id)
		    : ERR_OK;
}

static int fsync_reports_dir(struct node *node)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/reports", node->cfg->data_dir);
	return fsync_dir(dir);
}

void ingest_set_origin(struct ingest *in, const struct ingest_origin *o)
{
	in->origin = o;
}

/* Phase 2 up to the transaction: the bundle checked as a whole, the scope, the
 * origin's hash, and the files renamed into reports/. `durable`: the file and
 * the directory are fsynced now; otherwise ingest_commit_staged does it for a
 * whole batch. The validator threads are gone once this returns. */
static int keep(struct ingest *in, int64_t originator, const char *audience, bool durable)
{
	char uuid[37];
	unsigned char digest[32];
	struct ingest_result *res = &in->res;
	int rc = in->failed;

	if (rc)
		return rc;
	if (in->format == REPORT_IODEF)
		rc = convert_iodef(in);
	if (!rc)
		rc = drain(in);
	in->t_drain = time_mono_ns();
	if (!rc)
		rc = bundle_stream_finish(in->bs, &in->first_err);
	pool_release(&in->pool);
	if (!rc && in->objects == 0)
		rc = err_set(&in->first_err, ERR_INVALID, "objects",
			     "objects: the bundle holds no object; nothing to report");
	if (!rc)
		rc = policy_check_scope(in->tlp, audience, &in->first_err);
	if (rc)
		return rc;
	if (in->fd >= 0 && durable && fsync(in->fd))
		return err_set(&in->first_err, ERR_IO, "", "the node cannot keep the submission");
	if (in->fd >= 0 && !durable && in->size >= STAGED_SMALL)
		sync_file_range(in->fd, 0, 0,
				SYNC_FILE_RANGE_WRITE); /* the batch's fsync waits less */
	gnutls_hash_output(in->sha, digest);
	sodium_bin2hex(in->hex, sizeof(in->hex), digest, sizeof(digest));
	if (in->origin) {
		if (sodium_memcmp(digest, in->origin->sha256, sizeof(digest)) ||
		    in->tlp != in->origin->tlp)
			return err_set(&in->first_err, ERR_INVALID, "sha256",
				       "the bundle's bytes or TLP are not those its origin signed");
		snprintf(res->id, sizeof(res->id), "%s", in->origin->report_id);
	} else {
		report_new_uuid(uuid);
		snprintf(res->id, sizeof(res->id), "report--%s", uuid);
	}
	if (bundle_stream_id(in->bs))
		snprintf(in->bundle_id, sizeof(in->bundle_id), "%s", bundle_stream_id(in->bs));
	in->counts_json = json_dumps(in->counts, JSON_COMPACT | JSON_SORT_KEYS);
	/* a staged report waits for its batch holding only what its rows need */
	bundle_stream_free(in->bs);
	in->bs = NULL;
	stix_seen_free(in->seen);
	in->seen = NULL;

	in->originator = originator;
	in->audience = xstrdup(audience);
	if (in->fd < 0)
		return ERR_OK; /* kept in the store, by the report's own transaction */
	/* Files first, then the transaction: a crash in between leaves an
	 * orphan file, never a report without its bytes. */
	char *main_file = node_report_file(in->node, res->id, "json");
	if (in->origin && !access(main_file, F_OK) &&
	    conflicting_id(in, store_reader(in->node->st))) {
		/* a peer's id must never replace the bytes of a report kept here (a
		 * file without its row is an orphan of a crash before a commit) */
		free(main_file);
		return ERR_CONFLICT;
	}
	if (in->format == REPORT_IODEF) {
		in->orig_file = node_report_file(in->node, res->id, "xml");
		rc = rename(in->spool_path, in->orig_file) || rename(in->stix_path, main_file);
	} else {
		rc = rename(in->spool_path, main_file);
	}
	in->main_file = main_file;
	if (!rc)
		in->spool_path[0] = in->stix_path[0] = '\0';
	if (rc || (durable && fsync_reports_dir(in->node))) {
		log_err_errno("event=report_keep path=%s", main_file);
		return err_set(&in->first_err, ERR_IO, "", "the node cannot keep the submission");
	}
	return ERR_OK;
}

/* The report's rows, in the open transaction `c`. */
static int insert_report(struct ingest *in, struct store_conn *c)
{
	static const char sql[] =
	    "INSERT INTO reports(id, originator, received, format, content_type, tlp, audience, "
	    "bundle_id, objects, counts, size, sha256) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";
	/* kept in the store: asked in the commit's transaction (a read
	 * transaction of its own per report cost more than the lookup) */
	if (in->origin && in->fd < 0 && conflicting_id(in, c))
		return ERR_CONFLICT;
	sqlite3_stmt *s = store_stmt(c, sql);
	sqlite3_bind_text(s, 1, in->res.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, in->originator);
	sqlite3_bind_int64(s, 3, time_now_ms());
	sqlite3_bind_text(s, 4, in->format == REPORT_IODEF ? "iodef" : "stix", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, in->content_type, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, in->tlp);
	sqlite3_bind_text(s, 7, in->audience, -1, SQLITE_STATIC);
	if (in->bundle_id[0])
		sqlite3_bind_text(s, 8, in->bundle_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, (int64_t)in->objects);
	sqlite3_bind_text(s, 10, in->counts_json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, (int64_t)in->size);
	sqlite3_bind_text(s, 12, in->hex, -1, SQLITE_STATIC);
	int rc = store_step_done(c, s, "report_insert");
	if (rc)
		return rc;
	int64_t first, last;
	in->seq = sqlite3_last_insert_rowid(store_db(c));
	if (in->fd < 0) {
		s = store_stmt(c, "INSERT INTO report_bodies(report, body) VALUES (?,?)");
		sqlite3_bind_int64(s, 1, in->seq);
		sqlite3_bind_blob(s, 2, in->body.data ? in->body.data : "", (int)in->body.len,
				  SQLITE_STATIC);
		rc = store_step_done(c, s, "report_body_insert");
		if (rc)
			return rc;
	}
	rc = insert_objects(in, c, in->seq, &first, &last);
	if (!rc) {
		s = store_stmt(
		    c, "UPDATE reports SET first_object = ?, last_object = ? WHERE seq = ?");
		sqlite3_bind_int64(s, 1, first);
		sqlite3_bind_int64(s, 2, last);
		sqlite3_bind_int64(s, 3, in->seq);
		rc = store_step_done(c, s, "report_span");
	}
	if (!rc && in->origin)
		rc = in->origin->record(in->origin->ctx, c, in->seq);
	return rc;
}

static void log_stored(const struct ingest *in, int64_t t_insert, int64_t t_done)
{
	log_info("event=report_stored id=%s originator=%" PRId64 " objects=%" PRIu64
		 " bytes=%" PRIu64 " tlp=%s receive_validate_ms=%.1f keep_ms=%.1f commit_ms=%.1f",
		 in->res.id, in->originator, in->objects, in->size, tlp_name(in->tlp),
		 (double)(in->t_drain - in->started_ns) / 1e6,
		 (double)(t_insert - in->t_drain) / 1e6, (double)(t_done - t_insert) / 1e6);
}

static void fill_result(struct ingest *in, struct ingest_result *res)
{
	in->res.objects = in->objects;
	in->res.tlp = in->tlp;
	in->res.counts_json = in->counts_json;
	in->res.warnings_json = in->warnings_json;
	if (res)
		*res = in->res;
}

static int refuse(struct ingest *in, int rc, struct err_detail *err)
{
	if (!in->first_err.code) /* walk_end names the object it refuses */
		err_set(&in->first_err, rc, "", "the report could not be stored");
	if (err)
		*err = in->first_err;
	return rc;
}

int ingest_commit(struct ingest *in, int64_t originator, const char *audience,
		  struct ingest_result *res, struct err_detail *err)
{
	struct store_conn *c = NULL;
	int rc = keep(in, originator, audience, true);
	if (rc)
		return refuse(in, rc, err);
	int64_t t_insert = time_mono_ns();
	rc = store_write_begin(in->node->st, &c);
	if (!rc)
		rc = store_write_end(in->node->st, insert_report(in, c));
	if (rc)
		return refuse(in, rc, err);
	in->committed = true;
	indexer_committed(in->node->indexer, in->seq); /* the post-commit pipeline */
	fill_result(in, res);
	log_stored(in, t_insert, time_mono_ns());
	return ERR_OK;
}

int ingest_stage(struct ingest *in, int64_t originator, const char *audience,
		 struct err_detail *err)
{
	int rc = keep(in, originator, audience, false);
	return rc ? refuse(in, rc, err) : ERR_OK;
}

static int savepoint(struct store_conn *c, const char *sql)
{
	return store_step_done(c, store_stmt(c, sql), "savepoint"); /* prepared once */
}

int ingest_commit_staged(struct ingest *const *ins, size_t n, size_t *committed,
			 struct err_detail *err)
{
	struct store_conn *c = NULL;
	size_t ok = 0;
	int rc = ERR_OK, bad = ERR_OK;

	*committed = 0;
	if (!n)
		return ERR_OK;
	struct node *node = ins[0]->node;
	/* every file on disk before the transaction (the reports kept in the
	 * store need none): several, with one syncfs (one device flush, the
	 * small files' writeback in one go: a kick of the device per small file
	 * cost more than the rest of its write); a single one, with its own
	 * fdatasync */
	size_t files = 0, last_file = 0;
	for (size_t i = 0; i < n; i++)
		if (ins[i]->fd >= 0) {
			files++;
			last_file = i;
		}
	if (files > 1 ? syncfs(ins[last_file]->fd) != 0
		      : files == 1 && fdatasync(ins[last_file]->fd) != 0)
		rc = err_set(&ins[0]->first_err, ERR_IO, "", "the node cannot keep the submission");
	if (!rc && files && fsync_reports_dir(node))
		rc = err_set(&ins[0]->first_err, ERR_IO, "", "the node cannot keep the submission");
	int64_t t_insert = time_mono_ns();
	if (!rc)
		rc = store_write_begin(node->st, &c);
	/* one savepoint each: a report refused here (the creator rule) takes
	 * nothing of the others with it; those after it wait for the next sync */
	for (; !rc && ok < n; ok++) {
		rc = savepoint(c, "SAVEPOINT staged");
		if (rc)
			break;
		bad = insert_report(ins[ok], c);
		if (bad) {
			rc = savepoint(c, "ROLLBACK TO staged");
			if (!rc)
				rc = savepoint(c, "RELEASE staged");
			break;
		}
		rc = savepoint(c, "RELEASE staged");
	}
	if (c)
		rc = store_write_end(node->st, rc);
	int64_t t_done = time_mono_ns();
	if (rc)
		ok = 0;
	for (size_t i = 0; i < ok; i++) {
		ins[i]->committed = true;
		indexer_committed(node->indexer, ins[i]->seq);
		fill_result(ins[i], NULL);
		log_stored(ins[i], t_insert, t_done);
	}
	*committed = ok;
	if (rc || bad)
		return refuse(ins[ok < n ? ok : 0], rc ? rc : bad, err);
	return ERR_OK;
}
