/* The one place that answers "may member M see object O through path P?".
 * Every path that discloses data calls policy_may_see; nothing else decides.
 * Any thread. */
#ifndef ATALAYA_POLICY_H
#define ATALAYA_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "directory/directory.h"
#include "policy/tlp.h"
#include "util/buf.h"

/* Every way data leaves the node. */
enum policy_path {
	POLICY_CONTACT_LIST,
	POLICY_CONTACT_GET,
	POLICY_REPORT_LIST,
	POLICY_REPORT_GET,
	POLICY_REPORT_BUNDLE,
	POLICY_REPORT_AUDIT,
	POLICY_OBJECT_LIST,
	POLICY_OBJECT_GET,
	POLICY_OBJECT_VERSIONS,
	POLICY_EXPORT,
	POLICY_LOOKUP,
	POLICY_RELATED,
	POLICY_ALERT,
	POLICY_DNS,
	POLICY_CHECK_RESULT,   /* a State's row of a communication check */
	POLICY_PROFILE_GET,    /* a field or measure of a national profile */
	POLICY_PROFILE_EXPORT, /* the same, exported (JSON or FIRST) */
	POLICY_PROGRESS,       /* the progress report */
	POLICY_REQUEST_LIST,   /* requests (issue 15): listed */
	POLICY_REQUEST_GET,    /* shown, with its answers (and offers, see requests.md) */
	POLICY_REQUEST_ACT,    /* acknowledged, answered, offered on */
	POLICY_REQUEST_NOTICE, /* told through the alert channels and the stream */
	POLICY_REQUEST_STATS,  /* counted in statistics */
	POLICY_REQUEST_VIEWS,  /* who saw it: the originator alone */
	POLICY_TAXII_OBJECTS,  /* TAXII 2.1 (src/taxii) */
	POLICY_TAXII_MANIFEST,
	POLICY_TAXII_OBJECT,
	POLICY_TAXII_VERSIONS,
	POLICY_TAXII_STATUS,
	POLICY_PEER_FEED, /* to a peer node (src/federation): policy_peer_may_receive */
	POLICY_REPORT_SIGHTINGS,
	POLICY_PATH_COUNT
};

/* "contacts.list", "reports.bundle", ... for audit records. */
const char *policy_path_name(enum policy_path p);

/* What the policy needs to know about a piece of data. */
struct policy_subject {
	int64_t owner;	      /* the member that provided it */
	const char *audience; /* canonical audience text (see audience.h) */
	enum tlp tlp;	      /* TLP_NONE for data without a marking (contacts) */
};

/* `who` NULL means an anonymous caller (DNS). Deny by default. */
bool policy_may_see(struct directory *d, const struct principal *who,
		    const struct policy_subject *o, enum policy_path p);

/* A peer node asking for reports (src/federation/feed.c). */
struct policy_peer {
	int64_t id;	       /* its id on this node: "peer:ID" in audiences */
	const char *key;       /* its Ed25519 public key, hex */
	const int64_t *groups; /* the groups holding it: "group:ID" reaches it too */
	size_t ngroups;
};

/* May peer node `p` receive report `o` in its feed? `origin_key` is the node
 * that signed it and `recipients` the node keys that origin named (signed,
 * comma-separated hex). A report made here (`local`) goes to a peer its
 * audience names ("peer:ID", or "group:ID" of a group holding the peer); a report from another node
 * goes on only to a node its origin named, never back to its origin. */
bool policy_peer_may_receive(const struct policy_subject *o, bool local, const char *origin_key,
			     const char *recipients, const struct policy_peer *p);

/* May peer node `peer` (its id here) receive a point of contact `o`? Only
 * when the contact's audience names it ("peer:ID"); "all" means this node's
 * members, not its peers. */
bool policy_peer_may_see_contact(const struct policy_subject *o, int64_t peer);

/* The audience on this node of a report from a peer node: `peer_aud`, the
 * one this node's admin gave that peer (canonical text), never wider than
 * the report's TLP allows here: TLP:RED only its members named one by one
 * (member:ID); AMBER+STRICT only this node's own organisation
 * (`own_member`), if peer_aud reaches it. Writes canonical text to out. */
int policy_peer_audience(struct directory *d, enum tlp tlp, const char *peer_aud,
			 int64_t own_member, struct buf *out);

/* May a submitter give data marked `tlp` the audience `aud`? Returns ERR_OK or
 * ERR_INVALID with the reason (TLP:RED needs named members only). */
int policy_check_scope(enum tlp tlp, const char *aud, struct err_detail *err);

#endif
