// SPDX-License-Identifier: GPL-2.0-only
/* abi/run_output.c: the one format `sluice run` and `sluice-load run` print. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include "sluice/run_output.h"

/* Runs one scripted capture through the printer and returns what it wrote. */
static char *script(bool json, bool with_skip)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct sl_run_rule r0 = {.id = 0, .file = "a\"b.sluice", .line = 3, .col = 5};
	struct sl_run_rule r2 = {.id = 2, .file = "p.sluice", .line = 7, .col = 1};
	struct sl_run_out o;

	sl_run_out_begin(&o, f, json);
	sl_run_out_verdict(&o, true, SL_RUN_BY_RULE, &r0);
	if (with_skip)
		sl_run_out_skipped(&o, "the kernel cannot test-run frames under 14 bytes");
	sl_run_out_verdict(&o, false, SL_RUN_BY_POLICY, NULL);
	sl_run_out_verdict(&o, false, SL_RUN_UNKNOWN, NULL);
	sl_run_out_total(&o);
	sl_run_out_counter(&o, &r0, 1, 60);
	sl_run_out_counter(&o, &r2, 0, 0);
	sl_run_out_end(&o);
	fclose(f);
	return buf;
}

static void test_text(void **state)
{
	assert_string_equal(script(false, false), "1\taccept\ta\"b.sluice:3:5\n"
						  "2\tdrop\tpolicy\n"
						  "3\tdrop\t?\n"
						  "total: 3 packets, 1 accept, 2 drop\n"
						  "counter\ta\"b.sluice:3:5\t1 packets\t60 bytes\n"
						  "counter\tp.sluice:7:1\t0 packets\t0 bytes\n");
	assert_string_equal(script(false, true),
			    "1\taccept\ta\"b.sluice:3:5\n"
			    "2\tskipped\tthe kernel cannot test-run frames under 14 bytes\n"
			    "3\tdrop\tpolicy\n"
			    "4\tdrop\t?\n"
			    "total: 4 packets, 1 accept, 2 drop, 1 skipped\n"
			    "counter\ta\"b.sluice:3:5\t1 packets\t60 bytes\n"
			    "counter\tp.sluice:7:1\t0 packets\t0 bytes\n");
}

static void test_json(void **state)
{
	assert_string_equal(
	    script(true, false),
	    "{\"packets\":[{\"n\":1,\"verdict\":\"accept\",\"rule\":{\"id\":0,\"file\":\"a\\\"b."
	    "sluice\","
	    "\"line\":3,\"col\":5}},{\"n\":2,\"verdict\":\"drop\",\"rule\":null},{\"n\":3,"
	    "\"verdict\":"
	    "\"drop\",\"rule\":\"?\"}],\"total\":{\"packets\":3,\"accept\":1,\"drop\":2},"
	    "\"counters\":"
	    "[{\"id\":0,\"file\":\"a\\\"b.sluice\",\"line\":3,\"col\":5,\"packets\":1,\"bytes\":60}"
	    ","
	    "{\"id\":2,\"file\":\"p.sluice\",\"line\":7,\"col\":1,\"packets\":0,\"bytes\":0}]}\n");
	assert_non_null(strstr(script(true, true),
			       ",{\"n\":2,\"verdict\":\"skipped\",\"reason\":\"the kernel cannot "
			       "test-run frames under 14 bytes\"},{\"n\":3,"));
	assert_non_null(strstr(script(true, true),
			       "\"total\":{\"packets\":4,\"accept\":1,\"drop\":2,\"skipped\":1}"));
}

static void test_abort_closes_json(void **state)
{
	char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct sl_run_out o;

	sl_run_out_begin(&o, f, true);
	sl_run_out_verdict(&o, true, SL_RUN_BY_POLICY, NULL);
	sl_run_out_abort(&o);
	fclose(f);
	assert_string_equal(buf,
			    "{\"packets\":[{\"n\":1,\"verdict\":\"accept\",\"rule\":null}]}\n");
}

static void test_frame(void **state)
{
	static uint8_t buf[SL_RUN_MAX_CAPLEN + SL_RUN_ETH_HLEN];
	const uint8_t v4[] = {0x45, 0, 0, 20}, v6[] = {0x60, 0}, bad[] = {0x10};
	const uint8_t eth[] = {1, 2, 3};
	uint32_t len;
	bool raw;

	assert_int_equal(sl_run_frame(v4, sizeof(v4), true, buf, &len), 0);
	assert_int_equal(len, 18);
	assert_int_equal(buf[12], 0x08);
	assert_int_equal(buf[13], 0x00);
	assert_int_equal(buf[14], 0x45);
	assert_int_equal(sl_run_frame(v6, sizeof(v6), true, buf, &len), 0);
	assert_int_equal(buf[12] << 8 | buf[13], 0x86dd);
	assert_int_equal(sl_run_frame(bad, sizeof(bad), true, buf, &len), -EINVAL);
	assert_int_equal(sl_run_frame(bad, 0, true, buf, &len), -EINVAL);
	/* Ethernet captures pass through as they are, runts included */
	assert_int_equal(sl_run_frame(eth, sizeof(eth), false, buf, &len), 0);
	assert_int_equal(len, 3);
	assert_int_equal(sl_run_link_type(1 /* DLT_EN10MB */, &raw), 0);
	assert_false(raw);
	assert_int_equal(sl_run_link_type(12 /* DLT_RAW */, &raw), 0);
	assert_true(raw);
	assert_int_equal(sl_run_link_type(105 /* DLT_IEEE802_11 */, &raw), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_abort_closes_json),
	    cmocka_unit_test(test_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
