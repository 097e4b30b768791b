/* Source reputation: pure functions for the time-decayed score of a source
 * (an IPv4 address, an IPv6 /64, or a domain) from the reports against it,
 * where distinct reporters weigh more than repeats from one reporter.
 * The formula, its parameters and a worked example are in
 * docs/internals/spam.md. No state, no allocation visible to the caller;
 * any thread. */
#ifndef ATALAYA_SPAM_REPUTATION_H
#define ATALAYA_SPAM_REPUTATION_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One report against a source. */
struct spam_rep_event {
	uint64_t reporter; /* member id of the reporter */
	int64_t time_ms;   /* arrival time; later than `now` counts as now */
	double trust;	   /* weight of this reporter, 0 means 1.0 */
};

struct spam_rep_params {
	double half_life_s;	 /* a report's weight halves every half-life */
	double saturation;	 /* S: most one reporter can weigh (> 1) */
	double list_threshold;	 /* listed when the score reaches it */
	double delist_threshold; /* once listed, stays until the score falls below it */
};

/* half-life 3 days, S = 2, list at 2.5, delist below 1.0: one reporter alone
 * (at most 2) never lists a source; two fresh distinct reporters do. */
void spam_rep_defaults(struct spam_rep_params *p);

/* score = sum over reporters r of trust_r * S * (1 - (1 - 1/S)^c_r), where
 * c_r = sum over r's reports of 2^(-(now - t)/half_life). */
double spam_rep_score(const struct spam_rep_event *ev, size_t n, int64_t now_ms,
		      const struct spam_rep_params *p);

/* Listing decision with hysteresis. */
bool spam_rep_listed(double score, bool listed_now, const struct spam_rep_params *p);

/* The first time (ms, to the second) at which the score, with no new report,
 * falls below the delist threshold: when a listing expires by itself. Returns
 * now_ms when it already is below. */
int64_t spam_rep_expiry(const struct spam_rep_event *ev, size_t n, int64_t now_ms,
			const struct spam_rep_params *p);

/* The key a source is scored under: an IPv4 address as itself, an IPv6
 * address as its /64 ("2001:db8:1:2::/64"), a domain lowercased without a
 * trailing dot. ERR_OK or ERR_INVALID (d names what is wrong). */
int spam_source_key(const char *text, char *out, size_t outsz, struct err_detail *d);

#endif
