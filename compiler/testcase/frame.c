// SPDX-License-Identifier: GPL-2.0-only
/*
 * The frame of a described packet: Ethernet (with up to two VLAN tags),
 * then ARP, IPv4 or IPv6 (with extension headers and a fragment header),
 * then TCP, UDP, ICMP or ICMPv6, then zero bytes up to the length asked.
 * Written from the RFCs, independent of the interpreter's parser and of
 * emit's: the three must agree on what these bytes are.
 */
#include <errno.h>
#include <string.h>

#include "testcase/testcase.h"

#define ETH_HLEN 14

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_addr(uint8_t *p, sl_u128 v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

/* The L4 header's size, 0 when there is none (a later fragment, `proto` alone). */
static size_t l4_size(const struct sl_tc_packet *p)
{
	if (p->frag == SL_FRAG_LATER)
		return 0;
	switch (p->l4) {
	case SL_TC_L4_TCP:
		return 20;
	case SL_TC_L4_UDP:
	case SL_TC_L4_ICMP:
	case SL_TC_L4_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

static void write_l4(const struct sl_tc_packet *p, uint8_t *h)
{
	switch (p->l4) {
	case SL_TC_L4_TCP:
		put16(h, p->sport);
		put16(h + 2, p->dport);
		h[12] = 5 << 4; /* data offset: 20 bytes */
		h[13] = p->tcp_flags;
		put16(h + 14, 0xffff); /* window */
		break;
	case SL_TC_L4_UDP:
		put16(h, p->sport);
		put16(h + 2, p->dport);
		break;
	default: /* ICMP, ICMPv6 */
		h[0] = p->icmp_type;
		h[1] = p->icmp_code;
		break;
	}
}

/* IPv6 extension headers, the fragment header last; returns the bytes written. */
static size_t write_ext(const struct sl_tc_packet *p, uint8_t *h, uint8_t *first)
{
	size_t off = 0;
	bool frag = p->frag != SL_FRAG_NONE;
	unsigned total = p->next + (frag ? 1 : 0);

	*first = p->next ? p->ext[0] : frag ? 44 : p->proto;
	for (unsigned i = 0; i < total; i++) {
		uint8_t *e = h + off;
		uint8_t nh = i + 1 < p->next ? p->ext[i + 1] : (i + 1 < total ? 44 : p->proto);

		memset(e, 0, 8);
		e[0] = nh;
		if (i < p->next && p->ext[i] != 43) {
			e[2] = 1; /* PadN over the 4 bytes left */
			e[3] = 4;
		}
		if (i == p->next) { /* the fragment header */
			uint16_t fo = p->frag == SL_FRAG_LATER ? 185 : 0;

			put16(e + 2, (uint32_t)(fo << 3) | (p->frag == SL_FRAG_FIRST ? 1 : 0));
			e[7] = 1; /* identification */
		}
		off += 8;
	}
	return off;
}

static size_t l3_size(const struct sl_tc_packet *p)
{
	switch (p->l3) {
	case SL_TC_L3_ARP:
		return 28;
	case SL_TC_L3_IPV4:
		return 20;
	case SL_TC_L3_IPV6:
		return 40 + 8 * (p->next + (p->frag != SL_FRAG_NONE ? 1 : 0));
	default:
		return 0;
	}
}

int sl_tc_frame(const struct sl_tc_packet *p, enum sl_hook hook, struct sl_diag *diag,
		uint8_t frame[SL_TC_FRAME_MAX])
{
	bool l2 = sl_hook_has_l2(hook);
	size_t l3 = ETH_HLEN + 4 * p->nvlan, l4 = l3 + l3_size(p), len = l4 + l4_size(p);
	size_t seen = len - (l2 ? 0 : ETH_HLEN); /* `meta length` of the shortest frame */
	uint16_t type = p->l3 == SL_TC_L3_IPV4	 ? SL_ETH_P_IP
			: p->l3 == SL_TC_L3_IPV6 ? SL_ETH_P_IPV6
			: p->l3 == SL_TC_L3_ARP	 ? SL_ETH_P_ARP
						 : p->ethertype;

	if (!l2 && p->nvlan) {
		sl_error(diag, p->vlan_loc,
			 "a %s program sees no VLAN tags (it sees packets from the IP header on)",
			 sl_hook_name(hook));
		return -EINVAL;
	}
	if (!l2 && p->mac_loc.line) {
		sl_error(
		    diag, p->mac_loc,
		    "a %s program sees no MAC addresses (it sees packets from the IP header on)",
		    sl_hook_name(hook));
		return -EINVAL;
	}
	if (p->length && p->length < seen) {
		sl_error(diag, p->length_loc,
			 "length %u is shorter than this packet's headers: at least %zu on %s",
			 p->length, seen, sl_hook_name(hook));
		return -EINVAL;
	}
	if (p->length)
		len = p->length + (l2 ? 0 : ETH_HLEN);
	if (len > SL_TC_FRAME_MAX) {
		sl_error(diag, p->length_loc, "length %u is over the largest frame (%d bytes)",
			 p->length, SL_TC_FRAME_MAX);
		return -EINVAL;
	}
	memset(frame, 0, len);
	memcpy(frame, p->dmac, 6);
	memcpy(frame + 6, p->smac, 6);
	for (unsigned i = 0; i < p->nvlan; i++) {
		/* two tags: 802.1ad outside, 802.1Q inside (QinQ) */
		put16(frame + 12 + 4 * i,
		      p->nvlan == 2 && i == 0 ? SL_ETH_P_8021AD : SL_ETH_P_8021Q);
		put16(frame + 14 + 4 * i, p->vlan[i]);
	}
	put16(frame + l3 - 2, type);

	uint8_t *h = frame + l3;

	switch (p->l3) {
	case SL_TC_L3_ARP:
		put16(h, 1); /* Ethernet */
		put16(h + 2, SL_ETH_P_IP);
		h[4] = 6;
		h[5] = 4;
		put16(h + 6, 1); /* request */
		memcpy(h + 8, p->smac, 6);
		break;
	case SL_TC_L3_IPV4: {
		uint16_t frag = p->frag == SL_FRAG_FIRST   ? 0x2000 /* MF */
				: p->frag == SL_FRAG_LATER ? 185    /* x 8 bytes */
							   : 0;

		h[0] = 0x45;
		h[1] = (uint8_t)(p->dscp << 2);
		put16(h + 2, (uint32_t)(len - l3));
		put16(h + 4, 1); /* identification */
		put16(h + 6, frag);
		h[8] = p->ttl;
		h[9] = p->proto;
		put_addr(h + 12, p->saddr, 4);
		put_addr(h + 16, p->daddr, 4);
		break;
	}
	case SL_TC_L3_IPV6: {
		uint8_t first;

		h[0] = 0x60;
		put16(h + 4, (uint32_t)(len - l3 - 40));
		h[7] = p->ttl;
		put_addr(h + 8, p->saddr, 16);
		put_addr(h + 24, p->daddr, 16);
		write_ext(p, h + 40, &first);
		h[6] = first;
		break;
	}
	default:
		break;
	}
	if (l4_size(p)) {
		write_l4(p, frame + l4);
		if (p->l4 == SL_TC_L4_UDP)
			put16(frame + l4 + 4, (uint32_t)(len - l4));
	}
	return (int)len;
}
