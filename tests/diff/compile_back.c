// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_object.h"
#include "compile.h"
#include "ir.h"

int back_compile(const struct front *f, int level, struct back *b)
{
	struct sl_codegen_opts co = { .opt_level = level, .record_decisions = true };
	struct sl_object_opts oo = { .opt_level = level, .compiler = "sluice diff" };
	struct sl_bpf_object *obj = NULL;
	struct sl_diag d;
	size_t len = 0;
	FILE *out;
	int err;

	memset(b, 0, sizeof(*b));
	b->arena = sl_arena_new();
	out = open_memstream(&b->diag, &len);
	if (!out)
		return -ENOMEM;
	sl_diag_init(&d, &f->srcs, out);
	/* codegen gets its own copy: the oracle's IR stays untouched */
	struct sl_ir *ir = sl_ir_clone(f->ir, b->arena);
	err = sl_codegen(ir, &co, b->arena, &d, &obj);
	if (!err)
		err = sl_object_serialize(obj, ir, &oo, &d, &b->image, &b->size);
	if (!err) {
		b->prog_names = sl_arena_calloc(b->arena, ir->ntables, sizeof(char *));
		for (uint32_t i = 0; i < obj->nprogs; i++) {
			if (obj->progs[i].table < ir->ntables)
				b->prog_names[obj->progs[i].table] = obj->progs[i].name;
		}
	}
	fclose(out);
	return err;
}

void back_free(struct back *b)
{
	free(b->image);
	free(b->diag);
	sl_arena_free(b->arena);
	memset(b, 0, sizeof(*b));
}
