// SPDX-License-Identifier: GPL-2.0-only
/*
 * IR segments as classification problems: the tree built from a segment must
 * pick, for every packet, the payload of the first rule that matches it
 * (predicates over interval sets, absent fields never matching, shared
 * predicates hoisted), as a direct evaluation of the IR rules does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "select/classify.h"
#include "common/util.h"
#include "../wide_random.h"

/* The fields rules test (the first one is the shared one): IPv4 and IPv6 (4 dimensions each). */
static const enum sl_field fields_ip[] = {
    SL_FIELD_META_L4PROTO, SL_FIELD_IP_SADDR,	 SL_FIELD_IP_DADDR, SL_FIELD_TH_SPORT,
    SL_FIELD_TH_DPORT,	   SL_FIELD_ETHER_SADDR, SL_FIELD_VLAN_ID,  SL_FIELD_TCP_FLAGS,
};
static const enum sl_field fields_ip6[] = {
    SL_FIELD_META_L4PROTO, SL_FIELD_IP6_SADDR, SL_FIELD_IP6_DADDR,
    SL_FIELD_TH_SPORT,	   SL_FIELD_TH_DPORT,  SL_FIELD_VLAN_ID,
};
/* Fields of all problems; the packet carries them all. */
static const enum sl_field fields[] = {
    SL_FIELD_META_L4PROTO, SL_FIELD_IP_SADDR,	 SL_FIELD_IP_DADDR, SL_FIELD_TH_SPORT,
    SL_FIELD_TH_DPORT,	   SL_FIELD_ETHER_SADDR, SL_FIELD_VLAN_ID,  SL_FIELD_TCP_FLAGS,
    SL_FIELD_IP6_SADDR,	   SL_FIELD_IP6_DADDR,
};
#define NFIELDS SL_ARRAY_SIZE(fields)

struct field_list {
	const enum sl_field *f;
	size_t n;
};
#define FIELD_LIST(a) ((struct field_list){a, SL_ARRAY_SIZE(a)})

static sl_u128 field_max(enum sl_field f)
{
	return sl_field_max(f);
}

static struct sl_iset random_set(struct sl_arena *a, enum sl_field f, uint64_t *s)
{
	struct sl_interval iv[4];
	uint32_t n = 1 + rnd(s) % 3;
	sl_u128 max = field_max(f);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t x = rnd(s) % 4 ? rnd(s) % 16 : rnd(s), y = x + rnd(s) % 8;

		if (sl_field_info(f)->bits > 64) {
			iv[i] = random_wide_interval(s);
			continue;
		}
		iv[i].lo = x & max;
		iv[i].hi = sl_max(iv[i].lo, y & max);
	}
	return sl_iset_from(a, iv, n);
}

/* n rules; every rule carries `meta l4proto` {6, 17} when `shared` (to be hoisted). */
static struct sl_ir_rule *random_rules_of(struct sl_arena *a, struct field_list fl, uint32_t n,
					  bool shared, uint64_t *s)
{
	struct sl_ir_rule *rules = sl_arena_calloc(a, n, sizeof(*rules));
	struct sl_interval l4[] = {{6, 6}, {17, 17}};

	for (uint32_t i = 0; i < n; i++) {
		struct sl_ir_rule *r = &rules[i];

		r->id = i + 5;
		r->action = rnd(s) % 2 ? SL_IR_ACCEPT : SL_IR_DROP;
		r->counter = rnd(s) % 3 == 0;
		r->preds = sl_arena_calloc(a, fl.n, sizeof(*r->preds));
		for (uint32_t k = 0; k < fl.n; k++) {
			struct sl_ir_pred *p = &r->preds[r->npreds];

			if (k == 0 && shared) {
				p->field = fl.f[k];
				p->set = sl_iset_from(a, l4, 2);
				r->npreds++;
				continue;
			}
			if (rnd(s) % 3)
				continue;
			p->field = fl.f[k];
			p->set = random_set(a, fl.f[k], s);
			r->npreds++;
		}
		/* too many boxes (address ranges cost up to 7 each): fewer predicates */
		while (!sl_cls_rule_fits(r))
			r->npreds--;
	}
	return rules;
}

static struct sl_ir_rule *random_rules(struct sl_arena *a, uint32_t n, bool shared, uint64_t *s)
{
	return random_rules_of(a, FIELD_LIST(fields_ip), n, shared, s);
}

struct packet {
	sl_u128 v[SL_FIELD_COUNT];
	bool absent[SL_FIELD_COUNT];
};

static uint32_t ir_first_match(const struct sl_ir_rule *rules, uint32_t n, const struct packet *pkt)
{
	for (uint32_t i = 0; i < n; i++) {
		bool match = true;

		for (uint32_t k = 0; k < rules[i].npreds && match; k++) {
			enum sl_field f = rules[i].preds[k].field;

			match =
			    !pkt->absent[f] && sl_iset_contains(rules[i].preds[k].set, pkt->v[f]);
		}
		if (match)
			return SL_CLS_PAYLOAD(rules[i].id, rules[i].counter ? 1u : 0u,
					      rules[i].action == SL_IR_DROP);
	}
	return SL_DT_NONE;
}

static uint32_t tree_first_match(const struct sl_cls_problem *p, const struct sl_dt *dt,
				 const struct packet *pkt)
{
	uint64_t v[SL_DT_MAX_DIMS];
	uint32_t absent = 0, box;

	for (uint32_t k = 0; k < p->nhoisted; k++) {
		enum sl_field f = p->hoisted[k]->field;

		if (pkt->absent[f] || !sl_iset_contains(p->hoisted[k]->set, pkt->v[f]))
			return SL_DT_NONE;
	}
	for (unsigned d = 0; d < p->prob.ndims; d++) {
		bool wide = sl_field_info(p->field[d])->bits > 64;

		v[d] = (uint64_t)(pkt->v[p->field[d]] >> (wide ? 32 * (3 - p->word[d]) : 0));
		if (wide)
			v[d] &= UINT32_MAX;
		if (pkt->absent[p->field[d]])
			absent |= 1u << d;
	}
	/* A carrier is present only when the packet's pinned words hold the value (classify.h). */
	for (uint32_t i = 0; i < p->npins; i++) {
		const struct sl_cls_pin *pin = &p->pin[i];

		for (unsigned w = 0; w < pin->nwords; w++)
			if ((uint32_t)(pkt->v[p->field[pin->carrier]] >> (96 - 32 * w)) !=
			    pin->value[w])
				absent |= 1u << pin->carrier;
	}
	box = sl_dt_lookup(dt, v, absent, NULL);
	return box == SL_DT_NONE ? box : sl_dt_payload(dt, box);
}

static void random_packet(const struct sl_ir_rule *rules, uint32_t n, uint64_t *s,
			  struct packet *pkt)
{
	const struct sl_ir_rule *r = &rules[rnd(s) % n];

	memset(pkt, 0, sizeof(*pkt));
	for (uint32_t k = 0; k < NFIELDS; k++) {
		enum sl_field f = fields[k];

		pkt->v[f] = rnd(s) % 2 ? rnd(s) % 24 : rnd(s) & field_max(f);
		if (sl_field_info(f)->bits > 64 && rnd(s) % 2)
			pkt->v[f] = random_address(s);
		pkt->absent[f] = rnd(s) % 12 == 0;
	}
	for (uint32_t k = 0; k < r->npreds; k++) { /* aim at a rule's corner */
		const struct sl_ir_pred *p = &r->preds[k];
		const struct sl_interval *iv = &p->set.iv[rnd(s) % p->set.n];

		if (rnd(s) % 4)
			pkt->v[p->field] = rnd(s) % 2 ? iv->lo : iv->hi;
		if (rnd(s) % 3 == 0) /* just outside */
			pkt->v[p->field] += rnd(s) % 2 ? 1 : -1;
		pkt->v[p->field] &= field_max(p->field);
	}
}

/* The tree's answer for the packet must be the payload of the IR's first match. */
static void expect_first_match(const struct sl_ir_rule *rules, uint32_t n,
			       const struct sl_cls_problem *p, const struct sl_dt *dt,
			       const struct packet *pkt, uint64_t seed, int t)
{
	uint32_t want = ir_first_match(rules, n, pkt), got = tree_first_match(p, dt, pkt);

	if (want != got)
		fail_msg("seed %lu packet %d: tree %#x, IR %#x", (unsigned long)seed, t, got, want);
}

static void segments_classify_like_first_match(void **state)
{
	for (uint64_t seed = 1; seed <= 40; seed++) {
		_cleanup_arena_ struct sl_arena *a = sl_arena_new();
		uint64_t s = seed * 7919;
		uint32_t n = 1 + seed * 13 % 300;
		bool shared = seed % 2;
		struct field_list fl = seed % 3 ? FIELD_LIST(fields_ip) : FIELD_LIST(fields_ip6);
		struct sl_ir_rule *rules = random_rules_of(a, fl, n, shared, &s);
		struct sl_cls_problem p;
		struct sl_dt_params par;
		_cleanup_dt_ struct sl_dt *dt = NULL;

		assert_int_equal(sl_cls_problem(rules, n, &p), 0);
		assert_int_equal(p.nhoisted > 0, shared);
		sl_dt_params_default(&par);
		par.binth = 1 + seed % 6;
		if (sl_dt_build(&p.prob, &par, &dt))
			fail_msg("seed %lu: build fails", (unsigned long)seed);
		for (int t = 0; t < 500; t++) {
			struct packet pkt;

			random_packet(rules, n, &s, &pkt);
			expect_first_match(rules, n, &p, dt, &pkt, seed, t);
		}
		sl_cls_problem_fini(&p);
	}
}

/*
 * Destinations inside 2001:db8::/32 (or 2001:db8:0:7::/64), some rules with
 * none: the pinned words are not dimensions, and the answer stays the IR's
 * for packets inside and outside the prefix and without the field.
 */
static void pinned_words_are_not_dimensions(void **state)
{
	static const sl_u128 base[] = {(sl_u128)0x20010db8u << 96,
				       (sl_u128)0x20010db8u << 96 | (sl_u128)7 << 64};
	unsigned built = 0;
	int err;

	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		_cleanup_arena_ struct sl_arena *a = sl_arena_new();
		uint64_t s = seed * 104729;
		unsigned pinned = 1 + seed % 2;
		sl_u128 low = ~(sl_u128)0 >> (32 * pinned), prefix = base[pinned - 1];
		uint32_t n = 2 + seed * 17 % 200;
		struct sl_ir_rule *rules =
		    random_rules_of(a, FIELD_LIST(fields_ip6), n, seed % 2, &s);
		struct sl_cls_problem p;
		_cleanup_dt_ struct sl_dt *dt = NULL;
		struct sl_dt_params par;

		/* every destination set into the prefix, rule 0 always tests one */
		for (uint32_t i = 0; i < n; i++) {
			struct sl_ir_rule *r = &rules[i];
			struct sl_ir_pred *q = NULL;
			struct sl_interval iv;

			for (uint32_t k = 0; k < r->npreds; k++)
				if (r->preds[k].field == SL_FIELD_IP6_DADDR)
					q = &r->preds[k];
			if (!q && i == 0) {
				q = &r->preds[r->npreds++];
				q->field = SL_FIELD_IP6_DADDR;
			}
			if (!q)
				continue;
			iv = random_wide_interval(&s);
			iv.lo = prefix | (iv.lo & low);
			iv.hi = prefix | (iv.hi & low);
			if (iv.lo > iv.hi)
				iv = (struct sl_interval){iv.hi, iv.lo};
			q->set = sl_iset_from(a, &iv, 1);
			/* a range is up to 7 boxes: fewer predicates */
			while (!sl_cls_rule_fits(r))
				r->npreds--;
		}
		assert_int_equal(sl_cls_problem(rules, n, &p), 0);
		for (unsigned d = 0; d < p.prob.ndims; d++)
			if (p.field[d] == SL_FIELD_IP6_DADDR && p.word[d] < pinned)
				fail_msg("seed %lu: pinned word %u is a dimension",
					 (unsigned long)seed, p.word[d]);
		sl_dt_params_default(&par);
		par.binth = 1 + seed % 6;
		par.max_leaf = 1u << 20; /* wide ranges overlap a lot: long leaves are fine here */
		err = sl_dt_build(&p.prob, &par, &dt);
		if (err ==
		    -E2BIG) { /* 11 dimensions of overlapping ranges can outgrow the tables */
			sl_cls_problem_fini(&p);
			continue;
		}
		assert_int_equal(err, 0);
		built++;
		for (int t = 0; t < 1000; t++) {
			struct packet pkt;

			random_packet(rules, n, &s, &pkt);
			if (t % 2) /* inside the prefix, where the rules are */
				pkt.v[SL_FIELD_IP6_DADDR] =
				    prefix | (pkt.v[SL_FIELD_IP6_DADDR] & low);
			expect_first_match(rules, n, &p, dt, &pkt, seed, t);
		}
		sl_cls_problem_fini(&p);
	}
	assert_true(built >= 30);
}

static void segments_end_at_non_terminal_rules(void **state)
{
	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	uint64_t s = 3;
	struct sl_ir_chain c = {.nrules = 6, .rules = random_rules(a, 6, false, &s)};

	c.rules[2].action = SL_IR_CONTINUE; /* counter-only: joins a segment */
	c.rules[2].counter = true;
	c.rules[4].action = SL_IR_JUMP;
	assert_true(sl_cls_rule_counts_only(&c.rules[2]));
	assert_int_equal(sl_cls_segment_len(&c, 0), 4);
	assert_int_equal(sl_cls_segment_len(&c, 2), 2);
	assert_int_equal(sl_cls_segment_len(&c, 3), 1);
	assert_int_equal(sl_cls_segment_len(&c, 5), 1);
	/* a segment ends with a rule that decides */
	c.rules[3].action = SL_IR_JUMP;
	assert_int_equal(sl_cls_segment_len(&c, 0), 2);
	assert_int_equal(sl_cls_segment_len(&c, 2), 0);
	/* neither counting nor deciding: ends it */
	c.rules[1].action = SL_IR_CONTINUE;
	c.rules[1].counter = false;
	assert_false(sl_cls_rule_counts_only(&c.rules[1]));
	assert_int_equal(sl_cls_segment_len(&c, 0), 1);
	/* 128-bit fields fit: four word dimensions */
	c.rules[5].preds[0].field = SL_FIELD_IP6_SADDR;
	c.rules[5].preds[0].set = sl_iset_range(a, 1, ~(sl_u128)0 - 1); /* 7 word boxes */
	c.rules[5].npreds = 1;
	assert_true(sl_cls_rule_fits(&c.rules[5]));
}

static void too_many_boxes_is_e2big(void **state)
{
	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	struct sl_interval iv[20];
	struct sl_ir_pred preds[2];
	struct sl_ir_rule r[2] = {{.action = SL_IR_ACCEPT, .npreds = 2, .preds = preds},
				  {.action = SL_IR_DROP}};
	struct sl_cls_problem p;

	for (int i = 0; i < 20; i++)
		iv[i] = (struct sl_interval){3 * i, 3 * i};
	preds[0] = (struct sl_ir_pred){.field = SL_FIELD_TH_SPORT, .set = sl_iset_from(a, iv, 20)};
	preds[1] = (struct sl_ir_pred){.field = SL_FIELD_TH_DPORT, .set = sl_iset_from(a, iv, 20)};
	assert_int_equal(sl_cls_problem(r, 2, &p), -E2BIG); /* 400 boxes */
	preds[1].set = sl_iset_from(a, iv, 10);
	assert_int_equal(sl_cls_problem(r, 2, &p), 0);
	assert_int_equal(p.prob.nboxes, 201);
	sl_cls_problem_fini(&p);
	assert_int_equal(sl_cls_problem(r, 1, &p), -E2BIG); /* all hoisted: nothing to classify */
}

/* tcp and udp ports of rules pinned to that protocol share the th dimensions, unless a
 * rule tests the th port too (found by the differential fuzzer). */
static void tcp_ports_share_th_dimension(void **state)
{
	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	struct sl_interval tcp = {6, 6}, udp = {17, 17};
	struct sl_ir_pred p0[] = {
	    {.field = SL_FIELD_META_L4PROTO, .set = sl_iset_from(a, &tcp, 1)},
	    {.field = SL_FIELD_TCP_DPORT, .set = sl_iset_range(a, 80, 80)},
	};
	struct sl_ir_pred p1[] = {
	    {.field = SL_FIELD_META_L4PROTO, .set = sl_iset_from(a, &udp, 1)},
	    {.field = SL_FIELD_UDP_DPORT, .set = sl_iset_range(a, 53, 53)},
	};
	struct sl_ir_pred p2[] = {
	    {.field = SL_FIELD_META_L4PROTO, .set = sl_iset_from(a, &tcp, 1)},
	    {.field = SL_FIELD_TCP_SPORT, .set = sl_iset_range(a, 7740, 8488)},
	    {.field = SL_FIELD_TH_SPORT, .set = sl_iset_range(a, 7736, 7742)},
	};
	struct sl_ir_rule rules[] = {
	    {.action = SL_IR_ACCEPT, .npreds = 2, .preds = p0},
	    {.action = SL_IR_DROP, .npreds = 2, .preds = p1},
	    {.action = SL_IR_DROP, .npreds = 3, .preds = p2},
	};
	struct sl_cls_problem p;
	bool th_dport = false, tcp_sport = false, th_sport = false;

	assert_int_equal(sl_cls_problem(rules, 2, &p), 0);
	assert_int_equal(p.prob.ndims, 2); /* l4proto, th dport */
	for (unsigned d = 0; d < p.prob.ndims; d++)
		th_dport |= p.field[d] == SL_FIELD_TH_DPORT;
	assert_true(th_dport);
	sl_cls_problem_fini(&p);
	assert_int_equal(sl_cls_problem(rules, 3, &p), 0);
	for (unsigned d = 0; d < p.prob.ndims; d++) {
		tcp_sport |= p.field[d] == SL_FIELD_TCP_SPORT;
		th_sport |= p.field[d] == SL_FIELD_TH_SPORT;
	}
	assert_true(tcp_sport && th_sport);
	sl_cls_problem_fini(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(segments_classify_like_first_match),
	    cmocka_unit_test(pinned_words_are_not_dimensions),
	    cmocka_unit_test(segments_end_at_non_terminal_rules),
	    cmocka_unit_test(too_many_boxes_is_e2big),
	    cmocka_unit_test(tcp_ports_share_th_dimension),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
