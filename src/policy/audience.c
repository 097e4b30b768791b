#include "policy/audience.h"

#include "util/xalloc.h"

struct item {
	char kind; /* 'a' all, 'g' group, 'm' member, 'p' peer node (federation) */
	int64_t id;
};

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	return (x->id > y->id) - (x->id < y->id);
}

/* Parses one item of text (not NUL-terminated); false if malformed. */
static bool parse_item(const char *s, size_t n, struct item *it)
{
	const char *num;
	size_t len;
	if (n == 3 && !memcmp(s, "all", 3)) {
		it->kind = 'a';
		it->id = 0;
		return true;
	}
	if (n > 6 && !memcmp(s, "group:", 6)) {
		it->kind = 'g';
		num = s + 6;
	} else if (n > 7 && !memcmp(s, "member:", 7)) {
		it->kind = 'm';
		num = s + 7;
	} else if (n > 5 && !memcmp(s, "peer:", 5)) {
		it->kind = 'p';
		num = s + 5;
	} else {
		return false;
	}
	len = n - (size_t)(num - s);
	if (len > 18 || num[0] == '0')
		return false;
	it->id = 0;
	for (size_t i = 0; i < len; i++) {
		if (num[i] < '0' || num[i] > '9')
			return false;
		it->id = it->id * 10 + (num[i] - '0');
	}
	return true;
}

static int finish(struct item *items, size_t n, struct directory *d, const char *field,
		  struct buf *out, struct err_detail *err)
{
	for (size_t i = 0; i < n; i++) {
		if (items[i].kind == 'g' && !directory_group_exists(d, items[i].id))
			return err_set(err, ERR_INVALID, field, "%s[%zu]: no group %" PRId64, field,
				       i, items[i].id);
		if (items[i].kind == 'm' && !directory_member_exists(d, items[i].id))
			return err_set(err, ERR_INVALID, field, "%s[%zu]: no member %" PRId64,
				       field, i, items[i].id);
		if (items[i].kind == 'p' && !directory_peer_exists(d, items[i].id))
			return err_set(err, ERR_INVALID, field, "%s[%zu]: no peer %" PRId64, field,
				       i, items[i].id);
	}
	qsort(items, n, sizeof(*items), cmp_item);
	buf_reset(out);
	buf_addc(out, '[');
	for (size_t i = 0, w = 0; i < n; i++) {
		if (i && !cmp_item(&items[i], &items[i - 1]))
			continue;
		if (w++)
			buf_addc(out, ',');
		if (items[i].kind == 'a')
			buf_adds(out, "\"all\"");
		else
			buf_addf(out, "\"%s:%" PRId64 "\"",
				 items[i].kind == 'g'	? "group"
				 : items[i].kind == 'm' ? "member"
							: "peer",
				 items[i].id);
	}
	return buf_addc(out, ']');
}

#define AUDIENCE_MAX 1000

int audience_from_json(json_t *arr, struct directory *d, const char *field, struct buf *out,
		       struct err_detail *err)
{
	size_t i, n;
	json_t *v;
	int rc;

	if (!json_is_array(arr))
		return err_set(err, ERR_INVALID, field,
			       "%s: must be an array of \"all\", \"group:ID\", \"member:ID\", "
			       "\"peer:ID\"",
			       field);
	n = json_array_size(arr);
	if (n > AUDIENCE_MAX)
		return err_set(err, ERR_INVALID, field, "%s: more than %d items", field,
			       AUDIENCE_MAX);
	struct item *items = xcalloc(n ? n : 1, sizeof(*items));
	rc = ERR_OK;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v) ||
		    !parse_item(json_string_value(v), json_string_length(v), &items[i])) {
			rc = err_set(
			    err, ERR_INVALID, field,
			    "%s[%zu]: not \"all\", \"group:ID\", \"member:ID\" or \"peer:ID\"",
			    field, i);
			break;
		}
	}
	if (!rc)
		rc = finish(items, n, d, field, out, err);
	free(items);
	return rc;
}

int audience_from_text(const char *list, struct directory *d, const char *field, struct buf *out,
		       struct err_detail *err)
{
	size_t n = 0, cap = 8;
	struct item *items = xcalloc(cap, sizeof(*items));
	int rc = ERR_OK;
	const char *p = list ? list : "";

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (n == AUDIENCE_MAX) {
			rc = err_set(err, ERR_INVALID, field, "%s: more than %d items", field,
				     AUDIENCE_MAX);
			break;
		}
		if (n == cap)
			items = xrealloc(items, (cap *= 2) * sizeof(*items));
		if (!parse_item(p, len, &items[n])) {
			rc = err_set(err, ERR_INVALID, field,
				     "%s[%zu]: '%.*s' is not all, group:ID, member:ID or peer:ID",
				     field, n, (int)(len > 60 ? 60 : len), p);
			break;
		}
		n++;
		p += len + (comma ? 1 : 0);
	}
	if (!rc)
		rc = finish(items, n, d, field, out, err);
	free(items);
	return rc;
}

bool audience_includes(const char *aud, int64_t member, struct directory *d)
{
	const char *p = aud;
	while ((p = strchr(p, '"'))) {
		const char *end = strchr(p + 1, '"');
		struct item it;
		if (!end)
			break;
		if (parse_item(p + 1, (size_t)(end - p - 1), &it)) {
			if (it.kind == 'a')
				return true;
			if (it.kind == 'm' && it.id == member)
				return true;
			if (it.kind == 'g' && directory_in_group(d, member, it.id))
				return true;
		}
		p = end + 1;
	}
	return false;
}

bool audience_names(const char *aud, const char *kind, int64_t id)
{
	char item[48];
	snprintf(item, sizeof(item), "\"%.8s:%" PRId64 "\"", kind, id);
	return strstr(aud, item) != NULL;
}

int audience_local_only(const char *aud, const char *field, const char *what,
			struct err_detail *err)
{
	if (!strstr(aud, "\"peer:"))
		return ERR_OK;
	return err_set(err, ERR_INVALID, field,
		       "%s: names a peer node, but %s stay on this node (only reports and "
		       "points of contact travel to peers): name members and groups",
		       field, what);
}

bool audience_named_only(const char *aud)
{
	return !strstr(aud, "\"all\"") && !strstr(aud, "\"group:");
}

json_t *audience_to_json(const char *aud)
{
	json_t *arr = json_loads(aud, 0, NULL);
	return arr ? arr : json_array();
}
