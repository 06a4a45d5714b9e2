// SPDX-License-Identifier: GPL-2.0-only
/*
 * -O0 body: the rules one after the other, as written; chains inlined at
 * every jump/goto (the checker forbids cycles and bounds nesting).
 *
 * A rule computes its mismatch in R6 (codegen_match.c). Runs of plain
 * accept/drop rules are evaluated in chunks of up to CHUNK_RULES without any
 * branch: R8 stays all-ones while no rule of the chunk matched, R9 collects
 * the first matching rule (id << 2 | counted << 1 | drop, the payload a
 * decision tree's leaves carry too), and one jump at the end of the chunk
 * goes to the shared "decided" tail. Other rules
 * (counting and going on, jump, goto, return) skip themselves with one jump.
 *
 * Why chunks: the verifier walks paths depth first. When a rule's match ends
 * a path right away, newer kernels (6.18) redo their stack liveness analysis
 * over the whole program at the end of each such path that met new stack
 * accesses: one path end per rule made loading quadratic in the rule count
 * (9,000 one-field rules: 17 s). One path end per chunk divides that by
 * CHUNK_RULES while keeping the wasted work per packet after the deciding
 * rule to at most one chunk.
 */
#include <errno.h>

#include "codegen.h"
#include "table_walk.h"

#define MAX_NESTING 16
#define CHUNK_RULES 64
#define ENC_ID_MAX  ((1u << 29) - 1) /* the payload fits a 31-bit immediate */

static int emit_chain(struct sl_cg *cg, uint32_t chain, sl_label ret, unsigned depth,
		      bool ret_follows);

static struct sl_loc action_loc(const struct sl_ir_rule *r)
{
	return r->action_loc.file != UINT32_MAX ? r->action_loc : r->loc;
}

/* R6 = negative when the rule does not match (0 when it has no predicate). */
static void emit_mismatch(struct sl_cg *cg, const struct sl_ir_rule *r)
{
	struct sl_emit *e = &cg->e;

	if (!r->npreds)
		sl_emit(e, SL_MOV64_IMM(SL_R6, 0));
	for (uint32_t k = 0; k < r->npreds; k++) {
		const struct sl_ir_pred *p = &r->preds[k];

		sl_emit_set_loc(e, p->loc.file != UINT32_MAX ? p->loc : r->loc);
		sl_emit_safe_point(e);
		sl_cg_mismatch(cg, p->field, p->set, k ? SL_R7 : SL_R6);
		if (k)
			sl_emit(e, SL_ALU64_REG(BPF_OR, SL_R6, SL_R7));
	}
}

static bool chunkable(const struct sl_ir_rule *r)
{
	return (r->action == SL_IR_ACCEPT || r->action == SL_IR_DROP) && r->id <= ENC_ID_MAX;
}

static void chunk_close(struct sl_cg *cg)
{
	if (!cg->chunk_rules)
		return;
	if (!cg->decided.used) {
		cg->decided.label = sl_emit_new_label(&cg->e);
		cg->decided.used = true;
	}
	sl_emit_jmp_imm(&cg->e, BPF_JNE, SL_R8, -1, cg->decided.label);
	cg->chunk_rules = 0;
}

/* Add the rule to the open chunk: R8 &= mismatch mask, R9 |= its code if first. */
static void chunk_rule(struct sl_cg *cg, const struct sl_ir_rule *r)
{
	struct sl_emit *e = &cg->e;
	uint32_t enc = SL_CG_PAYLOAD(r->id, r->counter, r->action == SL_IR_DROP);

	sl_emit_set_loc(e, r->loc);
	sl_emit_safe_point(e);
	if (!cg->chunk_rules) {
		sl_emit(e, SL_MOV64_IMM(SL_R8, -1));
		sl_emit(e, SL_MOV64_IMM(SL_R9, 0));
	}
	emit_mismatch(cg, r);
	sl_emit_set_loc(e, action_loc(r));
	sl_emit(e, SL_ALU64_IMM(BPF_ARSH, SL_R6, 63)); /* all ones: no match */
	sl_emit(e, SL_MOV64_REG(SL_R2, SL_R8));
	sl_emit(e, SL_ALU64_REG(BPF_AND, SL_R8, SL_R6));
	sl_emit(e, SL_ALU64_REG(BPF_XOR, SL_R2, SL_R8)); /* all ones: first match */
	sl_emit(e, SL_ALU64_IMM(BPF_AND, SL_R2, (int32_t)enc));
	sl_emit(e, SL_ALU64_REG(BPF_OR, SL_R9, SL_R2));
	if (++cg->chunk_rules == CHUNK_RULES)
		chunk_close(cg);
}

static int emit_rule(struct sl_cg *cg, const struct sl_ir_rule *r, sl_label ret, unsigned depth)
{
	struct sl_emit *e = &cg->e;
	sl_label next;
	int err = 0;

	if (chunkable(r)) {
		chunk_rule(cg, r);
		return 0;
	}
	chunk_close(cg);
	next = sl_emit_new_label(e);
	sl_emit_set_loc(e, r->loc);
	sl_emit_safe_point(e);
	emit_mismatch(cg, r);
	if (r->npreds)
		sl_emit_jmp_imm(e, BPF_JSLT, SL_R6, 0, next);
	sl_emit_set_loc(e, action_loc(r));
	if (r->counter && r->action != SL_IR_ACCEPT && r->action != SL_IR_DROP)
		sl_cg_count(cg, r->id);
	switch (r->action) {
	case SL_IR_ACCEPT:
		sl_cg_verdict(cg, r->id, SL_VERDICT_ACCEPT, r->counter);
		break;
	case SL_IR_DROP:
		sl_cg_verdict(cg, r->id, SL_VERDICT_DROP, r->counter);
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
	uint32_t straight = UINT32_MAX; /* the open straight segment (sl_cg_segment) */
	int err;

	if (chain >= cg->ir->nchains)
		return -EINVAL;
	c = &cg->ir->chains[chain];
	if (depth > MAX_NESTING) {
		sl_error(cg->diag, c->loc,
			 "chain '%s' is reached through more than %d nested jumps", c->name,
			 MAX_NESTING);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < c->nrules; i++) {
		struct sl_tw_plan *walk;
		uint32_t walked;

		/* A run of accept/drop rules may become one decision-tree walk (-O2). */
		err = sl_cg_table_walk_plan(cg, c, i, &walk);
		if (err)
			return err;
		if (walk) {
			struct sl_bpf_segment seg = { .chain = chain, .first = i };

			straight = UINT32_MAX;
			chunk_close(cg);
			sl_cg_table_walk_describe(walk, &seg);
			err = sl_cg_table_walk_emit(cg, walk, &walked);
			if (err)
				return err;
			sl_cg_segment(cg, &seg);
			i += walked - 1;
			continue;
		}
		if (straight == UINT32_MAX)
			straight = sl_cg_segment(cg, &(struct sl_bpf_segment){
				.chain = chain, .first = i, .kind = SL_BPF_SEG_STRAIGHT });
		cg->obj->segments[straight].nrules++;
		err = emit_rule(cg, &c->rules[i], ret, depth);
		if (err)
			return err;
		if (cg->e.err)
			return cg->e.err;
	}
	chunk_close(cg); /* the return label may be reached from elsewhere */
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
	sl_cg_verdict(cg, SLUICE_DECISION_POLICY, cg->table->policy, false);
	return cg->e.err;
}
