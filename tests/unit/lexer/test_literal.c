// SPDX-License-Identifier: GPL-2.0-only
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "lexer/literal.h"

static struct sl_literal lit(const char *s, int want_rc)
{
	struct sl_literal l;
	char err[SL_LIT_ERR_MAX] = "";
	int r = sl_literal_parse(s, strlen(s), &l, err);

	if (r != want_rc)
		fail_msg("'%s': rc %d, expected %d (%s)", s, r, want_rc, err);
	if (r)
		assert_true(err[0] != '\0');
	return l;
}

static void numbers(void **state)
{
	struct sl_literal l = lit("0", 0);

	assert_int_equal(l.kind, SL_LIT_NUMBER);
	assert_true(l.num == 0);
	assert_true(lit("65535", 0).num == 65535);
	assert_true(lit("0x86dd", 0).num == 0x86dd);
	assert_true(lit("0XFF", 0).num == 255);
	assert_true(lit("007", 0).num == 7);
	/* 2^128 - 1 fits, 2^128 does not */
	assert_true(lit("340282366920938463463374607431768211455", 0).num == ~(sl_u128)0);
	assert_true(lit("0xffffffffffffffffffffffffffffffff", 0).num == ~(sl_u128)0);
	lit("340282366920938463463374607431768211456", -EINVAL);
	lit("0x100000000000000000000000000000000", -EINVAL);
	lit("99999999999999999999999999999999999999999999999999999", -EINVAL);
	lit("0x", -EINVAL);
	lit("12ab", -EINVAL);
	lit("1/8", -EINVAL);
}

static void ipv4(void **state)
{
	struct sl_literal l = lit("10.1.2.3", 0);

	assert_int_equal(l.kind, SL_LIT_IPV4);
	assert_true(l.num == 0x0a010203);
	assert_int_equal(l.plen, 32);
	assert_false(l.has_plen);

	l = lit("10.1.0.0/16", 0);
	assert_true(l.num == 0x0a010000);
	assert_int_equal(l.plen, 16);
	assert_true(l.has_plen);
	assert_false(l.host_bits);

	l = lit("10.1.2.3/16", 0); /* host bits cleared, flagged */
	assert_true(l.num == 0x0a010000);
	assert_true(l.host_bits);

	l = lit("0.0.0.0/0", 0);
	assert_true(l.num == 0);
	assert_int_equal(l.plen, 0);
	assert_true(lit("255.255.255.255/32", 0).num == 0xffffffff);

	lit("10.0.0.256", -EINVAL);
	lit("10.0.0", -EINVAL);
	lit("10.0.0.1.2", -EINVAL);
	lit("10..0.1", -EINVAL);
	lit("10.0.0.1/33", -EINVAL);
	lit("10.0.0.1/", -EINVAL);
	lit("10.0.0.1/1x", -EINVAL);
	lit("1000.0.0.1", -EINVAL);
}

static void ipv6(void **state)
{
	struct sl_literal l = lit("::", 0);

	assert_int_equal(l.kind, SL_LIT_IPV6);
	assert_true(l.num == 0);
	assert_int_equal(l.plen, 128);
	assert_true(lit("::1", 0).num == 1);

	l = lit("2001:db8::/32", 0);
	assert_true(l.num == (sl_u128)0x20010db8 << 96);
	assert_int_equal(l.plen, 32);

	l = lit("fe80::1/10", 0);
	assert_true(l.num == (sl_u128)0xfe80 << 112);
	assert_true(l.host_bits);

	l = lit("::ffff:192.0.2.1", 0);
	assert_true(l.num == (((sl_u128)0xffff << 32) | 0xc0000201));

	l = lit("1:2:3:4:5:6:7:8", 0);
	assert_true((uint64_t)l.num == 0x0005000600070008ull);
	assert_true(lit("::/0", 0).plen == 0);

	lit("2001:db8:::1", -EINVAL);
	lit("2001:db8::/129", -EINVAL);
	lit("1:2:3:4:5:6:7:8:9", -EINVAL);
	lit("::g", -EINVAL);
	lit(":", -EINVAL);
}

static void mac(void **state)
{
	struct sl_literal l = lit("00:11:22:33:44:55", 0);

	assert_int_equal(l.kind, SL_LIT_MAC);
	assert_true(l.num == 0x001122334455ull);
	assert_true(lit("ff:ff:ff:ff:ff:ff", 0).num == 0xffffffffffffull);
	assert_true(lit("0:1:2:3:4:5", 0).num == 0x000102030405ull);
	lit("00:11:22:33:44:gg", -EINVAL);
	lit("00:11:22:33:44:555", -EINVAL);
	/* five groups and '::' is IPv6, not a broken MAC */
	assert_int_equal(lit("1:2::3:4:5", 0).kind, SL_LIT_IPV6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(numbers),
	    cmocka_unit_test(ipv4),
	    cmocka_unit_test(ipv6),
	    cmocka_unit_test(mac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
