/* The scope rules, against a real directory in a temporary store. */
#include <setjmp.h>
#include <cmocka.h>

#include "directory/members.h"
#include "policy/audience.h"
#include "policy/policy.h"

#include <sys/stat.h>

struct fixture {
	char dir[64];
	struct store *st;
	struct directory *d;
	int64_t a, b, c, g;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct err_detail e;
	char tok[TOKEN_TEXT_MAX];
	int64_t tid;
	snprintf(f->dir, sizeof(f->dir), "/tmp/atalaya-policy-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(token_init(), ERR_OK);
	assert_int_equal(store_open(f->dir, 2, &f->st, &e), ERR_OK);
	assert_int_equal(
	    directory_member_create(f->st, "A", "isp", "AR", "[]", "analyst", 0, &f->a, tok, &tid),
	    0);
	assert_int_equal(
	    directory_member_create(f->st, "B", "isp", "BR", "[]", "analyst", 0, &f->b, tok, &tid),
	    0);
	assert_int_equal(
	    directory_member_create(f->st, "C", "isp", "CL", "[]", "analyst", 0, &f->c, tok, &tid),
	    0);
	struct store_conn *c;
	assert_int_equal(store_write_begin(f->st, &c), 0);
	sqlite3_exec(store_db(c), "INSERT INTO groups(name, created, updated) VALUES ('g', 0, 0)",
		     0, 0, 0);
	f->g = sqlite3_last_insert_rowid(store_db(c));
	char sql[128];
	snprintf(sql, sizeof(sql), "INSERT INTO group_members VALUES (%lld, %lld)", (long long)f->g,
		 (long long)f->b);
	sqlite3_exec(store_db(c), sql, 0, 0, 0);
	assert_int_equal(store_write_end(f->st, 0), 0);
	assert_int_equal(directory_new(f->st, &f->d), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	directory_free(f->d);
	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void audience_canonical_and_checked(void **state)
{
	struct fixture *f = *state;
	struct buf out;
	struct err_detail e;
	char text[128];
	buf_init(&out, 4096);
	snprintf(text, sizeof(text), "member:%lld,group:%lld,member:%lld", (long long)f->c,
		 (long long)f->g, (long long)f->c);
	assert_int_equal(audience_from_text(text, f->d, "audience", &out, &e), ERR_OK);
	char want[128];
	snprintf(want, sizeof(want), "[\"group:%lld\",\"member:%lld\"]", (long long)f->g,
		 (long long)f->c);
	assert_string_equal(out.data, want);
	assert_int_equal(audience_from_text("", f->d, "audience", &out, &e), ERR_OK);
	assert_string_equal(out.data, "[]");
	assert_int_equal(audience_from_text("member:999", f->d, "audience", &out, &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "no member 999"));
	assert_int_equal(audience_from_text("group:0", f->d, "audience", &out, &e), ERR_INVALID);
	assert_int_equal(audience_from_text("everyone", f->d, "audience", &out, &e), ERR_INVALID);
	assert_int_equal(audience_from_text("member:1x", f->d, "audience", &out, &e), ERR_INVALID);
	buf_release(&out);
}

static void who_sees_what(void **state)
{
	struct fixture *f = *state;
	struct principal pa = {f->a, ROLE_ANALYST}, pb = {f->b, ROLE_ANALYST},
			 pc = {f->c, ROLE_ADMIN};
	char grp[64], named[64];
	snprintf(grp, sizeof(grp), "[\"group:%lld\"]", (long long)f->g);
	snprintf(named, sizeof(named), "[\"member:%lld\"]", (long long)f->b);
	struct policy_subject only = {f->a, "[]", TLP_AMBER}, all = {f->a, "[\"all\"]", TLP_GREEN},
			      group = {f->a, grp, TLP_AMBER}, red_named = {f->a, named, TLP_RED},
			      red_group = {f->a, grp, TLP_RED};
	/* the owner sees its own, whatever the audience */
	assert_true(policy_may_see(f->d, &pa, &only, POLICY_REPORT_GET));
	assert_false(policy_may_see(f->d, &pb, &only, POLICY_REPORT_GET));
	/* an admin gets no exemption from scope */
	assert_false(policy_may_see(f->d, &pc, &only, POLICY_REPORT_GET));
	assert_true(policy_may_see(f->d, &pc, &all, POLICY_REPORT_LIST));
	assert_true(policy_may_see(f->d, &pb, &group, POLICY_OBJECT_GET));
	assert_false(policy_may_see(f->d, &pc, &group, POLICY_OBJECT_GET));
	assert_true(policy_may_see(f->d, &pb, &red_named, POLICY_REPORT_BUNDLE));
	assert_false(policy_may_see(f->d, &pb, &red_group, POLICY_REPORT_BUNDLE));
	/* audit: originator only */
	assert_true(policy_may_see(f->d, &pa, &all, POLICY_REPORT_AUDIT));
	assert_false(policy_may_see(f->d, &pb, &all, POLICY_REPORT_AUDIT));
	/* DNS: anonymous, CLEAR and shared with all only */
	struct policy_subject clear = {f->a, "[\"all\"]", TLP_CLEAR},
			      none = {f->a, "[\"all\"]", TLP_NONE};
	assert_true(policy_may_see(f->d, NULL, &clear, POLICY_DNS));
	assert_false(policy_may_see(f->d, NULL, &all, POLICY_DNS));
	assert_false(policy_may_see(f->d, NULL, &none, POLICY_DNS));
	assert_false(policy_may_see(f->d, NULL, &clear, POLICY_REPORT_GET));
	struct err_detail e;
	assert_int_equal(policy_check_scope(TLP_RED, "[\"all\"]", &e), ERR_INVALID);
	assert_int_equal(policy_check_scope(TLP_RED, named, &e), ERR_OK);
	assert_int_equal(policy_check_scope(TLP_AMBER, "[\"all\"]", &e), ERR_OK);
}

/* Federation: what goes into a peer's feed, and who sees what a peer sends. */
static void peers(void **state)
{
	struct fixture *f = *state;
	const char *k1 = "1111111111111111111111111111111111111111111111111111111111111111";
	const char *k2 = "2222222222222222222222222222222222222222222222222222222222222222";
	const char *k3 = "3333333333333333333333333333333333333333333333333333333333333333";
	char rcpt[200], peer_aud[128], wide[128];
	snprintf(rcpt, sizeof(rcpt), "%s,%s", k1, k2);
	struct policy_peer p1 = {1, k1, NULL, 0}, p2 = {2, k2, NULL, 0}, p3 = {3, k3, NULL, 0};
	struct policy_subject local = {f->a, "[\"member:2\",\"peer:1\"]", TLP_AMBER};
	/* made here: the audience must name the peer, and the signed list its key */
	assert_true(policy_peer_may_receive(&local, true, k3, rcpt, &p1));
	assert_false(policy_peer_may_receive(&local, true, k3, rcpt, &p2));
	assert_false(policy_peer_may_receive(&local, true, k3, rcpt, &p3));
	/* received: on only to a node the origin named, never back to the origin */
	assert_true(policy_peer_may_receive(&local, false, k3, rcpt, &p2));
	assert_false(policy_peer_may_receive(&local, false, k1, rcpt, &p1));
	assert_false(policy_peer_may_receive(&local, false, k1, k2, &p3));
	/* a key that is a prefix of an item does not match */
	struct policy_peer half = {9, "1111", NULL, 0};
	assert_false(policy_peer_may_receive(&local, false, k3, rcpt, &half));
	/* made here for a group: the peers the group holds (p2 in group 5) */
	const int64_t g5[] = {5}, g6[] = {6};
	struct policy_subject grouped = {f->a, "[\"group:5\"]", TLP_AMBER};
	struct policy_peer in5 = {2, k2, g5, 1}, in6 = {2, k2, g6, 1};
	assert_true(policy_peer_may_receive(&grouped, true, k3, rcpt, &in5));
	assert_false(policy_peer_may_receive(&grouped, true, k3, rcpt, &in6));
	assert_false(policy_peer_may_receive(&grouped, true, k3, rcpt, &p2));

	/* the audience here of a report from a peer */
	struct buf out;
	buf_init(&out, 4096);
	snprintf(peer_aud, sizeof(peer_aud), "[\"group:%lld\",\"member:%lld\",\"member:%lld\"]",
		 (long long)f->g, (long long)f->a, (long long)f->c);
	snprintf(wide, sizeof(wide), "[\"member:%lld\",\"member:%lld\"]", (long long)f->a,
		 (long long)f->c);
	assert_int_equal(policy_peer_audience(f->d, TLP_RED, peer_aud, f->a, &out), ERR_OK);
	assert_string_equal(out.data, wide); /* RED: named members only */
	assert_int_equal(policy_peer_audience(f->d, TLP_AMBER, peer_aud, f->a, &out), ERR_OK);
	assert_string_equal(out.data, peer_aud);
	snprintf(wide, sizeof(wide), "[\"member:%lld\"]", (long long)f->a);
	assert_int_equal(policy_peer_audience(f->d, TLP_AMBER_STRICT, peer_aud, f->a, &out),
			 ERR_OK);
	assert_string_equal(out.data, wide); /* AMBER+STRICT: the node's own member */
	assert_int_equal(policy_peer_audience(f->d, TLP_AMBER_STRICT, "[]", f->a, &out), ERR_OK);
	assert_string_equal(out.data, "[]");
	assert_int_equal(policy_peer_audience(f->d, TLP_RED, "[\"all\"]", f->a, &out), ERR_OK);
	assert_string_equal(out.data, "[]");
	/* peer:ID needs a peer of that id */
	struct err_detail e;
	assert_int_equal(audience_from_text("peer:1", f->d, "audience", &out, &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "no peer 1"));
	buf_release(&out);
}

static void tlp_markings(void **state)
{
	assert_int_equal(
	    tlp_from_marking_id("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
	    TLP_AMBER_STRICT);
	assert_int_equal(
	    tlp_from_marking_id("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
	    TLP_CLEAR);
	assert_int_equal(
	    tlp_from_marking_id("marking-definition--00000000-0000-4000-8000-000000000000"), -1);
	assert_int_equal(tlp_parse("AMBER+STRICT"), TLP_AMBER_STRICT);
	assert_int_equal(tlp_parse("white"), TLP_CLEAR);
	assert_int_equal(tlp_parse("purple"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(audience_canonical_and_checked),
	    cmocka_unit_test(who_sees_what),
	    cmocka_unit_test(peers),
	    cmocka_unit_test(tlp_markings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
