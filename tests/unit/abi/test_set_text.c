// SPDX-License-Identifier: GPL-2.0-only
/* abi/set_text.c: element lines of named sets, their map keys and the text back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "sluice/set_text.h"

static const struct sl_set_shape v4 = {1, {SL_SETF_IPV4}, false, 0};
static const struct sl_set_shape v4i = {1, {SL_SETF_IPV4}, true, 0};
static const struct sl_set_shape v6i = {1, {SL_SETF_IPV6}, true, 0};
static const struct sl_set_shape v4port = {2, {SL_SETF_IPV4, SL_SETF_SERVICE}, false, 0};
static const struct sl_set_shape v4porti = {2, {SL_SETF_IPV4, SL_SETF_SERVICE}, true, 1};
static const struct sl_set_shape mac = {1, {SL_SETF_ETHER}, false, 0};
static const struct sl_set_shape proto = {1, {SL_SETF_PROTO}, true, 0};

static char why[200];

static int parse(const struct sl_set_shape *s, const char *line, struct sl_set_elem *e)
{
	why[0] = '\0';
	return sl_set_text_parse(s, line, strlen(line), e, why, sizeof(why));
}

/* Parses, then formats the element back. */
static const char *rtrip(const struct sl_set_shape *s, const char *line)
{
	static char buf[256];
	struct sl_set_elem e;

	if (parse(s, line, &e))
		return why;
	sl_set_text_format(s, &e, buf, sizeof(buf));
	return buf;
}

/* The keys of a line, each formatted back (prefixes), joined by ", ". */
static const char *keys(const struct sl_set_shape *s, const char *line)
{
	static char out[2048];
	static uint8_t k[SL_SET_MAX_KEYS * 40];
	struct sl_set_elem e, d;
	size_t n, o = 0;
	uint32_t ks = sl_set_key_size(s);

	if (parse(s, line, &e))
		return why;
	if (sl_set_elem_keys(s, &e, k, SL_SET_MAX_KEYS, &n, why, sizeof(why)))
		return why;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(sl_set_key_elem(s, k + i * ks, &d), 0);
		o += snprintf(out + o, sizeof(out) - o, "%s", i ? ", " : "");
		o += sl_set_text_format(s, &d, out + o, sizeof(out) - o);
	}
	return out;
}

static void test_ipv4(void **state)
{
	assert_string_equal(rtrip(&v4, "192.0.2.7"), "192.0.2.7");
	assert_string_equal(rtrip(&v4, "  192.0.2.7   # a comment"), "192.0.2.7");
	assert_string_equal(rtrip(&v4i, "192.0.2.0/24"), "192.0.2.0/24");
	assert_string_equal(rtrip(&v4i, "10.0.0.1-10.0.0.6"), "10.0.0.1-10.0.0.6");
	assert_string_equal(rtrip(&v4i, "10.0.0.1/32"), "10.0.0.1");
	assert_string_equal(rtrip(&v4i, "0.0.0.0/0"), "0.0.0.0/0");
	/* a /32 is one value: fine without `interval` */
	assert_string_equal(rtrip(&v4, "10.0.0.1/32"), "10.0.0.1");
}

static void test_errors(void **state)
{
	struct sl_set_elem e;

	assert_int_equal(parse(&v4, "192.0.2.0/24", &e), -EINVAL);
	assert_non_null(strstr(why, "no `flags interval`"));
	assert_int_equal(parse(&v4, "2001:db8::1", &e), -EINVAL);
	assert_non_null(strstr(why, "IPv6 address, but the set holds ipv4_addr"));
	assert_int_equal(parse(&v6i, "192.0.2.1", &e), -EINVAL);
	assert_non_null(strstr(why, "IPv4 address, but the set holds ipv6_addr"));
	assert_int_equal(parse(&v4, "192.0.2", &e), -EINVAL);
	assert_non_null(strstr(why, "not an IPv4 address"));
	assert_int_equal(parse(&v4i, "192.0.2.1/24", &e), -EINVAL);
	assert_non_null(strstr(why, "did you mean 192.0.2.0/24?"));
	assert_int_equal(parse(&v4i, "192.0.2.0/33", &e), -EINVAL);
	assert_non_null(strstr(why, "prefix length must be 0-32"));
	assert_int_equal(parse(&v4i, "10.0.0.9-10.0.0.1", &e), -EINVAL);
	assert_non_null(strstr(why, "above its last"));
	assert_int_equal(parse(&v4i, "10.0.0.1-bogus", &e), -EINVAL);
	assert_non_null(strstr(why, "'bogus' is not an IPv4 address"));
	assert_int_equal(parse(&v4, "10.0.0.1 10.0.0.2", &e), -EINVAL);
	assert_non_null(strstr(why, "unexpected '10.0.0.2'"));
	assert_int_equal(parse(&v4port, "10.0.0.1", &e), -EINVAL);
	assert_non_null(strstr(why, "1 of 2 values: the set holds ipv4_addr . inet_service"));
	assert_int_equal(parse(&v4port, "10.0.0.1 . 80 . 81", &e), -EINVAL);
	assert_non_null(strstr(why, "too many values"));
	assert_int_equal(parse(&v4port, "10.0.0.1 .", &e), -EINVAL);
	assert_non_null(strstr(why, "a value is missing"));
	assert_int_equal(parse(&v4, "10.0.0.1 timeout", &e), -EINVAL);
	assert_non_null(strstr(why, "needs a duration"));
	assert_int_equal(parse(&v4, "10.0.0.1 timeout 10x", &e), -EINVAL);
	assert_non_null(strstr(why, "not a duration"));
	assert_int_equal(parse(&v4, "10.0.0.1\x01", &e), -EINVAL);
	assert_non_null(strstr(why, "\\x01"));
	/* a line of only blanks and a comment is no element */
	assert_int_equal(parse(&v4, "   # nothing", &e), 1);
	assert_int_equal(parse(&v4, "", &e), 1);
}

static void test_concat(void **state)
{
	struct sl_set_elem e;

	assert_string_equal(rtrip(&v4port, "10.0.0.1 . 443"), "10.0.0.1 . 443");
	assert_string_equal(rtrip(&v4port, "10.0.0.1 . https"), "10.0.0.1 . 443");
	assert_string_equal(rtrip(&v4porti, "10.0.0.1 . 1000-2000"), "10.0.0.1 . 1000-2000");
	assert_int_equal(parse(&v4porti, "10.0.0.0/8 . 1000-2000", &e), -EINVAL);
	assert_non_null(strstr(why, "only one value"));
	/* the wide field of this set is the port: a prefix in the address is refused */
	assert_string_equal(keys(&v4porti, "10.0.0.0/8 . 80"),
			    "only value 2 of the concatenation may be a prefix or range in this "
			    "set, not value 1");
	assert_string_equal(keys(&v4porti, "10.0.0.1 . 80-83"), "10.0.0.1 . 80-83");
	assert_string_equal(keys(&v4porti, "10.0.0.1 . 80-84"), "10.0.0.1 . 80-83, 10.0.0.1 . 84");
}

static void test_other_types(void **state)
{
	struct sl_set_elem e;

	assert_string_equal(rtrip(&mac, "02:00:5E:10:00:01"), "02:00:5e:10:00:01");
	assert_int_equal(parse(&mac, "02:00:5e:10:00", &e), -EINVAL);
	assert_non_null(strstr(why, "not a MAC address"));
	assert_string_equal(rtrip(&proto, "tcp"), "tcp");
	assert_string_equal(rtrip(&proto, "6"), "tcp");
	assert_string_equal(rtrip(&proto, "ipv6-route"), "ipv6-route");
	assert_string_equal(rtrip(&proto, "250"), "250");
	assert_string_equal(rtrip(&proto, "tcp-udp"), "tcp-udp");
	assert_int_equal(parse(&proto, "256", &e), -EINVAL);
	assert_non_null(strstr(why, "not a protocol"));
	assert_int_equal(parse(&proto, "6/4", &e), -EINVAL);
	assert_non_null(strstr(why, "has no prefixes"));
	assert_string_equal(rtrip(&v6i, "2001:db8::/32"), "2001:db8::/32");
	assert_string_equal(rtrip(&v6i, "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
			    "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_keys(void **state)
{
	assert_string_equal(keys(&v4i, "10.0.0.1-10.0.0.6"),
			    "10.0.0.1, 10.0.0.2/31, 10.0.0.4/31, 10.0.0.6");
	assert_string_equal(keys(&v4i, "0.0.0.0-255.255.255.255"), "0.0.0.0/0");
	assert_string_equal(keys(&v4i, "0.0.0.1-255.255.255.255"),
			    "0.0.0.1, 0.0.0.2/31, 0.0.0.4/30, 0.0.0.8/29, 0.0.0.16/28, "
			    "0.0.0.32/27, 0.0.0.64/26, 0.0.0.128/25, 0.0.1.0/24, 0.0.2.0/23, "
			    "0.0.4.0/22, 0.0.8.0/21, 0.0.16.0/20, 0.0.32.0/19, 0.0.64.0/18, "
			    "0.0.128.0/17, 0.1.0.0/16, 0.2.0.0/15, 0.4.0.0/14, 0.8.0.0/13, "
			    "0.16.0.0/12, 0.32.0.0/11, 0.64.0.0/10, 0.128.0.0/9, 1.0.0.0/8, "
			    "2.0.0.0/7, 4.0.0.0/6, 8.0.0.0/5, 16.0.0.0/4, 32.0.0.0/3, 64.0.0.0/2, "
			    "128.0.0.0/1");
	assert_string_equal(keys(&v6i, "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "::/0");
	assert_string_equal(keys(&v6i, "::1-::2"), "::1, ::2");
	assert_string_equal(keys(&v4, "192.0.2.7"), "192.0.2.7");
	assert_int_equal(sl_set_key_size(&v4), 4);
	assert_int_equal(sl_set_key_size(&v4i), 8);
	assert_int_equal(sl_set_key_size(&v4porti), 10);
}

static void test_key_bytes(void **state)
{
	/* The contract's layout: u32 prefix length (host order), single fields, the range field. */
	struct sl_set_elem e;
	uint8_t k[64];
	size_t n;
	uint32_t plen;
	static const uint8_t data[] = {10, 0, 0, 1, 0x01, 0xbb};

	assert_int_equal(parse(&v4porti, "10.0.0.1 . 443", &e), 0);
	assert_int_equal(sl_set_elem_keys(&v4porti, &e, k, 4, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 1);
	memcpy(&plen, k, 4);
	assert_int_equal(plen, 48);
	assert_memory_equal(k + 4, data, 6);
	/* a key no element gives: a prefix length shorter than the single fields */
	plen = 16;
	memcpy(k, &plen, 4);
	assert_int_equal(sl_set_key_elem(&v4porti, k, &e), -EINVAL);
	plen = 8;
	memcpy(k, &plen, 4);
	memcpy(k + 4, (uint8_t[]){10, 0, 0, 1}, 4);
	assert_int_equal(sl_set_key_elem(&v4i, k, &e), -EINVAL); /* bits past the prefix */
	assert_int_equal(parse(&v4port, "10.0.0.1 . 443", &e), 0);
	assert_int_equal(sl_set_elem_keys(&v4port, &e, k, 4, &n, why, sizeof(why)), 0);
	assert_memory_equal(k, data, 6);
}

static void test_timeout(void **state)
{
	struct sl_set_elem e;
	uint64_t ns;
	char buf[32];

	assert_int_equal(parse(&v4, "10.0.0.1 timeout 10m", &e), 0);
	assert_true(e.timeout_ns == 600000000000ull);
	assert_int_equal(parse(&v4port, "10.0.0.1 . 22 timeout 1h30m", &e), 0);
	assert_true(e.timeout_ns == 5400000000000ull);
	assert_int_equal(sl_set_text_duration("45", 2, &ns), 0);
	assert_true(ns == 45000000000ull);
	assert_int_equal(sl_set_text_duration("500ms", 5, &ns), 0);
	assert_true(ns == 500000000ull);
	assert_int_equal(sl_set_text_duration("1h5", 3, &ns), -EINVAL);
	assert_int_equal(sl_set_text_duration("99999999999999999999d", 21, &ns), -EINVAL);
	assert_int_equal(sl_set_text_duration("4294967295d", 11, &ns), -EINVAL);
	assert_int_equal(parse(&v4, "10.0.0.1 timeout 0s", &e), -EINVAL);
	sl_set_text_format_duration(5400000000000ull, buf, sizeof(buf));
	assert_string_equal(buf, "1h30m");
	sl_set_text_format_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	sl_set_text_format_duration(90061500000000ull, buf, sizeof(buf));
	assert_string_equal(buf, "1d1h1m1s500ms");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4),    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_concat),  cmocka_unit_test(test_other_types),
	    cmocka_unit_test(test_keys),    cmocka_unit_test(test_key_bytes),
	    cmocka_unit_test(test_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
