// SPDX-License-Identifier: GPL-2.0-only
/* `sluice check [OPTIONS] FILE...`: parse and check policies, nothing more. */
#include <stdio.h>
#include <string.h>

#include "driver/args.h"
#include "driver/commands.h"
#include "lib/compile.h"

static void check_usage(const struct sl_args *a, FILE *out)
{
	fprintf(out,
		"usage: sluice check [OPTIONS] POLICY...\n\n"
		"Parse and check each policy file (`-`: standard input) and the files it\n"
		"includes: syntax, names, types, value ranges, what each hook can see, the jump\n"
		"graph; then rules that can never match and redundant rules. Prints a summary\n"
		"line per good policy. Compiles nothing and needs no privileges.\n\n");
	sl_args_help(a, out);
	fprintf(out,
		"\nexit status: 0 every policy is fine (warnings allowed), 1 a policy has errors,\n"
		"             2 usage or system error (unreadable file, ...)\n");
}

/* Returns the exit code for one policy. */
static int check_one(const char *arg, const struct sl_args *a)
{
	__attribute__((cleanup(sl_policy_fini))) struct sl_policy policy = {0};
	struct sl_compile_opts co = a->compile;
	struct sl_result *r = NULL;
	const struct sl_ast *ast;
	int code;

	code = sl_policy_open(&policy, arg);
	if (code)
		return code;
	co.diag = stderr;
	code = sl_compile_check(policy.path, policy.text, policy.len, &co, &r);
	if (!r)
		return SL_EXIT_USAGE;
	if (code == SL_COMPILE_POLICY && !r->diag.nerrors)
		fprintf(stderr, "sluice: %s: warnings treated as errors\n", policy.path);
	ast = r->ast;
	if (code == SL_COMPILE_OK && !a->quiet) {
		char sets[48] = ""; /* said only when there are some: older outputs stay */

		if (ast->nsets)
			snprintf(sets, sizeof(sets), ", %u named set%s", ast->nsets,
				 ast->nsets == 1 ? "" : "s");
		printf("%s: ok: %u table%s, %u chain%s, %u rule%s, %u constant%s%s%s\n",
		       policy.path, ast->ntables, ast->ntables == 1 ? "" : "s", ast->nchains,
		       ast->nchains == 1 ? "" : "s", ast->nrules, ast->nrules == 1 ? "" : "s",
		       ast->nconsts, ast->nconsts == 1 ? "" : "s", sets,
		       r->diag.nwarnings ? " (with warnings)" : "");
	}
	sl_result_free(r);
	return code;
}

int sl_cmd_check(int argc, char **argv)
{
	__attribute__((cleanup(sl_args_fini))) struct sl_args a = {
	    .cmd = "check",
	    .groups = SL_ARGS_WARN,
	    .usage = check_usage,
	    .quiet_also = "summary lines",
	};
	int code, status = SL_EXIT_OK, nstdin = 0;

	code = sl_args_parse(&a, argc, argv);
	if (code >= 0)
		return code;
	if (!a.ninputs)
		return sl_args_error(&a, "no policy given");
	for (int i = 0; i < a.ninputs; i++)
		nstdin += !strcmp(a.inputs[i], "-");
	if (nstdin > 1)
		return sl_args_error(&a, "standard input ('-') can be read once");
	for (int i = 0; i < a.ninputs; i++) {
		int r = check_one(a.inputs[i], &a);

		if (r > status)
			status = r;
	}
	return status;
}
