/* The admin's web pages of what comes from outside: peer nodes (with this
 * node's own identity, to read out on the phone) and TAXII sources. Listed
 * in src/routes.c. Any HTTP worker. */
#ifndef ATALAYA_WEB_PAGES_PEERS_H
#define ATALAYA_WEB_PAGES_PEERS_H

#include "http/request.h"

extern const struct route web_peer_routes[];

#endif
