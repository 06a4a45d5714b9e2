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

#include "gen_policy.h"

#define GEN_PKT_MAX 512

/*
 * Always a whole Ethernet frame the kernel's test run takes: >= 14 bytes, and
 * on TC and cgroup_skb an untagged IPv4 (IPv6) frame has >= 34 (54) bytes.
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
