#include "web/session.h"

#include "http/answer.h"
#include "node.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/validate.h"
#include "web/totp.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>

#define SID_LEN 32 /* bytes of a session id: 256 bits */
#define SID_TEXT_MAX sodium_base64_ENCODED_LEN(SID_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING)
#define ENROL_LEN 24
#define PASSWORD_MIN 12
#define PASSWORD_MAX 1024
#define EMAIL_MAX 254

static const char *const role_names[] = {"reader", "analyst", "admin"};

/* --- the client address's failure budget (in memory: a restart forgives) --- */

#define ADDR_SLOTS 1024
static struct addr_slot {
	char addr[INET6_ADDRSTRLEN];
	int64_t window_start_ms;
	int64_t failures;
} addr_slots[ADDR_SLOTS];
static pthread_mutex_t addr_lock = PTHREAD_MUTEX_INITIALIZER;

static void client_address(struct request *r, char out[INET6_ADDRSTRLEN])
{
	const union MHD_ConnectionInfo *ci =
	    r->conn ? MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
	snprintf(out, INET6_ADDRSTRLEN, "unknown");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
			  INET6_ADDRSTRLEN);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  INET6_ADDRSTRLEN);
}

/* The address's slot (a hash table without chains: a colliding address takes
 * the slot over, which only ever forgives). Under addr_lock. */
static struct addr_slot *addr_slot(const char *addr, int64_t now, int64_t window_ms)
{
	uint64_t h = 14695981039346656037ULL;
	for (const char *p = addr; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	struct addr_slot *s = &addr_slots[h % ADDR_SLOTS];
	if (strcmp(s->addr, addr) || now - s->window_start_ms > window_ms) {
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		s->window_start_ms = now;
		s->failures = 0;
	}
	return s;
}

/* --- records --- */

static void record_signin(struct request *r, const char *email, int64_t user_id, const char *addr,
			  const char *outcome)
{
	struct store_conn *c;
	if (store_write_begin(r->node->st, &c))
		return;
	sqlite3_stmt *s = store_stmt(
	    c, "INSERT INTO signins(at, email, user_id, address, outcome) VALUES (?,?,?,?,?)");
	int rc = ERR_STORE;
	if (s) {
		sqlite3_bind_int64(s, 1, time_now_ms());
		sqlite3_bind_text(s, 2, email, -1, SQLITE_TRANSIENT);
		if (user_id)
			sqlite3_bind_int64(s, 3, user_id);
		sqlite3_bind_text(s, 4, addr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 5, outcome, -1, SQLITE_STATIC);
		rc = store_step_done(c, s, "signin_insert");
	}
	store_write_end(r->node->st, rc);
	log_info("event=web_signin user=%" PRId64 " address=%s outcome=%s", user_id, addr, outcome);
}

/* --- sessions --- */

static void sid_hash(const uint8_t sid[SID_LEN], uint8_t out[32])
{
	crypto_generichash(out, 32, sid, SID_LEN, (const unsigned char *)"atalaya-session", 15);
}

static void csrf_of(const uint8_t sid[SID_LEN], char out[SESSION_CSRF_MAX])
{
	uint8_t mac[32];
	crypto_generichash(mac, sizeof(mac), (const unsigned char *)"csrf", 4, sid, SID_LEN);
	sodium_bin2base64(out, SESSION_CSRF_MAX, mac, sizeof(mac),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The session id of the request's Cookie header, decoded; false when none. */
static bool cookie_sid(struct request *r, uint8_t sid[SID_LEN])
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
	size_t n;
	return v &&
	       !sodium_base642bin(sid, SID_LEN, v, strlen(v), NULL, &n, NULL,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING) &&
	       n == SID_LEN;
}

static void set_cookie(struct request *r, const char *value, int64_t max_age)
{
	/* Secure: browsers keep it over http:// only on localhost/127.0.0.1
	 * (docs/internals/web.md); a node reached elsewhere needs HTTPS. */
	snprintf(r->cookie, sizeof(r->cookie),
		 SESSION_COOKIE "=%s; Path=/; Max-Age=%" PRId64
				"; HttpOnly; Secure; SameSite=Strict",
		 value, max_age);
}

static int delete_session(struct store *st, const uint8_t hash[32])
{
	struct store_conn *c;
	int rc = store_write_begin(st, &c);
	if (rc)
		return rc;
	sqlite3_stmt *s = store_stmt(c, "DELETE FROM web_sessions WHERE hash = ?");
	if (!s)
		rc = ERR_STORE;
	else {
		sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
		rc = store_step_done(c, s, "session_delete");
	}
	return store_write_end(st, rc);
}

int session_find(struct request *r, struct web_session *out)
{
	static const char sql[] =
	    "SELECT u.id, u.member_id, u.role, m.role, u.email, u.language, s.created, s.seen "
	    "FROM web_sessions s JOIN users u ON u.id = s.user_id "
	    "JOIN members m ON m.id = u.member_id AND m.deleted IS NULL WHERE s.hash = ?";
	uint8_t sid[SID_LEN], hash[32];
	const struct config *cfg = r->node->cfg;
	int rc = ERR_UNAUTH;
	if (!cookie_sid(r, sid))
		return ERR_UNAUTH;
	sid_hash(sid, hash);
	struct store_conn *c = node_reader(r);
	if (!c)
		return ERR_STORE;
	sqlite3_stmt *s = store_stmt(c, sql);
	if (!s)
		return ERR_STORE;
	sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
	int64_t now = time_now_ms(), seen = 0;
	bool expired = false;
	if (sqlite3_step(s) == SQLITE_ROW) {
		int64_t created = sqlite3_column_int64(s, 6);
		seen = sqlite3_column_int64(s, 7);
		expired = now - seen > cfg->web_session_idle_seconds * 1000 ||
			  now - created > cfg->web_session_max_seconds * 1000;
		if (!expired) {
			int ur = role_parse((const char *)sqlite3_column_text(s, 2));
			int mr = role_parse((const char *)sqlite3_column_text(s, 3));
			out->user_id = sqlite3_column_int64(s, 0);
			out->who.member_id = sqlite3_column_int64(s, 1);
			out->who.role = (enum role)(ur < mr ? ur : mr);
			snprintf(out->email, sizeof(out->email), "%s",
				 (const char *)sqlite3_column_text(s, 4));
			out->has_lang =
			    i18n_parse((const char *)sqlite3_column_text(s, 5), &out->lang);
			csrf_of(sid, out->csrf);
			rc = ur < 0 || mr < 0 ? ERR_UNAUTH : ERR_OK;
		}
	}
	sqlite3_reset(s);
	if (expired) {
		delete_session(r->node->st, hash);
		return ERR_UNAUTH;
	}
	/* The idle clock restarts; written at most every 30 s (or half the idle
	 * timeout, when shorter), not on every page. */
	int64_t every = cfg->web_session_idle_seconds * 500;
	if (!rc && now - seen > (every < 30000 ? every : 30000)) {
		struct store_conn *w;
		if (!store_write_begin(r->node->st, &w)) {
			sqlite3_stmt *u =
			    store_stmt(w, "UPDATE web_sessions SET seen = ? WHERE hash = ?");
			int wrc = ERR_STORE;
			if (u) {
				sqlite3_bind_int64(u, 1, now);
				sqlite3_bind_blob(u, 2, hash, sizeof(hash), SQLITE_TRANSIENT);
				wrc = store_step_done(w, u, "session_touch");
			}
			store_write_end(r->node->st, wrc);
		}
	}
	sodium_memzero(sid, sizeof(sid));
	return rc;
}

static int start_session(struct request *r, int64_t user_id)
{
	uint8_t sid[SID_LEN], hash[32];
	char text[SID_TEXT_MAX];
	struct store_conn *c;
	randombytes_buf(sid, sizeof(sid));
	sid_hash(sid, hash);
	sodium_bin2base64(text, sizeof(text), sid, sizeof(sid),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	int rc = store_write_begin(r->node->st, &c);
	if (rc)
		goto out;
	sqlite3_stmt *s = store_stmt(
	    c, "INSERT INTO web_sessions(hash, user_id, created, seen) VALUES (?,?,?,?)");
	if (!s) {
		rc = store_write_end(r->node->st, ERR_STORE);
		goto out;
	}
	int64_t now = time_now_ms();
	sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, user_id);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, now);
	rc = store_write_end(r->node->st, store_step_done(c, s, "session_insert"));
	if (!rc)
		set_cookie(r, text, r->node->cfg->web_session_max_seconds);
out:
	sodium_memzero(sid, sizeof(sid));
	sodium_memzero(text, sizeof(text));
	return rc;
}

int session_end(struct request *r, const struct web_session *ws, bool everywhere)
{
	uint8_t sid[SID_LEN], hash[32];
	struct store_conn *c;
	set_cookie(r, "", 0);
	if (!cookie_sid(r, sid))
		return ERR_OK;
	sid_hash(sid, hash);
	if (!everywhere)
		return delete_session(r->node->st, hash);
	int rc = store_write_begin(r->node->st, &c);
	if (rc)
		return rc;
	sqlite3_stmt *s = store_stmt(c, "DELETE FROM web_sessions WHERE user_id = ?");
	if (!s)
		return store_write_end(r->node->st, ERR_STORE);
	sqlite3_bind_int64(s, 1, ws->user_id);
	return store_write_end(r->node->st, store_step_done(c, s, "session_delete_all"));
}

bool session_csrf_ok(const struct web_session *s, const char *token)
{
	size_t n = strlen(s->csrf);
	return token && strlen(token) == n && sodium_memcmp(token, s->csrf, n) == 0;
}

int session_set_language(struct request *r, const struct web_session *ws, enum lang l)
{
	struct store_conn *c;
	int rc = store_write_begin(r->node->st, &c);
	if (rc)
		return rc;
	sqlite3_stmt *s = store_stmt(c, "UPDATE users SET language = ? WHERE id = ?");
	if (!s)
		return store_write_end(r->node->st, ERR_STORE);
	sqlite3_bind_text(s, 1, i18n_code(l), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, ws->user_id);
	return store_write_end(r->node->st, store_step_done(c, s, "user_language"));
}

/* --- sign-in --- */

/* A hash to verify against when the account does not exist, so that an
 * unknown e-mail costs the same time as a wrong password. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy(void)
{
	char pw[16];
	randombytes_buf(pw, sizeof(pw));
	if (crypto_pwhash_str(dummy_hash, pw, sizeof(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE))
		dummy_hash[0] = '\0';
}

/* Adds a failure to the account (locking it at the limit), or clears them
 * and spends the TOTP step that signed in. */
static void account_outcome(struct request *r, int64_t user_id, bool ok, int64_t step)
{
	const struct config *cfg = r->node->cfg;
	struct store_conn *c;
	if (!user_id || store_write_begin(r->node->st, &c))
		return;
	sqlite3_stmt *s = store_stmt(
	    c, ok ? "UPDATE users SET failures = 0, locked_until = 0, totp_step = ?2 WHERE id = ?1"
		  : "UPDATE users SET failures = failures + 1, locked_until = CASE WHEN "
		    "failures + 1 >= ?2 THEN ?3 ELSE locked_until END WHERE id = ?1");
	int rc = ERR_STORE;
	if (s) {
		sqlite3_bind_int64(s, 1, user_id);
		if (ok)
			sqlite3_bind_int64(s, 2, step);
		else {
			sqlite3_bind_int64(s, 2, cfg->web_signin_failures_max);
			sqlite3_bind_int64(s, 3, time_now_ms() + cfg->web_lockout_seconds * 1000);
		}
		rc = store_step_done(c, s, "user_signin_outcome");
	}
	store_write_end(r->node->st, rc);
}

int session_signin(struct request *r, const char *email, const char *password, const char *code,
		   int64_t *retry_seconds)
{
	static const char sql[] =
	    "SELECT u.id, u.password_hash, u.totp_secret, u.locked_until, u.totp_step FROM users u "
	    "JOIN members m ON m.id = u.member_id AND m.deleted IS NULL WHERE u.email = ?";
	const struct config *cfg = r->node->cfg;
	char addr[INET6_ADDRSTRLEN], hash[crypto_pwhash_STRBYTES] = "";
	uint8_t totp[TOTP_SECRET_LEN];
	bool have_totp = false;
	int64_t user_id = 0, locked_until = 0, last_step = 0, step = 0, now = time_now_ms();
	int64_t window_ms = cfg->web_lockout_seconds * 1000;

	client_address(r, addr);
	*retry_seconds = 0;
	pthread_mutex_lock(&addr_lock);
	struct addr_slot *slot = addr_slot(addr, now, window_ms);
	if (slot->failures >= cfg->web_address_failures_max)
		*retry_seconds = (slot->window_start_ms + window_ms - now) / 1000 + 1;
	pthread_mutex_unlock(&addr_lock);
	if (*retry_seconds) {
		record_signin(r, email, 0, addr, "address_limited");
		return ERR_DENIED;
	}

	struct store_conn *c = node_reader(r);
	if (!c)
		return ERR_STORE;
	sqlite3_stmt *s = store_stmt(c, sql);
	if (!s)
		return ERR_STORE;
	sqlite3_bind_text(s, 1, email, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		user_id = sqlite3_column_int64(s, 0);
		if (sqlite3_column_text(s, 1))
			snprintf(hash, sizeof(hash), "%s", (const char *)sqlite3_column_text(s, 1));
		have_totp = sqlite3_column_bytes(s, 2) == TOTP_SECRET_LEN;
		if (have_totp)
			memcpy(totp, sqlite3_column_blob(s, 2), TOTP_SECRET_LEN);
		locked_until = sqlite3_column_int64(s, 3);
		last_step = sqlite3_column_int64(s, 4);
	}
	sqlite3_reset(s);

	if (locked_until > now) {
		*retry_seconds = (locked_until - now) / 1000 + 1;
		record_signin(r, email, user_id, addr, "locked");
		sodium_memzero(totp, sizeof(totp));
		return ERR_DENIED;
	}
	pthread_once(&dummy_once, make_dummy);
	/* A password past the cap is not hashed at all (the cap is checked first). */
	size_t pn = password ? strnlen(password, PASSWORD_MAX + 1) : 0;
	bool too_long = pn > PASSWORD_MAX;
	bool pw_ok = crypto_pwhash_str_verify(hash[0] ? hash : dummy_hash,
					      too_long || !password ? "" : password,
					      too_long ? 0 : pn) == 0 &&
		     hash[0] && !too_long;
	bool code_ok = have_totp && totp_check(totp, now / 1000, code, &step);
	bool replayed = code_ok && step <= last_step; /* a code counts once */
	sodium_memzero(totp, sizeof(totp));
	sodium_memzero(hash, sizeof(hash));
	if (!pw_ok || !code_ok || replayed) {
		pthread_mutex_lock(&addr_lock);
		addr_slot(addr, now, window_ms)->failures++;
		pthread_mutex_unlock(&addr_lock);
		account_outcome(r, user_id, false, 0);
		record_signin(r, email, user_id, addr,
			      !user_id	 ? "unknown"
			      : !pw_ok	 ? "bad_password"
			      : replayed ? "reused_code"
					 : "bad_code");
		return ERR_UNAUTH;
	}
	account_outcome(r, user_id, true, step);
	int rc = start_session(r, user_id);
	record_signin(r, email, user_id, addr, rc ? "error" : "ok");
	return rc;
}

/* --- accounts --- */

static bool strong_enough(const char *pw, struct err_detail *err, const char *field)
{
	size_t n = strlen(pw);
	if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
		err_set(err, ERR_INVALID, field, "%s: must be %d to %d characters long", field,
			PASSWORD_MIN, PASSWORD_MAX);
		return false;
	}
	return true;
}

static int hash_password(const char *pw, char out[crypto_pwhash_STRBYTES])
{
	return crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				 crypto_pwhash_MEMLIMIT_INTERACTIVE)
		   ? ERR_INTERNAL
		   : ERR_OK;
}

int session_enrol(struct request *r, const char *code, const char *password, char *email,
		  size_t email_size, char *b32, size_t b32_size, struct err_detail *err)
{
	uint8_t hash[32];
	char pwhash[crypto_pwhash_STRBYTES];
	struct store_conn *c;
	if (!code || !*code)
		return ERR_UNAUTH;
	if (!password || !strong_enough(password, err, "password"))
		return ERR_INVALID;
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)code, strlen(code), NULL, 0);
	if (hash_password(password, pwhash))
		return ERR_INTERNAL;
	int rc = store_write_begin(r->node->st, &c);
	if (rc)
		return rc;
	sqlite3_stmt *s = store_stmt(c, "UPDATE users SET password_hash = ?, enrol_hash = NULL "
					"WHERE enrol_hash = ? RETURNING email, totp_secret");
	if (!s) {
		rc = ERR_STORE;
		goto out;
	}
	sqlite3_bind_text(s, 1, pwhash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 2, hash, sizeof(hash), SQLITE_TRANSIENT);
	rc = ERR_UNAUTH;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 1) == TOTP_SECRET_LEN) {
		snprintf(email, email_size, "%s", (const char *)sqlite3_column_text(s, 0));
		totp_base32(sqlite3_column_blob(s, 1), TOTP_SECRET_LEN, b32, b32_size);
		rc = ERR_OK;
	}
	sqlite3_reset(s);
out:
	sodium_memzero(pwhash, sizeof(pwhash));
	return store_write_end(r->node->st, rc);
}

static const struct rj_field user_fields[] = {
    {"member", RJ_INT, RJ_REQUIRED, 1, INT64_MAX},
    {"email", RJ_STRING, RJ_REQUIRED, 3, EMAIL_MAX},
    {"role", RJ_STRING, 0, 1, 16},
    {"language", RJ_STRING, 0, 2, 2},
    {"password", RJ_STRING, 0, 1, PASSWORD_MAX},
};

#define USER_COLS "u.id, u.member_id, u.email, u.role, u.language, u.created"
static const struct col user_cols[] = {
    {"id", COL_INT},	{"member", COL_INT},	{"email", COL_TEXT},
    {"role", COL_TEXT}, {"language", COL_TEXT}, {"created", COL_TIME},
};

/* The member's role, or -1 when it does not exist. */
static int member_role(struct request *r, int64_t member)
{
	struct store_conn *c = node_reader(r);
	sqlite3_stmt *s = c ? store_stmt(c, "SELECT role FROM members WHERE id = ? AND "
					    "deleted IS NULL")
			    : NULL;
	int role = -1;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, member);
	if (sqlite3_step(s) == SQLITE_ROW)
		role = role_parse((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return role;
}

/* A new start for an account: a TOTP secret, and an enrolment code (shown
 * once) kept only as its hash. */
static void new_enrolment(uint8_t totp[TOTP_SECRET_LEN], char enrol[ENROL_LEN * 2],
			  uint8_t enrol_hash[32])
{
	uint8_t raw[ENROL_LEN];
	randombytes_buf(totp, TOTP_SECRET_LEN);
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(enrol, ENROL_LEN * 2, raw, sizeof(raw) / 2);
	crypto_generichash(enrol_hash, 32, (const unsigned char *)enrol, strlen(enrol), NULL, 0);
}

static void post_user(struct request *r)
{
	json_t *in =
	    http_decode(r, user_fields, sizeof(user_fields) / sizeof(user_fields[0]), false);
	struct err_detail err = {0};
	char pwhash[crypto_pwhash_STRBYTES] = "", enrol[ENROL_LEN * 2], b32[TOTP_BASE32_MAX];
	uint8_t totp[TOTP_SECRET_LEN], enrol_hash[32];
	struct store_conn *c;
	if (!in)
		return;
	int64_t member = json_integer_value(json_object_get(in, "member"));
	const char *email = json_string_value(json_object_get(in, "email"));
	const char *role = json_string_value(json_object_get(in, "role"));
	const char *lang = json_string_value(json_object_get(in, "language"));
	const char *pw = json_string_value(json_object_get(in, "password"));
	enum lang l;
	int mrole = member_role(r, member), urole = role ? role_parse(role) : mrole;
	if (mrole < 0) {
		http_error(r, 422, "invalid_field", "member", "member: no member %" PRId64, member);
		goto out;
	}
	if (!valid_email(email)) {
		http_error(r, 422, "invalid_field", "email", "email: '%s' is not an e-mail address",
			   email);
		goto out;
	}
	if (urole < 0 || urole > mrole) {
		http_error(r, 422, "invalid_field", "role",
			   "role: must be reader, analyst or admin, and no higher than the "
			   "member's (%s)",
			   role_names[mrole]);
		goto out;
	}
	if (lang && !i18n_parse(lang, &l)) {
		http_error(r, 422, "invalid_field", "language",
			   "language: '%s' is not one of ar, zh, en, fr, ru, es", lang);
		goto out;
	}
	if (pw && (!strong_enough(pw, &err, "password") || hash_password(pw, pwhash))) {
		http_error_detail(r, err.code ? err.code : ERR_INTERNAL, &err);
		goto out;
	}
	new_enrolment(totp, enrol, enrol_hash);
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		http_error_detail(r, rc, NULL);
		goto out;
	}
	sqlite3_stmt *s = store_stmt(c, "INSERT INTO users(member_id, email, role, language, "
					"password_hash, totp_secret, enrol_hash, created) "
					"VALUES (?,?,?,?,?,?,?,?)");
	if (!s) {
		http_error_detail(r, store_write_end(r->node->st, ERR_STORE), NULL);
		goto out;
	}
	sqlite3_bind_int64(s, 1, member);
	sqlite3_bind_text(s, 2, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, role_names[urole], -1, SQLITE_STATIC);
	if (lang)
		sqlite3_bind_text(s, 4, i18n_code(l), -1, SQLITE_STATIC);
	if (pwhash[0])
		sqlite3_bind_text(s, 5, pwhash, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, totp, sizeof(totp), SQLITE_STATIC);
	if (!pwhash[0])
		sqlite3_bind_blob(s, 7, enrol_hash, sizeof(enrol_hash), SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, time_now_ms());
	rc = sqlite3_step(s);
	int64_t id = sqlite3_last_insert_rowid(store_db(c));
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT) {
		store_write_end(r->node->st, ERR_CONFLICT);
		http_error(r, 409, "conflict", "email", "email: a user '%s' exists already", email);
		goto out;
	}
	rc = store_write_end(r->node->st, rc == SQLITE_DONE ? ERR_OK : ERR_STORE);
	if (rc) {
		http_error_detail(r, rc, NULL);
		goto out;
	}
	totp_base32(totp, sizeof(totp), b32, sizeof(b32));
	char uri[512];
	snprintf(uri, sizeof(uri),
		 "otpauth://totp/atalaya:%s?secret=%s&issuer=atalaya&algorithm=SHA1&digits=6&"
		 "period=30",
		 email, b32);
	json_t *res = json_pack("{sI sI ss ss so}", "id", (json_int_t)id, "member",
				(json_int_t)member, "email", email, "role", role_names[urole],
				"language", lang ? json_string(i18n_code(l)) : json_null());
	if (pwhash[0]) {
		/* The admin set the password: the second factor is handed over now. */
		json_object_set_new(res, "totp_secret", json_string(b32));
		json_object_set_new(res, "otpauth_uri", json_string(uri));
	} else {
		/* The user sets a password at /web/enrol and sees the secret there. */
		json_object_set_new(res, "enrolment_code", json_string(enrol));
	}
	snprintf(r->location, sizeof(r->location), "/api/v1/users/%" PRId64, id);
	http_json(r, 201, res);
	log_info("event=user_created user=%" PRId64 " member=%" PRId64 " role=%s", id, member,
		 role_names[urole]);
out:
	sodium_memzero(totp, sizeof(totp));
	sodium_memzero(b32, sizeof(b32));
	sodium_memzero(enrol, sizeof(enrol));
	sodium_memzero(pwhash, sizeof(pwhash));
	json_decref(in);
}

static void list_users(struct request *r)
{
	int64_t limit, after, last = 0, n = 0;
	struct store_conn *c = node_reader(r);
	if (!c || !http_page_args(r, &limit, &after))
		return;
	sqlite3_stmt *s = store_stmt(c, "SELECT " USER_COLS " FROM users u WHERE u.id > ? "
					"ORDER BY u.id LIMIT ?");
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, limit);
	http_begin_json(r);
	buf_adds(&r->out, "{\"items\":[");
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n++)
			buf_addc(&r->out, ',');
		last = sqlite3_column_int64(s, 0);
		http_row_out(&r->out, s, user_cols, sizeof(user_cols) / sizeof(user_cols[0]));
	}
	sqlite3_reset(s);
	http_end_page(r, n == limit, last);
}

static void delete_user(struct request *r)
{
	struct store_conn *c;
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		http_error_detail(r, rc, NULL);
		return;
	}
	sqlite3_stmt *d = store_stmt(c, "DELETE FROM web_sessions WHERE user_id = ?1");
	sqlite3_stmt *u = store_stmt(c, "DELETE FROM users WHERE id = ?1");
	if (!d || !u) {
		http_error_detail(r, store_write_end(r->node->st, ERR_STORE), NULL);
		return;
	}
	sqlite3_bind_int64(d, 1, r->id[0]);
	sqlite3_bind_int64(u, 1, r->id[0]);
	rc = store_step_done(c, d, "user_sessions_delete");
	if (!rc)
		rc = store_step_changed(c, u, "user_delete");
	rc = store_write_end(r->node->st, rc);
	if (rc == ERR_NOT_FOUND)
		http_error(r, 404, "not_found", NULL, "no user %" PRId64, r->id[0]);
	else if (rc)
		http_error_detail(r, rc, NULL);
	else
		http_no_content(r);
}

/* A fresh start for an account: a new enrolment code (shown once) and a new
 * TOTP secret; the password, the lock-out and every session end. Until the
 * person enrols again with the code, the account cannot sign in: this is how
 * an admin disables one without deleting it (a lost phone, a leaver). */
static void post_user_enrolment(struct request *r)
{
	char enrol[ENROL_LEN * 2];
	uint8_t totp[TOTP_SECRET_LEN], enrol_hash[32];
	struct store_conn *c;
	new_enrolment(totp, enrol, enrol_hash);
	int rc = store_write_begin(r->node->st, &c);
	if (rc) {
		http_error_detail(r, rc, NULL);
		goto out;
	}
	sqlite3_stmt *u = store_stmt(c, "UPDATE users SET password_hash = NULL, totp_secret = ?2, "
					"enrol_hash = ?3, failures = 0, locked_until = 0, "
					"totp_step = 0 WHERE id = ?1");
	sqlite3_stmt *d = store_stmt(c, "DELETE FROM web_sessions WHERE user_id = ?1");
	if (!u || !d) {
		http_error_detail(r, store_write_end(r->node->st, ERR_STORE), NULL);
		goto out;
	}
	sqlite3_bind_int64(u, 1, r->id[0]);
	sqlite3_bind_blob(u, 2, totp, sizeof(totp), SQLITE_STATIC);
	sqlite3_bind_blob(u, 3, enrol_hash, sizeof(enrol_hash), SQLITE_STATIC);
	sqlite3_bind_int64(d, 1, r->id[0]);
	rc = store_step_changed(c, u, "user_enrolment_reset");
	if (!rc)
		rc = store_step_done(c, d, "user_sessions_delete");
	rc = store_write_end(r->node->st, rc);
	if (rc == ERR_NOT_FOUND)
		http_error(r, 404, "not_found", NULL, "no user %" PRId64, r->id[0]);
	else if (rc)
		http_error_detail(r, rc, NULL);
	else {
		http_json(
		    r, 200,
		    json_pack("{sI ss}", "id", (json_int_t)r->id[0], "enrolment_code", enrol));
		log_info("event=user_enrolment_reset user=%" PRId64, r->id[0]);
	}
out:
	sodium_memzero(totp, sizeof(totp));
	sodium_memzero(enrol, sizeof(enrol));
}

static const struct col signin_cols[] = {
    {"id", COL_INT},   {"at", COL_TIME},      {"email", COL_TEXT},
    {"user", COL_INT}, {"address", COL_TEXT}, {"outcome", COL_TEXT},
};

static void list_signins(struct request *r)
{
	int64_t limit, after, last = 0, n = 0;
	struct store_conn *c = node_reader(r);
	if (!c || !http_page_args(r, &limit, &after))
		return;
	sqlite3_stmt *s =
	    store_stmt(c, "SELECT id, at, email, user_id, address, outcome FROM signins "
			  "WHERE id > ? ORDER BY id LIMIT ?");
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, limit);
	http_begin_json(r);
	buf_adds(&r->out, "{\"items\":[");
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n++)
			buf_addc(&r->out, ',');
		last = sqlite3_column_int64(s, 0);
		http_row_out(&r->out, s, signin_cols, sizeof(signin_cols) / sizeof(signin_cols[0]));
	}
	sqlite3_reset(s);
	http_end_page(r, n == limit, last);
}

const struct route web_user_routes[] = {
    {"POST", "/api/v1/users", post_user, ROUTE_ADMIN, NULL,
     "add a person's account under a member (web sign-in)"},
    {"GET", "/api/v1/users", list_users, ROUTE_ADMIN, NULL, "list the accounts of people"},
    {"DELETE", "/api/v1/users/{id}", delete_user, ROUTE_ADMIN, NULL,
     "delete an account and end its sessions"},
    {"POST", "/api/v1/users/{id}/enrolment", post_user_enrolment, ROUTE_ADMIN, NULL,
     "reset an account: a new enrolment code and TOTP secret; its password and sessions end"},
    {"GET", "/api/v1/signins", list_signins, ROUTE_ADMIN, NULL,
     "the record of web sign-ins (who, when, from where, outcome)"},
    {0},
};
