/* The DNSBL feed: the anti-spam subscriber of the indexer's pipeline
 * (docs/internals/pipeline.md, docs/internals/dnsbl.md). The addresses and
 * domains of a new report's indicators meant for blocking (indicator_types
 * malicious-activity) are listed (code DNSBL_CODE_INCIDENT) when the policy
 * lets anonymous DNS clients see them (POLICY_DNS: TLP:CLEAR, shared with
 * everyone); a revoked indicator removes what its provider's earlier versions
 * listed. Runs on the indexer thread. */
#ifndef ATALAYA_SPAM_FEED_H
#define ATALAYA_SPAM_FEED_H

#include "index/indexer.h"

extern const struct index_subscriber spam_feed_subscriber;

#endif
