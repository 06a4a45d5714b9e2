// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/bpf_object.h"
#include "compile.h"
#include "ir/ir.h"
#if __has_include("opt.h")
#include "opt/opt.h"
#define HAVE_OPT 1
#endif

/* SLUICE_CLASSIFIER=tree|code|off|auto: force the table walk or inline trees everywhere they apply (or never). */
static enum sl_classifier_mode classifier_mode(void)
{
	const char *m = getenv("SLUICE_CLASSIFIER");

	if (m && !strcmp(m, "tree"))
		return SL_CLASSIFIER_TREE;
	if (m && !strcmp(m, "code"))
		return SL_CLASSIFIER_CODE;
	if (m && !strcmp(m, "off"))
		return SL_CLASSIFIER_OFF;
	return SL_CLASSIFIER_AUTO;
}

/* SLUICE_SET_LOOKUP=table|inline|auto: force table searches for every set of 2+ intervals (or none). */
static enum sl_set_lookup set_lookup_mode(void)
{
	const char *m = getenv("SLUICE_SET_LOOKUP");

	if (m && !strcmp(m, "table"))
		return SL_SET_LOOKUP_TABLE;
	if (m && !strcmp(m, "inline"))
		return SL_SET_LOOKUP_INLINE;
	return SL_SET_LOOKUP_AUTO;
}

int back_compile(const struct front *f, int level, struct back *b)
{
	struct sl_codegen_opts co = { .opt_level = level, .record_decisions = true,
				      .classifier = classifier_mode(),
				      .set_lookup = set_lookup_mode() };
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
	err = 0;
#ifdef HAVE_OPT
	/* as `sluice build` does: optimise, generate, serialise */
	err = sl_opt_run(ir, level, &d, NULL);
#endif
	if (!err)
		err = sl_codegen(ir, &co, b->arena, &d, &obj);
	if (!err)
		/* the metadata describes the policy as written: every rule id, also those -O removed */
		err = sl_object_serialize(obj, f->ir, &oo, &d, &b->image, &b->size);
	if (!err) {
		b->prog_names = sl_arena_calloc(b->arena, ir->ntables, sizeof(char *));
		FILE *code = open_memstream((char **)&b->code, &b->code_size);
		for (uint32_t i = 0; i < obj->nprogs; i++) {
			const struct sl_bpf_prog *p = &obj->progs[i];
			if (p->table < ir->ntables)
				b->prog_names[p->table] = p->name;
			fwrite(p->insns, sizeof(*p->insns), p->ninsns, code);
			fwrite(p->relocs, sizeof(*p->relocs), p->nrelocs, code);
		}
		for (uint32_t i = 0; i < obj->nmaps; i++) {
			const struct sl_bpf_map *m = &obj->maps[i];
			fwrite(&m->type, sizeof(uint32_t), 5, code);
			if (m->init)
				fwrite(m->init, m->value_size, m->max_entries, code);
		}
		fclose(code);
	}
	fclose(out);
	return err;
}

void back_free(struct back *b)
{
	free(b->image);
	free(b->code);
	free(b->diag);
	sl_arena_free(b->arena);
	memset(b, 0, sizeof(*b));
}

bool back_classifier_known(void)
{
	const char *m = getenv("SLUICE_CLASSIFIER");

	/* classifier_mode() reads any name it does not know as auto */
	return !m || !*m || !strcmp(m, "auto") || classifier_mode() != SL_CLASSIFIER_AUTO;
}
