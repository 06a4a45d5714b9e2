// SPDX-License-Identifier: GPL-2.0-only
/*
 * sl_codegen(): one BPF program per table, plus the maps they share (the
 * per-rule counters and, in debug objects, the decision slot). The program
 * is prologue (codegen_parse.c) + body (codegen_linear.c at every level for
 * now) + the table policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emit/codegen.h"

/* Fields tested and counters used by the chains a table can reach. */
static void collect_chain(struct sl_cg *cg, uint32_t chain, bool *seen)
{
	const struct sl_ir_chain *c;

	if (chain >= cg->ir->nchains || seen[chain])
		return;
	seen[chain] = true;
	c = &cg->ir->chains[chain];
	for (uint32_t i = 0; i < c->nrules; i++) {
		const struct sl_ir_rule *r = &c->rules[i];

		for (uint32_t k = 0; k < r->npreds; k++) {
			enum sl_field f = r->preds[k].field;

			if ((unsigned)f >= SL_FIELD_COUNT)
				continue;
			cg->used[f] = true;
			if (sl_cg_words(f) > 1)
				cg->words[f] |= (uint8_t)sl_cg_wide_words(cg, f, r->preds[k].set);
		}
		for (uint32_t k = 0; k < r->nsetrefs; k++) {
			for (uint32_t j = 0; j < r->setrefs[k].nfields; j++) {
				enum sl_field f = r->setrefs[k].fields[j];

				cg->used[f] = true;
				if (sl_cg_words(f) > 1)
					cg->words[f] = 0xf; /* the key holds the whole address */
			}
		}
		cg->counts |= r->counter;
		sl_cg_limit_collect(cg, r);
		if (r->action == SL_IR_JUMP || r->action == SL_IR_GOTO)
			collect_chain(cg, r->target, seen);
	}
}

static int collect_uses(struct sl_cg *cg)
{
	_cleanup_free_ bool *seen = calloc(cg->ir->nchains ? cg->ir->nchains : 1, sizeof(*seen));

	if (!seen)
		return -ENOMEM;
	collect_chain(cg, cg->table->entry, seen);
	return 0;
}

/*
 * The counter map exists when a rule counts, and also when optimisation
 * removed rules (fewer rules than ids): they may have counted, and the
 * metadata of the policy as written still gives them their slots.
 */
static bool needs_counter_map(const struct sl_ir *ir)
{
	uint32_t present = 0;

	for (uint32_t c = 0; c < ir->nchains; c++) {
		for (uint32_t i = 0; i < ir->chains[c].nrules; i++) {
			if (ir->chains[c].rules[i].counter)
				return true;
		}
		present += ir->chains[c].nrules;
	}
	return present < ir->nrules;
}

static void add_maps(const struct sl_ir *ir, const struct sl_codegen_opts *opts,
		     struct sl_arena *arena, struct sl_bpf_object *obj)
{
	obj->counter_map = obj->decision_map = -1;
	if (needs_counter_map(ir))
		obj->counter_map =
		    (int32_t)sl_bpf_obj_add_map(obj, arena,
						&(struct sl_bpf_map){
						    .name = SLUICE_COUNTER_MAP,
						    .type = BPF_MAP_TYPE_PERCPU_ARRAY,
						    .key_size = sizeof(uint32_t),
						    .value_size = sizeof(struct sluice_counter),
						    .max_entries = ir->nrules,
						    .key = &sl_btf_u32,
						    .value = &sl_btf_counter,
						});
	if (opts->record_decisions)
		obj->decision_map = (int32_t)sl_bpf_obj_add_map(obj, arena,
								&(struct sl_bpf_map){
								    .name = SLUICE_DECISION_MAP,
								    .type = BPF_MAP_TYPE_ARRAY,
								    .key_size = sizeof(uint32_t),
								    .value_size = sizeof(uint32_t),
								    .max_entries = 1,
								    .key = &sl_btf_u32,
								    .value = &sl_btf_u32,
								});
}

/*
 * The companion of a table that tracks connections (codegen_ct.c): the same
 * parse and tracker at the hook of the other direction, accepting everything.
 */
static int gen_companion(struct sl_cg *tcg, uint32_t t, struct sl_bpf_prog *prog)
{
	struct sl_cg *cg = sl_arena_calloc(tcg->arena, 1, sizeof(*cg));
	int err;

	cg->ir = tcg->ir;
	cg->opts = tcg->opts;
	cg->diag = tcg->diag;
	cg->table = tcg->table;
	cg->hook = sl_cg_ct_companion_hook(tcg->hook);
	cg->counter_map = cg->decision_map = -1;
	cg->obj = tcg->obj;
	cg->arena = tcg->arena;
	sl_emit_init(&cg->e);
	sl_emit_set_loc(&cg->e, cg->table->loc);
	cg->used[SL_FIELD_CT_STATE] = true;
	sl_cg_ct_setup(cg);
	sl_cg_parse(cg);
	sl_cg_exit(cg, SL_VERDICT_ACCEPT);
	sl_cg_ct_tail(cg);
	err = cg->e.err;
	if (!err) {
		prog->name = sl_arena_printf(tcg->arena, "sluicect_%s", cg->table->name);
		prog->section = sl_hook_section(cg->hook);
		prog->hook = cg->hook;
		prog->table = t;
		prog->ct_companion = true;
		err = sl_emit_to_prog(&cg->e, tcg->arena, prog);
	}
	sl_emit_fini(&cg->e);
	return err;
}

static int gen_table(const struct sl_ir *ir, const struct sl_codegen_opts *opts, uint32_t t,
		     struct sl_arena *arena, struct sl_diag *diag, struct sl_bpf_object *obj)
{
	struct sl_bpf_prog *prog = &obj->progs[t];
	struct sl_cg cg = {
	    .ir = ir,
	    .opts = opts,
	    .diag = diag,
	    .table = &ir->tables[t],
	    .hook = ir->tables[t].hook,
	    .counter_map = obj->counter_map,
	    .decision_map = obj->decision_map,
	    .obj = obj,
	    .arena = arena,
	};
	int err;

	sl_sel_init(&cg.sel, opts->opt_level, opts->classifier, opts->set_lookup, opts->table_max);
	sl_emit_init(&cg.e);
	sl_emit_set_loc(&cg.e, cg.table->loc);
	err = collect_uses(&cg);
	if (!err) {
		sl_cg_ct_setup(&cg);
		sl_cg_parse(&cg);
		err = cg.e.err ? cg.e.err : sl_cg_linear(&cg);
	}
	if (!err) {
		sl_emit_set_loc(&cg.e, cg.table->loc);
		sl_cg_tails(&cg);
		sl_cg_ct_tail(&cg);
		err = cg.e.err;
	}
	if (err == -E2BIG)
		sl_error(
		    diag, cg.table->loc,
		    "table '%s' needs more than %u BPF instructions at this optimisation level",
		    cg.table->name, SL_EMIT_MAX_INSNS);
	else if (err == -ENOMEM)
		sl_error(diag, cg.table->loc, "out of memory generating table '%s'",
			 cg.table->name);
	if (err) {
		sl_emit_fini(&cg.e);
		return err;
	}
	prog->name = sl_arena_printf(arena, "sluice_%s", cg.table->name);
	prog->section = sl_hook_section(cg.hook);
	prog->hook = cg.hook;
	prog->table = t;
	err = sl_emit_to_prog(&cg.e, arena, prog);
	sl_emit_fini(&cg.e);
	if (!err && cg.ct) {
		if (obj->ct_companion) {
			sl_error(diag, cg.table->loc,
				 "table '%s' tests 'ct state', and so does table '%s': one table "
				 "of a policy can track connections",
				 cg.table->name, ir->tables[obj->ct_companion->table].name);
			return -EINVAL;
		}
		/* It goes after every table's program (progs[t] is table t's). */
		obj->ct_companion = sl_arena_calloc(arena, 1, sizeof(*obj->ct_companion));
		err = gen_companion(&cg, t, obj->ct_companion);
	}
	return err;
}

int sl_codegen(const struct sl_ir *ir, const struct sl_codegen_opts *opts, struct sl_arena *arena,
	       struct sl_diag *diag, struct sl_bpf_object **out)
{
	static const struct sl_codegen_opts defaults;
	struct sl_bpf_object *obj = sl_arena_calloc(arena, 1, sizeof(*obj));
	int err;

	if (!opts)
		opts = &defaults;
	add_maps(ir, opts, arena, obj);
	err = sl_cg_add_set_maps(ir, arena, obj);
	if (err)
		return err;
	obj->progs = sl_arena_calloc(arena, ir->ntables + 1, sizeof(*obj->progs));
	for (uint32_t t = 0; t < ir->ntables; t++) {
		err = gen_table(ir, opts, t, arena, diag, obj);
		if (err)
			return err;
		obj->nprogs++;
	}
	if (obj->ct_companion)
		obj->progs[obj->nprogs++] = *obj->ct_companion;
	*out = obj;
	return 0;
}
