// SPDX-License-Identifier: GPL-2.0-only
/* The scanner on its own: token kinds, values, positions, lexical errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar.h"
#include "parser/parse_ctx.h"

typedef void *yyscan_t;
int sl_yylex_init_extra(struct sl_parse_ctx *extra, yyscan_t *scanner);
int sl_yylex_destroy(yyscan_t scanner);
void *sl_yy_scan_bytes(const char *bytes, int len, yyscan_t scanner);

struct tok {
	int kind;
	SL_YYSTYPE val;
	struct sl_yyltype loc;
};

struct lexed {
	struct tok toks[256];
	size_t n;
	unsigned errors, warnings;
	char *diag_text;
};

static void lex(const char *text, size_t size, struct lexed *out)
{
	struct sl_arena *arena = sl_arena_new();
	struct sl_sources srcs;
	struct sl_diag diag;
	size_t len = 0;
	FILE *f = open_memstream(&out->diag_text, &len);
	struct sl_ast ast = {0};
	struct sl_build b = {.ast = &ast, .arena = arena, .diag = &diag, .srcs = &srcs};
	struct sl_parse_ctx ctx = {
	    .b = &b, .line = 1, .col = 1, .last_bad_end = (size_t)-1, .last_sep = true};
	int file;

	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, f);
	file = sl_sources_add(&srcs, "t.sluice", text, size);
	assert_true(file >= 0);
	ctx.file = (uint32_t)file;
	assert_int_equal(sl_yylex_init_extra(&ctx, &ctx.scanner), 0);
	sl_yy_scan_bytes(srcs.files[file].text, (int)size, ctx.scanner);
	out->n = 0;
	for (;;) {
		struct tok *t = &out->toks[out->n];

		t->kind = sl_yylex(&t->val, &t->loc, ctx.scanner);
		if (t->kind == 0 || out->n + 1 == SL_ARRAY_SIZE(out->toks))
			break;
		/* identifiers live in the arena: keep a copy past its end */
		if (t->kind == IDENT || t->kind == VAR || t->kind == STRING)
			t->val.str = strdup(t->val.str);
		out->n++;
	}
	sl_yylex_destroy(ctx.scanner);
	fclose(f);
	out->errors = diag.nerrors;
	out->warnings = diag.nwarnings;
	free(b.words);
	sl_sources_fini(&srcs);
	sl_arena_free(arena);
}

static void lexed_free(struct lexed *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->toks[i].kind == IDENT || l->toks[i].kind == VAR || l->toks[i].kind == STRING)
			free(l->toks[i].val.str);
	}
	free(l->diag_text);
}

static void lex_str(const char *s, struct lexed *out)
{
	lex(s, strlen(s), out);
}

static void assert_kinds(const struct lexed *l, const int *kinds, size_t n)
{
	if (l->n != n)
		fail_msg("%zu tokens, expected %zu", l->n, n);
	for (size_t i = 0; i < n; i++) {
		if (l->toks[i].kind != kinds[i])
			fail_msg("token %zu: kind %d, expected %d", i, l->toks[i].kind, kinds[i]);
	}
}

static void table_line(void **state)
{
	struct lexed l;
	const int kinds[] = {TABLE, IDENT,  '{', HOOK,	 IDENT,	 SEP, IDENT,
			     IDENT, NUMBER, '-', NUMBER, ACCEPT, '}', SEP};

	lex_str("table edge { hook xdp; tcp dport 22-23 accept }\n", &l);
	assert_kinds(&l, kinds, SL_ARRAY_SIZE(kinds));
	assert_string_equal(l.toks[1].val.str, "edge");
	assert_true(l.toks[8].val.lit.num == 22);
	assert_true(l.toks[10].val.lit.num == 23);
	assert_int_equal(l.errors, 0);
	lexed_free(&l);
}

static void separator_added_at_eof(void **state)
{
	struct lexed l;
	const int kinds[] = {DROP, SEP};

	lex_str("drop # no newline at the end", &l);
	assert_kinds(&l, kinds, SL_ARRAY_SIZE(kinds));
	lexed_free(&l);
	lex_str("", &l);
	assert_int_equal(l.n, 0);
	lexed_free(&l);
}

static void comments_and_positions(void **state)
{
	struct lexed l;
	const int kinds[] = {SEP, IDENT, IDENT, IPV4, SEP};

	lex_str("# comment\n\tip  saddr 10.0.0.0/8 # trailing\n", &l);
	assert_kinds(&l, kinds, SL_ARRAY_SIZE(kinds));
	assert_int_equal(l.toks[1].loc.first_line, 2);
	assert_int_equal(l.toks[1].loc.first_column, 2);
	assert_int_equal(l.toks[3].loc.first_column, 12);
	assert_int_equal(l.toks[3].loc.end - l.toks[3].loc.off, 10);
	assert_true(l.toks[3].val.lit.num == 0x0a000000);
	assert_int_equal(l.toks[3].val.lit.plen, 8);
	assert_true(l.toks[3].val.lit.has_plen);
	lexed_free(&l);
}

static void addresses_and_names(void **state)
{
	struct lexed l;
	const int kinds[] = {IPV6, IPV6, MAC, IPV6, IDENT, IDENT, IDENT, VAR, NUMBER, SEP};

	lex_str("fe80::1 ::/0 00:11:22:33:44:55 dead:beef:: echo-request fe80 cgroup_skb "
		"$web_ports 0x800",
		&l);
	assert_kinds(&l, kinds, SL_ARRAY_SIZE(kinds));
	assert_string_equal(l.toks[4].val.str, "echo-request");
	assert_string_equal(l.toks[5].val.str, "fe80");
	assert_string_equal(l.toks[7].val.str, "web_ports");
	assert_true(l.toks[8].val.lit.num == 0x800);
	assert_int_equal(l.errors, 0);
	lexed_free(&l);
}

static void operators_and_strings(void **state)
{
	struct lexed l;
	const int kinds[] = {IDENT, IDENT, '&', '(', IDENT, '|',     IDENT,  ')',
			     NE,    IDENT, EQ,	',', '=',   INCLUDE, STRING, SEP};

	lex_str("tcp flags & (syn|ack) != syn == , = include \"a b.sluice\"", &l);
	assert_kinds(&l, kinds, SL_ARRAY_SIZE(kinds));
	assert_string_equal(l.toks[14].val.str, "a b.sluice");
	lexed_free(&l);
}

static void keywords_are_whole_words(void **state)
{
	struct lexed l;
	const int kinds[] = {IDENT, IDENT, COUNTER, JUMP, GOTO, RETURN, CONST, CHAIN, POLICY, SEP};

	lex_str("tables accepted counter jump goto return const chain policy", &l);
	assert_kinds(&l, kinds, SL_ARRAY_SIZE(kinds));
	lexed_free(&l);
}

static void lexical_errors(void **state)
{
	/* a run of bad bytes is one error, and the scanner goes on */
	static const char bad[] = "drop \x01\x02\xff accept";
	struct lexed l;

	lex(bad, sizeof(bad) - 1, &l);
	assert_int_equal(l.errors, 1);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.toks[1].kind, ACCEPT);
	assert_non_null(strstr(l.diag_text, "unexpected byte 0x01"));
	lexed_free(&l);

	lex("a\0b", 3, &l);
	assert_int_equal(l.errors, 1);
	assert_int_equal(l.n, 3);
	lexed_free(&l);

	lex_str("1.2.3.4.5 999999999999999999999999999999999999999999 \"open", &l);
	assert_int_equal(l.errors, 3);
	assert_int_equal(l.toks[0].kind, NUMBER); /* replaced by a harmless token */
	assert_true(l.toks[0].val.lit.bad);
	assert_int_equal(l.toks[2].kind, STRING);
	lexed_free(&l);

	{
		char text[600];

		memset(text, 'a', 300);
		text[300] = ' ';
		text[301] = '"';
		memset(text + 302, 'b', 290);
		text[592] = '"';
		text[593] = '\0';
		lex_str(text, &l); /* a 300-character name: error, truncated to 255 */
		assert_int_equal(l.errors, 1);
		assert_int_equal(strlen(l.toks[0].val.str), 255);
		lexed_free(&l);
	}

	lex_str("10.1.2.3/8", &l);
	assert_int_equal(l.errors, 0);
	assert_int_equal(l.warnings, 1);
	lexed_free(&l);
}

static void long_line(void **state)
{
	size_t size = 1 << 20;
	char *text = malloc(size);
	struct lexed l;

	memset(text, ' ', size);
	memcpy(text + size - 6, "accept", 6);
	lex(text, size, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.toks[0].kind, ACCEPT);
	assert_int_equal(l.toks[0].loc.first_column, size - 5);
	lexed_free(&l);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(table_line),
	    cmocka_unit_test(separator_added_at_eof),
	    cmocka_unit_test(comments_and_positions),
	    cmocka_unit_test(addresses_and_names),
	    cmocka_unit_test(operators_and_strings),
	    cmocka_unit_test(keywords_are_whole_words),
	    cmocka_unit_test(lexical_errors),
	    cmocka_unit_test(long_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
