/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BPF that walks the decision trees of compiler/select/dtree.h, read straight
 * out of read-only array maps (the object's `.rodata`). The code is the
 * same small step unrolled to each tree's depth, then a leaf scan unrolled
 * to its longest list, so the verifier sees no loop and a few hundred
 * instructions per tree however many rules there are. Every table read is
 * bounds-checked against the table's size, as the verifier demands.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "emit/cost.h"
#include "emit/insn.h"
#include "select/dtree.h"

/*
 * The tables: per pack (consecutive trees whose nodes, and whose lists, fit
 * one table) its nodes and its leaf lists, and the box records. Indexes of
 * packs that do not exist are unused.
 */
#define SL_TW_NODES(pack) (2u * (pack))
#define SL_TW_LISTS(pack) (2u * (pack) + 1u)
#define SL_TW_RECORDS	  (2u * SL_TW_MAX_TREES)
struct sl_tw_layout {
	unsigned npacks;
	unsigned first[SL_TW_MAX_TREES], count[SL_TW_MAX_TREES];   /* trees of pack p */
	uint32_t nnodes[SL_TW_MAX_TREES], nlists[SL_TW_MAX_TREES]; /* entries of pack p */
	uint32_t max_leaf[SL_TW_MAX_TREES];			   /* of pack p */
	unsigned pack[SL_TW_MAX_TREES];				   /* of tree t */
	uint32_t root[SL_TW_MAX_TREES]; /* tree t's root in its pack's nodes */
};

void sl_tw_layout(const struct sl_dt *dt, struct sl_tw_layout *l);
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
