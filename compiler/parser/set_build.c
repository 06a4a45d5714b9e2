// SPDX-License-Identifier: GPL-2.0-only
/*
 * Building named sets (`set NAME { ... }`, nftables' form) and the `a . b`
 * concatenations of matches and elements. The grammar hands each set
 * statement over as a keyword and its words, number, duration or elements;
 * the keyword decides what they mean. What the words name (types, flags) is
 * resolved here; everything that needs the whole policy is left to the
 * checker (check_set.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/build.h"
#include "sluice/set_key.h"

void sl_build_unknown_field(struct sl_parse_ctx *ctx, const char *proto, const char *member,
			    struct sl_loc loc);

static struct sl_loc L(struct sl_parse_ctx *ctx, const struct sl_yyltype *l) {
	return sl_ctx_loc(ctx, l);
}

void sl_build_set(struct sl_parse_ctx *ctx, const char *name, const struct sl_yyltype *loc)
{
	struct sl_build *b = ctx->b;
	struct sl_ast_set *s = sl_arena_alloc(b->arena, sizeof(*s));
	struct sl_ast_set **a = b->ast->sets;

	if (b->chain)
		sl_build_block_end(ctx);
	s->name = name;
	s->loc = L(ctx, loc);
	s->type_loc = SL_LOC_NONE;
	s->size_loc = SL_LOC_NONE;
	if (b->ast->nsets == b->sets_cap) {
		size_t cap = b->sets_cap ? b->sets_cap * 2 : 8;

		a = sl_arena_realloc(b->arena, a, b->ast->nsets, cap, sizeof(*a));
		b->sets_cap = cap;
	}
	a[b->ast->nsets++] = s;
	b->ast->sets = a;
	b->set = s;
	sl_build_recover(ctx);
}

void sl_build_set_end(struct sl_parse_ctx *ctx)
{
	struct sl_build *b = ctx->b;

	if (b->set && b->set->type_loc.file == SL_LOC_NONE.file && b->set->ntypes == 0)
		sl_error(b->diag, b->set->loc, "set '%s' has no 'type' (e.g. 'type ipv4_addr')",
			 b->set->name);
	b->set = NULL;
	sl_build_recover(ctx);
}

void sl_build_set_word(struct sl_parse_ctx *ctx, const char *word, const struct sl_yyltype *loc,
		       char sep)
{
	struct sl_build *b = ctx->b;

	if (b->nset_words < SL_ARRAY_SIZE(b->set_words)) {
		b->set_words[b->nset_words] = word;
		b->set_word_loc[b->nset_words] = L(ctx, loc);
		b->set_word_sep[b->nset_words] = sep;
	}
	b->nset_words++;
}

static void set_type(struct sl_parse_ctx *ctx, struct sl_ast_set *s, struct sl_loc loc)
{
	struct sl_build *b = ctx->b;
	static const char *const names[] = {"ipv4_addr", "ipv6_addr", "ether_addr", "inet_proto",
					    "inet_service"};

	if (s->ntypes) {
		sl_error(b->diag, loc, "set '%s' has a second 'type'", s->name);
		return;
	}
	if (b->nset_words > SL_AST_SET_MAX_FIELDS) {
		sl_error(b->diag, loc, "a set's type concatenates at most %d types, not %u",
			 SL_AST_SET_MAX_FIELDS, b->nset_words);
		return;
	}
	s->type_loc = loc;
	for (uint32_t i = 0; i < b->nset_words; i++) {
		uint32_t t = sl_set_type_from_name(b->set_words[i]);
		const char *sug;

		if (b->set_word_sep[i] == ',') {
			sl_error(b->diag, b->set_word_loc[i],
				 "types of a concatenation are joined by '.', not ','");
			s->ntypes = 0;
			return;
		}
		if (!t) {
			sl_error(b->diag, b->set_word_loc[i], "unknown set type '%s'",
				 b->set_words[i]);
			sug = sl_suggest(b->set_words[i], names, SL_ARRAY_SIZE(names));
			if (sug)
				sl_hint(b->diag, b->set_word_loc[i], "did you mean '%s'?", sug);
			else
				sl_hint(b->diag, b->set_word_loc[i],
					"set types: ipv4_addr, ipv6_addr, ether_addr, "
					"inet_proto, inet_service");
			s->ntypes = 0;
			return;
		}
		s->types[s->ntypes++] = t;
	}
}

static void set_flags(struct sl_parse_ctx *ctx, struct sl_ast_set *s)
{
	struct sl_build *b = ctx->b;

	for (uint32_t i = 0; i < b->nset_words && i < SL_ARRAY_SIZE(b->set_words); i++) {
		const char *w = b->set_words[i];

		if (b->set_word_sep[i] == '.')
			sl_error(b->diag, b->set_word_loc[i], "flags are separated by ','");
		else if (!strcmp(w, "interval"))
			s->flags |= SLUICE_SET_F_INTERVAL;
		else if (!strcmp(w, "timeout"))
			s->flags |= SLUICE_SET_F_TIMEOUT;
		else if (!strcmp(w, "constant") || !strcmp(w, "dynamic"))
			sl_error(
			    b->diag, b->set_word_loc[i],
			    "set flag '%s' is not supported by sluice: named sets are always "
			    "updatable from the loader; use 'const' for a set fixed at compile "
			    "time",
			    w);
		else
			sl_error(b->diag, b->set_word_loc[i],
				 "unknown set flag '%s' (sluice knows 'interval' and 'timeout')",
				 w);
	}
}

static struct sl_ast_set *current_set(struct sl_parse_ctx *ctx, const struct sl_yyltype *kloc)
{
	if (!ctx->b->set)
		sl_error(ctx->b->diag, L(ctx, kloc), "set statement outside a set");
	return ctx->b->set;
}

static void unknown_stmt(struct sl_parse_ctx *ctx, const char *key, const struct sl_yyltype *kloc)
{
	sl_error(ctx->b->diag, L(ctx, kloc),
		 "unknown set statement '%s' (a set has 'type', 'flags', 'size', 'timeout' and "
		 "'elements')",
		 key);
}

void sl_build_set_words(struct sl_parse_ctx *ctx, const char *key, const struct sl_yyltype *kloc,
			const struct sl_yyltype *loc)
{
	struct sl_ast_set *s = current_set(ctx, kloc);

	if (s && !strcmp(key, "type"))
		set_type(ctx, s, L(ctx, loc));
	else if (s && !strcmp(key, "flags"))
		set_flags(ctx, s);
	else if (s)
		unknown_stmt(ctx, key, kloc);
	ctx->b->nset_words = 0;
}

void sl_build_set_number(struct sl_parse_ctx *ctx, const char *key, const struct sl_yyltype *kloc,
			 const struct sl_lit_tok *num, const struct sl_yyltype *loc)
{
	struct sl_ast_set *s = current_set(ctx, kloc);
	struct sl_build *b = ctx->b;

	if (!s || num->bad)
		return;
	if (!strcmp(key, "size")) {
		if (num->num == 0 || num->num > UINT32_MAX) {
			sl_error(b->diag, L(ctx, loc), "a set's size is 1 to %u elements",
				 UINT32_MAX);
			return;
		}
		s->size = (uint64_t)num->num;
		s->size_loc = L(ctx, loc);
	} else if (!strcmp(key, "timeout")) {
		/* nftables reads a bare number as seconds */
		if (num->num == 0 || num->num > UINT64_MAX / 1000000000ull) {
			sl_error(b->diag, L(ctx, loc), "timeout out of range");
			return;
		}
		s->timeout_ns = (uint64_t)num->num * 1000000000ull;
		s->flags |= SLUICE_SET_F_TIMEOUT;
	} else {
		unknown_stmt(ctx, key, kloc);
	}
}

/* "1h30m", "10s", "250ms" -> ns; 0 when out of range. */
static uint64_t parse_duration(const char *t)
{
	uint64_t total = 0;

	while (*t) {
		uint64_t n = 0, unit;

		while (*t >= '0' && *t <= '9') {
			if (n > UINT64_MAX / 10)
				return 0;
			n = n * 10 + (uint64_t)(*t++ - '0');
		}
		if (t[0] == 'm' && t[1] == 's') {
			unit = 1000000ull;
			t += 2;
		} else {
			switch (*t++) {
			case 's':
				unit = 1000000000ull;
				break;
			case 'm':
				unit = 60000000000ull;
				break;
			case 'h':
				unit = 3600000000000ull;
				break;
			default: /* 'd' (the scanner allows nothing else) */
				unit = 86400000000000ull;
				break;
			}
		}
		if (n > (UINT64_MAX - total) / unit)
			return 0;
		total += n * unit;
	}
	return total;
}

void sl_build_set_duration(struct sl_parse_ctx *ctx, const char *key, const struct sl_yyltype *kloc,
			   const char *text, const struct sl_yyltype *loc)
{
	struct sl_ast_set *s = current_set(ctx, kloc);
	uint64_t ns;

	if (!s)
		return;
	if (strcmp(key, "timeout")) {
		unknown_stmt(ctx, key, kloc);
		return;
	}
	ns = parse_duration(text);
	if (!ns) {
		sl_error(ctx->b->diag, L(ctx, loc), "timeout '%s' is zero or out of range", text);
		return;
	}
	s->timeout_ns = ns;
	s->flags |= SLUICE_SET_F_TIMEOUT;
}

void sl_build_set_elements(struct sl_parse_ctx *ctx, const char *key, const struct sl_yyltype *kloc,
			   struct sl_ast_value *elements)
{
	struct sl_ast_set *s = current_set(ctx, kloc);

	if (!s)
		return;
	if (strcmp(key, "elements")) {
		unknown_stmt(ctx, key, kloc);
		return;
	}
	if (s->elements)
		sl_error(ctx->b->diag, L(ctx, kloc), "set '%s' has a second 'elements'", s->name);
	s->elements = elements;
}

struct sl_ast_value *sl_build_no_elements(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc)
{
	struct sl_ast_value *v = sl_arena_alloc(ctx->b->arena, sizeof(*v));

	v->kind = SL_AST_VAL_SET;
	v->loc = L(ctx, loc);
	return v;
}

struct sl_ast_value *sl_build_concat(struct sl_parse_ctx *ctx, struct sl_ast_value *a,
				     struct sl_ast_value *b, const struct sl_yyltype *loc)
{
	struct sl_ast_value *v;
	struct sl_ast_value **items;
	uint32_t n = a->kind == SL_AST_VAL_CONCAT ? a->nitems : 1;

	items = sl_arena_calloc(ctx->b->arena, n + 1, sizeof(*items));
	if (a->kind == SL_AST_VAL_CONCAT)
		memcpy(items, a->items, n * sizeof(*items));
	else
		items[0] = a;
	items[n] = b;
	v = sl_arena_alloc(ctx->b->arena, sizeof(*v));
	v->kind = SL_AST_VAL_CONCAT;
	v->loc = L(ctx, loc);
	v->items = items;
	v->nitems = n + 1;
	return v;
}

void sl_build_concat_field(struct sl_parse_ctx *ctx, const char *proto,
			   const struct sl_yyltype *proto_loc, const char *member,
			   const struct sl_yyltype *member_loc)
{
	struct sl_build *b = ctx->b;
	const struct sl_field_info *f = sl_field_lookup(proto, member);
	struct sl_yyltype fl = *proto_loc;

	fl.last_line = member_loc->last_line;
	fl.last_column = member_loc->last_column;
	fl.end = member_loc->end;
	if (!f) {
		if (!sl_build_unsupported(ctx, fl.end))
			sl_build_unknown_field(ctx, proto, member, L(ctx, &fl));
		b->rule_bad = true;
		b->concat_bad = true;
		return;
	}
	if (b->nconcat >= SL_AST_SET_MAX_FIELDS - 1) {
		if (b->nconcat == SL_AST_SET_MAX_FIELDS - 1)
			sl_error(b->diag, L(ctx, &fl), "a concatenation has at most %d fields",
				 SL_AST_SET_MAX_FIELDS);
		b->nconcat++;
		b->rule_bad = true;
		return;
	}
	b->concat[b->nconcat] = f->id;
	b->concat_loc[b->nconcat++] = L(ctx, &fl);
}
