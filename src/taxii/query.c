#include "taxii/query.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int taxii_time_parse(const char *s, int64_t *us)
{
	/* RFC 3339 in UTC, at most nanoseconds (TAXII 2.1 section 3.2) */
	const char *dot = strlen(s) > 19 && s[19] == '.' ? s + 20 : NULL;
	if (dot && strspn(dot, "0123456789") > 9)
		return ERR_INVALID;
	return time_parse_rfc3339_us(s, strlen(s), 1, us);
}

void taxii_time_format(int64_t us, char out[32])
{
	int64_t secs = us / 1000000, frac = us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	/* civil_from_days */
	int64_t z = (secs >= 0 ? secs : secs - 86399) / 86400, sod = secs - z * 86400;
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp + (mp < 10 ? 3 : -9);
	int64_t y = yoe + era * 400 + (m <= 2);
	if (y < 0 || y > 9999) { /* not a time this node writes: the nearest one */
		snprintf(out, 32,
			 y < 0 ? "0000-01-01T00:00:00.000000Z" : "9999-12-31T23:59:59.999999Z");
		return;
	}
	/* the modulos bound every field for the compiler; the values are in range */
	snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ", (unsigned)y % 10000u,
		 (unsigned)m % 100u, (unsigned)d % 100u, (unsigned)(sod / 3600) % 100u,
		 (unsigned)(sod / 60 % 60) % 100u, (unsigned)(sod % 60) % 100u,
		 (unsigned)frac % 1000000u);
}

/* Splits a comma-separated match[] value into set[], copies in `arena`. */
static int split(const char *v, const char *field, struct arena *arena, const char **set, size_t *n,
		 struct err_detail *err)
{
	*n = 0;
	if (!v)
		return ERR_OK;
	size_t len = strlen(v);
	char *copy = arena_strndup(arena, v, len);
	for (char *p = copy, *end; p <= copy + len; p = end + 1) {
		end = strchr(p, ',');
		if (!end)
			end = copy + len;
		*end = '\0';
		if (!*p)
			return err_set(err, ERR_INVALID, field, "%s: an empty value in the list",
				       field);
		if (*n == TAXII_MATCH_MAX)
			return err_set(err, ERR_INVALID, field, "%s: more than %d values", field,
				       TAXII_MATCH_MAX);
		set[(*n)++] = p;
	}
	return ERR_OK;
}

static void digest_add(crypto_generichash_state *h, const char *s)
{
	/* a tag byte keeps absent apart from empty and fields apart */
	unsigned char tag = s ? 1 : 0;
	crypto_generichash_update(h, &tag, 1);
	if (s)
		crypto_generichash_update(h, (const unsigned char *)s, strlen(s) + 1);
}

int taxii_query_parse(const struct taxii_args *a, int64_t limit_max, struct arena *arena,
		      struct taxii_query *q, struct err_detail *err)
{
	const char *vs[TAXII_MATCH_MAX], *ss[TAXII_MATCH_MAX];
	size_t nvs, nss;
	int rc;

	memset(q, 0, sizeof(*q));
	q->limit = limit_max;
	if (a->added_after && taxii_time_parse(a->added_after, &q->added_after))
		return err_set(err, ERR_INVALID, "added_after",
			       "added_after: '%.64s' is not an RFC 3339 UTC timestamp",
			       a->added_after);
	if (a->limit) {
		char *end;
		long long n = strtoll(a->limit, &end, 10);
		if (!*a->limit || *end || n < 1)
			return err_set(err, ERR_INVALID, "limit",
				       "limit: '%.32s' is not a positive integer", a->limit);
		if (n < limit_max)
			q->limit = n;
	}
	rc = split(a->id, "match[id]", arena, q->ids, &q->nids, err);
	if (!rc)
		rc = split(a->type, "match[type]", arena, q->types, &q->ntypes, err);
	if (!rc)
		rc = split(a->version, "match[version]", arena, vs, &nvs, err);
	if (!rc)
		rc = split(a->spec_version, "match[spec_version]", arena, ss, &nss, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < nvs; i++) {
		int64_t us;
		if (!strcmp(vs[i], "last"))
			q->v_last = true;
		else if (!strcmp(vs[i], "first"))
			q->v_first = true;
		else if (!strcmp(vs[i], "all"))
			q->v_all = true;
		else if (!taxii_time_parse(vs[i], &us))
			q->v_ms[q->nv++] = us / 1000;
		else
			return err_set(err, ERR_INVALID, "match[version]",
				       "match[version]: '%.64s' is not last, first, all or a "
				       "timestamp",
				       vs[i]);
	}
	if (!nvs)
		q->v_last = true;
	q->spec_21 = nss == 0;
	for (size_t i = 0; i < nss; i++) {
		if (!strcmp(ss[i], "2.1"))
			q->spec_21 = true;
		else if (strcmp(ss[i], "2.0"))
			return err_set(err, ERR_INVALID, "match[spec_version]",
				       "match[spec_version]: '%.16s' is not 2.0 or 2.1", ss[i]);
	}
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, sizeof(q->digest));
	digest_add(&h, a->endpoint);
	digest_add(&h, a->collection);
	digest_add(&h, a->object);
	digest_add(&h, a->added_after);
	digest_add(&h, a->limit);
	digest_add(&h, a->id);
	digest_add(&h, a->type);
	digest_add(&h, a->version);
	digest_add(&h, a->spec_version);
	crypto_generichash_final(&h, q->digest, sizeof(q->digest));
	return ERR_OK;
}

bool taxii_version_wanted(const struct taxii_query *q, int64_t modified, bool first, bool last)
{
	if (q->v_all || (q->v_first && first) || (q->v_last && last))
		return true;
	for (size_t i = 0; i < q->nv; i++)
		if (q->v_ms[i] == modified)
			return true;
	return false;
}

bool taxii_in_set(const char *const *set, size_t n, const char *s)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(set[i], s))
			return true;
	return false;
}

/* version(1) member(8) seq(8) digest(16), then HMAC-SHA-256 of those. */
#define NEXT_PAYLOAD 33
#define NEXT_BYTES (NEXT_PAYLOAD + crypto_auth_hmacsha256_BYTES)

static void put64(unsigned char *p, int64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
}

static int64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

void taxii_next_encode(const unsigned char key[TAXII_NEXT_KEY_BYTES], int64_t member, int64_t seq,
		       const struct taxii_query *q, char out[TAXII_NEXT_TEXT])
{
	unsigned char b[NEXT_BYTES];
	b[0] = 1;
	put64(b + 1, member);
	put64(b + 9, seq);
	memcpy(b + 17, q->digest, 16);
	crypto_auth_hmacsha256(b + NEXT_PAYLOAD, b, NEXT_PAYLOAD, key);
	sodium_bin2base64(out, TAXII_NEXT_TEXT, b, sizeof(b),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int taxii_next_decode(const unsigned char key[TAXII_NEXT_KEY_BYTES], const char *text,
		      int64_t member, const struct taxii_query *q, int64_t *seq,
		      struct err_detail *err)
{
	unsigned char b[NEXT_BYTES];
	size_t n = 0;
	if (strlen(text) >= TAXII_NEXT_TEXT ||
	    sodium_base642bin(b, sizeof(b), text, strlen(text), NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
	    n != sizeof(b) || b[0] != 1 ||
	    crypto_auth_hmacsha256_verify(b + NEXT_PAYLOAD, b, NEXT_PAYLOAD, key))
		return err_set(err, ERR_INVALID, "next", "next: not a token this server issued");
	if (get64(b + 1) != member)
		return err_set(err, ERR_DENIED, "next",
			       "next: the token was issued to another member");
	if (sodium_memcmp(b + 17, q->digest, 16))
		return err_set(err, ERR_INVALID, "next",
			       "next: the token belongs to another query (its parameters changed)");
	*seq = get64(b + 9);
	return *seq >= 0
		   ? ERR_OK
		   : err_set(err, ERR_INVALID, "next", "next: not a token this server issued");
}
