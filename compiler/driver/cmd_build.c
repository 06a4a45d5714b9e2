// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice build [OPTIONS] POLICY`: compile a policy into a BPF object. Needs no privileges. The
 * output appears whole or not at all: it is written to a temporary file and renamed over OUT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/util.h"
#include "driver/args.h"
#include "driver/commands.h"
#include "lib/compile.h"
#include "object/object.h"
#include "sluice/sluice.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.0.0"
#endif

static void build_usage(const struct sl_args *a, FILE *out)
{
	fprintf(out, "usage: sluice build [OPTIONS] POLICY\n\n"
		     "Compile POLICY (`-`: standard input) into a BPF object: one program per\n"
		     "table (section xdp, tc, cgroup_skb/ingress or cgroup_skb/egress), BTF, line\n"
		     "info mapping every instruction to the policy line it came from, the\n"
		     "per-rule counter map and the sluice metadata. The same policy and options\n"
		     "give the same bytes.\n\n"
		     "  -o, --output=FILE      write FILE (default: POLICY's base name with .o,\n"
		     "                         in the current directory; needed for `-`);\n"
		     "                         replaced atomically, keeping its mode; a symbolic\n"
		     "                         link is written through (its target is replaced,\n"
		     "                         the link stays)\n");
	sl_args_help(a, out);
	fprintf(out, "  -v, --verbose          print what was written\n\n"
		     "exit status: 0 built, 1 the policy has errors, 2 usage or system error\n");
}

static int build_opt(struct sl_args *a, int c, const char *arg)
{
	(void)arg;
	if (c != 'v')
		return -1;
	*(bool *)a->ctx = true;
	return 0;
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

int sl_build_image(const struct sl_policy *policy, const struct sl_args *a, FILE *plan,
		   void **image, size_t *size)
{
	struct sl_compile_opts co = a->compile;
	struct sl_result *r = NULL;
	const void *obj;
	int code;

	co.compiler = "sluice " SLUICE_VERSION;
	co.diag = stderr;
	*image = NULL;
	*size = 0;
	code = sl_compile(policy->path, policy->text, policy->len, &co, &r);
	if (!r)
		return SL_EXIT_USAGE;
	obj = sl_result_object(r, size);
	if (code == SL_COMPILE_OK && obj) {
		/* taken, not copied: at 100k rules the object is over 20 MB */
		*image = r->image;
		r->image = NULL;
	} else if (code == SL_COMPILE_OK) {
		*image = malloc(1);
		if (!*image)
			code = SL_EXIT_USAGE;
	}
	if (code == SL_COMPILE_OK && a->stats)
		sl_result_print_stats(r, stderr);
	if (code == SL_COMPILE_OK && plan)
		sl_result_print_plan(r, plan);
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
	static const struct option own[] = {
	    {"verbose", no_argument, NULL, 'v'},
	    {0},
	};
	bool verbose = false;
	__attribute__((cleanup(sl_args_fini))) struct sl_args a = {
	    .cmd = "build",
	    .groups =
		SL_ARGS_WARN | SL_ARGS_LEVEL | SL_ARGS_CODEGEN | SL_ARGS_OUTPUT | SL_ARGS_STATS,
	    .own = own,
	    .own_short = "v",
	    .own_opt = build_opt,
	    .ctx = &verbose,
	    .usage = build_usage,
	    .compile = {.opt_level = 2}};
	__attribute__((cleanup(sl_policy_fini))) struct sl_policy policy = {0};
	_cleanup_free_ char *def_out = NULL;
	_cleanup_free_ void *image = NULL;
	const char *output;
	struct timespec t0;
	size_t size;
	int code, r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	code = sl_args_parse(&a, argc, argv);
	if (code >= 0)
		return code;
	if (a.ninputs != 1)
		return a.ninputs ? sl_args_error(&a, "takes one policy, got '%s' and '%s'",
						 a.inputs[0], a.inputs[1])
				 : sl_args_error(&a, "no policy given");
	output = a.output;
	if (!output && !strcmp(a.inputs[0], "-"))
		return sl_args_error(&a, "name the output of a policy read from standard input "
					 "with -o");
	if (!output) {
		output = def_out = default_output(a.inputs[0]);
		if (!def_out) {
			fprintf(stderr, "sluice: error: cannot name the output for '%s': use -o\n",
				a.inputs[0]);
			return SL_EXIT_USAGE;
		}
	}
	if (strcmp(a.inputs[0], "-") && same_file(a.inputs[0], output)) {
		fprintf(stderr, "sluice: error: the output '%s' is the policy itself\n", output);
		return SL_EXIT_USAGE;
	}
	code = sl_policy_open(&policy, a.inputs[0]);
	if (code)
		return code;
	code = sl_build_image(&policy, &a, NULL, &image, &size);
	if (code != SL_EXIT_OK)
		return code;
	r = sl_obj_write_file_atomic(output, image, size);
	if (r) {
		fprintf(stderr, "sluice: error: cannot write '%s': %s\n", output, strerror(-r));
		return SL_EXIT_USAGE;
	}
	if (a.stats)
		fprintf(stderr, "stats: object %s: %zu bytes\n", output, size);
	if (verbose)
		fprintf(stderr, "sluice: wrote %s (%zu bytes, -O%d%s) in %.3f s\n", output, size,
			a.compile.opt_level,
			a.compile.record_decisions ? ", recording decisions" : "",
			seconds_since(&t0));
	return SL_EXIT_OK;
}
