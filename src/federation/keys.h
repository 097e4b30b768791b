/* The node's Ed25519 identity (DATA/node.key, written by `atalaya init`):
 * loading it, signing and verifying with libsodium, and the text forms of a
 * public key. Any thread (a loaded key is read-only). */
#ifndef ATALAYA_FED_KEYS_H
#define ATALAYA_FED_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define FED_KEY_BYTES 32
#define FED_KEY_HEX (2 * FED_KEY_BYTES + 1)
#define FED_SIG_BYTES 64
#define FED_SIG_HEX (2 * FED_SIG_BYTES + 1)
/* "ab12 cd34 ..." : 8 groups of 4 hex digits of SHA-256(public key), to read out */
#define FED_FINGERPRINT_TEXT 40

struct fed_key {
	unsigned char pk[FED_KEY_BYTES];
	unsigned char sk[64]; /* libsodium's secret key: seed and public key */
	char pk_hex[FED_KEY_HEX];
};

/* Reads DATA/node.key (64 bytes, mode 0600). ERR_IO naming the file when it
 * is missing or not a key. */
int fed_key_load(const char *data_dir, struct fed_key *k, struct err_detail *err);
/* Wipes the secret. */
void fed_key_release(struct fed_key *k);

void fed_key_sign(const struct fed_key *k, const void *msg, size_t n,
		  unsigned char sig[FED_SIG_BYTES]);
/* True when `sig` is pk's signature of msg (pure Ed25519, RFC 8032). */
bool fed_verify(const unsigned char pk[FED_KEY_BYTES], const void *msg, size_t n,
		const unsigned char sig[FED_SIG_BYTES]);

/* Parses "ed25519:HEX" or "HEX" (64 hex digits) into pk and its lowercase
 * hex; false when it is not one. */
bool fed_key_parse(const char *s, unsigned char pk[FED_KEY_BYTES], char hex[FED_KEY_HEX]);
/* Parses exactly 2*n hex digits into out[n]. */
bool fed_hex_parse(const char *s, size_t len, unsigned char *out, size_t n);

/* The fingerprint people compare on the phone. */
void fed_fingerprint(const unsigned char pk[FED_KEY_BYTES], char out[FED_FINGERPRINT_TEXT]);

#endif
