/* API tokens: "atl_<lookup>_<secret>". The lookup (16 hex) finds the row; only
 * a BLAKE2b-256 hash of the secret is stored, compared in constant time. The
 * secrets have 256 bits of entropy, so a fast hash is enough (no password
 * stretching needed). Pure; any thread. */
#ifndef ATALAYA_TOKEN_H
#define ATALAYA_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_LOOKUP_LEN 16
#define TOKEN_HASH_LEN 32
#define TOKEN_TEXT_MAX 80

/* Must be called once before any other function (libsodium init). */
int token_init(void);

/* A fresh token: `text` for the user (shown once, never stored or logged),
 * `lookup` and `hash` to store. */
void token_generate(char text[TOKEN_TEXT_MAX], char lookup[TOKEN_LOOKUP_LEN + 1],
		    uint8_t hash[TOKEN_HASH_LEN]);

/* Splits a presented token into its lookup and the hash of its secret.
 * ERR_UNAUTH when it does not have the token form. */
int token_parse(const char *text, size_t n, char lookup[TOKEN_LOOKUP_LEN + 1],
		uint8_t hash[TOKEN_HASH_LEN]);

/* Constant-time comparison of two hashes; true when equal. */
int token_hash_equal(const uint8_t a[TOKEN_HASH_LEN], const uint8_t b[TOKEN_HASH_LEN]);

#endif
