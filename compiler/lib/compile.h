/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libsluice's inside (include/sluice/sluice.h is its outside): the stage
 * outputs of one compile, for the in-tree tools that look at more than the
 * object (`sluice build --stats`, the differential fuzzer, the kernel
 * tests), the entry points of the `sluice` commands that stop early
 * (check, dump --ir, run), and sl_compile_ir() for tests that build their
 * IR directly.
 */
#pragma once

#include "common/arena.h"
#include "common/diag.h"
#include "emit/bpf_object.h"
#include "object/object.h"
#include "ir/ir.h"
#include "opt/opt.h"
#include "parser/ast.h"
#include "sluice/sluice.h"

struct sl_result {
	struct sl_arena *arena;
	struct sl_sources srcs;
	struct sl_diag diag;
	FILE *diag_mem, *diag_tee;
	char *diag_text;
	size_t diag_len;
	int status;
	int opt_level;
	/* Stage outputs, each NULL until its stage ran. */
	struct sl_ast *ast;    /* checked */
	struct sl_ir *written; /* as lowered: the metadata describes it, removed rules too */
	struct sl_ir *ir;      /* as optimised: what select and emit saw */
	struct sl_opt_stats opt_stats;
	struct sl_bpf_object *obj;
	void *image; /* malloc'd */
	size_t size;
	struct sl_compile_stats stats;
};

/*
 * The front end alone (parse, check, lower) for tools that need the checked
 * AST or the IR as written (the differential fuzzer's oracle): r->ast and
 * r->written. Same arguments and status as sl_compile().
 */
int sl_compile_front(const char *path, const char *text, size_t len,
		     const struct sl_compile_opts *opts, struct sl_result **out);

/*
 * What `sluice check` reports: the front end, then the analysis of the rules
 * (shadowed and redundant ones, as warnings: sl_opt_lint). r->ast and
 * r->written. Same arguments and status as sl_compile().
 */
int sl_compile_check(const char *path, const char *text, size_t len,
		     const struct sl_compile_opts *opts, struct sl_result **out);

/*
 * The front end, then the optimiser at opts->opt_level stopping after the
 * pass `after` (NULL: every pass of the level; the caller checks the name
 * with sl_opt_pass_find()): r->written and r->ir, with r->opt_stats.
 * `sluice dump --ir` prints r->ir. Same status as sl_compile().
 */
int sl_compile_opt(const char *path, const char *text, size_t len,
		   const struct sl_compile_opts *opts, const char *after, struct sl_result **out);

/*
 * The pipeline from a lowered IR on (opt, select, emit, object), for tests
 * that build IR without a policy text: `ir` is copied (it stays as it is)
 * and is the policy as written. Diagnostics name ir->srcs.
 */
int sl_compile_ir(const struct sl_ir *ir, const struct sl_compile_opts *opts,
		  struct sl_result **out);

struct sl_sel_plan; /* select/select.h */

/*
 * sl_compile() that also hands the plan of every classified run to
 * plan_seen (emit/bpf_object.h: struct sl_codegen_opts) once it is emitted:
 * measurements of what the chosen plan does (bench/plan_work.c). The object
 * is the one sl_compile() makes.
 */
int sl_compile_observed(const char *path, const char *text, size_t len,
			const struct sl_compile_opts *opts,
			void (*plan_seen)(void *ctx, struct sl_sel_plan *plan), void *ctx,
			struct sl_result **out);
