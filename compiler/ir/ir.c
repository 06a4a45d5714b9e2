// SPDX-License-Identifier: GPL-2.0-only
/* Deep copies of the IR: optimiser passes rewrite a copy and keep the original for reference. */
#include <string.h>

#include "ir/ir.h"

static const char *clone_str(struct sl_arena *arena, const char *s)
{
	return s ? sl_arena_strdup(arena, s) : NULL;
}

/* shared: the copy keeps the source's rule texts and interval arrays (both read-only) */
static void clone_rule(struct sl_arena *arena, struct sl_ir_rule *dst, const struct sl_ir_rule *src,
		       bool shared)
{
	struct sl_ir_pred *preds = NULL;

	*dst = *src;
	if (!shared)
		dst->text = clone_str(arena, src->text);
	if (src->npreds)
		preds = sl_arena_calloc(arena, src->npreds, sizeof(*preds));
	for (uint32_t i = 0; i < src->npreds; i++) {
		preds[i] = src->preds[i];
		if (!shared)
			preds[i].set = sl_iset_clone(arena, src->preds[i].set);
	}
	dst->preds = preds;
	if (src->nsetrefs) {
		struct sl_ir_setref *refs = sl_arena_calloc(arena, src->nsetrefs, sizeof(*refs));

		memcpy(refs, src->setrefs, src->nsetrefs * sizeof(*refs));
		dst->setrefs = refs;
	}
}

static void clone_chain(struct sl_arena *arena, struct sl_ir_chain *dst,
			const struct sl_ir_chain *src, bool shared)
{
	struct sl_ir_rule *rules = NULL;

	*dst = *src;
	dst->name = clone_str(arena, src->name);
	if (src->nrules)
		rules = sl_arena_calloc(arena, src->nrules, sizeof(*rules));
	for (uint32_t i = 0; i < src->nrules; i++)
		clone_rule(arena, &rules[i], &src->rules[i], shared);
	dst->rules = rules;
}

static struct sl_ir *clone(const struct sl_ir *ir, struct sl_arena *arena, bool shared)
{
	struct sl_ir *copy = sl_arena_alloc(arena, sizeof(*copy));
	struct sl_ir_table *tables = NULL;
	struct sl_ir_chain *chains = NULL;

	*copy = *ir;
	copy->arena = arena;
	copy->name = clone_str(arena, ir->name);
	if (ir->ntables)
		tables = sl_arena_calloc(arena, ir->ntables, sizeof(*tables));
	for (uint32_t t = 0; t < ir->ntables; t++) {
		tables[t] = ir->tables[t];
		tables[t].name = clone_str(arena, ir->tables[t].name);
	}
	if (ir->nchains)
		chains = sl_arena_calloc(arena, ir->nchains, sizeof(*chains));
	for (uint32_t c = 0; c < ir->nchains; c++)
		clone_chain(arena, &chains[c], &ir->chains[c], shared);
	copy->tables = tables;
	copy->chains = chains;
	if (ir->nifnames) {
		struct sl_ir_ifname *names =
		    sl_arena_calloc(arena, ir->nifnames, sizeof(*copy->ifnames));

		for (uint32_t i = 0; i < ir->nifnames; i++) {
			names[i] = ir->ifnames[i];
			names[i].name = clone_str(arena, ir->ifnames[i].name);
		}
		copy->ifnames = names;
	}
	if (ir->nsets) {
		copy->sets = sl_arena_calloc(arena, ir->nsets, sizeof(*copy->sets));
		for (uint32_t i = 0; i < ir->nsets; i++) {
			struct sl_ir_set *s = &copy->sets[i];
			struct sl_ir_set_elem *elems;
			uint8_t *keys;

			*s = ir->sets[i];
			s->name = clone_str(arena, s->name);
			keys = sl_arena_alloc(arena, (size_t)s->nkeys * s->key_size + 1);
			memcpy(keys, ir->sets[i].keys, (size_t)s->nkeys * s->key_size);
			s->keys = keys;
			elems = sl_arena_calloc(arena, s->nelems + 1, sizeof(*elems));
			memcpy(elems, ir->sets[i].elems, s->nelems * sizeof(*elems));
			s->elems = elems;
		}
	}
	return copy;
}

struct sl_ir *sl_ir_clone(const struct sl_ir *ir, struct sl_arena *arena)
{
	return clone(ir, arena, false);
}

struct sl_ir *sl_ir_clone_shared(const struct sl_ir *ir, struct sl_arena *arena)
{
	return clone(ir, arena, true);
}

struct sl_ir_set *sl_ir_set_find(const struct sl_ir *ir, const char *name)
{
	for (uint32_t i = 0; i < ir->nsets; i++)
		if (!strcmp(ir->sets[i].name, name))
			return &ir->sets[i];
	return NULL;
}

/* A plain scan over the elements as written: shares nothing with the map keys. */
bool sl_ir_set_contains(const struct sl_ir_set *s, const sl_u128 *values)
{
	for (uint32_t i = 0; i < s->nelems; i++) {
		bool all = true;

		for (uint32_t f = 0; f < s->ntypes && all; f++)
			all = s->elems[i].lo[f] <= values[f] && values[f] <= s->elems[i].hi[f];
		if (all)
			return true;
	}
	return false;
}
