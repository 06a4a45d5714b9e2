/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SHA-256 (FIPS 180-4), for the policy's source hash: the object records it
 * so that a loaded program can be traced back to the exact policy text.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SL_SHA256_LEN 32

struct sl_sha256 {
	uint32_t state[8];
	uint64_t length; /* bytes hashed so far */
	uint8_t block[64];
	size_t used; /* bytes waiting in block */
};

void sl_sha256_init(struct sl_sha256 *ctx);
void sl_sha256_update(struct sl_sha256 *ctx, const void *data, size_t len);
void sl_sha256_final(struct sl_sha256 *ctx, uint8_t out[SL_SHA256_LEN]);
/* One-shot digest of a buffer. */
void sl_sha256(const void *data, size_t len, uint8_t out[SL_SHA256_LEN]);
