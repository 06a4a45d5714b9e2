// SPDX-License-Identifier: GPL-2.0-only
/*
 * Code generation's side of the classifier: where a chain holds a run of
 * accept/drop rules (a segment, compiler/opt/classify.h), emit one table walk
 * instead of the rules one by one, when the cost model says so. The walk
 * yields the winning rule's payload (id, counter, verdict) in R9 and goes to
 * codegen's "decided" tail, which counts, records and returns as for any rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "select/classify.h"
#include "sluice/abi.h"
#include "emit/code_tree.h"
#include "emit/codegen.h"
#include "emit/table_walk.h"

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
#define STACK_SIZE 512
/*
 * Inline trees (code_tree.h): the verifier processes about 1.7x their size,
 * so the program's inline trees in all stay well below its 1M-instruction
 * budget (fw1 10k, 16 trees of 237k instructions: 497k processed, 0.76 s).
 */
#define CODE_SEGMENT_MAX 300000u
#define CODE_PROGRAM_MAX 300000u
/*
 * Inline trees spend at least this much code per box (ClassBench: 14-25, and
 * 15.6 for acl1 10k in one split tree, the least seen): a segment with more
 * boxes than the budget allows at this rate is not tried (building shapes for
 * 48k boxes took 5 s).
 */
#define MIN_BOX_INSNS 8u

/* prefix_nodes, _lists (then _nodes1, _lists1 ... for more packs) and _boxes */
static const char *table_name(struct sl_cg *cg, const char *prefix, unsigned k)
{
	const char *what = k == SL_TW_RECORDS ? "boxes" : k % 2 ? "lists" : "nodes";

	if (k == SL_TW_RECORDS || k < 2)
		return sl_arena_printf(cg->arena, "%s_%s", prefix, what);
	return sl_arena_printf(cg->arena, "%s_%s%u", prefix, what, k / 2);
}

_Static_assert(SL_CLS_PAYLOAD(12345, 1u, 1u) == SL_CG_PAYLOAD(12345, 1u, 1u) &&
		       SL_CLS_PAYLOAD(7, 0u, 1u) == SL_CG_PAYLOAD(7, 0u, 1u),
	       "a walk's payload is what codegen's decided tail takes");

static size_t rodata_used(const struct sl_bpf_object *obj)
{
	size_t n = 0;

	for (uint32_t i = 0; i < obj->nmaps; i++)
		if (obj->maps[i].init)
			n += ((size_t)obj->maps[i].value_size * obj->maps[i].max_entries + 7) & ~(size_t)7;
	return n;
}

/* The tables as read-only array maps. */
static int add_tables(struct sl_cg *cg, const struct sl_dt *dt, const char *prefix,
		      struct sl_tw_input *in)
{
	struct sl_tw_table t[SL_TW_MAX_TABLES];
	int err = sl_tw_tables(dt, t);

	if (err)
		return err;
	for (unsigned k = 0; k < SL_TW_MAX_TABLES; k++)
		if (t[k].data)
			in->map[k] = sl_cg_value_map(cg, table_name(cg, prefix, k), t[k].data, t[k].size);
	sl_tw_tables_free(t);
	return 0;
}

/* Lowest fp offset codegen's slots use. */
static int lowest_slot(const struct sl_cg *cg)
{
	int low = SL_CG_KEY_OFF;

	for (unsigned f = 0; f < SL_FIELD_COUNT; f++)
		if (cg->slot[f])
			low = sl_min(low, (int)sl_cg_slot(cg, (enum sl_field)f, sl_cg_words(f) - 1));
	return low;
}

/* The slots a dimension's value comes from (see sl_cls_problem.field). */
static bool value_slots(const struct sl_cg *cg, enum sl_field f, unsigned word,
			struct sl_tw_input *in, unsigned d)
{
	enum sl_field alt[SL_TW_MAX_SLOTS] = { f, f, f };
	unsigned n = 1;

	if (f == SL_FIELD_TH_SPORT || f == SL_FIELD_TH_DPORT) {
		alt[1] = f == SL_FIELD_TH_SPORT ? SL_FIELD_TCP_SPORT : SL_FIELD_TCP_DPORT;
		alt[2] = f == SL_FIELD_TH_SPORT ? SL_FIELD_UDP_SPORT : SL_FIELD_UDP_DPORT;
		n = 3;
	}
	in->nslots[d] = 0;
	/* The th slot holds the TCP or UDP port whenever one exists: it is the minimum. */
	if (n > 1 && cg->slot[f])
		n = 1;
	for (unsigned k = 0; k < n; k++)
		if (cg->slot[alt[k]])
			in->value_off[d][in->nslots[d]++] = sl_cg_slot(cg, alt[k], word);
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

/* Predicates the whole run shares, tested once: jump to `end` when they fail. */
static void emit_hoisted(struct sl_cg *cg, const struct sl_cls_problem *p, sl_label end)
{
	struct sl_emit *e = &cg->e;

	for (uint32_t k = 0; k < p->nhoisted; k++) {
		sl_cg_mismatch(cg, p->hoisted[k]->field, p->hoisted[k]->set, k ? SL_R7 : SL_R6);
		if (k)
			sl_emit(e, SL_ALU64_REG(BPF_OR, SL_R6, SL_R7));
	}
	if (p->nhoisted)
		sl_emit_jmp_imm(e, BPF_JSLT, SL_R6, 0, end);
	if (!cg->decided.used) {
		cg->decided.label = sl_emit_new_label(e);
		cg->decided.used = true;
	}
}

/*
 * The carriers of pinned words (classify.h: struct sl_cls_pin), without a
 * branch: the carrier word's slot, OR-ed with SL_CG_ABSENT unless the
 * packet's pinned words hold the value (a field the packet lacks has
 * SL_CG_ABSENT in every slot, which no value equals). Stored where the
 * walk reads the carrier's value (in->value_off).
 */
static void emit_pins(struct sl_cg *cg, const struct sl_cls_problem *p,
		      const struct sl_tw_input *in)
{
	struct sl_emit *e = &cg->e;

	for (uint32_t i = 0; i < p->npins; i++) {
		const struct sl_cls_pin *pin = &p->pin[i];
		enum sl_field f = p->field[pin->carrier];

		sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_FP, sl_cg_slot(cg, f, p->word[pin->carrier])));
		sl_emit(e, SL_MOV64_IMM(SL_R2, 0));
		for (unsigned w = 0; w < pin->nwords; w++) {
			sl_emit(e, SL_LDX(BPF_DW, SL_R3, SL_FP, sl_cg_slot(cg, f, w)));
			sl_emit_mov_const(e, SL_R4, pin->value[w]);
			sl_emit(e, SL_ALU64_REG(BPF_XOR, SL_R3, SL_R4));
			sl_emit(e, SL_ALU64_REG(BPF_OR, SL_R2, SL_R3));
		}
		/* R2 = all ones when some word differs (R2 < 2^63: x | -x has the sign bit) */
		sl_emit(e, SL_MOV64_REG(SL_R3, SL_R2));
		sl_emit(e, SL_ALU64_IMM(BPF_NEG, SL_R3, 0));
		sl_emit(e, SL_ALU64_REG(BPF_OR, SL_R2, SL_R3));
		sl_emit(e, SL_ALU64_IMM(BPF_ARSH, SL_R2, 63));
		sl_emit_mov_const(e, SL_R3, SL_CG_ABSENT);
		sl_emit(e, SL_ALU64_REG(BPF_AND, SL_R2, SL_R3));
		sl_emit(e, SL_ALU64_REG(BPF_OR, SL_R1, SL_R2));
		sl_emit(e, SL_STX(BPF_DW, SL_FP, SL_R1, in->value_off[pin->carrier][0]));
	}
}

/*
 * The segment's counting rules (classify.h: struct sl_cls_post), with R0 the
 * winning box (>= nboxes: none) and R9 its payload: a counting rule before
 * the winner was not reached. Then on to `decided`, or to `end` when no box
 * won. R8 keeps the box across the counters' helper calls.
 */
static void emit_posts(struct sl_cg *cg, const struct sl_cls_problem *p, sl_label end)
{
	struct sl_emit *e = &cg->e;

	sl_emit(e, SL_MOV64_REG(SL_R8, SL_R0));
	for (uint32_t i = 0; i < p->nposts; i++) {
		const struct sl_ir_rule *r = p->posts[i].rule;
		sl_label skip = sl_emit_new_label(e);

		sl_emit_set_loc(e, r->loc);
		sl_emit_safe_point(e);
		if (p->posts[i].boxes_before)
			sl_emit_jmp_imm(e, BPF_JLT, SL_R8, (int32_t)p->posts[i].boxes_before, skip);
		for (uint32_t k = 0; k < r->npreds; k++) {
			sl_cg_mismatch(cg, r->preds[k].field, r->preds[k].set, k ? SL_R7 : SL_R6);
			if (k)
				sl_emit(e, SL_ALU64_REG(BPF_OR, SL_R6, SL_R7));
		}
		if (r->npreds)
			sl_emit_jmp_imm(e, BPF_JSLT, SL_R6, 0, skip);
		sl_cg_count(cg, r->id);
		sl_emit_bind(e, skip);
	}
	sl_emit_jmp_imm(e, BPF_JGE, SL_R8, (int32_t)p->prob.nboxes, end);
	if (!p->counters)
		sl_emit(e, SL_ALU64_IMM(BPF_AND, SL_R9, (int32_t)~SL_CLS_PAYLOAD_COUNTER));
	sl_emit_ja(e, cg->decided.label);
}

/* Per box the location of its rule: boxes are in rule order, their payloads name the rule. */
static const struct sl_loc *box_locs(struct sl_cg *cg, const struct sl_cls_problem *p,
				     const struct sl_ir_rule *rules, uint32_t n)
{
	struct sl_loc *loc = sl_arena_calloc(cg->arena, p->prob.nboxes + 1, sizeof(*loc));
	uint32_t r = 0;

	for (uint32_t b = 0; b < p->prob.nboxes; b++) {
		uint32_t id = p->prob.payload[b] >> SL_CLS_PAYLOAD_RULE_SHIFT;

		while (r + 1 < n && rules[r].id != id)
			r++;
		loc[b] = rules[r].loc;
	}
	return loc;
}

static void emit_code(struct sl_cg *cg, const struct sl_cls_problem *p, const struct sl_dt *dt,
		      const struct sl_tw_input *in, const struct sl_ir_rule *rules, uint32_t n)
{
	struct sl_emit *e = &cg->e;
	sl_label end = sl_emit_new_label(e);
	struct sl_ct_input ci = { .slots = in,
				  .counters = p->counters > 0,
				  .leave_best = p->nposts > 0,
				  .box_loc = box_locs(cg, p, rules, n) };

	emit_hoisted(cg, p, end);
	emit_pins(cg, p, in);
	sl_ct_emit(e, dt, &p->prob, &ci, cg->decided.label, end, SIZE_MAX, NULL);
	if (p->nposts)
		emit_posts(cg, p, end);
	sl_emit_bind(e, end);
}

static void emit_segment(struct sl_cg *cg, const struct sl_cls_problem *p, const struct sl_dt *dt,
			 struct sl_tw_input *in)
{
	struct sl_emit *e = &cg->e;
	sl_label end = sl_emit_new_label(e);

	emit_hoisted(cg, p, end);
	emit_pins(cg, p, in);
	if (p->nposts) {
		sl_label none = sl_emit_new_label(e);

		/* Both ways on: R0 is the winning box or 0xffffffff (then R9 is not read). */
		sl_tw_emit(e, dt, in, SL_R9, none);
		sl_emit_bind(e, none);
		emit_posts(cg, p, end);
		sl_emit_bind(e, end);
		return;
	}
	/* The payload is codegen's: its "decided" tail counts, records and returns. */
	sl_tw_emit(e, dt, in, SL_R9, end);
	/*
	 * No rule here counts: say so to the verifier, or it follows the tail's
	 * counting branch, which may read a meta length slot that was never parsed.
	 */
	if (!p->counters)
		sl_emit(e, SL_ALU64_IMM(BPF_AND, SL_R9, (int32_t)~SL_CLS_PAYLOAD_COUNTER));
	sl_emit_ja(e, cg->decided.label);
	sl_emit_bind(e, end);
}

static bool wanted(const struct sl_cg *cg, const struct sl_cls_problem *p, const struct sl_dt *dt,
		   const struct sl_ir_rule *rules, uint32_t n)
{
	if (cg->opts->classifier == SL_CLASSIFIER_TREE)
		return true;
	/* Straight code's worst path is all of it; the walk's is about all of its code too. */
	return n >= MIN_AUTO_RULES && 2 * sl_tw_size(dt) < sl_cls_linear_cost(rules, n);
}

struct sl_tw_plan {
	const struct sl_ir_chain *chain;
	uint32_t first, n;
	struct sl_cls_problem p;
	struct sl_dt *dt;
	struct sl_tw_input in;
	bool code; /* inline trees rather than a table walk */
};

void sl_cg_table_walk_free(struct sl_tw_plan *plan)
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
} code_shapes[] = { { 1, 4 }, { 2, 4 }, { 4, 4 }, { 8, 4 } };

/*
 * Binary splits at box edges (dtree.h) copy boxes far less than equal cuts,
 * so fewer trees fit the budget, and a packet runs fewer trees: the fewest
 * trees that fit win. Measured (sluice-bench, 10k rules, same run, ns per
 * packet): fw1 4 split trees 37.8 against 58.6 for 16 cut trees (6 split
 * trees 43.9, binth 8 trees 44.5); acl1 one split tree 15.3 against 19.4
 * for 8 cut trees (2 trees 18.4, 4 trees 20.6); ipc1 2 split trees 25.0
 * against 34.2 (4 trees 30.8). Leaves of 16 did best at equal trees (fw1
 * 4 trees: 37.8 at 16, 40.6 at 24, 46.6 at 32).
 */
static const struct {
	unsigned trees, binth;
} split_shapes[] = { { 1, 16 }, { 2, 16 }, { 4, 16 }, { 8, 16 } };
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
} wide_code_shapes[] = { { 16, 4 }, { 16, 8 } };

static bool try_code_shape(struct sl_tw_plan *plan, const struct sl_ct_input *ci, size_t budget,
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
static void better_code_tree(struct sl_tw_plan *plan, const struct sl_ct_input *ci, size_t budget,
			     struct sl_ct_cost *best)
{
	size_t split_budget = sl_min(budget, (size_t)plan->p.prob.nboxes * SPLIT_BOX_INSNS + 4096);

	for (size_t i = 0; i < SL_ARRAY_SIZE(split_shapes); i++) {
		struct sl_ct_cost fresh = { 0 };

		if (try_code_shape(plan, ci, split_budget, split_shapes[i].trees,
				   split_shapes[i].binth, true, &fresh)) {
			*best = fresh;
			return;
		}
	}
	/* The walk's trees first among cut shapes: they usually make the smallest code. */
	if (sl_ct_measure(plan->dt, &plan->p.prob, ci, budget, best))
		*best = (struct sl_ct_cost){ 0 };
	for (size_t i = 0; i < SL_ARRAY_SIZE(code_shapes); i++)
		try_code_shape(plan, ci, budget, code_shapes[i].trees, code_shapes[i].binth, false, best);
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
static bool code_wanted(const struct sl_cg *cg, struct sl_tw_plan *plan, uint32_t n)
{
	struct sl_ct_input ci = { .slots = &plan->in, .counters = plan->p.counters > 0 };
	size_t used = cg->e.ninsns, budget;
	struct sl_ct_cost cost = { 0 };

	if (cg->opts->classifier != SL_CLASSIFIER_CODE &&
	    (cg->opts->classifier != SL_CLASSIFIER_AUTO || cg->opts->opt_level < 2))
		return false;
	budget = used < CODE_PROGRAM_MAX ? sl_min(CODE_SEGMENT_MAX, CODE_PROGRAM_MAX - used) : 0;
	/* Far too many boxes to fit: building the shapes would only cost time (3 s at 100k). */
	if ((size_t)plan->p.prob.nboxes * MIN_BOX_INSNS > budget)
		return false;
	better_code_tree(plan, &ci, budget, &cost);
	if (!cost.insns)
		return false;
	return cg->opts->classifier == SL_CLASSIFIER_CODE || n >= MIN_AUTO_RULES;
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
static int plan_trees(struct sl_cg *cg, const struct sl_ir_chain *c, uint32_t first,
		      struct sl_tw_plan *plan)
{
	size_t used = rodata_used(cg->obj);
	size_t table_max = cg->opts->table_max ? sl_min(cg->opts->table_max, SL_TW_TABLE_MAX) :
						 SL_TW_TABLE_MAX;
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
static int plan_walk(struct sl_cg *cg, const struct sl_ir_chain *c, uint32_t first,
		     struct sl_tw_plan *plan)
{
	int err, scratch, carriers;
	uint32_t n;

	err = plan_trees(cg, c, first, plan);
	if (err)
		return err;
	n = plan->n;
	/* below codegen's slots: the carriers' values (emit_pins), then the walk's scratch */
	carriers = lowest_slot(cg) - 8 * (int)plan->p.npins;
	scratch = carriers - SL_TW_SCRATCH(plan->p.prob.ndims);
	if (carriers < -STACK_SIZE)
		return -E2BIG;
	for (unsigned d = 0; d < plan->p.prob.ndims; d++)
		if (!value_slots(cg, plan->p.field[d], plan->p.word[d], &plan->in, d))
			return -E2BIG; /* cannot happen: every tested field is parsed */
	for (uint32_t i = 0; i < plan->p.npins; i++) {
		plan->in.value_off[plan->p.pin[i].carrier][0] = (int16_t)(carriers + 8 * (int)i);
		plan->in.nslots[plan->p.pin[i].carrier] = 1;
	}
	plan->in.scratch_off = (int16_t)scratch;
	plan->code = code_wanted(cg, plan, n);
	if (plan->code)
		return 0;
	if (scratch < -STACK_SIZE || (cg->opts->classifier == SL_CLASSIFIER_AUTO && n < MIN_AUTO_RULES) ||
	    cg->obj->nmaps + sl_tw_ntables(plan->dt) > WALK_MAPS_MAX)
		return -E2BIG;
	return wanted(cg, &plan->p, plan->dt, &c->rules[first], n) ? 0 : -E2BIG;
}

int sl_cg_table_walk_plan(struct sl_cg *cg, const struct sl_ir_chain *c, uint32_t first,
			  struct sl_tw_plan **out, uint32_t *run)
{
	struct sl_tw_plan *plan;
	uint32_t n;
	int err;

	*out = NULL;
	*run = 0;
	if (cg->opts->classifier == SL_CLASSIFIER_OFF ||
	    (cg->opts->classifier == SL_CLASSIFIER_AUTO && cg->opts->opt_level < 2))
		return 0;
	n = sl_cls_segment_len(c, first);
	*run = n;
	if (!n)
		return 0;
	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	*plan = (struct sl_tw_plan){ .chain = c, .first = first, .n = n };
	err = plan_walk(cg, c, first, plan);
	if (err) {
		sl_cg_table_walk_free(plan);
		return err == -E2BIG ? 0 : err;
	}
	*run = plan->n;
	*out = plan;
	return 0;
}

int sl_cg_table_walk_emit(struct sl_cg *cg, struct sl_tw_plan *plan, uint32_t *consumed)
{
	const struct sl_ir_chain *c = plan->chain;
	const char *prefix = sl_arena_printf(cg->arena, "sluice_dt_c%u_r%u",
					     (unsigned)(c - cg->ir->chains), plan->first);
	int err;

	*consumed = 0;
	sl_emit_set_loc(&cg->e, c->rules[plan->first].loc);
	if (plan->code) {
		emit_code(cg, &plan->p, plan->dt, &plan->in, &c->rules[plan->first], plan->n);
		*consumed = plan->n;
		sl_cg_table_walk_free(plan);
		return 0;
	}
	err = add_tables(cg, plan->dt, prefix, &plan->in);
	if (!err) {
		emit_segment(cg, &plan->p, plan->dt, &plan->in);
		*consumed = plan->n;
	}
	sl_cg_table_walk_free(plan);
	return err;
}

void sl_cg_table_walk_describe(const struct sl_tw_plan *plan, struct sl_bpf_segment *seg)
{
	seg->kind = plan->code ? SL_BPF_SEG_CODE_TREE : SL_BPF_SEG_TABLE_WALK;
	seg->nrules = plan->n;
	seg->trees = plan->dt->ntrees;
	seg->depth = 0;
	for (uint32_t t = 0; t < plan->dt->ntrees; t++)
		seg->depth = sl_max(seg->depth, plan->dt->trees[t].depth);
}
