// SPDX-License-Identifier: GPL-2.0-only
/* abi/json.c: the one JSON string writer of the compiler's and the loader's outputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sluice/json.h"

static const char *json(const char *s)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	sl_json_str(f, s);
	fclose(f);
	return buf;
}

static void test_escapes(void **state)
{
	assert_string_equal(json("plain"), "\"plain\"");
	assert_string_equal(json("a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(json("l1\nl2\tx\x01\x7f"), "\"l1\\nl2\\tx\\u0001\\u007f\"");
	assert_string_equal(json(NULL), "\"\"");
}

static void test_utf8(void **state)
{
	/* Well-formed UTF-8 passes; stray, overlong and surrogate bytes become U+00XX. */
	assert_string_equal(json("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
	assert_string_equal(json("x\xff"), "\"x\\u00ff\"");
	assert_string_equal(json("\xc0\xaf"), "\"\\u00c0\\u00af\"");
	assert_string_equal(json("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");
	assert_string_equal(json("\xe2\x82"), "\"\\u00e2\\u0082\"");
}

static void test_utf8_len(void **state)
{
	assert_int_equal(sl_utf8_len((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(sl_utf8_len((const unsigned char *)"\xf0\x9f\x98\x80", 3), 0);
	assert_int_equal(sl_utf8_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(sl_utf8_len((const unsigned char *)"a", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_utf8_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
