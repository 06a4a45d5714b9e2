// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target over the whole front end: arbitrary bytes are parsed and,
 * when they parse, checked. Any crash, sanitizer report, leak or hang is a bug;
 * diagnostics are expected and discarded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/arena.h"
#include "parser/ast.h"
#include "common/diag.h"
#include "parser/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct sl_arena *arena = sl_arena_new();
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_ast *ast = NULL;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, devnull);
	if (sl_parse_text("fuzz.sluice", (const char *)data, size, &srcs, arena, &diag, &ast) == 0)
		sl_check(ast, &diag);
	sl_sources_fini(&srcs);
	sl_arena_free(arena);
	return 0;
}
