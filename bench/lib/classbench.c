// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classbench.h"
#include "output.h"
#include "common/util.h"

/* A cursor over one line of a ClassBench file, for parsing with located errors. */
struct cb_cursor {
	const char *text;
	size_t len, pos;
	uint32_t file, line;
	struct sl_diag *diag;
};

static struct sl_loc cursor_loc(const struct cb_cursor *c, size_t len)
{
	return (struct sl_loc){c->file, c->line, (uint32_t)c->pos + 1, (uint32_t)len};
}

static void skip_blanks(struct cb_cursor *c)
{
	while (c->pos < c->len &&
	       (c->text[c->pos] == ' ' || c->text[c->pos] == '\t' || c->text[c->pos] == '\r'))
		c->pos++;
}

static bool at_end(struct cb_cursor *c)
{
	skip_blanks(c);
	return c->pos >= c->len;
}

static int expect_char(struct cb_cursor *c, char ch, const char *what)
{
	skip_blanks(c);
	if (c->pos < c->len && c->text[c->pos] == ch) {
		c->pos++;
		return 0;
	}
	sl_error(c->diag, cursor_loc(c, 1), "expected '%c' %s", ch, what);
	return -EINVAL;
}

/* An unsigned number, decimal or 0x-hex, at most `max`. */
static int parse_number(struct cb_cursor *c, uint64_t max, const char *what, uint64_t *out)
{
	size_t start, digits = 0;
	unsigned base = 10;
	uint64_t v = 0;
	bool overflow = false;

	skip_blanks(c);
	start = c->pos;
	if (c->pos + 1 < c->len && c->text[c->pos] == '0' &&
	    (c->text[c->pos + 1] == 'x' || c->text[c->pos + 1] == 'X')) {
		base = 16;
		c->pos += 2;
	}
	for (; c->pos < c->len; c->pos++, digits++) {
		char ch = c->text[c->pos];
		unsigned d;

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		else
			v = v * base + d;
	}
	if (!digits) {
		c->pos = start;
		sl_error(c->diag, cursor_loc(c, 1), "expected %s", what);
		return -EINVAL;
	}
	if (overflow || v > max) {
		size_t end = c->pos;

		c->pos = start;
		sl_error(c->diag, cursor_loc(c, end - start), "%s out of range 0-%" PRIu64, what,
			 max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_prefix(struct cb_cursor *c, const char *what, uint32_t *addr, uint8_t *len)
{
	uint64_t octet, plen;
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		if (i && expect_char(c, '.', "between address octets"))
			return -EINVAL;
		if (parse_number(c, 255, "address octet", &octet))
			return -EINVAL;
		a = a << 8 | (uint32_t)octet;
	}
	if (expect_char(c, '/', what) || parse_number(c, 32, "prefix length", &plen))
		return -EINVAL;
	*len = (uint8_t)plen;
	*addr = a & cb_prefix_mask(*len);
	return 0;
}

static int parse_range(struct cb_cursor *c, const char *what, uint16_t *lo, uint16_t *hi)
{
	size_t start;
	uint64_t a, b;

	skip_blanks(c);
	start = c->pos;
	if (parse_number(c, 65535, what, &a) || expect_char(c, ':', "between port bounds") ||
	    parse_number(c, 65535, what, &b))
		return -EINVAL;
	if (a > b) {
		size_t end = c->pos;

		c->pos = start;
		sl_error(c->diag, cursor_loc(c, end - start),
			 "empty %s range %" PRIu64 " : %" PRIu64, what, a, b);
		return -EINVAL;
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int parse_proto(struct cb_cursor *c, struct cb_rule *r)
{
	uint64_t proto, mask;
	size_t start;

	if (parse_number(c, 255, "protocol", &proto) || expect_char(c, '/', "after the protocol"))
		return -EINVAL;
	skip_blanks(c);
	start = c->pos;
	if (parse_number(c, 255, "protocol mask", &mask))
		return -EINVAL;
	if (mask != 0 && mask != 0xff) {
		size_t end = c->pos;

		c->pos = start;
		sl_error(c->diag, cursor_loc(c, end - start),
			 "protocol mask must be 0x00 (any) or 0xFF (exact)");
		return -EINVAL;
	}
	r->proto_any = mask == 0;
	r->proto = r->proto_any ? 0 : (uint8_t)proto;
	return 0;
}

static int parse_rule(struct cb_cursor *c, struct cb_rule *r)
{
	if (expect_char(c, '@', "at the start of a rule") ||
	    parse_prefix(c, "after the source address", &r->src, &r->src_len) ||
	    parse_prefix(c, "after the destination address", &r->dst, &r->dst_len) ||
	    parse_range(c, "source port", &r->sport_lo, &r->sport_hi) ||
	    parse_range(c, "destination port", &r->dport_lo, &r->dport_hi) || parse_proto(c, r))
		return -EINVAL;
	/* The flags column (and anything after it) is ignored, as every classifier does. */
	r->line = c->line;
	return 0;
}

static int parse_header(struct cb_cursor *c, struct cb_header *h)
{
	uint64_t src, dst, sport, dport, proto, flags, aimed = 0;

	if (parse_number(c, UINT32_MAX, "source address", &src) ||
	    parse_number(c, UINT32_MAX, "destination address", &dst) ||
	    parse_number(c, 65535, "source port", &sport) ||
	    parse_number(c, 65535, "destination port", &dport) ||
	    parse_number(c, 255, "protocol", &proto))
		return -EINVAL;
	if (!at_end(c) && parse_number(c, UINT32_MAX, "flags", &flags))
		return -EINVAL;
	if (!at_end(c) && parse_number(c, UINT32_MAX, "rule number", &aimed))
		return -EINVAL;
	if (!at_end(c)) {
		sl_error(c->diag, cursor_loc(c, 1), "unexpected text after the header");
		return -EINVAL;
	}
	*h = (struct cb_header){(uint32_t)src,	 (uint32_t)dst,	 (uint16_t)sport,
				(uint16_t)dport, (uint8_t)proto, (uint32_t)aimed};
	return 0;
}

typedef int (*cb_line_fn)(struct cb_cursor *c, void *ctx);

/* Call `fn` on every non-blank line; stops at the first error. */
static int for_each_line(const char *path, struct sl_sources *srcs, struct sl_diag *diag,
			 cb_line_fn fn, void *ctx)
{
	const struct sl_source *src;
	int idx, r;

	idx = sl_sources_load(srcs, path, SL_LOC_NONE);
	if (idx < 0) {
		sl_diag_plain(diag, SL_SEV_ERROR, "cannot read '%s': %s", path, strerror(-idx));
		return idx;
	}
	src = sl_sources_get(srcs, (uint32_t)idx);
	for (size_t i = 0; i < src->nlines; i++) {
		struct cb_cursor c = {.file = (uint32_t)idx, .line = (uint32_t)i + 1, .diag = diag};

		c.text = sl_source_line(src, c.line, &c.len);
		if (!c.text || at_end(&c))
			continue;
		c.pos = 0;
		r = fn(&c, ctx);
		if (r)
			return r;
	}
	return 0;
}

struct rules_ctx {
	struct cb_rules *rules;
	size_t cap, limit;
};

static int add_rule(struct cb_cursor *c, void *ctx)
{
	struct rules_ctx *rc = ctx;
	struct cb_rules *rules = rc->rules;
	struct cb_rule rule = {0};

	if (parse_rule(c, &rule))
		return -EINVAL;
	rules->total++;
	if (rc->limit && rules->n >= rc->limit)
		return 0;
	if (sl_grow((void **)&rules->v, &rc->cap, rules->n + 1, sizeof(*rules->v)))
		return -ENOMEM;
	rules->v[rules->n++] = rule;
	return 0;
}

int cb_rules_load(const char *path, size_t limit, struct sl_sources *srcs, struct sl_diag *diag,
		  struct cb_rules *out)
{
	struct rules_ctx ctx = {.rules = out, .limit = limit};
	int r;

	*out = (struct cb_rules){0};
	r = for_each_line(path, srcs, diag, add_rule, &ctx);
	if (r == -ENOMEM)
		sl_diag_plain(diag, SL_SEV_ERROR, "out of memory reading '%s'", path);
	if (r)
		cb_rules_free(out);
	return r;
}

void cb_rules_free(struct cb_rules *rules)
{
	free(rules->v);
	*rules = (struct cb_rules){0};
}

struct trace_ctx {
	struct cb_trace *trace;
	size_t cap;
};

static int add_header(struct cb_cursor *c, void *ctx)
{
	struct trace_ctx *tc = ctx;
	struct cb_header h;

	if (parse_header(c, &h))
		return -EINVAL;
	if (sl_grow((void **)&tc->trace->v, &tc->cap, tc->trace->n + 1, sizeof(h)))
		return -ENOMEM;
	tc->trace->v[tc->trace->n++] = h;
	return 0;
}

int cb_trace_load(const char *path, struct sl_sources *srcs, struct sl_diag *diag,
		  struct cb_trace *out)
{
	struct trace_ctx ctx = {.trace = out};
	int r;

	*out = (struct cb_trace){0};
	r = for_each_line(path, srcs, diag, add_header, &ctx);
	if (r == -ENOMEM)
		sl_diag_plain(diag, SL_SEV_ERROR, "out of memory reading '%s'", path);
	if (r)
		cb_trace_free(out);
	return r;
}

void cb_trace_free(struct cb_trace *trace)
{
	free(trace->v);
	*trace = (struct cb_trace){0};
}

static uint32_t pick_corner(uint32_t lo, uint32_t hi, uint64_t *state)
{
	return cb_rand_next(state) & 1 ? hi : lo;
}

int cb_trace_generate(const struct cb_rules *rules, size_t count, uint64_t seed,
		      struct cb_trace *out)
{
	uint64_t state = seed;

	*out = (struct cb_trace){0};
	if (!rules->n)
		return count ? -EINVAL : 0;
	out->v = calloc(count ? count : 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		size_t idx = cb_rand_next(&state) % rules->n;
		const struct cb_rule *r = &rules->v[idx];
		struct cb_header *h = &out->v[i];

		h->src = pick_corner(r->src, r->src | ~cb_prefix_mask(r->src_len), &state);
		h->dst = pick_corner(r->dst, r->dst | ~cb_prefix_mask(r->dst_len), &state);
		h->sport = (uint16_t)pick_corner(r->sport_lo, r->sport_hi, &state);
		h->dport = (uint16_t)pick_corner(r->dport_lo, r->dport_hi, &state);
		h->proto = r->proto_any ? (uint8_t)pick_corner(0, 255, &state) : r->proto;
		h->aimed = (uint32_t)idx;
	}
	out->n = count;
	return 0;
}

static int write_trace(FILE *f, const void *ctx)
{
	const struct cb_trace *trace = ctx;

	for (size_t i = 0; i < trace->n; i++) {
		const struct cb_header *h = &trace->v[i];

		if (fprintf(f, "%u\t%u\t%u\t%u\t%u\t0\t%u\n", h->src, h->dst, h->sport, h->dport,
			    h->proto, h->aimed) < 0)
			return -EIO;
	}
	return 0;
}

int cb_trace_write(const struct cb_trace *trace, const char *path)
{
	return cb_write_output(path, write_trace, trace);
}

bool cb_rule_satisfiable(const struct cb_rule *rule)
{
	bool ports = !cb_ports_wild(rule->sport_lo, rule->sport_hi) ||
		     !cb_ports_wild(rule->dport_lo, rule->dport_hi);

	return !ports || rule->proto_any || cb_proto_has_ports(rule->proto);
}

static bool port_in(uint16_t port, uint16_t lo, uint16_t hi)
{
	return port >= lo && port <= hi;
}

bool cb_rule_matches(const struct cb_rule *r, const struct cb_header *h)
{
	bool sport_wild = cb_ports_wild(r->sport_lo, r->sport_hi);
	bool dport_wild = cb_ports_wild(r->dport_lo, r->dport_hi);

	if ((h->src & cb_prefix_mask(r->src_len)) != r->src)
		return false;
	if ((h->dst & cb_prefix_mask(r->dst_len)) != r->dst)
		return false;
	if (!r->proto_any && h->proto != r->proto)
		return false;
	if (sport_wild && dport_wild)
		return true;
	/* A port test needs ports: only TCP and UDP packets have them. */
	if (!cb_proto_has_ports(h->proto))
		return false;
	return port_in(h->sport, r->sport_lo, r->sport_hi) &&
	       port_in(h->dport, r->dport_lo, r->dport_hi);
}

long cb_first_match(const struct cb_rules *rules, const struct cb_header *hdr)
{
	for (size_t i = 0; i < rules->n; i++) {
		if (cb_rule_matches(&rules->v[i], hdr))
			return (long)i;
	}
	return -1;
}

long cb_first_match_hinted(const struct cb_rules *rules, const struct cb_header *hdr)
{
	struct cb_rules before = {rules->v, hdr->aimed, rules->total};
	long r;

	if (hdr->aimed >= rules->n || !cb_rule_matches(&rules->v[hdr->aimed], hdr))
		return cb_first_match(rules, hdr);
	r = cb_first_match(&before, hdr);
	return r >= 0 ? r : (long)hdr->aimed;
}

int cb_family_parse(const char *text, enum cb_family *out)
{
	if (!strcmp(text, "ip4") || !strcmp(text, "ip6")) {
		*out = !strcmp(text, "ip6") ? CB_IP6 : CB_IP4;
		return 0;
	}
	return -EINVAL;
}
