// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "util.h"

/* Widest field the walker takes: keys and bounds stay below 2^62 (its arithmetic box test). */
#define MAX_FIELD_BITS 61

bool sl_cls_rule_fits(const struct sl_ir_rule *r)
{
	uint64_t boxes = 1;

	if (r->action != SL_IR_ACCEPT && r->action != SL_IR_DROP)
		return false;
	if (r->id > SL_CLS_MAX_RULE_ID)
		return false;
	for (uint32_t k = 0; k < r->npreds; k++) {
		const struct sl_field_info *f = sl_field_info(r->preds[k].field);

		if (!f || f->bits > MAX_FIELD_BITS || !r->preds[k].set.n)
			return false;
		/* A big set (a blocklist) is a rule of its own, not thousands of boxes. */
		if (r->preds[k].set.n > SL_CLS_MAX_BOXES_PER_RULE)
			return false;
		boxes *= r->preds[k].set.n;
	}
	return boxes <= SL_CLS_MAX_BOXES_PER_RULE;
}

bool sl_cls_rule_counts_only(const struct sl_ir_rule *r)
{
	if (r->action != SL_IR_CONTINUE || !r->counter || r->id > SL_CLS_MAX_RULE_ID)
		return false;
	for (uint32_t k = 0; k < r->npreds; k++)
		if (!r->preds[k].set.n)
			return false;
	return true;
}

uint32_t sl_cls_segment_len(const struct sl_ir_chain *c, uint32_t first)
{
	uint32_t n = 0, len = 0;

	for (; first + n < c->nrules; n++) {
		const struct sl_ir_rule *r = &c->rules[first + n];

		if (sl_cls_rule_fits(r))
			len = n + 1;
		else if (!sl_cls_rule_counts_only(r))
			break;
	}
	return len;
}

/*
 * The dimension a predicate lands on. `tcp dport` in a rule that also requires
 * `meta l4proto tcp` means the same as `th dport` (on a TCP packet both are the
 * TCP port, and no other packet passes the rule), and likewise for UDP: TCP and
 * UDP port rules then share the two port dimensions instead of needing four.
 */
static bool l4proto_within(const struct sl_ir_rule *r, unsigned proto)
{
	for (uint32_t k = 0; k < r->npreds; k++)
		if (r->preds[k].field == SL_FIELD_META_L4PROTO)
			return r->preds[k].set.n == 1 && r->preds[k].set.iv[0].lo == proto &&
			       r->preds[k].set.iv[0].hi == proto;
	return false;
}

static bool has_pred(const struct sl_ir_rule *r, enum sl_field f)
{
	for (uint32_t k = 0; k < r->npreds; k++)
		if (r->preds[k].field == f)
			return true;
	return false;
}

static enum sl_field dim_field(const struct sl_ir_rule *r, enum sl_field f)
{
	/* Also testing the th port itself: keep both, one predicate per dimension. */
	if ((f == SL_FIELD_TCP_SPORT || f == SL_FIELD_UDP_SPORT) && has_pred(r, SL_FIELD_TH_SPORT))
		return f;
	if ((f == SL_FIELD_TCP_DPORT || f == SL_FIELD_UDP_DPORT) && has_pred(r, SL_FIELD_TH_DPORT))
		return f;
	switch (f) {
	case SL_FIELD_TCP_SPORT:
	case SL_FIELD_TCP_DPORT:
		if (!l4proto_within(r, SL_IPPROTO_TCP))
			return f;
		return f == SL_FIELD_TCP_SPORT ? SL_FIELD_TH_SPORT : SL_FIELD_TH_DPORT;
	case SL_FIELD_UDP_SPORT:
	case SL_FIELD_UDP_DPORT:
		if (!l4proto_within(r, SL_IPPROTO_UDP))
			return f;
		return f == SL_FIELD_UDP_SPORT ? SL_FIELD_TH_SPORT : SL_FIELD_TH_DPORT;
	default:
		return f;
	}
}

static const struct sl_ir_pred *find_pred(const struct sl_ir_rule *r, enum sl_field f)
{
	for (uint32_t k = 0; k < r->npreds; k++)
		if (r->preds[k].field == f)
			return &r->preds[k];
	return NULL;
}

/* Predicates of rules[0] that every rule has with the very same set. */
static int hoist(const struct sl_ir_rule *rules, uint32_t n, struct sl_cls_problem *p,
		 bool *hoisted)
{
	p->hoisted = calloc(rules[0].npreds + 1, sizeof(*p->hoisted));
	if (!p->hoisted)
		return -ENOMEM;
	for (uint32_t k = 0; k < rules[0].npreds; k++) {
		const struct sl_ir_pred *pred = &rules[0].preds[k];
		bool shared = true;

		for (uint32_t i = 1; i < n && shared; i++) {
			const struct sl_ir_pred *q = find_pred(&rules[i], pred->field);

			shared = q && sl_iset_equal(q->set, pred->set);
		}
		if (shared) {
			p->hoisted[p->nhoisted++] = pred;
			hoisted[pred->field] = true;
		}
	}
	return 0;
}

static int choose_dims(const struct sl_ir_rule *rules, uint32_t n, const bool *hoisted,
		       struct sl_cls_problem *p, int *dim_of)
{
	bool used[SL_FIELD_COUNT] = { false };

	for (uint32_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < rules[i].npreds && !sl_cls_rule_counts_only(&rules[i]); k++)
			if (!hoisted[rules[i].preds[k].field])
				used[dim_field(&rules[i], rules[i].preds[k].field)] = true;
	p->prob.ndims = 0;
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		dim_of[f] = -1;
		if (!used[f])
			continue;
		if (p->prob.ndims == SL_DT_MAX_DIMS)
			return -E2BIG;
		dim_of[f] = (int)p->prob.ndims;
		p->field[p->prob.ndims] = (enum sl_field)f;
		p->prob.bits[p->prob.ndims++] = sl_field_info((enum sl_field)f)->bits;
	}
	/* Every rule tests the same: the first one always wins, straight code says it best. */
	return p->prob.ndims ? 0 : -E2BIG;
}

static uint64_t boxes_of(const struct sl_ir_rule *r, const bool *hoisted)
{
	uint64_t n = 1;

	for (uint32_t k = 0; k < r->npreds && n <= SL_CLS_MAX_BOXES_PER_RULE; k++)
		if (!hoisted[r->preds[k].field])
			n *= r->preds[k].set.n;
	return n;
}

static int grow_boxes(struct sl_cls_problem *p, size_t need)
{
	size_t nd = p->prob.ndims;

	p->lo = realloc(p->lo, need * nd * sizeof(*p->lo));
	p->hi = realloc(p->hi, need * nd * sizeof(*p->hi));
	p->need = realloc(p->need, need * sizeof(*p->need));
	p->payload = realloc(p->payload, need * sizeof(*p->payload));
	return p->lo && p->hi && p->need && p->payload ? 0 : -ENOMEM;
}

/* The cross product of the rule's interval lists, one box per combination. */
static void expand_rule(const struct sl_ir_rule *r, const bool *hoisted, const int *dim_of,
			struct sl_cls_problem *p, uint32_t *nboxes)
{
	const struct sl_ir_pred *preds[SL_DT_MAX_DIMS];
	uint32_t pos[SL_DT_MAX_DIMS] = { 0 }, np = 0, need = 0;
	unsigned dims[SL_DT_MAX_DIMS];
	unsigned nd = p->prob.ndims;
	uint32_t payload = SL_CLS_PAYLOAD(r->id, r->counter ? 1u : 0u, r->action == SL_IR_DROP);

	for (uint32_t k = 0; k < r->npreds; k++)
		if (!hoisted[r->preds[k].field]) {
			dims[np] = (unsigned)dim_of[dim_field(r, r->preds[k].field)];
			preds[np++] = &r->preds[k];
			need |= 1u << dims[np - 1];
		}
	for (;;) {
		size_t b = *nboxes;

		for (unsigned d = 0; d < nd; d++)
			p->lo[b * nd + d] = p->hi[b * nd + d] = 0;
		for (uint32_t j = 0; j < np; j++) {
			unsigned d = dims[j];

			p->lo[b * nd + d] = (uint64_t)preds[j]->set.iv[pos[j]].lo;
			p->hi[b * nd + d] = (uint64_t)preds[j]->set.iv[pos[j]].hi;
		}
		p->need[b] = need;
		p->payload[b] = payload;
		(*nboxes)++;
		/* odometer over the predicates' intervals */
		uint32_t j = 0;

		while (j < np && ++pos[j] == preds[j]->set.n)
			pos[j++] = 0;
		if (j == np)
			break;
	}
}

int sl_cls_problem(const struct sl_ir_rule *rules, uint32_t n, struct sl_cls_problem *out)
{
	struct sl_cls_problem p = { 0 };
	bool hoisted[SL_FIELD_COUNT] = { false };
	int dim_of[SL_FIELD_COUNT];
	uint64_t total = 0;
	uint32_t nboxes = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!n)
		return -EINVAL;
	err = hoist(rules, n, &p, hoisted);
	if (!err)
		err = choose_dims(rules, n, hoisted, &p, dim_of);
	for (uint32_t i = 0; i < n && !err; i++) {
		uint64_t b = boxes_of(&rules[i], hoisted);

		if (sl_cls_rule_counts_only(&rules[i])) {
			p.nposts++;
			continue;
		}
		if (b > SL_CLS_MAX_BOXES_PER_RULE)
			err = -E2BIG;
		total += b;
		p.counters += rules[i].counter;
	}
	if (!err && p.nposts && !(p.posts = calloc(p.nposts, sizeof(*p.posts))))
		err = -ENOMEM;
	if (!err && total >= SL_DT_NONE / 2)
		err = -E2BIG;
	if (!err)
		err = grow_boxes(&p, total + 1);
	if (err) {
		sl_cls_problem_fini(&p);
		return err;
	}
	for (uint32_t i = 0, post = 0; i < n; i++) {
		if (sl_cls_rule_counts_only(&rules[i]))
			p.posts[post++] = (struct sl_cls_post){ &rules[i], nboxes };
		else
			expand_rule(&rules[i], hoisted, dim_of, &p, &nboxes);
	}
	p.prob.nboxes = nboxes;
	p.prob.lo = p.lo;
	p.prob.hi = p.hi;
	p.prob.need = p.need;
	p.prob.payload = p.payload;
	*out = p;
	return 0;
}

void sl_cls_problem_fini(struct sl_cls_problem *p)
{
	free(p->hoisted);
	free(p->posts);
	free(p->lo);
	free(p->hi);
	free(p->need);
	free(p->payload);
	memset(p, 0, sizeof(*p));
}

uint64_t sl_cls_linear_cost(const struct sl_ir_rule *rules, uint32_t n)
{
	uint64_t cost = 0;

	/* What codegen_match.c spends: a few instructions per predicate and interval. */
	for (uint32_t i = 0; i < n; i++) {
		cost += 2;
		for (uint32_t k = 0; k < rules[i].npreds; k++)
			cost += 4 + 4 * (uint64_t)rules[i].preds[k].set.n;
	}
	return cost;
}
