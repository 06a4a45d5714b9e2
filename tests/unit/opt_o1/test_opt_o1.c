// SPDX-License-Identifier: GPL-2.0-only
/*
 * -O1 passes (compiler/opt/opt.h): shadowed and no-op rules, on IR built by
 * hand, and a randomized check that the first match, its rule id and the
 * counters never change, with shadow detection as complete as a
 * brute-force pairwise search.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt/opt.h"

struct fx {
	struct sl_arena *arena;
	struct sl_sources srcs;
	struct sl_diag diag;
	char *diag_buf;
	size_t diag_len;
	FILE *diag_out;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->arena = sl_arena_new();
	sl_sources_init(&f->srcs);
	assert_int_equal(sl_sources_add(&f->srcs, "p.sluice", "x\n", 2), 0);
	f->diag_out = open_memstream(&f->diag_buf, &f->diag_len);
	sl_diag_init(&f->diag, &f->srcs, f->diag_out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fclose(f->diag_out);
	free(f->diag_buf);
	sl_arena_free(f->arena);
	sl_sources_fini(&f->srcs);
	free(f);
	return 0;
}

static const char *diag_text(struct fx *f)
{
	fflush(f->diag_out);
	return f->diag_buf ? f->diag_buf : "";
}

/* A rule spec: up to 3 predicates `field lo-hi` (second interval when lo2 <= hi2). */
struct pspec {
	enum sl_field field;
	sl_u128 lo, hi, lo2, hi2;
};

struct rspec {
	enum sl_ir_action action;
	bool counter;
	uint32_t target;
	uint32_t npreds;
	struct pspec p[3];
};

static struct sl_ir_rule make_rule(struct sl_arena *a, const struct rspec *s, uint32_t id)
{
	struct sl_ir_rule r = {.id = id,
			       .loc = {0, id + 1, 3, 1},
			       .text = "",
			       .counter = s->counter,
			       .action = s->action,
			       .target = s->target};
	struct sl_ir_pred *preds = sl_arena_calloc(a, 3, sizeof(*preds));

	for (uint32_t i = 0; i < s->npreds; i++) {
		struct sl_interval iv[2] = {{s->p[i].lo, s->p[i].hi}, {s->p[i].lo2, s->p[i].hi2}};
		uint32_t n = s->p[i].lo2 <= s->p[i].hi2 && (s->p[i].lo2 || s->p[i].hi2) ? 2 : 1;

		preds[i] = (struct sl_ir_pred){s->p[i].field, sl_iset_from(a, iv, n), SL_LOC_NONE};
	}
	r.npreds = s->npreds;
	r.preds = preds;
	return r;
}

/* One table (policy drop) whose body is chain 0, plus nchains - 1 named chains. */
static struct sl_ir *make_ir(struct fx *f, uint32_t nchains, const uint32_t *nrules,
			     const struct rspec *const *specs)
{
	struct sl_arena *a = f->arena;
	struct sl_ir *ir = sl_arena_calloc(a, 1, sizeof(*ir));
	uint32_t id = 0;

	ir->arena = a;
	ir->srcs = &f->srcs;
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
		ch->nrules = nrules[c];
		ch->rules = sl_arena_calloc(a, nrules[c] ? nrules[c] : 1, sizeof(*ch->rules));
		for (uint32_t i = 0; i < nrules[c]; i++)
			ch->rules[i] = make_rule(a, &specs[c][i], id++);
	}
	ir->nrules = id;
	return ir;
}

static struct sl_ir *one_chain(struct fx *f, uint32_t n, const struct rspec *specs)
{
	const struct rspec *const s[] = {specs};

	return make_ir(f, 1, &n, s);
}

#define P(f, l, h)                                                                                 \
	{                                                                                          \
		(f), (l), (h), 1, 0                                                                \
	}
#define SADDR SL_FIELD_IP_SADDR
#define DPORT SL_FIELD_TCP_DPORT

static void covered_rule_is_removed_and_reported(void **state)
{
	struct fx *f = *state;
	const struct rspec s[] = {
	    {SL_IR_ACCEPT, false, 0, 1, {P(SADDR, 0x0a000000, 0x0affffff)}},
	    {SL_IR_DROP, true, 0, 2, {P(SADDR, 0x0a010000, 0x0a01ffff), P(DPORT, 22, 22)}},
	    {SL_IR_DROP, false, 0, 1, {P(SADDR, 0x0b000000, 0x0b0000ff)}},
	};
	struct sl_ir *ir = one_chain(f, 3, s);
	struct sl_opt_stats st;

	assert_int_equal(sl_opt_run(ir, 1, &f->diag, &st), 0);
	assert_int_equal(ir->chains[0].nrules, 2);
	assert_int_equal(ir->chains[0].rules[0].id, 0);
	assert_int_equal(ir->chains[0].rules[1].id, 2); /* ids never change */
	assert_int_equal(ir->nrules, 3);
	assert_int_equal(st.rules_before, 3);
	assert_int_equal(st.rules_after, 2);
	assert_int_equal(st.shadowed, 1);
	assert_false(st.shadow_partial);
	assert_non_null(strstr(diag_text(f), "p.sluice:2:3: warning: rule can never match: covered "
					     "by the rule at 1:3"));
	assert_non_null(strstr(diag_text(f), "p.sluice:1:3: note: this rule matches every packet"));
}

static void only_ending_rules_cover(void **state)
{
	struct fx *f = *state;
	const struct rspec s[] = {
	    {SL_IR_JUMP, false, 1, 1, {P(DPORT, 0, 1000)}},
	    {SL_IR_CONTINUE, true, 0, 1, {P(DPORT, 0, 1000)}},
	    {SL_IR_DROP, false, 0, 1, {P(DPORT, 22, 22)}},
	};
	const struct rspec c1[] = {{SL_IR_ACCEPT, false, 0, 1, {P(SADDR, 1, 1)}}};
	const struct rspec *const specs[] = {s, c1};
	const uint32_t n[] = {3, 1};
	struct sl_ir *ir = make_ir(f, 2, n, specs);
	struct sl_opt_stats st;

	assert_int_equal(sl_opt_run(ir, 1, &f->diag, &st), 0);
	assert_int_equal(ir->chains[0].nrules, 3);
	assert_int_equal(st.shadowed, 0);
}

static void a_field_the_later_rule_lacks_stops_coverage(void **state)
{
	struct fx *f = *state;
	const struct rspec s[] = {
	    /* tests dport, which the next rule does not: packets without TCP reach it */
	    {SL_IR_ACCEPT, false, 0, 2, {P(SADDR, 0, 0xffffffff), P(DPORT, 0, 65535)}},
	    {SL_IR_DROP, false, 0, 1, {P(SADDR, 5, 5)}},
	    /* partial overlap is no cover */
	    {SL_IR_ACCEPT, false, 0, 1, {P(SADDR, 100, 200)}},
	    {SL_IR_DROP, false, 0, 1, {P(SADDR, 150, 250)}},
	};
	struct sl_ir *ir = one_chain(f, 4, s);
	struct sl_opt_stats st;

	assert_int_equal(sl_opt_run(ir, 1, &f->diag, &st), 0);
	assert_int_equal(st.shadowed, 0);
	assert_int_equal(ir->chains[0].nrules, 4);
}

static void multi_interval_sets_and_earliest_cover(void **state)
{
	struct fx *f = *state;
	const struct rspec s[] = {
	    {SL_IR_ACCEPT, false, 0, 1, {{DPORT, 10, 20, 80, 90}}},
	    {SL_IR_RETURN, false, 0, 1, {{DPORT, 1, 20, 80, 100}}},
	    /* {15, 85} lies in both; the earliest one is named */
	    {SL_IR_DROP, false, 0, 1, {{DPORT, 15, 15, 85, 85}}},
	    /* its hull 15-85 is in both hulls, but 50 is in neither set */
	    {SL_IR_DROP, false, 0, 1, {{DPORT, 15, 15, 50, 50}}},
	};
	struct sl_ir *ir = one_chain(f, 4, s);
	struct sl_opt_stats st;

	assert_int_equal(sl_opt_run(ir, 1, &f->diag, &st), 0);
	assert_int_equal(st.shadowed, 1);
	assert_int_equal(ir->chains[0].nrules, 3);
	assert_int_equal(ir->chains[0].rules[2].id, 3);
	assert_non_null(strstr(diag_text(f), "p.sluice:3:3: warning: rule can never match: covered "
					     "by the rule at 1:3"));
}

static void unconditional_ending_rule_hides_the_rest_quietly(void **state)
{
	struct fx *f = *state;
	const struct rspec s[] = {
	    {SL_IR_ACCEPT, false, 0, 1, {P(DPORT, 1, 1)}},
	    {SL_IR_DROP, false, 0, 0, {{0}}},
	    {SL_IR_ACCEPT, true, 0, 1, {P(DPORT, 2, 2)}},
	    {SL_IR_ACCEPT, false, 0, 0, {{0}}},
	};
	struct sl_ir *ir = one_chain(f, 4, s);
	struct sl_opt_stats st;

	assert_int_equal(sl_opt_run(ir, 1, &f->diag, &st), 0);
	assert_int_equal(ir->chains[0].nrules, 2);
	assert_int_equal(st.shadowed, 2);
	/* the checker reports rules after an unconditional verdict ("never reached") */
	assert_int_equal(f->diag.nwarnings, 0);
}

static void noops_go_to_a_fixed_point(void **state)
{
	struct fx *f = *state;
	const struct rspec body[] = {
	    {SL_IR_CONTINUE, false, 0, 1, {P(DPORT, 1, 1)}}, /* does nothing */
	    {SL_IR_JUMP, false, 1, 1, {P(DPORT, 2, 2)}},     /* c1 empties: goes */
	    {SL_IR_JUMP, true, 1, 1, {P(DPORT, 3, 3)}},	     /* keeps its counter */
	    {SL_IR_GOTO, false, 2, 1, {P(DPORT, 4, 4)}},     /* c2 empty: a return */
	    {SL_IR_ACCEPT, false, 0, 1, {P(DPORT, 5, 5)}},
	    {SL_IR_RETURN, false, 0, 1, {P(DPORT, 6, 6)}}, /* trailing returns go */
	    {SL_IR_RETURN, false, 0, 0, {{0}}},
	};
	const struct rspec c1[] = {
	    {SL_IR_RETURN, false, 0, 1, {P(DPORT, 7, 7)}},
	    {SL_IR_CONTINUE, false, 0, 0, {{0}}},
	};
	const struct rspec *const specs[] = {body, c1, NULL};
	const uint32_t n[] = {7, 2, 0};
	struct sl_ir *ir = make_ir(f, 3, n, specs);
	const struct sl_ir_chain *c;
	struct sl_opt_stats st;

	assert_int_equal(sl_opt_run(ir, 1, &f->diag, &st), 0);
	c = &ir->chains[0];
	assert_int_equal(ir->chains[1].nrules, 0);
	assert_int_equal(c->nrules, 3);
	assert_int_equal(c->rules[0].id, 2);
	assert_int_equal(c->rules[0].action, SL_IR_CONTINUE);
	assert_true(c->rules[0].counter);
	assert_int_equal(c->rules[1].id, 3);
	assert_int_equal(c->rules[1].action, SL_IR_RETURN);
	assert_int_equal(c->rules[2].id, 4);
	assert_int_equal(st.noops, 6);
	assert_int_equal(st.rules_after, 3);
}

static void level_zero_changes_nothing(void **state)
{
	struct fx *f = *state;
	const struct rspec s[] = {
	    {SL_IR_ACCEPT, false, 0, 0, {{0}}},
	    {SL_IR_CONTINUE, false, 0, 0, {{0}}},
	};
	struct sl_ir *ir = one_chain(f, 2, s);
	struct sl_opt_stats st;

	assert_int_equal(sl_opt_run(ir, 0, &f->diag, &st), 0);
	assert_int_equal(ir->chains[0].nrules, 2);
	assert_int_equal(st.rules_after, 2);
	assert_int_equal(sl_opt_run(ir, -1, &f->diag, &st), -EINVAL);
	assert_int_equal(sl_opt_run(ir, 7, &f->diag, NULL), 0); /* highest known level */
	assert_int_equal(ir->chains[0].nrules, 1);
}

/* ---- randomized: first match, rule id and counters before and after -O1 ---- */

static const enum sl_field rnd_fields[] = {SL_FIELD_IP_TTL, SL_FIELD_IP_DSCP, SL_FIELD_TCP_DPORT};

struct pkt {
	bool has[3];
	unsigned v[3];
};

static bool pred_true(const struct sl_ir_pred *p, const struct pkt *k)
{
	for (unsigned i = 0; i < 3; i++) {
		if (rnd_fields[i] == p->field)
			return k->has[i] && sl_iset_contains(p->set, k->v[i]);
	}
	return false;
}

struct outcome {
	int verdict; /* -1 policy */
	uint32_t rule;
	uint64_t counted; /* bit per rule id */
};

/* lang-spec §7 on a chain that only uses accept/drop/return/counter. */
static struct outcome eval(const struct sl_ir_chain *c, const struct pkt *k)
{
	struct outcome o = {-1, UINT32_MAX, 0};

	for (uint32_t i = 0; i < c->nrules; i++) {
		const struct sl_ir_rule *r = &c->rules[i];
		bool match = true;

		for (uint32_t p = 0; p < r->npreds && match; p++)
			match = pred_true(&r->preds[p], k);
		if (!match)
			continue;
		if (r->counter)
			o.counted |= 1ull << r->id;
		if (r->action == SL_IR_ACCEPT || r->action == SL_IR_DROP) {
			o.verdict = r->action;
			o.rule = r->id;
			return o;
		}
		if (r->action == SL_IR_RETURN)
			return o;
	}
	return o;
}

static unsigned rnd(unsigned *seed, unsigned n)
{
	return (unsigned)rand_r(seed) % n;
}

static struct rspec random_rule(unsigned *seed)
{
	static const enum sl_ir_action actions[] = {SL_IR_ACCEPT, SL_IR_DROP, SL_IR_RETURN,
						    SL_IR_CONTINUE};
	struct rspec s = {actions[rnd(seed, 4)], rnd(seed, 3) == 0, 0, 0, {{0}}};

	for (unsigned i = 0; i < 3; i++) {
		unsigned lo = rnd(seed, 16), hi = lo + rnd(seed, 12);

		if (rnd(seed, 2))
			continue;
		s.p[s.npreds] = (struct pspec){rnd_fields[i], lo, hi, 1, 0};
		if (rnd(seed, 4) == 0) {
			s.p[s.npreds].lo2 = hi + 2 + rnd(seed, 4);
			s.p[s.npreds].hi2 = s.p[s.npreds].lo2 + rnd(seed, 6);
		}
		s.npreds++;
	}
	if (s.action == SL_IR_CONTINUE)
		s.counter = true;
	return s;
}

/* Rules a pairwise search says are covered by an earlier kept ending rule. */
static uint32_t brute_force_shadowed(const struct sl_ir_chain *c)
{
	bool *dead = calloc(c->nrules, sizeof(*dead));
	uint32_t n = 0;

	for (uint32_t j = 0; j < c->nrules; j++) {
		for (uint32_t i = 0; i < j && !dead[j]; i++) {
			const struct sl_ir_rule *e = &c->rules[i], *r = &c->rules[j];
			bool covers =
			    !dead[i] && e->action != SL_IR_CONTINUE && e->action != SL_IR_JUMP;

			for (uint32_t p = 0; p < e->npreds && covers; p++) {
				bool found = false;

				for (uint32_t q = 0; q < r->npreds; q++) {
					if (r->preds[q].field == e->preds[p].field)
						found = sl_iset_subset(r->preds[q].set,
								       e->preds[p].set);
				}
				covers = found;
			}
			dead[j] = covers;
		}
		n += dead[j];
	}
	free(dead);
	return n;
}

static void random_policies_keep_every_first_match(void **state)
{
	struct fx *f = *state;
	unsigned seed = 4242;
	uint64_t total_shadowed = 0;

	for (int round = 0; round < 400; round++) {
		struct rspec specs[40];
		uint32_t n = 1 + rnd(&seed, 40);
		struct sl_ir *ir, *orig;
		struct sl_arena *copy = sl_arena_new();
		struct sl_opt_stats st;
		uint32_t want_shadowed;

		for (uint32_t i = 0; i < n; i++)
			specs[i] = random_rule(&seed);
		ir = one_chain(f, n, specs);
		orig = sl_ir_clone(ir, copy);
		want_shadowed = brute_force_shadowed(&orig->chains[0]);
		f->diag.quiet_warnings = true;
		assert_int_equal(sl_opt_run(ir, 1, &f->diag, &st), 0);
		assert_int_equal(st.shadowed, want_shadowed);
		assert_int_equal(sl_ir_verify(ir, NULL, 0), 0);
		assert_false(st.shadow_partial);
		total_shadowed += st.shadowed;

		for (int t = 0; t < 3000; t++) {
			struct pkt k;
			struct outcome a, b;

			for (unsigned i = 0; i < 3; i++) {
				k.has[i] = rnd(&seed, 6) != 0;
				k.v[i] = rnd(&seed, 40);
			}
			a = eval(&orig->chains[0], &k);
			b = eval(&ir->chains[0], &k);
			assert_int_equal(a.verdict, b.verdict);
			assert_int_equal(a.rule, b.rule);
			assert_true(a.counted == b.counted);
		}
		sl_arena_free(copy);
	}
	assert_true(total_shadowed > 100); /* the generator does make shadowed rules */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(covered_rule_is_removed_and_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(only_ending_rules_cover, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_field_the_later_rule_lacks_stops_coverage, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(multi_interval_sets_and_earliest_cover, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(unconditional_ending_rule_hides_the_rest_quietly, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(noops_go_to_a_fixed_point, setup, teardown),
	    cmocka_unit_test_setup_teardown(level_zero_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(random_policies_keep_every_first_match, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
