// SPDX-License-Identifier: GPL-2.0-only
/*
 * `ct state established,related`: the one place a list of values without
 * braces is a set (nftables writes connection states so). For every other
 * field the list stays the syntax error it was, with its hints
 * (nft_words.c): `tcp flags syn,ack` and `tcp dport 22,80` do not silently
 * become sets.
 */
#include <string.h>

#include "build.h"

void sl_build_comma_match(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc, const char *proto,
			  const struct sl_yyltype *proto_loc, const char *member,
			  const struct sl_yyltype *member_loc, int op,
			  const struct sl_yyltype *op_loc, struct sl_vlist *list,
			  const struct sl_yyltype *list_loc)
{
	if (strcmp(proto, "ct") || strcmp(member, "state")) {
		sl_build_syntax_error(ctx, &ctx->comma_at, "','", false, NULL, 0);
		return;
	}
	sl_build_match(ctx, loc, proto, proto_loc, member, member_loc, NULL, op, op_loc,
		       sl_build_compound(ctx, SL_AST_VAL_SET, list, list_loc));
}
