/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Code-shape selection, between opt/ and emit/: from the options (read here
 * and nowhere else) the shapes the program may take, and for each run of
 * accept/drop rules its plan: straight early-exit code, a table walk or
 * inline code trees, with the classification problem and its decision trees
 * built. emit/ asks at the start of each run, telling where the program it
 * generates stands (emit/cost.h: struct sl_emit_state), and emits the plan.
 *
 *   classify.c  IR rules -> a classification problem (classify.h)
 *   dtree.c     decision trees over the problem's boxes (dtree.h)
 *   plan.c      the options' shapes (sl_sel_init) and each run's plan
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emit/cost.h"
#include "ir/ir.h"
#include "select/classify.h"
#include "select/dtree.h"
#include "sluice/sluice.h"

/*
 * Sets of at least this many intervals get a table at -O1 and above. Measured
 * (one IPv4 address set, XDP test runs, same run): inline 6/6/7/8/10/28 ns
 * against table 6/7/7/8/9/10 ns at 4/8/16/32/64/256 addresses.
 */
#define SL_SEL_SET_TABLE_MIN 32u

/* The shapes the options allow, decided once per compile. */
struct sl_sel {
	enum sl_classifier_mode classifier;
	bool walks;		/* runs may become table walks (or code trees) */
	bool code_trees;	/* runs may become inline code trees */
	bool classifies;	/* the cost model classifies runs (-O2 and above) */
	bool value_dispatch;	/* early-exit chunks may dispatch on one field's values */
	uint32_t set_table_min; /* intervals from which a set is searched in a table; 0: never */
	size_t table_max;	/* largest classifier table, bytes */
};

void sl_sel_init(struct sl_sel *sel, int opt_level, enum sl_classifier_mode classifier,
		 enum sl_set_lookup set_lookup, size_t table_max);

/* Do the options want a table search for a set of `nintervals`? (emit may still refuse) */
static inline bool sl_sel_set_table(const struct sl_sel *sel, uint32_t nintervals)
{
	return sel->set_table_min && nintervals >= sel->set_table_min;
}

/* A run of rules that becomes a table walk or inline trees. */
struct sl_sel_plan {
	const struct sl_ir_chain *chain;
	uint32_t first, n; /* its rules: chain->rules[first .. first + n) */
	struct sl_cls_problem p;
	struct sl_dt *dt;
	struct sl_tw_input in; /* the walk's inputs; emit fills in the maps */
	bool code;	       /* inline trees rather than a table walk */
};

/*
 * At rule `first` of chain `c`, the start of a run: *run gets the rules of
 * the segment starting there (0: none; with a plan, the rules it covers: a
 * segment whose tables do not fit is cut, and the caller asks again after
 * the part the plan covers). When the options and the cost model want a
 * table walk or inline trees for it, *plan gets it (else NULL: the caller
 * emits the run as straight code, as a whole, and asks again after it).
 * Returns 0 or -errno.
 */
int sl_sel_plan_run(const struct sl_sel *sel, const struct sl_emit_state *st,
		    const struct sl_ir_chain *c, uint32_t first, struct sl_sel_plan **plan,
		    uint32_t *run);
void sl_sel_plan_free(struct sl_sel_plan *plan);
