// SPDX-License-Identifier: GPL-2.0-only
/*
 * The words after `limit` and `log` (build_limit.h), read into a struct
 * sl_limit or sl_log of the rule being built (common/limit.h):
 *
 *   limit rate [over] N/UNIT [burst M packets] [per KEY [. KEY]...] [size S]
 *   limit rate [over] N BYTES/UNIT [burst M BYTES] [per ...] [size S]
 *   log [prefix "text"] [level LEVEL] [every DURATION]
 *
 * UNIT: second, minute, hour, day, week; BYTES: bytes, kbytes, mbytes;
 * KEY: a field (`ip saddr`), optionally with a prefix length (`ip6 saddr/64`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/build.h"
#include "parser/build_limit.h"

struct sl_word *sl_word(struct sl_parse_ctx *ctx, enum sl_word_kind kind, const char *text,
			sl_u128 num, const struct sl_yyltype *loc)
{
	struct sl_word *w = sl_arena_calloc(ctx->b->arena, 1, sizeof(*w));

	w->kind = kind;
	w->text = text ? text : "";
	w->num = num;
	w->loc = sl_ctx_loc(ctx, loc);
	w->last = w;
	return w;
}

struct sl_word *sl_words_cat(struct sl_word *a, struct sl_word *b)
{
	a->last->next = b;
	a->last = b->last;
	return a;
}

struct reader {
	struct sl_parse_ctx *ctx;
	struct sl_word *w;
	struct sl_loc end; /* where a missing word is reported */
	bool bad;
};

static void fail(struct reader *r, struct sl_loc at, const char *msg, const char *hint)
{
	if (!r->bad) {
		sl_error(r->ctx->b->diag, at, "%s", msg);
		if (hint)
			sl_hint(r->ctx->b->diag, at, "%s", hint);
	}
	r->bad = true;
}

static struct sl_loc here(const struct reader *r)
{
	return r->w ? r->w->loc : r->end;
}

static bool is(const struct reader *r, const char *name)
{
	return r->w && r->w->kind == SL_WORD_NAME && !strcmp(r->w->text, name);
}

static bool take(struct reader *r, const char *name)
{
	if (!is(r, name))
		return false;
	r->w = r->w->next;
	return true;
}

static bool number(struct reader *r, uint64_t max, uint64_t *out, const char *what)
{
	char msg[128];

	if (!r->w || r->w->kind != SL_WORD_NUMBER) {
		snprintf(msg, sizeof(msg), "expected %s (a number)", what);
		fail(r, here(r), msg, NULL);
		return false;
	}
	if (r->w->num < 1 || r->w->num > max) {
		snprintf(msg, sizeof(msg), "%s must be between 1 and %llu", what,
			 (unsigned long long)max);
		fail(r, here(r), msg, NULL);
		return false;
	}
	*out = (uint64_t)r->w->num;
	r->w = r->w->next;
	return true;
}

static uint64_t period_ns(const char *unit)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
	    {"second", 1000000000ull},	{"minute", 60000000000ull},   {"hour", 3600000000000ull},
	    {"day", 86400000000000ull}, {"week", 604800000000000ull},
	};

	for (size_t i = 0; i < SL_ARRAY_SIZE(units); i++)
		if (!strcmp(unit, units[i].name))
			return units[i].ns;
	return 0;
}

static uint64_t byte_unit(const char *w, size_t n)
{
	if (n == 5 && !memcmp(w, "bytes", 5))
		return 1;
	if (n == 6 && !memcmp(w, "kbytes", 6))
		return 1024;
	if (n == 6 && !memcmp(w, "mbytes", 6))
		return 1024 * 1024;
	return 0;
}

/* `N/second` or `N bytes/second`: rate, period, bytes. */
static void read_rate(struct reader *r, struct sl_limit *l)
{
	const char *slash;
	uint64_t mult = 1, n;
	char *end;

	if (r->w && r->w->kind == SL_WORD_NAME && r->w->text[0] >= '0' && r->w->text[0] <= '9' &&
	    (slash = strchr(r->w->text, '/'))) {
		n = strtoull(r->w->text, &end, 10);
		l->period_ns = period_ns(slash + 1);
		if (!l->period_ns) {
			fail(r, here(r),
			     "unknown time unit: write second, minute, hour, day or week", NULL);
			return;
		}
		if (!n || n >= (1ull << 31)) {
			fail(r, here(r), "the rate must be between 1 and 2147483647", NULL);
			return;
		}
		l->rate = n;
		r->w = r->w->next;
		return;
	}
	if (!number(r, (1ull << 31) - 1, &n, "the rate"))
		return;
	slash = r->w && r->w->kind == SL_WORD_NAME ? strchr(r->w->text, '/') : NULL;
	if (slash)
		mult = byte_unit(r->w->text, (size_t)(slash - r->w->text));
	if (!slash || !mult) {
		fail(r, here(r), "expected a unit after the rate",
		     "write `10/second` (packets) or `10 kbytes/second`");
		return;
	}
	l->period_ns = period_ns(slash + 1);
	if (!l->period_ns || l->period_ns > 3600000000000ull) {
		fail(r, here(r), "byte rates are per second, minute or hour", NULL);
		return;
	}
	if (n * mult >= (1ull << 31)) {
		fail(r, here(r), "the rate must stay under 2^31 bytes per period", NULL);
		return;
	}
	l->bytes = true;
	l->rate = n * mult;
	r->w = r->w->next;
}

static void read_burst(struct reader *r, struct sl_limit *l)
{
	uint64_t n, mult = 1;

	if (!number(r, UINT32_MAX, &n, "the burst"))
		return;
	if (l->bytes) {
		mult = r->w && r->w->kind == SL_WORD_NAME
			   ? byte_unit(r->w->text, strlen(r->w->text))
			   : 0;
		if (!mult) {
			fail(r, here(r), "a byte rate's burst is in bytes, kbytes or mbytes", NULL);
			return;
		}
	} else if (!is(r, "packets")) {
		fail(r, here(r), "a packet rate's burst is in packets", "write `burst 10 packets`");
		return;
	}
	r->w = r->w->next;
	l->burst = n * mult;
}

/* `ip saddr` or `ip6 saddr/64`. */
static void read_key(struct reader *r, struct sl_limit *l)
{
	const struct sl_field_info *f;
	struct sl_word *proto = r->w, *member;
	char name[64];
	const char *slash;
	unsigned long plen = 0;

	if (!proto || proto->kind != SL_WORD_NAME || !proto->next ||
	    proto->next->kind != SL_WORD_NAME) {
		fail(r, here(r), "expected a field after 'per'", "write `per ip saddr`");
		return;
	}
	member = proto->next;
	slash = strchr(member->text, '/');
	snprintf(name, sizeof(name), "%.*s",
		 (int)(slash ? (size_t)(slash - member->text) : strlen(member->text)),
		 member->text);
	f = sl_field_lookup(proto->text, name);
	if (!f) {
		fail(r, proto->loc, "unknown field after 'per'", "write `per ip saddr`");
		return;
	}
	if (f->bits > 64 && f->bits != 128) {
		fail(r, proto->loc, "this field cannot be a meter's key", NULL);
		return;
	}
	if (l->nkeys == SL_LIMIT_MAX_KEYS) {
		fail(r, proto->loc, "a meter has at most 4 key fields", NULL);
		return;
	}
	plen = f->bits;
	if (slash) {
		char *end;

		plen = strtoul(slash + 1, &end, 10);
		if (*end || plen < 1 || plen > f->bits) {
			fail(r, member->loc,
			     "the prefix length must be between 1 and the field's bits", NULL);
			return;
		}
	}
	l->keys[l->nkeys] = f->id;
	l->key_plen[l->nkeys] = (uint8_t)plen;
	l->nkeys++;
	r->w = member->next;
}

static bool check_cap(struct reader *r, struct sl_limit *l, struct sl_loc at)
{
	if (l->burst > SL_LIMIT_CAP_MAX / l->period_ns) {
		fail(r, at,
		     "the burst is too large for the period (burst x period must stay under 2^62 "
		     "ns)",
		     NULL);
		return false;
	}
	l->cap = l->burst * l->period_ns;
	return true;
}

static bool rule_open(struct sl_parse_ctx *ctx, const struct sl_yyltype *loc, const char *what)
{
	struct sl_build *b = ctx->b;
	char hint[64];

	if (b->rule.action != SL_AST_CONTINUE) {
		sl_error(b->diag, sl_ctx_loc(ctx, loc), "'%s' after the verdict is never reached",
			 what);
		snprintf(hint, sizeof(hint), "write '%s' before the verdict", what);
		sl_hint(b->diag, sl_ctx_loc(ctx, loc), "%s", hint);
		b->rule_bad = true;
		return false;
	}
	return true;
}

void sl_build_limit(struct sl_parse_ctx *ctx, const struct sl_yyltype *yloc, struct sl_word *w)
{
	struct sl_build *b = ctx->b;
	struct sl_loc loc = sl_ctx_loc(ctx, yloc);
	struct reader r = {.ctx = ctx, .w = w, .end = loc};
	struct sl_limit *l;

	if (!rule_open(ctx, yloc, "limit"))
		return;
	if (b->rule.limit) {
		sl_error(b->diag, loc, "the rule already has a limit");
		b->rule_bad = true;
		return;
	}
	if (b->rule.counter || b->rule.log) {
		sl_error(b->diag, loc, "'limit' is a match: it goes before '%s'",
			 b->rule.counter ? "counter" : "log");
		b->rule_bad = true;
		return;
	}
	if (w)
		r.end = w->last->loc;
	l = sl_arena_calloc(b->arena, 1, sizeof(*l));
	l->loc = loc;
	if (!take(&r, "rate")) {
		fail(&r, here(&r), "expected 'rate' after 'limit'", "write `limit rate 10/second`");
		goto out;
	}
	l->over = take(&r, "over");
	read_rate(&r, l);
	if (!r.bad && take(&r, "burst"))
		read_burst(&r, l);
	if (!r.bad && !l->burst)
		l->burst = l->bytes ? l->rate : SL_LIMIT_DEFAULT_BURST;
	if (!r.bad && take(&r, "per")) {
		read_key(&r, l);
		while (!r.bad && r.w && r.w->kind == SL_WORD_DOT) {
			r.w = r.w->next;
			read_key(&r, l);
		}
	}
	if (!r.bad && take(&r, "size")) {
		uint64_t n;

		if (!l->nkeys)
			fail(&r, here(&r), "'size' is the number of a meter's keys: it needs 'per'",
			     NULL);
		else if (number(&r, SL_LIMIT_MAX_SIZE, &n, "the meter size"))
			l->size = (uint32_t)n;
	}
	if (!r.bad && l->nkeys && !l->size)
		l->size = SL_LIMIT_DEFAULT_SIZE;
	if (!r.bad && r.w)
		fail(&r, here(&r), "unexpected word in 'limit'",
		     "limit rate [over] N/second [burst M packets] [per FIELD [. FIELD]] [size N]");
	if (!r.bad)
		check_cap(&r, l, loc);
out:
	if (r.bad) {
		b->rule_bad = true;
		return;
	}
	b->rule.limit = l;
}

static const char *const levels[] = {"emerg", "alert",	"crit", "err",
				     "warn",  "notice", "info", "debug"};

/* `1s`, `500ms`, `2m`, `1h`, `1d`. */
static uint64_t duration_ns(const char *s)
{
	static const struct {
		const char *suffix;
		uint64_t ns;
	} units[] = {{"ns", 1},
		     {"us", 1000},
		     {"ms", 1000000},
		     {"s", 1000000000ull},
		     {"m", 60000000000ull},
		     {"h", 3600000000000ull},
		     {"d", 86400000000000ull}};
	char *end;
	uint64_t n = strtoull(s, &end, 10);

	if (end == s || !n || n > (1ull << 32))
		return 0;
	for (size_t i = 0; i < SL_ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].suffix))
			return n * units[i].ns;
	return 0;
}

void sl_build_log(struct sl_parse_ctx *ctx, const struct sl_yyltype *yloc, struct sl_word *w)
{
	struct sl_build *b = ctx->b;
	struct sl_loc loc = sl_ctx_loc(ctx, yloc);
	struct reader r = {.ctx = ctx, .w = w, .end = loc};
	struct sl_log *g;
	bool prefix = false, level = false;

	if (!rule_open(ctx, yloc, "log"))
		return;
	if (b->rule.log) {
		sl_error(b->diag, loc, "the rule already has a log");
		b->rule_bad = true;
		return;
	}
	g = sl_arena_calloc(b->arena, 1, sizeof(*g));
	g->loc = loc;
	g->prefix = "";
	g->level = SL_LOG_WARN;
	while (!r.bad && r.w) {
		if (!prefix && take(&r, "prefix")) {
			prefix = true;
			if (!r.w || r.w->kind != SL_WORD_STRING) {
				fail(&r, here(&r), "expected a string after 'prefix'",
				     "write `log prefix \"ssh-probe\"`");
			} else if (strlen(r.w->text) >= SL_LOG_PREFIX_MAX ||
				   strchr(r.w->text, '"') || strchr(r.w->text, '\\')) {
				fail(&r, here(&r),
				     "a log prefix has at most 63 characters, without '\"' or '\\'",
				     NULL);
			} else {
				g->prefix = r.w->text;
				r.w = r.w->next;
			}
		} else if (!level && take(&r, "level")) {
			size_t i = 0;

			level = true;
			while (r.w && i < SL_ARRAY_SIZE(levels) &&
			       (r.w->kind != SL_WORD_NAME || strcmp(r.w->text, levels[i])))
				i++;
			if (!r.w || i == SL_ARRAY_SIZE(levels)) {
				fail(&r, here(&r), "unknown log level",
				     "emerg, alert, crit, err, warn, notice, info or debug");
			} else {
				g->level = (enum sl_log_level)i;
				r.w = r.w->next;
			}
		} else if (!g->every && take(&r, "every")) {
			uint64_t ns = r.w && r.w->kind == SL_WORD_NAME ? duration_ns(r.w->text) : 0;

			if (!ns) {
				fail(&r, here(&r), "expected a duration after 'every'",
				     "write `every 1s` (ns, us, ms, s, m, h, d)");
			} else {
				g->every = true;
				g->cap = (struct sl_limit){
				    .loc = loc, .rate = 1, .period_ns = ns, .burst = 1};
				r.w = r.w->next;
			}
		} else {
			fail(&r, here(&r), "unexpected word in 'log'",
			     "log [prefix \"text\"] [level LEVEL] [every DURATION]");
		}
	}
	if (!r.bad && !g->every)
		g->cap = (struct sl_limit){.loc = loc,
					   .rate = SL_LOG_DEFAULT_RATE,
					   .period_ns = 1000000000ull,
					   .burst = SL_LOG_DEFAULT_BURST};
	if (!r.bad)
		check_cap(&r, &g->cap, loc);
	if (r.bad) {
		b->rule_bad = true;
		return;
	}
	b->rule.log = g;
}
