// SPDX-License-Identifier: GPL-2.0-only
/* The pass pipeline for each -O level. */
#include <errno.h>
#include <string.h>

#include "opt.h"

static uint32_t count_rules(const struct sl_ir *ir)
{
	uint32_t n = 0;

	for (uint32_t c = 0; c < ir->nchains; c++)
		n += ir->chains[c].nrules;
	return n;
}

int sl_opt_run(struct sl_ir *ir, int level, struct sl_diag *diag, struct sl_opt_stats *stats)
{
	struct sl_opt_stats scratch;

	if (level < 0)
		return -EINVAL;
	if (!stats)
		stats = &scratch;
	memset(stats, 0, sizeof(*stats));
	stats->rules_before = count_rules(ir);
	if (level >= 1) {
		sl_opt_shadow(ir, diag, stats);
		sl_opt_noops(ir, stats);
	}
	stats->rules_after = count_rules(ir);
	return 0;
}
