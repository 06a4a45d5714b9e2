// SPDX-License-Identifier: GPL-2.0-only
/*
 * Redundant rules: an accept or drop rule R (no counter) whose removal
 * changes no verdict. Without R, its packets go on down the chain; that is
 * harmless when every later rule that may match one of them is an accept or
 * drop of R's verdict without a counter, and the packets that none of them
 * takes get R's verdict at the end: from the table's policy in a table body,
 * or because a later same-verdict rule covers R entirely (a named chain's end
 * returns to a caller we do not follow). A jump, goto, return or counter that
 * may see R's packets ends the search: R is then kept as needed.
 *
 * "May match" is decided field by field (disjoint sets on a field both test
 * mean no common packet), which errs towards "may": never a wrong claim.
 * The scan after each rule is bounded, and so is the whole pass (a budget
 * of rule comparisons proportional to the policy's size): past either bound,
 * rules are left alone. Large policies are then analysed only in part.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "opt/opt.h"

#define SL_REDUNDANT_SCAN 1024 /* later rules looked at per rule */

enum reason {
	KEPT,
	BY_RULE,   /* a later rule of the same verdict takes all of R's packets */
	BY_POLICY, /* the rest falls through to the table's policy, the same verdict */
};

static bool may_overlap(const struct sl_ir_rule *a, const struct sl_ir_rule *b)
{
	uint32_t i = 0, j = 0;

	while (i < a->npreds && j < b->npreds) {
		if (a->preds[i].field < b->preds[j].field) {
			i++;
		} else if (a->preds[i].field > b->preds[j].field) {
			j++;
		} else {
			if (sl_iset_disjoint(a->preds[i].set, b->preds[j].set))
				return false;
			i++;
			j++;
		}
	}
	return true;
}

/* Does `e` match every packet `r` matches? */
static bool covers(const struct sl_ir_rule *e, const struct sl_ir_rule *r)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < e->npreds; i++) {
		while (j < r->npreds && r->preds[j].field < e->preds[i].field)
			j++;
		if (j == r->npreds || r->preds[j].field != e->preds[i].field ||
		    !sl_iset_subset(r->preds[j].set, e->preds[i].set))
			return false;
	}
	return true;
}

static enum sl_ir_action policy_action(enum sl_verdict v)
{
	return v == SL_VERDICT_ACCEPT ? SL_IR_ACCEPT : SL_IR_DROP;
}

/* Why rules[at] of `chain` is redundant, with the deciding rule in *by. */
static enum reason why_redundant(const struct sl_ir_chain *chain, uint32_t at,
				 const struct sl_ir_table *table, const struct sl_ir_rule **by,
				 uint64_t *budget)
{
	const struct sl_ir_rule *r = &chain->rules[at];
	uint32_t end =
	    chain->nrules - at - 1 > SL_REDUNDANT_SCAN ? at + 1 + SL_REDUNDANT_SCAN : chain->nrules;

	for (uint32_t i = at + 1; i < end; i++) {
		const struct sl_ir_rule *l = &chain->rules[i];

		if (!*budget)
			return KEPT;
		--*budget;
		if (!may_overlap(r, l))
			continue;
		if (l->action != r->action || l->counter || sl_ir_rule_stateful(l))
			return KEPT;
		if (covers(l, r) && !sl_ir_rule_opaque(l)) {
			*by = l;
			return BY_RULE;
		}
	}
	if (end == chain->nrules && table && policy_action(table->policy) == r->action)
		return BY_POLICY;
	return KEPT;
}

static void report(const struct sl_ir *ir, struct sl_diag *diag, const struct sl_ir_rule *r,
		   enum reason why, const struct sl_ir_rule *by, const struct sl_ir_table *table)
{
	const char *verdict = r->action == SL_IR_ACCEPT ? "accept" : "drop";

	if (why == BY_RULE) {
		const struct sl_source *src = sl_sources_get(ir->srcs, by->loc.file);

		if (by->loc.file == r->loc.file || !src)
			sl_warning(diag, r->loc,
				   "rule is redundant: the rule at %u:%u would %s "
				   "every packet it matches",
				   by->loc.line, by->loc.col, verdict);
		else
			sl_warning(diag, r->loc,
				   "rule is redundant: the rule at %s:%u:%u would %s "
				   "every packet it matches",
				   src->path, by->loc.line, by->loc.col, verdict);
		if (!diag->quiet_warnings)
			sl_note(diag, by->loc,
				"this rule covers the earlier one, and the rules in "
				"between never decide its packets otherwise");
		return;
	}
	sl_warning(diag, r->loc,
		   "rule is redundant: table '%s' would %s every packet it matches "
		   "by its policy",
		   table->name, verdict);
	if (!diag->quiet_warnings)
		sl_note(diag, table->loc,
			"no later rule gives these packets another verdict, "
			"so they fall through to 'policy %s'",
			verdict);
}

void sl_opt_redundant(const struct sl_ir *ir, struct sl_diag *diag, enum sl_opt_finding *findings)
{
	uint64_t budget = 32 * (uint64_t)ir->nrules + (1u << 20);

	for (uint32_t c = 0; c < ir->nchains; c++) {
		const struct sl_ir_chain *chain = &ir->chains[c];
		const struct sl_ir_table *table = NULL;

		for (uint32_t t = 0; t < ir->ntables; t++) {
			if (ir->tables[t].entry == c)
				table = &ir->tables[t];
		}
		for (uint32_t i = 0; i < chain->nrules; i++) {
			const struct sl_ir_rule *r = &chain->rules[i], *by = NULL;
			enum reason why;

			if ((r->action != SL_IR_ACCEPT && r->action != SL_IR_DROP) || r->counter ||
			    sl_ir_rule_stateful(r) || findings[r->id] != SL_OPT_FINE)
				continue;
			why = why_redundant(chain, i, table, &by, &budget);
			if (why == KEPT)
				continue;
			findings[r->id] = SL_OPT_REDUNDANT;
			if (diag)
				report(ir, diag, r, why, by, table);
		}
	}
}

int sl_opt_lint(const struct sl_ir *ir, struct sl_diag *diag, enum sl_opt_finding *findings)
{
	_cleanup_arena_ struct sl_arena *arena = sl_arena_new();
	_cleanup_free_ enum sl_opt_finding *own = NULL;
	struct sl_ir *pruned = sl_ir_clone_shared(ir, arena); /* freed first */

	if (!findings) {
		findings = own = calloc(ir->nrules ? ir->nrules : 1, sizeof(*findings));
		if (!findings)
			return -ENOMEM;
	}
	/* a rule the shadow pass removed is shadowed; the others are fine so far */
	for (uint32_t i = 0; i < ir->nrules; i++)
		findings[i] = SL_OPT_SHADOWED;
	sl_opt_shadow_unions(pruned, diag, NULL);
	for (uint32_t c = 0; c < pruned->nchains; c++) {
		for (uint32_t i = 0; i < pruned->chains[c].nrules; i++)
			findings[pruned->chains[c].rules[i].id] = SL_OPT_FINE;
	}
	/* on the policy as written: without R, the rules R shadows could match */
	sl_opt_redundant(ir, diag, findings);
	return 0;
}
