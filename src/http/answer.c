#include "http/answer.h"

#include "util/timeutil.h"

json_t *http_col_time(sqlite3_stmt *s, int col)
{
	char t[32];
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return json_null();
	time_format_ms(sqlite3_column_int64(s, col), t);
	return json_string(t);
}

json_t *http_col_text(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return json_null();
	return json_stringn((const char *)sqlite3_column_text(s, col),
			    (size_t)sqlite3_column_bytes(s, col));
}

json_t *http_col_json(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return json_null();
	json_t *v = json_loadb((const char *)sqlite3_column_text(s, col),
			       (size_t)sqlite3_column_bytes(s, col), JSON_DECODE_ANY, NULL);
	return v ? v : json_null();
}

bool http_page_args(struct request *r, int64_t *limit, int64_t *after)
{
	const char *l = http_query(r, "limit"), *a = http_query(r, "after");
	*limit = 100;
	*after = 0;
	if (l && (!http_parse_id(l, limit) || *limit > 1000)) {
		http_error(r, 422, "invalid_field", "limit", "limit: must be 1 to 1000");
		return false;
	}
	if (a && !http_parse_id(a, after)) {
		http_error(r, 422, "invalid_field", "after", "after: not a cursor from 'next'");
		return false;
	}
	return true;
}

void http_page(struct request *r, json_t *items, int64_t limit, int64_t last_id)
{
	json_t *page = json_object();
	char next[24];
	bool more = (int64_t)json_array_size(items) == limit;
	json_object_set_new(page, "items", items);
	snprintf(next, sizeof(next), "%" PRId64, last_id);
	json_object_set_new(page, "next", more ? json_string(next) : json_null());
	http_json(r, 200, page);
}

json_t *http_decode(struct request *r, const struct rj_field *fields, size_t n, bool partial)
{
	struct err_detail err;
	json_t *v;
	err_clear(&err);
	int rc = reqjson_decode(r->body.data ? r->body.data : "", r->body.len,
				(size_t)r->limits->json_depth_max, fields, n, partial, &v, &err);
	if (rc) {
		http_error_detail(r, rc, &err);
		return NULL;
	}
	return v;
}

/* Decimal text of v, without printf: rows are written on hot paths. */
static void add_int(struct buf *out, int64_t v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	buf_add(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

void http_row_out(struct buf *out, sqlite3_stmt *s, const struct col *cols, size_t n)
{
	char t[40];
	buf_reserve(out, 1024);
	for (size_t i = 0; i < n; i++) {
		/* {"name": or ,"name": in one copy */
		size_t kn = strlen(cols[i].name);
		char key[72];
		key[0] = i ? ',' : '{';
		key[1] = '"';
		memcpy(key + 2, cols[i].name, kn);
		key[kn + 2] = '"';
		key[kn + 3] = ':';
		buf_add(out, key, kn + 4);
		if (sqlite3_column_type(s, (int)i) == SQLITE_NULL) {
			buf_add(out, "null", 4);
			continue;
		}
		switch (cols[i].kind) {
		case COL_INT: add_int(out, sqlite3_column_int64(s, (int)i)); break;
		case COL_TEXT:
			buf_add_json_str(out, (const char *)sqlite3_column_text(s, (int)i),
					 (size_t)sqlite3_column_bytes(s, (int)i));
			break;
		case COL_TIME:
			t[0] = '"';
			time_format_ms(sqlite3_column_int64(s, (int)i), t + 1);
			t[25] = '"';
			buf_add(out, t, 26);
			break;
		case COL_JSON:
			buf_add(out, sqlite3_column_text(s, (int)i),
				(size_t)sqlite3_column_bytes(s, (int)i));
			break;
		}
	}
	buf_addc(out, '}');
}

void http_begin_json(struct request *r)
{
	r->status = 200;
	r->content_type = "application/json";
	buf_reset(&r->out);
	buf_reserve(&r->out, 16384); /* a page of rows without regrowing */
}

void http_end_page(struct request *r, bool more, int64_t last_id)
{
	if (more)
		buf_addf(&r->out, "],\"next\":\"%lld\"}", (long long)last_id);
	else
		buf_adds(&r->out, "],\"next\":null}");
}
