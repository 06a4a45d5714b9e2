/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * State shared by the scanner (lexer.l), the grammar (parser.y) and the AST
 * builder (build.c) while one source file is parsed. Private to the front end.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "parser/ast.h"

/* Bison's location type: a span with byte offsets, so a rule's text can be cut out. */
struct sl_yyltype {
	uint32_t first_line, first_column;
	uint32_t last_line, last_column;
	size_t off, end;
};
#define SL_YYLTYPE	       struct sl_yyltype
#define SL_YYLTYPE_IS_DECLARED 1
#define SL_YYLTYPE_IS_TRIVIAL  1

/* A growable list of values, in the arena. */
struct sl_vlist {
	struct sl_ast_value **v;
	uint32_t n, cap;
};

/* What every file of one parse shares: the AST being built and bookkeeping. */
struct sl_build {
	struct sl_ast *ast;
	struct sl_arena *arena;
	struct sl_diag *diag;
	struct sl_sources *srcs;
	size_t tables_cap, chains_cap, consts_cap;
	/* files already parsed, to skip repeated (non-cyclic) includes */
	struct sl_file_id *seen;
	size_t nseen, seen_cap;
	/* the rule list and the rule being built (tables and chains do not nest) */
	struct sl_ast_chain *chain;
	struct sl_ast_rule *rules;
	size_t nrules, rules_cap;
	struct sl_ast_rule rule;
	struct sl_ast_match *matches;
	size_t nmatches, matches_cap;
	bool in_table;
	bool rule_bad; /* the rule being built had an error: it is left out */
	/* identifiers interned: 100k rules repeat the same few words */
	const char **words;
	size_t words_cap, nwords;
	/* the named set being declared (set_build.c), and a match's concatenated fields */
	struct sl_ast_set *set;
	size_t sets_cap;
	uint32_t nconcat;
	enum sl_field concat[SL_AST_SET_MAX_FIELDS];
	struct sl_loc concat_loc[SL_AST_SET_MAX_FIELDS];
	bool concat_bad;
	uint32_t nset_words; /* the words of a set statement (`flags interval, timeout`) */
	const char *set_words[8];
	struct sl_loc set_word_loc[8];
	char set_word_sep[8];
};

struct sl_file_id {
	dev_t dev;
	ino_t ino;
};

struct sl_parse_ctx {
	struct sl_build *b;
	struct sl_parse_ctx *parent; /* the including file's context */
	uint32_t file;		     /* index in the sources */
	unsigned depth;		     /* include depth */
	bool has_id;
	struct sl_file_id id;
	const char *dir; /* directory includes resolve against ("" = cwd) */
	/* scanner position */
	uint32_t line, col;
	size_t off;
	size_t last_bad_end; /* end of the last invalid character reported */
	bool last_sep;	     /* last token was a separator (to add one at EOF) */
	int prev_tok;	     /* the last token (limit and log are names after jump, goto, chain) */
	bool eof_sent;
	bool has_last_syntax_error;
	size_t last_syntax_error; /* offset of the last syntax error reported */
	/* braces, as the scanner sees them: to say which one a missing '}' leaves open */
	bool expect_block; /* after 'table' or 'chain': the next '{' opens its block */
	bool block_open;
	unsigned set_depth;	/* '{' of sets open (inside the block or a const) */
	bool closing;		/* closing them: the error is reported */
	bool stmt_begins;	/* the next token starts a statement (after SEP or a block's '{') */
	size_t stmt_start;	/* offset where the current statement starts */
	size_t prev_stmt_start; /* ... and the one before (the parser lags one token) */
	bool has_unsupported;	/* an nftables word sluice lacks was reported ... */
	size_t unsupported_off; /* ... here (nft_words.c) */
	struct sl_loc block_brace, set_brace;
	void *scanner;
	struct sl_yyltype comma_at; /* the first ',' of a list without braces (ct_words.c) */
};

/* The one copy of an identifier, in the arena. */
const char *sl_build_intern(struct sl_build *b, const char *s, size_t n);

struct sl_loc sl_ctx_loc(const struct sl_parse_ctx *ctx, const struct sl_yyltype *l);
