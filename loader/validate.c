// SPDX-License-Identifier: GPL-2.0-only
#include <elf.h>
#include <errno.h>
#include <linux/btf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/abi.h>

#include "validate.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

/* BTF_KIND_ENUM64 (19) and its record, for headers older than 6.0. */
#define SL_BTF_KIND_ENUM64 19
#define SL_BTF_KIND_MAX	   19

struct view {
	const uint8_t *data;
	size_t size;
	Elf64_Ehdr eh;
	Elf64_Shdr *sh; /* copies, aligned */
	uint16_t shnum;
	const char *shstr;
	size_t shstr_size;
	char *why;
	size_t why_len;
};

__attribute__((format(printf, 2, 3))) static int bad(struct view *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->why, v->why_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* A string table: non-empty and NUL-terminated, so every offset inside it is a C string. */
static bool strtab_ok(const uint8_t *p, size_t n)
{
	return n > 0 && p[n - 1] == '\0';
}

static const char *sec_name(const struct view *v, const Elf64_Shdr *s)
{
	return s->sh_name < v->shstr_size ? v->shstr + s->sh_name : "";
}

/* A section by name (the first one), or NULL. */
static const Elf64_Shdr *find_sec(const struct view *v, const char *name, uint16_t *idx)
{
	for (uint16_t i = 1; i < v->shnum; i++) {
		if (!strcmp(sec_name(v, &v->sh[i]), name)) {
			if (idx)
				*idx = i;
			return &v->sh[i];
		}
	}
	return NULL;
}

static const uint8_t *sec_data(const struct view *v, const Elf64_Shdr *s)
{
	return v->data + s->sh_offset;
}

static int check_header(struct view *v)
{
	Elf64_Ehdr *eh = &v->eh;

	if (v->size < sizeof(*eh) || memcmp(v->data, ELFMAG, SELFMAG))
		return bad(v, "not an ELF file");
	memcpy(eh, v->data, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return bad(v, "not a 64-bit little-endian ELF file (BPF objects are bpfel)");
	if (eh->e_machine != EM_BPF || eh->e_type != ET_REL)
		return bad(v, "not a BPF object (ELF machine %u, type %u)", eh->e_machine,
			   eh->e_type);
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0 ||
	    eh->e_shnum >= SHN_LORESERVE)
		return bad(v, "ELF section table is malformed (%u entries of %u bytes)",
			   eh->e_shnum, eh->e_shentsize);
	if (!in_bounds(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), v->size))
		return bad(v, "ELF section table lies outside the file");
	if (eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum)
		return bad(v, "ELF section name table index %u is out of range", eh->e_shstrndx);
	return 0;
}

static int check_sections(struct view *v)
{
	const Elf64_Shdr *ss;

	v->shnum = v->eh.e_shnum;
	v->sh = calloc(v->shnum, sizeof(*v->sh));
	if (!v->sh)
		return -ENOMEM;
	memcpy(v->sh, v->data + v->eh.e_shoff, v->shnum * sizeof(*v->sh));
	for (uint16_t i = 1; i < v->shnum; i++) {
		const Elf64_Shdr *s = &v->sh[i];

		if (s->sh_type != SHT_NOBITS && !in_bounds(s->sh_offset, s->sh_size, v->size))
			return bad(v, "ELF section %u lies outside the file", i);
		if (s->sh_link >= v->shnum)
			return bad(v, "ELF section %u links to section %u of %u", i, s->sh_link,
				   v->shnum);
		if (s->sh_type == SHT_STRTAB && !strtab_ok(sec_data(v, s), s->sh_size))
			return bad(v, "ELF string table (section %u) is not NUL-terminated", i);
	}
	ss = &v->sh[v->eh.e_shstrndx];
	if (ss->sh_type != SHT_STRTAB)
		return bad(v, "ELF section name table is not a string table");
	v->shstr = (const char *)sec_data(v, ss);
	v->shstr_size = ss->sh_size;
	for (uint16_t i = 1; i < v->shnum; i++) {
		const Elf64_Shdr *s = &v->sh[i];

		if (s->sh_name >= v->shstr_size)
			return bad(v, "ELF section %u has a name offset out of range", i);
		if ((s->sh_flags & SHF_EXECINSTR) && s->sh_type == SHT_PROGBITS &&
		    s->sh_size % sizeof(uint64_t))
			return bad(v, "code section %u is not a whole number of instructions", i);
	}
	return 0;
}

static int check_symbols(struct view *v, uint16_t *symtab, uint64_t *nsyms)
{
	const Elf64_Shdr *st = NULL, *str;
	const uint8_t *syms;

	for (uint16_t i = 1; i < v->shnum; i++) {
		if (v->sh[i].sh_type != SHT_SYMTAB)
			continue;
		if (st)
			return bad(v, "more than one ELF symbol table");
		st = &v->sh[i];
		*symtab = i;
	}
	if (!st)
		return bad(v, "no ELF symbol table");
	if (st->sh_entsize != sizeof(Elf64_Sym) || st->sh_size % sizeof(Elf64_Sym))
		return bad(v, "ELF symbol table has entries of %llu bytes",
			   (unsigned long long)st->sh_entsize);
	str = &v->sh[st->sh_link];
	if (str->sh_type != SHT_STRTAB)
		return bad(v, "ELF symbol table does not link to a string table");
	syms = sec_data(v, st);
	*nsyms = st->sh_size / sizeof(Elf64_Sym);
	for (uint64_t i = 0; i < *nsyms; i++) {
		Elf64_Sym s;

		memcpy(&s, syms + i * sizeof(s), sizeof(s));
		if (s.st_name >= str->sh_size)
			return bad(v, "ELF symbol %llu has a name offset out of range",
				   (unsigned long long)i);
		if (s.st_shndx >= v->shnum && s.st_shndx < SHN_LORESERVE)
			return bad(v, "ELF symbol %llu is in section %u of %u",
				   (unsigned long long)i, s.st_shndx, v->shnum);
		if (s.st_shndx == SHN_XINDEX)
			return bad(v, "ELF symbol %llu uses extended section indices",
				   (unsigned long long)i);
		if (ELF64_ST_TYPE(s.st_info) == STT_FUNC && s.st_shndx && s.st_shndx < v->shnum) {
			const Elf64_Shdr *sec = &v->sh[s.st_shndx];

			if (!in_bounds(s.st_value, s.st_size, sec->sh_size) || s.st_value % 8 ||
			    s.st_size % 8)
				return bad(v, "function symbol %llu lies outside its section",
					   (unsigned long long)i);
		}
	}
	return 0;
}

static int check_relocations(struct view *v, uint16_t symtab, uint64_t nsyms)
{
	for (uint16_t i = 1; i < v->shnum; i++) {
		const Elf64_Shdr *s = &v->sh[i];
		size_t ent = s->sh_type == SHT_REL ? sizeof(Elf64_Rel) : sizeof(Elf64_Rela);
		const Elf64_Shdr *target;

		if (s->sh_type != SHT_REL && s->sh_type != SHT_RELA)
			continue;
		if (s->sh_entsize != ent || s->sh_size % ent)
			return bad(v, "relocation section %u has entries of %llu bytes", i,
				   (unsigned long long)s->sh_entsize);
		if (s->sh_link != symtab)
			return bad(v, "relocation section %u does not use the symbol table", i);
		if (s->sh_info == 0 || s->sh_info >= v->shnum)
			return bad(v, "relocation section %u applies to section %u of %u", i,
				   s->sh_info, v->shnum);
		target = &v->sh[s->sh_info];
		for (uint64_t r = 0; r < s->sh_size / ent; r++) {
			Elf64_Rel rel;

			memcpy(&rel, sec_data(v, s) + r * ent, sizeof(rel));
			if (ELF64_R_SYM(rel.r_info) >= nsyms)
				return bad(
				    v, "relocation %llu of section %u names symbol %llu of %llu",
				    (unsigned long long)r, i,
				    (unsigned long long)ELF64_R_SYM(rel.r_info),
				    (unsigned long long)nsyms);
			/* Code: whole instructions (libbpf patches them); elsewhere (debug info,
			 * which libbpf skips) a relocation may be 4 bytes wide. */
			if ((target->sh_flags & SHF_EXECINSTR)
				? !in_bounds(rel.r_offset, sizeof(uint64_t), target->sh_size) ||
				      rel.r_offset % 8
				: rel.r_offset >= target->sh_size)
				return bad(v,
					   "relocation %llu of section %u lies outside section %u",
					   (unsigned long long)r, i, s->sh_info);
		}
	}
	return 0;
}

/* .BTF, parsed enough to check every offset and id libbpf follows. */
struct btf_view {
	const uint8_t *types;
	uint32_t types_len;
	const char *strs;
	uint32_t strs_len;
	uint32_t ntypes; /* ids 1..ntypes */
	uint32_t *offs;	 /* offset of each type in types, by id */
};

static bool btf_str_ok(const struct btf_view *b, uint32_t off)
{
	return off < b->strs_len;
}

static bool btf_id_ok(const struct btf_view *b, uint32_t id)
{
	return id <= b->ntypes;
}

static uint32_t btf_kind_of(const struct btf_view *b, uint32_t id)
{
	return id && id <= b->ntypes ? BTF_INFO_KIND(rd32(b->types + b->offs[id] + 4)) : 0;
}

/* Bytes after struct btf_type for a type of this kind and vlen; -1 for an unknown kind. */
static int64_t btf_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return 12;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
	case SL_BTF_KIND_ENUM64:
		return 12LL * vlen;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		return 8LL * vlen;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

static int btf_index(struct view *v, struct btf_view *b)
{
	uint32_t off = 0, n = 0, cap = 64;

	b->offs = malloc(cap * sizeof(*b->offs));
	if (!b->offs)
		return -ENOMEM;
	while (off < b->types_len) {
		uint32_t info, kind;
		int64_t extra;

		if (b->types_len - off < sizeof(struct btf_type))
			return bad(v, ".BTF: type %u is truncated", n + 1);
		info = rd32(b->types + off + 4);
		kind = BTF_INFO_KIND(info);
		extra = btf_extra(kind, BTF_INFO_VLEN(info));
		if (kind == BTF_KIND_UNKN || kind > SL_BTF_KIND_MAX || extra < 0)
			return bad(v, ".BTF: type %u has unknown kind %u", n + 1, kind);
		if ((uint64_t)extra > b->types_len - off - sizeof(struct btf_type))
			return bad(v, ".BTF: type %u is truncated", n + 1);
		if (++n == cap) {
			uint32_t *o = realloc(b->offs, 2 * cap * sizeof(*o));

			if (!o)
				return -ENOMEM;
			b->offs = o;
			cap *= 2;
		}
		b->offs[n] = off;
		off += sizeof(struct btf_type) + extra;
	}
	b->ntypes = n;
	return 0;
}

static int btf_check_type(struct view *v, const struct btf_view *b, uint32_t id)
{
	const uint8_t *t = b->types + b->offs[id];
	const uint8_t *x = t + sizeof(struct btf_type);
	uint32_t name = rd32(t), info = rd32(t + 4), ref = rd32(t + 8);
	uint32_t kind = BTF_INFO_KIND(info), vlen = BTF_INFO_VLEN(info);

	if (!btf_str_ok(b, name))
		return bad(v, ".BTF: type %u has a name offset out of range", id);
	switch (kind) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
	case BTF_KIND_TYPE_TAG:
		if (!btf_id_ok(b, ref))
			return bad(v, ".BTF: type %u refers to type %u of %u", id, ref, b->ntypes);
		break;
	case BTF_KIND_FUNC:
		if (btf_kind_of(b, ref) != BTF_KIND_FUNC_PROTO)
			return bad(v, ".BTF: function %u has no prototype", id);
		break;
	case BTF_KIND_ARRAY:
		if (!btf_id_ok(b, rd32(x)) || !btf_id_ok(b, rd32(x + 4)))
			return bad(v, ".BTF: array %u refers to a type out of range", id);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (uint32_t i = 0; i < vlen; i++)
			if (!btf_str_ok(b, rd32(x + 12 * i)) || !btf_id_ok(b, rd32(x + 12 * i + 4)))
				return bad(v, ".BTF: member %u of type %u is out of range", i, id);
		break;
	case BTF_KIND_ENUM:
	case SL_BTF_KIND_ENUM64:
		for (uint32_t i = 0; i < vlen; i++)
			if (!btf_str_ok(b, rd32(x + (kind == BTF_KIND_ENUM ? 8 : 12) * i)))
				return bad(v, ".BTF: enumerator %u of type %u has a bad name", i,
					   id);
		break;
	case BTF_KIND_FUNC_PROTO:
		if (!btf_id_ok(b, ref))
			return bad(v, ".BTF: prototype %u returns type %u of %u", id, ref,
				   b->ntypes);
		for (uint32_t i = 0; i < vlen; i++)
			if (!btf_str_ok(b, rd32(x + 8 * i)) || !btf_id_ok(b, rd32(x + 8 * i + 4)))
				return bad(v, ".BTF: parameter %u of prototype %u is out of range",
					   i, id);
		break;
	case BTF_KIND_DATASEC: {
		const Elf64_Shdr *sec = find_sec(v, b->strs + name, NULL);

		for (uint32_t i = 0; i < vlen; i++) {
			uint32_t vt = rd32(x + 12 * i), off = rd32(x + 12 * i + 4);
			uint32_t sz = rd32(x + 12 * i + 8);

			if (btf_kind_of(b, vt) != BTF_KIND_VAR &&
			    btf_kind_of(b, vt) != BTF_KIND_FUNC)
				return bad(v, ".BTF: entry %u of section type %u is not a variable",
					   i, id);
			if (sec && sec->sh_type != SHT_NOBITS && !in_bounds(off, sz, sec->sh_size))
				return bad(v, ".BTF: variable %u of section '%s' lies outside it",
					   i, sec_name(v, sec));
		}
		break;
	}
	default:
		break;
	}
	return 0;
}

static int check_btf(struct view *v, struct btf_view *b)
{
	const Elf64_Shdr *s = find_sec(v, ".BTF", NULL);
	struct btf_header h;
	const uint8_t *d;
	int err;

	if (!s)
		return 0; /* libbpf copes without BTF; sluice objects have it */
	if (s->sh_type == SHT_NOBITS || s->sh_size < sizeof(h))
		return bad(v, ".BTF is too short for its header");
	d = sec_data(v, s);
	memcpy(&h, d, sizeof(h));
	if (h.magic != BTF_MAGIC || h.version != BTF_VERSION || h.flags)
		return bad(v, ".BTF has a bad magic, version or flags");
	if (h.hdr_len < sizeof(h) || h.hdr_len > s->sh_size)
		return bad(v, ".BTF header length %u is out of range", h.hdr_len);
	for (uint32_t i = sizeof(h); i < h.hdr_len; i++)
		if (d[i])
			return bad(v, ".BTF header has unknown non-zero fields");
	if (h.type_off % 4 || !in_bounds(h.type_off, h.type_len, s->sh_size - h.hdr_len) ||
	    !in_bounds(h.str_off, h.str_len, s->sh_size - h.hdr_len) ||
	    (h.type_off < h.str_off ? h.type_off + h.type_len > h.str_off
				    : h.str_off + h.str_len > h.type_off))
		return bad(v, ".BTF type or string section is out of range");
	b->types = d + h.hdr_len + h.type_off;
	b->types_len = h.type_len;
	b->strs = (const char *)d + h.hdr_len + h.str_off;
	b->strs_len = h.str_len;
	if (!strtab_ok((const uint8_t *)b->strs, b->strs_len) || b->strs[0])
		return bad(v, ".BTF string section does not start and end with a NUL");
	err = btf_index(v, b);
	for (uint32_t id = 1; !err && id <= b->ntypes; id++)
		err = btf_check_type(v, b, id);
	return err;
}

struct ext_kind {
	const char *what;
	uint32_t min_rec;
};

/* One info section of .BTF.ext: rec_size, then blocks of {sec_name_off, num_info, records}. */
static int check_ext_info(struct view *v, const struct btf_view *b, const uint8_t *p, uint32_t len,
			  const struct ext_kind *k, int which)
{
	uint32_t rec, off = 4;

	if (!len)
		return 0;
	if (len < 4)
		return bad(v, ".BTF.ext %s is truncated", k->what);
	rec = rd32(p);
	if (rec < k->min_rec || rec % 4 || rec > 4096)
		return bad(v, ".BTF.ext %s has records of %u bytes", k->what, rec);
	while (off < len) {
		uint32_t name, n;
		const Elf64_Shdr *sec;

		if (len - off < 8)
			return bad(v, ".BTF.ext %s is truncated", k->what);
		name = rd32(p + off);
		n = rd32(p + off + 4);
		off += 8;
		if (!btf_str_ok(b, name))
			return bad(v, ".BTF.ext %s names a section with a bad string offset",
				   k->what);
		if (!n || (uint64_t)n * rec > len - off)
			return bad(v, ".BTF.ext %s has %u records that do not fit", k->what, n);
		sec = find_sec(v, b->strs + name, NULL);
		if (!sec)
			return bad(v, ".BTF.ext %s names a section the object lacks", k->what);
		for (uint32_t i = 0; i < n; i++, off += rec) {
			const uint8_t *r = p + off;
			uint32_t insn = rd32(r);

			if (insn % 8 || insn >= sec->sh_size)
				return bad(v, ".BTF.ext %s record %u points outside its section",
					   k->what, i);
			if (which == 0 && btf_kind_of(b, rd32(r + 4)) != BTF_KIND_FUNC)
				return bad(v, ".BTF.ext func_info record %u is not a function", i);
			if (which == 1 &&
			    (!btf_str_ok(b, rd32(r + 4)) || !btf_str_ok(b, rd32(r + 8))))
				return bad(
				    v, ".BTF.ext line_info record %u has a bad string offset", i);
			if (which == 2 && (!rd32(r + 4) || !btf_id_ok(b, rd32(r + 4)) ||
					   !btf_str_ok(b, rd32(r + 8))))
				return bad(v, ".BTF.ext CO-RE record %u is out of range", i);
		}
	}
	return 0;
}

static int check_btf_ext(struct view *v, const struct btf_view *b)
{
	static const struct ext_kind kinds[] = {
	    {"func_info", 8}, {"line_info", 16}, {"CO-RE relocations", 16}};
	const Elf64_Shdr *s = find_sec(v, ".BTF.ext", NULL);
	const uint8_t *d;
	uint32_t hdr_len, fields[6] = {};
	int err = 0;

	if (!s)
		return 0;
	if (!b->offs)
		return bad(v, ".BTF.ext without .BTF");
	if (s->sh_type == SHT_NOBITS || s->sh_size < 8 + 16)
		return bad(v, ".BTF.ext is too short for its header");
	d = sec_data(v, s);
	hdr_len = rd32(d + 4);
	if ((d[0] | d[1] << 8) != BTF_MAGIC || d[2] != 1 || d[3])
		return bad(v, ".BTF.ext has a bad magic, version or flags");
	if (hdr_len < 8 + 16 || hdr_len > s->sh_size || hdr_len % 4)
		return bad(v, ".BTF.ext header length %u is out of range", hdr_len);
	memcpy(fields, d + 8, hdr_len - 8 < sizeof(fields) ? hdr_len - 8 : sizeof(fields));
	for (int i = 0; i < 3 && !err; i++) {
		uint32_t off = fields[2 * i], len = fields[2 * i + 1];

		if (i == 2 && hdr_len < 8 + 24)
			break;
		if (off % 4 || !in_bounds(off, len, s->sh_size - hdr_len))
			return bad(v, ".BTF.ext %s is out of range", kinds[i].what);
		err = check_ext_info(v, b, d + hdr_len + off, len, &kinds[i], i);
	}
	return err;
}

int sl_validate_object(const void *data, size_t size, struct sl_elf_view *out, char *why,
		       size_t why_len)
{
	struct view v = {.data = data, .size = size, .why = why, .why_len = why_len};
	struct btf_view b = {};
	const Elf64_Shdr *meta;
	uint16_t symtab = 0;
	uint64_t nsyms = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = check_header(&v);
	if (!err)
		err = check_sections(&v);
	if (!err)
		err = check_symbols(&v, &symtab, &nsyms);
	if (!err)
		err = check_relocations(&v, symtab, nsyms);
	if (!err)
		err = check_btf(&v, &b);
	if (!err)
		err = check_btf_ext(&v, &b);
	if (!err && (meta = find_sec(&v, SLUICE_META_SECTION, NULL))) {
		if (meta->sh_type == SHT_NOBITS)
			err = bad(&v, "%s has no contents", SLUICE_META_SECTION);
		out->meta = sec_data(&v, meta);
		out->meta_size = meta->sh_size;
	}
	if (err == -ENOMEM)
		snprintf(why, why_len, "out of memory");
	/* Names from a damaged object may hold any byte: the reason goes to a terminal. */
	for (char *p = why; err && *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	free(v.sh);
	free(b.offs);
	return err;
}
