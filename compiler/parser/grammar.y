/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The grammar (lang-spec/reference.md has it in EBNF). Every list is
 * left-recursive and nothing nests (sets hold atoms, parentheses hold a mask),
 * so the parser stack stays shallow whatever the input. Errors recover at
 * the next separator: one bad rule does not hide the next one's errors.
 * Semantic work is in build.c; the actions only hand it tokens and spans.
 */
%define api.pure full
%define api.prefix {sl_yy}
%define parse.error custom
%define parse.lac full
%define lr.default-reduction accepting
%locations
%lex-param {void *scanner}
%parse-param {void *scanner} {struct sl_parse_ctx *ctx}

%code requires {
#include "parser/parse_ctx.h"
#include "parser/build_limit.h"

struct sl_lit_tok {
	sl_u128 num;
	uint8_t plen;
	bool has_plen;
	bool bad;
};
}

%code provides {
int sl_yylex(SL_YYSTYPE *lval, SL_YYLTYPE *lloc, void *scanner);
}

%code {
#include <string.h>

#include "parser/build.h"

#define YYLLOC_DEFAULT(cur, rhs, n)                                                        \
	do {                                                                               \
		if (n) {                                                                   \
			(cur).first_line = YYRHSLOC(rhs, 1).first_line;                    \
			(cur).first_column = YYRHSLOC(rhs, 1).first_column;                \
			(cur).off = YYRHSLOC(rhs, 1).off;                                  \
			(cur).last_line = YYRHSLOC(rhs, n).last_line;                      \
			(cur).last_column = YYRHSLOC(rhs, n).last_column;                  \
			(cur).end = YYRHSLOC(rhs, n).end;                                  \
		} else {                                                                   \
			(cur).first_line = (cur).last_line = YYRHSLOC(rhs, 0).last_line;   \
			(cur).first_column = (cur).last_column = YYRHSLOC(rhs, 0).last_column; \
			(cur).off = (cur).end = YYRHSLOC(rhs, 0).end;                      \
		}                                                                          \
	} while (0)

static void sl_yyerror(struct sl_yyltype *loc, void *scanner, struct sl_parse_ctx *ctx, const char *msg)
{
	sl_error(ctx->b->diag, sl_ctx_loc(ctx, loc), "cannot parse: %s", msg);
}
}

%union {
	char *str;
	struct sl_lit_tok lit;
	struct sl_ast_value *val;
	struct sl_vlist *list;
	int op;
	struct sl_word *words;
}

%token <str> IDENT "name" VAR "$constant" STRING "string"
%token <str> SETREF "@set" DURATION "duration"
%token <lit> NUMBER "number" IPV4 "IPv4 address" IPV6 "IPv6 address" MAC "MAC address"
%token SEP "end of line"
%token TABLE "'table'" CHAIN "'chain'" CONST "'const'" INCLUDE "'include'"
%token HOOK "'hook'" POLICY "'policy'" COUNTER "'counter'" ACCEPT "'accept'" DROP "'drop'"
%token JUMP "'jump'" GOTO "'goto'" RETURN "'return'"
%token EQ "'=='" NE "'!='"
%token LIMIT "'limit'" LOG "'log'"
%token <str> WORD "word"
%token SET "'set'"

%type <val> setref atom value set set_elem mask flags elem_part concat_elem elements
%type <list> flag_list set_list elem_list comma_list
%type <op> op
%type <words> words word

%%

policy
	: %empty
	| policy item
	;

item
	: SEP
	| INCLUDE STRING SEP			{ sl_build_include(ctx, $2, &@2); }
	| CONST IDENT '=' value SEP		{ sl_build_const(ctx, $2, &@2, $4); }
	| table
	| chain
	| set_decl
	| error SEP				{ yyerrok; sl_build_recover(ctx); }
	| error '}'				{ yyerrok; sl_build_recover(ctx); }
	;

table
	: TABLE IDENT { sl_build_table(ctx, $2, &@2); } seps '{' block '}' { sl_build_block_end(ctx); }
	;

chain
	: CHAIN IDENT { sl_build_chain(ctx, $2, &@2); } seps '{' block '}' { sl_build_block_end(ctx); }
	;

set_decl
	: SET IDENT { sl_build_set(ctx, $2, &@2); } seps '{' set_stmts '}' { sl_build_set_end(ctx); }
	;

set_stmts
	: %empty
	| set_stmts SEP
	| set_stmts set_stmt
	| set_stmts error SEP			{ yyerrok; }
	;

set_stmt
	: IDENT type_list			{ sl_build_set_words(ctx, $1, &@1, &@2); }
	| IDENT NUMBER				{ sl_build_set_number(ctx, $1, &@1, &$2, &@2); }
	| IDENT DURATION			{ sl_build_set_duration(ctx, $1, &@1, $2, &@2); }
	| IDENT '=' elements			{ sl_build_set_elements(ctx, $1, &@1, $3); }
	;

type_list
	: IDENT					{ sl_build_set_word(ctx, $1, &@1, 0); }
	| type_list '.' IDENT			{ sl_build_set_word(ctx, $3, &@3, '.'); }
	| type_list ',' IDENT			{ sl_build_set_word(ctx, $3, &@3, ','); }
	;

elem_part
	: atom
	| atom '-' atom				{ $$ = sl_build_range(ctx, $1, $3, &@$); }
	;

concat_elem
	: elem_part
	| concat_elem '.' elem_part		{ $$ = sl_build_concat(ctx, $1, $3, &@$); }
	;

elem_list
	: concat_elem				{ $$ = sl_build_list(ctx, NULL, $1); }
	| elem_list seps ',' seps concat_elem	{ $$ = sl_build_list(ctx, $1, $5); }
	;

elements
	: '{' seps elem_list seps '}'		{ $$ = sl_build_compound(ctx, SL_AST_VAL_SET, $3, &@$); }
	| '{' seps elem_list seps ',' seps '}'	{ $$ = sl_build_compound(ctx, SL_AST_VAL_SET, $3, &@$); }
	| '{' seps '}'				{ $$ = sl_build_no_elements(ctx, &@$); }
	;

seps
	: %empty
	| seps SEP
	;

block
	: stmts
	| stmts stmt
	;

stmts
	: %empty
	| stmts SEP
	| stmts stmt SEP
	| stmts error SEP			{ yyerrok; sl_build_recover(ctx); }
	;

stmt
	: HOOK IDENT				{ sl_build_hook(ctx, &@$, $2, &@2, NULL, NULL); }
	| HOOK IDENT IDENT			{ sl_build_hook(ctx, &@$, $2, &@2, $3, &@3); }
	| POLICY ACCEPT				{ sl_build_policy(ctx, &@$, "accept", &@2); }
	| POLICY DROP				{ sl_build_policy(ctx, &@$, "drop", &@2); }
	| POLICY IDENT				{ sl_build_policy(ctx, &@$, $2, &@2); }
	| rule					{ sl_build_rule_end(ctx, &@1); }
	| ACCEPT IDENT				{ sl_build_accept_mode(ctx, &@$, $2, &@2); }
	/* `accept tcp dport 22`: a match after the verdict, not a table setting */
	| ACCEPT IDENT IDENT value		{ sl_build_accept_mode(ctx, &@$, NULL, &@2); }
	;

rule
	: matches
	| matches actions
	| actions
	;

matches
	: match
	| matches match
	;

match
	: IDENT IDENT value			{ sl_build_match(ctx, &@$, $1, &@1, $2, &@2, NULL, SL_AST_OP_IMPLICIT, NULL, $3); }
	| IDENT IDENT op value			{ sl_build_match(ctx, &@$, $1, &@1, $2, &@2, NULL, $3, &@3, $4); }
	| IDENT IDENT '&' mask op value		{ sl_build_match(ctx, &@$, $1, &@1, $2, &@2, $4, $5, &@5, $6); }
	| IDENT IDENT comma_list		{ sl_build_comma_match(ctx, &@$, $1, &@1, $2, &@2, SL_AST_OP_IMPLICIT, NULL, $3, &@3); }
	| IDENT IDENT op comma_list		{ sl_build_comma_match(ctx, &@$, $1, &@1, $2, &@2, $3, &@3, $4, &@4); }
	| IDENT IDENT concat_fields value	{ sl_build_match(ctx, &@$, $1, &@1, $2, &@2, NULL, SL_AST_OP_IMPLICIT, NULL, $4); }
	| IDENT IDENT concat_fields op value	{ sl_build_match(ctx, &@$, $1, &@1, $2, &@2, NULL, $4, &@4, $5); }
	;

concat_fields
	: '.' IDENT IDENT			{ sl_build_concat_field(ctx, $2, &@2, $3, &@3); }
	| concat_fields '.' IDENT IDENT		{ sl_build_concat_field(ctx, $3, &@3, $4, &@4); }
	;

op
	: EQ					{ $$ = SL_AST_OP_EQ; }
	| NE					{ $$ = SL_AST_OP_NE; }
	;

actions
	: action
	| actions action
	;

action
	: COUNTER				{ sl_build_counter(ctx, &@1); }
	| ACCEPT				{ sl_build_action(ctx, SL_AST_ACCEPT, &@1, NULL, NULL); }
	| DROP					{ sl_build_action(ctx, SL_AST_DROP, &@1, NULL, NULL); }
	| RETURN				{ sl_build_action(ctx, SL_AST_RETURN, &@1, NULL, NULL); }
	| JUMP IDENT				{ sl_build_action(ctx, SL_AST_JUMP, &@1, $2, &@2); }
	| GOTO IDENT				{ sl_build_action(ctx, SL_AST_GOTO, &@1, $2, &@2); }
	| LIMIT words				{ sl_build_limit(ctx, &@1, $2); }
	| LIMIT					{ sl_build_limit(ctx, &@1, NULL); }
	| LOG words				{ sl_build_log(ctx, &@1, $2); }
	| LOG					{ sl_build_log(ctx, &@1, NULL); }
	;

/* The arguments of limit and log: words that build_limit.c reads. */
words
	: word
	| words word				{ $$ = sl_words_cat($1, $2); }
	;

word
	: IDENT					{ $$ = sl_word(ctx, SL_WORD_NAME, $1, 0, &@1); }
	| WORD					{ $$ = sl_word(ctx, SL_WORD_NAME, $1, 0, &@1); }
	| DURATION				{ $$ = sl_word(ctx, SL_WORD_NAME, $1, 0, &@1); }
	| STRING				{ $$ = sl_word(ctx, SL_WORD_STRING, $1, 0, &@1); }
	| NUMBER				{ $$ = sl_word(ctx, $1.bad ? SL_WORD_BAD : SL_WORD_NUMBER, NULL, $1.num, &@1); }
	| '.'					{ $$ = sl_word(ctx, SL_WORD_DOT, ".", 0, &@1); }
	;

atom
	: NUMBER				{ $$ = sl_build_literal(ctx, SL_AST_VAL_NUMBER, &$1, &@1); }
	| IPV4					{ $$ = sl_build_literal(ctx, SL_AST_VAL_IPV4, &$1, &@1); }
	| IPV6					{ $$ = sl_build_literal(ctx, SL_AST_VAL_IPV6, &$1, &@1); }
	| MAC					{ $$ = sl_build_literal(ctx, SL_AST_VAL_MAC, &$1, &@1); }
	| IDENT					{ $$ = sl_build_name(ctx, SL_AST_VAL_NAME, $1, &@1); }
	| VAR					{ $$ = sl_build_name(ctx, SL_AST_VAL_REF, $1, &@1); }
	| STRING				{ $$ = sl_build_name(ctx, SL_AST_VAL_STRING, $1, &@1); }
	;

setref
	: SETREF				{ $$ = sl_build_name(ctx, SL_AST_VAL_SETREF, $1, &@1); }
	;

flag_list
	: atom '|' atom				{ $$ = sl_build_list(ctx, NULL, $1); $$ = sl_build_list(ctx, $$, $3); }
	| flag_list '|' atom			{ $$ = sl_build_list(ctx, $1, $3); }
	;

flags
	: flag_list				{ $$ = sl_build_compound(ctx, SL_AST_VAL_FLAGS, $1, &@1); }
	;

set_elem
	: atom
	| atom '-' atom				{ $$ = sl_build_range(ctx, $1, $3, &@$); }
	| flags
	;

value
	: set_elem
	| set
	| setref
	| '(' atom ')'				{ $$ = $2; }
	| '(' flags ')'				{ $$ = $2; }
	;

/* `ct state established,related`: a set without braces, as nftables writes it (ct_words.c). */
comma_list
	: set_elem ',' set_elem			{ ctx->comma_at = @2; $$ = sl_build_list(ctx, NULL, $1); $$ = sl_build_list(ctx, $$, $3); }
	| comma_list ',' set_elem		{ $$ = sl_build_list(ctx, $1, $3); }
	;

mask
	: atom
	| flags
	| '(' atom ')'				{ $$ = $2; }
	| '(' flags ')'				{ $$ = $2; }
	;

set_list
	: set_elem				{ $$ = sl_build_list(ctx, NULL, $1); }
	| set_list seps ',' seps set_elem	{ $$ = sl_build_list(ctx, $1, $5); }
	;

set
	: '{' seps set_list seps '}'		{ $$ = sl_build_compound(ctx, SL_AST_VAL_SET, $3, &@$); }
	| '{' seps set_list seps ',' seps '}'	{ $$ = sl_build_compound(ctx, SL_AST_VAL_SET, $3, &@$); }
	| '{' seps '}'				{ $$ = sl_build_empty_set(ctx, &@$); }
	;

%%

/* "a value" stands for every token that can start one: the list stays readable. */
static bool starts_value(yysymbol_kind_t k)
{
	const char *name = yysymbol_name(k);

	return k == YYSYMBOL_NUMBER || k == YYSYMBOL_IPV4 || k == YYSYMBOL_IPV6 ||
	       k == YYSYMBOL_MAC || k == YYSYMBOL_VAR || k == YYSYMBOL_IDENT || k == YYSYMBOL_SETREF ||
	       k == YYSYMBOL_STRING ||
	       !strcmp(name, "'{'") || !strcmp(name, "'('");
}

static bool has_text(yysymbol_kind_t k)
{
	return k == YYSYMBOL_IDENT || k == YYSYMBOL_VAR || k == YYSYMBOL_STRING || k == YYSYMBOL_NUMBER ||
	       k == YYSYMBOL_IPV4 || k == YYSYMBOL_IPV6 || k == YYSYMBOL_MAC;
}

static int yyreport_syntax_error(const yypcontext_t *pctx, void *scanner, struct sl_parse_ctx *ctx)
{
	yysymbol_kind_t expected[YYNTOKENS];
	const char *names[8];
	int n = yypcontext_expected_tokens(pctx, expected, YYNTOKENS);
	yysymbol_kind_t got = yypcontext_token(pctx);
	bool value = false, grouped = false;
	unsigned nnames = 0;

	for (int i = 0; i < n; i++)
		value = value || expected[i] == YYSYMBOL_NUMBER;
	for (int i = 0; i < n && nnames < SL_ARRAY_SIZE(names); i++) {
		/* `a . b @set` is rare enough not to crowd every "expected" list */
		if (!strcmp(yysymbol_name(expected[i]), "'.'"))
			continue;
		if (value && starts_value(expected[i])) {
			if (!grouped)
				names[nnames++] = "a value";
			grouped = true;
			continue;
		}
		names[nnames++] = yysymbol_name(expected[i]);
	}
	if (n <= 0 || nnames > 4)
		nnames = 0;
	sl_build_syntax_error(ctx, yypcontext_location(pctx), yysymbol_name(got), has_text(got),
			      names, nnames);
	return 0;
}
