// SPDX-License-Identifier: GPL-2.0-only
/*
 * `ct state` (lang-spec/packet-semantics.md §10): a policy's one flow table is
 * kept by one table and its companion, so at most one table may test the
 * state, through the chains it reaches too. Checked on the IR as written
 * (compiler/lib/compile.c, after lowering), so `sluice check` says it.
 */
#include <errno.h>
#include <stdlib.h>

#include "ir/ir.h"

static bool tracks(const struct sl_ir *ir, uint32_t c, bool *seen)
{
	if (c >= ir->nchains || seen[c])
		return false;
	seen[c] = true;
	for (uint32_t i = 0; i < ir->chains[c].nrules; i++) {
		const struct sl_ir_rule *r = &ir->chains[c].rules[i];

		for (uint32_t k = 0; k < r->npreds; k++)
			if (r->preds[k].field == SL_FIELD_CT_STATE)
				return true;
		if ((r->action == SL_IR_JUMP || r->action == SL_IR_GOTO) &&
		    tracks(ir, r->target, seen))
			return true;
	}
	return false;
}

int sl_ir_ct_check(const struct sl_ir *ir, struct sl_diag *diag)
{
	int32_t first = -1;

	for (uint32_t t = 0; t < ir->ntables; t++) {
		bool *seen = calloc(ir->nchains ? ir->nchains : 1, sizeof(*seen));
		bool uses;

		if (!seen)
			return -ENOMEM;
		uses = tracks(ir, ir->tables[t].entry, seen);
		free(seen);
		if (!uses)
			continue;
		if (first < 0) {
			first = (int32_t)t;
			continue;
		}
		sl_error(diag, ir->tables[t].loc,
			 "table '%s' tests 'ct state', and so does table '%s': one table of a "
			 "policy can track connections",
			 ir->tables[t].name, ir->tables[first].name);
		sl_hint(diag, ir->tables[t].loc,
			"put the tables in policies of their own, each with its own flow table");
		return -EINVAL;
	}
	return 0;
}
