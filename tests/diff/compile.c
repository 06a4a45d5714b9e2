// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "ir.h"
#include "parser.h"

int front_compile(const char *name, const char *text, struct front *f)
{
	struct sl_ast *ast = NULL;
	struct sl_diag d;
	size_t len = 0;
	FILE *out;
	int err;

	memset(f, 0, sizeof(*f));
	sl_sources_init(&f->srcs);
	f->arena = sl_arena_new();
	out = open_memstream(&f->diag, &len);
	if (!out)
		return -ENOMEM;
	sl_diag_init(&d, &f->srcs, out);
	err = sl_parse_text(name, text, strlen(text), &f->srcs, f->arena, &d, &ast);
	if (!err)
		err = sl_check(ast, &d);
	if (!err)
		err = sl_ir_lower(ast, f->arena, &d, &f->ir);
	if (!err && sl_diag_failed(&d))
		err = -EINVAL;
	fclose(out);
	return err;
}

void front_free(struct front *f)
{
	sl_arena_free(f->arena);
	sl_sources_fini(&f->srcs);
	free(f->diag);
	memset(f, 0, sizeof(*f));
}

