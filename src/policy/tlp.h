/* The Traffic Light Protocol as the policy uses it: the level names of the
 * API and the CLI. The levels and the STIX marking ids are a fact of the
 * formats (formats/tlp_markings.h, included here). Any thread. */
#ifndef ATALAYA_TLP_H
#define ATALAYA_TLP_H

#include "formats/tlp_markings.h"

/* "clear", "green", "amber", "amber+strict", "red", "none". */
const char *tlp_name(enum tlp t);
/* Parses the names above (case-insensitive, "white" = clear); -1 if unknown. */
int tlp_parse(const char *s);

#endif
