/* The signing subscriber: every report made on this node gets its origin
 * signature (envelope.h) in the indexer's transaction, so that what later
 * leaves for a peer, and `atalaya report verify`, carry the signature of the
 * bytes as stored. Reports received from peers already have theirs (written
 * by their intake): they are skipped. Indexer thread. */
#include "federation/envelope.h"
#include "federation/federation.h"
#include "federation/internal.h"
#include "policy/tlp.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <gnutls/crypto.h>
#include <sodium.h>

struct sign_state {
	struct node *node;
	int64_t seq;
};

static void *sign_begin(struct node *node, const struct index_report *r)
{
	if (!node->fed)
		return NULL;
	struct sign_state *s = xcalloc(1, sizeof(*s));
	s->node = node;
	s->seq = r->seq;
	return s;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *fed_keys_joined(char **keys, size_t n)
{
	struct buf out;
	if (n)
		qsort(keys, n, sizeof(*keys), cmp_key);
	buf_init(&out, SIZE_MAX / 2);
	buf_adds(&out, "");
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(keys[i], keys[i - 1]))
			buf_addf(&out, "%s%s", out.len ? "," : "", keys[i]);
	return buf_detach(&out, NULL);
}

/* The keys of the peers `aud` names, as "peer:ID" or through "group:ID" of
 * groups holding them (as they are when the report is signed): sorted,
 * comma-separated. */
static char *recipients_of(struct store_conn *c, const char *aud)
{
	char *keys[1024];
	size_t n = 0;
	sqlite3_stmt *s = store_stmt(c, "SELECT public_key FROM peers WHERE id = ?");
	for (const char *p = aud; (p = strstr(p, "\"peer:")) && n < 1024; p += 6) {
		sqlite3_bind_int64(s, 1, strtoll(p + 6, NULL, 10));
		if (sqlite3_step(s) == SQLITE_ROW)
			keys[n++] = xstrdup((const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
	}
	s = store_stmt(c, "SELECT p.public_key FROM group_peers g JOIN peers p ON p.id = g.peer_id "
			  "WHERE g.group_id = ?");
	for (const char *p = aud; (p = strstr(p, "\"group:")) && n < 1024; p += 7) {
		sqlite3_bind_int64(s, 1, strtoll(p + 7, NULL, 10));
		while (n < 1024 && sqlite3_step(s) == SQLITE_ROW)
			keys[n++] = xstrdup((const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
	}
	char *joined = fed_keys_joined(keys, n);
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	return joined;
}

/* SHA-256 and size of a kept bundle file (IODEF: the STIX bundle made from
 * it, which is what travels; its row's hash is the XML original's). */
static int hash_file(const char *path, unsigned char sha[32], uint64_t *size)
{
	gnutls_hash_hd_t h;
	char chunk[1 << 16];
	size_t got;
	FILE *f = fopen(path, "rb");
	if (!f)
		return ERR_IO;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256))
		abort(); /* out of memory */
	*size = 0;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		gnutls_hash(h, chunk, got);
		*size += got;
	}
	int rc = ferror(f) ? ERR_IO : ERR_OK;
	fclose(f);
	gnutls_hash_deinit(h, sha);
	return rc;
}

static int sign_record(void *state, struct store_conn *c)
{
	struct sign_state *st = state;
	struct node *node = st->node;
	const struct fed_key *k = federation_key(node->fed);
	struct fed_envelope e;
	struct buf msg;
	char sig_hex[FED_SIG_HEX], sha_hex[65];
	int rc = ERR_OK;

	sqlite3_stmt *s = store_stmt(
	    c, "SELECT r.id, r.originator, r.tlp, r.audience, r.sha256, r.format, r.received, "
	       "r.size FROM reports r WHERE r.seq = ? AND NOT EXISTS "
	       "(SELECT 1 FROM signatures WHERE report = r.seq)");
	sqlite3_bind_int64(s, 1, st->seq);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return ERR_OK; /* received from a peer: signed by its origin */
	}
	memset(&e, 0, sizeof(e));
	memcpy(e.origin_pk, k->pk, sizeof(e.origin_pk));
	memcpy(e.origin_key, k->pk_hex, sizeof(e.origin_key));
	snprintf(e.origin_name, sizeof(e.origin_name), "%s", node->node_name);
	snprintf(e.report, sizeof(e.report), "%s", (const char *)sqlite3_column_text(s, 0));
	e.origin_member = sqlite3_column_int64(s, 1);
	snprintf(e.tlp, sizeof(e.tlp), "%s", tlp_name((enum tlp)sqlite3_column_int(s, 2)));
	e.audience = xstrdup((const char *)sqlite3_column_text(s, 3));
	bool stix = !strcmp((const char *)sqlite3_column_text(s, 5), "stix");
	if (stix) {
		fed_hex_parse((const char *)sqlite3_column_text(s, 4), 64, e.sha256, 32);
		e.size = (uint64_t)sqlite3_column_int64(s, 7);
	}
	e.version = 1;
	e.signed_at = sqlite3_column_int64(s, 6);
	sqlite3_reset(s);
	if (!stix) {
		char *path = node_report_file(node, e.report, "json");
		rc = hash_file(path, e.sha256, &e.size);
		if (rc)
			log_err_errno("event=report_sign path=%s", path);
		free(path);
		if (rc)
			goto out;
	}
	e.recipients = recipients_of(c, e.audience);
	buf_init(&msg, SIZE_MAX / 2);
	fed_canonical(&e, &msg);
	fed_key_sign(k, msg.data, msg.len, e.sig);
	buf_release(&msg);
	sodium_bin2hex(sig_hex, sizeof(sig_hex), e.sig, sizeof(e.sig));
	sodium_bin2hex(sha_hex, sizeof(sha_hex), e.sha256, sizeof(e.sha256));
	s = store_stmt(c, "INSERT INTO signatures(report, origin_key, origin_name, origin_member, "
			  "origin_report, version, signed_at, tlp, audience, recipients, sha256, "
			  "size, signature) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(s, 1, st->seq);
	sqlite3_bind_text(s, 2, e.origin_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, e.origin_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, e.origin_member);
	sqlite3_bind_text(s, 5, e.report, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, e.version);
	sqlite3_bind_int64(s, 7, e.signed_at);
	sqlite3_bind_text(s, 8, e.tlp, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, e.audience, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, e.recipients, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, sha_hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 12, (int64_t)e.size);
	sqlite3_bind_text(s, 13, sig_hex, -1, SQLITE_STATIC);
	rc = store_step_done(c, s, "signature_insert");
out:
	fed_envelope_release(&e);
	return rc;
}

static void sign_done(void *state, int rc)
{
	free(state);
}

const struct index_subscriber federation_sign_subscriber = {
    .name = "federation-sign",
    .begin = sign_begin,
    .record = sign_record,
    .done = sign_done,
};
