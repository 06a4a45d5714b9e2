// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "packet.h"

#define ETH_LEN 14
#define IP4_LEN 20
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

size_t cb_packet_build(const struct cb_header *h, uint8_t *buf)
{
	static const uint8_t dst_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t src_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	size_t l4len = l4_length(h->proto);
	uint8_t *ip = buf + ETH_LEN, *l4 = ip + IP4_LEN;

	memset(buf, 0, CB_PACKET_MAX);
	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, src_mac, 6);
	put16(buf + 12, 0x0800);

	ip[0] = 0x45;                       /* version 4, IHL 5 */
	put16(ip + 2, (uint16_t)(IP4_LEN + l4len));
	put16(ip + 6, 0x4000);              /* DF, offset 0: not a fragment */
	ip[8] = 64;                         /* TTL */
	ip[9] = h->proto;
	put32(ip + 12, h->src);
	put32(ip + 16, h->dst);
	put16(ip + 10, ip4_checksum(ip));

	if (h->proto == CB_PROTO_TCP || h->proto == CB_PROTO_UDP) {
		put16(l4, h->sport);
		put16(l4 + 2, h->dport);
	}
	if (h->proto == CB_PROTO_TCP) {
		l4[12] = 5 << 4;            /* data offset: 20 bytes */
		l4[13] = 0x10;              /* ACK */
		put16(l4 + 14, 65535);      /* window */
	} else if (h->proto == CB_PROTO_UDP) {
		put16(l4 + 4, UDP_LEN);
	}
	return ETH_LEN + IP4_LEN + l4len;
}
