/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to the object writer (object*.c, btf*.c, elf*.c, meta*.c). The
 * writer works in three steps: lay the programs and maps out into sections
 * (object.c), build each section's bytes (btf_object.c, btf_ext.c, meta.c),
 * then assemble the ELF file (elf_writer.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "object/object.h"

struct btf;

/* A growing byte buffer. */
struct sl_obj_buf {
	uint8_t *data;
	size_t len, cap;
};

void sl_obj_buf_fini(struct sl_obj_buf *b);
int sl_obj_buf_append(struct sl_obj_buf *b, const void *data, size_t len);
int sl_obj_buf_append_u32(struct sl_obj_buf *b, uint32_t v);
/* Append zero bytes until the length is a multiple of align. */
int sl_obj_buf_pad(struct sl_obj_buf *b, size_t align);

/* A string table with de-duplication; offset 0 is always "". */
struct sl_obj_strtab {
	struct sl_obj_buf buf;
	uint32_t *slots; /* open addressing: offset + 1, 0 = empty */
	size_t nslots, nused;
};

int sl_obj_strtab_init(struct sl_obj_strtab *t);
void sl_obj_strtab_fini(struct sl_obj_strtab *t);
/* Offset of s in the table, adding it when new. Returns 0 or -errno. */
int sl_obj_strtab_add(struct sl_obj_strtab *t, const char *s, uint32_t *off);

/* One ELF code section: the programs that share a section name, back to back. */
struct sl_obj_codesec {
	const char *name;
	struct bpf_insn *insns; /* malloc'd concatenation */
	uint32_t ninsns;
	uint32_t nrelocs;
};

/* Bytes per field of a BTF map definition in .maps (a pointer each). */
#define SL_OBJ_MAPDEF_FIELD 8
/* type, key, value, max_entries, map_flags, pinning */
#define SL_OBJ_MAPDEF_MAX 6

/* A field of a BTF map definition: `__uint(name, value)` or `__type(key/value, T)`. */
enum sl_obj_mapdef_kind {
	SL_OBJ_MAPDEF_UINT,
	SL_OBJ_MAPDEF_KEY,
	SL_OBJ_MAPDEF_VALUE,
	SL_OBJ_MAPDEF_VALUES, /* `__array(values, struct inner)`: a zero-length array, last */
};

struct sl_obj_mapdef_field {
	const char *name;
	enum sl_obj_mapdef_kind type;
	uint32_t value; /* SL_OBJ_MAPDEF_UINT */
};

struct sl_obj_layout {
	const struct sl_bpf_object *obj;
	const struct sl_ir *ir;
	const struct sl_obj_opts *opts;

	struct sl_obj_codesec *secs;
	uint32_t nsecs;
	uint32_t *prog_sec; /* per program: index in secs */
	uint32_t *prog_off; /* per program: first instruction within its section */

	enum sl_bpf_map_home *map_home; /* per map */
	uint32_t *map_off;		/* per map: byte offset in .maps (0 in its own section) */
	uint32_t *map_size;		/* per map: bytes of its definition or data */
	char **map_section;		/* per map: ".rodata.<name>" or ".data.<name>", else NULL */
	uint32_t maps_size;		/* bytes of .maps (0: no section) */
	uint32_t ndata;			/* maps with their own data section */

	struct btf *btf;
	int *prog_func; /* per program: BTF id of its FUNC */

	struct sl_obj_buf btf_ext;
	struct sl_obj_buf meta;
};

/* An internal error: the object handed to the writer breaks the contract. Returns -EINVAL. */
int sl_obj_error(struct sl_diag *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The fields of a map's definition, in the order libbpf-style C declares
 * them: type, key (or key_size), value (or value_size), max_entries, then
 * map_flags and pinning when set. Fills `out` (SL_OBJ_MAPDEF_MAX entries,
 * may be NULL); returns their number.
 */
uint32_t sl_obj_mapdef_fields(const struct sl_bpf_map *map, struct sl_obj_mapdef_field *out);
/* Bytes of a map's definition in .maps (the values array of a map-in-map takes none). */
uint32_t sl_obj_mapdef_size(const struct sl_bpf_map *map);

/* .BTF: every map, the context types, a FUNC per program. */
int sl_obj_btf_build(struct sl_obj_layout *l, struct sl_diag *diag);
/* .BTF.ext: func_info and line_info; adds its strings to l->btf (call before btf__raw_data). */
int sl_obj_btf_ext_build(struct sl_obj_layout *l, struct sl_diag *diag);
/* SLUICE_META_SECTION as include/sluice/abi.h lays it out. */
int sl_obj_meta_build(struct sl_obj_layout *l, struct sl_diag *diag);
/* The ELF image. */
int sl_obj_elf_write(const struct sl_obj_layout *l, struct sl_diag *diag, void **image,
		     size_t *size);

/* The source line a location points at, trimmed, malloc'd ("" when unknown); NULL on OOM. */
char *sl_obj_loc_line(const struct sl_ir *ir, struct sl_loc loc);
/* The file name of a location; "" when unknown. Never NULL. */
const char *sl_obj_loc_file(const struct sl_ir *ir, struct sl_loc loc);
