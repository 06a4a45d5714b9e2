/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interval sets over a field's integer domain [0, max]: the algebra the IR
 * and the optimiser are built on. A set is a sorted array of disjoint,
 * non-adjacent closed intervals. Results are allocated in the given arena.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/util.h"

struct sl_interval {
	sl_u128 lo, hi; /* inclusive */
};

struct sl_iset {
	uint32_t n;
	const struct sl_interval *iv;
};

/*
 * A 128-bit interval (an IPv6 address range) as boxes over its four 32-bit
 * words, most significant first: the form both the matchers and the
 * classifier test addresses in. A prefix is one box (exact words, one range,
 * then free words); any other interval is at most SL_WORD_BOXES_MAX, split
 * where its two ends first differ.
 */
#define SL_WORDS_128	  4u
#define SL_WORD_BOXES_MAX 7u

struct sl_word_box {
	uint32_t lo[SL_WORDS_128], hi[SL_WORDS_128];
};

/* The disjoint boxes whose union is [lo, hi] (lo <= hi), in out[]; returns how many (>= 1). */
unsigned sl_iset_word_boxes(sl_u128 lo, sl_u128 hi, struct sl_word_box out[SL_WORD_BOXES_MAX]);
/*
 * Words a test of the box reads: bit w when word w is not free (0..2^32-1),
 * and word 0 when every word is free (the address must still be present).
 */
uint32_t sl_word_box_words(const struct sl_word_box *b);
/* The union of sl_word_box_words() over the word boxes of every interval of x. */
uint32_t sl_iset_words(struct sl_iset x);

/* Implemented in iset.c; each documented there. */
struct sl_iset sl_iset_empty(void);
struct sl_iset sl_iset_range(struct sl_arena *a, sl_u128 lo, sl_u128 hi);
struct sl_iset sl_iset_prefix(struct sl_arena *a, sl_u128 addr, unsigned len, unsigned bits);
/* Normalise arbitrary (unsorted, overlapping) intervals into a set. */
struct sl_iset sl_iset_from(struct sl_arena *a, const struct sl_interval *iv, uint32_t n);
/* Values v in [0, max] with (v & mask) == value: for masked matches on narrow fields. */
struct sl_iset sl_iset_masked(struct sl_arena *a, uint64_t mask, uint64_t value, unsigned bits);
struct sl_iset sl_iset_union(struct sl_arena *a, struct sl_iset x, struct sl_iset y);
struct sl_iset sl_iset_intersect(struct sl_arena *a, struct sl_iset x, struct sl_iset y);
struct sl_iset sl_iset_subtract(struct sl_arena *a, struct sl_iset x, struct sl_iset y);
struct sl_iset sl_iset_complement(struct sl_arena *a, struct sl_iset x, sl_u128 max);
bool sl_iset_is_empty(struct sl_iset x);
bool sl_iset_is_full(struct sl_iset x, sl_u128 max);
bool sl_iset_contains(struct sl_iset x, sl_u128 v);
bool sl_iset_subset(struct sl_iset x, struct sl_iset y); /* x ⊆ y */
bool sl_iset_equal(struct sl_iset x, struct sl_iset y);
bool sl_iset_disjoint(struct sl_iset x, struct sl_iset y);
/* A copy of x's intervals in another arena. */
struct sl_iset sl_iset_clone(struct sl_arena *a, struct sl_iset x);
