// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "parser/parser.h"

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
	f->ast = ast;
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


static const struct sl_ir_rule *ir_rule(const struct sl_ir *ir, uint32_t id)
{
	for (uint32_t c = 0; c < ir->nchains; c++) {
		for (uint32_t i = 0; i < ir->chains[c].nrules; i++) {
			if (ir->chains[c].rules[i].id == id)
				return &ir->chains[c].rules[i];
		}
	}
	return NULL;
}

bool ast_agrees(const struct front *f, uint32_t table, const struct sl_interp_fields *fields,
		const struct sl_interp_result *ir_res, char **why)
{
	struct sl_interp_ast_result a;
	const struct sl_ir_rule *r = ir_rule(f->ir, ir_res->rule);
	bool same;

	*why = NULL;
	if (sl_interp_run_ast(f->ast, table, fields, &a)) {
		*why = strdup("the AST evaluator failed");
		return false;
	}
	if (ir_res->rule == SL_INTERP_POLICY)
		same = a.by_policy;
	else
		same = !a.by_policy && r && r->loc.file == a.rule.file && r->loc.line == a.rule.line &&
		       r->loc.col == a.rule.col;
	same = same && a.verdict == ir_res->verdict;
	if (!same) {
		char *s = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&s, &len);
		fprintf(out, "AST (checker's meaning): %s by ", sl_verdict_name(a.verdict));
		if (a.by_policy)
			fprintf(out, "policy");
		else
			fprintf(out, "the rule at %u:%u", a.rule.line, a.rule.col);
		fprintf(out, "; IR (lowered): %s by ", sl_verdict_name(ir_res->verdict));
		if (!r)
			fprintf(out, "policy");
		else
			fprintf(out, "rule %u at %u:%u", r->id, r->loc.line, r->loc.col);
		fclose(out);
		*why = s;
	}
	return same;
}
