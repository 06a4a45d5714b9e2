/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading a BPF object back: its programs with their instructions, map
 * relocations and line_info, and the sluice metadata section. For listings
 * (`sluice dump --bpf OBJ`) and tests; any libbpf-style object is accepted,
 * and nothing in the file is trusted: every offset and count is checked.
 */
#pragma once

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/abi.h"

struct btf;

struct sl_objfile_line {
	uint32_t insn; /* index within the program */
	const char *file;
	const char *text;
	uint32_t line, col;
};

struct sl_objfile_reloc {
	uint32_t insn;	     /* index within the program */
	const char *symbol;  /* map (or data) symbol the ld_imm64 refers to */
	const char *section; /* section of that symbol: ".maps", ".rodata.<name>", ... */
};

struct sl_objfile_prog {
	const char *name;
	const char *section;
	struct bpf_insn *insns;
	uint32_t ninsns;
	struct sl_objfile_line *lines; /* sorted by insn */
	uint32_t nlines;
	struct sl_objfile_reloc *relocs; /* sorted by insn */
	uint32_t nrelocs;
};

struct sl_objfile {
	struct sl_objfile_prog *progs; /* in section order, then by offset */
	uint32_t nprogs;
	void *meta; /* copy of SLUICE_META_SECTION, NULL when absent */
	size_t meta_size;
	struct btf *btf; /* .BTF, NULL when absent or unreadable */
	struct sl_objfile_priv *priv;
};

/* true when the bytes start like an ELF file. */
int sl_objfile_is_elf(const void *data, size_t size);

/*
 * Read an object image (copied; the caller keeps its buffer). On error
 * returns -errno and, when why is given, a reason in it.
 */
int sl_objfile_open(const void *image, size_t size, struct sl_objfile **out, char *why,
		    size_t whylen);
void sl_objfile_free(struct sl_objfile *f);

/* The metadata section is read by the shared parser: sl_meta_parse() in sluice/meta.h. */
