// SPDX-License-Identifier: GPL-2.0-only
/*
 * What every body of a program shares (codegen.h): counting a rule, ending
 * with a verdict through the shared tails, the "decided" tail of walks, and
 * what a program adds to the object (read-only maps, segment records).
 * codegen.c drives; the bodies (codegen_linear.c, walk.c, codegen_set.c)
 * call in here, and nothing here calls back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emit/codegen.h"

/* Count a packet for the rule whose id is in `id_reg` (R6-R9; it survives). */
static void emit_count(struct sl_cg *cg, uint8_t id_reg)
{
	struct sl_emit *e = &cg->e;
	sl_label skip = sl_emit_new_label(e);

	/*
	 * The key in two halves: the unaligned one makes the slot plain data, so the
	 * verifier does not see a constant key. A constant key would be marked precise
	 * (kernels that elide null checks for constant array keys do), and tails
	 * reached with different rule ids could no longer be pruned.
	 */
	sl_emit(e, SL_STX(BPF_H, SL_FP, id_reg, SL_CG_KEY_OFF));
	sl_emit(e, SL_MOV64_REG(SL_R1, id_reg));
	sl_emit(e, SL_ALU64_IMM(BPF_RSH, SL_R1, 16));
	sl_emit(e, SL_STX(BPF_H, SL_FP, SL_R1, SL_CG_KEY_OFF + 2));
	sl_emit_ld_map(e, SL_R1, (uint32_t)cg->counter_map);
	sl_emit(e, SL_MOV64_REG(SL_R2, SL_FP));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R2, SL_CG_KEY_OFF));
	sl_emit(e, SL_CALL(BPF_FUNC_map_lookup_elem));
	/* Back to 0: every path then has the same key slot (state pruning). */
	sl_emit(e, SL_ST(BPF_W, SL_FP, SL_CG_KEY_OFF, 0));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, skip);
	/* Per-CPU values: plain adds are enough. */
	sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_R0, offsetof(struct sluice_counter, packets)));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R1, 1));
	sl_emit(e, SL_STX(BPF_DW, SL_R0, SL_R1, offsetof(struct sluice_counter, packets)));
	sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_R0, offsetof(struct sluice_counter, bytes)));
	sl_emit(e, SL_LDX(BPF_DW, SL_R2, SL_FP, sl_cg_slot(cg, SL_FIELD_META_LENGTH, 0)));
	sl_emit(e, SL_ALU64_REG(BPF_ADD, SL_R1, SL_R2));
	sl_emit(e, SL_STX(BPF_DW, SL_R0, SL_R1, offsetof(struct sluice_counter, bytes)));
	sl_emit_bind(e, skip);
}

void sl_cg_count(struct sl_cg *cg, uint32_t rule)
{
	sl_emit(&cg->e, SL_MOV32_IMM(SL_R7, (int32_t)rule));
	emit_count(cg, SL_R7);
}

/* Store the rule id in `id_reg` as the decision (record_decisions objects). */
static void emit_record(struct sl_cg *cg, uint8_t id_reg)
{
	struct sl_emit *e = &cg->e;
	sl_label skip = sl_emit_new_label(e);

	/*
	 * Key 0, stored right here: if the verifier marks the key precise, its
	 * backtracking ends at this store instead of walking every rule back to the
	 * prologue (once per rule reaching the tail: quadratic).
	 */
	sl_emit(e, SL_ST(BPF_W, SL_FP, SL_CG_KEY_OFF, 0));
	sl_emit_ld_map(e, SL_R1, (uint32_t)cg->decision_map);
	sl_emit(e, SL_MOV64_REG(SL_R2, SL_FP));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R2, SL_CG_KEY_OFF));
	sl_emit(e, SL_CALL(BPF_FUNC_map_lookup_elem));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, skip);
	sl_emit(e, SL_STX(BPF_W, SL_R0, id_reg, 0));
	sl_emit_bind(e, skip);
}

/*
 * A verdict that also counts or records goes through a tail shared by all
 * rules (R7 = rule id): map lookups are few, so the verifier inlines few
 * helper calls (each inlining moves the whole program: quadratic in rules).
 */
void sl_cg_verdict(struct sl_cg *cg, uint32_t rule, enum sl_verdict v, bool counted)
{
	struct sl_emit *e = &cg->e;
	struct sl_cg_tail *tail = &cg->tails[v][counted];

	if (!tail->used) {
		tail->label = sl_emit_new_label(e);
		tail->used = true;
	}
	if (counted || cg->decision_map >= 0)
		sl_emit(e, SL_MOV32_IMM(SL_R7, (int32_t)rule));
	sl_emit_ja(e, tail->label);
}

static void emit_decided(struct sl_cg *cg)
{
	struct sl_emit *e = &cg->e;
	sl_label uncounted = sl_emit_new_label(e), drop = sl_emit_new_label(e);

	sl_emit_bind(e, cg->decided.label);
	sl_emit(e, SL_MOV64_REG(SL_R7, SL_R9));
	sl_emit(e, SL_ALU64_IMM(BPF_RSH, SL_R7, 2));
	if (cg->counter_map >= 0) {
		sl_emit(e, SL_MOV64_REG(SL_R1, SL_R9));
		sl_emit(e, SL_ALU64_IMM(BPF_AND, SL_R1, SL_CG_PAYLOAD(0, 1, 0)));
		sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, 0, uncounted);
		emit_count(cg, SL_R7);
	}
	sl_emit_bind(e, uncounted);
	if (cg->decision_map >= 0)
		emit_record(cg, SL_R7);
	sl_emit(e, SL_MOV64_REG(SL_R1, SL_R9));
	sl_emit(e, SL_ALU64_IMM(BPF_AND, SL_R1, SL_CG_PAYLOAD(0, 0, 1)));
	sl_emit_jmp_imm(e, BPF_JNE, SL_R1, 0, drop);
	sl_cg_exit(cg, SL_VERDICT_ACCEPT);
	sl_emit_bind(e, drop);
	sl_emit(e, SL_MOV64_IMM(SL_R0, sl_cg_retval(cg, SL_VERDICT_DROP)));
	sl_emit(e, SL_EXIT());
}

void sl_cg_tails(struct sl_cg *cg)
{
	if (cg->decided.used)
		emit_decided(cg);
	for (unsigned v = 0; v < 2; v++) {
		for (unsigned counted = 0; counted < 2; counted++) {
			struct sl_cg_tail *tail = &cg->tails[v][counted];

			if (!tail->used)
				continue;
			sl_emit_bind(&cg->e, tail->label);
			if (counted)
				emit_count(cg, SL_R7);
			if (cg->decision_map >= 0)
				emit_record(cg, SL_R7);
			sl_cg_exit(cg, v);
		}
	}
}

uint32_t sl_cg_segment(struct sl_cg *cg, const struct sl_bpf_segment *seg)
{
	struct sl_bpf_object *obj = cg->obj;
	uint32_t n = obj->nsegments;

	/* capacity: the next power of two from 4 on */
	if (!n || (n >= 4 && !(n & (n - 1))))
		obj->segments = sl_arena_realloc(cg->arena, obj->segments, n, n ? 2 * n : 4,
						 sizeof(*obj->segments));
	obj->segments[n] = *seg;
	obj->segments[n].prog = (uint32_t)(cg->table - cg->ir->tables);
	obj->nsegments = n + 1;
	return n;
}

/*
 * The index of the one-entry array map `name`, added with a copy of `init`
 * (zeros when NULL) unless the object has it already: a chain inlined at
 * several jumps shares its tables.
 */
uint32_t sl_cg_value_map(struct sl_cg *cg, const char *name, const void *init, size_t size)
{
	int32_t found = sl_bpf_obj_find_map(cg->obj, name);
	void *copy;

	if (found >= 0)
		return (uint32_t)found;
	copy = sl_arena_calloc(cg->arena, 1, size);
	if (init)
		memcpy(copy, init, size);
	return sl_bpf_obj_add_map(cg->obj, cg->arena,
				  &(struct sl_bpf_map){
				      .name = name,
				      .type = BPF_MAP_TYPE_ARRAY,
				      .key_size = sizeof(uint32_t),
				      .value_size = (uint32_t)size,
				      .max_entries = 1,
				      .key = &sl_btf_u32,
				      .value = sl_btf_array(cg->arena, &sl_btf_u8, (uint32_t)size),
				      .home = SL_BPF_MAP_RODATA,
				      .init = copy,
				  });
}
