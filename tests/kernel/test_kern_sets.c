// SPDX-License-Identifier: GPL-2.0-only
/*
 * Big sets (emit/codegen_set.c): a blocklist of 20,000 intervals, port sets
 * of 40, in early-exit rules, a counting rule (the branch-free form) and a
 * rule with two big sets; IPv6 blocklists of 5,000 prefixes and ranges, some
 * differing only in their last bits, one starting at :: and one ending at
 * ffff:...:ffff; IPv6 packets cut inside their addresses (absent fields). Every interval's edges
 * and neighbours that the sample picks go through the kernel and through the reference interpreter:
 * same deciding rule and, at the end, same counters. At -O1 and -O2 the
 * program must be small (the sets are tables); -O0 with tables forced, and
 * -O2 with them off, must agree too.
 */
#include <stdlib.h>

#include "interp/interp.h"
#include "kt.h"

#define BIG   20000u
#define PORTS 40u

#define BIG6 5000u

struct fixture {
	struct sl_interval saddr[BIG], daddr[BIG / 4];
	struct sl_interval ports[PORTS];
	struct sl_interval saddr6[BIG6], daddr6[BIG6];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* n disjoint sorted intervals in [base, base + n * stride): addresses, prefixes, ranges. */
static void make_set(struct sl_interval *v, uint32_t n, uint32_t base, uint32_t stride)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t lo = base + i * stride + rnd() % (stride / 2);
		uint32_t kind = rnd() % 3, len = kind == 0   ? 0
						 : kind == 1 ? (rnd() % 4) + 1
							     : rnd() % (stride / 4);

		if (kind == 1) { /* a prefix of 2^len addresses, aligned */
			lo &= ~((1u << len) - 1);
			v[i] = (struct sl_interval){lo, lo + (1u << len) - 1};
		} else {
			v[i] = (struct sl_interval){lo, lo + len};
		}
	}
}

/*
 * n disjoint sorted 128-bit intervals from `base`: prefixes /48../128 and
 * ranges, with gaps that change the high, middle or only the lowest bits.
 */
static void make_set6(struct sl_interval *v, uint32_t n, sl_u128 base)
{
	sl_u128 at = base;

	for (uint32_t i = 0; i < n; i++) {
		unsigned shift = (unsigned[]){0, 1, 3, 4, 5, 40, 62, 63, 64, 66, 80}[rnd() % 11];
		sl_u128 len = ((sl_u128)1 << shift) - 1;

		at &= ~len; /* aligned: a prefix */
		if (rnd() % 3 == 0)
			len = (sl_u128)(rnd() % 1000); /* a range */
		v[i] = (struct sl_interval){at, at + len};
		at += len + 1 + ((sl_u128)(rnd() % 3 + 1) << (rnd() % 2 ? 0 : 70));
		at += (sl_u128)1 << shift;
	}
}

/*
 *  0: ip saddr BIG counter drop
 *  1: tcp dport PORTS counter            (counts and goes on: branch-free form)
 *  2: ip daddr BIG/4 tcp dport PORTS accept
 *  3: udp dport PORTS drop
 *  4: ip6 saddr BIG6 counter drop
 *  5: ip6 daddr BIG6' counter        (the branch-free form)
 *  6: ip6 daddr BIG6' tcp dport PORTS accept
 *  policy accept
 */
static struct sl_ir *policy(struct sl_arena *a, const struct fixture *fx)
{
	struct sl_ir *ir = sl_irb_new(a, "sets");
	uint32_t t = sl_irb_table(ir, "sets", SL_HOOK_XDP, SL_VERDICT_ACCEPT);
	uint32_t c = sl_irb_entry(ir, t);
	uint32_t r;

	r = sl_irb_rule(ir, c, SL_IR_DROP, 0, true);
	sl_irb_pred_set(ir, r, SL_FIELD_IP_SADDR, fx->saddr, BIG);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_CONTINUE, 0, true);
	sl_irb_pred_set(ir, r, SL_FIELD_TCP_DPORT, fx->ports, PORTS);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_ACCEPT, 0, false);
	sl_irb_pred_set(ir, r, SL_FIELD_IP_DADDR, fx->daddr, BIG / 4);
	sl_irb_pred_set(ir, r, SL_FIELD_TCP_DPORT, fx->ports, PORTS);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_DROP, 0, false);
	sl_irb_pred_set(ir, r, SL_FIELD_UDP_DPORT, fx->ports, PORTS);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_DROP, 0, true);
	sl_irb_pred_set(ir, r, SL_FIELD_IP6_SADDR, fx->saddr6, BIG6);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_CONTINUE, 0, true);
	sl_irb_pred_set(ir, r, SL_FIELD_IP6_DADDR, fx->daddr6, BIG6);
	sl_irb_implied(ir, r);
	r = sl_irb_rule(ir, c, SL_IR_ACCEPT, 0, false);
	sl_irb_pred_set(ir, r, SL_FIELD_IP6_DADDR, fx->daddr6, BIG6);
	sl_irb_pred_set(ir, r, SL_FIELD_TCP_DPORT, fx->ports, PORTS);
	sl_irb_implied(ir, r);
	return ir;
}

/* A value at or next to an edge of one of the n intervals of v, inside or anywhere of `bits`. */
static sl_u128 near_edge(const struct sl_interval *v, uint32_t n, unsigned bits)
{
	const struct sl_interval *x = &v[rnd() % n];
	sl_u128 any = (sl_u128)rnd() << 96 | (sl_u128)rnd() << 64 | (sl_u128)rnd() << 32 | rnd();

	switch (rnd() % 6) {
	case 0:
		return x->lo - 1;
	case 1:
		return x->lo;
	case 2:
		return x->hi;
	case 3:
		return x->hi + 1;
	case 4:
		return x->lo + (x->hi - x->lo) / 2;
	default:
		return bits < 128 ? any & (((sl_u128)1 << bits) - 1) : any;
	}
}

static void put128(uint8_t *out, sl_u128 v)
{
	for (unsigned i = 0; i < 16; i++)
		out[i] = (uint8_t)(v >> (120 - 8 * i));
}

static void run_packets(struct kt *kt, const struct sl_ir *ir, const struct fixture *fx,
			struct sl_kern_prog *prog, const char *what)
{
	struct sl_interp_counter *want = calloc(ir->nrules, sizeof(*want));

	for (unsigned i = 0; i < 6000; i++) {
		struct sl_pkt_spec s;
		struct sl_pkt p;
		struct sl_interp_result res;
		struct sl_interp_packet ip;

		sl_pkt_spec_init(&s);
		s.ip.saddr = (uint32_t)near_edge(fx->saddr, BIG, 32);
		s.ip.daddr = (uint32_t)near_edge(fx->daddr, BIG / 4, 32);
		if (i % 2) {
			s.l3 = SL_PKT_IPV6;
			put128(s.ip6.saddr, near_edge(fx->saddr6, BIG6, 128));
			put128(s.ip6.daddr, near_edge(fx->daddr6, BIG6, 128));
			if (i % 10 == 1) /* cut inside the addresses: they are absent */
				s.truncate = 14 + 8 + rnd() % 32;
		}
		s.l4 = rnd() % 2 ? SL_PKT_TCP : SL_PKT_UDP;
		s.tcp.dport = s.udp.dport = (uint16_t)near_edge(fx->ports, PORTS, 16);
		kt_build(&s, &p);
		ip = (struct sl_interp_packet){.hook = SL_HOOK_XDP, .data = p.data, .len = p.len};
		if (sl_interp_run(ir, 0, &ip, &res, want)) {
			kt_expect(kt, false, "%s: interpreter failed", what);
			break;
		}
		kt_decision(kt, prog, &p, p.len,
			    res.rule == SL_INTERP_POLICY ? SLUICE_DECISION_POLICY : res.rule,
			    "%s: packet %u", what, i);
	}
	for (uint32_t r = 0; r < ir->nrules; r++) {
		struct sluice_counter got = {0};

		sl_kern_counter(prog, r, &got);
		kt_expect(kt, got.packets == want[r].packets,
			  "%s: rule %u counted %llu packets, want %llu", what, r,
			  (unsigned long long)got.packets, (unsigned long long)want[r].packets);
	}
	free(want);
}

int main(void)
{
	static const struct {
		const char *name;
		int level;
		enum sl_set_lookup mode;
		bool small; /* the program must not hold the sets */
	} configs[] = {
	    {"-O2", 2, SL_SET_LOOKUP_AUTO, true},
	    {"-O1", 1, SL_SET_LOOKUP_AUTO, true},
	    {"-O0 tables", 0, SL_SET_LOOKUP_TABLE, true},
	    {"-O2 inline", 2, SL_SET_LOOKUP_INLINE, false},
	};
	static struct fixture fx;
	struct kt kt;
	int code;

	if (!kt_begin(&kt, "test_kern_sets", &code))
		return code;
	make_set(fx.saddr, BIG, 0x0a000000, 64);
	make_set(fx.daddr, BIG / 4, 0xc0000000, 256);
	make_set(fx.ports, PORTS, 1000, 1000);
	make_set6(fx.saddr6, BIG6, 0); /* from :: */
	make_set6(fx.daddr6, BIG6, (sl_u128)0x20010db8u << 96);
	fx.daddr6[BIG6 - 1].hi = ~(sl_u128)0; /* to ffff:...:ffff */
	for (size_t c = 0; c < SL_ARRAY_SIZE(configs); c++) {
		_cleanup_arena_ struct sl_arena *a = sl_arena_new();
		struct sl_ir *ir = policy(a, &fx);
		struct sl_compile_opts opts = {.opt_level = configs[c].level,
					       .record_decisions = true,
					       .set_lookup = configs[c].mode};
		struct sl_kern_prog prog;
		uint32_t ninsns = 0;

		kt_load_opts(&kt, ir, 0, &opts, &prog, &ninsns);
		fprintf(stderr, "test_kern_sets: %s: %u instructions\n", configs[c].name, ninsns);
		if (configs[c].small)
			kt_expect(&kt, ninsns < 2000,
				  "%s: %u instructions: the sets are not tables", configs[c].name,
				  ninsns);
		run_packets(&kt, ir, &fx, &prog, configs[c].name);
		sl_kern_prog_close(&prog);
	}
	return kt_end(&kt);
}
