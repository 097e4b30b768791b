#include "web/totp.h"

#include <gnutls/crypto.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

uint32_t totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, unsigned digits)
{
	uint8_t msg[8], mac[20];
	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (uint8_t)(counter & 0xff);
	/* libsodium has no HMAC-SHA1; GnuTLS, linked for TLS, has. */
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA1, key, keylen, msg, sizeof(msg), mac) < 0)
		return UINT32_MAX; /* never a valid code */
	unsigned off = mac[19] & 0x0f;
	uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
		       ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	uint32_t mod = 1;
	for (unsigned i = 0; i < digits; i++)
		mod *= 10;
	return bin % mod;
}

bool totp_check(const uint8_t key[TOTP_SECRET_LEN], int64_t unix_seconds, const char *code,
		int64_t *step)
{
	char want[8], got[8];
	bool ok = false;
	if (!code || strlen(code) != 6 || unix_seconds < TOTP_STEP)
		return false;
	memcpy(got, code, 7);
	*step = 0;
	for (int d = -1; d <= 1; d++) {
		int64_t s = unix_seconds / TOTP_STEP + d;
		snprintf(want, sizeof(want), "%06u",
			 totp_hotp(key, TOTP_SECRET_LEN, (uint64_t)s, 6));
		bool same = sodium_memcmp(want, got, 6) == 0;
		ok |= same;
		if (same)
			*step = s;
	}
	return ok;
}

void totp_base32(const uint8_t *key, size_t n, char *out, size_t out_size)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t o = 0;
	unsigned acc = 0, bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | key[i];
		bits += 8;
		while (bits >= 5 && o + 1 < out_size) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits && o + 1 < out_size)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}
