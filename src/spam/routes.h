/* The anti-spam routes (issue 8): abuse reports, fingerprint lookups,
 * reputation, DNSBL listings, delisting requests, import and export. */
#ifndef ATALAYA_SPAM_ROUTES_H
#define ATALAYA_SPAM_ROUTES_H

#include "http/request.h"

extern const struct route spam_routes[];

#endif
