// SPDX-License-Identifier: GPL-2.0-only
/*
 * Named sets (`set NAME { ... }`, `@NAME`) in the kernel: every map type
 * (hash of addresses, LPM tries of IPv4 and IPv6 prefixes and ranges, a hash
 * of concatenations, a concatenation with a ranged last field, a port
 * interval set, MAC and protocol hashes), timeouts, an empty set, an empty
 * slot and `!=`, at -O0, -O1 and -O2, on XDP and TC (and cgroup_skb where no
 * Ethernet field is used). The inner maps are made and filled by the harness
 * as the loader does (tests/lib/kern_set.c); contents are then replaced at
 * run time, and the deciding rule must follow them: the compiled code knows
 * nothing of what a set holds.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kt.h"
#include "sluice/set_key.h"

#define POLICY SLUICE_DECISION_POLICY

static int level;
static enum sl_hook hook;

static const char *hook_words(enum sl_hook h)
{
	switch (h) {
	case SL_HOOK_XDP:
		return "xdp";
	case SL_HOOK_TC_INGRESS:
		return "tc ingress";
	case SL_HOOK_TC_EGRESS:
		return "tc egress";
	case SL_HOOK_CGROUP_INGRESS:
		return "cgroup_skb ingress";
	default:
		return "cgroup_skb egress";
	}
}

static void load(struct kt *kt, const char *sets, const char *rules, struct sl_kern_prog *prog)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s\ntable t {\n    hook %s\n%s\n}\n", sets, hook_words(hook),
		 rules);
	kt_load_text_level(kt, text, 0, level, prog);
}

static struct sl_pkt tcp4(uint32_t saddr, uint16_t dport)
{
	struct sl_pkt_spec s;
	struct sl_pkt p;

	sl_pkt_spec_init(&s);
	s.ip.saddr = saddr;
	s.tcp.dport = dport;
	kt_build(&s, &p);
	return p;
}

static struct sl_pkt udp4(uint32_t saddr, uint16_t dport)
{
	struct sl_pkt_spec s;
	struct sl_pkt p;

	sl_pkt_spec_init(&s);
	s.ip.saddr = saddr;
	s.l4 = SL_PKT_UDP;
	s.udp.dport = dport;
	kt_build(&s, &p);
	return p;
}

static struct sl_pkt tcp6(const char *daddr)
{
	struct sl_pkt_spec s;
	struct sl_pkt p;

	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_IPV6;
	if (sl_pkt_ip6_addr(daddr, s.ip6.daddr))
		abort();
	kt_build(&s, &p);
	return p;
}

static void decide(struct kt *kt, struct sl_kern_prog *prog, struct sl_pkt p, uint32_t rule,
		   const char *what)
{
	kt_decision(kt, prog, &p, p.len, rule, "%s (hook %s, -O%d, %s)", what, hook_words(hook),
		    level, kt->raw ? "raw" : "ELF");
}

/* Keys of a one-field set of IPv4 prefixes (plen 32 = an address). */
struct keys {
	uint8_t flat[64 * SLUICE_SET_MAX_KEY];
	uint32_t n, size;
};

static int add(const uint8_t *key, void *ctx)
{
	struct keys *k = ctx;

	memcpy(k->flat + (size_t)k->n++ * k->size, key, k->size);
	return 0;
}

static void keys_of(struct keys *k, const uint32_t *types, uint32_t ntypes, uint32_t flags,
		    const struct sl_set_elem *elems, uint32_t n)
{
	struct sl_set_desc d;
	const char *why = NULL;

	if (sl_set_desc_init(&d, types, ntypes, flags, &why))
		abort();
	k->n = 0;
	k->size = d.key_size;
	for (uint32_t i = 0; i < n; i++)
		if (sl_set_elem_keys(&d, &elems[i], add, k, &why))
			abort();
}

static void be32(uint32_t v, uint8_t *out)
{
	out[0] = v >> 24;
	out[1] = v >> 16;
	out[2] = v >> 8;
	out[3] = v;
}

/* One-field ipv4 set: addresses (hi == lo) or ranges. */
static void fill_v4(struct kt *kt, struct sl_kern_prog *prog, uint32_t set, uint32_t flags,
		    const uint32_t (*iv)[2], uint32_t n)
{
	static const uint32_t t[] = {SLUICE_SET_T_IPV4_ADDR};
	struct sl_set_elem e[8] = {0};
	struct sl_set_desc d;
	struct keys k;
	const char *why = NULL;

	sl_set_desc_init(&d, t, 1, flags, &why);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t lo[4], hi[4];

		be32(iv[i][0], lo);
		be32(iv[i][1], hi);
		sl_set_field_range(&d, &e[i], 0, lo, hi);
	}
	keys_of(&k, t, 1, flags, e, n);
	kt_expect(kt, sl_kern_set_fill(prog, set, k.flat, k.n, NULL) == 0, "set fill");
}

static void test_hash_v4(struct kt *kt)
{
	struct sl_kern_prog prog;
	static const uint32_t other[][2] = {{SL_IP4(10, 0, 0, 2), SL_IP4(10, 0, 0, 2)}};

	load(kt, "set s { type ipv4_addr; size 16; elements = { 10.0.0.1, 10.0.0.9 } }",
	     "ip saddr @s drop\nip saddr 10.0.0.1 accept\nip saddr 10.0.0.0/8 counter accept",
	     &prog);
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 80), 0, "hash: element");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 9), 80), 0, "hash: element 2");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 2), 80), 2, "hash: not an element");
	decide(kt, &prog, tcp6("2001:db8::1"), POLICY, "hash: an IPv6 packet");
	/* new contents: rule 1, which the first contents hid, now decides 10.0.0.1 */
	fill_v4(kt, &prog, 0, 0, other, 1);
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 80), 1, "hash: removed element");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 2), 80), 0, "hash: added element");
	kt_expect(kt, sl_kern_set_unplug(&prog, 0) == 0, "unplug");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 2), 80), 2, "hash: empty slot");
	sl_kern_prog_close(&prog);
}

static void test_lpm_v4(struct kt *kt)
{
	struct sl_kern_prog prog;
	static const uint32_t repl[][2] = {{SL_IP4(172, 16, 0, 0), SL_IP4(172, 31, 255, 255)}};

	load(kt,
	     "set b {\n type ipv4_addr\n flags interval\n size 100\n"
	     " elements = { 192.0.2.0/24, 10.0.0.1-10.0.0.5, 198.51.100.7 }\n}",
	     "ip saddr @b drop", &prog);
	decide(kt, &prog, tcp4(SL_IP4(192, 0, 2, 77), 80), 0, "lpm: in the /24");
	decide(kt, &prog, tcp4(SL_IP4(192, 0, 3, 1), 80), POLICY, "lpm: past the /24");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 80), 0, "lpm: range start");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 5), 80), 0, "lpm: range end");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 0), 80), POLICY, "lpm: before the range");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 6), 80), POLICY, "lpm: after the range");
	decide(kt, &prog, tcp4(SL_IP4(198, 51, 100, 7), 80), 0, "lpm: one address");
	decide(kt, &prog, tcp4(SL_IP4(198, 51, 100, 8), 80), POLICY, "lpm: its neighbour");
	fill_v4(kt, &prog, 0, SLUICE_SET_F_INTERVAL, repl, 1);
	decide(kt, &prog, tcp4(SL_IP4(172, 20, 1, 1), 80), 0, "lpm: new range");
	decide(kt, &prog, tcp4(SL_IP4(192, 0, 2, 77), 80), POLICY, "lpm: old prefix gone");
	sl_kern_prog_close(&prog);
}

static void test_lpm_v6(struct kt *kt)
{
	struct sl_kern_prog prog;

	load(kt,
	     "set v6 { type ipv6_addr; flags interval; size 10; elements = { 2001:db8:1::/48, "
	     "2001:db8:9::1-2001:db8:9::3 } }",
	     "ip6 daddr @v6 drop\nip6 daddr != @v6 counter accept", &prog);
	decide(kt, &prog, tcp6("2001:db8:1::5"), 0, "lpm6: in the /48");
	decide(kt, &prog, tcp6("2001:db8:1:ffff:ffff:ffff:ffff:ffff"), 0, "lpm6: /48 end");
	decide(kt, &prog, tcp6("2001:db8:2::1"), 1, "lpm6: outside (!=)");
	decide(kt, &prog, tcp6("2001:db8:9::3"), 0, "lpm6: range end");
	decide(kt, &prog, tcp6("2001:db8:9::4"), 1, "lpm6: past the range");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 80), POLICY, "lpm6: IPv4 matches neither");
	sl_kern_prog_close(&prog);
}

static void test_concat(struct kt *kt)
{
	struct sl_kern_prog prog;

	load(kt,
	     "set allowed { type ipv4_addr . inet_service; size 16; elements = { 10.0.0.1 . 22, "
	     "10.0.0.2 . 443 } }",
	     "ip saddr . tcp dport @allowed accept\nip saddr 10.0.0.0/8 drop", &prog);
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 22), 0, "concat: element");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 2), 443), 0, "concat: element 2");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 443), 1, "concat: mixed pair");
	decide(kt, &prog, udp4(SL_IP4(10, 0, 0, 1), 22), 1, "concat: UDP has no tcp dport");
	sl_kern_prog_close(&prog);
}

static void test_concat_range(struct kt *kt)
{
	static const uint32_t t[] = {SLUICE_SET_T_IPV4_ADDR, SLUICE_SET_T_INET_SERVICE};
	struct sl_kern_prog prog;
	struct sl_set_elem e = {0};
	struct sl_set_desc d;
	const char *why = NULL;
	struct keys k;

	load(kt,
	     "set svc { type ipv4_addr . inet_service; flags interval; size 64;"
	     " elements = { 10.0.0.1 . 1000-2000, 10.0.0.2 . 53 } }",
	     "ip saddr . th dport @svc drop", &prog);
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 1000), 0, "concat range: start");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 2000), 0, "concat range: end");
	decide(kt, &prog, udp4(SL_IP4(10, 0, 0, 1), 1500), 0, "concat range: UDP (th)");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 999), POLICY, "concat range: below");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 2001), POLICY, "concat range: above");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 3), 1500), POLICY, "concat range: other address");
	decide(kt, &prog, udp4(SL_IP4(10, 0, 0, 2), 53), 0, "concat range: single");
	decide(kt, &prog, udp4(SL_IP4(10, 0, 0, 2), 54), POLICY, "concat range: single + 1");
	/* run time: 10.0.0.3 . 0-1023 */
	sl_set_desc_init(&d, t, 2, SLUICE_SET_F_INTERVAL, &why);
	be32(SL_IP4(10, 0, 0, 3), e.f[0].lo);
	be32(SL_IP4(10, 0, 0, 3), e.f[0].hi);
	e.f[1].hi[0] = 0x03;
	e.f[1].hi[1] = 0xff;
	keys_of(&k, t, 2, SLUICE_SET_F_INTERVAL, &e, 1);
	kt_expect(kt, sl_kern_set_fill(&prog, 0, k.flat, k.n, NULL) == 0, "fill");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 3), 1023), 0, "concat range: run time");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 3), 1024), POLICY, "concat range: run time + 1");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 1500), POLICY, "concat range: replaced");
	sl_kern_prog_close(&prog);
}

static void test_ports(struct kt *kt)
{
	struct sl_kern_prog prog;

	load(kt,
	     "set p { type inet_service; flags interval; size 32; elements = { 1000-2000, 8080 } "
	     "}",
	     "tcp dport @p drop\nudp dport != @p accept", &prog);
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 1000), 0, "ports: start");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 1999), 0, "ports: inside");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 2001), POLICY, "ports: after");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 8080), 0, "ports: single");
	decide(kt, &prog, udp4(SL_IP4(10, 0, 0, 1), 8080), POLICY, "ports: udp in set");
	decide(kt, &prog, udp4(SL_IP4(10, 0, 0, 1), 8081), 1, "ports: udp not in set");
	sl_kern_prog_close(&prog);
}

static void test_timeout(struct kt *kt)
{
	struct sl_kern_prog prog;
	struct timespec ts;
	uint64_t now, exp[3];
	struct keys k;
	static const uint32_t t[] = {SLUICE_SET_T_IPV4_ADDR};
	struct sl_set_elem e[3] = {0};

	load(kt, "set s { type ipv4_addr; flags timeout; timeout 1h; size 8 }", "ip saddr @s drop",
	     &prog);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	for (int i = 0; i < 3; i++) {
		be32(SL_IP4(10, 0, 0, 1 + i), e[i].f[0].lo);
		be32(SL_IP4(10, 0, 0, 1 + i), e[i].f[0].hi);
	}
	exp[0] = now - 1000000000ull; /* expired a second ago */
	exp[1] = now + 3600000000000ull;
	exp[2] = 0; /* never */
	keys_of(&k, t, 1, SLUICE_SET_F_TIMEOUT, e, 3);
	kt_expect(kt, sl_kern_set_fill(&prog, 0, k.flat, k.n, exp) == 0, "fill");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 80), POLICY, "timeout: expired");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 2), 80), 0, "timeout: not yet");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 3), 80), 0, "timeout: never");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 4), 80), POLICY, "timeout: absent");
	sl_kern_prog_close(&prog);
}

static void test_empty(struct kt *kt)
{
	struct sl_kern_prog prog;
	struct sl_pkt_spec s;
	struct sl_pkt arp;

	load(kt, "set e { type ipv4_addr; size 10 }", "ip saddr @e accept\nip saddr != @e drop",
	     &prog);
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 80), 1, "empty: != holds");
	decide(kt, &prog, tcp6("2001:db8::1"), POLICY, "empty: no IPv4 source");
	if (hook != SL_HOOK_CGROUP_INGRESS && hook != SL_HOOK_CGROUP_EGRESS) {
		sl_pkt_spec_init(&s);
		s.l3 = SL_PKT_ARP;
		s.l4 = SL_PKT_L4_NONE;
		kt_build(&s, &arp);
		decide(kt, &prog, arp, POLICY, "empty: ARP has no ip saddr");
	}
	sl_kern_prog_close(&prog);
}

static void test_mac_proto(struct kt *kt)
{
	struct sl_kern_prog prog;

	load(kt,
	     "set macs { type ether_addr; size 4; elements = { 02:00:00:00:00:01 } }\n"
	     "set protos { type inet_proto; size 4; elements = { udp, 132 } }",
	     "ether saddr @macs meta l4proto @protos drop\nmeta l4proto @protos accept", &prog);
	decide(kt, &prog, udp4(SL_IP4(10, 0, 0, 1), 53), 0, "mac+proto: both");
	decide(kt, &prog, tcp4(SL_IP4(10, 0, 0, 1), 53), POLICY, "mac+proto: tcp");
	sl_kern_prog_close(&prog);
}

/*
 * A program that neither counts nor records decisions (as `sluice build` makes
 * them by default): the set lookups must not depend on state that only those
 * programs set up (the outer map's key slot).
 */
static void test_plain_object(struct kt *kt)
{
	static const char text[] =
	    "set b { type ipv4_addr; flags interval; size 8; elements = { 192.0.2.0/24 } }\n"
	    "set h { type ipv4_addr . inet_service; size 8; elements = { 10.0.0.1 . 22 } }\n"
	    "table t {\n    hook xdp\n    ip saddr @b drop\n"
	    "    ip saddr . tcp dport != @h drop\n}\n";
	struct sl_kern_prog prog;
	struct sl_pkt p;

	kt_load_text_opts(kt, text, 0, level, false, &prog);
	p = tcp4(SL_IP4(192, 0, 2, 9), 22);
	kt_verdict(kt, &prog, &p, p.len, 0, "plain object: in the LPM set (-O%d)", level);
	p = tcp4(SL_IP4(10, 0, 0, 1), 22);
	kt_verdict(kt, &prog, &p, p.len, 1, "plain object: in the hash set (-O%d)", level);
	p = tcp4(SL_IP4(10, 0, 0, 1), 23);
	kt_verdict(kt, &prog, &p, p.len, 0, "plain object: not in the hash set (-O%d)", level);
	sl_kern_prog_close(&prog);
}

int main(void)
{
	static const enum sl_hook hooks[] = {SL_HOOK_XDP, SL_HOOK_TC_INGRESS,
					     SL_HOOK_CGROUP_INGRESS};
	struct kt kt;
	int code;

	if (!kt_begin(&kt, "test_kern_named_sets", &code))
		return code;
	for (level = 0; level <= 2; level++) {
		for (unsigned h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++) {
			hook = hooks[h];
			test_hash_v4(&kt);
			test_lpm_v4(&kt);
			test_lpm_v6(&kt);
			test_concat(&kt);
			test_concat_range(&kt);
			test_ports(&kt);
			test_timeout(&kt);
			test_empty(&kt);
			if (hook == SL_HOOK_XDP || hook == SL_HOOK_TC_INGRESS)
				test_mac_proto(&kt);
		}
		test_plain_object(&kt);
	}
	return kt_end(&kt);
}
