#include "http/router.h"

#include <stdio.h>

/* Matches one pattern against the path; captures parameters into r. */
static bool match(const char *pat, const char *path, struct request *r)
{
	size_t np = 0;
	while (*pat && *path) {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			const char *end = strchr(path, '/');
			size_t len = end ? (size_t)(end - path) : strlen(path);
			if (!close || len == 0 || np == MAX_PARAMS)
				return false;
			/* {id}, {token_id}...: positive integers; other names: text */
			bool numeric = close - pat >= 3 && !strncmp(close - 2, "id}", 3);
			char *seg = r ? arena_strndup(&r->arena, path, len) : NULL;
			int64_t id = 0;
			if (numeric) {
				char tmp[24];
				if (len >= sizeof(tmp))
					return false;
				memcpy(tmp, path, len);
				tmp[len] = '\0';
				if (!http_parse_id(tmp, &id))
					return false;
			}
			if (r) {
				r->param[np] = seg;
				r->id[np] = id;
			}
			np++;
			pat = close + 1;
			path += len;
			continue;
		}
		if (*pat != *path)
			return false;
		pat++;
		path++;
	}
	return !*pat && !*path;
}

enum router_match router_find(const struct route *routes, size_t n, struct request *r,
			      const char *method, const char *path, char *allow, size_t allow_size)
{
	bool path_seen = false;
	size_t used = 0;

	if (allow_size)
		allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!match(routes[i].pattern, path, NULL))
			continue;
		if (!strcmp(routes[i].method, method)) {
			match(routes[i].pattern, path, r);
			r->route = &routes[i];
			r->route_index = i;
			return ROUTER_FOUND;
		}
		path_seen = true;
		if (!strstr(allow, routes[i].method) &&
		    used + strlen(routes[i].method) + 3 < allow_size)
			used += (size_t)snprintf(allow + used, allow_size - used, "%s%s",
						 used ? ", " : "", routes[i].method);
	}
	return path_seen ? ROUTER_BAD_METHOD : ROUTER_NO_PATH;
}

bool http_role_allowed(struct request *r)
{
	if ((r->route->flags & ROUTE_ADMIN) && r->who.role != ROLE_ADMIN) {
		http_error(r, 403, "forbidden", NULL, "this needs the admin role");
		return false;
	}
	if ((r->route->flags & ROUTE_WRITE) && r->who.role == ROLE_READER) {
		http_error(r, 403, "forbidden", NULL, "this needs the analyst or admin role");
		return false;
	}
	return true;
}
