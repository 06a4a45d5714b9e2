// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shadowed rules: a rule R can never match when an earlier rule E of the
 * same chain ends evaluation (accept, drop, goto, return) and every packet
 * R matches, E matches too: for each predicate `f in S_E` of E, R has
 * `f in S_R` with S_R ⊆ S_E (R tests f, so a packet matching R has f).
 *
 * Comparing every pair is quadratic, so candidates come from an index.
 * Ending rules are grouped by the set of fields they test (E can only cover
 * R if E tests no field R does not), and within a group keyed by the
 * smallest prefix enclosing their set on one of their fields, the one whose
 * bucket is the least crowded when they are added. If S_R ⊆ S_E, the hull
 * of S_R lies in that of S_E, so E's key prefix is an ancestor of (or equal
 * to) R's prefix on the same field: looking up R's prefixes and their
 * ancestors, on every field some rule of the group is keyed by, finds every
 * candidate. A work budget bounds pathological policies; detection is then partial,
 * never wrong.
 *
 * Rules that look up a named set (sl_ir_rule_opaque()) match an unknown part
 * of what their predicates allow: they are never indexed as covering rules.
 *
 * Covered by a union: when no rule alone covers R, earlier ending rules that
 * cover R on every field but one, f, are gathered (through the same lookups,
 * plus the last SL_SHADOW_WINDOW rules, which catches keys the lookups miss);
 * if their sets on f together hold R's set on f, every packet of R matches
 * one of them first. Only sl_opt_shadow_unions (sluice check) does this; its
 * work budget is its own.
 */
#include <stdlib.h>
#include <string.h>

#include "opt/opt.h"

#define NONE		 UINT32_MAX
#define SL_SHADOW_WINDOW 64

struct candidate {
	uint32_t pos;	     /* an earlier ending rule ... */
	enum sl_field field; /* ... covering R on every field but this one */
};

struct group {
	sl_field_mask mask;		  /* fields its rules test */
	sl_field_mask keys;		  /* fields some of its rules are keyed by */
	uint64_t lens[SL_FIELD_COUNT][3]; /* key prefix lengths present, per field (0..128) */
};

struct entry {
	uint32_t group;
	enum sl_field field;
	uint32_t len;
	sl_u128 prefix;
	uint32_t pos;  /* position of the rule in the chain */
	uint32_t next; /* next entry in the bucket */
};

struct shadow {
	struct sl_ir *ir;
	struct sl_diag *diag;
	struct sl_opt_stats *stats;
	uint64_t budget;       /* subset checks left */
	uint64_t union_budget; /* the same for union candidates, kept apart so -O1 finds as much */
	struct group *groups;
	size_t ngroups, groups_cap;
	struct entry *entries;
	size_t nentries, entries_cap;
	uint32_t *buckets;
	uint32_t nbuckets; /* a power of two */
	uint32_t uncond;   /* first ending rule with no predicate, or NONE */
	const struct sl_iset *sets[SL_FIELD_COUNT]; /* the rule being looked up, by field */
	bool unions;	/* look for rules covered by several earlier ones too */
	bool gathering; /* lookups collect union candidates instead of covering rules */
	struct candidate *cands;
	size_t ncands, cands_cap;
	uint32_t *used; /* the rules of the union found, by position */
	uint32_t nused;
	size_t used_cap;
	struct sl_arena *scratch; /* interval sets of union checks */
};

/* Ties between equally crowded keys go to the field listed first (selective ones). */
static const enum sl_field key_preference[] = {
    SL_FIELD_IP_SADDR,	  SL_FIELD_IP_DADDR,	SL_FIELD_IP6_SADDR, SL_FIELD_IP6_DADDR,
    SL_FIELD_ETHER_SADDR, SL_FIELD_ETHER_DADDR, SL_FIELD_TCP_DPORT, SL_FIELD_UDP_DPORT,
    SL_FIELD_TH_DPORT,	  SL_FIELD_TCP_SPORT,	SL_FIELD_UDP_SPORT, SL_FIELD_TH_SPORT,
};

static bool is_ending(enum sl_ir_action a)
{
	return a == SL_IR_ACCEPT || a == SL_IR_DROP || a == SL_IR_GOTO || a == SL_IR_RETURN;
}

static sl_field_mask rule_mask(const struct sl_ir_rule *r)
{
	sl_field_mask mask = 0;

	for (uint32_t i = 0; i < r->npreds; i++)
		mask |= SL_FIELD_BIT(r->preds[i].field);
	return mask;
}

static unsigned clz128(sl_u128 v)
{
	uint64_t hi = (uint64_t)(v >> 64);

	return hi ? (unsigned)__builtin_clzll(hi) : 64 + (unsigned)__builtin_clzll((uint64_t)v);
}

/* The smallest prefix of a `bits`-wide domain that holds all of a (non-empty) set. */
static void enclosing_prefix(struct sl_iset set, unsigned bits, uint32_t *len, sl_u128 *prefix)
{
	sl_u128 lo = set.iv[0].lo, diff = lo ^ set.iv[set.n - 1].hi;
	unsigned host = diff ? 128 - clz128(diff) : 0;

	*len = bits - host;
	*prefix = host >= 128 ? 0 : lo & ~(((sl_u128)1 << host) - 1);
}

static sl_u128 prefix_of(sl_u128 v, uint32_t len, unsigned bits)
{
	unsigned host = bits - len;

	return host >= 128 ? 0 : v & ~(((sl_u128)1 << host) - 1);
}

static uint32_t bucket_of(const struct shadow *sh, uint32_t group, enum sl_field field,
			  uint32_t len, sl_u128 prefix)
{
	uint64_t h = (uint64_t)prefix ^ ((uint64_t)(prefix >> 64) * 0x9e3779b97f4a7c15ull);

	h ^= ((uint64_t)group << 40) ^ ((uint64_t)field << 48) ^ ((uint64_t)len << 32);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return (uint32_t)h & (sh->nbuckets - 1);
}

static int find_group(struct shadow *sh, sl_field_mask mask, uint32_t *out)
{
	for (size_t g = 0; g < sh->ngroups; g++) {
		if (sh->groups[g].mask == mask) {
			*out = (uint32_t)g;
			return 0;
		}
	}
	if (sl_grow((void **)&sh->groups, &sh->groups_cap, sh->ngroups + 1, sizeof(*sh->groups)))
		return -1;
	memset(&sh->groups[sh->ngroups], 0, sizeof(*sh->groups));
	sh->groups[sh->ngroups].mask = mask;
	*out = (uint32_t)sh->ngroups++;
	return 0;
}

static unsigned preference(enum sl_field f)
{
	for (size_t i = 0; i < SL_ARRAY_SIZE(key_preference); i++) {
		if (key_preference[i] == f)
			return (unsigned)i;
	}
	return SL_ARRAY_SIZE(key_preference) + f;
}

#define SL_SHADOW_COUNT_CAP 64

/* Rules already keyed on exactly this prefix, counted up to a cap. */
static uint32_t bucket_count(const struct shadow *sh, uint32_t g, enum sl_field field, uint32_t len,
			     sl_u128 prefix)
{
	uint32_t n = 0;

	for (uint32_t i = sh->buckets[bucket_of(sh, g, field, len, prefix)];
	     i != NONE && n < SL_SHADOW_COUNT_CAP; i = sh->entries[i].next) {
		const struct entry *e = &sh->entries[i];

		n += e->group == g && e->field == field && e->len == len && e->prefix == prefix;
	}
	return n;
}

/*
 * The key that the fewest rules share so far: every later rule looks up
 * its bucket, so balanced buckets keep lookups short whatever the fields
 * (popular ports, /1 address halves) look like.
 */
static const struct sl_ir_pred *pick_key(const struct shadow *sh, uint32_t g,
					 const struct sl_ir_rule *r, uint32_t *len, sl_u128 *prefix)
{
	const struct sl_ir_pred *best = NULL;
	uint32_t best_count = UINT32_MAX;

	for (uint32_t i = 0; i < r->npreds; i++) {
		const struct sl_ir_pred *p = &r->preds[i];
		uint32_t l, count;
		sl_u128 v;

		enclosing_prefix(p->set, sl_field_info(p->field)->bits, &l, &v);
		count = bucket_count(sh, g, p->field, l, v);
		if (!best || count < best_count ||
		    (count == best_count && preference(p->field) < preference(best->field))) {
			best = p;
			best_count = count;
			*len = l;
			*prefix = v;
		}
	}
	return best;
}

/* Index an ending rule that stays. Returns 0, or -1 when out of memory (detection stops). */
static int index_rule(struct shadow *sh, const struct sl_ir_rule *r, uint32_t pos)
{
	sl_field_mask mask = rule_mask(r);
	uint32_t g, len = 0, b;
	const struct sl_ir_pred *key;
	struct group *grp;
	sl_u128 prefix = 0;

	if (!mask) {
		if (sh->uncond == NONE)
			sh->uncond = pos;
		return 0;
	}
	if (find_group(sh, mask, &g))
		return -1;
	key = pick_key(sh, g, r, &len, &prefix);
	if (sl_grow((void **)&sh->entries, &sh->entries_cap, sh->nentries + 1,
		    sizeof(*sh->entries)))
		return -1;
	b = bucket_of(sh, g, key->field, len, prefix);
	sh->entries[sh->nentries] = (struct entry){g, key->field, len, prefix, pos, sh->buckets[b]};
	sh->buckets[b] = (uint32_t)sh->nentries++;
	grp = &sh->groups[g];
	grp->keys |= SL_FIELD_BIT(key->field);
	grp->lens[key->field][len / 64] |= 1ull << (len % 64);
	return 0;
}

/* Does E match every packet R matches? R's sets are in sh->sets. */
static bool covers(const struct shadow *sh, const struct sl_ir_rule *e)
{
	for (uint32_t i = 0; i < e->npreds; i++) {
		const struct sl_iset *r = sh->sets[e->preds[i].field];

		if (!r || !sl_iset_subset(*r, e->preds[i].set))
			return false;
	}
	return true;
}

/* Keep rule `pos` as a union candidate when it covers the rule in sh->sets on all fields but one.
 */
static void gather(struct shadow *sh, const struct sl_ir_chain *chain, uint32_t pos)
{
	const struct sl_ir_rule *e = &chain->rules[pos];
	enum sl_field differs = SL_FIELD_COUNT;

	/* A named-set lookup may hold any contents at run time: it covers nothing. */
	if (sl_ir_rule_opaque(e))
		return;
	for (uint32_t i = 0; i < e->npreds; i++) {
		const struct sl_iset *r = sh->sets[e->preds[i].field];

		if (!r)
			return;
		if (sl_iset_subset(*r, e->preds[i].set))
			continue;
		if (differs != SL_FIELD_COUNT)
			return;
		differs = e->preds[i].field;
	}
	if (differs == SL_FIELD_COUNT)
		return; /* covers alone: the lookup for that stopped at the budget */
	if (sl_grow((void **)&sh->cands, &sh->cands_cap, sh->ncands + 1, sizeof(*sh->cands)))
		return; /* out of memory: fewer candidates, never a wrong claim */
	sh->cands[sh->ncands++] = (struct candidate){pos, differs};
}

/* The earliest rule of group g keyed on `field` covering the rule in sh->sets, if before `best`. */
static uint32_t search_key(struct shadow *sh, const struct sl_ir_chain *chain, uint32_t g,
			   enum sl_field field, uint32_t best)
{
	const struct group *grp = &sh->groups[g];
	unsigned bits = sl_field_info(field)->bits;
	uint32_t rlen;
	sl_u128 rprefix;

	enclosing_prefix(*sh->sets[field], bits, &rlen, &rprefix);
	for (uint32_t len = 0; len <= rlen && sh->budget; len++) {
		sl_u128 prefix;

		if (!(grp->lens[field][len / 64] & (1ull << (len % 64))))
			continue;
		prefix = prefix_of(rprefix, len, bits);
		for (uint32_t i = sh->buckets[bucket_of(sh, g, field, len, prefix)]; i != NONE;
		     i = sh->entries[i].next) {
			const struct entry *e = &sh->entries[i];

			if (e->group != g || e->field != field || e->len != len ||
			    e->prefix != prefix || e->pos >= best)
				continue;
			if (!sh->budget)
				break;
			sh->budget--;
			sh->stats->subset_checks++;
			if (sh->gathering)
				gather(sh, chain, e->pos);
			else if (covers(sh, &chain->rules[e->pos]))
				best = e->pos;
		}
	}
	return best;
}

static uint32_t search_group(struct shadow *sh, const struct sl_ir_chain *chain, uint32_t g,
			     uint32_t best)
{
	for (sl_field_mask keys = sh->groups[g].keys; keys && sh->budget; keys &= keys - 1)
		best = search_key(sh, chain, g, (enum sl_field)__builtin_ctzll(keys), best);
	return best;
}

/* Position of the earliest kept ending rule covering rule `r`, or NONE. */
static uint32_t find_cover(struct shadow *sh, const struct sl_ir_chain *chain,
			   const struct sl_ir_rule *r)
{
	sl_field_mask mask = rule_mask(r);
	uint32_t best = sh->uncond;

	if (best != NONE)
		return best;
	for (uint32_t i = 0; i < r->npreds; i++)
		sh->sets[r->preds[i].field] = &r->preds[i].set;
	for (size_t g = 0; g < sh->ngroups && sh->budget; g++) {
		if (!(sh->groups[g].mask & ~mask))
			best = search_group(sh, chain, (uint32_t)g, best);
	}
	for (uint32_t i = 0; i < r->npreds; i++)
		sh->sets[r->preds[i].field] = NULL;
	if (!sh->budget)
		sh->stats->shadow_partial = true;
	return best;
}

static int by_pos(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void gather_candidates(struct shadow *sh, const struct sl_ir_chain *chain,
			      const struct sl_ir_rule *r, uint32_t kept)
{
	sl_field_mask mask = rule_mask(r);

	uint64_t own = sh->budget;

	/* the lookups spend sh->budget: lend them the union's own */
	sh->budget = sh->union_budget;
	sh->ncands = 0;
	sh->gathering = true;
	for (size_t g = 0; g < sh->ngroups && sh->budget; g++) {
		if (!(sh->groups[g].mask & ~mask))
			search_group(sh, chain, (uint32_t)g, NONE);
	}
	sh->gathering = false;
	for (uint32_t n = 0; n < SL_SHADOW_WINDOW && n < kept && sh->budget; n++) {
		const struct sl_ir_rule *e = &chain->rules[kept - 1 - n];

		if (!is_ending(e->action) || e->limit || (rule_mask(e) & ~mask))
			continue;
		sh->budget--;
		sh->stats->subset_checks++;
		gather(sh, chain, kept - 1 - n);
	}
	sh->union_budget = sh->budget;
	sh->budget = own;
	if (sh->ncands > 1)
		qsort(sh->cands, sh->ncands, sizeof(*sh->cands), by_pos);
}

static const struct sl_iset *pred_set(const struct sl_ir_rule *r, enum sl_field f)
{
	for (uint32_t i = 0; i < r->npreds; i++) {
		if (r->preds[i].field == f)
			return &r->preds[i].set;
	}
	return NULL;
}

/* Do the candidates differing on `f` hold all of R's set on f? Records them in sh->used. */
static bool union_on(struct shadow *sh, const struct sl_ir_chain *chain, enum sl_field f)
{
	struct sl_iset left = *sh->sets[f];

	sh->nused = 0;
	for (size_t i = 0; i < sh->ncands; i++) {
		const struct sl_iset *set;

		if (sh->cands[i].field != f || (i && sh->cands[i].pos == sh->cands[i - 1].pos))
			continue;
		set = pred_set(&chain->rules[sh->cands[i].pos], f);
		if (sl_iset_disjoint(left, *set))
			continue;
		left = sl_iset_subtract(sh->scratch, left, *set);
		sh->used[sh->nused++] = sh->cands[i].pos;
		if (sl_iset_is_empty(left))
			return true;
	}
	return false;
}

/* Is rule `r` covered by the union of earlier ending rules? Their positions end up in sh->used. */
static bool find_union_cover(struct shadow *sh, const struct sl_ir_chain *chain,
			     const struct sl_ir_rule *r, uint32_t kept)
{
	bool found = false;

	if (!r->npreds || !sh->scratch)
		return false;
	for (uint32_t i = 0; i < r->npreds; i++)
		sh->sets[r->preds[i].field] = &r->preds[i].set;
	gather_candidates(sh, chain, r, kept);
	if (sh->ncands >= 2 &&
	    !sl_grow((void **)&sh->used, &sh->used_cap, sh->ncands, sizeof(*sh->used))) {
		for (uint32_t i = 0; i < r->npreds && !found; i++)
			found = union_on(sh, chain, r->preds[i].field);
	}
	for (uint32_t i = 0; i < r->npreds; i++)
		sh->sets[r->preds[i].field] = NULL;
	if (!sh->union_budget)
		sh->stats->shadow_partial = true;
	return found;
}

static void print_loc(struct shadow *sh, struct sl_loc at, struct sl_loc from, char *buf,
		      size_t size)
{
	const struct sl_source *src = sl_sources_get(sh->ir->srcs, at.file);

	if (at.file == from.file || !src)
		snprintf(buf, size, "%u:%u", at.line, at.col);
	else
		snprintf(buf, size, "%s:%u:%u", src->path, at.line, at.col);
}

static void report(struct shadow *sh, const struct sl_ir_rule *r, const struct sl_ir_rule *e)
{
	char where[512];

	/* a rule with no predicate ending the chain: the checker says "never reached" */
	if (!sh->diag || !e->npreds)
		return;
	print_loc(sh, e->loc, r->loc, where, sizeof(where));
	sl_warning(sh->diag, r->loc, "rule can never match: covered by the rule at %s", where);
	if (!sh->diag->quiet_warnings)
		sl_note(sh->diag, e->loc, "this rule matches every packet the later one would");
}

static void report_union(struct shadow *sh, const struct sl_ir_chain *chain,
			 const struct sl_ir_rule *r)
{
	char list[1024] = "", where[512];
	size_t len = 0;

	if (!sh->diag)
		return;
	for (uint32_t i = 0; i < sh->nused && len < sizeof(list); i++) {
		print_loc(sh, chain->rules[sh->used[i]].loc, r->loc, where, sizeof(where));
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					!i		     ? ""
					: i + 1 == sh->nused ? " and "
							     : ", ",
					where);
	}
	sl_warning(sh->diag, r->loc, "rule can never match: covered by the rules at %s together",
		   list);
	for (uint32_t i = 0; i < sh->nused && !sh->diag->quiet_warnings; i++)
		sl_note(sh->diag, chain->rules[sh->used[i]].loc,
			"this rule matches some of the packets the later one would");
}

static int reset_index(struct shadow *sh, uint32_t nrules)
{
	uint32_t n = 16;

	while (n < 2 * (uint64_t)nrules && n < (1u << 30))
		n <<= 1;
	free(sh->buckets);
	sh->buckets = malloc(n * sizeof(*sh->buckets));
	if (!sh->buckets)
		return -1;
	memset(sh->buckets, 0xff, n * sizeof(*sh->buckets));
	sh->nbuckets = n;
	sh->ngroups = 0;
	sh->nentries = 0;
	sh->uncond = NONE;
	return 0;
}

static void shadow_chain(struct shadow *sh, struct sl_ir_chain *chain)
{
	uint32_t kept = 0;
	bool indexing = reset_index(sh, chain->nrules) == 0;

	for (uint32_t i = 0; i < chain->nrules; i++) {
		struct sl_ir_rule *r = &chain->rules[i];
		uint32_t cover = indexing && sh->budget ? find_cover(sh, chain, r) : NONE;

		if (cover != NONE) {
			report(sh, r, &chain->rules[cover]);
			sh->stats->shadowed++;
			continue;
		}
		if (indexing && sh->unions && sh->union_budget &&
		    find_union_cover(sh, chain, r, kept)) {
			report_union(sh, chain, r);
			sh->stats->shadowed++;
			continue;
		}
		/* positions index the compacted prefix, which the index refers to */
		chain->rules[kept] = *r;
		/*
		 * A rule with a named-set lookup never shadows: what the set holds is
		 * known only at run time (it can itself be shadowed: it matches no more
		 * than its other predicates).
		 */
		if (indexing && is_ending(r->action) && !r->limit && !sl_ir_rule_opaque(r) &&
		    index_rule(sh, &chain->rules[kept], kept))
			indexing = false;
		kept++;
	}
	chain->nrules = kept;
}

static void shadow_pass(struct sl_ir *ir, struct sl_diag *diag, struct sl_opt_stats *stats,
			bool unions)
{
	struct sl_opt_stats scratch = {0};
	struct shadow sh = {
	    .ir = ir, .diag = diag, .stats = stats ? stats : &scratch, .unions = unions};

	/* generous for real policies (a few checks per rule), bounded for adversarial ones */
	sh.budget = 64 * (uint64_t)ir->nrules + (1u << 22);
	sh.union_budget = 128 * (uint64_t)ir->nrules + (1u << 22);
	sh.scratch = sl_arena_new();
	for (uint32_t c = 0; c < ir->nchains; c++)
		shadow_chain(&sh, &ir->chains[c]);
	sl_arena_free(sh.scratch);
	free(sh.cands);
	free(sh.used);
	free(sh.buckets);
	free(sh.groups);
	free(sh.entries);
}

void sl_opt_shadow(struct sl_ir *ir, struct sl_diag *diag, struct sl_opt_stats *stats)
{
	shadow_pass(ir, diag, stats, false);
}

void sl_opt_shadow_unions(struct sl_ir *ir, struct sl_diag *diag, struct sl_opt_stats *stats)
{
	shadow_pass(ir, diag, stats, true);
}
