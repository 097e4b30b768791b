/* Who makes a request: a member and its role. Plain data, shared by the HTTP
 * server (which checks a route's role against it), the directory (which maps
 * a token to it) and the policy (which decides what it may see). Role names
 * and parsing live with the directory (directory/directory.h). */
#ifndef ATALAYA_PRINCIPAL_H
#define ATALAYA_PRINCIPAL_H

#include <stdint.h>

enum role { ROLE_READER = 0, ROLE_ANALYST = 1, ROLE_ADMIN = 2 };

struct principal {
	int64_t member_id;
	enum role role;
};

#endif
