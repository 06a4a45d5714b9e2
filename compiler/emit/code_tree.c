// SPDX-License-Identifier: GPL-2.0-only
/*
 * Inline decision trees (code_tree.h). Registers:
 *   R1-R7 the keys, one per dimension (R7 is a scratch instead when a
 *         dimension is wider than 32 bits and a bound needs a register)
 *   R8    the opaque zero      R9 payload of the best box so far
 *   R0    best box so far (several trees only; 0xffffffff: none)
 *
 * A key is the field's slot value (SL_CG_ABSENT when absent, larger than
 * every bound), minus 2^31 for 32-bit fields so that every bound fits a
 * signed 32-bit immediate, plus the opaque zero. All compares are signed
 * 64-bit compares against immediates.
 *
 * Regions: the code tracks per dimension which keys can reach a node
 * ([elo, ehi] in dtree's routing domain, where ehi == 2^bits means "or
 * absent"). Children beyond the absent point cannot be reached and are
 * dropped; the last child left takes every larger key. A leaf omits the
 * tests its region implies; a test it does emit therefore is never decided
 * in advance for the verifier (see code_tree.h for why that matters).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emit/code_tree.h"
#include "common/util.h"

/* A box's match code is shared by its later copies in a tree within this many instructions
 * (a backward jump's 16-bit offset, less a margin). */
#define STUB_REACH 30000u

#define OPAQUE	SL_R8
#define PAYLOAD SL_R9
#define BEST	SL_R0

struct region {
	uint64_t lo[SL_DT_MAX_DIMS]; /* aligned start of the node's routing block */
	uint64_t elo[SL_DT_MAX_DIMS], ehi[SL_DT_MAX_DIMS]; /* keys that reach here */
};

struct run {
	uint64_t start, end; /* keys, inclusive */
	uint64_t block;	     /* start of the first member's routing block (cuts below need it) */
	uint64_t rec;
	uint64_t weight; /* members x subtree_weight(rec) */
};

/*
 * Node records already seen, open addressing on key rec + 1: an inner node's
 * subtree_weight(), a leaf's list counted by count_box_lists() (weight 0).
 */
struct weight_memo {
	uint64_t *key, *weight;
	size_t mask;
};

/* The slot holding rec, or the empty one where it goes. */
static size_t memo_slot(const struct weight_memo *m, uint64_t rec)
{
	size_t h = (size_t)((rec * 0x9e3779b97f4a7c15ull) >> 20) & m->mask;

	while (m->key[h] && m->key[h] != rec + 1)
		h = (h + 1) & m->mask;
	return h;
}

struct ct {
	struct sl_emit *e;
	const struct sl_dt *dt;
	const struct sl_dt_problem *prob;
	const struct sl_loc *box_loc;
	struct sl_loc loc; /* of the code outside leaves */
	uint8_t key[SL_DT_MAX_DIMS];
	int64_t bias[SL_DT_MAX_DIMS];
	uint64_t absent[SL_DT_MAX_DIMS]; /* 2^bits: routing key of "absent" */
	unsigned order[SL_DT_MAX_DIMS];	 /* widest dimensions first */
	uint8_t scratch;		 /* 0: no bound needs a register */
	bool multi, mask_counter;
	uint32_t tree;
	sl_label tree_done, decided, nomatch;
	size_t start, budget;
	uint64_t tree_worst, tree_sum, tree_leaves;
	/* per box: its match code in this tree (stub_tree == tree + 1), for later copies */
	sl_label *stub;
	uint32_t *stub_at, *stub_tree;
	struct weight_memo memo;
	uint32_t *box_lists; /* per box: the distinct leaf lists of its tree holding it */
};

struct test {
	/* jump when the box does NOT match: BPF_JSLT (below lo), BPF_JSGT (above hi), BPF_JNE (not
	 * lo == hi) */
	uint8_t op;
	unsigned d;
	uint64_t bound;
};

static bool is_leaf(uint64_t rec)
{
	return !(rec & 0xff);
}

static bool over_budget(struct ct *ct)
{
	if (ct->e->err)
		return true;
	if (ct->e->ninsns - ct->start > ct->budget) {
		ct->e->err = -E2BIG;
		return true;
	}
	return false;
}

/* if key(d) <op> value goto label; value in the routing domain. */
static void cmp_jump(struct ct *ct, uint8_t op, unsigned d, uint64_t value, sl_label label)
{
	int64_t c = (int64_t)value - ct->bias[d];

	if (c >= INT32_MIN && c <= INT32_MAX) {
		sl_emit_jmp_imm(ct->e, op, ct->key[d], (int32_t)c, label);
		return;
	}
	sl_emit_mov_const(ct->e, ct->scratch, (uint64_t)c);
	sl_emit_jmp_reg(ct->e, op, ct->key[d], ct->scratch, label);
}

static void reopaque(struct ct *ct, uint8_t reg)
{
	sl_emit(ct->e, SL_ALU64_REG(BPF_ADD, reg, OPAQUE));
}

/* reg = value + opaque, without linking reg to the opaque register. */
static void opaque_const(struct ct *ct, uint8_t reg, uint32_t value)
{
	sl_emit(ct->e, SL_MOV32_IMM(reg, (int32_t)value));
	reopaque(ct, reg);
}

#define WEIGHT_ONE (1u << 16)

/* A leaf's share of the traffic: each box in it spread evenly over its lists. */
static uint64_t leaf_weight(const struct ct *ct, uint64_t rec)
{
	uint32_t count = (uint32_t)((rec >> 16) & 0xffff), off = (uint32_t)(rec >> 32);
	uint64_t w = 1;

	for (uint32_t i = 0; i < count && off + (uint64_t)i < ct->dt->nlists; i++) {
		uint32_t b = ct->dt->lists[off + i];

		if (b < ct->dt->nboxes && ct->box_lists[b])
			w += WEIGHT_ONE / ct->box_lists[b];
	}
	return w;
}

/*
 * A guess at how much of the traffic reaches `rec` (ClassBench traces come
 * from the rules' boxes), which decides where searches split: per leaf
 * leaf_weight(), a shared subtree counted once per parent slot.
 */
static uint64_t subtree_weight(struct ct *ct, uint64_t rec)
{
	const struct sl_dt *dt = ct->dt;
	struct weight_memo *m = &ct->memo;
	uint32_t np, base;
	uint64_t w = 0;
	size_t h;

	if (is_leaf(rec))
		return leaf_weight(ct, rec);
	h = memo_slot(m, rec);
	if (m->key[h])
		return m->weight[h];
	np = (uint32_t)((rec >> 16) & 0xffff) + 1;
	base = (uint32_t)(rec >> 32);
	for (uint32_t i = 0; i < np && base + (uint64_t)i < dt->nnodes; i++)
		w += subtree_weight(ct, dt->nodes[base + i]);
	h = memo_slot(m, rec); /* the recursion may have filled slots */
	m->key[h] = rec + 1;
	m->weight[h] = w;
	return w;
}

/* Does any inner node below `rec` (itself included) cut dimension d? */
static bool subtree_cuts(const struct sl_dt *dt, uint64_t rec, unsigned d)
{
	uint32_t np, base;

	if (is_leaf(rec))
		return false;
	if ((rec & 0xff) - 1 == d)
		return true;
	np = (uint32_t)((rec >> 16) & 0xffff) + 1;
	base = (uint32_t)(rec >> 32);
	for (uint32_t i = 0; i < np; i++) {
		uint64_t c = dt->nodes[base + i];

		if (i && c == dt->nodes[base + i - 1])
			continue;
		if (subtree_cuts(dt, c, d))
			return true;
	}
	return false;
}

static void emit_node(struct ct *ct, uint64_t rec, const struct region *r, uint64_t path);

/* The match of box b: record it and leave the tree. */
static void emit_match(struct ct *ct, uint32_t b)
{
	opaque_const(ct, PAYLOAD, ct->prob->payload[b]);
	if (ct->multi) {
		opaque_const(ct, BEST, b);
		sl_emit_ja(ct->e, ct->tree_done);
		return;
	}
	/* No rule here counts: tell the verifier, or it follows the decided tail's counting path.
	 */
	if (ct->mask_counter)
		sl_emit(ct->e, SL_ALU64_IMM(BPF_AND, PAYLOAD, (int32_t)~2u));
	sl_emit_ja(ct->e, ct->decided);
}

/* Dimensions box b needs tested in region r (bit d: low bound, bit 16+d: high bound). */
static uint32_t box_tests(const struct ct *ct, uint32_t b, const struct region *r)
{
	const struct sl_dt_problem *p = ct->prob;
	uint32_t tests = 0;

	for (unsigned d = 0; d < p->ndims; d++) {
		size_t k = (size_t)b * p->ndims + d;

		if (!(p->need[b] & (1u << d)))
			continue;
		if (p->lo[k] > r->elo[d])
			tests |= 1u << d;
		if (p->hi[k] < r->ehi[d])
			tests |= 1u << (16 + d);
	}
	return tests;
}

/* The tests box b needs in region r, widest dimensions first. */
static unsigned box_test_list(const struct ct *ct, uint32_t b, const struct region *r,
			      struct test *t)
{
	uint32_t tests = box_tests(ct, b, r);
	unsigned n = 0;

	for (unsigned j = 0; j < ct->dt->ndims; j++) {
		unsigned d = ct->order[j];
		size_t k = (size_t)b * ct->prob->ndims + d;

		if ((tests >> d & 0x10001) == 0x10001 && ct->prob->lo[k] == ct->prob->hi[k]) {
			t[n++] = (struct test){BPF_JNE, d, ct->prob->lo[k]};
			continue;
		}
		if (tests & (1u << d))
			t[n++] = (struct test){BPF_JSLT, d, ct->prob->lo[k]};
		if (tests & (1u << (16 + d)))
			t[n++] = (struct test){BPF_JSGT, d, ct->prob->hi[k]};
	}
	return n;
}

static bool has_stub(const struct ct *ct, uint32_t b)
{
	return ct->stub_tree[b] == ct->tree + 1 && ct->e->ninsns - ct->stub_at[b] < STUB_REACH;
}

/*
 * What the verifier may know of each key where paths meet in a leaf: per
 * dimension the key ranges of the paths arriving (one interval each, in the
 * routing domain; KEY_MAX: unbounded), or "unknown" when too many. A test
 * must leave both outcomes possible on every one of them, or the verifier
 * decides it in advance and marks the key precise; where it would not, the
 * key gets the opaque zero added first (the verifier then knows nothing).
 */
#define MAX_RANGES 8
#define KEY_MAX	   UINT64_MAX

struct ranges {
	unsigned n; /* MAX_RANGES + 1: unknown */
	uint64_t lo[MAX_RANGES], hi[MAX_RANGES];
};

struct leaf_state {
	struct ranges key[SL_DT_MAX_DIMS];
};

static void ranges_set(struct ranges *r, uint64_t lo, uint64_t hi)
{
	r->n = 1;
	r->lo[0] = lo;
	r->hi[0] = hi;
}

static void ranges_add(struct ranges *r, uint64_t lo, uint64_t hi)
{
	if (r->n > MAX_RANGES)
		return;
	for (unsigned i = 0; i < r->n; i++)
		if (r->lo[i] == lo && r->hi[i] == hi)
			return;
	if (r->n == MAX_RANGES) {
		r->n = MAX_RANGES + 1;
		return;
	}
	r->lo[r->n] = lo;
	r->hi[r->n++] = hi;
}

static void ranges_union(struct ranges *r, const struct ranges *add)
{
	if (add->n > MAX_RANGES) {
		r->n = MAX_RANGES + 1;
		return;
	}
	for (unsigned i = 0; i < add->n; i++)
		ranges_add(r, add->lo[i], add->hi[i]);
}

/* Can test t go either way on every range? */
static bool undecided(const struct ranges *r, const struct test *t)
{
	if (r->n > MAX_RANGES)
		return false;
	for (unsigned i = 0; i < r->n; i++) {
		bool fail_possible, pass_possible;

		if (t->op == BPF_JNE) {
			fail_possible = r->lo[i] != r->hi[i];
			pass_possible = r->lo[i] <= t->bound && t->bound <= r->hi[i];
		} else if (t->op == BPF_JSLT) {
			fail_possible = r->lo[i] < t->bound;
			pass_possible = r->hi[i] >= t->bound;
		} else {
			fail_possible = r->hi[i] > t->bound;
			pass_possible = r->lo[i] <= t->bound;
		}

		if (!fail_possible || !pass_possible)
			return false;
	}
	return true;
}

/* Keep the part of each range on the given side of test t (fail: the test jumps). */
static void ranges_split(struct ranges *r, const struct test *t, bool fail)
{
	for (unsigned i = 0; i < r->n && r->n <= MAX_RANGES; i++) {
		if (t->op == BPF_JNE && !fail) {
			r->lo[i] = r->hi[i] = t->bound;
		} else if (t->op == BPF_JNE) { /* no holes: only a bound moves */
			r->lo[i] += r->lo[i] == t->bound;
			r->hi[i] -= r->hi[i] == t->bound;
		} else if (t->op == BPF_JSLT && fail)
			r->hi[i] = t->bound - 1;
		else if (t->op == BPF_JSLT)
			r->lo[i] = sl_max(r->lo[i], t->bound);
		else if (fail)
			r->lo[i] = t->bound + 1;
		else
			r->hi[i] = sl_min(r->hi[i], t->bound);
	}
}

/*
 * Which keys box b's tests t[0..n) need re-opaqued, given the ranges at its
 * start; `next` gets the ranges of the paths that leave it through a failed
 * test (and so reach the next box).
 */
static uint32_t plan_box(const struct ct *ct, const struct leaf_state *at, const struct test *t,
			 unsigned n, struct leaf_state *next)
{
	uint32_t reop = 0;
	struct leaf_state cur;
	bool again = true;

	while (again) {
		again = false;
		cur = *at;
		for (unsigned d = 0; d < ct->dt->ndims; d++) {
			if (reop & (1u << d))
				ranges_set(&cur.key[d], 0, KEY_MAX);
			next->key[d].n = 0;
		}
		for (unsigned i = 0; i < n && !again; i++) {
			struct ranges fail;

			if (!undecided(&cur.key[t[i].d], &t[i])) {
				/* A fresh unknown key leaves every test of a box open: no second
				 * round. */
				again = !(reop & (1u << t[i].d));
				reop |= 1u << t[i].d;
				break;
			}
			for (unsigned d = 0; d < ct->dt->ndims; d++) {
				if (d != t[i].d) {
					ranges_union(&next->key[d], &cur.key[d]);
					continue;
				}
				fail = cur.key[d];
				ranges_split(&fail, &t[i], true);
				ranges_union(&next->key[d], &fail);
			}
			ranges_split(&cur.key[t[i].d], &t[i], false);
		}
	}
	return reop;
}

/*
 * Box b of a leaf: its tests, then its match code, or (when an earlier copy
 * of the box in this tree has it within reach) the last test inverted to
 * jump there. Falls through to the next box when b does not match; *st goes
 * from the ranges at the box's start to those at the next box's. The last
 * box's failed tests go straight to `out`, not through a jump there.
 */
static void emit_box(struct ct *ct, uint32_t b, const struct region *r, struct leaf_state *st,
		     sl_label out, bool last)
{
	struct test t[2 * SL_DT_MAX_DIMS];
	unsigned n = box_test_list(ct, b, r, t);
	bool shared = has_stub(ct, b);
	sl_label next = last ? out : sl_emit_new_label(ct->e);
	struct leaf_state after;
	uint32_t reop = plan_box(ct, st, t, n, &after);

	*st = after;
	if (ct->box_loc)
		sl_emit_set_loc(ct->e, ct->box_loc[b]);
	sl_emit_safe_point(ct->e);
	/* Boxes are ascending: none left can win. (The tree's first box passed the tree's check.)
	 */
	if (ct->multi && ct->tree > 0 && b > ct->dt->trees[ct->tree].min_box)
		sl_emit_jmp_imm(ct->e, BPF_JLE, BEST, (int32_t)b, out);
	for (unsigned d = 0; d < ct->dt->ndims; d++)
		if (reop & (1u << d))
			reopaque(ct, ct->key[d]);
	for (unsigned i = 0; i < n; i++) {
		if (!shared || i + 1 < n)
			cmp_jump(ct, t[i].op, t[i].d, t[i].bound, next);
		else /* the last test, inverted: on a match go to the shared match code */
			cmp_jump(ct,
				 t[i].op == BPF_JSLT   ? BPF_JSGE
				 : t[i].op == BPF_JSGT ? BPF_JSLE
						       : BPF_JEQ,
				 t[i].d, t[i].bound, ct->stub[b]);
	}
	if (shared && !n)
		sl_emit_ja(ct->e, ct->stub[b]);
	if (!shared) {
		ct->stub[b] = sl_emit_new_label(ct->e);
		ct->stub_at[b] = (uint32_t)ct->e->ninsns;
		ct->stub_tree[b] = ct->tree + 1;
		sl_emit_bind(ct->e, ct->stub[b]);
		emit_match(ct, b);
	}
	if (!last)
		sl_emit_bind(ct->e, next);
}

static void emit_leaf(struct ct *ct, uint64_t rec, const struct region *r, uint64_t path)
{
	uint32_t count = (uint32_t)((rec >> 16) & 0xffff), off = (uint32_t)(rec >> 32);
	struct leaf_state st;
	size_t at = ct->e->ninsns;
	sl_label out = ct->multi ? ct->tree_done : ct->nomatch;

	for (unsigned d = 0; d < ct->dt->ndims; d++)
		ranges_set(&st.key[d], r->elo[d], r->ehi[d] >= ct->absent[d] ? KEY_MAX : r->ehi[d]);
	for (uint32_t i = 0; i < count && !over_budget(ct); i++) {
		uint32_t b = ct->dt->lists[off + i];

		if (b >= ct->dt->nboxes) {
			ct->e->err = ct->e->err ? ct->e->err : -EINVAL;
			return;
		}
		emit_box(ct, b, r, &st, out, i + 1 == count);
		if (ct->e->unreachable) /* the box covers the region: nothing after it can be
					   reached */
			break;
	}
	if (!ct->e->unreachable)
		sl_emit_ja(ct->e, out);
	sl_emit_set_loc(ct->e, ct->loc);
	/* (+ a shared match code elsewhere) */
	ct->tree_worst = sl_max(ct->tree_worst, path + (ct->e->ninsns - at) + 6);
	ct->tree_sum += path + (ct->e->ninsns - at);
	ct->tree_leaves++;
}

/* Binary search over runs[lo, hi) of an inner node cutting dimension d. */
/*
 * Binary search over runs[lo, hi) of an inner node cutting dimension d. It
 * splits at the weighted median and lays out the heavier half first: the
 * expected path is shorter and its branches fall through more often (a taken
 * branch costs the CPU more than one that is not).
 */
static void emit_search(struct ct *ct, const struct run *runs, uint32_t lo, uint32_t hi,
			const struct region *r, unsigned d, uint64_t path)
{
	uint64_t total = 0, left = 0, best_diff = UINT64_MAX, left_at_mid = 0;
	uint32_t mid = lo + 1;
	sl_label other;

	if (over_budget(ct))
		return;
	if (hi - lo == 1) {
		struct region child = *r;

		child.lo[d] = runs[lo].block;
		child.elo[d] = runs[lo].start;
		child.ehi[d] = runs[lo].end;
		emit_node(ct, runs[lo].rec, &child, path);
		return;
	}
	for (uint32_t i = lo; i < hi; i++)
		total += runs[i].weight;
	for (uint32_t i = lo + 1; i < hi; i++) {
		uint64_t diff;

		left += runs[i - 1].weight;
		diff = left > total - left ? left - (total - left) : (total - left) - left;
		if (diff < best_diff) {
			best_diff = diff;
			mid = i;
			left_at_mid = left;
		}
	}
	other = sl_emit_new_label(ct->e);
	sl_emit_safe_point(ct->e);
	if (left_at_mid >= total - left_at_mid) {
		cmp_jump(ct, BPF_JSGT, d, runs[mid].start - 1, other);
		emit_search(ct, runs, lo, mid, r, d, path + 1);
		sl_emit_bind(ct->e, other);
		emit_search(ct, runs, mid, hi, r, d, path + 1);
	} else {
		cmp_jump(ct, BPF_JSLE, d, runs[mid].start - 1, other);
		emit_search(ct, runs, mid, hi, r, d, path + 1);
		sl_emit_bind(ct->e, other);
		emit_search(ct, runs, lo, mid, r, d, path + 1);
	}
}

/* A binary split (dtree.h): the children's key ranges that can be reached, as runs. */
static uint32_t split_runs(struct ct *ct, uint64_t rec, const struct region *r, struct run runs[2])
{
	const struct sl_dt *dt = ct->dt;
	unsigned d = (unsigned)(rec & 0xff) - 1;
	uint32_t base = (uint32_t)(rec >> 32), n = 0;
	uint64_t at = dt->split_at[base];

	if (r->elo[d] < at)
		runs[n++] = (struct run){.start = r->elo[d],
					 .end = sl_min(r->ehi[d], at - 1),
					 .block = r->lo[d],
					 .rec = dt->nodes[base]};
	if (r->ehi[d] >= at)
		runs[n++] = (struct run){.start = sl_max(r->elo[d], at),
					 .end = r->ehi[d],
					 .block = r->lo[d],
					 .rec = dt->nodes[base + 1]};
	for (uint32_t i = 0; i < n; i++)
		runs[i].weight = subtree_weight(ct, runs[i].rec);
	return n;
}

static void emit_inner(struct ct *ct, uint64_t rec, const struct region *r, uint64_t path)
{
	const struct sl_dt *dt = ct->dt;
	unsigned d = (unsigned)(rec & 0xff) - 1, shift = (unsigned)(rec >> 8) & 0xff;
	uint32_t np = (uint32_t)((rec >> 16) & 0xffff) + 1, base = (uint32_t)(rec >> 32), n = 0;
	_cleanup_free_ struct run *runs = NULL;

	if (shift == SL_DT_SPLIT_SHIFT && dt->split_at && d < dt->ndims &&
	    base + (uint64_t)2 <= dt->nnodes) {
		struct run two[2];

		n = split_runs(ct, rec, r, two);
		if (n)
			emit_search(ct, two, 0, n, r, d, path);
		else /* cannot happen: the region lies inside the node's */
			sl_emit_ja(ct->e, ct->multi ? ct->tree_done : ct->nomatch);
		return;
	}
	if (d >= dt->ndims || base + (uint64_t)np > dt->nnodes || shift >= 64) {
		ct->e->err = ct->e->err ? ct->e->err : -EINVAL;
		return;
	}
	runs = malloc(np * sizeof(*runs));
	if (!runs) {
		ct->e->err = ct->e->err ? ct->e->err : -ENOMEM;
		return;
	}
	for (uint32_t i = 0; i < np; i++) {
		uint64_t cs = r->lo[d] + ((uint64_t)i << shift),
			 ce = cs + ((UINT64_C(1) << shift) - 1);
		uint64_t c = dt->nodes[base + i];

		if (ce < r->elo[d] || cs > r->ehi[d])
			continue;
		cs = sl_max(cs, r->elo[d]);
		ce = sl_min(ce, r->ehi[d]);
		/* Identical children share code unless their subtree cuts d (bounds differ). */
		if (n && runs[n - 1].rec == c && runs[n - 1].end + 1 == cs &&
		    !subtree_cuts(dt, c, d)) {
			runs[n - 1].end = ce;
			runs[n - 1].weight += subtree_weight(ct, c);
			continue;
		}
		runs[n++] = (struct run){.start = cs,
					 .end = ce,
					 .block = r->lo[d] + ((uint64_t)i << shift),
					 .rec = c,
					 .weight = subtree_weight(ct, c)};
	}
	if (!n) { /* cannot happen: the region lies inside the node's block */
		sl_emit_ja(ct->e, ct->multi ? ct->tree_done : ct->nomatch);
		return;
	}
	emit_search(ct, runs, 0, n, r, d, path);
}

static void emit_node(struct ct *ct, uint64_t rec, const struct region *r, uint64_t path)
{
	if (over_budget(ct))
		return;
	if (is_leaf(rec))
		emit_leaf(ct, rec, r, path);
	else
		emit_inner(ct, rec, r, path);
}

/* Keys into registers: value (the smallest of several slots), bias, + opaque. */
static void emit_keys(struct ct *ct, const struct sl_tw_input *in)
{
	struct sl_emit *e = ct->e;

	/* A difference of two pointers: any 64-bit number to the (privileged) verifier. */
	sl_emit(e, SL_MOV64_REG(OPAQUE, SL_FP));
	sl_emit(e, SL_ALU64_REG(BPF_SUB, OPAQUE, SL_FP));
	for (unsigned d = 0; d < ct->dt->ndims; d++) {
		uint8_t k = ct->key[d];

		sl_emit(e, SL_LDX(BPF_DW, k, SL_FP, in->value_off[d][0]));
		/* k = min(k, slot) without a branch: R0 = slot - k; k += R0 & (R0 s>> 63) */
		for (unsigned s = 1; s < in->nslots[d]; s++) {
			sl_emit(e, SL_LDX(BPF_DW, SL_R0, SL_FP, in->value_off[d][s]));
			sl_emit(e, SL_ALU64_REG(BPF_SUB, SL_R0, k));
			sl_emit(e, SL_MOV64_REG(PAYLOAD, SL_R0));
			sl_emit(e, SL_ALU64_IMM(BPF_ARSH, PAYLOAD, 63));
			sl_emit(e, SL_ALU64_REG(BPF_AND, SL_R0, PAYLOAD));
			sl_emit(e, SL_ALU64_REG(BPF_ADD, k, SL_R0));
		}
		if (ct->bias[d])
			sl_emit(e, SL_ALU64_IMM(BPF_ADD, k, (int32_t)-ct->bias[d]));
		reopaque(ct, k);
	}
	opaque_const(ct, PAYLOAD, 0);
	if (ct->multi)
		opaque_const(ct, BEST, UINT32_MAX);
}

/* ct->box_lists for the boxes of tree t (each box is in one tree). */
static void count_box_lists(struct ct *ct, uint32_t t)
{
	const struct sl_dt *dt = ct->dt;
	const struct sl_dt_tree *tr = &dt->trees[t];
	struct weight_memo *m = &ct->memo;

	for (uint64_t n = tr->node_first;
	     n < (uint64_t)tr->node_first + tr->nnodes && n < dt->nnodes; n++) {
		uint64_t rec = dt->nodes[n];
		uint32_t count = (uint32_t)((rec >> 16) & 0xffff), off = (uint32_t)(rec >> 32);
		size_t h;

		if (!is_leaf(rec))
			continue;
		h = memo_slot(m, rec);
		if (m->key[h])
			continue; /* a list seen before (lists are shared within a tree) */
		m->key[h] = rec + 1;
		for (uint32_t i = 0; i < count && off + (uint64_t)i < dt->nlists; i++)
			if (dt->lists[off + i] < dt->nboxes)
				ct->box_lists[dt->lists[off + i]]++;
	}
}

static void emit_tree(struct ct *ct, uint32_t t)
{
	const struct sl_dt *dt = ct->dt;
	struct region root;
	uint64_t entry = 0;

	ct->tree = t;
	ct->tree_done = sl_emit_new_label(ct->e);
	if (t > 0) {
		/* Whatever the last tree's compares taught the verifier, forget it. */
		reopaque(ct, BEST);
		sl_emit_jmp_imm(ct->e, BPF_JLE, BEST, (int32_t)dt->trees[t].min_box, ct->tree_done);
		for (unsigned d = 0; d < dt->ndims; d++)
			reopaque(ct, ct->key[d]);
		entry = dt->ndims + 2;
	}
	for (unsigned d = 0; d < dt->ndims; d++) {
		root.lo[d] = 0;
		root.elo[d] = 0;
		root.ehi[d] = ct->absent[d];
	}
	ct->tree_worst = ct->tree_sum = ct->tree_leaves = 0;
	count_box_lists(ct, t);
	emit_node(ct, dt->nodes[dt->trees[t].root], &root, entry);
	sl_emit_bind(ct->e, ct->tree_done);
	sl_emit_safe_point(ct->e);
}

static int setup(struct ct *ct, const struct sl_dt *dt, const struct sl_dt_problem *prob,
		 const struct sl_ct_input *in)
{
	static const uint8_t regs[] = {SL_R1, SL_R2, SL_R3, SL_R4, SL_R5, SL_R6, SL_R7};
	unsigned nregs = SL_ARRAY_SIZE(regs);

	if (dt->ndims != prob->ndims || dt->nboxes != prob->nboxes || dt->nboxes >= INT32_MAX ||
	    !dt->ntrees || dt->ntrees > SL_DT_MAX_TREES)
		return -EINVAL;
	for (unsigned d = 0; d < dt->ndims; d++) {
		if (dt->bits[d] > 32 && !ct->scratch) {
			ct->scratch = SL_R7;
			nregs--;
		}
		if (!in->slots->nslots[d] || in->slots->nslots[d] > SL_TW_MAX_SLOTS)
			return -EINVAL;
	}
	if (dt->ndims > nregs)
		return -E2BIG;
	for (unsigned d = 0; d < dt->ndims; d++) {
		ct->key[d] = regs[d];
		ct->bias[d] = dt->bits[d] == 32 ? INT64_C(1) << 31 : 0;
		ct->absent[d] = UINT64_C(1) << dt->bits[d];
	}
	/* Widest fields first: addresses tell boxes apart better than protocols. */
	for (unsigned j = 0; j < dt->ndims; j++) {
		unsigned k = j;

		for (; k > 0 && dt->bits[ct->order[k - 1]] < dt->bits[j]; k--)
			ct->order[k] = ct->order[k - 1];
		ct->order[k] = j;
	}
	ct->multi = dt->ntrees > 1 || in->leave_best;
	ct->mask_counter = !in->counters;
	return 0;
}

void sl_ct_emit(struct sl_emit *e, const struct sl_dt *dt, const struct sl_dt_problem *prob,
		const struct sl_ct_input *in, sl_label decided, sl_label nomatch, size_t budget,
		struct sl_ct_cost *cost)
{
	struct ct ct = {.e = e,
			.dt = dt,
			.prob = prob,
			.box_loc = in->box_loc,
			.loc = e->loc,
			.decided = decided,
			.nomatch = nomatch,
			.start = e->ninsns,
			.budget = budget};
	uint64_t worst;
	double mean;
	int err = setup(&ct, dt, prob, in);

	if (!err) {
		ct.stub = calloc(dt->nboxes + 1, sizeof(*ct.stub));
		ct.stub_at = calloc(dt->nboxes + 1, sizeof(*ct.stub_at));
		ct.stub_tree = calloc(dt->nboxes + 1, sizeof(*ct.stub_tree));
		ct.memo.mask = 1;
		while (ct.memo.mask < 2 * (size_t)dt->nnodes + 16)
			ct.memo.mask <<= 1;
		ct.memo.key = calloc(ct.memo.mask, sizeof(*ct.memo.key));
		ct.memo.weight = calloc(ct.memo.mask, sizeof(*ct.memo.weight));
		ct.memo.mask--;
		ct.box_lists = calloc(dt->nboxes + 1, sizeof(*ct.box_lists));
		if (!ct.stub || !ct.stub_at || !ct.stub_tree || !ct.memo.key || !ct.memo.weight ||
		    !ct.box_lists)
			err = -ENOMEM;
	}
	if (err) {
		e->err = e->err ? e->err : err;
		goto out;
	}
	emit_keys(&ct, in->slots);
	worst = e->ninsns - ct.start;
	mean = (double)worst;
	for (uint32_t t = 0; t < dt->ntrees && !over_budget(&ct); t++) {
		emit_tree(&ct, t);
		worst += ct.tree_worst;
		mean += ct.tree_leaves ? (double)ct.tree_sum / (double)ct.tree_leaves : 0;
	}
	if (ct.multi && !in->leave_best) {
		sl_emit_jmp_imm(e, BPF_JGE, BEST, (int32_t)dt->nboxes, nomatch);
		if (ct.mask_counter)
			sl_emit(e, SL_ALU64_IMM(BPF_AND, PAYLOAD, (int32_t)~2u));
		sl_emit_ja(e, decided);
		worst += 3;
		mean += 3;
	}
	over_budget(&ct);
	if (cost)
		*cost = (struct sl_ct_cost){
		    .insns = e->ninsns - ct.start, .worst = worst, .mean = mean};
out:
	free(ct.stub);
	free(ct.stub_at);
	free(ct.stub_tree);
	free(ct.memo.key);
	free(ct.memo.weight);
	free(ct.box_lists);
}

int sl_ct_measure(const struct sl_dt *dt, const struct sl_dt_problem *prob,
		  const struct sl_ct_input *in, size_t budget, struct sl_ct_cost *cost)
{
	struct sl_emit e;
	sl_label decided, nomatch;
	int err;

	sl_emit_init(&e);
	decided = sl_emit_new_label(&e);
	nomatch = sl_emit_new_label(&e);
	sl_ct_emit(&e, dt, prob, in, decided, nomatch, budget, cost);
	sl_emit_bind(&e, decided);
	sl_emit_bind(&e, nomatch);
	sl_emit(&e, SL_EXIT());
	err = e.err;
	sl_emit_fini(&e);
	return err;
}
