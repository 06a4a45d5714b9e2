/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BPF that walks the decision trees of compiler/opt/dtree.h, read straight
 * out of read-only array maps (the object's `.rodata`). The code is the
 * same small step unrolled to each tree's depth, then a leaf scan unrolled
 * to its longest list, so the verifier sees no loop and a few hundred
 * instructions per tree however many rules there are. Every table read is
 * bounds-checked against the table's size, as the verifier demands.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "select/dtree.h"
#include "emit/insn.h"

/* Stack scratch the walk needs: route and compare keys, absent mask, payload. */
#define SL_TW_SCRATCH(ndims) (8 * (2 * (ndims) + 2))

#define SL_TW_MAX_SLOTS 3

/*
 * libbpf makes each `.rodata*` section one array map value, which the kernel
 * caps at KMALLOC_MAX_SIZE (4 MiB): the largest table.
 */
#define SL_TW_TABLE_MAX (4u << 20)
/*
 * The tables: per pack (consecutive trees whose nodes, and whose lists, fit
 * one table) its nodes and its leaf lists, and the box records. Indexes of
 * packs that do not exist are unused.
 */
/* Trees of a walk (inline trees, code_tree.h, may have up to SL_DT_MAX_TREES). */
#define SL_TW_MAX_TREES 8u
#define SL_TW_NODES(pack) (2u * (pack))
#define SL_TW_LISTS(pack) (2u * (pack) + 1u)
#define SL_TW_RECORDS (2u * SL_TW_MAX_TREES)
#define SL_TW_MAX_TABLES (2u * SL_TW_MAX_TREES + 1u)
/* Bytes a lists table takes beyond its lists (padding for the unrolled scan). */
#define SL_TW_LIST_PAD(max_leaf) (4 * ((size_t)(max_leaf) + 1))

struct sl_tw_layout {
	unsigned npacks;
	unsigned first[SL_TW_MAX_TREES], count[SL_TW_MAX_TREES]; /* trees of pack p */
	uint32_t nnodes[SL_TW_MAX_TREES], nlists[SL_TW_MAX_TREES]; /* entries of pack p */
	uint32_t max_leaf[SL_TW_MAX_TREES];                       /* of pack p */
	unsigned pack[SL_TW_MAX_TREES];   /* of tree t */
	uint32_t root[SL_TW_MAX_TREES];   /* tree t's root in its pack's nodes */
};

void sl_tw_layout(const struct sl_dt *dt, struct sl_tw_layout *l);
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

struct sl_tw_table {
	void *data; /* malloc'd */
	size_t size;
};

/*
 * The sl_tw_ntables(dt) tables as map contents (lists padded for the unrolled
 * scans); unused indexes get data NULL. Returns 0 or -ENOMEM.
 */
int sl_tw_tables(const struct sl_dt *dt, struct sl_tw_table out[SL_TW_MAX_TABLES]);
void sl_tw_tables_free(struct sl_tw_table t[SL_TW_MAX_TABLES]);

/*
 * Emit the walk. When a box matches, the code falls through with its payload
 * (u32) in `dst`; otherwise it jumps to `nomatch`. Clobbers R0-R5, R7-R9
 * and the scratch; reads the value slots. Errors are left in e->err.
 */
void sl_tw_emit(struct sl_emit *e, const struct sl_dt *dt, const struct sl_tw_input *in,
		uint8_t dst, sl_label nomatch);

/* Instructions sl_tw_emit() will produce (for cost decisions), islands aside. */
size_t sl_tw_size(const struct sl_dt *dt);

struct sl_cg;
struct sl_ir_chain;
struct sl_tw_plan;

/*
 * Code generation's hooks (table_walk_cg.c). At rule `first` of chain `c`, the
 * start of a run: *run gets the rules of the segment starting there (0: none;
 * with a plan, the rules it covers: a segment whose tables do not fit is
 * cut, and the caller asks again after the part the plan covers).
 * When the classifier mode and the cost model want a table walk or inline
 * trees for it, *plan gets it (else NULL: the caller emits the run as
 * straight code, as a whole, and asks again after it).
 * sl_cg_table_walk_emit() then emits it, adds its tables
 * to the object, sets *consumed to the rules it covers and frees the plan.
 * The walk clobbers R0-R9 (none of which the caller may keep across it).
 * Both return 0 or -errno.
 */
int sl_cg_table_walk_plan(struct sl_cg *cg, const struct sl_ir_chain *c, uint32_t first,
			  struct sl_tw_plan **plan, uint32_t *run);
int sl_cg_table_walk_emit(struct sl_cg *cg, struct sl_tw_plan *plan, uint32_t *consumed);
void sl_cg_table_walk_free(struct sl_tw_plan *plan);

struct sl_bpf_segment;
/* What the plan will emit, for the object's record (bpf_object.h): rules, trees, depth. */
void sl_cg_table_walk_describe(const struct sl_tw_plan *plan, struct sl_bpf_segment *seg);
