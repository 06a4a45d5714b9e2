// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decision-tree construction. A node owns a region (per dimension an aligned
 * power-of-two range of the routing domain) and the boxes that overlap it, in
 * priority order. It becomes a leaf when few boxes are left; otherwise it cuts
 * one dimension into 2^m equal parts (HiCuts), choosing the dimension and m
 * that shrink the largest child most while the children together hold at most
 * spfac * n boxes. Boxes behind one that covers the whole region can never
 * win there and are dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "select/dtree.h"
#include "common/util.h"

struct region {
	uint64_t lo[SL_DT_MAX_DIMS], hi[SL_DT_MAX_DIMS];
	unsigned log2[SL_DT_MAX_DIMS]; /* cuts: the size is 2^log2 (up to 64), lo aligned */
};

struct list_memo {
	uint64_t *keys; /* hash << 32 | slot + 1, 0 = empty */
	uint32_t *off, *len;
	size_t cap, used;
};

struct builder {
	const struct sl_dt_params *par;
	unsigned ndims;
	uint32_t nboxes;
	uint64_t *lo, *hi; /* routing-domain boxes, nboxes * ndims */
	unsigned dom_log2[SL_DT_MAX_DIMS];

	uint64_t *nodes;
	size_t nnodes, nodes_cap;
	uint64_t *split_at; /* par->splits: per node, the split point of the pair it starts */
	size_t split_cap;
	uint32_t *lists;
	size_t nlists, lists_cap;
	struct list_memo memo;

	struct sl_dt_tree *tree; /* being built */
	struct sl_dt_stats stats;
	uint32_t *diff; /* SL_DT_MAX_CUTS + 1 counters for evaluating cuts */
	uint64_t *ends; /* 3 * ends_cap: a node's box edges on one dimension (lo, hi), sort space */
	size_t ends_cap;
};

static inline uint64_t region_hi(const struct region *r, unsigned d)
{
	return r->hi[d];
}

static inline const uint64_t *box_lo(const struct builder *b, uint32_t box)
{
	return &b->lo[(size_t)box * b->ndims];
}

static inline const uint64_t *box_hi(const struct builder *b, uint32_t box)
{
	return &b->hi[(size_t)box * b->ndims];
}

static bool box_covers(const struct builder *b, uint32_t box, const struct region *r)
{
	const uint64_t *lo = box_lo(b, box), *hi = box_hi(b, box);

	for (unsigned d = 0; d < b->ndims; d++)
		if (lo[d] > r->lo[d] || hi[d] < region_hi(r, d))
			return false;
	return true;
}

/* Within region r, does every packet box y matches also match box x? */
static bool box_shadows(const struct builder *b, uint32_t x, uint32_t y, const struct region *r)
{
	const uint64_t *xlo = box_lo(b, x), *xhi = box_hi(b, x);
	const uint64_t *ylo = box_lo(b, y), *yhi = box_hi(b, y);

	for (unsigned d = 0; d < b->ndims; d++) {
		uint64_t lo = sl_max(ylo[d], r->lo[d]), hi = sl_min(yhi[d], region_hi(r, d));

		if (xlo[d] > lo || xhi[d] < hi)
			return false;
	}
	return true;
}

static int push_node(struct builder *b, size_t n, size_t *first)
{
	if (b->nnodes + n > UINT32_MAX ||
	    (b->nnodes + n - b->tree->node_first) * 8 > b->par->max_bytes)
		return -E2BIG;
	if (sl_grow((void **)&b->nodes, &b->nodes_cap, b->nnodes + n, sizeof(*b->nodes)))
		return -ENOMEM;
	memset(&b->nodes[b->nnodes], 0, n * sizeof(*b->nodes));
	if (b->par->splits) {
		if (sl_grow((void **)&b->split_at, &b->split_cap, b->nnodes + n,
			    sizeof(*b->split_at)))
			return -ENOMEM;
		memset(&b->split_at[b->nnodes], 0, n * sizeof(*b->split_at));
	}
	*first = b->nnodes;
	b->nnodes += n;
	return 0;
}

static uint64_t hash_list(const uint32_t *list, uint32_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ n;

	for (uint32_t i = 0; i < n; i++) {
		h ^= list[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int memo_grow(struct list_memo *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	uint32_t *off = calloc(cap, sizeof(*off));
	uint32_t *len = calloc(cap, sizeof(*len));

	if (!keys || !off || !len) {
		free(keys);
		free(off);
		free(len);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		for (j = m->keys[i] & (cap - 1); keys[j]; j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		off[j] = m->off[i];
		len[j] = m->len[i];
	}
	free(m->keys);
	free(m->off);
	free(m->len);
	m->keys = keys;
	m->off = off;
	m->len = len;
	m->cap = cap;
	return 0;
}

/* Offset of an identical list already emitted, or append it. */
static int emit_list(struct builder *b, const uint32_t *list, uint32_t n, uint32_t *off)
{
	struct list_memo *m = &b->memo;
	uint64_t key = hash_list(list, n) | 1;
	size_t j;
	int r;

	if ((m->used + 1) * 2 > m->cap) {
		r = memo_grow(m);
		if (r)
			return r;
	}
	for (j = key & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1)) {
		if (m->keys[j] == key && m->len[j] == n &&
		    !memcmp(&b->lists[m->off[j]], list, n * sizeof(*list))) {
			*off = m->off[j];
			return 0;
		}
	}
	if ((b->nlists + n - b->tree->list_first) * 4 > b->par->max_bytes ||
	    b->nlists + n > UINT32_MAX)
		return -E2BIG;
	if (sl_grow((void **)&b->lists, &b->lists_cap, b->nlists + n + 1, sizeof(*b->lists)))
		return -ENOMEM;
	memcpy(&b->lists[b->nlists], list, n * sizeof(*list));
	m->keys[j] = key;
	m->off[j] = b->nlists;
	m->len[j] = n;
	m->used++;
	*off = b->nlists;
	b->nlists += n;
	return 0;
}

/* Drop boxes that cannot win within the region: those behind a covering box, and
 * (for short lists) those entirely shadowed by one earlier box. */
static uint32_t prune(const struct builder *b, const struct region *r, uint32_t *list, uint32_t n)
{
	uint32_t out = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (box_covers(b, list[i], r))
			return i + 1;
	}
	if (n > 4 * b->par->binth + 16)
		return n;
	for (uint32_t i = 0; i < n; i++) {
		bool shadowed = false;

		for (uint32_t j = 0; j < out && !shadowed; j++)
			shadowed = box_shadows(b, list[j], list[i], r);
		if (!shadowed)
			list[out++] = list[i];
	}
	return out;
}

static int make_leaf(struct builder *b, size_t slot, const uint32_t *list, uint32_t n)
{
	uint32_t off = (uint32_t)b->nlists; /* an empty list's offset is in its tree's range too */
	int r;

	if (n > b->par->max_leaf || n > 0xffff)
		return -E2BIG;
	if (n) {
		r = emit_list(b, list, n, &off);
		if (r)
			return r;
	}
	b->nodes[slot] = (uint64_t)off << 32 | (uint64_t)n << 16;
	b->stats.leaves++;
	b->stats.list_entries += n;
	if (n > b->tree->max_leaf)
		b->tree->max_leaf = n;
	return 0;
}

struct cut {
	unsigned dim, m;
	uint64_t max_child, sum;
};

/* Child range [first, last] of a box clipped to the region, for a cut into 2^m parts. */
static inline void child_range(const struct builder *b, uint32_t box, const struct region *r,
			       unsigned d, unsigned m, uint64_t *first, uint64_t *last)
{
	unsigned shift = r->log2[d] - m;
	uint64_t lo = sl_max(box_lo(b, box)[d], r->lo[d]) - r->lo[d];
	uint64_t hi = sl_min(box_hi(b, box)[d], region_hi(r, d)) - r->lo[d];

	*first = lo >> shift;
	*last = hi >> shift;
}

/*
 * Figures of a cut into 2^m parts on dimension d, from the boxes' edges
 * there as offsets from the region's start (gather_edges): counters of
 * boxes entering and leaving each child.
 */
static void eval_cut(const struct region *r, const uint64_t *los, const uint64_t *his, uint32_t n,
		     unsigned d, unsigned m, uint32_t *diff, struct cut *c)
{
	unsigned shift = r->log2[d] - m;
	uint64_t np = UINT64_C(1) << m, sum = 0;
	int64_t run = 0, best = 0;

	memset(diff, 0, (np + 1) * sizeof(*diff));
	for (uint32_t i = 0; i < n; i++) {
		uint64_t first = los[i] >> shift, last = his[i] >> shift;

		sum += last - first + 1;
		diff[first]++;
		diff[last + 1]--;
	}
	for (uint64_t i = 0; i < np; i++) {
		run += (int32_t)diff[i];
		if (run > best)
			best = run;
	}
	*c = (struct cut){.dim = d, .m = m, .max_child = best, .sum = sum};
}

/*
 * The boxes' edges on dimension d clipped to the region, as offsets from its
 * start, of the boxes that do not span the region there: *nfull counts those
 * (each is in every child of any cut on d, which eval_cut adds without a
 * scan; deep in a tree most boxes span a dimension). *npart edges are stored.
 */
static int gather_edges(struct builder *b, const struct region *r, const uint32_t *list, uint32_t n,
			unsigned d, uint64_t **los, uint64_t **his, uint32_t *npart,
			uint32_t *nfull)
{
	uint64_t last = region_hi(r, d) - r->lo[d];
	uint32_t k = 0;

	if (n > b->ends_cap) {
		uint64_t *e = realloc(b->ends, 3 * (size_t)n * sizeof(*e));

		if (!e)
			return -ENOMEM;
		b->ends = e;
		b->ends_cap = n;
	}
	*los = b->ends;
	*his = b->ends + b->ends_cap;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t lo = sl_max(box_lo(b, list[i])[d], r->lo[d]) - r->lo[d];
		uint64_t hi = sl_min(box_hi(b, list[i])[d], region_hi(r, d)) - r->lo[d];

		(*los)[k] = lo;
		(*his)[k] = hi;
		k += lo != 0 || hi != last;
	}
	*npart = k;
	*nfull = n - k;
	return 0;
}

/* Ascending, by bytes from the lowest (LSD radix; insertion sort when short). */
static void sort_edges(uint64_t *v, uint64_t *tmp, uint32_t n)
{
	uint64_t all = 0;

	if (n < 64) {
		for (uint32_t i = 1; i < n; i++) {
			uint64_t x = v[i];
			uint32_t j = i;

			for (; j && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		all |= v[i];
	for (unsigned shift = 0; shift < 64 && all >> shift; shift += 8) {
		uint32_t count[257] = {0};

		for (uint32_t i = 0; i < n; i++)
			count[((v[i] >> shift) & 0xff) + 1]++;
		if (count[((v[0] >> shift) & 0xff) + 1] == n)
			continue; /* one value of this byte: the order stays */
		for (unsigned k = 1; k <= 256; k++)
			count[k] += count[k - 1];
		for (uint32_t i = 0; i < n; i++)
			tmp[count[(v[i] >> shift) & 0xff]++] = v[i];
		memcpy(v, tmp, n * sizeof(*v));
	}
}

/*
 * eval_cut's figures from the sorted edges, in O(n) whatever 2^m: the most
 * boxes in one child is the count of boxes started minus those ended at
 * some box's first child (where the count can grow), and shifting keeps
 * the edges sorted.
 */
static void eval_cut_sorted(const struct region *r, const uint64_t *los, const uint64_t *his,
			    uint32_t n, unsigned d, unsigned m, struct cut *c)
{
	unsigned shift = r->log2[d] - m;
	uint64_t sum = 0, best = 0;
	uint32_t j = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t first = los[i] >> shift;

		sum += (his[i] >> shift) - first + 1;
		if (i + 1 < n && los[i + 1] >> shift == first)
			continue;
		while (j < n && his[j] >> shift < first)
			j++;
		if (i + 1 - j > best)
			best = i + 1 - j;
	}
	*c = (struct cut){.dim = d, .m = m, .max_child = best, .sum = sum};
}

/* Best cut over all dimensions, or max_child == n when nothing helps. */
static int choose_cut(struct builder *b, const struct region *r, const uint32_t *list, uint32_t n,
		      struct cut *best)
{
	uint32_t *diff = b->diff;
	double budget = b->tree->spfac * n;

	*best = (struct cut){.max_child = n, .sum = UINT64_MAX};
	for (unsigned d = 0; d < b->ndims; d++) {
		unsigned mmax = sl_min(r->log2[d], 16u);
		struct cut keep = {.max_child = UINT64_MAX};
		bool sorted = false;
		uint64_t *los, *his;
		uint32_t np, nfull;
		int err;

		if (!mmax)
			continue; /* nothing to cut: keep would not win */
		err = gather_edges(b, r, list, n, d, &los, &his, &np, &nfull);
		if (err)
			return err;
		for (unsigned m = 1; m <= mmax; m++) {
			struct cut c;

			/* counters cost 2^m: past a few per box, sorted edges are cheaper */
			if ((UINT64_C(1) << m) > 4 * (uint64_t)np && !sorted) {
				sort_edges(los, his + b->ends_cap, np);
				sort_edges(his, his + b->ends_cap, np);
				sorted = true;
			}
			if (sorted)
				eval_cut_sorted(r, los, his, np, d, m, &c);
			else
				eval_cut(r, los, his, np, d, m, diff, &c);
			/* the spanning boxes: one more in every child */
			c.max_child += nfull;
			c.sum += (uint64_t)nfull << m;
			/* Over budget: stop, unless nothing was split yet (one long leaf costs
			 * more). */
			if (m > 1 && (double)(c.sum + (UINT64_C(1) << m)) > budget &&
			    (keep.max_child < n || m > 8))
				break;
			keep = c;
			if (c.max_child <= 1)
				break;
		}
		if (keep.max_child < best->max_child ||
		    (keep.max_child == best->max_child && keep.sum < best->sum))
			*best = keep;
	}
	return 0;
}

static int build_node(struct builder *b, size_t slot, const struct region *r, uint32_t *list,
		      uint32_t n, unsigned depth);
static int build_split_node(struct builder *b, size_t slot, const struct region *r, uint32_t *list,
			    uint32_t n, unsigned depth);

/* Do children i-1 and i see the same boxes, each spanning both entirely on the cut dimension?
 * Then no cut below ever looks at that dimension's bits and they can share one subtree. */
static bool same_subtree(const struct builder *b, const struct region *prev,
			 const struct region *cur, unsigned d, const uint32_t *plist, uint32_t pn,
			 const uint32_t *list, uint32_t n)
{
	if (pn != n || memcmp(plist, list, n * sizeof(*list)))
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (box_lo(b, list[i])[d] > prev->lo[d] ||
		    box_hi(b, list[i])[d] < region_hi(cur, d))
			return false;
	return true;
}

static int build_children(struct builder *b, size_t slot, const struct region *r,
			  const uint32_t *list, uint32_t n, const struct cut *c, unsigned depth)
{
	unsigned d = c->dim, m = c->m, shift = r->log2[d] - m;
	size_t np = (size_t)1 << m, base;
	_cleanup_free_ uint32_t *start = calloc(np + 1, sizeof(*start));
	_cleanup_free_ uint32_t *fill = calloc(np, sizeof(*fill));
	_cleanup_free_ uint32_t *flat = malloc((c->sum + 1) * sizeof(*flat));
	struct region prev_region = *r;
	int err;

	if (!start || !fill || !flat)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t first, last;

		child_range(b, list[i], r, d, m, &first, &last);
		start[first + 1]++;
		if (last + 1 < np)
			start[last + 2]--;
	}
	/* start[] holds differences of counts: integrate twice into offsets. */
	for (size_t i = 1; i <= np; i++)
		start[i] += start[i - 1];
	for (size_t i = 1; i <= np; i++)
		start[i] += start[i - 1];
	for (uint32_t i = 0; i < n; i++) {
		uint64_t first, last;

		child_range(b, list[i], r, d, m, &first, &last);
		for (uint64_t k = first; k <= last; k++)
			flat[start[k] + fill[k]++] = list[i];
	}

	err = push_node(b, np, &base);
	if (err)
		return err;
	b->nodes[slot] =
	    (uint64_t)base << 32 | (uint64_t)(np - 1) << 16 | (uint64_t)shift << 8 | (d + 1);
	b->stats.inner_nodes++;

	for (size_t i = 0; i < np; i++) {
		struct region child = *r;
		uint32_t *clist = &flat[start[i]], cn = start[i + 1] - start[i];

		child.log2[d] = shift;
		child.lo[d] = r->lo[d] + ((uint64_t)i << shift);
		child.hi[d] = child.lo[d] + ((UINT64_C(1) << shift) - 1);
		if (i > 0 && same_subtree(b, &prev_region, &child, d, &flat[start[i - 1]],
					  start[i] - start[i - 1], clist, cn)) {
			b->nodes[base + i] = b->nodes[base + i - 1];
			b->stats.shared_children++;
			continue;
		}
		/* build_node prunes in place: work on a copy so a sibling can compare. */
		_cleanup_free_ uint32_t *copy = malloc((cn + 1) * sizeof(*copy));

		if (!copy)
			return -ENOMEM;
		memcpy(copy, clist, cn * sizeof(*copy));
		err = build_node(b, base + i, &child, copy, cn, depth + 1);
		if (err)
			return err;
		prev_region = child;
	}
	return 0;
}

/* Prune a node's boxes (*n) and note its depth: true when it is a leaf (few boxes, or deep). */
static bool stays_leaf(struct builder *b, const struct region *r, uint32_t *list, uint32_t *n,
		       unsigned depth, unsigned max_depth)
{
	*n = prune(b, r, list, *n);
	if (depth > b->tree->depth)
		b->tree->depth = depth;
	return *n <= b->par->binth || depth >= max_depth;
}

static int build_node(struct builder *b, size_t slot, const struct region *r, uint32_t *list,
		      uint32_t n, unsigned depth)
{
	struct cut c;
	int err;

	if (stays_leaf(b, r, list, &n, depth, SL_DT_MAX_DEPTH))
		return make_leaf(b, slot, list, n);
	err = choose_cut(b, r, list, n, &c);
	if (err)
		return err;
	/* A cut that leaves most boxes in one child only multiplies nodes: scan instead. */
	if (c.max_child >= n || (c.max_child * 8 > n * 7 && n <= b->par->max_leaf / 4))
		return make_leaf(b, slot, list, n);
	return build_children(b, slot, r, list, n, &c, depth);
}

/* ---- binary splits (HyperSplit-like) ---- */

struct split {
	unsigned dim;
	uint64_t at; /* left: keys < at, right: keys >= at */
	uint32_t max_child, sum;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Boxes whose clipped value (sorted v[0..n)) is below `at`. */
static uint32_t count_below(const uint64_t *v, uint32_t n, uint64_t at)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v[mid] < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The split point over all dimensions that leaves the fewest boxes in the
 * larger child (then the fewest copies), among the boxes' own edges inside
 * the region. max_child == n: no split separates anything.
 */
static int choose_split(const struct builder *b, const struct region *r, const uint32_t *list,
			uint32_t n, struct split *best)
{
	_cleanup_free_ uint64_t *los = malloc((n + 1) * sizeof(*los));
	_cleanup_free_ uint64_t *his = malloc((n + 1) * sizeof(*his));

	if (!los || !his)
		return -ENOMEM;
	*best = (struct split){.max_child = n, .sum = UINT32_MAX};
	for (unsigned d = 0; d < b->ndims; d++) {
		for (uint32_t i = 0; i < n; i++) {
			los[i] = sl_max(box_lo(b, list[i])[d], r->lo[d]);
			his[i] = sl_min(box_hi(b, list[i])[d], r->hi[d]);
		}
		qsort(los, n, sizeof(*los), cmp_u64);
		qsort(his, n, sizeof(*his), cmp_u64);
		/* candidates: a box starts at `at`, or one ends just before it */
		for (uint32_t i = 0; i < 2 * n; i++) {
			uint64_t at = i < n ? los[i] : his[i - n] + 1;
			uint32_t left, right, worst;

			if (at <= r->lo[d] || at > r->hi[d] || (i < n && i && los[i - 1] == at))
				continue;
			left = count_below(los, n, at);
			right = n - count_below(his, n, at);
			worst = sl_max(left, right);
			if (worst < best->max_child ||
			    (worst == best->max_child && left + right < best->sum))
				*best = (struct split){
				    .dim = d, .at = at, .max_child = worst, .sum = left + right};
		}
	}
	return 0;
}

static int build_split_node(struct builder *b, size_t slot, const struct region *r, uint32_t *list,
			    uint32_t n, unsigned depth)
{
	struct split s;
	size_t base;
	int err;

	if (stays_leaf(b, r, list, &n, depth, SL_DT_MAX_SPLIT_DEPTH))
		return make_leaf(b, slot, list, n);
	err = choose_split(b, r, list, n, &s);
	if (err)
		return err;
	if (s.max_child >= n)
		return make_leaf(b, slot, list, n);
	err = push_node(b, 2, &base);
	if (err)
		return err;
	b->nodes[slot] = (uint64_t)base << 32 | UINT64_C(1) << 16 |
			 (uint64_t)SL_DT_SPLIT_SHIFT << 8 | (s.dim + 1);
	b->split_at[base] = s.at;
	b->stats.inner_nodes++;
	for (unsigned side = 0; side < 2; side++) {
		struct region child = *r;
		_cleanup_free_ uint32_t *sub = malloc((n + 1) * sizeof(*sub));
		uint32_t m = 0;

		if (!sub)
			return -ENOMEM;
		if (side)
			child.lo[s.dim] = s.at;
		else
			child.hi[s.dim] = s.at - 1;
		for (uint32_t i = 0; i < n; i++)
			if (side ? box_hi(b, list[i])[s.dim] >= s.at
				 : box_lo(b, list[i])[s.dim] < s.at)
				sub[m++] = list[i];
		err = build_split_node(b, base + side, &child, sub, m, depth + 1);
		if (err)
			return err;
	}
	return 0;
}

/* ---- separation into trees (EffiCuts-like) ---- */

/* Dimensions on which a box spans at least half of the present values (or is free). */
static uint32_t large_mask(const struct sl_dt_problem *p, uint32_t box)
{
	uint32_t mask = 0;

	for (unsigned d = 0; d < p->ndims; d++) {
		size_t k = (size_t)box * p->ndims + d;
		uint64_t half = UINT64_C(1) << (p->bits[d] - 1);

		if (!(p->need[box] & (1u << d)) || p->hi[k] - p->lo[k] >= half - 1)
			mask |= 1u << d;
	}
	return mask;
}

struct group {
	uint32_t mask;
	uint32_t n;
	uint32_t first_box;
};

static int group_boxes(const struct sl_dt_problem *p, unsigned max_trees, uint32_t *tree_of,
		       struct group *groups, unsigned *ngroups)
{
	_cleanup_free_ struct group *all = NULL;
	_cleanup_free_ uint32_t *gid = calloc(p->nboxes + 1, sizeof(*gid));
	size_t nall = 0, cap = 0;

	if (!gid)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->nboxes; i++) {
		uint32_t mask = max_trees > 1 ? large_mask(p, i) : 0;
		size_t g;

		for (g = 0; g < nall && all[g].mask != mask; g++)
			;
		if (g == nall) {
			if (sl_grow((void **)&all, &cap, nall + 1, sizeof(*all)))
				return -ENOMEM;
			all[nall++] = (struct group){.mask = mask, .first_box = i};
		}
		all[g].n++;
		gid[i] = g;
	}
	/* Merge the smallest group into the nearest other one until few enough remain. */
	_cleanup_free_ uint32_t *target = malloc((nall + 1) * sizeof(*target));
	size_t live = nall;

	if (!target)
		return -ENOMEM;
	for (size_t g = 0; g < nall; g++)
		target[g] = g;
	while (live > max_trees) {
		size_t small = SIZE_MAX, near = SIZE_MAX;
		int best_dist = 64;

		for (size_t g = 0; g < nall; g++)
			if (target[g] == g && (small == SIZE_MAX || all[g].n < all[small].n))
				small = g;
		for (size_t g = 0; g < nall; g++) {
			int dist;

			if (target[g] != g || g == small)
				continue;
			/* Moving boxes into a tree that cuts more dimensions costs less
			 * replication. */
			dist = __builtin_popcount(all[g].mask ^ all[small].mask) * 2 +
			       !!(all[small].mask & ~all[g].mask);
			if (dist < best_dist) {
				best_dist = dist;
				near = g;
			}
		}
		target[small] = near;
		all[near].n += all[small].n;
		all[near].first_box = sl_min(all[near].first_box, all[small].first_box);
		for (size_t g = 0; g < nall; g++)
			if (target[g] == small)
				target[g] = near;
		live--;
	}
	/* Number the surviving groups by their first box: trees sorted by min_box. */
	_cleanup_free_ uint32_t *number = malloc((nall + 1) * sizeof(*number));

	if (!number)
		return -ENOMEM;
	*ngroups = 0;
	for (uint32_t i = 0; i < p->nboxes; i++) {
		uint32_t g = gid[i];

		while (target[g] != g)
			g = target[g];
		if (all[g].n != UINT32_MAX) {
			groups[*ngroups] = (struct group){.mask = all[g].mask, .first_box = i};
			number[g] = (*ngroups)++;
			all[g].n = UINT32_MAX;
		}
		tree_of[i] = number[g];
		groups[number[g]].n++;
	}
	return 0;
}

/* ---- records ---- */

static unsigned width_of(unsigned bits)
{
	return bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 32 ? 4 : 8;
}

static void put_le(uint8_t *p, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = v >> (8 * i);
}

static uint64_t get_le(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int layout_records(struct sl_dt *dt, const struct sl_dt_problem *p, size_t max_bytes)
{
	uint32_t off = 0, align = 4;

	/* Widest first keeps every field naturally aligned without padding. */
	for (unsigned w = 8; w >= 1; w /= 2) {
		if (w == 4) {
			dt->payload_off = off;
			off += 4;
		}
		if (w == 2) {
			dt->need_off = off;
			off += 2;
		}
		for (unsigned d = 0; d < p->ndims; d++)
			if (width_of(p->bits[d]) == w) {
				dt->dim_width[d] = w;
				dt->dim_off[d] = off;
				off += 2 * w;
				align = sl_max(align, w);
			}
	}
	dt->record_size = (off + align - 1) & ~(align - 1);
	if ((size_t)dt->record_size * p->nboxes > max_bytes)
		return -E2BIG;
	dt->records = calloc((size_t)p->nboxes + 1, dt->record_size);
	if (!dt->records)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->nboxes; i++) {
		uint8_t *rec = &dt->records[(size_t)i * dt->record_size];

		put_le(rec + dt->need_off, p->need[i], 2);
		put_le(rec + dt->payload_off, p->payload ? p->payload[i] : i, 4);
		for (unsigned d = 0; d < p->ndims; d++) {
			size_t k = (size_t)i * p->ndims + d;
			bool need = p->need[i] & (1u << d);
			uint64_t max = (UINT64_C(1) << p->bits[d]) - 1;

			put_le(rec + dt->dim_off[d], need ? p->lo[k] : 0, dt->dim_width[d]);
			put_le(rec + dt->dim_off[d] + dt->dim_width[d], need ? p->hi[k] : max,
			       dt->dim_width[d]);
		}
	}
	return 0;
}

/* ---- driver ---- */

void sl_dt_params_default(struct sl_dt_params *p)
{
	*p = (struct sl_dt_params){
	    .binth = 8,
	    .spfac = 4.0,
	    .max_trees = 4,
	    .max_leaf = 256,
	    .max_bytes = 4u << 20,
	};
}

static int check_problem(const struct sl_dt_problem *p)
{
	if (p->ndims == 0 || p->ndims > SL_DT_MAX_DIMS || p->nboxes >= SL_DT_NONE)
		return -EINVAL;
	for (unsigned d = 0; d < p->ndims; d++)
		if (p->bits[d] < 1 || p->bits[d] > 63)
			return -EINVAL;
	for (uint32_t i = 0; i < p->nboxes; i++) {
		if (p->need[i] >> p->ndims)
			return -EINVAL;
		for (unsigned d = 0; d < p->ndims; d++) {
			size_t k = (size_t)i * p->ndims + d;

			if ((p->need[i] & (1u << d)) &&
			    (p->lo[k] > p->hi[k] || p->hi[k] >> p->bits[d]))
				return -EINVAL;
		}
	}
	return 0;
}

static int routing_boxes(struct builder *b, const struct sl_dt_problem *p)
{
	size_t n = (size_t)p->nboxes * p->ndims + 1;

	b->lo = malloc(n * sizeof(*b->lo));
	b->hi = malloc(n * sizeof(*b->hi));
	if (!b->lo || !b->hi)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->nboxes; i++)
		for (unsigned d = 0; d < p->ndims; d++) {
			size_t k = (size_t)i * p->ndims + d;

			if (p->need[i] & (1u << d)) {
				b->lo[k] = p->lo[k];
				b->hi[k] = p->hi[k];
			} else {
				b->lo[k] = 0;
				b->hi[k] = b->dom_log2[d] >= 64
					       ? UINT64_MAX
					       : (UINT64_C(1) << b->dom_log2[d]) - 1;
			}
		}
	return 0;
}

/* Build tree t over its boxes from the current end of the nodes and lists. */
static int build_tree(struct builder *b, struct sl_dt_tree *t, uint32_t *list, uint32_t n)
{
	struct region r = {0};
	size_t root;
	int err;

	for (unsigned d = 0; d < b->ndims; d++) {
		r.log2[d] = b->dom_log2[d];
		r.hi[d] = b->dom_log2[d] >= 64 ? UINT64_MAX : (UINT64_C(1) << b->dom_log2[d]) - 1;
	}
	/* Lists are shared within a tree only, so each tree's lists stay contiguous. */
	if (b->memo.cap)
		memset(b->memo.keys, 0, b->memo.cap * sizeof(*b->memo.keys));
	b->memo.used = 0;
	t->node_first = (uint32_t)b->nnodes;
	t->list_first = (uint32_t)b->nlists;
	b->tree = t;
	err = push_node(b, 1, &root);
	if (!err)
		err = b->par->splits ? build_split_node(b, root, &r, list, n, 0)
				     : build_node(b, root, &r, list, n, 0);
	t->nnodes = (uint32_t)(b->nnodes - t->node_first);
	t->nlists = (uint32_t)(b->nlists - t->list_first);
	return err;
}

/* A tree over max_bytes gets fewer nodes: rebuilt from scratch with half the space factor. */
static int build_tree_fitting(struct builder *b, struct sl_dt_tree *t, const uint32_t *boxes,
			      uint32_t *list, uint32_t n)
{
	struct sl_dt_stats stats = b->stats;
	struct sl_dt_tree fresh = *t;
	int err;

	for (;;) {
		memcpy(list, boxes, n * sizeof(*list));
		err = build_tree(b, t, list, n);
		if (err != -E2BIG || t->spfac <= b->par->min_spfac || b->par->min_spfac <= 0)
			return err;
		b->nnodes = t->node_first;
		b->nlists = t->list_first;
		b->stats = stats;
		fresh.spfac = sl_max(t->spfac / 2, b->par->min_spfac);
		*t = fresh;
	}
}

static int build_trees(struct builder *b, struct sl_dt *dt, const struct sl_dt_problem *p)
{
	_cleanup_free_ uint32_t *tree_of = malloc(((size_t)p->nboxes + 1) * sizeof(*tree_of));
	_cleanup_free_ uint32_t *boxes = malloc(((size_t)p->nboxes + 1) * sizeof(*boxes));
	_cleanup_free_ uint32_t *list = malloc(((size_t)p->nboxes + 1) * sizeof(*list));
	struct group groups[SL_DT_MAX_TREES];
	unsigned ngroups = 0;
	int err;

	if (!tree_of || !boxes || !list)
		return -ENOMEM;
	err = group_boxes(p, sl_max(1u, sl_min(b->par->max_trees, SL_DT_MAX_TREES)), tree_of,
			  groups, &ngroups);
	if (err)
		return err;
	dt->ntrees = ngroups;
	for (unsigned t = 0; t < ngroups; t++) {
		uint32_t n = 0;

		for (uint32_t i = 0; i < p->nboxes; i++)
			if (tree_of[i] == t)
				boxes[n++] = i;
		dt->trees[t] = (struct sl_dt_tree){
		    .min_box = groups[t].first_box, .nboxes = n, .spfac = b->par->spfac};
		err = build_tree_fitting(b, &dt->trees[t], boxes, list, n);
		if (err)
			return err;
		dt->trees[t].root = dt->trees[t].node_first;
	}
	return 0;
}

int sl_dt_build(const struct sl_dt_problem *prob, const struct sl_dt_params *params,
		struct sl_dt **out)
{
	struct builder b = {.par = params, .ndims = prob->ndims, .nboxes = prob->nboxes};
	struct sl_dt *dt;
	struct timespec t0, t1;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = check_problem(prob);
	if (err)
		return err;
	dt = calloc(1, sizeof(*dt));
	if (!dt)
		return -ENOMEM;
	dt->ndims = prob->ndims;
	dt->nboxes = prob->nboxes;
	memcpy(dt->bits, prob->bits, sizeof(dt->bits));
	for (unsigned d = 0; d < prob->ndims; d++)
		b.dom_log2[d] = prob->bits[d] + 1;

	b.diff = malloc((SL_DT_MAX_CUTS + 1) * sizeof(*b.diff));
	err = b.diff ? routing_boxes(&b, prob) : -ENOMEM;
	/* Records first: when they do not fit, building the trees is wasted time. */
	if (!err)
		err = layout_records(dt, prob, params->max_bytes);
	if (!err)
		err = build_trees(&b, dt, prob);
	free(b.diff);
	free(b.ends);
	free(b.lo);
	free(b.hi);
	dt->split_at = b.split_at;
	free(b.memo.keys);
	free(b.memo.off);
	free(b.memo.len);
	if (err) {
		free(b.nodes);
		free(b.lists);
		sl_dt_free(dt);
		return err;
	}
	dt->nodes = b.nodes;
	dt->nnodes = b.nnodes;
	dt->lists = b.lists;
	dt->nlists = b.nlists;
	dt->stats = b.stats;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt->stats.build_seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	*out = dt;
	return 0;
}

void sl_dt_free(struct sl_dt *dt)
{
	if (!dt)
		return;
	free(dt->nodes);
	free(dt->split_at);
	free(dt->lists);
	free(dt->records);
	free(dt);
}

void sl_dt_freep(struct sl_dt **dt)
{
	sl_dt_free(*dt);
	*dt = NULL;
}

void *sl_dt_nodes_le(const struct sl_dt *dt, size_t *size)
{
	uint8_t *buf = malloc((size_t)dt->nnodes * 8 + 8);

	if (!buf)
		return NULL;
	for (uint32_t i = 0; i < dt->nnodes; i++)
		put_le(&buf[(size_t)i * 8], dt->nodes[i], 8);
	*size = (size_t)dt->nnodes * 8;
	return buf;
}

void *sl_dt_lists_le(const struct sl_dt *dt, size_t *size)
{
	uint8_t *buf = malloc((size_t)dt->nlists * 4 + 4);

	if (!buf)
		return NULL;
	for (uint32_t i = 0; i < dt->nlists; i++)
		put_le(&buf[(size_t)i * 4], dt->lists[i], 4);
	*size = (size_t)dt->nlists * 4;
	return buf;
}

static void tree_range(const struct sl_dt *dt, uint32_t first, uint32_t count, uint32_t *node0,
		       uint32_t *nnodes, uint32_t *list0, uint32_t *nlists)
{
	const struct sl_dt_tree *a = &dt->trees[first], *z = &dt->trees[first + count - 1];

	*node0 = a->node_first;
	*nnodes = z->node_first + z->nnodes - a->node_first;
	*list0 = a->list_first;
	*nlists = z->list_first + z->nlists - a->list_first;
}

void *sl_dt_trees_nodes_le(const struct sl_dt *dt, uint32_t first, uint32_t count, size_t *size)
{
	uint32_t node0, nnodes, list0, nlists;
	uint8_t *buf;

	tree_range(dt, first, count, &node0, &nnodes, &list0, &nlists);
	buf = malloc((size_t)nnodes * 8 + 8);
	if (!buf)
		return NULL;
	for (uint32_t i = 0; i < nnodes; i++) {
		uint64_t rec = dt->nodes[node0 + i];
		uint32_t base = (rec & 0xff) ? node0 : list0;

		put_le(&buf[(size_t)i * 8], rec - ((uint64_t)base << 32), 8);
	}
	*size = (size_t)nnodes * 8;
	return buf;
}

void *sl_dt_trees_lists_le(const struct sl_dt *dt, uint32_t first, uint32_t count, size_t *size)
{
	uint32_t node0, nnodes, list0, nlists;
	uint8_t *buf;

	tree_range(dt, first, count, &node0, &nnodes, &list0, &nlists);
	buf = malloc((size_t)nlists * 4 + 4);
	if (!buf)
		return NULL;
	for (uint32_t i = 0; i < nlists; i++)
		put_le(&buf[(size_t)i * 4], dt->lists[list0 + i], 4);
	*size = (size_t)nlists * 4;
	return buf;
}

uint32_t sl_dt_payload(const struct sl_dt *dt, uint32_t box)
{
	return get_le(&dt->records[(size_t)box * dt->record_size + dt->payload_off], 4);
}

static bool record_matches(const struct sl_dt *dt, uint32_t box, const uint64_t *cmp,
			   uint32_t absent)
{
	const uint8_t *rec = &dt->records[(size_t)box * dt->record_size];

	if (get_le(rec + dt->need_off, 2) & absent)
		return false;
	for (unsigned d = 0; d < dt->ndims; d++) {
		unsigned w = dt->dim_width[d];

		if (cmp[d] < get_le(rec + dt->dim_off[d], w) ||
		    cmp[d] > get_le(rec + dt->dim_off[d] + w, w))
			return false;
	}
	return true;
}

uint32_t sl_dt_lookup(const struct sl_dt *dt, const uint64_t *value, uint32_t absent,
		      struct sl_dt_trace *trace)
{
	uint64_t route[SL_DT_MAX_DIMS], cmp[SL_DT_MAX_DIMS];
	uint32_t best = SL_DT_NONE;

	for (unsigned d = 0; d < dt->ndims; d++) {
		bool gone = absent & (1u << d);

		route[d] = gone ? UINT64_C(1) << dt->bits[d] : value[d];
		cmp[d] = gone ? 0 : value[d];
	}
	for (uint32_t t = 0; t < dt->ntrees; t++) {
		uint64_t rec;
		uint32_t count, off;

		if (dt->trees[t].min_box >= best)
			continue;
		rec = dt->nodes[dt->trees[t].root];
		if (trace)
			trace->trees++;
		while (rec & 0xff) {
			unsigned d = (rec & 0xff) - 1, shift = (rec >> 8) & 0xff;
			uint64_t mask = (rec >> 16) & 0xffff, base = rec >> 32;

			if (shift == SL_DT_SPLIT_SHIFT)
				rec = dt->nodes[base + (route[d] >= dt->split_at[base])];
			else
				rec = dt->nodes[base + ((route[d] >> shift) & mask)];
			if (trace)
				trace->node_visits++;
		}
		count = (rec >> 16) & 0xffff;
		off = rec >> 32;
		for (uint32_t i = 0; i < count; i++) {
			uint32_t box = dt->lists[off + i];

			if (box >= best)
				break;
			if (trace)
				trace->box_checks++;
			if (record_matches(dt, box, cmp, absent)) {
				best = box;
				break;
			}
		}
	}
	return best;
}

uint32_t sl_dt_problem_lookup(const struct sl_dt_problem *prob, const uint64_t *value,
			      uint32_t absent)
{
	for (uint32_t i = 0; i < prob->nboxes; i++) {
		bool match = true;

		for (unsigned d = 0; d < prob->ndims && match; d++) {
			size_t k = (size_t)i * prob->ndims + d;

			if (!(prob->need[i] & (1u << d)))
				continue;
			match = !(absent & (1u << d)) && value[d] >= prob->lo[k] &&
				value[d] <= prob->hi[k];
		}
		if (match)
			return i;
	}
	return SL_DT_NONE;
}
