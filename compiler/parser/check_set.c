// SPDX-License-Identifier: GPL-2.0-only
/*
 * The checker's part for named sets: declarations (types, size, elements,
 * encoded into the map keys the object carries) and matches on them
 * (`ip saddr @s`, `ip saddr . tcp dport != @s`). Every error is located
 * at the word it is about.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "parser/check_set.h"
#include "parser/names.h"
#include "sluice/set_key.h"

/* The field kind whose values a set type holds. */
static enum sl_value_kind type_kind(uint32_t type)
{
	switch (type) {
	case SLUICE_SET_T_IPV4_ADDR:
		return SL_KIND_IPV4;
	case SLUICE_SET_T_IPV6_ADDR:
		return SL_KIND_IPV6;
	case SLUICE_SET_T_ETHER_ADDR:
		return SL_KIND_MAC;
	case SLUICE_SET_T_INET_PROTO:
		return SL_KIND_PROTO;
	default:
		return SL_KIND_PORT;
	}
}

static const char *type_noun(uint32_t type)
{
	switch (type) {
	case SLUICE_SET_T_IPV4_ADDR:
		return "an IPv4 address";
	case SLUICE_SET_T_IPV6_ADDR:
		return "an IPv6 address";
	case SLUICE_SET_T_ETHER_ADDR:
		return "a MAC address";
	case SLUICE_SET_T_INET_PROTO:
		return "a protocol (number or name)";
	default:
		return "a port number";
	}
}

struct sl_ast_set *sl_check_set_find(const struct sl_ast *ast, const char *name)
{
	for (uint32_t i = 0; i < ast->nsets; i++)
		if (!strcmp(ast->sets[i]->name, name))
			return ast->sets[i];
	return NULL;
}

/* One value (lo == hi) or prefix of an element field; false (reported) when of the wrong type. */
static bool atom_range(struct sl_diag *d, uint32_t type, const struct sl_ast_value *v, sl_u128 *lo,
		       sl_u128 *hi)
{
	unsigned bits = sl_set_type_size(type) * 8;
	sl_u128 max = bits >= 128 ? ~(sl_u128)0 : ((sl_u128)1 << bits) - 1;
	uint32_t num;

	switch (v->kind) {
	case SL_AST_VAL_IPV4:
	case SL_AST_VAL_IPV6:
		if (type !=
		    (v->kind == SL_AST_VAL_IPV4 ? SLUICE_SET_T_IPV4_ADDR : SLUICE_SET_T_IPV6_ADDR))
			break;
		*lo = v->num;
		*hi = v->num | (v->plen >= bits ? 0 : (((sl_u128)1 << (bits - v->plen)) - 1));
		if (bits - v->plen >= 128)
			*hi = ~(sl_u128)0;
		return true;
	case SL_AST_VAL_MAC:
		if (type != SLUICE_SET_T_ETHER_ADDR)
			break;
		*lo = *hi = v->num;
		return true;
	case SL_AST_VAL_NUMBER:
		if (type != SLUICE_SET_T_INET_PROTO && type != SLUICE_SET_T_INET_SERVICE)
			break;
		if (v->num > max) {
			sl_error(d, v->loc, "%s is out of range for %s (0-%u)",
				 v->num > UINT32_MAX ? "the number" : "the value",
				 sl_set_type_name(type), (unsigned)max);
			return false;
		}
		*lo = *hi = v->num;
		return true;
	case SL_AST_VAL_NAME:
		if (type == SLUICE_SET_T_INET_PROTO &&
		    sl_value_name_lookup(SL_KIND_PROTO, v->name, &num)) {
			*lo = *hi = num;
			return true;
		}
		if (type == SLUICE_SET_T_INET_SERVICE) {
			sl_error(d, v->loc,
				 "service names are not supported: write the port number");
			return false;
		}
		break;
	default:
		break;
	}
	sl_error(d, v->loc, "this element of a set of %s must be %s", sl_set_type_name(type),
		 type_noun(type));
	return false;
}

static bool elem_field(struct sl_diag *d, uint32_t type, const struct sl_ast_value *v, sl_u128 *lo,
		       sl_u128 *hi)
{
	sl_u128 a, b, c, e;

	if (v->kind != SL_AST_VAL_RANGE)
		return atom_range(d, type, v, lo, hi);
	if (!atom_range(d, type, v->items[0], &a, &b) || !atom_range(d, type, v->items[1], &c, &e))
		return false;
	if (a != b || c != e) {
		sl_error(d, v->loc, "a range needs single values at both ends, not a prefix");
		return false;
	}
	if (a > c) {
		sl_error(d, v->loc, "empty range: its start is greater than its end");
		return false;
	}
	*lo = a;
	*hi = c;
	return true;
}

static void to_bytes(sl_u128 v, uint8_t *out, unsigned n)
{
	for (unsigned i = n; i-- > 0; v >>= 8)
		out[i] = (uint8_t)v;
}

struct keybuf {
	uint8_t *keys;
	size_t n, cap, size;
};

static int add_key(const uint8_t *key, void *ctx)
{
	struct keybuf *k = ctx;

	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		k->keys = realloc(k->keys, k->cap * k->size);
		if (!k->keys)
			abort();
	}
	memcpy(k->keys + k->n++ * k->size, key, k->size);
	return 0;
}

static int key_cmp(const void *a, const void *b, void *size)
{
	return memcmp(a, b, *(size_t *)size);
}

/* Element i: its fields, checked against the set's types and flags, and its keys. */
static bool check_elem(struct sl_diag *d, const struct sl_ast_set *s,
		       const struct sl_set_desc *desc, const struct sl_ast_value *v,
		       struct sl_ast_set_elem *out, struct keybuf *kb)
{
	const struct sl_ast_value *parts[SL_AST_SET_MAX_FIELDS];
	uint32_t n = v->kind == SL_AST_VAL_CONCAT ? v->nitems : 1, nranged = 0;
	struct sl_set_elem e = {0};
	const char *why = NULL;

	if (n != s->ntypes) {
		sl_error(d, v->loc, "set '%s' holds %u-field elements (%s%s...), this one has %u",
			 s->name, s->ntypes, sl_set_type_name(s->types[0]),
			 s->ntypes > 1 ? " . " : "", n);
		return false;
	}
	for (uint32_t i = 0; i < n; i++)
		parts[i] = v->kind == SL_AST_VAL_CONCAT ? v->items[i] : v;
	out->loc = v->loc;
	for (uint32_t i = 0; i < n; i++) {
		if (!elem_field(d, s->types[i], parts[i], &out->lo[i], &out->hi[i]))
			return false;
		if (out->lo[i] == out->hi[i])
			continue;
		if (!(s->flags & SLUICE_SET_F_INTERVAL)) {
			sl_error(d, parts[i]->loc,
				 "set '%s' holds single values: prefixes and ranges need "
				 "'flags interval'",
				 s->name);
			return false;
		}
		if (++nranged > 1) {
			sl_error(d, parts[i]->loc,
				 "only one field of a concatenation may hold a prefix or range");
			return false;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		if (out->lo[i] != out->hi[i] && i != desc->range_field) {
			sl_error(
			    d, parts[i]->loc,
			    "only the last field of a concatenation may hold a prefix or range "
			    "(declare the ranged type last)");
			return false;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		unsigned bytes = sl_set_type_size(s->types[i]);
		uint8_t lo[16], hi[16];

		to_bytes(out->lo[i], lo, bytes);
		to_bytes(out->hi[i], hi, bytes);
		(void)sl_set_field_range(desc, &e, i, lo, hi);
	}
	if (sl_set_elem_keys(desc, &e, add_key, kb, &why)) {
		sl_error(d, v->loc, "%s", why ? why : "bad element");
		return false;
	}
	return true;
}

static void check_decl(struct sl_ast *ast, struct sl_diag *d, struct sl_ast_set *s)
{
	struct sl_set_desc desc;
	struct keybuf kb = {0};
	const char *why = NULL;
	const struct sl_ast_value *el = s->elements;
	bool ok = true;

	if (!s->ntypes)
		return; /* reported while parsing */
	if (sl_set_desc_init(&desc, s->types, s->ntypes, s->flags, &why)) {
		sl_error(d, s->type_loc, "%s", why);
		return;
	}
	s->key_size = desc.key_size;
	kb.size = desc.key_size;
	s->nelems = el ? el->nitems : 0;
	s->elems = sl_arena_calloc(ast->arena, s->nelems ? s->nelems : 1, sizeof(*s->elems));
	for (uint32_t i = 0; i < s->nelems; i++)
		ok = check_elem(d, s, &desc, el->items[i], &s->elems[i], &kb) && ok;
	if (!ok) {
		free(kb.keys);
		return;
	}
	if (kb.n) {
		qsort_r(kb.keys, kb.n, kb.size, key_cmp, &kb.size);
		size_t u = 1;

		for (size_t i = 1; i < kb.n; i++)
			if (memcmp(kb.keys + i * kb.size, kb.keys + (u - 1) * kb.size, kb.size))
				memmove(kb.keys + u++ * kb.size, kb.keys + i * kb.size, kb.size);
		kb.n = u;
	}
	if (!s->size && !s->nelems)
		sl_error(d, s->loc, "set '%s' has no elements: give it a 'size' (its capacity)",
			 s->name);
	s->capacity = s->size ? (uint32_t)s->size : SL_AST_SET_DEFAULT_SIZE;
	if (kb.n > s->capacity) {
		sl_error(d, s->size ? s->size_loc : s->loc,
			 "set '%s' has room for %u elements, its elements need %zu map entries%s",
			 s->name, s->capacity, kb.n,
			 s->flags & SLUICE_SET_F_INTERVAL ? " (ranges become prefixes)" : "");
		if (!s->size)
			sl_hint(d, s->loc, "the default size is %u; write 'size N'",
				SL_AST_SET_DEFAULT_SIZE);
	}
	s->nkeys = (uint32_t)kb.n;
	s->keys = sl_arena_alloc(ast->arena, kb.n ? kb.n * kb.size : 1);
	if (kb.n)
		memcpy(s->keys, kb.keys, kb.n * kb.size);
	free(kb.keys);
}

void sl_check_sets(struct sl_ast *ast, struct sl_diag *d)
{
	for (uint32_t i = 0; i < ast->nsets; i++) {
		struct sl_ast_set *s = ast->sets[i];
		struct sl_ast_set *first = sl_check_set_find(ast, s->name);

		s->used = false;
		if (first != s) {
			sl_error(d, s->loc, "set '%s' is declared twice", s->name);
			sl_note(d, first->loc, "first declared here");
			continue;
		}
		check_decl(ast, d, s);
	}
}

void sl_check_sets_used(const struct sl_ast *ast, struct sl_diag *d)
{
	for (uint32_t i = 0; i < ast->nsets; i++) {
		const struct sl_ast_set *s = ast->sets[i];
		const struct sl_source *src = sl_sources_get(ast->srcs, s->loc.file);

		if (src && src->included_from.file != UINT32_MAX)
			continue;
		if (!s->used && sl_check_set_find(ast, s->name) == s)
			sl_warning(d, s->loc,
				   "set '%s' is never used (its map is still in the object)",
				   s->name);
	}
}

/* Can field f be looked up in a set of `type`? */
static bool field_fits(enum sl_field f, uint32_t type)
{
	const struct sl_field_info *fi = sl_field_info(f);

	return fi->kind == type_kind(type) && fi->bits == sl_set_type_size(type) * 8;
}

bool sl_check_set_match(struct sl_ast *ast, struct sl_diag *d, const struct sl_ast_chain *c,
			struct sl_ast_match *m)
{
	const struct sl_ast_value *v = m->value;
	uint32_t nfields = 1 + m->nconcat;
	struct sl_ast_set *s;
	bool ok = true;

	if (v->kind != SL_AST_VAL_SETREF) {
		sl_error(d, v->loc,
			 "a concatenation of fields ('a . b') is matched against a "
			 "named set ('@name')");
		return false;
	}
	if (m->mask) {
		sl_error(d, m->field_loc, "'&' masks and named sets do not combine");
		return false;
	}
	s = sl_check_set_find(ast, v->name);
	if (!s) {
		const char *names[64];
		size_t n = 0;
		const char *sug;

		for (uint32_t i = 0; i < ast->nsets && n < SL_ARRAY_SIZE(names); i++)
			names[n++] = ast->sets[i]->name;
		sl_error(d, v->loc, "unknown set '@%s'", v->name);
		sug = sl_suggest(v->name, names, n);
		if (sug) {
			sl_hint(d, v->loc, "did you mean '@%s'?", sug);
			sl_check_set_find(ast, sug)->used = true; /* not also "never used" */
		}
		return false;
	}
	s->used = true;
	if (!s->ntypes)
		return false;
	if (nfields != s->ntypes) {
		sl_error(d, m->loc, "set '%s' holds %u-field elements; this match gives %u field%s",
			 s->name, s->ntypes, nfields, nfields > 1 ? "s" : "");
		sl_note(d, s->type_loc, "its type is declared here");
		return false;
	}
	for (uint32_t i = 0; i < nfields; i++) {
		enum sl_field f = i ? m->concat[i - 1] : m->field;
		struct sl_loc loc = i ? m->concat_loc[i - 1] : m->field_loc;
		const struct sl_field_info *fi = sl_field_info(f);
		unsigned hidden = c->hooks & ~fi->hooks;

		if (i && hidden) {
			sl_error(d, loc, "'%s' is not available on hook '%s'", fi->name,
				 sl_hook_name((enum sl_hook)__builtin_ctz(hidden)));
			ok = false;
		}
		if (!field_fits(f, s->types[i])) {
			sl_error(d, loc, "'%s' cannot be looked up in set '%s': its %s field is %s",
				 fi->name, s->name, nfields > 1 ? "matching" : "element",
				 sl_set_type_name(s->types[i]));
			sl_note(d, s->type_loc, "the set's type is declared here");
			ok = false;
		}
	}
	if (!ok)
		return false;
	m->set = s;
	m->kind = m->op == SL_AST_OP_NE ? SL_AST_MATCH_NOT_SET : SL_AST_MATCH_SET;
	return true;
}
