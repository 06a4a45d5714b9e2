// SPDX-License-Identifier: GPL-2.0-only
/* Decision trees against the naive first-match scan: hand-made and random problems. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "select/dtree.h"
#include "common/util.h"

struct gen {
	struct sl_dt_problem prob;
	uint64_t lo[4096 * SL_DT_MAX_DIMS], hi[4096 * SL_DT_MAX_DIMS];
	uint32_t need[4096], payload[4096];
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t rnd_value(uint64_t *s, unsigned bits)
{
	uint64_t max = (UINT64_C(1) << bits) - 1;

	switch (rnd(s) % 4) {
	case 0:
		return 0;
	case 1:
		return max;
	default:
		return rnd(s) & max;
	}
}

/* Random boxes: prefixes, ranges, single values and free dimensions, with repeats. */
static void gen_problem(struct gen *g, uint64_t seed, unsigned ndims, uint32_t nboxes)
{
	static const unsigned widths[] = {1, 3, 8, 16, 32, 48, 63, 12, 4, 32, 16, 8};
	uint64_t s = seed | 1;

	memset(&g->prob, 0, sizeof(g->prob));
	g->prob.ndims = ndims;
	for (unsigned d = 0; d < ndims; d++)
		g->prob.bits[d] = widths[(d + seed) % SL_ARRAY_SIZE(widths)];
	for (uint32_t i = 0; i < nboxes; i++) {
		g->need[i] = 0;
		g->payload[i] = i * 7 + 3;
		for (unsigned d = 0; d < ndims; d++) {
			size_t k = (size_t)i * ndims + d;
			unsigned bits = g->prob.bits[d];
			uint64_t a, b;

			g->lo[k] = g->hi[k] = 0;
			if (rnd(&s) % 3 == 0)
				continue;
			g->need[i] |= 1u << d;
			if (rnd(&s) % 2) {
				unsigned len = rnd(&s) % (bits + 1);
				uint64_t size = len == 0 ? 0 : UINT64_C(1) << (bits - len);

				a = rnd_value(&s, bits);
				if (len == 0) {
					g->lo[k] = 0;
					g->hi[k] = (UINT64_C(1) << bits) - 1;
				} else {
					g->lo[k] = a & ~(size - 1);
					g->hi[k] = g->lo[k] + size - 1;
				}
			} else {
				a = rnd_value(&s, bits);
				b = rnd(&s) % 2 ? a : rnd_value(&s, bits);
				g->lo[k] = a < b ? a : b;
				g->hi[k] = a < b ? b : a;
			}
		}
		if (i > 0 && rnd(&s) % 8 == 0) { /* an exact repeat of an earlier box */
			uint32_t j = rnd(&s) % i;

			memcpy(&g->lo[(size_t)i * ndims], &g->lo[(size_t)j * ndims], ndims * 8);
			memcpy(&g->hi[(size_t)i * ndims], &g->hi[(size_t)j * ndims], ndims * 8);
			g->need[i] = g->need[j];
		}
	}
	g->prob.nboxes = nboxes;
	g->prob.lo = g->lo;
	g->prob.hi = g->hi;
	g->prob.need = g->need;
	g->prob.payload = g->payload;
}

/* Packets aimed at box corners and edges (and just outside them), some fields absent. */
static void check_packets(const struct gen *g, const struct sl_dt *dt, uint64_t seed, unsigned n)
{
	const struct sl_dt_problem *p = &g->prob;
	uint64_t s = seed | 1;

	for (unsigned t = 0; t < n; t++) {
		uint64_t v[SL_DT_MAX_DIMS];
		uint32_t absent = 0, want, got, box = p->nboxes ? rnd(&s) % p->nboxes : 0;

		for (unsigned d = 0; d < p->ndims; d++) {
			size_t k = (size_t)box * p->ndims + d;
			uint64_t max = (UINT64_C(1) << p->bits[d]) - 1;

			switch (rnd(&s) % 6) {
			case 0:
				v[d] = p->lo[k] - (p->lo[k] > 0);
				break;
			case 1:
				v[d] = p->hi[k] + (p->hi[k] < max);
				break;
			case 2:
				v[d] = rnd_value(&s, p->bits[d]);
				break;
			default:
				v[d] = rnd(&s) % 2 ? p->lo[k] : p->hi[k];
				break;
			}
			if (!p->nboxes)
				v[d] = rnd_value(&s, p->bits[d]);
			v[d] &= max;
			if (rnd(&s) % 16 == 0)
				absent |= 1u << d;
		}
		want = sl_dt_problem_lookup(p, v, absent);
		got = sl_dt_lookup(dt, v, absent, NULL);
		if (want != got)
			fail_msg("packet %u: dtree says %u, first match is %u", t, got, want);
		if (got != SL_DT_NONE)
			assert_int_equal(sl_dt_payload(dt, got), got * 7 + 3);
	}
}

static void absent_fields_never_match_constrained_dims(void **state)
{
	uint64_t lo[] = {10, 0, 0, 5}, hi[] = {20, 0, 0, 5};
	uint32_t need[] = {0x1, 0x2};
	struct sl_dt_problem p = {
	    .ndims = 2,
	    .bits = {16, 8},
	    .nboxes = 2,
	    .lo = lo,
	    .hi = hi,
	    .need = need,
	};
	struct sl_dt_params par;
	_cleanup_dt_ struct sl_dt *dt = NULL;
	uint64_t v[2] = {15, 5};

	sl_dt_params_default(&par);
	par.binth = 1;
	assert_int_equal(sl_dt_build(&p, &par, &dt), 0);
	assert_int_equal(sl_dt_lookup(dt, v, 0, NULL), 0);
	/* dim 0 absent: box 0 cannot match, box 1 (dim 0 free) can. */
	assert_int_equal(sl_dt_lookup(dt, v, 0x1, NULL), 1);
	assert_int_equal(sl_dt_lookup(dt, v, 0x3, NULL), SL_DT_NONE);
	v[0] = 21;
	assert_int_equal(sl_dt_lookup(dt, v, 0, NULL), 1);
	v[1] = 6;
	assert_int_equal(sl_dt_lookup(dt, v, 0, NULL), SL_DT_NONE);
}

static void invalid_problems_are_refused(void **state)
{
	uint64_t lo[] = {30}, hi[] = {20};
	uint32_t need[] = {1};
	struct sl_dt_problem p = {
	    .ndims = 1, .bits = {16}, .nboxes = 1, .lo = lo, .hi = hi, .need = need};
	struct sl_dt_params par;
	struct sl_dt *dt = NULL;

	sl_dt_params_default(&par);
	assert_int_equal(sl_dt_build(&p, &par, &dt), -EINVAL); /* lo > hi */
	lo[0] = 0;
	hi[0] = 70000;
	assert_int_equal(sl_dt_build(&p, &par, &dt), -EINVAL); /* beyond 16 bits */
	hi[0] = 10;
	p.bits[0] = 64;
	assert_int_equal(sl_dt_build(&p, &par, &dt), -EINVAL);
	p.bits[0] = 16;
	p.ndims = 0;
	assert_int_equal(sl_dt_build(&p, &par, &dt), -EINVAL);
	assert_null(dt);
}

static void limits_give_e2big(void **state)
{
	static struct gen g;
	struct sl_dt_params par;
	struct sl_dt *dt = NULL;

	gen_problem(&g, 5, 3, 2000);
	sl_dt_params_default(&par);
	par.max_bytes = 64;
	assert_int_equal(sl_dt_build(&g.prob, &par, &dt), -E2BIG);
	assert_null(dt);
}

static void empty_problem_matches_nothing(void **state)
{
	struct sl_dt_problem p = {.ndims = 1, .bits = {8}};
	struct sl_dt_params par;
	_cleanup_dt_ struct sl_dt *dt = NULL;
	uint64_t v[1] = {3};

	sl_dt_params_default(&par);
	assert_int_equal(sl_dt_build(&p, &par, &dt), 0);
	assert_int_equal(sl_dt_lookup(dt, v, 0, NULL), SL_DT_NONE);
}

static void random_problems_match_first_match(void **state)
{
	static struct gen g;
	static const struct {
		unsigned binth, trees;
		bool splits;
	} cfg[] = {{1, 1, false}, {4, 1, false}, {8, 4, false}, {2, 8, false}, {16, 2, false},
		   {1, 1, true},  {4, 2, true},	 {16, 4, true}, {2, 8, true}};

	for (uint64_t seed = 1; seed <= 30; seed++) {
		unsigned ndims = 1 + seed % SL_DT_MAX_DIMS;
		uint32_t n = (seed * 37) % 700;

		gen_problem(&g, seed, ndims, n);
		for (size_t c = 0; c < SL_ARRAY_SIZE(cfg); c++) {
			struct sl_dt_params par;
			_cleanup_dt_ struct sl_dt *dt = NULL;

			sl_dt_params_default(&par);
			par.binth = cfg[c].binth;
			par.max_trees = cfg[c].trees;
			par.splits = cfg[c].splits;
			par.max_leaf = 4096;
			par.max_bytes = 64u << 20;
			assert_int_equal(sl_dt_build(&g.prob, &par, &dt), 0);
			assert_true(dt->ntrees <= cfg[c].trees);
			for (uint32_t t = 0; t + 1 < dt->ntrees; t++)
				assert_true(dt->trees[t].min_box < dt->trees[t + 1].min_box);
			check_packets(&g, dt, seed * 1000 + c, 400);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(absent_fields_never_match_constrained_dims),
	    cmocka_unit_test(invalid_problems_are_refused),
	    cmocka_unit_test(limits_give_e2big),
	    cmocka_unit_test(empty_problem_matches_nothing),
	    cmocka_unit_test(random_problems_match_first_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
