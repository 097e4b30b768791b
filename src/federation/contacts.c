#include "federation/contacts.h"
#include "federation/internal.h"
#include "http/answer.h"
#include "policy/audience.h"
#include "policy/policy.h"
#include "util/log.h"

#include <sodium.h>

/* What travels of a contact: not its webhook (a delivery endpoint of its own
 * node) nor its audience. Strings: name, then max bytes (0: optional). */
static const struct {
	const char *name;
	size_t max;
	bool required;
} text_fields[] = {
    {"member", 200, true}, {"role", 32, true},	 {"name", 200, true},
    {"email", 254, true},  {"phone", 40, false}, {"pgp_fingerprint", 100, false},
};
#define NTEXT (sizeof(text_fields) / sizeof(text_fields[0]))

#define CONTACT_PREFIX "atalaya-contact-v1"

/* A JSON value's canonical text: compact, keys sorted (languages and
 * availability are ASCII by the directory's checks). */
static int field_json(struct buf *out, json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	int rc = fed_field_str(out, t ? t : "null");
	free(t);
	return rc;
}

static int field_opt(struct buf *out, json_t *it, const char *name)
{
	const char *v = json_string_value(json_object_get(it, name));
	return fed_field_str(out, v ? v : "");
}

/* The bytes the sharing node signs for one shared contact (federation.md:
 * "Points of contact"): who signs, the node it is shared with, and every
 * field that travels. `it` is the item as served. */
static int contact_canonical(const unsigned char signer_pk[FED_KEY_BYTES],
			     const char *recipient_hex, json_t *it, struct buf *out)
{
	static const char *const texts[] = {"member", "role",  "name",
					    "email",  "phone", "pgp_fingerprint"};
	buf_reset(out);
	int rc = buf_add(out, CONTACT_PREFIX, sizeof(CONTACT_PREFIX) - 1);
	if (!rc)
		rc = fed_field(out, signer_pk, FED_KEY_BYTES);
	if (!rc)
		rc = fed_field_str(out, recipient_hex);
	if (!rc)
		rc = fed_field_int(out, json_integer_value(json_object_get(it, "id")));
	for (size_t k = 0; !rc && k < sizeof(texts) / sizeof(texts[0]); k++)
		rc = field_opt(out, it, texts[k]);
	if (!rc)
		rc = field_json(out, json_object_get(it, "languages"));
	if (!rc)
		rc = field_json(out, json_object_get(it, "availability"));
	if (!rc)
		rc = fed_field_int(out,
				   json_integer_value(json_object_get(it, "escalation_position")));
	if (!rc)
		rc = fed_field_int(out, json_integer_value(json_object_get(it, "updated")));
	return rc;
}

bool fed_contact_verify(const unsigned char signer_pk[FED_KEY_BYTES], const char *recipient_hex,
			json_t *it)
{
	unsigned char sig[FED_SIG_BYTES];
	const char *hex = json_string_value(json_object_get(it, "signature"));
	struct buf msg;
	if (!hex || !fed_hex_parse(hex, strlen(hex), sig, sizeof(sig)))
		return false;
	buf_init(&msg, (size_t)1 << 20);
	bool ok = !contact_canonical(signer_pk, recipient_hex, it, &msg) &&
		  fed_verify(signer_pk, msg.data, msg.len, sig);
	buf_release(&msg);
	return ok;
}

static void get_shared(struct request *r)
{
	struct federation *f = r->node->fed;
	struct err_detail err;
	int64_t peer, member;
	char item[40], peer_key[FED_KEY_HEX], sig_hex[FED_SIG_HEX];
	unsigned char pk[FED_KEY_BYTES], sig[FED_SIG_BYTES];
	struct buf msg;

	err_clear(&err);
	if (!f || federation_check_request(
		      f, http_header(r, "X-Atalaya-Node"), http_header(r, "X-Atalaya-Time"),
		      http_header(r, "X-Atalaya-Signature"), "GET", "/api/v1/federation/contacts",
		      0, &peer, &member, &err)) {
		log_warn("event=feed_refused field=%s error=\"%s\"", err.field, err.message);
		http_error(r, 401, "unauthorized", err.field, "%s", err.message);
		return;
	}
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	fed_key_parse(http_header(r, "X-Atalaya-Node"), pk, peer_key);
	buf_init(&msg, (size_t)1 << 20);
	snprintf(item, sizeof(item), "\"peer:%" PRId64 "\"", peer);
	sqlite3_stmt *s = store_stmt(
	    c, "SELECT c.id, m.name, c.role, c.name, c.email, c.phone, c.pgp_fingerprint, "
	       "c.languages, c.availability, c.escalation_position, c.updated, c.member_id, "
	       "c.audience FROM contacts c JOIN members m ON m.id = c.member_id "
	       "WHERE m.deleted IS NULL AND instr(c.audience, ?) ORDER BY c.id");
	sqlite3_bind_text(s, 1, item, -1, SQLITE_STATIC);
	json_t *items = json_array();
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct policy_subject o = {sqlite3_column_int64(s, 11),
					   (const char *)sqlite3_column_text(s, 12), TLP_NONE};
		if (!policy_peer_may_see_contact(&o, peer))
			continue;
		json_t *it = json_pack(
		    "{sI so so so so so so so so sI sI}", "id",
		    (json_int_t)sqlite3_column_int64(s, 0), "member", http_col_text(s, 1), "role",
		    http_col_text(s, 2), "name", http_col_text(s, 3), "email", http_col_text(s, 4),
		    "phone", http_col_text(s, 5), "pgp_fingerprint", http_col_text(s, 6),
		    "languages", http_col_json(s, 7), "availability", http_col_json(s, 8),
		    "escalation_position", (json_int_t)sqlite3_column_int64(s, 9), "updated",
		    (json_int_t)sqlite3_column_int64(s, 10));
		/* signed by this node for the caller: TLS no longer vouches for it alone */
		contact_canonical(f->key.pk, peer_key, it, &msg);
		fed_key_sign(&f->key, msg.data, msg.len, sig);
		sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
		json_object_set_new(it, "signature", json_string(sig_hex));
		json_array_append_new(items, it);
	}
	sqlite3_reset(s);
	buf_release(&msg);
	http_json(r, 200, json_pack("{so}", "items", items));
}

int fed_contacts_parse(const char *body, size_t len, json_t **items, struct err_detail *err)
{
	json_error_t je;
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	json_t *arr = json_object_get(doc, "items"), *it;
	size_t i;
	int rc = ERR_OK;

	if (!json_is_array(arr)) {
		json_decref(doc);
		return err_set(err, ERR_SYNTAX, "items", "contacts: not {\"items\":[...]}");
	}
	if (json_array_size(arr) > FED_CONTACTS_MAX) {
		json_decref(doc);
		return err_set(err, ERR_INVALID, "items", "contacts: more than %d",
			       FED_CONTACTS_MAX);
	}
	json_array_foreach(arr, i, it)
	{
		json_t *v;
		for (size_t k = 0; k < NTEXT && !rc; k++) {
			v = json_object_get(it, text_fields[k].name);
			if ((!v || json_is_null(v)) && !text_fields[k].required)
				continue;
			if (!json_is_string(v) || !json_string_length(v) ||
			    json_string_length(v) > text_fields[k].max ||
			    strlen(json_string_value(v)) != json_string_length(v))
				rc = err_set(err, ERR_INVALID, text_fields[k].name,
					     "items[%zu].%s: not a string of 1 to %zu bytes", i,
					     text_fields[k].name, text_fields[k].max);
		}
		if (rc)
			break;
		v = json_object_get(it, "id");
		json_t *pos = json_object_get(it, "escalation_position"),
		       *upd = json_object_get(it, "updated"),
		       *langs = json_object_get(it, "languages"),
		       *avail = json_object_get(it, "availability");
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			rc = err_set(err, ERR_INVALID, "id", "items[%zu].id: not an id", i);
		else if (!json_is_integer(pos) || json_integer_value(pos) < 0)
			rc = err_set(err, ERR_INVALID, "escalation_position",
				     "items[%zu].escalation_position: not an integer >= 0", i);
		else if (!json_is_integer(upd) || json_integer_value(upd) < 0)
			rc = err_set(err, ERR_INVALID, "updated",
				     "items[%zu].updated: not a time in ms", i);
		else if (!json_is_array(langs) || json_array_size(langs) > 20)
			rc = err_set(err, ERR_INVALID, "languages",
				     "items[%zu].languages: not an array of at most 20", i);
		else if (!(json_is_string(avail) || json_is_object(avail)))
			rc = err_set(err, ERR_INVALID, "availability",
				     "items[%zu].availability: not a string or an object", i);
		if (rc)
			break;
	}
	if (!rc)
		*items = json_incref(arr);
	json_decref(doc);
	return rc;
}

/* A peer's shared contacts, for the members this node's admin gave the
 * peer (its audience), as for the reports it originates. */
static void get_peer_contacts(struct request *r)
{
	struct store_conn *c = node_reader(r);
	if (!c)
		return;
	sqlite3_stmt *s = store_stmt(c, "SELECT member, audience FROM peers WHERE id = ?");
	sqlite3_bind_int64(s, 1, r->id[0]);
	bool ok = false;
	if (sqlite3_step(s) == SQLITE_ROW) {
		struct policy_subject o = {sqlite3_column_int64(s, 0),
					   (const char *)sqlite3_column_text(s, 1), TLP_NONE};
		ok = policy_may_see(r->node->dir, &r->who, &o, POLICY_CONTACT_LIST);
	}
	sqlite3_reset(s);
	if (!ok) {
		http_error(r, 404, "not_found", NULL, "no peer %" PRId64, r->id[0]);
		return;
	}
	s = store_stmt(c, "SELECT origin_id, member, role, name, email, phone, pgp_fingerprint, "
			  "languages, availability, escalation_position, updated FROM "
			  "peer_contacts WHERE peer = ? ORDER BY member, escalation_position, "
			  "origin_id");
	sqlite3_bind_int64(s, 1, r->id[0]);
	json_t *items = json_array();
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(
		    items,
		    json_pack("{sI so so so so so so so so sI so}", "id",
			      (json_int_t)sqlite3_column_int64(s, 0), "member", http_col_text(s, 1),
			      "role", http_col_text(s, 2), "name", http_col_text(s, 3), "email",
			      http_col_text(s, 4), "phone", http_col_text(s, 5), "pgp_fingerprint",
			      http_col_text(s, 6), "languages", http_col_json(s, 7), "availability",
			      http_col_json(s, 8), "escalation_position",
			      (json_int_t)sqlite3_column_int64(s, 9), "updated",
			      http_col_time(s, 10)));
	sqlite3_reset(s);
	http_json(r, 200, json_pack("{so}", "items", items));
}

const struct route federation_contact_routes[] = {
    {"GET", "/api/v1/federation/contacts", get_shared, ROUTE_PUBLIC, NULL,
     "points of contact shared with the calling peer node (signed request)"},
    {"GET", "/api/v1/peers/{id}/contacts", get_peer_contacts, 0, NULL,
     "points of contact a peer node shares with this node"},
    {0},
};
