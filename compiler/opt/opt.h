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
 * -O2: also move rules past neighbours they can never both match with, so
 *      that runs of plain accept/drop rules (classify.h) grow longer.
 *
 * The pipeline is a list of named passes (sl_opt_passes): `lower` (the IR
 * as lowered, nothing to do), `shadow`, `noops`, `reorder`; each runs from
 * its level on. `sluice dump --ir --after PASS` stops after one of them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/diag.h"
#include "ir/ir.h"

#define SL_OPT_MAX_LEVEL  2
#define SL_OPT_MAX_PASSES 8

/* What one pass of a run did (sluice build --stats). */
struct sl_opt_pass_stats {
	const char *name;
	uint32_t rules_in, rules_out;
	uint32_t shadowed, noops, moved;
	double seconds; /* wall time; never part of any output compared by tests */
};

struct sl_opt_stats {
	uint32_t rules_before; /* rules in every chain before the passes */
	uint32_t rules_after;
	uint32_t shadowed;	  /* covered by an earlier rule that ends the chain */
	uint32_t noops;		  /* no verdict and no counter, or nothing left to do */
	uint64_t subset_checks;	  /* rule-against-rule comparisons shadow detection made */
	bool shadow_partial;	  /* detection stopped at its work budget: some may remain */
	uint32_t moved;		  /* rules reorder put elsewhere in their chain */
	uint64_t disjoint_checks; /* rule-against-rule comparisons reorder made */
	bool reorder_partial;	  /* reorder stopped at its work budget */
	uint32_t npasses;	  /* passes run, in order (lower first) */
	struct sl_opt_pass_stats pass[SL_OPT_MAX_PASSES];
};

struct sl_opt_pass {
	const char *name;
	int level; /* the lowest -O level that runs it */
	const char *summary;
	void (*run)(struct sl_ir *ir, struct sl_diag *diag, struct sl_opt_stats *stats);
};

/* The pipeline in order, and its length. */
const struct sl_opt_pass *sl_opt_passes(uint32_t *n);
/* The pass named `name`, or NULL. */
const struct sl_opt_pass *sl_opt_pass_find(const char *name);

/*
 * Optimise `ir` in place at `level` (0 .. SL_OPT_MAX_LEVEL; higher levels
 * run the highest known). Clone it first (sl_ir_clone) to keep the
 * original. Shadowed rules are reported through `diag` as warnings.
 * `stats` may be NULL. Returns 0 or -EINVAL for a negative level.
 */
int sl_opt_run(struct sl_ir *ir, int level, struct sl_diag *diag, struct sl_opt_stats *stats);
/*
 * The same, stopping after the pass named `after` (NULL: run them all).
 * Returns -ENOENT for an unknown pass name, -ESRCH when that pass does not
 * run at `level` (the IR is then left as lowered), -EINVAL for a negative level.
 */
int sl_opt_run_until(struct sl_ir *ir, int level, const char *after, struct sl_diag *diag,
		     struct sl_opt_stats *stats);

/* The passes, for tests and for callers that want one alone. */
void sl_opt_shadow(struct sl_ir *ir, struct sl_diag *diag, struct sl_opt_stats *stats);
void sl_opt_noops(struct sl_ir *ir, struct sl_opt_stats *stats);
/*
 * Move rules within their chain where no packet can tell (reorder.c):
 * a rule only passes neighbours whose match sets are disjoint from its own,
 * so the rules a packet matches keep their order and every verdict,
 * deciding rule and counter stays. Counts the rules moved in stats->moved.
 */
void sl_opt_reorder(struct sl_ir *ir, struct sl_opt_stats *stats);
/* Can no packet match both rules? (A proof or false: reorder's test.) */
bool sl_opt_rules_disjoint(const struct sl_ir_rule *a, const struct sl_ir_rule *b);
/* sl_opt_shadow, and rules covered by several earlier ending rules together (sl_opt_lint). */
void sl_opt_shadow_unions(struct sl_ir *ir, struct sl_diag *diag, struct sl_opt_stats *stats);

/* What `sluice check` found about a rule (sl_opt_lint). */
enum sl_opt_finding {
	SL_OPT_FINE,
	SL_OPT_SHADOWED,  /* can never match: earlier ending rules cover it, alone or together */
	SL_OPT_REDUNDANT, /* matches, but removing it changes no verdict and no counter */
};

/*
 * The analysis of -O1 without changing `ir`, plus redundant rules: an
 * accept or drop rule (no counter) whose packets would all get the same
 * verdict from the later rules of its chain, or from the table's policy.
 * Reports warnings through `diag`. `findings` (may be NULL) receives one
 * entry per rule id (ir->nrules). Each finding holds with the other rules as
 * written: removing one flagged rule keeps every verdict; removing several
 * at once may not. Returns 0 or -ENOMEM.
 */
int sl_opt_lint(const struct sl_ir *ir, struct sl_diag *diag, enum sl_opt_finding *findings);

/* Redundant rules among those `findings` leaves SL_OPT_FINE; used by sl_opt_lint. */
void sl_opt_redundant(const struct sl_ir *ir, struct sl_diag *diag, enum sl_opt_finding *findings);
