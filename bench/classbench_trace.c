// SPDX-License-Identifier: GPL-2.0-only
/*
 * classbench-trace: make a header trace for a rule set that ships without one
 * (the 100k sets), the way ClassBench's trace generator does: a random rule,
 * a random corner of its box. Seeded and deterministic.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classbench.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: classbench-trace [-c COUNT] [-s SEED] -o FILE RULE-FILE\n\n"
		     "  -c, --count N   headers to make (default: one per rule)\n"
		     "  -s, --seed S    random seed (default 1)\n"
		     "  -o, --output F  trace file to write (atomically)\n");
}

static int parse_u64(const char *opt, const char *arg, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(arg, &end, 0);
	if (errno || *end || !*arg || *arg == '-') {
		fprintf(stderr, "classbench-trace: error: %s wants a number, not '%s'\n", opt, arg);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"count", required_argument, NULL, 'c'},
	    {"seed", required_argument, NULL, 's'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	unsigned long long count = 0, seed = 1;
	bool have_count = false;
	const char *output = NULL;
	struct cb_rules rules;
	struct cb_trace trace;
	struct sl_sources srcs;
	struct sl_diag diag;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:s:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_u64("--count", optarg, &count))
				return 2;
			have_count = true;
			break;
		case 's':
			if (parse_u64("--seed", optarg, &seed))
				return 2;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || !output) {
		usage(stderr);
		return 2;
	}
	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, stderr);
	r = cb_rules_load(argv[optind], 0, &srcs, &diag, &rules);
	if (r) {
		sl_sources_fini(&srcs);
		return r == -EINVAL ? 1 : 2;
	}
	if (!rules.n) {
		fprintf(stderr, "classbench-trace: error: '%s' holds no rules\n", argv[optind]);
		r = -EINVAL;
	}
	if (!r)
		r = cb_trace_generate(&rules, have_count ? count : rules.n, seed, &trace);
	if (!r) {
		r = cb_trace_write(&trace, output);
		if (r)
			fprintf(stderr, "classbench-trace: error: cannot write '%s': %s\n", output,
				strerror(-r));
		cb_trace_free(&trace);
	}
	cb_rules_free(&rules);
	sl_sources_fini(&srcs);
	return r ? 1 : 0;
}
