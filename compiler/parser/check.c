// SPDX-License-Identifier: GPL-2.0-only
/*
 * The checker: names, types, value ranges, hook visibility and the jump
 * graph. It also gives every match its meaning as plain numbers (ast.h,
 * "checked" fields), so that later stages never look at syntax again.
 * Everything is linear in the size of the policy: names are hashed, the
 * jump graph is walked once without recursion, and a $constant is resolved
 * once per field it is used with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/ast.h"
#include "parser/check_set.h"
#include "parser/ifname.h"
#include "parser/names.h"
#include "parser/parser.h"

/* ---- a string-keyed hash map, in the arena ---- */

struct sl_name_map {
	const char **keys;
	void **vals;
	size_t cap; /* power of two, at least twice the entries */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void map_init(struct sl_name_map *m, struct sl_arena *a, size_t n)
{
	m->cap = 16;
	while (m->cap < 2 * n + 1)
		m->cap *= 2;
	m->keys = sl_arena_calloc(a, m->cap, sizeof(*m->keys));
	m->vals = sl_arena_calloc(a, m->cap, sizeof(*m->vals));
}

/* The slot of key: where it is, or where it would go. */
static size_t map_slot(const struct sl_name_map *m, const char *key)
{
	size_t i = hash_str(key) & (m->cap - 1);

	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void *map_get(const struct sl_name_map *m, const char *key)
{
	return m->vals[map_slot(m, key)];
}

/* Insert; returns the existing value instead when the key is taken. */
static void *map_put(struct sl_name_map *m, const char *key, void *val)
{
	size_t i = map_slot(m, key);

	if (m->keys[i])
		return m->vals[i];
	m->keys[i] = key;
	m->vals[i] = val;
	return NULL;
}

/* ---- checker state ---- */

/* A $constant resolved for one field. */
struct resolved {
	bool done, bad;
	uint32_t n;
	const struct sl_ast_range *r;
};

struct const_info {
	struct sl_ast_const *c;
	bool busy;	/* being resolved: a reference back to it is a cycle */
	bool suggested; /* offered for a misspelt name: do not also call it unused */
	struct resolved per_field[SL_FIELD_COUNT];
};

/* A chain in the jump graph: tables' bodies first, then named chains. */
struct node {
	struct sl_ast_chain *chain;
	struct sl_ast_table *via[SL_HOOK_COUNT]; /* per hook, a table that reaches it (messages) */
	uint32_t state;				 /* 0 new, 1 on the walk stack, 2 done */
	bool suggested; /* offered for a misspelt name: do not also call it unused */
};

struct range_vec {
	struct sl_ast_range *r;
	size_t n, cap;
};

struct checker {
	struct sl_ast *ast;
	struct sl_arena *arena;
	struct sl_diag *d;
	struct sl_name_map consts; /* name -> struct const_info */
	struct sl_name_map chains; /* name -> struct node (tables and chains share names) */
	struct const_info *cinfo;
	struct node *nodes;
	uint32_t nnodes;
	/* the match being resolved */
	const struct sl_field_info *field;
	struct sl_loc use_loc;
	int family_filter; /* inside a $constant used with an address field: skip the other family
			    */
	unsigned const_depth;
	bool failed;
};

static bool too_many_errors(const struct checker *ck)
{
	unsigned limit = ck->d->max_errors ? ck->d->max_errors : 50;

	return ck->d->nerrors >= limit;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fprintf(stderr, "sluice: out of memory\n");
		abort();
	}
	return q;
}

static void vec_push(struct range_vec *v, sl_u128 lo, sl_u128 hi)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->r = xrealloc(v->r, v->cap * sizeof(*v->r));
	}
	v->r[v->n].lo = lo;
	v->r[v->n].hi = hi;
	v->n++;
}

/* ---- names ---- */

static void check_names(struct checker *ck)
{
	struct sl_ast *ast = ck->ast;

	map_init(&ck->consts, ck->arena, ast->nconsts);
	ck->cinfo = sl_arena_calloc(ck->arena, ast->nconsts ? ast->nconsts : 1, sizeof(*ck->cinfo));
	for (uint32_t i = 0; i < ast->nconsts; i++) {
		struct const_info *prev;

		ck->cinfo[i].c = ast->consts[i];
		prev = map_put(&ck->consts, ast->consts[i]->name, &ck->cinfo[i]);
		if (prev) {
			sl_error(ck->d, ast->consts[i]->loc, "constant '%s' is already defined",
				 ast->consts[i]->name);
			sl_note(ck->d, prev->c->loc, "'%s' is first defined here", prev->c->name);
		}
	}

	ck->nnodes = ast->ntables + ast->nchains;
	ck->nodes = sl_arena_calloc(ck->arena, ck->nnodes ? ck->nnodes : 1, sizeof(*ck->nodes));
	map_init(&ck->chains, ck->arena, ck->nnodes);
	for (uint32_t i = 0; i < ck->nnodes; i++) {
		struct sl_ast_chain *c =
		    i < ast->ntables ? &ast->tables[i]->body : ast->chains[i - ast->ntables];
		struct node *prev;

		ck->nodes[i].chain = c;
		prev = map_put(&ck->chains, c->name, &ck->nodes[i]);
		if (prev) {
			sl_error(ck->d, c->loc, "%s '%s' is already defined",
				 c->table ? "table" : "chain", c->name);
			sl_note(ck->d, prev->chain->loc, "'%s' is first defined here as a %s",
				prev->chain->name, prev->chain->table ? "table" : "chain");
		}
	}
	for (uint32_t i = 0; i < ast->ntables; i++) {
		struct sl_ast_table *t = ast->tables[i];

		if (strlen(t->name) > SL_MAX_TABLE_NAME || strchr(t->name, '-')) {
			sl_error(ck->d, t->loc, "table name '%.40s%s' cannot name a BPF program",
				 t->name, strlen(t->name) > 40 ? "..." : "");
			sl_hint(
			    ck->d, t->loc,
			    "a table's name is a symbol of the object: at most %d letters, digits "
			    "and '_' (no '-')",
			    SL_MAX_TABLE_NAME);
		}
		if (t->accept_next && t->hook_loc.file != UINT32_MAX &&
		    t->hook != SL_HOOK_TC_INGRESS && t->hook != SL_HOOK_TC_EGRESS) {
			sl_error(ck->d, t->accept_next_loc,
				 "'accept next' applies to tc hooks, not to %s",
				 sl_hook_name(t->hook));
			sl_hint(
			    ck->d, t->accept_next_loc,
			    t->hook == SL_HOOK_XDP
				? "on XDP, accept (XDP_PASS) already lets a dispatcher run the "
				  "next program; remove it"
				: "every cgroup_skb program of a cgroup runs anyway; remove it");
		}
		if (t->hook_loc.file == UINT32_MAX) {
			sl_error(ck->d, t->loc, "table '%s' has no hook", t->name);
			sl_hint(ck->d, t->loc,
				"add one, e.g. 'hook xdp' or 'hook tc ingress' (see "
				"lang-spec/reference.md)");
		}
	}
}

static const char *suggest_name(struct checker *ck, const char *word, bool chains)
{
	const struct sl_name_map *m = chains ? &ck->chains : &ck->consts;
	const char **cands;
	const char *s;
	size_t n = 0;

	if (too_many_errors(ck))
		return NULL;
	cands = xrealloc(NULL, m->cap * sizeof(*cands));
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		if (chains && ((struct node *)m->vals[i])->chain->table)
			continue;
		cands[n++] = m->keys[i];
	}
	s = sl_suggest(word, cands, n);
	free(cands);
	if (s && chains)
		((struct node *)map_get(m, s))->suggested = true;
	else if (s)
		((struct const_info *)map_get(m, s))->suggested = true;
	return s;
}

static struct node *node_of(struct checker *ck, const struct sl_ast_chain *c)
{
	return map_get(&ck->chains, c->name);
}

static void resolve_targets(struct checker *ck)
{
	for (uint32_t i = 0; i < ck->nnodes; i++) {
		struct sl_ast_chain *c = ck->nodes[i].chain;

		for (uint32_t j = 0; j < c->nrules; j++) {
			struct sl_ast_rule *r = &c->rules[j];
			struct node *n;
			const char *s;

			if (r->action != SL_AST_JUMP && r->action != SL_AST_GOTO)
				continue;
			n = map_get(&ck->chains, r->target);
			if (n && n->chain->table) {
				sl_error(ck->d, r->target_loc,
					 "'%s' is a table; jump and goto take a chain", r->target);
				sl_note(ck->d, n->chain->loc, "table '%s' is defined here",
					r->target);
				continue;
			}
			if (n) {
				r->target_chain = n->chain;
				continue;
			}
			sl_error(ck->d, r->target_loc, "no chain named '%s'", r->target);
			s = suggest_name(ck, r->target, true);
			if (s)
				sl_hint(ck->d, r->target_loc, "did you mean '%s'?", s);
		}
	}
}

/* ---- the jump graph: cycles, depth, hooks ---- */

struct frame {
	uint32_t node;
	uint32_t rule; /* next rule to look at */
};

static void report_cycle(struct checker *ck, const struct frame *stack, size_t top, uint32_t target,
			 const struct sl_ast_rule *r)
{
	char path[512];
	size_t k = 0, from = top;

	if (too_many_errors(ck)) {
		/* counted, not described: finding the path costs the stack's depth */
		sl_error(ck->d, r->target_loc, "chain '%s' reaches itself",
			 ck->nodes[target].chain->name);
		return;
	}
	while (from > 0 && stack[from - 1].node != target)
		from--;
	if (from > 0)
		from--;
	for (size_t i = from; i < top && k < sizeof(path); i++)
		k += (size_t)snprintf(path + k, sizeof(path) - k, "%s -> ",
				      ck->nodes[stack[i].node].chain->name);
	if (k < sizeof(path))
		snprintf(path + k, sizeof(path) - k, "%s", ck->nodes[target].chain->name);
	sl_error(ck->d, r->target_loc, "chain '%s' reaches itself: %s",
		 ck->nodes[target].chain->name, path);
	sl_hint(ck->d, r->target_loc, "chains may not loop; use 'return' to go back");
}

/*
 * Depth-first walk from every node, with an explicit stack: policies with
 * thousands of chained chains must not exhaust the C stack. A node's depth
 * is known when it is done (post-order).
 */
static void walk_graph(struct checker *ck, uint32_t *order, uint32_t *norder)
{
	struct frame *stack = xrealloc(NULL, (ck->nnodes + 1) * sizeof(*stack));

	for (uint32_t root = 0; root < ck->nnodes; root++) {
		size_t top = 0;

		if (ck->nodes[root].state)
			continue;
		stack[top++] = (struct frame){root, 0};
		ck->nodes[root].state = 1;
		while (top) {
			struct frame *f = &stack[top - 1];
			struct sl_ast_chain *c = ck->nodes[f->node].chain;
			struct sl_ast_rule *r;
			uint32_t t;

			if (f->rule == c->nrules) {
				ck->nodes[f->node].state = 2;
				order[(*norder)++] = f->node;
				top--;
				continue;
			}
			r = &c->rules[f->rule++];
			if (!r->target_chain)
				continue;
			t = (uint32_t)(node_of(ck, r->target_chain) - ck->nodes);
			if (ck->nodes[t].state == 1) {
				report_cycle(ck, stack, top, t, r);
				r->target_chain = NULL; /* break the loop for the later passes */
				continue;
			}
			if (ck->nodes[t].state == 0) {
				ck->nodes[t].state = 1;
				stack[top++] = (struct frame){t, 0};
			}
		}
	}
	free(stack);
}

static void depth_error(struct checker *ck, struct sl_ast_table *t)
{
	char path[600];
	size_t k = 0;
	const struct sl_ast_chain *c = &t->body;

	for (unsigned steps = 0; c && steps <= SL_MAX_JUMP_DEPTH + 1 && k < 500; steps++) {
		const struct sl_ast_chain *next = NULL;

		k += (size_t)snprintf(path + k, sizeof(path) - k, "%s%s", steps ? " -> " : "",
				      c->name);
		for (uint32_t j = 0; j < c->nrules; j++) {
			const struct sl_ast_chain *tc = c->rules[j].target_chain;

			if (tc && tc->depth + 1 == c->depth) {
				next = tc;
				break;
			}
		}
		c = next;
	}
	if (c && k < sizeof(path))
		snprintf(path + k, sizeof(path) - k, " -> ...");
	sl_error(ck->d, t->loc, "jumps from table '%s' nest %u deep; the limit is %d: %s", t->name,
		 t->body.depth, SL_MAX_JUMP_DEPTH, path);
}

static void check_graph(struct checker *ck)
{
	uint32_t *order = xrealloc(NULL, (ck->nnodes + 1) * sizeof(*order));
	uint32_t norder = 0;

	walk_graph(ck, order, &norder);
	/* post-order: targets before the chains that jump to them */
	for (uint32_t i = 0; i < norder; i++) {
		struct sl_ast_chain *c = ck->nodes[order[i]].chain;

		c->depth = 0;
		for (uint32_t j = 0; j < c->nrules; j++) {
			const struct sl_ast_chain *tc = c->rules[j].target_chain;

			if (tc && tc->depth + 1 > c->depth)
				c->depth = tc->depth + 1;
		}
	}
	for (uint32_t i = 0; i < ck->ast->ntables; i++) {
		struct sl_ast_table *t = ck->ast->tables[i];

		if (t->hook_loc.file != UINT32_MAX)
			t->body.hooks = SL_HOOK_BIT(t->hook);
		else
			t->body.hooks = SL_HOOKS_ALL; /* already an error: check fields leniently */
		if (t->hook_loc.file != UINT32_MAX)
			ck->nodes[i].via[t->hook] = t;
		if (t->body.depth > SL_MAX_JUMP_DEPTH)
			depth_error(ck, t);
	}
	/* reverse post-order: a chain's hooks are final before it passes them on */
	for (uint32_t i = norder; i-- > 0;) {
		struct node *n = &ck->nodes[order[i]];

		for (uint32_t j = 0; j < n->chain->nrules; j++) {
			struct sl_ast_chain *tc = n->chain->rules[j].target_chain;
			struct node *tn;

			if (!tc)
				continue;
			tn = node_of(ck, tc);
			tc->hooks |= n->chain->hooks;
			for (unsigned h = 0; h < SL_HOOK_COUNT; h++) {
				if (!tn->via[h])
					tn->via[h] = n->via[h];
			}
		}
	}
	free(order);
	for (uint32_t i = 0; i < ck->ast->nchains; i++) {
		struct sl_ast_chain *c = ck->ast->chains[i];

		if (!c->hooks && node_of(ck, c)->chain == c && !node_of(ck, c)->suggested)
			sl_warning(ck->d, c->loc, "chain '%s' is never used: no table reaches it",
				   c->name);
	}
}

/* ---- values ---- */

static const char *value_kind_noun(enum sl_ast_value_kind k)
{
	switch (k) {
	case SL_AST_VAL_NUMBER:
		return "a number";
	case SL_AST_VAL_NAME:
		return "a name";
	case SL_AST_VAL_IPV4:
		return "an IPv4 address";
	case SL_AST_VAL_IPV6:
		return "an IPv6 address";
	case SL_AST_VAL_MAC:
		return "a MAC address";
	case SL_AST_VAL_RANGE:
		return "a range";
	case SL_AST_VAL_FLAGS:
		return "a flag list";
	case SL_AST_VAL_SET:
		return "a set";
	case SL_AST_VAL_SETREF:
		return "a named set";
	case SL_AST_VAL_STRING:
		return "a string";
	default:
		return "a constant";
	}
}

static const char *field_takes(const struct sl_field_info *f)
{
	switch (f->kind) {
	case SL_KIND_MAC:
		return "a MAC address";
	case SL_KIND_IPV4:
		return "an IPv4 address or prefix";
	case SL_KIND_IPV6:
		return "an IPv6 address or prefix";
	case SL_KIND_ETHERTYPE:
		return "an EtherType (a number or ip, ip6, arp, vlan, ...)";
	case SL_KIND_PROTO:
		return "a protocol (a number or tcp, udp, icmp, icmpv6, ...)";
	case SL_KIND_PORT:
		return "a port number";
	case SL_KIND_ICMP_TYPE:
		return "an ICMP type (a number or echo-request, ...)";
	case SL_KIND_ICMP6_TYPE:
		return "an ICMPv6 type (a number or echo-request, nd-neighbor-solicit, ...)";
	case SL_KIND_TCP_FLAGS:
		return "TCP flags (fin, syn, rst, psh, ack, urg, ece, cwr joined by |)";
	case SL_KIND_FRAG:
		return "a fragment state (none, first or later)";
	case SL_KIND_DSCP:
		return "a DSCP value (a number or cs0-cs7, af11-af43, ef, ...)";
	case SL_KIND_CT_STATE:
		return "a connection state (new, established, related, invalid or untracked)";
	case SL_KIND_IFNAME:
		return "an interface name (\"eth0\")";

	default:
		return "a number";
	}
}

static void type_error(struct checker *ck, const struct sl_ast_value *v)
{
	sl_error(ck->d, v->loc, "'%s' takes %s, not %s", ck->field->name, field_takes(ck->field),
		 value_kind_noun(v->kind));
	ck->failed = true;
}

static bool in_domain(struct checker *ck, const struct sl_ast_value *v, sl_u128 num)
{
	char a[48], b[48];

	if (num <= sl_field_max(ck->field->id))
		return true;
	sl_error(ck->d, v->loc, "%s is out of range for '%s' (0-%s)",
		 v->num > (sl_u128)UINT64_MAX ? "the number" : sl_u128_str(num, a), ck->field->name,
		 sl_u128_str(sl_field_max(ck->field->id), b));
	ck->failed = true;
	return false;
}

static bool name_value(struct checker *ck, const struct sl_ast_value *v, uint32_t *out)
{
	size_t n;
	const struct sl_value_name *names = sl_value_names(ck->field->kind, &n);
	const char *cands[64], *s;

	if (!n) {
		sl_error(ck->d, v->loc, "'%s' takes %s; '%s' is not one", ck->field->name,
			 field_takes(ck->field), v->name);
		if (ck->field->kind == SL_KIND_PORT)
			sl_hint(ck->d, v->loc,
				"service names are not supported: write the port number");
		ck->failed = true;
		return false;
	}
	if (sl_value_name_lookup(ck->field->kind, v->name, out))
		return true;
	for (size_t i = 0; i < n && i < SL_ARRAY_SIZE(cands); i++)
		cands[i] = names[i].name;
	sl_error(ck->d, v->loc, "unknown value '%s' for '%s'", v->name, ck->field->name);
	s = sl_suggest(v->name, cands, sl_min(n, SL_ARRAY_SIZE(cands)));
	if (s)
		sl_hint(ck->d, v->loc, "did you mean '%s'?", s);
	else
		sl_hint(ck->d, v->loc, "'%s' takes %s", ck->field->name, field_takes(ck->field));
	ck->failed = true;
	return false;
}

static void resolve(struct checker *ck, const struct sl_ast_value *v, struct range_vec *out);

static bool family_skipped(struct checker *ck, const struct sl_ast_value *v)
{
	if (!ck->family_filter)
		return false;
	return (v->kind == SL_AST_VAL_IPV4 && ck->field->kind == SL_KIND_IPV6) ||
	       (v->kind == SL_AST_VAL_IPV6 && ck->field->kind == SL_KIND_IPV4);
}

static void resolve_address(struct checker *ck, const struct sl_ast_value *v, unsigned bits,
			    struct range_vec *out)
{
	unsigned hostbits = v->plen >= bits ? 0 : bits - v->plen;
	sl_u128 host = hostbits >= 128 ? ~(sl_u128)0 : (((sl_u128)1 << hostbits) - 1);

	vec_push(out, v->num, v->num | host);
}

static void resolve_flags(struct checker *ck, const struct sl_ast_value *v, struct range_vec *out)
{
	uint32_t bits = 0;

	if (ck->field->kind != SL_KIND_TCP_FLAGS) {
		sl_error(ck->d, v->loc, "'|' combines tcp flags; '%s' takes %s", ck->field->name,
			 field_takes(ck->field));
		ck->failed = true;
		return;
	}
	for (uint32_t i = 0; i < v->nitems; i++) {
		struct range_vec one = {0};

		resolve(ck, v->items[i], &one);
		if (one.n == 1 && one.r[0].lo == one.r[0].hi)
			bits |= (uint32_t)one.r[0].lo;
		else if (one.n)
			type_error(ck, v->items[i]);
		free(one.r);
	}
	vec_push(out, bits, bits);
}

static bool single(struct checker *ck, const struct sl_ast_value *v, sl_u128 *out)
{
	struct range_vec one = {0};
	bool ok;

	resolve(ck, v, &one);
	ok = one.n == 1 && one.r[0].lo == one.r[0].hi;
	if (ok)
		*out = one.r[0].lo;
	else if (one.n)
		sl_error(ck->d, v->loc, "a range needs single values at both ends, not %s",
			 v->kind == SL_AST_VAL_REF ? "a set" : "a prefix");
	if (!ok && one.n)
		ck->failed = true;
	free(one.r);
	return ok;
}

static void resolve_range(struct checker *ck, const struct sl_ast_value *v, struct range_vec *out)
{
	sl_u128 lo, hi;
	char a[48], b[48];
	bool lo_ok, hi_ok;

	if (family_skipped(ck, v->items[0]))
		return;
	lo_ok = single(ck, v->items[0], &lo);
	hi_ok = single(ck, v->items[1], &hi);
	if (!lo_ok || !hi_ok)
		return;
	if (lo > hi) {
		sl_error(ck->d, v->loc, "empty range: %s is greater than %s",
			 v->items[0]->kind == SL_AST_VAL_NUMBER ? sl_u128_str(lo, a) : "its start",
			 v->items[1]->kind == SL_AST_VAL_NUMBER ? sl_u128_str(hi, b) : "its end");
		ck->failed = true;
		return;
	}
	vec_push(out, lo, hi);
}

static void resolve_const(struct checker *ck, const struct sl_ast_value *v, struct range_vec *out);

static void resolve(struct checker *ck, const struct sl_ast_value *v, struct range_vec *out)
{
	enum sl_value_kind k = ck->field->kind;
	uint32_t num;

	if (k == SL_KIND_IFNAME && (v->kind == SL_AST_VAL_STRING || v->kind == SL_AST_VAL_NAME)) {
		if ((num = sl_check_ifname_value(ck->ast, ck->d, v)))
			vec_push(out, num, num);
		else
			ck->failed = true;
		return;
	}
	if (k == SL_KIND_IFNAME && (v->kind == SL_AST_VAL_NUMBER || v->kind == SL_AST_VAL_RANGE)) {
		type_error(ck, v);
		sl_hint(ck->d, v->loc, "an interface by its index is 'meta ifindex N'");
		return;
	}
	switch (v->kind) {
	case SL_AST_VAL_STRING:
		type_error(ck, v);
		break;
	case SL_AST_VAL_NUMBER:
		if (k == SL_KIND_MAC || k == SL_KIND_IPV4 || k == SL_KIND_IPV6)
			type_error(ck, v);
		else if (in_domain(ck, v, v->num))
			vec_push(out, v->num, v->num);
		break;
	case SL_AST_VAL_NAME:
		if (name_value(ck, v, &num))
			vec_push(out, num, num);
		break;
	case SL_AST_VAL_IPV4:
	case SL_AST_VAL_IPV6:
		if (family_skipped(ck, v))
			break;
		if (k != (v->kind == SL_AST_VAL_IPV4 ? SL_KIND_IPV4 : SL_KIND_IPV6))
			type_error(ck, v);
		else
			resolve_address(ck, v, v->kind == SL_AST_VAL_IPV4 ? 32 : 128, out);
		break;
	case SL_AST_VAL_MAC:
		if (k != SL_KIND_MAC)
			type_error(ck, v);
		else
			vec_push(out, v->num, v->num);
		break;
	case SL_AST_VAL_RANGE:
		resolve_range(ck, v, out);
		break;
	case SL_AST_VAL_FLAGS:
		resolve_flags(ck, v, out);
		break;
	case SL_AST_VAL_SET:
		for (uint32_t i = 0; i < v->nitems; i++)
			resolve(ck, v->items[i], out);
		break;
	case SL_AST_VAL_REF:
		resolve_const(ck, v, out);
		break;
	case SL_AST_VAL_SETREF:
	case SL_AST_VAL_CONCAT:
		sl_error(ck->d, v->loc,
			 "a named set ('@%s') stands alone after a field: it cannot "
			 "be part of a constant or a set",
			 v->name ? v->name : "");
		ck->failed = true;
		break;
	}
}

static bool is_address_field(const struct sl_field_info *f)
{
	return f->kind == SL_KIND_IPV4 || f->kind == SL_KIND_IPV6;
}

/* Resolve a constant for the current field once; later uses share the result. */
static const struct resolved *const_for_field(struct checker *ck, struct const_info *ci,
					      const struct sl_ast_value *ref)
{
	struct resolved *res = &ci->per_field[ck->field->id];
	struct range_vec v = {0};
	bool failed = ck->failed;
	int filter = ck->family_filter;

	if (res->done)
		return res;
	if (ci->busy) {
		sl_error(ck->d, ref->loc, "constant '%s' refers to itself", ci->c->name);
		res->done = res->bad = true;
		ck->failed = true;
		return res;
	}
	if (ck->const_depth >= SL_MAX_CONST_DEPTH) {
		sl_error(ck->d, ref->loc, "constants refer to constants more than %d deep",
			 SL_MAX_CONST_DEPTH);
		ck->failed = true;
		return res; /* not done: the outermost use reports */
	}
	ci->busy = true;
	ck->const_depth++;
	ck->failed = false;
	ck->family_filter = is_address_field(ck->field);
	resolve(ck, ci->c->value, &v);
	ck->family_filter = filter;
	ck->const_depth--;
	ci->busy = false;
	res->done = true;
	res->bad = ck->failed;
	if (res->bad && !ck->const_depth)
		sl_note(ck->d, ck->use_loc, "'$%s' is used here with '%s'", ci->c->name,
			ck->field->name);
	if (!res->bad && !v.n) {
		sl_error(ck->d, ref->loc, "constant '%s' has no %s element for '%s'", ci->c->name,
			 ck->field->kind == SL_KIND_IPV4 ? "IPv4" : "IPv6", ck->field->name);
		res->bad = true;
	}
	ck->failed = failed || res->bad;
	res->n = (uint32_t)v.n;
	if (v.n) {
		struct sl_ast_range *r = sl_arena_alloc(ck->arena, v.n * sizeof(*r));

		memcpy(r, v.r, v.n * sizeof(*r));
		res->r = r;
	}
	free(v.r);
	return res;
}

static void resolve_const(struct checker *ck, const struct sl_ast_value *v, struct range_vec *out)
{
	struct const_info *ci = map_get(&ck->consts, v->name);
	const struct resolved *res;
	const char *s;

	if (!ci) {
		sl_error(ck->d, v->loc, "no constant named '%s'", v->name);
		s = suggest_name(ck, v->name, false);
		if (s)
			sl_hint(ck->d, v->loc, "did you mean '$%s'?", s);
		ck->failed = true;
		return;
	}
	((struct sl_ast_value *)v)->ref = ci->c;
	ci->c->used = true;
	res = const_for_field(ck, ci, v);
	if (res->bad) {
		ck->failed = true;
		return;
	}
	for (uint32_t i = 0; i < res->n; i++)
		vec_push(out, res->r[i].lo, res->r[i].hi);
}

/* ---- matches and rules ---- */

static bool single_bits(struct checker *ck, const struct sl_ast_value *v, uint64_t *out)
{
	struct range_vec one = {0};
	bool ok;

	resolve(ck, v, &one);
	ok = one.n == 1 && one.r[0].lo == one.r[0].hi;
	if (ok)
		*out = (uint64_t)one.r[0].lo;
	else if (one.n) {
		sl_error(ck->d, v->loc, "a masked match takes single values, not %s",
			 value_kind_noun(v->kind));
		ck->failed = true;
	}
	free(one.r);
	return ok && !ck->failed;
}

static void check_masked(struct checker *ck, struct sl_ast_match *m)
{
	if (m->field != SL_FIELD_TCP_FLAGS) {
		sl_error(ck->d, m->field_loc, "'&' masks work on 'tcp flags' only");
		ck->failed = true;
		return;
	}
	if (!single_bits(ck, m->mask, &m->mask_bits) || !single_bits(ck, m->value, &m->want_bits))
		return;
	m->kind = m->op == SL_AST_OP_NE ? SL_AST_MATCH_NOT_MASKED : SL_AST_MATCH_MASKED;
	if (m->want_bits & ~m->mask_bits)
		sl_warning(ck->d, m->value->loc,
			   "flags outside the mask are never set after '&': this match %s",
			   m->op == SL_AST_OP_NE ? "is always true" : "never matches");
}

static void check_match(struct checker *ck, const struct sl_ast_chain *c, struct node *n,
			struct sl_ast_match *m)
{
	const struct sl_field_info *f = sl_field_info(m->field);
	unsigned hidden = c->hooks & ~f->hooks;
	struct range_vec v = {0};

	if (hidden) {
		enum sl_hook h = (enum sl_hook)__builtin_ctz(hidden);

		sl_error(ck->d, m->field_loc, "'%s' is not available on hook '%s'%s", f->name,
			 sl_hook_name(h),
			 sl_hook_has_l2(h) ? ""
					   : ": cgroup_skb sees packets from the IP header on");
		if (!c->table && n->via[h])
			sl_note(ck->d, n->via[h]->loc,
				"chain '%s' is reached from table '%s' (hook %s)", c->name,
				n->via[h]->name, sl_hook_name(h));
		ck->failed = true;
	}
	ck->field = f;
	ck->use_loc = m->loc;
	if (m->field == SL_FIELD_META_IFNAME && !sl_check_ifname_match(ck->d, c->hooks, m)) {
		ck->failed = true;
		return;
	}
	if (m->value->kind == SL_AST_VAL_SETREF || m->nconcat) {
		ck->failed = !sl_check_set_match(ck->ast, ck->d, c, m);
		return;
	}
	if (m->mask) {
		check_masked(ck, m);
		return;
	}
	if (m->field == SL_FIELD_TCP_FLAGS && m->op == SL_AST_OP_IMPLICIT &&
	    (m->value->kind == SL_AST_VAL_NAME || m->value->kind == SL_AST_VAL_FLAGS ||
	     m->value->kind == SL_AST_VAL_NUMBER)) {
		/* `tcp flags syn|ack`: those bits are set, whatever the others are */
		if (single_bits(ck, m->value, &m->want_bits)) {
			m->mask_bits = m->want_bits;
			m->kind = SL_AST_MATCH_MASKED;
		}
		if (m->kind == SL_AST_MATCH_MASKED && !m->want_bits) {
			/* "all of no flags" would match everything: `tcp flags 0` means none set */
			struct sl_ast_range *r = sl_arena_alloc(ck->arena, sizeof(*r));

			m->kind = SL_AST_MATCH_IN;
			m->ranges = r;
			m->nranges = 1;
		}
		return;
	}
	if (m->value->kind == SL_AST_VAL_REF && !m->value->ref) {
		/* a lone $constant: share its ranges */
		struct const_info *ci = map_get(&ck->consts, m->value->name);

		resolve(ck, m->value, &v);
		free(v.r);
		if (ci && ci->per_field[f->id].done && !ci->per_field[f->id].bad) {
			m->nranges = ci->per_field[f->id].n;
			m->ranges = ci->per_field[f->id].r;
		}
	} else {
		struct sl_ast_range *r;

		resolve(ck, m->value, &v);
		if (v.n) {
			/* the match's own ranges go with it (ast.h: scratch) */
			r = sl_arena_alloc(ck->ast->scratch ? ck->ast->scratch : ck->arena,
					   v.n * sizeof(*r));
			memcpy(r, v.r, v.n * sizeof(*r));
			m->ranges = r;
			m->nranges = (uint32_t)v.n;
		}
		free(v.r);
	}
	m->kind = m->op == SL_AST_OP_NE ? SL_AST_MATCH_NOT_IN : SL_AST_MATCH_IN;
	if (m->field == SL_FIELD_META_IFNAME)
		sl_check_ifname_required(ck->ast, m);
}

/* Two matches that need different protocols at one layer can never both hold. */
static void check_protocols(struct checker *ck, const struct sl_ast_rule *r)
{
	const struct sl_ast_match *l3 = NULL, *l4 = NULL;

	for (uint32_t i = 0; i < r->nmatches; i++) {
		const struct sl_ast_match *m = &r->matches[i];
		const struct sl_field_info *f = sl_field_info(m->field);

		if (f->implied_l3 >= 0) {
			if (l3 && sl_field_info(l3->field)->implied_l3 != f->implied_l3) {
				sl_warning(ck->d, m->field_loc,
					   "this rule never matches: '%s' needs %s, '%s' needs %s",
					   sl_field_info(l3->field)->name,
					   sl_field_info(l3->field)->implied_l3 == SL_ETH_P_IP
					       ? "IPv4"
					       : "IPv6",
					   f->name, f->implied_l3 == SL_ETH_P_IP ? "IPv4" : "IPv6");
				return;
			}
			l3 = m;
		}
		if (f->implied_l4 >= 0) {
			const struct sl_field_info *g = l4 ? sl_field_info(l4->field) : NULL;
			bool overlap =
			    !g || g->implied_l4 == f->implied_l4 ||
			    g->implied_l4 == f->implied_l4_alt ||
			    (g->implied_l4_alt >= 0 && g->implied_l4_alt == f->implied_l4);

			if (!overlap) {
				sl_warning(ck->d, m->field_loc,
					   "this rule never matches: '%s' and '%s' need different "
					   "protocols",
					   g->name, f->name);
				return;
			}
			if (!l4 || f->implied_l4_alt < 0)
				l4 = m;
		}
	}
}

static void check_rules(struct checker *ck, struct sl_ast_chain *c, struct node *n)
{
	const struct sl_ast_rule *ender = NULL;
	bool warned = false;

	for (uint32_t i = 0; i < c->nrules; i++) {
		struct sl_ast_rule *r = &c->rules[i];

		if (ender && !warned) {
			sl_warning(ck->d, r->loc, "rule is never reached");
			sl_note(ck->d, ender->loc, "every packet stops at this rule");
			warned = true;
		}
		for (uint32_t j = 0; j < r->nmatches; j++) {
			ck->failed = false;
			check_match(ck, c, n, &r->matches[j]);
		}
		check_protocols(ck, r);
		if ((r->nmatches || r->limit) && !r->counter && !r->log &&
		    r->action == SL_AST_CONTINUE)
			sl_warning(ck->d, r->loc,
				   "rule has no effect: it has no counter and no verdict");
		if (!r->nmatches && !r->limit && !ender &&
		    (r->action == SL_AST_ACCEPT || r->action == SL_AST_DROP ||
		     r->action == SL_AST_RETURN || r->action == SL_AST_GOTO))
			ender = r;
	}
}

static void check_consts_used(struct checker *ck)
{
	for (uint32_t i = 0; i < ck->ast->nconsts; i++) {
		struct sl_ast_const *c = ck->ast->consts[i];
		const struct sl_source *src = sl_sources_get(ck->ast->srcs, c->loc.file);

		/* an included file is a library: not every policy uses all of it */
		if (src && src->included_from.file != UINT32_MAX)
			continue;
		if (!c->used && map_get(&ck->consts, c->name) == &ck->cinfo[i] &&
		    !ck->cinfo[i].suggested)
			sl_warning(ck->d, c->loc, "constant '%s' is never used", c->name);
	}
}

int sl_check(struct sl_ast *ast, struct sl_diag *diag)
{
	struct checker ck = {.ast = ast, .arena = ast->arena, .d = diag};
	unsigned errors = diag->nerrors;

	ast->checked = false;
	for (uint32_t i = 0; i < ast->ntables; i++)
		ast->tables[i]->body.hooks = ast->tables[i]->body.depth = 0;
	for (uint32_t i = 0; i < ast->nchains; i++)
		ast->chains[i]->hooks = ast->chains[i]->depth = 0;
	check_names(&ck);
	sl_check_sets(ast, diag);
	resolve_targets(&ck);
	check_graph(&ck);
	for (uint32_t i = 0; i < ck.nnodes; i++)
		check_rules(&ck, ck.nodes[i].chain, &ck.nodes[i]);
	check_consts_used(&ck);
	sl_check_sets_used(ast, diag);
	if (diag->nerrors > errors)
		return -EINVAL;
	ast->checked = true;
	return 0;
}
