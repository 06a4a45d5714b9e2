// SPDX-License-Identifier: GPL-2.0-only
#include "kt.h"
#include "parser/parser.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const enum sl_hook kt_hooks[SL_HOOK_COUNT] = {
    SL_HOOK_XDP,	   SL_HOOK_TC_INGRESS, SL_HOOK_TC_EGRESS, SL_HOOK_CGROUP_INGRESS,
    SL_HOOK_CGROUP_EGRESS,
};

bool kt_begin(struct kt *kt, const char *test, int *exit_code)
{
	char why[256];

	kt->test = test;
	kt->checks = kt->failures = 0;
	kt->raw = getenv("SLUICE_KT_RAW") && !strcmp(getenv("SLUICE_KT_RAW"), "1");
	if (!sl_kern_usable(why, sizeof(why))) {
		*exit_code = sl_kern_skip(test, why);
		return false;
	}
	return true;
}

int kt_end(struct kt *kt)
{
	fprintf(stderr, "%s: %u checks, %u failures\n", kt->test, kt->checks, kt->failures);
	return kt->failures ? (kt->failures > 100 ? 100 : (int)kt->failures) : 0;
}

void kt_load(struct kt *kt, const struct sl_ir *ir, uint32_t table, struct sl_kern_prog *prog)
{
	struct sl_codegen_opts opts = {.record_decisions = true};

	kt_load_opts(kt, ir, table, &opts, prog, NULL);
}

void kt_load_opts(struct kt *kt, const struct sl_ir *ir, uint32_t table,
		  const struct sl_codegen_opts *opts, struct sl_kern_prog *prog,
		  uint32_t *ninsns)
{
	struct sl_diag diag;
	struct sl_bpf_object *obj;
	char *log = NULL;
	int err;

	sl_diag_init(&diag, ir->srcs, stderr);
	err = sl_codegen(ir, opts, ir->arena, &diag, &obj);
	if (err) {
		fprintf(stderr, "%s: codegen failed: %d\n", kt->test, err);
		exit(1);
	}
	if (ninsns)
		*ninsns = obj->progs[table].ninsns;
	if (kt->raw) {
		err = sl_kern_load_raw(obj, table, prog, &log);
	} else {
		struct sl_object_opts oopts = {.opt_level = opts->opt_level,
					       .compiler = "sluice kernel tests"};
		void *image = NULL;
		size_t size = 0;

		err = sl_object_serialize(obj, ir, &oopts, &diag, &image, &size);
		if (!err)
			err = sl_kern_load_elf(image, size, obj->progs[table].name, prog, &log);
		free(image);
		prog->hook = ir->tables[table].hook;
	}
	if (err) {
		size_t n = log ? strlen(log) : 0;

		fprintf(stderr, "%s: %s load of table %u (%s) failed: %d\n%s\n", kt->test,
			kt->raw ? "raw" : "ELF", table, sl_hook_name(ir->tables[table].hook), err,
			log ? log + (n > 8000 ? n - 8000 : 0) : "");
		free(log);
		exit(1);
	}
	free(log);
}

static void vfail(struct kt *kt, const struct sl_pkt *p, size_t len, const char *fmt, va_list ap)
{
	kt->failures++;
	fprintf(stderr, "%s: FAIL: ", kt->test);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (p)
		sl_pkt_dump(p->data, len, stderr);
}

void kt_expect(struct kt *kt, bool ok, const char *fmt, ...)
{
	va_list ap;

	kt->checks++;
	if (ok)
		return;
	va_start(ap, fmt);
	vfail(kt, NULL, 0, fmt, ap);
	va_end(ap);
}

/* Frames the kernel cannot run on the hook are skipped (see sl_kern_runnable()). */
static bool untestable(const struct sl_kern_prog *prog, const struct sl_pkt *p, size_t len)
{
	return !sl_kern_runnable(prog->hook, p->data, len);
}

static int run(struct kt *kt, struct sl_kern_prog *prog, const struct sl_pkt *p, size_t len,
	       uint32_t *ret)
{
	int err;

	sl_kern_decision_set(prog, 0xdeadbeef);
	err = sl_kern_run(prog, p->data, len, ret);
	if (err)
		fprintf(stderr, "%s: test run failed: %d (len %zu)\n", kt->test, err, len);
	return err;
}

void kt_verdict(struct kt *kt, struct sl_kern_prog *prog, const struct sl_pkt *p, size_t len,
		int want, const char *what, ...)
{
	uint32_t ret = 0;
	int got;
	va_list ap;

	if (untestable(prog, p, len))
		return;
	kt->checks++;
	got = run(kt, prog, p, len, &ret) ? -2 : sl_kern_retval_verdict(prog->hook, ret);
	if (got == want)
		return;
	va_start(ap, what);
	char msg[512];

	vsnprintf(msg, sizeof(msg), what, ap);
	va_end(ap);
	kt->failures++;
	fprintf(stderr, "%s: FAIL [%s, len %zu]: %s: want %s, got %s (retval %u)\n", kt->test,
		sl_hook_name(prog->hook), len, msg, want ? "accept" : "drop",
		got == 1   ? "accept"
		: got == 0 ? "drop"
			   : "?",
		ret);
	sl_pkt_dump(p->data, len, stderr);
}

void kt_decision(struct kt *kt, struct sl_kern_prog *prog, const struct sl_pkt *p, size_t len,
		 uint32_t rule, const char *what, ...)
{
	uint32_t ret = 0, got = 0;
	va_list ap;
	char msg[512];

	if (untestable(prog, p, len))
		return;
	kt->checks++;
	if (!run(kt, prog, p, len, &ret) && !sl_kern_decision(prog, &got) && got == rule)
		return;
	va_start(ap, what);
	vsnprintf(msg, sizeof(msg), what, ap);
	va_end(ap);
	kt->failures++;
	fprintf(stderr, "%s: FAIL [%s, len %zu]: %s: want rule %d, got %d\n", kt->test,
		sl_hook_name(prog->hook), len, msg, (int)rule, (int)got);
	sl_pkt_dump(p->data, len, stderr);
}

void kt_build(const struct sl_pkt_spec *s, struct sl_pkt *p)
{
	if (sl_pkt_build(s, p)) {
		fprintf(stderr, "bad packet spec\n");
		exit(1);
	}
}

void kt_one_rule(struct kt *kt, enum sl_hook hook, const struct kt_pred *preds, unsigned n,
		 struct sl_kern_prog *prog)
{
	struct sl_arena *a = sl_arena_new();
	struct sl_ir *ir = sl_irb_new(a, "one");
	uint32_t t = sl_irb_table(ir, "one", hook, SL_VERDICT_DROP);
	uint32_t r = sl_irb_rule(ir, sl_irb_entry(ir, t), SL_IR_ACCEPT, 0, true);

	for (unsigned i = 0; i < n; i++)
		sl_irb_pred(ir, r, preds[i].field, preds[i].lo, preds[i].hi);
	sl_irb_implied(ir, r);
	kt_load(kt, ir, t, prog);
	sl_arena_free(a);
}

void kt_load_text(struct kt *kt, const char *text, uint32_t table, struct sl_kern_prog *prog)
{
	struct sl_sources srcs;
	struct sl_arena *a = sl_arena_new();
	struct sl_diag diag;
	struct sl_ast *ast = NULL;
	struct sl_ir *ir = NULL;
	int err;

	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, stderr);
	err = sl_parse_text("test.sluice", text, strlen(text), &srcs, a, &diag, &ast);
	if (!err)
		err = sl_check(ast, &diag);
	if (!err)
		err = sl_ir_lower(ast, a, &diag, &ir);
	if (err || sl_diag_failed(&diag) || table >= ir->ntables) {
		fprintf(stderr, "%s: policy does not compile (%d)\n", kt->test, err);
		exit(1);
	}
	kt_load(kt, ir, table, prog);
	sl_arena_free(a);
	sl_sources_fini(&srcs);
}
