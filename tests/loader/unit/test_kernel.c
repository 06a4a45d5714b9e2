// SPDX-License-Identifier: GPL-2.0-only
/* loader/kernel.c: which kernels each hook is refused on, and for what. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel.h"
#include "sluice/abi.h"
#include "sluice/cleanup.h"

static const uint32_t hooks[] = {SLUICE_HOOK_XDP, SLUICE_HOOK_TC_INGRESS, SLUICE_HOOK_TC_EGRESS,
				 SLUICE_HOOK_CGROUP_INGRESS, SLUICE_HOOK_CGROUP_EGRESS};

static void test_debian_kernels(void **state)
{
	(void)state;
	/* Debian 12 (6.1, proven by tests/vm) and 11 (5.10) have all of it. */
	for (unsigned i = 0; i < SL_ARRAY_SIZE(hooks); i++) {
		assert_null(sl_kernel_missing(hooks[i], true, false, 6, 1));
		assert_null(sl_kernel_missing(hooks[i], true, false, 5, 10));
		assert_null(sl_kernel_missing(hooks[i], true, false, 7, 0));
	}
}

static void test_links(void **state)
{
	const struct sl_kfeature *f;

	(void)state;
	/* 5.8: cgroup links (5.7) yes, XDP links (5.9) no; test runs need neither. */
	f = sl_kernel_missing(SLUICE_HOOK_XDP, true, false, 5, 8);
	assert_non_null(f);
	assert_non_null(strstr(f->what, "XDP"));
	assert_int_equal(f->major, 5);
	assert_int_equal(f->minor, 9);
	assert_null(sl_kernel_missing(SLUICE_HOOK_XDP, false, false, 5, 8));
	assert_null(sl_kernel_missing(SLUICE_HOOK_CGROUP_EGRESS, true, false, 5, 8));
	f = sl_kernel_missing(SLUICE_HOOK_CGROUP_INGRESS, true, false, 5, 6);
	assert_non_null(f);
	assert_non_null(strstr(f->what, "cgroups"));
	assert_int_equal(f->minor, 7);
	/* tc falls back to clsact + cls_bpf: no link needed. */
	assert_null(sl_kernel_missing(SLUICE_HOOK_TC_INGRESS, true, false, 5, 4));
}

static void test_logs(void **state)
{
	const struct sl_kfeature *f;

	(void)state;
	/* log on xdp: bpf_xdp_load_bytes (5.18); elsewhere the ring buffer (5.8) */
	f = sl_kernel_missing(SLUICE_HOOK_XDP, false, true, 5, 15);
	assert_non_null(f);
	assert_non_null(strstr(f->what, "bpf_xdp_load_bytes"));
	assert_int_equal(f->minor, 18);
	assert_null(sl_kernel_missing(SLUICE_HOOK_XDP, true, true, 5, 18));
	assert_null(sl_kernel_missing(SLUICE_HOOK_XDP, true, false, 5, 15));
	assert_null(sl_kernel_missing(SLUICE_HOOK_TC_INGRESS, true, true, 5, 15));
	f = sl_kernel_missing(SLUICE_HOOK_CGROUP_EGRESS, false, true, 5, 7);
	assert_non_null(f);
	assert_non_null(strstr(f->what, "ring buffer"));
	assert_int_equal(f->minor, 8);
	assert_null(sl_kernel_missing(SLUICE_HOOK_CGROUP_EGRESS, false, true, 6, 1));
}

static void test_old_kernels(void **state)
{
	(void)state;
	/* 5.1 and 4.19: no 1M-instruction verifier budget nor frozen maps, for any hook. */
	for (unsigned i = 0; i < SL_ARRAY_SIZE(hooks); i++) {
		const struct sl_kfeature *f = sl_kernel_missing(hooks[i], false, false, 5, 1);

		assert_non_null(f);
		assert_int_equal(f->major, 5);
		assert_int_equal(f->minor, 2);
		assert_ptr_equal(sl_kernel_missing(hooks[i], true, false, 4, 19), f);
		assert_null(sl_kernel_missing(hooks[i], false, false, 5, 2));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_debian_kernels),
	    cmocka_unit_test(test_links),
	    cmocka_unit_test(test_old_kernels),
	    cmocka_unit_test(test_logs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
