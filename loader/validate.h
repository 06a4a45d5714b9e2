/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Checks an object's bytes before libbpf sees them. libbpf 1.1 trusts much of
 * an ELF file (string offsets in .BTF, type ids, .BTF.ext records, symbol and
 * relocation indices) and some damaged objects crash it; everything it reads
 * is checked here first: the ELF header and section table, section bounds,
 * string tables, symbols and relocations, .BTF (header, every type, every
 * string offset and type id), .BTF.ext (headers, every func_info, line_info
 * and CO-RE record), and DATASEC entries against their sections. The
 * metadata section is found and handed back for sl_meta_parse.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct sl_elf_view {
	const void *meta; /* the .sluice.meta section, NULL when there is none */
	size_t meta_size;
};

/* 0, or -EINVAL with the reason in why (printable ASCII only). */
int sl_validate_object(const void *data, size_t size, struct sl_elf_view *view, char *why,
		       size_t why_len);
