/* The incident-exchange routes (reports, objects, audit, export). */
#ifndef ATALAYA_REPORT_ROUTES_H
#define ATALAYA_REPORT_ROUTES_H

#include "http/request.h"

extern const struct route report_routes[];

#endif
