// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lowering on checked ASTs built by hand (the parser has its own tests; the
 * golden tests in tests/golden/ir run both together).
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

#include "parser/ast.h"
#include "ir/ir.h"
#include "common/sha256.h"

struct fx {
	struct sl_arena *arena;
	struct sl_sources srcs;
	struct sl_diag diag;
	char *diag_buf;
	size_t diag_len;
	FILE *diag_out;
	struct sl_ast ast;
	struct sl_ast_table *tables[4];
	struct sl_ast_chain *chains[4];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *text = "# policy text is only hashed and quoted here\n"
			   "line 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\nline 9\n";

	f->arena = sl_arena_new();
	sl_sources_init(&f->srcs);
	assert_int_equal(sl_sources_add(&f->srcs, "p.sluice", text, strlen(text)), 0);
	f->diag_out = open_memstream(&f->diag_buf, &f->diag_len);
	sl_diag_init(&f->diag, &f->srcs, f->diag_out);
	f->ast.arena = f->arena;
	f->ast.srcs = &f->srcs;
	f->ast.name = "p";
	f->ast.tables = f->tables;
	f->ast.chains = f->chains;
	f->ast.checked = true;
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

static struct sl_loc at(uint32_t line, uint32_t col)
{
	return (struct sl_loc){0, line, col, 1};
}

/* `field in {lo-hi, ...}` (or not in, with negate) from pairs of bounds. */
static struct sl_ast_match in(struct fx *f, enum sl_field field, bool negate, uint32_t npairs,
			      const sl_u128 *bounds)
{
	struct sl_ast_range *r = sl_arena_calloc(f->arena, npairs, sizeof(*r));

	for (uint32_t i = 0; i < npairs; i++) {
		r[i].lo = bounds[2 * i];
		r[i].hi = bounds[2 * i + 1];
	}
	return (struct sl_ast_match){.loc = at(2, 3),
				     .field_loc = at(2, 3),
				     .field = field,
				     .kind = negate ? SL_AST_MATCH_NOT_IN : SL_AST_MATCH_IN,
				     .nranges = npairs,
				     .ranges = r};
}

static struct sl_ast_match eq(struct fx *f, enum sl_field field, sl_u128 v)
{
	sl_u128 b[2] = {v, v};

	return in(f, field, false, 1, b);
}

static struct sl_ast_match range(struct fx *f, enum sl_field field, sl_u128 lo, sl_u128 hi)
{
	sl_u128 b[2] = {lo, hi};

	return in(f, field, false, 1, b);
}

static struct sl_ast_match masked(enum sl_field field, bool negate, uint64_t mask, uint64_t want)
{
	return (struct sl_ast_match){.loc = at(2, 3),
				     .field_loc = at(2, 3),
				     .field = field,
				     .kind = negate ? SL_AST_MATCH_NOT_MASKED : SL_AST_MATCH_MASKED,
				     .mask_bits = mask,
				     .want_bits = want};
}

static struct sl_ast_rule rule(struct fx *f, uint32_t line, enum sl_ast_action action, uint32_t n,
			       const struct sl_ast_match *m)
{
	struct sl_ast_match *copy = sl_arena_calloc(f->arena, n ? n : 1, sizeof(*copy));

	if (n)
		memcpy(copy, m, n * sizeof(*copy));
	for (uint32_t i = 0; i < n; i++)
		copy[i].loc = copy[i].field_loc = at(line, 3 + 4 * i);
	return (struct sl_ast_rule){.loc = at(line, 3),
				    .text = "r",
				    .nmatches = n,
				    .matches = copy,
				    .action = action,
				    .action_loc = at(line, 40)};
}

static struct sl_ast_table *add_table(struct fx *f, const char *name, uint32_t line,
				      enum sl_hook hook, uint32_t nrules, struct sl_ast_rule *rules)
{
	struct sl_ast_table *t = sl_arena_calloc(f->arena, 1, sizeof(*t));
	struct sl_ast_rule *copy = sl_arena_calloc(f->arena, nrules ? nrules : 1, sizeof(*copy));

	if (nrules)
		memcpy(copy, rules, nrules * sizeof(*copy));
	t->name = name;
	t->loc = at(line, 7);
	t->hook = hook;
	t->policy = SL_VERDICT_DROP;
	t->body = (struct sl_ast_chain){.name = name,
					.loc = at(line, 7),
					.table = t,
					.nrules = nrules,
					.rules = copy,
					.hooks = SL_HOOK_BIT(hook)};
	f->tables[f->ast.ntables++] = t;
	return t;
}

static struct sl_ast_chain *add_chain(struct fx *f, const char *name, uint32_t line, unsigned hooks,
				      uint32_t nrules, struct sl_ast_rule *rules)
{
	struct sl_ast_chain *c = sl_arena_calloc(f->arena, 1, sizeof(*c));
	struct sl_ast_rule *copy = sl_arena_calloc(f->arena, nrules ? nrules : 1, sizeof(*copy));

	if (nrules)
		memcpy(copy, rules, nrules * sizeof(*copy));
	*c = (struct sl_ast_chain){
	    .name = name, .loc = at(line, 7), .nrules = nrules, .rules = copy, .hooks = hooks};
	f->chains[f->ast.nchains++] = c;
	return c;
}

static struct sl_ir *lower_ok(struct fx *f)
{
	struct sl_ir *ir = NULL;

	char err[256];

	assert_int_equal(sl_ir_lower(&f->ast, f->arena, &f->diag, &ir), 0);
	assert_non_null(ir);
	if (sl_ir_verify(ir, err, sizeof(err)))
		fail_msg("lowered IR breaks an invariant: %s", err);
	return ir;
}

static char *rule_text(const struct sl_ir *ir, const struct sl_ir_rule *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	for (uint32_t i = 0; i < r->npreds; i++) {
		if (i)
			fputs(", ", out);
		sl_ir_dump_pred(&r->preds[i], out);
	}
	fclose(out);
	return buf;
}

static void assert_rule(const struct sl_ir *ir, uint32_t chain, uint32_t idx, const char *want)
{
	char *got;

	assert_true(chain < ir->nchains);
	assert_true(idx < ir->chains[chain].nrules);
	got = rule_text(ir, &ir->chains[chain].rules[idx]);
	assert_string_equal(got, want);
	free(got);
}

static void implied_protocols_become_predicates(void **state)
{
	struct fx *f = *state;
	struct sl_ast_match m0[] = {
	    eq(f, SL_FIELD_TCP_DPORT, 22),
	    in(f, SL_FIELD_IP_SADDR, false, 1, (sl_u128[]){0x0a010000, 0x0a01ffff})};
	struct sl_ast_match m1[] = {eq(f, SL_FIELD_TH_DPORT, 53)};
	struct sl_ast_match m2[] = {eq(f, SL_FIELD_ICMP_TYPE, 8)};
	struct sl_ast_match m3[] = {eq(f, SL_FIELD_ICMP6_TYPE, 128)};
	struct sl_ast_match m4[] = {eq(f, SL_FIELD_ETHER_TYPE, SL_ETH_P_ARP)};
	struct sl_ast_rule rules[] = {
	    rule(f, 2, SL_AST_ACCEPT, 2, m0), rule(f, 3, SL_AST_ACCEPT, 1, m1),
	    rule(f, 4, SL_AST_ACCEPT, 1, m2), rule(f, 5, SL_AST_ACCEPT, 1, m3),
	    rule(f, 6, SL_AST_ACCEPT, 1, m4),
	};
	struct sl_ir *ir;

	add_table(f, "t", 1, SL_HOOK_XDP, 5, rules);
	ir = lower_ok(f);
	assert_rule(ir, 0, 0,
		    "meta protocol ip, meta l4proto tcp, ip saddr 10.1.0.0/16, tcp dport 22");
	assert_rule(ir, 0, 1, "meta l4proto { tcp, udp }, th dport 53");
	assert_rule(ir, 0, 2, "meta protocol ip, meta l4proto icmp, icmp type echo-request");
	assert_rule(ir, 0, 3, "meta protocol ip6, meta l4proto icmpv6, icmpv6 type echo-request");
	/* ether type is meta protocol */
	assert_rule(ir, 0, 4, "meta protocol arp");
	assert_int_equal(ir->chains[0].rules[4].preds[0].field, SL_FIELD_META_PROTOCOL);
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(ir->chains[0].rules[i].id, i);
	assert_int_equal(f->diag.nwarnings, 0);
}

static void matches_on_one_field_intersect(void **state)
{
	struct fx *f = *state;
	sl_u128 web[] = {80, 80, 443, 443, 8000, 8999, 8080, 8080};
	struct sl_ast_match m0[] = {in(f, SL_FIELD_TCP_DPORT, false, 4, web),
				    range(f, SL_FIELD_TCP_DPORT, 443, 8500)};
	/* != 22 and != 23: the complement of both */
	struct sl_ast_match m1[] = {eq(f, SL_FIELD_UDP_DPORT, 22), eq(f, SL_FIELD_UDP_DPORT, 23)};
	struct sl_ast_match m2[] = {eq(f, SL_FIELD_META_PROTOCOL, SL_ETH_P_IP),
				    eq(f, SL_FIELD_IP_DADDR, 0x7f000001)};
	struct sl_ast_rule rules[3];
	struct sl_ir *ir;

	m1[0].kind = m1[1].kind = SL_AST_MATCH_NOT_IN;
	rules[0] = rule(f, 2, SL_AST_DROP, 2, m0);
	rules[1] = rule(f, 3, SL_AST_DROP, 2, m1);
	rules[2] = rule(f, 4, SL_AST_DROP, 2, m2);
	add_table(f, "t", 1, SL_HOOK_TC_INGRESS, 3, rules);
	ir = lower_ok(f);
	assert_rule(ir, 0, 0, "meta l4proto tcp, tcp dport { 443, 8000-8500 }");
	assert_rule(ir, 0, 1, "meta l4proto udp, udp dport { 0-21, 24-65535 }");
	/* the explicit protocol and the implied one merge into one predicate */
	assert_rule(ir, 0, 2, "meta protocol ip, ip daddr 127.0.0.1");
	assert_int_equal(ir->chains[0].rules[2].npreds, 2);
}

static void masked_and_not_masked(void **state)
{
	struct fx *f = *state;
	struct sl_ast_match m0[] = {masked(SL_FIELD_TCP_FLAGS, false, 0x12, 0x02)};
	struct sl_ast_match m1[] = {masked(SL_FIELD_TCP_FLAGS, true, 0x04, 0x04)};
	struct sl_ast_rule rules[] = {rule(f, 2, SL_AST_ACCEPT, 1, m0),
				      rule(f, 3, SL_AST_ACCEPT, 1, m1)};
	struct sl_ir *ir;
	const struct sl_ir_pred *p;

	add_table(f, "t", 1, SL_HOOK_XDP, 2, rules);
	ir = lower_ok(f);
	assert_rule(ir, 0, 0, "meta l4proto tcp, tcp flags & (syn|ack) == syn");
	assert_rule(ir, 0, 1, "meta l4proto tcp, tcp flags & rst == 0x00");
	p = &ir->chains[0].rules[0].preds[1];
	for (unsigned v = 0; v < 256; v++)
		assert_int_equal(sl_iset_contains(p->set, v), (v & 0x12) == 0x02);
}

static void impossible_rules_are_reported_and_left_out(void **state)
{
	struct fx *f = *state;
	/* the checker reports these two: lowering only leaves them out */
	struct sl_ast_match m0[] = {eq(f, SL_FIELD_IP_SADDR, 1), eq(f, SL_FIELD_IP6_DADDR, 1)};
	struct sl_ast_match m2[] = {masked(SL_FIELD_TCP_FLAGS, false, 0x02, 0x10)};
	/* these only show once sets are intersected */
	struct sl_ast_match m1[] = {eq(f, SL_FIELD_TCP_DPORT, 22), eq(f, SL_FIELD_TCP_DPORT, 23)};
	struct sl_ast_match m3[] = {eq(f, SL_FIELD_UDP_DPORT, 53), eq(f, SL_FIELD_META_L4PROTO, 6)};
	struct sl_ast_match m4[] = {range(f, SL_FIELD_TH_DPORT, 0, 65535)};
	struct sl_ast_match m5[] = {eq(f, SL_FIELD_META_PROTOCOL, SL_ETH_P_IPV6),
				    eq(f, SL_FIELD_ICMP_CODE, 3)};
	struct sl_ast_match ok[] = {eq(f, SL_FIELD_TCP_DPORT, 25)};
	struct sl_ast_rule rules[] = {
	    rule(f, 2, SL_AST_ACCEPT, 1, ok), rule(f, 3, SL_AST_ACCEPT, 2, m0),
	    rule(f, 4, SL_AST_ACCEPT, 2, m1), rule(f, 5, SL_AST_ACCEPT, 1, m2),
	    rule(f, 6, SL_AST_ACCEPT, 2, m3), rule(f, 7, SL_AST_ACCEPT, 1, m4),
	    rule(f, 8, SL_AST_ACCEPT, 2, m5), rule(f, 9, SL_AST_DROP, 1, ok),
	};
	struct sl_ir *ir;
	const char *d;

	rules[5].matches[0].kind = SL_AST_MATCH_NOT_IN;
	add_table(f, "t", 1, SL_HOOK_XDP, 8, rules);
	ir = lower_ok(f);
	assert_int_equal(ir->chains[0].nrules, 2);
	assert_int_equal(ir->nrules, 2);
	assert_int_equal(ir->chains[0].rules[0].loc.line, 2);
	assert_int_equal(ir->chains[0].rules[1].loc.line, 9);
	assert_int_equal(ir->chains[0].rules[1].id, 1);
	assert_int_equal(f->diag.nwarnings, 4);
	d = diag_text(f);
	assert_null(strstr(d, "p.sluice:3:"));
	assert_null(strstr(d, "p.sluice:5:"));
	assert_non_null(strstr(d, "p.sluice:4:3: warning: rule can never match: its conditions on "
				  "tcp dport exclude each other"));
	assert_non_null(strstr(d, "p.sluice:4:3: note: this match allows tcp dport 22"));
	assert_non_null(strstr(d, "p.sluice:4:7: note: this match allows tcp dport 23"));
	assert_non_null(strstr(d, "p.sluice:6:3: warning: rule can never match: its conditions on "
				  "meta l4proto exclude each other"));
	assert_non_null(strstr(d, "p.sluice:6:3: note: udp dport needs meta l4proto udp"));
	assert_non_null(strstr(d, "p.sluice:6:7: note: this match allows meta l4proto tcp"));
	assert_non_null(strstr(d, "p.sluice:7:3: warning: rule can never match: no value of "
				  "th dport satisfies this match"));
	assert_non_null(strstr(d, "p.sluice:8:3: warning: rule can never match: its conditions on "
				  "meta protocol exclude each other"));
	assert_non_null(strstr(d, "p.sluice:8:3: note: this match allows meta protocol ip6"));
	assert_non_null(strstr(d, "p.sluice:8:7: note: icmp code needs meta protocol ip"));
}

static void full_domain_predicates_fold_only_when_presence_is_implied(void **state)
{
	struct fx *f = *state;
	struct sl_ast_match m0[] = {range(f, SL_FIELD_META_LENGTH, 0, 0xffffffff),
				    eq(f, SL_FIELD_META_IFINDEX, 2)};
	/* tcp dport 0-65535 alone still needs a TCP header */
	struct sl_ast_match m1[] = {range(f, SL_FIELD_TCP_DPORT, 0, 65535)};
	/* ... but not next to tcp sport 80, which needs the same header */
	struct sl_ast_match m2[] = {range(f, SL_FIELD_TCP_DPORT, 0, 65535),
				    eq(f, SL_FIELD_TCP_SPORT, 80)};
	/* two full ones: keeping one is enough */
	struct sl_ast_match m3[] = {range(f, SL_FIELD_TCP_DPORT, 0, 65535),
				    range(f, SL_FIELD_TCP_SPORT, 0, 65535),
				    range(f, SL_FIELD_TH_SPORT, 0, 65535)};
	/* ip saddr 0.0.0.0/0 is implied by icmp (IPv4 header) */
	struct sl_ast_match m4[] = {range(f, SL_FIELD_IP_SADDR, 0, 0xffffffff),
				    eq(f, SL_FIELD_ICMP_TYPE, 0)};
	/* meta l4proto 0-255 next to meta protocol ip and ip ttl: the IPv4 header gives it */
	struct sl_ast_match m5[] = {range(f, SL_FIELD_META_L4PROTO, 0, 255),
				    eq(f, SL_FIELD_IP_TTL, 64)};
	/* ip6 saddr ::/0 alone: meta protocol ip6 does not say the IPv6 header is whole */
	struct sl_ast_match m6[] = {range(f, SL_FIELD_IP6_SADDR, 0, ~(sl_u128)0)};
	/* ... an upper-layer protocol found behind it does */
	struct sl_ast_match m7[] = {range(f, SL_FIELD_IP6_SADDR, 0, ~(sl_u128)0),
				    eq(f, SL_FIELD_META_L4PROTO, 6),
				    eq(f, SL_FIELD_META_PROTOCOL, SL_ETH_P_IPV6)};
	/* vlan id 0-4095: only the tag says the tag is there */
	struct sl_ast_match m8[] = {range(f, SL_FIELD_VLAN_ID, 0, 4095), eq(f, SL_FIELD_IP_TTL, 1)};
	struct sl_ast_rule rules[] = {
	    rule(f, 2, SL_AST_ACCEPT, 2, m0), rule(f, 3, SL_AST_ACCEPT, 1, m1),
	    rule(f, 4, SL_AST_ACCEPT, 2, m2), rule(f, 5, SL_AST_ACCEPT, 3, m3),
	    rule(f, 6, SL_AST_ACCEPT, 2, m4), rule(f, 7, SL_AST_ACCEPT, 2, m5),
	    rule(f, 8, SL_AST_ACCEPT, 1, m6), rule(f, 9, SL_AST_ACCEPT, 3, m7),
	    rule(f, 9, SL_AST_ACCEPT, 2, m8),
	};
	struct sl_ir *ir;

	add_table(f, "t", 1, SL_HOOK_XDP, 9, rules);
	ir = lower_ok(f);
	assert_rule(ir, 0, 0, "meta ifindex 2");
	assert_rule(ir, 0, 1, "meta l4proto tcp, tcp dport 0-65535");
	assert_rule(ir, 0, 2, "meta l4proto tcp, tcp sport 80");
	assert_rule(ir, 0, 3, "meta l4proto tcp, tcp sport 0-65535");
	assert_rule(ir, 0, 4, "meta protocol ip, meta l4proto icmp, icmp type echo-reply");
	assert_rule(ir, 0, 5, "meta protocol ip, ip ttl 64");
	assert_rule(ir, 0, 6, "meta protocol ip6, ip6 saddr ::/0");
	assert_rule(ir, 0, 7, "meta protocol ip6, meta l4proto tcp");
	assert_rule(ir, 0, 8, "meta protocol ip, vlan id 0-4095, ip ttl 1");
	assert_int_equal(f->diag.nwarnings, 0);
}

static void cgroup_meta_protocol_is_always_there(void **state)
{
	struct fx *f = *state;
	struct sl_ast_match m0[] = {range(f, SL_FIELD_META_PROTOCOL, 0, 0xffff)};
	struct sl_ast_rule rules[] = {rule(f, 2, SL_AST_ACCEPT, 1, m0)};
	struct sl_ir *ir;

	add_table(f, "x", 1, SL_HOOK_XDP, 1, rules);
	add_table(f, "c", 3, SL_HOOK_CGROUP_EGRESS, 1, rules);
	ir = lower_ok(f);
	assert_rule(ir, 0, 0, "meta protocol 0x0000-0xffff");
	assert_int_equal(ir->chains[1].rules[0].npreds, 0);
}

static void chains_jumps_and_source_order_ids(void **state)
{
	struct fx *f = *state;
	struct sl_ast_match m[] = {eq(f, SL_FIELD_TCP_DPORT, 25)};
	struct sl_ast_rule crules[] = {rule(f, 2, SL_AST_DROP, 1, m),
				       rule(f, 3, SL_AST_RETURN, 0, NULL)};
	struct sl_ast_rule trules[] = {rule(f, 6, SL_AST_JUMP, 0, NULL),
				       rule(f, 7, SL_AST_GOTO, 1, m),
				       rule(f, 8, SL_AST_CONTINUE, 0, NULL)};
	struct sl_ast_chain *c;
	struct sl_ast_table *t;
	struct sl_ir *ir;

	/* chain first in the file, the table below it */
	c = add_chain(f, "quarantine", 1, SL_HOOK_BIT(SL_HOOK_XDP), 2, crules);
	t = add_table(f, "edge", 5, SL_HOOK_XDP, 3, trules);
	t->body.rules[0].target_chain = c;
	t->body.rules[0].target = "quarantine";
	t->body.rules[1].target_chain = c;
	t->body.rules[2].counter = true;
	t->policy = SL_VERDICT_ACCEPT;
	ir = lower_ok(f);

	assert_int_equal(ir->ntables, 1);
	assert_int_equal(ir->nchains, 2);
	assert_string_equal(ir->chains[0].name, "edge");
	assert_string_equal(ir->chains[1].name, "quarantine");
	assert_int_equal(ir->tables[0].entry, 0);
	assert_int_equal(ir->tables[0].policy, SL_VERDICT_ACCEPT);
	assert_int_equal(ir->chains[0].rules[0].action, SL_IR_JUMP);
	assert_int_equal(ir->chains[0].rules[0].target, 1);
	assert_int_equal(ir->chains[0].rules[1].action, SL_IR_GOTO);
	assert_int_equal(ir->chains[0].rules[1].target, 1);
	assert_int_equal(ir->chains[0].rules[2].action, SL_IR_CONTINUE);
	assert_true(ir->chains[0].rules[2].counter);
	assert_int_equal(ir->chains[1].rules[1].action, SL_IR_RETURN);
	/* ids follow the text: the chain's rules come first */
	assert_int_equal(ir->chains[1].rules[0].id, 0);
	assert_int_equal(ir->chains[1].rules[1].id, 1);
	assert_int_equal(ir->chains[0].rules[0].id, 2);
	assert_int_equal(ir->chains[0].rules[2].id, 4);
	assert_int_equal(ir->nrules, 5);
}

static void ids_follow_includes(void **state)
{
	struct fx *f = *state;
	const char *inc = "chain c {\n  return\n}\n";
	struct sl_ast_rule crules[] = {rule(f, 2, SL_AST_RETURN, 0, NULL)};
	struct sl_ast_rule t1[] = {rule(f, 2, SL_AST_ACCEPT, 0, NULL)};
	struct sl_ast_rule t2[] = {rule(f, 8, SL_AST_ACCEPT, 0, NULL)};
	struct sl_ast_chain *c;
	struct sl_ir *ir;
	int idx;

	/* main: table a (line 1), include at line 5, table b (line 7); c.sluice holds chain c */
	idx = sl_sources_add(&f->srcs, "c.sluice", inc, strlen(inc));
	assert_int_equal(idx, 1);
	f->srcs.files[1].included_from = at(5, 1);
	add_table(f, "a", 1, SL_HOOK_XDP, 1, t1);
	add_table(f, "b", 7, SL_HOOK_XDP, 1, t2);
	c = add_chain(f, "c", 1, SL_HOOK_BIT(SL_HOOK_XDP), 1, crules);
	c->loc.file = 1;
	c->rules[0].loc.file = 1;
	ir = lower_ok(f);
	assert_int_equal(ir->chains[0].rules[0].id, 0); /* a */
	assert_int_equal(ir->chains[2].rules[0].id, 1); /* c, included before b */
	assert_int_equal(ir->chains[1].rules[0].id, 2); /* b */
}

static void name_and_source_hash(void **state)
{
	struct fx *f = *state;
	const char *inc = "chain c {\n}\n";
	struct sl_sha256 ctx;
	uint8_t want[32];
	struct sl_ir *ir;

	assert_int_equal(sl_sources_add(&f->srcs, "c.sluice", inc, strlen(inc)), 1);
	add_table(f, "t", 1, SL_HOOK_XDP, 0, NULL);
	ir = lower_ok(f);
	sl_sha256_init(&ctx);
	sl_sha256_update(&ctx, f->srcs.files[0].text, f->srcs.files[0].size);
	sl_sha256_update(&ctx, inc, strlen(inc));
	sl_sha256_final(&ctx, want);
	assert_memory_equal(ir->source_hash, want, 32);
	assert_string_equal(ir->name, "p");
	assert_ptr_equal(ir->srcs, &f->srcs);
	assert_int_equal(ir->chains[0].nrules, 0);
	assert_int_equal(ir->nrules, 0);
}

static void unchecked_ast_is_refused(void **state)
{
	struct fx *f = *state;
	struct sl_ir *ir = (void *)1;

	f->ast.checked = false;
	assert_int_equal(sl_ir_lower(&f->ast, f->arena, &f->diag, &ir), -EINVAL);
	assert_null(ir);
	assert_int_equal(f->diag.nerrors, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(implied_protocols_become_predicates, setup, teardown),
	    cmocka_unit_test_setup_teardown(matches_on_one_field_intersect, setup, teardown),
	    cmocka_unit_test_setup_teardown(masked_and_not_masked, setup, teardown),
	    cmocka_unit_test_setup_teardown(impossible_rules_are_reported_and_left_out, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		full_domain_predicates_fold_only_when_presence_is_implied, setup, teardown),
	    cmocka_unit_test_setup_teardown(cgroup_meta_protocol_is_always_there, setup, teardown),
	    cmocka_unit_test_setup_teardown(chains_jumps_and_source_order_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(ids_follow_includes, setup, teardown),
	    cmocka_unit_test_setup_teardown(name_and_source_hash, setup, teardown),
	    cmocka_unit_test_setup_teardown(unchecked_ast_is_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
