// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rules that do nothing: no verdict and no counter; a jump to an empty
 * chain (it returns at once); a return at the end of a chain (the end
 * returns too). A goto to an empty chain is a return. Removing one can
 * empty a chain and make more of them, so this runs to a fixed point.
 */
#include "opt/opt.h"

/* What a rule becomes: false when it can go. */
static bool simplify(const struct sl_ir *ir, struct sl_ir_rule *r)
{
	bool empty_target = (r->action == SL_IR_JUMP || r->action == SL_IR_GOTO) &&
			    r->target < ir->nchains && ir->chains[r->target].nrules == 0;

	if (empty_target)
		r->action = r->action == SL_IR_JUMP ? SL_IR_CONTINUE : SL_IR_RETURN;
	return r->counter || r->log || r->action != SL_IR_CONTINUE;
}

static bool noops_chain(const struct sl_ir *ir, struct sl_ir_chain *chain, struct sl_opt_stats *st)
{
	uint32_t kept = 0, before = chain->nrules;

	for (uint32_t i = 0; i < chain->nrules; i++) {
		if (simplify(ir, &chain->rules[i]))
			chain->rules[kept++] = chain->rules[i];
	}
	while (kept && chain->rules[kept - 1].action == SL_IR_RETURN &&
	       !chain->rules[kept - 1].counter && !chain->rules[kept - 1].log)
		kept--;
	chain->nrules = kept;
	st->noops += before - kept;
	return kept != before;
}

void sl_opt_noops(struct sl_ir *ir, struct sl_opt_stats *stats)
{
	struct sl_opt_stats scratch = {0};
	bool changed = true;

	if (!stats)
		stats = &scratch;
	while (changed) {
		changed = false;
		for (uint32_t c = 0; c < ir->nchains; c++)
			changed |= noops_chain(ir, &ir->chains[c], stats);
	}
}
