// SPDX-License-Identifier: GPL-2.0-only
/* sl_interp_run_ast: the checked AST read directly, each match form and chain action. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "parser/ast.h"
#include "frames.h"
#include "interp/interp.h"
#include "parser/parser.h"

static const char policy[] = "table t {\n"					    /* 1 */
			     "\thook xdp\n"					    /* 2 */
			     "\tpolicy drop\n"					    /* 3 */
			     "\ttcp flags & (syn|ack) == syn tcp dport 22 accept\n" /* 4 */
			     "\ttcp flags & (syn|ack) != syn tcp dport 22 drop\n"   /* 5 */
			     "\ttcp dport != { 80, 443 } jump other\n"		    /* 6 */
			     "\tudp dport 53 goto dns\n"			    /* 7 */
			     "\tip saddr 10.0.0.0/8 accept\n"			    /* 8 */
			     "}\n"						    /* 9 */
			     "chain other {\n"					    /* 10 */
			     "\ttcp dport 8000-8999 drop\n"			    /* 11 */
			     "}\n"						    /* 12 */
			     "chain dns {\n"					    /* 13 */
			     "\tip daddr != 192.168.1.2 accept\n"		    /* 14 */
			     "}\n";

static struct sl_ast *ast;
static struct sl_arena *arena;
static struct sl_sources srcs;

static int setup(void **state)
{
	struct sl_diag d;

	sl_sources_init(&srcs);
	arena = sl_arena_new();
	sl_diag_init(&d, &srcs, stderr);
	if (sl_parse_text("p.sluice", policy, strlen(policy), &srcs, arena, &d, &ast))
		return -1;
	return sl_check(ast, &d);
}

static int teardown(void **state)
{
	sl_arena_free(arena);
	sl_sources_fini(&srcs);
	return 0;
}

/* Verdict and deciding line (0: the policy) for a frame. */
static void expect(struct frame f, enum sl_verdict v, uint32_t line)
{
	struct sl_interp_packet p = {.hook = SL_HOOK_XDP, .data = f.b, .len = f.len, .ifindex = 1};
	struct sl_interp_fields fields;
	struct sl_interp_ast_result res;

	sl_interp_parse(&p, &fields);
	assert_int_equal(sl_interp_run_ast(ast, 0, &fields, &res), 0);
	assert_int_equal(res.verdict, v);
	assert_int_equal(res.by_policy, line == 0);
	if (line)
		assert_int_equal(res.rule.line, line);
}

static struct frame tcp_to(uint16_t dport, uint8_t flags)
{
	struct frame f = {0};

	eth(&f, SL_ETH_P_IP);
	ipv4(&f, 6, 0, 0);
	tcp(&f, 1000, dport, flags);
	return f;
}

static struct frame udp_to(uint16_t dport)
{
	struct frame f = {0};

	eth(&f, SL_ETH_P_IP);
	ipv4(&f, 17, 0, 0);
	udp(&f, 1000, dport);
	return f;
}

static void masks_and_sets(void **state)
{
	expect(tcp_to(22, 0x02), SL_VERDICT_ACCEPT, 4); /* syn alone */
	expect(tcp_to(22, 0x12), SL_VERDICT_DROP, 5);	/* syn|ack */
	expect(tcp_to(22, 0x10), SL_VERDICT_DROP, 5);
	expect(tcp_to(8080, 0x02), SL_VERDICT_DROP, 11);  /* jump other: drop */
	expect(tcp_to(9000, 0x02), SL_VERDICT_ACCEPT, 8); /* other returns; saddr 10/8 */
	expect(tcp_to(443, 0x02), SL_VERDICT_ACCEPT, 8);  /* != set: no jump */
}

static void goto_and_missing_fields(void **state)
{
	struct frame f = udp_to(53);

	expect(f, SL_VERDICT_DROP, 0); /* goto dns; daddr is 192.168.1.2; dns ends: policy */
	f.b[33] = 3;		       /* daddr 192.168.1.3 */
	expect(f, SL_VERDICT_ACCEPT, 14);
	/* truncated TCP: no tcp match (not even !=), falls to the saddr rule */
	f = tcp_to(22, 0x02);
	f.len -= 1;
	expect(f, SL_VERDICT_ACCEPT, 8);
	f.b[26] = 11; /* saddr 11.0.0.1 */
	expect(f, SL_VERDICT_DROP, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(masks_and_sets),
	    cmocka_unit_test(goto_and_missing_fields),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
