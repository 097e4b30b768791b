/* One HTTP request as the route handlers see it, and the helpers they answer
 * with. A request belongs to the worker thread that runs it. */
#ifndef ATALAYA_REQUEST_H
#define ATALAYA_REQUEST_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/principal.h"

struct node; /* opaque here: the handlers above http/ know it (src/node.h) */
struct request;
typedef void (*route_fn)(struct request *r);
/* Receives the body as it arrives (routes with ROUTE_STREAM); returns ERR_OK
 * or an error that ends the request (set with http_error*). */
typedef int (*route_body_fn)(struct request *r, const char *data, size_t n);

#define ROUTE_PUBLIC 1u /* no token needed */
#define ROUTE_WRITE 2u	/* analyst or admin */
#define ROUTE_ADMIN 4u	/* admin only */
#define ROUTE_STREAM 8u /* body goes to route->body chunk by chunk, not to memory */

struct route {
	const char *method;
	const char *pattern; /* "/api/v1/members/{id}": {id} is a positive integer,
			      * {key} any non-empty segment */
	route_fn handler;
	unsigned flags;
	route_body_fn body;  /* with ROUTE_STREAM */
	const char *summary; /* one line, for `atalaya routes` */
};

/* The body caps a request is held to, given by whoever starts the server. */
struct http_limits {
	int64_t body_max;	 /* bytes of a body kept in memory */
	int64_t report_body_max; /* bytes of a ROUTE_STREAM body */
	int64_t json_depth_max;	 /* nesting of a JSON body (http_decode) */
};

#define MAX_PARAMS 4

struct request {
	struct node *node; /* the server's context, for the handlers */
	const struct http_limits *limits;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	const struct route *route;
	size_t route_index;
	const char *param[MAX_PARAMS]; /* path parameters, in order */
	int64_t id[MAX_PARAMS];	       /* their integer values ({id}); 0 for {key} */
	struct principal who;
	bool authenticated;
	struct buf body;     /* the request body (routes without ROUTE_STREAM) */
	uint64_t body_bytes; /* bytes received so far */
	void *route_state;   /* owned by a streaming route; freed by its cleanup */
	void (*route_cleanup)(struct request *r);
	struct arena arena; /* per-request allocations */
	int64_t started_ns;

	/* the answer */
	int status; /* 0 until decided */
	struct buf out;
	const char *content_type;
	struct MHD_Response *response; /* set instead of `out` for files and streams */
	char location[128];	       /* Location of a 201 */
	char allow[64];		       /* Allow of a 405 */
	bool queued;		       /* the answer was handed to MHD */
	bool abort_upload;	       /* the body passed its cap: close the connection */
	char next[32];		       /* X-Next-Cursor of a paged answer that is not JSON */
	char cookie[256];	       /* Set-Cookie of the answer (web sessions), or "" */

	/* An internal call: a web page reading through an API route (src/web/
	 * call.c). Its query string and Content-Type replace the connection's
	 * (conn is then the page's, for nothing else). */
	bool internal;
	const char *internal_query;	   /* "a=1&b=2" (already decoded values), or NULL */
	const char *internal_content_type; /* or NULL */
	json_t *internal_json;		   /* http_json's answer, kept unencoded for the page */
};

/* Answers `status` with `body` (a reference is taken over: the caller gives
 * up its reference). */
void http_json(struct request *r, int status, json_t *body);
/* Answers a JSON error {"error":{"code","message","field"?}}. */
void http_error(struct request *r, int status, const char *code, const char *field, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));
/* Maps an error code and detail to the status and code the API uses. */
void http_error_detail(struct request *r, int rc, const struct err_detail *err);
/* 204 No Content. */
void http_no_content(struct request *r);

/* A query-string argument or NULL (of the internal call's query string for
 * an internal call; allocated from the request's arena then). */
const char *http_query(struct request *r, const char *name);
/* A request header or NULL. */
const char *http_header(struct request *r, const char *name);

/* Parses a positive decimal id; false when `s` is not one. */
bool http_parse_id(const char *s, int64_t *out);

/* "id" of the caller's member; rejects with 403 when `member` is another one
 * and the caller is not an admin. Returns true when allowed. */
bool http_require_self_or_admin(struct request *r, int64_t member);

#endif
