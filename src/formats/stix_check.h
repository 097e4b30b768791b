/* Inside the STIX validator, shared by its files (stix.c: identifiers, the
 * property table, the object; stix_types.c: the rules of one type or
 * another). Not for use outside src/formats/stix*.c. Pure: any thread. */
#ifndef ATALAYA_STIX_CHECK_H
#define ATALAYA_STIX_CHECK_H

#include "formats/jdoc.h"
#include "formats/stix.h"

struct err_detail;
struct type_def;

/* The object being validated. */
struct vctx {
	const struct jv *obj;
	size_t index;
	const char *id; /* for messages; NULL when absent or not a string */
	const char *type;
	const struct type_def *def;
	enum stix_kind kind;
	struct err_detail *err;
};

/* Sets v->err to "objects[i] (id) .path: message" with the field "objects[i].path"
 * (path may be NULL) and returns code. */
int stix_verr(struct vctx *v, int code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Does the object have property k? */
static inline bool stix_has(const struct vctx *v, const char *k)
{
	return jv_get(v->obj, k) != NULL;
}

/* The rules of the object's own type, once the property table has passed it:
 * ERR_OK, or an error set through stix_verr. */
int stix_check_type_specific(struct vctx *v);

#endif
