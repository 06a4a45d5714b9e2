// SPDX-License-Identifier: GPL-2.0-only
/*
 * A libsluice user outside the tree: compile POLICY with sl_compile() and
 * write the object to OUT, the plan to stdout, diagnostics to stderr.
 * usage: use POLICY OUT
 */
#include <sluice/sluice.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	struct sl_compile_opts o = {.opt_level = 2, .diag = stderr};
	struct sl_result *r = NULL;
	const void *obj;
	size_t size;
	FILE *out;
	int status;

	if (argc != 3)
		return 2;
	status = sl_compile(argv[1], NULL, 0, &o, &r);
	if (!r)
		return 2;
	obj = sl_result_object(r, &size);
	if (status == SL_COMPILE_OK) {
		out = fopen(argv[2], "wb");
		if (!out || fwrite(obj, 1, size, out) != size || fclose(out))
			status = SL_COMPILE_SYSTEM;
		sl_result_print_plan(r, stdout);
		printf("programs %u, runs %u\n", sl_result_stats(r)->programs,
		       sl_result_stats(r)->runs_straight + sl_result_stats(r)->runs_table_walk +
			   sl_result_stats(r)->runs_code_tree);
	}
	sl_result_free(r);
	return status;
}
