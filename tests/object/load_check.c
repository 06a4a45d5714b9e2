// SPDX-License-Identifier: GPL-2.0-only
/*
 * object_load_check OBJ [--count SLOT]: opens OBJ with libbpf, loads it into
 * the kernel, runs every program once on a TCP/IPv4 packet with
 * BPF_PROG_TEST_RUN and checks the return code is one its hook allows. With
 * --count, the counter map's slot SLOT must then hold one packet per run of
 * the programs that count it, with the packet's bytes. The verifier log of
 * every program (small enough to log in full) must show policy lines
 * ("; <source line> @ <file>.sluice:<line>").
 * Exit: 0 ok, 1 failure, 77 no BPF here (unless SLUICE_REQUIRE_KERNEL=1).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <linux/if_ether.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/abi.h"

#define SKIP 77
/* Verifier logs (level 2: every state) of programs up to this size are checked for policy lines. */
#define LOG_MAX_INSNS 256
#define LOG_SIZE      (4u << 20)
#define MAX_PROGS     64

static int verbose_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool kernel_required(void)
{
	const char *e = getenv("SLUICE_REQUIRE_KERNEL");

	return e && !strcmp(e, "1");
}

/* Ethernet + IPv4 + TCP to port 22, 64 bytes. */
static const unsigned char packet[64] = {
    0x02, 0,	0, 0,  0, 1, 0x02, 0, 0,  0, 0, 2, 0x08, 0x00, /* ethernet */
    0x45, 0,	0, 50, 0, 1, 0x40, 0, 64, 6, 0, 0, 10,	 0,    0,    1,	   10, 0, 0, 2, /* ipv4 */
    0x30, 0x39, 0, 22, 0, 0, 0,	   1, 0,  0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0,  0, 0, 0, /* tcp */
};

static bool retval_allowed(enum bpf_prog_type type, uint32_t ret)
{
	switch (type) {
	case BPF_PROG_TYPE_XDP:
		return ret == XDP_PASS || ret == XDP_DROP;
	case BPF_PROG_TYPE_SCHED_CLS:
		/* TCX_NEXT (-1): accept under the table setting `accept next` */
		return ret == 0 /* TC_ACT_OK */ || ret == 2 /* TC_ACT_SHOT */ || ret == UINT32_MAX;
	case BPF_PROG_TYPE_CGROUP_SKB:
		return ret == 0 || ret == 1;
	default:
		return false;
	}
}

static int run_prog(struct bpf_program *prog)
{
	enum bpf_prog_type type = bpf_program__type(prog);
	/* cgroup_skb programs see the packet from the IP header on. */
	size_t skip = type == BPF_PROG_TYPE_CGROUP_SKB ? ETH_HLEN : 0;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet + skip,
		    .data_size_in = sizeof(packet) - skip, .repeat = 1);
	int r = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	if (r) {
		fprintf(stderr, "%s: test run failed: %s\n", bpf_program__name(prog),
			strerror(errno));
		return -1;
	}
	if (!retval_allowed(type, opts.retval)) {
		fprintf(stderr, "%s: returned %u, not a verdict of its hook\n",
			bpf_program__name(prog), opts.retval);
		return -1;
	}
	printf("%s (%s): ran, returned %u\n", bpf_program__name(prog),
	       bpf_program__section_name(prog), opts.retval);
	return 0;
}

static int check_counter(struct bpf_object *obj, uint32_t slot, int nruns)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, SLUICE_COUNTER_MAP);
	int ncpus = libbpf_num_possible_cpus();
	struct sluice_counter *vals, sum = {0};

	if (!map || ncpus <= 0) {
		fprintf(stderr, "no counter map\n");
		return -1;
	}
	vals = calloc((size_t)ncpus, sizeof(*vals));
	if (!vals || bpf_map_lookup_elem(bpf_map__fd(map), &slot, vals)) {
		fprintf(stderr, "cannot read counter slot %u\n", slot);
		free(vals);
		return -1;
	}
	for (int i = 0; i < ncpus; i++) {
		sum.packets += vals[i].packets;
		sum.bytes += vals[i].bytes;
	}
	free(vals);
	printf("counter %u: %llu packets, %llu bytes\n", slot, (unsigned long long)sum.packets,
	       (unsigned long long)sum.bytes);
	if (sum.packets != (uint64_t)nruns ||
	    sum.bytes < (uint64_t)nruns * (sizeof(packet) - ETH_HLEN)) {
		fprintf(stderr, "counter %u: expected %d packets\n", slot, nruns);
		return -1;
	}
	return 0;
}

struct loaded {
	struct bpf_object *obj;
	char *logs[MAX_PROGS];
	int nlogs;
};

static void loaded_close(struct loaded *l)
{
	for (int i = 0; i < l->nlogs; i++)
		free(l->logs[i]);
	bpf_object__close(l->obj);
	memset(l, 0, sizeof(*l));
}

/* Open and load; with_logs asks for full verifier logs of the small programs. */
static int open_and_load(const char *path, bool with_logs, struct loaded *l)
{
	struct bpf_program *prog;

	memset(l, 0, sizeof(*l));
	l->obj = bpf_object__open_file(path, NULL);
	if (!l->obj) {
		fprintf(stderr, "%s: libbpf cannot open it\n", path);
		return -EINVAL;
	}
	bpf_object__for_each_program(prog, l->obj)
	{
		if (!with_logs || bpf_program__insn_cnt(prog) > LOG_MAX_INSNS ||
		    l->nlogs == MAX_PROGS)
			continue;
		l->logs[l->nlogs] = calloc(1, LOG_SIZE);
		if (!l->logs[l->nlogs])
			return -ENOMEM;
		bpf_program__set_log_buf(prog, l->logs[l->nlogs++], LOG_SIZE);
		bpf_program__set_log_level(prog, 2);
	}
	return bpf_object__load(l->obj);
}

static int check_logs(const char *path, const struct loaded *l)
{
	for (int i = 0; i < l->nlogs; i++) {
		if (!strstr(l->logs[i], ".sluice:") || !strstr(l->logs[i], " @ ")) {
			fprintf(stderr, "%s: a verifier log shows no policy lines\n", path);
			return -1;
		}
	}
	if (l->nlogs)
		printf("verifier logs of %d programs show policy lines\n", l->nlogs);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_program *prog;
	struct loaded l;
	long slot = -1;
	int r, nprogs = 0;

	if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "--count"))) {
		fprintf(stderr, "usage: %s OBJ [--count SLOT]\n", argv[0]);
		return 2;
	}
	if (argc == 4)
		slot = strtol(argv[3], NULL, 10);
	if (geteuid() != 0 && !kernel_required()) {
		fprintf(stderr, "skipped: needs root for BPF\n");
		return SKIP;
	}
	libbpf_set_print(verbose_print);
	r = open_and_load(argv[1], true, &l);
	if (r == -ENOSPC) { /* a log outgrew its buffer: load again without logs */
		loaded_close(&l);
		r = open_and_load(argv[1], false, &l);
	}
	if (r) {
		fprintf(stderr, "%s: cannot load: %s\n", argv[1], strerror(-r));
		loaded_close(&l);
		return (r == -EPERM && !kernel_required()) ? SKIP : 1;
	}
	r = check_logs(argv[1], &l);
	bpf_object__for_each_program(prog, l.obj)
	{
		nprogs++;
		if (run_prog(prog))
			r = 1;
	}
	/* Every sample program that counts does so once per run of itself. */
	if (!r && slot >= 0)
		r = check_counter(l.obj, (uint32_t)slot, 1) ? 1 : 0;
	loaded_close(&l);
	if (!nprogs) {
		fprintf(stderr, "%s: no programs\n", argv[1]);
		return 1;
	}
	return r ? 1 : 0;
}
