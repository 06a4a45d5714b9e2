// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: the loader's metadata reader on arbitrary bytes, and the
 * counter matcher on whatever it accepts. Built as a libFuzzer binary with
 * -DSLUICE_FUZZ=ON; every build replays the test objects' sections.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_meta *m = NULL;
	struct sl_slot_pair *pairs = NULL;
	const struct sluice_meta_table *t;
	size_t npairs;
	char why[160];

	if (sl_meta_parse(data, size, &m, why, sizeof(why)))
		return 0;
	for (uint32_t i = 0; i < m->hdr.nrules; i++) {
		(void)strlen(sl_meta_str(m, m->rules[i].text_str));
		(void)strlen(sl_meta_str(m, m->rules[i].chain_str));
		(void)strlen(sl_meta_str(m, m->rules[i].file_str));
	}
	if (m->hdr.ntables == 1)
		sl_meta_pick_table(m, "fuzz", NULL, &t);
	if (!sl_counters_match(m, m, &pairs, &npairs)) {
		for (size_t i = 0; i < npairs; i++)
			if (pairs[i].old_slot != pairs[i].new_slot)
				abort(); /* a policy matched with itself keeps every slot */
		free(pairs);
	}
	sl_meta_free(m);
	return 0;
}
