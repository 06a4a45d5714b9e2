// SPDX-License-Identifier: GPL-2.0-only
/*
 * sl_compile(): the one place the stages are strung together,
 * parse -> check -> lower -> opt -> select/emit -> object.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/compile.h"
#include "parser/parser.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.0.0"
#endif

enum { STAGE_PARSE, STAGE_LOWER, STAGE_OPT, STAGE_EMIT, STAGE_OBJECT };
static const char *const stage_names[SL_COMPILE_STAGES] = {"parse", "lower", "opt", "emit",
							   "object"};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Diagnostics go to the result's text and, when asked, to the caller's stream. */
static ssize_t tee_write(void *cookie, const char *buf, size_t n)
{
	struct sl_result *r = cookie;

	fwrite(buf, 1, n, r->diag_mem);
	if (r->diag_tee) {
		fwrite(buf, 1, n, r->diag_tee);
		fflush(r->diag_tee);
	}
	return (ssize_t)n;
}

static struct sl_result *result_new(const struct sl_compile_opts *o)
{
	struct sl_result *r = calloc(1, sizeof(*r));
	FILE *out;

	if (!r)
		return NULL;
	r->arena = sl_arena_new();
	r->diag_mem = open_memstream(&r->diag_text, &r->diag_len);
	r->diag_tee = o->diag;
	out = r->diag_mem ? fopencookie(r, "w", (cookie_io_functions_t){.write = tee_write}) : NULL;
	if (!r->arena || !out) {
		if (out)
			fclose(out);
		if (r->diag_mem)
			fclose(r->diag_mem);
		free(r->diag_text);
		sl_arena_free(r->arena);
		free(r);
		return NULL;
	}
	setvbuf(out, NULL, _IONBF, 0);
	sl_sources_init(&r->srcs);
	sl_diag_init(&r->diag, &r->srcs, out);
	r->diag.werror = o->werror;
	r->diag.quiet_warnings = o->quiet_warnings;
	r->diag.max_errors = o->max_errors;
	sl_diag_hold(&r->diag); /* printed in line order, all stages together */
	r->opt_level = o->opt_level;
	for (unsigned i = 0; i < SL_COMPILE_STAGES; i++)
		r->stats.stage[i].name = stage_names[i];
	return r;
}

/* The plan's figures (segments, bpf_object.h) and the object's. */
static void count(struct sl_result *r)
{
	struct sl_compile_stats *s = &r->stats;
	const struct sl_bpf_object *obj = r->obj;

	s->rules_written = r->written ? r->written->nrules : 0;
	s->rules_emitted = r->opt_stats.rules_after;
	s->object_bytes = r->size;
	if (!obj)
		return;
	s->programs = obj->nprogs;
	s->maps = obj->nmaps;
	for (uint32_t p = 0; p < obj->nprogs; p++)
		s->insns += obj->progs[p].ninsns;
	for (uint32_t i = 0; i < obj->nsegments; i++) {
		const struct sl_bpf_segment *g = &obj->segments[i];

		switch (g->kind) {
		case SL_BPF_SEG_STRAIGHT:
			s->runs_straight += g->nrules > 0;
			s->rules_straight += g->nrules;
			break;
		case SL_BPF_SEG_TABLE_WALK:
			s->runs_table_walk++;
			s->rules_table_walk += g->nrules;
			break;
		case SL_BPF_SEG_CODE_TREE:
			s->runs_code_tree++;
			s->rules_code_tree += g->nrules;
			break;
		}
	}
}

/* Codegen's plan_seen hook, for sl_compile_observed(). */
struct plan_hook {
	void (*fn)(void *ctx, struct sl_sel_plan *plan);
	void *ctx;
};

/* From the lowered IR in r->written on. Returns an enum sl_compile_status. */
static int back_end(struct sl_result *r, const struct sl_compile_opts *o, const char *name,
		    const struct plan_hook *hook)
{
	struct sl_codegen_opts copts = {.opt_level = o->opt_level,
					.record_decisions = o->record_decisions,
					.test_clock = o->test_clock,
					.classifier = o->classifier,
					.set_lookup = o->set_lookup,
					.table_max = o->table_max,
					.plan_seen = hook ? hook->fn : NULL,
					.plan_ctx = hook ? hook->ctx : NULL};
	struct sl_obj_opts oopts = {.opt_level = o->opt_level,
				    .compiler =
					o->compiler ? o->compiler : "sluice " SLUICE_VERSION};
	struct sl_compile_stage_stats *st = r->stats.stage;
	double t = now();
	int err;

	r->ir = sl_ir_clone_shared(r->written, r->arena);
	err = sl_opt_run(r->ir, o->opt_level, &r->diag, &r->opt_stats);
	st[STAGE_OPT].seconds = now() - t;
	if (err)
		return SL_COMPILE_SYSTEM;
	if (sl_diag_failed(&r->diag))
		return SL_COMPILE_POLICY; /* warnings with werror */
	if (!r->ir->ntables) {
		sl_diag_plain(&r->diag, SL_SEV_ERROR,
			      "'%s' defines no table: nothing to build (files of constants and "
			      "chains are for include)",
			      name);
		return SL_COMPILE_POLICY;
	}
	t = now();
	err = sl_codegen(r->ir, &copts, r->arena, &r->diag, &r->obj);
	st[STAGE_EMIT].seconds = now() - t;
	if (err)
		return err == -EINVAL ? SL_COMPILE_POLICY : SL_COMPILE_SYSTEM;
	t = now();
	err = sl_obj_serialize(r->obj, r->written, &oopts, &r->diag, &r->image, &r->size);
	st[STAGE_OBJECT].seconds = now() - t;
	if (err) {
		sl_diag_plain(&r->diag, SL_SEV_ERROR, "cannot build the object for '%s'", name);
		return SL_COMPILE_SYSTEM;
	}
	return SL_COMPILE_OK;
}

static int finish(struct sl_result *r, int status, struct sl_result **out)
{
	r->status = status;
	if (status != SL_COMPILE_OK) {
		free(r->image);
		r->image = NULL;
		r->size = 0;
	}
	count(r);
	sl_diag_release(&r->diag);
	fflush(r->diag.out);
	fflush(r->diag_mem);
	*out = r;
	return status;
}

static const struct sl_compile_opts default_opts;

/* Parse, check and lower into r->ast and r->written. Returns an enum sl_compile_status. */
static int front_end(struct sl_result *r, const char *path, const char *text, size_t len)
{
	double t = now();
	int err;

	err = text ? sl_parse_text(path, text, len, &r->srcs, r->arena, &r->diag, &r->ast)
		   : sl_parse_file(path, &r->srcs, r->arena, &r->diag, &r->ast);
	if (!err)
		err = sl_check(r->ast, &r->diag);
	r->stats.stage[STAGE_PARSE].seconds = now() - t;
	if (err)
		return err == -EINVAL ? SL_COMPILE_POLICY : SL_COMPILE_SYSTEM;
	t = now();
	err = sl_ir_lower(r->ast, r->arena, &r->diag, &r->written);
	r->stats.stage[STAGE_LOWER].seconds = now() - t;
	if (err) /* reported; a checked policy that does not lower is our bug */
		return SL_COMPILE_SYSTEM;
	err = sl_ir_ct_check(r->written, &r->diag); /* needs the chains each table reaches */
	if (err)
		return err == -EINVAL ? SL_COMPILE_POLICY : SL_COMPILE_SYSTEM;
	return SL_COMPILE_OK;
}

/* How far a compilation from policy text goes. */
enum upto {
	UPTO_FRONT,  /* the AST and the IR as written */
	UPTO_LINT,   /* and the rule analysis of `sluice check` */
	UPTO_OPT,    /* and the optimiser, up to a pass */
	UPTO_OBJECT, /* the whole pipeline */
};

static int compile_text(const char *path, const char *text, size_t len,
			const struct sl_compile_opts *o, enum upto upto, const char *after,
			const struct plan_hook *hook, struct sl_result **out)
{
	struct sl_result *r;
	int status;

	if (!o)
		o = &default_opts;
	*out = NULL;
	r = result_new(o);
	if (!r)
		return SL_COMPILE_SYSTEM;
	if (!path)
		path = "<policy>";
	status = front_end(r, path, text, len);
	if (status != SL_COMPILE_OK)
		return finish(r, status, out);
	if (upto == UPTO_OBJECT) {
		/*
		 * Nothing reads the AST's matches past lowering: freed, and the heap's
		 * free pages handed back, the peak RSS of a 100k-rule build (in the
		 * classifier's build, later) is ~60 MB lower.
		 */
		sl_ast_drop_matches(r->ast);
		malloc_trim(0);
		return finish(r, back_end(r, o, path, hook), out);
	}
	if (upto == UPTO_LINT && sl_opt_lint(r->written, &r->diag, NULL))
		status = SL_COMPILE_SYSTEM;
	if (upto == UPTO_OPT) {
		double t = now();

		r->ir = sl_ir_clone_shared(r->written, r->arena);
		if (!r->ir || sl_opt_run_until(r->ir, o->opt_level, after, &r->diag, &r->opt_stats))
			status = SL_COMPILE_SYSTEM;
		r->stats.stage[STAGE_OPT].seconds = now() - t;
	}
	if (status == SL_COMPILE_OK && sl_diag_failed(&r->diag))
		status = SL_COMPILE_POLICY; /* warnings with werror */
	return finish(r, status, out);
}

int sl_compile(const char *path, const char *text, size_t len, const struct sl_compile_opts *o,
	       struct sl_result **out)
{
	return compile_text(path, text, len, o, UPTO_OBJECT, NULL, NULL, out);
}

int sl_compile_observed(const char *path, const char *text, size_t len,
			const struct sl_compile_opts *o,
			void (*plan_seen)(void *ctx, struct sl_sel_plan *plan), void *ctx,
			struct sl_result **out)
{
	struct plan_hook hook = {plan_seen, ctx};

	return compile_text(path, text, len, o, UPTO_OBJECT, NULL, &hook, out);
}

int sl_compile_front(const char *path, const char *text, size_t len,
		     const struct sl_compile_opts *o, struct sl_result **out)
{
	return compile_text(path, text, len, o, UPTO_FRONT, NULL, NULL, out);
}

int sl_compile_check(const char *path, const char *text, size_t len,
		     const struct sl_compile_opts *o, struct sl_result **out)
{
	return compile_text(path, text, len, o, UPTO_LINT, NULL, NULL, out);
}

int sl_compile_opt(const char *path, const char *text, size_t len, const struct sl_compile_opts *o,
		   const char *after, struct sl_result **out)
{
	return compile_text(path, text, len, o, UPTO_OPT, after, NULL, out);
}

int sl_compile_ir(const struct sl_ir *ir, const struct sl_compile_opts *o, struct sl_result **out)
{
	struct sl_result *r;

	if (!o)
		o = &default_opts;
	*out = NULL;
	r = result_new(o);
	if (!r)
		return SL_COMPILE_SYSTEM;
	r->diag.srcs = ir->srcs;
	r->written = sl_ir_clone(ir, r->arena);
	return finish(r, back_end(r, o, "<ir>", NULL), out);
}

const void *sl_result_object(const struct sl_result *r, size_t *size)
{
	if (size)
		*size = r ? r->size : 0;
	return r ? r->image : NULL;
}

const char *sl_result_diagnostics(const struct sl_result *r)
{
	return r && r->diag_text ? r->diag_text : "";
}

const struct sl_compile_stats *sl_result_stats(const struct sl_result *r)
{
	return &r->stats;
}

void sl_result_free(struct sl_result *r)
{
	if (!r)
		return;
	if (r->diag.out)
		fclose(r->diag.out);
	if (r->diag_mem)
		fclose(r->diag_mem);
	free(r->diag_text);
	free(r->image);
	sl_sources_fini(&r->srcs);
	sl_arena_free(r->arena);
	free(r);
}
