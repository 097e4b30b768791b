/* A member's constituency as a small set of networks, domain suffixes and AS numbers,
 * and the test "does this observable fall inside it?".
 *
 * Threads: built by one thread (prefixset_add); once built, treat it as immutable and
 * share it: prefixset_contains may then run on any number of threads. To change a
 * constituency, build a new set and swap the pointer. */
#ifndef ATALAYA_PREFIXSET_H
#define ATALAYA_PREFIXSET_H

#include <stdbool.h>
#include <stddef.h>

#include "index/observable.h"

struct prefixset;

/* Free with prefixset_free. */
struct prefixset *prefixset_new(void);
void prefixset_free(struct prefixset *set);

/* Adds an address or network (OBS_IPV4/OBS_IPV6), a domain suffix (OBS_DOMAIN: the
 * domain and everything under it) or an ASN. Other kinds: ERR_INVALID with `err`
 * naming the value. */
int prefixset_add(struct prefixset *set, const struct observable *o, struct err_detail *err);

/* True when `o` falls inside the set: an address or network inside one of its networks;
 * a domain equal to or under one of its suffixes; a URL or e-mail address whose host
 * does; an ASN in it. */
bool prefixset_contains(const struct prefixset *set, const struct observable *o);

/* Number of entries. */
size_t prefixset_size(const struct prefixset *set);

#endif
