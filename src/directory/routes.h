/* The directory's route tables: members and their tokens (members.c), groups
 * (groups.c), points of contact (contacts.c). Listed in src/routes.c. */
#ifndef ATALAYA_DIRECTORY_ROUTES_H
#define ATALAYA_DIRECTORY_ROUTES_H

#include "http/request.h"

extern const struct route directory_member_routes[];
extern const struct route directory_group_routes[];
extern const struct route directory_contact_routes[];

#endif
