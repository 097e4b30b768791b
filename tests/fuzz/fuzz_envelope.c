/* Fuzzes what a peer node sends: the feed page parser (envelope lines,
 * their bundles, the trailer; and the canonical form of what parses), and
 * the shared contacts answer, the signed sightings answer. */
#include "federation/contacts.h"
#include "federation/envelope.h"
#include "federation/sightings.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	struct err_detail err;
	struct buf canon;
	struct jdoc lines;
	buf_init(&canon, (size_t)1 << 24);
	jdoc_init(&lines, 4);
	for (;;) {
		struct fed_envelope e;
		struct fed_trailer t;
		const char *bundle;
		size_t before = pos;
		err_clear(&err);
		int rc =
		    fed_feed_next(&lines, (const char *)data, size, &pos, &e, &bundle, &t, &err);
		if (rc) {
			if (!err.message[0] || pos != before)
				__builtin_trap(); /* a rejection says why and consumes nothing */
			break;
		}
		if (pos <= before)
			__builtin_trap(); /* progress on every item */
		if (!bundle)
			break;
		if (bundle < (const char *)data || bundle + e.size > (const char *)data + size)
			__builtin_trap();
		fed_canonical(&e, &canon);
		(void)fed_envelope_verify(&e);
		fed_envelope_release(&e);
	}
	buf_release(&canon);
	jdoc_release(&lines);
	/* the same bytes as a feed request's X-Atalaya-Have header */
	char *header = malloc(size + 1);
	struct fed_have have;
	if (header) {
		memcpy(header, data, size);
		header[size] = '\0';
		if (fed_have_parse(header, &have) && have.n > FED_HAVE_MAX)
			__builtin_trap();
		free(header);
	}
	json_t *items = NULL;
	err_clear(&err);
	if (fed_contacts_parse((const char *)data, size, &items, &err) == ERR_OK) {
		if (!json_is_array(items))
			__builtin_trap();
		json_decref(items);
	} else if (!err.message[0]) {
		__builtin_trap();
	}
	json_t *doc = NULL;
	err_clear(&err);
	if (fed_sightings_parse((const char *)data, size, &doc, &err) == ERR_OK) {
		if (!json_is_array(json_object_get(doc, "items")))
			__builtin_trap();
		json_decref(doc);
	} else if (!err.message[0]) {
		__builtin_trap();
	}
	return 0;
}
