// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lowering keeps the meaning of every rule. Random policies go through the
 * real front end; random packets (well-formed, malformed and truncated
 * headers of every kind) go through the reference interpreter's packet
 * parser (written from lang-spec, not from the IR). For every rule and
 * packet, the checked AST's matches, read literally (a match on a field the
 * packet lacks is false), must agree with the IR's predicates -- including
 * the implied protocol predicates, the folded whole-domain ones, and rules
 * left out because they can never match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/ast.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "parser/parser.h"

static const char *const matches[] = {
    "ip saddr 10.0.0.0/8",
    "ip saddr != 10.0.0.0/8",
    "ip daddr 192.0.2.1",
    "ip saddr 0.0.0.0/0",
    "ip daddr { 10.0.0.1, 192.0.2.0/24 }",
    "ip ttl 64",
    "ip ttl 0-255",
    "ip frag later",
    "ip frag != none",
    "ip dscp ef",
    "ip length 0-65535",
    "ip protocol udp",
    "ip6 saddr 2001:db8::/32",
    "ip6 daddr ::/0",
    "ip6 daddr != ::1",
    "ip6 nexthdr tcp",
    "ip6 nexthdr 0-255",
    "ip6 hoplimit 0-255",
    "tcp dport 22",
    "tcp dport 0-65535",
    "tcp sport != 80",
    "udp dport { 53, 123 }",
    "udp sport 0-65535",
    "th dport 80",
    "th sport 0-65535",
    "th dport != 443",
    "icmp type echo-request",
    "icmp code 0-255",
    "icmpv6 type echo-reply",
    "icmpv6 code 0",
    "tcp flags & (syn|ack) == syn",
    "tcp flags syn",
    "tcp flags != syn",
    "meta l4proto tcp",
    "meta l4proto 0-255",
    "meta l4proto != udp",
    "meta protocol ip",
    "meta protocol 0-65535",
    "meta protocol != ip6",
    "ether type arp",
    "ether type 0-65535",
    "ether saddr 02:00:00:00:00:01",
    "ether daddr 00:00:00:00:00:00-ff:ff:ff:ff:ff:ff",
    "vlan id 0-4095",
    "vlan id 10",
    "meta length 0-100",
    "meta length 0-4294967295",
    "meta ifindex 1",
    /* $constants big enough for lowering to normalise once and share */
    "tcp dport $many",
    "udp dport != $many",
    "th sport $many",
    "ip saddr $nets",
    "ip daddr != $nets",
};

static const char consts[] =
    "const many = { 1, 3, 5, 7, 9, 11, 13, 15, 22, 53, 80, 123, 443, 1024-2048 }\n"
    "const nets = { 10.0.0.0/8, 10.1.0.0/16, 192.0.2.0/24, 0.0.0.1, 0.0.0.3, 0.0.0.5,\n"
    "               0.0.0.7, 0.0.0.9, 11.0.0.1 }\n";

struct rng {
	uint64_t s;
};

static uint32_t next(struct rng *r)
{
	r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(r->s >> 33);
}

static uint32_t pick(struct rng *r, uint32_t n)
{
	return next(r) % n;
}

static uint32_t from(struct rng *r, const uint32_t *pool, size_t n)
{
	return pick(r, 8) == 0 ? next(r) : pool[pick(r, (uint32_t)n)];
}

#define FROM(r, pool) from((r), (pool), SL_ARRAY_SIZE(pool))

struct buf {
	uint8_t b[256];
	size_t n;
};

static void put(struct buf *p, uint64_t v, size_t bytes)
{
	for (size_t i = 0; i < bytes && p->n < sizeof(p->b); i++)
		p->b[p->n++] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static const uint32_t ports[] = {22, 53, 80, 123, 443, 0, 65535, 1024};
static const uint32_t v4addrs[] = {0x0a000001, 0x0a010203, 0xc0000201, 0, 0xffffffff, 0x0b000001};
static const uint32_t l4protos[] = {6, 17, 1, 58, 0, 255};

static void put_l4(struct rng *r, struct buf *p, uint32_t proto)
{
	switch (proto) {
	case 6:
		put(p, FROM(r, ports), 2);
		put(p, FROM(r, ports), 2);
		put(p, next(r), 4);
		put(p, next(r), 4);
		put(p, 0x50, 1);
		put(p, pick(r, 2) ? 0x02 : next(r), 1); /* flags */
		put(p, next(r), 6);
		break;
	case 17:
		put(p, FROM(r, ports), 2);
		put(p, FROM(r, ports), 2);
		put(p, next(r), 4);
		break;
	default: /* icmp, icmpv6 and the rest: type, code, checksum */
		put(p, pick(r, 2) ? (pick(r, 2) ? 8 : 129) : next(r), 1);
		put(p, pick(r, 2) ? 0 : next(r), 1);
		put(p, 0, 2);
		break;
	}
}

static void put_ipv4(struct rng *r, struct buf *p)
{
	uint32_t ihl = pick(r, 10) ? 5 + pick(r, 2) : pick(r, 5);
	uint32_t proto = FROM(r, l4protos);
	uint32_t frag = pick(r, 3) == 0 ? (pick(r, 2) ? 0x2000 : 0x0010) : 0;

	put(p, (pick(r, 12) ? 0x40u : 0x60u) | ihl, 1);
	put(p, pick(r, 2) ? 46 << 2 : next(r), 1);
	put(p, next(r), 2);
	put(p, next(r), 2);
	put(p, frag, 2);
	put(p, pick(r, 2) ? 64 : next(r), 1);
	put(p, proto, 1);
	put(p, 0, 2);
	put(p, FROM(r, v4addrs), 4);
	put(p, FROM(r, v4addrs), 4);
	for (uint32_t i = 5; i < ihl; i++)
		put(p, 0x01010101, 4);
	put_l4(r, p, proto);
}

static void put_ipv6(struct rng *r, struct buf *p)
{
	static const uint32_t exts[] = {0, 43, 60, 44};
	uint32_t next_hdr = FROM(r, l4protos), n_ext = pick(r, 3) ? 0 : 1 + pick(r, 7);
	uint32_t first = n_ext ? exts[pick(r, 4)] : next_hdr;

	put(p, pick(r, 12) ? 0x60000000u : 0x40000000u, 4);
	put(p, 0, 2);
	put(p, first, 1);
	put(p, pick(r, 2) ? 255 : next(r), 1);
	put(p, pick(r, 2) ? 0x20010db8u : next(r), 4); /* saddr */
	put(p, next(r), 4);
	put(p, next(r), 4);
	put(p, next(r), 4);
	put(p, 0, 8); /* daddr: :: or ::1 */
	put(p, 0, 4);
	put(p, pick(r, 2), 4);
	for (uint32_t i = 0; i < n_ext; i++) {
		uint32_t nh = i + 1 < n_ext ? exts[pick(r, 4)] : next_hdr;
		bool frag = (i == 0 ? first : 44) == 44 && pick(r, 2);

		put(p, nh, 1);
		put(p, 0, 1);
		put(p, frag ? 0x0008 : 0, 2); /* for a fragment header: a non-zero offset */
		put(p, 0, 4);
	}
	put_l4(r, p, next_hdr);
}

static size_t make_packet(struct rng *r, struct buf *p)
{
	static const uint32_t types[] = {SL_ETH_P_IP, SL_ETH_P_IPV6, SL_ETH_P_ARP, 0x88cc};
	uint32_t type = FROM(r, types), tags = pick(r, 4) == 0 ? 1 + pick(r, 2) : 0;

	p->n = 0;
	put(p, pick(r, 2) ? 0 : 0xffffffffffffull, 6);
	put(p, pick(r, 2) ? 0x020000000001ull : next(r), 6);
	for (uint32_t i = 0; i < tags; i++) {
		put(p, pick(r, 2) ? SL_ETH_P_8021Q : SL_ETH_P_8021AD, 2);
		put(p, pick(r, 2) ? 10 : next(r), 2);
	}
	put(p, type, 2);
	if (type == SL_ETH_P_IP)
		put_ipv4(r, p);
	else if (type == SL_ETH_P_IPV6)
		put_ipv6(r, p);
	else
		put(p, next(r), 4);
	/* a quarter of the packets are cut short somewhere */
	return pick(r, 4) ? p->n : pick(r, (uint32_t)p->n + 1);
}

/* A checked match read literally: the packet must have the field. */
static bool ast_match(const struct sl_ast_match *m, const struct sl_interp_fields *f)
{
	sl_u128 v = f->value[m->field];
	bool in = false;

	if (!f->present[m->field])
		return false;
	switch (m->kind) {
	case SL_AST_MATCH_IN:
	case SL_AST_MATCH_NOT_IN:
		for (uint32_t i = 0; i < m->nranges; i++)
			in |= v >= m->ranges[i].lo && v <= m->ranges[i].hi;
		return m->kind == SL_AST_MATCH_IN ? in : !in;
	case SL_AST_MATCH_MASKED:
		return (v & m->mask_bits) == m->want_bits;
	default:
		return (v & m->mask_bits) != m->want_bits;
	}
}

static bool ast_rule(const struct sl_ast_rule *r, const struct sl_interp_fields *f)
{
	for (uint32_t i = 0; i < r->nmatches; i++) {
		if (!ast_match(&r->matches[i], f))
			return false;
	}
	return true;
}

static bool ir_rule(const struct sl_ir_rule *r, const struct sl_interp_fields *f)
{
	for (uint32_t i = 0; i < r->npreds; i++) {
		const struct sl_ir_pred *p = &r->preds[i];

		if (!f->present[p->field] || !sl_iset_contains(p->set, f->value[p->field]))
			return false;
	}
	return true;
}

static char *random_policy(struct rng *r, uint32_t nrules)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	fputs(consts, out);
	fputs("table t {\n\thook xdp\n\tpolicy drop\n", out);
	for (uint32_t i = 0; i < nrules; i++) {
		uint32_t n = 1 + pick(r, 3);

		fputc('\t', out);
		for (uint32_t m = 0; m < n; m++)
			fprintf(out, "%s ", matches[pick(r, SL_ARRAY_SIZE(matches))]);
		fputs("accept\n", out);
	}
	fputs("}\n", out);
	fclose(out);
	return text;
}

/* The IR rule lowered from the AST rule on `line`, or NULL when it was left out. */
static const struct sl_ir_rule *ir_rule_at(const struct sl_ir_chain *c, uint32_t line)
{
	for (uint32_t i = 0; i < c->nrules; i++) {
		if (c->rules[i].loc.line == line)
			return &c->rules[i];
	}
	return NULL;
}

static void check_policy(struct rng *r, const char *text, uint64_t *compared, uint64_t *matched)
{
	struct sl_arena *arena = sl_arena_new();
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_ast *ast;
	struct sl_ir *ir;
	FILE *devnull = fopen("/dev/null", "w");
	const struct sl_ast_chain *body;
	const struct sl_ir_rule **lowered;

	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, devnull);
	assert_int_equal(sl_parse_text("rnd.sluice", text, strlen(text), &srcs, arena, &diag, &ast),
			 0);
	assert_int_equal(sl_check(ast, &diag), 0);
	assert_int_equal(sl_ir_lower(ast, arena, &diag, &ir), 0);
	assert_int_equal(sl_ir_verify(ir, NULL, 0), 0);
	body = &ast->tables[0]->body;
	lowered = calloc(body->nrules ? body->nrules : 1, sizeof(*lowered));
	for (uint32_t i = 0; i < body->nrules; i++)
		lowered[i] = ir_rule_at(&ir->chains[0], body->rules[i].loc.line);

	for (int k = 0; k < 600; k++) {
		struct buf p;
		struct sl_interp_packet pkt = {
		    .hook = SL_HOOK_XDP, .data = p.b, .ifindex = 1 + pick(r, 2)};
		struct sl_interp_fields f;

		pkt.len = make_packet(r, &p);
		sl_interp_parse(&pkt, &f);
		for (uint32_t i = 0; i < body->nrules; i++) {
			const struct sl_ast_rule *ar = &body->rules[i];
			const struct sl_ir_rule *irr = lowered[i];
			bool want = ast_rule(ar, &f), got = irr && ir_rule(irr, &f);

			if (want != got)
				fail_msg("rnd.sluice:%u: \"%s\": AST says %d, IR says %d (packet "
					 "of %zu bytes)",
					 ar->loc.line, ar->text, want, got, pkt.len);
			(*compared)++;
			*matched += want;
		}
	}
	free(lowered);
	fclose(devnull);
	sl_sources_fini(&srcs);
	sl_arena_free(arena);
}

static void lowered_rules_mean_what_was_written(void **state)
{
	struct rng r = {20261123};
	uint64_t compared = 0, matched = 0;

	for (int round = 0; round < 60; round++) {
		char *text = random_policy(&r, 40);

		check_policy(&r, text, &compared, &matched);
		free(text);
	}
	/* the packets must exercise the rules, not only miss them */
	assert_true(matched > compared / 50);
}

/* Every single match alone, with the packets that make its presence matter. */
static void every_match_alone(void **state)
{
	struct rng r = {7};
	uint64_t compared = 0, matched = 0;

	for (size_t i = 0; i < SL_ARRAY_SIZE(matches); i++) {
		char text[1024];

		snprintf(text, sizeof(text), "%stable t {\n\thook xdp\n\t%s accept\n}\n", consts,
			 matches[i]);
		check_policy(&r, text, &compared, &matched);
	}
	assert_true(matched > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_match_alone),
	    cmocka_unit_test(lowered_rules_mean_what_was_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
