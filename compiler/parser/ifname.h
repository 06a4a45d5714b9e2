/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interface names (`meta iifname "eth0"`, `meta iif "eth0"`, oifname, oif):
 * the words, the checks and the policy's table of names (sl_ast.ifnames).
 */
#pragma once

#include "common/diag.h"
#include "parser/ast.h"

/* Which of nftables' four words `proto member` is, or SL_AST_IF_NONE. */
enum sl_ast_ifword sl_build_ifword(const char *proto, const char *member);

/*
 * The value (1-based slot) of interface name `v` (a string or a bare name)
 * in the policy's table, adding it on first use; 0 after an error.
 */
uint32_t sl_check_ifname_value(struct sl_ast *ast, struct sl_diag *d, const struct sl_ast_value *v);

/*
 * The checks of a match on SL_FIELD_META_IFNAME before its value: the word
 * fits the hooks `hooks` (SL_HOOK_BIT mask) reaching the chain, and the value
 * is not a named set. false after an error.
 */
bool sl_check_ifname_match(struct sl_diag *d, unsigned hooks, const struct sl_ast_match *m);

/* After the value: `iif`/`oif` make every name they use required. */
void sl_check_ifname_required(struct sl_ast *ast, const struct sl_ast_match *m);
