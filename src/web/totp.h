/* Time-based one-time passwords (RFC 6238: HOTP of RFC 4226 over HMAC-SHA1,
 * 30-second steps, 6 digits), the second factor of a web sign-in, and the
 * base32 text (RFC 4648) authenticator apps take the secret in. Pure; any
 * thread. */
#ifndef ATALAYA_TOTP_H
#define ATALAYA_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN 20 /* bytes: the HMAC-SHA1 block RFC 4226 recommends */
#define TOTP_STEP 30	   /* seconds */
#define TOTP_BASE32_MAX 64 /* text of a TOTP_SECRET_LEN secret, with its NUL */

/* The code (0..10^digits-1) for counter `counter` (HOTP, RFC 4226 5.3). */
uint32_t totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, unsigned digits);

/* True when `code` (text of 6 digits) is the code of the step holding
 * `unix_seconds` or of the step before or after it (clock drift, RFC 6238
 * 5.2); *step receives the step it matched, so that the caller can refuse a
 * code used once already (RFC 6238 5.2). The comparison does not depend on
 * where the codes differ. */
bool totp_check(const uint8_t key[TOTP_SECRET_LEN], int64_t unix_seconds, const char *code,
		int64_t *step);

/* Base32 (RFC 4648 section 6) of key[0..n), unpadded, into out (NUL-ended). */
void totp_base32(const uint8_t *key, size_t n, char *out, size_t out_size);

#endif
