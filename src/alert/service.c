/* The early-warning service: its delivery thread and live stream, alerts
 * as JSON, webhook secrets and signatures. See service.h. */
#include "alert/service.h"

#include "alert/delivery.h"
#include "index/observable.h"
#include "policy/tlp.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <sodium.h>

struct alert {
	struct node *node;
	struct delivery *dlv;
	struct alert_stream *stream;
};

struct alert_stream *alert_stream_of(struct alert *w)
{
	return w->stream;
}

void alert_streams_close(struct alert *w)
{
	if (w)
		alert_stream_close(w->stream);
}

void alert_kick(struct alert *w)
{
	delivery_kick(w->dlv);
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
/* start and stop                                                      */

int alert_new(struct node *node, struct alert **out, struct err_detail *err)
{
	(void)err;
	struct alert *w = xcalloc(1, sizeof(*w));
	w->node = node;
	node->alert = w;
	w->dlv = delivery_start(node, w);
	w->stream = alert_stream_new();
	*out = w;
	return ERR_OK;
}

void alert_free(struct alert *w)
{
	if (!w)
		return;
	alert_stream_close(w->stream);
	alert_stream_free(w->stream);
	delivery_stop(w->dlv);
	if (w->node->alert == w)
		w->node->alert = NULL;
	free(w);
}
