// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every policy the project has (examples, golden diagnostics and IR cases,
 * the fuzz corpus) through the whole middle end: whatever the front end
 * accepts must lower, keep the IR's invariants, survive -O1 with them
 * intact and verdict-free rule ids unchanged, and dump. Usage:
 * test_lower_corpus [--all] DIR... (every *.sluice below each DIR,
 * recursively; after --all, every regular file, as in a fuzz corpus).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/ast.h"
#include "ir/ir.h"
#include "opt/opt.h"
#include "parser/parser.h"

struct tally {
	unsigned files, lowered, failed;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void fail_file(struct tally *t, const char *path, const char *what, const char *detail)
{
	fprintf(stderr, "%s: %s%s%s\n", path, what, detail ? ": " : "", detail ? detail : "");
	t->failed++;
}

static void run_one(const char *path, struct tally *t)
{
	struct sl_arena *arena = sl_arena_new(), *copy_arena = sl_arena_new();
	FILE *devnull = fopen("/dev/null", "w");
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_ast *ast = NULL;
	struct sl_ir *ir = NULL, *copy;
	char err[256];

	t->files++;
	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, devnull);
	if (sl_parse_file(path, &srcs, arena, &diag, &ast) || sl_check(ast, &diag))
		goto out; /* rejected by the front end: nothing for the IR to do */
	if (sl_ir_lower(ast, arena, &diag, &ir)) {
		fail_file(t, path, "a checked policy does not lower", NULL);
		goto out;
	}
	t->lowered++;
	if (sl_ir_verify(ir, err, sizeof(err))) {
		fail_file(t, path, "lowered IR breaks an invariant", err);
		goto out;
	}
	sl_ir_dump(ir, devnull);
	copy = sl_ir_clone(ir, copy_arena);
	if (sl_opt_run(copy, SL_OPT_MAX_LEVEL, &diag, NULL) ||
	    sl_ir_verify(copy, err, sizeof(err))) {
		fail_file(t, path, "-O1 IR breaks an invariant", err);
		goto out;
	}
	if (copy->nrules != ir->nrules)
		fail_file(t, path, "-O1 renumbered the rules", NULL);
	sl_ir_dump(copy, devnull);
out:
	sl_sources_fini(&srcs);
	fclose(devnull);
	sl_arena_free(copy_arena);
	sl_arena_free(arena);
}

static void walk(const char *dir, bool all, struct tally *t)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0)
		return; /* a corpus folder that does not exist (yet) */
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *path;

		if (name[0] != '.' && asprintf(&path, "%s/%s", dir, name) >= 0) {
			if (names[i]->d_type == DT_DIR)
				walk(path, all, t);
			else if (names[i]->d_type == DT_REG && (all || ends_with(name, ".sluice")))
				run_one(path, t);
			free(path);
		}
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	struct tally t = {0};
	bool all = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			all = true;
		else
			walk(argv[i], all, &t);
	}
	printf("%u policies, %u lowered, %u failed\n", t.files, t.lowered, t.failed);
	if (!t.lowered) {
		fprintf(stderr, "no policy lowered: the corpus is missing\n");
		return 1;
	}
	return t.failed ? 1 : 0;
}
