/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rule by rule, what the classifier (select/classify.h) can take: the rule
 * reordering pass (reorder.c) gathers such rules into runs and keeps IPv6 and
 * IPv4 rules apart; select/ turns the runs into segments.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ir/ir.h"

/* Rule ids must fit the payload. */
#define SL_CLS_MAX_RULE_ID ((1u << 29) - 1)

/* Boxes one rule may expand to, and per segment relative to its rules. */
#define SL_CLS_MAX_BOXES_PER_RULE 256u

/* Does the field take more than 64 bits (an IPv6 address: words of 32 bits)? */
bool sl_cls_field_wide(enum sl_field f);
/* Boxes the predicate expands to (at most limit + 1: counting stops there). */
uint64_t sl_cls_pred_boxes(const struct sl_ir_pred *p, uint64_t limit);

/* Can the walker handle this rule inside a segment? */
bool sl_cls_rule_fits(const struct sl_ir_rule *r);
/*
 * Does the rule test a 128-bit field (an IPv6 address)? Such a rule fits, but
 * its addresses add up to eight dimensions, too many registers for inline
 * trees next to IPv4 addresses: a segment does not mix rules that test IPv6
 * addresses with rules that test IPv4 ones, and rule reordering moves each
 * out of runs of the other (where disjoint) to gather them.
 */
bool sl_cls_rule_wide(const struct sl_ir_rule *r);
