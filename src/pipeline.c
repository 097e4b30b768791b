/* The post-commit pipeline, as a line:
 *
 *   parse -> store (commit) -> index (src/index/indexer.c) -> subscribers -> outputs
 *
 * The indexer calls each subscriber below in this order for every new report
 * (struct index_subscriber in src/index/indexer.h says what a subscriber
 * receives and must not do). To add one (federation, TAXII, advisories):
 * write its file with a `const struct index_subscriber`, add one line here. */
#include "pipeline.h"

#include "alert/raise.h"
#include "federation/federation.h"
#include "spam/feed.h"

const struct index_subscriber *const pipeline_subscribers[] = {
    &alert_subscriber,		 /* early warning: constituency match, alerts (src/alert) */
    &spam_feed_subscriber,	 /* TLP:CLEAR indicators into the DNSBL (src/spam) */
    &federation_sign_subscriber, /* origin signature of reports made here (src/federation) */
    NULL,
};
