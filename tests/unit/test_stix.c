/* STIX bundles: the streaming scanner, object validation, the bad-input corpus in
 * tests/data/stix/invalid and the valid examples in tests/data/stix/valid. */
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/resource.h>

#include "formats/bundle_stream.h"
#include "formats/formats_testdata.h"
#include "formats/stix.h"
#include "util/buf.h"
#include "util/err.h"

static char *data_dir(const char *sub)
{
	const char *src = getenv("ATALAYA_SRCDIR");
	struct buf b;

	buf_init(&b, 4096);
	if (src)
		buf_addf(&b, "%s/tests/data/%s", src, sub);
	else
		buf_addf(&b, "%s/%s", FORMATS_TESTDATA_DIR, sub);
	return buf_detach(&b, NULL);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char tmp[65536];
	size_t n;

	assert_non_null(f);
	buf_init(&b, 256 << 20);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		assert_int_equal(buf_add(&b, tmp, n), ERR_OK);
	fclose(f);
	if (!b.data)
		buf_addc(&b, '\0'), b.len = 0;
	return buf_detach(&b, len);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending in `suffix`; caller frees each and the array. */
static char **list_dir(const char *dir, const char *suffix, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t cnt = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), s = strlen(suffix);
		if (l <= s || strcmp(e->d_name + l - s, suffix))
			continue;
		names = realloc(names, (cnt + 1) * sizeof(*names));
		names[cnt++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, cnt, sizeof(*names), cmp_names);
	*n = cnt;
	return names;
}

static void invalid_corpus_gives_expected_errors(void **state)
{
	char *dir = data_dir("stix/invalid");
	size_t n, checked = 0;
	char **names = list_dir(dir, ".json", &n);

	for (size_t i = 0; i < n; i++) {
		char path[4096], exp_path[4096];
		size_t len, elen;
		struct err_detail err;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(exp_path, sizeof(exp_path), "%.*s.expected", (int)(strlen(path) - 5),
			 path);
		char *data = slurp(path, &len);
		char *expected = slurp(exp_path, &elen);
		while (elen && (expected[elen - 1] == '\n' || expected[elen - 1] == '\r'))
			expected[--elen] = '\0';
		err_clear(&err);
		int rc = stix_validate_bundle_buffer(data, len, 0, NULL, &err);
		if (rc == ERR_OK || strcmp(err.message, expected)) {
			fprintf(stderr, "%s:\n  expected: %s\n  got (%d): %s\n", names[i], expected,
				rc, err.message);
			fail();
		}
		checked++;
		free(data);
		free(expected);
		free(names[i]);
	}
	free(names);
	free(dir);
	assert_true(checked >= 45);
}

static void valid_examples_pass(void **state)
{
	char *dir = data_dir("stix/valid");
	size_t n;
	char **names = list_dir(dir, ".json", &n);

	assert_true(n >= 5);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		size_t len;
		struct err_detail err;
		struct stix_bundle_counts c;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		char *data = slurp(path, &len);
		err_clear(&err);
		int rc = stix_validate_bundle_buffer(data, len, 0, &c, &err);
		if (rc) {
			fprintf(stderr, "%s: %s\n", names[i], err.message);
			fail();
		}
		if (!strcmp(names[i], "poisonivy.json")) {
			assert_int_equal(c.objects, 155);
			assert_int_equal(c.tlp, TLP_NONE);
		}
		if (!strcmp(names[i], "atalaya-base.json")) {
			assert_int_equal(c.objects, 9);
			assert_int_equal(c.by_kind[STIX_SCO], 1);
			assert_int_equal(c.tlp, TLP_AMBER);
		}
		free(data);
		free(names[i]);
	}
	free(names);
	free(dir);
}

/* ---- the stream ---- */

struct collect {
	struct buf all; /* objects joined by '\n' */
	size_t n;
};

static int collect_cb(void *ctx, const char *obj, size_t len, size_t index)
{
	struct collect *c = ctx;

	assert_int_equal(index, c->n);
	c->n++;
	buf_add(&c->all, obj, len);
	buf_addc(&c->all, '\n');
	return 0;
}

static void stream_chunking_does_not_matter(void **state)
{
	char *dir = data_dir("stix/valid");
	char path[4096];
	size_t len;
	struct err_detail err;

	snprintf(path, sizeof(path), "%s/poisonivy.json", dir);
	char *data = slurp(path, &len);
	struct collect whole = {0}, bytes = {0};
	buf_init(&whole.all, 1 << 24);
	buf_init(&bytes.all, 1 << 24);

	struct bundle_stream *s = bundle_stream_new(0);
	assert_int_equal(bundle_stream_feed(s, data, len, collect_cb, &whole, &err), ERR_OK);
	assert_int_equal(bundle_stream_finish(s, &err), ERR_OK);
	assert_string_equal(bundle_stream_id(s), "bundle--ac946f1d-6a0e-4a9d-bc83-3f1f3bfda6ba");
	bundle_stream_free(s);

	s = bundle_stream_new(0);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(bundle_stream_feed(s, data + i, 1, collect_cb, &bytes, &err),
				 ERR_OK);
	assert_int_equal(bundle_stream_finish(s, &err), ERR_OK);
	bundle_stream_free(s);

	assert_int_equal(whole.n, 155);
	assert_int_equal(bytes.n, 155);
	assert_int_equal(whole.all.len, bytes.all.len);
	assert_memory_equal(whole.all.data, bytes.all.data, whole.all.len);
	/* the first object's exact bytes, as they were in the body */
	const char *first = strstr(data, "{\n      \"type\": \"malware\"");
	assert_non_null(first);
	assert_memory_equal(whole.all.data, first, strchr(whole.all.data, '\n') - whole.all.data);
	buf_release(&whole.all);
	buf_release(&bytes.all);
	free(data);
	free(dir);
}

static int feed_str(const char *s, size_t max, struct err_detail *err)
{
	struct collect c = {0};
	struct bundle_stream *st = bundle_stream_new(max);
	int rc;

	buf_init(&c.all, 1 << 20);
	rc = bundle_stream_feed(st, s, strlen(s), collect_cb, &c, err);
	if (!rc)
		rc = bundle_stream_finish(st, err);
	bundle_stream_free(st);
	buf_release(&c.all);
	return rc;
}

static void stream_envelope_rules(void **state)
{
	struct err_detail err;
	const char *id = "\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\"";
	char b[512];

	/* keys in any order, an unknown (custom-named) key with any JSON value, escapes */
	snprintf(b, sizeof(b),
		 "{\"objects\":[{\"a\":\"}\\\"]\"}], \"x_note\": {\"k\":[1,2]}, %s, "
		 "\"typ\\u0065\":\"bundle\"}",
		 id);
	assert_int_equal(feed_str(b, 0, &err), ERR_OK);
	/* no objects at all is allowed (the property is optional) */
	snprintf(b, sizeof(b), "{\"type\":\"bundle\",%s}", id);
	assert_int_equal(feed_str(b, 0, &err), ERR_OK);
	/* duplicate key */
	snprintf(b, sizeof(b), "{\"type\":\"bundle\",\"type\":\"bundle\",%s}", id);
	assert_int_equal(feed_str(b, 0, &err), ERR_INVALID);
	assert_string_equal(err.message, "byte 17: bundle: duplicate property \"type\"");
	/* malformed value of an unknown key */
	snprintf(b, sizeof(b), "{\"type\":\"bundle\",%s,\"x_n\":[1,}", id);
	assert_int_not_equal(feed_str(b, 0, &err), ERR_OK);
	/* missing type */
	snprintf(b, sizeof(b), "{%s}", id);
	assert_int_equal(feed_str(b, 0, &err), ERR_INVALID);
	assert_string_equal(err.message, "type: required property missing");
	/* object cap */
	snprintf(b, sizeof(b), "{\"type\":\"bundle\",%s,\"objects\":[{\"a\":\"0123456789\"}]}", id);
	assert_int_equal(feed_str(b, 10, &err), ERR_TOO_LARGE);
	assert_string_equal(err.field, "objects[0]");
	/* depth cap */
	struct buf deep;
	buf_init(&deep, 1 << 20);
	buf_addf(&deep, "{\"type\":\"bundle\",%s,\"objects\":[{\"a\":", id);
	for (int i = 0; i < 100; i++)
		buf_addc(&deep, '[');
	assert_int_equal(feed_str(deep.data, 0, &err), ERR_TOO_LARGE);
	assert_non_null(strstr(err.message, "objects[0]: nested deeper than 64 levels"));
	buf_release(&deep);
	/* empty body */
	assert_int_equal(feed_str("  ", 0, &err), ERR_SYNTAX);
}

static int noop_cb(void *ctx, const char *obj, size_t len, size_t index)
{
	*(size_t *)ctx += len;
	return 0;
}

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* 200 MB of bundle through the stream in 64 KiB chunks: memory stays flat. */
static void stream_memory_is_flat(void **state)
{
	static const char obj[] =
	    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--8e2e2d2b-17d4-"
	    "4cbf-938f-98ee46b3cd3f\",\"created\":\"2024-03-01T12:00:00.000Z\",\"modified\":"
	    "\"2024-03-01T12:00:00.000Z\",\"pattern\":\"[ipv4-addr:value = '198.51.100.7']\","
	    "\"pattern_type\":\"stix\",\"valid_from\":\"2024-03-01T12:00:00Z\",\"description\":"
	    "\"a string with \\\"quotes\\\", brackets ]} and a backslash \\\\\"},";
	const size_t target = (size_t)200 << 20;
	char chunk[65536];
	size_t fill = 0, fed = 0, total = 0;
	struct err_detail err;
	struct bundle_stream *s = bundle_stream_new(0);
	long before = maxrss_kb();
	const char *head = "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-"
			   "33f4c354e56d\",\"objects\":[";

	assert_int_equal(bundle_stream_feed(s, head, strlen(head), noop_cb, &total, &err), ERR_OK);
	while (fed < target) {
		if (fill + sizeof(obj) > sizeof(chunk)) {
			assert_int_equal(bundle_stream_feed(s, chunk, fill, noop_cb, &total, &err),
					 0);
			fed += fill;
			fill = 0;
		}
		memcpy(chunk + fill, obj, sizeof(obj) - 1);
		fill += sizeof(obj) - 1;
	}
	memcpy(chunk + fill, obj, sizeof(obj) - 3); /* the last one without ',' */
	fill += sizeof(obj) - 3;
	memcpy(chunk + fill, "}]}", 3);
	fill += 3;
	assert_int_equal(bundle_stream_feed(s, chunk, fill, noop_cb, &total, &err), ERR_OK);
	assert_int_equal(bundle_stream_finish(s, &err), ERR_OK);
	assert_true(bundle_stream_count(s) > 500000);
	bundle_stream_free(s);
	/* a few MB of slack for the sanitizers; the body itself was 200 MB */
	assert_true(maxrss_kb() - before < 16 * 1024);
}

/* ---- objects ---- */

#define INDICATOR(valid_from)                                                                      \
	"{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--8e2e2d2b-"           \
	"17d4-4cbf-938f-98ee46b3cd3f\",\"created\":\"2024-03-01T12:00:00.000Z\",\"modified\":"     \
	"\"2024-03-02T12:00:00.250Z\",\"revoked\":true,\"pattern\":\"[file:hashes.'SHA-256' = "    \
	"'aa']\",\"pattern_type\":\"stix\",\"valid_from\":\"" valid_from "\","                     \
	"\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\","   \
	"\"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003\",\"marking-definition--"      \
	"7d9c1f0a-1e1a-4d5c-9a43-1b2f3c4d5e6f\"]}"

static const struct jv *parse(struct jdoc *d, const char *text)
{
	struct jdoc_error jerr;
	const struct jv *v = jdoc_parse(d, text, strlen(text), &jerr);
	if (!v)
		fail_msg("%s at %zu", jerr.text, jerr.position);
	return v;
}

static void object_info_and_tlp(void **state)
{
	struct jdoc d;
	struct stix_object_info info;
	struct err_detail err;

	jdoc_init(&d, 0);
	assert_int_equal(
	    stix_validate_object(parse(&d, INDICATOR("2024-03-01T12:00:00Z")), 0, &info, &err),
	    ERR_OK);
	assert_string_equal(info.type, "indicator");
	assert_string_equal(info.id, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
	assert_int_equal(info.kind, STIX_SDO);
	assert_true(info.created_ms == INT64_C(1709294400000));
	assert_true(info.modified_ms == INT64_C(1709380800250));
	assert_true(info.revoked);
	assert_int_equal(info.tlp, TLP_AMBER_STRICT);

	/* error format: index, id, property */
	assert_int_equal(
	    stix_validate_object(parse(&d, INDICATOR("2024-13-01T00:00:00Z")), 12, &info, &err),
	    ERR_INVALID);
	assert_string_equal(err.field, "objects[12].valid_from");
	assert_string_equal(err.message, "objects[12] (indicator--8e2e2d2b-17d4-4cbf-938f-"
					 "98ee46b3cd3f) .valid_from: not an RFC 3339 timestamp");

	/* an SCO without spec_version or timestamps, and a custom object */
	assert_int_equal(
	    stix_validate_object(
		parse(&d, "{\"type\":\"domain-name\",\"id\":\"domain-name--3c10e93f-798e-5a26-a0c1-"
			  "08156efab7f5\",\"value\":\"example.com\"}"),
		0, &info, &err),
	    ERR_OK);
	assert_int_equal(info.kind, STIX_SCO);
	assert_true(info.created_ms == 0 && info.modified_ms == 0);
	assert_int_equal(info.tlp, TLP_NONE);
	assert_int_equal(
	    stix_validate_object(
		parse(
		    &d,
		    "{\"type\":\"x-cert-ticket\",\"spec_version\":\"2.1\",\"id\":\"x-cert-ticket--"
		    "3c10e93f-798e-4a26-a0c1-08156efab7f5\",\"created\":\"2024-03-01T12:00:00."
		    "000Z\","
		    "\"modified\":\"2024-03-01T12:00:00.000Z\",\"ticket_no\":12,\"extensions\":{"
		    "\"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e\":{"
		    "\"extension_type\":\"new-sdo\"}}}"),
		0, &info, &err),
	    ERR_OK);
	assert_int_equal(info.kind, STIX_CUSTOM);
	jdoc_release(&d);
}

static void identifiers(void **state)
{
	const char *ok = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
	assert_true(stix_id_valid(ok, strlen(ok), "indicator"));
	assert_true(stix_id_valid(ok, strlen(ok), NULL));
	assert_false(stix_id_valid(ok, strlen(ok), "indicato"));
	assert_false(stix_id_valid(ok, strlen(ok), "malware"));
	const char *v0 = "indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f"; /* version 0 */
	assert_false(stix_id_valid(v0, strlen(v0), NULL));
	const char *dd = "x--y--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
	assert_false(stix_id_valid(dd, strlen(dd), NULL));
	assert_false(stix_id_valid("", 0, NULL));
	assert_true(stix_type_name_valid("x-cert-ticket", 13));
	assert_false(stix_type_name_valid("x--y", 4));
	assert_false(stix_type_name_valid("ab", 2));
}

static bool seen_add(struct stix_seen *s, const char *id, int64_t modified, size_t index,
		     size_t *first)
{
	uint64_t key[2];
	stix_seen_key(id, strlen(id), modified, key);
	return stix_seen_add(s, key, index, first);
}

static void duplicates_set(void **state)
{
	struct stix_seen *s = stix_seen_new();
	size_t first;
	char id[64];

	for (size_t i = 0; i < 10000; i++) {
		snprintf(id, sizeof(id), "indicator--%08zx-17d4-4cbf-938f-98ee46b3cd3f", i);
		assert_false(seen_add(s, id, 5, i, &first));
		assert_false(seen_add(s, id, 6, i, &first));
	}
	snprintf(id, sizeof(id), "indicator--%08zx-17d4-4cbf-938f-98ee46b3cd3f", (size_t)77);
	assert_true(seen_add(s, id, 6, 99999, &first));
	assert_int_equal(first, 77);
	stix_seen_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(invalid_corpus_gives_expected_errors),
	    cmocka_unit_test(valid_examples_pass),
	    cmocka_unit_test(stream_chunking_does_not_matter),
	    cmocka_unit_test(stream_envelope_rules),
	    cmocka_unit_test(stream_memory_is_flat),
	    cmocka_unit_test(object_info_and_tlp),
	    cmocka_unit_test(identifiers),
	    cmocka_unit_test(duplicates_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
