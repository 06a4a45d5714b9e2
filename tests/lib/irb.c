// SPDX-License-Identifier: GPL-2.0-only
#include "irb.h"

#include <stdlib.h>
#include <string.h>

/* Arrays grow to powers of two, so appending n elements costs O(n) arena space. */
static void *grow(struct sl_arena *a, void *old, uint32_t n, size_t size)
{
	if (n && (n & (n - 1)))
		return old;
	return sl_arena_realloc(a, old, n, n ? 2 * n : 1, size);
}

struct sl_ir *sl_irb_new(struct sl_arena *arena, const char *name)
{
	struct sl_ir *ir = sl_arena_calloc(arena, 1, sizeof(*ir));

	ir->arena = arena;
	ir->name = sl_arena_strdup(arena, name);
	return ir;
}

static uint32_t add_chain(struct sl_ir *ir, const char *name)
{
	ir->chains = grow(ir->arena, ir->chains, ir->nchains, sizeof(*ir->chains));
	ir->chains[ir->nchains].name = sl_arena_strdup(ir->arena, name);
	ir->chains[ir->nchains].loc = (struct sl_loc){0, 1, 1, 0};
	return ir->nchains++;
}

uint32_t sl_irb_table(struct sl_ir *ir, const char *name, enum sl_hook hook, enum sl_verdict policy)
{
	ir->tables = grow(ir->arena, ir->tables, ir->ntables, sizeof(*ir->tables));
	struct sl_ir_table *t = &ir->tables[ir->ntables];

	t->name = sl_arena_strdup(ir->arena, name);
	t->loc = (struct sl_loc){0, 1, 1, 0};
	t->hook = hook;
	t->policy = policy;
	t->entry = add_chain(ir, name);
	return ir->ntables++;
}

uint32_t sl_irb_entry(const struct sl_ir *ir, uint32_t table)
{
	return ir->tables[table].entry;
}

uint32_t sl_irb_chain(struct sl_ir *ir, const char *name)
{
	return add_chain(ir, name);
}

uint32_t sl_irb_rule(struct sl_ir *ir, uint32_t chain, enum sl_ir_action action, uint32_t target,
		     bool counter)
{
	struct sl_ir_chain *c = &ir->chains[chain];
	uint32_t id = ir->nrules++;

	c->rules = grow(ir->arena, c->rules, c->nrules, sizeof(*c->rules));
	struct sl_ir_rule *r = &c->rules[c->nrules++];

	r->id = id;
	r->loc = (struct sl_loc){0, id + 1, 1, 0};
	r->text = sl_arena_printf(ir->arena, "rule %u", id);
	r->action = action;
	r->target = target;
	r->counter = counter;
	r->action_loc = r->loc;
	return id;
}

struct sl_ir_rule *sl_irb_get(const struct sl_ir *ir, uint32_t id)
{
	/* Backwards: tests add predicates to the rule they just appended. */
	for (uint32_t c = ir->nchains; c-- > 0;) {
		for (uint32_t i = ir->chains[c].nrules; i-- > 0;) {
			if (ir->chains[c].rules[i].id == id)
				return &ir->chains[c].rules[i];
		}
	}
	abort();
}

void sl_irb_pred(struct sl_ir *ir, uint32_t rule, enum sl_field field, sl_u128 lo, sl_u128 hi)
{
	struct sl_interval one = {lo, hi};

	sl_irb_pred_set(ir, rule, field, &one, 1);
}

void sl_irb_pred_set(struct sl_ir *ir, uint32_t rule, enum sl_field field,
		     const struct sl_interval *add, uint32_t n)
{
	struct sl_ir_rule *r = sl_irb_get(ir, rule);
	uint32_t i = 0;

	while (i < r->npreds && r->preds[i].field < field)
		i++;
	if (i == r->npreds || r->preds[i].field != field) {
		r->preds = sl_arena_realloc(ir->arena, r->preds, r->npreds, r->npreds + 1,
					    sizeof(*r->preds));
		memmove(&r->preds[i + 1], &r->preds[i], (r->npreds - i) * sizeof(*r->preds));
		memset(&r->preds[i], 0, sizeof(r->preds[i]));
		r->preds[i].field = field;
		r->preds[i].loc = r->loc;
		r->npreds++;
	}
	struct sl_ir_pred *p = &r->preds[i];
	struct sl_interval *iv = sl_arena_calloc(ir->arena, p->set.n + n, sizeof(*iv));

	if (p->set.n)
		memcpy(iv, p->set.iv, p->set.n * sizeof(*iv));
	memcpy(iv + p->set.n, add, n * sizeof(*iv));
	p->set = sl_iset_from(ir->arena, iv, p->set.n + n);
}

static bool has_pred(const struct sl_ir_rule *r, enum sl_field f)
{
	for (uint32_t i = 0; i < r->npreds; i++) {
		if (r->preds[i].field == f)
			return true;
	}
	return false;
}

void sl_irb_implied(struct sl_ir *ir, uint32_t rule)
{
	struct sl_ir_rule *r = sl_irb_get(ir, rule);
	int32_t l3 = -1, l4 = -1, l4alt = -1;

	for (uint32_t i = 0; i < r->npreds; i++) {
		const struct sl_field_info *fi = sl_field_info(r->preds[i].field);

		if (fi->implied_l3 >= 0)
			l3 = fi->implied_l3;
		if (fi->implied_l4 >= 0) {
			l4 = fi->implied_l4;
			l4alt = fi->implied_l4_alt;
		}
	}
	if (l3 >= 0 && !has_pred(r, SL_FIELD_META_PROTOCOL))
		sl_irb_pred(ir, rule, SL_FIELD_META_PROTOCOL, l3, l3);
	if (l4 >= 0 && !has_pred(r, SL_FIELD_META_L4PROTO)) {
		sl_irb_pred(ir, rule, SL_FIELD_META_L4PROTO, l4, l4);
		if (l4alt >= 0)
			sl_irb_pred(ir, rule, SL_FIELD_META_L4PROTO, l4alt, l4alt);
	}
}
