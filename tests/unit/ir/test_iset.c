// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interval-set algebra against a brute-force model: over an 8-bit domain a
 * set is a 256-bit bitmap, and every operation is checked member by member.
 * 128-bit edge cases (0, max, full domain, /0 and /128) are checked directly,
 * and 128-bit intervals as word boxes against membership probes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ir/iset.h"
#include "../wide_random.h"

#define MAX128 (~(sl_u128)0)
#define DOM    256

struct bitmap {
	bool in[DOM];
};

static int setup(void **state)
{
	*state = sl_arena_new();
	return 0;
}

static int teardown(void **state)
{
	sl_arena_free(*state);
	return 0;
}

/* Sorted, disjoint, non-adjacent, inside [0, max], and n == 0 <=> empty. */
static void assert_canonical(struct sl_iset s, sl_u128 max)
{
	for (uint32_t i = 0; i < s.n; i++) {
		assert_true(s.iv[i].lo <= s.iv[i].hi);
		assert_true(s.iv[i].hi <= max);
		if (i)
			assert_true(s.iv[i - 1].hi + 1 < s.iv[i].lo);
	}
}

static struct bitmap to_bitmap(struct sl_iset s)
{
	struct bitmap b;

	memset(&b, 0, sizeof(b));
	assert_canonical(s, DOM - 1);
	for (uint32_t i = 0; i < s.n; i++) {
		for (unsigned v = (unsigned)s.iv[i].lo; v <= (unsigned)s.iv[i].hi; v++)
			b.in[v] = true;
	}
	return b;
}

static void assert_bitmap(struct sl_iset s, const struct bitmap *want)
{
	struct bitmap got = to_bitmap(s);

	for (unsigned v = 0; v < DOM; v++) {
		if (got.in[v] != want->in[v])
			fail_msg("value %u: got %d, want %d", v, got.in[v], want->in[v]);
		assert_int_equal(sl_iset_contains(s, v), want->in[v]);
	}
}

/* A random set: a few random intervals (possibly overlapping, touching, reversed). */
static struct sl_iset random_set(struct sl_arena *a, struct bitmap *model, unsigned *seed)
{
	struct sl_interval iv[8];
	unsigned n = (unsigned)rand_r(seed) % 7;

	memset(model, 0, sizeof(*model));
	for (unsigned i = 0; i < n; i++) {
		unsigned lo = (unsigned)rand_r(seed) % DOM;
		unsigned width = (unsigned)rand_r(seed) % 4 ? (unsigned)rand_r(seed) % 24
							    : (unsigned)rand_r(seed) % DOM;
		unsigned hi = lo + width >= DOM ? DOM - 1 : lo + width;

		if (rand_r(seed) % 10 == 0) { /* reversed interval: empty */
			iv[i].lo = hi + 1;
			iv[i].hi = lo;
			continue;
		}
		iv[i].lo = lo;
		iv[i].hi = hi;
		for (unsigned v = lo; v <= hi; v++)
			model->in[v] = true;
	}
	return sl_iset_from(a, iv, n);
}

static void random_ops_match_bitmap_model(void **state)
{
	struct sl_arena *a = *state;
	unsigned seed = 12345;

	for (int round = 0; round < 5000; round++) {
		struct bitmap mx, my, want;
		struct sl_iset x = random_set(a, &mx, &seed);
		struct sl_iset y = random_set(a, &my, &seed);
		unsigned max = rand_r(&seed) % 2 ? DOM - 1 : (unsigned)rand_r(&seed) % DOM;
		bool subset = true, disjoint = true, equal = true, empty = true, full = true;

		assert_bitmap(x, &mx);
		for (unsigned v = 0; v < DOM; v++)
			want.in[v] = mx.in[v] || my.in[v];
		assert_bitmap(sl_iset_union(a, x, y), &want);
		for (unsigned v = 0; v < DOM; v++)
			want.in[v] = mx.in[v] && my.in[v];
		assert_bitmap(sl_iset_intersect(a, x, y), &want);
		for (unsigned v = 0; v < DOM; v++)
			want.in[v] = mx.in[v] && !my.in[v];
		assert_bitmap(sl_iset_subtract(a, x, y), &want);

		/* complement within [0, max]; x restricted to the domain first */
		struct sl_iset xd = sl_iset_intersect(a, x, sl_iset_range(a, 0, max));

		for (unsigned v = 0; v < DOM; v++)
			want.in[v] = v <= max && !mx.in[v];
		assert_bitmap(sl_iset_complement(a, xd, max), &want);

		for (unsigned v = 0; v < DOM; v++) {
			subset &= !mx.in[v] || my.in[v];
			disjoint &= !(mx.in[v] && my.in[v]);
			equal &= mx.in[v] == my.in[v];
			empty &= !mx.in[v];
			full &= v > max || mx.in[v];
		}
		assert_int_equal(sl_iset_subset(x, y), subset);
		assert_int_equal(sl_iset_disjoint(x, y), disjoint);
		assert_int_equal(sl_iset_equal(x, y), equal);
		assert_int_equal(sl_iset_is_empty(x), empty);
		assert_int_equal(sl_iset_is_full(xd, max), full);
		assert_true(sl_iset_equal(sl_iset_clone(a, x), x));
	}
}

static void algebraic_laws_hold(void **state)
{
	struct sl_arena *a = *state;
	unsigned seed = 777;

	for (int round = 0; round < 2000; round++) {
		struct bitmap m;
		struct sl_iset x = random_set(a, &m, &seed);
		struct sl_iset y = random_set(a, &m, &seed);
		struct sl_iset z = random_set(a, &m, &seed);
		struct sl_iset cx = sl_iset_complement(a, x, DOM - 1);

		/* De Morgan, double complement, distributivity, x - y = x & ~y */
		assert_true(
		    sl_iset_equal(sl_iset_complement(a, sl_iset_union(a, x, y), DOM - 1),
				  sl_iset_intersect(a, cx, sl_iset_complement(a, y, DOM - 1))));
		assert_true(sl_iset_equal(sl_iset_complement(a, cx, DOM - 1), x));
		assert_true(sl_iset_equal(
		    sl_iset_intersect(a, x, sl_iset_union(a, y, z)),
		    sl_iset_union(a, sl_iset_intersect(a, x, y), sl_iset_intersect(a, x, z))));
		assert_true(
		    sl_iset_equal(sl_iset_subtract(a, x, y),
				  sl_iset_intersect(a, x, sl_iset_complement(a, y, DOM - 1))));
		assert_true(sl_iset_is_full(sl_iset_union(a, x, cx), DOM - 1));
		assert_true(sl_iset_is_empty(sl_iset_intersect(a, x, cx)));
		assert_true(sl_iset_subset(sl_iset_intersect(a, x, y), x));
		assert_true(sl_iset_subset(x, sl_iset_union(a, x, y)));
	}
}

static void masked_matches_every_mask_and_value(void **state)
{
	struct sl_arena *a = *state;

	for (unsigned mask = 0; mask < DOM; mask++) {
		for (unsigned value = 0; value < DOM; value++) {
			struct bitmap want;

			for (unsigned v = 0; v < DOM; v++)
				want.in[v] = (v & mask) == value;
			assert_bitmap(sl_iset_masked(a, mask, value, 8), &want);
		}
	}
	/* mask bits above the field are ignored; value bits there make it empty */
	assert_true(sl_iset_is_full(sl_iset_masked(a, 0x100, 0, 8), 255));
	assert_true(sl_iset_is_empty(sl_iset_masked(a, 0x100, 0x100, 8)));
	/* 16-bit: low byte 0x34 with any high byte: 256 intervals of one value */
	struct sl_iset s = sl_iset_masked(a, 0xff, 0x34, 16);

	assert_int_equal(s.n, 256);
	assert_true(s.iv[255].lo == 0xff34 && s.iv[255].hi == 0xff34);
	/* high byte fixed: one interval */
	s = sl_iset_masked(a, 0xff00, 0x1200, 16);
	assert_int_equal(s.n, 1);
	assert_true(s.iv[0].lo == 0x1200 && s.iv[0].hi == 0x12ff);
}

static void prefixes_over_8_bits(void **state)
{
	struct sl_arena *a = *state;

	for (unsigned addr = 0; addr < DOM; addr++) {
		for (unsigned len = 0; len <= 9; len++) {
			unsigned l = len > 8 ? 8 : len;
			unsigned mask = (0xff00u >> l) & 0xff;
			struct bitmap want;

			for (unsigned v = 0; v < DOM; v++)
				want.in[v] = (v & mask) == (addr & mask);
			assert_bitmap(sl_iset_prefix(a, addr, len, 8), &want);
		}
	}
}

static void ranges_and_from(void **state)
{
	struct sl_arena *a = *state;
	struct sl_interval iv[] = {{10, 20}, {21, 30}, {5, 7}, {40, 50}, {45, 46}, {8, 8}};
	struct sl_iset s = sl_iset_from(a, iv, SL_ARRAY_SIZE(iv));

	assert_true(sl_iset_is_empty(sl_iset_range(a, 5, 4)));
	assert_int_equal(s.n, 3);
	assert_true(s.iv[0].lo == 5 && s.iv[0].hi == 8);
	assert_true(s.iv[1].lo == 10 && s.iv[1].hi == 30);
	assert_true(s.iv[2].lo == 40 && s.iv[2].hi == 50);
	assert_true(sl_iset_is_empty(sl_iset_from(a, NULL, 0)));
	assert_true(sl_iset_equal(sl_iset_empty(), sl_iset_from(a, iv, 0)));
	/* inputs are not modified */
	assert_true(iv[0].lo == 10 && iv[2].lo == 5);
}

static void edges_of_128_bits(void **state)
{
	struct sl_arena *a = *state;
	struct sl_iset full = sl_iset_range(a, 0, MAX128);
	struct sl_iset top = sl_iset_range(a, MAX128, MAX128);
	struct sl_iset zero = sl_iset_range(a, 0, 0);
	struct sl_iset s;

	assert_true(sl_iset_is_full(full, MAX128));
	assert_true(sl_iset_is_full(sl_iset_prefix(a, 0x1234, 0, 128), MAX128));
	assert_true(sl_iset_is_empty(sl_iset_complement(a, full, MAX128)));
	assert_true(sl_iset_is_full(sl_iset_complement(a, sl_iset_empty(), MAX128), MAX128));
	assert_true(sl_iset_contains(full, MAX128));
	assert_true(sl_iset_contains(full, 0));

	s = sl_iset_prefix(a, MAX128, 128, 128);
	assert_true(sl_iset_equal(s, top));
	s = sl_iset_prefix(a, MAX128, 200, 128); /* len clamped */
	assert_true(sl_iset_equal(s, top));

	/* the top value touches [0, max-1]: merging must not overflow */
	s = sl_iset_union(a, sl_iset_range(a, 0, MAX128 - 1), top);
	assert_true(sl_iset_is_full(s, MAX128));
	s = sl_iset_union(a, top, sl_iset_range(a, MAX128 - 5, MAX128));
	assert_int_equal(s.n, 1);
	assert_true(s.iv[0].lo == MAX128 - 5 && s.iv[0].hi == MAX128);
	struct sl_interval iv[] = {{MAX128, MAX128}, {0, 0}, {MAX128 - 1, MAX128}, {1, 1}};

	s = sl_iset_from(a, iv, 4);
	assert_int_equal(s.n, 2);
	assert_true(s.iv[0].lo == 0 && s.iv[0].hi == 1 && s.iv[1].lo == MAX128 - 1);

	/* complements and subtraction at both ends */
	s = sl_iset_complement(a, top, MAX128);
	assert_int_equal(s.n, 1);
	assert_true(s.iv[0].lo == 0 && s.iv[0].hi == MAX128 - 1);
	s = sl_iset_complement(a, zero, MAX128);
	assert_true(s.n == 1 && s.iv[0].lo == 1 && s.iv[0].hi == MAX128);
	s = sl_iset_subtract(a, full, sl_iset_union(a, zero, top));
	assert_true(s.n == 1 && s.iv[0].lo == 1 && s.iv[0].hi == MAX128 - 1);
	assert_true(sl_iset_is_empty(sl_iset_subtract(a, top, full)));
	assert_true(sl_iset_disjoint(zero, top));
	assert_false(sl_iset_disjoint(full, top));
	assert_true(sl_iset_subset(top, full));
	assert_false(sl_iset_subset(full, top));

	/* an IPv6 /64 and its complement within the domain */
	sl_u128 net = (sl_u128)0x20010db800000000ull << 64;
	struct sl_iset p = sl_iset_prefix(a, net | 0xabcd, 64, 128);

	assert_true(p.iv[0].lo == net && p.iv[0].hi == (net | 0xffffffffffffffffull));
	s = sl_iset_complement(a, p, MAX128);
	assert_int_equal(s.n, 2);
	assert_true(sl_iset_is_full(sl_iset_union(a, s, p), MAX128));

	/* complement within a narrower domain drops values beyond max */
	s = sl_iset_complement(a, sl_iset_range(a, 100, 1000), 65535);
	assert_int_equal(s.n, 2);
	assert_true(s.iv[1].lo == 1001 && s.iv[1].hi == 65535);
	s = sl_iset_complement(a, sl_iset_range(a, 70000, 80000), 65535);
	assert_true(sl_iset_is_full(s, 65535));
}

/* ---- 128-bit intervals as word boxes ---- */

static bool in_word_box(const struct sl_word_box *b, sl_u128 v)
{
	for (unsigned w = 0; w < SL_WORDS_128; w++) {
		uint32_t x = (uint32_t)(v >> (32 * (3 - w)));

		if (x < b->lo[w] || x > b->hi[w])
			return false;
	}
	return true;
}

/* Points in [lo, hi] lie in exactly one word box, points outside in none; a prefix is one box. */
static void wide_intervals_become_disjoint_word_boxes(void **state)
{
	(void)state;
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (int t = 0; t < 20000; t++) {
		struct sl_interval iv = random_wide_interval(&s);
		struct sl_word_box b[SL_WORD_BOXES_MAX];
		unsigned n = sl_iset_word_boxes(iv.lo, iv.hi, b);
		sl_u128 probes[] = {iv.lo,
				    iv.hi,
				    iv.lo - 1,
				    iv.hi + 1,
				    random_address(&s),
				    iv.lo + (iv.hi - iv.lo) / 2,
				    iv.lo + 1,
				    iv.hi - 1};

		assert_in_range(n, 1, SL_WORD_BOXES_MAX);
		for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
			sl_u128 v = probes[k];
			unsigned hits = 0;

			for (unsigned i = 0; i < n; i++)
				hits += in_word_box(&b[i], v);
			if (hits != (v >= iv.lo && v <= iv.hi))
				fail_msg("trial %d probe %zu: in %u boxes of %u", t, k, hits, n);
		}
		for (unsigned len = 0; len <= 128; len += 1 + t % 7) {
			sl_u128 host = len == 128 ? 0 : ~(sl_u128)0 >> len;

			assert_int_equal(sl_iset_word_boxes(iv.lo & ~host, iv.lo | host, b), 1);
		}
	}
	assert_int_equal(sl_iset_word_boxes(1, ~(sl_u128)0 - 1, (struct sl_word_box[7]){0}), 7);
}

/* The words tests read: those a box constrains, word 0 for the whole space. */
static void words_read_by_a_set(void **state)
{
	struct sl_arena *a = *state;
	sl_u128 net = (sl_u128)0x20010db8u << 96;

	assert_int_equal(sl_iset_words(sl_iset_prefix(a, net, 64, 128)), 0x3);
	assert_int_equal(sl_iset_words(sl_iset_prefix(a, net, 32, 128)), 0x1);
	assert_int_equal(sl_iset_words(sl_iset_range(a, 0, MAX128)), 0x1);
	assert_int_equal(sl_iset_words(sl_iset_prefix(a, net | 1, 128, 128)), 0xf);
	assert_int_equal(sl_iset_words(sl_iset_union(a, sl_iset_prefix(a, net, 48, 128),
						     sl_iset_prefix(a, 5, 128, 128))),
			 0xf);
	assert_int_equal(sl_iset_words(sl_iset_empty()), 0);
}

static void results_are_not_aliased_into_inputs(void **state)
{
	struct sl_arena *a = *state;
	struct sl_iset x = sl_iset_range(a, 10, 20);
	struct sl_iset y = sl_iset_range(a, 15, 30);
	struct sl_iset u = sl_iset_union(a, x, y);

	assert_true(x.iv[0].lo == 10 && x.iv[0].hi == 20);
	assert_true(y.iv[0].lo == 15 && y.iv[0].hi == 30);
	assert_true(u.n == 1 && u.iv[0].lo == 10 && u.iv[0].hi == 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(random_ops_match_bitmap_model, setup, teardown),
	    cmocka_unit_test_setup_teardown(algebraic_laws_hold, setup, teardown),
	    cmocka_unit_test_setup_teardown(masked_matches_every_mask_and_value, setup, teardown),
	    cmocka_unit_test_setup_teardown(prefixes_over_8_bits, setup, teardown),
	    cmocka_unit_test_setup_teardown(ranges_and_from, setup, teardown),
	    cmocka_unit_test_setup_teardown(edges_of_128_bits, setup, teardown),
	    cmocka_unit_test_setup_teardown(results_are_not_aliased_into_inputs, setup, teardown),
	    cmocka_unit_test(wide_intervals_become_disjoint_word_boxes),
	    cmocka_unit_test_setup_teardown(words_read_by_a_set, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
