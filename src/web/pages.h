/* The web interface's pages (server-rendered HTML, no script needed), its
 * stylesheet, and the frame every page shares. Listed in src/routes.c. Any
 * HTTP worker. */
#ifndef ATALAYA_WEB_PAGES_H
#define ATALAYA_WEB_PAGES_H

#include "http/request.h"

extern const struct route web_page_routes[];

#endif
