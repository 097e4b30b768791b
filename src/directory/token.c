#include "directory/token.h"

#include "util/err.h"

#include <sodium.h>

#define SECRET_BYTES 32
#define PREFIX "atl_"

int token_init(void)
{
	return sodium_init() < 0 ? ERR_INTERNAL : ERR_OK;
}

static void hash_secret(const char *secret, size_t n, uint8_t hash[TOKEN_HASH_LEN])
{
	crypto_generichash(hash, TOKEN_HASH_LEN, (const unsigned char *)secret, n, NULL, 0);
}

void token_generate(char text[TOKEN_TEXT_MAX], char lookup[TOKEN_LOOKUP_LEN + 1],
		    uint8_t hash[TOKEN_HASH_LEN])
{
	uint8_t id[TOKEN_LOOKUP_LEN / 2], secret[SECRET_BYTES];
	char secret_text[sodium_base64_ENCODED_LEN(SECRET_BYTES,
						   sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	randombytes_buf(id, sizeof(id));
	randombytes_buf(secret, sizeof(secret));
	sodium_bin2hex(lookup, TOKEN_LOOKUP_LEN + 1, id, sizeof(id));
	sodium_bin2base64(secret_text, sizeof(secret_text), secret, sizeof(secret),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	hash_secret(secret_text, strlen(secret_text), hash);
	snprintf(text, TOKEN_TEXT_MAX, PREFIX "%s_%s", lookup, secret_text);
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(secret_text, sizeof(secret_text));
}

int token_parse(const char *text, size_t n, char lookup[TOKEN_LOOKUP_LEN + 1],
		uint8_t hash[TOKEN_HASH_LEN])
{
	const size_t plen = sizeof(PREFIX) - 1;
	if (n < plen + TOKEN_LOOKUP_LEN + 2 || n >= TOKEN_TEXT_MAX || memcmp(text, PREFIX, plen) ||
	    text[plen + TOKEN_LOOKUP_LEN] != '_')
		return ERR_UNAUTH;
	for (size_t i = 0; i < TOKEN_LOOKUP_LEN; i++) {
		char c = text[plen + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return ERR_UNAUTH;
	}
	memcpy(lookup, text + plen, TOKEN_LOOKUP_LEN);
	lookup[TOKEN_LOOKUP_LEN] = '\0';
	const char *secret = text + plen + TOKEN_LOOKUP_LEN + 1;
	hash_secret(secret, n - (size_t)(secret - text), hash);
	return ERR_OK;
}

int token_hash_equal(const uint8_t a[TOKEN_HASH_LEN], const uint8_t b[TOKEN_HASH_LEN])
{
	return sodium_memcmp(a, b, TOKEN_HASH_LEN) == 0;
}
