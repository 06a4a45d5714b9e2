/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel side of attaching: one function per operation, dispatching on
 * the hook. Links everywhere (xdp, tcx, cgroup_skb); legacy clsact + cls_bpf
 * for tc on kernels without tcx (< 6.6) or when asked (--tc-legacy or
 * SLUICE_TC_LEGACY=1).
 */
#pragma once

#include <stdint.h>

#include "state.h"
#include "target.h"

/* True when tc should go through clsact rather than tcx. */
bool sl_tc_use_legacy(const struct sl_target *t);

/*
 * Attaches prog_fd; fills the attach fields of st. *link_fd is the new link,
 * or -1 for legacy tc. Undo with sl_hook_undo (nothing is pinned yet).
 */
int sl_hook_attach(const struct sl_target *t, int prog_fd, struct sl_state *st, int *link_fd,
		   void (*step)(void *, const char *), void *step_ctx);
void sl_hook_undo(const struct sl_target *t, const struct sl_state *st, int link_fd);

/* Atomically swaps the attached program (expected to be old_prog_fd) for new_prog_fd. */
int sl_hook_update(const struct sl_state *st, const char *dir, int old_prog_fd, int new_prog_fd);
/* Opens the program attached now; returns an fd or -errno. */
int sl_hook_current_prog(const struct sl_state *st, const char *dir, uint32_t *prog_id);
/* Detaches; 0 also when the kernel had already detached it (device or netns gone). */
int sl_hook_detach(const struct sl_state *st, const char *dir);

struct sl_link_status {
	uint32_t link_id; /* 0 for legacy tc */
	uint32_t prog_id;
	bool attached;
};
/* The id of the program the kernel runs there now (0: none, gone). */
int sl_hook_running_prog(const struct sl_state *st, const char *dir, uint32_t *prog_id);
/* What the kernel says about an attachment now. */
int sl_hook_status(const struct sl_state *st, const char *dir, struct sl_link_status *s);

/* Enters the network namespace of an attachment if it still exists (-ENOENT if not). */
int sl_state_netns_enter(const struct sl_state *st, struct sl_netns *saved);

/*
 * sluice's tag on its cls_bpf filters: their handle, 0x51ce in the upper half
 * and a hash of the pin root in the lower, so that sluice-loads with other
 * roots (tests) never take each other's filters for orphans.
 */
uint32_t sl_tc_handle(void);
struct sl_tc_filter {
	uint32_t handle;
	uint32_t priority;
	uint32_t prog_id;
	char name[64];
};
/* The cls_bpf filters on a clsact hook of ifindex (current netns): count or -errno. */
int sl_tc_filters(uint32_t ifindex, uint32_t hook, struct sl_tc_filter *out, int max);
bool sl_tc_filter_is_sluice(const struct sl_tc_filter *f);
int sl_tc_filter_delete(uint32_t ifindex, uint32_t hook, const struct sl_tc_filter *f);
/*
 * Deletes the filters of sluice's tag on a hook sluice has no record of (current
 * netns), saying so; returns how many.
 */
int sl_tc_sweep_orphans(uint32_t ifindex, uint32_t hook);
/* Whether ifindex (in netns, NULL = here) has a clsact qdisc. */
bool sl_tc_has_clsact(const char *netns, uint32_t ifindex);
/* Removes the clsact qdisc of ifindex when no filter is left; true when it did (or had none). */
bool sl_tc_release_qdisc_if_empty(uint32_t ifindex);
/* After a legacy filter went: the qdisc sluice created goes with the last one. */
void sl_tc_legacy_release_qdisc(const struct sl_state *st, const char *dir);

/* Waits until no BPF program that started before the call is still running. */
int sl_bpf_grace_period(void);

/* tcx program order on a device hook: BPF_PROG_QUERY. Returns count or -errno. */
int sl_tcx_query(uint32_t ifindex, uint32_t hook, uint32_t *prog_ids, uint32_t *link_ids,
		 uint32_t max);
/* Checks that the program or link --before/--after names is on the tcx hook; prints errors. */
int sl_hook_check_order(const struct sl_target *t);
