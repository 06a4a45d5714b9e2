// SPDX-License-Identifier: GPL-2.0-only
/*
 * The netfilter side of the importers' comparison (compare.sh).
 *
 *   nfcompare gen POLICY FAMILY(4|6|46) SEED COUNT SRCMAC DSTMAC OUT.pcap
 *     writes COUNT Ethernet frames: IPv4/IPv6 TCP, UDP, ICMP(v6), GRE, ESP
 *     with addresses, ports and ICMP types biased towards the values the
 *     policy names (its addresses, prefixes, ranges and numbers, their edges),
 *     correct checksums, and a nonce in each payload. With NFCOMPARE_ONE_WAY=1
 *     (a policy that tests ct state) no frame goes between two addresses the
 *     other way than an earlier one, nor from an address to itself: every
 *     frame arrives from outside, so in conntrack none may be a reply (on a
 *     host, replies to what arrived leave it; here every address is local).
 *   nfcompare judge PCAP TXNETNS TXDEV RXNETNS
 *     sends every frame of PCAP out of TXDEV (AF_PACKET, in TXNETNS) in small
 *     batches and prints `<n>\taccept` when the frame arrived at a raw socket
 *     in RXNETNS (raw sockets see a packet after the INPUT hook), else
 *     `<n>\tdrop`: the same form as `sluice run`.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXPKT 1400
#define NONCE  "SLX"

/* ---- values the policy names ---- */

struct hint4 {
	uint32_t lo, hi;
};
struct hint6 {
	uint8_t lo[16], hi[16];
};

static struct hint4 h4[4096];
static struct hint6 h6[4096];
static unsigned nums[4096];
static size_t n4, n6, nnum;

static uint64_t rng_state;

/* What one rule line of the policy asks for: packets near it reach deep rules. */
struct rule_hint {
	int proto; /* -1: any */
	bool v6;
	struct hint4 s4, d4;
	struct hint6 s6, d6;
	bool has_s, has_d;
	unsigned sport[16], dport[16], type[16];
	unsigned nsport, ndport, ntype;
};

static struct rule_hint rules[2048];
static size_t nrh;
static const struct rule_hint *cur; /* the rule the packet being built follows, or NULL */

static uint64_t rnd(void)
{
	/* splitmix64: reproducible from the seed */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned pick(unsigned n)
{
	return n ? (unsigned)(rnd() % n) : 0;
}

static void add_piece(const char *p)
{
	char buf[128];
	const char *slash = strchr(p, '/');
	int len = slash ? atoi(slash + 1) : -1;

	snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - p) : (int)strlen(p), p);
	if (strchr(buf, ':') && strchr(buf, ':') != strrchr(buf, ':')) {
		struct hint6 h;

		if (inet_pton(AF_INET6, buf, h.lo) != 1 || n6 >= 4096)
			return;
		memcpy(h.hi, h.lo, 16);
		if (len >= 0 && len <= 128)
			for (int b = len; b < 128; b++) {
				h.lo[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
				h.hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
			}
		h6[n6++] = h;
	} else if (strchr(buf, '.')) {
		struct in_addr a;
		uint32_t v, mask;

		if (inet_pton(AF_INET, buf, &a) != 1 || n4 >= 4096)
			return;
		v = ntohl(a.s_addr);
		mask = len >= 0 && len < 32 ? (len ? ~0u << (32 - len) : 0) : ~0u;
		h4[n4++] = (struct hint4){v & mask, v | ~mask};
	} else if (buf[0] >= '0' && buf[0] <= '9' && strspn(buf, "0123456789") == strlen(buf)) {
		if (nnum < 4096 && atol(buf) <= 65535)
			nums[nnum++] = (unsigned)atol(buf);
	}
}

static bool parse4(const char *t, struct hint4 *h)
{
	char buf[64];
	const char *slash = strchr(t, '/');
	struct in_addr a;
	int len = slash ? atoi(slash + 1) : 32;
	uint32_t v, mask;

	snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - t) : (int)strcspn(t, "-"), t);
	if (inet_pton(AF_INET, buf, &a) != 1 || len < 0 || len > 32)
		return false;
	v = ntohl(a.s_addr);
	mask = len ? ~0u << (32 - len) : 0;
	*h = (struct hint4){v & mask, v | ~mask};
	if (!slash && strchr(t, '-') && inet_pton(AF_INET, strchr(t, '-') + 1, &a) == 1)
		h->hi = ntohl(a.s_addr);
	return true;
}

static bool parse6(const char *t, struct hint6 *h)
{
	char buf[64];
	const char *slash = strchr(t, '/');
	int len = slash ? atoi(slash + 1) : 128;

	snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - t) : (int)strcspn(t, "-"), t);
	if (inet_pton(AF_INET6, buf, h->lo) != 1 || len < 0 || len > 128)
		return false;
	memcpy(h->hi, h->lo, 16);
	for (int b = len; b < 128; b++) {
		h->lo[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
		h->hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	}
	return true;
}

/* The numbers of a value: `22`, `1024-65535` (both ends), `{ 80, 443 }`. */
static void numbers(char **tok, unsigned *out, unsigned *n)
{
	char *t = *tok;
	bool set = t[0] == '{';

	if (set)
		t = strtok(NULL, " \t\n");
	while (t && *n < 16) {
		char *e;
		unsigned long v = strtoul(t, &e, 10);

		if (e != t) {
			out[(*n)++] = (unsigned)v;
			if (*e == '-' && *n < 16)
				out[(*n)++] = (unsigned)strtoul(e + 1, NULL, 10);
		}
		if (!set || strchr(t, '}'))
			break;
		t = strtok(NULL, " \t\n");
	}
	*tok = t;
}

static void read_rules(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && nrh < 2048) {
		struct rule_hint h = {.proto = -1};
		char *hash = strchr(line, '#'), *t, *prev = NULL, *prev2 = NULL;

		if (hash)
			*hash = '\0';
		for (t = strtok(line, " \t\n"); t;
		     prev2 = prev, prev = t, t = strtok(NULL, " \t\n")) {
			if (!strcmp(t, "!="))
				t = strtok(NULL, " \t\n");
			if (!t)
				break;
			if (prev && (!strcmp(prev, "saddr") || !strcmp(prev, "daddr")) && prev2) {
				bool src = !strcmp(prev, "saddr");
				char *v = t[0] == '{' ? strtok(NULL, " ,\t\n") : t;

				if (!v)
					break;
				if (!strcmp(prev2, "ip6") && parse6(v, src ? &h.s6 : &h.d6)) {
					h.v6 = true;
					*(src ? &h.has_s : &h.has_d) = true;
				} else if (!strcmp(prev2, "ip") && parse4(v, src ? &h.s4 : &h.d4)) {
					*(src ? &h.has_s : &h.has_d) = true;
				}
				t = v;
			} else if (prev && !strcmp(prev, "sport")) {
				numbers(&t, h.sport, &h.nsport);
			} else if (prev && !strcmp(prev, "dport")) {
				numbers(&t, h.dport, &h.ndport);
			} else if (prev && !strcmp(prev, "type") && isdigit((unsigned char)t[0])) {
				numbers(&t, h.type, &h.ntype);
			}
			if (!t)
				break;
			if (!strcmp(t, "tcp"))
				h.proto = 6;
			else if (!strcmp(t, "udp"))
				h.proto = 17;
			else if (!strcmp(t, "icmp"))
				h.proto = 1;
			else if (!strcmp(t, "icmpv6"))
				h.proto = 58, h.v6 = true;
			else if (!strcmp(t, "ip6"))
				h.v6 = true;
		}
		if (h.has_s || h.has_d || h.nsport || h.ndport || h.ntype || h.proto >= 0)
			rules[nrh++] = h;
	}
	fclose(f);
}

/* Every address, prefix, range end and number in the policy (comments too: harmless). */
static void read_hints(const char *path)
{
	FILE *f = fopen(path, "r");
	char tok[256];
	size_t n = 0;
	int c;

	if (!f) {
		perror(path);
		exit(2);
	}
	do {
		c = fgetc(f);
		if (c != EOF && (strchr("0123456789abcdefABCDEF.:/", c) && c)) {
			if (n < sizeof(tok) - 1)
				tok[n++] = (char)c;
			continue;
		}
		if (n) {
			tok[n] = '\0';
			add_piece(tok);
			n = 0;
		}
	} while (c != EOF);
	fclose(f);
}

/* ---- packets ---- */

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static bool martian4(uint32_t a)
{
	uint8_t t = (uint8_t)(a >> 24);

	return t == 0 || t == 127 || t >= 224;
}

static uint32_t addr4(bool src)
{
	uint32_t a;
	const struct hint4 *rule = cur && !cur->v6 && (src ? cur->has_s : cur->has_d) && pick(8)
				       ? (src ? &cur->s4 : &cur->d4)
				       : NULL;

	do {
		if (rule) {
			a = rule->lo + (uint32_t)(rnd() % ((uint64_t)rule->hi - rule->lo + 1));
			rule = NULL;
		} else if (n4 && pick(10) < 7) {
			const struct hint4 *h = &h4[pick((unsigned)n4)];
			unsigned w = pick(4);

			a = w == 0   ? h->lo
			    : w == 1 ? h->hi
				     : h->lo + (uint32_t)(rnd() % ((uint64_t)h->hi - h->lo + 1));
			if (pick(8) == 0)
				a += pick(2) ? 1 : -1u; /* just outside */
		} else {
			a = (uint32_t)rnd();
		}
	} while (martian4(a));
	return a;
}

static void addr6(uint8_t *a, bool src)
{
	const struct hint6 *rule = cur && cur->v6 && (src ? cur->has_s : cur->has_d) && pick(8)
				       ? (src ? &cur->s6 : &cur->d6)
				       : NULL;

	do {
		if (n6 && (rule || pick(10) < 7)) {
			const struct hint6 *h = rule ? rule : &h6[pick((unsigned)n6)];
			unsigned w = pick(3);

			for (int i = 0; i < 16; i++) {
				uint8_t free_bits = h->lo[i] ^ h->hi[i];

				a[i] = w == 0	? h->lo[i]
				       : w == 1 ? h->hi[i]
						: (uint8_t)(h->lo[i] | (rnd() & free_bits));
			}
			if (pick(8) == 0)
				a[15] ^= 1;
		} else {
			a[0] = pick(2) ? 0x20 : 0x2a;
			for (int i = 1; i < 16; i++)
				a[i] = (uint8_t)rnd();
		}
		rule = NULL;
		/* no multicast, unspecified, loopback, v4-mapped or other ::/8 */
	} while (a[0] == 0xff || a[0] == 0);
}

static unsigned port(bool src)
{
	unsigned n = cur ? (src ? cur->nsport : cur->ndport) : 0;

	if (n && pick(8)) {
		unsigned v = (src ? cur->sport : cur->dport)[pick(n)];

		return pick(6) ? v : v + (pick(2) ? 1 : -1u);
	}
	if (nnum && pick(10) < 6) {
		unsigned v = nums[pick((unsigned)nnum)];
		unsigned w = pick(5);

		return (w == 3 && v > 0) ? v - 1 : (w == 4 && v < 65535) ? v + 1 : v;
	}
	return pick(3) ? 1024 + pick(64512) : pick(1024);
}

static size_t l4(uint8_t *p, uint8_t proto, bool v6, unsigned idx)
{
	static const uint8_t flags[] = {0x02, 0x12, 0x10, 0x11, 0x04, 0x18, 0x00, 0x3f, 0x14, 0x01};
	static const uint8_t icmp_types[] = {0, 3, 3, 4, 5, 8, 8, 11, 12, 13, 14, 17};
	static const uint8_t icmp6_types[] = {1,   2,	3,   4,	  128, 128, 129, 130, 131,
					      132, 133, 134, 135, 136, 143, 148, 151};
	size_t n = 0;

	switch (proto) {
	case IPPROTO_TCP:
		memset(p, 0, 20);
		{
			unsigned s = port(true), d = port(false);

			p[0] = (uint8_t)(s >> 8), p[1] = (uint8_t)s, p[2] = (uint8_t)(d >> 8),
			p[3] = (uint8_t)d;
		}
		p[4] = (uint8_t)rnd();
		p[12] = 5 << 4;
		p[13] = pick(6) ? flags[pick(sizeof(flags))] : (uint8_t)rnd();
		p[14] = 0xff;
		n = 20;
		break;
	case IPPROTO_UDP: {
		unsigned s = port(true), d = port(false);

		p[0] = (uint8_t)(s >> 8), p[1] = (uint8_t)s, p[2] = (uint8_t)(d >> 8),
		p[3] = (uint8_t)d;
		p[4] = p[5] = p[6] = p[7] = 0;
		n = 8;
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		memset(p, 0, 8);
		if (cur && cur->ntype && pick(4))
			p[0] = (uint8_t)cur->type[pick(cur->ntype)];
		else if (v6)
			p[0] = pick(8) ? icmp6_types[pick(sizeof(icmp6_types))] : (uint8_t)rnd();
		else
			p[0] = pick(8) ? icmp_types[pick(sizeof(icmp_types))] : (uint8_t)rnd();
		p[1] = pick(3) ? 0 : (uint8_t)pick(16);
		n = 8;
		break;
	case 47: /* GRE: no flags, protocol 0x0800 */
		p[0] = p[1] = 0, p[2] = 0x08, p[3] = 0;
		n = 4;
		break;
	default:
		break;
	}
	memcpy(p + n, NONCE, 3);
	memcpy(p + n + 3, &idx, 4);
	p[n + 7] = (uint8_t)rnd();
	{
		/* lengths around the policy's limits: mostly short, sometimes up to 1100 bytes */
		size_t pad = pick(5) ? pick(16) : pick(1100);

		for (size_t i = 0; i < pad; i++)
			p[n + 8 + i] = (uint8_t)rnd();
		return n + 8 + pad;
	}
}

static void l4_csum(uint8_t *p, size_t n, uint8_t proto, const uint8_t *src, const uint8_t *dst,
		    size_t alen)
{
	size_t off = proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2;
	uint32_t s = 0;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_ICMP &&
	    proto != IPPROTO_ICMPV6)
		return;
	if (proto == IPPROTO_UDP)
		p[4] = (uint8_t)(n >> 8), p[5] = (uint8_t)n;
	p[off] = p[off + 1] = 0;
	if (proto != IPPROTO_ICMP) {
		s = csum_add(s, src, alen);
		s = csum_add(s, dst, alen);
		s += (uint32_t)n;
		s += proto;
	}
	s = csum_add(s, p, n);
	{
		uint16_t c = csum_fold(s);

		if (proto == IPPROTO_UDP && !c)
			c = 0xffff;
		p[off] = (uint8_t)(c >> 8), p[off + 1] = (uint8_t)c;
	}
}

static size_t frame(uint8_t *f, bool v6, unsigned idx, const uint8_t *smac, const uint8_t *dmac)
{
	static const uint8_t p4[] = {6, 6, 6, 6, 17, 17, 17, 1, 1, 47, 50, 132};
	static const uint8_t p6[] = {6, 6, 6, 6, 17, 17, 17, 58, 58, 58, 50, 132};
	uint8_t proto = v6 ? p6[pick(sizeof(p6))] : p4[pick(sizeof(p4))];

	if (cur && cur->proto >= 0 && pick(8) && (cur->proto != 58 || v6) &&
	    (cur->proto != 1 || !v6))
		proto = (uint8_t)cur->proto;
	uint8_t *ip = f + 14;
	size_t n;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	if (!v6) {
		uint32_t s = htonl(addr4(true)), d = htonl(addr4(false));
		unsigned ttl = pick(10) == 0 ? 1 : pick(20) == 0 ? 255 : 64;

		f[12] = 0x08, f[13] = 0x00;
		memset(ip, 0, 20);
		ip[0] = 0x45;
		ip[6] = 0x40; /* DF */
		ip[8] = (uint8_t)ttl;
		ip[9] = proto;
		memcpy(ip + 12, &s, 4);
		memcpy(ip + 16, &d, 4);
		n = l4(ip + 20, proto, false, idx);
		l4_csum(ip + 20, n, proto, ip + 12, ip + 16, 4);
		n += 20;
		ip[2] = (uint8_t)(n >> 8), ip[3] = (uint8_t)n;
		ip[4] = (uint8_t)(idx >> 8), ip[5] = (uint8_t)idx;
		{
			uint16_t c = csum_fold(csum_add(0, ip, 20));

			ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
		}
	} else {
		f[12] = 0x86, f[13] = 0xdd;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		ip[6] = proto;
		ip[7] = pick(5) == 0 ? 255 : pick(10) == 0 ? 1 : 64;
		addr6(ip + 8, true);
		addr6(ip + 24, false);
		n = l4(ip + 40, proto, true, idx);
		l4_csum(ip + 40, n, proto, ip + 8, ip + 24, 16);
		ip[4] = (uint8_t)(n >> 8), ip[5] = (uint8_t)n;
		n += 40;
	}
	return 14 + n;
}

static int parse_mac(const char *s, uint8_t *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4],
		      &m[5]) == 6
		   ? 0
		   : -1;
}

/* The frame's source and destination addresses, as 32 bytes (IPv4: 4 each, zero-padded). */
static void frame_pair(const uint8_t *f, uint8_t pair[2][16])
{
	bool v6 = f[12] == 0x86;

	memset(pair, 0, 32);
	memcpy(pair[0], f + 14 + (v6 ? 8 : 12), v6 ? 16 : 4);
	memcpy(pair[1], f + 14 + (v6 ? 24 : 16), v6 ? 16 : 4);
}

/* Would this frame go the other way between two addresses an earlier one used? */
static bool reverses(uint8_t (*seen)[2][16], size_t nseen, uint8_t pair[2][16])
{
	if (!memcmp(pair[0], pair[1], 16))
		return true;
	for (size_t i = 0; i < nseen; i++)
		if (!memcmp(seen[i][0], pair[1], 16) && !memcmp(seen[i][1], pair[0], 16))
			return true;
	return false;
}

static int cmd_gen(int argc, char **argv)
{
	uint8_t smac[6], dmac[6], f[MAXPKT];
	unsigned count;
	FILE *out;
	const char *ow = getenv("NFCOMPARE_ONE_WAY");
	bool one_way = ow && !strcmp(ow, "1");
	uint8_t(*seen)[2][16] = NULL;

	if (argc != 9 || parse_mac(argv[6], smac) || parse_mac(argv[7], dmac)) {
		fprintf(stderr,
			"usage: nfcompare gen POLICY 4|6|46 SEED COUNT SRCMAC DSTMAC OUT\n");
		return 2;
	}
	read_hints(argv[2]);
	read_rules(argv[2]);
	rng_state = strtoull(argv[4], NULL, 0);
	count = (unsigned)atoi(argv[5]);
	if (one_way && !(seen = calloc(count ? count : 1, sizeof(*seen))))
		return 2;
	out = fopen(argv[8], "wb");
	if (!out) {
		perror(argv[8]);
		return 2;
	}
	{
		uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, MAXPKT, 1};

		fwrite(gh, 4, 6, out);
	}
	for (unsigned i = 0; i < count; i++) {
		bool v6;
		size_t n;

		/* half the packets follow one rule of the policy, the rest are free */
		cur = nrh && pick(2) ? &rules[pick((unsigned)nrh)] : NULL;
		v6 = !strcmp(argv[3], "6") || (!strcmp(argv[3], "46") && (cur ? cur->v6 : pick(2)));
		if (cur && cur->v6 != v6 && (cur->has_s || cur->has_d))
			cur = NULL;
		n = frame(f, v6, i, smac, dmac);
		if (one_way) {
			uint8_t pair[2][16];

			frame_pair(f, pair);
			if (reverses(seen, i, pair)) {
				i--; /* another frame in its place */
				continue;
			}
			memcpy(seen[i], pair, sizeof(pair));
		}
		uint32_t rh[4] = {i, 0, (uint32_t)n, (uint32_t)n};

		fwrite(rh, 4, 4, out);
		fwrite(f, 1, n, out);
	}
	free(seen);
	return fclose(out) ? 2 : 0;
}

/* ---- judging ---- */

struct pkt {
	uint8_t d[MAXPKT];
	size_t n;
	bool v6, got;
};

static int enter(const char *ns)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		perror(path);
		return -1;
	}
	close(fd);
	return 0;
}

static void received(struct pkt *p, size_t np, const uint8_t *b, size_t n, bool v6)
{
	size_t l4off = v6 ? 0 : (size_t)(b[0] & 15) * 4;

	for (size_t i = l4off; i + 7 <= n; i++) {
		unsigned idx;

		if (memcmp(b + i, NONCE, 3))
			continue;
		memcpy(&idx, b + i + 3, 4);
		if (idx < np && p[idx].v6 == v6) {
			/* the very packet sent, not an ICMP error quoting it */
			const uint8_t *s = p[idx].d + 14 + (v6 ? 40 : 20);
			size_t sn = p[idx].n - 14 - (v6 ? 40 : 20);

			if (n - l4off == sn && !memcmp(b + l4off, s, sn))
				p[idx].got = true;
		}
	}
}

static int cmd_judge(int argc, char **argv)
{
	static const int protos[] = {6, 17, 1, 47, 50, 132};
	static const int protos6[] = {6, 17, 58, 50, 132};
	struct pollfd pf[16];
	int nfd = 0, tx, self;
	struct pkt *p = NULL;
	size_t np = 0, cap = 0;
	FILE *in;
	uint32_t gh[6], rh[4];

	if (argc != 6) {
		fprintf(stderr, "usage: nfcompare judge PCAP TXNETNS TXDEV RXNETNS\n");
		return 2;
	}
	in = fopen(argv[2], "rb");
	if (!in || fread(gh, 4, 6, in) != 6) {
		perror(argv[2]);
		return 2;
	}
	while (fread(rh, 4, 4, in) == 4) {
		if (np == cap) {
			cap = cap ? cap * 2 : 1024;
			p = realloc(p, cap * sizeof(*p));
			if (!p)
				return 2;
		}
		if (rh[2] > MAXPKT || fread(p[np].d, 1, rh[2], in) != rh[2])
			return 2;
		p[np].n = rh[2];
		p[np].v6 = p[np].d[12] == 0x86;
		p[np].got = false;
		np++;
	}
	fclose(in);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (enter(argv[5]))
		return 2;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		pf[nfd++] = (struct pollfd){socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, protos[i]),
					    POLLIN, 0};
	for (size_t i = 0; i < sizeof(protos6) / sizeof(protos6[0]); i++)
		pf[nfd++] = (struct pollfd){socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK, protos6[i]),
					    POLLIN, 0};
	for (int i = 0; i < nfd; i++) {
		int sz = 8 << 20;

		if (pf[i].fd < 0) {
			perror("raw socket");
			return 2;
		}
		setsockopt(pf[i].fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	}
	if (enter(argv[3]))
		return 2;
	tx = socket(AF_PACKET, SOCK_RAW, 0);
	{
		struct sockaddr_ll sll = {.sll_family = AF_PACKET,
					  .sll_ifindex = (int)if_nametoindex(argv[4])};

		if (tx < 0 || !sll.sll_ifindex || bind(tx, (struct sockaddr *)&sll, sizeof(sll))) {
			perror("packet socket");
			return 2;
		}
	}
	setns(self, CLONE_NEWNET);
	for (size_t base = 0; base < np; base += 32) {
		for (size_t i = base; i < np && i < base + 32; i++)
			if (send(tx, p[i].d, p[i].n, 0) != (ssize_t)p[i].n) {
				perror("send");
				return 2;
			}
		/* drain until the sockets have been quiet for 15 ms */
		while (poll(pf, (nfds_t)nfd, 15) > 0) {
			for (int k = 0; k < nfd; k++) {
				uint8_t b[2048];
				ssize_t n;

				while ((n = recv(pf[k].fd, b, sizeof(b), 0)) > 0)
					received(p, np, b, (size_t)n, k >= 6);
			}
		}
	}
	for (size_t i = 0; i < np; i++)
		printf("%zu\t%s\n", i + 1, p[i].got ? "accept" : "drop");
	free(p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "gen"))
		return cmd_gen(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "judge"))
		return cmd_judge(argc, argv);
	fprintf(stderr, "usage: nfcompare gen|judge ...\n");
	return 2;
}
