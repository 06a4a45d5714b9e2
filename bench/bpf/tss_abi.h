/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tables of the tuple-space search baseline (tss.bpf.c), shared by the
 * program and the harness that fills them (bench/tss.c). Host byte order;
 * the program converts the packet's fields.
 */
#pragma once

#define TSS_MAX_TUPLES 65536
#ifndef TSS_MAX_CANDIDATES
#define TSS_MAX_CANDIDATES 16 /* TupleMerge's collision limit: list length per key */
#endif
#define TSS_NO_RULE 0xffffffffu

struct tss_config {
	__u32 ntuples;
	__u32 non_ip4_verdict; /* XDP verdict of the first rule that restricts nothing */
};

struct tss_tuple {
	__u32 smask, dmask;
	__u16 spmask, dpmask;
	__u32 pmask;
	__u32 best_rule; /* smallest rule index in the tuple */
};

struct tss_key {
	__u32 tuple;
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u32 proto;
};

struct tss_list {
	__u32 first, count; /* candidates rules[first .. first + count), priority order */
};

struct tss_rule {
	__u32 src, smask, dst, dmask;
	__u16 sport_lo, sport_hi, dport_lo, dport_hi;
	__u8 proto, proto_any, needs_ports, pad;
	__u32 index; /* the rule's position in the set: its priority and verdict */
};
