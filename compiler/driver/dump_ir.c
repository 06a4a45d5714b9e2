// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice dump --ir [OPTIONS] POLICY`: parse, check and lower a policy and
 * print its IR in the stable text form (compiler/ir/README.md). Nothing is
 * written unless the policy lowers cleanly: a regular output file is
 * replaced atomically, stdout gets the whole dump or nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/diag.h"
#include "ir/ir.h"
#include "opt/opt.h"
#include "parser/parser.h"
#include "driver/commands.h"

struct dump_ir_opts {
	const char *policy;
	const char *output; /* NULL: stdout */
	int level; /* -O */
	bool level_given;
	const char *after; /* --after PASS, or NULL */
	bool werror;
	bool quiet;
};

static void print_passes(FILE *out)
{
	uint32_t n;
	const struct sl_opt_pass *p = sl_opt_passes(&n);

	for (uint32_t i = 0; i < n; i++)
		fprintf(out, "                       %-8s -O%d: %s\n", p[i].name, p[i].level, p[i].summary);
}

static void dump_ir_usage(FILE *out)
{
	fprintf(out, "usage: sluice dump --ir [OPTIONS] POLICY\n\n"
		     "Print the IR of POLICY: every rule as predicates `field in set` with the\n"
		     "protocol tests its fields imply, in a stable text form (compiler/ir/README.md).\n\n"
		     "  -O LEVEL, -OLEVEL  optimise first: 0 (default, the IR as lowered), 1\n"
		     "                     (shadowed and no-op rules removed) or 2 (rules also\n"
		     "                     reordered), see compiler/opt/README.md\n"
		     "      --after PASS   stop after that pass of the -O level's pipeline (the\n"
		     "                     level defaults to 2 then); PASS is one of:\n");
	print_passes(out);
	fprintf(out,
		     "  -o, --output FILE  write to FILE instead of stdout (replaced atomically)\n"
		     "  -W, --werror       treat warnings as errors\n"
		     "  -q, --quiet        do not print warnings\n"
		     "  -h, --help         this text\n");
}

static int parse_level(const char *v, int *level)
{
	if (v[0] < '0' || v[0] > '0' + SL_OPT_MAX_LEVEL || v[1])
		return -1;
	*level = v[0] - '0';
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
static int check_after(struct dump_ir_opts *o)
{
	const struct sl_opt_pass *p = sl_opt_pass_find(o->after);
	const char *names[SL_OPT_MAX_PASSES];
	const char *hint;
	uint32_t n;

	if (!p) {
		const struct sl_opt_pass *all = sl_opt_passes(&n);

		for (uint32_t i = 0; i < n; i++)
			names[i] = all[i].name;
		hint = sl_suggest(o->after, names, n);
		fprintf(stderr, "sluice: error: unknown pass '%s' for --after", o->after);
		if (hint)
			fprintf(stderr, " (did you mean '%s'?)", hint);
		fprintf(stderr, "; passes: ");
		list_passes(stderr);
		fprintf(stderr, "\n");
		return SL_EXIT_USAGE;
	}
	if (!o->level_given)
		o->level = SL_OPT_MAX_LEVEL;
	if (p->level > o->level) {
		fprintf(stderr, "sluice: error: pass '%s' does not run at -O%d (it runs from -O%d on)\n",
			p->name, o->level, p->level);
		return SL_EXIT_USAGE;
	}
	return -1;
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct dump_ir_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--ir"))
			continue;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			dump_ir_usage(stdout);
			return SL_EXIT_OK;
		}
		if (!strncmp(a, "-O", 2)) {
			const char *v = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : "");

			if (parse_level(v, &o->level)) {
				fprintf(stderr, "sluice: error: -O wants a level 0-%d, not '%s'\n",
					SL_OPT_MAX_LEVEL, v);
				return SL_EXIT_USAGE;
			}
			o->level_given = true;
			continue;
		}
		if (!strncmp(a, "--after", 7) && (a[7] == '=' || !a[7])) {
			if (!a[7] && i + 1 >= argc) {
				fprintf(stderr, "sluice: error: --after needs a pass name\n");
				return SL_EXIT_USAGE;
			}
			o->after = a[7] ? a + 8 : argv[++i];
			continue;
		}
		if (!strcmp(a, "-W") || !strcmp(a, "--werror") || !strcmp(a, "-Werror")) {
			o->werror = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o->quiet = true;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i >= argc) {
				fprintf(stderr, "sluice: error: %s needs a file name\n", a);
				return SL_EXIT_USAGE;
			}
			o->output = argv[i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "sluice: error: unknown option '%s' for dump --ir\n", a);
			dump_ir_usage(stderr);
			return SL_EXIT_USAGE;
		} else if (o->policy) {
			fprintf(stderr, "sluice: error: dump --ir takes one policy, got '%s' and '%s'\n",
				o->policy, a);
			return SL_EXIT_USAGE;
		} else {
			o->policy = a;
		}
	}
	if (!o->policy) {
		fprintf(stderr, "sluice: error: dump --ir needs a policy file\n");
		dump_ir_usage(stderr);
		return SL_EXIT_USAGE;
	}
	return o->after ? check_after(o) : -1;
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

static int emit(const struct dump_ir_opts *o, const struct sl_ir *ir)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = render(ir, &buf, &len);

	if (r) {
		fprintf(stderr, "sluice: error: cannot render the IR: %s\n", strerror(-r));
		return SL_EXIT_USAGE;
	}
	if (o->output) {
		r = write_output(o->output, buf, len);
		if (r) {
			fprintf(stderr, "sluice: error: cannot write '%s': %s\n", o->output,
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

/* Exit code for a front-end or lowering result: policy errors are 1, the rest 2. */
static int failure_code(int r)
{
	return r == -EINVAL ? SL_EXIT_POLICY : SL_EXIT_USAGE;
}

int sl_dump_ir(int argc, char **argv)
{
	struct dump_ir_opts o = { 0 };
	_cleanup_arena_ struct sl_arena *arena = NULL;
	struct sl_sources srcs;
	struct sl_ast *ast = NULL;
	struct sl_ir *ir = NULL;
	struct sl_diag diag;
	int r, code;

	code = parse_args(argc, argv, &o);
	if (code >= 0)
		return code;
	arena = sl_arena_new();
	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, stderr);
	diag.werror = o.werror;
	diag.quiet_warnings = o.quiet;

	sl_diag_hold(&diag); /* printed in line order, all phases together */
	r = sl_parse_file(o.policy, &srcs, arena, &diag, &ast);
	if (!r)
		r = sl_check(ast, &diag);
	if (!r && (sl_ir_lower(ast, arena, &diag, &ir) ||
		   sl_opt_run_until(ir, o.level, o.after, &diag, NULL)))
		r = 1;
	sl_diag_release(&diag);
	if (r == 1)
		code = SL_EXIT_USAGE; /* reported; a checked policy that does not lower is our bug */
	else if (r)
		code = failure_code(r);
	else if (verify(ir))
		code = SL_EXIT_USAGE;
	else if (sl_diag_failed(&diag))
		code = SL_EXIT_POLICY; /* warnings with --werror */
	else
		code = emit(&o, ir);
	sl_sources_fini(&srcs);
	return code;
}
