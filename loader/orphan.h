/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the kernel runs that no record knows of: cls_bpf filters with
 * sluice's tag (hook.h) left by a killed older sluice-load. Links cannot be
 * orphans: an unpinned link goes with its process.
 */
#pragma once

#include <net/if.h>
#include <stdint.h>

#include "hook.h"

struct sl_orphan {
	const char *netns; /* as a record gave it; "" = the namespace sluice-load runs in */
	uint64_t netns_ino;
	char ifname[IF_NAMESIZE];
	uint32_t ifindex;
	uint32_t hook;
	struct sl_tc_filter f;
};

/*
 * Calls fn for each orphan on the devices of the namespaces sluice knows (its
 * records' and its own), from inside that namespace; stops on error.
 */
int sl_orphans_walk(int (*fn)(const struct sl_orphan *o, void *ctx), void *ctx);
