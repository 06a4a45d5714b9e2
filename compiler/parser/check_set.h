/* SPDX-License-Identifier: GPL-2.0-only */
/* The checker's part for named sets (check_set.c). Private to the front end. */
#pragma once

#include <stdbool.h>

#include "parser/ast.h"

/* The set declared as `name` (the first of that name), or NULL. */
struct sl_ast_set *sl_check_set_find(const struct sl_ast *ast, const char *name);
/* Checks every declaration and encodes its elements (sl_ast_set's checked fields). */
void sl_check_sets(struct sl_ast *ast, struct sl_diag *d);
/* Warns about sets no rule uses (after the rules are checked). */
void sl_check_sets_used(const struct sl_ast *ast, struct sl_diag *d);
/*
 * A match whose value is `@name` or whose field is a concatenation: resolves
 * the set and checks the fields against its types (reported); sets m->kind
 * and m->set. False on an error.
 */
bool sl_check_set_match(struct sl_ast *ast, struct sl_diag *d, const struct sl_ast_chain *c,
			struct sl_ast_match *m);
