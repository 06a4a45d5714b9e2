/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IR-to-IR optimisation. Every pass keeps the first match of every packet:
 * the same verdict, decided by the same rule id, with the same counters
 * counting. Rule ids never change (they index metadata and counters); a
 * removed rule simply never counts, which it never could have.
 *
 * -O0: the IR as lowered.
 * -O1: remove rules that can never match because an earlier rule of the
 *      same chain that ends evaluation covers them (reported as warnings),
 *      rules that do nothing (no verdict, no counter; jumps to empty chains;
 *      returns at the end of a chain), and turn gotos to empty chains into
 *      returns.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "../common/diag.h"
#include "../ir/ir.h"

#define SL_OPT_MAX_LEVEL 1

struct sl_opt_stats {
	uint32_t rules_before;   /* rules in every chain before the passes */
	uint32_t rules_after;
	uint32_t shadowed;       /* covered by an earlier rule that ends the chain */
	uint32_t noops;          /* no verdict and no counter, or nothing left to do */
	uint64_t subset_checks;  /* rule-against-rule comparisons shadow detection made */
	bool shadow_partial;     /* detection stopped at its work budget: some may remain */
};

/*
 * Optimise `ir` in place at `level` (0 .. SL_OPT_MAX_LEVEL; higher levels
 * run the highest known). Clone it first (sl_ir_clone) to keep the
 * original. Shadowed rules are reported through `diag` as warnings.
 * `stats` may be NULL. Returns 0 or -EINVAL for a negative level.
 */
int sl_opt_run(struct sl_ir *ir, int level, struct sl_diag *diag, struct sl_opt_stats *stats);

/* The passes, for tests and for callers that want one alone. */
void sl_opt_shadow(struct sl_ir *ir, struct sl_diag *diag, struct sl_opt_stats *stats);
void sl_opt_noops(struct sl_ir *ir, struct sl_opt_stats *stats);
