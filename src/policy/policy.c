#include "policy/policy.h"

#include "policy/audience.h"

static const char *const path_names[POLICY_PATH_COUNT] = {
    [POLICY_CONTACT_LIST] = "contacts.list",
    [POLICY_CONTACT_GET] = "contacts.get",
    [POLICY_REPORT_LIST] = "reports.list",
    [POLICY_REPORT_GET] = "reports.get",
    [POLICY_REPORT_BUNDLE] = "reports.bundle",
    [POLICY_REPORT_AUDIT] = "reports.audit",
    [POLICY_OBJECT_LIST] = "objects.list",
    [POLICY_OBJECT_GET] = "objects.get",
    [POLICY_OBJECT_VERSIONS] = "objects.versions",
    [POLICY_EXPORT] = "export",
    [POLICY_LOOKUP] = "lookup",
    [POLICY_RELATED] = "related",
    [POLICY_ALERT] = "alert",
    [POLICY_DNS] = "dns",
    [POLICY_CHECK_RESULT] = "checks.results",
    [POLICY_PROFILE_GET] = "profiles.get",
    [POLICY_PROFILE_EXPORT] = "profiles.export",
    [POLICY_PROGRESS] = "progress",
    [POLICY_REQUEST_LIST] = "requests.list",
    [POLICY_REQUEST_GET] = "requests.get",
    [POLICY_REQUEST_ACT] = "requests.act",
    [POLICY_REQUEST_NOTICE] = "requests.notice",
    [POLICY_REQUEST_STATS] = "requests.stats",
    [POLICY_REQUEST_VIEWS] = "requests.views",
    [POLICY_TAXII_OBJECTS] = "taxii.objects",
    [POLICY_TAXII_MANIFEST] = "taxii.manifest",
    [POLICY_TAXII_OBJECT] = "taxii.object",
    [POLICY_TAXII_VERSIONS] = "taxii.versions",
    [POLICY_TAXII_STATUS] = "taxii.status",
    [POLICY_PEER_FEED] = "federation.feed",
    [POLICY_REPORT_SIGHTINGS] = "reports.sightings",
};

const char *policy_path_name(enum policy_path p)
{
	return (unsigned)p < POLICY_PATH_COUNT ? path_names[p] : "unknown";
}

bool policy_may_see(struct directory *d, const struct principal *who,
		    const struct policy_subject *o, enum policy_path p)
{
	/* Anonymous readers (mail servers over DNS) see only what its provider
	 * marked TLP:CLEAR and shared with everyone. */
	if (p == POLICY_DNS)
		return o->tlp == TLP_CLEAR && o->audience && strstr(o->audience, "\"all\"");
	if (!who || (unsigned)p >= POLICY_PATH_COUNT || p == POLICY_PEER_FEED)
		return false;
	if (who->member_id == o->owner)
		return true;
	/* Who accessed a report or a request is the originator's business alone. */
	if (p == POLICY_REPORT_AUDIT || p == POLICY_REQUEST_VIEWS)
		return false;
	if (!o->audience)
		return false;
	/* TLP:RED reaches only members named one by one. */
	if (o->tlp == TLP_RED && !audience_named_only(o->audience))
		return false;
	return audience_includes(o->audience, who->member_id, d);
}

bool policy_peer_may_receive(const struct policy_subject *o, bool local, const char *origin_key,
			     const char *recipients, const struct policy_peer *p)
{
	size_t kn = strlen(p->key);
	bool named = false;
	if (!kn || !strcmp(origin_key, p->key))
		return false;
	for (const char *r = recipients; (r = strstr(r, p->key)); r += kn)
		if ((r == recipients || r[-1] == ',') && (r[kn] == ',' || !r[kn]))
			named = true;
	if (!named)
		return false;
	if (!local)
		return true;
	if (!o->audience)
		return false;
	for (size_t i = 0; i < p->ngroups; i++)
		if (audience_names(o->audience, "group", p->groups[i]))
			return true;
	return audience_names(o->audience, "peer", p->id);
}

bool policy_peer_may_see_contact(const struct policy_subject *o, int64_t peer)
{
	return o->audience && audience_names(o->audience, "peer", peer);
}

int policy_peer_audience(struct directory *d, enum tlp tlp, const char *peer_aud,
			 int64_t own_member, struct buf *out)
{
	buf_reset(out);
	if (tlp == TLP_AMBER_STRICT) {
		if (own_member > 0 && audience_includes(peer_aud, own_member, d))
			return buf_addf(out, "[\"member:%" PRId64 "\"]", own_member);
		return buf_adds(out, "[]");
	}
	if (tlp != TLP_RED)
		return buf_adds(out, peer_aud);
	/* canonical text is sorted: keep the "member:" items as they are */
	buf_addc(out, '[');
	for (const char *p = peer_aud; (p = strstr(p, "\"member:")); p++) {
		const char *end = strchr(p + 1, '"');
		if (!end)
			break;
		if (out->len > 1)
			buf_addc(out, ',');
		buf_add(out, p, (size_t)(end - p + 1));
	}
	return buf_addc(out, ']');
}

int policy_check_scope(enum tlp tlp, const char *aud, struct err_detail *err)
{
	if (tlp == TLP_RED && !audience_named_only(aud))
		return err_set(err, ERR_INVALID, "audience",
			       "audience: TLP:RED data may be shared only with named members "
			       "(member:ID), not with all or a group");
	return ERR_OK;
}
