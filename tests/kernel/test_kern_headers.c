// SPDX-License-Identifier: GPL-2.0-only
/*
 * Layers 2 and 3 in the kernel (packet-semantics.md sections 2-5): Ethernet,
 * ARP, 0-3 VLAN tags, IPv4 options / bad headers / fragment state, IPv6
 * extension header chains up to and beyond the walk bound, 128-bit address
 * ranges, meta fields; each packet cut at every length.
 */
#include <string.h>

#include "kt.h"

#define P(f, l, h)                                                                                 \
	{                                                                                          \
		SL_FIELD_##f, (l), (h)                                                             \
	}

static sl_u128 ip6(const char *text)
{
	uint8_t b[16];
	sl_u128 v = 0;

	sl_pkt_ip6_addr(text, b);
	for (int i = 0; i < 16; i++)
		v = v << 8 | b[i];
	return v;
}

/* Accepted at the full length, and at a cut length exactly when len >= need. */
static void cuts(struct kt *kt, struct sl_kern_prog *prog, const struct sl_pkt *p, size_t need,
		 const char *what)
{
	for (size_t len = 14; len <= p->len; len++)
		kt_verdict(kt, prog, p, len, len >= need, "%s", what);
}

static void test_ethernet(struct kt *kt, enum sl_hook hook)
{
	static const struct kt_pred arp[] = {P(ETHER_TYPE, 0x0806, 0x0806)};
	static const struct kt_pred macs[] = {P(ETHER_SADDR, 0x020000000001ull, 0x020000000001ull),
					      P(ETHER_DADDR, 0x020000000000ull, 0x0200000000ffull)};
	struct sl_kern_prog prog;
	struct sl_pkt_spec s;
	struct sl_pkt p;

	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_ARP;
	kt_build(&s, &p);
	kt_one_rule(kt, hook, arp, 1, &prog);
	cuts(kt, &prog, &p, 14, "ether type arp");
	s.l3 = SL_PKT_IPV4;
	kt_build(&s, &p);
	kt_verdict(kt, &prog, &p, p.len, 0, "ipv4 is not arp");
	sl_kern_prog_close(&prog);

	kt_one_rule(kt, hook, macs, 2, &prog);
	cuts(kt, &prog, &p, 14, "ether saddr/daddr");
	s.eth_src[5] = 2;
	kt_build(&s, &p);
	kt_verdict(kt, &prog, &p, p.len, 0, "other ether saddr");
	sl_kern_prog_close(&prog);
}

static void test_vlan(struct kt *kt, enum sl_hook hook)
{
	static const struct kt_pred vid[] = {P(VLAN_ID, 100, 100)};
	static const struct kt_pred proto_vlan[] = {P(META_PROTOCOL, 0x8100, 0x8100)};
	static const struct kt_pred ip[] = {P(IP_DADDR, 0x0a000002, 0x0a000002)};
	struct sl_kern_prog pv, pp, pi;
	struct sl_pkt_spec s;
	struct sl_pkt p;

	kt_one_rule(kt, hook, vid, 1, &pv);
	kt_one_rule(kt, hook, proto_vlan, 1, &pp);
	kt_one_rule(kt, hook, ip, 1, &pi);
	for (unsigned tags = 0; tags <= 3; tags++) {
		for (unsigned ad = 0; ad < 2; ad++) {
			sl_pkt_spec_init(&s);
			s.nvlan = tags;
			for (unsigned i = 0; i < tags; i++) {
				s.vlan_tpid[i] = (ad && i == 0) ? 0x88a8 : 0x8100;
				s.vlan_tci[i] = (uint16_t)(i == 0 ? 0x2000 | 100 : 200 + i);
			}
			kt_build(&s, &p);
			/* vlan id: the outer tag, once its 4 bytes are there */
			for (size_t len = 14; len <= p.len; len++)
				kt_verdict(kt, &pv, &p, len, tags > 0 && len >= 18,
					   "vlan id, %u tags", tags);
			/* after two tags, a third VLAN EtherType is the protocol */
			kt_verdict(kt, &pp, &p, p.len, tags == 3, "meta protocol 0x8100, %u tags",
				   tags);
			cuts(kt, &pi, &p, tags <= 2 ? p.l3_off + 20 : SIZE_MAX,
			     "ip daddr behind tags");
		}
	}
	sl_pkt_spec_init(&s);
	s.nvlan = 2;
	s.vlan_tci[0] = 200;
	s.vlan_tci[1] = 100;
	kt_build(&s, &p);
	kt_verdict(kt, &pv, &p, p.len, 0, "vlan id is the outer tag's");
	sl_kern_prog_close(&pv);
	sl_kern_prog_close(&pp);
	sl_kern_prog_close(&pi);
}

static void test_ip4(struct kt *kt, enum sl_hook hook)
{
	static const struct kt_pred all[] = {
	    P(IP_SADDR, 0x0a000000, 0x0a0000ff),
	    P(IP_DADDR, 0x0a000002, 0x0a000002),
	    P(IP_TTL, 64, 64),
	    P(IP_DSCP, 46, 46),
	    P(IP_PROTOCOL, 6, 6),
	    P(IP_FRAG, 0, 1),
	    P(IP_LENGTH, 20, 2000),
	    P(TCP_DPORT, 80, 80),
	};
	static const struct kt_pred frag[] = {P(IP_FRAG, 2, 2)};
	static const struct kt_pred high[] = {P(IP_SADDR, 0xc0000000u, 0xffffffffu)};
	struct sl_kern_prog prog;
	struct sl_pkt_spec s;
	struct sl_pkt p;

	kt_one_rule(kt, hook, all, SL_ARRAY_SIZE(all), &prog);
	for (unsigned opt = 0; opt <= 40; opt += 4) {
		sl_pkt_spec_init(&s);
		s.ip.tos = 46 << 2;
		s.ip.opt_len = (uint8_t)opt;
		kt_build(&s, &p);
		cuts(kt, &prog, &p, p.l4_off + 20, "ipv4 with options");
	}
	sl_pkt_spec_init(&s);
	s.ip.tos = 46 << 2;
	s.ip.version = 5;
	kt_build(&s, &p);
	kt_verdict(kt, &prog, &p, p.len, 0, "ip version 5");
	s.ip.version = -1;
	s.ip.ihl = 4;
	kt_build(&s, &p);
	kt_verdict(kt, &prog, &p, p.len, 0, "ip ihl 4");
	s.ip.ihl = 15; /* 60 bytes announced, 40 there (20 TCP count as options) */
	kt_build(&s, &p);
	kt_verdict(kt, &prog, &p, p.len, 0, "ip ihl beyond the packet");
	s.ip.ihl = -1;
	s.ip.ttl = 63;
	kt_build(&s, &p);
	kt_verdict(kt, &prog, &p, p.len, 0, "ttl 63");
	s.ip.ttl = 64;
	s.ip.frag_more = true;
	kt_build(&s, &p);
	kt_verdict(kt, &prog, &p, p.len, 1, "first fragment");
	sl_kern_prog_close(&prog);

	kt_one_rule(kt, hook, frag, 1, &prog);
	s.ip.frag_off = 10;
	kt_build(&s, &p);
	cuts(kt, &prog, &p, p.l3_off + 20, "ip frag later");
	s.ip.frag_off = 0;
	kt_build(&s, &p);
	kt_verdict(kt, &prog, &p, p.len, 0, "ip frag first is not later");
	sl_kern_prog_close(&prog);

	kt_one_rule(kt, hook, high, 1, &prog);
	for (uint32_t a = 0xbfffffffu; a != 0x00000001u; a = a + 0x10000001u) {
		sl_pkt_spec_init(&s);
		s.ip.saddr = a;
		kt_build(&s, &p);
		kt_verdict(kt, &prog, &p, p.len, a >= 0xc0000000u, "saddr %08x", a);
		if (a > 0xf0000000u)
			break;
	}
	sl_kern_prog_close(&prog);
}

static void test_ip6(struct kt *kt, enum sl_hook hook)
{
	const struct kt_pred l4[] = {
	    P(IP6_SADDR, ip6("2001:db8::"), ip6("2001:db8:0:ffff:ffff:ffff:ffff:ffff")),
	    P(IP6_DADDR, ip6("2001:db8::2"), ip6("2001:db8::2")),
	    P(IP6_HOPLIMIT, 64, 64),
	    P(TCP_DPORT, 80, 80),
	};
	/* A range that is no prefix and crosses 32-bit words on both ends. */
	const struct kt_pred range[] = {
	    P(IP6_DADDR, ip6("2001:db8::1:0:0:fffe"), ip6("2001:db8::3:0:1:1")),
	};
	static const struct kt_pred l4proto[] = {P(META_L4PROTO, 6, 6)};
	static const uint8_t types[] = {SL_PKT_EXT_HOPOPTS, SL_PKT_EXT_ROUTING, SL_PKT_EXT_DSTOPTS,
					SL_PKT_EXT_FRAGMENT};
	struct sl_kern_prog prog, proto;
	struct sl_pkt_spec s;
	struct sl_pkt p;

	kt_one_rule(kt, hook, l4, SL_ARRAY_SIZE(l4), &prog);
	kt_one_rule(kt, hook, l4proto, 1, &proto);
	for (unsigned n = 0; n <= 7; n++) {
		sl_pkt_spec_init(&s);
		s.l3 = SL_PKT_IPV6;
		s.ip6.next = n;
		for (unsigned i = 0; i < n; i++)
			s.ip6.ext[i] = (struct sl_pkt_ip6_ext){.type = types[i % 4],
							       .len = (uint16_t)(8 * (i % 3 + 1))};
		kt_build(&s, &p);
		/* beyond 6 extension headers the protocol is unknown */
		cuts(kt, &prog, &p, n <= SL_IP6_MAX_EXT_HEADERS ? p.l4_off + 20 : SIZE_MAX,
		     "ipv6 ext chain");
		cuts(kt, &proto, &p, n <= SL_IP6_MAX_EXT_HEADERS ? p.l4_off : SIZE_MAX,
		     "ipv6 l4proto after ext chain");
	}
	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_IPV6;
	s.ip6.version = 4;
	kt_build(&s, &p);
	kt_verdict(kt, &prog, &p, p.len, 0, "ipv6 version 4");
	sl_kern_prog_close(&prog);
	sl_kern_prog_close(&proto);

	kt_one_rule(kt, hook, range, 1, &prog);
	static const char *const probes[][2] = {
	    {"2001:db8::1:0:0:fffd", "0"}, {"2001:db8::1:0:0:fffe", "1"},
	    {"2001:db8::1:0:1:0", "1"},	   {"2001:db8::2:ffff:ffff:ffff", "1"},
	    {"2001:db8::3:0:1:1", "1"},	   {"2001:db8::3:0:1:2", "0"},
	    {"2001:db8::3:0:0:ffff", "1"}, {"2001:db8:0:1::", "0"},
	    {"2001:db8::", "0"},	   {"::", "0"},
	};
	for (unsigned i = 0; i < SL_ARRAY_SIZE(probes); i++) {
		sl_pkt_spec_init(&s);
		s.l3 = SL_PKT_IPV6;
		sl_pkt_ip6_addr(probes[i][0], s.ip6.daddr);
		kt_build(&s, &p);
		kt_verdict(kt, &prog, &p, p.len, probes[i][1][0] == '1', "ip6 daddr %s",
			   probes[i][0]);
	}
	sl_kern_prog_close(&prog);

	/*
	 * Words that admit 0 (::/16, ::): a 32-bit compare would take an absent
	 * address (its words read 0) for ::, so a cut IPv6 header must not match.
	 */
	const struct kt_pred low[][1] = {
	    {P(IP6_SADDR, ip6("::"), ip6("0:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))},
	    {P(IP6_SADDR, ip6("::"), ip6("::"))},
	    {P(IP6_DADDR, ip6("::"), ip6("::ffff:ffff"))},
	};
	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_IPV6;
	memset(s.ip6.saddr, 0, sizeof(s.ip6.saddr));
	memset(s.ip6.daddr, 0, sizeof(s.ip6.daddr));
	kt_build(&s, &p);
	for (unsigned i = 0; i < SL_ARRAY_SIZE(low); i++) {
		kt_one_rule(kt, hook, low[i], 1, &prog);
		cuts(kt, &prog, &p, p.l3_off + 40, "ip6 address :: and a cut header");
		sl_kern_prog_close(&prog);
	}
}

static void test_meta(struct kt *kt, enum sl_hook hook)
{
	bool l2 = sl_hook_has_l2(hook);
	struct sl_pkt_spec s;
	struct sl_pkt p;

	sl_pkt_spec_init(&s);
	s.payload_len = 46;
	kt_build(&s, &p);
	sl_u128 len = l2 ? p.len : p.len - 14;
	const struct kt_pred m[] = {P(META_LENGTH, len, len), P(META_IFINDEX, 1, 1),
				    P(META_PROTOCOL, 0x0800, 0x0800)};
	struct sl_kern_prog prog;
	struct sluice_counter c;

	kt_one_rule(kt, hook, m, SL_ARRAY_SIZE(m), &prog);
	kt_verdict(kt, &prog, &p, p.len, 1, "meta length/ifindex/protocol");
	kt_verdict(kt, &prog, &p, p.len - 1, 0, "meta length one less");
	kt_expect(kt, !sl_kern_counter(&prog, 0, &c) && c.packets == 1 && c.bytes == len,
		  "counter: 1 packet of %u bytes, got %llu/%llu", (unsigned)len,
		  (unsigned long long)c.packets, (unsigned long long)c.bytes);
	sl_kern_prog_close(&prog);
}

/* ip6 frag (packet-semantics §5): known exactly when meta l4proto is. */
static void test_ip6_frag(struct kt *kt, enum sl_hook hook)
{
	enum { HOP = SL_PKT_EXT_HOPOPTS, FRAG = SL_PKT_EXT_FRAGMENT, DST = SL_PKT_EXT_DSTOPTS };
	static const struct {
		const char *what;
		unsigned n;
		struct sl_pkt_ip6_ext ext[3];
		unsigned state;
		size_t before_l4; /* bytes before the L4 header from which it is known */
	} cases[] = {
	    {"no extension header", 0, {{0}}, SL_FRAG_NONE, 0},
	    {"first fragment", 1, {{.type = FRAG, .frag_more = true}}, SL_FRAG_FIRST, 0},
	    {"atomic fragment", 1, {{.type = FRAG}}, SL_FRAG_NONE, 0},
	    {"later fragment",
	     1,
	     {{.type = FRAG, .frag_off = 3, .frag_more = true}},
	     SL_FRAG_LATER,
	     0},
	    {"last fragment", 1, {{.type = FRAG, .frag_off = 3}}, SL_FRAG_LATER, 0},
	    {"hop-by-hop, first fragment",
	     2,
	     {{.type = HOP, .len = 8}, {.type = FRAG, .frag_more = true}},
	     SL_FRAG_FIRST,
	     0},
	    {"first fragment, destination options",
	     2,
	     {{.type = FRAG, .frag_more = true}, {.type = DST, .len = 16}},
	     SL_FRAG_FIRST,
	     0},
	    {"AH (the upper layer)", 1, {{.type = SL_PKT_EXT_AH, .len = 16}}, SL_FRAG_NONE, 16},
	};
	static const struct kt_pred ah[] = {P(META_L4PROTO, 51, 51)};
	struct sl_kern_prog prog;
	struct sl_pkt_spec s;
	struct sl_pkt p;

	for (unsigned v = SL_FRAG_NONE; v <= SL_FRAG_LATER; v++) {
		const struct kt_pred frag[] = {P(IP6_FRAG, v, v)};

		kt_one_rule(kt, hook, frag, 1, &prog);
		for (unsigned i = 0; i < SL_ARRAY_SIZE(cases); i++) {
			sl_pkt_spec_init(&s);
			s.l3 = SL_PKT_IPV6;
			s.l4 = SL_PKT_UDP;
			s.ip6.next = cases[i].n;
			memcpy(s.ip6.ext, cases[i].ext, sizeof(cases[i].ext));
			kt_build(&s, &p);
			cuts(kt, &prog, &p,
			     cases[i].state == v ? p.l4_off - cases[i].before_l4 : SIZE_MAX,
			     cases[i].what);
		}
		sl_pkt_spec_init(&s); /* IPv4 has no ip6 frag */
		kt_build(&s, &p);
		kt_verdict(kt, &prog, &p, p.len, 0, "ip6 frag of IPv4");
		sl_kern_prog_close(&prog);
	}
	kt_one_rule(kt, hook, ah, 1, &prog);
	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_IPV6;
	s.ip6.next = 1;
	s.ip6.ext[0] = cases[7].ext[0];
	kt_build(&s, &p);
	cuts(kt, &prog, &p, p.l4_off - 16, "ipv6 meta l4proto ah");
	sl_kern_prog_close(&prog);
}

int main(void)
{
	struct kt kt;
	int code;

	if (!kt_begin(&kt, "test_kern_headers", &code))
		return code;
	for (unsigned h = 0; h < SL_HOOK_COUNT; h++) {
		if (sl_hook_has_l2(kt_hooks[h])) {
			test_ethernet(&kt, kt_hooks[h]);
			test_vlan(&kt, kt_hooks[h]);
		}
		test_ip4(&kt, kt_hooks[h]);
		test_ip6(&kt, kt_hooks[h]);
		test_ip6_frag(&kt, kt_hooks[h]);
		test_meta(&kt, kt_hooks[h]);
	}
	return kt_end(&kt);
}
