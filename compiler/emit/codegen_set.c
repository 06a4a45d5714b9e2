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
 */
#include <stdlib.h>
#include <string.h>

#include "codegen.h"

#define P SL_R2
#define T SL_R3
/* The largest offset a load instruction can carry (s16), rounded down to words. */
#define OFF_MAX 32760u
/* Tables beyond this stay inline (a map value must fit the kernel's allocation limits). */
#define TABLE_MAX_ENTRIES (1u << 17)
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

static bool wants_table(const struct sl_cg *cg, struct sl_iset set)
{
	switch (cg->opts->set_lookup) {
	case SL_SET_LOOKUP_INLINE:
		return false;
	case SL_SET_LOOKUP_TABLE:
		return set.n >= 2 && set.n <= TABLE_MAX_ENTRIES;
	case SL_SET_LOOKUP_AUTO:
	default:
		return cg->opts->opt_level >= 1 && set.n >= SL_CG_SET_TABLE_MIN &&
		       set.n <= TABLE_MAX_ENTRIES;
	}
}

uint32_t sl_cg_set_cost(const struct sl_cg *cg, struct sl_iset set)
{
	if (!wants_table(cg, set))
		return UINT32_MAX;
	return 2 + 5 * log2_of(table_entries(set.n)) + 8;
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

bool sl_cg_set_table(struct sl_cg *cg, struct sl_iset set, struct sl_cg_set_table *out)
{
	uint32_t size;
	size_t bytes;
	uint8_t *data;
	int32_t found;

	if (!wants_table(cg, set))
		return false;
	size = table_entries(set.n);
	bytes = (size_t)size * 16;
	data = sl_arena_calloc(cg->arena, 1, bytes);
	for (uint32_t i = 0; i < size; i++) {
		bool real = i < set.n;

		put_s64(data + 8 * i, real ? (int64_t)(uint64_t)set.iv[i].lo - 1 : INT64_MAX);
		put_s64(data + 8 * ((size_t)size + i), real ? (int64_t)(uint64_t)set.iv[i].hi : 0);
	}
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
	sl_emit(e, SL_LDX(BPF_DW, T, P, 0));
	sl_emit_jmp_reg(e, BPF_JSLE, x, T, out); /* x <= lo - 1 */
	load_high(e, t);
	sl_emit_jmp_reg(e, BPF_JSGT, x, T, out);
	if (when_in) {
		sl_emit_ja(e, target);
		sl_emit_bind(e, out);
	}
}
