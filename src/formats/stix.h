/* STIX 2.1 object validation (the JSON schemas of STIX 2.1 and the normative text
 * of the specification are the reference; docs/internals/stix.md lists the rules).
 *
 * Pure functions: no I/O, no global state; any thread may call them.
 */
#ifndef ATALAYA_STIX_H
#define ATALAYA_STIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/jdoc.h"
#include "formats/tlp_markings.h"

struct err_detail;

/* The error for STIX 2.0 content, at bundle or object level. */
#define STIX20_REFUSED "STIX 2.0 is not accepted: spec_version 2.1 required"

enum stix_kind {
	STIX_SDO,    /* STIX Domain Object */
	STIX_SRO,    /* relationship, sighting */
	STIX_SCO,    /* Cyber-observable Object */
	STIX_META,   /* marking-definition, language-content, extension-definition */
	STIX_CUSTOM, /* a type the specification does not define */
};

/* What a caller needs to store an object. The strings point into the document that
 * was validated: they live as long as it does and must not be freed. */
struct stix_object_info {
	const char *type;
	const char *id;
	enum stix_kind kind;
	int64_t created_ms;  /* ms since the epoch; 0 when absent (SCOs) */
	int64_t modified_ms; /* 0 when absent (SCOs; marking-definition: see stix.md) */
	bool revoked;
	enum tlp tlp; /* strictest TLP of object_marking_refs; TLP_NONE when none */
	uint64_t
	    seen_key[2]; /* stix_seen_key of (id, modified), set by stix_check_bundle_element */
};

/* Validates one object, element `index` of a bundle's "objects". On success fills
 * `info` (may be NULL) and returns ERR_OK. Otherwise returns ERR_INVALID (or
 * ERR_TOO_LARGE for the pattern caps) with err->field the path into the bundle
 * ("objects[12].valid_from") and err->message the whole sentence:
 *   objects[12] (indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f) .valid_from: not an
 *   RFC 3339 timestamp
 * `obj` is only read. */
int stix_validate_object(const struct jv *obj, size_t index, struct stix_object_info *info,
			 struct err_detail *err);

/* Totals from stix_validate_bundle_buffer. */
struct stix_bundle_counts {
	size_t objects;
	size_t by_kind[5]; /* indexed by enum stix_kind */
	enum tlp tlp;	   /* strictest TLP over the objects; TLP_NONE when none is marked */
};

/* Runs the whole pipeline over a complete bundle in memory: bundle_stream, jdoc_parse
 * of each object (depth-capped), stix_validate_object, and the duplicate check (the
 * same id with the same modified twice is an error). `max_object_bytes` 0 means the
 * stream's default. Returns ERR_OK with `counts` (may be NULL) filled, or the first
 * error with `err` set. */
int stix_validate_bundle_buffer(const char *data, size_t len, size_t max_object_bytes,
				struct stix_bundle_counts *counts, struct err_detail *err);

struct stix_seen;

/* One element of a bundle's "objects", as every intake checks it: parses the bytes
 * into `doc` (duplicate keys rejected), validates the object and checks its
 * (id, modified) pair against `seen` (NULL: the caller checks with
 * stix_check_duplicate, e.g. in order after validating on several threads). `at` is
 * the element's byte offset in the body, for messages. On ERR_OK, `info`'s strings
 * point into `doc` until its next parse; otherwise `err` says what is wrong. */
int stix_check_bundle_element(struct jdoc *doc, struct stix_seen *seen, const char *obj_json,
			      size_t len, size_t index, size_t at, struct stix_object_info *info,
			      struct err_detail *err);

/* ERR_OK, or ERR_INVALID when the (id, modified) pair whose stix_seen_key is `key`
 * was already added to `seen`; adds it. `id` is only for the message. */
int stix_check_duplicate(struct stix_seen *seen, const uint64_t key[2], const char *id,
			 size_t id_len, size_t index, struct err_detail *err);

/* True if s[0..n) is "<type>--<uuid>" with a well-formed RFC 4122 UUID (version 1-5,
 * variant 10xx) and, when `type` is not NULL, that exact type prefix. */
bool stix_id_valid(const char *s, size_t n, const char *type);

/* True if `s` is an IPv6 address, optionally with "/prefix" (0-128, no leading
 * zeros), as ipv6-addr values must be. */
bool stix_ipv6_text_valid(const char *s);

/* True if `t` follows the STIX type naming rule: 3-250 of [a-z0-9-], starting with
 * a letter, no "--". */
bool stix_type_name_valid(const char *t, size_t n);

/* Kind of a type name; STIX_CUSTOM for types the specification does not define. */
enum stix_kind stix_type_kind(const char *type);

/* Duplicate detection over (id, modified): a set of 128-bit keyed hashes, ~24 bytes
 * per object. The caller frees it with stix_seen_free(). Any thread may compute a
 * key; one thread at a time uses a set. */
struct stix_seen;
struct stix_seen *stix_seen_new(void);
void stix_seen_free(struct stix_seen *s);
void stix_seen_key(const char *id, size_t id_len, int64_t modified_ms, uint64_t key[2]);
/* Returns true and sets *first to the index given when the pair was first added if
 * the pair is already in the set; otherwise adds it with `index` and returns false. */
bool stix_seen_add(struct stix_seen *s, const uint64_t key[2], size_t index, size_t *first);
/* Starts loading the slot of `key`, so that a run of stix_seen_add over many keys
 * overlaps its cache misses. */
void stix_seen_prefetch(const struct stix_seen *s, const uint64_t key[2]);

#endif
