#include "formats/iodef.h"

#include "util/err.h"

int iodef_to_stix(const char *xml, size_t len, json_t **bundle_out, struct err_detail *err)
{
	*bundle_out = NULL;
	return err_set(err, ERR_UNSUPPORTED, "", "iodef: not implemented yet");
}
