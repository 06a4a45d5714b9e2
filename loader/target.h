/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where a program goes: the command-line target (--xdp DEV, --tc DEV DIR,
 * --cgroup PATH DIR, --netns NS), its resolution to kernel objects (ifindex
 * inside the namespace, cgroup inode) and the pin directory keyed by them.
 */
#pragma once

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "state.h"

struct sl_target {
	bool set;
	uint32_t hook; /* enum sluice_meta_hook */
	const char *dev;
	const char *cgroup;
	const char *netns;
	uint32_t xdp_mode; /* enum sl_xdp_mode */
	bool tc_legacy;
	/* --multi: through libxdp's dispatcher, at --priority (xdp_multi.h). */
	bool xdp_multi;
	uint32_t xdp_priority;
	bool xdp_prio_set;
	/* tcx ordering: BPF_F_BEFORE / BPF_F_AFTER relative to a program or link id. */
	uint32_t order_flag;
	uint32_t rel_id;
	bool rel_is_link;

	/* Resolved. */
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	uint64_t netns_ino;
	int cgroup_fd;
	uint64_t cgroup_ino;
	char cgroup_abs[PATH_MAX];
	char pin_dir[PATH_MAX];
};

/*
 * Consumes the target option at argv[*i] (and its arguments) when it is one;
 * returns 1 when consumed, 0 when argv[*i] is not a target option, -EINVAL on
 * a usage error (printed).
 */
int sl_target_parse_opt(struct sl_target *t, int argc, char **argv, int *i, bool attach_opts);
/* Checks the combination once all options are read; prints usage errors. */
int sl_target_check(const struct sl_target *t, bool attach_opts);

/* The network namespace switch --netns asks for. */
struct sl_netns {
	int orig_fd;
};
int sl_netns_enter(const char *ns, struct sl_netns *saved);
/* The same for a path, silent: -errno (-EINVAL: not a namespace file). */
int sl_netns_enter_path(const char *path, struct sl_netns *saved);
void sl_netns_leave(struct sl_netns *saved);

/*
 * Resolves device (inside t->netns) or cgroup and computes pin_dir; prints
 * what is missing. Leaves the caller in its own namespace.
 */
int sl_target_resolve(struct sl_target *t);
void sl_target_release(struct sl_target *t);
/* Whether the device (in its namespace) or cgroup exists; prints nothing. */
bool sl_target_exists(const struct sl_target *t);
/* "xdp on veth0 (netns /run/netns/x)" */
const char *sl_target_describe(const struct sl_target *t);
/* How the target was given, for the state record / list. */
void sl_target_fill_state(const struct sl_target *t, struct sl_state *st);
