/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Random 128-bit addresses and intervals for the unit tests of what handles
 * IPv6 addresses word by word (ir's word boxes, opt's classifier): word
 * values biased to the edges of a 32-bit word, where splits go wrong.
 */
#pragma once

#include <stdint.h>

#include "ir/iset.h"

/* xorshift64: small and seedable (the seed must not be 0). */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline uint32_t random_word(uint64_t *s)
{
	static const uint32_t edges[] = {0,	    1, 2, 0x7fffffff, 0x80000000, UINT32_MAX - 1,
					 UINT32_MAX};

	return rnd(s) % 3 ? edges[rnd(s) % (sizeof(edges) / sizeof(edges[0]))] : (uint32_t)rnd(s);
}

static inline sl_u128 random_address(uint64_t *s)
{
	sl_u128 v = 0;

	for (int w = 0; w < 4; w++)
		v = v << 32 | random_word(s);
	return v;
}

/* A prefix, a range within one /96, or any range. */
static inline struct sl_interval random_wide_interval(uint64_t *s)
{
	sl_u128 x = random_address(s), y;
	unsigned len = (unsigned)(rnd(s) % 129);

	switch (rnd(s) % 3) {
	case 0:
		y = len == 128 ? 0 : ~(sl_u128)0 >> len;
		return (struct sl_interval){x & ~y, x | y};
	case 1:
		y = x + rnd(s) % 1000;
		break;
	default:
		y = random_address(s);
	}
	return x <= y ? (struct sl_interval){x, y} : (struct sl_interval){y, x};
}
