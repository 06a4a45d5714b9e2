// SPDX-License-Identifier: GPL-2.0-only
/* The interpreter's packet parser, clause by clause of lang-spec/packet-semantics.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "interp/interp.h"

static struct sl_interp_fields parse_hook(const struct frame *f, size_t len, enum sl_hook hook)
{
	struct sl_interp_packet p = {.hook = hook, .data = f->b, .len = len, .ifindex = 7};
	struct sl_interp_fields out;

	sl_interp_parse(&p, &out);
	return out;
}

static struct sl_interp_fields parse(const struct frame *f, size_t len)
{
	return parse_hook(f, len, SL_HOOK_XDP);
}

/*
 * Parse `f` cut at `len` on a copy that ends exactly there: under ASan a read
 * past the end is caught even when the bytes happened to be in the frame.
 */
static struct sl_interp_fields parse_cut(const struct frame *f, size_t len, enum sl_hook hook)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct sl_interp_packet p = {.hook = hook, .data = copy, .len = len, .ifindex = 7};
	struct sl_interp_fields out;

	memcpy(copy, f->b, len);
	sl_interp_parse(&p, &out);
	free(copy);
	return out;
}

#define assert_field(fs, field, v)                                                                 \
	do {                                                                                       \
		assert_true((fs).present[field]);                                                  \
		assert_true((fs).value[field] == (sl_u128)(v));                                    \
	} while (0)
#define assert_absent(fs, field) assert_false((fs).present[field])

static unsigned count_present(const struct sl_interp_fields *fs)
{
	unsigned n = 0;

	for (int i = 0; i < SL_FIELD_COUNT; i++)
		n += fs->present[i];
	return n;
}

/* Section 2: meta length and ifindex on every hook, always present. */
static void meta_fields_every_hook(void **state)
{
	struct frame f = {0};

	eth(&f, 0x0806);
	putn(&f, 0, 28);
	for (int h = 0; h < SL_HOOK_COUNT; h++) {
		struct sl_interp_fields fs = parse_hook(&f, f.len, h);

		assert_field(fs, SL_FIELD_META_LENGTH, f.len);
		assert_field(fs, SL_FIELD_META_IFINDEX, 7);
		assert_true(fs.present[SL_FIELD_META_PROTOCOL]);
	}
	/* even an empty packet has them */
	struct sl_interp_fields fs = parse_cut(&f, 0, SL_HOOK_XDP);
	assert_field(fs, SL_FIELD_META_LENGTH, 0);
	assert_int_equal(count_present(&fs), 3); /* length, ifindex, iifname (0: no name) */
}

/* Section 2: cgroup_skb starts at the IP header, protocol from skb->protocol. */
static void cgroup_sees_ip_header(void **state)
{
	struct frame f = {0};

	ipv4(&f, 6, 0, 0);
	tcp(&f, 1000, 22, 0x02);
	struct sl_interp_packet p = {
	    .hook = SL_HOOK_CGROUP_INGRESS, .data = f.b, .len = f.len, .protocol = SL_ETH_P_IP};
	struct sl_interp_fields fs;
	sl_interp_parse(&p, &fs);
	assert_field(fs, SL_FIELD_META_PROTOCOL, SL_ETH_P_IP);
	assert_absent(fs, SL_FIELD_ETHER_TYPE);
	assert_absent(fs, SL_FIELD_ETHER_SADDR);
	assert_field(fs, SL_FIELD_IP_SADDR, 0x0a000001);
	assert_field(fs, SL_FIELD_TCP_DPORT, 22);
	assert_field(fs, SL_FIELD_META_LENGTH, 40);

	/* whatever skb->protocol says is meta protocol, and picks the L3 parser */
	p.protocol = SL_ETH_P_ARP;
	sl_interp_parse(&p, &fs);
	assert_field(fs, SL_FIELD_META_PROTOCOL, SL_ETH_P_ARP);
	assert_absent(fs, SL_FIELD_IP_SADDR);
	p.protocol = SL_ETH_P_IPV6;
	sl_interp_parse(&p, &fs);
	assert_absent(fs, SL_FIELD_IP6_SADDR); /* version 4 is not an IPv6 header */
	assert_absent(fs, SL_FIELD_META_L4PROTO);
}

/* Section 3: Ethernet present with all 14 bytes. */
static void ethernet_truncation(void **state)
{
	struct frame f = {0};

	eth(&f, 0x0806);
	for (size_t len = 0; len < 14; len++) {
		struct sl_interp_fields fs = parse_cut(&f, len, SL_HOOK_XDP);

		assert_absent(fs, SL_FIELD_ETHER_DADDR);
		assert_absent(fs, SL_FIELD_META_PROTOCOL);
		assert_int_equal(count_present(&fs), 3);
	}
	struct sl_interp_fields fs = parse_cut(&f, 14, SL_HOOK_TC_EGRESS);
	assert_field(fs, SL_FIELD_ETHER_DADDR, 0x020000000002ULL);
	assert_field(fs, SL_FIELD_ETHER_SADDR, 0x020000000001ULL);
	assert_field(fs, SL_FIELD_ETHER_TYPE, 0x0806);
	assert_field(fs, SL_FIELD_META_PROTOCOL, 0x0806);
	assert_absent(fs, SL_FIELD_VLAN_ID);
}

/* Section 3: 0 to 3 VLAN tags, both tag types, truncated tags. */
static void vlan_tags(void **state)
{
	struct frame f = {0};
	struct sl_interp_fields fs;

	eth(&f, SL_ETH_P_8021Q);
	vlan(&f, 0xf123, SL_ETH_P_IP); /* PCP bits are not part of the VID */
	ipv4(&f, 17, 0, 0);
	udp(&f, 53, 53);
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_VLAN_ID, 0x123);
	assert_field(fs, SL_FIELD_META_PROTOCOL, SL_ETH_P_IP);
	assert_field(fs, SL_FIELD_ETHER_TYPE, SL_ETH_P_IP);
	assert_field(fs, SL_FIELD_UDP_DPORT, 53);
	for (size_t len = 14; len < 18; len++) {
		fs = parse_cut(&f, len, SL_HOOK_XDP);
		assert_true(fs.present[SL_FIELD_ETHER_SADDR]);
		assert_absent(fs, SL_FIELD_VLAN_ID);
		assert_absent(fs, SL_FIELD_META_PROTOCOL);
		assert_absent(fs, SL_FIELD_ETHER_TYPE);
	}

	/* two tags, 802.1ad outside: vlan id is the outer one */
	f.len = 0;
	eth(&f, SL_ETH_P_8021AD);
	vlan(&f, 100, SL_ETH_P_8021Q);
	vlan(&f, 200, SL_ETH_P_IPV6);
	ipv6(&f, 58);
	icmp(&f, 128, 0);
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_VLAN_ID, 100);
	assert_field(fs, SL_FIELD_META_PROTOCOL, SL_ETH_P_IPV6);
	assert_field(fs, SL_FIELD_ICMP6_TYPE, 128);
	for (size_t len = 18; len < 22; len++) {
		fs = parse_cut(&f, len, SL_HOOK_XDP);
		assert_field(fs, SL_FIELD_VLAN_ID, 100);
		assert_absent(fs, SL_FIELD_META_PROTOCOL);
	}

	/* a third tag is not parsed: the protocol is 0x8100 and no L3 follows */
	f.len = 0;
	eth(&f, SL_ETH_P_8021Q);
	vlan(&f, 1, SL_ETH_P_8021Q);
	vlan(&f, 2, SL_ETH_P_8021Q);
	vlan(&f, 3, SL_ETH_P_IP);
	ipv4(&f, 6, 0, 0);
	tcp(&f, 1, 2, 0);
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_VLAN_ID, 1);
	assert_field(fs, SL_FIELD_META_PROTOCOL, SL_ETH_P_8021Q);
	assert_absent(fs, SL_FIELD_IP_SADDR);
	assert_absent(fs, SL_FIELD_META_L4PROTO);
	/* cut right after the second tag: still 0x8100, nothing truncated */
	fs = parse_cut(&f, 22, SL_HOOK_XDP);
	assert_field(fs, SL_FIELD_META_PROTOCOL, SL_ETH_P_8021Q);
}

/* Section 2: TC with the outer tag in skb metadata parses at most one more. */
static void vlan_tc_metadata(void **state)
{
	struct frame f = {0};
	struct sl_interp_fields fs;

	eth(&f, SL_ETH_P_8021Q);
	vlan(&f, 20, SL_ETH_P_8021Q);
	vlan(&f, 30, SL_ETH_P_IP);
	ipv4(&f, 6, 0, 0);
	tcp(&f, 1, 2, 0);

	struct sl_interp_packet p = {.hook = SL_HOOK_TC_INGRESS,
				     .data = f.b,
				     .len = f.len,
				     .vlan_present = true,
				     .vlan_tci = 0x2000 | 10};
	sl_interp_parse(&p, &fs);
	assert_field(fs, SL_FIELD_VLAN_ID, 10);
	assert_field(fs, SL_FIELD_META_PROTOCOL, SL_ETH_P_8021Q); /* one in-packet tag only */
	assert_absent(fs, SL_FIELD_IP_SADDR);

	f.len = 0;
	eth(&f, SL_ETH_P_IP);
	ipv4(&f, 6, 0, 0);
	tcp(&f, 1, 2, 0);
	p.len = f.len;
	sl_interp_parse(&p, &fs);
	assert_field(fs, SL_FIELD_VLAN_ID, 10);
	assert_field(fs, SL_FIELD_TCP_DPORT, 2);
	/* meta length is the frame on the wire: the tag's 4 bytes count */
	assert_field(fs, SL_FIELD_META_LENGTH, f.len + 4);
	assert_int_equal(sl_interp_wire_length(&p), f.len + 4);

	/* XDP has no skb metadata: the flag means nothing there */
	p.hook = SL_HOOK_XDP;
	sl_interp_parse(&p, &fs);
	assert_absent(fs, SL_FIELD_VLAN_ID);
	assert_field(fs, SL_FIELD_META_LENGTH, f.len);
}

/* Section 4: every IPv4 field, IHL and every truncation point. */
static void ipv4_fields_and_truncation(void **state)
{
	struct frame f = {0};
	struct sl_interp_fields fs;

	eth(&f, SL_ETH_P_IP);
	ipv4(&f, 6, 0, 2); /* 8 bytes of options */
	tcp(&f, 4000, 443, 0x12);
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_IP_SADDR, 0x0a000001);
	assert_field(fs, SL_FIELD_IP_DADDR, 0xc0a80102);
	assert_field(fs, SL_FIELD_IP_PROTOCOL, 6);
	assert_field(fs, SL_FIELD_IP_TTL, 64);
	assert_field(fs, SL_FIELD_IP_LENGTH, 1234);
	assert_field(fs, SL_FIELD_IP_DSCP, 46);
	assert_field(fs, SL_FIELD_IP_FRAG, SL_FRAG_NONE);
	assert_field(fs, SL_FIELD_META_L4PROTO, 6);
	assert_field(fs, SL_FIELD_TCP_SPORT, 4000);
	assert_field(fs, SL_FIELD_TCP_DPORT, 443);
	assert_field(fs, SL_FIELD_TCP_FLAGS, 0x12);
	assert_field(fs, SL_FIELD_TH_SPORT, 4000);
	assert_field(fs, SL_FIELD_TH_DPORT, 443);
	assert_absent(fs, SL_FIELD_UDP_DPORT);
	assert_absent(fs, SL_FIELD_IP6_SADDR);

	/* IPv4 needs all IHL*4 = 28 bytes; TCP all 20 after them */
	for (size_t len = 14; len <= f.len; len++) {
		fs = parse_cut(&f, len, SL_HOOK_XDP);
		assert_field(fs, SL_FIELD_META_PROTOCOL, SL_ETH_P_IP);
		assert_int_equal(fs.present[SL_FIELD_IP_SADDR], len >= 14 + 28);
		assert_int_equal(fs.present[SL_FIELD_META_L4PROTO], len >= 14 + 28);
		assert_int_equal(fs.present[SL_FIELD_TCP_DPORT], len >= 14 + 28 + 20);
		assert_int_equal(fs.present[SL_FIELD_TCP_FLAGS], len >= 14 + 28 + 20);
		assert_int_equal(fs.present[SL_FIELD_TH_SPORT], len >= 14 + 28 + 20);
	}
}

static void ipv4_sanity(void **state)
{
	struct frame f = {0};
	struct sl_interp_fields fs;

	eth(&f, SL_ETH_P_IP);
	ipv4(&f, 17, 0, 0);
	udp(&f, 1, 2);
	f.b[14] = 0x65; /* version 6 */
	fs = parse(&f, f.len);
	assert_absent(fs, SL_FIELD_IP_SADDR);
	assert_absent(fs, SL_FIELD_META_L4PROTO);
	assert_absent(fs, SL_FIELD_UDP_DPORT);
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		f.b[14] = 0x40 | ihl;
		fs = parse(&f, f.len);
		assert_absent(fs, SL_FIELD_IP_TTL);
	}
	/* IHL 15 (60 bytes) larger than the packet */
	f.b[14] = 0x4f;
	fs = parse(&f, f.len);
	assert_absent(fs, SL_FIELD_IP_PROTOCOL);
	/* IHL 7: UDP is read at 28, i.e. 8 bytes in */
	f.b[14] = 0x47;
	fs = parse(&f, f.len + 8);
	assert_field(fs, SL_FIELD_IP_PROTOCOL, 17);
	assert_true(fs.present[SL_FIELD_UDP_DPORT]);
	assert_field(fs, SL_FIELD_UDP_SPORT, 0);
	/* total length is not used to bound the packet */
	f.b[14] = 0x45;
	f.b[16] = 0;
	f.b[17] = 20;
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_IP_LENGTH, 20);
	assert_field(fs, SL_FIELD_UDP_DPORT, 2);
}

/* Section 4: fragment states and L4 only for non-later fragments. */
static void ipv4_fragments(void **state)
{
	static const struct {
		uint16_t word;
		unsigned frag;
	} cases[] = {
	    {0x0000, SL_FRAG_NONE},  {0x4000, SL_FRAG_NONE}, /* DF */
	    {0x2000, SL_FRAG_FIRST}, {0x6000, SL_FRAG_FIRST}, {0x2001, SL_FRAG_LATER},
	    {0x0001, SL_FRAG_LATER}, {0x1fff, SL_FRAG_LATER}, {0x8000, SL_FRAG_NONE},
	};

	for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
		struct frame f = {0};
		struct sl_interp_fields fs;

		eth(&f, SL_ETH_P_IP);
		ipv4(&f, 6, cases[i].word, 0);
		tcp(&f, 1, 80, 0);
		fs = parse(&f, f.len);
		assert_field(fs, SL_FIELD_IP_FRAG, cases[i].frag);
		assert_field(fs, SL_FIELD_META_L4PROTO, 6);
		assert_int_equal(fs.present[SL_FIELD_TCP_DPORT], cases[i].frag != SL_FRAG_LATER);
		assert_int_equal(fs.present[SL_FIELD_TH_DPORT], cases[i].frag != SL_FRAG_LATER);
	}
}

/* Section 5: fixed header. */
static void ipv6_fixed_header(void **state)
{
	struct frame f = {0};
	struct sl_interp_fields fs;

	eth(&f, SL_ETH_P_IPV6);
	ipv6(&f, 17);
	udp(&f, 5353, 53);
	fs = parse(&f, f.len);
	assert_true(fs.value[SL_FIELD_IP6_SADDR] ==
		    ((sl_u128)0x20010db800000000ULL << 64 | (sl_u128)1));
	assert_true(fs.value[SL_FIELD_IP6_DADDR] ==
		    ((sl_u128)0xfe80000000000000ULL << 64 | (sl_u128)2));
	assert_field(fs, SL_FIELD_IP6_NEXTHDR, 17);
	assert_field(fs, SL_FIELD_IP6_HOPLIMIT, 255);
	assert_field(fs, SL_FIELD_META_L4PROTO, 17);
	assert_field(fs, SL_FIELD_UDP_SPORT, 5353);
	assert_field(fs, SL_FIELD_TH_DPORT, 53);
	assert_absent(fs, SL_FIELD_IP_SADDR);
	assert_absent(fs, SL_FIELD_IP_FRAG);
	for (size_t len = 14; len <= f.len; len++) {
		fs = parse_cut(&f, len, SL_HOOK_XDP);
		assert_int_equal(fs.present[SL_FIELD_IP6_SADDR], len >= 54);
		assert_int_equal(fs.present[SL_FIELD_META_L4PROTO], len >= 54);
		assert_int_equal(fs.present[SL_FIELD_UDP_DPORT], len >= 62);
	}
	f.b[14] = 0x40;
	fs = parse(&f, f.len);
	assert_absent(fs, SL_FIELD_IP6_NEXTHDR);
}

/* Section 5: each extension header type and its length rule. */
static void ipv6_extension_headers(void **state)
{
	struct frame f = {0};
	struct sl_interp_fields fs;

	eth(&f, SL_ETH_P_IPV6);
	ipv6(&f, 0);
	ext(&f, 43, 0); /* hop-by-hop, 8 bytes */
	ext(&f, 60, 1); /* routing, 16 bytes */
	ext(&f, 44, 0); /* destination options, 8 bytes */
	put8(&f, 6);	/* fragment, offset 0 with M set: the first fragment */
	put8(&f, 0);
	put16(&f, 0x0001);
	put32(&f, 99);
	tcp(&f, 7, 8, 0x01);
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_IP6_NEXTHDR, 0);
	assert_field(fs, SL_FIELD_META_L4PROTO, 6);
	assert_field(fs, SL_FIELD_TCP_DPORT, 8);
	assert_field(fs, SL_FIELD_TCP_FLAGS, 0x01);
	assert_field(fs, SL_FIELD_IP6_FRAG, SL_FRAG_FIRST);

	/* every truncation point: no l4proto until every extension header is whole */
	size_t l4 = f.len - 20;
	for (size_t len = 54; len <= f.len; len++) {
		fs = parse_cut(&f, len, SL_HOOK_XDP);
		assert_true(fs.present[SL_FIELD_IP6_NEXTHDR]);
		assert_int_equal(fs.present[SL_FIELD_META_L4PROTO], len >= l4);
		/* ip6 frag is known exactly when l4proto is */
		assert_int_equal(fs.present[SL_FIELD_IP6_FRAG], len >= l4);
		assert_int_equal(fs.present[SL_FIELD_TCP_SPORT], len == f.len);
	}
	/* M clear, offset 0 (an atomic fragment): a whole packet */
	f.b[l4 - 8 + 3] = 0;
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_IP6_FRAG, SL_FRAG_NONE);
	assert_field(fs, SL_FIELD_TCP_DPORT, 8);
}

/* Section 5: AH is the upper-layer protocol, as on IPv4 (and in nftables). */
static void ipv6_ah_ends_the_walk(void **state)
{
	struct frame f = {0};
	struct sl_interp_fields fs;

	eth(&f, SL_ETH_P_IPV6);
	ipv6(&f, 0);
	ext(&f, 51, 0); /* hop-by-hop, 8 bytes */
	put8(&f, 6);	/* AH: (2 + 2) * 4 = 16 bytes, then TCP */
	put8(&f, 2);
	putn(&f, 0, 14);
	tcp(&f, 7, 8, 0x01);
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_META_L4PROTO, 51);
	assert_field(fs, SL_FIELD_IP6_FRAG, SL_FRAG_NONE);
	assert_absent(fs, SL_FIELD_TCP_DPORT);
	assert_absent(fs, SL_FIELD_TH_DPORT);
}

/* Section 5: ip6 frag of IPv6 without extension headers, and of IPv4. */
static void ipv6_frag_state(void **state)
{
	struct frame f = {0};
	struct sl_interp_fields fs;

	eth(&f, SL_ETH_P_IPV6);
	ipv6(&f, 17);
	udp(&f, 1, 2);
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_IP6_FRAG, SL_FRAG_NONE);
	fs = parse_cut(&f, 53, SL_HOOK_XDP); /* fixed header cut: nothing */
	assert_absent(fs, SL_FIELD_IP6_FRAG);

	f.len = 0;
	eth(&f, SL_ETH_P_IP);
	ipv4(&f, 6, 0, 0);
	tcp(&f, 1, 2, 0);
	fs = parse(&f, f.len);
	assert_absent(fs, SL_FIELD_IP6_FRAG);
}

/* Section 5: a fragment header with a non-zero offset ends the walk. */
static void ipv6_later_fragment(void **state)
{
	struct frame f = {0};
	struct sl_interp_fields fs;

	eth(&f, SL_ETH_P_IPV6);
	ipv6(&f, 44);
	put8(&f, 17);
	put8(&f, 0);
	put16(&f, 0x0008); /* offset 1 (8 bytes), M clear */
	put32(&f, 1);
	udp(&f, 1, 2);
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_META_L4PROTO, 17);
	assert_field(fs, SL_FIELD_IP6_FRAG, SL_FRAG_LATER);
	assert_absent(fs, SL_FIELD_UDP_DPORT);
	assert_absent(fs, SL_FIELD_TH_DPORT);
	/* the fragment header's Next Header is l4proto even if it names an extension */
	f.b[54] = 60;
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_META_L4PROTO, 60);
	/* the reserved/M bits alone are not an offset */
	f.b[54] = 17;
	f.b[57] = 0x07;
	f.b[56] = 0;
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_UDP_DPORT, 2);
	/* a truncated fragment header hides l4proto */
	fs = parse_cut(&f, 54 + 7, SL_HOOK_XDP);
	assert_absent(fs, SL_FIELD_META_L4PROTO);
}

/* Section 5: at most 6 extension headers are walked. */
static void ipv6_extension_bound(void **state)
{
	for (unsigned n = 0; n <= 8; n++) {
		struct frame f = {0};
		struct sl_interp_fields fs;

		eth(&f, SL_ETH_P_IPV6);
		ipv6(&f, n ? 60 : 17);
		for (unsigned i = 0; i < n; i++)
			ext(&f, i + 1 < n ? 60 : 17, 0);
		udp(&f, 9, 10);
		fs = parse(&f, f.len);
		assert_int_equal(fs.present[SL_FIELD_META_L4PROTO], n <= SL_IP6_MAX_EXT_HEADERS);
		assert_int_equal(fs.present[SL_FIELD_UDP_DPORT], n <= SL_IP6_MAX_EXT_HEADERS);
		if (n <= SL_IP6_MAX_EXT_HEADERS)
			assert_field(fs, SL_FIELD_META_L4PROTO, 17);
	}
	/* after 6, even a later-fragment header is one too many */
	struct frame f = {0};
	eth(&f, SL_ETH_P_IPV6);
	ipv6(&f, 0);
	for (unsigned i = 0; i < 6; i++)
		ext(&f, i < 5 ? 0 : 44, 0);
	put8(&f, 17);
	put8(&f, 0);
	put16(&f, 0x0100);
	put32(&f, 0);
	struct sl_interp_fields fs = parse(&f, f.len);
	assert_absent(fs, SL_FIELD_META_L4PROTO);
	/* ESP and no-next-header are upper-layer protocols */
	f.len = 0;
	eth(&f, SL_ETH_P_IPV6);
	ipv6(&f, 0);
	ext(&f, 50, 0);
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_META_L4PROTO, 50);
	f.b[54] = 59;
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_META_L4PROTO, 59);
}

/* Section 6: minimal header sizes, ICMP only on its own IP version. */
static void l4_minimal_headers(void **state)
{
	static const struct {
		uint8_t proto;
		size_t hlen;
		enum sl_field field;
	} cases[] = {
	    {6, 20, SL_FIELD_TCP_SPORT},
	    {17, 8, SL_FIELD_UDP_SPORT},
	    {1, 4, SL_FIELD_ICMP_TYPE},
	};

	for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
		struct frame f = {0};

		eth(&f, SL_ETH_P_IP);
		ipv4(&f, cases[i].proto, 0, 0);
		putn(&f, 0x11, cases[i].hlen);
		for (size_t len = 34; len <= f.len; len++) {
			struct sl_interp_fields fs = parse_cut(&f, len, SL_HOOK_TC_INGRESS);

			assert_field(fs, SL_FIELD_META_L4PROTO, cases[i].proto);
			assert_int_equal(fs.present[cases[i].field], len == f.len);
		}
	}

	struct frame f = {0};
	struct sl_interp_fields fs;
	eth(&f, SL_ETH_P_IPV6);
	ipv6(&f, 1); /* ICMP (v4) inside IPv6 */
	icmp(&f, 8, 0);
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_META_L4PROTO, 1);
	assert_absent(fs, SL_FIELD_ICMP_TYPE);
	f.b[20] = 58;
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_ICMP6_TYPE, 8);
	assert_field(fs, SL_FIELD_ICMP6_CODE, 0);
	for (size_t len = 54; len < f.len; len++)
		assert_absent(parse_cut(&f, len, SL_HOOK_XDP), SL_FIELD_ICMP6_CODE);

	f.len = 0;
	eth(&f, SL_ETH_P_IP);
	ipv4(&f, 58, 0, 0); /* ICMPv6 inside IPv4 */
	icmp(&f, 128, 0);
	fs = parse(&f, f.len);
	assert_absent(fs, SL_FIELD_ICMP6_TYPE);
	f.b[23] = 1;
	fs = parse(&f, f.len);
	assert_field(fs, SL_FIELD_ICMP_TYPE, 128);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(meta_fields_every_hook),
	    cmocka_unit_test(cgroup_sees_ip_header),
	    cmocka_unit_test(ethernet_truncation),
	    cmocka_unit_test(vlan_tags),
	    cmocka_unit_test(vlan_tc_metadata),
	    cmocka_unit_test(ipv4_fields_and_truncation),
	    cmocka_unit_test(ipv4_sanity),
	    cmocka_unit_test(ipv4_fragments),
	    cmocka_unit_test(ipv6_fixed_header),
	    cmocka_unit_test(ipv6_extension_headers),
	    cmocka_unit_test(ipv6_ah_ends_the_walk),
	    cmocka_unit_test(ipv6_frag_state),
	    cmocka_unit_test(ipv6_later_fragment),
	    cmocka_unit_test(ipv6_extension_bound),
	    cmocka_unit_test(l4_minimal_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
