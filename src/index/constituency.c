/* Members' constituencies and their match sets. See constituency.h. */
#include "index/constituency.h"

#include "index/prefixset.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <string.h>

struct cset {
	int64_t member;
	struct prefixset *set;
};

struct constituency {
	pthread_rwlock_t lock; /* readers match, constituency_set swaps */
	struct cset *cs;
	size_t ncs;
};

int constituency_entry(const char *field, json_t *v, struct observable *o, struct err_detail *err)
{
	char num[32];
	const char *text;
	size_t n;
	enum obs_kind hint = !strcmp(field, "asns")	 ? OBS_ASN
			     : !strcmp(field, "domains") ? OBS_DOMAIN
							 : OBS_AUTO;
	if (json_is_integer(v) && hint == OBS_ASN) {
		n = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				     json_integer_value(v));
		text = num;
	} else if (json_is_string(v)) {
		text = json_string_value(v);
		n = json_string_length(v);
	} else {
		return err_set(err, ERR_INVALID, field, "%s: every entry must be a string", field);
	}
	int rc = observable_normalise(hint, text, n, o, err);
	if (!rc && hint == OBS_AUTO && o->kind != OBS_IPV4 && o->kind != OBS_IPV6)
		rc = err_set(err, ERR_INVALID, field, "'%.64s': not an IPv4 or IPv6 network", text);
	if (rc && err) {
		char msg[sizeof(err->message)];
		snprintf(msg, sizeof(msg), "%.400s", err->message);
		return err_set(err, rc, field, "%s: %s", field, msg);
	}
	return ERR_OK;
}

static struct prefixset *build_set(json_t *cidrs, json_t *asns, json_t *domains)
{
	struct prefixset *set = prefixset_new();
	json_t *lists[3] = {cidrs, asns, domains};
	static const char *const names[3] = {"cidrs", "asns", "domains"};
	for (int k = 0; k < 3; k++) {
		size_t i;
		json_t *v;
		json_array_foreach(lists[k], i, v)
		{
			struct observable o;
			if (!constituency_entry(names[k], v, &o, NULL))
				prefixset_add(set, &o, NULL);
		}
	}
	return set;
}

static void swap_set(struct constituency *w, int64_t member, struct prefixset *set)
{
	struct prefixset *old = NULL;
	pthread_rwlock_wrlock(&w->lock);
	size_t i;
	for (i = 0; i < w->ncs && w->cs[i].member != member; i++)
		;
	if (i == w->ncs) {
		w->cs = xrealloc(w->cs, (w->ncs + 1) * sizeof(*w->cs));
		w->cs[w->ncs].member = member;
		w->cs[w->ncs].set = NULL;
		w->ncs++;
	}
	old = w->cs[i].set;
	w->cs[i].set = set;
	pthread_rwlock_unlock(&w->lock);
	prefixset_free(old);
}

int constituency_set(struct constituency *w, struct store *st, int64_t member, json_t *cidrs,
		     json_t *asns, json_t *domains, struct err_detail *err)
{
	struct store_conn *c;
	(void)err;
	int rc = store_write_begin(st, &c);
	if (rc)
		return rc;
	sqlite3_stmt *s =
	    store_stmt(c, "INSERT OR REPLACE INTO constituencies(member, cidrs, asns, "
			  "domains, updated) VALUES (?,?,?,?,?)");
	char *t[3] = {json_dumps(cidrs, JSON_COMPACT), json_dumps(asns, JSON_COMPACT),
		      json_dumps(domains, JSON_COMPACT)};
	sqlite3_bind_int64(s, 1, member);
	for (int k = 0; k < 3; k++)
		sqlite3_bind_text(s, 2 + k, t[k], -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, time_now_ms());
	int src = sqlite3_step(s);
	sqlite3_reset(s);
	for (int k = 0; k < 3; k++)
		free(t[k]);
	if (src != SQLITE_DONE)
		rc = store_error(c, src, "constituency_put");
	rc = store_write_end(st, rc);
	if (!rc)
		swap_set(w, member, build_set(cidrs, asns, domains));
	return rc;
}

static int load_constituencies(struct constituency *w, struct store *st)
{
	struct store_conn *c = store_reader(st);
	if (!c)
		return ERR_STORE;
	sqlite3_stmt *s = store_stmt(c, "SELECT member, cidrs, asns, domains FROM constituencies");
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *l[3];
		for (int k = 0; k < 3; k++)
			l[k] = json_loads((const char *)sqlite3_column_text(s, 1 + k), 0, NULL);
		swap_set(w, sqlite3_column_int64(s, 0), build_set(l[0], l[1], l[2]));
		for (int k = 0; k < 3; k++)
			json_decref(l[k]);
	}
	sqlite3_reset(s);
	return ERR_OK;
}

struct constituency *constituency_new(struct store *st)
{
	struct constituency *cs = xcalloc(1, sizeof(*cs));
	pthread_rwlock_init(&cs->lock, NULL);
	load_constituencies(cs, st);
	return cs;
}

void constituency_free(struct constituency *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < cs->ncs; i++)
		prefixset_free(cs->cs[i].set);
	free(cs->cs);
	pthread_rwlock_destroy(&cs->lock);
	free(cs);
}

bool constituency_holds(struct constituency *cs, int64_t member, const char *value, size_t len)
{
	struct observable o;
	struct err_detail e;
	bool in = false;
	if (!cs || observable_normalise(OBS_AUTO, value, len, &o, &e))
		return false;
	pthread_rwlock_rdlock(&cs->lock);
	for (size_t i = 0; i < cs->ncs && !in; i++)
		in = cs->cs[i].member == member && cs->cs[i].set &&
		     prefixset_contains(cs->cs[i].set, &o);
	pthread_rwlock_unlock(&cs->lock);
	return in;
}

void constituency_match(struct constituency *cs, const struct observable *o, constituency_fn fn,
			void *ctx)
{
	pthread_rwlock_rdlock(&cs->lock);
	for (size_t i = 0; i < cs->ncs; i++)
		if (cs->cs[i].set && prefixset_contains(cs->cs[i].set, o))
			fn(ctx, cs->cs[i].member);
	pthread_rwlock_unlock(&cs->lock);
}
