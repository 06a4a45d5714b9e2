// SPDX-License-Identifier: GPL-2.0-only
/* loader/meta.c: choosing a table of an object (the parser's tests: tests/unit/abi). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "meta.h"
#include "metabuf.h"

static const struct metabuf_rule rules[] = {
    {"t", "tcp dport 22 counter accept", 3, 5, 0},
    {"t", "udp dport 53 accept", 4, 5, SLUICE_NO_COUNTER},
};

static void test_pick_table(void **state)
{
	struct metabuf b = {0};
	struct sl_meta *m = NULL;
	const struct sluice_meta_table *t = NULL;
	char why[160];

	metabuf_build(&b, rules, 2, 1);
	assert_int_equal(sl_meta_parse(b.data, b.size, &m, why, sizeof(why)), 0);
	assert_int_equal(sl_meta_pick_table(m, "x.o", NULL, &t), 0);
	assert_ptr_equal(t, &m->tables[0]);
	assert_int_equal(sl_meta_pick_table(m, "x.o", "t", &t), 0);
	assert_int_equal(sl_meta_pick_table(m, "x.o", "nope", &t), -ENOENT);
	sl_meta_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pick_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
