/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What code generation tells select/ (the plan of each run of rules) about
 * its code, and nothing else: the budgets the verifier sets, the size of a
 * table walk and of inline trees (measured by emitting them into a scratch
 * buffer), the stack layout the walks' inputs live in, and where the
 * program being generated stands (struct sl_emit_state). select/ includes
 * this header and no other of emit/; emit/ includes select/'s.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/field.h"
#include "select/dtree.h"

/* Stack: fp-8 holds the u32 map key (0 between uses); field slots below it. */
#define SL_COST_KEY_OFF (-8)
/* The BPF stack (bytes below fp). */
#define SL_COST_STACK_SIZE 512
/*
 * Inline trees (code_tree.h): the verifier processes about 1.7x their size,
 * so the program's inline trees in all stay well below its 1M-instruction
 * budget (fw1 10k, 16 trees of 237k instructions: 497k processed, 0.76 s).
 */
#define SL_COST_CODE_SEGMENT_MAX 300000u
#define SL_COST_CODE_PROGRAM_MAX 300000u
/*
 * Inline trees spend at least this much code per box (ClassBench: 14-25, and
 * 15.6 for acl1 10k in one split tree, the least seen): a segment with more
 * boxes than the budget allows at this rate is not tried (building shapes for
 * 48k boxes took 5 s).
 */
#define SL_COST_MIN_BOX_INSNS 8u

/* Where the program being generated stands when a run of rules begins. */
struct sl_emit_state {
	size_t insns;	     /* instructions of the program so far */
	size_t rodata;	     /* bytes of read-only tables in the object so far */
	uint32_t nmaps;	     /* maps in the object so far */
	const int16_t *slot; /* per field: fp offset of its word 0, 0 = not parsed */
};

/* Words of 32 bits (128-bit fields) or one 64-bit word. */
static inline unsigned sl_cost_words(enum sl_field f)
{
	return sl_field_info(f)->bits > 64 ? 4 : 1;
}

/* fp offset of word `w` (0 = most significant) of a parsed field. */
static inline int16_t sl_cost_slot(const struct sl_emit_state *s, enum sl_field f, unsigned w)
{
	return (int16_t)(s->slot[f] - 8 * (int)w);
}

/* The table walk (table_walk.h). */
/* Stack scratch the walk needs: route and compare keys, absent mask, payload. */
#define SL_TW_SCRATCH(ndims) (8 * (2 * (ndims) + 2))

#define SL_TW_MAX_SLOTS 3

/*
 * libbpf makes each `.rodata*` section one array map value, which the kernel
 * caps at KMALLOC_MAX_SIZE (4 MiB): the largest table.
 */
#define SL_TW_TABLE_MAX (4u << 20)
/* Trees of a walk (inline trees, code_tree.h, may have up to SL_DT_MAX_TREES). */
#define SL_TW_MAX_TREES	 8u
#define SL_TW_MAX_TABLES (2u * SL_TW_MAX_TREES + 1u)
/* Bytes a lists table takes beyond its lists (padding for the unrolled scan). */
#define SL_TW_LIST_PAD(max_leaf) (4 * ((size_t)(max_leaf) + 1))

/* Tables sl_tw_tables() makes: 1 + 2 * packs. */
unsigned sl_tw_ntables(const struct sl_dt *dt);

struct sl_tw_input {
	/*
	 * fp offsets of each dimension's u64 slots: the field value, or >= 2^bits
	 * when absent. With several slots the value is their minimum (fields of
	 * which a packet has at most one, e.g. TCP and UDP ports).
	 */
	int16_t value_off[SL_DT_MAX_DIMS][SL_TW_MAX_SLOTS];
	uint8_t nslots[SL_DT_MAX_DIMS]; /* 1..SL_TW_MAX_SLOTS */
	/* fp offset of SL_TW_SCRATCH(ndims) free bytes (their lowest address), 8-aligned */
	int16_t scratch_off;
	/* map (index in the object) whose `init` is table k of sl_tw_tables(), if used */
	uint32_t map[SL_TW_MAX_TABLES];
};

/* Instructions sl_tw_emit() will produce (for cost decisions), islands aside. */
size_t sl_tw_size(const struct sl_dt *dt);

struct sl_loc;

/* Inline trees (code_tree.h). */
struct sl_ct_cost {
	size_t insns;	/* instructions emitted, islands included */
	uint64_t worst; /* instructions on the longest path through all trees */
	double mean;	/* per tree the mean over its leaves of their path and scan, summed */
};

struct sl_ct_input {
	/* value slots, as for the table walk (value_off, nslots; the rest unused) */
	const struct sl_tw_input *slots;
	bool counters; /* some box's payload has the counter bit set */
	/*
	 * Leave R0 = the winning box (>= nboxes: none) and R9 its payload and
	 * fall through, instead of going to `decided` or `nomatch`.
	 */
	bool leave_best;
	const struct sl_loc *box_loc; /* per box: its rule's location (line_info), or NULL */
};

/* Emit into a scratch buffer only to measure. Returns 0, -E2BIG (over budget) or -ENOMEM. */
int sl_ct_measure(const struct sl_dt *dt, const struct sl_dt_problem *prob,
		  const struct sl_ct_input *in, size_t budget, struct sl_ct_cost *cost);
