/* Normalises arbitrary bytes as every kind, checks that a canonical form is a fixed
 * point of the normaliser, and runs the STIX mapping and the index over the result. */
#include "index/index.h"
#include "index/observable.h"
#include "index/prefixset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fixed_point(const struct observable *o)
{
	struct observable again;
	struct err_detail e;

	if (o->len > OBS_VALUE_MAX || strlen(o->value) != o->len)
		abort();
	if (o->host_off + o->host_len > o->len)
		abort();
	if (observable_normalise(o->kind, o->value, o->len, &again, &e) != ERR_OK) {
		fprintf(stderr, "canonical '%s' refused: %s\n", o->value, e.message);
		abort();
	}
	if (again.len != o->len || memcmp(again.value, o->value, o->len) != 0 ||
	    again.kind != o->kind) {
		fprintf(stderr, "not a fixed point: '%s' -> '%s'\n", o->value, again.value);
		abort();
	}
}

static int count(const struct index_match *m, void *ctx)
{
	(*(long *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *v = (const char *)data;
	struct observable o;
	struct err_detail e;
	static const enum obs_kind kinds[] = {OBS_AUTO, OBS_URL, OBS_DOMAIN, OBS_EMAIL, OBS_IPV6};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int rc = observable_normalise(kinds[k], v, size, &o, &e);
		if (rc == ERR_OK) {
			check_fixed_point(&o);
		} else if (e.code != rc || e.message[0] == '\0') {
			abort();
		}
		if (kinds[k] != OBS_AUTO || rc != ERR_OK)
			continue;
		/* the index and the prefix set take whatever the normaliser accepts */
		struct index *idx = index_new();
		struct prefixset *set = prefixset_new();
		long n = 0;
		if (index_add(idx, &o, 1, 2) != ERR_OK)
			abort();
		index_publish(idx);
		if (index_lookup(idx, &o, count, &n) < 1 || n < 1)
			abort();
		if (prefixset_add(set, &o, NULL) == ERR_OK && !prefixset_contains(set, &o))
			abort();
		prefixset_free(set);
		index_free(idx);
	}
	/* STIX: the input as a literal of a few comparisons */
	static const char *const paths[][2] = {{"url", "value"},
					       {"ipv4-addr", "value"},
					       {"file", "hashes.'SHA-256'"},
					       {"autonomous-system", "number"}};
	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
		int rc = observable_from_stix(paths[p][0], paths[p][1], "=", v, size, &o, &e);
		if (rc == ERR_OK)
			check_fixed_point(&o);
	}
	return 0;
}
