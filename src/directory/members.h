/* Member creation shared by the directory routes and `atalaya init`. */
#ifndef ATALAYA_DIRECTORY_MEMBERS_H
#define ATALAYA_DIRECTORY_MEMBERS_H

#include <stdint.h>

#include "directory/token.h"
#include "store/store.h"

/* Creates a member and its first token in one transaction. `token` receives
 * the token text, to show once. ack_deadline <= 0 keeps the node default.
 * ERR_CONFLICT on a duplicate name. */
int directory_member_create(struct store *st, const char *name, const char *kind,
			    const char *country, const char *languages_json, const char *role,
			    int64_t ack_deadline, int64_t *id, char token[TOKEN_TEXT_MAX],
			    int64_t *token_id);

#endif
