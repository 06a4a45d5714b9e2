// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluice-mktraffic OUT.pcap: writes examples/traffic.pcap, a fixed mix of
 * traffic for trying policies with `sluice run` and `sluice-load run`:
 * ARP, IPv4 and IPv6 with TCP, UDP, ICMP and ICMPv6, VLAN and QinQ tags,
 * IPv4 options and fragments, IPv6 extension headers and fragments, and
 * truncated frames. Deterministic: the same bytes every time.
 * sluice-mktraffic --malformed OUT.pcap: writes examples/malformed.pcap, what
 * captures from the wild hold and test runs refuse in part: runts, IPv4 and
 * IPv6 headers cut short, bad versions and IHLs, cut VLAN tags, next to a few
 * whole packets.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "pkt.h"

enum proto { TCP, UDP, ICMP };

struct writer {
	pcap_dumper_t *d;
	unsigned n;
};

static void emit(struct writer *w, const struct sl_pkt_spec *s)
{
	struct sl_pkt p;
	struct pcap_pkthdr h = {0};

	if (sl_pkt_build(s, &p)) {
		fprintf(stderr, "sluice-mktraffic: error: packet %u cannot be built\n", w->n + 1);
		return;
	}
	/* one packet every 10 ms from 2026-01-01 00:00:00 UTC */
	h.ts.tv_sec = 1767225600 + w->n / 100;
	h.ts.tv_usec = (w->n % 100) * 10000;
	h.caplen = p.len;
	h.len = p.len;
	pcap_dump((u_char *)w->d, &h, p.data);
	w->n++;
}

static void v4(struct sl_pkt_spec *s, uint32_t src, uint32_t dst)
{
	sl_pkt_spec_init(s);
	s->ip.saddr = src;
	s->ip.daddr = dst;
}

static void v6(struct sl_pkt_spec *s, const char *src, const char *dst)
{
	sl_pkt_spec_init(s);
	s->l3 = SL_PKT_IPV6;
	sl_pkt_ip6_addr(src, s->ip6.saddr);
	sl_pkt_ip6_addr(dst, s->ip6.daddr);
}

static void tcp(struct sl_pkt_spec *s, uint16_t sport, uint16_t dport, uint8_t flags)
{
	s->l4 = SL_PKT_TCP;
	s->tcp.sport = sport;
	s->tcp.dport = dport;
	s->tcp.flags = flags;
}

static void udp(struct sl_pkt_spec *s, uint16_t sport, uint16_t dport)
{
	s->l4 = SL_PKT_UDP;
	s->udp.sport = sport;
	s->udp.dport = dport;
}

static void icmp(struct sl_pkt_spec *s, bool v6, uint8_t type, uint8_t code)
{
	s->l4 = v6 ? SL_PKT_ICMPV6 : SL_PKT_ICMP;
	s->icmp.type = type;
	s->icmp.code = code;
}

#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define RST 0x04
#define PSH 0x08

static void traffic(struct writer *w)
{
	const uint32_t host = SL_IP4(10, 0, 0, 1), admin = SL_IP4(10, 1, 2, 3),
		       web = SL_IP4(192, 0, 2, 10), outside = SL_IP4(203, 0, 113, 7),
		       lan = SL_IP4(192, 168, 1, 20), dns = SL_IP4(192, 0, 2, 53);
	struct sl_pkt_spec s;

	/* ARP request and reply */
	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_ARP;
	s.l4 = SL_PKT_L4_NONE;
	emit(w, &s);
	s.arp.op = 2;
	emit(w, &s);

	/* IPv4 TCP: ssh from an admin and from outside, web, a whole handshake */
	v4(&s, admin, host), tcp(&s, 50022, 22, SYN), emit(w, &s);
	v4(&s, outside, host), tcp(&s, 41000, 22, SYN), emit(w, &s);
	v4(&s, outside, web), tcp(&s, 41001, 80, SYN), emit(w, &s);
	v4(&s, web, outside), tcp(&s, 80, 41001, SYN | ACK), emit(w, &s);
	v4(&s, outside, web), tcp(&s, 41001, 80, ACK), emit(w, &s);
	v4(&s, outside, web), tcp(&s, 41001, 80, PSH | ACK), s.payload_len = 64, emit(w, &s);
	v4(&s, outside, web), tcp(&s, 41002, 443, SYN), emit(w, &s);
	v4(&s, outside, web), tcp(&s, 41003, 8443, SYN), emit(w, &s);
	v4(&s, outside, web), tcp(&s, 41004, 8080, SYN), emit(w, &s);
	v4(&s, outside, host), tcp(&s, 41005, 25, SYN), emit(w, &s);
	v4(&s, outside, host), tcp(&s, 41006, 3306, SYN), emit(w, &s);
	v4(&s, web, outside), tcp(&s, 443, 41002, RST), emit(w, &s);
	v4(&s, web, outside), tcp(&s, 80, 41001, FIN | ACK), emit(w, &s);
	v4(&s, lan, host), tcp(&s, 1024, 65535, SYN), emit(w, &s);

	/* IPv4 UDP: DNS, NTP, mDNS, syslog */
	v4(&s, lan, dns), udp(&s, 53000, 53), emit(w, &s);
	v4(&s, dns, lan), udp(&s, 53, 53000), s.payload_len = 100, emit(w, &s);
	v4(&s, lan, outside), udp(&s, 123, 123), emit(w, &s);
	v4(&s, lan, SL_IP4(224, 0, 0, 251)), udp(&s, 5353, 5353), s.ip.ttl = 255, emit(w, &s);
	v4(&s, lan, host), udp(&s, 514, 514), emit(w, &s);

	/* ICMP: echo request and reply, unreachable, time exceeded */
	v4(&s, outside, host), icmp(&s, false, 8, 0), emit(w, &s);
	v4(&s, host, outside), icmp(&s, false, 0, 0), emit(w, &s);
	v4(&s, web, outside), icmp(&s, false, 3, 3), emit(w, &s);
	v4(&s, outside, host), icmp(&s, false, 11, 0), s.ip.ttl = 1, emit(w, &s);

	/* DSCP EF voice, low TTL, IPv4 options */
	v4(&s, lan, outside), udp(&s, 16384, 16384), s.ip.tos = 46 << 2, emit(w, &s);
	v4(&s, lan, outside), tcp(&s, 40000, 443, SYN), s.ip.opt_len = 8, emit(w, &s);
	v4(&s, lan, outside), udp(&s, 40001, 53), s.ip.opt_len = 40, emit(w, &s);

	/* IPv4 fragments: first (has TCP), later (has none), and a lone later one */
	v4(&s, outside, web), tcp(&s, 41010, 80, PSH | ACK), s.ip.frag_more = true, s.ip.id = 7,
							     s.payload_len = 32, emit(w, &s);
	v4(&s, outside, web), s.l4 = SL_PKT_L4_NONE, s.ip.proto = 6, s.ip.frag_off = 7, s.ip.id = 7,
			      s.payload_len = 24, emit(w, &s);
	v4(&s, outside, host), s.l4 = SL_PKT_L4_NONE, s.ip.proto = 17, s.ip.frag_off = 185,
			       s.payload_len = 16, emit(w, &s);

	/* IPv6: TCP, UDP, ICMPv6 echo and neighbour discovery */
	v6(&s, "2001:db8:1::10", "2001:db8::1"), tcp(&s, 50000, 22, SYN), emit(w, &s);
	v6(&s, "2001:db8:ffff::7", "2001:db8::80"), tcp(&s, 50001, 443, SYN), emit(w, &s);
	v6(&s, "2001:db8:ffff::7", "2001:db8::80"), tcp(&s, 50002, 80, SYN), emit(w, &s);
	v6(&s, "2001:db8::1", "2001:db8::53"), udp(&s, 40000, 53), emit(w, &s);
	v6(&s, "2001:db8:ffff::7", "2001:db8::1"), icmp(&s, true, 128, 0), emit(w, &s);
	v6(&s, "2001:db8::1", "2001:db8:ffff::7"), icmp(&s, true, 129, 0), emit(w, &s);
	v6(&s, "fe80::1", "ff02::1:ff00:2"), icmp(&s, true, 135, 0), s.ip6.hoplimit = 255,
								     emit(w, &s);
	v6(&s, "fe80::2", "fe80::1"), icmp(&s, true, 136, 0), s.ip6.hoplimit = 255, emit(w, &s);

	/* IPv6 extension headers: hop-by-hop + destination options, routing, AH */
	v6(&s, "2001:db8:ffff::7", "2001:db8::80"), tcp(&s, 50003, 443, SYN);
	s.ip6.ext[s.ip6.next++] = (struct sl_pkt_ip6_ext){.type = SL_PKT_EXT_HOPOPTS};
	s.ip6.ext[s.ip6.next++] = (struct sl_pkt_ip6_ext){.type = SL_PKT_EXT_DSTOPTS, .len = 16};
	emit(w, &s);
	v6(&s, "2001:db8:ffff::7", "2001:db8::53"), udp(&s, 40001, 53);
	s.ip6.ext[s.ip6.next++] = (struct sl_pkt_ip6_ext){.type = SL_PKT_EXT_ROUTING, .len = 24};
	s.ip6.ext[s.ip6.next++] = (struct sl_pkt_ip6_ext){.type = SL_PKT_EXT_AH, .len = 16};
	emit(w, &s);
	/* seven extension headers: beyond the walk's bound, l4proto unknown */
	v6(&s, "2001:db8:ffff::7", "2001:db8::80"), tcp(&s, 50004, 80, SYN);
	for (int i = 0; i < 7; i++)
		s.ip6.ext[s.ip6.next++] = (struct sl_pkt_ip6_ext){.type = SL_PKT_EXT_DSTOPTS};
	emit(w, &s);

	/* IPv6 fragments: first (has UDP), later (none) */
	v6(&s, "2001:db8:ffff::7", "2001:db8::53"), udp(&s, 40002, 53), s.payload_len = 40;
	s.ip6.ext[s.ip6.next++] =
	    (struct sl_pkt_ip6_ext){.type = SL_PKT_EXT_FRAGMENT, .frag_more = true};
	emit(w, &s);
	v6(&s, "2001:db8:ffff::7", "2001:db8::53"), s.l4 = SL_PKT_L4_NONE, s.ip6.upper = 17;
	s.payload_len = 24;
	s.ip6.ext[s.ip6.next++] =
	    (struct sl_pkt_ip6_ext){.type = SL_PKT_EXT_FRAGMENT, .frag_off = 6};
	emit(w, &s);

	/* VLAN 10, QinQ 100/20, a triple tag */
	v4(&s, admin, host), tcp(&s, 50023, 22, SYN), s.nvlan = 1, s.vlan_tci[0] = 10, emit(w, &s);
	v6(&s, "2001:db8:1::10", "2001:db8::53"), udp(&s, 40003, 53), s.nvlan = 2;
	s.vlan_tpid[0] = 0x88a8, s.vlan_tci[0] = 100, s.vlan_tci[1] = 20, emit(w, &s);
	v4(&s, lan, host), udp(&s, 40004, 53), s.nvlan = 3, s.vlan_tci[0] = 1, s.vlan_tci[1] = 2,
					       s.vlan_tci[2] = 3, emit(w, &s);
	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_ARP, s.l4 = SL_PKT_L4_NONE, s.nvlan = 1, s.vlan_tci[0] = 10, emit(w, &s);

	/* other EtherTypes: LLDP, an 802.3 length field */
	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_L3_NONE, s.l4 = SL_PKT_L4_NONE, s.ethertype = 0x88cc, s.payload_len = 46;
	emit(w, &s);
	s.ethertype = 0x0026, s.payload_len = 38, emit(w, &s);

	/* unusual transport protocols: SCTP, GRE, ESP */
	v4(&s, outside, host), s.l4 = SL_PKT_L4_NONE, s.ip.proto = 132, s.payload_len = 28,
			       emit(w, &s);
	v4(&s, outside, host), s.l4 = SL_PKT_L4_NONE, s.ip.proto = 47, s.payload_len = 24,
			       emit(w, &s);
	v6(&s, "2001:db8:ffff::7", "2001:db8::1"), s.l4 = SL_PKT_L4_NONE, s.ip6.upper = 50,
						   s.payload_len = 32, emit(w, &s);

	/* the examples' networks: monitoring, office, bastions, mirrors, quarantine, VLAN 42 */
	v4(&s, SL_IP4(10, 20, 0, 5), host), tcp(&s, 45000, 9100, SYN), emit(w, &s);
	v6(&s, "2001:db8:20::5", "2001:db8::1"), tcp(&s, 45001, 9100, SYN), emit(w, &s);
	v4(&s, SL_IP4(10, 30, 1, 1), SL_IP4(203, 0, 113, 80)), tcp(&s, 45002, 22, SYN), emit(w, &s);
	v4(&s, SL_IP4(10, 40, 0, 10), SL_IP4(203, 0, 113, 80)), tcp(&s, 45003, 22, SYN),
	    emit(w, &s);
	v6(&s, "2001:db8:40::10", "2001:db8:203::80"), tcp(&s, 45004, 22, SYN), emit(w, &s);
	v6(&s, "2001:db8:30::9", "2001:db8:203::80"), tcp(&s, 45005, 22, SYN), emit(w, &s);
	v6(&s, "2001:db8:ffff::7", "2001:db8:203::80"), tcp(&s, 45006, 443, SYN), emit(w, &s);
	v4(&s, lan, SL_IP4(198, 51, 100, 7)), tcp(&s, 45007, 873, SYN), emit(w, &s);
	v6(&s, "2001:db8::1", "2001:db8:53::1"), tcp(&s, 45008, 53, SYN), emit(w, &s);
	v4(&s, lan, SL_IP4(192, 0, 2, 54)), tcp(&s, 45009, 53, SYN), emit(w, &s);
	v4(&s, SL_IP4(192, 0, 2, 99), host), tcp(&s, 45010, 25, SYN), emit(w, &s);
	v4(&s, lan, outside), udp(&s, 123, 123), s.ip.tos = 46 << 2, emit(w, &s);
	v4(&s, lan, outside), tcp(&s, 45011, 3260, SYN), s.nvlan = 1, s.vlan_tci[0] = 42,
							 emit(w, &s);
	v4(&s, outside, host), icmp(&s, false, 8, 0), s.ip.ttl = 0, emit(w, &s);
	v6(&s, "2001:db8:ffff::7", "2001:db8::1"), icmp(&s, true, 2, 0), s.ip6.hoplimit = 1,
									 emit(w, &s);

	/*
	 * Truncated: TCP header cut, UDP cut; an IP header cut only behind a VLAN
	 * tag (skb test runs refuse an untagged IPv4/IPv6 frame shorter than its
	 * fixed header), and an Ethernet header followed by nothing (ARP).
	 */
	v4(&s, outside, host), tcp(&s, 41022, 22, SYN), s.truncate = 14 + 20 + 10, emit(w, &s);
	v4(&s, outside, host), tcp(&s, 41021, 22, SYN), s.nvlan = 1, s.vlan_tci[0] = 7,
							s.truncate = 18 + 12, emit(w, &s);
	v6(&s, "2001:db8:ffff::7", "2001:db8::1"), tcp(&s, 50010, 22, SYN),
	    s.nvlan = 1, s.vlan_tci[0] = 7, s.truncate = 18 + 30, emit(w, &s);
	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_ARP, s.l4 = SL_PKT_L4_NONE, s.truncate = 14, emit(w, &s);
	v6(&s, "2001:db8:ffff::7", "2001:db8::53"), udp(&s, 40005, 53), s.truncate = 14 + 40 + 6,
									emit(w, &s);

	/* malformed: IPv4 version 5, IHL 4 */
	v4(&s, outside, host), tcp(&s, 41030, 80, SYN), s.ip.version = 5, emit(w, &s);
	v4(&s, outside, host), tcp(&s, 41031, 80, SYN), s.ip.ihl = 4, emit(w, &s);
}

/* The first len bytes of a frame (len may be below an Ethernet header). */
static void emit_cut(struct writer *w, const struct sl_pkt_spec *s, size_t len)
{
	struct sl_pkt p;
	struct pcap_pkthdr h = {0};

	if (sl_pkt_build(s, &p)) {
		fprintf(stderr, "sluice-mktraffic: error: packet %u cannot be built\n", w->n + 1);
		return;
	}
	h.ts.tv_sec = 1767225600 + w->n / 100;
	h.ts.tv_usec = (w->n % 100) * 10000;
	h.caplen = len < p.len ? len : p.len;
	h.len = h.caplen;
	pcap_dump((u_char *)w->d, &h, p.data);
	w->n++;
}

static void malformed(struct writer *w)
{
	const uint32_t host = SL_IP4(10, 0, 0, 1), admin = SL_IP4(10, 1, 2, 3),
		       outside = SL_IP4(203, 0, 113, 7);
	struct sl_pkt_spec s;

	/* whole packets first, so every policy has something to accept and to drop */
	v4(&s, admin, host), tcp(&s, 50022, 22, SYN), emit(w, &s);
	v4(&s, outside, host), tcp(&s, 41000, 443, SYN), emit(w, &s);
	v6(&s, "2001:db8:1::10", "2001:db8::1"), udp(&s, 40000, 53), emit(w, &s);

	/* runts: nothing, 1 byte, half a MAC, no EtherType, one byte of it */
	v4(&s, outside, host), tcp(&s, 41001, 22, SYN);
	emit_cut(w, &s, 0);
	emit_cut(w, &s, 1);
	emit_cut(w, &s, 6);
	emit_cut(w, &s, 12);
	emit_cut(w, &s, 13);

	/* IPv4 headers cut short: no byte of it, 10, 19 bytes; exactly 20 and no TCP */
	emit_cut(w, &s, 14);
	emit_cut(w, &s, 14 + 10);
	emit_cut(w, &s, 14 + 19);
	emit_cut(w, &s, 14 + 20);
	/* IPv4 options announced but cut (IHL 15), IHL 3, IHL 0, version 6 */
	v4(&s, outside, host), tcp(&s, 41002, 22, SYN), s.ip.ihl = 15, emit_cut(w, &s, 14 + 40);
	v4(&s, outside, host), tcp(&s, 41003, 22, SYN), s.ip.ihl = 3, emit(w, &s);
	v4(&s, outside, host), tcp(&s, 41004, 22, SYN), s.ip.ihl = 0, emit(w, &s);
	v4(&s, admin, host), tcp(&s, 41005, 22, SYN), s.ip.version = 6, emit(w, &s);

	/* IPv6 headers cut short: 1, 20, 39 bytes; exactly 40 and no UDP; version 4 */
	v6(&s, "2001:db8:1::10", "2001:db8::53"), udp(&s, 40001, 53);
	emit_cut(w, &s, 14 + 1);
	emit_cut(w, &s, 14 + 20);
	emit_cut(w, &s, 14 + 39);
	emit_cut(w, &s, 14 + 40);
	v6(&s, "2001:db8:1::10", "2001:db8::53"), udp(&s, 40002, 53), s.ip6.version = 4,
								      emit(w, &s);

	/* a VLAN tag cut in half; a tagged IPv4 header cut short (test runs take it) */
	v4(&s, admin, host), tcp(&s, 50023, 22, SYN), s.nvlan = 1, s.vlan_tci[0] = 10;
	emit_cut(w, &s, 16);
	emit_cut(w, &s, 18 + 12);
	/* an IPv6 fragment header cut short */
	v6(&s, "2001:db8:1::10", "2001:db8::53"), udp(&s, 40003, 53);
	s.ip6.ext[s.ip6.next++] =
	    (struct sl_pkt_ip6_ext){.type = SL_PKT_EXT_FRAGMENT, .frag_more = true};
	emit_cut(w, &s, 14 + 40 + 4);
	/* and a whole one last: the run goes on after every refusal */
	v4(&s, admin, host), tcp(&s, 50024, 22, SYN), emit(w, &s);
}

int main(int argc, char **argv)
{
	bool bad = argc == 3 && !strcmp(argv[1], "--malformed");
	const char *out = argv[argc - 1];

	if ((argc != 2 && !bad) || out[0] == '-') {
		fprintf(stderr, "usage: sluice-mktraffic [--malformed] OUT.pcap\n");
		return 2;
	}
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	struct writer w = {pcap_dump_open(p, out), 0};

	if (!w.d) {
		fprintf(stderr, "sluice-mktraffic: error: cannot write '%s': %s\n", out,
			pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	bad ? malformed(&w) : traffic(&w);
	pcap_dump_close(w.d);
	pcap_close(p);
	printf("%s: %u packets\n", out, w.n);
	return 0;
}
