// SPDX-License-Identifier: GPL-2.0-only
/*
 * Set membership without branches. For a value x (a slot: below 2^48, or
 * SL_CG_ABSENT = 2^62) and an interval [lo, hi]:
 *
 *     (x - lo) | ((hi - lo) - (x - lo))      is negative  <=>  x not in [lo, hi]
 *
 * (x ^ v, negated, for a single value; hi - x when lo is 0). A set misses
 * when every interval misses (AND of the signs), a rule misses when some
 * predicate misses (OR), and then one `if acc s< 0 goto next_rule` decides.
 *
 * Why no branch per test: the verifier explores branches depth first and
 * keeps every not-yet-explored branch on a stack limited to 8192 entries.
 * With a conditional jump per test, every rule would leave pending jumps to
 * its successor behind while the verifier walks the rest of the program, and
 * a few thousand rules would exceed the limit. With one jump per rule the
 * stack stays flat and the processed-instruction count grows linearly.
 *
 * Early-exit code (codegen_linear.c) tests with branches instead:
 * sl_cg_branch() jumps when the value is (or is not) in the set, and an
 * absent field, larger than every value, lies in no interval there either.
 *
 * 128-bit addresses live in four 32-bit words; an interval over them is cut
 * into "boxes" (iset.h: sl_iset_word_boxes: some leading words equal, one
 * word in a range, the rest free), each a conjunction of word tests. Early
 * exit code tests a one-box set (a prefix) with a jump per word.
 */
#include "emit/codegen.h"

/* dst (not R1, R3) = negative iff x (in R1) is not in [lo, hi]; R3 scratch. */
static void emit_interval(struct sl_emit *e, uint64_t lo, uint64_t hi, uint8_t dst)
{
	if (lo == hi) {
		sl_emit(e, SL_MOV64_REG(dst, SL_R1));
		if (lo <= INT32_MAX) {
			sl_emit(e, SL_ALU64_IMM(BPF_XOR, dst, (int32_t)lo));
		} else {
			sl_emit_mov_const(e, SL_R3, lo);
			sl_emit(e, SL_ALU64_REG(BPF_XOR, dst, SL_R3));
		}
		sl_emit(e, SL_NEG64(dst));
		return;
	}
	if (lo == 0) {
		sl_emit_mov_const(e, dst, hi);
		sl_emit(e, SL_ALU64_REG(BPF_SUB, dst, SL_R1));
		return;
	}
	sl_emit(e, SL_MOV64_REG(dst, SL_R1));
	if (lo <= INT32_MAX) {
		sl_emit(e, SL_ALU64_IMM(BPF_SUB, dst, (int32_t)lo));
	} else {
		sl_emit_mov_const(e, SL_R3, lo);
		sl_emit(e, SL_ALU64_REG(BPF_SUB, dst, SL_R3));
	}
	sl_emit_mov_const(e, SL_R3, hi - lo);
	sl_emit(e, SL_ALU64_REG(BPF_SUB, SL_R3, dst));
	sl_emit(e, SL_ALU64_REG(BPF_OR, dst, SL_R3));
}

/* dst = AND over intervals, or its first term directly. */
static void combine(struct sl_emit *e, bool first, uint8_t op, uint8_t dst, uint8_t src)
{
	sl_emit(e, first ? SL_MOV64_REG(dst, src) : SL_ALU64_REG(op, dst, src));
}

static void emit_narrow(struct sl_cg *cg, enum sl_field field, struct sl_iset set, uint8_t dst)
{
	struct sl_emit *e = &cg->e;
	struct sl_cg_set_table table;

	sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_FP, sl_cg_slot(cg, field, 0)));
	if (sl_cg_set_table(cg, field, set, &table)) {
		sl_cg_set_mismatch(cg, &table, SL_R1, dst);
		return;
	}
	for (uint32_t i = 0; i < set.n; i++) {
		if (i)
			sl_emit_safe_point(e);
		emit_interval(e, (uint64_t)set.iv[i].lo, (uint64_t)set.iv[i].hi, i ? SL_R2 : dst);
		if (i)
			sl_emit(e, SL_ALU64_REG(BPF_AND, dst, SL_R2));
	}
}

struct wide {
	struct sl_cg *cg;
	enum sl_field field;
	uint8_t dst;
	bool first_box;
};

/* Box mismatch into R4, then AND it into dst. */
static void emit_box(struct wide *w, const struct sl_word_box *b)
{
	struct sl_emit *e = &w->cg->e;
	uint32_t words = sl_word_box_words(b);
	bool first = true;

	sl_emit_safe_point(e);
	for (unsigned i = 0; i < SL_WORDS_128; i++) {
		if (!(words & (1u << i)))
			continue;
		sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_FP, sl_cg_slot(w->cg, w->field, i)));
		emit_interval(e, b->lo[i], b->hi[i], first ? SL_R4 : SL_R2);
		if (!first)
			sl_emit(e, SL_ALU64_REG(BPF_OR, SL_R4, SL_R2));
		first = false;
	}
	combine(e, w->first_box, BPF_AND, w->dst, SL_R4);
	w->first_box = false;
}

static void emit_wide(struct sl_cg *cg, enum sl_field field, struct sl_iset set, uint8_t dst)
{
	struct wide w = {cg, field, dst, true};
	struct sl_cg_set_table table;

	if (sl_cg_set_table(cg, field, set, &table)) {
		sl_cg_set_mismatch_wide(cg, &table, field, dst);
		return;
	}
	for (uint32_t i = 0; i < set.n; i++) {
		struct sl_word_box boxes[SL_WORD_BOXES_MAX];
		unsigned n = sl_iset_word_boxes(set.iv[i].lo, set.iv[i].hi, boxes);

		for (unsigned k = 0; k < n; k++)
			emit_box(&w, &boxes[k]);
	}
}

void sl_cg_mismatch(struct sl_cg *cg, enum sl_field field, struct sl_iset set, uint8_t dst)
{
	if (sl_cg_words(field) > 1)
		emit_wide(cg, field, set, dst);
	else
		emit_narrow(cg, field, set, dst);
}

/* if reg <op> value goto target; `scratch` holds a constant too wide for an immediate. */
static void jump_const(struct sl_emit *e, uint8_t op, uint8_t reg, uint64_t value, uint8_t scratch,
		       sl_label target)
{
	if (value <= INT32_MAX) {
		sl_emit_jmp_imm(e, op, reg, (int32_t)value, target);
		return;
	}
	sl_emit_mov_const(e, scratch, value);
	sl_emit_jmp_reg(e, op, reg, scratch, target);
}

/*
 * Jump to target when x (in reg, not R2 or R3) is in [lo, hi] (when_in) or
 * not. One unsigned compare of x - lo against hi - lo covers both bounds and
 * absence. Fields of at most 32 bits compare their low words (BPF_JMP32), so
 * any bound is an immediate: an absent field's low word is 0 (SL_CG_ABSENT is
 * 2^55), and reads as 0, which a test with lo > 0 rejects as it should.
 */
static void jump_interval(struct sl_emit *e, uint8_t reg, bool word, uint64_t lo, uint64_t hi,
			  bool when_in, sl_label target)
{
	if (word && lo == hi && lo) {
		sl_emit_jmp32_imm(e, when_in ? BPF_JEQ : BPF_JNE, reg, (int32_t)(uint32_t)lo,
				  target);
		return;
	}
	if (word && lo) {
		sl_emit(e, SL_ALU32_REG(BPF_MOV, SL_R2, reg));
		sl_emit(e, SL_ALU32_IMM(BPF_SUB, SL_R2, (int32_t)(uint32_t)lo));
		sl_emit_jmp32_imm(e, when_in ? BPF_JLE : BPF_JGT, SL_R2,
				  (int32_t)(uint32_t)(hi - lo), target);
		return;
	}
	if (lo == hi) {
		jump_const(e, when_in ? BPF_JEQ : BPF_JNE, reg, lo, SL_R3, target);
		return;
	}
	if (lo) {
		sl_emit(e, SL_MOV64_REG(SL_R2, reg));
		if (lo <= INT32_MAX) {
			sl_emit(e, SL_ALU64_IMM(BPF_SUB, SL_R2, (int32_t)lo));
		} else {
			sl_emit_mov_const(e, SL_R3, lo);
			sl_emit(e, SL_ALU64_REG(BPF_SUB, SL_R2, SL_R3));
		}
		reg = SL_R2;
	}
	jump_const(e, when_in ? BPF_JLE : BPF_JGT, reg, hi - lo, SL_R3, target);
}

static void branch_narrow(struct sl_cg *cg, enum sl_field field, struct sl_iset set, bool when_in,
			  sl_label target, uint8_t reg, bool load)
{
	struct sl_emit *e = &cg->e;
	bool word = sl_field_info(field)->bits <= 32;
	struct sl_cg_set_table table;
	sl_label in;

	if (load)
		sl_emit(e, SL_LDX(BPF_DW, reg, SL_FP, sl_cg_slot(cg, field, 0)));
	if (sl_cg_set_table(cg, field, set, &table)) {
		sl_cg_set_branch(cg, &table, reg, when_in, target);
		return;
	}
	if (!when_in && set.n == 1) {
		jump_interval(e, reg, word, (uint64_t)set.iv[0].lo, (uint64_t)set.iv[0].hi, false,
			      target);
		return;
	}
	in = when_in ? target : sl_emit_new_label(e);
	for (uint32_t i = 0; i < set.n; i++) {
		if (i)
			sl_emit_safe_point(e);
		jump_interval(e, reg, word, (uint64_t)set.iv[i].lo, (uint64_t)set.iv[i].hi, true,
			      in);
	}
	if (!when_in) {
		sl_emit_ja(e, target);
		sl_emit_bind(e, in);
	}
}

void sl_cg_branch_in(struct sl_cg *cg, enum sl_field field, struct sl_iset set, sl_label target,
		     uint8_t reg, bool load)
{
	if (sl_cg_words(field) == 1 && set.n)
		branch_narrow(cg, field, set, true, target, reg, load);
	else
		sl_cg_branch(cg, field, set, true, target);
}

/*
 * A 128-bit set that is one word box (a prefix, typically) as one jump per
 * word it tests, each word as a 32-bit field (jump_interval() says why an
 * absent address fails them).
 */
static bool branch_wide_box(struct sl_cg *cg, enum sl_field field, struct sl_iset set, bool when_in,
			    sl_label target)
{
	struct sl_word_box boxes[SL_WORD_BOXES_MAX], *b = &boxes[0];
	struct sl_emit *e = &cg->e;
	uint32_t words;
	unsigned last;
	sl_label out;

	if (set.n != 1 || sl_iset_word_boxes(set.iv[0].lo, set.iv[0].hi, boxes) != 1)
		return false;
	words = sl_word_box_words(b);
	last = 31 - (unsigned)__builtin_clz(words); /* the last word tested */
	out = when_in ? sl_emit_new_label(e) : target;
	for (unsigned i = 0; i < SL_WORDS_128; i++) {
		if (!(words & (1u << i)))
			continue;
		sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_FP, sl_cg_slot(cg, field, i)));
		if (i == last && when_in)
			jump_interval(e, SL_R1, true, b->lo[i], b->hi[i], true, target);
		else
			jump_interval(e, SL_R1, true, b->lo[i], b->hi[i], false, out);
	}
	if (when_in)
		sl_emit_bind(e, out);
	return true;
}

void sl_cg_branch(struct sl_cg *cg, enum sl_field field, struct sl_iset set, bool when_in,
		  sl_label target)
{
	if (!set.n) {
		if (!when_in)
			sl_emit_ja(&cg->e, target);
		return;
	}
	if (sl_cg_words(field) == 1) {
		branch_narrow(cg, field, set, when_in, target, SL_R1, true);
		return;
	}
	if (!sl_cg_set_wanted(cg, field, set) && branch_wide_box(cg, field, set, when_in, target))
		return;
	emit_wide(cg, field, set, SL_R6);
	sl_emit_jmp_imm(&cg->e, when_in ? BPF_JSGE : BPF_JSLT, SL_R6, 0, target);
}

uint32_t sl_cg_wide_words(const struct sl_cg *cg, enum sl_field field, struct sl_iset set)
{
	/* A table search reads every word (codegen_set.c). */
	return sl_cg_set_wanted(cg, field, set) ? (1u << SL_WORDS_128) - 1 : sl_iset_words(set);
}

uint32_t sl_cg_branch_cost(const struct sl_cg *cg, enum sl_field field, struct sl_iset set)
{
	/* Narrow: at most 7 per interval and a jump; wide: up to 7 boxes of 4 words. */
	uint32_t per = sl_cg_words(field) == 1 ? 8 : 256;

	if (sl_cg_set_cost(cg, field, set) != UINT32_MAX)
		return 2 + sl_cg_set_cost(cg, field, set);

	return 2 + per * (set.n < UINT32_MAX / 256 ? set.n : UINT32_MAX / 256);
}
