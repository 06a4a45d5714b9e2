// SPDX-License-Identifier: GPL-2.0-only
#include "kt.h"
#include "lib/compile.h"

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
	struct sl_compile_opts opts = {.record_decisions = true};

	kt_load_opts(kt, ir, table, &opts, prog, NULL);
}

/* Load program `table` of a compiled policy (raw instructions or the object). */
static void load_result(struct kt *kt, const struct sl_result *r, uint32_t table,
			struct sl_kern_prog *prog, uint32_t *ninsns)
{
	const struct sl_bpf_object *obj = r->obj;
	char *log = NULL;
	int err;

	if (ninsns)
		*ninsns = obj->progs[table].ninsns;
	if (kt->raw) {
		err = sl_kern_load_raw(obj, table, prog, &log);
	} else {
		size_t size = 0;
		const void *image = sl_result_object(r, &size);

		err = sl_kern_load_elf(image, size, obj->progs[table].name, prog, &log);
		prog->hook = r->written->tables[table].hook;
	}
	/* the sets hold the policy's elements, as after `sluice-load attach` */
	if (!err) {
		err = sl_kern_sets_fill_ir(prog, r->written);
		if (err) {
			fprintf(stderr, "%s: FAIL: filling the named sets failed: %d\n", kt->test,
				err);
			exit(1);
		}
	}
	if (err) {
		size_t n = log ? strlen(log) : 0;

		fprintf(stderr, "%s: FAIL: %s load of table %u (%s) failed: %d\n%s\n", kt->test,
			kt->raw ? "raw" : "ELF", table,
			sl_hook_name(r->written->tables[table].hook), err,
			log ? log + (n > 8000 ? n - 8000 : 0) : "");
		free(log);
		exit(1);
	}
	free(log);
}

void kt_load_opts(struct kt *kt, const struct sl_ir *ir, uint32_t table,
		  const struct sl_compile_opts *opts, struct sl_kern_prog *prog, uint32_t *ninsns)
{
	struct sl_compile_opts o = *opts;
	struct sl_result *r = NULL;

	o.compiler = "sluice kernel tests";
	o.diag = stderr;
	if (sl_compile_ir(ir, &o, &r) != SL_COMPILE_OK || table >= r->obj->nprogs) {
		fprintf(stderr, "%s: compile failed\n", kt->test);
		exit(1);
	}
	load_result(kt, r, table, prog, ninsns);
	sl_result_free(r);
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
	kt_load_text_level(kt, text, table, 0, prog);
}

void kt_load_text_level(struct kt *kt, const char *text, uint32_t table, int level,
			struct sl_kern_prog *prog)
{
	kt_load_text_opts(kt, text, table, level, true, prog);
}

void kt_load_text_opts(struct kt *kt, const char *text, uint32_t table, int level, bool record,
		       struct sl_kern_prog *prog)
{
	struct sl_compile_opts o = {.record_decisions = record,
				    .compiler = "sluice kernel tests",
				    .diag = stderr,
				    .opt_level = level};
	struct sl_result *r = NULL;
	int status = sl_compile("test.sluice", text, strlen(text), &o, &r);

	if (status != SL_COMPILE_OK || table >= r->obj->nprogs) {
		fprintf(stderr, "%s: policy does not compile (%d)\n", kt->test, status);
		exit(1);
	}
	load_result(kt, r, table, prog, NULL);
	sl_result_free(r);
}
