#include "index/prefixset.h"

#include "formats/canonical.h"
#include "util/xalloc.h"

struct pnet {
	uint8_t family;
	uint8_t len;
	uint8_t addr[16];
};

struct prefixset {
	struct pnet *nets;
	size_t nnets;
	char **suffixes;
	size_t *suffix_lens;
	size_t nsuffixes;
	uint32_t *asns;
	size_t nasns;
};

struct prefixset *prefixset_new(void)
{
	return xcalloc(1, sizeof(struct prefixset));
}

void prefixset_free(struct prefixset *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->nsuffixes; i++)
		free(set->suffixes[i]);
	free(set->suffixes);
	free(set->suffix_lens);
	free(set->nets);
	free(set->asns);
	free(set);
}

int prefixset_add(struct prefixset *set, const struct observable *o, struct err_detail *err)
{
	switch (o->kind) {
	case OBS_IPV4:
	case OBS_IPV6:
		set->nets = xrealloc(set->nets, (set->nnets + 1) * sizeof(*set->nets));
		set->nets[set->nnets].family = o->family;
		set->nets[set->nnets].len = o->prefix_len;
		memcpy(set->nets[set->nnets].addr, o->addr, 16);
		set->nnets++;
		return ERR_OK;
	case OBS_DOMAIN:
		set->suffixes = xrealloc(set->suffixes, (set->nsuffixes + 1) * sizeof(char *));
		set->suffix_lens =
		    xrealloc(set->suffix_lens, (set->nsuffixes + 1) * sizeof(size_t));
		set->suffixes[set->nsuffixes] = xstrndup(o->value, o->len);
		set->suffix_lens[set->nsuffixes] = o->len;
		set->nsuffixes++;
		return ERR_OK;
	case OBS_ASN:
		set->asns = xrealloc(set->asns, (set->nasns + 1) * sizeof(*set->asns));
		set->asns[set->nasns++] = o->asn;
		return ERR_OK;
	default: break;
	}
	return err_set(err, ERR_INVALID, "value",
		       "'%.64s': a constituency holds networks, domains and AS numbers, not %s",
		       o->value, observable_kind_name(o->kind));
}

static bool has_net(const struct prefixset *set, int family, const uint8_t *addr, unsigned len)
{
	for (size_t i = 0; i < set->nnets; i++) {
		const struct pnet *n = &set->nets[i];
		if (n->family == family && len >= n->len &&
		    canon_same_prefix(n->addr, addr, n->len))
			return true;
	}
	return false;
}

static bool has_domain(const struct prefixset *set, const char *h, size_t hl)
{
	for (size_t i = 0; i < set->nsuffixes; i++) {
		size_t sl = set->suffix_lens[i];
		if (sl > hl || memcmp(h + hl - sl, set->suffixes[i], sl) != 0)
			continue;
		if (sl == hl || h[hl - sl - 1] == '.')
			return true;
	}
	return false;
}

bool prefixset_contains(const struct prefixset *set, const struct observable *o)
{
	switch (o->kind) {
	case OBS_IPV4:
	case OBS_IPV6: return has_net(set, o->family, o->addr, o->prefix_len);
	case OBS_DOMAIN: return has_domain(set, o->value, o->len);
	case OBS_URL:
	case OBS_EMAIL:
		if (o->family)
			return has_net(set, o->family, o->addr, o->family == 4 ? 32 : 128);
		return o->host_len && has_domain(set, o->value + o->host_off, o->host_len);
	case OBS_ASN:
		for (size_t i = 0; i < set->nasns; i++)
			if (set->asns[i] == o->asn)
				return true;
		return false;
	default: break;
	}
	return false;
}

size_t prefixset_size(const struct prefixset *set)
{
	return set->nnets + set->nsuffixes + set->nasns;
}
