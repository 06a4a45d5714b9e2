// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rule reordering (compiler/opt/reorder.c): hand-built chains for what must
 * and must not move, and random policies whose reordered IR is held against
 * the original through the reference interpreter (verdict, deciding rule,
 * every counter) on many field combinations, including absent fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "select/classify.h"
#include "interp/interp.h"
#include "opt/opt.h"

struct pspec {
	enum sl_field field;
	sl_u128 lo, hi;
};

struct rspec {
	enum sl_ir_action action;
	bool counter;
	uint32_t target;
	uint32_t npreds;
	struct pspec p[4];
};

static int cmp_pspec(const void *a, const void *b)
{
	const struct pspec *x = a, *y = b;

	return (int)x->field - (int)y->field;
}

static struct sl_ir_rule make_rule(struct sl_arena *a, struct rspec s, uint32_t id)
{
	struct sl_ir_rule r = {.id = id,
			       .loc = {0, id + 1, 1, 1},
			       .text = "",
			       .counter = s.counter,
			       .action = s.action,
			       .target = s.target,
			       .action_loc = SL_LOC_NONE};
	struct sl_ir_pred *preds = sl_arena_calloc(a, 4, sizeof(*preds));

	qsort(s.p, s.npreds, sizeof(s.p[0]), cmp_pspec);
	for (uint32_t i = 0; i < s.npreds; i++)
		preds[i] = (struct sl_ir_pred){s.p[i].field, sl_iset_range(a, s.p[i].lo, s.p[i].hi),
					       SL_LOC_NONE};
	r.npreds = s.npreds;
	r.preds = preds;
	return r;
}

/* One XDP table (policy drop) whose body is chain 0, plus nchains - 1 named chains. */
static struct sl_ir *make_ir(struct sl_arena *a, uint32_t nchains, const uint32_t *nrules,
			     struct rspec *const *specs)
{
	struct sl_ir *ir = sl_arena_calloc(a, 1, sizeof(*ir));
	uint32_t id = 0;

	ir->arena = a;
	ir->name = "p";
	ir->ntables = 1;
	ir->tables = sl_arena_calloc(a, 1, sizeof(*ir->tables));
	ir->tables[0] = (struct sl_ir_table){.name = "t",
					     .loc = SL_LOC_NONE,
					     .hook = SL_HOOK_XDP,
					     .policy = SL_VERDICT_DROP,
					     .entry = 0};
	ir->nchains = nchains;
	ir->chains = sl_arena_calloc(a, nchains, sizeof(*ir->chains));
	for (uint32_t c = 0; c < nchains; c++) {
		struct sl_ir_chain *ch = &ir->chains[c];

		ch->name = c ? sl_arena_printf(a, "c%u", c) : "t";
		ch->loc = SL_LOC_NONE;
		ch->nrules = nrules[c];
		ch->rules = sl_arena_calloc(a, nrules[c] ? nrules[c] : 1, sizeof(*ch->rules));
		for (uint32_t i = 0; i < nrules[c]; i++)
			ch->rules[i] = make_rule(a, specs[c][i], id++);
	}
	ir->nrules = id;
	return ir;
}

#define PROTO	SL_FIELD_META_PROTOCOL
#define L4	SL_FIELD_META_L4PROTO
#define SADDR	SL_FIELD_IP_SADDR
#define SADDR6	SL_FIELD_IP6_SADDR
#define DPORT	SL_FIELD_TCP_DPORT
#define THDPORT SL_FIELD_TH_DPORT
#define V4                                                                                         \
	{                                                                                          \
		PROTO, 0x0800, 0x0800                                                              \
	}
#define V6                                                                                         \
	{                                                                                          \
		PROTO, 0x86dd, 0x86dd                                                              \
	}
#define TCP                                                                                        \
	{                                                                                          \
		L4, 6, 6                                                                           \
	}
#define UDP                                                                                        \
	{                                                                                          \
		L4, 17, 17                                                                         \
	}

/* Chain 0's rule ids in order. */
static void expect_order(const struct sl_ir *ir, const uint32_t *ids, uint32_t n)
{
	assert_int_equal(ir->chains[0].nrules, n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(ir->chains[0].rules[i].id, ids[i]);
}

/* Chain 0 from the specs, and chain 1, empty: what the breakers (JUMP_OUT) jump to. */
static struct sl_ir *one_chain(struct sl_arena *a, struct rspec *s, uint32_t n)
{
	struct rspec *const specs[] = {s, NULL};
	const uint32_t nrules[] = {n, 0};

	return make_ir(a, 2, nrules, specs);
}

/* A rule that jumps ends a run (a walk cannot answer it): the breaker of these tests. */
#define JUMP_OUT SL_IR_JUMP, false, 1

#define ANY_LEN UINT32_MAX

/*
 * Chain 0 from s[0..n), reordered: its rule ids must become `order` with
 * `moved` rules moved, and the segment at rule 0 be seg_before rules long
 * before and seg_after after (ANY_LEN: not checked).
 */
static void expect_reordered(struct rspec *s, uint32_t n, const uint32_t *order, uint64_t moved,
			     uint32_t seg_before, uint32_t seg_after)
{
	struct sl_arena *a = sl_arena_new();
	struct sl_ir *ir = one_chain(a, s, n);
	struct sl_opt_stats st = {0};

	if (seg_before != ANY_LEN)
		assert_int_equal(sl_cls_segment_len(&ir->chains[0], 0), seg_before);
	sl_opt_reorder(ir, &st);
	expect_order(ir, order, n);
	assert_int_equal(st.moved, moved);
	if (seg_after != ANY_LEN)
		assert_int_equal(sl_cls_segment_len(&ir->chains[0], 0), seg_after);
	sl_arena_free(a);
}

static void jump_sinks_out_of_an_ipv4_run(void **state)
{
	struct rspec s[] = {
	    {SL_IR_ACCEPT, false, 0, 2, {V4, {SADDR, 1, 1}}},
	    {JUMP_OUT, 2, {V6, {SADDR6, 1, 1}}}, /* ends a run */
	    {SL_IR_ACCEPT, false, 0, 2, {V4, {SADDR, 2, 2}}},
	    {SL_IR_DROP, false, 0, 2, {V4, {SADDR, 3, 3}}},
	};

	(void)state;
	expect_reordered(s, 4, (const uint32_t[]){0, 2, 3, 1}, 1, 1, 3);
}

/* The other way round: an IPv4 rule inside a run of IPv6 rules sinks out of it. */
static void ipv4_rule_sinks_out_of_an_ipv6_run(void **state)
{
	struct rspec s[] = {
	    {SL_IR_ACCEPT, false, 0, 2, {V6, {SADDR6, 1, 1}}},
	    {SL_IR_DROP, false, 0, 2, {V4, {SADDR, 1, 1}}}, /* ends an IPv6 run */
	    {SL_IR_ACCEPT, false, 0, 2, {V6, {SADDR6, 2, 2}}},
	    {SL_IR_DROP, false, 0, 2, {V6, {SADDR6, 3, 3}}},
	};

	(void)state;
	expect_reordered(s, 4, (const uint32_t[]){0, 2, 3, 1}, 1, 1, 3);
}

/* Breakers that travel together but pass nothing are not counted as moved. */
static void a_block_that_stays_is_not_counted(void **state)
{
	struct rspec s[] = {
	    {SL_IR_ACCEPT, false, 0, 2, {V4, {SADDR, 1, 1}}},
	    {JUMP_OUT, 2, {V6, {SADDR6, 1, 1}}},
	    {JUMP_OUT, 2, {V6, {SADDR6, 2, 2}}},
	    {JUMP_OUT, 2, {V6, {SADDR6, 3, 3}}},
	};

	(void)state;
	expect_reordered(s, 4, (const uint32_t[]){0, 1, 2, 3}, 0, ANY_LEN, ANY_LEN);
}

static void overlapping_breakers_stay(void **state)
{
	struct rspec s[] = {
	    {SL_IR_ACCEPT, false, 0, 2, {TCP, {DPORT, 85, 85}}},
	    /* counts port 80..90, overlapping the rules before and after it */
	    {SL_IR_CONTINUE, true, 0, 2, {TCP, {DPORT, 80, 90}}},
	    {SL_IR_ACCEPT, false, 0, 2, {TCP, {DPORT, 80, 80}}},
	    /* different fields that may carry one value: not provably disjoint */
	    {SL_IR_RETURN, false, 0, 1, {{THDPORT, 443, 443}}},
	    {SL_IR_DROP, false, 0, 2, {TCP, {DPORT, 1, 1}}},
	};

	(void)state;
	expect_reordered(s, 5, (const uint32_t[]){0, 1, 2, 3, 4}, 0, ANY_LEN, ANY_LEN);
}

static void breaker_floats_when_it_cannot_sink(void **state)
{
	struct sl_arena *a = sl_arena_new();
	struct rspec s[] = {
	    {SL_IR_ACCEPT, false, 0, 2, {UDP, {THDPORT, 53, 53}}},
	    {SL_IR_DROP, false, 0, 2, {UDP, {THDPORT, 67, 68}}},
	    {SL_IR_CONTINUE, true, 0, 2, {TCP, {DPORT, 22, 22}}},
	    {SL_IR_ACCEPT, false, 0, 2, {TCP, {DPORT, 22, 22}}}, /* overlaps: no sinking */
	    {SL_IR_DROP, false, 0, 1, {UDP}},
	};
	struct sl_ir *ir = one_chain(a, s, 5);
	struct sl_opt_stats st = {0};

	(void)state;
	sl_opt_reorder(ir, &st);
	expect_order(ir, (const uint32_t[]){2, 0, 1, 3, 4}, 5);
	assert_int_equal(sl_cls_segment_len(&ir->chains[0], 1), 4);
	sl_arena_free(a);
}

static void a_float_stopped_inside_a_run_goes_back(void **state)
{
	struct sl_arena *a = sl_arena_new();
	struct rspec s[] = {
	    {SL_IR_ACCEPT, false, 0, 2, {TCP, {DPORT, 22, 22}}},
	    {SL_IR_ACCEPT, false, 0, 2, {UDP, {THDPORT, 53, 53}}}, /* could pass it */
	    {SL_IR_CONTINUE, true, 0, 2, {TCP, {DPORT, 20, 30}}},
	    {SL_IR_DROP, false, 0, 2, {TCP, {DPORT, 22, 22}}},
	};
	struct sl_ir *ir = one_chain(a, s, 4);
	struct sl_opt_stats st = {0};

	(void)state;
	/* rising above rule 1 only would join no runs: more packets would count-check */
	sl_opt_reorder(ir, &st);
	expect_order(ir, (const uint32_t[]){0, 1, 2, 3}, 4);
	assert_int_equal(st.moved, 0);
	sl_arena_free(a);
}

static void a_block_travels_together_and_keeps_its_order(void **state)
{
	struct sl_arena *a = sl_arena_new();
	struct rspec s[] = {
	    {SL_IR_ACCEPT, false, 0, 2, {V4, {SADDR, 1, 1}}},
	    {SL_IR_CONTINUE, true, 0, 2, {V6, {SADDR6, 5, 9}}},
	    {SL_IR_ACCEPT, false, 0, 2, {V4, {SADDR, 2, 2}}},
	    {JUMP_OUT, 2, {V6, {SADDR6, 7, 7}}}, /* joins the counter rule */
	    {SL_IR_ACCEPT, false, 0, 2, {V4, {SADDR, 3, 3}}},
	    {SL_IR_DROP, false, 0, 0, {{0}}}, /* matches all: a wall */
	    {SL_IR_ACCEPT, false, 0, 2, {V4, {SADDR, 4, 4}}},
	};
	struct sl_ir *ir = one_chain(a, s, 7);
	struct sl_opt_stats st = {0};

	(void)state;
	sl_opt_reorder(ir, &st);
	/* sunk to the wall, then floated to the top: one run */
	expect_order(ir, (const uint32_t[]){1, 3, 0, 2, 4, 5, 6}, 7);
	assert_int_equal(sl_cls_segment_len(&ir->chains[0], 2), 5);
	sl_arena_free(a);
}

/* ---- random policies against the reference interpreter ---- */

static uint32_t rnd(uint64_t *s, uint32_t n)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33) % n;
}

static const enum sl_field rfields[] = {PROTO, L4, SADDR, SADDR6, DPORT, THDPORT};

static sl_u128 field_value(uint64_t *s, enum sl_field f)
{
	if (f == PROTO)
		return rnd(s, 3) ? (rnd(s, 2) ? 0x0800 : 0x86dd) : rnd(s, 4);
	if (f == L4)
		return rnd(s, 3) ? (rnd(s, 2) ? 6 : 17) : rnd(s, 4);
	return rnd(s, 12);
}

static struct rspec random_rule(uint64_t *s, uint32_t chain, uint32_t nchains)
{
	struct rspec r = {.npreds = rnd(s, 4)};
	uint32_t k = rnd(s, 20);
	bool used[SL_ARRAY_SIZE(rfields)] = {false};

	if (k < 11)
		r.action = k & 1 ? SL_IR_ACCEPT : SL_IR_DROP;
	else if (k < 15)
		r.action = SL_IR_CONTINUE;
	else if (k < 17 && chain + 1 < nchains)
		r.action = SL_IR_JUMP;
	else if (k < 18 && chain + 1 < nchains)
		r.action = SL_IR_GOTO;
	else if (k < 19)
		r.action = SL_IR_RETURN;
	else
		r.action = SL_IR_ACCEPT;
	if (r.action == SL_IR_JUMP || r.action == SL_IR_GOTO)
		r.target = chain + 1 + rnd(s, nchains - chain - 1);
	r.counter = r.action == SL_IR_CONTINUE || rnd(s, 4) == 0;
	for (uint32_t i = 0; i < r.npreds; i++) {
		unsigned f = rnd(s, SL_ARRAY_SIZE(rfields));
		sl_u128 lo, hi;

		if (used[f]) {
			r.npreds = i;
			break;
		}
		used[f] = true;
		lo = field_value(s, rfields[f]);
		hi = rnd(s, 3) ? lo : lo + rnd(s, 4);
		r.p[i] = (struct pspec){rfields[f], lo, hi};
	}
	return r;
}

static uint32_t count_runs(const struct sl_ir_chain *c)
{
	uint32_t runs = 0;

	for (uint32_t i = 0; i < c->nrules; i++)
		runs +=
		    sl_cls_rule_fits(&c->rules[i]) && (!i || !sl_cls_rule_fits(&c->rules[i - 1]));
	return runs;
}

static void random_fields(uint64_t *s, struct sl_interp_fields *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < SL_ARRAY_SIZE(rfields); i++) {
		f->present[rfields[i]] = rnd(s, 5) != 0; /* absent fields too */
		f->value[rfields[i]] = field_value(s, rfields[i]);
	}
}

static void random_policies_keep_every_first_match(void **state)
{
	uint64_t seed = 20261123, moved = 0, runs_before = 0, runs_after = 0;

	(void)state;
	for (int round = 0; round < 1500; round++) {
		struct sl_arena *a = sl_arena_new();
		struct rspec specs[3][48];
		struct rspec *const sp[3] = {specs[0], specs[1], specs[2]};
		uint32_t nchains = 1 + rnd(&seed, 3), n[3];
		struct sl_ir *ir, *orig;
		struct sl_opt_stats st = {0};
		char err[256];

		for (uint32_t c = 0; c < nchains; c++) {
			n[c] = rnd(&seed, 48);
			for (uint32_t i = 0; i < n[c]; i++)
				specs[c][i] = random_rule(&seed, c, nchains);
		}
		ir = make_ir(a, nchains, n, sp);
		orig = sl_ir_clone(ir, a);
		sl_opt_reorder(ir, &st);
		assert_int_equal(sl_ir_verify(ir, err, sizeof(err)), 0);
		assert_false(st.reorder_partial);
		moved += st.moved;
		for (uint32_t c = 0; c < nchains; c++) {
			runs_before += count_runs(&orig->chains[c]);
			runs_after += count_runs(&ir->chains[c]);
			assert_true(count_runs(&ir->chains[c]) <= count_runs(&orig->chains[c]));
		}
		for (int p = 0; p < 400; p++) {
			struct sl_interp_counter ca[48 * 3] = {0}, cb[48 * 3] = {0};
			struct sl_interp_result ra, rb;
			struct sl_interp_fields fields;

			random_fields(&seed, &fields);
			assert_int_equal(sl_interp_run_fields(orig, 0, &fields, 100, &ra, ca), 0);
			assert_int_equal(sl_interp_run_fields(ir, 0, &fields, 100, &rb, cb), 0);
			assert_int_equal(ra.verdict, rb.verdict);
			assert_int_equal(ra.rule, rb.rule);
			assert_memory_equal(ca, cb, sizeof(ca));
		}
		sl_arena_free(a);
	}
	/* the generator does give the pass work, and it pays */
	print_message("moved %llu rules; runs %llu -> %llu\n", (unsigned long long)moved,
		      (unsigned long long)runs_before, (unsigned long long)runs_after);
	assert_true(moved > 1000);
	assert_true(runs_after * 20 < runs_before * 19);
}

/* 100k rules alternating IPv4 runs and IPv6 jumps: linear work, one run left. */
static void large_chain_stays_bounded(void **state)
{
	struct sl_arena *a = sl_arena_new();
	uint32_t n = 100000;
	struct rspec *s = calloc(n, sizeof(*s));
	struct sl_opt_stats st = {0};
	struct sl_ir *ir;

	(void)state;
	for (uint32_t i = 0; i < n; i++) {
		if (i % 10 == 5)
			s[i] = (struct rspec){JUMP_OUT, 2, {V6, {SADDR6, i, i}}};
		else
			s[i] = (struct rspec){
			    i & 1 ? SL_IR_ACCEPT : SL_IR_DROP, false, 0, 2, {V4, {SADDR, i, i}}};
	}
	ir = one_chain(a, s, n);
	sl_opt_reorder(ir, &st);
	assert_int_equal(count_runs(&ir->chains[0]), 1);
	assert_int_equal(st.moved, n / 10);
	assert_true(st.disjoint_checks == 0); /* the block's summary answered every check */
	free(s);
	sl_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(jump_sinks_out_of_an_ipv4_run),
	    cmocka_unit_test(ipv4_rule_sinks_out_of_an_ipv6_run),
	    cmocka_unit_test(a_block_that_stays_is_not_counted),
	    cmocka_unit_test(overlapping_breakers_stay),
	    cmocka_unit_test(breaker_floats_when_it_cannot_sink),
	    cmocka_unit_test(a_float_stopped_inside_a_run_goes_back),
	    cmocka_unit_test(a_block_travels_together_and_keeps_its_order),
	    cmocka_unit_test(random_policies_keep_every_first_match),
	    cmocka_unit_test(large_chain_stays_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
