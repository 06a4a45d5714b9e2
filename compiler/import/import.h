/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Importers: iptables-save / ip6tables-save text and `nft -j list ruleset`
 * JSON into a sluice policy (text). Every construct either becomes sluice
 * that means what it meant in netfilter, or is refused: an error naming the
 * input line and the construct, or with skip_unsupported a warning and the
 * rule written commented out (never a rule with another meaning).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/diag.h"

/* A growing NUL-terminated string (the policy being written). */
struct sl_buf {
	char *s;
	size_t len, cap;
};

void sl_buf_fini(struct sl_buf *b);
void sl_buf_puts(struct sl_buf *b, const char *s);
void sl_buf_printf(struct sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --hook CHAIN=HOOK: CHAIN is an iptables chain, an nft hook (input) or TABLE/CHAIN. */
struct sl_import_hook {
	const char *chain;
	const char *hook; /* sluice hook text: "xdp", "tc ingress", "cgroup_skb egress" */
};

struct sl_import_opts {
	bool skip_unsupported;
	const struct sl_import_hook *hooks;
	size_t nhooks;
	/* The source's name in the output header ("rules.v4", "<stdin>"). */
	const char *name;
};

/*
 * Translate `text` (registered as file `file` of diag's sources, for
 * diagnostics with line and caret) into `out`. Returns 0, or -EINVAL when an
 * error was reported (out is then incomplete).
 */
int sl_import_iptables(const char *text, size_t len, uint32_t file, const struct sl_import_opts *o,
		       struct sl_diag *diag, struct sl_buf *out);
int sl_import_nft(const char *text, size_t len, uint32_t file, const struct sl_import_opts *o,
		  struct sl_diag *diag, struct sl_buf *out);

/* Is `hook` (e.g. "tc ingress") one sluice knows? */
bool sl_import_hook_valid(const char *hook);
