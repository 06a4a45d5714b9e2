/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Random policies as TEXT (so the front end is exercised too), kept as a
 * small model the shrinker can take rules and matches out of.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/field.h"
#include "rng.h"
#include "common/util.h"

/*
 * The box of one rule of a long table: per field it tests, the (last)
 * interval it wrote. Packets aimed at its corners test all of the rule's
 * edges at once, as ClassBench traces do (decision trees cut boxes there).
 */
struct gen_corner {
	enum sl_field field[8];
	sl_u128 lo[8], hi[8];
	unsigned n;
};

/* Values worth aiming packets at, per field: interval edges and their neighbours. */
struct gen_values {
	sl_u128 *v[SL_FIELD_COUNT];
	size_t n[SL_FIELD_COUNT], cap[SL_FIELD_COUNT];
	struct gen_corner *corners; /* rules of long tables only */
	size_t ncorners, ccorners;
};

struct gen_rule {
	char **matches; /* "tcp dport != { 22, 80-90 }" */
	size_t nmatches;
	bool counter;
	char *action;	/* "accept", "jump t0_c1", ... or NULL */
	char *stateful; /* "limit rate ... log prefix ..." (gen_policy_opts.limit_pct) or NULL */
};

struct gen_block {
	char *header;  /* "table t0 {\n\thook xdp\n\tpolicy drop\n" or "chain t0_c1 {\n" */
	char name[32]; /* "t0", "t0_c1" */
	bool is_table;
	enum sl_hook hook;
	struct gen_rule *rules;
	size_t nrules;
};

struct gen_policy {
	char **consts; /* "const k0 = { 80, 443 }" */
	size_t nconsts;
	/*
	 * Named sets: declarations ("set s0 { ... }"), and the contents some get at
	 * run time instead ("#@set s0" then "#@set s0 ELEMENT" lines: comments the
	 * harness reads, gen_sets.c), NULL when a set keeps the policy's elements.
	 */
	char **sets;
	char **set_runtime;
	size_t nsets;
	struct gen_block *blocks;
	size_t nblocks;
	struct gen_values values;
};

struct gen_policy_opts {
	unsigned max_tables;  /* 1.. */
	unsigned max_chains;  /* per table */
	unsigned max_rules;   /* per block */
	unsigned max_matches; /* per rule */
	/*
	 * long_pct % of tables are long: up to long_rules (at least 100 when
	 * long_rules allows) accept/drop rules mostly on the 5-tuple, the shape
	 * the classifier turns into deep decision trees. 0: none (and the
	 * generator draws exactly what it drew before the option existed).
	 */
	unsigned long_pct;
	unsigned long_rules;
	/*
	 * limit_pct % of the rules of other tables get a `limit` (shared, or a
	 * meter per ip saddr, ip6 saddr/64 or ip saddr . th dport) and/or a `log`.
	 * 0: none (the generator draws what it drew before the option existed).
	 */
	unsigned limit_pct;
	/*
	 * sets_pct % of policies declare 1-3 named sets (random types, concatenations,
	 * interval or not, prefixes, ranges, empty sets) that rules look fields up in,
	 * half of them with other contents at run time. 0: none (nothing drawn).
	 */
	unsigned sets_pct;
};

void gen_policy(struct rng *r, const struct gen_policy_opts *opts, struct gen_policy *out);
void gen_policy_free(struct gen_policy *p);
/* The policy's text (malloc'd). */
char *gen_policy_text(const struct gen_policy *p);
