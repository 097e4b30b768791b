/* Webhook policy (issue 12): which addresses an alert webhook may reach.
 *
 * A member chooses its webhook URL, and the node makes the request: without a
 * policy a member could make the node reach its own loopback services, the
 * cloud metadata address or the operator's private networks, and read back
 * what they answered. Loopback, link-local, private, shared (CGNAT),
 * unspecified, multicast, documentation and other reserved addresses, and
 * the IPv4-mapped, NAT64 and 6to4 forms of those, are refused unless the
 * setting `webhook_allow_networks` (CIDRs) names a network that holds them.
 *
 * The check runs twice: on the URL when a contact is saved (a literal address
 * there is refused at once), and on every address libcurl resolved, just
 * before it connects (a name may resolve elsewhere later: DNS rebinding).
 *
 * Threads: a policy is built once (webhook_policy_new) and is read-only
 * afterwards: any thread may call the checks on it. */
#ifndef ATALAYA_ALERT_WEBHOOK_H
#define ATALAYA_ALERT_WEBHOOK_H

#include <stdint.h>

#include "util/err.h"

struct webhook_policy;
struct sockaddr;

/* Parses `allow` (CIDRs or addresses separated by commas or white space; ""
 * allows nothing extra) into a new policy, freed with webhook_policy_free.
 * ERR_INVALID with `err` (field "webhook_allow_networks") naming the entry. */
int webhook_policy_new(const char *allow, struct webhook_policy **out, struct err_detail *err);
void webhook_policy_free(struct webhook_policy *p);

/* What kind of forbidden address `addr` (network order; family 4 with the
 * address in addr[0..3], or 6) is: "loopback", "link-local", "private",
 * "shared address space (CGNAT)", "unspecified", "multicast", "reserved" or
 * "documentation"; NULL for a public address. IPv4-mapped (::ffff:0:0/96),
 * NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by the IPv4
 * address inside. A static string; pure, any thread. */
const char *webhook_addr_class(int family, const uint8_t addr[16]);

/* NULL when the policy lets a webhook connect to `sa` (AF_INET or AF_INET6);
 * otherwise why not (a static string as above; "not an IP address" for other
 * families). No allocation, no system call: cheap enough for every connect. */
const char *webhook_policy_refuses(const struct webhook_policy *p, const struct sockaddr *sa);

/* Checks a webhook URL with libcurl's URL parser: http or https, a host, a
 * valid port, and not a literal address the policy refuses. No DNS lookup. On
 * error: ERR_INVALID with `err` naming `field` and the reason, e.g.
 * "webhook_url: 'http://127.0.0.1/' is refused by the webhook policy: loopback
 * address (see webhook_allow_networks)". */
int webhook_url_check(const struct webhook_policy *p, const char *url, const char *field,
		      struct err_detail *err);

#endif
