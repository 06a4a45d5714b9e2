/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The front end's contract: policy text in, checked AST out (ast.h).
 * Diagnostics go to `diag`; its sources (`diag->srcs`, which must be `srcs`)
 * receive every file read, includes too.
 */
#pragma once

#include "common/arena.h"
#include "common/diag.h"

struct sl_ast;

/*
 * Parse `path` and everything it includes into one AST. Returns 0 when it
 * parsed (possibly with warnings), -EINVAL when the policy had errors (they
 * are reported), another -errno for system errors (also reported).
 */
int sl_parse_file(const char *path, struct sl_sources *srcs, struct sl_arena *arena,
		  struct sl_diag *diag, struct sl_ast **out);

/* The same for a policy in memory (tests, fuzzers); includes resolve against the cwd. */
int sl_parse_text(const char *name, const char *text, size_t size, struct sl_sources *srcs,
		  struct sl_arena *arena, struct sl_diag *diag, struct sl_ast **out);

/*
 * Check a parsed AST: names, types, ranges, hooks, jump graph. Resolves
 * $constants and chain references in place. Returns 0 or -EINVAL (errors
 * reported). Lowering accepts only a checked AST.
 */
int sl_check(struct sl_ast *ast, struct sl_diag *diag);

/*
 * Free every rule's matches (ast.h: scratch) once nothing reads them any
 * more: the IR is lowered and the AST is not evaluated or linted. The rules
 * keep their locations and text with no matches; ast->matches_dropped says so.
 */
void sl_ast_drop_matches(struct sl_ast *ast);
