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
int sl_hook_attach(const struct sl_target *t, int prog_fd, struct sl_state *st, int *link_fd);
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
/* What the kernel says about an attachment now. */
int sl_hook_status(const struct sl_state *st, const char *dir, struct sl_link_status *s);

/* tcx program order on a device hook: BPF_PROG_QUERY. Returns count or -errno. */
int sl_tcx_query(uint32_t ifindex, uint32_t hook, uint32_t *prog_ids, uint32_t *link_ids,
		 uint32_t max);
/* Checks that the program or link --before/--after names is on the tcx hook; prints errors. */
int sl_hook_check_order(const struct sl_target *t);
