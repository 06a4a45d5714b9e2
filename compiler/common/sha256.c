// SPDX-License-Identifier: GPL-2.0-only
#include "common/sha256.h"

#include <string.h>

#include "common/util.h"

static const uint32_t k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

#define SL_SHA_ROUND(a, b, c, d, e, f, g, h, i)                                                    \
	do {                                                                                       \
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +   \
			      k[i] + w[i];                                                         \
		uint32_t t2 =                                                                      \
		    (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));         \
		d += t1;                                                                           \
		h = t1 + t2;                                                                       \
	} while (0)

static void compress(uint32_t state[8], const uint8_t block[64])
{
	uint32_t w[64];
	uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
	uint32_t e = state[4], f = state[5], g = state[6], h = state[7];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
		       (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	/* eight rounds per step, the working variables rotating by name instead of by copy */
	for (int i = 0; i < 64; i += 8) {
		SL_SHA_ROUND(a, b, c, d, e, f, g, h, i);
		SL_SHA_ROUND(h, a, b, c, d, e, f, g, i + 1);
		SL_SHA_ROUND(g, h, a, b, c, d, e, f, i + 2);
		SL_SHA_ROUND(f, g, h, a, b, c, d, e, i + 3);
		SL_SHA_ROUND(e, f, g, h, a, b, c, d, i + 4);
		SL_SHA_ROUND(d, e, f, g, h, a, b, c, i + 5);
		SL_SHA_ROUND(c, d, e, f, g, h, a, b, i + 6);
		SL_SHA_ROUND(b, c, d, e, f, g, h, a, i + 7);
	}
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
	state[4] += e;
	state[5] += f;
	state[6] += g;
	state[7] += h;
}

void sl_sha256_init(struct sl_sha256 *ctx)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

	memset(ctx, 0, sizeof(*ctx));
	memcpy(ctx->state, h0, sizeof(h0));
}

void sl_sha256_update(struct sl_sha256 *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;

	ctx->length += len;
	if (ctx->used) {
		size_t take = sl_min(sizeof(ctx->block) - ctx->used, len);

		memcpy(ctx->block + ctx->used, p, take);
		ctx->used += take;
		p += take;
		len -= take;
		if (ctx->used < sizeof(ctx->block))
			return;
		compress(ctx->state, ctx->block);
		ctx->used = 0;
	}
	for (; len >= sizeof(ctx->block); p += sizeof(ctx->block), len -= sizeof(ctx->block))
		compress(ctx->state, p);
	memcpy(ctx->block, p, len);
	ctx->used = len;
}

void sl_sha256_final(struct sl_sha256 *ctx, uint8_t out[SL_SHA256_LEN])
{
	uint64_t bits = ctx->length * 8;
	uint8_t pad[72] = {0x80};
	size_t padlen = (ctx->used < 56 ? 56 : 120) - ctx->used;

	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sl_sha256_update(ctx, pad, padlen + 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(ctx->state[i] >> 24);
		out[4 * i + 1] = (uint8_t)(ctx->state[i] >> 16);
		out[4 * i + 2] = (uint8_t)(ctx->state[i] >> 8);
		out[4 * i + 3] = (uint8_t)ctx->state[i];
	}
}

void sl_sha256(const void *data, size_t len, uint8_t out[SL_SHA256_LEN])
{
	struct sl_sha256 ctx;

	sl_sha256_init(&ctx);
	sl_sha256_update(&ctx, data, len);
	sl_sha256_final(&ctx, out);
}
