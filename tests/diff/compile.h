/* SPDX-License-Identifier: GPL-2.0-only */
/* In-process compilation for the fuzzer: policy text -> IR (oracle) and -> ELF images. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/diag.h"

struct sl_ir;

struct sl_result;

#define FRONT_MAX_SETS 16

struct front {
	struct sl_result *result; /* sl_compile_front()'s: owns everything below */
	struct sl_ast *ast;	  /* checked */
	struct sl_ir *ir;	  /* as written */
	const char *diag;	  /* everything the front end printed */
	/*
	 * Named sets the policy text gives other contents at run time ("#@set NAME"
	 * comment lines, then "#@set NAME ELEMENT"): the interpreter's elements are
	 * replaced, and the kernel's inner maps get these keys (malloc'd).
	 */
	bool set_replaced[FRONT_MAX_SETS];
	uint8_t *set_keys[FRONT_MAX_SETS];
	uint32_t set_nkeys[FRONT_MAX_SETS];
};

/*
 * Parse, check, lower (sl_compile_front()), then apply the text's run-time set
 * contents. Returns 0 or -errno (diagnostics in f->diag).
 */
int front_compile(const char *name, const char *text, struct front *f);
void front_free(struct front *f);
/* The "#@set" lines of text (front_compile() applies them). 0 or -EINVAL. */
int front_runtime_sets(struct front *f, const char *text);

struct sl_result;

struct back {
	struct sl_result *result; /* sl_compile_ir()'s: owns everything below */
	const void *image;	  /* ELF object */
	size_t size;
	const char *diag;
	const char **prog_names; /* per table: its program's name (in arena) */
	/* every program's instructions, relocations and maps: equal code means equal behaviour */
	void *code; /* malloc'd */
	size_t code_size;
};

/*
 * The rest of the pipeline from f->ir (sl_compile_ir()): optimise at `level`,
 * generate code with decision recording, serialise. The classifier mode comes
 * from SLUICE_CLASSIFIER (auto when unset).
 */
int back_compile(const struct front *f, int level, struct back *b);
void back_free(struct back *b);
/* SLUICE_CLASSIFIER is unset or names a mode this build knows (back_compile reads others as auto).
 */
bool back_classifier_known(void);

struct sl_interp_fields;
struct sl_interp_result;

/*
 * The lowering check: the checked AST evaluated directly gives the same
 * verdict and deciding rule as the IR interpreter's `ir_res`. Returns true
 * when they agree; otherwise describes both in *why (malloc'd).
 */
bool ast_agrees(const struct front *f, uint32_t table, const struct sl_interp_fields *fields,
		const struct sl_interp_result *ir_res, char **why);
