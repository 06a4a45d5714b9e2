// SPDX-License-Identifier: GPL-2.0-only
/* Front-end entry points: files, includes, and running the scanner and grammar. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parser/build.h"
#include "parser/parser.h"

typedef void *yyscan_t;
int sl_yylex_init_extra(struct sl_parse_ctx *extra, yyscan_t *scanner);
int sl_yylex_destroy(yyscan_t scanner);
void *sl_yy_scan_bytes(const char *bytes, int len, yyscan_t scanner);

/* The flex interface takes int lengths: larger sources are refused up front. */
#define SL_MAX_SOURCE_SIZE ((size_t)1 << 30)

static char *dir_of(struct sl_arena *arena, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return "";
	return sl_arena_strndup(arena, path, (size_t)(slash - path) + 1);
}

int sl_parse_source(struct sl_build *b, struct sl_parse_ctx *parent, uint32_t file, const char *dir,
		    const struct sl_file_id *id)
{
	const struct sl_source *src = sl_sources_get(b->srcs, file);
	struct sl_parse_ctx ctx = {
	    .b = b,
	    .parent = parent,
	    .file = file,
	    .depth = parent ? parent->depth + 1 : 0,
	    .dir = dir,
	    .line = 1,
	    .col = 1,
	    .last_bad_end = (size_t)-1,
	    .last_sep = true,
	};
	int r;

	if (id) {
		ctx.has_id = true;
		ctx.id = *id;
	}
	if (src->size > SL_MAX_SOURCE_SIZE) {
		sl_diag_plain(b->diag, SL_SEV_ERROR, "%s: file too large (more than 1 GiB)",
			      src->path);
		return -EFBIG;
	}
	/* a UTF-8 byte order mark, as some editors write, is not part of the policy */
	if (src->size >= 3 && !memcmp(src->text, "\xef\xbb\xbf", 3))
		ctx.off = 3;
	if (sl_yylex_init_extra(&ctx, &ctx.scanner))
		return -ENOMEM;
	sl_yy_scan_bytes(src->text + ctx.off, (int)(src->size - ctx.off), ctx.scanner);
	r = sl_yyparse(ctx.scanner, &ctx);
	sl_yylex_destroy(ctx.scanner);
	/* a block left open by a syntax error still keeps its rules */
	if (b->chain)
		sl_build_block_end(&ctx);
	return r == 2 ? -ENOMEM : 0;
}

static bool seen(struct sl_build *b, const struct sl_file_id *id)
{
	for (size_t i = 0; i < b->nseen; i++) {
		if (b->seen[i].dev == id->dev && b->seen[i].ino == id->ino)
			return true;
	}
	return false;
}

static void remember(struct sl_build *b, const struct sl_file_id *id)
{
	if (sl_grow((void **)&b->seen, &b->seen_cap, b->nseen + 1, sizeof(*b->seen)))
		return;
	b->seen[b->nseen++] = *id;
}

static bool report_cycle(struct sl_parse_ctx *ctx, const struct sl_file_id *id, struct sl_loc loc,
			 const char *path)
{
	struct sl_parse_ctx *p;

	for (p = ctx; p; p = p->parent) {
		if (p->has_id && p->id.dev == id->dev && p->id.ino == id->ino)
			break;
	}
	if (!p)
		return false;
	sl_error(ctx->b->diag, loc, "include cycle: '%s' is already being included", path);
	for (struct sl_parse_ctx *q = ctx; q != p; q = q->parent) {
		const struct sl_source *src = sl_sources_get(ctx->b->srcs, q->file);

		if (src && src->included_from.file != UINT32_MAX)
			sl_note(ctx->b->diag, src->included_from, "'%s' is included from here",
				src->path);
	}
	return true;
}

/*
 * Whether an included file can be a policy, judged before any of it is
 * parsed: UTF-8 text without control bytes, whose first statement (after
 * blanks, separators and comments) is an item keyword. Anything else
 * (`include "/etc/shadow"`, `/proc/self/environ`, a binary) is refused
 * without one byte of it in a message: diagnostics end up in build logs.
 * NULL when it can be one, else why not.
 */
static const char *not_a_policy(const struct sl_source *src)
{
	static const char *const items[] = {"include", "const", "table", "chain"};
	const unsigned char *t = (const unsigned char *)src->text;
	size_t n = src->size, i = 0, word;

	for (size_t k = 0; k < n;) {
		size_t len = t[k] < 0x80 ? 1 : sl_utf8_len(t + k, n - k);

		if (len == 0)
			return "it is not UTF-8 text";
		if (t[k] == 0x7f || (t[k] < 0x20 && !strchr("\t\n\r\f\v", t[k])) || t[k] == 0)
			return "it is not text";
		k += len;
	}
	if (n >= 3 && !memcmp(t, "\xef\xbb\xbf", 3))
		i = 3;
	for (;;) {
		while (i < n && strchr(" \t\r\f\v\n;", t[i]) && t[i])
			i++;
		if (i == n)
			return NULL; /* blank or comments only: an empty policy */
		if (t[i] != '#')
			break;
		while (i < n && t[i] != '\n')
			i++;
	}
	for (word = 0; i + word < n && t[i + word] >= 'a' && t[i + word] <= 'z'; word++)
		;
	if (i + word == n || !(isalnum(t[i + word]) || t[i + word] == '_' || t[i + word] == '-')) {
		for (size_t k = 0; k < SL_ARRAY_SIZE(items); k++) {
			if (strlen(items[k]) == word && !memcmp(t + i, items[k], word))
				return NULL;
		}
	}
	return "its first statement is not include, const, table or chain";
}

void sl_build_include(struct sl_parse_ctx *ctx, const char *path, const struct sl_yyltype *yloc)
{
	struct sl_build *b = ctx->b;
	struct sl_loc loc = sl_ctx_loc(ctx, yloc);
	struct sl_file_id id;
	struct stat st;
	const char *full, *why;
	int file;

	if (!path)
		return; /* a bad string, reported by the scanner */
	if (!*path) {
		sl_error(b->diag, loc, "empty file name in include");
		return;
	}
	full = path[0] == '/' ? path : sl_arena_printf(b->arena, "%s%s", ctx->dir, path);
	if (stat(full, &st) < 0) {
		sl_error(b->diag, loc, "cannot include '%s': %s", full, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		sl_error(b->diag, loc, "cannot include '%s': not a regular file", full);
		return;
	}
	id.dev = st.st_dev;
	id.ino = st.st_ino;
	if (report_cycle(ctx, &id, loc, full))
		return;
	if (seen(b, &id))
		return; /* included before, not in a cycle: its definitions are there already */
	if (ctx->depth + 1 > SL_MAX_INCLUDE_DEPTH) {
		sl_error(b->diag, loc, "includes nest more than %d deep", SL_MAX_INCLUDE_DEPTH);
		return;
	}
	file = sl_sources_load(b->srcs, full, loc);
	if (file < 0) {
		sl_error(b->diag, loc, "cannot include '%s': %s", full, strerror(-file));
		return;
	}
	remember(b, &id);
	why = not_a_policy(sl_sources_get(b->srcs, (uint32_t)file));
	if (why) {
		sl_error(b->diag, loc, "cannot include '%s': not a sluice policy (%s; not shown)",
			 full, why);
		return;
	}
	sl_parse_source(b, ctx, (uint32_t)file, dir_of(b->arena, full), &id);
	sl_build_recover(ctx);
}

static const char *policy_name(struct sl_arena *arena, const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		return sl_arena_strdup(arena, base);
	return sl_arena_strndup(arena, base, (size_t)(dot - base));
}

static int parse_main(int file, const char *path, const struct sl_file_id *id, const char *dir,
		      struct sl_sources *srcs, struct sl_arena *arena, struct sl_diag *diag,
		      struct sl_ast **out)
{
	struct sl_ast *ast = sl_arena_alloc(arena, sizeof(*ast));
	struct sl_build b = {.ast = ast, .arena = arena, .diag = diag, .srcs = srcs};
	unsigned errors = diag->nerrors;
	int r;

	ast->arena = arena;
	ast->scratch = sl_arena_child(arena);
	ast->srcs = srcs;
	ast->name = policy_name(arena, path);
	if (id)
		remember(&b, id);
	r = sl_parse_source(&b, NULL, (uint32_t)file, dir, id);
	free(b.seen);
	free(b.rules);
	free(b.matches);
	free(b.words);
	*out = ast;
	if (r)
		return r;
	return diag->nerrors > errors ? -EINVAL : 0;
}

int sl_parse_file(const char *path, struct sl_sources *srcs, struct sl_arena *arena,
		  struct sl_diag *diag, struct sl_ast **out)
{
	struct sl_file_id id;
	struct stat st;
	int file;

	*out = NULL;
	if (stat(path, &st) < 0) {
		int r = -errno;

		sl_diag_plain(diag, SL_SEV_ERROR, "cannot read '%s': %s", path, strerror(-r));
		return r;
	}
	if (S_ISDIR(st.st_mode)) {
		sl_diag_plain(diag, SL_SEV_ERROR, "cannot read '%s': it is a directory", path);
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		/* a device such as /dev/zero would never end */
		sl_diag_plain(diag, SL_SEV_ERROR, "cannot read '%s': not a regular file or a pipe",
			      path);
		return -EINVAL;
	}
	file = sl_sources_load(srcs, path, SL_LOC_NONE);
	if (file < 0) {
		sl_diag_plain(diag, SL_SEV_ERROR, "cannot read '%s': %s", path, strerror(-file));
		return file;
	}
	id.dev = st.st_dev;
	id.ino = st.st_ino;
	return parse_main(file, path, &id, dir_of(arena, path), srcs, arena, diag, out);
}

int sl_parse_text(const char *name, const char *text, size_t size, struct sl_sources *srcs,
		  struct sl_arena *arena, struct sl_diag *diag, struct sl_ast **out)
{
	int file = sl_sources_add(srcs, name, text, size);

	*out = NULL;
	if (file < 0) {
		sl_diag_plain(diag, SL_SEV_ERROR, "%s: %s", name, strerror(-file));
		return file;
	}
	return parse_main(file, name, NULL, "", srcs, arena, diag, out);
}

static void drop_chain_matches(struct sl_ast_chain *c)
{
	for (uint32_t i = 0; i < c->nrules; i++) {
		c->rules[i].matches = NULL;
		c->rules[i].nmatches = 0;
	}
}

void sl_ast_drop_matches(struct sl_ast *ast)
{
	if (!ast || !ast->scratch || ast->matches_dropped)
		return;
	for (uint32_t t = 0; t < ast->ntables; t++)
		drop_chain_matches(&ast->tables[t]->body);
	for (uint32_t c = 0; c < ast->nchains; c++)
		drop_chain_matches(ast->chains[c]);
	sl_arena_release(ast->scratch);
	ast->matches_dropped = true;
}
