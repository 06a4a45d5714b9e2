// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: the object reader and the listing on arbitrary bytes (what
 * `sluice dump --bpf FILE` does with any file that starts like ELF).
 */
#include <bpf/libbpf.h>
#include <stdint.h>
#include <stdio.h>

#include "object/listing.h"
#include "object/object_read.h"
#include "sluice/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null_out;
	struct sl_objfile *f;
	char why[256];

	if (!null_out) {
		libbpf_set_print(NULL);
		null_out = fopen("/dev/null", "w");
	}
	if (sl_objfile_open(data, size, &f, why, sizeof(why)) == 0) {
		struct sl_meta *m;
		char reason[160];

		if (f->meta &&
		    sl_meta_parse(f->meta, f->meta_size, &m, reason, sizeof(reason)) == 0) {
			for (uint32_t i = 0; i < m->hdr.nrules; i++)
				fputs(sl_meta_str(m, m->rules[i].text_str), null_out);
			sl_meta_free(m);
		}
		sl_objfile_free(f);
	}
	sl_listing_print(data, size, null_out, why, sizeof(why));
	return 0;
}
