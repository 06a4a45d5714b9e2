/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the front-end tests: parse (and check) text, keep the diagnostics. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/ast.h"
#include "parser/parser.h"

struct front {
	struct sl_arena *arena;
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_ast *ast;
	char *out; /* everything the diagnostics printed */
	size_t out_len;
	int parse_rc, check_rc;
};

static inline void front_run_n(struct front *f, const char *text, size_t size, bool check)
{
	FILE *out;

	memset(f, 0, sizeof(*f));
	f->arena = sl_arena_new();
	sl_sources_init(&f->srcs);
	out = open_memstream(&f->out, &f->out_len);
	sl_diag_init(&f->diag, &f->srcs, out);
	f->diag.max_errors = 100000;
	f->parse_rc = sl_parse_text("t.sluice", text, size, &f->srcs, f->arena, &f->diag, &f->ast);
	f->check_rc = -1;
	if (check && f->parse_rc == 0)
		f->check_rc = sl_check(f->ast, &f->diag);
	fclose(out);
}

static inline void front_run(struct front *f, const char *text, bool check)
{
	front_run_n(f, text, strlen(text), check);
}

static inline void front_free(struct front *f)
{
	sl_sources_fini(&f->srcs);
	sl_arena_free(f->arena);
	free(f->out);
}
