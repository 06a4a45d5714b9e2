// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice dump --ir [OPTIONS] POLICY`: the IR of a policy after the front
 * end and, with -O, the optimiser (sl_compile_opt()), in the stable text form
 * (compiler/ir/README.md). Nothing is written unless the policy lowers cleanly: a regular output
 * file is replaced atomically, stdout gets the whole dump or nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "driver/args.h"
#include "driver/commands.h"
#include "ir/ir.h"
#include "lib/compile.h"
#include "opt/opt.h"

static void print_passes(FILE *out)
{
	uint32_t n;
	const struct sl_opt_pass *p = sl_opt_passes(&n);

	for (uint32_t i = 0; i < n; i++)
		fprintf(out, "                         %-8s -O%d: %s\n", p[i].name, p[i].level,
			p[i].summary);
}

static void dump_ir_usage(const struct sl_args *a, FILE *out)
{
	fprintf(out, "usage: sluice dump --ir [OPTIONS] POLICY\n\n"
		     "Print the IR of POLICY (`-`: standard input): every rule as predicates\n"
		     "`field in set` with the protocol tests its fields imply, in a stable text\n"
		     "form (compiler/ir/README.md). -O1 removes shadowed and no-op rules, -O2\n"
		     "also reorders them; the default -O0 prints the IR as lowered.\n\n"
		     "      --after=PASS       stop after that pass of the -O level's pipeline\n"
		     "                         (the level defaults to 2 then); PASS is one of:\n");
	print_passes(out);
	fprintf(out,
		"  -o, --output=FILE      write to FILE instead of stdout (replaced atomically)\n");
	sl_args_help(a, out);
}

enum { OPT_IR = SL_ARGS_OWN, OPT_AFTER };

static int dump_ir_opt(struct sl_args *a, int c, const char *arg)
{
	if (c == OPT_IR)
		return 0; /* chose this command */
	if (c != OPT_AFTER)
		return -1;
	*(const char **)a->ctx = arg;
	return 0;
}

static void list_passes(FILE *out)
{
	uint32_t n;
	const struct sl_opt_pass *p = sl_opt_passes(&n);

	for (uint32_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : "", p[i].name);
}

/* The pass must exist and run at the level. Returns -1 to go on, else the exit code. */
static int check_after(struct sl_args *a, const char *after)
{
	const struct sl_opt_pass *p = sl_opt_pass_find(after);
	const char *names[SL_OPT_MAX_PASSES];
	char list[256];
	FILE *f;
	const char *hint;
	uint32_t n;

	if (!p) {
		const struct sl_opt_pass *all = sl_opt_passes(&n);

		for (uint32_t i = 0; i < n; i++)
			names[i] = all[i].name;
		hint = sl_suggest(after, names, n);
		f = fmemopen(list, sizeof(list), "w");
		if (f) {
			list_passes(f);
			fclose(f);
		} else {
			list[0] = '\0';
		}
		return sl_args_error(a, "unknown pass '%s' for --after%s%s%s; passes: %s", after,
				     hint ? " (did you mean '" : "", hint ? hint : "",
				     hint ? "'?)" : "", list);
	}
	if (!a->level_given)
		a->compile.opt_level = SL_OPT_MAX_LEVEL;
	if (p->level > a->compile.opt_level)
		return sl_args_error(a, "pass '%s' does not run at -O%d (it runs from -O%d on)",
				     p->name, a->compile.opt_level, p->level);
	return -1;
}

/* The whole dump into memory first: a failed write never leaves half a file. */
static int render(const struct sl_ir *ir, char **buf, size_t *len)
{
	FILE *mem = open_memstream(buf, len);

	if (!mem)
		return -errno;
	sl_ir_dump(ir, mem);
	if (fclose(mem))
		return -errno;
	return 0;
}

static int write_all(FILE *f, const char *buf, size_t len)
{
	int r = 0;

	if (fwrite(buf, 1, len, f) != len || fflush(f))
		r = errno ? -errno : -EIO;
	if (fclose(f) && !r)
		r = errno ? -errno : -EIO;
	return r;
}

/*
 * A regular file (or a new one) is replaced atomically: written beside it,
 * then renamed over it. Anything else (/dev/stdout, a FIFO, a device) is
 * written in place: renaming over it would replace the device node.
 */
static int write_output(const char *path, const char *buf, size_t len)
{
	_cleanup_free_ char *tmp = NULL;
	struct stat st;
	FILE *f;
	int r;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		f = fopen(path, "w");
		return f ? write_all(f, buf, len) : -errno;
	}
	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	f = fopen(tmp, "wx");
	if (!f)
		return -errno;
	r = write_all(f, buf, len);
	if (!r && rename(tmp, path))
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

static int emit(const char *output, const struct sl_ir *ir)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = render(ir, &buf, &len);

	if (r) {
		fprintf(stderr, "sluice: error: cannot render the IR: %s\n", strerror(-r));
		return SL_EXIT_USAGE;
	}
	if (output) {
		r = write_output(output, buf, len);
		if (r) {
			fprintf(stderr, "sluice: error: cannot write '%s': %s\n", output,
				strerror(-r));
			return SL_EXIT_USAGE;
		}
		return SL_EXIT_OK;
	}
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout)) {
		fprintf(stderr, "sluice: error: cannot write the IR: %s\n", strerror(errno));
		return SL_EXIT_USAGE;
	}
	return SL_EXIT_OK;
}

/* A broken invariant is the compiler's bug: say so rather than print a wrong IR. */
static int verify(const struct sl_ir *ir)
{
	char err[256];
	int r = sl_ir_verify(ir, err, sizeof(err));

	if (r)
		fprintf(stderr, "sluice: internal error: the IR is inconsistent: %s\n",
			r == -EINVAL ? err : strerror(-r));
	return r;
}

int sl_dump_ir(int argc, char **argv)
{
	static const struct option own[] = {
	    {"ir", no_argument, NULL, OPT_IR},
	    {"after", required_argument, NULL, OPT_AFTER},
	    {0},
	};
	const char *after = NULL;
	__attribute__((cleanup(sl_args_fini))) struct sl_args a = {
	    .cmd = "dump --ir",
	    .groups = SL_ARGS_WARN | SL_ARGS_LEVEL | SL_ARGS_OUTPUT | SL_ARGS_STATS,
	    .own = own,
	    .own_opt = dump_ir_opt,
	    .ctx = &after,
	    .usage = dump_ir_usage,
	};
	__attribute__((cleanup(sl_policy_fini))) struct sl_policy policy = {0};
	struct sl_result *r = NULL;
	int code;

	code = sl_args_parse(&a, argc, argv);
	if (code >= 0)
		return code;
	if (a.ninputs != 1)
		return a.ninputs ? sl_args_error(&a, "takes one policy, got '%s' and '%s'",
						 a.inputs[0], a.inputs[1])
				 : sl_args_error(&a, "no policy given");
	if (after && (code = check_after(&a, after)) >= 0)
		return code;
	code = sl_policy_open(&policy, a.inputs[0]);
	if (code)
		return code;
	a.compile.diag = stderr;
	code = sl_compile_opt(policy.path, policy.text, policy.len, &a.compile, after, &r);
	if (!r)
		return SL_EXIT_USAGE;
	if (code == SL_COMPILE_OK && verify(r->ir))
		code = SL_EXIT_USAGE;
	if (code == SL_COMPILE_OK && a.stats)
		sl_result_print_stats(r, stderr);
	if (code == SL_COMPILE_OK)
		code = emit(a.output, r->ir);
	sl_result_free(r);
	return code;
}
