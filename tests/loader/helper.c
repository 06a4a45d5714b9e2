// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper for the loader's end-to-end tests: traffic that can be counted
 * (UDP/TCP), pcap writing, and a foreign tcx program to order against.
 *
 *   helper udp-recv PORT MS                 prints "ready PID", then the datagrams received
 *                                           in MS or until SIGTERM
 *   helper udp-send IP PORT COUNT GAP_US    sends COUNT datagrams
 *   helper tcp-serve PORT MS                prints "ready PID", accepts connections for MS
 *                                           or until SIGTERM
 *   helper tcp-connect IP PORT MS           exit 0 when a connection succeeds
 *   helper tcx-attach DEV ingress|egress PIN  attaches a pass-through tcx program, pins its link
 *   helper tcx-query DEV ingress|egress     prints the tcx program ids in order
 *   helper mkpcap OUT eth|raw PKT...        PKT: see build() below
 *   helper unverifiable IN OUT [late]        the first instruction of each code section (with
 *                                           late: the one before its last exit) becomes
 *                                           r0 = *(u64 *)(r10 + 8): the verifier refuses (EACCES),
 *                                           late after a long log
 *   helper mutate IN OUT SEED btf|elf|any   changes 1-4 random bytes of IN's .BTF and
 *                                           .BTF.ext, of its ELF tables, or anywhere
 */
#include <arpa/inet.h>
#include <elf.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int bound_socket(int type, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd = socket(AF_INET, type, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (void *)&a, sizeof(a))) {
		perror("bind");
		exit(1);
	}
	return fd;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

/* Counts until MS have passed or SIGTERM arrives (the test sends it once the sender is done). */
static int udp_recv(int port, int ms)
{
	int fd = bound_socket(SOCK_DGRAM, port), n = 0;
	long long end = now_ms() + ms;
	char buf[2048];

	signal(SIGTERM, on_term);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (now_ms() < end && !stop) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, end - now_ms()) > 0 && recv(fd, buf, sizeof(buf), 0) >= 0)
			n++;
	}
	printf("%d\n", n);
	return 0;
}

static int udp_send(const char *ip, int port, int count, int gap_us)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sent = 0;

	inet_pton(AF_INET, ip, &a.sin_addr);
	for (int i = 0; i < count; i++) {
		/* A cgroup egress drop shows as EPERM: the datagram was still judged. */
		if (sendto(fd, "sluice", 6, 0, (void *)&a, sizeof(a)) == 6 || errno == EPERM)
			sent++;
		if (gap_us)
			usleep(gap_us);
	}
	printf("%d\n", sent);
	return 0;
}

static int tcp_serve(int port, int ms)
{
	int fd = bound_socket(SOCK_STREAM, port);
	long long end = now_ms() + ms;

	signal(SIGTERM, on_term);
	listen(fd, 16);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (now_ms() < end && !stop) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, end - now_ms()) > 0) {
			int c = accept(fd, NULL, NULL);

			if (c >= 0)
				close(c);
		}
	}
	return 0;
}

static int tcp_connect(const char *ip, int port, int ms)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t len = sizeof(err);
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	inet_pton(AF_INET, ip, &a.sin_addr);
	if (connect(fd, (void *)&a, sizeof(a)) && errno != EINPROGRESS)
		return 1;
	if (poll(&p, 1, ms) <= 0)
		return 1;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return err ? 1 : 0;
}

struct tcx_link_create {
	__u32 prog_fd, ifindex, attach_type, flags, rel, pad;
	__u64 rev;
};

struct prog_query {
	__u32 ifindex, attach_type, query_flags, attach_flags;
	__u64 prog_ids;
	__u32 count, pad;
	__u64 prog_attach_flags, link_ids, link_attach_flags, revision;
};

static int tcx_type(const char *dir)
{
	return !strcmp(dir, "ingress") ? 46 : 47;
}

static int tcx_attach(const char *dev, const char *dir, const char *pin)
{
	struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	struct tcx_link_create a = {.ifindex = if_nametoindex(dev), .attach_type = tcx_type(dir)};
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int pfd, lfd;

	pfd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "foreign", "GPL", insns, 2, NULL);
	if (pfd < 0 || !a.ifindex) {
		perror("load");
		return 1;
	}
	a.prog_fd = pfd;
	lfd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	if (lfd < 0 || bpf_obj_pin(lfd, pin)) {
		perror("tcx link");
		return 1;
	}
	bpf_obj_get_info_by_fd(pfd, &info, &len);
	printf("%u\n", info.id);
	return 0;
}

static int tcx_query(const char *dev, const char *dir)
{
	__u32 ids[64];
	struct prog_query q = {.ifindex = if_nametoindex(dev),
			       .attach_type = tcx_type(dir),
			       .prog_ids = (unsigned long)ids,
			       .count = 64};

	if (syscall(__NR_bpf, BPF_PROG_QUERY, &q, sizeof(q))) {
		perror("query");
		return 1;
	}
	for (__u32 i = 0; i < q.count; i++)
		printf("%s%u", i ? " " : "", ids[i]);
	printf("\n");
	return 0;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/*
 * One packet from a spec, with an Ethernet header when eth:
 *   udp|tcp:DPORT[:SPORT[:SADDR[:FLAGS]]]  IPv4 (SADDR dotted, FLAGS TCP flags byte)
 *   icmp:TYPE[:SADDR]   udp6|tcp6:DPORT[:SPORT]   icmp6:TYPE
 *   frag:PROTO          IPv4 non-first fragment      arp    short (6 zero bytes + padding)
 *   vlan:ID:SPEC        the frame of SPEC with an 802.1Q tag (eth only)
 * Default addresses 10.9.0.1 -> 10.9.0.2 and 2001:db8::1 -> 2001:db8::2.
 */
static int build(const char *spec, int eth, unsigned char *pkt)
{
	char buf[128], *f[6] = {0};
	int nf = 0, l4len = 8, proto = 0, v6 = 0, frag = 0, hl, arg;
	unsigned char *ip;
	unsigned sum = 0;

	memset(pkt, 0, 128);
	if (!strncmp(spec, "vlan:", 5) && eth) {
		int id = atoi(spec + 5), len;
		const char *inner = strchr(spec + 5, ':');

		if (!inner || (len = build(inner + 1, 1, pkt)) < 0)
			return -1;
		memmove(pkt + 16, pkt + 12, len - 12);
		put16(pkt + 12, 0x8100);
		put16(pkt + 14, id);
		return len + 4;
	}
	if (eth) {
		memcpy(pkt, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
		put16(pkt + 12, 0x0800);
	}
	if (!strcmp(spec, "arp")) {
		put16(pkt + 12, 0x0806);
		return 42;
	}
	if (!strcmp(spec, "short"))
		return eth ? 20 : 6;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *t = strtok(buf, ":"); t && nf < 6; t = strtok(NULL, ":"))
		f[nf++] = t;
	if (nf < 2)
		return -1;
	if (!strcmp(f[0], "udp") || !strcmp(f[0], "udp6"))
		proto = 17;
	else if (!strcmp(f[0], "tcp") || !strcmp(f[0], "tcp6"))
		proto = 6, l4len = 20;
	else if (!strcmp(f[0], "icmp"))
		proto = 1;
	else if (!strcmp(f[0], "icmp6"))
		proto = 58;
	else if (!strcmp(f[0], "frag"))
		proto = atoi(f[1]), frag = 1;
	else
		return -1;
	v6 = strchr(f[0], '6') != NULL;
	arg = atoi(f[1]);
	ip = pkt + (eth ? 14 : 0);
	if (v6) {
		if (eth)
			put16(pkt + 12, 0x86dd);
		ip[0] = 0x60;
		put16(ip + 4, l4len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		memcpy(ip + 24, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
		hl = 40;
	} else {
		ip[0] = 0x45;
		put16(ip + 2, 20 + l4len);
		if (frag)
			put16(ip + 6, 100); /* fragment offset 800 bytes: no L4 header here */
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, "\x0a\x09\x00\x01\x0a\x09\x00\x02", 8);
		if ((proto == 1 && nf > 2) || (proto != 1 && nf > 3))
			inet_pton(AF_INET, proto == 1 ? f[2] : f[3], ip + 12);
		for (int i = 0; i < 20; i += 2)
			sum += ip[i] << 8 | ip[i + 1];
		sum = (sum & 0xffff) + (sum >> 16);
		put16(ip + 10, ~sum & 0xffff);
		hl = 20;
	}
	if (proto == 1 || proto == 58 || frag) {
		ip[hl] = frag ? 0 : arg;
	} else {
		put16(ip + hl, nf > 2 ? atoi(f[2]) : 40000);
		put16(ip + hl + 2, arg);
		if (proto == 17)
			put16(ip + hl + 4, 8);
		else
			ip[hl + 12] = 0x50, ip[hl + 13] = nf > 4 ? strtol(f[4], NULL, 0) : 0x02;
	}
	return (eth ? 14 : 0) + hl + l4len;
}

static int mkpcap(const char *out, const char *kind, int n, char **specs)
{
	int eth = !strcmp(kind, "eth");
	unsigned int ghdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, eth ? 1 : 101};
	FILE *f = fopen(out, "wb");

	if (!f)
		return 1;
	fwrite(ghdr, sizeof(ghdr), 1, f);
	for (int i = 0; i < n; i++) {
		unsigned char pkt[128];
		int len = build(specs[i], eth, pkt);
		unsigned int rec[4] = {1700000000u + i, 0, len, len};

		if (len < 0) {
			fprintf(stderr, "mkpcap: bad packet spec %s\n", specs[i]);
			return 2;
		}
		fwrite(rec, sizeof(rec), 1, f);
		fwrite(pkt, 1, len, f);
	}
	return fclose(f) ? 1 : 0;
}

static uint64_t rng;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Regions of the object to mutate: [off, off + len). */
struct region {
	uint64_t off, len;
};

static int regions_of(const uint8_t *d, size_t n, const char *mode, struct region *r, int max)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh, strs;
	int k = 0;

	if (!strcmp(mode, "any") || n < sizeof(eh)) {
		r[0] = (struct region){0, n};
		return 1;
	}
	memcpy(&eh, d, sizeof(eh));
	if (eh.e_shoff + (uint64_t)eh.e_shnum * sizeof(sh) > n || eh.e_shstrndx >= eh.e_shnum)
		return 0;
	memcpy(&strs, d + eh.e_shoff + eh.e_shstrndx * sizeof(sh), sizeof(sh));
	if (!strcmp(mode, "elf")) {
		r[k++] = (struct region){0, sizeof(eh)};
		r[k++] = (struct region){eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(sh)};
	}
	for (int i = 1; i < eh.e_shnum && k < max; i++) {
		const char *name;

		memcpy(&sh, d + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_offset + sh.sh_size > n || !sh.sh_size)
			continue;
		name =
		    sh.sh_name < strs.sh_size ? (const char *)d + strs.sh_offset + sh.sh_name : "";
		if (!strcmp(mode, "btf") ? !strcmp(name, ".BTF") || !strcmp(name, ".BTF.ext")
					 : sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_STRTAB ||
					       sh.sh_type == SHT_REL)
			r[k++] = (struct region){sh.sh_offset, sh.sh_size};
	}
	return k;
}

static int mutate(const char *in, const char *out, unsigned long seed, const char *mode)
{
	static uint8_t d[1 << 22];
	struct region r[64];
	FILE *f = fopen(in, "rb");
	size_t n;
	int k, changes;

	if (!f)
		return 1;
	n = fread(d, 1, sizeof(d), f);
	fclose(f);
	rng = seed * 2654435761u + 1;
	k = regions_of(d, n, mode, r, 64);
	if (!k)
		return 1;
	changes = 1 + next_rand() % 4;
	for (int i = 0; i < changes; i++) {
		const struct region *g = &r[next_rand() % k];
		uint64_t at = g->off + next_rand() % g->len;

		d[at] =
		    next_rand() % 10 < 6 ? (uint8_t)next_rand() : d[at] ^ (1u << next_rand() % 8);
	}
	f = fopen(out, "wb");
	if (!f || fwrite(d, 1, n, f) != n)
		return 1;
	return fclose(f) ? 1 : 0;
}

static int unverifiable(const char *in, const char *out, bool late)
{
	static uint8_t d[1 << 24];
	/* ldx dw r0, [r10 + 8]: above the frame pointer, a read the verifier refuses. */
	static const uint8_t bad[8] = {0x79, 0xa0, 0x08, 0x00, 0, 0, 0, 0};
	FILE *f = fopen(in, "rb");
	Elf64_Ehdr eh;
	Elf64_Shdr sh;
	size_t n;

	if (!f)
		return 1;
	n = fread(d, 1, sizeof(d), f);
	fclose(f);
	if (n == sizeof(d) || n < sizeof(eh))
		return 1;
	memcpy(&eh, d, sizeof(eh));
	for (int i = 1; i < eh.e_shnum; i++) {
		memcpy(&sh, d + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR) || sh.sh_size < 16)
			continue;
		size_t at = 0;

		/* the last exit (opcode 0x95), and the instruction before it */
		for (size_t k = 8; late && k + 8 <= sh.sh_size; k += 8)
			if (d[sh.sh_offset + k] == 0x95)
				at = k - 8;
		memcpy(d + sh.sh_offset + at, bad, sizeof(bad));
	}
	f = fopen(out, "wb");
	if (!f || fwrite(d, 1, n, f) != n)
		return 1;
	return fclose(f) ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	if (!strcmp(c, "udp-recv") && argc == 4)
		return udp_recv(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(c, "udp-send") && argc == 6)
		return udp_send(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (!strcmp(c, "tcp-serve") && argc == 4)
		return tcp_serve(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(c, "tcp-connect") && argc == 5)
		return tcp_connect(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(c, "tcx-attach") && argc == 5)
		return tcx_attach(argv[2], argv[3], argv[4]);
	if (!strcmp(c, "tcx-query") && argc == 4)
		return tcx_query(argv[2], argv[3]);
	if (!strcmp(c, "mkpcap") && argc >= 4)
		return mkpcap(argv[2], argv[3], argc - 4, argv + 4);
	if (!strcmp(c, "unverifiable") && argc == 5 && !strcmp(argv[4], "late"))
		return unverifiable(argv[2], argv[3], true);
	if (!strcmp(c, "unverifiable") && argc == 4)
		return unverifiable(argv[2], argv[3], false);
	if (!strcmp(c, "mutate") && argc == 6)
		return mutate(argv[2], argv[3], strtoul(argv[4], NULL, 10), argv[5]);
	fprintf(stderr, "usage: see the comment at the top of helper.c\n");
	return 2;
}
