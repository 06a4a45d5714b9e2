/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small harness for the kernel verdict tests: compile IR with sl_codegen,
 * load it (raw instructions) for a hook, run frames and compare verdicts and
 * counters with what lang-spec/packet-semantics.md says. Every check that
 * fails prints the case and the frame; the test's exit code is the number of
 * failures (capped), 77 when the kernel cannot run BPF.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "emit/bpf_object.h"
#include "sluice/sluice.h"
#include "irb.h"
#include "kern.h"
#include "pkt.h"

struct kt {
	const char *test;
	unsigned checks, failures;
	bool raw; /* SLUICE_KT_RAW=1: load instructions directly, else through the ELF object */
};

/* Start: returns false (and sets *exit_code) when the kernel cannot run BPF. */
bool kt_begin(struct kt *kt, const char *test, int *exit_code);
int kt_end(struct kt *kt);

/*
 * Compile `ir` (record_decisions on) with sl_compile_ir(): `ir` is the policy as
 * written, optimised at the options' level; load its program `table`: through the
 * object writer and libbpf, or raw (kt->raw). Aborts the test on error.
 */
void kt_load(struct kt *kt, const struct sl_ir *ir, uint32_t table, struct sl_kern_prog *prog);
/* The same with these options (record_decisions should be on); *ninsns (if not NULL): its size. */
void kt_load_opts(struct kt *kt, const struct sl_ir *ir, uint32_t table,
		  const struct sl_compile_opts *opts, struct sl_kern_prog *prog, uint32_t *ninsns);

/* Run one frame; `want`: 1 accept, 0 drop. `what` names the case in messages. */
void kt_verdict(struct kt *kt, struct sl_kern_prog *prog, const struct sl_pkt *p, size_t len,
		int want, const char *what, ...) __attribute__((format(printf, 6, 7)));
/* Like kt_verdict, and the deciding rule (SLUICE_DECISION_POLICY for the policy). */
void kt_decision(struct kt *kt, struct sl_kern_prog *prog, const struct sl_pkt *p, size_t len,
		 uint32_t rule, const char *what, ...) __attribute__((format(printf, 6, 7)));
void kt_expect(struct kt *kt, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Build a frame from a spec (aborts on a bad spec). */
void kt_build(const struct sl_pkt_spec *s, struct sl_pkt *p);

extern const enum sl_hook kt_hooks[SL_HOOK_COUNT];

/* One predicate `field in [lo, hi]` (several on one field make a set). */
struct kt_pred {
	enum sl_field field;
	sl_u128 lo, hi;
};

/*
 * Load a table for `hook` with one rule (id 0): the predicates (plus the protocol
 * tests they imply), counter, accept; policy drop. A frame is then accepted exactly
 * when the rule matches.
 */
void kt_one_rule(struct kt *kt, enum sl_hook hook, const struct kt_pred *preds, unsigned n,
		 struct sl_kern_prog *prog);

/*
 * Compile policy text through the whole front end (parse, check, lower) and load
 * table `table` like kt_load(). Aborts the test when the policy does not compile.
 */
void kt_load_text(struct kt *kt, const char *text, uint32_t table, struct sl_kern_prog *prog);
/* The same at optimisation level `level` (kt_load_text: 0). */
void kt_load_text_level(struct kt *kt, const char *text, uint32_t table, int level,
			struct sl_kern_prog *prog);
/* And with decision recording on or off (off: no decision map; check verdicts only). */
void kt_load_text_opts(struct kt *kt, const char *text, uint32_t table, int level, bool record,
		       struct sl_kern_prog *prog);
