// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rule reordering. Code generation turns maximal runs of plain accept/drop
 * rules (classify.h: sl_cls_rule_fits) into one decision-tree walk; any other
 * rule (counter-only, jump, goto, return) ends a run, and so, here, does a
 * change between rules that test IPv6 addresses and rules that do not
 * (sl_cls_rule_wide: each family gets runs of its own rather than widen the
 * other's). Such a "breaker" between two runs costs a second walk per
 * packet. This pass moves breakers past the rules of the next run (sinking)
 * or of the previous run (floating), so that the two runs meet: first for
 * the runs of IPv4 (and address-free) rules, whose breakers include the
 * IPv6 rules, then for the runs of IPv6 rules, whose breakers include the
 * others.
 *
 * Why it cannot change a first match: two rules may trade places when no
 * packet matches both (disjoint match sets). For any packet, the rules of
 * the chain it matches then keep their relative order, so it meets the same
 * matching rules in the same order: same counters, same verdict, same
 * deciding rule. Matching is a pure function of the packet (no action
 * changes a field). Disjointness is proven only one way: both rules test a
 * field and their sets on it do not meet. A packet matching both would have
 * the field (a predicate on an absent field is false) with a value in both
 * sets. Implied protocols are predicates in the IR (`tcp dport` carries
 * `meta l4proto tcp`), so `tcp ...` and `udp ...`, `ip ...` and `ip6 ...`
 * are disjoint by the same test. Anything else counts as overlapping.
 *
 * A breaker moves only past run rules that are disjoint from every breaker
 * it travels with; otherwise the travelling block is put down where it was
 * met, in its original order, so every overlapping pair keeps its order.
 * A floating block stopped inside a run goes back to that run's end (moving
 * into it joins no runs, it only makes more packets pass the block); a
 * sinking block stopped inside a run stays there (fewer packets reach it).
 * The blocks summarise their rules per field (the union of the sets on each
 * field all of them test, while it stays small), which answers most checks
 * at once; the rest compare rule against rule within a work budget, past
 * which nothing more moves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "opt/cls_rule.h"
#include "opt/opt.h"

/* Intervals a block's per-field summary keeps before it gives that field up. */
#define SUMMARY_MAX 8

struct summary {
	uint32_t n;
	struct sl_interval iv[SUMMARY_MAX];
};

/* The breakers travelling together, in their original order. */
struct block {
	struct sl_ir_rule *rules;
	uint32_t *joined; /* rules emitted when each joined: moved if more were emitted since */
	uint32_t n, cap;
	sl_field_mask fields; /* fields every rule of the block tests and whose union is kept */
	struct summary sum[SL_FIELD_COUNT];
};

struct reorder {
	struct sl_opt_stats *stats;
	uint64_t budget; /* rule-against-rule checks left */
	struct sl_ir_rule *out;
	uint32_t nout;
	struct sl_ir_rule *tail; /* scratch of block_restore() */
	struct block blk;
	bool *moved; /* by rule id: put down elsewhere by a sweep (counted once) */
	uint32_t nids;
};

static sl_field_mask field_mask(const struct sl_ir_rule *r)
{
	sl_field_mask m = 0;

	for (uint32_t k = 0; k < r->npreds; k++)
		m |= SL_FIELD_BIT(r->preds[k].field);
	return m;
}

static const struct sl_ir_pred *pred_on(const struct sl_ir_rule *r, enum sl_field f)
{
	for (uint32_t k = 0; k < r->npreds; k++)
		if (r->preds[k].field == f)
			return &r->preds[k];
	return NULL;
}

bool sl_opt_rules_disjoint(const struct sl_ir_rule *a, const struct sl_ir_rule *b)
{
	uint32_t i = 0, j = 0;

	/* both sorted by field */
	while (i < a->npreds && j < b->npreds) {
		const struct sl_ir_pred *p = &a->preds[i], *q = &b->preds[j];

		if (p->field < q->field) {
			i++;
		} else if (q->field < p->field) {
			j++;
		} else {
			if (sl_iset_disjoint(p->set, q->set))
				return true;
			i++;
			j++;
		}
	}
	return false;
}

/* s := s ∪ set; false when the result needs more than SUMMARY_MAX intervals. */
static bool summary_add(struct summary *s, struct sl_iset set)
{
	struct sl_interval merged[2 * SUMMARY_MAX];
	uint32_t i = 0, j = 0, n = 0;

	if (set.n > SUMMARY_MAX)
		return false;
	while (i < s->n || j < set.n) {
		struct sl_interval next;

		if (j == set.n || (i < s->n && s->iv[i].lo <= set.iv[j].lo))
			next = s->iv[i++];
		else
			next = set.iv[j++];
		/* coalesce overlapping or adjacent intervals (sorted by lo: no wrap-around) */
		if (n && (next.lo <= merged[n - 1].hi || next.lo - 1 == merged[n - 1].hi)) {
			if (next.hi > merged[n - 1].hi)
				merged[n - 1].hi = next.hi;
		} else {
			if (n == SUMMARY_MAX)
				return false;
			merged[n++] = next;
		}
	}
	memcpy(s->iv, merged, n * sizeof(*merged));
	s->n = n;
	return true;
}

static bool summary_disjoint(const struct summary *s, struct sl_iset set)
{
	struct sl_iset x = {.n = s->n, .iv = s->iv};

	return sl_iset_disjoint(x, set);
}

static int block_push(struct reorder *ro, const struct sl_ir_rule *r)
{
	struct block *b = &ro->blk;
	sl_field_mask mask = field_mask(r);

	if (b->n == b->cap) {
		uint32_t cap = b->cap ? 2 * b->cap : 16;
		struct sl_ir_rule *rules = realloc(b->rules, cap * sizeof(*rules));
		uint32_t *joined;

		if (!rules)
			return -ENOMEM;
		b->rules = rules;
		joined = realloc(b->joined, cap * sizeof(*joined));
		if (!joined)
			return -ENOMEM;
		b->joined = joined;
		b->cap = cap;
	}
	if (!b->n) {
		b->fields = mask;
		memset(b->sum, 0, sizeof(b->sum));
	} else {
		b->fields &= mask;
	}
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++)
		if ((b->fields & SL_FIELD_BIT(f)) && !summary_add(&b->sum[f], pred_on(r, f)->set))
			b->fields &= ~SL_FIELD_BIT(f);
	b->joined[b->n] = ro->nout;
	b->rules[b->n++] = *r;
	return 0;
}

/* Can `r` pass every rule of the block? */
static bool passes_block(struct reorder *ro, const struct sl_ir_rule *r)
{
	const struct block *b = &ro->blk;

	for (uint32_t k = 0; k < r->npreds; k++) {
		enum sl_field f = r->preds[k].field;

		if ((b->fields & SL_FIELD_BIT(f)) && summary_disjoint(&b->sum[f], r->preds[k].set))
			return true;
	}
	if (ro->budget < b->n) {
		ro->stats->reorder_partial = true;
		ro->budget = 0;
		return false;
	}
	ro->budget -= b->n;
	ro->stats->disjoint_checks += b->n;
	for (uint32_t i = 0; i < b->n; i++)
		if (!sl_opt_rules_disjoint(r, &b->rules[i]))
			return false;
	return true;
}

static void emit(struct reorder *ro, const struct sl_ir_rule *r)
{
	ro->out[ro->nout++] = *r;
}

/* Put the block down here, in its order. */
static void block_flush(struct reorder *ro)
{
	struct block *b = &ro->blk;
	uint32_t at = ro->nout; /* where the block goes down */

	for (uint32_t i = 0; i < b->n; i++) {
		uint32_t id = b->rules[i].id;

		/* moved when run rules went out since it joined */
		if (b->joined[i] != at && id < ro->nids && !ro->moved[id]) {
			ro->moved[id] = true;
			ro->stats->moved++;
		}
		emit(ro, &b->rules[i]);
	}
	b->n = 0;
}

/*
 * Put the block down where its last rule joined it: the run rules that
 * passed only part of the block's way (since that rule joined) go back
 * behind it. A float stopped inside a run would join no runs there, only be
 * passed by more packets; the runs it did pass whole stay joined.
 */
static void block_put_back(struct reorder *ro)
{
	struct block *b = &ro->blk;
	uint32_t at = b->joined[b->n - 1], ntail = ro->nout - at;

	memcpy(ro->tail, &ro->out[at], ntail * sizeof(*ro->tail));
	ro->nout = at;
	block_flush(ro);
	for (uint32_t t = 0; t < ntail; t++)
		emit(ro, &ro->tail[t]);
}

/* A rule of the runs being gathered: IPv4 (and address-free) ones, or IPv6 ones. */
static bool run_rule(const struct sl_ir_rule *r, bool wide)
{
	return sl_cls_rule_fits(r) && sl_cls_rule_wide(r) == wide;
}

/*
 * One direction over rules[0..n): breakers met right after a run rule travel
 * on past the following run rules while those are disjoint from all of them.
 * Floating is sinking over the reversed chain.
 */
static int sweep(struct reorder *ro, const struct sl_ir_rule *rules, uint32_t n, bool reverse,
		 bool wide)
{
	ro->nout = 0;
	ro->blk.n = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct sl_ir_rule *r = &rules[reverse ? n - 1 - i : i];
		bool run_open = ro->nout && run_rule(&ro->out[ro->nout - 1], wide);
		int err;

		if (!run_rule(r, wide)) {
			if (ro->blk.n || run_open) {
				err = block_push(ro, r);
				if (err)
					return err;
			} else {
				emit(ro, r);
			}
			continue;
		}
		if (ro->blk.n && !passes_block(ro, r)) {
			if (reverse)
				block_put_back(ro);
			else
				block_flush(ro);
		}
		emit(ro, r);
	}
	block_flush(ro);
	return 0;
}

static void reverse_rules(struct sl_ir_rule *r, uint32_t n)
{
	for (uint32_t i = 0; i < n / 2; i++) {
		struct sl_ir_rule t = r[i];

		r[i] = r[n - 1 - i];
		r[n - 1 - i] = t;
	}
}

static int reorder_chain(struct reorder *ro, struct sl_ir_chain *c)
{
	int err = 0;

	if (c->nrules < 3)
		return 0;
	ro->out = malloc(c->nrules * sizeof(*ro->out));
	ro->tail = malloc(c->nrules * sizeof(*ro->tail));
	if (!ro->out || !ro->tail) {
		free(ro->out);
		free(ro->tail);
		return -ENOMEM;
	}
	/* IPv4 runs first, then IPv6 runs: each pass's breakers include the other family's rules */
	for (int wide = 0; wide < 2 && !err; wide++) {
		err = sweep(ro, c->rules, c->nrules, false, wide);
		if (!err) {
			memcpy(c->rules, ro->out, c->nrules * sizeof(*ro->out));
			err = sweep(ro, c->rules, c->nrules, true, wide);
		}
		if (!err) {
			reverse_rules(ro->out, c->nrules);
			memcpy(c->rules, ro->out, c->nrules * sizeof(*ro->out));
		}
	}
	free(ro->out);
	free(ro->tail);
	ro->out = ro->tail = NULL;
	return err;
}

void sl_opt_reorder(struct sl_ir *ir, struct sl_opt_stats *stats)
{
	struct sl_opt_stats scratch = {0};
	struct reorder ro = {.stats = stats ? stats : &scratch};

	/* a few checks per rule in real policies; bounded for adversarial ones */
	ro.budget = 16 * (uint64_t)ir->nrules + (1u << 20);
	ro.nids = ir->nrules;
	ro.moved = calloc(ir->nrules ? ir->nrules : 1, sizeof(*ro.moved));
	if (!ro.moved) {
		ro.stats->reorder_partial = true;
		return;
	}
	for (uint32_t c = 0; c < ir->nchains; c++) {
		/* Out of memory: the chain keeps the order it had (each sweep is all or nothing).
		 */
		if (reorder_chain(&ro, &ir->chains[c]))
			ro.stats->reorder_partial = true;
	}
	free(ro.blk.rules);
	free(ro.blk.joined);
	free(ro.moved);
}
