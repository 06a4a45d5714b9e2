// SPDX-License-Identifier: GPL-2.0-only
/*
 * Layer 4 in the kernel, on every hook, over IPv4 and IPv6: TCP, UDP, ICMP,
 * ICMPv6, th ports, fragments, and every truncation of each packet
 * (packet-semantics.md sections 4-6).
 */
#include "kt.h"

enum { R_TCP22, R_UDP53, R_ICMP8, R_ICMP6_128, R_TH8080, R_GRE, R_FLAGS };
#define POLICY SLUICE_DECISION_POLICY

static struct sl_ir *build(struct sl_arena *a, enum sl_hook hook)
{
	struct sl_ir *ir = sl_irb_new(a, "l4");
	uint32_t t = sl_irb_table(ir, "l4", hook, SL_VERDICT_DROP);
	uint32_t c = sl_irb_entry(ir, t), r;

	r = sl_irb_rule(ir, c, SL_IR_ACCEPT, 0, true);
	sl_irb_pred(ir, r, SL_FIELD_TCP_DPORT, 22, 22);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_ACCEPT, 0, false);
	sl_irb_pred(ir, r, SL_FIELD_UDP_DPORT, 53, 53);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_ACCEPT, 0, false);
	sl_irb_pred(ir, r, SL_FIELD_ICMP_TYPE, 8, 8);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_ACCEPT, 0, false);
	sl_irb_pred(ir, r, SL_FIELD_ICMP6_TYPE, 128, 128);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_DROP, 0, false);
	sl_irb_pred(ir, r, SL_FIELD_TH_DPORT, 8080, 8080);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_ACCEPT, 0, false);
	sl_irb_pred(ir, r, SL_FIELD_META_L4PROTO, 47, 47);
	/* tcp flags syn,ack exactly, sport 1000-2000 or 3000 */
	r = sl_irb_rule(ir, c, SL_IR_DROP, 0, false);
	sl_irb_pred(ir, r, SL_FIELD_TCP_FLAGS, 0x12, 0x12);
	sl_irb_pred(ir, r, SL_FIELD_TCP_SPORT, 1000, 2000);
	sl_irb_pred(ir, r, SL_FIELD_TCP_SPORT, 3000, 3000);
	sl_irb_implied(ir, r);
	return ir;
}

/* The full packet is decided by `rule`; cut short anywhere inside the first `need` bytes,
 * the policy decides. */
static void truncations(struct kt *kt, struct sl_kern_prog *prog, const struct sl_pkt *p,
			uint32_t rule, size_t need, const char *what)
{
	for (size_t len = 14; len <= p->len; len++)
		kt_decision(kt, prog, p, len, len >= need ? rule : POLICY, "%s", what);
}

static void run_family(struct kt *kt, struct sl_kern_prog *prog, bool v6)
{
	struct sl_pkt_spec s;
	struct sl_pkt p;
	const char *fam = v6 ? "ipv6" : "ipv4";

	sl_pkt_spec_init(&s);
	s.l3 = v6 ? SL_PKT_IPV6 : SL_PKT_IPV4;
	s.tcp.dport = 22;
	s.payload_len = 5;
	kt_build(&s, &p);
	truncations(kt, prog, &p, R_TCP22, p.l4_off + 20, fam);

	s.tcp.dport = 8080;
	kt_build(&s, &p);
	truncations(kt, prog, &p, R_TH8080, p.l4_off + 20, "tcp th dport");
	s.tcp.dport = 80;
	s.tcp.flags = 0x12;
	for (unsigned sport = 990; sport <= 3010; sport += 5) {
		s.tcp.sport = sport;
		kt_build(&s, &p);
		bool in = (sport >= 1000 && sport <= 2000) || sport == 3000;

		kt_decision(kt, prog, &p, p.len, in ? R_FLAGS : POLICY, "%s sport %u", fam, sport);
	}
	s.tcp.sport = 1500;
	s.tcp.flags = 0x02;
	kt_build(&s, &p);
	kt_decision(kt, prog, &p, p.len, POLICY, "%s flags syn only", fam);
	s.tcp.flags = 0x12;

	s.l4 = SL_PKT_UDP;
	s.udp.dport = 53;
	kt_build(&s, &p);
	truncations(kt, prog, &p, R_UDP53, p.l4_off + 8, "udp 53");
	s.udp.dport = 8080;
	kt_build(&s, &p);
	truncations(kt, prog, &p, R_TH8080, p.l4_off + 8, "udp th dport");
	s.udp.dport = 54;
	kt_build(&s, &p);
	kt_decision(kt, prog, &p, p.len, POLICY, "udp 54");

	s.l4 = SL_PKT_ICMP;
	s.icmp.type = 8;
	kt_build(&s, &p);
	truncations(kt, prog, &p, v6 ? POLICY : R_ICMP8, p.l4_off + 4, "icmp echo");
	s.l4 = SL_PKT_ICMPV6;
	s.icmp.type = 128;
	kt_build(&s, &p);
	truncations(kt, prog, &p, v6 ? R_ICMP6_128 : POLICY, p.l4_off + 4, "icmpv6 echo");

	s.l4 = SL_PKT_L4_NONE;
	s.ip.proto = 47;
	s.ip6.upper = 47;
	s.payload_len = 20;
	kt_build(&s, &p);
	truncations(kt, prog, &p, R_GRE, p.l4_off, "gre");
}

/* Fragments: a later fragment has meta l4proto but no L4 header. */
static void run_fragments(struct kt *kt, struct sl_kern_prog *prog)
{
	struct sl_pkt_spec s;
	struct sl_pkt p;

	sl_pkt_spec_init(&s);
	s.tcp.dport = 22;
	s.ip.frag_more = true;
	kt_build(&s, &p);
	kt_decision(kt, prog, &p, p.len, R_TCP22, "ipv4 first fragment");
	s.ip.frag_off = 1;
	kt_build(&s, &p);
	kt_decision(kt, prog, &p, p.len, POLICY, "ipv4 later fragment (MF)");
	s.ip.frag_more = false;
	s.ip.frag_off = 100;
	kt_build(&s, &p);
	kt_decision(kt, prog, &p, p.len, POLICY, "ipv4 last fragment");
	s.ip.proto = 47;
	kt_build(&s, &p);
	kt_decision(kt, prog, &p, p.len, R_GRE, "ipv4 later fragment: l4proto present");

	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_IPV6;
	s.tcp.dport = 22;
	s.ip6.next = 1;
	s.ip6.ext[0] = (struct sl_pkt_ip6_ext){.type = SL_PKT_EXT_FRAGMENT, .frag_more = true};
	kt_build(&s, &p);
	truncations(kt, prog, &p, R_TCP22, p.l4_off + 20, "ipv6 first fragment");
	s.ip6.ext[0].frag_off = 3;
	kt_build(&s, &p);
	kt_decision(kt, prog, &p, p.len, POLICY, "ipv6 later fragment");
	s.ip6.upper = 47;
	s.l4 = SL_PKT_L4_NONE;
	s.payload_len = 10;
	kt_build(&s, &p);
	truncations(kt, prog, &p, R_GRE, p.l4_off, "ipv6 later fragment: l4proto");
}

int main(void)
{
	struct kt kt;
	int code;

	if (!kt_begin(&kt, "test_kern_l4", &code))
		return code;
	for (unsigned h = 0; h < SL_HOOK_COUNT; h++) {
		_cleanup_arena_ struct sl_arena *a = sl_arena_new();
		struct sl_ir *ir = build(a, kt_hooks[h]);
		struct sl_kern_prog prog;
		struct sluice_counter c;

		kt_load(&kt, ir, 0, &prog);
		run_family(&kt, &prog, false);
		run_family(&kt, &prog, true);
		run_fragments(&kt, &prog);
		kt_expect(&kt, !sl_kern_counter(&prog, R_TCP22, &c) && c.packets > 0,
			  "counter of rule 0 counted");
		sl_kern_prog_close(&prog);
	}
	return kt_end(&kt);
}
