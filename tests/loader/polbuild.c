// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only stand-in for `sluice build --record-decisions` while the driver
 * does not build yet: the compiler's own pipeline (parse, check, lower,
 * -O1, codegen, object writer), so the loader's tests run on real compiled
 * objects. make-objects.sh prefers `sluice build` as soon as it works.
 *
 *   polbuild POLICY.sluice OUT.o
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpf_object.h"
#include "ir.h"
#include "opt.h"
#include "parser.h"

int main(int argc, char **argv)
{
	_cleanup_arena_ struct sl_arena *arena = sl_arena_new();
	struct sl_codegen_opts cg = {.opt_level = 1, .record_decisions = true};
	struct sl_object_opts oo = {.opt_level = 1, .compiler = "sluice 0.1.0 (loader tests)"};
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_ast *ast = NULL;
	struct sl_ir *ir = NULL, *opt = NULL;
	struct sl_bpf_object *obj = NULL;
	void *image = NULL;
	size_t size = 0;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: polbuild POLICY.sluice OUT.o\n");
		return 2;
	}
	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, stderr);
	err = sl_parse_file(argv[1], &srcs, arena, &diag, &ast);
	if (!err)
		err = sl_check(ast, &diag);
	if (!err)
		err = sl_ir_lower(ast, arena, &diag, &ir);
	/* The metadata describes the policy as written; the code comes from the optimised copy. */
	if (!err) {
		opt = sl_ir_clone(ir, arena);
		err = opt ? sl_opt_run(opt, 1, &diag, NULL) : -ENOMEM;
	}
	if (!err)
		err = sl_codegen(opt, &cg, arena, &diag, &obj);
	if (!err)
		err = sl_object_serialize(obj, ir, &oo, &diag, &image, &size);
	if (!err)
		err = sl_write_file_atomic(argv[2], image, size);
	free(image);
	sl_sources_fini(&srcs);
	if (err || sl_diag_failed(&diag)) {
		fprintf(stderr, "polbuild: %s: failed (%d)\n", argv[1], err);
		return 1;
	}
	return 0;
}
