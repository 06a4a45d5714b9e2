// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the classifier (compiler/select/classify.c) can take, rule by rule:
 * the IR pass that reorders rules (reorder.c) gathers such rules into runs,
 * and select/ cuts the runs into segments.
 */
#include "opt/cls_rule.h"
#include "common/util.h"

/* Widest field the walker takes: keys and bounds stay below 2^62 (its arithmetic box test). */
#define MAX_FIELD_BITS 61

bool sl_cls_field_wide(enum sl_field f)
{
	return sl_field_info(f)->bits > 64;
}

/* Alternatives (boxes over its dimensions) of a predicate's interval i. */
static unsigned interval_boxes(const struct sl_ir_pred *p, uint32_t i,
			       struct sl_word_box out[SL_WORD_BOXES_MAX])
{
	if (!sl_cls_field_wide(p->field))
		return 1;
	return sl_iset_word_boxes(p->set.iv[i].lo, p->set.iv[i].hi, out);
}

/* Boxes the predicate expands to (at most limit + 1: counting stops there). */
uint64_t sl_cls_pred_boxes(const struct sl_ir_pred *p, uint64_t limit)
{
	struct sl_word_box b[SL_WORD_BOXES_MAX];
	uint64_t n = 0;

	for (uint32_t i = 0; i < p->set.n && n <= limit; i++)
		n += interval_boxes(p, i, b);
	return n;
}

bool sl_cls_rule_fits(const struct sl_ir_rule *r)
{
	uint64_t boxes = 1;

	if (r->action != SL_IR_ACCEPT && r->action != SL_IR_DROP)
		return false;
	/* A named-set lookup stays a test of its own (emit/codegen_setref.c), never in a tree. */
	if (sl_ir_rule_stateful(r) || sl_ir_rule_opaque(r))
		return false;
	if (r->id > SL_CLS_MAX_RULE_ID)
		return false;
	for (uint32_t k = 0; k < r->npreds; k++) {
		const struct sl_field_info *f = sl_field_info(r->preds[k].field);

		if (!f || (f->bits > MAX_FIELD_BITS && !sl_cls_field_wide(r->preds[k].field)) ||
		    !r->preds[k].set.n)
			return false;
		/* A big set (a blocklist) is a rule of its own, not thousands of boxes. */
		if (r->preds[k].set.n > SL_CLS_MAX_BOXES_PER_RULE)
			return false;
		boxes *= sl_cls_pred_boxes(&r->preds[k], SL_CLS_MAX_BOXES_PER_RULE);
		if (boxes > SL_CLS_MAX_BOXES_PER_RULE)
			return false;
	}
	return true;
}

bool sl_cls_rule_wide(const struct sl_ir_rule *r)
{
	for (uint32_t k = 0; k < r->npreds; k++)
		if (sl_cls_field_wide(r->preds[k].field))
			return true;
	return false;
}
