/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Random packets aimed at a policy's boundaries: field values from the
 * policy's interval edges (+-1), every truncation point, IPv4 options and
 * fragments, IPv6 extension-header chains beyond the walk's bound, 0-3 VLAN
 * tags, wrong EtherTypes, broken versions and IHLs.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "interp/interp.h"
#include "gen_policy.h"

#define GEN_PKT_MAX 512

/*
 * A frame as a capture may hold it: mostly one the kernel's test run takes
 * (>= 14 bytes; on TC and cgroup_skb an untagged IPv4 (IPv6) frame of >= 34
 * (54) bytes), now and then a runt (1-13 bytes) or, on TC and cgroup_skb, an
 * IPv4/IPv6 header cut short, which only the interpreter can judge
 * (sl_kern_runnable() says which).
 */
struct gen_packet {
	uint8_t data[GEN_PKT_MAX];
	size_t len;
};

void gen_packet(struct rng *r, const struct gen_values *v, enum sl_hook hook,
		struct gen_packet *out);

/*
 * What a cgroup_skb program sees of a frame run through BPF_PROG_TEST_RUN:
 * the data after the Ethernet header, skb->protocol as eth_type_trans()
 * sets it.
 */
uint16_t gen_packet_skb_protocol(const struct gen_packet *p);

/*
 * The packet the interpreter judges for a frame on hook: the frame on XDP and
 * TC; on cgroup_skb what follows the Ethernet header with skb->protocol, or,
 * for a runt, nothing (protocol 0), as `sluice run` does.
 */
struct sl_interp_packet gen_packet_view(const struct gen_packet *p, enum sl_hook hook);
