// SPDX-License-Identifier: GPL-2.0-only
/*
 * Large sets as sorted tables (codegen.h). A predicate over a set of n
 * intervals costs one test per interval inline: a 50,000-address blocklist
 * is 220,000 instructions and 20 us per packet. Here the set's intervals go
 * to a read-only table and a packet does a binary search: about 5 log2(n)
 * instructions, no branch until the verdict.
 *
 * The table, a one-entry array map of 2N little-endian s64 (N = 2^k >= n):
 *     low[i]  = lo_i - 1   (padded with INT64_MAX)
 *     high[i] = hi_i       (padded with 0: never read)
 * Slot values are below 2^62 (SL_CG_ABSENT included), so every difference
 * below is exact in signed 64 bits.
 *
 * The search keeps p, a pointer into low[]. For h = N/2, N/4 ... 1:
 *     t = p[h] - x;  p += (t >> 63) << log2(8h)
 * moves p up by h exactly when low[p + h] < x, that is lo <= x. (Not
 * `(t s>> 63) & 8h`: the verifier forks its state on an AND with a value in
 * [-1, 0], which would make the search 2^steps paths.) It ends on
 * the last interval whose lo <= x (or on interval 0 when there is none), and
 * x is in the set iff low[p] < x && x <= high[p]. An absent field is larger
 * than every hi. The verifier follows p as a map-value pointer with a
 * variable offset whose bound is the sum of the steps (< 8N): no branch, so
 * no extra state, however large the set.
 *
 * 128-bit fields (IPv6 addresses) have no exact signed difference, so their
 * values go into three limbs below 2^62: bits 127..66, 65..4 and 3..0. The
 * table holds per entry the limbs of lo (column one) and of hi (column two),
 * 24 bytes each; entry 0 is a sentinel that no x is in (lo = 0, hi = {-1, 0,
 * 0}), the intervals follow, and padding has lo = {2^62, 0, 0}. "x < lo" is
 * the borrow out of the limb-wise subtraction x - lo (borrow_i = (x_i - lo_i
 * - borrow_i+1) >> 63, every difference exact), and a step moves p by 24h
 * unless it borrows. The search ends on an entry with lo <= x (the sentinel
 * at worst), so x is in the set iff it does not exceed that entry's hi. The
 * packet's limbs come from its four 32-bit word slots; an absent field's
 * first word is SL_CG_ABSENT, which puts 2^62 into limb 0: above every hi.
 */
#include <stdlib.h>
#include <string.h>

#include "emit/codegen.h"

#define P SL_R2
#define T SL_R3
/* The largest offset a load instruction can carry (s16), rounded down to words. */
#define OFF_MAX 32760u
/* Tables beyond this stay inline (a map value must fit the kernel's allocation limits). */
#define TABLE_MAX_BYTES (4u << 20)
/* Leave room for codegen's own maps and the classifier's (64 per program). */
#define SET_MAPS_MAX 56u

static uint32_t table_entries(uint32_t n)
{
	uint32_t size = 1;

	while (size < n)
		size <<= 1;
	return size;
}

static unsigned log2_of(uint32_t size)
{
	unsigned k = 0;

	while ((1u << k) < size)
		k++;
	return k;
}

#define LIMBS	  3
#define LIMB0_PAD (1ull << 62)

static size_t entry_bytes(enum sl_field field)
{
	return sl_cg_words(field) > 1 ? 8 * LIMBS : 8;
}

/* Entries per column: the intervals (after the sentinel for wide fields), a power of two. */
static uint32_t entries_for(enum sl_field field, struct sl_iset set)
{
	return table_entries(sl_cg_words(field) > 1 ? set.n + 1 : set.n);
}

bool sl_cg_set_wanted(const struct sl_cg *cg, enum sl_field field, struct sl_iset set)
{
	if (set.n >= UINT32_MAX / 2 ||
	    (size_t)entries_for(field, set) * 2 * entry_bytes(field) > TABLE_MAX_BYTES)
		return false;
	return sl_sel_set_table(&cg->sel, set.n);
}

uint32_t sl_cg_set_cost(const struct sl_cg *cg, enum sl_field field, struct sl_iset set)
{
	unsigned steps;

	if (!sl_cg_set_wanted(cg, field, set))
		return UINT32_MAX;
	steps = log2_of(entries_for(field, set));
	return sl_cg_words(field) > 1 ? 16 + 17 * steps + 30 : 2 + 5 * steps + 8;
}

static void put_s64(uint8_t *at, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (unsigned i = 0; i < 8; i++)
		at[i] = (uint8_t)(u >> (8 * i));
}

/* An existing set map with these contents: a set used by several rules has one table. */
static int32_t find_table(const struct sl_cg *cg, const uint8_t *data, size_t size)
{
	const struct sl_bpf_object *obj = cg->obj;

	for (uint32_t i = 0; i < obj->nmaps; i++) {
		const struct sl_bpf_map *m = &obj->maps[i];

		if (m->init && m->value_size == size && !strncmp(m->name, "sluice_set", 10) &&
		    !memcmp(m->init, data, size))
			return (int32_t)i;
	}
	return -1;
}

static uint32_t set_maps(const struct sl_cg *cg)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < cg->obj->nmaps; i++)
		n += !strncmp(cg->obj->maps[i].name, "sluice_set", 10);
	return n;
}

/* The three limbs of a 128-bit value, most significant first. */
static void put_limbs(uint8_t *at, sl_u128 v)
{
	put_s64(at, (int64_t)(uint64_t)(v >> 66));
	put_s64(at + 8, (int64_t)((uint64_t)(v >> 4) & (LIMB0_PAD - 1)));
	put_s64(at + 16, (int64_t)((uint64_t)v & 15));
}

static void fill_narrow(uint8_t *data, uint32_t size, struct sl_iset set)
{
	for (uint32_t i = 0; i < size; i++) {
		bool real = i < set.n;

		put_s64(data + 8 * i, real ? (int64_t)(uint64_t)set.iv[i].lo - 1 : INT64_MAX);
		put_s64(data + 8 * ((size_t)size + i), real ? (int64_t)(uint64_t)set.iv[i].hi : 0);
	}
}

static void fill_wide(uint8_t *data, uint32_t size, struct sl_iset set)
{
	const size_t entry = 8 * LIMBS;

	put_s64(data + entry * size, -1); /* the sentinel's hi (its lo is 0) */
	for (uint32_t i = 1; i < size; i++) {
		if (i <= set.n) {
			put_limbs(data + entry * i, set.iv[i - 1].lo);
			put_limbs(data + entry * ((size_t)size + i), set.iv[i - 1].hi);
		} else {
			put_s64(data + entry * i, (int64_t)LIMB0_PAD);
		}
	}
}

bool sl_cg_set_table(struct sl_cg *cg, enum sl_field field, struct sl_iset set,
		     struct sl_cg_set_table *out)
{
	uint32_t size;
	size_t bytes;
	_cleanup_free_ uint8_t *data = NULL; /* value_map keeps its own copy */
	int32_t found;

	if (!sl_cg_set_wanted(cg, field, set))
		return false;
	size = entries_for(field, set);
	bytes = (size_t)size * 2 * entry_bytes(field);
	data = calloc(1, bytes);
	if (!data)
		return false; /* the tests interval by interval are as correct */
	if (sl_cg_words(field) > 1)
		fill_wide(data, size, set);
	else
		fill_narrow(data, size, set);
	found = find_table(cg, data, bytes);
	if (found < 0 && cg->obj->nmaps >= SET_MAPS_MAX)
		return false;
	out->size = size;
	out->map =
	    found >= 0
		? (uint32_t)found
		: sl_cg_value_map(cg, sl_arena_printf(cg->arena, "sluice_set%u", set_maps(cg)),
				  data, bytes);
	return true;
}

/* P = &low[i] for the last interval i whose lo <= x (or i = 0). */
static void emit_search(struct sl_emit *e, const struct sl_cg_set_table *t, uint8_t x)
{
	sl_emit_ld_map(e, P, t->map);
	for (uint32_t h = t->size / 2; h; h /= 2) {
		if (8 * h <= OFF_MAX) {
			sl_emit(e, SL_LDX(BPF_DW, T, P, (int16_t)(8 * h)));
		} else {
			sl_emit(e, SL_MOV64_REG(T, P));
			sl_emit(e, SL_ALU64_IMM(BPF_ADD, T, (int32_t)(8 * h)));
			sl_emit(e, SL_LDX(BPF_DW, T, T, 0));
		}
		sl_emit(e, SL_ALU64_REG(BPF_SUB, T, x));
		sl_emit(e, SL_ALU64_IMM(BPF_RSH, T, 63));
		sl_emit(e, SL_ALU64_IMM(BPF_LSH, T, (int32_t)log2_of(8 * h)));
		sl_emit(e, SL_ALU64_REG(BPF_ADD, P, T));
	}
}

/* T = high[i] (P moves to it when the column is beyond a load's offset). */
static void load_high(struct sl_emit *e, const struct sl_cg_set_table *t)
{
	uint32_t off = 8 * t->size;

	if (off <= OFF_MAX) {
		sl_emit(e, SL_LDX(BPF_DW, T, P, (int16_t)off));
		return;
	}
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, P, (int32_t)off));
	sl_emit(e, SL_LDX(BPF_DW, T, P, 0));
}

void sl_cg_set_mismatch(struct sl_cg *cg, const struct sl_cg_set_table *t, uint8_t x, uint8_t dst)
{
	struct sl_emit *e = &cg->e;

	emit_search(e, t, x);
	/* dst = (x - lo) | (hi - x): negative iff x < lo or x > hi */
	sl_emit(e, SL_LDX(BPF_DW, T, P, 0));
	sl_emit(e, SL_MOV64_REG(dst, x));
	sl_emit(e, SL_ALU64_REG(BPF_SUB, dst, T));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, dst, -1));
	load_high(e, t);
	sl_emit(e, SL_ALU64_REG(BPF_SUB, T, x));
	sl_emit(e, SL_ALU64_REG(BPF_OR, dst, T));
}

void sl_cg_set_branch(struct sl_cg *cg, const struct sl_cg_set_table *t, uint8_t x, bool when_in,
		      sl_label target)
{
	struct sl_emit *e = &cg->e;
	sl_label out = when_in ? sl_emit_new_label(e) : target;

	emit_search(e, t, x);
	/*
	 * Compare differences, not x: a compare of two registers narrows both,
	 * and x (or the stack slot it came from) would then differ between the
	 * paths that meet at the next rule, so the verifier could not prune them.
	 */
	sl_emit(e, SL_LDX(BPF_DW, T, P, 0));
	sl_emit(e, SL_ALU64_REG(BPF_SUB, T, x));
	sl_emit_jmp_imm(e, BPF_JSGE, T, 0, out); /* lo - 1 - x >= 0: x < lo */
	load_high(e, t);
	sl_emit(e, SL_ALU64_REG(BPF_SUB, T, x));
	sl_emit_jmp_imm(e, BPF_JSLT, T, 0, out); /* hi - x < 0: x > hi */
	if (when_in) {
		sl_emit_ja(e, target);
		sl_emit_bind(e, out);
	}
}

/* Registers of the wide search: p, two scratch, the packet's limbs. */
#define WP SL_R1
#define WT SL_R2
#define X0 SL_R3
#define X1 SL_R4
#define X2 SL_R5

/* The packet's limbs from its word slots (w0 most significant): X0, X1, X2. */
static void load_limbs(struct sl_cg *cg, enum sl_field field)
{
	struct sl_emit *e = &cg->e;

	sl_emit(e, SL_LDX(BPF_DW, X0, SL_FP, sl_cg_slot(cg, field, 0)));
	sl_emit(e, SL_LDX(BPF_DW, X1, SL_FP, sl_cg_slot(cg, field, 1)));
	/* X0 = w0 << 30 | w1 >> 2, + 2^62 when absent (w0 = SL_CG_ABSENT) */
	sl_emit(e, SL_MOV64_REG(WT, X0));
	sl_emit(e, SL_ALU64_IMM(BPF_RSH, WT, 55));
	sl_emit(e, SL_ALU64_IMM(BPF_LSH, WT, 62));
	sl_emit(e, SL_ALU64_IMM(BPF_LSH, X0, 30));
	sl_emit(e, SL_ALU64_REG(BPF_OR, X0, WT));
	sl_emit(e, SL_MOV64_REG(WT, X1));
	sl_emit(e, SL_ALU64_IMM(BPF_RSH, WT, 2));
	sl_emit(e, SL_ALU64_REG(BPF_OR, X0, WT));
	/* X1 = (w1 & 3) << 60 | w2 << 28 | w3 >> 4; X2 = w3 & 15 */
	sl_emit(e, SL_ALU64_IMM(BPF_AND, X1, 3));
	sl_emit(e, SL_ALU64_IMM(BPF_LSH, X1, 60));
	sl_emit(e, SL_LDX(BPF_DW, WT, SL_FP, sl_cg_slot(cg, field, 2)));
	sl_emit(e, SL_ALU64_IMM(BPF_LSH, WT, 28));
	sl_emit(e, SL_ALU64_REG(BPF_OR, X1, WT));
	sl_emit(e, SL_LDX(BPF_DW, X2, SL_FP, sl_cg_slot(cg, field, 3)));
	sl_emit(e, SL_MOV64_REG(WT, X2));
	sl_emit(e, SL_ALU64_IMM(BPF_RSH, WT, 4));
	sl_emit(e, SL_ALU64_REG(BPF_OR, X1, WT));
	sl_emit(e, SL_ALU64_IMM(BPF_AND, X2, 15));
}

/* r = *(WP + off), through `r` itself when off is beyond a load's reach. */
static void load_at(struct sl_emit *e, uint8_t r, uint32_t off)
{
	if (off <= OFF_MAX) {
		sl_emit(e, SL_LDX(BPF_DW, r, WP, (int16_t)off));
		return;
	}
	sl_emit(e, SL_MOV64_REG(r, WP));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, r, (int32_t)off));
	sl_emit(e, SL_LDX(BPF_DW, r, r, 0));
}

/*
 * `out` = 1 when x < the entry at WP + off (x - entry borrows), else 0;
 * clobbers WT. With `swap`, 1 when the entry < x instead.
 */
static void emit_borrow(struct sl_emit *e, uint32_t off, uint8_t out, bool swap)
{
	static const uint8_t x[LIMBS] = {X0, X1, X2};
	uint8_t borrow = 0;

	for (int i = LIMBS - 1; i >= 0; i--) {
		/* out, WT, out: each limb's borrow is taken by the next one's register */
		uint8_t r = i % 2 ? WT : out;

		load_at(e, r, off + 8 * (uint32_t)i);
		if (swap) {
			sl_emit(e, SL_ALU64_REG(BPF_SUB, r, x[i]));
		} else {
			sl_emit(e, SL_NEG64(r));
			sl_emit(e, SL_ALU64_REG(BPF_ADD, r, x[i]));
		}
		if (borrow)
			sl_emit(e, SL_ALU64_REG(BPF_SUB, r, borrow));
		sl_emit(e, SL_ALU64_IMM(BPF_RSH, r, 63));
		borrow = r;
	}
}

void sl_cg_set_mismatch_wide(struct sl_cg *cg, const struct sl_cg_set_table *t, enum sl_field field,
			     uint8_t dst)
{
	struct sl_emit *e = &cg->e;
	const uint32_t entry = 8 * LIMBS;

	load_limbs(cg, field);
	sl_emit_ld_map(e, WP, t->map);
	for (uint32_t h = t->size / 2; h; h /= 2) {
		emit_borrow(e, entry * h, dst, false); /* dst = x < lo[p + h] */
		sl_emit(e, SL_ALU64_IMM(BPF_XOR, dst, 1));
		sl_emit(e, SL_ALU64_IMM(BPF_MUL, dst, (int32_t)(entry * h)));
		sl_emit(e, SL_ALU64_REG(BPF_ADD, WP, dst));
	}
	/* lo[p] <= x: not in when hi[p] < x (dst = -1), else 0 */
	emit_borrow(e, entry * t->size, dst, true);
	sl_emit(e, SL_NEG64(dst));
}
