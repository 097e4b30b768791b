/* The route handlers' toolkit: SQLite row -> JSON, list pages, JSON bodies
 * decoded against a field table (http/reqjson.h). Pure helpers over one
 * request; any thread (the request's). The answers themselves (http_json,
 * http_error...) are in http/request.h. */
#ifndef ATALAYA_HTTP_ANSWER_H
#define ATALAYA_HTTP_ANSWER_H

#include <jansson.h>
#include <sqlite3.h>

#include "http/reqjson.h"
#include "http/request.h"

/* RFC 3339 text of a millisecond time column; JSON null when NULL. */
json_t *http_col_time(sqlite3_stmt *s, int col);
/* A TEXT column as a JSON string; null when NULL. */
json_t *http_col_text(sqlite3_stmt *s, int col);
/* A TEXT column holding JSON written by us; null when NULL or invalid. */
json_t *http_col_json(sqlite3_stmt *s, int col);

/* Writing rows straight from SQLite columns into the answer, without a
 * jansson tree: the hot read paths (contacts, members) use it. */
enum col_kind {
	COL_INT,  /* integer */
	COL_TEXT, /* text, escaped; null when NULL */
	COL_TIME, /* milliseconds -> RFC 3339; null when NULL */
	COL_JSON, /* JSON text written by the node itself, copied as it is */
};

struct col {
	const char *name;
	enum col_kind kind;
};

/* Appends {"name": value, ...} for columns 0..n-1 of the current row. */
void http_row_out(struct buf *out, sqlite3_stmt *s, const struct col *cols, size_t n);

/* Starts a 200 JSON answer written by hand into r->out. */
void http_begin_json(struct request *r);
/* Ends a page begun with http_begin_json + "{\"items\":[" ... */
void http_end_page(struct request *r, bool more, int64_t last_id);

/* Page size from ?limit= (default 100, at most 1000) and the cursor from
 * ?after= (an id; 0 when absent). Answers 422 and returns false when bad. */
bool http_page_args(struct request *r, int64_t *limit, int64_t *after);
/* {"items": items, "next": "<last id>" | null}; takes the reference. */
void http_page(struct request *r, json_t *items, int64_t limit, int64_t last_id);

/* Parses the JSON body against a field table, nested at most
 * r->limits->json_depth_max deep; answers the error itself and returns NULL
 * when it is bad. Caller owns the result (json_decref). */
json_t *http_decode(struct request *r, const struct rj_field *fields, size_t n, bool partial);

#endif
