// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice build POLICY [-o OUT] [-O0|-O1|-O2] [--record-decisions]`: compile a
 * policy into a BPF object. Needs no privileges. The output appears whole or
 * not at all: it is written to a temporary file and renamed over OUT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/util.h"
#include "driver/commands.h"
#include "object/object.h"
#include "sluice/sluice.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.0.0"
#endif

struct build_args {
	const char *policy;
	const char *output;
	bool verbose;
	struct sl_build_opts opts;
};

static void build_usage(FILE *out)
{
	fprintf(out,
		"usage: sluice build [OPTIONS] POLICY\n\n"
		"Compile POLICY into a BPF object: one program per table (section xdp, tc,\n"
		"cgroup_skb/ingress or cgroup_skb/egress), BTF, line info mapping every\n"
		"instruction to the policy line it came from, the per-rule counter map and\n"
		"the sluice metadata. The same policy and options give the same bytes.\n\n"
		"  -o, --output FILE     write FILE (default: POLICY's base name with .o,\n"
		"                        in the current directory); replaced atomically,\n"
		"                        keeping its mode; a symbolic link is written\n"
		"                        through (its target is replaced, the link stays)\n"
		"  -O0, -O1, -O2         optimisation level (default -O2)\n"
		"      --classifier=MODE decision-tree walk for runs of accept/drop rules:\n"
		"                        auto (the cost model decides at -O2, the default),\n"
		"                        tree (a table walk wherever it applies, at any level),\n"
		"                        code (inline decision trees wherever they fit), off\n"
		"      --set-lookup=MODE how a rule tests a set of many values: auto (a binary\n"
		"                        search through a read-only table for sets of 32+\n"
		"                        intervals at -O1 and -O2, the default), table (for\n"
		"                        every set of 2+ intervals), inline (a test per interval)\n"
		"      --record-decisions  store the deciding rule of each packet in the map\n"
		"                        " "sluice_decision (debug objects, `sluice-load run`)\n"
		"      --stats           print to stderr what each optimiser pass did, what\n"
		"                        code each run of rules became (straight, table walk,\n"
		"                        code tree) and the maps' memory (compiler/opt/README.md)\n"
		"  -W, --werror          treat warnings as errors\n"
		"  -q, --quiet           do not print warnings\n"
		"  -v, --verbose         print what was written\n"
		"  -h, --help            this text\n\n"
		"exit status: 0 built, 1 the policy has errors, 2 usage or system error\n");
}

/* A mode named in `names` (indexed by its enum value) into *mode. */
static int parse_mode(const char *option, const char *m, const char *const *names, unsigned n,
		      int *mode)
{
	for (unsigned i = 0; i < n; i++) {
		if (!strcmp(m, names[i])) {
			*mode = (int)i;
			return 0;
		}
	}
	fprintf(stderr, "sluice: error: unknown %s mode '%s' (use", option, m);
	for (unsigned i = 0; i < n; i++)
		fprintf(stderr, "%s %s", i ? (i + 1 == n ? " or" : ",") : "", names[i]);
	fprintf(stderr, ")\n");
	return -EINVAL;
}

static const char *const classifier_modes[] = {
	[SL_CLASSIFIER_AUTO] = "auto",
	[SL_CLASSIFIER_OFF] = "off",
	[SL_CLASSIFIER_TREE] = "tree",
	[SL_CLASSIFIER_CODE] = "code",
};
static const char *const set_lookup_modes[] = {
	[SL_SET_LOOKUP_AUTO] = "auto",
	[SL_SET_LOOKUP_TABLE] = "table",
	[SL_SET_LOOKUP_INLINE] = "inline",
};

static int parse_level(const char *a, int *level)
{
	if (strlen(a) != 3 || a[2] < '0' || a[2] > '2') {
		fprintf(stderr, "sluice: error: unknown optimisation level '%s' (use -O0, -O1 or -O2)\n",
			a);
		return -EINVAL;
	}
	*level = a[2] - '0';
	return 0;
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct build_args *b)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			build_usage(stdout);
			return SL_EXIT_OK;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i >= argc || !*argv[i]) {
				fprintf(stderr, "sluice: error: %s needs a file name\n", a);
				return SL_EXIT_USAGE;
			}
			b->output = argv[i];
		} else if (!strncmp(a, "-O", 2)) {
			if (parse_level(a, &b->opts.opt_level))
				return SL_EXIT_USAGE;
		} else if (!strncmp(a, "--classifier", 12) && (a[12] == '=' || !a[12])) {
			const char *m = a[12] == '=' ? a + 13 : (++i < argc ? argv[i] : "");

			if (parse_mode("classifier", m, classifier_modes,
				       SL_ARRAY_SIZE(classifier_modes), &b->opts.classifier))
				return SL_EXIT_USAGE;
		} else if (!strncmp(a, "--set-lookup", 12) && (a[12] == '=' || !a[12])) {
			const char *m = a[12] == '=' ? a + 13 : (++i < argc ? argv[i] : "");

			if (parse_mode("set lookup", m, set_lookup_modes,
				       SL_ARRAY_SIZE(set_lookup_modes), &b->opts.set_lookup))
				return SL_EXIT_USAGE;
		} else if (!strcmp(a, "--record-decisions")) {
			b->opts.record_decisions = true;
		} else if (!strcmp(a, "--stats")) {
			b->opts.stats = true;
		} else if (!strcmp(a, "-W") || !strcmp(a, "--werror") || !strcmp(a, "-Werror")) {
			b->opts.werror = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			b->opts.quiet_warnings = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			b->verbose = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "sluice: error: unknown option '%s' for build\n", a);
			build_usage(stderr);
			return SL_EXIT_USAGE;
		} else if (b->policy) {
			fprintf(stderr, "sluice: error: build takes one policy, got '%s' and '%s'\n",
				b->policy, a);
			return SL_EXIT_USAGE;
		} else {
			b->policy = a;
		}
	}
	if (!b->policy) {
		fprintf(stderr, "sluice: error: build needs a policy file\n");
		build_usage(stderr);
		return SL_EXIT_USAGE;
	}
	return -1;
}

/* POLICY's base name with its extension replaced by .o, in the current directory. */
static char *default_output(const char *policy)
{
	const char *base = strrchr(policy, '/');
	const char *dot;
	char *out;

	base = base ? base + 1 : policy;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		dot = base + strlen(base);
	if (dot == base)
		return NULL;
	if (asprintf(&out, "%.*s.o", (int)(dot - base), base) < 0)
		return NULL;
	return out;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int sl_build_image(const char *policy, const struct sl_build_opts *o, void **image, size_t *size)
{
	struct sl_compile_opts co = { .opt_level = o->opt_level,
				      .classifier = (enum sl_classifier_mode)o->classifier,
				      .set_lookup = (enum sl_set_lookup)o->set_lookup,
				      .record_decisions = o->record_decisions,
				      .werror = o->werror,
				      .quiet_warnings = o->quiet_warnings,
				      .compiler = "sluice " SLUICE_VERSION,
				      .diag = stderr };
	struct sl_result *r = NULL;
	const void *obj;
	int code;

	*image = NULL;
	*size = 0;
	code = sl_compile(policy, NULL, 0, &co, &r);
	if (!r)
		return SL_EXIT_USAGE;
	obj = sl_result_object(r, size);
	if (code == SL_COMPILE_OK) {
		*image = malloc(*size ? *size : 1);
		if (*image)
			memcpy(*image, obj, *size);
		else
			code = SL_EXIT_USAGE;
	}
	if (code == SL_COMPILE_OK && o->stats)
		sl_result_print_stats(r, stderr);
	if (code == SL_COMPILE_OK && o->plan)
		sl_result_print_plan(r, o->plan);
	sl_result_free(r);
	return code;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int sl_cmd_build(int argc, char **argv)
{
	struct build_args b = { .opts = { .opt_level = 2 } };
	_cleanup_free_ char *def_out = NULL;
	_cleanup_free_ void *image = NULL;
	struct timespec t0;
	size_t size;
	int code, r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	code = parse_args(argc, argv, &b);
	if (code >= 0)
		return code;
	if (!b.output) {
		b.output = def_out = default_output(b.policy);
		if (!def_out) {
			fprintf(stderr, "sluice: error: cannot name the output for '%s': use -o\n",
				b.policy);
			return SL_EXIT_USAGE;
		}
	}
	if (same_file(b.policy, b.output)) {
		fprintf(stderr, "sluice: error: the output '%s' is the policy itself\n", b.output);
		return SL_EXIT_USAGE;
	}
	code = sl_build_image(b.policy, &b.opts, &image, &size);
	if (code != SL_EXIT_OK)
		return code;
	r = sl_obj_write_file_atomic(b.output, image, size);
	if (r) {
		fprintf(stderr, "sluice: error: cannot write '%s': %s\n", b.output, strerror(-r));
		return SL_EXIT_USAGE;
	}
	if (b.opts.stats)
		fprintf(stderr, "stats: object %s: %zu bytes\n", b.output, size);
	if (b.verbose)
		fprintf(stderr, "sluice: wrote %s (%zu bytes, -O%d%s) in %.3f s\n", b.output, size,
			b.opts.opt_level, b.opts.record_decisions ? ", recording decisions" : "",
			seconds_since(&t0));
	return SL_EXIT_OK;
}
