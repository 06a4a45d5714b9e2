/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Build IR directly in C, for tests of the stages after lowering (codegen,
 * optimiser) that should not depend on the front end. Everything lives in the
 * IR's arena. Predicates are added as intervals; several intervals on one
 * field form its set (they must be sorted, disjoint and non-adjacent, as the
 * IR requires). Protocol implications are NOT added: add them yourself, as
 * lowering would (`tcp dport` needs `meta l4proto {6}` and so on), or use
 * sl_irb_implied().
 *
 *   struct sl_ir *ir = sl_irb_new(arena, "test");
 *   uint32_t t = sl_irb_table(ir, "edge", SL_HOOK_XDP, SL_VERDICT_DROP);
 *   uint32_t r = sl_irb_rule(ir, sl_irb_entry(ir, t), SL_IR_ACCEPT, 0, false);
 *   sl_irb_pred(ir, r, SL_FIELD_TCP_DPORT, 22, 22);
 *   sl_irb_implied(ir, r);
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ir/ir.h"

struct sl_ir *sl_irb_new(struct sl_arena *arena, const char *name);
/* A table and its entry chain; returns the table index. */
uint32_t sl_irb_table(struct sl_ir *ir, const char *name, enum sl_hook hook,
		      enum sl_verdict policy);
uint32_t sl_irb_entry(const struct sl_ir *ir, uint32_t table);
/* A named chain; returns its chain index. */
uint32_t sl_irb_chain(struct sl_ir *ir, const char *name);
/* Append a rule to `chain` (target: chain index for jump/goto); returns its id. Its
 * location is line = id + 1 of file 0. */
uint32_t sl_irb_rule(struct sl_ir *ir, uint32_t chain, enum sl_ir_action action, uint32_t target,
		     bool counter);
/* Add [lo, hi] to the rule's predicate on `field` (created, kept sorted by field). */
void sl_irb_pred(struct sl_ir *ir, uint32_t rule, enum sl_field field, sl_u128 lo, sl_u128 hi);
/* Add n intervals at once (any order, may overlap). */
void sl_irb_pred_set(struct sl_ir *ir, uint32_t rule, enum sl_field field,
		     const struct sl_interval *add, uint32_t n);
/* Add the protocol predicates the rule's fields imply (meta protocol, meta l4proto). */
void sl_irb_implied(struct sl_ir *ir, uint32_t rule);
/* The rule with id `id`. */
struct sl_ir_rule *sl_irb_get(const struct sl_ir *ir, uint32_t id);
