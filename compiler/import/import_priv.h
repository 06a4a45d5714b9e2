/* SPDX-License-Identifier: GPL-2.0-only */
/* What both importers share: names, hooks, the "unsupported" policy. */
#pragma once

#include <stdint.h>

#include "import/import.h"

struct imp {
	const struct sl_import_opts *o;
	struct sl_diag *diag;
	uint32_t file;
	struct sl_buf *out;
};

static inline struct sl_loc imp_loc(const struct imp *im, uint32_t line, uint32_t col, uint32_t len)
{
	return (struct sl_loc){im->file, line, col, len};
}

/* A sluice name for an outside name: itself when valid and no keyword, else sanitised. */
char *imp_name(const char *prefix, const char *name);

/* The hook chosen for a chain: --hook by any of the keys, else the default. */
const char *imp_hook(const struct imp *im, const char *key1, const char *key2, const char *def);

/* Whether a sluice hook sees the input (out false) or output interface (meta iifname/oifname). */
bool imp_hook_sees_if(const char *hook, bool out);

/* Whether s is an interface name sluice accepts (1-15 characters, no '/', ':', '"' or space, not
 * a number, no nft/iptables wildcard). */
bool imp_ifname_ok(const char *s);

/* Whether s is an address of the family (v6: IPv6, else IPv4), with an optional /len, as
 * sluice's scanner reads it: what the importers write must always check. */
bool imp_addr_ok(const char *s, bool v6);

/* For two addresses or numbers as sluice reads them: whether a-b is an empty range. */
bool imp_range_empty(const char *a, const char *b);

/* Whether s can be written as a sluice string as it is (a log prefix): at most 63 bytes,
 * no '"', '\\' or control byte. */
bool imp_log_prefix_ok(const char *s);

/*
 * A construct sluice cannot express (yet): an error, or with --skip-unsupported a
 * warning. `word` is the sluice word it waits for ("ct state"), or NULL. Returns true
 * when the import goes on (skip mode): the caller then comments the rule out.
 */
bool imp_unsupported(struct imp *im, struct sl_loc loc, const char *what, const char *word);

/* Append text for a comment: control bytes as '?' (a comment ends at a newline). */
void imp_comment_text(struct sl_buf *b, const char *text);

/* Write `line` as a comment (each line prefixed "# "), indented by `indent`. */
void imp_comment(struct imp *im, const char *indent, const char *text);
