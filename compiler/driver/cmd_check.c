// SPDX-License-Identifier: GPL-2.0-only
/* `sluice check [OPTIONS] FILE...`: parse and check policies, nothing more. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "parser/ast.h"
#include "driver/commands.h"
#include "common/diag.h"
#include "ir/ir.h"
#include "opt/opt.h"
#include "parser/parser.h"

static void check_usage(FILE *out)
{
	fprintf(out,
		"usage: sluice check [OPTIONS] POLICY...\n\n"
		"Parse and check each policy file (and the files it includes): syntax, names,\n"
		"types, value ranges, what each hook can see, the jump graph; then rules that can\n"
		"never match and redundant rules. Compiles nothing and needs no privileges.\n\n"
		"  -W, --warnings-as-errors  fail (exit 1) on warnings too\n"
		"  -w, --no-warnings         do not print warnings\n"
		"      --max-errors=N        stop printing after N errors (default 50)\n"
		"  -q, --quiet               no summary line on success\n"
		"  -h, --help                this text\n\n"
		"exit status: 0 every policy is fine (warnings allowed), 1 a policy has errors,\n"
		"             2 usage or system error (unreadable file, ...)\n");
}

struct check_opts {
	bool werror, no_warnings, quiet;
	unsigned max_errors;
};

/* What the optimiser can tell about the rules: shadowed and redundant ones. */
static int lint(const struct sl_ast *ast, struct sl_arena *arena, struct sl_diag *diag)
{
	struct sl_ir *ir = NULL;
	int r = sl_ir_lower(ast, arena, diag, &ir);

	return r ? r : sl_opt_lint(ir, diag, NULL);
}

/* Returns the exit code for one policy file. */
static int check_one(const char *path, const struct check_opts *o)
{
	_cleanup_arena_ struct sl_arena *arena = sl_arena_new();
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_ast *ast = NULL;
	int r;

	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, stderr);
	diag.werror = o->werror;
	diag.quiet_warnings = o->no_warnings;
	diag.max_errors = o->max_errors;
	sl_diag_hold(&diag); /* printed in line order, all phases together */
	r = sl_parse_file(path, &srcs, arena, &diag, &ast);
	if (r == 0)
		r = sl_check(ast, &diag);
	if (r == 0)
		r = lint(ast, arena, &diag);
	sl_diag_release(&diag);
	if (r && r != -EINVAL) {
		sl_sources_fini(&srcs);
		return SL_EXIT_USAGE;
	}
	if (sl_diag_failed(&diag)) {
		if (!diag.nerrors)
			fprintf(stderr, "sluice: %s: warnings treated as errors\n", path);
		sl_sources_fini(&srcs);
		return SL_EXIT_POLICY;
	}
	if (!o->quiet)
		printf("%s: ok: %u table%s, %u chain%s, %u rule%s, %u constant%s%s\n", path,
		       ast->ntables, ast->ntables == 1 ? "" : "s", ast->nchains,
		       ast->nchains == 1 ? "" : "s", ast->nrules, ast->nrules == 1 ? "" : "s",
		       ast->nconsts, ast->nconsts == 1 ? "" : "s",
		       diag.nwarnings ? " (with warnings)" : "");
	sl_sources_fini(&srcs);
	return SL_EXIT_OK;
}

int sl_cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "warnings-as-errors", no_argument, NULL, 'W' },
		{ "no-warnings", no_argument, NULL, 'w' },
		{ "max-errors", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct check_opts o = { 0 };
	int c, status = SL_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+Wwqh", longopts, NULL)) != -1) {
		char *end;
		unsigned long n;

		switch (c) {
		case 'W':
			o.werror = true;
			break;
		case 'w':
			o.no_warnings = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'm':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || n == 0 || n > 100000) {
				fprintf(stderr, "sluice: error: --max-errors takes a number from 1 to 100000\n");
				return SL_EXIT_USAGE;
			}
			o.max_errors = (unsigned)n;
			break;
		case 'h':
			check_usage(stdout);
			return SL_EXIT_OK;
		default:
			fprintf(stderr, "sluice: error: unknown option '%s'\n", argv[optind - 1]);
			check_usage(stderr);
			return SL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "sluice: error: no policy file given\n");
		check_usage(stderr);
		return SL_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		int r = check_one(argv[i], &o);

		if (r > status)
			status = r;
	}
	return status;
}
