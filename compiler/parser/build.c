// SPDX-License-Identifier: GPL-2.0-only
/* Grammar actions: AST nodes from tokens, and the checks that need only one rule. */
#include "parser/build.h"
#include "parser/ifname.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static void intern_grow(struct sl_build *b)
{
	size_t cap = b->words_cap ? b->words_cap * 2 : 256;
	const char **words = calloc(cap, sizeof(*words));

	if (!words) {
		fprintf(stderr, "sluice: out of memory\n");
		abort();
	}
	for (size_t i = 0; i < b->words_cap; i++) {
		size_t j;

		if (!b->words[i])
			continue;
		j = hash_bytes(b->words[i], strlen(b->words[i])) & (cap - 1);
		while (words[j])
			j = (j + 1) & (cap - 1);
		words[j] = b->words[i];
	}
	free(b->words);
	b->words = words;
	b->words_cap = cap;
}

const char *sl_build_intern(struct sl_build *b, const char *s, size_t n)
{
	size_t i;

	if (2 * (b->nwords + 1) > b->words_cap)
		intern_grow(b);
	i = hash_bytes(s, n) & (b->words_cap - 1);
	for (; b->words[i]; i = (i + 1) & (b->words_cap - 1)) {
		if (!strncmp(b->words[i], s, n) && b->words[i][n] == '\0')
			return b->words[i];
	}
	b->words[i] = sl_arena_strndup(b->arena, s, n);
	b->nwords++;
	return b->words[i];
}

static struct sl_loc L(struct sl_parse_ctx *ctx, const struct sl_yyltype *l) {
	return sl_ctx_loc(ctx, l);
}

static struct sl_ast_value *
new_value(struct sl_parse_ctx *ctx, enum sl_ast_value_kind kind, const struct sl_yyltype *loc)
{
	struct sl_ast_value *v = sl_arena_alloc(ctx->b->arena, sizeof(*v));

	v->kind = kind;
	v->loc = L(ctx, loc);
	return v;
}

struct sl_ast_value *sl_build_literal(struct sl_parse_ctx *ctx, enum sl_ast_value_kind kind,
				      const struct sl_lit_tok *lit, const struct sl_yyltype *loc)
{
	struct sl_ast_value *v = new_value(ctx, kind, loc);

	v->num = lit->num;
	v->plen = lit->plen;
	v->has_plen = lit->has_plen;
	if (lit->bad)
		ctx->b->rule_bad = true;
	return v;
}

struct sl_ast_value *sl_build_name(struct sl_parse_ctx *ctx, enum sl_ast_value_kind kind,
				   const char *name, const struct sl_yyltype *loc)
{
	struct sl_ast_value *v = new_value(ctx, kind, loc);

	v->name = name;
	return v;
}

struct sl_vlist *sl_build_list(struct sl_parse_ctx *ctx, struct sl_vlist *list,
			       struct sl_ast_value *v)
{
	if (!list)
		list = sl_arena_alloc(ctx->b->arena, sizeof(*list));
	if (list->n == list->cap) {
		uint32_t cap = list->cap ? list->cap * 2 : 4;

		list->v = sl_arena_realloc(ctx->b->arena, list->v, list->n, cap, sizeof(*list->v));
		list->cap = cap;
	}
	list->v[list->n++] = v;
	return list;
}

static struct sl_ast_value *with_items(struct sl_parse_ctx *ctx, enum sl_ast_value_kind kind,
				       struct sl_ast_value **items, uint32_t n,
				       const struct sl_yyltype *loc)
{
	struct sl_ast_value *v = new_value(ctx, kind, loc);

	v->items = items;
	v->nitems = n;
	return v;
}

struct sl_ast_value *sl_build_range(struct sl_parse_ctx *ctx, struct sl_ast_value *lo,
				    struct sl_ast_value *hi, const struct sl_yyltype *loc)
{
	struct sl_ast_value **items = sl_arena_calloc(ctx->b->arena, 2, sizeof(*items));

	items[0] = lo;
	items[1] = hi;
	return with_items(ctx, SL_AST_VAL_RANGE, items, 2, loc);
}

struct sl_ast_value *sl_build_compound(struct sl_parse_ctx *ctx, enum sl_ast_value_kind kind,
				       struct sl_vlist *list, const struct sl_yyltype *loc)
{
	return with_items(ctx, kind, list->v, list->n, loc);
}

struct sl_ast_value *sl_build_empty_set(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc)
{
	sl_error(ctx->b->diag, L(ctx, loc), "empty set: a set needs at least one element");
	ctx->b->rule_bad = true;
	return with_items(ctx, SL_AST_VAL_SET, NULL, 0, loc);
}

/* Tables, chains and constants go to growable pointer arrays of the AST. */
static void *push(struct sl_build *b, void *array, uint32_t *n, size_t *cap, void *item)
{
	void **a = array;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;

		a = sl_arena_realloc(b->arena, a, *n, ncap, sizeof(*a));
		*cap = ncap;
	}
	a[(*n)++] = item;
	return a;
}

static void begin_block(struct sl_parse_ctx *ctx, struct sl_ast_chain *chain, bool table)
{
	struct sl_build *b = ctx->b;

	if (b->chain)
		sl_build_block_end(ctx);
	b->chain = chain;
	b->in_table = table;
	b->nrules = 0;
	sl_build_recover(ctx);
}

void sl_build_table(struct sl_parse_ctx *ctx, const char *name, const struct sl_yyltype *loc)
{
	struct sl_build *b = ctx->b;
	struct sl_ast_table *t = sl_arena_alloc(b->arena, sizeof(*t));

	t->name = name;
	t->loc = L(ctx, loc);
	t->hook_loc = SL_LOC_NONE;
	t->policy = SL_VERDICT_ACCEPT;
	t->policy_loc = SL_LOC_NONE;
	t->accept_next_loc = SL_LOC_NONE;
	t->body.name = name;
	t->body.loc = t->loc;
	t->body.table = t;
	b->ast->tables = push(b, b->ast->tables, &b->ast->ntables, &b->tables_cap, t);
	begin_block(ctx, &t->body, true);
}

void sl_build_chain(struct sl_parse_ctx *ctx, const char *name, const struct sl_yyltype *loc)
{
	struct sl_build *b = ctx->b;
	struct sl_ast_chain *c = sl_arena_alloc(b->arena, sizeof(*c));

	c->name = name;
	c->loc = L(ctx, loc);
	b->ast->chains = push(b, b->ast->chains, &b->ast->nchains, &b->chains_cap, c);
	begin_block(ctx, c, false);
}

void sl_build_block_end(struct sl_parse_ctx *ctx)
{
	struct sl_build *b = ctx->b;
	struct sl_ast_chain *c = b->chain;

	if (!c)
		return;
	c->nrules = (uint32_t)b->nrules;
	c->rules = sl_arena_calloc(b->arena, b->nrules ? b->nrules : 1, sizeof(*c->rules));
	if (b->nrules)
		memcpy(c->rules, b->rules, b->nrules * sizeof(*c->rules));
	b->ast->nrules += c->nrules;
	b->nrules = 0;
	b->chain = NULL;
	b->in_table = false;
}

static struct sl_ast_table *current_table(struct sl_parse_ctx *ctx, const struct sl_yyltype *stmt,
					  const char *what)
{
	struct sl_build *b = ctx->b;

	if (b->chain && b->in_table)
		return b->chain->table;
	sl_error(b->diag, L(ctx, stmt), "'%s' belongs in a table, not in chain '%s'", what,
		 b->chain ? b->chain->name : "?");
	sl_hint(b->diag, L(ctx, stmt),
		"a chain runs with the hook and policy of the table that jumps to it");
	return NULL;
}

static const char *const hook_words[] = {"xdp", "tc", "cgroup_skb"};
static const char *const directions[] = {"ingress", "egress"};

static int hook_from_words(struct sl_parse_ctx *ctx, const char *w1, const struct sl_yyltype *l1,
			   const char *w2, const struct sl_yyltype *l2)
{
	struct sl_diag *d = ctx->b->diag;
	const char *s;
	int dir;

	if (!strcmp(w1, "xdp")) {
		if (!w2)
			return SL_HOOK_XDP;
		sl_error(d, L(ctx, l2), "'xdp' takes no direction: XDP sees incoming packets only");
		return -1;
	}
	if (strcmp(w1, "tc") && strcmp(w1, "cgroup_skb")) {
		sl_error(d, L(ctx, l1), "unknown hook '%s'", w1);
		s = sl_suggest(w1, hook_words, SL_ARRAY_SIZE(hook_words));
		if (s)
			sl_hint(d, L(ctx, l1), "did you mean '%s'?", s);
		else
			sl_hint(d, L(ctx, l1),
				"hooks are: xdp, tc ingress, tc egress, cgroup_skb ingress, "
				"cgroup_skb egress");
		return -1;
	}
	if (!w2) {
		sl_error(d, L(ctx, l1), "hook '%s' needs a direction: '%s ingress' or '%s egress'",
			 w1, w1, w1);
		return -1;
	}
	dir = !strcmp(w2, "ingress") ? 0 : !strcmp(w2, "egress") ? 1 : -1;
	if (dir < 0) {
		sl_error(d, L(ctx, l2), "unknown direction '%s': '%s' takes ingress or egress", w2,
			 w1);
		s = sl_suggest(w2, directions, SL_ARRAY_SIZE(directions));
		if (s)
			sl_hint(d, L(ctx, l2), "did you mean '%s'?", s);
		return -1;
	}
	if (!strcmp(w1, "tc"))
		return dir ? SL_HOOK_TC_EGRESS : SL_HOOK_TC_INGRESS;
	return dir ? SL_HOOK_CGROUP_EGRESS : SL_HOOK_CGROUP_INGRESS;
}

void sl_build_hook(struct sl_parse_ctx *ctx, const struct sl_yyltype *stmt, const char *w1,
		   const struct sl_yyltype *l1, const char *w2, const struct sl_yyltype *l2)
{
	struct sl_ast_table *t = current_table(ctx, stmt, "hook");
	struct sl_diag *d = ctx->b->diag;
	int hook;

	if (!t)
		return;
	hook = hook_from_words(ctx, w1, l1, w2, l2);
	if (hook < 0)
		return;
	if (t->hook_loc.file != UINT32_MAX) {
		sl_error(d, L(ctx, stmt), "table '%s' already has a hook", t->name);
		sl_note(d, t->hook_loc, "its hook is set here");
		return;
	}
	t->hook = (enum sl_hook)hook;
	t->hook_loc = L(ctx, stmt);
}

void sl_build_policy(struct sl_parse_ctx *ctx, const struct sl_yyltype *stmt, const char *verdict,
		     const struct sl_yyltype *loc)
{
	struct sl_ast_table *t = current_table(ctx, stmt, "policy");
	struct sl_diag *d = ctx->b->diag;
	enum sl_verdict v;

	if (!t)
		return;
	if (!strcmp(verdict, "accept")) {
		v = SL_VERDICT_ACCEPT;
	} else if (!strcmp(verdict, "drop")) {
		v = SL_VERDICT_DROP;
	} else {
		sl_error(d, L(ctx, loc), "unknown policy '%s': a policy is accept or drop",
			 verdict);
		return;
	}
	if (t->policy_loc.file != UINT32_MAX) {
		sl_error(d, L(ctx, stmt), "table '%s' already has a policy", t->name);
		sl_note(d, t->policy_loc, "its policy is set here");
		return;
	}
	t->policy = v;
	t->policy_loc = L(ctx, stmt);
}

void sl_build_unknown_field(struct sl_parse_ctx *ctx, const char *proto, const char *member,
			    struct sl_loc loc);
static void unknown_field(struct sl_parse_ctx *ctx, const char *proto, const char *member,
			  struct sl_loc loc);

void sl_build_unknown_field(struct sl_parse_ctx *ctx, const char *proto, const char *member,
			    struct sl_loc loc)
{
	unknown_field(ctx, proto, member, loc);
}

static void unknown_field(struct sl_parse_ctx *ctx, const char *proto, const char *member,
			  struct sl_loc loc)
{
	const char *names[SL_FIELD_COUNT], *s;
	char full[128];
	size_t n = 0;

	snprintf(full, sizeof(full), "%s %s", proto, member);
	for (unsigned i = 0; i < SL_FIELD_COUNT; i++)
		names[n++] = sl_field_info((enum sl_field)i)->name;
	sl_error(ctx->b->diag, loc, "unknown field '%.60s'", full);
	s = sl_suggest(full, names, n);
	if (!s) {
		/* a known protocol word: suggest among its members */
		n = 0;
		for (unsigned i = 0; i < SL_FIELD_COUNT; i++) {
			const struct sl_field_info *f = sl_field_info((enum sl_field)i);

			if (!strcmp(f->proto, proto))
				names[n++] = f->name;
		}
		if (n == 1) {
			s = names[0];
		} else if (n) {
			char list[256];
			size_t k = 0;

			for (size_t i = 0; i < n && k < sizeof(list); i++)
				k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s",
						      i ? ", " : "", names[i] + strlen(proto) + 1);
			sl_hint(ctx->b->diag, loc, "the fields of '%s' are: %s", proto, list);
		}
	}
	if (s)
		sl_hint(ctx->b->diag, loc, "did you mean '%s'?", s);
}

void sl_build_match(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc, const char *proto,
		    const struct sl_yyltype *proto_loc, const char *member,
		    const struct sl_yyltype *member_loc, struct sl_ast_value *mask, int op,
		    const struct sl_yyltype *op_loc, struct sl_ast_value *value)
{
	struct sl_build *b = ctx->b;
	enum sl_ast_ifword ifword = sl_build_ifword(proto, member);
	const struct sl_field_info *f =
	    ifword ? sl_field_info(SL_FIELD_META_IFNAME) : sl_field_lookup(proto, member);
	struct sl_yyltype fl = *proto_loc;
	struct sl_ast_match *m;

	fl.last_line = member_loc->last_line;
	fl.last_column = member_loc->last_column;
	fl.end = member_loc->end;
	if (!f) {
		if (!sl_build_unsupported(ctx, fl.end))
			unknown_field(ctx, proto, member, L(ctx, &fl));
		b->rule_bad = true;
		b->nconcat = 0;
		return;
	}
	if (b->rule.action != SL_AST_CONTINUE || b->rule.counter) {
		/* the grammar puts matches first; this cannot happen, but stay safe */
		b->rule_bad = true;
	}
	if (b->nmatches == b->matches_cap) {
		size_t cap = b->matches_cap ? b->matches_cap * 2 : 8;
		void *p = realloc(b->matches, cap * sizeof(*b->matches));

		if (!p) {
			fprintf(stderr, "sluice: out of memory\n");
			abort();
		}
		b->matches = p;
		b->matches_cap = cap;
	}
	m = &b->matches[b->nmatches++];
	memset(m, 0, sizeof(*m));
	m->loc = L(ctx, loc);
	m->field_loc = L(ctx, &fl);
	m->field = f->id;
	m->op = (enum sl_ast_op)op;
	m->op_loc = op_loc ? L(ctx, op_loc) : SL_LOC_NONE;
	m->mask = mask;
	m->value = value;
	m->ifword = ifword;
	sl_build_take_concat(ctx, m);
}

/* The fields of `a . b @set` (set_build.c collects them) go to the match. */
void sl_build_take_concat(struct sl_parse_ctx *ctx, struct sl_ast_match *m)
{
	struct sl_build *b = ctx->b;
	uint32_t n = b->nconcat < SL_AST_SET_MAX_FIELDS ? b->nconcat : SL_AST_SET_MAX_FIELDS - 1;

	m->nconcat = n;
	if (n) {
		enum sl_field *f = sl_arena_calloc(b->arena, n, sizeof(*f));
		struct sl_loc *l = sl_arena_calloc(b->arena, n, sizeof(*l));

		memcpy(f, b->concat, n * sizeof(*f));
		memcpy(l, b->concat_loc, n * sizeof(*l));
		m->concat = f;
		m->concat_loc = l;
	}
	b->nconcat = 0;
}

void sl_build_counter(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc)
{
	struct sl_build *b = ctx->b;

	if (b->rule.counter) {
		sl_error(b->diag, L(ctx, loc), "the rule already has a counter");
		b->rule_bad = true;
		return;
	}
	if (b->rule.action != SL_AST_CONTINUE) {
		sl_error(b->diag, L(ctx, loc), "'counter' after the verdict is never reached");
		sl_hint(b->diag, L(ctx, loc), "write 'counter' before the verdict");
		b->rule_bad = true;
		return;
	}
	b->rule.counter = true;
	b->rule.counter_loc = L(ctx, loc);
}

static const char *action_name(enum sl_ast_action a)
{
	static const char *const action_names[] = {"continue", "accept", "drop",
						   "jump",     "goto",	 "return"};

	return (unsigned)a < SL_ARRAY_SIZE(action_names) ? action_names[a] : "?";
}

void sl_build_action(struct sl_parse_ctx *ctx, enum sl_ast_action action,
		     const struct sl_yyltype *loc, const char *target,
		     const struct sl_yyltype *target_loc)
{
	struct sl_build *b = ctx->b;

	if (b->rule.action != SL_AST_CONTINUE) {
		sl_error(b->diag, L(ctx, loc),
			 "the rule already ends with '%s'; a rule has one verdict",
			 action_name(b->rule.action));
		b->rule_bad = true;
		return;
	}
	b->rule.action = action;
	b->rule.action_loc = L(ctx, loc);
	if (target) {
		b->rule.target = target;
		b->rule.target_loc = L(ctx, target_loc);
	}
}

/* The rule on one line: whitespace runs become one space, comments go. */
static const char *rule_text(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc)
{
	const struct sl_source *src = sl_sources_get(ctx->b->srcs, ctx->file);
	size_t end, n = 0;
	bool space = false;
	char *out;

	if (!src || loc->off >= src->size)
		return "";
	end = sl_min(loc->end, src->size);
	out = sl_arena_alloc(ctx->b->arena, end - loc->off + 1);
	for (size_t i = loc->off; i < end; i++) {
		char c = src->text[i];

		if (c == '#') {
			while (i + 1 < end && src->text[i + 1] != '\n')
				i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			space = n > 0;
			continue;
		}
		if (space)
			out[n++] = ' ';
		space = false;
		out[n++] = c;
	}
	out[n] = '\0';
	return out;
}

void sl_build_rule_end(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc)
{
	struct sl_build *b = ctx->b;
	struct sl_ast_rule *r;

	if (!b->chain || b->rule_bad) {
		/* an AST with errors is never checked, but keep it free of half rules */
		sl_build_recover(ctx);
		return;
	}
	if (b->nrules == b->rules_cap) {
		size_t cap = b->rules_cap ? b->rules_cap * 2 : 16;
		void *p = realloc(b->rules, cap * sizeof(*b->rules));

		if (!p) {
			fprintf(stderr, "sluice: out of memory\n");
			abort();
		}
		b->rules = p;
		b->rules_cap = cap;
	}
	r = &b->rules[b->nrules++];
	*r = b->rule;
	r->loc = L(ctx, loc);
	r->text = rule_text(ctx, loc);
	r->nmatches = (uint32_t)b->nmatches;
	r->matches = sl_arena_calloc(b->ast->scratch ? b->ast->scratch : b->arena,
				     b->nmatches ? b->nmatches : 1, sizeof(*r->matches));
	if (b->nmatches)
		memcpy(r->matches, b->matches, b->nmatches * sizeof(*r->matches));
	if (r->action == SL_AST_CONTINUE)
		r->action_loc = SL_LOC_NONE;
	sl_build_recover(ctx);
}

void sl_build_recover(struct sl_parse_ctx *ctx)
{
	struct sl_build *b = ctx->b;

	memset(&b->rule, 0, sizeof(b->rule));
	b->rule.action = SL_AST_CONTINUE;
	b->rule.action_loc = SL_LOC_NONE;
	b->rule.counter_loc = SL_LOC_NONE;
	b->rule.target_loc = SL_LOC_NONE;
	b->nmatches = 0;
	b->rule_bad = false;
	b->nconcat = 0;
	b->concat_bad = false;
	b->nset_words = 0;
}

void sl_build_const(struct sl_parse_ctx *ctx, const char *name, const struct sl_yyltype *loc,
		    struct sl_ast_value *value)
{
	struct sl_build *b = ctx->b;
	struct sl_ast_const *c = sl_arena_alloc(b->arena, sizeof(*c));

	c->name = name;
	c->loc = L(ctx, loc);
	c->value = value;
	b->ast->consts = push(b, b->ast->consts, &b->ast->nconsts, &b->consts_cap, c);
	sl_build_recover(ctx);
}

void sl_build_syntax_error(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc, const char *got,
			   bool show_text, const char *const *expected, unsigned nexpected)
{
	const struct sl_source *src = sl_sources_get(ctx->b->srcs, ctx->file);
	char msg[512];
	size_t n;

	/* recovery can fail again at the same token (end of file): say it once */
	if (ctx->has_last_syntax_error && ctx->last_syntax_error == loc->off)
		return;
	ctx->has_last_syntax_error = true;
	ctx->last_syntax_error = loc->off;
	if (sl_build_unsupported(ctx, loc->end)) {
		ctx->b->rule_bad = true;
		return;
	}
	if (src && loc->off >= src->size && !strcmp(got, "end of line"))
		got = "end of file"; /* the separator the scanner adds at the end */
	n = (size_t)snprintf(msg, sizeof(msg), "unexpected %s", got);
	if (show_text && src && loc->off < src->size && loc->end > loc->off) {
		size_t len = sl_min(loc->end - loc->off, (size_t)40);

		n += (size_t)snprintf(msg + n, sizeof(msg) - n, " '%.*s%s'", (int)len,
				      src->text + loc->off, loc->end - loc->off > 40 ? "..." : "");
	}
	for (unsigned i = 0; i < nexpected && n < sizeof(msg); i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s",
				      i == 0		   ? ", expected "
				      : i + 1 == nexpected ? " or "
							   : ", ",
				      expected[i]);
	sl_error(ctx->b->diag, L(ctx, loc), "%s", msg);
	if (ctx->b->chain)
		sl_build_syntax_hints(ctx, loc, got);
	/* (the scanner says which brace is open when it knows: lexer.l, unclosed()) */
	if (!strcmp(got, "end of file") && ctx->b->chain && !ctx->block_open)
		sl_note(ctx->b->diag, ctx->b->chain->loc, "%s '%s' is missing its closing '}'",
			ctx->b->in_table ? "table" : "chain", ctx->b->chain->name);
	ctx->b->rule_bad = true;
}

void sl_build_accept_mode(struct sl_parse_ctx *ctx, const struct sl_yyltype *stmt, const char *word,
			  const struct sl_yyltype *loc)
{
	struct sl_diag *d = ctx->b->diag;
	struct sl_ast_table *t;

	if (!word) { /* `accept tcp dport 22`: reported as the syntax error it was before */
		const struct sl_source *src = sl_sources_get(ctx->b->srcs, ctx->file);

		sl_error(d, L(ctx, loc), "unexpected name '%.*s'",
			 (int)sl_min(loc->end - loc->off, (size_t)40), src->text + loc->off);
		return;
	}
	t = current_table(ctx, stmt, "accept next");
	if (!t)
		return;
	if (strcmp(word, "next")) {
		sl_error(d, L(ctx, loc), "unexpected '%.40s' after 'accept'", word);
		sl_hint(d, L(ctx, loc),
			"a rule's accept ends it; the table setting 'accept next' (tc) passes "
			"accepted packets to the next program on the hook");
		return;
	}
	if (t->accept_next_loc.file != UINT32_MAX) {
		sl_error(d, L(ctx, stmt), "table '%s' already says 'accept next'", t->name);
		sl_note(d, t->accept_next_loc, "it says so here");
		return;
	}
	t->accept_next = true;
	t->accept_next_loc = L(ctx, stmt);
}
