// SPDX-License-Identifier: GPL-2.0-only
/*
 * The plan of a run of accept/drop rules (a segment, select/classify.h): a
 * table walk or inline code trees instead of the rules one by one, when the
 * options and the cost model say so; else straight code. What the code
 * costs comes from emit/cost.h; where the program stands (its size so far,
 * its maps, its stack slots) from emit's struct sl_emit_state. The options
 * are read here and nowhere else (sl_sel_init()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "select/select.h"

/* Each table fits SL_TW_TABLE_MAX; all of them a sane total. */
#define TOTAL_MAX (64u << 20)
/* A program may use 64 maps: leave room for codegen's own. */
#define WALK_MAPS_MAX 48
/*
 * Below this many rules the cost model keeps early-exit straight code: a
 * failed rule costs it one compare, while inline trees and walks first load
 * and mask every key. Measured
 * (sluice-bench, ClassBench, same run): straight faster by 2.5-4 ns at 10
 * rules (acl1, ipc1), even at 20, trees faster by 1-8 ns from 40 rules.
 */
#define MIN_AUTO_RULES 16

void sl_sel_init(struct sl_sel *sel, int opt_level, enum sl_classifier_mode classifier,
		 enum sl_set_lookup set_lookup, size_t table_max)
{
	*sel = (struct sl_sel){
	    .classifier = classifier,
	    .walks = classifier != SL_CLASSIFIER_OFF &&
		     !(classifier == SL_CLASSIFIER_AUTO && opt_level < 2),
	    .code_trees = classifier == SL_CLASSIFIER_CODE ||
			  (classifier == SL_CLASSIFIER_AUTO && opt_level >= 2),
	    .classifies = opt_level >= 2,
	    .value_dispatch = opt_level >= 2,
	    .table_max = table_max ? sl_min(table_max, SL_TW_TABLE_MAX) : SL_TW_TABLE_MAX,
	};
	switch (set_lookup) {
	case SL_SET_LOOKUP_INLINE:
		sel->set_table_min = 0;
		break;
	case SL_SET_LOOKUP_TABLE:
		sel->set_table_min = 2;
		break;
	case SL_SET_LOOKUP_AUTO:
	default:
		sel->set_table_min = opt_level >= 1 ? SL_SEL_SET_TABLE_MIN : 0;
		break;
	}
}

/* Lowest fp offset codegen's slots use. */
static int lowest_slot(const struct sl_emit_state *st)
{
	int low = SL_COST_KEY_OFF;

	for (unsigned f = 0; f < SL_FIELD_COUNT; f++)
		if (st->slot[f])
			low = sl_min(low,
				     (int)sl_cost_slot(st, (enum sl_field)f, sl_cost_words(f) - 1));
	return low;
}

/* The slots a dimension's value comes from (see sl_cls_problem.field). */
static bool value_slots(const struct sl_emit_state *st, enum sl_field f, unsigned word,
			struct sl_tw_input *in, unsigned d)
{
	enum sl_field alt[SL_TW_MAX_SLOTS] = {f, f, f};
	unsigned n = 1;

	if (f == SL_FIELD_TH_SPORT || f == SL_FIELD_TH_DPORT) {
		alt[1] = f == SL_FIELD_TH_SPORT ? SL_FIELD_TCP_SPORT : SL_FIELD_TCP_DPORT;
		alt[2] = f == SL_FIELD_TH_SPORT ? SL_FIELD_UDP_SPORT : SL_FIELD_UDP_DPORT;
		n = 3;
	}
	in->nslots[d] = 0;
	/* The th slot holds the TCP or UDP port whenever one exists: it is the minimum. */
	if (n > 1 && st->slot[f])
		n = 1;
	for (unsigned k = 0; k < n; k++)
		if (st->slot[alt[k]])
			in->value_off[d][in->nslots[d]++] = sl_cost_slot(st, alt[k], word);
	return in->nslots[d] > 0;
}

static size_t tables_size(const struct sl_dt *dt)
{
	size_t n = (size_t)dt->nboxes * dt->record_size;

	for (uint32_t t = 0; t < dt->ntrees; t++)
		n += (size_t)dt->trees[t].nnodes * 8 + (size_t)dt->trees[t].nlists * 4 +
		     SL_TW_LIST_PAD(dt->trees[t].max_leaf);
	return n;
}

static int build_tree(const struct sl_cls_problem *p, size_t table_max, size_t budget,
		      struct sl_dt **dt)
{
	struct sl_dt_params par;
	int err;

	sl_dt_params_default(&par);
	par.spfac = 4.0;
	/* A tree whose tables do not fit gets less space per node: deeper, but a tree. */
	par.min_spfac = 1.5;
	par.max_trees = SL_TW_MAX_TREES;
	par.max_bytes = table_max - SL_TW_LIST_PAD(par.max_leaf);
	err = sl_dt_build(&p->prob, &par, dt);
	if (!err && tables_size(*dt) > budget) {
		sl_dt_free(*dt);
		*dt = NULL;
		err = -E2BIG;
	}
	return err;
}

static bool wanted(const struct sl_sel *sel, const struct sl_cls_problem *p, const struct sl_dt *dt,
		   const struct sl_ir_rule *rules, uint32_t n)
{
	if (sel->classifier == SL_CLASSIFIER_TREE)
		return true;
	/* Straight code's worst path is all of it; the walk's is about all of its code too. */
	return n >= MIN_AUTO_RULES && 2 * sl_tw_size(dt) < sl_cls_linear_cost(rules, n);
}

void sl_sel_plan_free(struct sl_sel_plan *plan)
{
	if (!plan)
		return;
	sl_cls_problem_fini(&plan->p);
	sl_dt_free(plan->dt);
	free(plan);
}

/*
 * Trees shaped for code: fewer trees mean fewer paths per packet but more
 * replicated boxes (code); smaller leaves mean fewer box tests but more
 * nodes. Starting from the walk's trees (the most separated, usually the
 * smallest code), keep the fitting shape with the best score: the mean path
 * plus a charge for size. Measured (bench, acl1 10k): 8 trees of 144k
 * instructions ran faster than 4 of 165k and as fast as 2 of 352k, whatever
 * their mean paths (each packet's first run pays for every cold line of
 * its paths), and the verifier's time grows with the size.
 */
#define SIZE_CHARGE 100.0 /* instructions of code per instruction of mean path */

static double code_score(const struct sl_ct_cost *c)
{
	return c->mean + (double)c->insns / SIZE_CHARGE;
}

static const struct {
	unsigned trees, binth;
} code_shapes[] = {{1, 4}, {2, 4}, {4, 4}, {8, 4}};

/*
 * Binary splits at box edges (dtree.h) copy boxes far less than equal cuts,
 * so fewer trees fit the budget, and a packet runs fewer trees: the fewest
 * trees that fit win. Measured (sluice-bench, 10k rules, same run, ns per
 * packet): fw1 4 split trees 37.8 against 58.6 for 16 cut trees (6 split
 * trees 43.9, binth 8 trees 44.5); acl1 one split tree 15.3 against 19.4
 * for 8 cut trees (2 trees 18.4, 4 trees 20.6); ipc1 2 split trees 25.0
 * against 34.2 (4 trees 30.8). Leaves of 16 did best at equal trees (fw1
 * 4 trees: 37.8 at 16, 40.6 at 24, 46.6 at 32). Eight trees, though, take
 * leaves of 8: with so many trees a packet pays for every tree's leaf scan
 * (acl2 10k, the only ClassBench 10k set that needs 8 split trees, same
 * run: 52.5 ns against 65.4 at leaves of 16; 168k instructions against 141k,
 * mean path 717 against 1247; 0.72 s to load against 0.55); where they do
 * not fit, leaves of 16 still may.
 */
static const struct {
	unsigned trees, binth;
} split_shapes[] = {{1, 16}, {2, 16}, {4, 16}, {8, 8}, {8, 16}};
/*
 * ...unless the fewer trees copy boxes so often that the code grows past this
 * per box (the verifier's time grows with it): fw1 1k in one tree is 145k
 * instructions, 170 per box, and takes 0.48 s to load; ClassBench 10k sets
 * in their chosen shapes take 16-28.
 */
#define SPLIT_BOX_INSNS 48u

/*
 * Sixteen trees, only when no shape above fits: each packet runs more paths,
 * but the boxes of wildcard-heavy sets (fw1) replicate far less. Measured
 * (bench, fw1 10k): 16 trees of 237k-277k instructions ran at 3.7x the
 * floor, the 8-tree walk at 5.2x; ipc1 10k: 16 trees of 152k at 3.2x, 8 trees
 * of 185k at 2.7x, so they are not a shape among the others.
 */
static const struct {
	unsigned trees, binth;
} wide_code_shapes[] = {{16, 4}, {16, 8}};

static bool try_code_shape(struct sl_sel_plan *plan, const struct sl_ct_input *ci, size_t budget,
			   unsigned trees, unsigned binth, bool splits, struct sl_ct_cost *best)
{
	struct sl_dt_params par;
	struct sl_ct_cost cost;
	struct sl_dt *dt = NULL;

	sl_dt_params_default(&par);
	par.max_trees = trees;
	par.binth = binth;
	par.splits = splits;
	par.max_bytes = SL_TW_TABLE_MAX; /* also bounds the work on shapes that explode */
	if (sl_dt_build(&plan->p.prob, &par, &dt))
		return false;
	if (sl_ct_measure(dt, &plan->p.prob, ci, budget, &cost) ||
	    (best->insns && code_score(&cost) >= code_score(best))) {
		sl_dt_free(dt);
		return false;
	}
	sl_dt_free(plan->dt);
	plan->dt = dt;
	*best = cost;
	return true;
}

/* The best fitting shape into plan->dt and *best (insns 0: none fits, plan->dt kept). */
static void better_code_tree(struct sl_sel_plan *plan, const struct sl_ct_input *ci, size_t budget,
			     struct sl_ct_cost *best)
{
	size_t split_budget = sl_min(budget, (size_t)plan->p.prob.nboxes * SPLIT_BOX_INSNS + 4096);

	for (size_t i = 0; i < SL_ARRAY_SIZE(split_shapes); i++) {
		struct sl_ct_cost fresh = {0};

		if (try_code_shape(plan, ci, split_budget, split_shapes[i].trees,
				   split_shapes[i].binth, true, &fresh)) {
			*best = fresh;
			return;
		}
	}
	/* The walk's trees first among cut shapes: they usually make the smallest code. */
	if (sl_ct_measure(plan->dt, &plan->p.prob, ci, budget, best))
		*best = (struct sl_ct_cost){0};
	for (size_t i = 0; i < SL_ARRAY_SIZE(code_shapes); i++)
		try_code_shape(plan, ci, budget, code_shapes[i].trees, code_shapes[i].binth, false,
			       best);
	for (size_t i = 0; !best->insns && i < SL_ARRAY_SIZE(wide_code_shapes); i++)
		try_code_shape(plan, ci, budget, wide_code_shapes[i].trees,
			       wide_code_shapes[i].binth, false, best);
}

/*
 * Inline trees when they fit the code budgets and, for the cost model, the
 * run has at least MIN_AUTO_RULES rules. Per packet a compare on a register
 * beats a node read from a table, so wherever inline trees fit they are the
 * faster form of a long run.
 */
static bool code_wanted(const struct sl_sel *sel, const struct sl_emit_state *st,
			struct sl_sel_plan *plan, uint32_t n)
{
	struct sl_ct_input ci = {.slots = &plan->in, .counters = plan->p.counters > 0};
	size_t used = st->insns, budget;
	struct sl_ct_cost cost = {0};

	if (!sel->code_trees)
		return false;
	budget = used < SL_COST_CODE_PROGRAM_MAX
		     ? sl_min(SL_COST_CODE_SEGMENT_MAX, SL_COST_CODE_PROGRAM_MAX - used)
		     : 0;
	/* Far too many boxes to fit: building the shapes would only cost time (3 s at 100k). */
	if ((size_t)plan->p.prob.nboxes * SL_COST_MIN_BOX_INSNS > budget)
		return false;
	better_code_tree(plan, &ci, budget, &cost);
	if (!cost.insns)
		return false;
	return sel->classifier == SL_CLASSIFIER_CODE || n >= MIN_AUTO_RULES;
}

/* Build the problem and the trees, and ask the cost model. 0 with *out NULL: no walk. */
/*
 * The first part of a segment whose tables do not fit: about half of it,
 * ending with a rule that decides (0: too short to be worth a walk). The
 * rest is a segment of its own, planned after it; a packet the first part
 * does not decide runs both walks, still far cheaper than straight code.
 */
static uint32_t shorter_segment(const struct sl_ir_chain *c, uint32_t first, uint32_t n)
{
	uint32_t h = n / 2;

	while (h > 0 && !sl_cls_rule_fits(&c->rules[first + h - 1]))
		h--;
	return h >= MIN_AUTO_RULES ? h : 0;
}

/* The problem and trees of rules[first..first + plan->n), shortened until the tables fit. */
static int plan_trees(const struct sl_sel *sel, const struct sl_emit_state *st,
		      const struct sl_ir_chain *c, uint32_t first, struct sl_sel_plan *plan)
{
	size_t used = st->rodata;
	size_t table_max = sel->table_max;
	int err;

	if (used >= TOTAL_MAX)
		return -E2BIG;
	for (;;) {
		err = sl_cls_problem(&c->rules[first], plan->n, &plan->p);
		if (err)
			return err;
		err = build_tree(&plan->p, table_max, TOTAL_MAX - used, &plan->dt);
		if (err != -E2BIG || !shorter_segment(c, first, plan->n))
			return err;
		plan->n = shorter_segment(c, first, plan->n);
		sl_cls_problem_fini(&plan->p);
	}
}

/* Build the problem and the trees, and ask the cost model. 0 with *out NULL: no walk. */
static int plan_walk(const struct sl_sel *sel, const struct sl_emit_state *st,
		     const struct sl_ir_chain *c, uint32_t first, struct sl_sel_plan *plan)
{
	int err, scratch, carriers;
	uint32_t n;

	err = plan_trees(sel, st, c, first, plan);
	if (err)
		return err;
	n = plan->n;
	/* below codegen's slots: the carriers' values (emit_pins), then the walk's scratch */
	carriers = lowest_slot(st) - 8 * (int)plan->p.npins;
	scratch = carriers - SL_TW_SCRATCH(plan->p.prob.ndims);
	if (carriers < -SL_COST_STACK_SIZE)
		return -E2BIG;
	for (unsigned d = 0; d < plan->p.prob.ndims; d++)
		if (!value_slots(st, plan->p.field[d], plan->p.word[d], &plan->in, d))
			return -E2BIG; /* cannot happen: every tested field is parsed */
	for (uint32_t i = 0; i < plan->p.npins; i++) {
		plan->in.value_off[plan->p.pin[i].carrier][0] = (int16_t)(carriers + 8 * (int)i);
		plan->in.nslots[plan->p.pin[i].carrier] = 1;
	}
	plan->in.scratch_off = (int16_t)scratch;
	plan->code = code_wanted(sel, st, plan, n);
	if (plan->code)
		return 0;
	if (scratch < -SL_COST_STACK_SIZE ||
	    (sel->classifier == SL_CLASSIFIER_AUTO && n < MIN_AUTO_RULES) ||
	    st->nmaps + sl_tw_ntables(plan->dt) > WALK_MAPS_MAX)
		return -E2BIG;
	return wanted(sel, &plan->p, plan->dt, &c->rules[first], n) ? 0 : -E2BIG;
}

int sl_sel_plan_run(const struct sl_sel *sel, const struct sl_emit_state *st,
		    const struct sl_ir_chain *c, uint32_t first, struct sl_sel_plan **out,
		    uint32_t *run)
{
	struct sl_sel_plan *plan;
	uint32_t n;
	int err;

	*out = NULL;
	*run = 0;
	if (!sel->walks)
		return 0;
	n = sl_cls_segment_len(c, first);
	*run = n;
	if (!n)
		return 0;
	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	*plan = (struct sl_sel_plan){.chain = c, .first = first, .n = n};
	err = plan_walk(sel, st, c, first, plan);
	if (err) {
		sl_sel_plan_free(plan);
		return err == -E2BIG ? 0 : err;
	}
	*run = plan->n;
	*out = plan;
	return 0;
}
