/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The contract between code generation (IR -> BPF instructions) and the
 * object writer (instructions -> ELF with BTF, .BTF.ext and metadata).
 * Code generation fills a struct sl_bpf_object; the writer serialises it.
 */
#pragma once

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/field.h"
#include "sluice/sluice.h"

struct sl_ir;

/* line_info: instruction `insn` (index, not bytes) came from `loc`. */
struct sl_bpf_line {
	uint32_t insn;
	struct sl_loc loc;
};

/*
 * Instruction `insn` is a BPF_LD_IMM64 that loads the address of map `map`.
 * For a map with `init` (read-only data, placed alone in `.rodata.<name>` like
 * a C global `const T name[max_entries]`), it loads the address of the map's first
 * value plus the instruction's imm (a byte offset): code reads the table
 * directly, without a helper call. For any other map, imm must be 0.
 */
struct sl_bpf_map_reloc {
	uint32_t insn;
	uint32_t map;
};

struct sl_bpf_prog {
	const char *name;      /* function symbol, e.g. "sluice_edge" */
	const char *section;   /* sl_hook_section() of its hook */
	enum sl_hook hook;
	uint32_t table;        /* index in sl_ir.tables */
	struct bpf_insn *insns;
	uint32_t ninsns;
	/*
	 * Sorted by insn, none on an ld_imm64's 2nd half. Of several lines at one
	 * insn the writer keeps the last; without one at insn 0 it adds the first
	 * line's (or the table's) location there, as the kernel requires.
	 */
	struct sl_bpf_line *lines;
	uint32_t nlines;
	struct sl_bpf_map_reloc *relocs;
	uint32_t nrelocs;
};

/* How the BTF of a map's key or value is described. */
enum sl_btf_shape {
	SL_BTF_U32,         /* unsigned int */
	SL_BTF_COUNTER,     /* struct sluice_counter { __u64 packets; __u64 bytes; } */
	SL_BTF_BYTES,       /* unsigned char[size] */
};

struct sl_bpf_map {
	const char *name;
	uint32_t type;        /* BPF_MAP_TYPE_* */
	uint32_t key_size, value_size, max_entries, flags;
	enum sl_btf_shape key_shape, value_shape;
	/* Initial contents (array maps in read-only data), or NULL. value_size * max_entries bytes. */
	const void *init;
};

/* What code generation made of a run of rules (`sluice build --stats`). */
enum sl_bpf_segment_kind {
	SL_BPF_SEG_STRAIGHT,   /* the rules one after the other */
	SL_BPF_SEG_TABLE_WALK, /* decision trees in read-only maps, walked by a bounded program */
	SL_BPF_SEG_CODE_TREE,  /* a decision tree as inline code */
};

struct sl_bpf_segment {
	uint32_t prog;   /* index in progs */
	uint32_t chain;  /* index in sl_ir.chains (a chain inlined at several jumps: once each) */
	uint32_t first;  /* position of its first rule in the chain */
	uint32_t nrules;
	enum sl_bpf_segment_kind kind;
	uint32_t trees;  /* table walk, code tree: trees (else 0) */
	uint32_t depth;  /* their largest depth (inner nodes on a path) */
};

struct sl_bpf_object {
	struct sl_bpf_prog *progs;
	uint32_t nprogs;
	struct sl_bpf_map *maps;
	uint32_t nmaps;
	int32_t counter_map;  /* index of SLUICE_COUNTER_MAP in maps, or -1 */
	int32_t decision_map; /* index of SLUICE_DECISION_MAP in maps, or -1 */
	/* Facts for reports, in emission order; the writer ignores them. */
	struct sl_bpf_segment *segments;
	uint32_t nsegments;
};

/* enum sl_classifier_mode, enum sl_set_lookup: the options of sluice/sluice.h. */

struct sl_codegen_opts {
	int opt_level;
	/*
	 * Debug objects only: every decision also stores the deciding rule id
	 * (SLUICE_DECISION_POLICY for the table policy) in the one-entry array
	 * map SLUICE_DECISION_MAP, so `sluice-load run` can name the rule.
	 */
	bool record_decisions;
	enum sl_classifier_mode classifier;
	enum sl_set_lookup set_lookup;
	/*
	 * Largest classifier table (bytes) a table walk may build; 0: the
	 * kernel's limit, SL_TW_TABLE_MAX. Tests lower it to make runs whose
	 * tables do not fit (cut in two) from small policies.
	 */
	size_t table_max;
};

/* Code generation: one program per IR table. Allocated in `arena`. Returns 0 or -errno. */
int sl_codegen(const struct sl_ir *ir, const struct sl_codegen_opts *opts, struct sl_arena *arena,
	       struct sl_diag *diag, struct sl_bpf_object **out);
