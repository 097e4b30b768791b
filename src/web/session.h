/* People on the web interface: their accounts (under a member, with a role no
 * higher than the member's), sign-in (Argon2id password, TOTP second factor,
 * lock-out per account and a failure budget per client address, every attempt
 * recorded), and sessions: a random 256-bit id in a cookie (HttpOnly, Secure,
 * SameSite=Strict), stored hashed, with idle and absolute timeouts, and a
 * CSRF token derived from it. A session maps to the same struct principal as
 * an API token, so pages read through the same policy and audit.
 * Any HTTP worker thread. */
#ifndef ATALAYA_SESSION_H
#define ATALAYA_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "http/request.h"
#include "web/i18n.h"

#define SESSION_COOKIE "atalaya_session"
#define SESSION_CSRF_MAX 64

struct web_session {
	int64_t user_id;
	struct principal who; /* the user's member, and the lower of the two roles */
	char email[256];
	bool has_lang;
	enum lang lang; /* the account's language, when has_lang */
	char csrf[SESSION_CSRF_MAX];
};

/* The session of the request's cookie: ERR_OK with *s filled (its idle time
 * restarts), ERR_UNAUTH when there is none or it expired (it is then
 * deleted), ERR_STORE on a store failure. */
int session_find(struct request *r, struct web_session *s);

/* Checks the sign-in of `email`: the client address's budget, the account's
 * lock, the password and the TOTP code. On success starts a session (its
 * cookie in r->cookie) and returns ERR_OK; otherwise ERR_UNAUTH (wrong or
 * unknown: one answer for both), ERR_DENIED (locked or over budget) with
 * *retry_seconds. Every attempt is recorded in the signins table. */
int session_signin(struct request *r, const char *email, const char *password, const char *code,
		   int64_t *retry_seconds);

/* Ends the request's session, or every session of its user; clears the cookie. */
int session_end(struct request *r, const struct web_session *s, bool everywhere);

/* Does `token` (a form's csrf field) belong to session s? Constant time. */
bool session_csrf_ok(const struct web_session *s, const char *token);

/* Sets the account's language. */
int session_set_language(struct request *r, const struct web_session *s, enum lang l);

/* Enrolment: sets the password of the account holding one-time `code` (which
 * is then spent) and gives its TOTP secret, as base32, for the authenticator
 * app. ERR_UNAUTH for an unknown code, ERR_INVALID for a weak password. */
int session_enrol(struct request *r, const char *code, const char *password, char *email,
		  size_t email_size, char *b32, size_t b32_size, struct err_detail *err);

/* The routes of /api/v1/users and /api/v1/signins (admin). */
extern const struct route web_user_routes[];

#endif
