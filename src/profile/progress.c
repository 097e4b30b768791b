/* The progress report (progress.h). The figures of each State come from
 * three places, each behind its own scope: the profile's measures (each its
 * scope), the communication checks (the check's audience, check/results.h)
 * and the times to acknowledge alerts and requests for assistance (the scope
 * of the profile field "response_times"; private when the State did not set
 * it). Exercise requests are left out, as from the requests' statistics. */
#include "profile/progress.h"

#include "check/results.h"
#include "http/answer.h"
#include "node.h"
#include "profile/profile.h"
#include "profile/store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* A member's times to acknowledge (ms, ascending) since `since`: alerts from
 * their raising, requests from when the member was told. */
static const char alert_acks_sql[] = "SELECT acked_at - created FROM alerts WHERE member = ? "
				     "AND acked_at IS NOT NULL AND created >= ? ORDER BY 1";
static const char request_acks_sql[] =
    "SELECT m.acked_at - m.told_at FROM request_members m JOIN requests r ON r.seq = m.request "
    "WHERE m.member = ? AND m.acked_at IS NOT NULL AND m.told_at IS NOT NULL AND m.told_at >= ? "
    "AND r.exercise = 0 ORDER BY 1";

static json_t *acks_json(struct store_conn *c, const char *sql, int64_t member, int64_t since)
{
	sqlite3_stmt *s = store_stmt(c, sql);
	int64_t *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_bind_int64(s, 1, member);
	sqlite3_bind_int64(s, 2, since);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	json_t *out =
	    json_pack("{sI so}", "acknowledged", (json_int_t)n, "median_ack_seconds",
		      n ? json_real((double)check_percentile(v, n, 50) / 1000.0) : json_null());
	free(v);
	return out;
}

static json_t *report_json(struct request *r, struct store_conn *c, int64_t since,
			   const char *since_text)
{
	json_t *states = json_array(), *catalogue = json_array();
	size_t nm = 0;
	for (const struct profile_measure *m = profile_measures; m->id; m++, nm++)
		json_array_append_new(catalogue,
				      json_pack("{ss ss ss sI}", "id", m->id, "source", m->source,
						"title", m->title, "implemented", (json_int_t)0));
	sqlite3_stmt *s = store_stmt(c, "SELECT id, name, country FROM members WHERE deleted IS "
					"NULL ORDER BY country, name, id");
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t member = sqlite3_column_int64(s, 0);
		json_t *p = profile_visible(r->node, c, &r->who, member, POLICY_PROGRESS);
		json_t *measures = json_object(), *m;
		const char *id;
		int64_t implemented = 0, checks, targets, answered;
		json_object_foreach(json_object_get(p, "measures"), id, m)
		{
			json_object_set_new(measures, id,
					    json_pack("{sO sO}", "status",
						      json_object_get(m, "status"), "since",
						      json_object_get(m, "since")));
			if (!strcmp(json_string_value(json_object_get(m, "status")),
				    "implemented")) {
				implemented++;
				for (size_t k = 0; k < nm; k++) {
					json_t *cat = json_array_get(catalogue, k);
					if (!strcmp(profile_measures[k].id, id))
						json_object_set_new(
						    cat, "implemented",
						    json_integer(json_integer_value(json_object_get(
								     cat, "implemented")) +
								 1));
				}
			}
		}
		json_decref(p);
		bool times = profile_field_visible(r->node, c, &r->who, member, "response_times",
						   POLICY_PROGRESS);
		check_results_member(r->node, c, &r->who, member, since, &checks, &targets,
				     &answered);
		json_t *st = json_pack(
		    "{sI ss ss so sI so so so}", "member", (json_int_t)member, "name",
		    (const char *)sqlite3_column_text(s, 1), "country",
		    (const char *)sqlite3_column_text(s, 2), "measures", measures, "implemented",
		    (json_int_t)implemented, "checks",
		    checks ? json_pack("{sI sI sI sf}", "checks", (json_int_t)checks, "targets",
				       (json_int_t)targets, "answered", (json_int_t)answered,
				       "answered_share",
				       targets ? (double)answered / (double)targets : 0.0)
			   : json_null(),
		    "alerts", times ? acks_json(c, alert_acks_sql, member, since) : json_null(),
		    "requests",
		    times ? acks_json(c, request_acks_sql, member, since) : json_null());
		json_array_append_new(states, st);
	}
	sqlite3_reset(s);
	char now[32];
	time_format_ms(time_now_ms(), now);
	return json_pack("{ss so so so}", "generated", now, "since",
			 since_text ? json_string(since_text) : json_null(), "measures", catalogue,
			 "states", states);
}

static void csv_text(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; s && *s; s++) {
		if (*s == '"')
			buf_addc(b, '"');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

static void html_text(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '&': buf_adds(b, "&amp;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default: buf_addc(b, *s);
		}
	}
}

static void median_cell(json_t *st, const char *what, char out[16])
{
	json_t *med = json_object_get(json_object_get(st, what), "median_ack_seconds");
	snprintf(out, 16, "%s", "");
	if (json_is_real(med))
		snprintf(out, 16, "%.1f", json_real_value(med));
}

/* The cells of one State: answered share, median acks of alerts and
 * requests (then each measure, measure_cell). */
static void cells(json_t *st, char share[16], char ack[16], char rack[16])
{
	json_t *ch = json_object_get(st, "checks");
	snprintf(share, 16, "%s", "");
	if (ch)
		snprintf(share, 16, "%.4f", json_real_value(json_object_get(ch, "answered_share")));
	median_cell(st, "alerts", ack);
	median_cell(st, "requests", rack);
}

static void measure_cell(json_t *st, const char *id, char out[64])
{
	json_t *m = json_object_get(json_object_get(st, "measures"), id);
	const char *since = json_string_value(json_object_get(m, "since"));
	if (!m)
		snprintf(out, 64, "%s", "");
	else
		snprintf(out, 64, "%s%s%s", json_string_value(json_object_get(m, "status")),
			 since ? " since " : "", since ? since : "");
}

static void write_csv(struct buf *b, json_t *rep)
{
	size_t i;
	json_t *st;
	buf_adds(b, "member,name,country,implemented,check_answered_share,alert_ack_median_s,"
		    "request_ack_median_s");
	for (const struct profile_measure *m = profile_measures; m->id; m++)
		buf_addf(b, ",%s", m->id);
	buf_adds(b, "\r\n");
	json_array_foreach(json_object_get(rep, "states"), i, st)
	{
		char share[16], ack[16], rack[16], cell[64];
		cells(st, share, ack, rack);
		buf_addf(b, "%" JSON_INTEGER_FORMAT ",",
			 json_integer_value(json_object_get(st, "member")));
		csv_text(b, json_string_value(json_object_get(st, "name")));
		buf_addf(b, ",%s,%" JSON_INTEGER_FORMAT ",%s,%s,%s",
			 json_string_value(json_object_get(st, "country")),
			 json_integer_value(json_object_get(st, "implemented")), share, ack, rack);
		for (const struct profile_measure *m = profile_measures; m->id; m++) {
			measure_cell(st, m->id, cell);
			buf_addc(b, ',');
			csv_text(b, cell);
		}
		buf_adds(b, "\r\n");
	}
}

/* One page, no external asset: inline style, no script. */
static void write_html(struct buf *b, json_t *rep)
{
	size_t i;
	json_t *st;
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<title>atalaya: progress report</title><style>"
		    "body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
		    "th,td{border:1px solid #999;padding:2px 6px;font-size:12px}"
		    "td.implemented{background:#cfc}td.in-progress{background:#ffc}"
		    "td.planned{background:#eef}td.not-implemented{background:#fcc}"
		    "</style></head><body><h1>Progress report</h1><p>Generated ");
	html_text(b, json_string_value(json_object_get(rep, "generated")));
	if (json_is_string(json_object_get(rep, "since"))) {
		buf_adds(b, "; checks, alerts and requests since ");
		html_text(b, json_string_value(json_object_get(rep, "since")));
	}
	buf_adds(b, ". Only what you may see is shown; an empty cell is not reported or not "
		    "visible to you.</p>"
		    "<table><thead><tr><th>State</th><th>country</th><th>measures "
		    "implemented</th><th>check answer rate</th><th>median alert ack (s)</th>"
		    "<th>median request ack (s)</th>");
	for (const struct profile_measure *m = profile_measures; m->id; m++) {
		buf_adds(b, "<th title=\"");
		html_text(b, m->title);
		buf_addf(b, "\">%s</th>", m->id);
	}
	buf_adds(b, "</tr></thead><tbody>\n");
	json_array_foreach(json_object_get(rep, "states"), i, st)
	{
		char share[16], ack[16], rack[16], cell[64];
		cells(st, share, ack, rack);
		buf_adds(b, "<tr><td>");
		html_text(b, json_string_value(json_object_get(st, "name")));
		buf_adds(b, "</td><td>");
		html_text(b, json_string_value(json_object_get(st, "country")));
		buf_addf(b,
			 "</td><td>%" JSON_INTEGER_FORMAT "</td><td>%s</td><td>%s</td><td>%s</td>",
			 json_integer_value(json_object_get(st, "implemented")), share, ack, rack);
		for (const struct profile_measure *m = profile_measures; m->id; m++) {
			json_t *ms = json_object_get(json_object_get(st, "measures"), m->id);
			measure_cell(st, m->id, cell);
			buf_adds(b, "<td class=\"");
			html_text(b, json_string_value(json_object_get(ms, "status")));
			buf_adds(b, "\">");
			html_text(b, cell);
			buf_adds(b, "</td>");
		}
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</tbody></table></body></html>\n");
}

void progress_get(struct request *r)
{
	const char *fmt = http_query(r, "format"), *since_text = http_query(r, "since");
	int64_t since = 0;
	char stamp[40];
	if (fmt && strcmp(fmt, "json") && strcmp(fmt, "csv") && strcmp(fmt, "html")) {
		http_error(r, 422, "invalid_field", "format",
			   "format: '%s' is not json, csv or html", fmt);
		return;
	}
	if (since_text) {
		snprintf(stamp, sizeof(stamp), "%.10sT00:00:00Z", since_text);
		if (strlen(since_text) != 10 ||
		    time_parse_rfc3339(stamp, strlen(stamp), 1, &since)) {
			http_error(r, 422, "invalid_field", "since",
				   "since: '%s' is not a date YYYY-MM-DD", since_text);
			return;
		}
	}
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	json_t *rep = report_json(r, c, since, since_text);
	if (!fmt || !strcmp(fmt, "json")) {
		http_json(r, 200, rep);
		return;
	}
	r->status = 200;
	buf_reset(&r->out);
	if (!strcmp(fmt, "csv")) {
		r->content_type = "text/csv; charset=utf-8";
		write_csv(&r->out, rep);
	} else {
		r->content_type = "text/html; charset=utf-8";
		write_html(&r->out, rep);
	}
	json_decref(rep);
}
