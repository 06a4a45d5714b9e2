// SPDX-License-Identifier: GPL-2.0-only
/* The importers' shared pieces: the output buffer, names, hooks, unsupported constructs. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "import/import_priv.h"
#include "lexer/literal.h"

void sl_buf_fini(struct sl_buf *b)
{
	free(b->s);
	*b = (struct sl_buf){0};
}

static void buf_need(struct sl_buf *b, size_t n)
{
	if (sl_grow((void **)&b->s, &b->cap, b->len + n + 1, 1)) {
		fprintf(stderr, "sluice: out of memory\n");
		abort();
	}
}

void sl_buf_puts(struct sl_buf *b, const char *s)
{
	size_t n = strlen(s);

	buf_need(b, n);
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

void sl_buf_printf(struct sl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_need(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static const char *const keywords[] = {"table",	  "chain",  "const", "include", "hook", "policy",
				       "counter", "accept", "drop",  "jump",	"goto", "return"};

static bool name_ok(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-'))
			return false;
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(s, keywords[i]))
			return false;
	return true;
}

/* Longer names are cut and end in a hash of the whole name (still unique): sluice's table
 * names hold at most 121 characters. */
#define IMP_NAME_MAX 100

static char *cut_name(struct sl_buf *b)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	if (b->len <= IMP_NAME_MAX)
		return b->s;
	for (size_t i = 0; i < b->len; i++)
		h = (h ^ (unsigned char)b->s[i]) * 16777619u;
	snprintf(b->s + IMP_NAME_MAX - 9, 10, "_%08x", h);
	b->len = IMP_NAME_MAX;
	return b->s;
}

char *imp_name(const char *prefix, const char *name)
{
	struct sl_buf b = {0};

	if (!prefix && name_ok(name)) {
		sl_buf_puts(&b, name);
		return cut_name(&b);
	}
	if (prefix)
		sl_buf_puts(&b, prefix);
	if (!prefix || !(isalpha((unsigned char)*name) || *name == '_'))
		sl_buf_puts(&b, prefix ? "" : "c_");
	for (const char *p = name; *p; p++)
		sl_buf_printf(&b, "%c",
			      isalnum((unsigned char)*p) || *p == '_' || *p == '-' ? *p : '_');
	if (!b.s)
		sl_buf_puts(&b, "c_");
	return cut_name(&b);
}

const char *imp_hook(const struct imp *im, const char *key1, const char *key2, const char *def)
{
	for (size_t i = 0; i < im->o->nhooks; i++) {
		const char *c = im->o->hooks[i].chain;

		if ((key1 && !strcasecmp(c, key1)) || (key2 && !strcasecmp(c, key2)))
			return im->o->hooks[i].hook;
	}
	return def;
}

bool imp_hook_sees_if(const char *hook, bool out)
{
	const char *dir = out ? " egress" : " ingress";
	size_t n = strlen(hook), d = strlen(dir);

	if (!out && !strcmp(hook, "xdp"))
		return true;
	return n > d && !strcmp(hook + n - d, dir);
}

bool imp_ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 15 || strspn(s, "0123456789") == n)
		return false;
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("/:\"\\", *p))
			return false;
	return true;
}

bool imp_addr_ok(const char *s, bool v6)
{
	struct sl_literal lit;
	char err[SL_LIT_ERR_MAX];

	return !sl_literal_parse(s, strlen(s), &lit, err) &&
	       lit.kind == (v6 ? SL_LIT_IPV6 : SL_LIT_IPV4);
}

bool imp_range_empty(const char *a, const char *b)
{
	struct sl_literal la, lb;
	char err[SL_LIT_ERR_MAX];

	return !sl_literal_parse(a, strlen(a), &la, err) &&
	       !sl_literal_parse(b, strlen(b), &lb, err) && la.kind == lb.kind && la.num > lb.num;
}

bool imp_log_prefix_ok(const char *s)
{
	if (strlen(s) > 63)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			return false;
	return true;
}

bool sl_import_hook_valid(const char *hook)
{
	static const char *const hooks[] = {"xdp", "tc ingress", "tc egress", "cgroup_skb ingress",
					    "cgroup_skb egress"};

	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (!strcmp(hook, hooks[i]))
			return true;
	return false;
}

bool imp_unsupported(struct imp *im, struct sl_loc loc, const char *what, const char *word)
{
	enum sl_severity sev = im->o->skip_unsupported ? SL_SEV_WARNING : SL_SEV_ERROR;

	if (word)
		sl_diag_report(im->diag, sev, loc,
			       "%s is not supported by sluice yet (it needs '%s')%s", what, word,
			       im->o->skip_unsupported ? ": written as a comment" : "");
	else
		sl_diag_report(im->diag, sev, loc, "%s has no sluice equivalent%s", what,
			       im->o->skip_unsupported ? ": written as a comment" : "");
	if (!im->o->skip_unsupported)
		sl_hint(im->diag, loc, "--skip-unsupported writes such rules as comments");
	return im->o->skip_unsupported;
}

void imp_comment_text(struct sl_buf *b, const char *text)
{
	for (const char *p = text; *p; p++)
		sl_buf_printf(b, "%c", (unsigned char)*p < 0x20 ? '?' : *p);
}

void imp_comment(struct imp *im, const char *indent, const char *text)
{
	const char *p = text;

	do {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		sl_buf_printf(im->out, "%s#%s", indent, n ? " " : "");
		for (size_t i = 0; i < n; i++)
			sl_buf_printf(im->out, "%c", (unsigned char)p[i] < 0x20 ? '?' : p[i]);
		sl_buf_puts(im->out, "\n");
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
}
