/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Decision trees for first-match packet classification (HiCuts-style cuts,
 * EffiCuts-style separation of rules into several trees), built straight into
 * the flat tables a BPF program walks. See README.md here ("Classifier").
 *
 * The problem: an ordered list of boxes (highest priority first) over up to
 * SL_DT_MAX_DIMS dimensions. Dimension d is a packet field of bits[d] <= 63
 * bits that a packet may also lack ("absent"). A box either constrains a
 * dimension to [lo, hi] (then an absent field never matches) or leaves it
 * free (then anything matches, absent included). The answer for a packet is
 * the first box that matches it.
 *
 * Internally a dimension's domain is [0, 2^(bits+1) - 1]: present values are
 * themselves, "absent" is 2^bits (the routing key). A free dimension is then
 * the whole domain, and every box is a plain box: cuts and coverage tests need
 * no special case for absence.
 *
 * The serialised form (struct sl_dt), all integers little-endian:
 *  - nodes: 8-byte records {u32 word0, u32 word1}.
 *      word0 = dim + 1 | shift << 8 | mask << 16, word1 = first child record:
 *      an inner node; the child for routing key k is
 *      nodes[word1 + ((k >> shift) & mask)].
 *      word0 = count << 16 (low byte 0), word1 = offset in lists: a leaf.
 *  - lists: u32 box indices, ascending (priority order) within a leaf.
 *  - records: record_size bytes per box: u16 need (bit d: dimension d
 *      constrained) at need_off, u32 payload at payload_off, per dimension
 *      lo and hi, each dim_width[d] bytes, at dim_off[d] (naturally aligned). A box matches when no
 * constrained dimension is absent and every compare key lies in [lo, hi]; the compare key of an
 * absent dimension is 0 and a free dimension stores [0, 2^bits - 1]. With params.splits the inner
 * nodes are binary splits instead (HyperSplit): word0 = dim + 1 | SL_DT_SPLIT_SHIFT << 8 | 1 << 16,
 * word1 = the first of its two children; split_at[word1] is the split point: the child for routing
 * key k is nodes[word1 + (k >= split_at[word1])]. Splits fall on the boxes' own edges, so they copy
 * boxes far less than equal cuts; only inline code (emit/code_tree.h) and sl_dt_lookup() read such
 * trees, the table walk does not. Several trees (ntrees) share the records; the answer is the
 * smallest box index any of them finds. Trees are sorted by min_box, so a walker may skip a tree
 * whose min_box is not below the best answer so far. Each tree owns a contiguous range of nodes
 * (its root first) and of lists, so that its tables can be stored on their own or with their
 * neighbours (sl_dt_trees_nodes_le(): child and list offsets relative to the first node and list),
 * each within max_bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_DT_MAX_DIMS	12 /* need masks are 16 bits */
#define SL_DT_MAX_TREES 16
#define SL_DT_MAX_DEPTH 24
#define SL_DT_NONE	UINT32_MAX
/* Largest number of cuts of one node (the 16-bit mask field). */
#define SL_DT_MAX_CUTS 65536u
/* The shift field of a split node (cuts have shifts below 64). */
#define SL_DT_SPLIT_SHIFT     0xffu
#define SL_DT_MAX_SPLIT_DEPTH 64

struct sl_dt_problem {
	unsigned ndims;
	unsigned bits[SL_DT_MAX_DIMS]; /* 1..63 */
	uint32_t nboxes;
	/* nboxes * ndims each, in the field's own domain (lo <= hi < 2^bits). */
	const uint64_t *lo, *hi;
	const uint32_t *need;	 /* per box: bit d = dimension d is constrained */
	const uint32_t *payload; /* per box: copied into its record */
};

struct sl_dt_params {
	unsigned binth;	    /* leaves hold at most this many boxes when cuts can split them */
	double spfac;	    /* space factor: children may hold spfac * n boxes in total */
	double min_spfac;   /* a tree over max_bytes is rebuilt with half the space factor,
			     * down to this (0: no retry) */
	unsigned max_trees; /* 1 = no separation */
	unsigned max_leaf;  /* fail (-E2BIG) when a leaf would scan more boxes */
	size_t max_bytes;   /* fail (-E2BIG) when a table would exceed this many bytes */
	bool splits;	    /* binary splits at box edges instead of equal cuts (see above) */
};

void sl_dt_params_default(struct sl_dt_params *p);

struct sl_dt_tree {
	uint32_t root;		     /* node record the walk starts at */
	uint32_t depth;		     /* inner nodes on the longest root-to-leaf path */
	uint32_t max_leaf;	     /* longest leaf list */
	uint32_t min_box;	     /* smallest box index in the tree */
	uint32_t nboxes;	     /* boxes assigned to the tree */
	uint32_t node_first, nnodes; /* its nodes: root == node_first */
	uint32_t list_first, nlists; /* its leaf lists */
	double spfac;		     /* the space factor it was built with */
};

struct sl_dt_stats {
	uint64_t inner_nodes, leaves, shared_children;
	uint64_t list_entries; /* sum of leaf list lengths before sharing */
	double build_seconds;
};

struct sl_dt {
	unsigned ndims;
	unsigned bits[SL_DT_MAX_DIMS];
	uint32_t ntrees;
	struct sl_dt_tree trees[SL_DT_MAX_TREES];

	uint64_t *nodes; /* host copies of the records; see nodes_le() for the bytes */
	uint32_t nnodes;
	uint64_t *split_at; /* trees of binary splits: per node (see above); else NULL */
	uint32_t *lists;
	uint32_t nlists;
	uint8_t *records; /* little-endian, nboxes * record_size */
	uint32_t nboxes;
	uint32_t record_size;
	uint32_t need_off, payload_off;
	uint32_t dim_off[SL_DT_MAX_DIMS];
	uint32_t dim_width[SL_DT_MAX_DIMS]; /* 1, 2, 4 or 8 */

	struct sl_dt_stats stats;
};

/*
 * Build the trees. Returns 0, -EINVAL for a problem outside the limits
 * above, -E2BIG when the result would exceed params' limits, -ENOMEM.
 */
int sl_dt_build(const struct sl_dt_problem *prob, const struct sl_dt_params *params,
		struct sl_dt **out);
void sl_dt_free(struct sl_dt *dt);
void sl_dt_freep(struct sl_dt **dt);
#define _cleanup_dt_ __attribute__((cleanup(sl_dt_freep)))

/* The tables as the BPF program sees them (little-endian bytes), malloc'd. */
void *sl_dt_nodes_le(const struct sl_dt *dt, size_t *size);
void *sl_dt_lists_le(const struct sl_dt *dt, size_t *size);
/*
 * The nodes and lists of trees [first, first + count) on their own: offsets
 * relative to tree first's first node and list.
 */
void *sl_dt_trees_nodes_le(const struct sl_dt *dt, uint32_t first, uint32_t count, size_t *size);
void *sl_dt_trees_lists_le(const struct sl_dt *dt, uint32_t first, uint32_t count, size_t *size);

/* Work done by one lookup, for measurements. */
struct sl_dt_trace {
	uint32_t node_visits;
	uint32_t box_checks;
	uint32_t trees; /* trees walked (not skipped by min_box) */
};

/*
 * Classify a packet by walking the serialised tables exactly as the emitted
 * BPF does. value[d] is ignored when bit d of absent is set. Returns the
 * first matching box or SL_DT_NONE; `trace` may be NULL.
 */
uint32_t sl_dt_lookup(const struct sl_dt *dt, const uint64_t *value, uint32_t absent,
		      struct sl_dt_trace *trace);

/* The same answer by scanning the problem's boxes in order: the reference. */
uint32_t sl_dt_problem_lookup(const struct sl_dt_problem *prob, const uint64_t *value,
			      uint32_t absent);

/* Payload word of a box record. */
uint32_t sl_dt_payload(const struct sl_dt *dt, uint32_t box);
