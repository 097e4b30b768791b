/* The signed canonical form against the test vector of
 * docs/internals/federation.md (made with PyNaCl from the documentation),
 * and a feed page written then read back. */
#include <setjmp.h>
#include <cmocka.h>

#include "federation/envelope.h"
#include "federation/sightings.h"

#include <sodium.h>

static const char bundle[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\","
    "\"objects\":[]}";

/* The vector's envelope, signed by the key whose seed is 32 bytes of 0x01. */
static void vector(struct fed_envelope *e, struct fed_key *k)
{
	unsigned char seed[32];
	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	sodium_bin2hex(k->pk_hex, sizeof(k->pk_hex), k->pk, sizeof(k->pk));
	memset(e, 0, sizeof(*e));
	e->seq = 7;
	memcpy(e->origin_pk, k->pk, sizeof(k->pk));
	memcpy(e->origin_key, k->pk_hex, sizeof(k->pk_hex));
	snprintf(e->origin_name, sizeof(e->origin_name), "CERT-UY");
	e->origin_member = 1;
	snprintf(e->report, sizeof(e->report), "report--00000000-0000-4000-8000-000000000001");
	e->version = 1;
	e->signed_at = 1796294597008;
	snprintf(e->tlp, sizeof(e->tlp), "amber");
	e->audience = strdup("[\"member:3\",\"peer:2\"]");
	e->recipients = strdup("0202020202020202020202020202020202020202020202020202020202020202");
	e->size = sizeof(bundle) - 1;
	crypto_hash_sha256(e->sha256, (const unsigned char *)bundle, e->size);
}

static void canonical_vector(void **state)
{
	struct fed_envelope e;
	struct fed_key k;
	struct buf b;
	unsigned char h[32];
	char hex[129];
	vector(&e, &k);
	assert_string_equal(k.pk_hex,
			    "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
	buf_init(&b, 1 << 16);
	assert_int_equal(fed_canonical(&e, &b), ERR_OK);
	assert_int_equal(b.len, 283);
	crypto_hash_sha256(h, (const unsigned char *)b.data, b.len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	assert_string_equal(hex,
			    "552a219121f5aaad70345a6ba3345bbd0cf1915031708e8ebd88225983971058");
	fed_key_sign(&k, b.data, b.len, e.sig);
	sodium_bin2hex(hex, sizeof(hex), e.sig, sizeof(e.sig));
	assert_string_equal(hex,
			    "4f664bc822463ad82cd7a238650f662475bbce1098e91493b5302dbb44c953da"
			    "083cb4fa75952fcd18a6f0c4deaa837e0fe5b36a054c77e596d2b6a7ba5c830e");
	assert_true(fed_envelope_verify(&e));
	/* one bit anywhere: the bundle's hash, the scope, the origin */
	e.sha256[31] ^= 1;
	assert_false(fed_envelope_verify(&e));
	e.sha256[31] ^= 1;
	e.tlp[0] = 'A';
	assert_false(fed_envelope_verify(&e));
	e.tlp[0] = 'a';
	e.origin_member = 2;
	assert_false(fed_envelope_verify(&e));
	buf_release(&b);
	fed_envelope_release(&e);
}

/* A sighting about the vector's report (federation.md, "Sightings about a
 * report"), signed by the same key as node "CERT-BR"; made with PyNaCl. */
static void sighting_vector(void **state)
{
	static const char report_sig[] =
	    "4f664bc822463ad82cd7a238650f662475bbce1098e91493b5302dbb44c953da"
	    "083cb4fa75952fcd18a6f0c4deaa837e0fe5b36a054c77e596d2b6a7ba5c830e";
	struct fed_envelope e;
	struct fed_key k;
	struct fed_sighting g;
	struct buf b;
	unsigned char h[32], sig[FED_SIG_BYTES];
	char hex[129];
	vector(&e, &k);
	memset(&g, 0, sizeof(g));
	memcpy(g.signer_pk, k.pk, sizeof(k.pk));
	g.signer_name = "CERT-BR";
	snprintf(g.id, sizeof(g.id), "sighting--00000000-0000-4000-8000-000000000002");
	g.made_at = 1796294600000;
	memset(g.origin_pk, 2, sizeof(g.origin_pk));
	snprintf(g.report, sizeof(g.report), "%s", e.report);
	g.version = 1;
	fed_hex_parse(report_sig, 128, sig, sizeof(sig));
	crypto_hash_sha256(g.report_sig_sha256, sig, sizeof(sig));
	sodium_bin2hex(hex, sizeof(hex), g.report_sig_sha256, 32);
	assert_string_equal(hex,
			    "8c14f01271dac3dc65f3f127a6b870a92a3fe66db89f1eed75fc086d749d9241");
	g.value = "198.51.100.7";
	g.kind = "ipv4";
	g.count = 3;
	g.seen_at = 1796294590000;
	g.recipients = "0303030303030303030303030303030303030303030303030303030303030303";
	buf_init(&b, 1 << 16);
	assert_int_equal(fed_sighting_canonical(&g, &b), ERR_OK);
	assert_int_equal(b.len, 372);
	crypto_hash_sha256(h, (const unsigned char *)b.data, b.len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	assert_string_equal(hex,
			    "4a0c4356d8783d2492bf4642f479e1d9bb6aa0ea4e5eb229ca5c73117d10721e");
	fed_key_sign(&k, b.data, b.len, g.sig);
	sodium_bin2hex(hex, sizeof(hex), g.sig, sizeof(g.sig));
	assert_string_equal(hex,
			    "1ef0aba3f0013776c067c7fb8a3941090f7f491f35644cac8ae460a24782f9c7"
			    "c9bbd694f728ea71ec9a129015434dd570e2548b30efac03b3d9eb780b21240f");
	buf_release(&b);
	fed_envelope_release(&e);
}

static void page_round_trip(void **state)
{
	struct fed_envelope e, got;
	struct fed_key k;
	struct fed_trailer t = {.cursor = 7, .more = true, .pending = 3, .oldest_ms = 42}, tt;
	struct err_detail err;
	struct buf page, c1, c2;
	const char *data;
	size_t pos = 0;
	vector(&e, &k);
	e.origin_seq = 5; /* relayed: its position at its origin travels (not signed) */
	buf_init(&page, 1 << 16);
	buf_init(&c1, 1 << 16);
	buf_init(&c2, 1 << 16);
	struct jdoc doc;
	jdoc_init(&doc, 4);
	fed_canonical(&e, &c1);
	fed_key_sign(&k, c1.data, c1.len, e.sig);
	snprintf(t.contacts, sizeof(t.contacts), "1.2.3");
	fed_envelope_write(&e, &page);
	buf_addc(&page, '\n');
	buf_add(&page, bundle, sizeof(bundle) - 1);
	buf_addc(&page, '\n');
	fed_trailer_write(&t, &page);
	assert_int_equal(fed_feed_next(&doc, page.data, page.len, &pos, &got, &data, &tt, &err),
			 ERR_OK);
	assert_non_null(data);
	assert_memory_equal(data, bundle, sizeof(bundle) - 1);
	assert_int_equal(got.seq, 7);
	assert_int_equal(got.origin_seq, e.origin_seq);
	fed_canonical(&got, &c2);
	assert_int_equal(c1.len, c2.len);
	assert_memory_equal(c1.data, c2.data, c1.len);
	assert_true(fed_envelope_verify(&got));
	fed_envelope_release(&got);
	assert_int_equal(fed_feed_next(&doc, page.data, page.len, &pos, &got, &data, &tt, &err),
			 ERR_OK);
	assert_null(data);
	assert_int_equal(tt.cursor, 7);
	assert_true(tt.more);
	assert_int_equal(tt.pending, 3);
	assert_string_equal(tt.contacts, "1.2.3");
	assert_int_equal(pos, page.len);
	/* a bundle one byte short of its size: refused, nothing consumed */
	pos = 0;
	page.len = (size_t)(strchr(page.data, '\n') - page.data) + 1 + sizeof(bundle) - 2;
	assert_int_equal(fed_feed_next(&doc, page.data, page.len, &pos, &got, &data, &tt, &err),
			 ERR_INVALID);
	assert_string_equal(err.field, "size");
	assert_int_equal(pos, 0);
	buf_release(&page);
	buf_release(&c1);
	buf_release(&c2);
	jdoc_release(&doc);
	fed_envelope_release(&e);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(canonical_vector),
	    cmocka_unit_test(sighting_vector),
	    cmocka_unit_test(page_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
