#include "federation/envelope.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>

void fed_envelope_release(struct fed_envelope *e)
{
	free(e->audience);
	free(e->recipients);
	e->audience = e->recipients = NULL;
}

/* One field: its length as 4 bytes big-endian, then its bytes. */
int fed_field(struct buf *out, const void *p, size_t n)
{
	unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
				(unsigned char)(n >> 8), (unsigned char)n};
	int rc = buf_add(out, len, 4);
	return rc ? rc : buf_add(out, p, n);
}

int fed_field_int(struct buf *out, int64_t v)
{
	char t[24];
	int n = snprintf(t, sizeof(t), "%" PRId64, v);
	return fed_field(out, t, (size_t)n);
}

int fed_field_str(struct buf *out, const char *s)
{
	return fed_field(out, s, strlen(s));
}

int fed_canonical(const struct fed_envelope *e, struct buf *out)
{
	buf_reset(out);
	int rc = buf_add(out, FED_SIGNED_PREFIX, sizeof(FED_SIGNED_PREFIX) - 1);
	if (!rc)
		rc = fed_field(out, e->origin_pk, FED_KEY_BYTES);
	if (!rc)
		rc = fed_field_str(out, e->origin_name);
	if (!rc)
		rc = fed_field_int(out, e->origin_member);
	if (!rc)
		rc = fed_field_str(out, e->report);
	if (!rc)
		rc = fed_field_int(out, e->version);
	if (!rc)
		rc = fed_field_int(out, e->signed_at);
	if (!rc)
		rc = fed_field_str(out, e->tlp);
	if (!rc)
		rc = fed_field_str(out, e->audience ? e->audience : "");
	if (!rc)
		rc = fed_field_str(out, e->recipients ? e->recipients : "");
	if (!rc)
		rc = fed_field(out, e->sha256, sizeof(e->sha256));
	if (!rc)
		rc = fed_field_int(out, (int64_t)e->size);
	return rc;
}

bool fed_envelope_verify(const struct fed_envelope *e)
{
	struct buf b;
	buf_init(&b, FED_AUDIENCE_MAX * 2 + FED_RECIPIENTS_MAX * 66 + 4096);
	bool ok = !fed_canonical(e, &b) && fed_verify(e->origin_pk, b.data, b.len, e->sig);
	buf_release(&b);
	return ok;
}

static void add_hex(struct buf *out, const unsigned char *p, size_t n)
{
	char h[2 * FED_SIG_BYTES + 1];
	sodium_bin2hex(h, sizeof(h), p, n);
	buf_adds(out, h);
}

int fed_envelope_write(const struct fed_envelope *e, struct buf *out)
{
	const char *aud = e->audience ? e->audience : "";
	const char *rcpt = e->recipients ? e->recipients : "";
	buf_addf(out, "{\"seq\":%" PRId64, e->seq);
	if (e->origin_seq > 0)
		buf_addf(out, ",\"origin_seq\":%" PRId64, e->origin_seq);
	buf_addf(out, ",\"origin_key\":\"%s\",\"origin_name\":", e->origin_key);
	buf_add_json_str(out, e->origin_name, strlen(e->origin_name));
	buf_addf(out,
		 ",\"origin_member\":%" PRId64 ",\"report\":\"%s\",\"version\":%" PRId64
		 ",\"signed_at\":%" PRId64 ",\"tlp\":\"%s\",\"audience\":",
		 e->origin_member, e->report, e->version, e->signed_at, e->tlp);
	buf_add_json_str(out, aud, strlen(aud));
	buf_adds(out, ",\"recipients\":");
	buf_add_json_str(out, rcpt, strlen(rcpt));
	buf_adds(out, ",\"sha256\":\"");
	add_hex(out, e->sha256, sizeof(e->sha256));
	buf_addf(out, "\",\"size\":%" PRIu64 ",\"signature\":\"", e->size);
	add_hex(out, e->sig, sizeof(e->sig));
	return buf_adds(out, "\"}");
}

int fed_trailer_write(const struct fed_trailer *t, struct buf *out)
{
	buf_addf(out,
		 "{\"end\":true,\"cursor\":%" PRId64 ",\"more\":%s,\"pending\":%" PRId64
		 ",\"oldest\":%" PRId64 ",\"contacts\":\"%s\",\"sightings\":%" PRId64,
		 t->cursor, t->more ? "true" : "false", t->pending, t->oldest_ms, t->contacts,
		 t->sightings);
	if (t->defer[0])
		buf_addf(out, ",\"defer\":\"%s\"", t->defer);
	return buf_adds(out, "}\n");
}

/* The integer member `name` of `o`, at least `min`. */
static int get_int(const struct jv *o, const char *name, int64_t min, int64_t *out,
		   struct err_detail *err)
{
	const struct jv *v = jv_get(o, name);
	if (!jv_is_integer(v) || v->u.i < min)
		return err_set(err, ERR_INVALID, name, "%s: not an integer >= %" PRId64, name, min);
	*out = v->u.i;
	return ERR_OK;
}

/* The string member `name` of `o`, 1..max bytes. */
static int get_str(const struct jv *o, const char *name, size_t max, const char **out, size_t *len,
		   struct err_detail *err)
{
	const struct jv *v = jv_get(o, name);
	if (!jv_is_string(v) || jv_strlen(v) > max) /* jdoc refuses a NUL in a string */
		return err_set(err, ERR_INVALID, name, "%s: not a string of at most %zu bytes",
			       name, max);
	*out = jv_str(v);
	*len = jv_strlen(v);
	return ERR_OK;
}

static int get_hex(const struct jv *o, const char *name, unsigned char *out, size_t n,
		   struct err_detail *err)
{
	const char *s = NULL;
	size_t len = 0;
	int rc = get_str(o, name, 2 * n, &s, &len, err);
	if (!rc && !fed_hex_parse(s, len, out, n))
		rc = err_set(err, ERR_INVALID, name, "%s: not %zu hex digits", name, 2 * n);
	return rc;
}

/* Are the `n` bytes at `s` lowercase hex digits (a NUL among them is not)? */
static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Recipients: sorted, distinct, comma-separated lowercase hex keys. */
static bool recipients_valid(const char *s, size_t len)
{
	size_t n = 0;
	const char *prev = NULL;
	if (!len)
		return true;
	for (size_t i = 0; i <= len; i += FED_KEY_HEX) {
		const char *k = s + i;
		if (i + FED_KEY_HEX - 1 > len || (i + FED_KEY_HEX - 1 < len && k[64] != ','))
			return false;
		if (!lower_hex(k, 64))
			return false;
		if (prev && memcmp(prev, k, 64) >= 0)
			return false;
		prev = k;
		if (++n > FED_RECIPIENTS_MAX)
			return false;
	}
	return true;
}

static int parse_envelope(const struct jv *o, struct fed_envelope *e, struct err_detail *err)
{
	const char *s = NULL;
	size_t len = 0;
	int64_t size = 0;
	int rc = get_int(o, "seq", 1, &e->seq, err);
	if (!rc && jv_get(o, "origin_seq")) /* optional: a hint for relays */
		rc = get_int(o, "origin_seq", 1, &e->origin_seq, err);
	if (!rc)
		rc = get_hex(o, "origin_key", e->origin_pk, FED_KEY_BYTES, err);
	if (!rc)
		sodium_bin2hex(e->origin_key, sizeof(e->origin_key), e->origin_pk, FED_KEY_BYTES);
	if (!rc && !(rc = get_str(o, "origin_name", FED_NAME_MAX, &s, &len, err)))
		memcpy(e->origin_name, s, len + 1);
	if (!rc)
		rc = get_int(o, "origin_member", 1, &e->origin_member, err);
	if (!rc && !(rc = get_str(o, "report", sizeof(e->report) - 1, &s, &len, err))) {
		if (len != 44 || strncmp(s, "report--", 8))
			rc = err_set(err, ERR_INVALID, "report", "report: not report--<uuid>");
		for (size_t i = 8; !rc && i < len; i++)
			if (!(s[i] == '-' || (s[i] >= '0' && s[i] <= '9') ||
			      (s[i] >= 'a' && s[i] <= 'f')))
				rc = err_set(err, ERR_INVALID, "report",
					     "report: not report--<uuid>");
		if (!rc)
			memcpy(e->report, s, len + 1);
	}
	if (!rc)
		rc = get_int(o, "version", 1, &e->version, err);
	if (!rc)
		rc = get_int(o, "signed_at", 0, &e->signed_at, err);
	if (!rc && !(rc = get_str(o, "tlp", sizeof(e->tlp) - 1, &s, &len, err)))
		memcpy(e->tlp, s, len + 1);
	if (!rc && !(rc = get_str(o, "audience", FED_AUDIENCE_MAX, &s, &len, err)))
		e->audience = strndup(s, len);
	if (!rc &&
	    !(rc = get_str(o, "recipients", FED_RECIPIENTS_MAX * FED_KEY_HEX, &s, &len, err))) {
		if (!recipients_valid(s, len))
			rc = err_set(err, ERR_INVALID, "recipients",
				     "recipients: not sorted distinct hex keys, comma-separated");
		else
			e->recipients = strndup(s, len);
	}
	if (!rc)
		rc = get_hex(o, "sha256", e->sha256, sizeof(e->sha256), err);
	if (!rc && !(rc = get_int(o, "size", 1, &size, err)))
		e->size = (uint64_t)size;
	if (!rc)
		rc = get_hex(o, "signature", e->sig, sizeof(e->sig), err);
	if (rc)
		fed_envelope_release(e);
	return rc;
}

int fed_feed_next(struct jdoc *doc, const char *page, size_t len, size_t *pos,
		  struct fed_envelope *e, const char **bundle, struct fed_trailer *t,
		  struct err_detail *err)
{
	size_t at = *pos;
	const char *nl = at < len ? memchr(page + at, '\n', len - at) : NULL;
	struct jdoc_error je;
	int rc = ERR_OK;

	*bundle = NULL;
	memset(e, 0, sizeof(*e));
	if (!nl)
		return err_set(err, ERR_SYNTAX, "feed", "feed: byte %zu: a line without its end",
			       at);
	size_t line = (size_t)(nl - (page + at));
	if (line > FED_AUDIENCE_MAX * 2 + FED_RECIPIENTS_MAX * FED_KEY_HEX + 4096)
		return err_set(err, ERR_INVALID, "feed", "feed: byte %zu: an envelope too long",
			       at);
	/* jdoc, not jansson: a page holds a thousand envelopes, and a jansson
	 * tree per line cost more than the rest of reading the page */
	const struct jv *o = jdoc_parse(doc, page + at, line, &je);
	if (!jv_is_object(o))
		return err_set(err, ERR_SYNTAX, "feed", "feed: byte %zu: not a JSON object%s%s",
			       o ? at : at + je.position, o ? "" : ": ", o ? "" : je.text);
	at += line + 1;
	if (jv_is_true(jv_get(o, "end"))) {
		int64_t more;
		const struct jv *m = jv_get(o, "more");
		more = jv_is_boolean(m) ? jv_is_true(m) : -1;
		rc = get_int(o, "cursor", 0, &t->cursor, err);
		if (!rc)
			rc = get_int(o, "pending", 0, &t->pending, err);
		if (!rc)
			rc = get_int(o, "oldest", 0, &t->oldest_ms, err);
		if (!rc && more < 0)
			rc = err_set(err, ERR_INVALID, "more", "more: not a boolean");
		const char *stamp;
		size_t slen;
		if (!rc &&
		    !(rc = get_str(o, "contacts", sizeof(t->contacts) - 1, &stamp, &slen, err)))
			memcpy(t->contacts, stamp, slen + 1);
		/* optional: a node that signs no sightings may leave it out */
		if (!rc && jv_get(o, "sightings"))
			rc = get_int(o, "sightings", 0, &t->sightings, err);
		/* optional: a relay's page that stops for the caller to pull an origin */
		if (!rc && jv_get(o, "defer") &&
		    !(rc = get_str(o, "defer", sizeof(t->defer) - 1, &stamp, &slen, err))) {
			if (slen == 16 && lower_hex(stamp, 16))
				memcpy(t->defer, stamp, slen + 1);
			else
				rc = err_set(err, ERR_INVALID, "defer",
					     "defer: not the first 16 hex digits of a node key");
		}
		if (!rc && at != len)
			rc = err_set(err, ERR_INVALID, "feed", "feed: bytes after the trailer");
		t->more = more == 1;
	} else {
		rc = parse_envelope(o, e, err);
		if (!rc &&
		    (e->size > len - at || len - at - e->size < 1 || page[at + e->size] != '\n')) {
			fed_envelope_release(e);
			rc = err_set(err, ERR_INVALID, "size",
				     "size: the bundle of %s is not %" PRIu64
				     " bytes followed by a newline",
				     e->report, e->size);
		}
		if (!rc) {
			*bundle = page + at;
			at += e->size + 1;
		}
	}
	if (!rc)
		*pos = at;
	return rc;
}

int fed_request_canonical(const char *method, const char *path, int64_t cursor, int64_t time_ms,
			  const char *server_key, struct buf *out)
{
	buf_reset(out);
	int rc = buf_add(out, FED_REQUEST_PREFIX, sizeof(FED_REQUEST_PREFIX) - 1);
	if (!rc)
		rc = fed_field_str(out, method);
	if (!rc)
		rc = fed_field_str(out, path);
	if (!rc)
		rc = fed_field_int(out, cursor);
	if (!rc)
		rc = fed_field_int(out, time_ms);
	if (!rc)
		rc = fed_field_str(out, server_key);
	return rc;
}

bool fed_have_parse(const char *h, struct fed_have *hv)
{
	hv->n = 0;
	while (h && *h) {
		if (hv->n == FED_HAVE_MAX)
			return false;
		if (!lower_hex(h, 16)) /* a shorter text stops at its NUL */
			return false;
		memcpy(hv->key[hv->n], h, 16);
		hv->key[hv->n][16] = '\0';
		char *end;
		if (h[16] != ':' || h[17] < '0' || h[17] > '9')
			return false;
		errno = 0;
		hv->upto[hv->n] = strtoll(h + 17, &end, 10);
		hv->direct[hv->n] = *end == '!';
		end += hv->direct[hv->n++];
		if (errno || (*end && *end != ','))
			return false;
		h = *end ? end + 1 : end;
	}
	return true;
}
