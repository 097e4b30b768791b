/* Inside the STIX validator, shared by its files (stix.c: identifiers, the
 * property table, the object; stix_types.c: the rules of one type or
 * another). Not for use outside src/formats/stix*.c. Pure: any thread. */
#ifndef ATALAYA_STIX_CHECK_H
#define ATALAYA_STIX_CHECK_H

#include "formats/jdoc.h"
#include "formats/stix.h"

struct err_detail;
struct type_def;

/* The kinds of property the table of stix.c knows. */
enum pkind {
	P_STR,	    /* string */
	P_BOOL,	    /* boolean */
	P_INT,	    /* integer in [min, max] */
	P_NUM,	    /* number in [min, max] */
	P_TIME,	    /* RFC 3339 UTC timestamp */
	P_TIME_MS,  /* same, with at least millisecond precision */
	P_REF,	    /* identifier of an allowed type */
	P_REFS,	    /* non-empty list of those */
	P_STRS,	    /* non-empty list of strings */
	P_STRS0,    /* list of strings, may be empty */
	P_OBJ,	    /* non-empty object */
	P_HASHES,   /* hashes dictionary */
	P_KCP,	    /* kill chain phases */
	P_EXTREFS,  /* external references */
	P_GRANULAR, /* granular markings */
	P_EXTS,	    /* extensions */
};

struct prop_rule {
	const char *types; /* space-separated; NULL: every type; "!a b": every type but those */
	const char *name;
	enum pkind kind;
	double min, max;
	const char *refs; /* P_REF(S): allowed types, or @sdo @sco @sro @rel @any */
};

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

/* An RFC 3339 timestamp as STIX writes it (upper-case T and Z); need_ms: with
 * at least milliseconds. *ms (may be NULL) gets its time. */
bool stix_is_ts(const char *s, size_t n, bool need_ms, int64_t *ms);
/* Is w one of the space-separated words of list (a leading '!' ignored)? */
bool stix_word_in(const char *list, const char *w);
/* Property `path` holds a reference to an object of a type in `allowed` (as
 * prop_rule.refs; NULL: any type). */
int stix_check_ref(struct vctx *v, const char *path, const struct jv *j, const char *allowed);
/* Same for a non-empty list of references. */
int stix_check_refs(struct vctx *v, const char *path, const struct jv *j, const char *allowed);
/* Property j passes rule r; a timestamp's time goes to *ts. */
int stix_check_rule(struct vctx *v, const struct prop_rule *r, const struct jv *j, int64_t *ts);

/* Does the object have property k? */
static inline bool stix_has(const struct vctx *v, const char *k)
{
	return jv_get(v->obj, k) != NULL;
}

/* The rules of the object's own type, once the property table has passed it:
 * ERR_OK, or an error set through stix_verr. */
int stix_check_type_specific(struct vctx *v);

#endif
