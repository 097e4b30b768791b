/* The web pages of communication checks (list, start, a check, its report).
 * Listed in src/routes.c. Any HTTP worker. */
#ifndef ATALAYA_WEB_PAGES_CHECKS_H
#define ATALAYA_WEB_PAGES_CHECKS_H

#include "http/request.h"

extern const struct route web_check_routes[];

#endif
