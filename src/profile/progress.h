/* The progress report (ITU-D Res. 45, monitoring of progress): per State,
 * the measures of its profile implemented and since when, the answer rate
 * of communication checks and the median time to acknowledge alerts; only
 * what the caller may see (policy_may_see, POLICY_PROGRESS). Any HTTP
 * worker. */
#ifndef ATALAYA_PROFILE_PROGRESS_H
#define ATALAYA_PROFILE_PROGRESS_H

#include "http/request.h"

/* GET /api/v1/progress?format=json|csv|html&since=YYYY-MM-DD */
void progress_get(struct request *r);

#endif
