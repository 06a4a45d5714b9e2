/* SPDX-License-Identifier: GPL-2.0-only */
/* Building the AST from grammar actions (grammar.y). Private to the front end. */
#pragma once

#include "grammar.h"
#include "parser/parse_ctx.h"

struct sl_ast_value *sl_build_literal(struct sl_parse_ctx *ctx, enum sl_ast_value_kind kind,
				      const struct sl_lit_tok *lit, const struct sl_yyltype *loc);
struct sl_ast_value *sl_build_name(struct sl_parse_ctx *ctx, enum sl_ast_value_kind kind,
				   const char *name, const struct sl_yyltype *loc);
struct sl_ast_value *sl_build_range(struct sl_parse_ctx *ctx, struct sl_ast_value *lo,
				    struct sl_ast_value *hi, const struct sl_yyltype *loc);
struct sl_vlist *sl_build_list(struct sl_parse_ctx *ctx, struct sl_vlist *list,
			       struct sl_ast_value *v);
struct sl_ast_value *sl_build_compound(struct sl_parse_ctx *ctx, enum sl_ast_value_kind kind,
				       struct sl_vlist *list, const struct sl_yyltype *loc);
struct sl_ast_value *sl_build_empty_set(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc);

void sl_build_table(struct sl_parse_ctx *ctx, const char *name, const struct sl_yyltype *loc);
void sl_build_chain(struct sl_parse_ctx *ctx, const char *name, const struct sl_yyltype *loc);
void sl_build_block_end(struct sl_parse_ctx *ctx);
void sl_build_hook(struct sl_parse_ctx *ctx, const struct sl_yyltype *stmt, const char *w1,
		   const struct sl_yyltype *l1, const char *w2, const struct sl_yyltype *l2);
void sl_build_policy(struct sl_parse_ctx *ctx, const struct sl_yyltype *stmt, const char *verdict,
		     const struct sl_yyltype *loc);
/* `accept next`: a table setting (what accept returns on tc), not a rule. */
void sl_build_accept_mode(struct sl_parse_ctx *ctx, const struct sl_yyltype *stmt, const char *word,
			  const struct sl_yyltype *loc);
void sl_build_match(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc, const char *proto,
		    const struct sl_yyltype *proto_loc, const char *member,
		    const struct sl_yyltype *member_loc, struct sl_ast_value *mask, int op,
		    const struct sl_yyltype *op_loc, struct sl_ast_value *value);
void sl_build_counter(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc);
void sl_build_action(struct sl_parse_ctx *ctx, enum sl_ast_action action,
		     const struct sl_yyltype *loc, const char *target,
		     const struct sl_yyltype *target_loc);
void sl_build_rule_end(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc);
void sl_build_recover(struct sl_parse_ctx *ctx);
void sl_build_const(struct sl_parse_ctx *ctx, const char *name, const struct sl_yyltype *loc,
		    struct sl_ast_value *value);
void sl_build_include(struct sl_parse_ctx *ctx, const char *path, const struct sl_yyltype *loc);
/*
 * nft_words.c: an nftables word sluice does not have, in the current statement
 * before offset `end`: reported once ("'ct' is not supported by sluice (yet)"),
 * true. Callers then say nothing more about the statement.
 */
bool sl_build_unsupported(struct sl_parse_ctx *ctx, size_t end);
/* Hints for a syntax error at `at`: `tcp flags syn,ack`, `dport 22`, a list without braces. */
void sl_build_syntax_hints(struct sl_parse_ctx *ctx, const struct sl_yyltype *at, const char *got);
void sl_build_syntax_error(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc, const char *got,
			   bool show_text, const char *const *expected, unsigned nexpected);
/*
 * ct_words.c: a match whose values are a list without braces: a set for
 * `ct state` (nftables writes `ct state established,related`), the syntax
 * error at the first ',' for every other field, as before.
 */
void sl_build_comma_match(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc, const char *proto,
			  const struct sl_yyltype *proto_loc, const char *member,
			  const struct sl_yyltype *member_loc, int op,
			  const struct sl_yyltype *op_loc, struct sl_vlist *list,
			  const struct sl_yyltype *list_loc);

/* set_build.c: named sets (`set NAME { ... }`) and `a . b` in matches and elements. */
void sl_build_set(struct sl_parse_ctx *ctx, const char *name, const struct sl_yyltype *loc);
void sl_build_set_end(struct sl_parse_ctx *ctx);
void sl_build_set_word(struct sl_parse_ctx *ctx, const char *word, const struct sl_yyltype *loc,
		       char sep);
void sl_build_set_words(struct sl_parse_ctx *ctx, const char *key, const struct sl_yyltype *kloc,
			const struct sl_yyltype *loc);
void sl_build_set_number(struct sl_parse_ctx *ctx, const char *key, const struct sl_yyltype *kloc,
			 const struct sl_lit_tok *num, const struct sl_yyltype *loc);
void sl_build_set_duration(struct sl_parse_ctx *ctx, const char *key, const struct sl_yyltype *kloc,
			   const char *text, const struct sl_yyltype *loc);
void sl_build_set_elements(struct sl_parse_ctx *ctx, const char *key, const struct sl_yyltype *kloc,
			   struct sl_ast_value *elements);
struct sl_ast_value *sl_build_no_elements(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc);
struct sl_ast_value *sl_build_concat(struct sl_parse_ctx *ctx, struct sl_ast_value *a,
				     struct sl_ast_value *b, const struct sl_yyltype *loc);
void sl_build_concat_field(struct sl_parse_ctx *ctx, const char *proto,
			   const struct sl_yyltype *proto_loc, const char *member,
			   const struct sl_yyltype *member_loc);
/* build.c: moves the concatenated fields collected for the match being built into m. */
void sl_build_take_concat(struct sl_parse_ctx *ctx, struct sl_ast_match *m);

/* parse.c: parse one more file into the build (includes). */
int sl_parse_source(struct sl_build *b, struct sl_parse_ctx *parent, uint32_t file, const char *dir,
		    const struct sl_file_id *id);
