// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target over the importers: every input goes through
 * `sluice import iptables` and `sluice import nft` (so the strict JSON
 * reader too), each with and without --skip-unsupported. A crash, leak or
 * sanitizer report is a bug; so is an import that succeeds with a policy
 * `sluice check` rejects (the importer's output must always check).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/diag.h"
#include "import/import.h"
#include "lib/compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

static void one(const uint8_t *data, size_t size, bool nft, bool skip)
{
	static const struct sl_import_hook hooks[] = {{"OUTPUT", "xdp"},
						      {"input", "cgroup_skb ingress"}};
	struct sl_import_opts o = {
	    .skip_unsupported = skip, .hooks = hooks, .nhooks = 2, .name = "fuzz"};
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_buf out = {0};
	int file, r;

	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, devnull());
	file = sl_sources_add(&srcs, "fuzz", (const char *)data, size);
	if (file >= 0) {
		const struct sl_source *src = sl_sources_get(&srcs, (uint32_t)file);

		r = nft ? sl_import_nft(src->text, src->size, (uint32_t)file, &o, &diag, &out)
			: sl_import_iptables(src->text, src->size, (uint32_t)file, &o, &diag, &out);
		if (!r && !diag.nerrors && out.s) {
			struct sl_compile_opts co = {.quiet_warnings = true};
			struct sl_result *res = NULL;

			if (sl_compile_check("imported", out.s, out.len, &co, &res) !=
			    SL_COMPILE_OK) {
				fprintf(stderr, "the imported policy does not check:\n%s\n---\n%s",
					out.s, res ? sl_result_diagnostics(res) : "");
				abort();
			}
			sl_result_free(res);
		}
	}
	sl_buf_fini(&out);
	sl_diag_release(&diag);
	sl_sources_fini(&srcs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int i = 0; i < 4; i++)
		one(data, size, i & 1, i & 2);
	return 0;
}
