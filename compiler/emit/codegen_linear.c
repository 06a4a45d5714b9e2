// SPDX-License-Identifier: GPL-2.0-only
/*
 * -O0 body: the rules one after the other, as written. A rule computes its
 * mismatch in R6 (codegen_match.c) and skips itself with a single jump;
 * accept/drop return on the spot, so no jump ever spans more than one rule
 * except chain returns, which the emitter's islands keep in range. Chains are
 * inlined at every jump/goto (the checker forbids cycles and bounds nesting).
 */
#include <errno.h>

#include "codegen.h"

#define MAX_NESTING 16

static int emit_chain(struct sl_cg *cg, uint32_t chain, sl_label ret, unsigned depth,
		      bool ret_follows);

static struct sl_loc action_loc(const struct sl_ir_rule *r)
{
	return r->action_loc.file != UINT32_MAX ? r->action_loc : r->loc;
}

static void emit_match(struct sl_cg *cg, const struct sl_ir_rule *r, sl_label next)
{
	struct sl_emit *e = &cg->e;

	for (uint32_t k = 0; k < r->npreds; k++) {
		const struct sl_ir_pred *p = &r->preds[k];

		sl_emit_set_loc(e, p->loc.file != UINT32_MAX ? p->loc : r->loc);
		sl_emit_safe_point(e);
		sl_cg_mismatch(cg, p->field, p->set, k ? SL_R7 : SL_R6);
		if (k)
			sl_emit(e, SL_ALU64_REG(BPF_OR, SL_R6, SL_R7));
	}
	if (r->npreds)
		sl_emit_jmp_imm(e, BPF_JSLT, SL_R6, 0, next);
}

static int emit_rule(struct sl_cg *cg, const struct sl_ir_rule *r, sl_label ret, unsigned depth)
{
	struct sl_emit *e = &cg->e;
	sl_label next = sl_emit_new_label(e);
	int err = 0;

	sl_emit_set_loc(e, r->loc);
	sl_emit_safe_point(e);
	emit_match(cg, r, next);
	sl_emit_set_loc(e, action_loc(r));
	if (r->counter)
		sl_cg_count(cg, r->id);
	switch (r->action) {
	case SL_IR_ACCEPT:
		sl_cg_verdict(cg, r->id, SL_VERDICT_ACCEPT);
		break;
	case SL_IR_DROP:
		sl_cg_verdict(cg, r->id, SL_VERDICT_DROP);
		break;
	case SL_IR_JUMP: {
		sl_label back = sl_emit_new_label(e);

		err = emit_chain(cg, r->target, back, depth + 1, true);
		sl_emit_bind(e, back);
		break;
	}
	case SL_IR_GOTO:
		err = emit_chain(cg, r->target, ret, depth + 1, false);
		break;
	case SL_IR_RETURN:
		sl_emit_ja(e, ret);
		break;
	case SL_IR_CONTINUE:
		break;
	}
	sl_emit_bind(e, next);
	return err;
}

/* The chain's rules; its end (and `return`) continue at `ret`. */
static int emit_chain(struct sl_cg *cg, uint32_t chain, sl_label ret, unsigned depth,
		      bool ret_follows)
{
	const struct sl_ir_chain *c;
	int err;

	if (chain >= cg->ir->nchains)
		return -EINVAL;
	c = &cg->ir->chains[chain];
	if (depth > MAX_NESTING) {
		sl_error(cg->diag, c->loc, "chain '%s' is reached through more than %d nested jumps",
			 c->name, MAX_NESTING);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < c->nrules; i++) {
		err = emit_rule(cg, &c->rules[i], ret, depth);
		if (err)
			return err;
		if (cg->e.err)
			return cg->e.err;
	}
	if (!ret_follows)
		sl_emit_ja(&cg->e, ret);
	return 0;
}

int sl_cg_linear(struct sl_cg *cg)
{
	sl_label policy = sl_emit_new_label(&cg->e);
	int err;

	err = emit_chain(cg, cg->table->entry, policy, 0, true);
	if (err)
		return err;
	sl_emit_bind(&cg->e, policy);
	sl_emit_set_loc(&cg->e, cg->table->loc);
	sl_cg_verdict(cg, SLUICE_DECISION_POLICY, cg->table->policy);
	return cg->e.err;
}
