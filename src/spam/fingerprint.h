/* Spam fingerprints, shared between members as hashes only: a hash of the
 * normalised body and 64 min-hash values over word 5-grams, from which the
 * similarity of two messages is estimated without exchanging their text.
 * The normalisation and the algorithm are in docs/internals/spam.md.
 * Pure functions; any thread. */
#ifndef ATALAYA_SPAM_FINGERPRINT_H
#define ATALAYA_SPAM_FINGERPRINT_H

#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

enum {
	SPAM_FP_SHINGLES = 64,
	SPAM_FP_HASH_LEN = 32, /* BLAKE2b-256 */
	SPAM_FP_KEY_LEN = 32,
	SPAM_FP_MAX_INPUT = 256 << 10, /* text beyond this is ignored */
	SPAM_FP_WORDS = 5,	       /* words per shingle */
};

struct spam_fp {
	uint8_t body_hash[SPAM_FP_HASH_LEN];
	uint64_t minhash[SPAM_FP_SHINGLES]; /* all UINT64_MAX when the text is empty */
	uint32_t words;			    /* words in the normalised text */
};

/* Appends the normalised form of text (UTF-8, transfer encoding already
 * undone, as arf_report.original_body) to out. ERR_OK or ERR_TOO_LARGE. */
int spam_fp_normalise(const char *text, size_t len, struct buf *out);

/* Computes the fingerprint. `key` (SPAM_FP_KEY_LEN bytes, or NULL) keys both
 * hashes: members who share a key can compare fingerprints, outsiders cannot
 * test guesses against them. ERR_OK. */
int spam_fp_compute(const char *text, size_t len, const uint8_t *key, struct spam_fp *fp);

/* Estimated Jaccard similarity of the two texts' shingle sets, 0.0 to 1.0
 * (in steps of 1/64). Two empty texts give 0. */
double spam_fp_similarity(const struct spam_fp *a, const struct spam_fp *b);

/* Lowercase hex of the body hash into out[2 * SPAM_FP_HASH_LEN + 1]. */
void spam_fp_hash_hex(const struct spam_fp *fp, char *out);

#endif
