/* Traffic Light Protocol 2.0 levels, ordered from widest to strictest, so
 * that the strictest of several is their maximum. TLP_NONE means unmarked:
 * it is never treated as CLEAR (deny by default). Any thread. */
#ifndef ATALAYA_TLP_H
#define ATALAYA_TLP_H

enum tlp {
	TLP_CLEAR = 0,
	TLP_GREEN = 1,
	TLP_AMBER = 2,
	TLP_AMBER_STRICT = 3,
	TLP_RED = 4,
	TLP_NONE = 5, /* unmarked: handled as strictly as RED's audience rule allows */
};

/* "clear", "green", "amber", "amber+strict", "red", "none". */
const char *tlp_name(enum tlp t);
/* Parses the names above (case-insensitive, "white" = clear); -1 if unknown. */
int tlp_parse(const char *s);
/* The STIX marking-definition id of a TLP 1.0 or 2.0 marking -> level;
 * -1 if the id is not a TLP marking. WHITE counts as CLEAR. */
int tlp_from_marking_id(const char *id);

#endif
