/* SPDX-License-Identifier: GPL-2.0-only */
/* A small seeded generator (splitmix64): same seed, same policies and packets. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/* Uniform in [lo, hi]. */
static inline uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + (hi - lo == UINT64_MAX ? rng_next(r) : rng_below(r, hi - lo + 1));
}

/* true with probability pct/100. */
static inline bool rng_pct(struct rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

static inline unsigned __int128 rng_u128(struct rng *r)
{
	return (unsigned __int128)rng_next(r) << 64 | rng_next(r);
}
