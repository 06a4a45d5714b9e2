// SPDX-License-Identifier: GPL-2.0-only
/*
 * mkflows OUT.pcap PKT...: a capture of packets between this host (10.0.0.2,
 * 2001:db8::2) and a peer (10.0.0.1, 2001:db8::1), 1 ms apart, for the
 * connection tracking tests (`--local 10.0.0.2,2001:db8::2`). PKT:
 *
 *   DIR:tcp:SPORT:DPORT:FLAGS    DIR in|out (in: peer -> host), in6|out6 for IPv6;
 *                                FLAGS letters S A F R P (or 0 for none)
 *   DIR:udp:SPORT:DPORT
 *   DIR:echo:ID  DIR:reply:ID    ICMP (ICMPv6) echo request / reply
 *   DIR:icmp:TYPE                any other ICMP type, 8 zero bytes
 *   DIR:err:TYPE:QUOTED          an ICMP error from 192.0.2.254 (2001:db8:ff::1) quoting
 *                                QUOTED, a tcp/udp/echo spec without DIR, as sent the
 *                                other way (e.g. in:err:3:udp:40000:53 quotes host:40000 ->
 *                                peer:53)
 *   DIR:frag:udp:SPORT:DPORT     a first fragment (MF set)
 *   wait:SECONDS                 no packet: the next ones come SECONDS later
 *                                (idle timeouts, with objects built --test-clock)
 *   arp
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t host6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t peer6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t router6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned flags_of(const char *s)
{
	unsigned f = 0;

	for (; *s; s++)
		f |= *s == 'F'	 ? 0x01
		     : *s == 'S' ? 0x02
		     : *s == 'R' ? 0x04
		     : *s == 'P' ? 0x08
		     : *s == 'A' ? 0x10
				 : 0;
	return f;
}

/* The L4 part of f[0..] into p; returns its length and the protocol, -1 on a bad spec. */
static int l4(char **f, int nf, bool v6, uint8_t *p, int *proto)
{
	if (nf >= 3 && !strcmp(f[0], "tcp")) {
		put16(p, (unsigned)atoi(f[1]));
		put16(p + 2, (unsigned)atoi(f[2]));
		put32(p + 4, 1000);
		put32(p + 8, nf > 3 && strchr(f[3], 'A') ? 2000 : 0);
		p[12] = 0x50;
		p[13] = (uint8_t)(nf > 3 ? flags_of(f[3]) : 0x02);
		put16(p + 14, 65535);
		*proto = 6;
		return 20;
	}
	if (nf >= 3 && !strcmp(f[0], "udp")) {
		put16(p, (unsigned)atoi(f[1]));
		put16(p + 2, (unsigned)atoi(f[2]));
		put16(p + 4, 8);
		*proto = 17;
		return 8;
	}
	if (nf >= 2 && (!strcmp(f[0], "echo") || !strcmp(f[0], "reply"))) {
		bool req = !strcmp(f[0], "echo");

		p[0] = (uint8_t)(v6 ? (req ? 128 : 129) : (req ? 8 : 0));
		put16(p + 4, (unsigned)atoi(f[1]));
		put16(p + 6, 1);
		*proto = v6 ? 58 : 1;
		return 8;
	}
	if (nf >= 2 && !strcmp(f[0], "icmp")) {
		p[0] = (uint8_t)atoi(f[1]);
		*proto = v6 ? 58 : 1;
		return 8;
	}
	return -1;
}

/* An IP packet src -> dst (host order for IPv4) at p; returns its length. */
static int ip(uint8_t *p, bool v6, bool out, bool router, char **f, int nf, bool frag)
{
	int proto = 0, hl = v6 ? 40 : 20, len;

	if (nf >= 3 && !strcmp(f[0], "err")) {
		/* the quoted packet went the other way */
		p[hl] = (uint8_t)atoi(f[1]);
		len = ip(p + hl + 8, v6, !out, false, f + 2, nf - 2, false);
		if (len < 0)
			return -1;
		len += 8;
		proto = v6 ? 58 : 1;
	} else {
		len = l4(f, nf, v6, p + hl, &proto);
		if (len < 0)
			return -1;
	}
	if (v6) {
		p[0] = 0x60;
		put16(p + 4, (unsigned)len);
		p[6] = (uint8_t)proto;
		p[7] = 64;
		memcpy(p + 8, router ? router6 : out ? host6 : peer6, 16);
		memcpy(p + 24, out ? peer6 : host6, 16);
	} else {
		unsigned sum = 0;

		p[0] = 0x45;
		put16(p + 2, (unsigned)(20 + len));
		if (frag)
			p[6] = 0x20; /* MF */
		p[8] = 64;
		p[9] = (uint8_t)proto;
		put32(p + 12, router ? 0xc00002fe : out ? 0x0a000002 : 0x0a000001);
		put32(p + 16, out ? 0x0a000001 : 0x0a000002);
		for (int i = 0; i < 20; i += 2)
			sum += (unsigned)(p[i] << 8 | p[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
		put16(p + 10, ~sum & 0xffff);
	}
	return hl + len;
}

static int build(const char *spec, uint8_t *pkt)
{
	char buf[256], *f[12], *save = NULL;
	int nf = 0, len;
	bool v6, out, frag = false;

	memset(pkt, 0, 512);
	memcpy(pkt, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	if (!strcmp(spec, "arp")) {
		put16(pkt + 12, 0x0806);
		return 42;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *t = strtok_r(buf, ":", &save); t && nf < 12; t = strtok_r(NULL, ":", &save))
		f[nf++] = t;
	if (nf < 2)
		return -1;
	out = !strncmp(f[0], "out", 3);
	v6 = f[0][strlen(f[0]) - 1] == '6';
	if (!strcmp(f[1], "frag"))
		frag = true;
	put16(pkt + 12, v6 ? 0x86dd : 0x0800);
	len = ip(pkt + 14, v6, out, nf > 1 && !strcmp(f[1], "err"), f + 1 + frag, nf - 1 - frag,
		 frag);
	return len < 0 ? -1 : 14 + len;
}

int main(int argc, char **argv)
{
	uint32_t ghdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
	FILE *f;

	if (argc < 2) {
		fprintf(stderr, "usage: mkflows OUT.pcap PKT...\n");
		return 2;
	}
	f = fopen(argv[1], "wb");
	if (!f)
		return 1;
	fwrite(ghdr, sizeof(ghdr), 1, f);
	uint32_t waited = 0;

	for (int i = 2; i < argc; i++) {
		uint8_t pkt[512];
		int len;

		if (!strncmp(argv[i], "wait:", 5)) {
			waited += (uint32_t)strtoul(argv[i] + 5, NULL, 10);
			continue;
		}
		len = build(argv[i], pkt);
		uint32_t rec[4] = {1700000000u + waited, (uint32_t)(i * 1000), (uint32_t)len,
				   (uint32_t)len};

		if (len < 0) {
			fprintf(stderr, "mkflows: bad packet spec '%s'\n", argv[i]);
			return 2;
		}
		fwrite(rec, sizeof(rec), 1, f);
		fwrite(pkt, 1, (size_t)len, f);
	}
	return fclose(f) ? 1 : 0;
}
