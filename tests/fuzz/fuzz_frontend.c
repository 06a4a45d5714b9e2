// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target over the whole compiler: arbitrary bytes go through
 * sl_compile() (parse, check, lower, opt, select, emit, object) at -O2 and,
 * for inputs whose first byte is odd, at -O0 too. Any crash, sanitizer
 * report, leak or hang is a bug; diagnostics are expected and discarded.
 */
#include <stddef.h>
#include <stdint.h>

#include "sluice/sluice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void compile(const uint8_t *data, size_t size, int level)
{
	struct sl_compile_opts o = {.opt_level = level, .record_decisions = level == 0};
	struct sl_result *r = NULL;

	sl_compile("fuzz.sluice", (const char *)data, size, &o, &r);
	sl_result_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	compile(data, size, 2);
	if (size && data[0] & 1)
		compile(data, size, 0);
	return 0;
}
