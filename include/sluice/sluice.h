/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libsluice: the sluice compiler as a library. One call runs the whole
 * pipeline, parse -> check -> lower -> opt -> select -> emit -> object:
 *
 *	struct sl_compile_opts o = { .opt_level = 2 };
 *	struct sl_result *r;
 *	int status = sl_compile("policy.sluice", NULL, 0, &o, &r);
 *	if (status == SL_COMPILE_OK)
 *		write(fd, sl_result_object(r, &size), size);
 *	sl_result_free(r);
 *
 * Link with `pkg-config --libs sluice` (static and shared libraries).
 * The same policy and options give the same bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Decision form of runs of accept/drop rules (compiler/select). */
enum sl_classifier_mode {
	SL_CLASSIFIER_AUTO, /* the cost model decides at -O2 and above; straight code below */
	SL_CLASSIFIER_OFF,  /* always straight code */
	SL_CLASSIFIER_TREE, /* a decision-tree walk for every run that can have one */
	SL_CLASSIFIER_CODE, /* the decision trees as inline code wherever they fit */
};

/* How a predicate tests a set of many intervals (compiler/select). */
enum sl_set_lookup {
	SL_SET_LOOKUP_AUTO,   /* a table search for sets of 32+ intervals at -O1 and above */
	SL_SET_LOOKUP_TABLE,  /* a table search for every set of two or more intervals */
	SL_SET_LOOKUP_INLINE, /* one test per interval */
};

struct sl_compile_opts {
	int opt_level; /* 0, 1 or 2 (`sluice build` defaults to 2) */
	enum sl_classifier_mode classifier;
	enum sl_set_lookup set_lookup;
	/*
	 * Debug objects: every decision also stores the deciding rule id in the
	 * map sluice_decision (`sluice-load run` names the rule).
	 */
	bool record_decisions;
	bool werror;	     /* warnings fail the compile */
	bool quiet_warnings; /* do not report warnings */
	/* Recorded in the object's metadata; NULL: "sluice VERSION". */
	const char *compiler;
	/* Diagnostics are printed here as they come; NULL: kept in the result only. */
	FILE *diag;
	/* Tests: the largest classifier table in bytes (0: the kernel's limit). */
	size_t table_max;
	/* Errors reported before the rest are only counted (0: 50). */
	unsigned max_errors;
	/*
	 * Test objects: programs with limits or logs read their clock from the
	 * map sluice_clock (written by the test, or by `sluice-load run` from
	 * the pcap's timestamps) instead of bpf_ktime_get_ns().
	 */
	bool test_clock;
};

/* sl_compile()'s status: the `sluice build` exit codes. */
enum sl_compile_status {
	SL_COMPILE_OK = 0,
	SL_COMPILE_POLICY = 1, /* the policy has errors (reported) */
	SL_COMPILE_SYSTEM = 2, /* out of memory, unreadable file, a bug (reported) */
};

/* Per stage: wall time and what came out (never part of the object). */
struct sl_compile_stage_stats {
	const char *name; /* parse, lower, opt, emit, object */
	double seconds;
};

#define SL_COMPILE_STAGES 5

struct sl_compile_stats {
	struct sl_compile_stage_stats stage[SL_COMPILE_STAGES];
	uint32_t rules_written; /* rules of the policy as written */
	uint32_t rules_emitted; /* rules left after the optimiser */
	uint32_t programs;	/* one per table */
	uint64_t insns;		/* instructions of all programs */
	uint32_t maps;
	/* The plan: runs of rules by the code they became. */
	uint32_t runs_straight, runs_table_walk, runs_code_tree;
	uint32_t rules_straight, rules_table_walk, rules_code_tree;
	size_t object_bytes;
};

struct sl_result;

/*
 * Compile a policy: the file `path`, or when `text` is not NULL the `len`
 * bytes at `text` (then `path` only names it in diagnostics). Returns an
 * enum sl_compile_status; *out gets the result whatever the status (NULL
 * only when even that could not be allocated): free it with sl_result_free().
 */
int sl_compile(const char *path, const char *text, size_t len, const struct sl_compile_opts *opts,
	       struct sl_result **out);

/* The object (ELF bytes), or NULL when the compile failed. */
const void *sl_result_object(const struct sl_result *r, size_t *size);
/* Every diagnostic reported, as text ("" when none). */
const char *sl_result_diagnostics(const struct sl_result *r);
const struct sl_compile_stats *sl_result_stats(const struct sl_result *r);
/*
 * What `sluice build --stats` prints: what each optimiser pass did, the plan
 * (what code each run of rules became, per program) and the maps' memory;
 * the passes alone for a compile that stopped after the optimiser.
 */
void sl_result_print_stats(const struct sl_result *r, FILE *out);
/* The plan alone: per program, its runs of rules and the code each became. */
void sl_result_print_plan(const struct sl_result *r, FILE *out);
void sl_result_free(struct sl_result *r);

#ifdef __cplusplus
}
#endif
