// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generators without a kernel: every generated policy passes the front
 * end (parse, check, lower), the same seed gives the same text, and the
 * interpreter evaluates every generated packet to what the checked AST,
 * evaluated directly, says (a check of lowering that needs no kernel).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "gen_packet.h"
#include "interp/interp.h"
#include "ir/ir.h"

/* Corners the random generator reaches rarely; regressions found by fuzzing. */
static const char *const edge_policies[] = {
    /* the checker shifted a 128-bit value by 128 for ::/0 (UBSan) */
    "table t {\n\thook xdp\n\tip6 saddr ::/0 accept\n\tip6 daddr != 0:0:0:0:0:0:0:0/0 drop\n}\n",
    "table t {\n\thook tc ingress\n\tip saddr 0.0.0.0/0 tcp dport 0-65535 accept\n}\n",
    "table t {\n\thook cgroup_skb egress\n\tmeta length 0-4294967295 counter\n"
    "\tip frag 0-3 drop\n}\n",
    "table t {\n\thook xdp\n\tether saddr 00:00:00:00:00:00-ff:ff:ff:ff:ff:ff vlan id 0-4095 "
    "accept\n}\n",
};

static unsigned check_edges(void)
{
	unsigned failures = 0;

	for (size_t i = 0; i < sizeof(edge_policies) / sizeof(edge_policies[0]); i++) {
		struct front f;

		if (front_compile("edge.sluice", edge_policies[i], &f)) {
			fprintf(stderr, "the front end rejects:\n%s%s\n", f.diag, edge_policies[i]);
			failures++;
		}
		front_free(&f);
	}
	return failures;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? strtoul(argv[1], NULL, 0) : 300;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	/* a third argument: that % of tables long (100-1000 rules, as --long-tables) */
	struct gen_policy_opts opts = {.max_tables = 2,
				       .max_chains = 3,
				       .max_rules = 12,
				       .max_matches = 4,
				       .long_pct = argc > 3 ? strtoul(argv[3], NULL, 0) : 0,
				       .long_rules = 1000};
	unsigned failures = check_edges(), verdicts[2] = {0}, by_rule = 0;

	for (unsigned i = 0; i < n; i++) {
		struct rng r = {seed + i}, r2 = {seed + i};
		struct gen_policy p, q;
		struct front f;

		gen_policy(&r, &opts, &p);
		gen_policy(&r2, &opts, &q);
		char *text = gen_policy_text(&p), *again = gen_policy_text(&q);
		if (strcmp(text, again)) {
			fprintf(stderr, "seed %llu: the generator is not deterministic\n",
				(unsigned long long)(seed + i));
			failures++;
		}
		if (front_compile("fuzz.sluice", text, &f)) {
			fprintf(stderr,
				"seed %llu: the front end rejects a generated policy:\n%s%s\n",
				(unsigned long long)(seed + i), f.diag, text);
			failures++;
		} else {
			size_t t = 0;
			for (size_t b = 0; b < p.nblocks; b++) {
				if (!p.blocks[b].is_table)
					continue;
				for (int k = 0; k < 200; k++) {
					struct gen_packet pkt;
					struct sl_interp_result res;
					gen_packet(&r, &p.values, p.blocks[b].hook, &pkt);
					struct sl_interp_packet v =
					    gen_packet_view(&pkt, p.blocks[b].hook);
					struct sl_interp_fields fields;
					char *why;
					sl_interp_parse(&v, &fields);
					if (sl_interp_run_fields(f.ir, t, &fields, v.len, &res,
								 NULL)) {
						fprintf(stderr, "seed %llu: interpreter failed\n",
							(unsigned long long)(seed + i));
						failures++;
						break;
					}
					if (!ast_agrees(&f, t, &fields, &res, &why)) {
						fprintf(stderr,
							"seed %llu table %zu: lowering changed the "
							"meaning: %s\npacket:",
							(unsigned long long)(seed + i), t, why);
						for (size_t x = 0; x < pkt.len; x++)
							fprintf(stderr, " %02x", pkt.data[x]);
						fprintf(stderr, "\n%s\n", text);
						free(why);
						failures++;
						break;
					}
					verdicts[res.verdict]++;
					by_rule += res.rule != SL_INTERP_POLICY;
				}
				t++;
			}
		}
		front_free(&f);
		free(text);
		free(again);
		gen_policy_free(&p);
		gen_policy_free(&q);
		if (failures > 3)
			break;
	}
	printf("test_gen: %u policies, %u accept, %u drop, %u decided by a rule, %u failures\n", n,
	       verdicts[0], verdicts[1], by_rule, failures);
	return failures ? 1 : 0;
}
