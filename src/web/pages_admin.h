/* The admin's web pages (members, groups, people). Listed in src/routes.c.
 * Any HTTP worker. */
#ifndef ATALAYA_WEB_PAGES_ADMIN_H
#define ATALAYA_WEB_PAGES_ADMIN_H

#include "http/request.h"

extern const struct route web_admin_routes[];

#endif
