#include "federation/keys.h"

#include "util/hex.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

int fed_key_load(const char *data_dir, struct fed_key *k, struct err_detail *err)
{
	char path[4096];
	ssize_t got = -1;
	snprintf(path, sizeof(path), "%s/node.key", data_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		got = read(fd, k->sk, sizeof(k->sk));
		close(fd);
	}
	if (got != (ssize_t)sizeof(k->sk))
		return err_set(err, ERR_IO, "data_dir",
			       "%s: not a node key (64 bytes written by atalaya init)", path);
	crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
	sodium_bin2hex(k->pk_hex, sizeof(k->pk_hex), k->pk, sizeof(k->pk));
	return ERR_OK;
}

void fed_key_release(struct fed_key *k)
{
	sodium_memzero(k->sk, sizeof(k->sk));
}

void fed_key_sign(const struct fed_key *k, const void *msg, size_t n,
		  unsigned char sig[FED_SIG_BYTES])
{
	crypto_sign_detached(sig, NULL, msg, n, k->sk);
}

bool fed_verify(const unsigned char pk[FED_KEY_BYTES], const void *msg, size_t n,
		const unsigned char sig[FED_SIG_BYTES])
{
	return crypto_sign_verify_detached(sig, msg, n, pk) == 0;
}

bool fed_hex_parse(const char *s, size_t len, unsigned char *out, size_t n)
{
	if (len != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit_value(s[2 * i]), lo = hex_digit_value(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

bool fed_key_parse(const char *s, unsigned char pk[FED_KEY_BYTES], char hex[FED_KEY_HEX])
{
	if (!strncmp(s, "ed25519:", 8))
		s += 8;
	if (!fed_hex_parse(s, strlen(s), pk, FED_KEY_BYTES))
		return false;
	sodium_bin2hex(hex, FED_KEY_HEX, pk, FED_KEY_BYTES);
	return true;
}

void fed_fingerprint(const unsigned char pk[FED_KEY_BYTES], char out[FED_FINGERPRINT_TEXT])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[33];
	crypto_hash_sha256(h, pk, FED_KEY_BYTES);
	sodium_bin2hex(hex, sizeof(hex), h, 16);
	size_t w = 0;
	for (int i = 0; i < 32; i++) {
		if (i && i % 4 == 0)
			out[w++] = ' ';
		out[w++] = hex[i];
	}
	out[w] = '\0';
}
