/* National profiles (issue 16): what a State (a member) publishes about its
 * cyber-security set-up, field by field, each field and each measure with
 * its own scope: strategy and policy documents, legislation, agencies and
 * their roles, its points of contact (ids of its contacts), and the
 * confidence-building measures of GGE 2013 §26 (a-f) and ITU-D Resolution 45
 * (the meeting's list a-m) with a status and a date.
 *
 * The parser here is pure (no store, no directory): it checks a document in
 * our JSON format or in FIRST's team-information format and returns it in
 * one normalised shape; the routes canonicalise scopes into audiences and
 * store it. Any thread. */
#ifndef ATALAYA_PROFILE_H
#define ATALAYA_PROFILE_H

#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

#define PROFILE_ITEMS_MAX 100	   /* documents, agencies, contacts, FIRST teams */
#define PROFILE_DEPTH_MAX 8	   /* nesting of an imported document */
#define PROFILE_TEXT_MAX 2000	   /* a description */
#define PROFILE_BODY_MAX (1 << 20) /* an imported document */

struct profile_measure {
	const char *id;	    /* "gge26c", "itu45g" */
	const char *source; /* "GGE 2013 §26 c)", "ITU-D Res. 45, meeting report §4 g)" */
	const char *title;
};

/* The catalogue, in order; ends with {0}. */
extern const struct profile_measure profile_measures[];
/* NULL when `id` is not a measure of the catalogue. */
const struct profile_measure *profile_measure_find(const char *id);

/* The profile fields, in order; NULL-terminated. */
extern const char *const profile_field_names[];

enum profile_format { PROFILE_JSON, PROFILE_FIRST };

/* Parses text[0..n) in `fmt` into a new object (caller json_decref()s)
 *   {"fields": {NAME: {"value": V or null, "scope": S}},
 *    "measures": {ID: null or {"status", "since", "note", "scope": S}}}
 * where S is "public", "private" or an audience array (not yet checked
 * against the directory). A FIRST document (an array of teams, or one team)
 * becomes the field "agencies" with the scope `first_scope` ("private" when
 * NULL). ERR_SYNTAX or ERR_INVALID with `err` naming the place
 * ("measures.gge26c.since"). */
int profile_parse(const char *text, size_t n, enum profile_format fmt, const char *first_scope,
		  json_t **out, struct err_detail *err);

/* FIRST team objects (a new array) for the agencies in `agencies`. */
json_t *profile_agencies_to_first(json_t *agencies);

#endif
