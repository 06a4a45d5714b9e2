// SPDX-License-Identifier: GPL-2.0-only
/*
 * The interpreter's packet parser, written clause by clause from
 * lang-spec/packet-semantics.md (section numbers below refer to it).
 * Every read goes through has() first: no byte outside the packet is read.
 */
#include <string.h>

#include "interp/interp.h"

struct cursor {
	const uint8_t *data;
	size_t len;
};

static bool has(const struct cursor *c, size_t off, size_t n)
{
	return off <= c->len && n <= c->len - off;
}

static uint64_t be(const struct cursor *c, size_t off, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | c->data[off + i];
	return v;
}

static sl_u128 be128(const struct cursor *c, size_t off)
{
	return (sl_u128)be(c, off, 8) << 64 | be(c, off + 8, 8);
}

static void set(struct sl_interp_fields *f, enum sl_field field, sl_u128 v)
{
	f->present[field] = true;
	f->value[field] = v;
}

/* Section 6. proto_ok says the L3 header allows the ICMP flavour. */
static void parse_l4(const struct cursor *c, size_t off, uint8_t l4proto, uint16_t l3,
		     struct sl_interp_fields *f)
{
	switch (l4proto) {
	case SL_IPPROTO_TCP:
		if (!has(c, off, 20))
			return;
		set(f, SL_FIELD_TCP_SPORT, be(c, off, 2));
		set(f, SL_FIELD_TCP_DPORT, be(c, off + 2, 2));
		set(f, SL_FIELD_TCP_FLAGS, be(c, off + 13, 1));
		set(f, SL_FIELD_TH_SPORT, be(c, off, 2));
		set(f, SL_FIELD_TH_DPORT, be(c, off + 2, 2));
		return;
	case SL_IPPROTO_UDP:
		if (!has(c, off, 8))
			return;
		set(f, SL_FIELD_UDP_SPORT, be(c, off, 2));
		set(f, SL_FIELD_UDP_DPORT, be(c, off + 2, 2));
		set(f, SL_FIELD_TH_SPORT, be(c, off, 2));
		set(f, SL_FIELD_TH_DPORT, be(c, off + 2, 2));
		return;
	case SL_IPPROTO_ICMP:
		if (l3 != SL_ETH_P_IP || !has(c, off, 4))
			return;
		set(f, SL_FIELD_ICMP_TYPE, be(c, off, 1));
		set(f, SL_FIELD_ICMP_CODE, be(c, off + 1, 1));
		f->l4_off = off;
		return;
	case SL_IPPROTO_ICMPV6:
		if (l3 != SL_ETH_P_IPV6 || !has(c, off, 4))
			return;
		set(f, SL_FIELD_ICMP6_TYPE, be(c, off, 1));
		set(f, SL_FIELD_ICMP6_CODE, be(c, off + 1, 1));
		f->l4_off = off;
		return;
	default:
		return;
	}
}

/* Section 4. */
static void parse_ipv4(const struct cursor *c, size_t off, struct sl_interp_fields *f)
{
	if (!has(c, off, 20))
		return;
	unsigned version = c->data[off] >> 4;
	unsigned ihl = c->data[off] & 0xf;
	if (version != 4 || ihl < 5 || !has(c, off, ihl * 4))
		return;

	uint8_t proto = c->data[off + 9];
	uint16_t fragword = be(c, off + 6, 2);
	unsigned frag = (fragword & 0x1fff)   ? SL_FRAG_LATER
			: (fragword & 0x2000) ? SL_FRAG_FIRST
					      : SL_FRAG_NONE;

	set(f, SL_FIELD_IP_DSCP, c->data[off + 1] >> 2);
	set(f, SL_FIELD_IP_LENGTH, be(c, off + 2, 2));
	set(f, SL_FIELD_IP_FRAG, frag);
	set(f, SL_FIELD_IP_TTL, c->data[off + 8]);
	set(f, SL_FIELD_IP_PROTOCOL, proto);
	set(f, SL_FIELD_IP_SADDR, be(c, off + 12, 4));
	set(f, SL_FIELD_IP_DADDR, be(c, off + 16, 4));
	set(f, SL_FIELD_META_L4PROTO, proto);
	if (frag != SL_FRAG_LATER)
		parse_l4(c, off + ihl * 4, proto, SL_ETH_P_IP, f);
}

/* AH (51) is not among them: it is the upper-layer protocol, as on IPv4. */
static bool ip6_is_extension(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 44;
}

/* Section 5. */
static void parse_ipv6(const struct cursor *c, size_t off, struct sl_interp_fields *f)
{
	if (!has(c, off, 40) || c->data[off] >> 4 != 6)
		return;

	uint8_t nh = c->data[off + 6];
	set(f, SL_FIELD_IP6_NEXTHDR, nh);
	set(f, SL_FIELD_IP6_HOPLIMIT, c->data[off + 7]);
	set(f, SL_FIELD_IP6_SADDR, be128(c, off + 8));
	set(f, SL_FIELD_IP6_DADDR, be128(c, off + 24));

	/* ip6 frag: first once a stepped-over fragment header has M set. */
	unsigned frag = SL_FRAG_NONE;
	size_t pos = off + 40;
	for (unsigned walked = 0;; walked++) {
		if (!ip6_is_extension(nh)) {
			set(f, SL_FIELD_META_L4PROTO, nh);
			set(f, SL_FIELD_IP6_FRAG, frag);
			parse_l4(c, pos, nh, SL_ETH_P_IPV6, f);
			return;
		}
		if (walked == SL_IP6_MAX_EXT_HEADERS)
			return; /* still an extension header after the bound */

		size_t hlen;
		if (nh == 44) {
			hlen = 8;
		} else {
			if (!has(c, pos, 2))
				return;
			hlen = ((size_t)c->data[pos + 1] + 1) * 8;
		}
		if (!has(c, pos, hlen))
			return;
		uint8_t next = c->data[pos];
		if (nh == 44 && (be(c, pos + 2, 2) & 0xfff8)) {
			set(f, SL_FIELD_META_L4PROTO, next); /* later fragment: no L4 header */
			set(f, SL_FIELD_IP6_FRAG, SL_FRAG_LATER);
			return;
		}
		if (nh == 44 && (be(c, pos + 2, 2) & 1))
			frag = SL_FRAG_FIRST;
		nh = next;
		pos += hlen;
	}
}

static bool is_vlan_type(uint16_t type)
{
	return type == SL_ETH_P_8021Q || type == SL_ETH_P_8021AD;
}

/*
 * Section 3: Ethernet and VLAN tags. Returns false when meta protocol is
 * absent; otherwise *proto and *l3 (the offset after the tags) are set.
 */
static bool parse_l2(const struct sl_interp_packet *pkt, const struct cursor *c,
		     struct sl_interp_fields *f, uint16_t *proto, size_t *l3)
{
	if (!has(c, 0, 14))
		return false;
	set(f, SL_FIELD_ETHER_DADDR, be(c, 0, 6));
	set(f, SL_FIELD_ETHER_SADDR, be(c, 6, 6));

	uint16_t type = be(c, 12, 2);
	size_t pos = 14;
	unsigned tags = 0;

	/* Section 2: on TC the kernel may hold the outer tag in skb metadata. */
	bool tc = pkt->hook == SL_HOOK_TC_INGRESS || pkt->hook == SL_HOOK_TC_EGRESS;
	if (tc && pkt->vlan_present) {
		set(f, SL_FIELD_VLAN_ID, pkt->vlan_tci & 0xfff);
		tags = 1;
	}
	while (is_vlan_type(type) && tags < SL_MAX_VLAN_TAGS) {
		if (!has(c, pos, 4))
			return false; /* an announced tag is truncated */
		if (tags == 0)
			set(f, SL_FIELD_VLAN_ID, be(c, pos, 2) & 0xfff);
		type = be(c, pos + 2, 2);
		pos += 4;
		tags++;
	}
	*proto = type;
	*l3 = pos;
	return true;
}

/* Section 2: the frame on the wire, with a tag TC holds in skb metadata. */
uint64_t sl_interp_wire_length(const struct sl_interp_packet *pkt)
{
	bool tc = pkt->hook == SL_HOOK_TC_INGRESS || pkt->hook == SL_HOOK_TC_EGRESS;
	uint64_t len = pkt->data ? pkt->len : 0;

	return tc && pkt->vlan_present ? len + 4 : len;
}

void sl_interp_parse(const struct sl_interp_packet *pkt, struct sl_interp_fields *f)
{
	struct cursor c = {pkt->data, pkt->data ? pkt->len : 0};
	uint16_t proto;
	size_t l3 = 0;

	memset(f, 0, sizeof(*f));
	set(f, SL_FIELD_META_LENGTH, sl_interp_wire_length(pkt));
	set(f, SL_FIELD_META_IFINDEX, pkt->ifindex);
	set(f, SL_FIELD_META_IFNAME, 0);
	for (uint32_t k = 1; k <= pkt->nifnames; k++)
		if (pkt->ifname_index[k - 1] && pkt->ifname_index[k - 1] == pkt->ifindex)
			set(f, SL_FIELD_META_IFNAME, k);

	if (sl_hook_has_l2(pkt->hook)) {
		if (!parse_l2(pkt, &c, f, &proto, &l3))
			return;
		set(f, SL_FIELD_ETHER_TYPE, proto);
	} else {
		proto = pkt->protocol;
	}
	set(f, SL_FIELD_META_PROTOCOL, proto);

	if (proto == SL_ETH_P_IP)
		parse_ipv4(&c, l3, f);
	else if (proto == SL_ETH_P_IPV6)
		parse_ipv6(&c, l3, f);
}
