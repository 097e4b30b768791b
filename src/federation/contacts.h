/* Points of contact shared with peer nodes (GGE §26c): a contact whose
 * audience names "peer:ID" is served to that peer (GET
 * /api/v1/federation/contacts, a signed node request), which keeps the set
 * it last received and shows it to the members its admin gave that peer
 * (GET /api/v1/peers/{id}/contacts). Routes: HTTP workers; the pull: the
 * sync (sync_lock held). */
#ifndef ATALAYA_FED_CONTACTS_H
#define ATALAYA_FED_CONTACTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "federation/keys.h"
#include "http/request.h"
#include "util/err.h"

#define FED_CONTACTS_MAX 10000

/* Parses and checks a peer's answer {"items":[{...},...]}: every item's
 * fields, types and lengths. On ERR_OK *items is a new reference to the
 * array; errors name the item and field. */
int fed_contacts_parse(const char *body, size_t len, json_t **items, struct err_detail *err);

/* Is the item's "signature" the signer's (`signer_pk`, the peer's pinned
 * key) over the contact as shared with the node of key `recipient_hex`? */
bool fed_contact_verify(const unsigned char signer_pk[FED_KEY_BYTES], const char *recipient_hex,
			json_t *it);

extern const struct route federation_contact_routes[];

#endif
