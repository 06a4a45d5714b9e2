// SPDX-License-Identifier: GPL-2.0-only
/* The ClassBench reader, the naive reference, the trace generator and the packet builder. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "classbench.h"
#include "packet.h"
#include "tss.h"

static const char rules_text[] =
    "@10.1.2.3/8\t192.168.1.0/24\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0200\t\n"
    "@0.0.0.0/0\t0.0.0.0/0\t1024 : 65535\t53 : 53\t0x00/0x00\t0x0000/0x0000\n"
    "@1.2.3.4/32\t5.6.7.8/32\t0 : 65535\t0 : 65535\t0x2f/0xFF\t0x0000/0x0000\n"
    "@1.2.3.4/32\t5.6.7.8/32\t0 : 65535\t10 : 20\t0x01/0xFF\t0x0000/0x0000\n"
    "\n"
    "@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\n";

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/sluice-bench-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int load_text(const char *text, size_t limit, struct cb_rules *rules, unsigned *nerrors)
{
	char *path = write_temp(text);
	struct sl_sources srcs;
	struct sl_diag diag;
	FILE *sink = fopen("/dev/null", "w");
	int r;

	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, sink);
	r = cb_rules_load(path, limit, &srcs, &diag, rules);
	*nerrors = diag.nerrors;
	sl_sources_fini(&srcs);
	fclose(sink);
	unlink(path);
	free(path);
	return r;
}

static void test_parse_rules(void **state)
{
	struct cb_rules rules;
	unsigned nerrors;

	assert_int_equal(load_text(rules_text, 0, &rules, &nerrors), 0);
	assert_int_equal(rules.n, 5);
	assert_int_equal(rules.total, 5);
	/* host bits below the prefix are cleared */
	assert_int_equal(rules.v[0].src, 0x0a000000);
	assert_int_equal(rules.v[0].src_len, 8);
	assert_int_equal(rules.v[0].dst, 0xc0a80100);
	assert_int_equal(rules.v[0].dport_lo, 80);
	assert_false(rules.v[0].proto_any);
	assert_int_equal(rules.v[0].proto, 6);
	assert_true(rules.v[1].proto_any);
	assert_int_equal(rules.v[1].sport_lo, 1024);
	assert_int_equal(rules.v[4].line, 6);
	cb_rules_free(&rules);

	assert_int_equal(load_text(rules_text, 2, &rules, &nerrors), 0);
	assert_int_equal(rules.n, 2);
	assert_int_equal(rules.total, 5);
	cb_rules_free(&rules);
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
	    "@1.2.3.4/33\t0.0.0.0/0\t0 : 1\t0 : 1\t0x06/0xFF\n",
	    "@1.2.3.256/32\t0.0.0.0/0\t0 : 1\t0 : 1\t0x06/0xFF\n",
	    "@1.2.3.4/32\t0.0.0.0/0\t5 : 1\t0 : 1\t0x06/0xFF\n",
	    "@1.2.3.4/32\t0.0.0.0/0\t0 : 70000\t0 : 1\t0x06/0xFF\n",
	    "@1.2.3.4/32\t0.0.0.0/0\t0 : 1\t0 : 1\t0x06/0x0F\n",
	    "1.2.3.4/32\t0.0.0.0/0\t0 : 1\t0 : 1\t0x06/0xFF\n",
	    "@1.2.3.4/32\t0.0.0.0/0\t0 : 1\n",
	};
	struct cb_rules rules;
	unsigned nerrors;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load_text(bad[i], 0, &rules, &nerrors), -EINVAL);
		assert_int_equal(nerrors, 1);
		assert_null(rules.v);
	}
}

static void test_matching(void **state)
{
	struct cb_rules rules;
	unsigned nerrors;
	struct cb_header tcp80 = {0x0a0b0c0d, 0xc0a801fe, 40000, 80, 6, 0};
	struct cb_header udp53 = {1, 2, 2000, 53, 17, 0};
	struct cb_header low53 = {1, 2, 1000, 53, 17, 0};
	struct cb_header gre = {0x01020304, 0x05060708, 0, 0, 0x2f, 0};
	struct cb_header icmp = {0x01020304, 0x05060708, 0, 15, 1, 0};
	struct cb_header proto0 = {9, 9, 2000, 53, 0, 0};

	assert_int_equal(load_text(rules_text, 0, &rules, &nerrors), 0);
	assert_int_equal(cb_first_match(&rules, &tcp80), 0);
	assert_int_equal(cb_first_match(&rules, &udp53), 1);
	assert_int_equal(cb_first_match(&rules, &low53), 4);
	assert_int_equal(cb_first_match(&rules, &gre), 2);
	/* ports on ICMP never match: the ICMP packet has no ports */
	assert_false(cb_rule_satisfiable(&rules.v[3]));
	assert_int_equal(cb_first_match(&rules, &icmp), 4);
	/* a port range on a protocol-wildcard rule needs a TCP or UDP packet */
	assert_int_equal(cb_first_match(&rules, &proto0), 4);
	assert_true(cb_rule_drops(1));
	assert_false(cb_rule_drops(4));
	cb_rules_free(&rules);
}

static void test_generated_trace(void **state)
{
	struct cb_trace a, b;
	struct cb_rules rules;
	unsigned nerrors;

	assert_int_equal(load_text(rules_text, 0, &rules, &nerrors), 0);
	assert_int_equal(cb_trace_generate(&rules, 500, 7, &a), 0);
	assert_int_equal(cb_trace_generate(&rules, 500, 7, &b), 0);
	assert_memory_equal(a.v, b.v, 500 * sizeof(*a.v));
	for (size_t i = 0; i < a.n; i++) {
		const struct cb_header *h = &a.v[i];
		const struct cb_rule *r = &rules.v[h->aimed];

		assert_true(h->aimed < rules.n);
		/* a corner of the aimed rule's box */
		assert_int_equal(h->src & cb_prefix_mask(r->src_len), r->src);
		assert_true(h->dport == r->dport_lo || h->dport == r->dport_hi);
		assert_true(r->proto_any ? h->proto == 0 || h->proto == 255 : h->proto == r->proto);
		/* the hinted scan is the plain scan */
		assert_int_equal(cb_first_match_hinted(&rules, h), cb_first_match(&rules, h));
	}
	cb_trace_free(&a);
	cb_trace_free(&b);
	cb_rules_free(&rules);
}

static void test_packets(void **state)
{
	struct cb_header tcp = {0x0a000001, 0x0a000002, 1234, 80, 6, 0};
	struct cb_header udp = {0x0a000001, 0x0a000002, 53, 5353, 17, 0};
	struct cb_header gre = {0x0a000001, 0x0a000002, 53, 5353, 47, 0};
	uint8_t p[CB_PACKET_MAX];

	assert_int_equal(cb_packet_build(&tcp, CB_IP4, p), 14 + 20 + 20);
	assert_int_equal(p[12] << 8 | p[13], 0x0800);
	assert_int_equal(p[14], 0x45);
	assert_int_equal(p[14 + 9], 6);
	assert_int_equal(p[14 + 12], 10);
	assert_int_equal(p[14 + 19], 2);
	assert_int_equal(p[34] << 8 | p[35], 1234);
	assert_int_equal(p[36] << 8 | p[37], 80);
	assert_int_equal(cb_packet_build(&udp, CB_IP4, p), 14 + 20 + 8);
	assert_int_equal(p[36] << 8 | p[37], 5353);
	assert_int_equal(cb_packet_build(&gre, CB_IP4, p), 14 + 20);
	assert_int_equal(p[14 + 9], 47);
}

/* IPv6: s:: to 2001:db8:d::, next header the protocol, ports after the 40 bytes. */
static void test_packets_ip6(void **state)
{
	struct cb_header tcp = {0x0a000001, 0xc0a80002, 1234, 80, 6, 0};
	struct cb_header gre = {0x0a000001, 0xc0a80002, 53, 5353, 47, 0};
	static const uint8_t src[16] = {10, 0, 0, 1};
	static const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 192, 168, 0, 2};
	uint8_t p[CB_PACKET_MAX];

	(void)state;
	assert_int_equal(cb_packet_build(&tcp, CB_IP6, p), 14 + 40 + 20);
	assert_int_equal(p[12] << 8 | p[13], 0x86dd);
	assert_int_equal(p[14] >> 4, 6);
	assert_int_equal(p[14 + 4] << 8 | p[14 + 5], 20); /* payload length */
	assert_int_equal(p[14 + 6], 6);
	assert_memory_equal(p + 14 + 8, src, 16);
	assert_memory_equal(p + 14 + 24, dst, 16);
	assert_int_equal(p[54] << 8 | p[55], 1234);
	assert_int_equal(p[56] << 8 | p[57], 80);
	assert_int_equal(p[54 + 12], 5 << 4);
	assert_int_equal(cb_packet_build(&gre, CB_IP6, p), 14 + 40);
	assert_int_equal(p[14 + 6], 47);
	assert_int_equal(p[14 + 4] << 8 | p[14 + 5], 0);
}

/* Random sets with few distinct values, so that keys collide past the tuple's list limit. */
static void random_rules(struct cb_rules *rules, size_t n, unsigned seed)
{
	static const uint8_t lens[] = {0, 8, 13, 16, 24, 31, 32};
	static const uint16_t ports[][2] = {{0, 65535}, {80, 80},     {1024, 65535}, {0, 1023},
					    {53, 53},	{6000, 6063}, {100, 200}};
	static const uint8_t protos[] = {6, 17, 1};

	srand(seed);
	rules->v = calloc(n, sizeof(*rules->v));
	rules->n = rules->total = n;
	assert_non_null(rules->v);
	for (size_t i = 0; i < n; i++) {
		struct cb_rule *r = &rules->v[i];

		r->src_len = lens[rand() % 7];
		r->dst_len = lens[rand() % 7];
		r->src =
		    (0x0a000000u | (rand() % 4) << 20 | (rand() % 2)) & cb_prefix_mask(r->src_len);
		r->dst =
		    (0xc0a80000u | (rand() % 3) << 8 | (rand() % 2)) & cb_prefix_mask(r->dst_len);
		r->sport_lo = ports[rand() % 7][0];
		r->sport_hi = r->sport_lo ? ports[0][1] : 65535;
		if (rand() % 3) {
			r->sport_lo = 0;
			r->sport_hi = 65535;
		}
		int d = rand() % 7;

		r->dport_lo = ports[d][0];
		r->dport_hi = ports[d][1];
		r->proto_any = rand() % 3 == 0;
		r->proto = r->proto_any ? 0 : protos[rand() % 3];
		r->line = (uint32_t)i + 1;
	}
}

/* The tuple-space search tables find the first match, like the plain scan. */
static void test_tss(void **state)
{
	for (unsigned seed = 1; seed <= 20; seed++) {
		struct cb_rules rules;
		struct tss_tables t;
		struct cb_trace trace;
		size_t n = seed % 2 ? 300 : 2000;

		random_rules(&rules, n, seed);
		assert_int_equal(tss_build(&rules, &t), 0);
		assert_true(t.ntuples > 0 && t.ntuples <= TSS_MAX_TUPLES);
		assert_int_equal(cb_trace_generate(&rules, 3000, seed, &trace), 0);
		for (size_t i = 0; i < trace.n; i++) {
			struct cb_header h = trace.v[i];

			assert_int_equal(tss_lookup(&t, &h), cb_first_match(&rules, &h));
			/* off the corners too: other ports, protocols and host bits */
			h.dport = (uint16_t)(h.dport + 1);
			h.src ^= 1u << (rand() % 32);
			h.proto = (uint8_t)(i % 4 == 0 ? 47 : h.proto);
			assert_int_equal(tss_lookup(&t, &h), cb_first_match(&rules, &h));
		}
		/* the list limit held, and lists are in priority order */
		for (size_t e = 0; e < t.nentries; e++) {
			assert_true(t.lists[e].count >= 1 &&
				    t.lists[e].count <= TSS_MAX_CANDIDATES);
			for (uint32_t j = 1; j < t.lists[e].count; j++)
				assert_true(t.rules[t.lists[e].first + j - 1].index <
					    t.rules[t.lists[e].first + j].index);
		}
		for (size_t k = 1; k < t.ntuples; k++)
			assert_true(t.tuples[k - 1].best_rule < t.tuples[k].best_rule);
		cb_trace_free(&trace);
		tss_tables_free(&t);
		cb_rules_free(&rules);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_rules), cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_matching),	cmocka_unit_test(test_generated_trace),
	    cmocka_unit_test(test_packets),	cmocka_unit_test(test_packets_ip6),
	    cmocka_unit_test(test_tss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
