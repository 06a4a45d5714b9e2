// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "test_cb_policy.h"

static void print_address(FILE *f, int d, uint64_t lo, unsigned len_bits, enum cb_family fam)
{
	const char *dir = d == CB_SIP ? "saddr" : "daddr";

	if (fam == CB_IP4)
		fprintf(f, "ip %s %lu.%lu.%lu.%lu/%u ", dir, lo >> 24, lo >> 16 & 255,
			lo >> 8 & 255, lo & 255, len_bits);
	else if (d == CB_DIP)
		fprintf(f, "ip6 daddr 2001:db8:%lx:%lx::/%u ", lo >> 16, lo & 0xffff,
			32 + len_bits);
	else if (fam == CB_IP6_LOW)
		fprintf(f, "ip6 saddr 2001:db8::%lx:%lx/%u ", lo >> 16, lo & 0xffff, 96 + len_bits);
	else
		fprintf(f, "ip6 saddr %lx:%lx::/%u ", lo >> 16, lo & 0xffff, len_bits);
}

void cb_print_preds(FILE *f, const struct cb_set *set, uint32_t i, enum cb_family fam)
{
	const uint64_t *lo = &set->lo[(size_t)i * CB_NDIMS], *hi = &set->hi[(size_t)i * CB_NDIMS];
	uint32_t need = set->need[i];
	const char *l4 = "th";

	for (int d = CB_SIP; d <= CB_DIP; d++) {
		unsigned len_bits = 32;

		if (!(need & (1u << d)))
			continue;
		while (len_bits && ((hi[d] - lo[d]) >> (32 - len_bits)))
			len_bits--;
		print_address(f, d, lo[d], len_bits, fam);
	}
	if (need & (1u << CB_PROTO)) {
		if (lo[CB_PROTO] == 6 || lo[CB_PROTO] == 17)
			l4 = lo[CB_PROTO] == 6 ? "tcp" : "udp";
		else
			fprintf(f, "%s %lu ", fam != CB_IP4 ? "meta l4proto" : "ip protocol",
				lo[CB_PROTO]);
	}
	if (!strcmp(l4, "th") && (need & (1u << CB_PROTO)))
		need &= ~(3u << CB_SPORT); /* ports of other protocols: not expressible */
	for (int d = CB_SPORT; d <= CB_DPORT; d++)
		if (need & (1u << d))
			fprintf(f, "%s %s %lu-%lu ", l4, d == CB_SPORT ? "sport" : "dport", lo[d],
				hi[d]);
}

static void put_be32(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

int cb_frame(const uint64_t *h, enum cb_family fam, struct sl_pkt *p)
{
	struct sl_pkt_spec s;

	sl_pkt_spec_init(&s);
	s.ip.saddr = (uint32_t)h[CB_SIP];
	s.ip.daddr = (uint32_t)h[CB_DIP];
	if (fam != CB_IP4) { /* see print_address() */
		s.l3 = SL_PKT_IPV6;
		put_be32(s.ip6.saddr + (fam == CB_IP6_LOW ? 12 : 0), h[CB_SIP]);
		if (fam == CB_IP6_LOW)
			put_be32(s.ip6.saddr, 0x20010db8);
		put_be32(s.ip6.daddr, 0x20010db8);
		put_be32(s.ip6.daddr + 4, h[CB_DIP]);
		s.ip6.upper = (int16_t)h[CB_PROTO];
	}
	if (h[CB_PROTO] == 6 || h[CB_PROTO] == 17) {
		s.l4 = h[CB_PROTO] == 6 ? SL_PKT_TCP : SL_PKT_UDP;
		s.tcp.sport = s.udp.sport = (uint16_t)h[CB_SPORT];
		s.tcp.dport = s.udp.dport = (uint16_t)h[CB_DPORT];
	} else {
		s.l4 = SL_PKT_L4_NONE;
		s.ip.proto = (uint8_t)h[CB_PROTO];
		s.payload_len = 8;
	}
	return sl_pkt_build(&s, p);
}
