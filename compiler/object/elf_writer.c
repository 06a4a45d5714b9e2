// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ELF image of a sluice object, assembled with libelf: ET_REL for
 * EM_BPF, one code section per section name, `license`, `.maps`, `.rodata.<map>`,
 * the metadata, `.BTF`, `.BTF.ext`, `.rel<code section>` and `.symtab`, with
 * one `.strtab` for section and symbol names. libelf lays the file out; it
 * writes to a memory file that is then read back into a buffer.
 */
#define _GNU_SOURCE
#include <bpf/btf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "object/object_priv.h"
#include "sluice/abi.h"
#include "common/util.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif
/* ld_imm64 of a map or data address */
#define SL_R_BPF_64_64 1
/* a call: against an undefined symbol, an extern function (kfunc) libbpf resolves */
#define SL_R_BPF_64_32 10

static const char sl_license[] = "GPL";

/* Section indices, fixed before any section is built so symbols can name them. */
struct elf_plan {
	uint32_t strtab;
	uint32_t code0; /* first code section; code section s is code0 + s */
	uint32_t license, maps, meta, btf, btf_ext;
	uint32_t *data_of; /* per map: its data section or 0 */
	uint32_t rel0;	   /* first relocation section, in code section order */
	uint32_t *rel_of;  /* per code section: its .rel index or 0 */
	uint32_t symtab;
	uint32_t nsections;
};

struct elf_out {
	const struct sl_obj_layout *l;
	struct elf_plan plan;
	struct sl_obj_strtab names;
	Elf64_Sym *syms;
	uint32_t nsyms;
	uint32_t *prog_sym; /* per program */
	uint32_t *map_sym;  /* per map */
	uint32_t *ext_sym;  /* per extern */
	Elf64_Rel **rels;   /* per code section */
	uint8_t *zeros; /* contents of .maps (definitions are all zeros), of .data without init */
	uint32_t *nrels;
};

static int plan_sections(struct elf_out *o)
{
	const struct sl_obj_layout *l = o->l;
	struct elf_plan *p = &o->plan;
	uint32_t n = 1;

	p->rel_of = calloc(l->nsecs + 1, sizeof(*p->rel_of));
	p->data_of = calloc(l->obj->nmaps + 1, sizeof(*p->data_of));
	if (!p->rel_of || !p->data_of)
		return -ENOMEM;
	p->strtab = n++;
	p->code0 = n;
	n += l->nsecs;
	p->license = n++;
	p->maps = l->maps_size ? n++ : 0;
	for (uint32_t i = 0; i < l->obj->nmaps; i++) {
		if (l->map_home[i] != SL_BPF_MAP_DEF)
			p->data_of[i] = n++;
	}
	p->meta = n++;
	p->btf = n++;
	p->btf_ext = n++;
	p->rel0 = n;
	for (uint32_t s = 0; s < l->nsecs; s++) {
		if (l->secs[s].nrelocs)
			p->rel_of[s] = n++;
	}
	p->symtab = n++;
	p->nsections = n;
	return 0;
}

static int add_sym(struct elf_out *o, const char *name, unsigned char type, uint32_t shndx,
		   uint64_t value, uint64_t size, uint32_t *idx)
{
	Elf64_Sym *sym = &o->syms[o->nsyms];
	uint32_t name_off;
	int r = sl_obj_strtab_add(&o->names, name, &name_off);

	if (r)
		return r;
	sym->st_name = name_off;
	sym->st_info = ELF64_ST_INFO(STB_GLOBAL, type);
	sym->st_other = STV_DEFAULT;
	sym->st_shndx = (Elf64_Half)shndx;
	sym->st_value = value;
	sym->st_size = size;
	*idx = o->nsyms++;
	return 0;
}

/* Symbol 0 is null; every other symbol is global, so sh_info of .symtab is 1. */
static int build_symbols(struct elf_out *o)
{
	const struct sl_obj_layout *l = o->l;
	const struct sl_bpf_object *obj = l->obj;
	int r = 0;

	o->syms = calloc(1 + obj->nprogs + obj->nmaps + obj->nexterns, sizeof(*o->syms));
	o->prog_sym = calloc(obj->nprogs + 1, sizeof(*o->prog_sym));
	o->map_sym = calloc(obj->nmaps + 1, sizeof(*o->map_sym));
	o->ext_sym = calloc(obj->nexterns + 1, sizeof(*o->ext_sym));
	if (!o->syms || !o->prog_sym || !o->map_sym || !o->ext_sym)
		return -ENOMEM;
	o->nsyms = 1;
	for (uint32_t i = 0; !r && i < obj->nprogs; i++) {
		const struct sl_bpf_prog *p = &obj->progs[i];

		r = add_sym(o, p->name, STT_FUNC, o->plan.code0 + l->prog_sec[i],
			    (uint64_t)l->prog_off[i] * sizeof(struct bpf_insn),
			    (uint64_t)p->ninsns * sizeof(struct bpf_insn), &o->prog_sym[i]);
	}
	for (uint32_t i = 0; !r && i < obj->nmaps; i++) {
		uint32_t shndx =
		    l->map_home[i] == SL_BPF_MAP_DEF ? o->plan.maps : o->plan.data_of[i];

		r = add_sym(o, obj->maps[i].name, STT_OBJECT, shndx, l->map_off[i], l->map_size[i],
			    &o->map_sym[i]);
	}
	/* libbpf takes an undefined global NOTYPE symbol for an extern, found by name in BTF */
	for (uint32_t i = 0; !r && i < obj->nexterns; i++)
		r = add_sym(o, obj->externs[i].name, STT_NOTYPE, SHN_UNDEF, 0, 0, &o->ext_sym[i]);
	return r;
}

static int build_relocs(struct elf_out *o)
{
	const struct sl_obj_layout *l = o->l;
	const struct sl_bpf_object *obj = l->obj;

	o->rels = calloc(l->nsecs + 1, sizeof(*o->rels));
	o->nrels = calloc(l->nsecs + 1, sizeof(*o->nrels));
	if (!o->rels || !o->nrels)
		return -ENOMEM;
	for (uint32_t s = 0; s < l->nsecs; s++) {
		o->rels[s] = calloc(l->secs[s].nrelocs + 1, sizeof(Elf64_Rel));
		if (!o->rels[s])
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < obj->nprogs; i++) {
		const struct sl_bpf_prog *p = &obj->progs[i];
		uint32_t s = l->prog_sec[i];

		for (uint32_t k = 0; k < p->nrelocs; k++) {
			Elf64_Rel *rel = &o->rels[s][o->nrels[s]++];
			uint64_t insn = (uint64_t)l->prog_off[i] + p->relocs[k].insn;

			rel->r_offset = insn * sizeof(struct bpf_insn);
			/*
			 * Data maps too are named by their own symbol (value 0 in a section
			 * of their own): libbpf adds st_value to the instruction's offset.
			 */
			if (p->relocs[k].kind == SL_BPF_RELOC_KFUNC)
				rel->r_info =
				    ELF64_R_INFO(o->ext_sym[p->relocs[k].ext], SL_R_BPF_64_32);
			else
				rel->r_info =
				    ELF64_R_INFO(o->map_sym[p->relocs[k].map], SL_R_BPF_64_64);
		}
	}
	return 0;
}

static int new_section(Elf *elf, struct elf_out *o, uint32_t expect, const char *name,
		       uint32_t type, uint64_t flags, const void *data, size_t size, Elf_Type dtype,
		       uint64_t align, Elf64_Shdr **shdr_out)
{
	Elf_Scn *scn = elf_newscn(elf);
	Elf64_Shdr *shdr;
	Elf_Data *d;
	uint32_t name_off;
	int r;

	if (!scn || elf_ndxscn(scn) != expect)
		return -EIO;
	r = sl_obj_strtab_add(&o->names, name, &name_off);
	if (r)
		return r;
	shdr = elf64_getshdr(scn);
	d = elf_newdata(scn);
	if (!shdr || !d)
		return -EIO;
	shdr->sh_name = name_off;
	shdr->sh_type = type;
	shdr->sh_flags = flags;
	shdr->sh_addralign = align;
	d->d_buf = (void *)data;
	d->d_size = size;
	d->d_type = dtype;
	d->d_align = align;
	d->d_version = EV_CURRENT;
	if (shdr_out)
		*shdr_out = shdr;
	return 0;
}

/* Names of every section go into .strtab before it is written: add them first. */
static int add_section_names(struct elf_out *o, char **rel_names)
{
	const struct sl_obj_layout *l = o->l;
	static const char *const fixed[] = {".strtab", "license",  ".maps",  SLUICE_META_SECTION,
					    ".BTF",    ".BTF.ext", ".symtab"};
	uint32_t off;
	int r = 0;

	for (size_t i = 0; !r && i < SL_ARRAY_SIZE(fixed); i++)
		r = sl_obj_strtab_add(&o->names, fixed[i], &off);
	for (uint32_t i = 0; !r && i < l->obj->nmaps; i++) {
		if (l->map_section[i])
			r = sl_obj_strtab_add(&o->names, l->map_section[i], &off);
	}
	for (uint32_t s = 0; !r && s < l->nsecs; s++) {
		r = sl_obj_strtab_add(&o->names, l->secs[s].name, &off);
		if (r || !o->plan.rel_of[s])
			continue;
		if (asprintf(&rel_names[s], ".rel%s", l->secs[s].name) < 0) {
			rel_names[s] = NULL;
			return -ENOMEM;
		}
		r = sl_obj_strtab_add(&o->names, rel_names[s], &off);
	}
	return r;
}

static int write_sections(Elf *elf, struct elf_out *o, char **rel_names, const void *btf,
			  uint32_t btf_size)
{
	const struct sl_obj_layout *l = o->l;
	const struct elf_plan *p = &o->plan;
	Elf64_Shdr *shdr;
	int r;

	/* .strtab's data is the finished table: every name was added beforehand. */
	r = new_section(elf, o, p->strtab, ".strtab", SHT_STRTAB, 0, o->names.buf.data,
			o->names.buf.len, ELF_T_BYTE, 1, NULL);
	for (uint32_t s = 0; !r && s < l->nsecs; s++)
		r = new_section(elf, o, p->code0 + s, l->secs[s].name, SHT_PROGBITS,
				SHF_ALLOC | SHF_EXECINSTR, l->secs[s].insns,
				(size_t)l->secs[s].ninsns * sizeof(struct bpf_insn), ELF_T_BYTE, 8,
				NULL);
	if (!r)
		r = new_section(elf, o, p->license, "license", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
				sl_license, sizeof(sl_license), ELF_T_BYTE, 1, NULL);
	if (!r && p->maps)
		r = new_section(elf, o, p->maps, ".maps", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
				o->zeros, l->maps_size, ELF_T_BYTE, 8, NULL);
	for (uint32_t i = 0; !r && i < l->obj->nmaps; i++) {
		const struct sl_bpf_map *m = &l->obj->maps[i];

		if (p->data_of[i])
			r = new_section(
			    elf, o, p->data_of[i], l->map_section[i], SHT_PROGBITS,
			    m->home == SL_BPF_MAP_DATA ? SHF_ALLOC | SHF_WRITE : SHF_ALLOC,
			    m->init ? m->init : o->zeros, l->map_size[i], ELF_T_BYTE, 8, NULL);
	}
	if (!r)
		r = new_section(elf, o, p->meta, SLUICE_META_SECTION, SHT_PROGBITS, 0, l->meta.data,
				l->meta.len, ELF_T_BYTE, 8, NULL);
	if (!r)
		r = new_section(elf, o, p->btf, ".BTF", SHT_PROGBITS, 0, btf, btf_size, ELF_T_BYTE,
				4, NULL);
	if (!r)
		r = new_section(elf, o, p->btf_ext, ".BTF.ext", SHT_PROGBITS, 0, l->btf_ext.data,
				l->btf_ext.len, ELF_T_BYTE, 4, NULL);
	for (uint32_t s = 0; !r && s < l->nsecs; s++) {
		if (!p->rel_of[s])
			continue;
		r = new_section(elf, o, p->rel_of[s], rel_names[s], SHT_REL, 0, o->rels[s],
				o->nrels[s] * sizeof(Elf64_Rel), ELF_T_REL, 8, &shdr);
		if (!r) {
			shdr->sh_link = p->symtab;
			shdr->sh_info = p->code0 + s;
			shdr->sh_entsize = sizeof(Elf64_Rel);
		}
	}
	if (!r)
		r = new_section(elf, o, p->symtab, ".symtab", SHT_SYMTAB, 0, o->syms,
				o->nsyms * sizeof(Elf64_Sym), ELF_T_SYM, 8, &shdr);
	if (!r) {
		shdr->sh_link = p->strtab;
		shdr->sh_info = 1;
		shdr->sh_entsize = sizeof(Elf64_Sym);
	}
	return r;
}

static int set_header(Elf *elf, const struct elf_plan *p)
{
	Elf64_Ehdr *eh = elf64_newehdr(elf);

	if (!eh)
		return -EIO;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_REL;
	eh->e_machine = EM_BPF;
	eh->e_version = EV_CURRENT;
	eh->e_shstrndx = (Elf64_Half)p->strtab;
	return 0;
}

static int read_back(int fd, size_t size, void **image)
{
	uint8_t *buf = malloc(size ? size : 1);
	size_t done = 0;

	if (!buf)
		return -ENOMEM;
	while (done < size) {
		ssize_t n = pread(fd, buf + done, size - done, (off_t)done);

		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		done += (size_t)n;
	}
	*image = buf;
	return 0;
}

/* The largest section that is all zeros: .maps, or a .data without contents. */
static size_t zeros_size(const struct sl_obj_layout *l)
{
	size_t n = l->maps_size;

	for (uint32_t i = 0; i < l->obj->nmaps; i++) {
		if (l->map_home[i] == SL_BPF_MAP_DATA && !l->obj->maps[i].init &&
		    l->map_size[i] > n)
			n = l->map_size[i];
	}
	return n + 1;
}

static int emit(struct elf_out *o, char **rel_names, void **image, size_t *size)
{
	const void *btf;
	uint32_t btf_size;
	_cleanup_close_ int fd = -1;
	Elf *elf;
	off_t end = 0;
	int r;

	btf = btf__raw_data(o->l->btf, &btf_size);
	if (!btf)
		return -ENOMEM;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EIO;
	o->zeros = calloc(1, zeros_size(o->l));
	if (!o->zeros)
		return -ENOMEM;
	fd = memfd_create("sluice-object", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!elf)
		return -EIO;
	r = set_header(elf, &o->plan);
	if (!r)
		r = write_sections(elf, o, rel_names, btf, btf_size);
	if (!r) {
		end = elf_update(elf, ELF_C_WRITE);
		if (end < 0)
			r = -EIO;
	}
	elf_end(elf);
	if (r)
		return r;
	*size = (size_t)end;
	return read_back(fd, *size, image);
}

static void elf_out_fini(struct elf_out *o, char **rel_names)
{
	for (uint32_t s = 0; s < o->l->nsecs; s++) {
		if (o->rels)
			free(o->rels[s]);
		if (rel_names)
			free(rel_names[s]);
	}
	free(rel_names);
	free(o->rels);
	free(o->nrels);
	free(o->syms);
	free(o->zeros);
	free(o->prog_sym);
	free(o->map_sym);
	free(o->ext_sym);
	free(o->plan.rel_of);
	free(o->plan.data_of);
	sl_obj_strtab_fini(&o->names);
}

int sl_obj_elf_write(const struct sl_obj_layout *l, struct sl_diag *diag, void **image,
		     size_t *size)
{
	struct elf_out o = {.l = l};
	char **rel_names = calloc(l->nsecs + 1, sizeof(char *));
	int r;

	r = rel_names ? sl_obj_strtab_init(&o.names) : -ENOMEM;
	if (!r)
		r = plan_sections(&o);
	if (!r)
		r = add_section_names(&o, rel_names);
	if (!r)
		r = build_symbols(&o);
	if (!r)
		r = build_relocs(&o);
	if (!r)
		r = emit(&o, rel_names, image, size);
	if (r == -EIO)
		r = sl_obj_error(diag, "libelf cannot write the object: %s", elf_errmsg(-1));
	elf_out_fini(&o, rel_names);
	return r;
}
