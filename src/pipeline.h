/* The post-commit pipeline's subscribers, in order: the one list that says
 * what hears about a committed report once the indexer has indexed it
 * (docs/internals/pipeline.md). */
#ifndef ATALAYA_PIPELINE_H
#define ATALAYA_PIPELINE_H

#include "index/indexer.h"

/* NULL-terminated; handed to indexer_new. */
extern const struct index_subscriber *const pipeline_subscribers[];

#endif
