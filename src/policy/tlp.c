#include "policy/tlp.h"

static const char *const names[] = {"clear", "green", "amber", "amber+strict", "red", "none"};

const char *tlp_name(enum tlp t)
{
	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "none";
}

int tlp_parse(const char *s)
{
	if (!strcasecmp(s, "white"))
		return TLP_CLEAR;
	if (!strcasecmp(s, "amber strict")) /* "amber+strict" in a query string unencoded */
		return TLP_AMBER_STRICT;
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return -1;
}
