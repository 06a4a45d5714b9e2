// SPDX-License-Identifier: GPL-2.0-only
/*
 * The checker: the meaning it gives each match (the "checked" fields that
 * lowering consumes), the jump graph, and which policies it rejects. The
 * exact wording of messages is pinned by tests/golden/diagnostics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "front.h"

static const struct sl_ast_match *match_of(const struct sl_ast *ast, unsigned rule, unsigned m)
{
	assert_true(rule < ast->tables[0]->body.nrules);
	assert_true(m < ast->tables[0]->body.rules[rule].nmatches);
	return &ast->tables[0]->body.rules[rule].matches[m];
}

static void assert_range(const struct sl_ast_match *m, unsigned i, sl_u128 lo, sl_u128 hi)
{
	assert_true(i < m->nranges);
	assert_true(m->ranges[i].lo == lo);
	assert_true(m->ranges[i].hi == hi);
}

static void ok(struct front *f, const char *text)
{
	front_run(f, text, true);
	if (f->parse_rc || f->check_rc)
		fail_msg("policy rejected:\n%s", f->out);
	assert_true(f->ast->checked);
}

static void rejects(const char *text, const char *what)
{
	struct front f;

	front_run(&f, text, true);
	if (!f.parse_rc && !f.check_rc)
		fail_msg("accepted: %s", text);
	if (!strstr(f.out, what))
		fail_msg("'%s' not in:\n%s", what, f.out);
	assert_false(f.ast && f.ast->checked);
	front_free(&f);
}

static void warns(const char *text, const char *what)
{
	struct front f;

	ok(&f, text);
	assert_true(f.diag.nwarnings > 0);
	if (!strstr(f.out, what))
		fail_msg("'%s' not in:\n%s", what, f.out);
	front_free(&f);
}

static void values_become_ranges(void **state)
{
	struct front f;
	const struct sl_ast_match *m;

	ok(&f,
	   "table t { hook xdp\n"
	   "  ip saddr 10.1.0.0/16 ip6 daddr 2001:db8::/32 tcp dport { 22, 8000-8999, 0x50 } "
	   "accept\n"
	   "  ether type arp meta l4proto { tcp, 17 } icmp type echo-request drop\n"
	   "  ip dscp ef ip frag later ether saddr 00:00:00:00:00:01 tcp sport != 0-1023 accept\n"
	   "  ip saddr 0.0.0.0/0 ip6 saddr ::/0 accept\n"
	   "}\n");
	m = match_of(f.ast, 0, 0);
	assert_int_equal(m->kind, SL_AST_MATCH_IN);
	assert_int_equal(m->nranges, 1);
	assert_range(m, 0, 0x0a010000, 0x0a01ffff);
	m = match_of(f.ast, 0, 1);
	assert_range(m, 0, (sl_u128)0x20010db8 << 96,
		     ((sl_u128)0x20010db8 << 96) | ((((sl_u128)1) << 96) - 1));
	m = match_of(f.ast, 0, 2);
	assert_int_equal(m->nranges, 3);
	assert_range(m, 0, 22, 22);
	assert_range(m, 1, 8000, 8999);
	assert_range(m, 2, 80, 80);

	assert_range(match_of(f.ast, 1, 0), 0, 0x0806, 0x0806);
	m = match_of(f.ast, 1, 1);
	assert_range(m, 0, 6, 6);
	assert_range(m, 1, 17, 17);
	assert_range(match_of(f.ast, 1, 2), 0, 8, 8);

	assert_range(match_of(f.ast, 2, 0), 0, 46, 46);
	assert_range(match_of(f.ast, 2, 1), 0, SL_FRAG_LATER, SL_FRAG_LATER);
	assert_range(match_of(f.ast, 2, 2), 0, 1, 1);
	m = match_of(f.ast, 2, 3);
	assert_int_equal(m->kind, SL_AST_MATCH_NOT_IN);
	assert_range(m, 0, 0, 1023);

	assert_range(match_of(f.ast, 3, 0), 0, 0, 0xffffffff);
	assert_range(match_of(f.ast, 3, 1), 0, 0, ~(sl_u128)0);
	front_free(&f);
}

static void tcp_flags_forms(void **state)
{
	struct front f;
	const struct sl_ast_match *m;

	ok(&f, "table t { hook xdp\n"
	       "  tcp flags syn|ack tcp flags == syn|ack tcp flags != fin tcp flags { syn, syn|ack "
	       "} accept\n"
	       "  tcp flags & (syn|ack|rst) == syn tcp flags & 0x3f != 0 tcp flags cwr tcp flags 0 "
	       "accept\n"
	       "}\n");
	m = match_of(f.ast, 0, 0); /* the bits are set, others do not matter */
	assert_int_equal(m->kind, SL_AST_MATCH_MASKED);
	assert_int_equal(m->mask_bits, 0x12);
	assert_int_equal(m->want_bits, 0x12);
	m = match_of(f.ast, 0, 1); /* exactly */
	assert_int_equal(m->kind, SL_AST_MATCH_IN);
	assert_range(m, 0, 0x12, 0x12);
	m = match_of(f.ast, 0, 2);
	assert_int_equal(m->kind, SL_AST_MATCH_NOT_IN);
	assert_range(m, 0, 1, 1);
	m = match_of(f.ast, 0, 3); /* a set lists exact values */
	assert_int_equal(m->kind, SL_AST_MATCH_IN);
	assert_int_equal(m->nranges, 2);
	assert_range(m, 1, 0x12, 0x12);
	m = match_of(f.ast, 1, 0);
	assert_int_equal(m->kind, SL_AST_MATCH_MASKED);
	assert_int_equal(m->mask_bits, 0x16);
	assert_int_equal(m->want_bits, 0x02);
	m = match_of(f.ast, 1, 1);
	assert_int_equal(m->kind, SL_AST_MATCH_NOT_MASKED);
	assert_int_equal(m->mask_bits, 0x3f);
	assert_int_equal(m->want_bits, 0);
	m = match_of(f.ast, 1, 2);
	assert_int_equal(m->mask_bits, 0x80);
	m = match_of(f.ast, 1, 3); /* no flag at all */
	assert_int_equal(m->kind, SL_AST_MATCH_IN);
	assert_range(m, 0, 0, 0);
	front_free(&f);
}

static void constants(void **state)
{
	struct front f;
	const struct sl_ast_match *a, *b;

	ok(&f, "const nets = { 10.0.0.0/8, 2001:db8::/32, 192.168.1.1 }\n"
	       "const web = { 80, 443 }\n"
	       "const all = { $web, 8080 }\n"
	       "table t { hook xdp\n"
	       "  ip saddr $nets tcp dport $web accept\n"
	       "  ip6 saddr $nets tcp dport $web accept\n"
	       "  udp dport $all accept\n"
	       "}\n");
	/* each family's field takes its own elements */
	a = match_of(f.ast, 0, 0);
	assert_int_equal(a->nranges, 2);
	assert_range(a, 0, 0x0a000000, 0x0affffff);
	assert_range(a, 1, 0xc0a80101, 0xc0a80101);
	assert_ptr_equal(a->value->ref, f.ast->consts[0]);
	b = match_of(f.ast, 1, 0);
	assert_int_equal(b->nranges, 1);
	/* a constant is resolved once per field and shared */
	assert_ptr_equal(match_of(f.ast, 0, 1)->ranges, match_of(f.ast, 1, 1)->ranges);
	a = match_of(f.ast, 2, 0);
	assert_int_equal(a->nranges, 3);
	assert_range(a, 2, 8080, 8080);
	assert_true(f.ast->consts[2]->used);
	front_free(&f);
}

static void jump_graph(void **state)
{
	struct front f;
	const struct sl_ast_chain *a, *b, *c;

	ok(&f, "table x { hook xdp; jump a; goto c }\n"
	       "table y { hook cgroup_skb egress; jump b }\n"
	       "chain a { jump b }\n"
	       "chain b { tcp dport 1 jump c }\n"
	       "chain c { return }\n");
	a = f.ast->chains[0];
	b = f.ast->chains[1];
	c = f.ast->chains[2];
	assert_ptr_equal(f.ast->tables[0]->body.rules[0].target_chain, a);
	assert_ptr_equal(a->rules[0].target_chain, b);
	assert_int_equal(f.ast->tables[0]->body.depth, 3);
	assert_int_equal(a->depth, 2);
	assert_int_equal(c->depth, 0);
	assert_int_equal(a->hooks, SL_HOOK_BIT(SL_HOOK_XDP));
	assert_int_equal(b->hooks, SL_HOOK_BIT(SL_HOOK_XDP) | SL_HOOK_BIT(SL_HOOK_CGROUP_EGRESS));
	assert_int_equal(c->hooks, b->hooks);
	front_free(&f);
}

static void deep_but_legal_chains(void **state)
{
	/* 16 levels pass; a long line of unused chains needs no recursion */
	char *text = malloc(1 << 20);
	size_t n = 0;
	struct front f;

	n += (size_t)sprintf(text + n, "table t { hook xdp; jump c1 }\n");
	for (int i = 1; i < 16; i++)
		n += (size_t)sprintf(text + n, "chain c%d { jump c%d }\n", i, i + 1);
	n += (size_t)sprintf(text + n, "chain c16 { accept }\n");
	for (int i = 0; i < 20000; i++)
		n += (size_t)sprintf(text + n, "chain u%d { jump u%d }\n", i, i + 1);
	n += (size_t)sprintf(text + n, "chain u20000 { accept }\n");
	front_run(&f, text, true);
	assert_int_equal(f.check_rc, 0);
	assert_int_equal(f.ast->tables[0]->body.depth, 16);
	assert_int_equal(f.diag.nwarnings, 20001); /* the u chains are unused */
	front_free(&f);
	free(text);

	rejects("table t { hook xdp; jump c1 }\n"
		"chain c1 { jump c2 }\nchain c2 { jump c3 }\nchain c3 { jump c4 }\n"
		"chain c4 { jump c5 }\nchain c5 { jump c6 }\nchain c6 { jump c7 }\n"
		"chain c7 { jump c8 }\nchain c8 { jump c9 }\nchain c9 { jump c10 }\n"
		"chain c10 { jump c11 }\nchain c11 { jump c12 }\nchain c12 { jump c13 }\n"
		"chain c13 { jump c14 }\nchain c14 { jump c15 }\nchain c15 { jump c16 }\n"
		"chain c16 { jump c17 }\nchain c17 { accept }\n",
		"nest 17 deep; the limit is 16");
}

static void rejected_policies(void **state)
{
	rejects("table t { hook xdp; tcp dport 70000 }", "70000 is out of range");
	rejects("table t { hook xdp; ip ttl 256 }", "256 is out of range for 'ip ttl'");
	rejects("table t { hook xdp; vlan id 4096 }", "4096 is out of range for 'vlan id'");
	rejects("table t { hook xdp; ip dscp 64 }", "64 is out of range for 'ip dscp'");
	rejects("table t { hook xdp; ip saddr 10.0.0.0/33 }", "prefix length /33");
	rejects("table t { hook xdp; tcp dport 10.0.0.1 }", "takes a port number");
	rejects("table t { hook xdp; ip saddr fe80::1 }", "not an IPv6 address");
	rejects("table t { hook xdp; ip6 saddr 1 }", "not a number");
	rejects("table t { hook xdp; ether saddr 10.0.0.1 }", "takes a MAC address");
	rejects("table t { hook xdp; meta ifindex eth0 }", "'eth0' is not one");
	rejects("table t { hook xdp; icmpv6 type nd-neighbour-solicit }",
		"did you mean 'nd-neighbor-solicit'");
	rejects("table t { hook xdp; tcp dport 10-1 }", "empty range");
	rejects("table t { hook xdp; tcp dport $nope }", "no constant named 'nope'");
	rejects("table t { hook xdp; jump nope }", "no chain named 'nope'");
	rejects("table t { policy drop }", "has no hook");
	rejects("table t { hook xdp }\nchain t { accept }", "already defined");
	rejects("const a = 1\nconst a = 2\ntable t { hook xdp; tcp dport $a }", "already defined");
	rejects("table t { hook cgroup_skb ingress; ether type ip }", "not available on hook");
	rejects("table t { hook xdp; jump c }\nchain c { jump c }", "reaches itself");
	rejects("const a = $a\ntable t { hook xdp; tcp dport $a }", "refers to itself");
	rejects("const a = { 1.2.3.4 }\ntable t { hook xdp; ip6 saddr $a }", "no IPv6 element");
	rejects("table t { hook xdp; ip ttl & 1 == 1 }", "masks work on 'tcp flags' only");
	rejects("table t { hook xdp; tcp flags & { syn } == syn }", "unexpected '{'");
	rejects("const r = 1-2\ntable t { hook xdp; tcp dport $r - 5 }",
		"single values at both ends");
}

static void warnings(void **state)
{
	warns("table t { hook xdp }\nchain c { accept }", "never used");
	warns("const c = 1\ntable t { hook xdp }", "constant 'c' is never used");
	warns("table t { hook xdp; accept; drop }", "never reached");
	warns("table t { hook xdp; tcp dport 1 }", "no effect");
	warns("table t { hook xdp; tcp dport 1 udp dport 2 accept }", "never matches");
	warns("table t { hook xdp; icmp type 1 ip6 saddr ::1 accept }", "never matches");
	warns("table t { hook xdp; tcp flags & syn == fin accept }", "never matches");
}

static void th_ports_combine_with_tcp_and_udp(void **state)
{
	struct front f;

	ok(&f,
	   "table t { hook xdp; th dport 53 udp sport 53 accept; tcp dport 1 th sport 2 accept }");
	assert_int_equal(f.diag.nwarnings, 0);
	front_free(&f);
}

static void large_policy(void **state)
{
	/* 20k rules and 20k chains: names are hashed, nothing is quadratic */
	size_t cap = 8 << 20, n = 0;
	char *text = malloc(cap);
	struct front f;

	n += (size_t)sprintf(text + n, "table t { hook xdp\n");
	for (int i = 0; i < 20000; i++)
		n += (size_t)sprintf(text + n, "  ip saddr 10.%d.%d.0/24 tcp dport %d jump c%d\n",
				     i >> 8, i & 0xff, i % 65536, i);
	n += (size_t)sprintf(text + n, "}\n");
	for (int i = 0; i < 20000; i++)
		n += (size_t)sprintf(text + n, "chain c%d { udp dport %d drop }\n", i, i);
	ok(&f, text);
	assert_int_equal(f.ast->nrules, 40000);
	assert_int_equal(f.diag.nwarnings, 0);
	front_free(&f);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(values_become_ranges),
	    cmocka_unit_test(tcp_flags_forms),
	    cmocka_unit_test(constants),
	    cmocka_unit_test(jump_graph),
	    cmocka_unit_test(deep_but_legal_chains),
	    cmocka_unit_test(rejected_policies),
	    cmocka_unit_test(warnings),
	    cmocka_unit_test(th_ports_combine_with_tcp_and_udp),
	    cmocka_unit_test(large_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
