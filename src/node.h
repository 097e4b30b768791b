/* Everything a running node shares between its threads: settings, store,
 * directory, metrics, and the services of the later modules. Built by
 * `atalaya serve`, read-only once the threads start (the pointed-to modules
 * do their own locking). */
#ifndef ATALAYA_NODE_H
#define ATALAYA_NODE_H

#include "directory/directory.h"
#include "config/settings.h"
#include "store/store.h"

struct alert;
struct check;
struct federation;
struct indexer;
struct metrics;
struct reports;
struct request;
struct requests;
struct spam;
struct taxii;

struct node {
	struct config *cfg;
	struct store *st;
	struct directory *dir;
	struct metrics *metrics;
	struct reports *reports; /* incident exchange (src/report) */
	struct spam *spam;	 /* anti-spam and DNSBL (src/spam) */
	struct alert *alert;	 /* early-warning alerts (src/alert) */
	struct check *check;	 /* communication checks (src/check) */
	/* requests for assistance (src/request) */
	struct requests *requests;
	/* The observable index, constituencies and the post-commit pipeline
	 * (src/index/indexer.h): report/ingest.c hands it each report right
	 * after its transaction commits. NULL when no indexer runs. */
	struct indexer *indexer;
	struct taxii *taxii;	/* TAXII 2.1 `next` key and scheduled pulls (src/taxii) */
	struct federation *fed; /* peer nodes, signatures, sync (src/federation) */
	char *spool_dir;	/* DATA/spool: bodies too large for memory */
	char *node_name;
};

/* The store's reader for the thread running request r (a route handler), or
 * NULL after answering 500. The connection belongs to the store (not freed). */
struct store_conn *node_reader(struct request *r);

/* DATA/reports/<id>.<ext>: "json", the file whose bytes objects' offsets point
 * into (for IODEF, the STIX bundle made from it); "xml", the IODEF original.
 * The caller frees it. Any thread. */
char *node_report_file(const struct node *node, const char *report_id, const char *ext);

#endif
