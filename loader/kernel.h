/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the running kernel can do: the oldest Linux each hook and feature
 * needs (lang-spec/kernel-requirements.md), checked before anything is loaded
 * so that an old kernel is refused by name instead of by a verifier log; and
 * how BPF_PROG_TEST_RUN can run a cgroup_skb program on this kernel.
 */
#pragma once

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stdint.h>

/* A feature sluice relies on, and the first mainline release that has it. */
struct sl_kfeature {
	const char *what;
	unsigned major, minor;
};

/*
 * The first feature a program for `hook` (SLUICE_HOOK_*) needs that Linux
 * major.minor lacks, or NULL; `attach` adds what attaching needs (bpf_link),
 * `logs` what `log` rules need (a ring buffer; bpf_xdp_load_bytes on xdp).
 */
const struct sl_kfeature *sl_kernel_missing(uint32_t hook, bool attach, bool logs, unsigned major,
					    unsigned minor);

/*
 * Refuses, with a message naming the feature and this kernel's release, when
 * the running kernel lacks something the hook needs; 0 when it has it all.
 * SLUICE_IGNORE_KERNEL_VERSION=1 skips the release comparison (kernels with
 * backported features), not the probe of the program type.
 */
int sl_kernel_check(uint32_t hook, bool attach, bool logs);

/* The BPF program type of a `hook` (SLUICE_HOOK_*) program. */
enum bpf_prog_type sl_kernel_prog_type(uint32_t hook);

/*
 * The program type BPF_PROG_TEST_RUN must run a `hook` program as. Linux
 * before 6.14 does not set the packet pointers of a cgroup_skb test run
 * (data_end stays 0, every packet read fails its bounds check), while an
 * attached program sees the packet: a test run there loads the same
 * instructions as BPF_PROG_TYPE_LWT_IN, whose test run gives the same view
 * (packet from the network header, skb->protocol and len set). Probed, not
 * guessed from the release. Returns 0 and sets *type; -EOPNOTSUPP when the
 * test run is blind and LWT_IN is not available either; another -errno when
 * the probe could not run (*type is then the hook's own).
 * (loader/kernel_probe.c, library sluice_kernel_probe.)
 */
int sl_kernel_test_run_type(uint32_t hook, enum bpf_prog_type *type);

/*
 * Makes `prog` (not yet loaded) test-runnable on this kernel; see above.
 * Refuses (-EOPNOTSUPP, with a message) only where a test run would be blind;
 * a probe that could not run leaves the type for the load to judge.
 */
int sl_kernel_prepare_test_run(struct bpf_program *prog, uint32_t hook);
