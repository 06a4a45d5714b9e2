// SPDX-License-Identifier: GPL-2.0-only
/*
 * A whole compilation drops the AST's matches once lowered (their ~60 MB at
 * 100k rules are not kept to the end, lib/compile.c); the front end alone
 * keeps them, and the AST evaluator refuses an AST without them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "interp/interp.h"
#include "lib/compile.h"
#include "parser/ast.h"

static const char policy[] = "table t {\n"
			     "\thook xdp\n"
			     "\tpolicy drop\n"
			     "\tip saddr 10.0.0.0/8 tcp dport 22 accept\n"
			     "\tudp dport 53 drop\n"
			     "}\n";

static uint32_t matches(const struct sl_ast *ast)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < ast->tables[0]->body.nrules; i++)
		n += ast->tables[0]->body.rules[i].nmatches;
	return n;
}

static void build_drops_matches(void **state)
{
	struct sl_result *r = NULL;
	struct sl_interp_fields fields = {0};
	struct sl_interp_ast_result res;

	(void)state;
	assert_int_equal(sl_compile("p.sluice", policy, strlen(policy), NULL, &r), SL_COMPILE_OK);
	assert_non_null(r->image);
	assert_true(r->ast->matches_dropped);
	assert_int_equal(matches(r->ast), 0);
	assert_int_equal(r->ast->tables[0]->body.nrules, 2); /* the rules stay, with their text */
	assert_non_null(r->ast->tables[0]->body.rules[1].text);
	assert_int_not_equal(sl_interp_run_ast(r->ast, 0, &fields, &res), 0);
	sl_result_free(r);
}

static void front_end_keeps_matches(void **state)
{
	struct sl_result *r = NULL;

	(void)state;
	assert_int_equal(sl_compile_front("p.sluice", policy, strlen(policy), NULL, &r),
			 SL_COMPILE_OK);
	assert_false(r->ast->matches_dropped);
	assert_true(matches(r->ast) >= 3);
	sl_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(build_drops_matches),
	    cmocka_unit_test(front_end_keeps_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
