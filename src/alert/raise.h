/* Raising alerts: the early-warning subscriber of the indexer's pipeline
 * (docs/internals/pipeline.md). For each new report it matches the report's
 * observables against members' constituencies, and, for each member that the
 * policy lets see the report (POLICY_ALERT), records one alert with its first
 * deliveries and audit row inside the indexer's transaction; once committed,
 * the alerts go to the live stream and the delivery thread is woken.
 * Runs on the indexer thread. */
#ifndef ATALAYA_ALERT_RAISE_H
#define ATALAYA_ALERT_RAISE_H

#include "index/indexer.h"

extern const struct index_subscriber alert_subscriber;

#endif
