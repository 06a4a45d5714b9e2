// SPDX-License-Identifier: GPL-2.0-only
/*
 * Random policy generator. It covers the whole language: every field on
 * every hook that can see it, single values, ranges, prefixes, sets,
 * negation, tcp flags masks, $constants, counters, chains with
 * jump/goto/return. Chains only jump forward, so the jump graph is acyclic
 * and at most max_chains deep, as the checker demands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_policy.h"

struct strbuf {
	char *s;
	size_t len, cap;
};

static void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if ((size_t)n < room) {
			b->len += n;
			return;
		}
		b->cap = (b->cap + n + 64) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

static void *xgrow(void *p, size_t n, size_t size)
{
	p = realloc(p, (n ? n : 1) * size);
	if (!p)
		abort();
	return p;
}

static void values_add(struct gen_values *v, enum sl_field f, sl_u128 x)
{
	if (x > sl_field_max(f))
		return;
	for (size_t i = 0; i < v->n[f]; i++) {
		if (v->v[f][i] == x)
			return;
	}
	if (v->n[f] == v->cap[f]) {
		v->cap[f] = v->cap[f] ? v->cap[f] * 2 : 8;
		v->v[f] = xgrow(v->v[f], v->cap[f], sizeof(sl_u128));
	}
	v->v[f][v->n[f]++] = x;
}

/* Remember an interval's edges and their neighbours, and a value inside. */
static void values_add_interval(struct gen_values *v, struct rng *r, enum sl_field f, sl_u128 lo,
				sl_u128 hi)
{
	values_add(v, f, lo);
	values_add(v, f, hi);
	if (lo > 0)
		values_add(v, f, lo - 1);
	if (hi < sl_field_max(f))
		values_add(v, f, hi + 1);
	if (hi - lo > 1)
		values_add(v, f, lo + 1 + rng_u128(r) % (hi - lo - 1));
}

static const uint64_t special_ports[] = {0, 1, 22, 53, 80, 443, 1023, 1024, 8080, 65535};
static const uint64_t special_protos[] = {0, 1, 6, 17, 58, 50, 59, 132, 255};
static const uint64_t special_ethertypes[] = {0x0800, 0x86dd, 0x0806, 0x8100,
					      0x88a8, 0x0600, 0xffff};
static const uint64_t special_lengths[] = {14, 34, 42, 54, 60, 64, 74, 100, 128};
static const uint64_t special_small[] = {0, 1, 2, 63, 64, 127, 128, 254, 255};

struct gen {
	struct rng *r;
	const struct gen_policy_opts *opts;
	struct gen_policy *p;
	/* constants: name and the field kind whose values they hold */
	enum sl_value_kind const_kind[8];
	unsigned nconst;
	bool no_names;		   /* inside a range: numbers only */
	bool plain;		   /* run-time set lines: decimal numbers, no names */
	unsigned nshared;	   /* chains s0.. shared by every table, after the tables' own */
	bool long_table;	   /* rules of a long table (gen_policy_opts.long_pct) */
	struct gen_corner *corner; /* the box of the long-table rule being written */
	/* named sets: per set its element types (as the field a value is drawn for) */
	unsigned nsets;
	unsigned set_ntypes[3];
	enum sl_field set_types[3][2];
};

static void note_corner(struct gen *g, enum sl_field f, sl_u128 lo, sl_u128 hi)
{
	struct gen_corner *c = g->corner;
	unsigned i = 0;

	if (!c)
		return;
	while (i < c->n && c->field[i] != f)
		i++;
	if (i == SL_ARRAY_SIZE(c->field))
		return;
	c->field[i] = f, c->lo[i] = lo, c->hi[i] = hi;
	c->n += i == c->n;
}

static sl_u128 pick_special(struct gen *g, enum sl_field f)
{
	const struct sl_field_info *fi = sl_field_info(f);
	const uint64_t *list;
	size_t n;

	switch (fi->kind) {
	case SL_KIND_PORT:
		list = special_ports, n = SL_ARRAY_SIZE(special_ports);
		break;
	case SL_KIND_PROTO:
		list = special_protos, n = SL_ARRAY_SIZE(special_protos);
		break;
	case SL_KIND_ETHERTYPE:
		list = special_ethertypes, n = SL_ARRAY_SIZE(special_ethertypes);
		break;
	case SL_KIND_IPV4:
		switch (rng_below(g->r, 4)) {
		case 0:
			return 0x0a000000 | rng_below(g->r, 1 << 24);
		case 1:
			return 0xc0a80100 | rng_below(g->r, 256);
		case 2:
			return 0xc0a80102;
		default:
			return 0x0a000001;
		}
	case SL_KIND_IPV6: {
		sl_u128 base = (sl_u128)0x20010db800000000ULL << 64;
		if (rng_pct(g->r, 50))
			return base | 1;
		return base | ((sl_u128)rng_below(g->r, 65536) << 64) | rng_below(g->r, 4);
	}
	case SL_KIND_MAC:
		return rng_pct(g->r, 70) ? 0x020000000001ULL + rng_below(g->r, 2)
					 : 0xffffffffffffULL;
	default:
		if (f == SL_FIELD_META_LENGTH)
			list = special_lengths, n = SL_ARRAY_SIZE(special_lengths);
		else if (f == SL_FIELD_META_IFINDEX)
			return rng_below(g->r, 3);
		else
			list = special_small, n = SL_ARRAY_SIZE(special_small);
		break;
	}
	return list[rng_below(g->r, n)] & sl_field_max(f);
}

static sl_u128 pick_value(struct gen *g, enum sl_field f)
{
	struct gen_values *v = &g->p->values;
	unsigned roll = rng_below(g->r, 100);

	if (roll < 45)
		return pick_special(g, f);
	if (roll < 75 && v->n[f])
		return v->v[f][rng_below(g->r, v->n[f])];
	if (f == SL_FIELD_META_LENGTH)
		return rng_below(g->r, 600); /* lengths packets can have */
	if (f == SL_FIELD_META_IFINDEX)
		return rng_below(g->r, 5);
	return rng_u128(g->r) & sl_field_max(f);
}

static const char *proto_name(uint64_t v)
{
	switch (v) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmpv6";
	default:
		return NULL;
	}
}

static const char *ethertype_name(uint64_t v)
{
	switch (v) {
	case 0x0800:
		return "ip";
	case 0x86dd:
		return "ip6";
	case 0x0806:
		return "arp";
	case 0x8100:
		return "vlan";
	default:
		return NULL;
	}
}

static const char *icmp_name(uint64_t v, bool v6)
{
	if (v6)
		return v == 128 ? "echo-request" : v == 129 ? "echo-reply" : NULL;
	return v == 8 ? "echo-request" : v == 0 ? "echo-reply" : NULL;
}

static const char *const frag_names[] = {"none", "first", "later"};
static const char *const flag_names[] = {"fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr"};

static void print_flags(struct strbuf *b, uint64_t bits)
{
	bool first = true;

	if (!bits) {
		sb_printf(b, "0");
		return;
	}
	for (int i = 0; i < 8; i++) {
		if (bits & (1u << i)) {
			sb_printf(b, "%s%s", first ? "" : "|", flag_names[i]);
			first = false;
		}
	}
}

/* One value as the language writes it. */
static void print_value(struct gen *g, struct strbuf *b, enum sl_field f, sl_u128 v)
{
	const struct sl_field_info *fi = sl_field_info(f);
	const char *name = NULL;
	uint64_t x = (uint64_t)v;

	switch (fi->kind) {
	case SL_KIND_IPV4:
		sb_printf(b, "%u.%u.%u.%u", (unsigned)(x >> 24), (unsigned)(x >> 16 & 255),
			  (unsigned)(x >> 8 & 255), (unsigned)(x & 255));
		return;
	case SL_KIND_IPV6:
		for (int i = 7; i >= 0; i--)
			sb_printf(b, "%x%s", (unsigned)(v >> (16 * i) & 0xffff), i ? ":" : "");
		return;
	case SL_KIND_MAC:
		for (int i = 5; i >= 0; i--)
			sb_printf(b, "%02x%s", (unsigned)(x >> (8 * i) & 0xff), i ? ":" : "");
		return;
	case SL_KIND_PROTO:
		name = proto_name(x);
		break;
	case SL_KIND_ETHERTYPE:
		name = ethertype_name(x);
		if (!name || g->no_names || rng_pct(g->r, 30)) {
			sb_printf(b, "0x%04x", (unsigned)x);
			return;
		}
		break;
	case SL_KIND_ICMP_TYPE:
	case SL_KIND_ICMP6_TYPE:
		name = icmp_name(x, fi->kind == SL_KIND_ICMP6_TYPE);
		break;
	case SL_KIND_FRAG:
		name = x < 3 ? frag_names[x] : NULL;
		break;
	case SL_KIND_TCP_FLAGS:
		if (rng_pct(g->r, 70)) {
			print_flags(b, x);
			return;
		}
		break;
	default:
		break;
	}
	if (name && !g->no_names && !g->plain && rng_pct(g->r, 60))
		sb_printf(b, "%s", name);
	else if (!g->plain && rng_pct(g->r, 15))
		sb_printf(b, "0x%llx", (unsigned long long)x);
	else
		sb_printf(b, "%llu", (unsigned long long)x);
}

static bool is_address(enum sl_value_kind k)
{
	return k == SL_KIND_IPV4 || k == SL_KIND_IPV6;
}

/* A prefix, a range or a single value: one element of a set. */
static void print_element(struct gen *g, struct strbuf *b, enum sl_field f)
{
	const struct sl_field_info *fi = sl_field_info(f);
	sl_u128 max = sl_field_max(f);
	sl_u128 v = pick_value(g, f);
	unsigned roll = rng_below(g->r, 100);

	if (fi->kind == SL_KIND_FRAG)
		v %= 3;
	if (rng_pct(g->r, g->long_table ? 1 : 3) && fi->kind != SL_KIND_TCP_FLAGS) {
		/* the whole domain: still a test that the packet has the field */
		g->no_names = true;
		print_value(g, b, f, 0);
		if (is_address(fi->kind)) {
			sb_printf(b, "/0");
		} else {
			sb_printf(b, "-");
			print_value(g, b, f, max);
		}
		g->no_names = false;
		return;
	}
	if (is_address(fi->kind) && roll < 50) {
		unsigned len = rng_pct(g->r, 60)
				   ? (unsigned)rng_below(g->r, fi->bits + 1)
				   : (fi->bits == 32 ? 8 * (unsigned)rng_range(g->r, 1, 4)
						     : 16 * (unsigned)rng_range(g->r, 1, 8));
		if (g->long_table && len < fi->bits / 2)
			len = fi->bits - len; /* long tables: mostly specific prefixes */
		sl_u128 host = len >= fi->bits ? 0 : (max >> len);
		if (len == 0)
			len = 1 + rng_below(g->r, fi->bits); /* /0 is the whole domain */
		host = len >= fi->bits ? 0 : (max >> len);
		v &= ~host;
		print_value(g, b, f, v);
		sb_printf(b, "/%u", len);
		values_add_interval(&g->p->values, g->r, f, v, v | host);
		note_corner(g, f, v, v | host);
		return;
	}
	if (fi->kind != SL_KIND_FRAG && fi->kind != SL_KIND_TCP_FLAGS && roll < 75) {
		/* mostly narrow ranges: wide ones in wide domains match everything */
		unsigned shape = rng_below(g->r, g->long_table ? 80 : 100);
		sl_u128 w = shape < 50	 ? v + rng_below(g->r, 17)
			    : shape < 80 ? v + rng_below(g->r, 1025)
					 : pick_value(g, f);
		if (w > max)
			w = max;
		sl_u128 lo = v < w ? v : w, hi = v < w ? w : v;
		if (lo == hi && hi < max)
			hi++;
		g->no_names = true;
		print_value(g, b, f, lo);
		sb_printf(b, "-");
		print_value(g, b, f, hi);
		g->no_names = false;
		values_add_interval(&g->p->values, g->r, f, lo, hi);
		note_corner(g, f, lo, hi);
		return;
	}
	print_value(g, b, f, v);
	values_add_interval(&g->p->values, g->r, f, v, v);
	note_corner(g, f, v, v);
}

static void print_set(struct gen *g, struct strbuf *b, enum sl_field f)
{
	/* now and then a set big enough for a table search (emit/codegen_set.c) */
	unsigned n = rng_pct(g->r, 4) ? rng_range(g->r, 24, 64) : rng_range(g->r, 1, 5);

	sb_printf(b, "{ ");
	for (unsigned i = 0; i < n; i++) {
		if (i)
			sb_printf(b, ", ");
		print_element(g, b, f);
	}
	sb_printf(b, " }");
}

/* `tcp flags & (syn|ack) == syn` and friends. */
static void print_flags_match(struct gen *g, struct strbuf *b)
{
	uint64_t mask = rng_range(g->r, 1, 255), want = rng_next(g->r) & mask;

	if (rng_pct(g->r, 40))
		mask = rng_pct(g->r, 50) ? 0x12 : 0x17, want = rng_pct(g->r, 50) ? 0x02 : 0x10;
	want &= mask;
	sb_printf(b, "tcp flags & ");
	if (rng_pct(g->r, 50)) {
		sb_printf(b, "(");
		print_flags(b, mask);
		sb_printf(b, ")");
	} else {
		sb_printf(b, "0x%02llx", (unsigned long long)mask);
	}
	sb_printf(b, rng_pct(g->r, 60) ? " == " : " != ");
	print_flags(b, want);
	for (int i = 0; i < 4; i++)
		values_add(&g->p->values, SL_FIELD_TCP_FLAGS,
			   want | (rng_next(g->r) & ~mask & 0xff));
	values_add(&g->p->values, SL_FIELD_TCP_FLAGS, want ^ (mask & -mask));
}

static void print_match(struct gen *g, struct strbuf *b, enum sl_field f)
{
	const struct sl_field_info *fi = sl_field_info(f);

	if (f == SL_FIELD_TCP_FLAGS && rng_pct(g->r, 50)) {
		print_flags_match(g, b);
		return;
	}
	sb_printf(b, "%s ", fi->name);
	unsigned op = rng_below(g->r, 100);
	if (g->long_table)
		op = op < 25 ? 100 : op; /* no != (most would match almost anything) */
	if (op < 25)
		sb_printf(b, "!= ");
	else if (op < 40)
		sb_printf(b, "== ");

	for (unsigned i = 0; i < g->nconst; i++) {
		if (g->const_kind[i] == fi->kind && rng_pct(g->r, 25)) {
			sb_printf(b, "$k%u", i);
			return;
		}
	}
	if (rng_pct(g->r, g->long_table ? 8 : 30))
		print_set(g, b, f);
	else
		print_element(g, b, f);
}

/* ClassBench's fields: IPv4 addresses, protocol, TCP/UDP (or either) ports. */
static size_t pick_five_tuple(struct gen *g, enum sl_hook hook, enum sl_field *out, size_t max)
{
	static const enum sl_field ports[][2] = {
	    {SL_FIELD_TCP_SPORT, SL_FIELD_TCP_DPORT},
	    {SL_FIELD_UDP_SPORT, SL_FIELD_UDP_DPORT},
	    {SL_FIELD_TH_SPORT, SL_FIELD_TH_DPORT},
	};
	const enum sl_field *l4 = ports[rng_below(g->r, 3)];
	enum sl_field pool[] = {SL_FIELD_IP_SADDR, SL_FIELD_IP_DADDR, SL_FIELD_IP_PROTOCOL, l4[0],
				l4[1]};
	/* two fields or more: one alone (`ip protocol 6`) would cover much of what follows */
	size_t want = rng_range(g->r, max < 2 ? max : 2, max < 5 ? max : 5), n = 0;

	/* a random subset, in the pool's order (as ClassBench writes them) */
	for (size_t i = 0; i < SL_ARRAY_SIZE(pool) && n < want; i++) {
		if (rng_below(g->r, SL_ARRAY_SIZE(pool) - i) < want - n &&
		    (sl_field_info(pool[i])->hooks & SL_HOOK_BIT(hook)))
			out[n++] = pool[i];
	}
	return n;
}

/* Fields a rule tests, chosen around one protocol stack so rules can match. */
static size_t pick_fields(struct gen *g, enum sl_hook hook, enum sl_field *out, size_t max)
{
	static const enum sl_field l3_ip[] = {
	    SL_FIELD_IP_SADDR,	SL_FIELD_IP_DADDR, SL_FIELD_IP_PROTOCOL, SL_FIELD_IP_TTL,
	    SL_FIELD_IP_LENGTH, SL_FIELD_IP_DSCP,  SL_FIELD_IP_FRAG};
	static const enum sl_field l3_ip6[] = {SL_FIELD_IP6_SADDR, SL_FIELD_IP6_DADDR,
					       SL_FIELD_IP6_NEXTHDR, SL_FIELD_IP6_HOPLIMIT,
					       SL_FIELD_IP6_FRAG};
	static const enum sl_field l4[][3] = {
	    {SL_FIELD_TCP_SPORT, SL_FIELD_TCP_DPORT, SL_FIELD_TCP_FLAGS},
	    {SL_FIELD_UDP_SPORT, SL_FIELD_UDP_DPORT, SL_FIELD_UDP_DPORT},
	    {SL_FIELD_TH_SPORT, SL_FIELD_TH_DPORT, SL_FIELD_TH_DPORT},
	    {SL_FIELD_ICMP_TYPE, SL_FIELD_ICMP_CODE, SL_FIELD_ICMP_TYPE},
	    {SL_FIELD_ICMP6_TYPE, SL_FIELD_ICMP6_CODE, SL_FIELD_ICMP6_TYPE},
	};
	static const enum sl_field other[] = {SL_FIELD_META_PROTOCOL, SL_FIELD_META_L4PROTO,
					      SL_FIELD_META_LENGTH,   SL_FIELD_META_IFINDEX,
					      SL_FIELD_ETHER_SADDR,   SL_FIELD_ETHER_DADDR,
					      SL_FIELD_ETHER_TYPE,    SL_FIELD_VLAN_ID};
	unsigned stack = rng_below(g->r, 3); /* any, IPv4, IPv6 */
	unsigned l4i = rng_below(g->r, 6);   /* 5: none */
	size_t n = 0, want = rng_pct(g->r, 6) ? 0 : rng_range(g->r, 1, max);

	if (g->long_table && rng_pct(g->r, 95))
		return pick_five_tuple(g, hook, out, max);
	if (g->long_table && !want)
		want = 1; /* a long table of catch-alls would be a short one */

	if (l4i == 3)
		stack = 1;
	if (l4i == 4)
		stack = 2;
	for (size_t tries = 0; n < want && tries < 20; tries++) {
		enum sl_field f;
		unsigned roll = rng_below(g->r, 100);

		if (roll < 35 && l4i < 5)
			f = l4[l4i][rng_below(g->r, 3)];
		else if (roll < 65 && stack == 1)
			f = l3_ip[rng_below(g->r, SL_ARRAY_SIZE(l3_ip))];
		else if (roll < 65 && stack == 2)
			f = l3_ip6[rng_below(g->r, SL_ARRAY_SIZE(l3_ip6))];
		else if (roll < 90)
			f = other[rng_below(g->r, SL_ARRAY_SIZE(other))];
		else
			/* anything, contradictions too; not `ct state`, whose flows tests/ct
			 * generates (the stream of fields stays what it was before it) */
			f = rng_below(g->r, SL_FIELD_CT_STATE);
		if (!(sl_field_info(f)->hooks & SL_HOOK_BIT(hook)))
			continue;
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= out[i] == f;
		if (dup && !rng_pct(g->r, 5))
			continue;
		out[n++] = f;
	}
	return n;
}

static char *sb_take(struct strbuf *b)
{
	char *s = b->s ? b->s : xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

/* `limit ...` and/or `log ...`: small rates and bursts, so that the packets' clock crosses them. */
static char *gen_stateful(struct gen *g)
{
	static const char *const units[] = {"second", "minute"};
	static const char *const keys[] = {"ip saddr", "ip6 saddr/64", "ip saddr . udp dport",
					   "tcp dport", "ether saddr"};
	struct strbuf b = {0};
	unsigned roll = (unsigned)rng_below(g->r, 100);

	if (roll < 80) {
		sb_printf(&b, "limit rate %s", rng_pct(g->r, 30) ? "over " : "");
		if (rng_pct(g->r, 20))
			sb_printf(&b, "%u bytes/second burst %u bytes",
				  50 + (unsigned)rng_below(g->r, 2000),
				  60 + (unsigned)rng_below(g->r, 3000));
		else
			sb_printf(&b, "%u/%s burst %u packets", 1 + (unsigned)rng_below(g->r, 50),
				  units[rng_below(g->r, 2)], 1 + (unsigned)rng_below(g->r, 6));
		if (rng_pct(g->r, 40))
			sb_printf(&b, " per %s", keys[rng_below(g->r, SL_ARRAY_SIZE(keys))]);
	}
	if (roll >= 60)
		sb_printf(&b, "%slog prefix \"p%u\"%s", roll < 80 ? " " : "",
			  (unsigned)rng_below(g->r, 100), rng_pct(g->r, 50) ? " every 1ms" : "");
	return sb_take(&b);
}
static char *set_match(struct gen *g, enum sl_hook hook);

static void gen_rule(struct gen *g, struct gen_block *blk, size_t self, size_t first_chain,
		     size_t nchains, struct gen_rule *rule)
{
	enum sl_field fields[8];
	size_t n = pick_fields(g, blk->hook, fields, g->opts->max_matches);
	struct strbuf b = {0};
	struct gen_values *v = &g->p->values;

	if (g->long_table) {
		if (v->ncorners == v->ccorners) {
			v->ccorners = v->ccorners ? 2 * v->ccorners : 64;
			v->corners = xgrow(v->corners, v->ccorners, sizeof(*v->corners));
		}
		g->corner = &v->corners[v->ncorners++];
		g->corner->n = 0;
	}
	rule->matches = xgrow(NULL, n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		print_match(g, &b, fields[i]);
		rule->matches[i] = sb_take(&b);
	}
	g->corner = NULL;
	rule->nmatches = n;
	/*
	 * A few rules of a long table test a set or have a limit/log (only with
	 * --sets/--limits: the other streams stay as they were): the decision
	 * tree's scratch, the set keys and the limits' slots in one program.
	 */
	bool mixed = g->long_table && (g->nsets || g->opts->limit_pct) && rng_pct(g->r, 4);
	if (g->nsets && (mixed || (!g->long_table && rng_pct(g->r, 35)))) {
		char *m = set_match(g, blk->hook);

		if (m) {
			rule->matches = xgrow(rule->matches, n + 1, sizeof(char *));
			rule->matches[rule->nmatches++] = m;
		}
	}
	rule->counter = rng_pct(g->r, 25);
	rule->stateful = NULL;
	if (g->opts->limit_pct && (mixed || (!g->long_table && rng_pct(g->r, g->opts->limit_pct))))
		rule->stateful = gen_stateful(g);

	/*
	 * Legal targets: the table's own chains after this block, and shared
	 * chains (after this one, for a shared chain): the graph stays acyclic.
	 */
	size_t lo = blk->is_table ? first_chain : self + 1, hi = first_chain + nchains;
	unsigned shared_from = 0;
	if (blk->name[0] == 's') {
		shared_from = (unsigned)atoi(blk->name + 1) + 1;
		lo = hi = 0;
	}
	size_t ntargets =
	    (hi > lo ? hi - lo : 0) + (g->nshared > shared_from ? g->nshared - shared_from : 0);
	unsigned roll = rng_below(g->r, 100);
	if (g->long_table) {
		/* one long run of accept/drop rules, and a few that only count (inside the run) */
		if (rule->counter && roll < 12)
			rule->action = NULL;
		else
			rule->action = xstrdup(roll < 50 ? "accept" : "drop");
		return;
	}
	if (roll < 12 && ntargets) {
		size_t k = rng_below(g->r, ntargets);
		const char *verb = rng_pct(g->r, 60) ? "jump" : "goto";
		if (k < (hi > lo ? hi - lo : 0))
			sb_printf(&b, "%s %s", verb, g->p->blocks[lo + k].name);
		else
			sb_printf(&b, "%s s%zu", verb, shared_from + k - (hi > lo ? hi - lo : 0));
		rule->action = sb_take(&b);
	} else if (roll < 17) {
		rule->action = xstrdup("return");
	} else if (roll < 55) {
		rule->action = xstrdup("accept");
	} else if (roll < 90 || !rule->counter) {
		rule->action = xstrdup("drop");
	} else {
		rule->action = NULL; /* counter only */
	}
}

static void gen_consts(struct gen *g)
{
	static const struct {
		enum sl_field field;
	} kinds[] = {{SL_FIELD_TCP_DPORT}, {SL_FIELD_IP_SADDR}, {SL_FIELD_IP6_DADDR}};
	unsigned n = rng_below(g->r, 4);
	struct strbuf b = {0};

	g->p->consts = xgrow(NULL, n, sizeof(char *));
	for (unsigned i = 0; i < n; i++) {
		enum sl_field f = kinds[rng_below(g->r, SL_ARRAY_SIZE(kinds))].field;

		sb_printf(&b, "const k%u = ", i);
		print_set(g, &b, f);
		/* the values belong to every field of that kind */
		g->const_kind[i] = sl_field_info(f)->kind;
		g->p->consts[i] = sb_take(&b);
	}
	g->nconst = n;
	g->p->nconsts = n;
	/* spread the values over the sibling fields */
	for (enum sl_field f = 0; f < SL_FIELD_COUNT; f++) {
		for (unsigned i = 0; i < n; i++) {
			enum sl_field src = kinds[0].field;
			if (g->const_kind[i] == SL_KIND_IPV4)
				src = SL_FIELD_IP_SADDR;
			else if (g->const_kind[i] == SL_KIND_IPV6)
				src = SL_FIELD_IP6_DADDR;
			if (sl_field_info(f)->kind != g->const_kind[i] || f == src)
				continue;
			for (size_t k = 0; k < g->p->values.n[src]; k++)
				values_add(&g->p->values, f, g->p->values.v[src][k]);
		}
	}
}

/* Named sets' shapes: the fields their values are drawn for, and the type names. */
static const struct {
	unsigned n;
	enum sl_field f[2];
	const char *type;
} set_shapes[] = {
    {1, {SL_FIELD_IP_SADDR}, "ipv4_addr"},
    {1, {SL_FIELD_IP6_SADDR}, "ipv6_addr"},
    {1, {SL_FIELD_TCP_DPORT}, "inet_service"},
    {1, {SL_FIELD_META_L4PROTO}, "inet_proto"},
    {1, {SL_FIELD_ETHER_SADDR}, "ether_addr"},
    {2, {SL_FIELD_IP_SADDR, SL_FIELD_TCP_DPORT}, "ipv4_addr . inet_service"},
    {2, {SL_FIELD_IP6_DADDR, SL_FIELD_TCP_DPORT}, "ipv6_addr . inet_service"},
    {2, {SL_FIELD_META_L4PROTO, SL_FIELD_TCP_DPORT}, "inet_proto . inet_service"},
    {2, {SL_FIELD_TCP_DPORT, SL_FIELD_IP_DADDR}, "inet_service . ipv4_addr"},
};

/* Every field of f's kind gets the interval's edges (packets aim there). */
static void values_add_kind(struct gen *g, enum sl_field f, sl_u128 lo, sl_u128 hi)
{
	for (enum sl_field k = 0; k < SL_FIELD_COUNT; k++)
		if (sl_field_info(k)->kind == sl_field_info(f)->kind &&
		    sl_field_info(k)->bits == sl_field_info(f)->bits)
			values_add_interval(&g->p->values, g->r, k, lo, hi);
}

/* One field of an element: a value, or (ranged) a prefix or range. */
static void print_set_field(struct gen *g, struct strbuf *b, enum sl_field f, bool ranged)
{
	const struct sl_field_info *fi = sl_field_info(f);
	sl_u128 max = sl_field_max(f), lo = pick_value(g, f), hi = lo;

	if (ranged && rng_pct(g->r, 60)) {
		if ((fi->kind == SL_KIND_IPV4 || fi->kind == SL_KIND_IPV6) && rng_pct(g->r, 60)) {
			unsigned plen = (unsigned)rng_range(g->r, fi->bits / 4, fi->bits);
			sl_u128 host =
			    plen == fi->bits ? 0 : (((sl_u128)1 << (fi->bits - plen)) - 1);

			lo &= ~host;
			hi = lo | host;
			print_value(g, b, f, lo);
			sb_printf(b, "/%u", plen);
			values_add_kind(g, f, lo, hi);
			return;
		}
		hi = lo + rng_u128(g->r) % (rng_pct(g->r, 50) ? 16 : 5000);
		if (hi > max || hi < lo)
			hi = max;
		g->no_names = true;
		print_value(g, b, f, lo);
		sb_printf(b, "-");
		print_value(g, b, f, hi);
		g->no_names = false;
		values_add_kind(g, f, lo, hi);
		return;
	}
	g->no_names = true; /* run-time lines: numbers (sluice/set_text.h reads names too) */
	print_value(g, b, f, lo);
	g->no_names = false;
	values_add_kind(g, f, lo, hi);
}

/* n elements of set i, ", "-separated (policy) or one per "#@set" line (run time). */
static void print_set_elements(struct gen *g, struct strbuf *b, unsigned i, bool interval,
			       unsigned n, const char *line_prefix)
{
	g->plain = line_prefix != NULL;
	for (unsigned e = 0; e < n; e++) {
		if (line_prefix)
			sb_printf(b, "%s", line_prefix);
		else if (e)
			sb_printf(b, ", ");
		for (unsigned k = 0; k < g->set_ntypes[i]; k++) {
			if (k)
				sb_printf(b, " . ");
			print_set_field(g, b, g->set_types[i][k],
					interval && k == g->set_ntypes[i] - 1);
		}
		if (line_prefix)
			sb_printf(b, "\n");
	}
	g->plain = false;
}

static void gen_sets(struct gen *g)
{
	struct strbuf b = {0};
	unsigned n;

	if (!g->opts->sets_pct || !rng_pct(g->r, g->opts->sets_pct))
		return;
	n = (unsigned)rng_range(g->r, 1, 3);
	g->p->sets = xgrow(NULL, n, sizeof(char *));
	g->p->set_runtime = xgrow(NULL, n, sizeof(char *));
	for (unsigned i = 0; i < n; i++) {
		unsigned shape = (unsigned)rng_below(g->r, SL_ARRAY_SIZE(set_shapes));
		bool interval = rng_pct(g->r, 50), timeout = rng_pct(g->r, 15);
		unsigned nelems = rng_pct(g->r, 12) ? 0 : (unsigned)rng_range(g->r, 1, 6);
		bool runtime = rng_pct(g->r, 50);

		g->set_ntypes[i] = set_shapes[shape].n;
		memcpy(g->set_types[i], set_shapes[shape].f, sizeof(g->set_types[i]));
		sb_printf(&b, "set s%u {\n\ttype %s\n", i, set_shapes[shape].type);
		if (interval || timeout)
			sb_printf(&b, "\tflags %s%s%s\n", interval ? "interval" : "",
				  interval && timeout ? ", " : "", timeout ? "timeout" : "");
		/* room for any element's prefixes (at most 254 each); tiny when it stays empty */
		if (!nelems || rng_pct(g->r, 50))
			sb_printf(&b, "\tsize %u\n",
				  nelems || runtime ? 2048u : (unsigned)rng_range(g->r, 1, 64));
		if (timeout)
			sb_printf(&b, "\ttimeout %um\n", (unsigned)rng_range(g->r, 1, 90));
		if (nelems) {
			sb_printf(&b, "\telements = { ");
			print_set_elements(g, &b, i, interval, nelems, NULL);
			sb_printf(&b, " }\n");
		}
		sb_printf(&b, "}");
		g->p->sets[i] = sb_take(&b);
		g->p->set_runtime[i] = NULL;
		if (runtime) {
			char prefix[32];

			snprintf(prefix, sizeof(prefix), "#@set s%u ", i);
			sb_printf(&b, "#@set s%u\n", i);
			print_set_elements(g, &b, i, interval,
					   (unsigned)rng_below(g->r, 2048 / 254), prefix);
			g->p->set_runtime[i] = sb_take(&b);
		}
	}
	g->nsets = n;
	g->p->nsets = n;
}

/* `FIELD [. FIELD] [!=] @sN` with fields the hook sees, or NULL. */
static char *set_match(struct gen *g, enum sl_hook hook)
{
	static const enum sl_field ports[] = {SL_FIELD_TCP_DPORT, SL_FIELD_TCP_SPORT,
					      SL_FIELD_UDP_DPORT, SL_FIELD_UDP_SPORT,
					      SL_FIELD_TH_DPORT,  SL_FIELD_TH_SPORT};
	static const enum sl_field protos[] = {SL_FIELD_META_L4PROTO, SL_FIELD_IP_PROTOCOL,
					       SL_FIELD_IP6_NEXTHDR};
	unsigned i = (unsigned)rng_below(g->r, g->nsets);
	struct strbuf b = {0};

	for (unsigned k = 0; k < g->set_ntypes[i]; k++) {
		enum sl_value_kind kind = sl_field_info(g->set_types[i][k])->kind;
		enum sl_field f;

		if (kind == SL_KIND_PORT)
			f = ports[rng_below(g->r, SL_ARRAY_SIZE(ports))];
		else if (kind == SL_KIND_PROTO)
			f = protos[rng_below(g->r, SL_ARRAY_SIZE(protos))];
		else if (kind == SL_KIND_IPV4)
			f = rng_pct(g->r, 50) ? SL_FIELD_IP_SADDR : SL_FIELD_IP_DADDR;
		else if (kind == SL_KIND_IPV6)
			f = rng_pct(g->r, 50) ? SL_FIELD_IP6_SADDR : SL_FIELD_IP6_DADDR;
		else
			f = rng_pct(g->r, 50) ? SL_FIELD_ETHER_SADDR : SL_FIELD_ETHER_DADDR;
		if (!(sl_field_info(f)->hooks & SL_HOOK_BIT(hook))) {
			free(b.s);
			return NULL;
		}
		sb_printf(&b, "%s%s", k ? " . " : "", sl_field_info(f)->name);
	}
	sb_printf(&b, " %s@s%u", rng_pct(g->r, 30) ? "!= " : "", i);
	return sb_take(&b);
}

void gen_policy(struct rng *r, const struct gen_policy_opts *opts, struct gen_policy *out)
{
	struct gen g = {.r = r, .opts = opts, .p = out};
	unsigned ntables = rng_range(r, 1, opts->max_tables);

	memset(out, 0, sizeof(*out));
	gen_consts(&g);
	gen_sets(&g);

	/* blocks: each table, then its chains; shared chains last */
	g.nshared = rng_pct(r, 30) ? rng_range(r, 1, 2) : 0;
	bool big = rng_pct(r, 6);
	size_t cap = ntables * (1 + opts->max_chains) + g.nshared;
	out->blocks = xgrow(NULL, cap, sizeof(*out->blocks));
	struct strbuf b = {0};
	for (unsigned t = 0; t < ntables; t++) {
		enum sl_hook hook = rng_below(r, SL_HOOK_COUNT);
		unsigned nchains = rng_below(r, opts->max_chains + 1);
		size_t first = out->nblocks;

		sb_printf(&b, "table t%u {\n\thook %s\n", t, sl_hook_name(hook));
		if (rng_pct(r, 90))
			sb_printf(&b, "\tpolicy %s\n", rng_pct(r, 50) ? "accept" : "drop");
		out->blocks[out->nblocks] =
		    (struct gen_block){sb_take(&b), "", true, hook, NULL, 0};
		snprintf(out->blocks[out->nblocks++].name, 32, "t%u", t);
		for (unsigned c = 0; c < nchains; c++) {
			sb_printf(&b, "chain t%u_c%u {\n", t, c);
			out->blocks[out->nblocks] =
			    (struct gen_block){sb_take(&b), "", false, hook, NULL, 0};
			snprintf(out->blocks[out->nblocks++].name, 32, "t%u_c%u", t, c);
		}
		for (size_t i = first; i < out->nblocks; i++) {
			struct gen_block *blk = &out->blocks[i];
			/* now and then a long table: large rule counts take other code paths */
			size_t max = blk->is_table && big ? 6 * opts->max_rules : opts->max_rules;
			size_t n = rng_range(r, blk->is_table ? 1 : 0, max);

			g.long_table =
			    opts->long_pct && blk->is_table && rng_pct(r, opts->long_pct);
			if (g.long_table)
				n = rng_range(r, opts->long_rules < 100 ? 1 : 100,
					      opts->long_rules);
			blk->rules = xgrow(NULL, n, sizeof(*blk->rules));
			blk->nrules = n;
			for (size_t k = 0; k < n; k++)
				gen_rule(&g, blk, i, first + 1, nchains, &blk->rules[k]);
			g.long_table = false;
		}
	}
	/* shared chains test only what every hook sees (cgroup_skb's view) */
	for (unsigned c = 0; c < g.nshared; c++) {
		size_t i = out->nblocks;
		struct gen_block *blk = &out->blocks[out->nblocks++];
		size_t n = rng_range(r, 1, opts->max_rules);

		sb_printf(&b, "chain s%u {\n", c);
		*blk = (struct gen_block){sb_take(&b), "", false, SL_HOOK_CGROUP_INGRESS, NULL, 0};
		snprintf(blk->name, sizeof(blk->name), "s%u", c);
		blk->rules = xgrow(NULL, n, sizeof(*blk->rules));
		blk->nrules = n;
		for (size_t k = 0; k < n; k++)
			gen_rule(&g, blk, i, 0, 0, &blk->rules[k]);
	}
}

char *gen_policy_text(const struct gen_policy *p)
{
	struct strbuf b = {0};

	sb_printf(&b, "# generated by tests/diff\n");
	for (size_t i = 0; i < p->nconsts; i++)
		sb_printf(&b, "%s\n", p->consts[i]);
	for (size_t i = 0; i < p->nsets; i++)
		sb_printf(&b, "%s\n%s", p->sets[i], p->set_runtime[i] ? p->set_runtime[i] : "");
	for (size_t i = 0; i < p->nblocks; i++) {
		const struct gen_block *blk = &p->blocks[i];

		sb_printf(&b, "\n%s", blk->header);
		for (size_t k = 0; k < blk->nrules; k++) {
			const struct gen_rule *rule = &blk->rules[k];

			sb_printf(&b, "\t");
			for (size_t m = 0; m < rule->nmatches; m++)
				sb_printf(&b, "%s ", rule->matches[m]);
			if (rule->stateful)
				sb_printf(&b, "%s ", rule->stateful);
			if (rule->counter)
				sb_printf(&b, "counter ");
			if (rule->action)
				sb_printf(&b, "%s", rule->action);
			if (!rule->action && !rule->counter && !rule->nmatches)
				sb_printf(&b, "counter"); /* a rule needs something */
			if (b.s[b.len - 1] == ' ')
				b.s[--b.len] = 0;
			sb_printf(&b, "\n");
		}
		sb_printf(&b, "}\n");
	}
	return sb_take(&b);
}

void gen_policy_free(struct gen_policy *p)
{
	for (size_t i = 0; i < p->nconsts; i++)
		free(p->consts[i]);
	free(p->consts);
	for (size_t i = 0; i < p->nsets; i++) {
		free(p->sets[i]);
		free(p->set_runtime[i]);
	}
	free(p->sets);
	free(p->set_runtime);
	for (size_t i = 0; i < p->nblocks; i++) {
		struct gen_block *blk = &p->blocks[i];

		for (size_t k = 0; k < blk->nrules; k++) {
			for (size_t m = 0; m < blk->rules[k].nmatches; m++)
				free(blk->rules[k].matches[m]);
			free(blk->rules[k].matches);
			free(blk->rules[k].action);
			free(blk->rules[k].stateful);
		}
		free(blk->rules);
		free(blk->header);
	}
	free(p->blocks);
	for (int f = 0; f < SL_FIELD_COUNT; f++)
		free(p->values.v[f]);
	free(p->values.corners);
	memset(p, 0, sizeof(*p));
}
