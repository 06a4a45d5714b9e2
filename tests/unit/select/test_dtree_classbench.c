// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decision trees on ClassBench acl1/fw1/ipc1: every trace header must get the
 * same answer as the naive first-match scan. Prints the trees' sizes and the
 * work per lookup (the measurements in docs/experiments.md).
 * SLUICE_CLASSBENCH_SIZES (default "1000,10000") picks the sizes; 100000 uses
 * a generated trace. SLUICE_DT_BINTH / _SPFAC / _MIN_SPFAC / _TREES / _TABLE_MB
 * (per-tree table limit) and _SPLITS (1: binary splits) override parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "select/dtree.h"
#include "test_dtree_cb.h"

static void params_from_env(struct sl_dt_params *par)
{
	const char *v;

	sl_dt_params_default(par);
	if ((v = getenv("SLUICE_DT_BINTH")))
		par->binth = atoi(v);
	if ((v = getenv("SLUICE_DT_SPFAC")))
		par->spfac = atof(v);
	if ((v = getenv("SLUICE_DT_TREES")))
		par->max_trees = atoi(v);
	par->max_bytes = 1u << 30; /* measure, do not refuse */
	if ((v = getenv("SLUICE_DT_MIN_SPFAC")))
		par->min_spfac = atof(v);
	if ((v = getenv("SLUICE_DT_SPLITS")))
		par->splits = atoi(v) != 0;
	if ((v = getenv("SLUICE_DT_TABLE_MB")))
		par->max_bytes = (size_t)atoi(v) << 20;
	par->max_leaf = 1u << 16;
}

static void run_set(const char *name, uint32_t trace_len)
{
	struct cb_set set;
	struct cb_trace trace;
	struct sl_dt_params par;
	_cleanup_dt_ struct sl_dt *dt = NULL;
	uint64_t visits = 0, checks = 0, trees = 0, max_visits = 0, max_checks = 0, matched = 0;
	unsigned depth = 0, max_leaf = 0;
	int r;

	assert_int_equal(cb_load_set(name, &set), 0);
	assert_int_equal(cb_load_trace(name, &set, trace_len, 7, &trace), 0);
	params_from_env(&par);
	r = sl_dt_build(&set.prob, &par, &dt);
	assert_int_equal(r, 0);
	for (uint32_t i = 0; i < trace.n; i++) {
		struct sl_dt_trace t = {0};
		uint32_t want = sl_dt_problem_lookup(&set.prob, trace.value[i], 0);
		uint32_t got = sl_dt_lookup(dt, trace.value[i], 0, &t);

		if (want != got)
			fail_msg("%s header %u: dtree says %u, first match is %u", name, i, got,
				 want);
		matched += got != SL_DT_NONE;
		visits += t.node_visits;
		checks += t.box_checks;
		trees += t.trees;
		max_visits = t.node_visits > max_visits ? t.node_visits : max_visits;
		max_checks = t.box_checks > max_checks ? t.box_checks : max_checks;
	}
	for (uint32_t t = 0; t < dt->ntrees; t++) {
		depth = dt->trees[t].depth > depth ? dt->trees[t].depth : depth;
		max_leaf = dt->trees[t].max_leaf > max_leaf ? dt->trees[t].max_leaf : max_leaf;
	}
	printf("%-12s rules %6u trees %u nodes %8u lists %8u (%.2fx) records %7.2f MiB "
	       "total %7.2f MiB depth %2u max_leaf %3u build %6.2fs | headers %u matched %lu "
	       "visits avg %.1f max %lu checks avg %.1f max %lu trees avg %.1f est insns %.0f\n",
	       name, set.nrules, dt->ntrees, dt->nnodes, dt->nlists,
	       (double)dt->nlists / set.nrules, (double)dt->record_size * dt->nboxes / (1 << 20),
	       ((double)dt->record_size * dt->nboxes + 8.0 * dt->nnodes + 4.0 * dt->nlists) /
		   (1 << 20),
	       depth, max_leaf, dt->stats.build_seconds, trace.n, (unsigned long)matched,
	       (double)visits / trace.n, (unsigned long)max_visits, (double)checks / trace.n,
	       (unsigned long)max_checks, (double)trees / trace.n,
	       (22.0 * visits + 30.0 * checks + 16.0 * trees) / trace.n);
	if (getenv("SLUICE_DT_VERBOSE"))
		for (uint32_t t = 0; t < dt->ntrees; t++)
			printf("  tree %u: boxes %6u min_box %6u depth %2u max_leaf %3u nodes %7u "
			       "lists %7u spfac %.1f\n",
			       t, dt->trees[t].nboxes, dt->trees[t].min_box, dt->trees[t].depth,
			       dt->trees[t].max_leaf, dt->trees[t].nnodes, dt->trees[t].nlists,
			       dt->trees[t].spfac);
	fflush(stdout);
	cb_trace_fini(&trace);
	cb_set_fini(&set);
}

static void classbench_sets_match_first_match(void **state)
{
	static const char *const sets[] = {"acl1", "fw1", "ipc1"};
	const char *sizes = getenv("SLUICE_CLASSBENCH_SIZES");
	char buf[256], *save = NULL;

	if (!cb_dir())
		skip();
	snprintf(buf, sizeof(buf), "%s", sizes && *sizes ? sizes : "1000,10000");
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
			char name[64];

			snprintf(name, sizeof(name), "%s_%s", sets[s], tok);
			run_set(name, 20000);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(classbench_sets_match_first_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
