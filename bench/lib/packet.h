/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ClassBench headers as wire packets: Ethernet + IPv4 (IHL 5, not a fragment)
 * or, for CB_IP6, IPv6 (no extension headers; addresses as classbench.h
 * maps them) + a full TCP (20 bytes) or UDP (8 bytes) header for protocols 6
 * and 17; any other protocol is a packet with that protocol number (next
 * header) and no L4 header at all.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "classbench.h"

#define CB_PACKET_MAX 96

/* Build the packet into buf (at least CB_PACKET_MAX bytes); returns its length. */
size_t cb_packet_build(const struct cb_header *hdr, enum cb_family family, uint8_t *buf);
