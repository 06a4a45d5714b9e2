// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE /* memmem */
#include "lexer/literal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* "<what> '<text>'<why>", the text cut to a readable length. */
static int fail_why(char *err, const char *what, const char *text, size_t len, const char *why)
{
	int shown = len > 60 ? 60 : (int)len;

	snprintf(err, SL_LIT_ERR_MAX, "%s '%.*s%s'%s", what, shown, text, len > 60 ? "..." : "",
		 why);
	return -EINVAL;
}

static int fail(char *err, const char *what, const char *text, size_t len)
{
	return fail_why(err, what, text, len, "");
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sl_literal_number(const char *text, size_t len, sl_u128 *out, char *err)
{
	const sl_u128 max = ~(sl_u128)0;
	unsigned base = 10;
	size_t i = 0;
	sl_u128 v = 0;

	if (len > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return fail(err, "invalid number", text, len);
	for (; i < len; i++) {
		int d = hexval(text[i]);

		if (d < 0 || (unsigned)d >= base)
			return fail(err, "invalid number", text, len);
		if (v > (max - (unsigned)d) / base)
			return fail_why(err, "number", text, len,
					" is too large (more than 128 bits)");
		v = v * base + (unsigned)d;
	}
	*out = v;
	return 0;
}

/* "/N" suffix: returns the prefix length or -1. */
static int parse_plen(const char *s, size_t len)
{
	unsigned v = 0;

	if (len == 0 || len > 3)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return (int)v;
}

static int apply_prefix(struct sl_literal *lit, const char *text, size_t len, size_t slash,
			unsigned bits, char *err)
{
	sl_u128 mask;
	int plen;

	lit->plen = bits;
	if (slash == len)
		return 0;
	plen = parse_plen(text + slash + 1, len - slash - 1);
	if (plen < 0)
		return fail(err, "invalid prefix length in", text, len);
	if ((unsigned)plen > bits) {
		snprintf(err, SL_LIT_ERR_MAX, "prefix length /%d is out of range 0-%u for an %s",
			 plen, bits, bits == 32 ? "IPv4 address" : "IPv6 address");
		return -EINVAL;
	}
	lit->has_plen = true;
	lit->plen = (unsigned)plen;
	lit->plen_off = slash;
	if (plen == 0)
		mask = 0;
	else
		mask = (~(sl_u128)0) << (bits - (unsigned)plen);
	if (bits < 128)
		mask &= ((sl_u128)1 << bits) - 1;
	if (lit->num & ~mask)
		lit->host_bits = true;
	lit->num &= mask;
	return 0;
}

static int parse_ipv4(const char *text, size_t len, size_t end, struct sl_literal *lit, char *err)
{
	unsigned octets = 0, digits = 0, cur = 0;
	uint32_t addr = 0;

	for (size_t i = 0; i <= end; i++) {
		char c = i < end ? text[i] : '.';

		if (c == '.') {
			if (digits == 0 || octets == 4)
				return fail(err, "invalid IPv4 address", text, len);
			if (cur > 255) {
				snprintf(err, SL_LIT_ERR_MAX,
					 "invalid IPv4 address: %u is not an octet (0-255)", cur);
				return -EINVAL;
			}
			addr = addr << 8 | cur;
			octets++;
			digits = 0;
			cur = 0;
			continue;
		}
		if (c < '0' || c > '9' || ++digits > 3)
			return fail(err, "invalid IPv4 address", text, len);
		cur = cur * 10 + (unsigned)(c - '0');
	}
	if (octets != 4)
		return fail_why(err, "invalid IPv4 address", text, len,
				" (an address has 4 octets)");
	lit->kind = SL_LIT_IPV4;
	lit->num = addr;
	return apply_prefix(lit, text, len, end, 32, err);
}

static int parse_ipv6(const char *text, size_t len, size_t end, struct sl_literal *lit, char *err)
{
	unsigned char bytes[16];
	char buf[64];

	if (end >= sizeof(buf))
		return fail(err, "invalid IPv6 address", text, len);
	memcpy(buf, text, end);
	buf[end] = '\0';
	if (inet_pton(AF_INET6, buf, bytes) != 1)
		return fail(err, "invalid IPv6 address", text, len);
	lit->kind = SL_LIT_IPV6;
	lit->num = 0;
	for (int i = 0; i < 16; i++)
		lit->num = lit->num << 8 | bytes[i];
	return apply_prefix(lit, text, len, end, 128, err);
}

/* Six groups of one or two hex digits separated by single colons. */
static bool parse_mac(const char *text, size_t len, struct sl_literal *lit)
{
	unsigned groups = 0, digits = 0;
	uint64_t v = 0, cur = 0;

	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? text[i] : ':';

		if (c == ':') {
			if (digits == 0)
				return false;
			v = v << 8 | cur;
			groups++;
			digits = 0;
			cur = 0;
			continue;
		}
		if (hexval(c) < 0 || ++digits > 2)
			return false;
		cur = cur << 4 | (unsigned)hexval(c);
	}
	if (groups != 6)
		return false;
	lit->kind = SL_LIT_MAC;
	lit->num = v;
	lit->plen = 48;
	return true;
}

int sl_literal_parse(const char *text, size_t len, struct sl_literal *out, char *err)
{
	const char *slash = memchr(text, '/', len);
	size_t end = slash ? (size_t)(slash - text) : len;
	bool colon = memchr(text, ':', len) != NULL;
	bool dot = memchr(text, '.', end) != NULL;

	memset(out, 0, sizeof(*out));
	if (colon) {
		size_t colons = 0;

		if (!slash && parse_mac(text, len, out))
			return 0;
		for (size_t i = 0; i < len; i++)
			colons += text[i] == ':';
		/* six groups without '::' cannot be IPv6: it was meant as a MAC address */
		if (colons == 5 && !slash && !dot && !memmem(text, len, "::", 2))
			return fail_why(err, "invalid MAC address", text, len,
					" (six hex bytes separated by ':')");
		return parse_ipv6(text, len, end, out, err);
	}
	if (dot)
		return parse_ipv4(text, len, end, out, err);
	if (slash)
		return fail_why(err, "invalid value", text, len,
				" (a prefix needs an address before the /)");
	out->kind = SL_LIT_NUMBER;
	return sl_literal_number(text, len, &out->num, err);
}
