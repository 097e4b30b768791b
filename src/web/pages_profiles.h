/* The web pages of national profiles and of the progress report (a State's
 * profile, editing one's own, the report as charts). Listed in src/routes.c.
 * Any HTTP worker. */
#ifndef ATALAYA_WEB_PAGES_PROFILES_H
#define ATALAYA_WEB_PAGES_PROFILES_H

#include "http/request.h"

extern const struct route web_profile_routes[];

#endif
