// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rule evaluation, lang-spec/packet-semantics.md section 7, read literally:
 * first match wins, chains are walked recursively, a missing field makes
 * its predicate false.
 */
#include <errno.h>
#include <stdlib.h>

#include "ir/ir.h"
#include "interp/interp.h"

enum flow {
	FLOW_RETURNED, /* the chain returned (by `return` or by reaching its end) */
	FLOW_DECIDED,  /* accept or drop: evaluation is over */
	FLOW_LOOP,     /* chains reach themselves: malformed IR */
};

struct eval {
	const struct sl_ir *ir;
	const struct sl_interp_fields *fields;
	uint64_t length;
	struct sl_interp_result *res;
	struct sl_interp_counter *counters;
	uint64_t now_ns;
	struct sl_interp_state *state;
};

/* A plain scan: the oracle does not share the optimiser's cleverness. */
static bool set_contains(const struct sl_iset *set, sl_u128 v)
{
	for (uint32_t i = 0; i < set->n; i++) {
		if (set->iv[i].lo <= v && v <= set->iv[i].hi)
			return true;
	}
	return false;
}

/* Whether the rule's named-set lookups (its predicates aside) accept the packet. */
static bool setrefs_match(const struct eval *ev, const struct sl_ir_rule *rule)
{
	for (uint32_t i = 0; i < rule->nsetrefs; i++) {
		const struct sl_ir_setref *sr = &rule->setrefs[i];
		sl_u128 v[SL_IR_SET_MAX_FIELDS];

		if (sr->set >= ev->ir->nsets)
			return false;
		for (uint32_t f = 0; f < sr->nfields; f++) {
			if ((unsigned)sr->fields[f] >= SL_FIELD_COUNT ||
			    !ev->fields->present[sr->fields[f]])
				return false;
			v[f] = ev->fields->value[sr->fields[f]];
		}
		if (sl_ir_set_contains(&ev->ir->sets[sr->set], v) == sr->negated)
			return false;
	}
	return true;
}

static bool rule_matches(const struct eval *ev, const struct sl_ir_rule *rule)
{
	for (uint32_t i = 0; i < rule->npreds; i++) {
		const struct sl_ir_pred *p = &rule->preds[i];

		if ((unsigned)p->field >= SL_FIELD_COUNT || !ev->fields->present[p->field])
			return false;
		if (!set_contains(&p->set, ev->fields->value[p->field]))
			return false;
	}
	return setrefs_match(ev, rule);
}

static enum flow eval_chain(struct eval *ev, uint32_t chain, uint32_t depth)
{
	if (chain >= ev->ir->nchains || depth > ev->ir->nchains)
		return FLOW_LOOP;

	const struct sl_ir_chain *c = &ev->ir->chains[chain];
	for (uint32_t i = 0; i < c->nrules; i++) {
		const struct sl_ir_rule *rule = &c->rules[i];
		enum flow flow;

		if (!rule_matches(ev, rule))
			continue;
		if (rule->limit &&
		    !sl_interp_limit(ev->state, rule, ev->fields, ev->length, ev->now_ns))
			continue;
		if (rule->counter && ev->counters) {
			ev->counters[rule->id].packets++;
			ev->counters[rule->id].bytes += ev->length;
		}
		switch (rule->action) {
		case SL_IR_CONTINUE:
			break;
		case SL_IR_ACCEPT:
		case SL_IR_DROP:
			ev->res->verdict =
			    rule->action == SL_IR_ACCEPT ? SL_VERDICT_ACCEPT : SL_VERDICT_DROP;
			ev->res->rule = rule->id;
			return FLOW_DECIDED;
		case SL_IR_JUMP:
			flow = eval_chain(ev, rule->target, depth + 1);
			if (flow != FLOW_RETURNED)
				return flow;
			break;
		case SL_IR_GOTO:
			return eval_chain(ev, rule->target, depth + 1);
		case SL_IR_RETURN:
			return FLOW_RETURNED;
		}
	}
	return FLOW_RETURNED;
}

int sl_interp_run_fields(const struct sl_ir *ir, uint32_t table,
			 const struct sl_interp_fields *fields, uint64_t length,
			 struct sl_interp_result *res, struct sl_interp_counter *counters)
{
	return sl_interp_run_state(ir, table, fields, length, 0, NULL, res, counters);
}

int sl_interp_run_state(const struct sl_ir *ir, uint32_t table,
			const struct sl_interp_fields *fields, uint64_t length, uint64_t now_ns,
			struct sl_interp_state *state, struct sl_interp_result *res,
			struct sl_interp_counter *counters)
{
	if (table >= ir->ntables)
		return -EINVAL;

	const struct sl_ir_table *t = &ir->tables[table];
	struct eval ev = {ir, fields, length, res, counters, now_ns, state};

	switch (eval_chain(&ev, t->entry, 0)) {
	case FLOW_RETURNED:
		res->verdict = t->policy;
		res->rule = SL_INTERP_POLICY;
		return 0;
	case FLOW_DECIDED:
		return 0;
	default:
		return -ELOOP;
	}
}

int sl_interp_run(const struct sl_ir *ir, uint32_t table, const struct sl_interp_packet *pkt,
		  struct sl_interp_result *res, struct sl_interp_counter *counters)
{
	struct sl_interp_fields fields;

	if (table >= ir->ntables || ir->tables[table].hook != pkt->hook)
		return -EINVAL;
	sl_interp_parse(pkt, &fields);
	return sl_interp_run_state(ir, table, &fields, sl_interp_wire_length(pkt), pkt->time_ns,
				   pkt->state, res, counters);
}

/*
 * sl_interp_run_many(): the walk above for up to 64 packets at once (bits
 * of *live), rule by rule. On return *live holds the packets that returned
 * from the chain; the others are decided (res set).
 */
struct many {
	const struct sl_ir *ir;
	const struct sl_interp_fields *fields;
	const uint64_t *length;
	struct sl_interp_result *res;
	/* The batch by field (present[f]: bit k for packet k; value[f][k]), so that a
	 * predicate is tested over all live packets at once: the same literal test. */
	uint64_t present[SL_FIELD_COUNT];
	sl_u128 (*value)[64];
};

/* The live packets of m (bits of live) that rule's predicates and set lookups accept. */
static uint64_t rule_matches_many(const struct many *m, const struct sl_ir_rule *rule,
				  uint64_t live)
{
	for (uint32_t i = 0; i < rule->npreds && live; i++) {
		const struct sl_ir_pred *p = &rule->preds[i];

		if ((unsigned)p->field >= SL_FIELD_COUNT)
			return 0;
		live &= m->present[p->field];
		for (uint64_t b = live; b; b &= b - 1)
			if (!set_contains(&p->set, m->value[p->field][__builtin_ctzll(b)]))
				live &= ~(b & -b);
	}
	for (uint64_t b = rule->nsetrefs ? live : 0; b; b &= b - 1) {
		struct eval ev = {.ir = m->ir, .fields = &m->fields[__builtin_ctzll(b)]};

		if (!setrefs_match(&ev, rule))
			live &= ~(b & -b);
	}
	return live;
}

static int eval_chain_many(const struct many *m, uint32_t chain, uint32_t depth, uint64_t *live)
{
	uint64_t returned = 0;

	if (chain >= m->ir->nchains || depth > m->ir->nchains)
		return -ELOOP;

	const struct sl_ir_chain *c = &m->ir->chains[chain];
	for (uint32_t i = 0; i < c->nrules && *live; i++) {
		const struct sl_ir_rule *rule = &c->rules[i];
		uint64_t hit = rule_matches_many(m, rule, *live), sub;
		int err;

		for (uint64_t b = rule->limit ? hit : 0; b; b &= b - 1) {
			unsigned k = (unsigned)__builtin_ctzll(b);

			if (!sl_interp_limit(NULL, rule, &m->fields[k], m->length[k], 0))
				hit &= ~(b & -b);
		}
		if (!hit)
			continue;
		switch (rule->action) {
		case SL_IR_CONTINUE:
			break;
		case SL_IR_ACCEPT:
		case SL_IR_DROP:
			for (uint64_t b = hit; b; b &= b - 1) {
				unsigned k = (unsigned)__builtin_ctzll(b);

				m->res[k].verdict = rule->action == SL_IR_ACCEPT ? SL_VERDICT_ACCEPT
										 : SL_VERDICT_DROP;
				m->res[k].rule = rule->id;
			}
			*live &= ~hit;
			break;
		case SL_IR_JUMP:
			sub = hit;
			if ((err = eval_chain_many(m, rule->target, depth + 1, &sub)))
				return err;
			*live &= ~(hit & ~sub); /* the decided ones */
			break;
		case SL_IR_GOTO:
			sub = hit;
			if ((err = eval_chain_many(m, rule->target, depth + 1, &sub)))
				return err;
			*live &= ~hit;
			returned |= sub;
			break;
		case SL_IR_RETURN:
			*live &= ~hit;
			returned |= hit;
			break;
		}
	}
	*live |= returned;
	return 0;
}

int sl_interp_run_many(const struct sl_ir *ir, uint32_t table,
		       const struct sl_interp_fields *fields, const uint64_t *length, size_t n,
		       struct sl_interp_result *res)
{
	sl_u128(*value)[64];

	if (table >= ir->ntables)
		return -EINVAL;
	value = malloc(sizeof(*value) * SL_FIELD_COUNT);
	if (!value)
		return -ENOMEM;
	for (size_t at = 0; at < n; at += 64) {
		size_t k = n - at < 64 ? n - at : 64;
		struct many m = {ir, fields + at, length + at, res + at, {0}, value};
		uint64_t live = k == 64 ? ~0ULL : (1ULL << k) - 1;
		int err;

		for (size_t j = 0; j < k; j++)
			for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
				m.present[f] |= (uint64_t)fields[at + j].present[f] << j;
				value[f][j] = fields[at + j].value[f];
			}
		err = eval_chain_many(&m, ir->tables[table].entry, 0, &live);
		if (err) {
			free(value);
			return err;
		}
		for (; live; live &= live - 1) {
			res[at + __builtin_ctzll(live)].verdict = ir->tables[table].policy;
			res[at + __builtin_ctzll(live)].rule = SL_INTERP_POLICY;
		}
	}
	free(value);
	return 0;
}
