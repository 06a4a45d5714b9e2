// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "packet.h"

#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40
#define TCP_LEN 20
#define UDP_LEN 8

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t ip4_checksum(const uint8_t *hdr)
{
	uint32_t sum = 0;

	for (int i = 0; i < IP4_LEN; i += 2)
		sum += (uint32_t)hdr[i] << 8 | hdr[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t l4_length(uint8_t proto)
{
	return proto == CB_PROTO_TCP ? TCP_LEN : proto == CB_PROTO_UDP ? UDP_LEN : 0;
}

static void build_ip4(const struct cb_header *h, size_t l4len, uint8_t *ip)
{
	ip[0] = 0x45; /* version 4, IHL 5 */
	put16(ip + 2, (uint16_t)(IP4_LEN + l4len));
	put16(ip + 6, 0x4000); /* DF, offset 0: not a fragment */
	ip[8] = 64;	       /* TTL */
	ip[9] = h->proto;
	put32(ip + 12, h->src);
	put32(ip + 16, h->dst);
	put16(ip + 10, ip4_checksum(ip));
}

/* Addresses as classbench.h maps them: s:: and 2001:db8:d::. */
static void build_ip6(const struct cb_header *h, size_t l4len, uint8_t *ip)
{
	ip[0] = 0x60; /* version 6 */
	put16(ip + 4, (uint16_t)l4len);
	ip[6] = h->proto; /* next header */
	ip[7] = 64;	  /* hop limit */
	put32(ip + 8, h->src);
	put32(ip + 24, CB_IP6_DST_WORD0);
	put32(ip + 28, h->dst);
}

size_t cb_packet_build(const struct cb_header *h, enum cb_family family, uint8_t *buf)
{
	static const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
	static const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	size_t l4len = l4_length(h->proto), iplen = family == CB_IP6 ? IP6_LEN : IP4_LEN;
	uint8_t *ip = buf + ETH_LEN, *l4 = ip + iplen;

	memset(buf, 0, CB_PACKET_MAX);
	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, src_mac, 6);
	put16(buf + 12, family == CB_IP6 ? 0x86dd : 0x0800);
	if (family == CB_IP6)
		build_ip6(h, l4len, ip);
	else
		build_ip4(h, l4len, ip);

	if (h->proto == CB_PROTO_TCP || h->proto == CB_PROTO_UDP) {
		put16(l4, h->sport);
		put16(l4 + 2, h->dport);
	}
	if (h->proto == CB_PROTO_TCP) {
		l4[12] = 5 << 4;       /* data offset: 20 bytes */
		l4[13] = 0x10;	       /* ACK */
		put16(l4 + 14, 65535); /* window */
	} else if (h->proto == CB_PROTO_UDP) {
		put16(l4 + 4, UDP_LEN);
	}
	return ETH_LEN + iplen + l4len;
}
