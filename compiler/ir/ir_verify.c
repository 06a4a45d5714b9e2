// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IR's invariants, checked: what every pass may assume of its input and
 * must keep in its output. Linear in the size of the IR.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ir/ir.h"

static int fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (err && size) {
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool set_is_canonical(struct sl_iset set, sl_u128 max)
{
	if (set.n && !set.iv)
		return false;
	for (uint32_t i = 0; i < set.n; i++) {
		if (set.iv[i].lo > set.iv[i].hi || set.iv[i].hi > max)
			return false;
		if (i && set.iv[i - 1].hi + 1 >= set.iv[i].lo)
			return false;
	}
	return true;
}

static int verify_rule(const struct sl_ir *ir, const struct sl_ir_rule *r, uint8_t *seen, char *err,
		       size_t size)
{
	if (r->id >= ir->nrules)
		return fail(err, size, "rule id %u is not below nrules %u", r->id, ir->nrules);
	if (seen[r->id]++)
		return fail(err, size, "rule id %u appears twice", r->id);
	if (r->npreds && !r->preds)
		return fail(err, size, "rule %u: predicates missing", r->id);
	for (uint32_t i = 0; i < r->npreds; i++) {
		const struct sl_ir_pred *p = &r->preds[i];

		if ((unsigned)p->field >= SL_FIELD_COUNT || p->field == SL_FIELD_ETHER_TYPE)
			return fail(err, size, "rule %u: bad field %d", r->id, (int)p->field);
		if (i && r->preds[i - 1].field >= p->field)
			return fail(err, size,
				    "rule %u: predicates not sorted by field, or repeated", r->id);
		if (sl_iset_is_empty(p->set) || !set_is_canonical(p->set, sl_field_max(p->field)))
			return fail(err, size, "rule %u: %s set empty or not canonical", r->id,
				    sl_field_info(p->field)->name);
	}
	for (uint32_t i = 0; i < r->nsetrefs; i++) {
		const struct sl_ir_setref *sr = &r->setrefs[i];

		if (sr->set >= ir->nsets || sr->nfields != ir->sets[sr->set].ntypes)
			return fail(err, size, "rule %u: set lookup %u names no set of its shape",
				    r->id, i);
		for (uint32_t f = 0; f < sr->nfields; f++)
			if ((unsigned)sr->fields[f] >= SL_FIELD_COUNT)
				return fail(err, size, "rule %u: bad set field", r->id);
	}
	if ((unsigned)r->action > SL_IR_RETURN)
		return fail(err, size, "rule %u: bad action %d", r->id, (int)r->action);
	if ((r->action == SL_IR_JUMP || r->action == SL_IR_GOTO) &&
	    (r->target >= ir->nchains || r->target < ir->ntables))
		return fail(err, size, "rule %u: jump target %u is not a named chain", r->id,
			    r->target);
	return 0;
}

int sl_ir_verify(const struct sl_ir *ir, char *err, size_t size)
{
	uint8_t *seen;
	int r = 0;

	if (ir->ntables > ir->nchains)
		return fail(err, size, "%u tables but %u chains", ir->ntables, ir->nchains);
	for (uint32_t t = 0; t < ir->ntables; t++) {
		if (ir->tables[t].entry != t)
			return fail(err, size, "table %u's entry chain is %u", t,
				    ir->tables[t].entry);
		if ((unsigned)ir->tables[t].hook >= SL_HOOK_COUNT)
			return fail(err, size, "table %u: bad hook", t);
	}
	seen = calloc(ir->nrules ? ir->nrules : 1, 1);
	if (!seen)
		return -ENOMEM;
	for (uint32_t c = 0; c < ir->nchains && !r; c++) {
		for (uint32_t i = 0; i < ir->chains[c].nrules && !r; i++)
			r = verify_rule(ir, &ir->chains[c].rules[i], seen, err, size);
	}
	free(seen);
	return r;
}
