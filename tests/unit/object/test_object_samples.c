// SPDX-License-Identifier: GPL-2.0-only
#include "test_object_samples.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/abi.h"

const char sl_sample_policy[] = "# sample.sluice\n"			 /* 1 */
				"table edge {\n"			 /* 2 */
				"    hook xdp\n"			 /* 3 */
				"    policy drop\n"			 /* 4 */
				"    tcp dport 22 counter accept\n"	 /* 5 */
				"    udp dport 53 accept\n"		 /* 6 */
				"}\n"					 /* 7 */
				"table tc_in {\n"			 /* 8 */
				"    hook tc ingress\n"			 /* 9 */
				"    ip saddr 10.0.0.0/8 counter drop\n" /* 10 */
				"}\n"					 /* 11 */
				"table tc_out {\n"			 /* 12 */
				"    hook tc egress\n"			 /* 13 */
				"    counter accept\n"			 /* 14 */
				"}\n"					 /* 15 */
				"table cg_in {\n"			 /* 16 */
				"    hook cgroup_skb ingress\n"		 /* 17 */
				"    jump quarantine\n"			 /* 18 */
				"}\n"					 /* 19 */
				"table cg_out {\n"			 /* 20 */
				"    hook cgroup_skb egress\n"		 /* 21 */
				"    counter accept\n"			 /* 22 */
				"}\n"					 /* 23 */
				"chain quarantine {\n"			 /* 24 */
				"    tcp dport 25 counter drop\n"	 /* 25 */
				"    return\n"				 /* 26 */
				"}\n";					 /* 27 */

static void die(const char *what)
{
	fprintf(stderr, "sample: %s\n", what);
	abort();
}

static struct sl_loc loc(uint32_t line, uint32_t col)
{
	return (struct sl_loc){0, line, col, 1};
}

/* ---- IR ---- */

struct rule_spec {
	uint32_t line;
	const char *text;
	bool counter;
	enum sl_ir_action action;
	uint32_t target;
};

static void add_chain(struct sl_sample *s, uint32_t idx, const char *name, uint32_t line,
		      const struct rule_spec *rules, uint32_t n, uint32_t *next_id)
{
	struct sl_ir_chain *c = &s->ir->chains[idx];

	c->name = name;
	c->loc = loc(line, 1);
	c->nrules = n;
	c->rules = sl_arena_calloc(s->arena, n, sizeof(*c->rules));
	for (uint32_t i = 0; i < n; i++) {
		struct sl_ir_rule *r = &c->rules[i];

		r->id = (*next_id)++;
		r->loc = loc(rules[i].line, 5);
		r->text = rules[i].text;
		r->counter = rules[i].counter;
		r->action = rules[i].action;
		r->target = rules[i].target;
		r->action_loc = r->loc;
	}
}

static void build_ir(struct sl_sample *s, bool all)
{
	static const struct rule_spec edge[] = {
	    {5, "tcp dport 22 counter accept", true, SL_IR_ACCEPT, 0},
	    {6, "udp dport 53 accept", false, SL_IR_ACCEPT, 0},
	};
	static const struct rule_spec tc_in[] = {
	    {10, "ip saddr 10.0.0.0/8 counter drop", true, SL_IR_DROP, 0},
	};
	static const struct rule_spec tc_out[] = {{14, "counter accept", true, SL_IR_ACCEPT, 0}};
	static const struct rule_spec cg_in[] = {{18, "jump quarantine", false, SL_IR_JUMP, 5}};
	static const struct rule_spec cg_out[] = {{22, "counter accept", true, SL_IR_ACCEPT, 0}};
	static const struct rule_spec quarantine[] = {
	    {25, "tcp dport 25 counter drop", true, SL_IR_DROP, 0},
	    {26, "return", false, SL_IR_RETURN, 0},
	};
	static const struct {
		const char *name;
		uint32_t line;
		enum sl_hook hook;
		enum sl_verdict policy;
		const struct rule_spec *rules;
		uint32_t nrules;
	} tables[] = {
	    {"edge", 2, SL_HOOK_XDP, SL_VERDICT_DROP, edge, 2},
	    {"tc_in", 8, SL_HOOK_TC_INGRESS, SL_VERDICT_ACCEPT, tc_in, 1},
	    {"tc_out", 12, SL_HOOK_TC_EGRESS, SL_VERDICT_ACCEPT, tc_out, 1},
	    {"cg_in", 16, SL_HOOK_CGROUP_INGRESS, SL_VERDICT_ACCEPT, cg_in, 1},
	    {"cg_out", 20, SL_HOOK_CGROUP_EGRESS, SL_VERDICT_ACCEPT, cg_out, 1},
	};
	struct sl_ir *ir = sl_arena_calloc(s->arena, 1, sizeof(*ir));
	uint32_t ntables = all ? 5 : 1, id = 0;

	s->ir = ir;
	ir->arena = s->arena;
	ir->srcs = &s->srcs;
	ir->name = "sample";
	for (uint32_t i = 0; i < sizeof(ir->source_hash); i++)
		ir->source_hash[i] = (uint8_t)(0xa0 + i);
	ir->ntables = ntables;
	ir->tables = sl_arena_calloc(s->arena, ntables, sizeof(*ir->tables));
	ir->nchains = all ? ntables + 1 : ntables;
	ir->chains = sl_arena_calloc(s->arena, ir->nchains, sizeof(*ir->chains));
	for (uint32_t t = 0; t < ntables; t++) {
		ir->tables[t].name = tables[t].name;
		ir->tables[t].loc = loc(tables[t].line, 1);
		ir->tables[t].hook = tables[t].hook;
		ir->tables[t].policy = tables[t].policy;
		ir->tables[t].entry = t;
		add_chain(s, t, tables[t].name, tables[t].line, tables[t].rules, tables[t].nrules,
			  &id);
	}
	if (all)
		add_chain(s, ntables, "quarantine", 24, quarantine, 2, &id);
	ir->nrules = id;
}

/* ---- programs ---- */

struct prog_builder {
	struct bpf_insn insns[64];
	struct sl_bpf_line lines[8];
	struct sl_bpf_reloc relocs[4];
	uint32_t n, nlines, nrelocs;
};

static void emit(struct prog_builder *b, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
		 int32_t imm)
{
	b->insns[b->n++] =
	    (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

static void line(struct prog_builder *b, uint32_t l)
{
	b->lines[b->nlines++] = (struct sl_bpf_line){b->n, loc(l, l > 4 ? 5 : 1)};
}

static void ld_map(struct prog_builder *b, uint8_t dst, uint32_t map)
{
	b->relocs[b->nrelocs++] = (struct sl_bpf_reloc){.insn = b->n, .map = map};
	emit(b, BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, 0);
	emit(b, 0, 0, 0, 0, 0);
}

/* r0 = bpf_map_lookup_elem(map, &(u32){key}) */
static void lookup(struct prog_builder *b, uint32_t map, int32_t key)
{
	emit(b, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, key);
	emit(b, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	emit(b, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4);
	ld_map(b, BPF_REG_1, map);
	emit(b, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
}

struct prog_spec {
	const char *name;
	enum sl_hook hook;
	uint32_t table, slot, table_line, rule_line, end_line;
	int32_t ret;
	bool count, decision, rodata;
};

static void build_prog(struct sl_sample *s, struct sl_bpf_prog *p, const struct prog_spec *ps)
{
	struct prog_builder b = {0};

	line(&b, ps->table_line);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	if (ps->count) {
		line(&b, ps->rule_line);
		lookup(&b, 0, (int32_t)ps->slot);
		emit(&b, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 9, 0);
		emit(&b, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_0, 0, 0);
		emit(&b, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, 1);
		emit(&b, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_1, 0, 0);
		if (ps->hook == SL_HOOK_XDP) { /* bytes = data_end - data */
			emit(&b, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_1, BPF_REG_6, 4, 0);
			emit(&b, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_6, 0, 0);
			emit(&b, BPF_ALU64 | BPF_SUB | BPF_X, BPF_REG_1, BPF_REG_2, 0, 0);
		} else { /* bytes = skb->len */
			emit(&b, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_1, BPF_REG_6, 0, 0);
			emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 0);
			emit(&b, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_1, BPF_REG_2, 0, 0);
		}
		emit(&b, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_0, 8, 0);
		emit(&b, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_2, BPF_REG_1, 0, 0);
		emit(&b, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_2, 8, 0);
	}
	if (ps->decision) {
		lookup(&b, 1, 0);
		emit(&b, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, 0);
		emit(&b, BPF_ST | BPF_MEM | BPF_W, BPF_REG_0, 0, 0, (int32_t)ps->slot);
	}
	if (ps->rodata) { /* r0 = sluice_tbl[1] from read-only data */
		ld_map(&b, BPF_REG_1, 2);
		emit(&b, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_0, BPF_REG_1, 4, 0);
	}
	line(&b, ps->end_line);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, ps->ret);
	emit(&b, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	p->name = ps->name;
	p->hook = ps->hook;
	p->section = sl_hook_section(ps->hook);
	p->table = ps->table;
	p->ninsns = b.n;
	p->insns = sl_arena_calloc(s->arena, b.n, sizeof(*p->insns));
	memcpy(p->insns, b.insns, b.n * sizeof(*p->insns));
	p->nlines = b.nlines;
	p->lines = sl_arena_calloc(s->arena, b.nlines, sizeof(*p->lines));
	memcpy(p->lines, b.lines, b.nlines * sizeof(*p->lines));
	p->nrelocs = b.nrelocs;
	p->relocs = sl_arena_calloc(s->arena, b.nrelocs + 1, sizeof(*p->relocs));
	memcpy(p->relocs, b.relocs, b.nrelocs * sizeof(*p->relocs));
}

static void build_maps(struct sl_sample *s, uint32_t nmaps)
{
	static const uint32_t table_init[4] = {10, 20, 30, 40};
	struct sl_bpf_object *obj = s->obj;

	obj->nmaps = nmaps;
	obj->maps = sl_arena_calloc(s->arena, nmaps + 1, sizeof(*obj->maps));
	obj->counter_map = -1;
	obj->decision_map = -1;
	if (nmaps < 1)
		return;
	obj->counter_map = 0;
	obj->maps[0] = (struct sl_bpf_map){
	    .name = SLUICE_COUNTER_MAP,
	    .type = BPF_MAP_TYPE_PERCPU_ARRAY,
	    .key_size = 4,
	    .value_size = sizeof(struct sluice_counter),
	    .max_entries = s->ir->nrules,
	    .key = &sl_btf_u32,
	    .value = &sl_btf_counter,
	};
	if (nmaps < 3)
		return;
	obj->decision_map = 1;
	obj->maps[1] = (struct sl_bpf_map){
	    .name = SLUICE_DECISION_MAP,
	    .type = BPF_MAP_TYPE_ARRAY,
	    .key_size = 4,
	    .value_size = 4,
	    .max_entries = 1,
	    .key = &sl_btf_u32,
	    .value = &sl_btf_u32,
	};
	obj->maps[2] = (struct sl_bpf_map){
	    .name = "sluice_tbl",
	    .type = BPF_MAP_TYPE_ARRAY,
	    .key_size = 4,
	    .value_size = 4,
	    .max_entries = 4,
	    .key = &sl_btf_u32,
	    .value = &sl_btf_u32,
	    .home = SL_BPF_MAP_RODATA,
	    .init = table_init,
	};
}

void sl_sample_build(struct sl_sample *s, enum sl_sample_kind kind)
{
	static const struct prog_spec all[] = {
	    {"sluice_edge", SL_HOOK_XDP, 0, 0, 2, 5, 6, 2 /* XDP_PASS */, true, false, false},
	    {"sluice_tc_in", SL_HOOK_TC_INGRESS, 1, 2, 8, 10, 10, 0, true, true, true},
	    {"sluice_tc_out", SL_HOOK_TC_EGRESS, 2, 3, 12, 14, 14, 0, true, false, false},
	    {"sluice_cg_in", SL_HOOK_CGROUP_INGRESS, 3, 6, 16, 25, 26, 1, true, true, false},
	    {"sluice_cg_out", SL_HOOK_CGROUP_EGRESS, 4, 5, 20, 22, 22, 1, true, false, false},
	};
	uint32_t nprogs = kind == SL_SAMPLE_ALL ? 5 : 1;
	struct prog_spec first = all[0];

	memset(s, 0, sizeof(*s));
	s->arena = sl_arena_new();
	sl_sources_init(&s->srcs);
	if (sl_sources_add(&s->srcs, "sample.sluice", sl_sample_policy, strlen(sl_sample_policy)) !=
	    0)
		die("cannot add the source");
	build_ir(s, kind == SL_SAMPLE_ALL);
	if (kind == SL_SAMPLE_PASS) /* no counter map: no rule may count */
		s->ir->chains[0].rules[0].counter = false;
	s->obj = sl_arena_calloc(s->arena, 1, sizeof(*s->obj));
	build_maps(s, kind == SL_SAMPLE_ALL ? 3 : kind == SL_SAMPLE_COUNTER ? 1 : 0);
	s->obj->nprogs = nprogs;
	s->obj->progs = sl_arena_calloc(s->arena, nprogs, sizeof(*s->obj->progs));
	first.count = kind != SL_SAMPLE_PASS;
	build_prog(s, &s->obj->progs[0], &first);
	for (uint32_t i = 1; i < nprogs; i++)
		build_prog(s, &s->obj->progs[i], &all[i]);
}

void sl_sample_fini(struct sl_sample *s)
{
	sl_arena_free(s->arena);
	sl_sources_fini(&s->srcs);
	memset(s, 0, sizeof(*s));
}

void sl_sample_serialize(const struct sl_sample *s, int opt_level, void **image, size_t *size)
{
	struct sl_obj_opts opts = {.opt_level = opt_level, .compiler = "sluice test"};
	struct sl_diag diag;

	sl_diag_init(&diag, &s->srcs, stderr);
	if (sl_obj_serialize(s->obj, s->ir, &opts, &diag, image, size))
		die("serialisation failed");
}
