/* The Traffic Light Protocol as the formats carry it: the levels, and the
 * predefined STIX marking-definition ids of TLP 1.0 (STIX 2.1 section
 * 7.2.1.4) and TLP 2.0 (OASIS), with their canonical definitions. These are
 * facts of the format, so they live beside the parsers; policy/tlp.h adds
 * the names the API uses and builds the scope rules on them.
 *
 * Constant tables, no state: any thread.
 */
#ifndef ATALAYA_TLP_MARKINGS_H
#define ATALAYA_TLP_MARKINGS_H

/* TLP 2.0 levels, ordered from widest to strictest, so that the strictest of
 * several is their maximum. TLP_NONE means unmarked: it is never treated as
 * CLEAR (deny by default). */
enum tlp {
	TLP_CLEAR = 0,
	TLP_GREEN = 1,
	TLP_AMBER = 2,
	TLP_AMBER_STRICT = 3,
	TLP_RED = 4,
	TLP_NONE = 5, /* unmarked: handled as strictly as RED's audience rule allows */
};

/* The STIX marking-definition id of a TLP 1.0 or 2.0 marking -> level;
 * -1 if the id is not a TLP marking. WHITE counts as CLEAR. */
int tlp_from_marking_id(const char *id);

/* The canonical definition behind a predefined TLP marking id: TLP 1.0
 * (STIX 2.1 section 7.2.1.4: definition_type "tlp", definition {"tlp": value})
 * or TLP 2.0 (OASIS: the property extension `TLP_EXTENSION_ID` with
 * "tlp_2_0": value). Static storage. */
#define TLP_EXTENSION_ID "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
struct tlp_marking {
	const char *id;
	enum tlp level;
	int version;	   /* 1 (TLP 1.0) or 2 (TLP 2.0) */
	const char *name;  /* "TLP:WHITE", "TLP:AMBER+STRICT" */
	const char *value; /* definition.tlp (1.0) or tlp_2_0 (2.0): "white", "amber+strict" */
	const char
	    *created; /* "2017-01-20T00:00:00.000Z" (1.0), "2022-10-01T00:00:00.000Z" (2.0) */
};
/* The entry for `id`, or NULL when it is not a predefined TLP marking id. */
const struct tlp_marking *tlp_marking_lookup(const char *id);
/* The TLP 2.0 marking-definition id of `level` (TLP_CLEAR..TLP_RED); static
 * storage. Programmer error (assert) for TLP_NONE. */
const char *tlp_marking_id(enum tlp level);

#endif
