#include "spam/reputation.h"
#include "formats/canonical.h"

#include "util/caps.h"
#include "util/xalloc.h"

#include <math.h>

void spam_rep_defaults(struct spam_rep_params *p)
{
	p->half_life_s = 3 * 86400.0;
	p->saturation = 2.0;
	p->list_threshold = 2.5;
	p->delist_threshold = 1.0;
}

struct per {
	uint64_t reporter;
	double decay;
	double trust;
};

static int cmp_per(const void *x, const void *y)
{
	const struct per *a = x, *b = y;

	return a->reporter < b->reporter ? -1 : a->reporter > b->reporter;
}

static double weight(double c, double s)
{
	return s * (1.0 - pow(1.0 - 1.0 / s, c));
}

double spam_rep_score(const struct spam_rep_event *ev, size_t n, int64_t now_ms,
		      const struct spam_rep_params *p)
{
	struct per *a;
	double score = 0, s = p->saturation > 1.0 ? p->saturation : 1.000001;

	if (n == 0 || p->half_life_s <= 0)
		return 0;
	a = xmalloc(n * sizeof(*a));
	for (size_t i = 0; i < n; i++) {
		double age = (double)(now_ms - ev[i].time_ms) / 1000.0;

		if (age < 0)
			age = 0;
		a[i].reporter = ev[i].reporter;
		a[i].decay = exp2(-age / p->half_life_s);
		a[i].trust = ev[i].trust > 0 ? ev[i].trust : 1.0;
	}
	qsort(a, n, sizeof(*a), cmp_per);
	for (size_t i = 0; i < n;) {
		double c = 0, trust = a[i].trust;
		size_t j = i;

		for (; j < n && a[j].reporter == a[i].reporter; j++)
			c += a[j].decay;
		score += trust * weight(c, s);
		i = j;
	}
	free(a);
	return score;
}

bool spam_rep_listed(double score, bool listed_now, const struct spam_rep_params *p)
{
	return listed_now ? score >= p->delist_threshold : score >= p->list_threshold;
}

int64_t spam_rep_expiry(const struct spam_rep_event *ev, size_t n, int64_t now_ms,
			const struct spam_rep_params *p)
{
	int64_t lo = now_ms, hi;

	if (spam_rep_score(ev, n, now_ms, p) < p->delist_threshold)
		return now_ms;
	/* the score only falls with time: bisect to the second */
	hi = now_ms + (int64_t)(p->half_life_s * 1000.0) * 64;
	while (hi - lo > 1000) {
		int64_t mid = lo + (hi - lo) / 2;

		if (spam_rep_score(ev, n, mid, p) < p->delist_threshold)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

int spam_source_key(const char *text, char *out, size_t outsz, struct err_detail *d)
{
	uint8_t a[16];
	size_t n = strlen(text), i;

	switch (canon_ip_parse(text, n, a)) {
	case 4: {
		char buf[CANON_IP_TEXT_MAX];

		canon_ip_format(4, a, 32, buf);
		snprintf(out, outsz, "%s", buf);
		return ERR_OK;
	}
	case 6: {
		char buf[CANON_IP_TEXT_MAX];

		/* an IPv6 source is its /64: one subscriber line, one reputation */
		canon_zero_host_bits(a, 16, 64);
		canon_ip_format(6, a, 64, buf);
		snprintf(out, outsz, "%s", buf);
		return ERR_OK;
	}
	}
	if (n && text[n - 1] == '.')
		n--;
	if (n == 0 || n > CAP_DOMAIN_MAX || n + 1 > outsz)
		return err_set(d, ERR_INVALID, "source", "not an IP address or domain: '%.60s'",
			       text);
	for (i = 0; i < n; i++) {
		char c = text[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.') ||
		    (c == '.' && (i == 0 || text[i - 1] == '.')))
			return err_set(d, ERR_INVALID, "source",
				       "not an IP address or domain: '%.60s'", text);
		out[i] = c;
	}
	out[n] = '\0';
	return ERR_OK;
}
