// SPDX-License-Identifier: GPL-2.0-only
/* Rule evaluation: lang-spec/packet-semantics.md sections 1, 2 (counters) and 7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "frames.h"
#include "interp/interp.h"
#include "ir/ir.h"

/* Interval sets written as literals. */
static const struct sl_interval port_22[] = {{22, 22}};
static const struct sl_interval not_22[] = {{0, 21}, {23, 65535}};
static const struct sl_interval port_1000_2000[] = {{1000, 2000}};
static const struct sl_interval proto_tcp[] = {{6, 6}};
static const struct sl_interval proto_udp[] = {{17, 17}};
static const struct sl_interval net_10[] = {{0x0a000000, 0x0affffff}};

#define SET(a) ((struct sl_iset){SL_ARRAY_SIZE(a), a})
#define PRED(f, a)                                                                                 \
	{                                                                                          \
		.field = (f), .set = SET(a)                                                        \
	}

static struct sl_ir_pred tcp22[] = {PRED(SL_FIELD_META_L4PROTO, proto_tcp),
				    PRED(SL_FIELD_TCP_DPORT, port_22)};
static struct sl_ir_pred tcp_not22[] = {PRED(SL_FIELD_META_L4PROTO, proto_tcp),
					PRED(SL_FIELD_TCP_DPORT, not_22)};
static struct sl_ir_pred udp_any[] = {PRED(SL_FIELD_META_L4PROTO, proto_udp)};
static struct sl_ir_pred src10[] = {PRED(SL_FIELD_IP_SADDR, net_10)};
static struct sl_ir_pred udp_high[] = {PRED(SL_FIELD_META_L4PROTO, proto_udp),
				       PRED(SL_FIELD_UDP_DPORT, port_1000_2000)};

static struct sl_ir_rule rule(uint32_t id, struct sl_ir_pred *preds, uint32_t n,
			      enum sl_ir_action action, uint32_t target, bool counter)
{
	return (struct sl_ir_rule){.id = id,
				   .preds = preds,
				   .npreds = n,
				   .action = action,
				   .target = target,
				   .counter = counter};
}

static struct sl_interp_packet packet(struct frame *f, enum sl_hook hook)
{
	return (struct sl_interp_packet){.hook = hook, .data = f->b, .len = f->len, .ifindex = 1};
}

static struct frame tcp_frame(uint16_t dport)
{
	struct frame f = {0};

	eth(&f, SL_ETH_P_IP);
	ipv4(&f, 6, 0, 0);
	tcp(&f, 1234, dport, 0x02);
	return f;
}

static struct frame udp_frame(uint16_t dport)
{
	struct frame f = {0};

	eth(&f, SL_ETH_P_IP);
	ipv4(&f, 17, 0, 0);
	udp(&f, 1234, dport);
	return f;
}

static void run(const struct sl_ir *ir, struct frame f, enum sl_verdict verdict, uint32_t rule_id,
		struct sl_interp_counter *counters)
{
	struct sl_interp_packet p = packet(&f, ir->tables[0].hook);
	struct sl_interp_result res = {SL_VERDICT_ACCEPT, 12345};

	assert_int_equal(sl_interp_run(ir, 0, &p, &res, counters), 0);
	assert_int_equal(res.verdict, verdict);
	assert_int_equal(res.rule, rule_id);
}

/* Section 1: a missing field is false whatever the operator; section 7: first match. */
static void first_match_and_missing_fields(void **state)
{
	struct sl_ir_rule rules[] = {
	    rule(0, tcp_not22, 2, SL_IR_DROP, 0, false),
	    rule(1, tcp22, 2, SL_IR_ACCEPT, 0, false),
	    rule(2, udp_any, 1, SL_IR_ACCEPT, 0, false),
	    rule(3, udp_any, 1, SL_IR_DROP, 0, false),
	};
	struct sl_ir_chain chains[] = {{.name = "t", .nrules = 4, .rules = rules}};
	struct sl_ir_table tables[] = {
	    {.name = "t", .hook = SL_HOOK_XDP, .policy = SL_VERDICT_DROP, .entry = 0}};
	struct sl_ir ir = {
	    .ntables = 1, .tables = tables, .nchains = 1, .chains = chains, .nrules = 4};

	run(&ir, tcp_frame(22), SL_VERDICT_ACCEPT, 1, NULL);
	run(&ir, tcp_frame(23), SL_VERDICT_DROP, 0, NULL);
	run(&ir, udp_frame(22), SL_VERDICT_ACCEPT, 2, NULL);
	/* truncated TCP: `tcp dport != 22` does not match, nor does anything else */
	struct frame f = tcp_frame(80);
	f.len -= 1;
	run(&ir, f, SL_VERDICT_DROP, SL_INTERP_POLICY, NULL);
	tables[0].policy = SL_VERDICT_ACCEPT;
	run(&ir, f, SL_VERDICT_ACCEPT, SL_INTERP_POLICY, NULL);
}

/* Section 7: counter counts and continues; bytes are meta length. */
static void counters_count_and_continue(void **state)
{
	struct sl_ir_rule rules[] = {
	    rule(0, NULL, 0, SL_IR_CONTINUE, 0, true),
	    rule(1, src10, 1, SL_IR_CONTINUE, 0, true),
	    rule(2, tcp22, 2, SL_IR_ACCEPT, 0, true),
	    rule(3, NULL, 0, SL_IR_DROP, 0, false),
	};
	struct sl_ir_chain chains[] = {{.name = "t", .nrules = 4, .rules = rules}};
	struct sl_ir_table tables[] = {
	    {.name = "t", .hook = SL_HOOK_TC_EGRESS, .policy = SL_VERDICT_ACCEPT, .entry = 0}};
	struct sl_ir ir = {
	    .ntables = 1, .tables = tables, .nchains = 1, .chains = chains, .nrules = 4};
	struct sl_interp_counter c[4] = {0};

	run(&ir, tcp_frame(22), SL_VERDICT_ACCEPT, 2, c);
	run(&ir, tcp_frame(80), SL_VERDICT_DROP, 3, c);
	assert_int_equal(c[0].packets, 2);
	assert_int_equal(c[0].bytes, 2 * 54);
	assert_int_equal(c[1].packets, 2);
	assert_int_equal(c[2].packets, 1);
	assert_int_equal(c[2].bytes, 54);
	assert_int_equal(c[3].packets, 0);
}

/* Section 7: jump comes back, goto returns from the caller, return at top is the policy. */
static void jump_goto_return(void **state)
{
	/* chain 0 = table t; chain 1 = "ssh", chain 2 = "udpc" */
	struct sl_ir_rule t_rules[] = {
	    rule(0, tcp_not22, 2, SL_IR_JUMP, 1, true), /* jump ssh */
	    rule(1, udp_any, 1, SL_IR_GOTO, 2, false),	/* goto udpc */
	    rule(2, tcp22, 2, SL_IR_RETURN, 0, false),	/* return: policy */
	    rule(3, NULL, 0, SL_IR_DROP, 0, false),
	};
	struct sl_ir_rule ssh_rules[] = {
	    rule(4, src10, 1, SL_IR_RETURN, 0, true),
	    rule(5, NULL, 0, SL_IR_ACCEPT, 0, false),
	};
	struct sl_ir_rule udp_rules[] = {
	    rule(6, udp_high, 2, SL_IR_ACCEPT, 0, false),
	};
	struct sl_ir_chain chains[] = {
	    {.name = "t", .nrules = 4, .rules = t_rules},
	    {.name = "ssh", .nrules = 2, .rules = ssh_rules},
	    {.name = "udpc", .nrules = 1, .rules = udp_rules},
	};
	struct sl_ir_table tables[] = {
	    {.name = "t", .hook = SL_HOOK_XDP, .policy = SL_VERDICT_ACCEPT, .entry = 0}};
	struct sl_ir ir = {
	    .ntables = 1, .tables = tables, .nchains = 3, .chains = chains, .nrules = 7};
	struct sl_interp_counter c[7] = {0};

	/* src 10.0.0.1: ssh returns at rule 4, back in t: rule 3 drops */
	run(&ir, tcp_frame(80), SL_VERDICT_DROP, 3, c);
	assert_int_equal(c[0].packets, 1);
	assert_int_equal(c[4].packets, 1);
	/* udp 1500: goto udpc accepts; udp 53: udpc ends, t returns -> policy */
	run(&ir, udp_frame(1500), SL_VERDICT_ACCEPT, 6, c);
	run(&ir, udp_frame(53), SL_VERDICT_ACCEPT, SL_INTERP_POLICY, c);
	tables[0].policy = SL_VERDICT_DROP;
	run(&ir, udp_frame(53), SL_VERDICT_DROP, SL_INTERP_POLICY, c);
	run(&ir, tcp_frame(22), SL_VERDICT_DROP, SL_INTERP_POLICY, c);

	/* another source address: ssh's rule 5 accepts */
	struct frame f = tcp_frame(80);
	f.b[26] = 11;
	run(&ir, f, SL_VERDICT_ACCEPT, 5, c);
	assert_int_equal(c[0].packets, 2);
	assert_int_equal(c[4].packets, 1);
}

static void bad_input(void **state)
{
	struct sl_ir_rule rules[] = {rule(0, NULL, 0, SL_IR_JUMP, 0, false)};
	struct sl_ir_chain chains[] = {{.name = "t", .nrules = 1, .rules = rules}};
	struct sl_ir_table tables[] = {
	    {.name = "t", .hook = SL_HOOK_CGROUP_EGRESS, .policy = SL_VERDICT_DROP, .entry = 0}};
	struct sl_ir ir = {
	    .ntables = 1, .tables = tables, .nchains = 1, .chains = chains, .nrules = 1};
	struct frame f = udp_frame(1);
	struct sl_interp_packet p = packet(&f, SL_HOOK_XDP);
	struct sl_interp_result res;

	assert_int_equal(sl_interp_run(&ir, 0, &p, &res, NULL), -EINVAL); /* wrong hook */
	assert_int_equal(sl_interp_run(&ir, 1, &p, &res, NULL), -EINVAL); /* no such table */
	p.hook = SL_HOOK_CGROUP_EGRESS;
	assert_int_equal(sl_interp_run(&ir, 0, &p, &res, NULL), -ELOOP); /* self jump */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(first_match_and_missing_fields),
	    cmocka_unit_test(counters_count_and_continue),
	    cmocka_unit_test(jump_goto_return),
	    cmocka_unit_test(bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
