// SPDX-License-Identifier: GPL-2.0-only
/*
 * Evaluation of the checked AST, without the IR: each match read as the
 * checker defined it (ast.h: IN, NOT_IN, MASKED, NOT_MASKED over the field's
 * value, false when the packet lacks the field). It shares nothing with
 * lowering, so holding it against sl_interp_run() checks the lowering too.
 */
#include <errno.h>

#include "parser/ast.h"
#include "interp/interp.h"

struct ast_eval {
	const struct sl_interp_fields *fields;
	struct sl_interp_ast_result *res;
	unsigned depth;
};

enum flow {
	FLOW_RETURNED,
	FLOW_DECIDED,
	FLOW_LOOP,
};

static bool in_ranges(const struct sl_ast_match *m, sl_u128 v)
{
	for (uint32_t i = 0; i < m->nranges; i++) {
		if (m->ranges[i].lo <= v && v <= m->ranges[i].hi)
			return true;
	}
	return false;
}

/* The tuple of the match's fields is in the set (all fields present: checked by the caller). */
static bool set_match(const struct ast_eval *ev, const struct sl_ast_match *m)
{
	const struct sl_ast_set *s = m->set;

	for (uint32_t i = 0; i < s->nelems; i++) {
		bool all = true;

		for (uint32_t f = 0; f <= m->nconcat && all; f++) {
			enum sl_field fld = f ? m->concat[f - 1] : m->field;
			sl_u128 v = ev->fields->value[fld];

			all = s->elems[i].lo[f] <= v && v <= s->elems[i].hi[f];
		}
		if (all)
			return true;
	}
	return false;
}

static bool match_true(const struct ast_eval *ev, const struct sl_ast_match *m)
{
	if ((unsigned)m->field >= SL_FIELD_COUNT || !ev->fields->present[m->field])
		return false;

	for (uint32_t i = 0; i < m->nconcat; i++)
		if ((unsigned)m->concat[i] >= SL_FIELD_COUNT || !ev->fields->present[m->concat[i]])
			return false;

	sl_u128 v = ev->fields->value[m->field];
	switch (m->kind) {
	case SL_AST_MATCH_IN:
		return in_ranges(m, v);
	case SL_AST_MATCH_NOT_IN:
		return !in_ranges(m, v);
	case SL_AST_MATCH_MASKED:
		return ((uint64_t)v & m->mask_bits) == m->want_bits;
	case SL_AST_MATCH_NOT_MASKED:
		return ((uint64_t)v & m->mask_bits) != m->want_bits;
	case SL_AST_MATCH_SET:
	case SL_AST_MATCH_NOT_SET:
		return set_match(ev, m) != (m->kind == SL_AST_MATCH_NOT_SET);
	}
	return false;
}

static enum flow eval_chain(struct ast_eval *ev, const struct sl_ast_chain *c)
{
	if (++ev->depth > 64)
		return FLOW_LOOP;
	for (uint32_t i = 0; i < c->nrules; i++) {
		const struct sl_ast_rule *rule = &c->rules[i];
		bool all = true;
		enum flow flow;

		for (uint32_t k = 0; k < rule->nmatches && all; k++)
			all = match_true(ev, &rule->matches[k]);
		if (!all)
			continue;
		switch (rule->action) {
		case SL_AST_CONTINUE:
			break;
		case SL_AST_ACCEPT:
		case SL_AST_DROP:
			ev->res->verdict =
			    rule->action == SL_AST_ACCEPT ? SL_VERDICT_ACCEPT : SL_VERDICT_DROP;
			ev->res->rule = rule->loc;
			ev->res->by_policy = false;
			return FLOW_DECIDED;
		case SL_AST_JUMP:
			flow = eval_chain(ev, rule->target_chain);
			ev->depth--;
			if (flow != FLOW_RETURNED)
				return flow;
			break;
		case SL_AST_GOTO:
			flow = eval_chain(ev, rule->target_chain);
			ev->depth--;
			return flow;
		case SL_AST_RETURN:
			return FLOW_RETURNED;
		}
	}
	return FLOW_RETURNED;
}

int sl_interp_run_ast(const struct sl_ast *ast, uint32_t table,
		      const struct sl_interp_fields *fields, struct sl_interp_ast_result *res)
{
	if (!ast->checked || ast->matches_dropped || table >= ast->ntables)
		return -EINVAL;

	const struct sl_ast_table *t = ast->tables[table];
	struct ast_eval ev = {fields, res, 0};

	switch (eval_chain(&ev, &t->body)) {
	case FLOW_RETURNED:
		res->verdict = t->policy;
		res->by_policy = true;
		res->rule = SL_LOC_NONE;
		return 0;
	case FLOW_DECIDED:
		return 0;
	default:
		return -ELOOP;
	}
}
