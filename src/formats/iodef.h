/* IODEF v2 (RFC 7970) incident reports, mapped into a STIX 2.1 bundle.
 *
 * The XML is parsed with libxml2 without network access, without loading any DTD
 * and without substituting entities; a document with a DOCTYPE is rejected. Size
 * and depth are capped. The mapping (docs/internals/stix.md, "IODEF"):
 *   Incident            -> incident SDO (name from IncidentID, description, times)
 *   Contact             -> identity SDO (+ relationship incident -> identity)
 *   Address / DomainData / URL / EmailData / FileData+Hash
 *                       -> ipv4-addr, ipv6-addr, domain-name, url, email-addr, file SCOs
 *                          and an indicator with a STIX pattern for each
 *   restriction         -> TLP: public -> CLEAR, partner/need-to-know -> AMBER,
 *                          private -> RED, default/absent -> no marking
 * Ids are UUIDv5 of the content, so the same document always gives the same bundle.
 *
 * Pure function; any thread may call it (libxml2 must have been initialised once,
 * which iodef_to_stix does itself through pthread_once).
 */
#ifndef ATALAYA_IODEF_H
#define ATALAYA_IODEF_H

#include <stddef.h>

#include <jansson.h>

struct err_detail;

#define IODEF_MAX_BYTES (16u << 20) /* larger documents: ERR_TOO_LARGE */
#define IODEF_MAX_DEPTH 64	    /* deeper element nesting: ERR_TOO_LARGE */

/* Parses xml[0..len) and, on success, sets *bundle_out to a new STIX bundle (a
 * reference the caller owns and releases with json_decref) and returns ERR_OK. On
 * failure returns ERR_SYNTAX (not well-formed XML), ERR_INVALID (not IODEF v2, or a
 * value RFC 7970 does not allow) or ERR_TOO_LARGE, leaves *bundle_out NULL, and
 * err->message names the line and element:
 *   line 14: <Address>: category 'ipv9' not in RFC 7970 */
int iodef_to_stix(const char *xml, size_t len, json_t **bundle_out, struct err_detail *err);

#define IODEF_MAX_WARNINGS 100 /* skipped observables named one by one; then a count */

/* The same, and on success *warnings_out is a new JSON array of strings (the caller
 * json_decrefs it; empty when nothing was skipped). An observable whose value cannot
 * be mapped (an Address that is not an address of its category, a digest that is not
 * one) does not refuse the document: it is left out of the bundle and named here,
 *   line 21: <Address>: '192.0.2.300' is not an IPv4 address; observable skipped
 * while malformed structure (XML, namespace, version, required elements and
 * attributes, enumerated attribute values) still does. */
int iodef_to_stix_warn(const char *xml, size_t len, json_t **bundle_out, json_t **warnings_out,
		       struct err_detail *err);

#endif
