/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `limit ...` and `log ...`: the grammar hands their arguments over as a
 * list of words (build_limit.c reads them), so that their small sub-language
 * (rates, units, keys, durations) needs no tokens of its own.
 */
#pragma once

#include "common/util.h"
#include "parser/parse_ctx.h"

enum sl_word_kind {
	SL_WORD_NAME,	/* a name, or `5/second`, `bytes/second`, `1s`, `saddr/64` */
	SL_WORD_STRING, /* "text" */
	SL_WORD_NUMBER,
	SL_WORD_DOT,
	SL_WORD_BAD, /* a number the scanner already reported */
};

struct sl_word {
	enum sl_word_kind kind;
	const char *text; /* NAME, STRING, DOT */
	sl_u128 num;	  /* NUMBER */
	struct sl_loc loc;
	struct sl_word *next;
	struct sl_word *last; /* of the list this word starts */
};

struct sl_yyltype;
struct sl_word *sl_word(struct sl_parse_ctx *ctx, enum sl_word_kind kind, const char *text,
			sl_u128 num, const struct sl_yyltype *loc);
struct sl_word *sl_words_cat(struct sl_word *a, struct sl_word *b);
void sl_build_limit(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc, struct sl_word *w);
void sl_build_log(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc, struct sl_word *w);
