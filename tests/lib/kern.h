/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel runner for tests, the differential fuzzer and bench: load a sluice
 * program into the kernel (from codegen's struct sl_bpf_object, or from an
 * ELF object through libbpf), run it on packets with BPF_PROG_TEST_RUN, and
 * read its per-rule counters and recorded decisions.
 *
 *   if (!sl_kern_usable(why, sizeof(why)))
 *           return sl_kern_skip(argv[0], why);     // 77, or 1 with SLUICE_REQUIRE_KERNEL=1
 *   struct sl_kern_prog prog;
 *   sl_kern_load_raw(obj, 0, &prog, NULL);
 *   sl_kern_run(&prog, frame, len, &ret);            // ret: the hook's return code
 *   sl_kern_counter(&prog, rule_id, &c);             // summed over CPUs
 *   sl_kern_prog_close(&prog);
 *
 * Frames always start with an Ethernet header, for every hook: on cgroup_skb
 * the kernel takes it off (the program sees the IP header first, and
 * skb->protocol is the frame's EtherType), on XDP and TC the program sees it.
 * BPF_PROG_TEST_RUN needs at least 14 bytes of input.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/field.h"
#include "sluice/abi.h"

struct sl_bpf_object;
struct bpf_object;

#define SL_KERN_SKIP 77

/* A named set's outer map and the shape of the inner maps it takes (kern_set.c). */
struct sl_kern_set {
	int outer_fd;
	uint32_t type, key_size, max_entries, flags; /* the inner map template's */
};

#define SL_KERN_MAX_SETS 16

struct sl_kern_prog {
	int fd;
	enum sl_hook hook;
	int counter_fd;	 /* -1 when the program has no counter map */
	int decision_fd; /* -1 without SLUICE_DECISION_MAP */
	uint32_t ncounters;
	uint32_t verified_insns; /* bpf_prog_info.verified_insns (0 when the kernel does not say) */
	uint32_t xlated_insns;	 /* instructions after verification */
	struct bpf_object *obj;	 /* for ELF loads; NULL for raw loads */
	int owned_map_fds[64];	 /* raw loads: maps created for the program */
	unsigned nowned;
	struct sl_kern_set sets[SL_KERN_MAX_SETS]; /* named sets, in sl_ir.sets order */
	unsigned nsets;
};

/*
 * True when BPF programs can be loaded here (root, BPF syscall usable). Otherwise
 * false with the reason in `why`.
 */
bool sl_kern_usable(char *why, size_t size);
/* The exit code of a test that cannot run: 77 (ctest SKIP_RETURN_CODE), or 1 when
 * SLUICE_REQUIRE_KERNEL=1. Prints why on stderr. */
int sl_kern_skip(const char *test, const char *why);
/* SLUICE_REQUIRE_KERNEL=1 is set. */
bool sl_kern_required(void);

/*
 * Load program `prog` of a codegen result directly (no ELF): creates its maps,
 * patches map references into BPF_PSEUDO_MAP_FD loads. On failure returns
 * -errno and, when `log` is not NULL, stores the verifier log there
 * (malloc'd, caller frees; also on success when `log` is given).
 */
int sl_kern_load_raw(const struct sl_bpf_object *obj, uint32_t prog, struct sl_kern_prog *out,
		     char **log);

/*
 * Load an ELF object (memory image) with libbpf and take program `prog_name`
 * (NULL = the first). The hook comes from the program's section. Counter and
 * decision maps are found by their names (abi.h). Returns 0 or -errno.
 */
int sl_kern_load_elf(const void *image, size_t size, const char *prog_name,
		     struct sl_kern_prog *out, char **log);

void sl_kern_prog_close(struct sl_kern_prog *p);

/*
 * Whether the kernel can run the frame on the hook at all. BPF_PROG_TEST_RUN needs
 * 14 bytes, and for skb hooks (TC, cgroup_skb) it refuses a frame whose EtherType
 * (bytes 12-13) is IPv4 or IPv6 when the fixed IP header (20 / 40 bytes) is cut
 * short. Such frames can only be tested on XDP: skip them elsewhere.
 */
bool sl_kern_runnable(enum sl_hook hook, const void *frame, size_t len);

/* Run once on a frame (see above); *retval gets the program's return code. 0 or -errno;
 * -EOPNOTSUPP without running when !sl_kern_runnable(). */
int sl_kern_run(const struct sl_kern_prog *p, const void *frame, size_t len, uint32_t *retval);

/* Counters of rule `id`, summed over all CPUs. 0 or -errno. */
int sl_kern_counter(const struct sl_kern_prog *p, uint32_t id, struct sluice_counter *out);
/* Zero every counter. */
int sl_kern_counters_reset(const struct sl_kern_prog *p);
/* The rule that decided the last packet (SLUICE_DECISION_POLICY for the table policy). */
int sl_kern_decision(const struct sl_kern_prog *p, uint32_t *rule);
/* Set the decision slot (to tell a fresh decision from a stale one). */
int sl_kern_decision_set(const struct sl_kern_prog *p, uint32_t rule);

/*
 * kern_set.c: named sets, filled the way sluice/abi.h says a loader does: a new
 * inner map of the template's shape, `nkeys` keys (key_size bytes each) with
 * expires_ns[i] (NULL: never), stored in slot 0 of set `set`'s outer map.
 * Returns 0 or -errno.
 */
int sl_kern_set_fill(struct sl_kern_prog *p, uint32_t set, const uint8_t *keys, uint32_t nkeys,
		     const uint64_t *expires_ns);
/* Empty slot 0 of set `set` (a set with no inner map matches nothing). */
int sl_kern_set_unplug(struct sl_kern_prog *p, uint32_t set);
struct sl_ir;
/* Every set of `ir` (the policy the program came from) with its elements from the policy. */
int sl_kern_sets_fill_ir(struct sl_kern_prog *p, const struct sl_ir *ir);
/* kern.c: record the set maps of a loaded program (raw: obj's; ELF: libbpf's map-in-maps). */
int sl_kern_sets_raw(struct sl_kern_prog *p, const struct sl_bpf_object *obj, const int *fds);
int sl_kern_sets_elf(struct sl_kern_prog *p, struct bpf_object *obj, bool loaded);

/* The verdict a return code means for the hook: 1 accept, 0 drop, -1 neither. */
int sl_kern_retval_verdict(enum sl_hook hook, uint32_t retval);
