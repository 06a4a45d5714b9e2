/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * From IR rules to a classification problem (dtree.h). A "segment" is a run
 * of consecutive rules of one chain that a first-match classifier can answer:
 * every rule ends evaluation when it matches (accept or drop, with or
 * without a counter, which then counts only the winner) and tests only
 * fields the walker handles, or only counts. A counting rule C is not a box:
 * a packet reaches C exactly when the first match among the other rules
 * comes after C (or there is none), so after the classifier C is tested and
 * counted when the winning box is not among those before C (struct
 * sl_cls_post). Rules that jump, go to or return end a segment and stay
 * straight code.
 *
 * Predicates every rule of a segment shares word for word (typically the
 * implied `meta protocol ip`) are hoisted: tested once before the walk.
 * Leading words of an IPv6 address that every rule testing it pins to one
 * value are not dimensions either (struct sl_cls_pin).
 * The others become dimensions; a rule whose predicates hold several
 * intervals becomes several boxes (their cross product), in rule order.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ir/ir.h"
#include "opt/cls_rule.h"
#include "select/dtree.h"

/* Payload of a box: what the emitted code needs to act on the winning rule (codegen's
 * SL_CG_PAYLOAD: its "decided" tail takes it as it is). */
#define SL_CLS_PAYLOAD(id, counter, drop) ((uint32_t)(id) << 2 | (counter) << 1 | (drop))
#define SL_CLS_PAYLOAD_DROP		  0x1u
#define SL_CLS_PAYLOAD_COUNTER		  0x2u
#define SL_CLS_PAYLOAD_RULE_SHIFT	  2
/*
 * A 128-bit field (an IPv6 address) is up to four dimensions, one per 32-bit
 * word some box tests: the word slots codegen parses it into. Its intervals
 * become boxes over the words (iset.h: sl_iset_word_boxes).
 */

/* Does the rule only count (no verdict, no jump)? It may sit inside a segment. */
bool sl_cls_rule_counts_only(const struct sl_ir_rule *r);
/*
 * Number of rules from `first` on that form a segment: rules that fit and
 * counting rules among them (0 when rules[first] is neither; a segment ends
 * with a rule that fits, and before a rule that tests IPv6 addresses after
 * one that tests IPv4 addresses, or the other way round).
 */
uint32_t sl_cls_segment_len(const struct sl_ir_chain *c, uint32_t first);

/* A counting rule of a segment: counted when the winning box is >= boxes_before. */
struct sl_cls_post {
	const struct sl_ir_rule *rule;
	uint32_t boxes_before;
};

/*
 * Leading words of a 128-bit field that every box testing the field pins to
 * one value (2001:db8 in an ACL of one allocation) tell no box apart: as
 * dimensions they would cost a key each and 8 bytes of every box record.
 * They are left out, and the field's next word, dimension `carrier`, stands
 * for them: every box that tests the field constrains the carrier (the whole
 * word when it tested only pinned words), and the walk's key for the carrier
 * is the word's slot only when the packet's pinned words hold `value`, else
 * "absent" (classify.c says why the answer is the same).
 */
struct sl_cls_pin {
	unsigned carrier;		  /* dimension */
	unsigned nwords;		  /* words 0 .. nwords - 1 are pinned (1..3) */
	uint32_t value[SL_WORDS_128 - 1]; /* their values */
};

#define SL_CLS_MAX_PINS 4u

struct sl_cls_problem {
	struct sl_dt_problem prob;
	/*
	 * The field of each dimension. TH_SPORT/TH_DPORT also stand for TCP and
	 * UDP ports of rules that require that protocol: their value is whichever
	 * of the th, tcp and udp ports the packet has (at most one value exists).
	 */
	enum sl_field field[SL_DT_MAX_DIMS];
	uint8_t
	    word[SL_DT_MAX_DIMS]; /* of a 128-bit field: its word (0 most significant), else 0 */
	uint32_t nhoisted;
	const struct sl_ir_pred **hoisted; /* tested once, before the walk */
	uint32_t npins;
	struct sl_cls_pin pin[SL_CLS_MAX_PINS];
	uint32_t counters; /* rules with a counter (boxes' rules) */
	uint32_t nposts;
	struct sl_cls_post *posts; /* the counting rules, in order */
	/* storage behind prob */
	uint64_t *lo, *hi;
	uint32_t *need, *payload;
};

/*
 * Build the problem of rules[0..n) (a segment). Returns 0, -E2BIG when it
 * has too many dimensions or boxes for the walker (use straight code), or
 * -ENOMEM. Free with sl_cls_problem_fini().
 */
int sl_cls_problem(const struct sl_ir_rule *rules, uint32_t n, struct sl_cls_problem *out);
void sl_cls_problem_fini(struct sl_cls_problem *p);

/* Straight-code size estimate of a segment in instructions (the cost model's other side). */
uint64_t sl_cls_linear_cost(const struct sl_ir_rule *rules, uint32_t n);
