/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * XDP shared through libxdp's multi-program dispatcher (xdp-tools'
 * protocol.org, dispatcher version 2): the device runs libxdp's
 * xdp_dispatcher (its installed object, xdp-dispatcher.o), whose slots
 * prog0..prog9 are freplace'd by the programs in priority order; a program's
 * return value continues the chain when its bit is set in the slot's
 * chain_call_actions (sluice: XDP_PASS, so `accept` hands the packet to the
 * next program). The state of a device is libxdp's, shared with xdp-tools:
 *   /sys/fs/bpf/xdp/                    flock'd during a change
 *   /sys/fs/bpf/xdp/dispatch-IFINDEX-ID/prog<N>-prog, prog<N>-link
 * where ID is the attached dispatcher's program id and the dispatcher's
 * .rodata (struct xdp_dispatcher_config) holds priorities and chain actions.
 * A change builds a whole new dispatcher (the old components re-linked to it,
 * the new one added, removed or swapped), pins it, swaps it in with one
 * netlink XDP_FLAGS_REPLACE and then unpins the old one: every packet sees
 * the old or the new chain.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "obj.h"
#include "state.h"
#include "target.h"

#define SL_XDP_DEFAULT_PRIORITY 50 /* libxdp's default run priority */

/*
 * Checks the device (nothing but libxdp's dispatcher on it, the same mode) and
 * that the kernel loads freplace programs; then makes o's program an freplace
 * (BPF_PROG_TYPE_EXT) of a dispatcher slot, before it is loaded.
 */
int sl_xdp_multi_prepare(struct sl_obj *o, const struct sl_target *t);
/* Adds prog_fd to the dispatcher of t's device (creating one); fills st's xdp fields. */
int sl_xdp_multi_add(const struct sl_target *t, int prog_fd, struct sl_state *st);
/* Swaps program old_id of st's dispatcher for new_fd (same priority): one atomic switch. */
int sl_xdp_multi_swap(const struct sl_state *st, uint32_t old_id, int new_fd);
/* Takes program prog_id out of st's dispatcher (0 when it is not there). */
int sl_xdp_multi_remove(const struct sl_state *st, uint32_t prog_id);
/* Whether program prog_id runs in the dispatcher on st's device now. */
int sl_xdp_multi_runs(const struct sl_state *st, uint32_t prog_id, bool *runs);
