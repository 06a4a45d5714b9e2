// SPDX-License-Identifier: GPL-2.0-only
/*
 * Inline decision trees (compiler/emit/code_tree.c) without a kernel: random
 * classification problems, their trees in many shapes, the emitted code run
 * by a small interpreter of the instructions it uses, every answer compared
 * with the naive first-match scan of the problem. (The kernel runs the same
 * code in tests/unit/select/test_classify_kernel and the differential fuzzer.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emit/code_tree.h"
#include "common/util.h"

#define ABSENT	    (UINT64_C(1) << 55) /* SL_CG_ABSENT */
#define NONE_RESULT UINT64_MAX
#define STACK	    512

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? next(r) % n : 0;
}

/* A value of a field of `bits` bits, often at an edge. */
static uint64_t field_value(struct rng *r, unsigned bits, const uint64_t *edges, unsigned nedges)
{
	uint64_t max = (UINT64_C(1) << bits) - 1, v;

	switch (below(r, 4)) {
	case 0:
		v = below(r, max + 1);
		break;
	case 1:
		v = below(r, 2) ? 0 : max;
		break;
	default:
		v = nedges ? edges[below(r, nedges)] + below(r, 3) - 1 : 0;
		break;
	}
	return v > max ? max : v;
}

struct problem {
	struct sl_dt_problem p;
	uint64_t lo[64 * SL_DT_MAX_DIMS], hi[64 * SL_DT_MAX_DIMS];
	uint32_t need[64], payload[64];
	uint64_t edges[SL_DT_MAX_DIMS][128];
	unsigned nedges[SL_DT_MAX_DIMS];
};

static void random_problem(struct rng *r, struct problem *pb, unsigned ndims)
{
	static const unsigned widths[] = {1, 8, 16, 16, 32, 32, 40};
	struct sl_dt_problem *p = &pb->p;

	memset(pb, 0, sizeof(*pb));
	p->ndims = ndims;
	p->nboxes = 1 + (uint32_t)below(r, 60);
	for (unsigned d = 0; d < ndims; d++)
		p->bits[d] = widths[below(r, SL_ARRAY_SIZE(widths))];
	for (uint32_t b = 0; b < p->nboxes; b++) {
		pb->need[b] = (uint32_t)below(r, 1u << ndims);
		pb->payload[b] = b << 2 | (uint32_t)below(r, 4);
		for (unsigned d = 0; d < ndims; d++) {
			size_t k = (size_t)b * ndims + d;
			uint64_t max = (UINT64_C(1) << p->bits[d]) - 1;
			uint64_t a = field_value(r, p->bits[d], pb->edges[d], pb->nedges[d]);
			uint64_t c = below(r, 3) ? a + below(r, max / 8 + 2)
						 : field_value(r, p->bits[d], NULL, 0);

			c = c > max ? max : c;
			pb->lo[k] = a < c ? a : c;
			pb->hi[k] = a < c ? c : a;
			if (!(pb->need[b] & (1u << d))) {
				pb->lo[k] = 0;
				pb->hi[k] = max;
			} else if (pb->nedges[d] + 2 <= 128) {
				pb->edges[d][pb->nedges[d]++] = pb->lo[k];
				pb->edges[d][pb->nedges[d]++] = pb->hi[k] + 1;
			}
		}
	}
	p->lo = pb->lo;
	p->hi = pb->hi;
	p->need = pb->need;
	p->payload = pb->payload;
}

/* ---- an interpreter of the instructions the inline trees use ---- */

static uint64_t opaque_zero;

static uint64_t run(const struct sl_emit *e, uint8_t *stack, int *steps)
{
	uint64_t reg[11] = {0};

	reg[10] = (uint64_t)(uintptr_t)(stack + STACK);
	for (size_t pc = 0; pc < e->ninsns; pc++) {
		const struct bpf_insn *in = &e->insns[pc];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		uint64_t *dst = &reg[in->dst_reg];
		uint64_t src =
		    BPF_SRC(in->code) == BPF_X ? reg[in->src_reg] : (uint64_t)(int64_t)in->imm;
		bool jump = false;

		++*steps;
		switch (cls) {
		case BPF_LD: /* ld_imm64: a constant or (relocated) the opaque zero's address */
			*dst = (uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32;
			for (size_t k = 0; k < e->nrelocs; k++)
				if (e->relocs[k].insn == pc)
					*dst = (uint64_t)(uintptr_t)&opaque_zero;
			pc++;
			continue;
		case BPF_LDX:
			assert_int_equal(BPF_SIZE(in->code), BPF_DW);
			memcpy(dst, (const void *)(uintptr_t)(reg[in->src_reg] + (int64_t)in->off),
			       8);
			continue;
		case BPF_ALU:
			assert_int_equal(op, BPF_MOV);
			*dst = (uint32_t)src;
			continue;
		case BPF_ALU64:
			switch (op) {
			case BPF_MOV:
				*dst = src;
				break;
			case BPF_ADD:
				*dst += src;
				break;
			case BPF_SUB:
				*dst -= src;
				break;
			case BPF_AND:
				*dst &= src;
				break;
			case BPF_OR:
				*dst |= src;
				break;
			case BPF_ARSH:
				*dst = (uint64_t)((int64_t)*dst >> (src & 63));
				break;
			default:
				fail_msg("ALU64 op %#x at %zu", op, pc);
			}
			continue;
		case BPF_JMP:
			switch (op) {
			case BPF_JA:
				jump = true;
				break;
			case BPF_EXIT:
				return reg[0];
			case BPF_JEQ:
				jump = *dst == src;
				break;
			case BPF_JNE:
				jump = *dst != src;
				break;
			case BPF_JGE:
				jump = *dst >= src;
				break;
			case BPF_JLE:
				jump = *dst <= src;
				break;
			case BPF_JSGT:
				jump = (int64_t)*dst > (int64_t)src;
				break;
			case BPF_JSLT:
				jump = (int64_t)*dst < (int64_t)src;
				break;
			case BPF_JSGE:
				jump = (int64_t)*dst >= (int64_t)src;
				break;
			case BPF_JSLE:
				jump = (int64_t)*dst <= (int64_t)src;
				break;
			default:
				fail_msg("JMP op %#x at %zu", op, pc);
			}
			if (jump)
				pc += in->off;
			continue;
		default:
			fail_msg("class %#x at %zu", cls, pc);
		}
	}
	fail_msg("fell off the end");
	return 0;
}

/* ---- the test ---- */

struct compiled {
	struct sl_emit e;
	struct sl_tw_input slots;
	struct sl_ct_cost cost;
};

/* Dimension d's value in slot fp - 16 - 24 * d (a second slot right below for even d). */
static int compile(const struct problem *pb, const struct sl_dt *dt, struct compiled *c)
{
	struct sl_ct_input in = {.slots = &c->slots, .counters = true};
	sl_label decided, nomatch;

	memset(&c->slots, 0, sizeof(c->slots));
	for (unsigned d = 0; d < pb->p.ndims; d++) {
		c->slots.nslots[d] = d % 2 ? 1 : 2;
		c->slots.value_off[d][0] = (int16_t)(-16 - 24 * (int)d);
		c->slots.value_off[d][1] = (int16_t)(-24 - 24 * (int)d);
	}
	sl_emit_init(&c->e);
	decided = sl_emit_new_label(&c->e);
	nomatch = sl_emit_new_label(&c->e);
	sl_ct_emit(&c->e, dt, &pb->p, &in, decided, nomatch, 1u << 20, &c->cost);
	sl_emit_bind(&c->e, decided);
	sl_emit(&c->e, SL_MOV64_REG(SL_R0, SL_R9));
	sl_emit(&c->e, SL_EXIT());
	sl_emit_bind(&c->e, nomatch);
	sl_emit(&c->e, SL_MOV64_IMM(SL_R0, -1));
	sl_emit(&c->e, SL_EXIT());
	return c->e.err;
}

static void check_packets(struct rng *r, const struct problem *pb, const struct sl_dt *dt,
			  struct compiled *c, unsigned npackets)
{
	const struct sl_dt_problem *p = &pb->p;

	for (unsigned i = 0; i < npackets; i++) {
		uint8_t stack[STACK];
		uint64_t value[SL_DT_MAX_DIMS];
		uint32_t absent = 0, want;
		uint64_t got;
		int steps = 0;

		memset(stack, 0xa5, sizeof(stack));
		for (unsigned d = 0; d < p->ndims; d++) {
			uint64_t slot[2];

			value[d] = field_value(r, p->bits[d], pb->edges[d], pb->nedges[d]);
			if (!below(r, 6))
				absent |= 1u << d;
			slot[0] = slot[1] = absent & (1u << d) ? ABSENT : value[d];
			/* two slots: the value is their minimum, the other one absent */
			if (d % 2 == 0 && !(absent & (1u << d)) && below(r, 2))
				slot[below(r, 2)] = ABSENT;
			memcpy(stack + STACK - 16 - 24 * d, &slot[0], 8);
			memcpy(stack + STACK - 24 - 24 * d, &slot[1], 8);
		}
		want = sl_dt_problem_lookup(p, value, absent);
		got = run(&c->e, stack, &steps);
		if (want == SL_DT_NONE ? got != NONE_RESULT : got != p->payload[want]) {
			for (unsigned d = 0; d < p->ndims; d++)
				print_error("dim %u bits %u value %llu%s\n", d, p->bits[d],
					    (unsigned long long)value[d],
					    absent & (1u << d) ? " absent" : "");
			for (uint32_t b = 0; b < p->nboxes; b++) {
				print_error("box %u need %#x:", b, p->need[b]);
				for (unsigned d = 0; d < p->ndims; d++)
					print_error(" [%llu, %llu]",
						    (unsigned long long)p->lo[b * p->ndims + d],
						    (unsigned long long)p->hi[b * p->ndims + d]);
				print_error("\n");
			}
			fail_msg("packet %u: code says %#llx, first match is box %d (payload %#x)",
				 i, (unsigned long long)got, want == SL_DT_NONE ? -1 : (int)want,
				 want == SL_DT_NONE ? 0 : p->payload[want]);
		}
		assert_true((uint64_t)steps <= c->cost.worst + 4);
	}
}

static void random_problems_match_first_match(void **state)
{
	struct rng r = {0x9e3779b97f4a7c15ull};
	static struct problem pb;
	unsigned built = 0;

	(void)state;
	for (unsigned round = 0; round < 600; round++) {
		struct sl_dt_params par;
		struct sl_dt *dt = NULL;
		struct compiled c;

		random_problem(&r, &pb, 1 + (unsigned)below(&r, 6));
		sl_dt_params_default(&par);
		par.max_trees = 1 + (unsigned)below(&r, SL_DT_MAX_TREES);
		par.binth = 1 + (unsigned)below(&r, 8);
		par.spfac = below(&r, 2) ? 4.0 : 1.5;
		par.splits = below(&r, 2);
		if (sl_dt_build(&pb.p, &par, &dt))
			continue;
		assert_int_equal(compile(&pb, dt, &c), 0);
		check_packets(&r, &pb, dt, &c, 300);
		sl_emit_fini(&c.e);
		sl_dt_free(dt);
		built++;
	}
	assert_true(built > 500);
}

/* The budget is a hard limit: the emitter stops with -E2BIG rather than exceed it. */
static void budget_is_enforced(void **state)
{
	struct rng r = {12345};
	static struct problem pb;
	struct sl_dt_params par;
	struct sl_dt *dt = NULL;
	struct sl_tw_input slots = {0};
	struct sl_ct_input in = {.slots = &slots};
	struct sl_ct_cost cost;

	(void)state;
	do
		random_problem(&r, &pb, 4);
	while (pb.p.nboxes < 40);
	for (unsigned d = 0; d < 4; d++) {
		slots.nslots[d] = 1;
		slots.value_off[d][0] = (int16_t)(-16 - 8 * (int)d);
	}
	sl_dt_params_default(&par);
	assert_int_equal(sl_dt_build(&pb.p, &par, &dt), 0);
	assert_int_equal(sl_ct_measure(dt, &pb.p, &in, 1u << 20, &cost), 0);
	assert_true(cost.insns > 20);
	assert_int_equal(sl_ct_measure(dt, &pb.p, &in, cost.insns, &cost), 0);
	assert_int_equal(sl_ct_measure(dt, &pb.p, &in, cost.insns / 2, &cost), -E2BIG);
	sl_dt_free(dt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(random_problems_match_first_match),
	    cmocka_unit_test(budget_is_enforced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
