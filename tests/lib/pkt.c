// SPDX-License-Identifier: GPL-2.0-only
#include "pkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct writer {
	uint8_t *buf;
	size_t len;
	bool overflow;
};

static uint8_t *put(struct writer *w, size_t n)
{
	if (w->overflow || w->len + n > SL_PKT_MAX) {
		w->overflow = true;
		return NULL;
	}
	uint8_t *p = w->buf + w->len;

	memset(p, 0, n);
	w->len += n;
	return p;
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, v & 0xffff);
}

void sl_pkt_spec_init(struct sl_pkt_spec *s)
{
	static const uint8_t dst[6] = {2, 0, 0, 0, 0, 2}, src[6] = {2, 0, 0, 0, 0, 1};

	memset(s, 0, sizeof(*s));
	memcpy(s->eth_dst, dst, 6);
	memcpy(s->eth_src, src, 6);
	s->ethertype = -1;
	s->l3 = SL_PKT_IPV4;
	s->ip.saddr = SL_IP4(10, 0, 0, 1);
	s->ip.daddr = SL_IP4(10, 0, 0, 2);
	s->ip.ttl = 64;
	s->ip.version = -1;
	s->ip.ihl = -1;
	s->ip.tot_len = -1;
	sl_pkt_ip6_addr("2001:db8::1", s->ip6.saddr);
	sl_pkt_ip6_addr("2001:db8::2", s->ip6.daddr);
	s->ip6.hoplimit = 64;
	s->ip6.version = -1;
	s->ip6.nexthdr = -1;
	s->ip6.upper = -1;
	s->arp.op = 1;
	s->l4 = SL_PKT_TCP;
	s->tcp.sport = 1234;
	s->tcp.dport = 80;
	s->tcp.flags = 0x02;
	s->udp.sport = 1234;
	s->udp.dport = 53;
	s->icmp.type = 8;
}

int sl_pkt_ip6_addr(const char *text, uint8_t out[16])
{
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : -EINVAL;
}

static int l4_proto(const struct sl_pkt_spec *s)
{
	switch (s->l4) {
	case SL_PKT_TCP:
		return 6;
	case SL_PKT_UDP:
		return 17;
	case SL_PKT_ICMP:
		return 1;
	case SL_PKT_ICMPV6:
		return 58;
	default:
		return 59; /* no next header */
	}
}

static uint16_t l3_ethertype(const struct sl_pkt_spec *s)
{
	switch (s->l3) {
	case SL_PKT_IPV4:
		return 0x0800;
	case SL_PKT_IPV6:
		return 0x86dd;
	case SL_PKT_ARP:
		return 0x0806;
	default:
		return 0x88b5; /* local experimental */
	}
}

static void write_l2(const struct sl_pkt_spec *s, struct writer *w)
{
	uint8_t *p = put(w, 12);

	if (!p)
		return;
	memcpy(p, s->eth_dst, 6);
	memcpy(p + 6, s->eth_src, 6);
	for (unsigned i = 0; i < s->nvlan && i < SL_PKT_MAX_VLAN; i++) {
		p = put(w, 4);
		if (!p)
			return;
		be16(p, s->vlan_tpid[i] ? s->vlan_tpid[i] : 0x8100);
		be16(p + 2, s->vlan_tci[i]);
	}
	p = put(w, 2);
	if (p)
		be16(p, s->ethertype >= 0 ? (uint16_t)s->ethertype : l3_ethertype(s));
}

/* L4 header and payload; returns where it started. */
static void write_l4(const struct sl_pkt_spec *s, struct writer *w)
{
	uint8_t *p;
	size_t start = w->len;

	switch (s->l4) {
	case SL_PKT_TCP: {
		unsigned doff = s->tcp.doff ? s->tcp.doff : 5;

		p = put(w, doff * 4);
		if (!p)
			return;
		be16(p, s->tcp.sport);
		be16(p + 2, s->tcp.dport);
		be32(p + 4, 1);
		p[12] = doff << 4;
		p[13] = s->tcp.flags;
		be16(p + 14, 65535);
		break;
	}
	case SL_PKT_UDP:
		p = put(w, 8);
		if (!p)
			return;
		be16(p, s->udp.sport);
		be16(p + 2, s->udp.dport);
		be16(p + 4, 8 + s->payload_len);
		break;
	case SL_PKT_ICMP:
	case SL_PKT_ICMPV6:
		p = put(w, 8);
		if (!p)
			return;
		p[0] = s->icmp.type;
		p[1] = s->icmp.code;
		break;
	default:
		break;
	}
	(void)start;
	put(w, s->payload_len);
}

static void write_ip4(const struct sl_pkt_spec *s, struct writer *w, size_t *l4_off)
{
	size_t start = w->len;
	unsigned opt = s->ip.opt_len > SL_PKT_MAX_IP4_OPT ? SL_PKT_MAX_IP4_OPT : s->ip.opt_len;
	uint8_t *p = put(w, 20 + opt);

	if (!p)
		return;
	unsigned version = s->ip.version >= 0 ? (unsigned)s->ip.version : 4;
	unsigned ihl = s->ip.ihl >= 0 ? (unsigned)s->ip.ihl : 5 + opt / 4;
	uint16_t frag = s->ip.frag_off & 0x1fff;

	p[0] = (version << 4) | (ihl & 0xf);
	p[1] = s->ip.tos;
	be16(p + 4, s->ip.id);
	if (s->ip.frag_more)
		frag |= 0x2000;
	if (s->ip.dont_frag)
		frag |= 0x4000;
	be16(p + 6, frag);
	p[8] = s->ip.ttl;
	p[9] = s->ip.proto ? s->ip.proto : l4_proto(s);
	be32(p + 12, s->ip.saddr);
	be32(p + 16, s->ip.daddr);
	for (unsigned i = 0; i < opt; i++)
		p[20 + i] = i + 1 < opt ? 1 /* NOP */ : 0 /* EOL */;
	*l4_off = w->len;
	write_l4(s, w);
	if (w->overflow)
		return;
	size_t tot = w->len - start;
	be16(w->buf + start + 2, s->ip.tot_len >= 0 ? (uint16_t)s->ip.tot_len : (uint16_t)tot);
	/* Header checksum: not checked by sluice, but keep packets honest for other tools. */
	uint32_t sum = 0;
	uint8_t *h = w->buf + start;

	for (unsigned i = 0; i < 20 + opt; i += 2)
		sum += (h[i] << 8) | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	be16(h + 10, ~sum & 0xffff);
}

static unsigned ext_len(const struct sl_pkt_ip6_ext *e)
{
	if (e->type == SL_PKT_EXT_FRAGMENT)
		return 8;
	if (e->type == SL_PKT_EXT_AH)
		return e->len >= 8 ? (e->len + 3) / 4 * 4 : 12;
	return e->len >= 8 ? (e->len + 7) / 8 * 8 : 8;
}

static void write_ip6_ext(const struct sl_pkt_ip6_ext *e, uint8_t next, struct writer *w)
{
	unsigned len = ext_len(e);
	uint8_t *p = put(w, len);

	if (!p)
		return;
	p[0] = next;
	switch (e->type) {
	case SL_PKT_EXT_FRAGMENT:
		be16(p + 2, (uint16_t)((e->frag_off & 0x1fff) << 3) | (e->frag_more ? 1 : 0));
		be32(p + 4, 0x12345678);
		break;
	case SL_PKT_EXT_AH:
		p[1] = len / 4 - 2;
		break;
	default:
		p[1] = len / 8 - 1;
		if (len > 2) {
			p[2] = 1; /* PadN over the rest */
			p[3] = len - 4;
		}
		break;
	}
}

static void write_ip6(const struct sl_pkt_spec *s, struct writer *w, size_t *l4_off)
{
	size_t start = w->len;
	uint8_t *p = put(w, 40);
	unsigned next = s->ip6.next > SL_PKT_MAX_IP6_EXT ? SL_PKT_MAX_IP6_EXT : s->ip6.next;
	uint8_t upper = s->ip6.upper >= 0 ? (uint8_t)s->ip6.upper : (uint8_t)l4_proto(s);

	if (!p)
		return;
	unsigned version = s->ip6.version >= 0 ? (unsigned)s->ip6.version : 6;

	be32(p, (version << 28) | ((uint32_t)s->ip6.tclass << 20) | (s->ip6.flowlabel & 0xfffff));
	p[6] = s->ip6.nexthdr >= 0 ? (uint8_t)s->ip6.nexthdr : (next ? s->ip6.ext[0].type : upper);
	p[7] = s->ip6.hoplimit;
	memcpy(p + 8, s->ip6.saddr, 16);
	memcpy(p + 24, s->ip6.daddr, 16);
	for (unsigned i = 0; i < next; i++)
		write_ip6_ext(&s->ip6.ext[i], i + 1 < next ? s->ip6.ext[i + 1].type : upper, w);
	*l4_off = w->len;
	write_l4(s, w);
	if (!w->overflow)
		be16(w->buf + start + 4, (uint16_t)(w->len - start - 40));
}

static void write_arp(const struct sl_pkt_spec *s, struct writer *w)
{
	uint8_t *p = put(w, 28);

	if (!p)
		return;
	be16(p, 1);	     /* Ethernet */
	be16(p + 2, 0x0800); /* IPv4 */
	p[4] = 6;
	p[5] = 4;
	be16(p + 6, s->arp.op);
	memcpy(p + 8, s->eth_src, 6);
	be32(p + 14, s->ip.saddr);
	memcpy(p + 18, s->eth_dst, 6);
	be32(p + 24, s->ip.daddr);
	put(w, s->payload_len);
}

int sl_pkt_build(const struct sl_pkt_spec *s, struct sl_pkt *out)
{
	struct writer w = {.buf = out->data};

	if (s->nvlan > SL_PKT_MAX_VLAN || s->ip6.next > SL_PKT_MAX_IP6_EXT ||
	    s->ip.opt_len > SL_PKT_MAX_IP4_OPT || s->ip.opt_len % 4)
		return -EINVAL;
	out->l3_off = out->l4_off = SL_PKT_NO_OFF;
	if (!s->no_eth)
		write_l2(s, &w);
	out->l3_off = w.len;
	switch (s->l3) {
	case SL_PKT_IPV4:
		write_ip4(s, &w, &out->l4_off);
		break;
	case SL_PKT_IPV6:
		write_ip6(s, &w, &out->l4_off);
		break;
	case SL_PKT_ARP:
		write_arp(s, &w);
		break;
	default:
		put(&w, s->payload_len);
		break;
	}
	if (w.overflow)
		return -E2BIG;
	out->full_len = w.len;
	out->len = s->truncate && s->truncate < w.len ? s->truncate : w.len;
	return 0;
}

void sl_pkt_dump(const void *data, size_t len, void *file)
{
	const uint8_t *p = data;
	FILE *f = file;

	for (size_t i = 0; i < len; i += 16) {
		fprintf(f, "  %04zx:", i);
		for (size_t j = i; j < i + 16 && j < len; j++)
			fprintf(f, " %02x", p[j]);
		fputc('\n', f);
	}
}
