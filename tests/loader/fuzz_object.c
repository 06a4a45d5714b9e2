// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: the loader's object path up to where libbpf takes over: the
 * ELF/BTF/.BTF.ext checks of validate.c, then the metadata of what they
 * accept, as sl_obj_open does it. Whatever validate.c accepts must be safe
 * for libbpf 1.1 to parse; the libbpf part is covered by mutated objects run
 * through `sluice-load run` (tests/loader/mutants.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_elf_view view;
	struct sl_meta *m = NULL;
	const struct sluice_meta_table *t;
	char why[200];
	void *meta;

	if (sl_validate_object(data, size, &view, why, sizeof(why))) {
		/* The reason goes to a terminal: printable ASCII only. */
		for (const char *p = why; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				abort();
		return 0;
	}
	if (!view.meta)
		return 0;
	if ((const uint8_t *)view.meta < data ||
	    (const uint8_t *)view.meta + view.meta_size > data + size)
		abort();
	meta = malloc(view.meta_size ? view.meta_size : 1);
	if (!meta)
		return 0;
	memcpy(meta, view.meta, view.meta_size);
	if (!sl_meta_parse(meta, view.meta_size, &m, why, sizeof(why))) {
		if (m->hdr.ntables == 1)
			sl_meta_pick_table(m, "fuzz", NULL, &t);
		sl_meta_free(m);
	}
	free(meta);
	return 0;
}
