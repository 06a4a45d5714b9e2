// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "gen_packet.h"

struct pb {
	struct gen_packet *p;
	struct rng *r;
	const struct gen_values *v;
	/* offsets where a truncation is most interesting: header starts and ends */
	size_t cuts[32];
	unsigned ncuts;
	const struct gen_corner *corner; /* aim at this rule's box, or NULL */
};

/* TCP, UDP and th ports are one port as far as a box's corner goes. */
static enum sl_field port_class(enum sl_field f)
{
	switch (f) {
	case SL_FIELD_TCP_SPORT:
	case SL_FIELD_UDP_SPORT:
		return SL_FIELD_TH_SPORT;
	case SL_FIELD_TCP_DPORT:
	case SL_FIELD_UDP_DPORT:
		return SL_FIELD_TH_DPORT;
	default:
		return f;
	}
}

/* A corner of the box in field f (now and then just outside it); false when the rule leaves f. */
static bool corner_val(struct pb *b, enum sl_field f, sl_u128 *out)
{
	const struct gen_corner *c = b->corner;

	for (unsigned i = 0; c && i < c->n; i++) {
		if (port_class(c->field[i]) != port_class(f))
			continue;
		bool high = rng_pct(b->r, 50);
		sl_u128 v = high ? c->hi[i] : c->lo[i];
		if (rng_pct(b->r, 15)) {
			if (high && v < sl_field_max(f))
				v++;
			else if (!high && v > 0)
				v--;
		}
		*out = v;
		return true;
	}
	return false;
}

/* The L4 protocol the box's rule needs, or -1 when it does not say. */
static int corner_l4(const struct gen_corner *c, struct rng *r)
{
	for (unsigned i = 0; c && i < c->n; i++) {
		switch (c->field[i]) {
		case SL_FIELD_TCP_SPORT:
		case SL_FIELD_TCP_DPORT:
			return 6;
		case SL_FIELD_UDP_SPORT:
		case SL_FIELD_UDP_DPORT:
			return 17;
		case SL_FIELD_TH_SPORT:
		case SL_FIELD_TH_DPORT:
			return rng_pct(r, 50) ? 6 : 17;
		default:
			break;
		}
	}
	return -1;
}

static void cut_here(struct pb *b)
{
	if (b->ncuts < SL_ARRAY_SIZE(b->cuts))
		b->cuts[b->ncuts++] = b->p->len;
}

static void put(struct pb *b, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++) {
		if (b->p->len < GEN_PKT_MAX)
			b->p->data[b->p->len++] = v >> (8 * (bytes - 1 - i));
	}
}

static void put128(struct pb *b, sl_u128 v)
{
	put(b, (uint64_t)(v >> 64), 8);
	put(b, (uint64_t)v, 8);
}

/* A value of field f: mostly one the policy cares about. */
static sl_u128 val(struct pb *b, enum sl_field f, sl_u128 fallback)
{
	const struct gen_values *v = b->v;
	unsigned roll = rng_below(b->r, 100);
	sl_u128 c;

	if (b->corner && corner_val(b, f, &c))
		return c;
	if (roll < 70 && v->n[f])
		return v->v[f][rng_below(b->r, v->n[f])];
	if (roll < 85)
		return fallback;
	return rng_u128(b->r) & sl_field_max(f);
}

/* An L4 protocol, often one that a policy's matches imply. */
static uint8_t pick_l4(struct pb *b, bool v6)
{
	static const uint8_t common[] = {6, 6, 17, 17, 1, 58, 50, 59, 132, 0};
	unsigned roll = rng_below(b->r, 100);
	int want = corner_l4(b->corner, b->r);
	sl_u128 proto;

	if (want >= 0)
		return (uint8_t)want;
	if (b->corner && corner_val(b, SL_FIELD_IP_PROTOCOL, &proto))
		return (uint8_t)proto;
	if (roll < 30)
		return val(b, SL_FIELD_META_L4PROTO, 6);
	if (roll < 40)
		return v6 ? val(b, SL_FIELD_IP6_NEXTHDR, 58) : val(b, SL_FIELD_IP_PROTOCOL, 1);
	if (roll < 50)
		return v6 ? 58 : 1;
	return common[rng_below(b->r, SL_ARRAY_SIZE(common))];
}

static void l4(struct pb *b, uint8_t proto)
{
	cut_here(b);
	switch (proto) {
	case 6: {
		bool th = rng_pct(b->r, 30);
		put(b, val(b, th ? SL_FIELD_TH_SPORT : SL_FIELD_TCP_SPORT, 40000), 2);
		put(b, val(b, th ? SL_FIELD_TH_DPORT : SL_FIELD_TCP_DPORT, 80), 2);
		put(b, rng_next(b->r), 4);
		put(b, rng_next(b->r), 4);
		put(b, 0x50, 1);
		put(b, val(b, SL_FIELD_TCP_FLAGS, 0x02), 1);
		put(b, 0xffff, 2);
		put(b, 0, 4);
		break;
	}
	case 17: {
		bool th = rng_pct(b->r, 30);
		put(b, val(b, th ? SL_FIELD_TH_SPORT : SL_FIELD_UDP_SPORT, 5353), 2);
		put(b, val(b, th ? SL_FIELD_TH_DPORT : SL_FIELD_UDP_DPORT, 53), 2);
		put(b, 8, 2);
		put(b, 0, 2);
		break;
	}
	case 1:
	case 58: {
		enum sl_field t = proto == 1 ? SL_FIELD_ICMP_TYPE : SL_FIELD_ICMP6_TYPE;
		enum sl_field c = proto == 1 ? SL_FIELD_ICMP_CODE : SL_FIELD_ICMP6_CODE;
		/* the other family's values too: ICMP in IPv6 must not match icmp fields */
		if (rng_pct(b->r, 10))
			t = proto == 1 ? SL_FIELD_ICMP6_TYPE : SL_FIELD_ICMP_TYPE;
		put(b, val(b, t, 8), 1);
		put(b, val(b, c, 0), 1);
		put(b, 0, 2);
		break;
	}
	default:
		put(b, rng_next(b->r), 4);
		break;
	}
	cut_here(b);
	unsigned payload = rng_pct(b->r, 50) ? 0 : rng_below(b->r, 24);
	for (unsigned i = 0; i < payload; i++)
		put(b, rng_next(b->r), 1);
}

static void ipv4(struct pb *b)
{
	unsigned opts = rng_pct(b->r, 20) ? rng_range(b->r, 1, 10) : 0;
	unsigned version = rng_pct(b->r, 3) ? rng_below(b->r, 16) : 4;
	unsigned ihl = rng_pct(b->r, 3) ? rng_below(b->r, 16) : 5 + opts;
	uint8_t proto = pick_l4(b, false);
	uint16_t frag;
	unsigned roll = rng_below(b->r, 100);

	if (roll < 60 || b->corner)
		frag = rng_pct(b->r, 50) ? 0x4000 : 0; /* DF or nothing */
	else if (roll < 75)
		frag = 0x2000; /* first fragment */
	else if (roll < 90)
		frag = (rng_pct(b->r, 50) ? 0x2000 : 0) | rng_range(b->r, 1, 0x1fff);
	else
		frag = val(b, SL_FIELD_IP_FRAG, 0) == SL_FRAG_LATER ? 0x0001 : rng_next(b->r);

	cut_here(b);
	put(b, version << 4 | ihl, 1);
	put(b, val(b, SL_FIELD_IP_DSCP, 0) << 2 | rng_below(b->r, 4), 1);
	put(b, val(b, SL_FIELD_IP_LENGTH, 60), 2);
	put(b, rng_next(b->r), 2);
	put(b, frag, 2);
	put(b, val(b, SL_FIELD_IP_TTL, 64), 1);
	put(b, rng_pct(b->r, 30) && !b->corner ? val(b, SL_FIELD_IP_PROTOCOL, proto) : proto, 1);
	uint8_t real_proto = b->p->data[b->p->len - 1];
	put(b, 0, 2);
	put(b, val(b, SL_FIELD_IP_SADDR, 0x0a000001), 4);
	put(b, val(b, SL_FIELD_IP_DADDR, 0xc0a80102), 4);
	cut_here(b);
	for (unsigned i = 0; i < opts * 4; i++)
		put(b, i % 4 == 3 ? 0 : 1, 1); /* NOPs, then END */
	l4(b, real_proto);
}

static bool is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44;
}

static void ipv6(struct pb *b)
{
	static const uint8_t exts[] = {0, 43, 60, 51, 44};
	unsigned next = rng_pct(b->r, 55) ? 0 : rng_range(b->r, 1, 9);
	uint8_t chain[10];

	for (unsigned i = 0; i < next; i++)
		chain[i] = exts[rng_below(b->r, SL_ARRAY_SIZE(exts))];
	chain[next] = pick_l4(b, true);

	cut_here(b);
	put(b, (rng_pct(b->r, 3) ? rng_below(b->r, 16) : 6) << 28 | rng_below(b->r, 1 << 20), 4);
	put(b, 0, 2);
	put(b,
	    next ? chain[0]
		 : (rng_pct(b->r, 20) ? val(b, SL_FIELD_IP6_NEXTHDR, chain[0]) : chain[0]),
	    1);
	put(b, val(b, SL_FIELD_IP6_HOPLIMIT, 64), 1);
	put128(b, val(b, SL_FIELD_IP6_SADDR, (sl_u128)0x20010db800000000ULL << 64 | 1));
	put128(b, val(b, SL_FIELD_IP6_DADDR, (sl_u128)0x20010db800000000ULL << 64 | 2));
	uint8_t nh = b->p->data[b->p->len - 34];

	for (unsigned i = 0; i < next && is_ext(nh); i++) {
		uint8_t following = chain[i + 1];
		cut_here(b);
		if (nh == 44) {
			bool later = rng_pct(b->r, 30);
			put(b, following, 1);
			put(b, 0, 1);
			put(b, (later ? rng_range(b->r, 1, 0x1fff) << 3 : 0) | rng_below(b->r, 8),
			    2);
			put(b, rng_next(b->r), 4);
			if (later) {
				nh = following;
				/* no L4 header follows a later fragment; bytes anyway */
				l4(b, following);
				return;
			}
		} else {
			unsigned units = rng_pct(b->r, 70) ? 0 : rng_below(b->r, 3);
			size_t hlen = nh == 51 ? (units + 2) * 4 : (units + 1) * 8;
			put(b, following, 1);
			put(b, units, 1);
			for (size_t k = 2; k < hlen; k++)
				put(b, rng_next(b->r), 1);
		}
		nh = following;
	}
	l4(b, nh);
}

static uint16_t pick_ethertype(struct pb *b)
{
	unsigned roll = rng_below(b->r, 100);

	if (roll < 45)
		return SL_ETH_P_IP;
	if (roll < 80)
		return SL_ETH_P_IPV6;
	if (roll < 85)
		return SL_ETH_P_ARP;
	if (roll < 95)
		return val(b, SL_FIELD_META_PROTOCOL, 0x0800);
	return val(b, SL_FIELD_ETHER_TYPE, 0x88cc);
}

void gen_packet(struct rng *r, const struct gen_values *v, enum sl_hook hook,
		struct gen_packet *out)
{
	struct pb b = {.p = out, .r = r, .v = v};
	bool l2 = sl_hook_has_l2(hook);
	unsigned tags = 0, roll = rng_below(r, 100);

	out->len = 0;
	if (l2 && roll >= 55)
		tags = roll < 75 ? 1 : roll < 90 ? 2 : 3;
	if (!l2 && roll >= 90)
		tags = 1; /* cgroup_skb: 0x8100 is just another protocol */
	/* policies with long tables: often a whole IPv4 packet at a corner of one rule's box */
	if (v->ncorners && rng_pct(r, 40)) {
		b.corner = &v->corners[rng_below(r, v->ncorners)];
		tags = l2 && rng_pct(r, 80) ? 0 : tags;
	}

	put(&b, val(&b, SL_FIELD_ETHER_DADDR, 0x020000000002ULL), 6);
	put(&b, val(&b, SL_FIELD_ETHER_SADDR, 0x020000000001ULL), 6);
	uint16_t type = b.corner ? SL_ETH_P_IP : pick_ethertype(&b);
	if (!l2 && type < 0x600)
		type = SL_ETH_P_IP;
	for (unsigned i = 0; i < tags; i++) {
		put(&b, rng_pct(r, 70) ? SL_ETH_P_8021Q : SL_ETH_P_8021AD, 2);
		cut_here(&b);
		put(&b, rng_below(r, 8) << 13 | (uint16_t)val(&b, SL_FIELD_VLAN_ID, 100), 2);
	}
	put(&b, type, 2);
	if (type == SL_ETH_P_IP)
		ipv4(&b);
	else if (type == SL_ETH_P_IPV6)
		ipv6(&b);
	else
		for (unsigned i = 0, n = rng_below(r, 40); i < n; i++)
			put(&b, rng_next(r), 1);

	/* aim at `meta length` bounds by padding up to one */
	if (b.corner)
		return; /* whole, as the rule's box wants it */
	if (rng_pct(r, 15) && v->n[SL_FIELD_META_LENGTH]) {
		sl_u128 want = v->v[SL_FIELD_META_LENGTH][rng_below(r, v->n[SL_FIELD_META_LENGTH])];
		if (!l2)
			want += 14;
		while (out->len < want && out->len < GEN_PKT_MAX)
			put(&b, 0, 1);
	}

	/* truncate: at or next to a header boundary, or anywhere */
	roll = rng_below(r, 100);
	if (roll < 20 && b.ncuts) {
		size_t at = b.cuts[rng_below(r, b.ncuts)] + rng_range(r, 0, 4) - 2;
		if (at < out->len)
			out->len = at;
	} else if (roll < 27) {
		out->len = rng_below(r, out->len + 1);
	}
	if (out->len < 14)
		out->len = 14;
	/* a runt now and then: no Ethernet header (the kernel will not test-run it) */
	if (rng_pct(r, 2)) {
		out->len = rng_range(r, 1, 13);
		return;
	}
	/*
	 * skb test runs (TC, cgroup_skb) refuse a frame whose EtherType says IPv4
	 * or IPv6 but which is shorter than that fixed header (EINVAL): mostly keep
	 * those whole so that the kernel judges them, and leave a few for the
	 * interpreter alone.
	 */
	if (hook != SL_HOOK_XDP && !rng_pct(r, 10)) {
		if (type == SL_ETH_P_IP && !tags && out->len < 34)
			out->len = 34;
		if (type == SL_ETH_P_IPV6 && !tags && out->len < 54)
			out->len = 54;
	}
}

struct sl_interp_packet gen_packet_view(const struct gen_packet *p, enum sl_hook hook)
{
	struct sl_interp_packet v = {.hook = hook, .data = p->data, .len = p->len, .ifindex = 1};

	if (!sl_hook_has_l2(hook) && p->len < 14) {
		v.len = 0;
	} else if (!sl_hook_has_l2(hook)) {
		v.data += 14;
		v.len -= 14;
		v.protocol = gen_packet_skb_protocol(p);
	}
	return v;
}

uint16_t gen_packet_skb_protocol(const struct gen_packet *p)
{
	uint16_t type = p->data[12] << 8 | p->data[13];

	if (type >= 0x600)
		return type;
	if (p->len >= 16 && p->data[14] == 0xff && p->data[15] == 0xff)
		return 0x0001; /* ETH_P_802_3 */
	return 0x0004;	       /* ETH_P_802_2 */
}
