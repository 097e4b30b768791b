/* Report intake: a submission arrives in chunks (STIX 2.1 bundle or IODEF v2
 * XML), is kept byte for byte (a STIX body of up to 64 KiB in memory, then in
 * the store with its rows; a larger one, and IODEF, in a spool file), validated
 * object by object as it streams (memory stays flat however large the bundle),
 * then committed in one SQLite transaction. A rejected submission stores
 * nothing.
 *
 * One ingest belongs to one thread (the HTTP worker of its request). */
#ifndef ATALAYA_INGEST_H
#define ATALAYA_INGEST_H

#include <stdint.h>

#include "directory/directory.h"
#include "node.h"
#include "policy/tlp.h"
#include "util/err.h"

enum report_format { REPORT_STIX, REPORT_IODEF };

struct ingest;

/* Starts an intake for a body of `content_type`. ERR_UNSUPPORTED (415) when
 * the type is not STIX JSON or IODEF XML. Caller frees with ingest_free. */
int ingest_new(struct node *node, const char *content_type, struct ingest **out,
	       struct err_detail *err);
void ingest_free(struct ingest *in);

/* Takes the next chunk. After an error every call returns it again. */
int ingest_feed(struct ingest *in, const char *data, size_t n, struct err_detail *err);

/* What a committed report looks like to its submitter. */
struct ingest_result {
	char id[48]; /* "report--<uuid>" */
	uint64_t objects;
	enum tlp tlp;
	char *counts_json;   /* {"indicator":3,...}; owned by the ingest */
	char *warnings_json; /* IODEF: ["line 21: <Address>: ...; observable skipped", ...]
			      * or NULL when nothing was skipped; owned by the ingest */
};

/* Ends the body, checks the bundle as a whole and the scope (`audience` is
 * canonical text; TLP:RED needs named members), keeps the files and commits
 * the report for `originator`. On ERR_OK the report is on disk. ERR_CONFLICT
 * (field "objects[i].id") when an object versions an id that another member
 * submitted first (docs/internals/intake.md); nothing is stored then. */
int ingest_commit(struct ingest *in, int64_t originator, const char *audience,
		  struct ingest_result *res, struct err_detail *err);

/* A report received from a peer node (src/federation): it keeps its
 * origin's id, its bytes must hash to `sha256` and its TLP be `tlp` (else
 * ERR_INVALID and nothing is stored), and `record` runs inside the commit's
 * transaction (the row of the origin's signature). Call before
 * ingest_commit; `o` and what it points to must outlive it. */
struct ingest_origin {
	const char *report_id;
	const unsigned char *sha256; /* 32 bytes */
	enum tlp tlp;
	int (*record)(void *ctx, struct store_conn *c, int64_t report_seq);
	void *ctx;
};
void ingest_set_origin(struct ingest *in, const struct ingest_origin *o);

/* Reports received from a peer, committed as ONE transaction (a feed page:
 * one fsync of the journal and one commit for the lot instead of one each).
 * ingest_stage does what ingest_commit does before the transaction (checks,
 * hash, files kept but not yet fsynced) and frees the validator threads;
 * ingest_commit_staged fsyncs the files and the directory, then inserts each
 * report under a savepoint of one transaction and queues the committed ones
 * for the indexer. A report refused there (ERR_CONFLICT: the creator rule)
 * stores nothing of itself; the ones before it are committed, the ones after
 * it are not: *committed says how many, in order, and err is the refused
 * one's. Any other error commits none. The caller frees each ingest
 * after (an uncommitted one's files go then). */
int ingest_stage(struct ingest *in, int64_t originator, const char *audience,
		 struct err_detail *err);
int ingest_commit_staged(struct ingest *const *ins, size_t n, size_t *committed,
			 struct err_detail *err);

/* A random (version 4) UUID in its text form. */
void report_new_uuid(char out[37]);

#endif
