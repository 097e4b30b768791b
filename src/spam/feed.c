/* Incident indicators into the DNSBL. See feed.h. */
#include "spam/feed.h"

#include "policy/policy.h"
#include "spam/service.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <string.h>

struct feed {
	struct spam *spam;
	struct directory *dir;
	const struct index_report *r;
	/* the indicator at hand (by its objects row) and what it does */
	int64_t object_seq;
	enum { FEED_NONE, FEED_LIST, FEED_REVOKE } what;
	int64_t blocking_until; /* its valid_until, INT64_MAX when none */
	struct spam_incident_value *block;
	size_t nblock, capblock;
};

/* What an indicator does to the DNSBL: its values are listed when its provider
 * meant it for blocking (indicator_types malicious-activity) and the policy lets
 * anonymous DNS clients see it (TLP:CLEAR, shared with everyone); a revoked version
 * removes what the provider's earlier versions listed. */
static int feed_of(struct feed *fd, const struct jv *obj, enum tlp tlp)
{
	if (jv_is_true(jv_get(obj, "revoked")))
		return FEED_REVOKE;
	const struct jv *types = jv_get(obj, "indicator_types"), *t;
	size_t i;
	bool meant = false;
	jv_array_foreach(types, i, t)
	{
		if (jv_str(t) && !strcmp(jv_str(t), "malicious-activity"))
			meant = true;
	}
	struct policy_subject o = fd->r->subject;
	o.tlp = tlp; /* the indicator's own marking */
	return meant && policy_may_see(fd->dir, NULL, &o, POLICY_DNS) ? FEED_LIST : FEED_NONE;
}

static void *feed_begin(struct node *node, const struct index_report *r)
{
	if (!node->spam)
		return NULL;
	struct feed *fd = xcalloc(1, sizeof(*fd));
	fd->spam = node->spam;
	fd->dir = node->dir;
	fd->r = r;
	fd->object_seq = -1;
	return fd;
}

/* The DNSBL answers for addresses and domains; a listing lasts as long as the
 * indicator is valid, and at most one half-life of its kind after it was seen. */
static void feed_observable(void *state, const struct index_found *f)
{
	struct feed *fd = state;
	if (strcmp(f->type, "indicator"))
		return;
	if (f->object_seq != fd->object_seq) {
		fd->object_seq = f->object_seq;
		fd->what = feed_of(fd, f->obj, f->tlp);
		fd->blocking_until = index_json_time(f->obj, "valid_until", INT64_MAX);
	}
	const struct observable *o = f->o;
	if (fd->what == FEED_NONE ||
	    (o->kind != OBS_IPV4 && o->kind != OBS_IPV6 && o->kind != OBS_DOMAIN))
		return;
	if (fd->nblock == fd->capblock) {
		fd->capblock = fd->capblock ? 2 * fd->capblock : 64;
		fd->block = xrealloc(fd->block, fd->capblock * sizeof(*fd->block));
	}
	int64_t expires = f->seen + observable_half_life_ms(o->kind);
	if (fd->blocking_until < expires)
		expires = fd->blocking_until;
	fd->block[fd->nblock].value = xstrndup(o->value, o->len);
	fd->block[fd->nblock].expires = expires;
	fd->block[fd->nblock].revoked = fd->what == FEED_REVOKE;
	fd->nblock++;
}

/* After the indexer's transaction: TLP:CLEAR indicators meant for blocking
 * feed the DNSBL (code 9), in a transaction of the spam service's own. */
static void feed_done(void *state, int rc)
{
	struct feed *fd = state;
	(void)rc;
	if (fd->nblock) {
		size_t listed, removed;
		int frc = spam_incident_feed(fd->spam, fd->r->subject.owner, fd->r->id, fd->block,
					     fd->nblock, &listed, &removed);
		if (frc)
			log_err("event=dnsbl_incident report=%s error=\"%s\"", fd->r->id,
				err_str(frc));
	}
	for (size_t i = 0; i < fd->nblock; i++)
		free((char *)fd->block[i].value);
	free(fd->block);
	free(fd);
}

const struct index_subscriber spam_feed_subscriber = {
    .name = "dnsbl-feed",
    .begin = feed_begin,
    .observable = feed_observable,
    .done = feed_done,
};
