// SPDX-License-Identifier: GPL-2.0-only
/*
 * The plan of a run (select/select.h) as code: a table walk over read-only
 * tables, or inline code trees. The walk yields the winning rule's payload
 * (id, counter, verdict) in R9 and goes to codegen's "decided" tail, which
 * counts, records and returns as for any rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emit/code_tree.h"
#include "emit/codegen.h"
#include "emit/table_walk.h"
#include "sluice/abi.h"

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

/* The tables as read-only array maps. */
static int add_tables(struct sl_cg *cg, const struct sl_dt *dt, const char *prefix,
		      struct sl_tw_input *in)
{
	struct sl_tw_table t[SL_TW_MAX_TABLES];
	int err = sl_tw_tables(dt, t);

	if (err)
		return err;
	for (unsigned k = 0; k < SL_TW_MAX_TABLES; k++) {
		if (!t[k].data)
			continue;
		in->map[k] = sl_cg_value_map(cg, table_name(cg, prefix, k), t[k].data, t[k].size);
		/* each one gone once copied: at 100k rules they hold 5-15 MB */
		free(t[k].data);
		t[k].data = NULL;
	}
	sl_tw_tables_free(t);
	return 0;
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
	struct sl_ct_input ci = {.slots = in,
				 .counters = p->counters > 0,
				 .leave_best = p->nposts > 0,
				 .box_loc = box_locs(cg, p, rules, n)};

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

int sl_cg_walk_emit(struct sl_cg *cg, struct sl_sel_plan *plan, uint32_t *consumed)
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
		err = 0;
	} else {
		err = add_tables(cg, plan->dt, prefix, &plan->in);
		if (!err) {
			emit_segment(cg, &plan->p, plan->dt, &plan->in);
			*consumed = plan->n;
		}
	}
	if (!err && cg->opts->plan_seen)
		cg->opts->plan_seen(cg->opts->plan_ctx, plan);
	sl_sel_plan_free(plan);
	return err;
}

void sl_cg_walk_describe(const struct sl_sel_plan *plan, struct sl_bpf_segment *seg)
{
	seg->kind = plan->code ? SL_BPF_SEG_CODE_TREE : SL_BPF_SEG_TABLE_WALK;
	seg->nrules = plan->n;
	seg->trees = plan->dt->ntrees;
	seg->depth = 0;
	for (uint32_t t = 0; t < plan->dt->ntrees; t++)
		seg->depth = sl_max(seg->depth, plan->dt->trees[t].depth);
}

/* Bytes of the read-only tables in the object so far. */
static size_t rodata_used(const struct sl_bpf_object *obj)
{
	size_t n = 0;

	for (uint32_t i = 0; i < obj->nmaps; i++)
		if (obj->maps[i].init)
			n += ((size_t)obj->maps[i].value_size * obj->maps[i].max_entries + 7) &
			     ~(size_t)7;
	return n;
}

int sl_cg_walk_plan(struct sl_cg *cg, const struct sl_ir_chain *c, uint32_t first,
		    struct sl_sel_plan **plan, uint32_t *run)
{
	struct sl_emit_state st = {
	    .insns = cg->e.ninsns, .nmaps = cg->obj->nmaps, .slot = cg->slot};

	if (cg->sel.walks)
		st.rodata = rodata_used(cg->obj);
	return sl_sel_plan_run(&cg->sel, &st, c, first, plan, run);
}
