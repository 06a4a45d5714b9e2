// SPDX-License-Identifier: GPL-2.0-only
/*
 * Code generation without a kernel: the emitter's labels, islands and dead
 * code, and the shape of sl_codegen's output (programs, maps, relocations,
 * line_info, determinism). What the code computes is checked in the kernel
 * (tests/kernel/).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emit/codegen.h"
#include "emit/insn.h"
#include "irb.h"

static bool is_jump(struct bpf_insn i)
{
	uint8_t cls = BPF_CLASS(i.code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(i.code) != BPF_CALL &&
	       BPF_OP(i.code) != BPF_EXIT;
}

/* Where a taken jump at `at` finally lands, following `ja` trampolines. */
static int64_t landing(const struct sl_emit *e, int64_t at)
{
	int64_t t = at + 1 + e->insns[at].off;

	while (t >= 0 && t < (int64_t)e->ninsns && e->insns[t].code == (BPF_JMP | BPF_JA))
		t = t + 1 + e->insns[t].off;
	return t;
}

static void test_forward_jump(void **state)
{
	struct sl_emit e;
	sl_label l;

	sl_emit_init(&e);
	l = sl_emit_new_label(&e);
	sl_emit_jmp_imm(&e, BPF_JEQ, SL_R1, 5, l);
	sl_emit(&e, SL_MOV64_IMM(SL_R0, 1));
	sl_emit(&e, SL_MOV64_IMM(SL_R0, 2));
	sl_emit_bind(&e, l);
	sl_emit(&e, SL_EXIT());
	assert_int_equal(e.err, 0);
	assert_int_equal(e.ninsns, 4);
	assert_int_equal(e.insns[0].off, 2);
	assert_int_equal(e.npending, 0);
	sl_emit_fini(&e);
}

/* Jumps far beyond 32767 instructions go through islands and still land right. */
static void test_islands(void **state)
{
	struct sl_emit e;
	sl_label far1, far2;
	uint32_t j1, j2, j3;

	sl_emit_init(&e);
	far1 = sl_emit_new_label(&e);
	far2 = sl_emit_new_label(&e);
	j1 = sl_emit_pos(&e);
	sl_emit_jmp_imm(&e, BPF_JEQ, SL_R1, 1, far1);
	j2 = sl_emit_pos(&e);
	sl_emit_jmp_imm(&e, BPF_JEQ, SL_R1, 2, far2);
	j3 = sl_emit_pos(&e);
	sl_emit_jmp_imm(&e, BPF_JEQ, SL_R1, 3, far1);
	for (int i = 0; i < 100000; i++) {
		sl_emit(&e, SL_MOV64_IMM(SL_R0, i));
		if (i % 10 == 0)
			sl_emit_safe_point(&e);
	}
	sl_emit_bind(&e, far1);
	uint32_t at1 = sl_emit_pos(&e);

	sl_emit(&e, SL_MOV64_IMM(SL_R0, 1));
	sl_emit_bind(&e, far2);
	uint32_t at2 = sl_emit_pos(&e);

	sl_emit(&e, SL_EXIT());
	assert_int_equal(e.err, 0);
	assert_true(e.nislands >= 3);
	assert_int_equal(landing(&e, j1), at1);
	assert_int_equal(landing(&e, j2), at2);
	assert_int_equal(landing(&e, j3), at1);
	/* Straight-line code steps over every island: the movs are all there, in order. */
	int64_t expect = 0;

	for (size_t i = j3 + 1; i < at1; i++) {
		if (e.insns[i].code == (BPF_JMP | BPF_JA)) {
			i += e.insns[i].off;
			continue;
		}
		assert_int_equal(e.insns[i].imm, expect);
		expect++;
	}
	assert_int_equal(expect, 100000);
	sl_emit_fini(&e);
}

static void test_unreachable_dropped(void **state)
{
	struct sl_emit e;
	sl_label l;

	sl_emit_init(&e);
	l = sl_emit_new_label(&e);
	sl_emit_jmp_imm(&e, BPF_JEQ, SL_R1, 0, l);
	sl_emit(&e, SL_EXIT());
	sl_emit(&e, SL_MOV64_IMM(SL_R0, 7)); /* dead */
	sl_emit_ld_map(&e, SL_R1, 0);	     /* dead: no relocation either */
	sl_emit_bind(&e, l);
	sl_emit(&e, SL_EXIT());
	assert_int_equal(e.ninsns, 3);
	assert_int_equal(e.nrelocs, 0);
	assert_int_equal(e.insns[0].off, 1);
	sl_emit_fini(&e);
}

static struct sl_ir *sample(struct sl_arena *a, enum sl_hook hook, bool counters)
{
	struct sl_ir *ir = sl_irb_new(a, "sample");
	uint32_t t = sl_irb_table(ir, "edge", hook, SL_VERDICT_DROP);
	uint32_t c = sl_irb_entry(ir, t), q = sl_irb_chain(ir, "quarantine"), r;

	r = sl_irb_rule(ir, c, SL_IR_ACCEPT, 0, counters);
	sl_irb_pred(ir, r, SL_FIELD_IP_SADDR, 0x0a000000, 0x0affffff);
	sl_irb_pred(ir, r, SL_FIELD_TCP_DPORT, 22, 22);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_JUMP, q, false);
	sl_irb_pred(ir, r, SL_FIELD_IP6_SADDR, (sl_u128)0x20010db8 << 96,
		    ((sl_u128)0x20010db8 << 96) | (((sl_u128)1 << 96) - 1));
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, q, SL_IR_DROP, 0, counters);
	sl_irb_pred(ir, r, SL_FIELD_UDP_DPORT, 53, 53);
	sl_irb_implied(ir, r);
	sl_irb_rule(ir, q, SL_IR_RETURN, 0, false);
	return ir;
}

static struct sl_bpf_object *gen(struct sl_arena *a, const struct sl_ir *ir, bool decisions)
{
	struct sl_codegen_opts opts = {.record_decisions = decisions};
	struct sl_diag diag;
	struct sl_bpf_object *obj = NULL;

	sl_diag_init(&diag, NULL, stderr);
	assert_int_equal(sl_codegen(ir, &opts, a, &diag, &obj), 0);
	return obj;
}

/* Successors of instruction i (at most two); -1 for none. */
static void successors(const struct sl_bpf_prog *p, uint32_t i, int64_t succ[2])
{
	const struct bpf_insn *in = &p->insns[i];
	uint32_t width = in->code == (BPF_LD | BPF_DW | BPF_IMM) ? 2 : 1;

	succ[0] = succ[1] = -1;
	if (in->code == (BPF_JMP | BPF_EXIT))
		return;
	if (is_jump(*in))
		succ[1] = (int64_t)i + 1 + in->off;
	if (in->code != (BPF_JMP | BPF_JA))
		succ[0] = (int64_t)i + width;
}

/*
 * Early-exit code jumps back (from a rule's later tests to the next rule's
 * first test), but no path may ever loop: depth-first search for a back edge.
 */
static void assert_acyclic(const struct sl_bpf_prog *p)
{
	_cleanup_free_ uint8_t *color = calloc(p->ninsns, 1); /* 0 new, 1 on stack, 2 done */
	_cleanup_free_ uint32_t *stack = calloc(p->ninsns, sizeof(*stack));
	_cleanup_free_ uint8_t *next = calloc(p->ninsns, 1);
	uint32_t depth = 0;

	stack[depth++] = 0;
	color[0] = 1;
	while (depth) {
		uint32_t i = stack[depth - 1];
		int64_t succ[2];

		successors(p, i, succ);
		if (next[i] == 2) {
			color[i] = 2;
			depth--;
			continue;
		}
		int64_t t = succ[next[i]++];

		if (t < 0)
			continue;
		assert_true(t < p->ninsns);
		assert_int_not_equal(color[t], 1); /* a loop */
		if (!color[t]) {
			color[t] = 1;
			stack[depth++] = (uint32_t)t;
		}
	}
}

static void check_prog_invariants(const struct sl_bpf_prog *p)
{
	_cleanup_free_ bool *second_half = calloc(p->ninsns + 1, sizeof(bool));

	for (uint32_t i = 0; i < p->ninsns; i++) {
		if (p->insns[i].code == (BPF_LD | BPF_DW | BPF_IMM))
			second_half[++i] = true;
	}
	assert_true(p->nlines > 0);
	assert_int_equal(p->lines[0].insn, 0);
	for (uint32_t i = 0; i < p->nlines; i++) {
		assert_true(p->lines[i].insn < p->ninsns);
		assert_false(second_half[p->lines[i].insn]);
		if (i)
			assert_true(p->lines[i].insn > p->lines[i - 1].insn);
	}
	for (uint32_t i = 0; i < p->nrelocs; i++) {
		const struct bpf_insn *in = &p->insns[p->relocs[i].insn];

		assert_int_equal(in->code, BPF_LD | BPF_DW | BPF_IMM);
		assert_int_equal(in->src_reg, 0);
		assert_int_equal(in->imm, 0);
	}
	for (uint32_t i = 0; i < p->ninsns; i++) {
		if (second_half[i] || !is_jump(p->insns[i]))
			continue;
		int64_t t = (int64_t)i + 1 + p->insns[i].off;

		assert_true(t >= 0 && t < p->ninsns && t != i); /* inside the program */
	}
	assert_int_equal(p->insns[p->ninsns - 1].code, BPF_JMP | BPF_EXIT);
	assert_acyclic(p);
}

static void test_object_shape(void **state)
{
	for (enum sl_hook h = 0; h < SL_HOOK_COUNT; h++) {
		_cleanup_arena_ struct sl_arena *a = sl_arena_new();
		struct sl_ir *ir = sample(a, h, true);
		struct sl_bpf_object *obj = gen(a, ir, true);

		assert_int_equal(obj->nprogs, 1);
		assert_string_equal(obj->progs[0].name, "sluice_edge");
		assert_string_equal(obj->progs[0].section, sl_hook_section(h));
		assert_int_equal(obj->progs[0].hook, h);
		assert_int_equal(obj->nmaps, 2);
		assert_int_equal(obj->counter_map, 0);
		assert_string_equal(obj->maps[0].name, SLUICE_COUNTER_MAP);
		assert_int_equal(obj->maps[0].type, BPF_MAP_TYPE_PERCPU_ARRAY);
		assert_int_equal(obj->maps[0].max_entries, ir->nrules);
		assert_int_equal(obj->maps[0].value_size, sizeof(struct sluice_counter));
		assert_int_equal(obj->decision_map, 1);
		assert_string_equal(obj->maps[1].name, SLUICE_DECISION_MAP);
		check_prog_invariants(&obj->progs[0]);
	}
}

static void test_no_maps_without_counters(void **state)
{
	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	struct sl_bpf_object *obj = gen(a, sample(a, SL_HOOK_XDP, false), false);

	assert_int_equal(obj->nmaps, 0);
	assert_int_equal(obj->counter_map, -1);
	assert_int_equal(obj->decision_map, -1);
	assert_int_equal(obj->progs[0].nrelocs, 0);
	check_prog_invariants(&obj->progs[0]);
}

static void test_deterministic(void **state)
{
	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	struct sl_bpf_object *x = gen(a, sample(a, SL_HOOK_TC_INGRESS, true), true);
	struct sl_bpf_object *y = gen(a, sample(a, SL_HOOK_TC_INGRESS, true), true);

	assert_int_equal(x->progs[0].ninsns, y->progs[0].ninsns);
	assert_memory_equal(x->progs[0].insns, y->progs[0].insns,
			    x->progs[0].ninsns * sizeof(struct bpf_insn));
	assert_int_equal(x->progs[0].nlines, y->progs[0].nlines);
	assert_memory_equal(x->progs[0].lines, y->progs[0].lines,
			    x->progs[0].nlines * sizeof(struct sl_bpf_line));
}

/* A rule's code points back at its rule: its first instruction carries its line. */
static void test_lines_follow_rules(void **state)
{
	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	struct sl_ir *ir = sample(a, SL_HOOK_XDP, false);
	struct sl_bpf_object *obj = gen(a, ir, false);
	const struct sl_bpf_prog *p = &obj->progs[0];
	bool seen[4] = {false};

	for (uint32_t i = 0; i < p->nlines; i++) {
		uint32_t line = p->lines[i].loc.line;

		if (line >= 1 && line <= 4)
			seen[line - 1] = true;
	}
	for (unsigned i = 0; i < 4; i++)
		assert_true(seen[i]);
}

/* A jumped-to chain longer than the 16-bit jump range: `return` crosses islands. */
static void test_long_chain(void **state)
{
	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	struct sl_ir *ir = sl_irb_new(a, "long");
	uint32_t t = sl_irb_table(ir, "long", SL_HOOK_XDP, SL_VERDICT_ACCEPT);
	uint32_t c = sl_irb_entry(ir, t), q = sl_irb_chain(ir, "big"), r;

	r = sl_irb_rule(ir, c, SL_IR_JUMP, q, false);
	r = sl_irb_rule(ir, q, SL_IR_RETURN, 0, false);
	sl_irb_pred(ir, r, SL_FIELD_TCP_DPORT, 1, 1);
	sl_irb_implied(ir, r);
	for (int i = 0; i < 10000; i++) {
		r = sl_irb_rule(ir, q, SL_IR_DROP, 0, false);
		sl_irb_pred(ir, r, SL_FIELD_IP_SADDR, 0x0a000000u + (uint32_t)i * 256,
			    0x0a0000ffu + (uint32_t)i * 256);
		sl_irb_pred(ir, r, SL_FIELD_UDP_DPORT, 1000, 2000);
		sl_irb_implied(ir, r);
	}
	struct sl_bpf_object *obj = gen(a, ir, false);

	assert_true(obj->progs[0].ninsns > 40000);
	check_prog_invariants(&obj->progs[0]);
}

static void test_nesting_limit(void **state)
{
	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	struct sl_ir *ir = sl_irb_new(a, "deep");
	uint32_t t = sl_irb_table(ir, "deep", SL_HOOK_XDP, SL_VERDICT_ACCEPT);
	uint32_t prev = sl_irb_entry(ir, t);
	struct sl_codegen_opts opts = {0};
	struct sl_bpf_object *obj = NULL;
	struct sl_diag diag;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	for (int i = 0; i < 18; i++) {
		uint32_t next = sl_irb_chain(ir, "c");

		sl_irb_rule(ir, prev, SL_IR_JUMP, next, false);
		prev = next;
	}
	sl_diag_init(&diag, NULL, out);
	assert_int_equal(sl_codegen(ir, &opts, a, &diag, &obj), -EINVAL);
	fclose(out);
	assert_non_null(strstr(buf, "nested jumps"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forward_jump),
	    cmocka_unit_test(test_islands),
	    cmocka_unit_test(test_unreachable_dropped),
	    cmocka_unit_test(test_object_shape),
	    cmocka_unit_test(test_no_maps_without_counters),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_lines_follow_rules),
	    cmocka_unit_test(test_long_chain),
	    cmocka_unit_test(test_nesting_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
