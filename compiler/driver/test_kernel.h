/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `sluice test --kernel`: one table's program of a compiled object, loaded
 * for BPF_PROG_TEST_RUN the way `sluice-load run` and the kernel tests load
 * it (libbpf; cgroup_skb programs as the type this kernel test-runs them
 * with, loader/kernel.h), run on one frame at a time, with the deciding rule
 * read from the decision map (objects built with record_decisions).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/field.h"

struct bpf_object;

struct sl_test_kernel {
	struct bpf_object *obj;
	enum sl_hook hook;
	int prog_fd, decision_fd;
	/* a table with `ct state`: its companion (the other direction) and the flow table */
	enum sl_hook ct_hook;
	int ct_prog_fd, flows_fd;
};

/* True when this process may load BPF programs; else why not in `why`. */
bool sl_test_kernel_usable(char *why, size_t size);

/*
 * Open the object image and load program `prog` (the table's) alone, or with
 * its companion (`companion`, at hook ct_hook; NULL: none), which shares the
 * flow table. Errors are reported on stderr (with libbpf's log). 0 or -errno.
 */
int sl_test_kernel_open(const void *image, size_t size, const char *prog, enum sl_hook hook,
			const char *companion, enum sl_hook ct_hook, struct sl_test_kernel *k);
/* Empties the flow table (a new flow block). 0 or -errno (reported). */
int sl_test_kernel_flush_flows(const struct sl_test_kernel *k);
/*
 * Runs the companion on a frame of the other direction: it tracks the packet
 * and must accept it. -EOPNOTSUPP (why) as sl_test_kernel_run; -EPROTO when
 * it did not accept (reported).
 */
int sl_test_kernel_run_companion(const struct sl_test_kernel *k, const uint8_t *frame, size_t len,
				 char *why, size_t size);
void sl_test_kernel_close(struct sl_test_kernel *k);

/* Rule ids as the decision map holds them: SL_TEST_KERNEL_POLICY for the table policy. */
#define SL_TEST_KERNEL_POLICY  UINT32_MAX
#define SL_TEST_KERNEL_UNKNOWN 0xfffffffeu

/*
 * Run the program on an Ethernet frame: *accept and *rule (the decision map's
 * id, SL_TEST_KERNEL_UNKNOWN when nothing was recorded). -EOPNOTSUPP with the
 * reason in `why` when the kernel will not test-run this frame; another
 * -errno (reported) when the run failed.
 */
int sl_test_kernel_run(const struct sl_test_kernel *k, const uint8_t *frame, size_t len,
		       bool *accept, uint32_t *rule, char *why, size_t size);

struct sl_ir;

/*
 * Named sets: each set i of ir (outer map map_names[i], one slot) gets a new
 * inner map holding the set's keys now (ir->sets[i].keys), elements that never
 * expire. 0 or -errno (reported).
 */
int sl_test_kernel_fill_sets(const struct sl_test_kernel *k, const struct sl_ir *ir,
			     const char *const *map_names);
