/* SPDX-License-Identifier: GPL-2.0-only */
/* Names of the hooks of abi.h (enum sluice_meta_hook), as policies and every command say them. */
#ifndef SLUICE_HOOK_H
#define SLUICE_HOOK_H

#include <stdint.h>

/* "xdp", "tc ingress", "tc egress", "cgroup_skb ingress", "cgroup_skb egress"; else "unknown hook".
 */
const char *sl_hook_name(uint32_t hook);

#endif /* SLUICE_HOOK_H */
