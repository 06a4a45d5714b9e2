/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tuple-space search baseline's tables (bench/bpf/tss.bpf.c walks them):
 * rules grouped by their tuple of prefix lengths, protocol mask and port
 * prefix lengths, TupleMerge-style. A rule goes into the first tuple (in
 * priority order) among those of its coarsened lengths and of its own
 * lengths whose key for it holds fewer than TSS_MAX_CANDIDATES rules; when
 * none has room, into a new tuple: of its coarsened lengths while that group
 * is empty, else of its own. Coarsened: address prefix lengths rounded down
 * to a multiple of 16, ports kept only when exact (a range's own length is
 * the leading bits its ends share). A tuple's key only narrows the search:
 * every candidate is tested in full.
 *
 * Tuned on the 10k sets (fw1, acl1, ipc1; a userspace count of tuples
 * visited per trace packet): multiples of 16 with 16 candidates visit
 * 25/5.3/21 tuples per packet, multiples of 8 with 8 candidates 28/8/37,
 * multiples of 4 38/12/65; placing a rule in any tuple no finer than it
 * (TupleMerge's rule) instead of its two groups changed little.
 */
#pragma once

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "../bpf/tss_abi.h"
#include "classbench.h"

struct tss_tables {
	struct tss_tuple *tuples; /* ascending best_rule */
	size_t ntuples;
	struct tss_key *keys; /* entry i: keys[i] -> lists[i] */
	struct tss_list *lists;
	size_t nentries;
	struct tss_rule *rules; /* the lists' candidates, list by list */
	size_t nrules;
	uint32_t non_ip4_verdict; /* 1 drop, 2 pass (XDP) */
	/* the builder's open-addressing index of keys (entry + 1, 0 = empty) */
	uint32_t *slots;
	size_t nslots; /* a power of two */
};

/* Returns 0, -ENOMEM, or -E2BIG when more than TSS_MAX_TUPLES tuples are needed. */
int tss_build(const struct cb_rules *rules, struct tss_tables *out);
void tss_tables_free(struct tss_tables *t);
/* The first rule index matching the header through the tables (the program's walk), or -1. */
long tss_lookup(const struct tss_tables *t, const struct cb_header *h);
