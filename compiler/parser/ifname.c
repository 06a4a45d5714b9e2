// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interface names. A policy names interfaces; the object records the names
 * (metadata) and the loader resolves each to an index where it attaches the
 * object, writing the indexes into a read-only array the program compares the
 * packet's interface with (lang-spec/reference.md, "Interface names").
 */
#include "parser/ifname.h"

#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/util.h"

static const struct {
	const char *word;
	enum sl_ast_ifword id;
} ifwords[] = {
    {"iifname", SL_AST_IF_IIFNAME},
    {"iif", SL_AST_IF_IIF},
    {"oifname", SL_AST_IF_OIFNAME},
    {"oif", SL_AST_IF_OIF},
};

enum sl_ast_ifword sl_build_ifword(const char *proto, const char *member)
{
	if (strcmp(proto, "meta"))
		return SL_AST_IF_NONE;
	for (size_t i = 0; i < SL_ARRAY_SIZE(ifwords); i++)
		if (!strcmp(member, ifwords[i].word))
			return ifwords[i].id;
	return SL_AST_IF_NONE;
}

static const char *word_of(enum sl_ast_ifword w)
{
	for (size_t i = 0; i < SL_ARRAY_SIZE(ifwords); i++)
		if (ifwords[i].id == w)
			return ifwords[i].word;
	return "iifname";
}

static bool is_output(enum sl_ast_ifword w)
{
	return w == SL_AST_IF_OIFNAME || w == SL_AST_IF_OIF;
}

/* Linux's dev_valid_name(): 1-15 bytes, not . or .., no '/', ':' or white space. */
static const char *bad_name(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return "an interface name cannot be empty";
	if (n > SL_IFNAME_MAX)
		return "an interface name has at most 15 characters";
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return "'.' and '..' are not interface names";
	if (strchr(s, '*'))
		return "wildcards ('eth*') are not supported: write each name, or a set of them";
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || *p == ' ' || *p == '\t')
			return "an interface name cannot hold '/', ':' or white space";
	return NULL;
}

uint32_t sl_check_ifname_value(struct sl_ast *ast, struct sl_diag *d, const struct sl_ast_value *v)
{
	const char *why = bad_name(v->name);
	struct sl_ast_ifname *names;

	if (why) {
		sl_error(d, v->loc, "%s", why);
		return 0;
	}
	for (uint32_t i = 0; i < ast->nifnames; i++)
		if (!strcmp(ast->ifnames[i].name, v->name))
			return i + 1;
	if (ast->nifnames == SL_MAX_IFNAMES) {
		sl_error(d, v->loc, "a policy can name at most %d interfaces", SL_MAX_IFNAMES);
		return 0;
	}
	/* the arena never frees: grow by copying (policies name few interfaces) */
	names = sl_arena_calloc(ast->arena, ast->nifnames + 1, sizeof(*names));
	if (ast->nifnames)
		memcpy(names, ast->ifnames, ast->nifnames * sizeof(*names));
	names[ast->nifnames] =
	    (struct sl_ast_ifname){.name = sl_arena_strdup(ast->arena, v->name), .loc = v->loc};
	ast->ifnames = names;
	return ++ast->nifnames;
}

bool sl_check_ifname_match(struct sl_diag *d, unsigned hooks, const struct sl_ast_match *m)
{
	unsigned in = SL_HOOK_BIT(SL_HOOK_XDP) | SL_HOOK_BIT(SL_HOOK_TC_INGRESS) |
		      SL_HOOK_BIT(SL_HOOK_CGROUP_INGRESS);
	unsigned wrong = hooks & (is_output(m->ifword) ? in : ~in) & SL_HOOKS_ALL;

	if (wrong) {
		enum sl_hook h = (enum sl_hook)__builtin_ctz(wrong);

		sl_error(d, m->field_loc, "'meta %s' is not available on hook '%s': %s",
			 word_of(m->ifword), sl_hook_name(h),
			 is_output(m->ifword) ? "its packets arrive, they have no output interface"
					      : "its packets leave, they have no input interface");
		sl_hint(d, m->field_loc, "on hook '%s' write 'meta %s'", sl_hook_name(h),
			is_output(m->ifword) ? (m->ifword == SL_AST_IF_OIF ? "iif" : "iifname")
					     : (m->ifword == SL_AST_IF_IIF ? "oif" : "oifname"));
		return false;
	}
	if (m->value->kind == SL_AST_VAL_SETREF || m->nconcat) {
		sl_error(d, m->value->loc,
			 "'meta %s' cannot be looked up in a named set: write the names in "
			 "braces, { \"eth0\", \"eth1\" }",
			 word_of(m->ifword));
		return false;
	}
	return true;
}

void sl_check_ifname_required(struct sl_ast *ast, const struct sl_ast_match *m)
{
	if (m->ifword != SL_AST_IF_IIF && m->ifword != SL_AST_IF_OIF)
		return;
	for (uint32_t i = 0; i < m->nranges; i++)
		for (sl_u128 k = m->ranges[i].lo; k <= m->ranges[i].hi && k <= ast->nifnames; k++)
			if (k)
				ast->ifnames[k - 1].required = true;
}
