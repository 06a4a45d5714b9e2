// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "select/classify.h"
#include "opt/cls_rule.h"
#include "common/util.h"

static bool is_wide(enum sl_field f)
{
	return sl_cls_field_wide(f);
}

static uint64_t pred_boxes(const struct sl_ir_pred *p, uint64_t limit)
{
	return sl_cls_pred_boxes(p, limit);
}

/* Alternatives (boxes over its dimensions) of a predicate's interval i. */
static unsigned interval_boxes(const struct sl_ir_pred *p, uint32_t i,
			       struct sl_word_box out[SL_WORD_BOXES_MAX])
{
	if (!is_wide(p->field))
		return 1;
	return sl_iset_word_boxes(p->set.iv[i].lo, p->set.iv[i].hi, out);
}

/* 6: tests IPv6 addresses, 4: IPv4 addresses, 0: neither (goes with both). */
static int address_family(const struct sl_ir_rule *r)
{
	if (sl_cls_rule_wide(r))
		return 6;
	for (uint32_t k = 0; k < r->npreds; k++)
		if (r->preds[k].field == SL_FIELD_IP_SADDR ||
		    r->preds[k].field == SL_FIELD_IP_DADDR)
			return 4;
	return 0;
}

bool sl_cls_rule_counts_only(const struct sl_ir_rule *r)
{
	if (r->action != SL_IR_CONTINUE || !r->counter || r->id > SL_CLS_MAX_RULE_ID ||
	    sl_ir_rule_stateful(r) || sl_ir_rule_opaque(r))
		return false;
	for (uint32_t k = 0; k < r->npreds; k++)
		if (!r->preds[k].set.n)
			return false;
	return true;
}

uint32_t sl_cls_segment_len(const struct sl_ir_chain *c, uint32_t first)
{
	uint32_t n = 0, len = 0;
	int family = 0;

	for (; first + n < c->nrules; n++) {
		const struct sl_ir_rule *r = &c->rules[first + n];

		if (sl_cls_rule_fits(r)) {
			int f = address_family(r);

			if (f && family && f != family)
				break;
			family = f ? f : family;
			len = n + 1;
		} else if (!sl_cls_rule_counts_only(r)) {
			break;
		}
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

/*
 * How many leading 32-bit words every interval of every non-counting rule's
 * predicate on f shares, with their values in *lo (0: none, or no rule
 * tests f).
 */
static unsigned shared_words(const struct sl_ir_rule *rules, uint32_t n, enum sl_field f,
			     sl_u128 *lo)
{
	sl_u128 hi = 0;
	bool any = false;
	unsigned words = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct sl_ir_pred *q = find_pred(&rules[i], f);

		if (!q || sl_cls_rule_counts_only(&rules[i]))
			continue;
		for (uint32_t j = 0; j < q->set.n; j++) {
			*lo = any ? sl_min(*lo, q->set.iv[j].lo) : q->set.iv[j].lo;
			hi = any ? sl_max(hi, q->set.iv[j].hi) : q->set.iv[j].hi;
			any = true;
		}
	}
	/* Every address between lo and hi has the words lo and hi agree on. */
	while (any && words < SL_WORDS_128 && !((*lo ^ hi) >> (96 - 32 * words)))
		words++;
	return words;
}

/*
 * The pinned words of each 128-bit field (struct sl_cls_pin), where leaving
 * them out saves a dimension and the next word is tested anyway (the
 * carrier): words[f] gets the words that stay. Why the
 * answer is the same: a box that tests f matches only packets whose pinned
 * words hold the value, and only those see the carrier present; a box that
 * does not test f never looks at the carrier.
 */
static int pin_words(const struct sl_ir_rule *rules, uint32_t n, const bool *hoisted,
		     uint32_t *words, struct sl_cls_problem *p, unsigned *carrier_word)
{
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		unsigned k;
		uint32_t stay;
		sl_u128 lo = 0;

		carrier_word[f] = SL_WORDS_128;
		if (!is_wide((enum sl_field)f) || hoisted[f] || !words[f])
			continue;
		k = sl_min(shared_words(rules, n, (enum sl_field)f, &lo), SL_WORDS_128 - 1);
		stay = words[f] & ~((1u << k) - 1);
		/* The carrier must be a word some box tests: only those does codegen parse. */
		if (!k || !(words[f] & (1u << k)) || stay == words[f])
			continue;
		if (p->npins == SL_CLS_MAX_PINS)
			return -E2BIG;
		p->pin[p->npins].nwords = k;
		for (unsigned w = 0; w < k; w++)
			p->pin[p->npins].value[w] = (uint32_t)(lo >> (96 - 32 * w));
		p->npins++;
		words[f] = stay;
		carrier_word[f] = k;
	}
	return 0;
}

/*
 * A dimension per field the rules test, or per word of a 128-bit field that
 * some box tests (a /64 prefix leaves words 2 and 3 alone: no dimensions).
 */
static int choose_dims(const struct sl_ir_rule *rules, uint32_t n, const bool *hoisted,
		       struct sl_cls_problem *p, int (*dim_of)[SL_WORDS_128], int *carrier)
{
	uint32_t words[SL_FIELD_COUNT] = {0};
	unsigned carrier_word[SL_FIELD_COUNT], pin = 0;
	int err;

	for (uint32_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < rules[i].npreds && !sl_cls_rule_counts_only(&rules[i]);
		     k++) {
			const struct sl_ir_pred *pred = &rules[i].preds[k];

			if (!hoisted[pred->field])
				words[dim_field(&rules[i], pred->field)] |=
				    is_wide(pred->field) ? sl_iset_words(pred->set) : 1;
		}
	err = pin_words(rules, n, hoisted, words, p, carrier_word);
	if (err)
		return err;
	p->prob.ndims = 0;
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		unsigned bits =
		    is_wide((enum sl_field)f) ? 32 : sl_field_info((enum sl_field)f)->bits;

		for (unsigned w = 0; w < SL_WORDS_128; w++) {
			dim_of[f][w] = -1;
			if (!(words[f] & (1u << w)))
				continue;
			if (p->prob.ndims == SL_DT_MAX_DIMS)
				return -E2BIG;
			dim_of[f][w] = (int)p->prob.ndims;
			if (w == carrier_word[f])
				p->pin[pin++].carrier = p->prob.ndims;
			p->field[p->prob.ndims] = (enum sl_field)f;
			p->word[p->prob.ndims] = (uint8_t)w;
			p->prob.bits[p->prob.ndims++] = bits;
		}
	}
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++)
		carrier[f] = carrier_word[f] < SL_WORDS_128 ? dim_of[f][carrier_word[f]] : -1;
	/* Every rule tests the same: the first one always wins, straight code says it best. */
	return p->prob.ndims ? 0 : -E2BIG;
}

static uint64_t boxes_of(const struct sl_ir_rule *r, const bool *hoisted)
{
	uint64_t n = 1;

	for (uint32_t k = 0; k < r->npreds && n <= SL_CLS_MAX_BOXES_PER_RULE; k++)
		if (!hoisted[r->preds[k].field])
			n *= pred_boxes(&r->preds[k], SL_CLS_MAX_BOXES_PER_RULE);
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

/* Where the odometer of expand_rule() stands on one predicate: interval, then its word box. */
struct pred_pos {
	const struct sl_ir_pred *pred;
	const int *dim; /* per word (one for a narrow field): its dimension, or -1 (pinned) */
	int carrier;	/* a 128-bit field with pinned words: the carrier's dimension, else -1 */
	uint32_t iv;	/* interval */
	unsigned box, nbox; /* word box of a 128-bit interval */
	struct sl_word_box boxes[SL_WORD_BOXES_MAX];
};

static void pos_enter(struct pred_pos *q, uint32_t iv)
{
	q->iv = iv;
	q->box = 0;
	q->nbox = interval_boxes(q->pred, iv, q->boxes);
}

/* Next alternative; false (and back to the first) after the last. */
static bool pos_next(struct pred_pos *q)
{
	if (++q->box < q->nbox)
		return true;
	pos_enter(q, q->iv + 1 < q->pred->set.n ? q->iv + 1 : 0);
	return q->iv != 0;
}

/* The box's bounds and need bits for the predicate's current alternative. */
static void pos_put(const struct pred_pos *q, uint64_t *lo, uint64_t *hi, uint32_t *need)
{
	const struct sl_interval *iv = &q->pred->set.iv[q->iv];
	const struct sl_word_box *b = &q->boxes[q->box];
	uint32_t words;

	if (!is_wide(q->pred->field)) {
		lo[q->dim[0]] = (uint64_t)iv->lo;
		hi[q->dim[0]] = (uint64_t)iv->hi;
		*need |= 1u << q->dim[0];
		return;
	}
	words = sl_word_box_words(b);
	for (unsigned w = 0; w < SL_WORDS_128; w++) {
		if (!(words & (1u << w)) || q->dim[w] < 0)
			continue;
		lo[q->dim[w]] = b->lo[w];
		hi[q->dim[w]] = b->hi[w];
		*need |= 1u << q->dim[w];
	}
	if (q->carrier >= 0 && !(*need & (1u << q->carrier))) { /* it tested pinned words only */
		lo[q->carrier] = 0;
		hi[q->carrier] = UINT32_MAX;
		*need |= 1u << q->carrier;
	}
}

/* The cross product of the rule's alternatives (intervals, word boxes), one box each. */
static void expand_rule(const struct sl_ir_rule *r, const bool *hoisted,
			int (*dim_of)[SL_WORDS_128], const int *carrier, struct sl_cls_problem *p,
			uint32_t *nboxes)
{
	struct pred_pos pos[SL_DT_MAX_DIMS];
	unsigned nd = p->prob.ndims, np = 0;
	uint32_t payload = SL_CLS_PAYLOAD(r->id, r->counter ? 1u : 0u, r->action == SL_IR_DROP);

	for (uint32_t k = 0; k < r->npreds; k++)
		if (!hoisted[r->preds[k].field]) {
			pos[np].pred = &r->preds[k];
			pos[np].dim = dim_of[dim_field(r, r->preds[k].field)];
			pos[np].carrier = carrier[r->preds[k].field];
			pos_enter(&pos[np++], 0);
		}
	for (;;) {
		size_t b = (*nboxes)++;

		p->need[b] = 0;
		for (unsigned d = 0; d < nd; d++)
			p->lo[b * nd + d] = p->hi[b * nd + d] = 0;
		for (unsigned j = 0; j < np; j++)
			pos_put(&pos[j], &p->lo[b * nd], &p->hi[b * nd], &p->need[b]);
		p->payload[b] = payload;
		unsigned j = 0;

		while (j < np && !pos_next(&pos[j]))
			j++;
		if (j == np)
			break;
	}
}

int sl_cls_problem(const struct sl_ir_rule *rules, uint32_t n, struct sl_cls_problem *out)
{
	struct sl_cls_problem p = {0};
	bool hoisted[SL_FIELD_COUNT] = {false};
	int dim_of[SL_FIELD_COUNT][SL_WORDS_128], carrier[SL_FIELD_COUNT];
	uint64_t total = 0;
	uint32_t nboxes = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!n)
		return -EINVAL;
	err = hoist(rules, n, &p, hoisted);
	if (!err)
		err = choose_dims(rules, n, hoisted, &p, dim_of, carrier);
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
			p.posts[post++] = (struct sl_cls_post){&rules[i], nboxes};
		else
			expand_rule(&rules[i], hoisted, dim_of, carrier, &p, &nboxes);
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
