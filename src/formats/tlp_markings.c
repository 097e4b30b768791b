/* The predefined TLP marking definitions of STIX 2.1 and OASIS TLP 2.0. */
#include <assert.h>

#include "formats/tlp_markings.h"

/* OASIS TLP 2.0 marking definitions (extension-definition--60a3c5c5-...) and
 * the four TLP 1.0 ones predefined in STIX 2.1 section 7.2.1.4. The TLP 2.0
 * ones come first, in level order: tlp_marking_id() indexes them by level. */
#define V1 "2017-01-20T00:00:00.000Z"
#define V2 "2022-10-01T00:00:00.000Z"
static const struct tlp_marking markings[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", TLP_CLEAR, 2, "TLP:CLEAR", "clear",
     V2},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", TLP_GREEN, 2, "TLP:GREEN", "green",
     V2},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", TLP_AMBER, 2, "TLP:AMBER", "amber",
     V2},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", TLP_AMBER_STRICT, 2,
     "TLP:AMBER+STRICT", "amber+strict", V2},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", TLP_RED, 2, "TLP:RED", "red", V2},
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", TLP_CLEAR, 1, "TLP:WHITE", "white",
     V1},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", TLP_GREEN, 1, "TLP:GREEN", "green",
     V1},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", TLP_AMBER, 1, "TLP:AMBER", "amber",
     V1},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", TLP_RED, 1, "TLP:RED", "red", V1},
};

const struct tlp_marking *tlp_marking_lookup(const char *id)
{
	for (size_t i = 0; i < sizeof(markings) / sizeof(markings[0]); i++)
		if (!strcmp(id, markings[i].id))
			return &markings[i];
	return NULL;
}

int tlp_from_marking_id(const char *id)
{
	const struct tlp_marking *m = tlp_marking_lookup(id);

	return m ? (int)m->level : -1;
}

const char *tlp_marking_id(enum tlp level)
{
	assert(level >= TLP_CLEAR && level <= TLP_RED);
	assert(markings[level].version == 2 && markings[level].level == level);
	return markings[level].id;
}
