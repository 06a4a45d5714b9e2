// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "lib/compile.h"
#include "parser/ast.h"
#include "sluice/set_text.h"

/* Keys of one element appended to the set's run-time key buffer. */
struct keybuf {
	uint8_t **keys;
	uint32_t *n;
	size_t size;
};

static int add_key(const uint8_t *key, void *ctx)
{
	struct keybuf *k = ctx;

	*k->keys = realloc(*k->keys, (*k->n + 1) * k->size);
	if (!*k->keys)
		abort();
	memcpy(*k->keys + (size_t)*k->n * k->size, key, k->size);
	++*k->n;
	return 0;
}

static sl_u128 field_num(const uint8_t *b, unsigned n)
{
	sl_u128 v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

/* One "#@set NAME [ELEMENT]" line. 0 or -EINVAL. */
static int runtime_line(struct front *f, const char *line, size_t len)
{
	char name[64], why[256];
	const char *sp;
	struct sl_ir_set *s;
	struct sl_ast_set *as;
	struct sl_set_desc d;
	struct sl_set_elem e;
	const char *what = NULL;
	uint64_t timeout;
	uint32_t i;

	line += 6, len -= 6; /* "#@set " */
	sp = memchr(line, ' ', len);
	if ((size_t)((sp ? sp : line + len) - line) >= sizeof(name))
		return -EINVAL;
	memcpy(name, line, (size_t)((sp ? sp : line + len) - line));
	name[(sp ? sp : line + len) - line] = '\0';
	s = sl_ir_set_find(f->ir, name);
	if (!s || (i = (uint32_t)(s - f->ir->sets)) >= FRONT_MAX_SETS ||
	    sl_set_desc_init(&d, s->types, s->ntypes, s->flags, &what))
		return -EINVAL;
	as = f->ast->sets[i];
	if (!f->set_replaced[i]) {
		f->set_replaced[i] = true;
		s->nelems = 0;
		as->nelems = 0;
	}
	if (!sp)
		return 0;
	if (sl_set_text_parse(&d, sp + 1, len - (size_t)(sp + 1 - line), &e, &timeout, why,
			      sizeof(why))) {
		fprintf(stderr, "sluice-diff: bad run-time element '%.*s': %s\n", (int)len, line,
			why);
		return -EINVAL;
	}
	struct sl_ir_set_elem *ie = sl_arena_calloc(f->ir->arena, s->nelems + 1, sizeof(*ie));
	struct sl_ast_set_elem *ae = sl_arena_calloc(f->ast->arena, as->nelems + 1, sizeof(*ae));

	memcpy(ie, s->elems, s->nelems * sizeof(*ie));
	memcpy(ae, as->elems, as->nelems * sizeof(*ae));
	for (uint32_t k = 0; k < s->ntypes; k++) {
		unsigned bytes = sl_set_type_size(s->types[k]);

		ie[s->nelems].lo[k] = ae[as->nelems].lo[k] = field_num(e.f[k].lo, bytes);
		ie[s->nelems].hi[k] = ae[as->nelems].hi[k] = field_num(e.f[k].hi, bytes);
	}
	s->elems = ie;
	s->nelems++;
	as->elems = ae;
	as->nelems++;
	struct keybuf kb = {&f->set_keys[i], &f->set_nkeys[i], d.key_size};
	return sl_set_elem_keys(&d, &e, add_key, &kb, &what) ? -EINVAL : 0;
}

int front_runtime_sets(struct front *f, const char *text)
{
	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);

		if (len > 6 && !strncmp(l, "#@set ", 6) && runtime_line(f, l, len))
			return -EINVAL;
		l = nl ? nl + 1 : NULL;
	}
	return 0;
}

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
	return front_runtime_sets(f, text);
}

void front_free(struct front *f)
{
	for (unsigned i = 0; i < FRONT_MAX_SETS; i++)
		free(f->set_keys[i]);
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
