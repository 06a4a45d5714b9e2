/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The decision trees of compiler/select/dtree.h as inline BPF code instead of
 * tables: the keys live in registers, an inner node is a binary search over
 * its children with compares against immediates, a leaf tests its boxes
 * against immediates in priority order. A packet runs one root-to-leaf path
 * per tree, without a single memory load; the branches are the same for a
 * packet every time, so the CPU predicts them.
 *
 * What keeps the verifier cheap: the code never carries a constant across a
 * join, and no compare's outcome is ever known to the verifier. Both come
 * from one "opaque zero", fp - fp (a difference of two pointers, which the
 * verifier takes to be any number; loaders need CAP_PERFMON): keys, the best box and the payload
 * are `x + opaque`, so they are unknown scalars on every path, and a node only compares a key
 * against a bound strictly inside the key range its path allows (leaves skip the tests their path
 * already implies). Where paths meet (the next box of a leaf, the next tree, the decided tail) the
 * keys a compare refined get `+= opaque` again. No register is ever marked precise, so every join
 * prunes and the verifier processes about the code's size. See compiler/opt/README.md ("Inline
 * trees").
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "select/dtree.h"
#include "emit/insn.h"
#include "emit/cost.h"
#include "emit/table_walk.h"

/*
 * Emit the trees of `dt` over the boxes of `prob` (box indices and payloads).
 * On a match the code jumps to `decided` with the payload in R9, else to
 * `nomatch`. Clobbers R0-R9; reads the value slots. Stops with e->err =
 * -E2BIG once it has emitted more than `budget` instructions, or when the
 * problem needs more key registers than there are. `cost` may be NULL.
 */
void sl_ct_emit(struct sl_emit *e, const struct sl_dt *dt, const struct sl_dt_problem *prob,
		const struct sl_ct_input *in, sl_label decided, sl_label nomatch, size_t budget,
		struct sl_ct_cost *cost);
