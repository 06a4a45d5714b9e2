// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "lib/compile.h"

int front_compile(const char *name, const char *text, struct front *f)
{
	int status;

	memset(f, 0, sizeof(*f));
	status = sl_compile_front(name, text, strlen(text), NULL, &f->result);
	if (!f->result)
		return -ENOMEM;
	f->diag = sl_result_diagnostics(f->result);
	f->ast = f->result->ast;
	f->ir = f->result->written;
	if (status != SL_COMPILE_OK)
		return status == SL_COMPILE_POLICY ? -EINVAL : -EIO;
	return 0;
}

void front_free(struct front *f)
{
	sl_result_free(f->result);
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
		same = !a.by_policy && r && r->loc.file == a.rule.file &&
		       r->loc.line == a.rule.line && r->loc.col == a.rule.col;
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
