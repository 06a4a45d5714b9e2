// SPDX-License-Identifier: GPL-2.0-only
/*
 * Better words for common mistakes, found by reading the statement being
 * parsed again: nftables words sluice does not have (yet), fields written
 * without their protocol, TCP flags written as a list.
 */
#include <ctype.h>
#include <string.h>

#include "build.h"
#include "parser/ifname.h"

/*
 * nftables expressions and statements with no sluice counterpart yet. Not
 * words that are sluice values too (protocol names such as esp, ah, sctp):
 * a statement with another mistake may hold those as values.
 */
static const char *const nft_words[] = {
    "iif",	  "oif",      "iifname",  "oifname",  "ct",	 "reject",   "queue",
    "masquerade", "snat",     "dnat",	  "redirect", "notrack", "mark",     "iiftype",
    "oiftype",	  "iifgroup", "oifgroup", "quota",    "meter",	 "fib",	     "rt",
    "socket",	  "osf",      "numgen",	  "jhash",    "symhash", "synproxy", "dup",
    "fwd",	  "tproxy",   "icmpx",	  "exthdr",   "nftrace", "secmark",  "ipsec",
};

/* `meta X` of nftables that sluice has not (sluice's are protocol, l4proto, length, ifindex,
 * iifname, iif, oifname, oif). */
static const char *const nft_meta[] = {
    "mark",    "iiftype",  "oiftype", "iifgroup", "oifgroup", "nfproto", "skuid",    "skgid",
    "pkttype", "priority", "cgroup",  "cpu",	  "random",   "secpath", "nftrace",  "rtclassid",
    "ibrname", "obrname",  "time",    "day",	  "hour",     "sdif",	 "sdifname", "secmark",
};

/* After these, a word is a name the policy chose, not a field. */
static const char *const name_before[] = {"jump", "goto", "table", "chain", "const"};

static bool in(const char *w, size_t n, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (strlen(list[i]) == n && !memcmp(list[i], w, n))
			return true;
	}
	return false;
}

struct word {
	size_t off, len;
};

/*
 * The words of the current statement before `end`, in order: names as the
 * scanner reads them, without numbers, addresses, $constants, strings and
 * comments. Returns how many (at most max).
 */
static size_t statement_words(const struct sl_parse_ctx *ctx, size_t end, struct word *w,
			      size_t max)
{
	const struct sl_source *src = sl_sources_get(ctx->b->srcs, ctx->file);
	const char *t = src ? src->text : "";
	/* a separator already scanned ahead ends the statement the error is in */
	size_t n = 0, i = end > ctx->stmt_start ? ctx->stmt_start : ctx->prev_stmt_start;

	if (!src)
		return 0;
	end = end < src->size ? end : src->size;
	while (i < end && n < max) {
		unsigned char c = (unsigned char)t[i];
		size_t start = i;

		if (c == '#') {
			while (i < end && t[i] != '\n')
				i++;
		} else if (c == '"') {
			for (i++; i < end && t[i] != '"' && t[i] != '\n'; i++)
				;
			i++;
		} else if (c == '$' || isdigit(c) || c == ':') {
			for (i++;
			     i < end && (isalnum((unsigned char)t[i]) || strchr("_-.:/", t[i]));
			     i++)
				;
		} else if (isalpha(c) || c == '_') {
			while (i < end &&
			       (isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '-'))
				i++;
			if (i < end && t[i] == ':') { /* an address such as fe80::1 */
				while (i < end &&
				       (isalnum((unsigned char)t[i]) || strchr(".:/", t[i])))
					i++;
				continue;
			}
			w[n++] = (struct word){start, i - start};
		} else {
			i++;
		}
	}
	return n;
}

static struct sl_loc loc_at(const struct sl_parse_ctx *ctx, size_t off, size_t len)
{
	const struct sl_source *src = sl_sources_get(ctx->b->srcs, ctx->file);
	size_t lo = 0, hi = src->nlines;

	while (hi - lo > 1) { /* the last line starting at or before off */
		size_t mid = (lo + hi) / 2;

		if (src->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return (struct sl_loc){ctx->file, (uint32_t)lo + 1, (uint32_t)(off - src->lines[lo]) + 1,
			       (uint32_t)len};
}

/* "'ct' is not supported": the words from `from` to the end of `bad`. */
static void report_unsupported(struct sl_parse_ctx *ctx, const struct word *from,
			       const struct word *bad)
{
	const char *text = sl_sources_get(ctx->b->srcs, ctx->file)->text;
	const char *b = text + bad->off;
	size_t len = bad->off + bad->len - from->off;
	struct sl_loc loc = loc_at(ctx, from->off, len);

	if (from == bad && sl_build_ifword("meta", sl_arena_strndup(ctx->b->arena, b, bad->len))) {
		/* nftables' shorthand `iif eth0`: sluice has the long form only */
		sl_error(ctx->b->diag, loc, "'%.*s' is written 'meta %.*s' in sluice", (int)len,
			 text + from->off, (int)len, text + from->off);
		return;
	}
	sl_error(ctx->b->diag, loc, "'%.*s' is not supported by sluice (yet)", (int)len,
		 text + from->off);
	if (bad->len >= 3 && (b[0] == 'i' || b[0] == 'o') && !memcmp(b + 1, "if", 2))
		sl_hint(ctx->b->diag, loc,
			"sluice matches interfaces by name (meta iifname \"eth0\") or by index "
			"(meta ifindex N)");
}

bool sl_build_unsupported(struct sl_parse_ctx *ctx, size_t end)
{
	const struct sl_source *src = sl_sources_get(ctx->b->srcs, ctx->file);
	struct word w[64];
	size_t n = statement_words(ctx, end, w, SL_ARRAY_SIZE(w));

	for (size_t i = 0; i < n; i++) {
		const char *s = src->text + w[i].off;
		bool meta = i + 1 < n && w[i].len == 4 && !memcmp(s, "meta", 4);
		bool ct = i + 1 < n && w[i].len == 2 && !memcmp(s, "ct", 2); /* 'ct mark', ... */
		const struct word *bad = meta || ct ? &w[i + 1] : &w[i];

		if (i > 0 && in(src->text + w[i - 1].off, w[i - 1].len, name_before,
				SL_ARRAY_SIZE(name_before)))
			continue;
		/* `meta iif`: sluice's own words; only the bare nftables shorthand is wrong */
		if (i > 0 && w[i - 1].len == 4 && !memcmp(src->text + w[i - 1].off, "meta", 4))
			continue;
		if (meta ? !in(src->text + bad->off, bad->len, nft_meta, SL_ARRAY_SIZE(nft_meta))
			 : !in(s, w[i].len, nft_words, SL_ARRAY_SIZE(nft_words)))
			continue;
		/* `ct state` is sluice's (packet-semantics.md §10); the other `ct` keys are not */
		if (w[i].len == 2 && !memcmp(s, "ct", 2) && i + 1 < n && w[i + 1].len == 5 &&
		    !memcmp(src->text + w[i + 1].off, "state", 5))
			continue;
		if (!ctx->has_unsupported || ctx->unsupported_off != w[i].off) {
			ctx->has_unsupported = true;
			ctx->unsupported_off = w[i].off;
			report_unsupported(ctx, &w[i], bad);
		}
		return true;
	}
	return false;
}

void sl_build_syntax_hints(struct sl_parse_ctx *ctx, const struct sl_yyltype *at, const char *got)
{
	const struct sl_source *src = sl_sources_get(ctx->b->srcs, ctx->file);
	struct word w[64];
	size_t n = statement_words(ctx, at->off, w, SL_ARRAY_SIZE(w));
	struct sl_loc loc = sl_ctx_loc(ctx, at);
	const char *last;

	if (!strcmp(got, "'const'") || !strcmp(got, "'include'")) {
		sl_hint(ctx->b->diag, loc, "%s belongs at the top level, outside tables and chains",
			got);
		return;
	}
	if (!n)
		return;
	last = src->text + w[n - 1].off;
	/* `tcp flags syn,ack`: flags are joined by |, a set would mean "exactly one of" */
	if (!strcmp(got, "','")) {
		for (size_t i = 0; i + 1 < n; i++) {
			if (w[i].len == 3 && !memcmp(src->text + w[i].off, "tcp", 3) &&
			    w[i + 1].len == 5 && !memcmp(src->text + w[i + 1].off, "flags", 5)) {
				sl_hint(ctx->b->diag, loc,
					"TCP flags are joined by '|': 'tcp flags syn|ack' (a set "
					"'{ syn, ack }' means exactly one of them)");
				return;
			}
		}
		sl_hint(ctx->b->diag, loc, "a list of values is a set in braces: { 22, 80 }");
		return;
	}
	/* `dport 22`: a member without its protocol word */
	if (w[n - 1].off + w[n - 1].len <= at->off) {
		char word[32], list[160];
		size_t k = 0, count = 0;

		if (w[n - 1].len >= sizeof(word))
			return;
		memcpy(word, last, w[n - 1].len);
		word[w[n - 1].len] = '\0';
		if (n > 1) {
			/* preceded by a protocol word: `tcp dport` is a field, not this mistake */
			for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
				const struct sl_field_info *fi = sl_field_info((enum sl_field)f);

				if (strlen(fi->proto) == w[n - 2].len &&
				    !memcmp(fi->proto, src->text + w[n - 2].off, w[n - 2].len))
					return;
			}
		}
		const char *names[SL_FIELD_COUNT];

		for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
			const struct sl_field_info *fi = sl_field_info((enum sl_field)f);

			if (!strcmp(fi->member, word))
				names[count++] = fi->name;
		}
		for (size_t i = 0; i < count && k < sizeof(list); i++)
			k += (size_t)snprintf(list + k, sizeof(list) - k, "%s'%s'",
					      i == 0	       ? ""
					      : i + 1 == count ? " or "
							       : ", ",
					      names[i]);
		if (count)
			sl_hint(ctx->b->diag, loc_at(ctx, w[n - 1].off, w[n - 1].len),
				"'%s' needs its protocol: %s", word, list);
	}
}
