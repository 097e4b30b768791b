#include "spam/fingerprint.h"

#include "util/err.h"

#include <pthread.h>
#include <sodium.h>

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_setup(void)
{
	if (sodium_init() < 0)
		abort(); /* no usable random source: not an input problem */
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A tag starts with '<' then a letter, '/' or '!'. */
static bool tag_start(const char *s, size_t i, size_t len)
{
	unsigned char c;

	if (s[i] != '<' || i + 1 >= len)
		return false;
	c = (unsigned char)s[i + 1];
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' || c == '!';
}

int spam_fp_normalise(const char *text, size_t len, struct buf *out)
{
	bool space = true; /* drop leading space */
	size_t i = 0;
	int rc = ERR_OK;

	if (len > SPAM_FP_MAX_INPUT)
		len = SPAM_FP_MAX_INPUT;
	while (i < len && !rc) {
		unsigned char c = (unsigned char)text[i];

		if (tag_start(text, i, len)) {
			const char *gt = memchr(text + i, '>', len - i);

			i = gt ? (size_t)(gt - text) + 1 : len;
			c = ' ';
		} else if ((len - i > 7 && !strncasecmp(text + i, "http://", 7)) ||
			   (len - i > 8 && !strncasecmp(text + i, "https://", 8))) {
			/* a URL: keep scheme, host and path, drop query and fragment */
			size_t e = i;

			while (e < len && !is_space((unsigned char)text[e]) && text[e] != '"' &&
			       text[e] != '<' && text[e] != '>')
				e++;
			for (size_t k = i; k < e && !rc; k++) {
				char u = text[k];

				if (u == '?' || u == '#')
					break;
				rc = buf_addc(out, (u >= 'A' && u <= 'Z') ? (char)(u + 32) : u);
			}
			space = false;
			i = e;
			continue;
		} else {
			i++;
		}
		if (is_space(c)) {
			if (!space)
				rc = buf_addc(out, ' ');
			space = true;
			continue;
		}
		rc = buf_addc(out, (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c);
		space = false;
	}
	if (!rc && out->len && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
	return rc;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

static void add_shingle(struct spam_fp *fp, const unsigned char *sipkey, const char *s, size_t n)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t base;

	crypto_shorthash(h, (const unsigned char *)s, n, sipkey);
	memcpy(&base, h, sizeof(base));
	for (int i = 0; i < SPAM_FP_SHINGLES; i++) {
		uint64_t v = mix64(base ^ mix64((uint64_t)i + 1));

		if (v < fp->minhash[i])
			fp->minhash[i] = v;
	}
}

int spam_fp_compute(const char *text, size_t len, const uint8_t *key, struct spam_fp *fp)
{
	static const unsigned char default_key[crypto_shorthash_KEYBYTES] = "atalaya-shingle";
	unsigned char sipkey[crypto_shorthash_KEYBYTES];
	size_t starts[SPAM_FP_WORDS];
	struct buf nb;
	int rc;

	pthread_once(&sodium_once, sodium_setup);
	memset(fp, 0, sizeof(*fp));
	for (int i = 0; i < SPAM_FP_SHINGLES; i++)
		fp->minhash[i] = UINT64_MAX;
	buf_init(&nb, SPAM_FP_MAX_INPUT * 2);
	rc = spam_fp_normalise(text, len, &nb);
	if (rc)
		goto out;
	crypto_generichash(fp->body_hash, sizeof(fp->body_hash), (const unsigned char *)nb.data,
			   nb.len, key, key ? SPAM_FP_KEY_LEN : 0);
	if (key)
		crypto_generichash(sipkey, sizeof(sipkey), (const unsigned char *)"shingle", 7, key,
				   SPAM_FP_KEY_LEN);
	else
		memcpy(sipkey, default_key, sizeof(sipkey));
	if (nb.len == 0)
		goto out;
	/* words are the space-separated runs of the normalised text; a shingle
	 * is SPAM_FP_WORDS consecutive words (the whole text when shorter) */
	{
		size_t w = 0;

		for (size_t i = 0; i <= nb.len; i++) {
			if (i == 0 || (i < nb.len && nb.data[i - 1] == ' ')) {
				if (w >= SPAM_FP_WORDS) {
					size_t s = starts[(w - SPAM_FP_WORDS) % SPAM_FP_WORDS];

					add_shingle(fp, sipkey, nb.data + s, i - 1 - s);
				}
				starts[w % SPAM_FP_WORDS] = i;
				w++;
			}
		}
		if (w >= SPAM_FP_WORDS) {
			size_t s = starts[(w - SPAM_FP_WORDS) % SPAM_FP_WORDS];

			add_shingle(fp, sipkey, nb.data + s, nb.len - s);
		} else {
			add_shingle(fp, sipkey, nb.data, nb.len);
		}
		fp->words = (uint32_t)w;
	}
out:
	buf_release(&nb);
	return rc;
}

double spam_fp_similarity(const struct spam_fp *a, const struct spam_fp *b)
{
	int same = 0;

	if (a->words == 0 || b->words == 0)
		return 0.0;
	for (int i = 0; i < SPAM_FP_SHINGLES; i++)
		same += a->minhash[i] == b->minhash[i];
	return (double)same / SPAM_FP_SHINGLES;
}

void spam_fp_hash_hex(const struct spam_fp *fp, char *out)
{
	sodium_bin2hex(out, 2 * SPAM_FP_HASH_LEN + 1, fp->body_hash, SPAM_FP_HASH_LEN);
}
