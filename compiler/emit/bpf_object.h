/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The contract between code generation (IR -> BPF instructions) and the
 * object writer (instructions -> ELF with BTF, .BTF.ext and metadata).
 * Code generation fills a struct sl_bpf_object; the writer serialises it.
 * The model (programs, maps, externs, relocations, BTF types; maps and
 * externs referred to by handle) is described in compiler/object/README.md.
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
 * What an instruction refers to, so the writer can emit the relocation that
 * libbpf resolves at load time:
 *
 *   SL_BPF_RELOC_MAP: `insn` is a BPF_LD_IMM64 that loads map `map`. For a
 *     map in .maps it becomes the map's fd (imm must be 0); for a map with a
 *     data section (SL_BPF_MAP_RODATA, SL_BPF_MAP_DATA, like a C global
 *     `T name[max_entries]`) the address of its first value plus the
 *     instruction's imm (a byte offset): code reads the data directly,
 *     without a helper call.
 *   SL_BPF_RELOC_KFUNC: `insn` is a BPF_CALL with src_reg
 *     BPF_PSEUDO_KFUNC_CALL of kernel function `ext` (an index in
 *     sl_bpf_object.externs); libbpf fills in its BTF id.
 */
enum sl_bpf_reloc_kind {
	SL_BPF_RELOC_MAP,
	SL_BPF_RELOC_KFUNC,
};

struct sl_bpf_reloc {
	uint32_t insn;
	union {
		uint32_t map; /* SL_BPF_RELOC_MAP: index in maps */
		uint32_t ext; /* SL_BPF_RELOC_KFUNC: index in externs */
	};
	enum sl_bpf_reloc_kind kind;
};

struct sl_bpf_prog {
	const char *name;    /* function symbol, e.g. "sluice_edge" */
	const char *section; /* sl_hook_section() of its hook */
	enum sl_hook hook;
	uint32_t table; /* index in sl_ir.tables */
	struct bpf_insn *insns;
	uint32_t ninsns;
	/*
	 * Sorted by insn, none on an ld_imm64's 2nd half. Of several lines at one
	 * insn the writer keeps the last; without one at insn 0 it adds the first
	 * line's (or the table's) location there, as the kernel requires.
	 */
	struct sl_bpf_line *lines;
	uint32_t nlines;
	struct sl_bpf_reloc *relocs; /* sorted by insn */
	uint32_t nrelocs;
	/* The connection tracker's program of the other direction (codegen_ct.c) */
	bool ct_companion;
};

/*
 * A C type as the object's BTF describes it: the keys and values of maps
 * (so that `bpftool map dump` prints named members) and the prototypes of
 * kernel functions. Descriptions are shared by pointer; the writer adds one
 * BTF type per integer size and per struct description (by address), and a
 * new one for every array and pointer.
 */
enum sl_btf_kind {
	SL_BTF_UINT,   /* `size` 1, 2, 4, 8: unsigned char, __u16, __u32, __u64 */
	SL_BTF_INT,    /* `size` 4, 8: int, __s64 */
	SL_BTF_ARRAY,  /* elem[nelems] */
	SL_BTF_STRUCT, /* struct `name` of `size` bytes; no members: an opaque kernel struct */
	SL_BTF_PTR,    /* pointer to elem (void * when elem is NULL) */
};

struct sl_btf_type;

struct sl_btf_member {
	const char *name;
	const struct sl_btf_type *type;
	uint32_t offset; /* bytes */
};

struct sl_btf_type {
	enum sl_btf_kind kind;
	uint32_t size;			     /* UINT, INT, STRUCT: bytes */
	const char *name;		     /* STRUCT: NULL for an anonymous struct */
	const struct sl_btf_type *elem;	     /* ARRAY, PTR */
	uint32_t nelems;		     /* ARRAY */
	const struct sl_btf_member *members; /* STRUCT */
	uint32_t nmembers;
};

extern const struct sl_btf_type sl_btf_u8, sl_btf_u16, sl_btf_u32, sl_btf_u64, sl_btf_s32;
/* struct sluice_counter { __u64 packets; __u64 bytes; } (sluice/abi.h) */
extern const struct sl_btf_type sl_btf_counter;

/* Bytes a value of the type takes (a pointer: 8). */
uint32_t sl_btf_size(const struct sl_btf_type *t);
/* elem[n], allocated in `arena`. */
const struct sl_btf_type *sl_btf_array(struct sl_arena *arena, const struct sl_btf_type *elem,
				       uint32_t n);

/*
 * Where a map lives in the object, and so how libbpf makes it:
 *   SL_BPF_MAP_DEF: a BTF-defined map in `.maps` (any BPF_MAP_TYPE_*); libbpf
 *     creates it empty from the definition.
 *   SL_BPF_MAP_RODATA: global data `const T name[max_entries]` alone in
 *     `.rodata.<name>` with `init` as contents; libbpf makes a one-entry
 *     array map of the whole section and freezes it (read-only to programs).
 *   SL_BPF_MAP_DATA: the same, writable, in `.data.<name>` (zeros without `init`).
 * Data maps have type BPF_MAP_TYPE_ARRAY and a 4-byte key; one section each
 * keeps each under the kernel's value size limit.
 */
enum sl_bpf_map_home {
	SL_BPF_MAP_DEF,
	SL_BPF_MAP_RODATA,
	SL_BPF_MAP_DATA,
};

struct sl_bpf_map {
	const char *name; /* symbol and BTF name: what `bpftool map show` prints */
	uint32_t type;	  /* BPF_MAP_TYPE_* */
	/* (type .. flags stay together: tests/diff fingerprints them as 5 words) */
	uint32_t key_size, value_size, max_entries, flags; /* flags: BPF_F_* (map_flags) */
	/*
	 * BTF of key and value, their sizes equal to key_size and value_size; NULL:
	 * none (a ring buffer has neither; a size without a type is written as
	 * `key_size`/`value_size`, for map types that take no BTF).
	 */
	const struct sl_btf_type *key, *value;
	uint32_t pinning; /* LIBBPF_PIN_* (SL_BPF_MAP_DEF only) */
	enum sl_bpf_map_home home;
	/* Initial contents of a data map, value_size * max_entries bytes, or NULL. */
	const void *init;
	/*
	 * A map-in-map (BPF_MAP_TYPE_ARRAY_OF_MAPS): the template of its inner maps,
	 * written as libbpf's `__array(values, struct { ... })` (never a map of its own).
	 */
	const struct sl_bpf_map *inner;
	/*
	 * Declare the map with key_size/value_size although key/value describe
	 * them: the types still go into the object's BTF (for bpftool btf dump),
	 * but the map is created without BTF. Inner maps of named sets need it:
	 * Linux 6.1 only stores an inner map whose BTF-ness matches the template's
	 * (it compares their timer offsets, -ENOENT with BTF, -EINVAL without),
	 * and loaders create inner maps without BTF.
	 */
	bool sizes_only;
};

/*
 * A kernel function (kfunc) the programs call: declared in BTF as an extern
 * FUNC `ret name(params)` in the DATASEC `.ksyms`, named by an undefined
 * global symbol; libbpf finds it in the kernel's (or a module's) BTF, checks
 * that the prototype is compatible and patches the calls with its BTF id.
 * Pointers to kernel structs may point to opaque SL_BTF_STRUCTs of the same name.
 */
struct sl_btf_param {
	const char *name;
	const struct sl_btf_type *type;
};

struct sl_bpf_extern {
	const char *name;
	const struct sl_btf_type *ret; /* NULL: void */
	const struct sl_btf_param *params;
	uint32_t nparams;
};

/* What code generation made of a run of rules (`sluice build --stats`). */
enum sl_bpf_segment_kind {
	SL_BPF_SEG_STRAIGHT,   /* the rules one after the other */
	SL_BPF_SEG_TABLE_WALK, /* decision trees in read-only maps, walked by a bounded program */
	SL_BPF_SEG_CODE_TREE,  /* a decision tree as inline code */
};

struct sl_bpf_segment {
	uint32_t prog;	/* index in progs */
	uint32_t chain; /* index in sl_ir.chains (a chain inlined at several jumps: once each) */
	uint32_t first; /* position of its first rule in the chain */
	uint32_t nrules;
	enum sl_bpf_segment_kind kind;
	uint32_t trees; /* table walk, code tree: trees (else 0) */
	uint32_t depth; /* their largest depth (inner nodes on a path) */
};

struct sl_bpf_object {
	struct sl_bpf_prog *progs;
	uint32_t nprogs;
	struct sl_bpf_map *maps; /* a map's handle is its index */
	uint32_t nmaps;
	struct sl_bpf_extern *externs; /* an extern's handle is its index */
	uint32_t nexterns;
	int32_t counter_map;  /* index of SLUICE_COUNTER_MAP in maps, or -1 */
	int32_t decision_map; /* index of SLUICE_DECISION_MAP in maps, or -1 */
	/* Facts for reports, in emission order; the writer ignores them. */
	struct sl_bpf_segment *segments;
	uint32_t nsegments;
	/*
	 * Named sets, as sl_ir.sets: the index of each set's outer map in maps
	 * (loaders and tests fill slot 0 with an inner map of the IR set's keys).
	 */
	uint32_t *set_maps;
	uint32_t nsets;
	/* The companion of the table that tracks connections (also the last of progs), or NULL. */
	struct sl_bpf_prog *ct_companion;
};

/* Add a map (copied) to the object; returns its handle. Arrays grow in `arena`. */
uint32_t sl_bpf_obj_add_map(struct sl_bpf_object *obj, struct sl_arena *arena,
			    const struct sl_bpf_map *map);
/* The handle of the map named `name`, or -1. */
int32_t sl_bpf_obj_find_map(const struct sl_bpf_object *obj, const char *name);
/* Add a kernel function (copied) unless one of that name is there; returns its handle. */
uint32_t sl_bpf_obj_add_extern(struct sl_bpf_object *obj, struct sl_arena *arena,
			       const struct sl_bpf_extern *ext);

/* enum sl_classifier_mode, enum sl_set_lookup: the options of sluice/sluice.h. */

struct sl_sel_plan;

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
	/* Limits and logs read the clock from SLUICE_CLOCK_MAP (sluice/log.h), not the kernel's. */
	bool test_clock;
	/*
	 * Measurements only (lib/compile.h: sl_compile_observed): called with each run's plan
	 * (select/select.h: struct sl_sel_plan) once it is emitted, in program
	 * order, before it is freed; the hook may take plan->dt (set it NULL).
	 * Changes nothing in the object.
	 */
	void (*plan_seen)(void *ctx, struct sl_sel_plan *plan);
	void *plan_ctx;
};

/* Code generation: one program per IR table. Allocated in `arena`. Returns 0 or -errno. */
int sl_codegen(const struct sl_ir *ir, const struct sl_codegen_opts *opts, struct sl_arena *arena,
	       struct sl_diag *diag, struct sl_bpf_object **out);
