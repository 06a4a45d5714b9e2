// SPDX-License-Identifier: GPL-2.0-only
#include "sluice/hook.h"

#include "sluice/abi.h"

const char *sl_hook_name(uint32_t hook)
{
	static const char *const names[] = {
	    [SLUICE_HOOK_XDP] = "xdp",
	    [SLUICE_HOOK_TC_INGRESS] = "tc ingress",
	    [SLUICE_HOOK_TC_EGRESS] = "tc egress",
	    [SLUICE_HOOK_CGROUP_INGRESS] = "cgroup_skb ingress",
	    [SLUICE_HOOK_CGROUP_EGRESS] = "cgroup_skb egress",
	};

	return hook < sizeof(names) / sizeof(names[0]) ? names[hook] : "unknown hook";
}
