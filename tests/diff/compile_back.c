// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "emit/bpf_object.h"
#include "ir/ir.h"
#include "lib/compile.h"

/* SLUICE_CLASSIFIER=tree|code|off|auto: force the table walk or inline trees everywhere they apply
 * (or never). */
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

/* SLUICE_SET_LOOKUP=table|inline|auto: force table searches for every set of 2+ intervals (or
 * none). */
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
	struct sl_compile_opts co = {
	    .opt_level = level,
	    .record_decisions = true,
	    /* limits and logs read the clock the harness sets (no effect without) */
	    .test_clock = true,
	    .classifier = classifier_mode(),
	    .set_lookup = set_lookup_mode(),
	    .compiler = "sluice diff"};
	const struct sl_bpf_object *obj;
	const struct sl_ir *ir;
	struct sl_result *r = NULL;
	int status;

	memset(b, 0, sizeof(*b));
	/* as `sluice build` does, from the oracle's IR (copied: it stays untouched) */
	status = sl_compile_ir(f->ir, &co, &r);
	if (!r)
		return -ENOMEM;
	b->result = r;
	b->diag = sl_result_diagnostics(r);
	if (status != SL_COMPILE_OK)
		return status == SL_COMPILE_POLICY ? -EINVAL : -EIO;
	b->image = sl_result_object(r, &b->size);
	obj = r->obj;
	ir = r->ir;
	b->prog_names = sl_arena_calloc(r->arena, ir->ntables, sizeof(char *));
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
	return 0;
}

void back_free(struct back *b)
{
	free(b->code);
	sl_result_free(b->result);
	memset(b, 0, sizeof(*b));
}

bool back_classifier_known(void)
{
	const char *m = getenv("SLUICE_CLASSIFIER");

	/* classifier_mode() reads any name it does not know as auto */
	return !m || !*m || !strcmp(m, "auto") || classifier_mode() != SL_CLASSIFIER_AUTO;
}
