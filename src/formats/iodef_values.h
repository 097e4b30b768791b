/* IODEF v2 text values that map to STIX values, for iodef.c (private to
 * src/formats/). Pure functions: any thread. */
#ifndef ATALAYA_IODEF_VALUES_H
#define ATALAYA_IODEF_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 address, or a CIDR when followed by "/len" (0..32): *prefix gets
 * len, or -1 when there is none. */
bool iodef_ipv4_text_ok(const char *s, int *prefix);
/* "192.0.2.0/255.255.255.0" -> "192.0.2.0/24" into out (n bytes); the mask
 * must be contiguous. */
bool iodef_ipv4_mask_to_cidr(const char *v, char *out, size_t n);
/* "64496", "AS64496" or asdot "1.10" (RFC 5396), 1..2^32-1. */
bool iodef_asn_parse(const char *v, uint32_t *out);
/* A MAC address with ':' or '-' between six pairs of hex digits, into STIX's
 * form (lowercase, colons). */
bool iodef_mac_normalise(const char *v, char out[18]);
/* Base64 (white space ignored) to lowercase hex into hex (hexn bytes); false
 * if malformed, empty or too long. */
bool iodef_b64_to_hex(const char *s, char *hex, size_t hexn);
/* The STIX hash name ("SHA-256") of an XML Signature digest algorithm URI
 * ("...#sha256"); NULL for others. Static storage. */
const char *iodef_hash_name(const char *alg);
/* A DigestValue written in hex of exactly the digest's length, lowercased
 * into hex; false otherwise (then it is base64). */
bool iodef_digest_hex(const char *stix_name, const char *val, char *hex, size_t hexn);

#endif
