// SPDX-License-Identifier: GPL-2.0-only
/*
 * Named-set lookups are unknown at compile time: no pass may reason from what
 * a set holds now. A rule after `ip saddr @s drop` that would be shadowed if
 * the set's elements were known stays (at every level), is not reported, and
 * the interpreter (given other contents, as after `sluice-load set load`)
 * reaches it; `sluice check` (sl_opt_lint) reports nothing on it; the
 * classifier keeps such rules out of its segments (they stay tests of their
 * own); a set rule can itself be shadowed by a rule that covers everything
 * its other predicates allow (that is not reasoning about the set).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "opt/opt.h"
#include "parser/parser.h"
#include "select/classify.h"

struct prog {
	struct sl_arena *arena;
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_ir *ir;
	char *out;
	size_t out_len;
};

/* Parse, check and lower `text`, then optimise at `level` (-1: not at all). */
static void build(struct prog *p, const char *text, int level)
{
	struct sl_ast *ast = NULL;
	FILE *out;

	memset(p, 0, sizeof(*p));
	p->arena = sl_arena_new();
	sl_sources_init(&p->srcs);
	out = open_memstream(&p->out, &p->out_len);
	sl_diag_init(&p->diag, &p->srcs, out);
	assert_int_equal(
	    sl_parse_text("t.sluice", text, strlen(text), &p->srcs, p->arena, &p->diag, &ast), 0);
	assert_int_equal(sl_check(ast, &p->diag), 0);
	assert_int_equal(sl_ir_lower(ast, p->arena, &p->diag, &p->ir), 0);
	if (level >= 0)
		assert_int_equal(sl_opt_run(p->ir, level, &p->diag, NULL), 0);
	fclose(out);
}

static void done(struct prog *p)
{
	sl_sources_fini(&p->srcs);
	sl_arena_free(p->arena);
	free(p->out);
}

static bool has_rule(const struct sl_ir *ir, uint32_t id)
{
	for (uint32_t c = 0; c < ir->nchains; c++)
		for (uint32_t i = 0; i < ir->chains[c].nrules; i++)
			if (ir->chains[c].rules[i].id == id)
				return true;
	return false;
}

/* The interpreter's deciding rule for an IPv4 TCP packet from saddr to port dport. */
static uint32_t decide(const struct sl_ir *ir, uint32_t saddr, uint16_t dport)
{
	struct sl_interp_fields f = {0};
	struct sl_interp_result r;

	f.present[SL_FIELD_META_PROTOCOL] = f.present[SL_FIELD_META_L4PROTO] = true;
	f.value[SL_FIELD_META_PROTOCOL] = 0x0800;
	f.value[SL_FIELD_META_L4PROTO] = 6;
	f.present[SL_FIELD_IP_SADDR] = f.present[SL_FIELD_TCP_DPORT] = true;
	f.present[SL_FIELD_TH_DPORT] = f.present[SL_FIELD_IP_FRAG] = true;
	f.value[SL_FIELD_IP_SADDR] = saddr;
	f.value[SL_FIELD_TCP_DPORT] = f.value[SL_FIELD_TH_DPORT] = dport;
	assert_int_equal(sl_interp_run_fields(ir, 0, &f, 60, &r, NULL), 0);
	return r.rule;
}

/* Replace set `name`'s contents with single IPv4 addresses (what `sluice run --set` does). */
static void set_contents(struct sl_ir *ir, const char *name, const uint32_t *addrs, uint32_t n)
{
	struct sl_ir_set *s = sl_ir_set_find(ir, name);
	struct sl_ir_set_elem *e = sl_arena_calloc(ir->arena, n + 1, sizeof(*e));

	assert_non_null(s);
	for (uint32_t i = 0; i < n; i++)
		e[i].lo[0] = e[i].hi[0] = addrs[i];
	s->elems = e;
	s->nelems = n;
}

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/*
 * The set holds 10.0.0.1 at compile time, so rule 1 (10.0.0.1 accept) would be
 * shadowed if passes trusted the contents; at run time the set may change.
 */
static const char covered[] = "set s { type ipv4_addr; elements = { 10.0.0.1 } }\n"
			      "table t {\n"
			      "    hook xdp\n"
			      "    ip saddr @s drop\n"
			      "    ip saddr 10.0.0.1 accept\n"
			      "    ip saddr 10.0.0.0/8 drop\n"
			      "}\n";

static void test_not_shadowed_by_a_set(void **state)
{
	static const uint32_t other[] = {A(10, 0, 0, 7)};

	for (int level = 0; level <= 2; level++) {
		struct prog p;

		build(&p, covered, level);
		assert_true(has_rule(p.ir, 0));
		assert_true(has_rule(p.ir, 1));
		assert_true(has_rule(p.ir, 2));
		assert_null(strstr(p.out ? p.out : "", "never match"));
		assert_null(strstr(p.out ? p.out : "", "shadow"));
		assert_int_equal(decide(p.ir, A(10, 0, 0, 1), 80), 0);
		set_contents(p.ir, "s", other, 1);
		assert_int_equal(decide(p.ir, A(10, 0, 0, 1), 80), 1);
		assert_int_equal(decide(p.ir, A(10, 0, 0, 7), 80), 0);
		done(&p);
	}
}

/* A set rule covering everything its predicates allow would hide later rules: it does not. */
static void test_set_rule_covers_nothing(void **state)
{
	static const char text[] = "set all { type ipv4_addr; flags interval;"
				   " elements = { 0.0.0.0/0 } }\n"
				   "table t {\n"
				   "    hook xdp\n"
				   "    ip saddr @all drop\n"
				   "    ip saddr 192.0.2.1 accept\n"
				   "    ip saddr != @all drop\n"
				   "    ip saddr 192.0.2.2 accept\n"
				   "}\n";

	for (int level = 1; level <= 2; level++) {
		struct prog p;

		build(&p, text, level);
		for (uint32_t id = 0; id < 4; id++)
			assert_true(has_rule(p.ir, id));
		done(&p);
	}
}

/* sluice check: no shadowed or redundant finding that rests on a set. */
static void test_lint(void **state)
{
	static const char text[] = "set s { type ipv4_addr; elements = { 10.0.0.1 } }\n"
				   "table t {\n"
				   "    hook xdp\n"
				   "    policy drop\n"
				   "    ip saddr 10.0.0.1 drop\n"
				   "    ip saddr @s drop\n"
				   "    ip saddr 10.0.0.0/8 accept\n"
				   "    ip saddr @s accept\n"
				   "    ip saddr 10.0.0.2 accept\n"
				   "}\n";
	enum sl_opt_finding f[5];
	struct prog p;
	FILE *out;

	build(&p, text, -1);
	free(p.out); /* build()'s diagnostics: the lint's go to a stream of their own */
	out = open_memstream(&p.out, &p.out_len);
	p.diag.out = out;
	assert_int_equal(sl_opt_lint(p.ir, &p.diag, f), 0);
	fclose(out);
	/* rule 1 (@s drop) after `10.0.0.1 drop`: not shadowed, the set may hold more */
	assert_int_equal(f[1], SL_OPT_FINE);
	/* rule 3 (@s accept) is covered by rule 2 (10.0.0.0/8 accept) only for 10/8 addresses */
	assert_int_equal(f[3], SL_OPT_FINE);
	/* rule 4 (10.0.0.2 accept) is covered by rule 2, a plain rule: still found */
	assert_int_equal(f[4], SL_OPT_SHADOWED);
	done(&p);
}

/* A later set rule of the same verdict does not make an earlier rule redundant. */
static void test_lint_redundant(void **state)
{
	static const char text[] = "set s { type ipv4_addr; elements = { 10.0.0.1 } }\n"
				   "table t {\n"
				   "    hook xdp\n"
				   "    ip saddr 10.0.0.1 drop\n"
				   "    ip saddr @s drop\n"
				   "}\n";
	enum sl_opt_finding f[2];
	struct prog p;
	FILE *out;

	build(&p, text, -1);
	free(p.out); /* build()'s diagnostics: the lint's go to a stream of their own */
	out = open_memstream(&p.out, &p.out_len);
	p.diag.out = out;
	assert_int_equal(sl_opt_lint(p.ir, &p.diag, f), 0);
	fclose(out);
	assert_int_equal(f[0], SL_OPT_FINE);
	assert_int_equal(f[1], SL_OPT_FINE);
	done(&p);
}

/* The classifier's segments stop at set rules: a set lookup is never a box in a tree. */
static void test_classifier_keeps_set_rules_out(void **state)
{
	static const char text[] = "set s { type ipv4_addr . inet_service;"
				   " elements = { 10.0.0.1 . 22 } }\n"
				   "table t {\n"
				   "    hook xdp\n"
				   "    tcp dport 1 drop\n"
				   "    tcp dport 2 drop\n"
				   "    ip saddr . tcp dport @s accept\n"
				   "    tcp dport 3 drop\n"
				   "    tcp dport 4 drop\n"
				   "}\n";
	struct prog p;
	const struct sl_ir_chain *c;

	build(&p, text, 0);
	c = &p.ir->chains[0];
	assert_int_equal(c->nrules, 5);
	assert_int_equal(c->rules[2].nsetrefs, 1);
	assert_false(sl_cls_rule_fits(&c->rules[2]));
	assert_int_equal(sl_cls_segment_len(c, 0), 2);
	assert_int_equal(sl_cls_segment_len(c, 2), 0);
	assert_int_equal(sl_cls_segment_len(c, 3), 2);
	done(&p);
}

/* Reordering may move a set rule past disjoint rules only (the -O2 pass; first match kept). */
static void test_reorder_keeps_first_match(void **state)
{
	static const uint32_t contents[] = {A(10, 0, 0, 1), A(10, 0, 0, 2)};
	static const char text[] = "set s { type ipv4_addr; elements = { 10.0.0.1 } }\n"
				   "table t {\n"
				   "    hook xdp\n"
				   "    tcp dport 22 accept\n"
				   "    ip saddr @s drop\n"
				   "    tcp dport 80 accept\n"
				   "    ip saddr 10.0.0.2 accept\n"
				   "    tcp dport 443 accept\n"
				   "}\n";
	struct prog o0, o2;

	build(&o0, text, 0);
	build(&o2, text, 2);
	set_contents(o0.ir, "s", contents, 2);
	set_contents(o2.ir, "s", contents, 2);
	for (uint32_t a = 0; a < 4; a++)
		for (uint16_t port = 20; port < 450; port++)
			assert_int_equal(decide(o0.ir, A(10, 0, 0, a), port),
					 decide(o2.ir, A(10, 0, 0, a), port));
	done(&o0);
	done(&o2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_shadowed_by_a_set),
	    cmocka_unit_test(test_set_rule_covers_nothing),
	    cmocka_unit_test(test_lint),
	    cmocka_unit_test(test_lint_redundant),
	    cmocka_unit_test(test_classifier_keeps_set_rules_out),
	    cmocka_unit_test(test_reorder_keeps_first_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
