// SPDX-License-Identifier: GPL-2.0-only
/*
 * The table walker. Registers while walking:
 *   R0 best box so far (0xffffffff: none)   R1 table pointer   R2 node record / box test
 *   R3 dimension or key                     R4 key / index / list pointer   R5 scratch
 *   R7 the box records                      R8 leaf count
 *   R9 the tree's nodes, then (in its leaf) the absent mask
 * Scratch stack (in->scratch_off upwards): route keys, compare keys, the
 * absent mask and the payload of the best box (see dtree.h for their meaning).
 *
 * Why the verifier stays cheap: after each step the node index is bounded by
 * an explicit compare, so every path through the key selection converges to
 * the same state; within a leaf the scan's registers are reloaded per entry,
 * so the failed-compare exits all meet in one state at the next entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emit/table_walk.h"
#include "common/util.h"

#define MOV32_REG(dst, src) SL_INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)

struct tree_shape {
	uint32_t cut_dims;		    /* dimensions some inner node cuts */
	uint32_t check_lo;		    /* dimensions where some box has lo > 0 */
	uint32_t check_hi;		    /* dimensions where some box has hi < max */
	bool check_need;		    /* some box constrains a dimension */
	unsigned order[SL_DT_MAX_DIMS];	    /* dimensions, most distinct bounds first */
	unsigned cut_order[SL_DT_MAX_DIMS]; /* cut dimensions, most visited first */
	unsigned ncut;
};

struct walk {
	struct sl_emit *e;
	const struct sl_dt *dt;
	const struct sl_tw_input *in;
	struct sl_tw_layout layout;
};

static int16_t route_off(const struct walk *w, unsigned d)
{
	return (int16_t)(w->in->scratch_off + 8 * d);
}

static int16_t cmp_off(const struct walk *w, unsigned d)
{
	return (int16_t)(w->in->scratch_off + 8 * (w->dt->ndims + d));
}

static int16_t absent_off(const struct walk *w)
{
	return (int16_t)(w->in->scratch_off + 16 * w->dt->ndims);
}

static int16_t payload_off(const struct walk *w)
{
	return (int16_t)(w->in->scratch_off + 16 * w->dt->ndims + 8);
}

static uint64_t rec_get(const struct sl_dt *dt, uint32_t box, uint32_t off, unsigned width)
{
	const uint8_t *p = &dt->records[(size_t)box * dt->record_size + off];
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/*
 * The leaf's boxes' bounds into s. Boxes repeat across leaves, and the masks
 * only gain bits: a box already looked at (seen, one bit per box) or masks
 * with every bit set change nothing (at 100k rules this scan was 5% of the
 * compile).
 */
static void shape_leaf(const struct sl_dt *dt, uint64_t rec, uint8_t *seen, struct tree_shape *s)
{
	uint32_t count = (rec >> 16) & 0xffff, off = rec >> 32;
	uint32_t all = (1u << dt->ndims) - 1;

	for (uint32_t i = 0; i < count; i++) {
		uint32_t box = dt->lists[off + i];

		if (s->check_need && s->check_lo == all && s->check_hi == all)
			return;
		if (seen[box / 8] & (1u << (box % 8)))
			continue;
		seen[box / 8] |= 1u << (box % 8);

		if (rec_get(dt, box, dt->need_off, 2))
			s->check_need = true;
		for (unsigned d = 0; d < dt->ndims; d++) {
			unsigned width = dt->dim_width[d];
			uint64_t max = (UINT64_C(1) << dt->bits[d]) - 1;

			if (rec_get(dt, box, dt->dim_off[d], width) > 0)
				s->check_lo |= 1u << d;
			if (rec_get(dt, box, dt->dim_off[d] + width, width) < max)
				s->check_hi |= 1u << d;
		}
	}
}

/* What the tree's code must look at: only dimensions it cuts or some box bounds. */
static int tree_shape(const struct sl_dt *dt, const struct sl_dt_tree *t, struct tree_shape *s)
{
	_cleanup_free_ uint8_t *seen = calloc(dt->nnodes / 8 + 1, 1);
	_cleanup_free_ uint8_t *seen_box = calloc(dt->nboxes / 8 + 1, 1);
	_cleanup_free_ uint32_t *stack = NULL;
	_cleanup_free_ double *weight = NULL;
	double visits[SL_DT_MAX_DIMS] = {0};
	size_t n = 0, cap = 0, wcap = 0;

	memset(s, 0, sizeof(*s));
	/* Widest fields first: addresses tell boxes apart better than protocols. */
	for (unsigned j = 0; j < dt->ndims; j++) {
		unsigned k = j;

		for (; k > 0 && dt->bits[s->order[k - 1]] < dt->bits[j]; k--)
			s->order[k] = s->order[k - 1];
		s->order[k] = j;
	}
	if (!seen || !seen_box || sl_grow((void **)&stack, &cap, 1, sizeof(*stack)) ||
	    sl_grow((void **)&weight, &wcap, 1, sizeof(*weight)))
		return -ENOMEM;
	stack[n] = t->root;
	weight[n++] = 1;
	seen[t->root / 8] |= 1u << (t->root % 8);
	while (n) {
		uint64_t rec = dt->nodes[stack[--n]];
		double w = weight[n];
		uint32_t np, base;

		if (!(rec & 0xff)) {
			shape_leaf(dt, rec, seen_box, s);
			continue;
		}
		/* A packet reaches a node about as often as 1 / the cuts above it. */
		visits[(rec & 0xff) - 1] += w;
		s->cut_dims |= 1u << ((rec & 0xff) - 1);
		np = ((rec >> 16) & 0xffff) + 1;
		base = rec >> 32;
		for (uint32_t i = 0; i < np; i++) {
			uint32_t c = base + i;

			if (seen[c / 8] & (1u << (c % 8)))
				continue;
			seen[c / 8] |= 1u << (c % 8);
			if (sl_grow((void **)&stack, &cap, n + 1, sizeof(*stack)) ||
			    sl_grow((void **)&weight, &wcap, n + 1, sizeof(*weight)))
				return -ENOMEM;
			stack[n] = c;
			weight[n++] = w / np;
		}
	}
	/* The key selection tests the most visited dimension first. */
	for (unsigned d = 0; d < dt->ndims; d++) {
		unsigned k = s->ncut;

		if (!(s->cut_dims & (1u << d)))
			continue;
		for (; k > 0 && visits[s->cut_order[k - 1]] < visits[d]; k--)
			s->cut_order[k] = s->cut_order[k - 1];
		s->cut_order[k] = d;
		s->ncut++;
	}
	return 0;
}

static void emit(struct walk *w, struct bpf_insn insn)
{
	sl_emit(w->e, insn);
}

/*
 * Route and compare keys, and the absent mask, from the value slots, without a
 * branch: 2^ndims present/absent paths would each be verified separately.
 *   f = (v >> bits) != 0 (absent), as (-(v >> bits)) >> 63
 *   cmp = v & (f - 1) (0 when absent), route = cmp | f << bits, absent |= f << d
 */
static void emit_keys(struct walk *w, uint32_t route_dims, uint32_t cmp_dims)
{
	const struct sl_dt *dt = w->dt;

	emit(w, SL_MOV64_IMM(SL_R3, 0));
	/* Every dimension goes into the absent mask; keys only where some tree reads them. */
	for (unsigned d = 0; d < dt->ndims; d++) {
		emit(w, SL_LDX(BPF_DW, SL_R4, SL_FP, w->in->value_off[d][0]));
		for (unsigned k = 1; k < w->in->nslots[d]; k++) {
			/* R4 = min(R4, slot): R5 = R2 - R4; R4 += R5 & (R5 s>> 63) */
			emit(w, SL_LDX(BPF_DW, SL_R2, SL_FP, w->in->value_off[d][k]));
			emit(w, SL_MOV64_REG(SL_R5, SL_R2));
			emit(w, SL_ALU64_REG(BPF_SUB, SL_R5, SL_R4));
			emit(w, SL_MOV64_REG(SL_R1, SL_R5));
			emit(w, SL_ALU64_IMM(BPF_ARSH, SL_R1, 63));
			emit(w, SL_ALU64_REG(BPF_AND, SL_R5, SL_R1));
			emit(w, SL_ALU64_REG(BPF_ADD, SL_R4, SL_R5));
		}
		emit(w, SL_MOV64_REG(SL_R5, SL_R4));
		emit(w, SL_ALU64_IMM(BPF_RSH, SL_R5, dt->bits[d]));
		emit(w, SL_NEG64(SL_R5));
		emit(w, SL_ALU64_IMM(BPF_RSH, SL_R5, 63));
		emit(w, SL_MOV64_REG(SL_R2, SL_R5));
		emit(w, SL_ALU64_IMM(BPF_LSH, SL_R2, d));
		emit(w, SL_ALU64_REG(BPF_OR, SL_R3, SL_R2));
		if (!((route_dims | cmp_dims) & (1u << d)))
			continue;
		emit(w, SL_MOV64_REG(SL_R2, SL_R5));
		emit(w, SL_ALU64_IMM(BPF_ADD, SL_R2, -1));
		emit(w, SL_ALU64_REG(BPF_AND, SL_R4, SL_R2));
		if (cmp_dims & (1u << d))
			emit(w, SL_STX(BPF_DW, SL_FP, SL_R4, cmp_off(w, d)));
		if (!(route_dims & (1u << d)))
			continue;
		emit(w, SL_ALU64_IMM(BPF_LSH, SL_R5, dt->bits[d]));
		emit(w, SL_ALU64_REG(BPF_OR, SL_R4, SL_R5));
		emit(w, SL_STX(BPF_DW, SL_FP, SL_R4, route_off(w, d)));
	}
	emit(w, SL_STX(BPF_DW, SL_FP, SL_R3, absent_off(w)));
	emit(w, SL_ST(BPF_DW, SL_FP, payload_off(w), 0));
	emit(w, SL_MOV32_IMM(SL_R0, -1));
	sl_emit_ld_map(w->e, SL_R7, w->in->map[SL_TW_RECORDS]);
}

/* R4 = route key of dimension R3 - 1, among the dimensions the tree cuts. */
static void emit_key_select(struct walk *w, const struct tree_shape *s)
{
	sl_label have = sl_emit_new_label(w->e);

	for (unsigned k = 0; k < s->ncut; k++) {
		unsigned d = s->cut_order[k];

		if (k + 1 < s->ncut) {
			sl_label next = sl_emit_new_label(w->e);

			sl_emit_jmp_imm(w->e, BPF_JNE, SL_R3, d + 1, next);
			emit(w, SL_LDX(BPF_DW, SL_R4, SL_FP, route_off(w, d)));
			sl_emit_ja(w->e, have);
			sl_emit_bind(w->e, next);
		} else {
			emit(w, SL_LDX(BPF_DW, SL_R4, SL_FP, route_off(w, d)));
		}
	}
	sl_emit_bind(w->e, have);
}

/*
 * One level down: R2 = the child record of inner node R2, or jump to `leaf` if
 * R2 is a leaf. The shift is used unmasked: BPF masks shift counts to 6 bits,
 * which are exactly the record's shift field (bits 8-13); a 32-bit shift
 * leaves the 16-bit mask field alone.
 */
static void emit_step(struct walk *w, unsigned pack, const struct tree_shape *s, sl_label leaf,
		      sl_label done)
{
	emit(w, SL_MOV64_REG(SL_R3, SL_R2));
	emit(w, SL_ALU64_IMM(BPF_AND, SL_R3, 0xff));
	sl_emit_jmp_imm(w->e, BPF_JEQ, SL_R3, 0, leaf);
	emit_key_select(w, s);
	emit(w, SL_MOV64_REG(SL_R5, SL_R2));
	emit(w, SL_ALU64_IMM(BPF_RSH, SL_R5, 8));
	emit(w, SL_ALU64_REG(BPF_RSH, SL_R4, SL_R5));
	emit(w, MOV32_REG(SL_R5, SL_R2));
	emit(w, SL_ALU32_IMM(BPF_RSH, SL_R5, 16));
	emit(w, SL_ALU64_REG(BPF_AND, SL_R4, SL_R5));
	emit(w, SL_ALU64_IMM(BPF_RSH, SL_R2, 32));
	emit(w, SL_ALU64_REG(BPF_ADD, SL_R4, SL_R2));
	sl_emit_jmp_imm(w->e, BPF_JGE, SL_R4, (int32_t)w->layout.nnodes[pack], done);
	emit(w, SL_ALU64_IMM(BPF_LSH, SL_R4, 3));
	emit(w, SL_ALU64_REG(BPF_ADD, SL_R4, SL_R9));
	emit(w, SL_LDX(BPF_DW, SL_R2, SL_R4, 0));
	sl_emit_safe_point(w->e);
}

static uint8_t size_of_width(unsigned width)
{
	return width == 1 ? BPF_B : width == 2 ? BPF_H : width == 4 ? BPF_W : BPF_DW;
}

/*
 * Entry i of the leaf list at R4 (count in R8, absent mask in R9): on a match
 * R0 = box, its payload saved, go to done. The box test is arithmetic: R2
 * collects -(need & absent), hi - key and key - lo, and is negative exactly
 * when the box does not match (keys and bounds are below 2^62). No compare
 * touches a key, so the verifier's view of the key slots never changes and
 * the paths meet in one state at the next entry.
 */
static void emit_entry(struct walk *w, const struct tree_shape *s, uint32_t i, sl_label done)
{
	const struct sl_dt *dt = w->dt;
	sl_label next = sl_emit_new_label(w->e);
	int16_t at = (int16_t)(4 * i);

	sl_emit_jmp_imm(w->e, BPF_JLE, SL_R8, (int32_t)i, done);
	emit(w, SL_LDX(BPF_W, SL_R1, SL_R4, at));
	sl_emit_jmp_reg(w->e, BPF_JGE, SL_R1, SL_R0, done);
	sl_emit_jmp_imm(w->e, BPF_JGE, SL_R1, (int32_t)dt->nboxes, done);
	if (!(dt->record_size & (dt->record_size - 1)))
		emit(w, SL_ALU64_IMM(BPF_LSH, SL_R1, __builtin_ctz(dt->record_size)));
	else
		emit(w, SL_ALU64_IMM(BPF_MUL, SL_R1, (int32_t)dt->record_size));
	emit(w, SL_ALU64_REG(BPF_ADD, SL_R1, SL_R7));
	if (s->check_need) {
		emit(w, SL_LDX(BPF_H, SL_R2, SL_R1, (int16_t)dt->need_off));
		emit(w, SL_ALU64_REG(BPF_AND, SL_R2, SL_R9));
		emit(w, SL_NEG64(SL_R2));
	} else {
		emit(w, SL_MOV64_IMM(SL_R2, 0));
	}
	for (unsigned j = 0; j < dt->ndims; j++) {
		unsigned d = s->order[j];
		uint8_t size = size_of_width(dt->dim_width[d]);
		int16_t lo = (int16_t)dt->dim_off[d], hi = (int16_t)(lo + dt->dim_width[d]);

		if (!((s->check_lo | s->check_hi) & (1u << d)))
			continue;
		/*
		 * Leave as soon as the sum says "no": the jump refines only R2, which
		 * dies there, so it costs the verifier nothing and saves the packet the
		 * remaining dimensions (most boxes fail on the first one or two).
		 */
		if (j)
			sl_emit_jmp_imm(w->e, BPF_JSLT, SL_R2, 0, next);
		emit(w, SL_LDX(BPF_DW, SL_R3, SL_FP, cmp_off(w, d)));
		if (s->check_hi & (1u << d)) {
			emit(w, SL_LDX(size, SL_R5, SL_R1, hi));
			emit(w, SL_ALU64_REG(BPF_SUB, SL_R5, SL_R3));
			emit(w, SL_ALU64_REG(BPF_OR, SL_R2, SL_R5));
		}
		if (s->check_lo & (1u << d)) {
			emit(w, SL_LDX(size, SL_R5, SL_R1, lo));
			emit(w, SL_ALU64_REG(BPF_SUB, SL_R3, SL_R5));
			emit(w, SL_ALU64_REG(BPF_OR, SL_R2, SL_R3));
		}
	}
	sl_emit_jmp_imm(w->e, BPF_JSLT, SL_R2, 0, next);
	emit(w, SL_LDX(BPF_W, SL_R0, SL_R4, at));
	emit(w, SL_LDX(BPF_W, SL_R2, SL_R1, (int16_t)dt->payload_off));
	emit(w, SL_STX(BPF_DW, SL_FP, SL_R2, payload_off(w)));
	sl_emit_ja(w->e, done);
	sl_emit_bind(w->e, next);
	sl_emit_safe_point(w->e);
}

static void emit_leaf(struct walk *w, uint32_t ti, const struct tree_shape *s, sl_label done)
{
	unsigned pack = w->layout.pack[ti];

	emit(w, SL_MOV64_REG(SL_R3, SL_R2));
	emit(w, SL_ALU64_IMM(BPF_RSH, SL_R3, 16));
	emit(w, SL_ALU64_IMM(BPF_AND, SL_R3, 0xffff));
	emit(w, SL_MOV64_REG(SL_R8, SL_R3));
	emit(w, SL_ALU64_IMM(BPF_RSH, SL_R2, 32));
	sl_emit_jmp_imm(w->e, BPF_JGT, SL_R2, (int32_t)w->layout.nlists[pack], done);
	emit(w, SL_ALU64_IMM(BPF_LSH, SL_R2, 2));
	sl_emit_ld_map(w->e, SL_R4, w->in->map[SL_TW_LISTS(pack)]);
	emit(w, SL_ALU64_REG(BPF_ADD, SL_R4, SL_R2));
	if (s->check_need)
		emit(w, SL_LDX(BPF_DW, SL_R9, SL_FP, absent_off(w)));
	for (uint32_t i = 0; i < w->dt->trees[ti].max_leaf; i++)
		emit_entry(w, s, i, done);
}

static void emit_tree(struct walk *w, uint32_t ti, const struct tree_shape *s)
{
	const struct sl_dt_tree *t = &w->dt->trees[ti];
	sl_label done = sl_emit_new_label(w->e), leaf = sl_emit_new_label(w->e);
	unsigned pack = w->layout.pack[ti];
	int64_t root = 8 * (int64_t)w->layout.root[ti];

	if (ti > 0) /* boxes here are all >= min_box: nothing to win once best <= min_box */
		sl_emit_jmp_imm(w->e, BPF_JLE, SL_R0, (int32_t)t->min_box, done);
	sl_emit_ld_map(w->e, SL_R9, w->in->map[SL_TW_NODES(pack)]);
	if (root <= INT16_MAX) {
		emit(w, SL_LDX(BPF_DW, SL_R2, SL_R9, (int16_t)root));
	} else {
		emit(w, SL_MOV64_IMM(SL_R4, (int32_t)root));
		emit(w, SL_ALU64_REG(BPF_ADD, SL_R4, SL_R9));
		emit(w, SL_LDX(BPF_DW, SL_R2, SL_R4, 0));
	}
	for (uint32_t i = 0; i < t->depth; i++)
		emit_step(w, pack, s, leaf, done);
	/* Deeper than depth is impossible by construction; say "no match" if it ever were. */
	emit(w, SL_MOV64_REG(SL_R3, SL_R2));
	emit(w, SL_ALU64_IMM(BPF_AND, SL_R3, 0xff));
	sl_emit_jmp_imm(w->e, BPF_JNE, SL_R3, 0, done);
	sl_emit_bind(w->e, leaf);
	emit_leaf(w, ti, s, done);
	sl_emit_bind(w->e, done);
	sl_emit_safe_point(w->e);
}

void sl_tw_emit(struct sl_emit *e, const struct sl_dt *dt, const struct sl_tw_input *in,
		uint8_t dst, sl_label nomatch)
{
	struct walk w = {.e = e, .dt = dt, .in = in};
	struct tree_shape shapes[SL_TW_MAX_TREES];
	uint32_t route_dims = 0, cmp_dims = 0;

	bool bad = dt->nboxes > INT32_MAX || dt->ntrees > SL_TW_MAX_TREES;

	for (unsigned d = 0; d < dt->ndims; d++)
		bad |= !in->nslots[d] || in->nslots[d] > SL_TW_MAX_SLOTS;
	for (uint32_t t = 0; t < dt->ntrees; t++)
		bad |= dt->trees[t].max_leaf > 4096; /* list offsets in 16-bit insn offsets */
	if (bad) {
		if (!e->err)
			e->err = -E2BIG;
		return;
	}
	for (uint32_t t = 0; t < dt->ntrees; t++) {
		if (tree_shape(dt, &dt->trees[t], &shapes[t])) {
			if (!e->err)
				e->err = -ENOMEM;
			return;
		}
		route_dims |= shapes[t].cut_dims;
		cmp_dims |= shapes[t].check_lo | shapes[t].check_hi;
	}
	sl_tw_layout(dt, &w.layout);
	emit_keys(&w, route_dims, cmp_dims);
	for (uint32_t t = 0; t < dt->ntrees; t++)
		emit_tree(&w, t, &shapes[t]);
	emit(&w, SL_MOV32_IMM(SL_R1, -1));
	sl_emit_jmp_reg(e, BPF_JEQ, SL_R0, SL_R1, nomatch);
	emit(&w, SL_LDX(BPF_DW, dst, SL_FP, payload_off(&w)));
}

size_t sl_tw_size(const struct sl_dt *dt)
{
	size_t n = 12 * dt->ndims + 8;
	size_t step = 24 + 3 * dt->ndims, entry = 16 + 6 * dt->ndims;

	for (uint32_t t = 0; t < dt->ntrees; t++)
		n += 10 + dt->trees[t].depth * step + 10 + dt->trees[t].max_leaf * entry;
	return n;
}

/* Consecutive trees share tables while they fit: fewer maps (a program may use 64). */
void sl_tw_layout(const struct sl_dt *dt, struct sl_tw_layout *l)
{
	memset(l, 0, sizeof(*l));
	for (uint32_t t = 0; t < dt->ntrees; t++) {
		const struct sl_dt_tree *tr = &dt->trees[t];
		unsigned p = l->npacks ? l->npacks - 1 : 0;
		uint32_t leaf = sl_max(l->max_leaf[p], tr->max_leaf);

		if (!l->npacks || (size_t)(l->nnodes[p] + tr->nnodes) * 8 > SL_TW_TABLE_MAX ||
		    (size_t)(l->nlists[p] + tr->nlists) * 4 + SL_TW_LIST_PAD(leaf) >
			SL_TW_TABLE_MAX) {
			p = l->npacks++;
			l->first[p] = t;
			leaf = tr->max_leaf;
		}
		l->pack[t] = p;
		l->root[t] = l->nnodes[p];
		l->count[p]++;
		l->nnodes[p] += tr->nnodes;
		l->nlists[p] += tr->nlists;
		l->max_leaf[p] = leaf;
	}
}

unsigned sl_tw_ntables(const struct sl_dt *dt)
{
	struct sl_tw_layout l;

	sl_tw_layout(dt, &l);
	return 1 + 2 * l.npacks;
}

int sl_tw_tables(const struct sl_dt *dt, struct sl_tw_table out[SL_TW_MAX_TABLES])
{
	struct sl_tw_table *rec = &out[SL_TW_RECORDS];
	struct sl_tw_layout l;
	bool ok;

	memset(out, 0, sizeof(*out) * SL_TW_MAX_TABLES);
	if (dt->split_at)
		return -EINVAL; /* the walk reads cuts only */
	sl_tw_layout(dt, &l);
	/* A map value is never empty: at least one (zero) record. */
	rec->size = (size_t)sl_max(dt->nboxes, 1u) * dt->record_size;
	rec->data = calloc(1, rec->size);
	ok = rec->data;
	if (ok)
		memcpy(rec->data, dt->records, (size_t)dt->nboxes * dt->record_size);
	for (unsigned p = 0; p < l.npacks && ok; p++) {
		struct sl_tw_table *nodes = &out[SL_TW_NODES(p)], *lists = &out[SL_TW_LISTS(p)];
		size_t pad = SL_TW_LIST_PAD(l.max_leaf[p]);
		uint8_t *grown;

		nodes->data = sl_dt_trees_nodes_le(dt, l.first[p], l.count[p], &nodes->size);
		lists->data = sl_dt_trees_lists_le(dt, l.first[p], l.count[p], &lists->size);
		ok = nodes->data && lists->data;
		grown = ok ? realloc(lists->data, lists->size + pad) : NULL;
		if (grown) {
			memset(grown + lists->size, 0, pad);
			lists->data = grown;
			lists->size += pad;
		}
		ok = grown;
	}
	if (!ok) {
		sl_tw_tables_free(out);
		return -ENOMEM;
	}
	return 0;
}

void sl_tw_tables_free(struct sl_tw_table t[SL_TW_MAX_TABLES])
{
	for (unsigned i = 0; i < SL_TW_MAX_TABLES; i++) {
		free(t[i].data);
		t[i] = (struct sl_tw_table){0};
	}
}
