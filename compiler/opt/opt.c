// SPDX-License-Identifier: GPL-2.0-only
/* The pass pipeline: named passes, each from its -O level on, timed and counted. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "opt/opt.h"

static void run_lower(struct sl_ir *ir, struct sl_diag *diag, struct sl_opt_stats *stats)
{
	(void)ir, (void)diag, (void)stats; /* the IR arrives lowered: a name to stop after */
}

static void run_noops(struct sl_ir *ir, struct sl_diag *diag, struct sl_opt_stats *stats)
{
	(void)diag;
	sl_opt_noops(ir, stats);
}

static void run_reorder(struct sl_ir *ir, struct sl_diag *diag, struct sl_opt_stats *stats)
{
	(void)diag;
	sl_opt_reorder(ir, stats);
}

static const struct sl_opt_pass passes[] = {
    {"lower", 0, "the IR as lowered from the policy", run_lower},
    {"shadow", 1, "remove rules an earlier ending rule covers (warned)", sl_opt_shadow},
    {"noops", 1, "remove rules that do nothing; gotos to empty chains return", run_noops},
    {"reorder", 2, "move rules past disjoint neighbours to lengthen accept/drop runs", run_reorder},
};

_Static_assert(SL_ARRAY_SIZE(passes) <= SL_OPT_MAX_PASSES, "room for every pass's stats");

const struct sl_opt_pass *sl_opt_passes(uint32_t *n)
{
	*n = SL_ARRAY_SIZE(passes);
	return passes;
}

const struct sl_opt_pass *sl_opt_pass_find(const char *name)
{
	for (size_t i = 0; i < SL_ARRAY_SIZE(passes); i++)
		if (!strcmp(passes[i].name, name))
			return &passes[i];
	return NULL;
}

static uint32_t count_rules(const struct sl_ir *ir)
{
	uint32_t n = 0;

	for (uint32_t c = 0; c < ir->nchains; c++)
		n += ir->chains[c].nrules;
	return n;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void run_pass(const struct sl_opt_pass *p, struct sl_ir *ir, struct sl_diag *diag,
		     struct sl_opt_stats *stats)
{
	struct sl_opt_pass_stats *ps = &stats->pass[stats->npasses++];
	struct sl_opt_stats before = *stats;
	double t0 = now();

	ps->name = p->name;
	ps->rules_in = count_rules(ir);
	p->run(ir, diag, stats);
	ps->seconds = now() - t0;
	ps->rules_out = count_rules(ir);
	ps->shadowed = stats->shadowed - before.shadowed;
	ps->noops = stats->noops - before.noops;
	ps->moved = stats->moved - before.moved;
}

int sl_opt_run_until(struct sl_ir *ir, int level, const char *after, struct sl_diag *diag,
		     struct sl_opt_stats *stats)
{
	const struct sl_opt_pass *stop = NULL;
	struct sl_opt_stats scratch;

	if (level < 0)
		return -EINVAL;
	if (after) {
		stop = sl_opt_pass_find(after);
		if (!stop)
			return -ENOENT;
		if (stop->level > level)
			return -ESRCH;
	}
	if (!stats)
		stats = &scratch;
	memset(stats, 0, sizeof(*stats));
	stats->rules_before = count_rules(ir);
	for (size_t i = 0; i < SL_ARRAY_SIZE(passes); i++) {
		if (passes[i].level > level)
			continue;
		run_pass(&passes[i], ir, diag, stats);
		if (&passes[i] == stop)
			break;
	}
	stats->rules_after = count_rules(ir);
	return 0;
}

int sl_opt_run(struct sl_ir *ir, int level, struct sl_diag *diag, struct sl_opt_stats *stats)
{
	return sl_opt_run_until(ir, level, NULL, diag, stats);
}
