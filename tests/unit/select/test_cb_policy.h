/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ClassBench rules as sluice policy text and trace headers as frames, for the
 * kernel tests of the classifier (test_classify_kernel, test_reorder_kernel).
 * IPv6 versions put the IPv4 destination address in the second word of
 * 2001:db8::/32 and the source either in the last word of 2001:db8::/96
 * (CB_IP6_LOW: every word a dimension) or in the first word (CB_IP6_HIGH).
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "pkt.h"
#include "test_dtree_cb.h"

enum cb_family { CB_IP4, CB_IP6_LOW, CB_IP6_HIGH };

/* Rule i's predicates, each followed by a space (no indentation, no action). */
void cb_print_preds(FILE *f, const struct cb_set *set, uint32_t i, enum cb_family fam);
/* The frame of a trace header (Ethernet, IPv4 or IPv6, TCP/UDP or 8 bytes of payload). */
int cb_frame(const uint64_t *h, enum cb_family fam, struct sl_pkt *p);
