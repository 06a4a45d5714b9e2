// SPDX-License-Identifier: GPL-2.0-only
/* loader/counters.c: which counters carry over a replace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "counters.h"
#include "metabuf.h"

static struct sl_meta *meta_of(const struct metabuf_rule *r, uint32_t n, uint32_t ncounters)
{
	static struct metabuf b;
	struct sl_meta *m = NULL;
	char why[160];

	memset(&b, 0, sizeof(b));
	metabuf_build(&b, r, n, ncounters);
	assert_int_equal(sl_meta_parse(b.data, b.size, &m, why, sizeof(why)), 0);
	return m;
}

static void test_match(void **state)
{
	const uint32_t none = SLUICE_NO_COUNTER;
	const struct metabuf_rule old_r[] = {
	    {"t", "tcp dport 22 counter accept", 1, 1, 0},
	    {"t", "udp counter drop", 2, 1, 1},
	    {"t", "tcp dport 22 counter accept", 3, 1, 2}, /* the same text twice */
	    {"c", "udp counter drop", 4, 1, 3},		   /* same text, another chain */
	    {"t", "icmp counter accept", 5, 1, 4},
	};
	const struct metabuf_rule new_r[] = {
	    {"t", "tcp dport 22 counter accept", 1, 1, 5},
	    {"t", "icmp accept", 2, 1, none},
	    {"t", "tcp dport 22 counter accept", 3, 1, 0},
	    {"t", "tcp dport 22 counter accept", 4, 1, 1}, /* a third: new, no old */
	    {"c", "udp counter drop", 5, 1, 2},
	    {"t", "icmp counter accept", 6, 1, none}, /* no slot now */
	};
	struct sl_meta *o = meta_of(old_r, 5, 5), *n = meta_of(new_r, 6, 6);
	struct sl_slot_pair *p = NULL;
	size_t np = 99;
	int found = 0;

	assert_int_equal(sl_counters_match(o, n, &p, &np), 0);
	assert_int_equal(np, 3);
	for (size_t i = 0; i < np; i++) {
		if (p[i].old_slot == 0 && p[i].new_slot == 5)
			found |= 1;
		else if (p[i].old_slot == 2 && p[i].new_slot == 0)
			found |= 2;
		else if (p[i].old_slot == 3 && p[i].new_slot == 2)
			found |= 4;
		else
			fail_msg("unexpected pair %u -> %u", p[i].old_slot, p[i].new_slot);
	}
	assert_int_equal(found, 7);
	free(p);
	sl_meta_free(o);
	sl_meta_free(n);
}

static void test_no_counters(void **state)
{
	const struct metabuf_rule r[] = {{"t", "accept", 1, 1, SLUICE_NO_COUNTER}};
	struct sl_meta *o = meta_of(r, 1, 0), *n = meta_of(r, 1, 0);
	struct sl_slot_pair *p = NULL;
	size_t np = 99;

	assert_int_equal(sl_counters_match(o, n, &p, &np), 0);
	assert_int_equal(np, 0);
	free(p);
	sl_meta_free(o);
	sl_meta_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_no_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
