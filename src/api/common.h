/* Small helpers the API modules share: row -> JSON, list pages, writes. */
#ifndef ATALAYA_API_COMMON_H
#define ATALAYA_API_COMMON_H

#include <jansson.h>
#include <sqlite3.h>

#include "http/reqjson.h"
#include "http/request.h"

/* RFC 3339 text of a millisecond time column; JSON null when NULL. */
json_t *api_time(sqlite3_stmt *s, int col);
/* A TEXT column as a JSON string; null when NULL. */
json_t *api_text(sqlite3_stmt *s, int col);
/* A TEXT column holding JSON written by us; null when NULL or invalid. */
json_t *api_json_column(sqlite3_stmt *s, int col);

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
void api_row_out(struct buf *out, sqlite3_stmt *s, const struct col *cols, size_t n);

/* Starts a 200 JSON answer written by hand into r->out. */
void api_begin_json(struct request *r);
/* Ends a page begun with api_begin_json + "{\"items\":[" ... */
void api_end_page(struct request *r, bool more, int64_t last_id);

/* Page size from ?limit= (default 100, at most 1000) and the cursor from
 * ?after= (an id; 0 when absent). Answers 422 and returns false when bad. */
bool api_page_args(struct request *r, int64_t *limit, int64_t *after);
/* {"items": items, "next": "<last id>" | null}; takes the reference. */
void api_page(struct request *r, json_t *items, int64_t limit, int64_t last_id);

/* Parses the JSON body against a field table; answers the error itself and
 * returns NULL when it is bad. */
json_t *api_decode(struct request *r, const struct rj_field *fields, size_t n, bool partial);

/* The store's reader for this thread, or answers 500 and returns NULL. */
struct store_conn *api_reader(struct request *r);

#endif
