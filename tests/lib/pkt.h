/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Packet builder for tests, the differential fuzzer and bench: describe a
 * frame with struct sl_pkt_spec (start from sl_pkt_spec_init(), which gives a
 * valid Ethernet/IPv4/TCP packet), then sl_pkt_build() writes the bytes.
 *
 *   struct sl_pkt_spec s;
 *   struct sl_pkt p;
 *
 *   sl_pkt_spec_init(&s);
 *   s.l3 = SL_PKT_IPV6;
 *   s.ip6.ext[s.ip6.next++] = (struct sl_pkt_ip6_ext){ .type = SL_PKT_EXT_HOPOPTS, .len = 8 };
 *   s.l4 = SL_PKT_UDP;
 *   s.udp.dport = 53;
 *   sl_pkt_build(&s, &p);          // p.data, p.len; p.l3_off, p.l4_off
 *
 * Everything is written exactly as asked: lengths and checksums of the
 * headers are computed (IPv4 total length, IPv6 payload length, UDP length)
 * unless an override is given, so that malformed packets can be built too.
 * `truncate` cuts the finished frame. All multi-byte fields are given in host
 * order and written in network order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_PKT_MAX	   4096
#define SL_PKT_MAX_VLAN	   4
#define SL_PKT_MAX_IP6_EXT 10
#define SL_PKT_MAX_IP4_OPT 40

/* Built frame. Offsets are from data[0]; SL_PKT_NO_OFF when the layer is not there. */
#define SL_PKT_NO_OFF ((size_t)-1)
struct sl_pkt {
	uint8_t data[SL_PKT_MAX];
	size_t len;
	size_t l3_off;	 /* first byte after Ethernet + VLAN tags */
	size_t l4_off;	 /* first byte after IPv4 options / IPv6 extension headers */
	size_t full_len; /* length before truncation */
};

enum sl_pkt_l3 {
	SL_PKT_L3_NONE, /* only `ethertype` and `payload_len` bytes of zeroes */
	SL_PKT_IPV4,
	SL_PKT_IPV6,
	SL_PKT_ARP,
};

enum sl_pkt_l4 {
	SL_PKT_L4_NONE, /* `payload_len` bytes after L3; protocol number from ip.proto / ip6 */
	SL_PKT_TCP,
	SL_PKT_UDP,
	SL_PKT_ICMP,
	SL_PKT_ICMPV6,
};

enum sl_pkt_ext_type {
	SL_PKT_EXT_HOPOPTS = 0,
	SL_PKT_EXT_ROUTING = 43,
	SL_PKT_EXT_FRAGMENT = 44,
	SL_PKT_EXT_AH = 51,
	SL_PKT_EXT_DSTOPTS = 60,
};

/* One IPv6 extension header; its Next Header is the following one's type. */
struct sl_pkt_ip6_ext {
	uint8_t type;	   /* enum sl_pkt_ext_type (any number is written as given) */
	uint16_t len;	   /* total bytes: a multiple of 8 >= 8 (hop/rt/dst), of 4 >= 8 (AH);
			    * 0 = the minimum; ignored for the fragment header (always 8) */
	uint16_t frag_off; /* fragment header: offset in 8-byte units (13 bits) */
	bool frag_more;	   /* fragment header: M flag */
};

struct sl_pkt_spec {
	bool no_eth; /* frame starts at L3 (no Ethernet header, no tags) */
	uint8_t eth_dst[6], eth_src[6];
	unsigned nvlan;			     /* tags before the EtherType, outer first */
	uint16_t vlan_tpid[SL_PKT_MAX_VLAN]; /* 0x8100 or 0x88a8 (0 = 0x8100) */
	uint16_t vlan_tci[SL_PKT_MAX_VLAN];
	int32_t ethertype; /* after the tags; -1 = from l3 (0x0800, 0x86dd, 0x0806) */

	enum sl_pkt_l3 l3;
	struct {
		uint32_t saddr, daddr;	 /* 10.0.0.1 is 0x0a000001 */
		uint8_t tos, ttl, proto; /* proto 0 = from l4 */
		uint16_t id;
		uint16_t frag_off; /* in 8-byte units */
		bool frag_more, dont_frag;
		uint8_t opt_len; /* bytes of options (multiple of 4, <= 40): NOPs then EOL */
		int16_t version; /* -1 = 4 */
		int16_t ihl;	 /* -1 = 5 + opt_len / 4 */
		int32_t tot_len; /* -1 = computed */
	} ip;
	struct {
		uint8_t saddr[16], daddr[16];
		uint8_t hoplimit, tclass;
		uint32_t flowlabel;
		int16_t version; /* -1 = 6 */
		int16_t nexthdr; /* -1 = chained: first ext or the L4 protocol */
		int16_t upper;	 /* -1 = from l4: the protocol after the last ext header */
		unsigned next;	 /* number of ext headers used */
		struct sl_pkt_ip6_ext ext[SL_PKT_MAX_IP6_EXT];
	} ip6;
	struct {
		uint16_t op; /* 1 request, 2 reply */
	} arp;

	enum sl_pkt_l4 l4;
	struct {
		uint16_t sport, dport;
		uint8_t flags; /* byte 13 */
		uint8_t doff;  /* 0 = 5 (20 bytes) */
	} tcp;
	struct {
		uint16_t sport, dport;
	} udp;
	struct {
		uint8_t type, code; /* ICMP or ICMPv6 */
	} icmp;

	size_t payload_len; /* zero bytes after the last header */
	size_t truncate;    /* 0 = keep everything, else cut the frame to this many bytes */
};

/* A valid frame: Ethernet 02:00:00:00:00:02 <- 02:00:00:00:00:01, IPv4 10.0.0.1 -> 10.0.0.2,
 * TTL 64, TCP 1234 -> 80 SYN; IPv6 fields preset to 2001:db8::1 -> 2001:db8::2, hop limit 64. */
void sl_pkt_spec_init(struct sl_pkt_spec *s);

/* Build the frame. Returns 0, or -E2BIG when it would exceed SL_PKT_MAX, -EINVAL on a bad spec. */
int sl_pkt_build(const struct sl_pkt_spec *s, struct sl_pkt *out);

/* "2001:db8::1" -> 16 bytes; returns 0 or -EINVAL. */
int sl_pkt_ip6_addr(const char *text, uint8_t out[16]);

#define SL_IP4(a, b, c, d)                                                                         \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/* Hex dump for failure messages (one line per 16 bytes). */
void sl_pkt_dump(const void *data, size_t len, void *file);
