// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice build --stats`: what the optimiser's passes did, the plan (what
 * code each run of rules became), and the memory of the object's maps. A stable text form
 * (documented in compiler/opt/README.md): tests compare it with every time in milliseconds masked.
 */
#include <linux/bpf.h>
#include <stdio.h>

#include "lib/compile.h"

static const char *map_type(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY:
		return "array";
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return "percpu_array";
	case BPF_MAP_TYPE_HASH:
		return "hash";
	case BPF_MAP_TYPE_PERCPU_HASH:
		return "percpu_hash";
	case BPF_MAP_TYPE_LPM_TRIE:
		return "lpm_trie";
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
		return "array_of_maps"; /* a named set: its map is made at run time */
	default:
		return "other";
	}
}

static const char *segment_kind(enum sl_bpf_segment_kind k)
{
	switch (k) {
	case SL_BPF_SEG_STRAIGHT:
		return "straight";
	case SL_BPF_SEG_TABLE_WALK:
		return "table walk";
	case SL_BPF_SEG_CODE_TREE:
		return "code tree";
	}
	return "?";
}

static void print_passes(FILE *out, const struct sl_opt_stats *os, int level)
{
	fprintf(out, "stats: passes at -O%d\n", level);
	fprintf(out, "  %-8s %9s %9s %9s %9s %9s %10s\n", "pass", "rules-in", "rules-out",
		"shadowed", "no-ops", "moved", "time");
	for (uint32_t i = 0; i < os->npasses; i++) {
		const struct sl_opt_pass_stats *p = &os->pass[i];

		fprintf(out, "  %-8s %9u %9u %9u %9u %9u %7.3f ms\n", p->name, p->rules_in,
			p->rules_out, p->shadowed, p->noops, p->moved, p->seconds * 1e3);
	}
	if (os->shadow_partial)
		fprintf(out,
			"  shadow: stopped at its work budget (%llu checks): some may remain\n",
			(unsigned long long)os->subset_checks);
	if (os->reorder_partial)
		fprintf(out, "  reorder: stopped at its work budget (%llu checks)\n",
			(unsigned long long)os->disjoint_checks);
}

static void print_loc(FILE *out, const struct sl_sources *srcs, struct sl_loc loc)
{
	const struct sl_source *src = sl_sources_get(srcs, loc.file);

	if (src)
		fprintf(out, "%s:%u:%u", src->path, loc.line, loc.col);
	else
		fprintf(out, "-");
}

static void print_program(FILE *out, const struct sl_ir *ir, const struct sl_bpf_object *obj,
			  uint32_t p)
{
	const struct sl_bpf_prog *prog = &obj->progs[p];

	fprintf(out, "stats: program %s (table %s, %s): %u instructions\n", prog->name,
		ir->tables[prog->table].name, prog->section, prog->ninsns);
	for (uint32_t i = 0; i < obj->nsegments; i++) {
		const struct sl_bpf_segment *s = &obj->segments[i];
		const struct sl_ir_chain *c = &ir->chains[s->chain];

		if (s->prog != p || !s->nrules || s->first >= c->nrules)
			continue;
		fprintf(out, "  chain %s from ", c->name);
		print_loc(out, ir->srcs, c->rules[s->first].loc);
		fprintf(out, ": %u rule%s, %s", s->nrules, s->nrules == 1 ? "" : "s",
			segment_kind(s->kind));
		if (s->kind != SL_BPF_SEG_STRAIGHT)
			fprintf(out, ", %u tree%s, depth %u", s->trees, s->trees == 1 ? "" : "s",
				s->depth);
		fprintf(out, "\n");
	}
}

/* Bytes of a map's data: per CPU for per-CPU maps. Kernel overhead is not counted. */
static uint64_t map_bytes(const struct sl_bpf_map *m)
{
	uint64_t entry = m->value_size;

	if (m->type == BPF_MAP_TYPE_HASH || m->type == BPF_MAP_TYPE_PERCPU_HASH ||
	    m->type == BPF_MAP_TYPE_LPM_TRIE)
		entry += m->key_size;
	return entry * m->max_entries;
}

static bool per_cpu(const struct sl_bpf_map *m)
{
	return m->type == BPF_MAP_TYPE_PERCPU_ARRAY || m->type == BPF_MAP_TYPE_PERCPU_HASH;
}

static void print_maps(FILE *out, const struct sl_bpf_object *obj)
{
	uint64_t total = 0, total_cpu = 0;

	fprintf(out, "stats: maps\n");
	fprintf(out, "  %-32s %-12s %5s %9s %9s %12s\n", "name", "type", "key", "value", "entries",
		"bytes");
	for (uint32_t i = 0; i < obj->nmaps; i++) {
		const struct sl_bpf_map *m = &obj->maps[i];
		uint64_t b = map_bytes(m);

		fprintf(out, "  %-32s %-12s %5u %9u %9u %12llu%s\n", m->name, map_type(m->type),
			m->key_size, m->value_size, m->max_entries, (unsigned long long)b,
			per_cpu(m)		       ? " per CPU"
			: m->home == SL_BPF_MAP_RODATA ? " read-only"
						       : "");
		if (per_cpu(m))
			total_cpu += b;
		else
			total += b;
	}
	fprintf(out, "  total %llu bytes", (unsigned long long)total);
	if (total_cpu)
		fprintf(out, " + %llu bytes per CPU", (unsigned long long)total_cpu);
	fprintf(out, " in %u map%s\n", obj->nmaps, obj->nmaps == 1 ? "" : "s");
}

void sl_result_print_plan(const struct sl_result *r, FILE *out)
{
	if (!r || !r->obj || !r->ir)
		return;
	for (uint32_t p = 0; p < r->obj->nprogs; p++)
		print_program(out, r->ir, r->obj, p);
}

void sl_result_print_stats(const struct sl_result *r, FILE *out)
{
	if (!r || !r->ir)
		return;
	print_passes(out, &r->opt_stats, r->opt_level);
	if (!r->obj)
		return; /* stopped after the optimiser (sl_compile_opt) */
	sl_result_print_plan(r, out);
	print_maps(out, r->obj);
}
