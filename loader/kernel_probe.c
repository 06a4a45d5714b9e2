// SPDX-License-Identifier: GPL-2.0-only
/*
 * How BPF_PROG_TEST_RUN can run a program of each hook on this kernel
 * (kernel.h). No messages and nothing else of the loader: the kernel tests
 * link it too.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include <sluice/abi.h>
#include <sluice/cleanup.h>

#include "kernel.h"

enum bpf_prog_type sl_kernel_prog_type(uint32_t hook)
{
	switch (hook) {
	case SLUICE_HOOK_XDP:
		return BPF_PROG_TYPE_XDP;
	case SLUICE_HOOK_TC_INGRESS:
	case SLUICE_HOOK_TC_EGRESS:
		return BPF_PROG_TYPE_SCHED_CLS;
	default:
		return BPF_PROG_TYPE_CGROUP_SKB;
	}
}

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

/*
 * 1 when a test run of a `type` program can read the first byte of the
 * packet (data + 1 <= data_end), 0 when it cannot, -errno when the probe
 * could not run.
 */
static int test_run_reads_packet(enum bpf_prog_type type, enum bpf_attach_type attach)
{
	const struct bpf_insn insns[] = {
	    INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 1, offsetof(struct __sk_buff, data), 0),
	    INSN(BPF_LDX | BPF_W | BPF_MEM, 3, 1, offsetof(struct __sk_buff, data_end), 0),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
	    INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, 1),
	    INSN(BPF_JMP | BPF_JGT | BPF_X, 2, 3, 1, 0),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),
	    INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	/* Ethernet + a 20-byte IPv4 header: what every skb test run accepts. */
	uint8_t pkt[64] = {[12] = 0x08, [14] = 0x45, [16] = 0, [17] = 50, [22] = 64, [23] = 17};
	LIBBPF_OPTS(bpf_prog_load_opts, lopts, .expected_attach_type = attach);
	LIBBPF_OPTS(bpf_test_run_opts, ropts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 1);
	int fd, err;

	fd = bpf_prog_load(type, "sluice_probe", "GPL", insns, SL_ARRAY_SIZE(insns), &lopts);
	if (fd < 0)
		return -errno;
	err = bpf_prog_test_run_opts(fd, &ropts) ? -errno : ropts.retval == 1;
	close(fd);
	return err;
}

static int probe_cgroup_test_run(uint32_t hook, enum bpf_prog_type *type)
{
	int r;

	r = test_run_reads_packet(BPF_PROG_TYPE_CGROUP_SKB, hook == SLUICE_HOOK_CGROUP_EGRESS
								? BPF_CGROUP_INET_EGRESS
								: BPF_CGROUP_INET_INGRESS);
	if (r)
		return r < 0 ? r : 0; /* could not probe (privileges?), or the test run sees */
	/* Blind: without a stand-in a test run would judge every packet wrongly. */
	if (test_run_reads_packet(BPF_PROG_TYPE_LWT_IN, 0) != 1)
		return -EOPNOTSUPP;
	*type = BPF_PROG_TYPE_LWT_IN;
	return 0;
}

int sl_kernel_test_run_type(uint32_t hook, enum bpf_prog_type *type)
{
	/* The kernel does not change under a process: probe once (0 = not yet). */
	static int cached;
	int r;

	*type = sl_kernel_prog_type(hook);
	if (*type != BPF_PROG_TYPE_CGROUP_SKB)
		return 0;
	if (cached > 0) {
		*type = (enum bpf_prog_type)cached;
		return 0;
	}
	r = probe_cgroup_test_run(hook, type);
	if (!r)
		cached = (int)*type;
	return r;
}
