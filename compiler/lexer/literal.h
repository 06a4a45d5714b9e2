/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Literals as the lexer reads them: numbers, IPv4/IPv6 addresses and
 * prefixes, MAC addresses. Each takes the whole token text and either fills
 * `out` or explains in `err` what is wrong with it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"

enum sl_lit_kind {
	SL_LIT_NUMBER,
	SL_LIT_IPV4,
	SL_LIT_IPV6,
	SL_LIT_MAC,
};

struct sl_literal {
	enum sl_lit_kind kind;
	sl_u128 num;   /* the number, or the address (prefix: host bits cleared) */
	unsigned plen; /* prefix length; the address width without one */
	bool has_plen;
	bool host_bits;	 /* a prefix had host bits set (they were cleared) */
	size_t plen_off; /* offset of the '/' in the token, for diagnostics */
};

#define SL_LIT_ERR_MAX 160

/*
 * Classify and convert a token that starts like a number or an address
 * (a digit, a colon, or hex letters followed by a colon). Returns 0, or
 * -EINVAL with a message in err.
 */
int sl_literal_parse(const char *text, size_t len, struct sl_literal *out, char *err);

/* Decimal or 0x hexadecimal, up to 2^128-1. */
int sl_literal_number(const char *text, size_t len, sl_u128 *out, char *err);
