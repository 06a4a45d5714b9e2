// SPDX-License-Identifier: GPL-2.0-only
/*
 * The metadata section (SLUICE_META_SECTION): what a loader needs to show a
 * policy's own words next to its counters, laid out as include/sluice/abi.h
 * says: header, tables, rules indexed by id, strings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "object/object_priv.h"
#include "sluice/abi.h"
#include "common/util.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the metadata is written in host order and must be little-endian");

static uint32_t meta_hook(enum sl_hook hook)
{
	switch (hook) {
	case SL_HOOK_XDP:
		return SLUICE_HOOK_XDP;
	case SL_HOOK_TC_INGRESS:
		return SLUICE_HOOK_TC_INGRESS;
	case SL_HOOK_TC_EGRESS:
		return SLUICE_HOOK_TC_EGRESS;
	case SL_HOOK_CGROUP_INGRESS:
		return SLUICE_HOOK_CGROUP_INGRESS;
	case SL_HOOK_CGROUP_EGRESS:
	case SL_HOOK_COUNT:
		break;
	}
	return SLUICE_HOOK_CGROUP_EGRESS;
}

static uint32_t meta_verdict(enum sl_verdict v)
{
	return v == SL_VERDICT_DROP ? SLUICE_VERDICT_DROP : SLUICE_VERDICT_ACCEPT;
}

struct meta_builder {
	struct sl_obj_layout *l;
	struct sl_obj_strtab strs;
	struct sluice_meta_table *tables;
	struct sluice_meta_rule *rules;
	uint32_t ntables, nrules;
	struct sluice_meta_set *sets;
	uint32_t nsets;
	size_t elems_len; /* bytes of all sets' elements */
	struct sluice_meta_iface *ifaces;
	uint32_t nifaces;
};

static int str(struct meta_builder *b, const char *s, uint32_t *off)
{
	return sl_obj_strtab_add(&b->strs, s ? s : "", off);
}

static int fill_table(struct meta_builder *b, uint32_t idx)
{
	const struct sl_ir_table *t = &b->l->ir->tables[idx];
	const struct sl_bpf_object *obj = b->l->obj;
	struct sluice_meta_table *mt = &b->tables[idx];
	int r;

	mt->hook = meta_hook(t->hook);
	mt->policy = meta_verdict(t->policy);
	mt->line = t->loc.line;
	r = str(b, t->name, &mt->name_str);
	if (!r)
		r = str(b, sl_obj_loc_file(b->l->ir, t->loc), &mt->file_str);
	for (uint32_t i = 0; !r && i < obj->nprogs; i++) {
		if (obj->progs[i].table != idx)
			continue;
		r = str(b, obj->progs[i].name, &mt->prog_str);
		if (!r)
			r = str(b, obj->progs[i].section, &mt->section_str);
		break;
	}
	if (!r && obj->ct_companion && obj->ct_companion->table == idx)
		r = str(b, obj->ct_companion->name, &mt->ct_prog_str);
	return r;
}

static uint32_t counter_slots(const struct sl_bpf_object *obj)
{
	return obj->counter_map >= 0 ? obj->maps[obj->counter_map].max_entries : 0;
}

static int fill_rule(struct meta_builder *b, const struct sl_ir_chain *c,
		     const struct sl_ir_rule *rule, struct sl_diag *diag)
{
	struct sluice_meta_rule *mr;
	int r;

	if (rule->id >= b->nrules || b->rules[rule->id].id != UINT32_MAX)
		return sl_obj_error(diag, "rule id %u in chain '%s' is out of range or repeated",
				    rule->id, c->name ? c->name : "");
	mr = &b->rules[rule->id];
	mr->id = rule->id;
	mr->line = rule->loc.line;
	mr->col = rule->loc.col;
	mr->counter_slot = SLUICE_NO_COUNTER;
	/*
	 * A rule written with `counter` that the code cannot count (the
	 * optimiser removed it and no map was made for it) has no slot.
	 */
	if (rule->counter) {
		mr->flags |= SLUICE_RULE_F_COUNTER;
		if (rule->id < counter_slots(b->l->obj))
			mr->counter_slot = rule->id;
	}
	r = str(b, c->name, &mr->chain_str);
	if (!r)
		r = str(b, sl_obj_loc_file(b->l->ir, rule->loc), &mr->file_str);
	if (!r)
		r = str(b, rule->text, &mr->text_str);
	return r;
}

static int fill_rules(struct meta_builder *b, struct sl_diag *diag)
{
	const struct sl_ir *ir = b->l->ir;
	int r;

	for (uint32_t i = 0; i < b->nrules; i++)
		b->rules[i].id = UINT32_MAX;
	for (uint32_t c = 0; c < ir->nchains; c++) {
		for (uint32_t i = 0; i < ir->chains[c].nrules; i++) {
			r = fill_rule(b, &ir->chains[c], &ir->chains[c].rules[i], diag);
			if (r)
				return r;
		}
	}
	/*
	 * An optimised IR lacks the rules it removed (ids never change); give
	 * them their ids and no counter. Pass the IR as written to describe them.
	 */
	for (uint32_t i = 0; i < b->nrules; i++) {
		if (b->rules[i].id != UINT32_MAX)
			continue;
		b->rules[i].id = i;
		b->rules[i].counter_slot = SLUICE_NO_COUNTER;
	}
	return 0;
}

static int fill_set(struct meta_builder *b, uint32_t i)
{
	const struct sl_ir_set *s = &b->l->ir->sets[i];
	const struct sl_bpf_object *obj = b->l->obj;
	struct sluice_meta_set *ms = &b->sets[i];
	int r;

	if (i >= obj->nsets)
		return -EINVAL;
	ms->nfields = s->ntypes;
	for (uint32_t k = 0; k < s->ntypes && k < SLUICE_SET_MAX_FIELDS; k++)
		ms->types[k] = (uint8_t)s->types[k];
	ms->flags = s->flags;
	ms->size = s->capacity;
	ms->key_size = s->key_size;
	ms->line = s->loc.line;
	ms->col = s->loc.col;
	ms->timeout_ns = s->timeout_ns;
	ms->nelems = s->nkeys;
	ms->range_field = s->flags & SLUICE_SET_F_INTERVAL ? s->ntypes - 1 : 0;
	b->elems_len += (size_t)s->nkeys * (s->key_size + sizeof(struct sluice_set_value));
	r = str(b, s->name, &ms->name_str);
	if (!r)
		r = str(b, obj->maps[obj->set_maps[i]].name, &ms->map_str);
	if (!r)
		r = str(b, sl_obj_loc_file(b->l->ir, s->loc), &ms->file_str);
	return r;
}

static int fill_header(struct meta_builder *b, struct sluice_meta_header *h)
{
	const struct sl_bpf_object *obj = b->l->obj;
	const struct sl_obj_opts *opts = b->l->opts;
	int r;

	h->magic = SLUICE_META_MAGIC;
	/* Without sets or tracking: the version 1 layout, so such objects stay byte-identical. */
	h->version = SLUICE_META_VERSION_1;
	h->header_size = SLUICE_META_HEADER_V1_SIZE;
	h->table_size = sizeof(struct sluice_meta_table);
	h->rule_size = sizeof(struct sluice_meta_rule);
	h->ntables = b->ntables;
	h->nrules = b->nrules;
	h->ncounters = counter_slots(obj);
	h->opt_level = opts->opt_level < 0 ? 0 : (uint32_t)opts->opt_level;
	h->flags = obj->decision_map >= 0 ? SLUICE_META_F_DECISIONS : 0;
	if (b->l->ir)
		memcpy(h->source_hash, b->l->ir->source_hash, sizeof(h->source_hash));
	r = str(b, b->l->ir ? b->l->ir->name : "", &h->policy_name_str);
	if (!r)
		r = str(b, opts->compiler ? opts->compiler : "sluice", &h->compiler_str);
	if (!r && obj->counter_map >= 0)
		r = str(b, SLUICE_COUNTER_MAP, &h->counter_map_str);
	if (b->nsets || obj->ct_companion || b->nifaces) {
		/* Named sets and tracking need version 2; objects without keep version 1. */
		h->version = SLUICE_META_VERSION;
		h->header_size = sizeof(*h);
		h->nsets = b->nsets;
		h->set_size = sizeof(struct sluice_meta_set);
	}
	return r;
}

/* Every set's elements: key then value (expires_ns 0: the loader applies a timeout). */
static int append_elems(struct meta_builder *b, struct sl_obj_buf *out)
{
	static const struct sluice_set_value never = {0};
	int r = 0;

	for (uint32_t i = 0; !r && i < b->nsets; i++) {
		const struct sl_ir_set *s = &b->l->ir->sets[i];

		for (uint32_t k = 0; !r && k < s->nkeys; k++) {
			r = sl_obj_buf_append(out, s->keys + (size_t)k * s->key_size, s->key_size);
			if (!r)
				r = sl_obj_buf_append(out, &never, sizeof(never));
		}
	}
	return r;
}

static int assemble(struct meta_builder *b, struct sluice_meta_header *h, struct sl_obj_buf *out)
{
	size_t tables_len = (size_t)b->ntables * sizeof(*b->tables);
	size_t rules_len = (size_t)b->nrules * sizeof(*b->rules);
	size_t sets_len = (size_t)b->nsets * sizeof(*b->sets);
	size_t ifaces_len =
	    b->nifaces ? sizeof(struct sluice_meta_ifaces) + (size_t)b->nifaces * sizeof(*b->ifaces)
		       : 0;
	struct sluice_meta_ifaces ih = {b->nifaces, sizeof(*b->ifaces)};
	uint32_t elems_off;
	int r;

	if (sizeof(*h) + tables_len + rules_len + sets_len + b->elems_len + ifaces_len +
		b->strs.buf.len >
	    UINT32_MAX / 2)
		return -E2BIG;
	h->tables_off = h->header_size;
	h->rules_off = h->tables_off + (uint32_t)tables_len;
	h->sets_off = b->nsets ? h->rules_off + (uint32_t)rules_len : 0;
	elems_off = h->rules_off + (uint32_t)(rules_len + sets_len);
	for (uint32_t i = 0; i < b->nsets; i++) {
		b->sets[i].elems_off = elems_off;
		elems_off +=
		    b->sets[i].nelems * (b->sets[i].key_size + sizeof(struct sluice_set_value));
	}
	h->ifaces_off =
	    b->nifaces ? h->rules_off + (uint32_t)(rules_len + sets_len + b->elems_len) : 0;
	h->strings_off =
	    h->rules_off + (uint32_t)(rules_len + sets_len + b->elems_len + ifaces_len);
	h->strings_size = (uint32_t)b->strs.buf.len;
	r = sl_obj_buf_append(out, h, h->header_size);
	if (!r)
		r = sl_obj_buf_append(out, b->tables, tables_len);
	if (!r)
		r = sl_obj_buf_append(out, b->rules, rules_len);
	if (!r && b->nsets)
		r = sl_obj_buf_append(out, b->sets, sets_len);
	if (!r)
		r = append_elems(b, out);
	if (!r && b->nifaces)
		r = sl_obj_buf_append(out, &ih, sizeof(ih));
	if (!r && b->nifaces)
		r = sl_obj_buf_append(out, b->ifaces, (size_t)b->nifaces * sizeof(*b->ifaces));
	if (!r)
		r = sl_obj_buf_append(out, b->strs.buf.data, b->strs.buf.len);
	if (!r)
		r = sl_obj_buf_pad(out, 8);
	return r;
}

int sl_obj_meta_build(struct sl_obj_layout *l, struct sl_diag *diag)
{
	struct meta_builder b = {.l = l};
	struct sluice_meta_header h = {0};
	int r;

	r = sl_obj_strtab_init(&b.strs);
	if (r)
		return r;
	if (l->ir) {
		b.ntables = l->ir->ntables;
		b.nrules = l->ir->nrules;
		b.nsets = l->ir->nsets;
		b.nifaces = l->ir->nifnames;
	}
	b.tables = calloc(b.ntables + 1, sizeof(*b.tables));
	b.rules = calloc(b.nrules + 1, sizeof(*b.rules));
	b.sets = calloc(b.nsets + 1, sizeof(*b.sets));
	b.ifaces = calloc(b.nifaces + 1, sizeof(*b.ifaces));
	if (!b.tables || !b.rules || !b.sets || !b.ifaces)
		r = -ENOMEM;
	/* Strings in a fixed order: header, tables, rules. */
	if (!r)
		r = fill_header(&b, &h);
	for (uint32_t i = 0; !r && i < b.ntables; i++)
		r = fill_table(&b, i);
	if (!r && b.nrules)
		r = fill_rules(&b, diag);
	for (uint32_t i = 0; !r && i < b.nsets; i++)
		r = fill_set(&b, i);
	for (uint32_t i = 0; !r && i < b.nifaces; i++) {
		const struct sl_ir_ifname *n = &l->ir->ifnames[i];

		b.ifaces[i].flags = n->required ? SLUICE_IFACE_F_REQUIRED : 0;
		b.ifaces[i].line = n->loc.line;
		b.ifaces[i].col = n->loc.col;
		r = str(&b, n->name, &b.ifaces[i].name_str);
	}
	if (!r)
		r = assemble(&b, &h, &l->meta);
	free(b.tables);
	free(b.rules);
	free(b.sets);
	free(b.ifaces);
	sl_obj_strtab_fini(&b.strs);
	return r;
}
