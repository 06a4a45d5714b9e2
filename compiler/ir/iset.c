// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interval sets. Every set is kept canonical: intervals sorted, disjoint and
 * non-adjacent (a.hi + 1 < b.lo), so that equality is a plain comparison and
 * every operation is one linear merge over its inputs. Inputs are never
 * modified; results live in the caller's arena (or are empty: n == 0).
 */
#include "ir/iset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SL_U128_MAX (~(sl_u128)0)
/* 2^20 intervals: far more than any 16-bit field can need */
#define SL_ISET_MASKED_MAX_FREE 20

struct sl_iset sl_iset_empty(void)
{
	return (struct sl_iset){0, NULL};
}

static struct sl_iset iset_one(struct sl_arena *a, sl_u128 lo, sl_u128 hi)
{
	struct sl_interval *iv = sl_arena_alloc(a, sizeof(*iv));

	iv->lo = lo;
	iv->hi = hi;
	return (struct sl_iset){1, iv};
}

/* [lo, hi]; empty when lo > hi. */
struct sl_iset sl_iset_range(struct sl_arena *a, sl_u128 lo, sl_u128 hi)
{
	if (lo > hi)
		return sl_iset_empty();
	return iset_one(a, lo, hi);
}

/* Low `n` bits set, for n in 0..128. */
static sl_u128 low_bits(unsigned n)
{
	return n >= 128 ? SL_U128_MAX : (((sl_u128)1 << n) - 1);
}

/*
 * Every `bits`-wide value whose top `len` bits equal those of addr: the
 * prefix addr/len. Host bits set in addr are ignored (10.1.2.3/16 is
 * 10.1.0.0/16); len is clamped to bits.
 */
struct sl_iset sl_iset_prefix(struct sl_arena *a, sl_u128 addr, unsigned len, unsigned bits)
{
	sl_u128 host;

	if (bits > 128)
		bits = 128;
	if (len > bits)
		len = bits;
	host = low_bits(bits - len);
	addr &= low_bits(bits);
	return iset_one(a, addr & ~host, (addr & ~host) | host);
}

static int interval_cmp(const void *pa, const void *pb)
{
	const struct sl_interval *x = pa, *y = pb;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

/*
 * Append [lo, hi] to a canonical array being built in increasing order of
 * lo, merging it into the last interval when they overlap or touch.
 */
static void push_merge(struct sl_interval *out, uint32_t *n, sl_u128 lo, sl_u128 hi)
{
	struct sl_interval *last = *n ? &out[*n - 1] : NULL;

	if (last && (last->hi == SL_U128_MAX || lo <= last->hi + 1)) {
		if (hi > last->hi)
			last->hi = hi;
		return;
	}
	out[*n].lo = lo;
	out[*n].hi = hi;
	(*n)++;
}

static struct sl_iset finish(struct sl_interval *out, uint32_t n)
{
	return n ? (struct sl_iset){n, out} : sl_iset_empty();
}

/* Normalise any intervals (unsorted, overlapping, touching); lo > hi ones are empty. */
struct sl_iset sl_iset_from(struct sl_arena *a, const struct sl_interval *iv, uint32_t n)
{
	struct sl_interval *sorted, *out;
	uint32_t m = 0, k = 0;

	if (!n)
		return sl_iset_empty();
	sorted = sl_arena_calloc(a, n, sizeof(*sorted));
	for (uint32_t i = 0; i < n; i++) {
		if (iv[i].lo <= iv[i].hi)
			sorted[m++] = iv[i];
	}
	qsort(sorted, m, sizeof(*sorted), interval_cmp);
	out = sorted; /* merging in place never overtakes the reader */
	for (uint32_t i = 0; i < m; i++)
		push_merge(out, &k, sorted[i].lo, sorted[i].hi);
	return finish(out, k);
}

/*
 * { v in [0, 2^bits - 1] : (v & mask) == value }. The free (unmasked) bits
 * below the lowest masked bit make each interval; every combination of the
 * free bits above it starts one, enumerated in increasing order. Meant for
 * narrow fields (tcp flags): the result has 2^(free bits above) intervals.
 */
struct sl_iset sl_iset_masked(struct sl_arena *a, uint64_t mask, uint64_t value, unsigned bits)
{
	uint64_t domain, low, high, sub;
	struct sl_interval *out;
	uint32_t n = 0, count;

	if (bits > 64)
		bits = 64;
	domain = bits >= 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
	mask &= domain;
	if (value & ~mask)
		return sl_iset_empty();
	if (!mask)
		return iset_one(a, 0, domain);
	low = (mask & -mask) - 1; /* free bits below the lowest masked bit */
	high = domain & ~mask & ~low;
	if (__builtin_popcountll(high) > SL_ISET_MASKED_MAX_FREE) {
		/* a caller bug, not bad input: the checker allows masks on narrow fields only */
		fprintf(stderr, "sluice: masked match on a %u-bit field is too wide\n", bits);
		abort();
	}
	count = (uint32_t)1 << __builtin_popcountll(high);
	out = sl_arena_calloc(a, count, sizeof(*out));
	sub = 0;
	do {
		uint64_t base = value | sub;

		out[n].lo = base;
		out[n].hi = base | low;
		n++;
		sub = (sub - high) & high; /* next subset of `high`, increasing */
	} while (sub);
	return finish(out, n);
}

struct sl_iset sl_iset_union(struct sl_arena *a, struct sl_iset x, struct sl_iset y)
{
	struct sl_interval *out;
	uint32_t i = 0, j = 0, n = 0;

	if (!x.n)
		return y;
	if (!y.n)
		return x;
	out = sl_arena_calloc(a, x.n + y.n, sizeof(*out));
	while (i < x.n || j < y.n) {
		const struct sl_interval *next;

		if (j >= y.n || (i < x.n && x.iv[i].lo <= y.iv[j].lo))
			next = &x.iv[i++];
		else
			next = &y.iv[j++];
		push_merge(out, &n, next->lo, next->hi);
	}
	return finish(out, n);
}

struct sl_iset sl_iset_intersect(struct sl_arena *a, struct sl_iset x, struct sl_iset y)
{
	struct sl_interval *out;
	uint32_t i = 0, j = 0, n = 0;

	if (!x.n || !y.n)
		return sl_iset_empty();
	out = sl_arena_calloc(a, x.n + y.n, sizeof(*out));
	while (i < x.n && j < y.n) {
		sl_u128 lo = sl_max(x.iv[i].lo, y.iv[j].lo);
		sl_u128 hi = sl_min(x.iv[i].hi, y.iv[j].hi);

		if (lo <= hi) {
			out[n].lo = lo;
			out[n].hi = hi;
			n++;
		}
		/* drop whichever ends first: it cannot meet anything further on */
		if (x.iv[i].hi < y.iv[j].hi)
			i++;
		else
			j++;
	}
	return finish(out, n);
}

struct sl_iset sl_iset_complement(struct sl_arena *a, struct sl_iset x, sl_u128 max)
{
	struct sl_interval *out = sl_arena_calloc(a, x.n + 1, sizeof(*out));
	sl_u128 next = 0; /* smallest value not yet covered or emitted */
	bool done = false;
	uint32_t n = 0;

	for (uint32_t i = 0; i < x.n && !done && x.iv[i].lo <= max; i++) {
		if (x.iv[i].lo > next) {
			out[n].lo = next;
			out[n].hi = x.iv[i].lo - 1;
			n++;
		}
		if (x.iv[i].hi >= max)
			done = true;
		else
			next = x.iv[i].hi + 1;
	}
	if (!done) {
		out[n].lo = next;
		out[n].hi = max;
		n++;
	}
	return finish(out, n);
}

struct sl_iset sl_iset_subtract(struct sl_arena *a, struct sl_iset x, struct sl_iset y)
{
	if (!x.n || !y.n)
		return x;
	return sl_iset_intersect(a, x, sl_iset_complement(a, y, SL_U128_MAX));
}

bool sl_iset_is_empty(struct sl_iset x)
{
	return x.n == 0;
}

bool sl_iset_is_full(struct sl_iset x, sl_u128 max)
{
	return x.n == 1 && x.iv[0].lo == 0 && x.iv[0].hi >= max;
}

bool sl_iset_contains(struct sl_iset x, sl_u128 v)
{
	uint32_t lo = 0, hi = x.n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v < x.iv[mid].lo)
			hi = mid;
		else if (v > x.iv[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* In canonical form every interval of x ⊆ y lies inside a single interval of y. */
bool sl_iset_subset(struct sl_iset x, struct sl_iset y)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < x.n; i++) {
		while (j < y.n && y.iv[j].hi < x.iv[i].lo)
			j++;
		if (j >= y.n || y.iv[j].lo > x.iv[i].lo || y.iv[j].hi < x.iv[i].hi)
			return false;
	}
	return true;
}

bool sl_iset_equal(struct sl_iset x, struct sl_iset y)
{
	if (x.n != y.n)
		return false;
	for (uint32_t i = 0; i < x.n; i++) {
		if (x.iv[i].lo != y.iv[i].lo || x.iv[i].hi != y.iv[i].hi)
			return false;
	}
	return true;
}

bool sl_iset_disjoint(struct sl_iset x, struct sl_iset y)
{
	uint32_t i = 0, j = 0;

	while (i < x.n && j < y.n) {
		if (x.iv[i].hi < y.iv[j].lo)
			i++;
		else if (y.iv[j].hi < x.iv[i].lo)
			j++;
		else
			return false;
	}
	return true;
}

struct sl_iset sl_iset_clone(struct sl_arena *a, struct sl_iset x)
{
	struct sl_interval *iv;

	if (!x.n)
		return sl_iset_empty();
	iv = sl_arena_calloc(a, x.n, sizeof(*iv));
	memcpy(iv, x.iv, x.n * sizeof(*iv));
	return (struct sl_iset){x.n, iv};
}

/* ---- 128-bit intervals as word boxes ---- */

static uint32_t word_of(sl_u128 v, unsigned w)
{
	return (uint32_t)(v >> (32 * (SL_WORDS_128 - 1 - w)));
}

/* The words of v after word w: all zero (min) or all ones (max)? */
static bool tail_is(sl_u128 v, unsigned w, bool max)
{
	unsigned bits = 32 * (SL_WORDS_128 - 1 - w);
	sl_u128 mask = bits ? ((sl_u128)1 << bits) - 1 : 0;

	return (v & mask) == (max ? mask : 0);
}

struct wide_split {
	struct sl_word_box box; /* words before the current one are fixed */
	struct sl_word_box *out;
	unsigned n;
};

/* The current box with word w set to [lo, hi] and every later word free. */
static void put_box(struct wide_split *s, unsigned w, uint32_t lo, uint32_t hi)
{
	struct sl_word_box *b = &s->out[s->n++];

	*b = s->box;
	b->lo[w] = lo;
	b->hi[w] = hi;
	for (unsigned k = w + 1; k < SL_WORDS_128; k++) {
		b->lo[k] = 0;
		b->hi[k] = UINT32_MAX;
	}
}

/* Words w.. at least (or, with `max`, at most) those of v: one box per word at most. */
static void split_bound(struct wide_split *s, sl_u128 v, unsigned w, bool max)
{
	for (;; w++) {
		uint32_t x = word_of(v, w);

		if (tail_is(v, w, max)) {
			put_box(s, w, max ? 0 : x, max ? x : UINT32_MAX);
			return;
		}
		if (max ? x > 0 : x < UINT32_MAX)
			put_box(s, w, max ? 0 : x + 1, max ? x - 1 : UINT32_MAX);
		s->box.lo[w] = s->box.hi[w] = x;
	}
}

unsigned sl_iset_word_boxes(sl_u128 lo, sl_u128 hi, struct sl_word_box out[SL_WORD_BOXES_MAX])
{
	struct wide_split s = {.out = out};
	unsigned w = 0;

	while (w + 1 < SL_WORDS_128 && word_of(lo, w) == word_of(hi, w)) {
		s.box.lo[w] = s.box.hi[w] = word_of(lo, w);
		w++;
	}
	uint32_t l = word_of(lo, w), h = word_of(hi, w);
	bool lo_whole = tail_is(lo, w, false), hi_whole = tail_is(hi, w, true);
	struct sl_word_box prefix = s.box;

	if (!lo_whole) {
		s.box.lo[w] = s.box.hi[w] = l;
		split_bound(&s, lo, w + 1, false);
		s.box = prefix;
	}
	/* A lexicographic range: the words strictly between lo's and hi's, then the rest free. */
	if ((uint64_t)l + !lo_whole <= (uint64_t)h - !hi_whole)
		put_box(&s, w, l + !lo_whole, h - !hi_whole);
	if (!hi_whole) {
		s.box.lo[w] = s.box.hi[w] = h;
		split_bound(&s, hi, w + 1, true);
	}
	return s.n;
}

uint32_t sl_word_box_words(const struct sl_word_box *b)
{
	uint32_t words = 0;

	for (unsigned w = 0; w < SL_WORDS_128; w++)
		if (b->lo[w] != 0 || b->hi[w] != UINT32_MAX)
			words |= 1u << w;
	return words ? words : 1;
}

uint32_t sl_iset_words(struct sl_iset x)
{
	struct sl_word_box boxes[SL_WORD_BOXES_MAX];
	uint32_t words = 0;

	for (uint32_t i = 0; i < x.n; i++)
		for (unsigned k = 0, n = sl_iset_word_boxes(x.iv[i].lo, x.iv[i].hi, boxes); k < n;
		     k++)
			words |= sl_word_box_words(&boxes[k]);
	return words;
}
