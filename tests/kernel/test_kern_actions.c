// SPDX-License-Identifier: GPL-2.0-only
/*
 * Evaluation in the kernel (packet-semantics.md section 7): counters that go
 * on, jump / goto / return, chain ends, the table policy, the deciding rule
 * recorded; 16 nested jumps; and a chain longer than the 16-bit jump range
 * (its `return` crosses islands).
 */
#include "kt.h"

#define POLICY		SLUICE_DECISION_POLICY
#define NET(a, b, c, d) SL_IP4(a, b, c, d)

struct ids {
	uint32_t r0, r1, r2, r3, q0, q1, q2, q3, q4, g0;
};

static struct sl_ir *build(struct sl_arena *a, enum sl_hook hook, struct ids *id)
{
	struct sl_ir *ir = sl_irb_new(a, "actions");
	uint32_t t = sl_irb_table(ir, "actions", hook, SL_VERDICT_DROP);
	uint32_t c = sl_irb_entry(ir, t), q = sl_irb_chain(ir, "quarantine"),
		 g = sl_irb_chain(ir, "g");

	id->r0 = sl_irb_rule(ir, c, SL_IR_CONTINUE, 0, true);
	sl_irb_pred(ir, id->r0, SL_FIELD_IP_SADDR, NET(10, 0, 0, 1), NET(10, 0, 0, 1));
	sl_irb_implied(ir, id->r0);
	id->r1 = sl_irb_rule(ir, c, SL_IR_JUMP, q, false);
	sl_irb_pred(ir, id->r1, SL_FIELD_IP_SADDR, NET(10, 0, 0, 0), NET(10, 0, 0, 255));
	sl_irb_implied(ir, id->r1);
	id->r2 = sl_irb_rule(ir, c, SL_IR_ACCEPT, 0, false);
	sl_irb_pred(ir, id->r2, SL_FIELD_TCP_DPORT, 25, 25);
	sl_irb_implied(ir, id->r2);
	id->r3 = sl_irb_rule(ir, c, SL_IR_ACCEPT, 0, true);
	sl_irb_pred(ir, id->r3, SL_FIELD_UDP_DPORT, 25, 25);
	sl_irb_implied(ir, id->r3);

	id->q0 = sl_irb_rule(ir, q, SL_IR_DROP, 0, true);
	sl_irb_pred(ir, id->q0, SL_FIELD_UDP_DPORT, 25, 25);
	sl_irb_implied(ir, id->q0);
	id->q1 = sl_irb_rule(ir, q, SL_IR_CONTINUE, 0, true);
	id->q2 = sl_irb_rule(ir, q, SL_IR_RETURN, 0, false);
	sl_irb_pred(ir, id->q2, SL_FIELD_TCP_DPORT, 25, 25);
	sl_irb_implied(ir, id->q2);
	id->q3 = sl_irb_rule(ir, q, SL_IR_GOTO, g, false);
	sl_irb_pred(ir, id->q3, SL_FIELD_TCP_DPORT, 26, 26);
	sl_irb_implied(ir, id->q3);
	id->q4 = sl_irb_rule(ir, q, SL_IR_ACCEPT, 0, false);

	id->g0 = sl_irb_rule(ir, g, SL_IR_DROP, 0, false);
	sl_irb_pred(ir, id->g0, SL_FIELD_TCP_SPORT, 7, 7);
	sl_irb_implied(ir, id->g0);
	return ir;
}

struct probe {
	uint32_t saddr;
	bool udp;
	uint16_t sport, dport;
	int rule; /* index into struct ids, -1 = policy */
};

static void test_chains(struct kt *kt, enum sl_hook hook)
{
	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	struct ids id;
	struct sl_ir *ir = build(a, hook, &id);
	const uint32_t *by = (const uint32_t *)&id;
	enum { R0, R1, R2, R3, Q0, Q1, Q2, Q3, Q4, G0 };
	const struct probe probes[] = {
	    {NET(10, 0, 0, 1), true, 1, 25, Q0},  {NET(10, 0, 0, 1), false, 1, 25, R2},
	    {NET(10, 0, 0, 1), false, 7, 26, G0}, {NET(10, 0, 0, 1), false, 8, 26, -1},
	    {NET(10, 0, 0, 1), false, 8, 27, Q4}, {NET(10, 9, 0, 1), false, 8, 25, R2},
	    {NET(10, 9, 0, 1), true, 8, 25, R3},  {NET(10, 9, 0, 1), true, 8, 26, -1},
	};
	uint64_t want_pk[10] = {0}, want_by[10] = {0};
	struct sl_kern_prog prog;

	kt_load(kt, ir, 0, &prog);
	for (unsigned i = 0; i < SL_ARRAY_SIZE(probes); i++) {
		const struct probe *pr = &probes[i];
		struct sl_pkt_spec s;
		struct sl_pkt p;

		sl_pkt_spec_init(&s);
		s.ip.saddr = pr->saddr;
		s.l4 = pr->udp ? SL_PKT_UDP : SL_PKT_TCP;
		s.tcp.sport = s.udp.sport = pr->sport;
		s.tcp.dport = s.udp.dport = pr->dport;
		s.payload_len = i * 3;
		kt_build(&s, &p);
		kt_decision(kt, &prog, &p, p.len, pr->rule < 0 ? POLICY : by[pr->rule], "probe %u",
			    i);

		uint64_t len = sl_hook_has_l2(hook) ? p.len : p.len - 14;
		bool in_q = (pr->saddr >> 8) == (NET(10, 0, 0, 0) >> 8);

		if (pr->saddr == NET(10, 0, 0, 1))
			want_pk[R0]++, want_by[R0] += len;
		if (pr->rule == Q0 || pr->rule == R3)
			want_pk[pr->rule]++, want_by[pr->rule] += len;
		if (in_q && pr->rule != Q0)
			want_pk[Q1]++, want_by[Q1] += len;
	}
	for (unsigned r = 0; r < 10; r++) {
		struct sluice_counter c;

		kt_expect(kt,
			  !sl_kern_counter(&prog, by[r], &c) && c.packets == want_pk[r] &&
			      c.bytes == want_by[r],
			  "[%s] counter of rule %u: want %llu/%llu, got %llu/%llu",
			  sl_hook_name(hook), by[r], (unsigned long long)want_pk[r],
			  (unsigned long long)want_by[r], (unsigned long long)c.packets,
			  (unsigned long long)c.bytes);
	}
	sl_kern_prog_close(&prog);
}

/* table -> c1 -> ... -> c16: the innermost chain decides, or every level returns. */
static void test_nesting(struct kt *kt, enum sl_hook hook)
{
	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	struct sl_ir *ir = sl_irb_new(a, "deep");
	uint32_t t = sl_irb_table(ir, "deep", hook, SL_VERDICT_DROP);
	uint32_t prev = sl_irb_entry(ir, t), last = 0, after;
	struct sl_kern_prog prog;
	struct sl_pkt_spec s;
	struct sl_pkt p;

	for (int i = 0; i < 16; i++) {
		uint32_t next = sl_irb_chain(ir, "c");

		sl_irb_rule(ir, prev, SL_IR_JUMP, next, false);
		prev = next;
	}
	last = sl_irb_rule(ir, prev, SL_IR_DROP, 0, false);
	sl_irb_pred(ir, last, SL_FIELD_TCP_DPORT, 9, 9);
	sl_irb_implied(ir, last);
	after = sl_irb_rule(ir, sl_irb_entry(ir, t), SL_IR_ACCEPT, 0, false);
	kt_load(kt, ir, 0, &prog);
	sl_pkt_spec_init(&s);
	s.tcp.dport = 9;
	kt_build(&s, &p);
	kt_decision(kt, &prog, &p, p.len, last, "innermost chain decides");
	s.tcp.dport = 10;
	kt_build(&s, &p);
	kt_decision(kt, &prog, &p, p.len, after, "16 returns, then the table goes on");
	sl_kern_prog_close(&prog);
}

static void test_far_return(struct kt *kt, enum sl_hook hook)
{
	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	struct sl_ir *ir = sl_irb_new(a, "far");
	uint32_t t = sl_irb_table(ir, "far", hook, SL_VERDICT_ACCEPT);
	uint32_t c = sl_irb_entry(ir, t), q = sl_irb_chain(ir, "big"), ret, first = 0, after;
	struct sl_kern_prog prog;
	struct sl_pkt_spec s;
	struct sl_pkt p;

	sl_irb_rule(ir, c, SL_IR_JUMP, q, false);
	ret = sl_irb_rule(ir, q, SL_IR_RETURN, 0, false);
	sl_irb_pred(ir, ret, SL_FIELD_TCP_DPORT, 1, 1);
	sl_irb_implied(ir, ret);
	for (uint32_t i = 0; i < 4000; i++) {
		uint32_t r = sl_irb_rule(ir, q, SL_IR_DROP, 0, false);

		if (!i)
			first = r;
		sl_irb_pred(ir, r, SL_FIELD_IP_SADDR, NET(10, 0, 0, 0) + i * 256,
			    NET(10, 0, 0, 255) + i * 256);
		sl_irb_pred(ir, r, SL_FIELD_TCP_DPORT, 1000, 2000);
		sl_irb_implied(ir, r);
	}
	after = sl_irb_rule(ir, c, SL_IR_DROP, 0, false);
	sl_irb_pred(ir, after, SL_FIELD_TCP_DPORT, 1, 1);
	sl_irb_implied(ir, after);
	kt_load(kt, ir, 0, &prog);
	kt_expect(kt, prog.xlated_insns == 0 || prog.xlated_insns > 32768,
		  "program is longer than the jump range (%u)", prog.xlated_insns);
	sl_pkt_spec_init(&s);
	s.tcp.dport = 1;
	kt_build(&s, &p);
	kt_decision(kt, &prog, &p, p.len, after, "return across islands");
	for (uint32_t i = 0; i < 4000; i += 333) {
		s.tcp.dport = 1500;
		s.ip.saddr = NET(10, 0, 0, 7) + i * 256;
		kt_build(&s, &p);
		kt_decision(kt, &prog, &p, p.len, first + i, "rule %u of the big chain", i);
	}
	s.ip.saddr = NET(11, 0, 0, 1);
	kt_build(&s, &p);
	kt_decision(kt, &prog, &p, p.len, POLICY, "nothing matches");
	sl_kern_prog_close(&prog);
}

int main(void)
{
	struct kt kt;
	int code;

	if (!kt_begin(&kt, "test_kern_actions", &code))
		return code;
	for (unsigned h = 0; h < SL_HOOK_COUNT; h++) {
		test_chains(&kt, kt_hooks[h]);
		test_nesting(&kt, kt_hooks[h]);
	}
	test_far_return(&kt, SL_HOOK_XDP);
	test_far_return(&kt, SL_HOOK_CGROUP_EGRESS);
	return kt_end(&kt);
}
