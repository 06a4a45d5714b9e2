// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading BPF objects with libelf (and libbpf for .BTF). The file may come
 * from anywhere: every index, offset and size is checked before use.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_read.h"
#include "common/util.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

struct sl_objfile_priv {
	uint8_t *image;
	size_t size;
	Elf *elf;
	size_t shstrndx;
	Elf_Data *syms;
	size_t nsyms;
	uint32_t symstr;
	uint32_t *prog_shndx; /* per program */
	uint64_t *prog_off;   /* per program: byte offset in its section */
	size_t cap_progs;
};

struct reader {
	struct sl_objfile *f;
	struct sl_objfile_priv *p;
	char *why;
	size_t whylen;
};

static int fail(struct reader *rd, int err, const char *fmt, ...)
{
	va_list ap;

	if (rd->why && rd->whylen) {
		va_start(ap, fmt);
		vsnprintf(rd->why, rd->whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

int sl_objfile_is_elf(const void *data, size_t size)
{
	return size >= SELFMAG && !memcmp(data, ELFMAG, SELFMAG);
}

static const char *section_name(struct reader *rd, Elf_Scn *scn, GElf_Shdr *shdr)
{
	const char *n;

	if (!gelf_getshdr(scn, shdr))
		return NULL;
	n = elf_strptr(rd->p->elf, rd->p->shstrndx, shdr->sh_name);
	return n ? n : "";
}

static const char *symbol_name(struct reader *rd, const GElf_Sym *sym)
{
	const char *n = elf_strptr(rd->p->elf, rd->p->symstr, sym->st_name);

	return n ? n : "";
}

static bool is_code(struct reader *rd, size_t shndx, GElf_Shdr *shdr)
{
	Elf_Scn *scn = elf_getscn(rd->p->elf, shndx);

	return shndx && scn && gelf_getshdr(scn, shdr) && shdr->sh_type == SHT_PROGBITS &&
	       (shdr->sh_flags & SHF_EXECINSTR);
}

static int add_prog(struct reader *rd, const GElf_Sym *sym)
{
	struct sl_objfile *f = rd->f;
	struct sl_objfile_priv *p = rd->p;
	struct sl_objfile_prog *prog;
	Elf_Scn *scn = elf_getscn(p->elf, sym->st_shndx);
	GElf_Shdr shdr;
	Elf_Data *d;
	size_t cap = p->cap_progs;

	if (sym->st_size == 0 || sym->st_size % sizeof(struct bpf_insn) ||
	    sym->st_value % sizeof(struct bpf_insn))
		return fail(rd, -EINVAL, "function '%s' is not a whole number of instructions",
			    symbol_name(rd, sym));
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf || sym->st_value > d->d_size ||
	    sym->st_size > d->d_size - sym->st_value)
		return fail(rd, -EINVAL, "function '%s' lies outside its section",
			    symbol_name(rd, sym));
	/* Three arrays in step: each grows from the same capacity to the same new one. */
	if (sl_grow((void **)&f->progs, &cap, f->nprogs + 1, sizeof(*f->progs)))
		return -ENOMEM;
	cap = p->cap_progs;
	if (sl_grow((void **)&p->prog_shndx, &cap, f->nprogs + 1, sizeof(uint32_t)))
		return -ENOMEM;
	cap = p->cap_progs;
	if (sl_grow((void **)&p->prog_off, &cap, f->nprogs + 1, sizeof(uint64_t)))
		return -ENOMEM;
	p->cap_progs = cap;
	prog = &f->progs[f->nprogs];
	memset(prog, 0, sizeof(*prog));
	prog->name = symbol_name(rd, sym);
	prog->section = section_name(rd, scn, &shdr);
	prog->ninsns = (uint32_t)(sym->st_size / sizeof(struct bpf_insn));
	prog->insns = malloc(sym->st_size);
	if (!prog->insns)
		return -ENOMEM;
	memcpy(prog->insns, (uint8_t *)d->d_buf + sym->st_value, sym->st_size);
	p->prog_shndx[f->nprogs] = sym->st_shndx;
	p->prog_off[f->nprogs] = sym->st_value;
	f->nprogs++;
	return 0;
}

static int read_programs(struct reader *rd)
{
	struct sl_objfile_priv *p = rd->p;
	GElf_Shdr shdr;
	int r;

	for (size_t i = 1; i < p->nsyms; i++) {
		GElf_Sym sym;

		if (!gelf_getsym(p->syms, (int)i, &sym))
			return fail(rd, -EINVAL, "unreadable symbol %zu", i);
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || !is_code(rd, sym.st_shndx, &shdr))
			continue;
		r = add_prog(rd, &sym);
		if (r)
			return r;
	}
	/* Order: by section index, then offset (symbol tables need not be sorted). */
	for (uint32_t i = 1; i < rd->f->nprogs; i++) {
		for (uint32_t j = i; j > 0; j--) {
			uint64_t ka = (uint64_t)p->prog_shndx[j - 1] << 40 | p->prog_off[j - 1];
			uint64_t kb = (uint64_t)p->prog_shndx[j] << 40 | p->prog_off[j];
			struct sl_objfile_prog tp;
			uint32_t ts;
			uint64_t to;

			if (ka <= kb)
				break;
			tp = rd->f->progs[j], rd->f->progs[j] = rd->f->progs[j - 1],
			rd->f->progs[j - 1] = tp;
			ts = p->prog_shndx[j], p->prog_shndx[j] = p->prog_shndx[j - 1],
			p->prog_shndx[j - 1] = ts;
			to = p->prog_off[j], p->prog_off[j] = p->prog_off[j - 1],
			p->prog_off[j - 1] = to;
		}
	}
	return 0;
}

/* The program of section shndx that holds byte offset off; *insn receives its index there. */
static struct sl_objfile_prog *prog_at(struct reader *rd, size_t shndx, uint64_t off,
				       uint32_t *insn)
{
	for (uint32_t i = 0; i < rd->f->nprogs; i++) {
		struct sl_objfile_prog *prog = &rd->f->progs[i];
		uint64_t start = rd->p->prog_off[i];

		if (rd->p->prog_shndx[i] != shndx || off < start ||
		    off >= start + (uint64_t)prog->ninsns * sizeof(struct bpf_insn) ||
		    (off - start) % sizeof(struct bpf_insn))
			continue;
		*insn = (uint32_t)((off - start) / sizeof(struct bpf_insn));
		return prog;
	}
	return NULL;
}

/* The capacity sl_grow() left an array of n elements with (0, 8, 16, 32, ...). */
static size_t grown_cap(size_t n)
{
	size_t cap = 8;

	if (!n)
		return 0;
	while (cap < n)
		cap *= 2;
	return cap;
}

static int add_reloc(struct reader *rd, size_t target, const GElf_Rel *rel)
{
	struct sl_objfile_prog *prog;
	struct sl_objfile_reloc *r;
	GElf_Sym sym;
	GElf_Shdr shdr;
	Elf_Scn *scn;
	size_t cap;
	uint32_t insn;

	if (GELF_R_SYM(rel->r_info) >= rd->p->nsyms ||
	    !gelf_getsym(rd->p->syms, (int)GELF_R_SYM(rel->r_info), &sym))
		return fail(rd, -EINVAL, "relocation names a missing symbol");
	prog = prog_at(rd, target, rel->r_offset, &insn);
	if (!prog)
		return 0; /* outside every function: nothing to show it with */
	cap = grown_cap(prog->nrelocs);
	if (sl_grow((void **)&prog->relocs, &cap, prog->nrelocs + 1, sizeof(*prog->relocs)))
		return -ENOMEM;
	r = &prog->relocs[prog->nrelocs++];
	r->insn = insn;
	r->symbol = symbol_name(rd, &sym);
	scn = sym.st_shndx && sym.st_shndx < SHN_LORESERVE ? elf_getscn(rd->p->elf, sym.st_shndx)
							   : NULL;
	r->section = scn ? section_name(rd, scn, &shdr) : "";
	if (!r->section)
		r->section = "";
	return 0;
}

static int read_relocs(struct reader *rd)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr, target;
	int r;

	while ((scn = elf_nextscn(rd->p->elf, scn))) {
		Elf_Data *d;
		size_t n;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_REL ||
		    !is_code(rd, shdr.sh_info, &target))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !shdr.sh_entsize)
			continue;
		n = d->d_size / sizeof(Elf64_Rel);
		for (size_t i = 0; i < n; i++) {
			GElf_Rel rel;

			if (!gelf_getrel(d, (int)i, &rel))
				return fail(rd, -EINVAL, "unreadable relocation");
			r = add_reloc(rd, shdr.sh_info, &rel);
			if (r)
				return r;
		}
	}
	return 0;
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static size_t section_index_by_name(struct reader *rd, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(rd->p->elf, scn))) {
		const char *n = section_name(rd, scn, &shdr);

		if (n && !strcmp(n, name) && shdr.sh_type == SHT_PROGBITS)
			return elf_ndxscn(scn);
	}
	return 0;
}

static int add_line(struct reader *rd, size_t shndx, const uint8_t *rec)
{
	struct sl_objfile_prog *prog;
	struct sl_objfile_line *ln;
	const char *file = btf__str_by_offset(rd->f->btf, get_u32(rec + 4));
	const char *text = btf__str_by_offset(rd->f->btf, get_u32(rec + 8));
	uint32_t insn, line_col = get_u32(rec + 12);
	size_t cap;

	prog = prog_at(rd, shndx, get_u32(rec), &insn);
	if (!prog)
		return 0;
	cap = grown_cap(prog->nlines);
	if (sl_grow((void **)&prog->lines, &cap, prog->nlines + 1, sizeof(*prog->lines)))
		return -ENOMEM;
	ln = &prog->lines[prog->nlines++];
	ln->insn = insn;
	ln->file = file ? file : "";
	ln->text = text ? text : "";
	ln->line = line_col >> 10;
	ln->col = line_col & 0x3ff;
	return 0;
}

/* The line_info subsection of .BTF.ext (func_info is implied by the symbols). */
static int read_lines(struct reader *rd, const uint8_t *ext, size_t size)
{
	uint32_t hdr_len, off, len, rec_size, pos;
	int r;

	if (size < 24 || get_u32(ext) != (0xeB9Fu | 1u << 16))
		return fail(rd, -EINVAL, ".BTF.ext has no valid header");
	hdr_len = get_u32(ext + 4);
	off = get_u32(ext + 16);
	len = get_u32(ext + 20);
	if (hdr_len < 24 || hdr_len > size || off > size - hdr_len || len > size - hdr_len - off)
		return fail(rd, -EINVAL, ".BTF.ext line_info lies outside the section");
	if (!len)
		return 0;
	ext += hdr_len + off;
	if (len < 4 || (rec_size = get_u32(ext)) < 16)
		return fail(rd, -EINVAL, ".BTF.ext line_info has a bad record size");
	for (pos = 4; len - pos >= 8;) {
		const char *sec = btf__str_by_offset(rd->f->btf, get_u32(ext + pos));
		uint32_t n = get_u32(ext + pos + 4);
		size_t shndx = sec ? section_index_by_name(rd, sec) : 0;

		pos += 8;
		if ((uint64_t)n * rec_size > len - pos)
			return fail(rd, -EINVAL, ".BTF.ext line_info block overruns the section");
		for (uint32_t i = 0; shndx && i < n; i++) {
			r = add_line(rd, shndx, ext + pos + (size_t)i * rec_size);
			if (r)
				return r;
		}
		pos += n * rec_size;
	}
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	const struct sl_objfile_line *x = a, *y = b;

	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct sl_objfile_reloc *x = a, *y = b;

	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

static int read_sections(struct reader *rd, Elf_Data **btf_ext)
{
	struct sl_objfile_priv *p = rd->p;
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(p->elf, scn))) {
		const char *name = section_name(rd, scn, &shdr);
		Elf_Data *d;

		if (!name)
			return fail(rd, -EINVAL, "unreadable section header");
		if (shdr.sh_type == SHT_SYMTAB) {
			p->syms = elf_getdata(scn, NULL);
			p->nsyms = p->syms ? p->syms->d_size / sizeof(Elf64_Sym) : 0;
			p->symstr = shdr.sh_link;
			continue;
		}
		if (shdr.sh_type != SHT_PROGBITS)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			continue;
		if (!strcmp(name, ".BTF") && !rd->f->btf) {
			rd->f->btf = btf__new(d->d_buf, (uint32_t)d->d_size); /* NULL if bad */
		} else if (!strcmp(name, ".BTF.ext")) {
			*btf_ext = d;
		} else if (!strcmp(name, SLUICE_META_SECTION) && !rd->f->meta) {
			rd->f->meta = malloc(d->d_size + 1);
			if (!rd->f->meta)
				return -ENOMEM;
			memcpy(rd->f->meta, d->d_buf, d->d_size);
			rd->f->meta_size = d->d_size;
		}
	}
	if (!p->syms)
		return fail(rd, -EINVAL, "the object has no symbol table");
	return 0;
}

static int read_object(struct reader *rd)
{
	struct sl_objfile_priv *p = rd->p;
	Elf_Data *btf_ext = NULL;
	GElf_Ehdr eh;
	int r;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(rd, -EIO, "libelf is unusable");
	p->elf = elf_memory((char *)p->image, p->size);
	if (!p->elf || elf_kind(p->elf) != ELF_K_ELF || !gelf_getehdr(p->elf, &eh))
		return fail(rd, -EINVAL, "not an ELF file");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_BPF)
		return fail(rd, -EINVAL, "not a BPF object (ELF machine %u)", eh.e_machine);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(rd, -EINVAL, "a big-endian BPF object; only bpfel is supported");
	if (elf_getshdrstrndx(p->elf, &p->shstrndx))
		return fail(rd, -EINVAL, "no section name table");
	r = read_sections(rd, &btf_ext);
	if (!r)
		r = read_programs(rd);
	if (!r)
		r = read_relocs(rd);
	if (!r && btf_ext && rd->f->btf)
		r = read_lines(rd, btf_ext->d_buf, btf_ext->d_size);
	for (uint32_t i = 0; !r && i < rd->f->nprogs; i++) {
		struct sl_objfile_prog *prog = &rd->f->progs[i];

		if (prog->nlines)
			qsort(prog->lines, prog->nlines, sizeof(*prog->lines), cmp_line);
		if (prog->nrelocs)
			qsort(prog->relocs, prog->nrelocs, sizeof(*prog->relocs), cmp_reloc);
	}
	return r;
}

int sl_objfile_open(const void *image, size_t size, struct sl_objfile **out, char *why,
		    size_t whylen)
{
	struct sl_objfile *f = calloc(1, sizeof(*f));
	struct reader rd = {.f = f, .why = why, .whylen = whylen};
	int r;

	*out = NULL;
	if (why && whylen)
		why[0] = '\0';
	if (!f)
		return -ENOMEM;
	f->priv = rd.p = calloc(1, sizeof(*rd.p));
	if (!rd.p || !(rd.p->image = malloc(size ? size : 1))) {
		sl_objfile_free(f);
		return -ENOMEM;
	}
	memcpy(rd.p->image, image, size);
	rd.p->size = size;
	r = read_object(&rd);
	if (r) {
		if (r == -ENOMEM)
			fail(&rd, r, "out of memory");
		sl_objfile_free(f);
		return r;
	}
	*out = f;
	return 0;
}

void sl_objfile_free(struct sl_objfile *f)
{
	if (!f)
		return;
	for (uint32_t i = 0; i < f->nprogs; i++) {
		free(f->progs[i].insns);
		free(f->progs[i].lines);
		free(f->progs[i].relocs);
	}
	free(f->progs);
	free(f->meta);
	btf__free(f->btf);
	if (f->priv) {
		if (f->priv->elf)
			elf_end(f->priv->elf);
		free(f->priv->image);
		free(f->priv->prog_shndx);
		free(f->priv->prog_off);
		free(f->priv);
	}
	free(f);
}
