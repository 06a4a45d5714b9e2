// SPDX-License-Identifier: GPL-2.0-only
/*
 * The object writer, read back with independent readers: libelf for the ELF
 * structure, libbpf (bpf_object__open_mem, btf__parse_elf, btf_ext__new) for
 * what loaders see, and a direct decoding of .BTF.ext and the metadata.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"
#include "emit/insn.h"
#include "sluice/abi.h"
#include "test_object_samples.h"

struct image {
	void *data;
	size_t size;
	Elf *elf;
};

static void image_open(struct image *im, enum sl_sample_kind kind, int opt_level)
{
	struct sl_sample s;

	sl_sample_build(&s, kind);
	sl_sample_serialize(&s, opt_level, &im->data, &im->size);
	sl_sample_fini(&s);
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	im->elf = elf_memory(im->data, im->size);
	assert_non_null(im->elf);
}

static void image_close(struct image *im)
{
	elf_end(im->elf);
	free(im->data);
}

static Elf_Scn *find_section(Elf *elf, const char *name, GElf_Shdr *shdr)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		assert_non_null(gelf_getshdr(scn, shdr));
		n = elf_strptr(elf, shstrndx, shdr->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

static Elf_Data *section_data(Elf *elf, const char *name)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(elf, name, &shdr);

	return scn ? elf_getdata(scn, NULL) : NULL;
}

static void elf_header_and_sections(void **state)
{
	struct image im;
	GElf_Ehdr eh;
	GElf_Shdr shdr;
	Elf_Data *d;

	image_open(&im, SL_SAMPLE_PASS, 2);
	assert_non_null(gelf_getehdr(im.elf, &eh));
	assert_int_equal(eh.e_ident[EI_CLASS], ELFCLASS64);
	assert_int_equal(eh.e_ident[EI_DATA], ELFDATA2LSB);
	assert_int_equal(eh.e_type, ET_REL);
	assert_int_equal(eh.e_machine, EM_BPF);
	assert_int_equal(eh.e_version, EV_CURRENT);
	assert_int_equal(eh.e_flags, 0);

	assert_non_null(find_section(im.elf, "xdp", &shdr));
	assert_int_equal(shdr.sh_type, SHT_PROGBITS);
	assert_int_equal(shdr.sh_flags, SHF_ALLOC | SHF_EXECINSTR);
	assert_int_equal(shdr.sh_addralign, 8);
	assert_int_equal(shdr.sh_size, 3 * 8);

	d = section_data(im.elf, "license");
	assert_non_null(d);
	assert_string_equal((const char *)d->d_buf, "GPL");
	assert_non_null(find_section(im.elf, ".BTF", &shdr));
	assert_int_equal(shdr.sh_addralign, 4);
	assert_non_null(find_section(im.elf, ".BTF.ext", &shdr));
	assert_non_null(find_section(im.elf, SLUICE_META_SECTION, &shdr));
	assert_non_null(find_section(im.elf, ".symtab", &shdr));
	assert_int_equal(shdr.sh_info, 1);
	assert_null(find_section(im.elf, ".maps", &shdr));
	assert_null(find_section(im.elf, ".relxdp", &shdr));
	image_close(&im);
}

static void symbols_and_relocations(void **state)
{
	struct image im;
	GElf_Shdr symtab_shdr, shdr, maps_shdr;
	Elf_Scn *symtab, *rel, *maps, *xdp;
	Elf_Data *syms, *rels;
	GElf_Sym sym;
	GElf_Rel r;

	image_open(&im, SL_SAMPLE_COUNTER, 2);
	symtab = find_section(im.elf, ".symtab", &symtab_shdr);
	syms = elf_getdata(symtab, NULL);
	assert_int_equal(symtab_shdr.sh_size / sizeof(Elf64_Sym), 3);
	assert_non_null(gelf_getsym(syms, 0, &sym));
	assert_int_equal(sym.st_name | sym.st_value | sym.st_size | sym.st_info, 0);

	xdp = find_section(im.elf, "xdp", &shdr);
	assert_non_null(gelf_getsym(syms, 1, &sym));
	assert_string_equal(elf_strptr(im.elf, symtab_shdr.sh_link, sym.st_name), "sluice_edge");
	assert_int_equal(GELF_ST_TYPE(sym.st_info), STT_FUNC);
	assert_int_equal(GELF_ST_BIND(sym.st_info), STB_GLOBAL);
	assert_int_equal(sym.st_shndx, elf_ndxscn(xdp));
	assert_int_equal(sym.st_value, 0);
	assert_int_equal(sym.st_size, shdr.sh_size);

	maps = find_section(im.elf, ".maps", &maps_shdr);
	assert_non_null(maps);
	assert_int_equal(maps_shdr.sh_flags, SHF_ALLOC | SHF_WRITE);
	assert_int_equal(maps_shdr.sh_size, 32);
	assert_non_null(gelf_getsym(syms, 2, &sym));
	assert_string_equal(elf_strptr(im.elf, symtab_shdr.sh_link, sym.st_name),
			    SLUICE_COUNTER_MAP);
	assert_int_equal(GELF_ST_TYPE(sym.st_info), STT_OBJECT);
	assert_int_equal(sym.st_shndx, elf_ndxscn(maps));

	rel = find_section(im.elf, ".relxdp", &shdr);
	assert_non_null(rel);
	assert_int_equal(shdr.sh_type, SHT_REL);
	assert_int_equal(shdr.sh_link, elf_ndxscn(symtab));
	assert_int_equal(shdr.sh_info, elf_ndxscn(xdp));
	assert_int_equal(shdr.sh_entsize, 16);
	rels = elf_getdata(rel, NULL);
	assert_int_equal(shdr.sh_size, 16);
	assert_non_null(gelf_getrel(rels, 0, &r));
	assert_int_equal(r.r_offset, 4 * 8); /* mov, st, mov, add, then the ld_imm64 */
	assert_int_equal(GELF_R_SYM(r.r_info), 2);
	assert_int_equal(GELF_R_TYPE(r.r_info), 1 /* R_BPF_64_64 */);
	image_close(&im);
}

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static void libbpf_opens_counter_object(void **state)
{
	struct image im;
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;

	image_open(&im, SL_SAMPLE_COUNTER, 2);
	obj = bpf_object__open_mem(im.data, im.size, NULL);
	assert_non_null(obj);
	assert_int_equal(libbpf_get_error(obj), 0);
	prog = bpf_object__find_program_by_name(obj, "sluice_edge");
	assert_non_null(prog);
	assert_string_equal(bpf_program__section_name(prog), "xdp");
	assert_int_equal(bpf_program__type(prog), BPF_PROG_TYPE_XDP);
	assert_int_equal(bpf_program__insn_cnt(prog), 19);
	map = bpf_object__find_map_by_name(obj, SLUICE_COUNTER_MAP);
	assert_non_null(map);
	assert_int_equal(bpf_map__type(map), BPF_MAP_TYPE_PERCPU_ARRAY);
	assert_int_equal(bpf_map__key_size(map), 4);
	assert_int_equal(bpf_map__value_size(map), sizeof(struct sluice_counter));
	assert_int_equal(bpf_map__max_entries(map), 2);
	assert_int_not_equal(bpf_map__btf_key_type_id(map), 0);
	assert_int_not_equal(bpf_map__btf_value_type_id(map), 0);
	bpf_object__close(obj);
	image_close(&im);
}

static void libbpf_opens_every_hook(void **state)
{
	static const struct {
		const char *name, *section;
		enum bpf_prog_type type;
	} progs[] = {
	    {"sluice_edge", "xdp", BPF_PROG_TYPE_XDP},
	    {"sluice_tc_in", "tc", BPF_PROG_TYPE_SCHED_CLS},
	    {"sluice_tc_out", "tc", BPF_PROG_TYPE_SCHED_CLS},
	    {"sluice_cg_in", "cgroup_skb/ingress", BPF_PROG_TYPE_CGROUP_SKB},
	    {"sluice_cg_out", "cgroup_skb/egress", BPF_PROG_TYPE_CGROUP_SKB},
	};
	struct image im;
	struct bpf_object *obj;
	struct bpf_map *map, *m, *rodata = NULL;
	struct bpf_program *prog;
	const uint32_t *init;
	size_t init_size;
	int nprogs = 0;

	image_open(&im, SL_SAMPLE_ALL, 2);
	obj = bpf_object__open_mem(im.data, im.size, NULL);
	assert_int_equal(libbpf_get_error(obj), 0);
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, progs[i].name);

		assert_non_null(p);
		assert_string_equal(bpf_program__section_name(p), progs[i].section);
		assert_int_equal(bpf_program__type(p), progs[i].type);
	}
	bpf_object__for_each_program(prog, obj) nprogs++;
	assert_int_equal(nprogs, 5);
	map = bpf_object__find_map_by_name(obj, SLUICE_DECISION_MAP);
	assert_non_null(map);
	assert_int_equal(bpf_map__type(map), BPF_MAP_TYPE_ARRAY);
	assert_int_equal(bpf_map__max_entries(map), 1);
	bpf_object__for_each_map(m, obj)
	{
		const char *n = bpf_map__name(m);

		if (strstr(n, ".rodata.sluice_tbl"))
			rodata = m;
	}
	assert_non_null(rodata);
	init = bpf_map__initial_value(rodata, &init_size);
	assert_non_null(init);
	assert_int_equal(init_size, 16);
	assert_int_equal(init[0], 10);
	assert_int_equal(init[3], 40);
	bpf_object__close(obj);
	image_close(&im);
}

static char *write_temp(const void *data, size_t size)
{
	char *path = strdup("/tmp/sluice-test-object-XXXXXX.o");
	int fd = mkstemps(path, 2);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);
	return path;
}

static int find_named(const struct btf *btf, const char *name, int kind)
{
	int id = btf__find_by_name_kind(btf, name, kind);

	assert_true(id > 0);
	return id;
}

static void btf_describes_programs_and_maps(void **state)
{
	struct image im;
	struct btf *btf;
	struct btf_ext *ext = NULL;
	const struct btf_type *t, *proto, *ptr, *ctx;
	const struct btf_param *param;
	const struct btf_member *m;
	char *path;
	int id;

	image_open(&im, SL_SAMPLE_ALL, 2);
	path = write_temp(im.data, im.size);
	btf = btf__parse_elf(path, &ext);
	assert_int_equal(libbpf_get_error(btf), 0);
	assert_non_null(ext);

	id = find_named(btf, "sluice_edge", BTF_KIND_FUNC);
	t = btf__type_by_id(btf, id);
	assert_int_equal(btf_vlen(t), BTF_FUNC_GLOBAL);
	proto = btf__type_by_id(btf, t->type);
	assert_true(btf_is_func_proto(proto));
	assert_int_equal(btf_vlen(proto), 1);
	param = btf_params(proto);
	assert_string_equal(btf__name_by_offset(btf, param->name_off), "ctx");
	ptr = btf__type_by_id(btf, param->type);
	assert_true(btf_is_ptr(ptr));
	ctx = btf__type_by_id(btf, ptr->type);
	assert_true(btf_is_struct(ctx));
	assert_string_equal(btf__name_by_offset(btf, ctx->name_off), "xdp_md");
	assert_int_equal(ctx->size, 24);

	id = find_named(btf, "sluice_tc_in", BTF_KIND_FUNC);
	proto = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	ptr = btf__type_by_id(btf, btf_params(proto)->type);
	ctx = btf__type_by_id(btf, ptr->type);
	assert_string_equal(btf__name_by_offset(btf, ctx->name_off), "__sk_buff");

	id = find_named(btf, "sluice_counter", BTF_KIND_STRUCT);
	t = btf__type_by_id(btf, id);
	assert_int_equal(t->size, 16);
	assert_int_equal(btf_vlen(t), 2);
	m = btf_members(t);
	assert_string_equal(btf__name_by_offset(btf, m[0].name_off), "packets");
	assert_string_equal(btf__name_by_offset(btf, m[1].name_off), "bytes");
	assert_int_equal(m[1].offset, 64);

	find_named(btf, SLUICE_COUNTER_MAP, BTF_KIND_VAR);
	find_named(btf, "sluice_tbl", BTF_KIND_VAR);
	id = find_named(btf, ".maps", BTF_KIND_DATASEC);
	assert_int_equal(btf_vlen(btf__type_by_id(btf, id)), 2);
	id = find_named(btf, ".rodata.sluice_tbl", BTF_KIND_DATASEC);
	assert_int_equal(btf__type_by_id(btf, id)->size, 16);

	btf_ext__free(ext);
	btf__free(btf);
	unlink(path);
	free(path);
	image_close(&im);
}

struct line_rec {
	uint32_t insn_off, file_name_off, line_off, line_col;
};

/* The line_info records of one section, decoded straight from the bytes. */
static uint32_t section_lines(struct image *im, const struct btf *btf, const char *sec,
			      struct line_rec *out, uint32_t max)
{
	Elf_Data *d = section_data(im->elf, ".BTF.ext");
	const uint8_t *p = d->d_buf;
	uint32_t hdr_len, off, len, rec_size, pos;

	assert_int_equal(*(const uint16_t *)p, 0xeb9f);
	memcpy(&hdr_len, p + 4, 4);
	memcpy(&off, p + 16, 4);
	memcpy(&len, p + 20, 4);
	p += hdr_len + off;
	memcpy(&rec_size, p, 4);
	assert_int_equal(rec_size, sizeof(struct line_rec));
	for (pos = 4; pos < len;) {
		uint32_t name_off, n;

		memcpy(&name_off, p + pos, 4);
		memcpy(&n, p + pos + 4, 4);
		pos += 8;
		if (!strcmp(btf__str_by_offset(btf, name_off), sec)) {
			assert_true(n <= max);
			memcpy(out, p + pos, n * sizeof(*out));
			return n;
		}
		pos += n * rec_size;
	}
	return 0;
}

static void line_info_carries_policy_lines(void **state)
{
	struct image im;
	struct line_rec recs[16];
	struct btf *btf;
	Elf_Data *d;
	uint32_t n;

	image_open(&im, SL_SAMPLE_ALL, 2);
	d = section_data(im.elf, ".BTF");
	btf = btf__new(d->d_buf, (uint32_t)d->d_size);
	assert_int_equal(libbpf_get_error(btf), 0);

	n = section_lines(&im, btf, "xdp", recs, 16);
	assert_int_equal(n, 3);
	assert_int_equal(recs[0].insn_off, 0);
	assert_string_equal(btf__str_by_offset(btf, recs[0].file_name_off), "sample.sluice");
	assert_string_equal(btf__str_by_offset(btf, recs[0].line_off), "table edge {");
	assert_int_equal(recs[0].line_col >> 10, 2);
	assert_int_equal(recs[1].insn_off, 8);
	assert_string_equal(btf__str_by_offset(btf, recs[1].line_off),
			    "tcp dport 22 counter accept");
	assert_int_equal(recs[1].line_col >> 10, 5);
	assert_int_equal(recs[1].line_col & 0x3ff, 5);
	assert_string_equal(btf__str_by_offset(btf, recs[2].line_off), "udp dport 53 accept");

	/* Two programs share "tc": the second one's records are offset by the first's size. */
	n = section_lines(&im, btf, "tc", recs, 16);
	assert_int_equal(n, 6);
	assert_int_equal(recs[0].insn_off, 0);
	assert_string_equal(btf__str_by_offset(btf, recs[3].line_off), "table tc_out {");
	assert_true(recs[3].insn_off > recs[2].insn_off);
	assert_int_equal(recs[3].insn_off % 8, 0);

	btf__free(btf);
	image_close(&im);
}

static const char *meta_str(const uint8_t *meta, const struct sluice_meta_header *h, uint32_t off)
{
	assert_true(off < h->strings_size);
	return (const char *)meta + h->strings_off + off;
}

static void metadata_follows_abi(void **state)
{
	struct image im;
	Elf_Data *d;
	const uint8_t *meta;
	struct sluice_meta_header h;
	struct sluice_meta_table t;
	struct sluice_meta_rule r;

	image_open(&im, SL_SAMPLE_ALL, 1);
	d = section_data(im.elf, SLUICE_META_SECTION);
	assert_non_null(d);
	meta = d->d_buf;
	memcpy(&h, meta, sizeof(h));
	assert_int_equal(h.magic, SLUICE_META_MAGIC);
	/* No named sets: the version 1 layout. */
	assert_int_equal(h.version, SLUICE_META_VERSION_1);
	assert_int_equal(h.header_size, SLUICE_META_HEADER_V1_SIZE);
	assert_int_equal(h.ntables, 5);
	assert_int_equal(h.nrules, 8);
	assert_int_equal(h.ncounters, 8);
	assert_int_equal(h.opt_level, 1);
	assert_int_equal(h.flags, SLUICE_META_F_DECISIONS);
	assert_true(h.strings_off + h.strings_size <= d->d_size);
	assert_int_equal(meta[h.strings_off], 0);
	assert_string_equal(meta_str(meta, &h, h.policy_name_str), "sample");
	assert_string_equal(meta_str(meta, &h, h.compiler_str), "sluice test");
	assert_string_equal(meta_str(meta, &h, h.counter_map_str), SLUICE_COUNTER_MAP);
	assert_int_equal(h.source_hash[0], 0xa0);
	assert_int_equal(h.source_hash[31], 0xa0 + 31);

	memcpy(&t, meta + h.tables_off + 1 * sizeof(t), sizeof(t));
	assert_string_equal(meta_str(meta, &h, t.name_str), "tc_in");
	assert_int_equal(t.hook, SLUICE_HOOK_TC_INGRESS);
	assert_int_equal(t.policy, SLUICE_VERDICT_ACCEPT);
	assert_string_equal(meta_str(meta, &h, t.prog_str), "sluice_tc_in");
	assert_string_equal(meta_str(meta, &h, t.section_str), "tc");
	assert_string_equal(meta_str(meta, &h, t.file_str), "sample.sluice");
	assert_int_equal(t.line, 8);
	memcpy(&t, meta + h.tables_off, sizeof(t));
	assert_int_equal(t.policy, SLUICE_VERDICT_DROP);
	assert_int_equal(t.hook, SLUICE_HOOK_XDP);

	memcpy(&r, meta + h.rules_off + 6 * sizeof(r), sizeof(r));
	assert_int_equal(r.id, 6);
	assert_string_equal(meta_str(meta, &h, r.chain_str), "quarantine");
	assert_string_equal(meta_str(meta, &h, r.text_str), "tcp dport 25 counter drop");
	assert_int_equal(r.line, 25);
	assert_int_equal(r.col, 5);
	assert_int_equal(r.counter_slot, 6);
	assert_int_equal(r.flags, SLUICE_RULE_F_COUNTER);
	memcpy(&r, meta + h.rules_off + 7 * sizeof(r), sizeof(r));
	assert_int_equal(r.counter_slot, SLUICE_NO_COUNTER);
	assert_int_equal(r.flags, 0);
	assert_string_equal(meta_str(meta, &h, r.text_str), "return");
	image_close(&im);
}

static void metadata_without_counters(void **state)
{
	struct image im;
	Elf_Data *d;
	struct sluice_meta_header h;

	image_open(&im, SL_SAMPLE_PASS, 0);
	d = section_data(im.elf, SLUICE_META_SECTION);
	assert_non_null(d);
	memcpy(&h, d->d_buf, sizeof(h));
	assert_int_equal(h.ntables, 1);
	assert_int_equal(h.nrules, 2);
	assert_int_equal(h.counter_map_str, 0);
	assert_int_equal(h.ncounters, 0);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.opt_level, 0);
	assert_int_equal(d->d_size % 8, 0);
	assert_true(h.strings_off + h.strings_size <= d->d_size);
	image_close(&im);
}

/*
 * An optimised IR lacks removed rules: their ids stay, with no text and no
 * counter. A counting rule without a counter map keeps its flag, not a slot.
 */
static void metadata_of_removed_rules(void **state)
{
	static struct bpf_insn pass_insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 2},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	struct sl_sample s;
	struct image im;
	Elf_Data *d;
	struct sluice_meta_header h;
	struct sluice_meta_rule r;

	sl_sample_build(&s, SL_SAMPLE_COUNTER);
	s.ir->chains[0].nrules = 1; /* rule 1 removed */
	s.obj->counter_map = -1;    /* and no code counts */
	s.obj->nmaps = 0;
	s.obj->progs[0] = (struct sl_bpf_prog){.name = "sluice_edge",
					       .section = "xdp",
					       .hook = SL_HOOK_XDP,
					       .insns = pass_insns,
					       .ninsns = 2};
	sl_sample_serialize(&s, 1, &im.data, &im.size);
	sl_sample_fini(&s);
	im.elf = elf_memory(im.data, im.size);
	d = section_data(im.elf, SLUICE_META_SECTION);
	memcpy(&h, d->d_buf, sizeof(h));
	assert_int_equal(h.nrules, 2);
	memcpy(&r, (uint8_t *)d->d_buf + h.rules_off + sizeof(r), sizeof(r));
	assert_int_equal(r.id, 1);
	assert_int_equal(r.counter_slot, SLUICE_NO_COUNTER);
	assert_int_equal(r.text_str, 0);
	memcpy(&r, (uint8_t *)d->d_buf + h.rules_off, sizeof(r));
	assert_int_equal(r.counter_slot, SLUICE_NO_COUNTER);
	assert_int_equal(r.flags, SLUICE_RULE_F_COUNTER);
	assert_int_equal(h.counter_map_str, 0);
	image_close(&im);
}

static void output_is_deterministic(void **state)
{
	struct image a, b, c;

	image_open(&a, SL_SAMPLE_ALL, 2);
	image_open(&b, SL_SAMPLE_ALL, 2);
	image_open(&c, SL_SAMPLE_ALL, 0);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.data, b.data, a.size);
	/* The optimisation level is recorded: the images differ. */
	assert_int_equal(a.size, c.size);
	assert_true(memcmp(a.data, c.data, a.size) != 0);
	image_close(&a);
	image_close(&b);
	image_close(&c);
}

/* Serialising a broken object fails with a message and produces nothing. */
static void expect_rejected(struct sl_sample *s, const char *needle)
{
	struct sl_obj_opts opts = {.opt_level = 2, .compiler = "sluice test"};
	struct sl_diag diag;
	char *msg = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&msg, &len);
	void *image = (void *)1;
	size_t size = 1;

	sl_diag_init(&diag, &s->srcs, out);
	assert_int_equal(sl_obj_serialize(s->obj, s->ir, &opts, &diag, &image, &size), -EINVAL);
	fclose(out);
	assert_null(image);
	assert_int_equal(size, 0);
	assert_int_equal(diag.nerrors, 1);
	assert_non_null(strstr(msg, needle));
	free(msg);
}

static void broken_objects_are_rejected(void **state)
{
	struct sl_sample s;
	struct sl_bpf_prog *p;

	sl_sample_build(&s, SL_SAMPLE_COUNTER);
	p = &s.obj->progs[0];
	p->relocs[0].insn = 1; /* not an ld_imm64 */
	expect_rejected(&s, "not an ld_imm64");
	p->relocs[0].insn = 4;
	p->relocs[0].map = 7;
	expect_rejected(&s, "names map 7");
	p->relocs[0].map = 0;
	p->lines[1].insn = 5; /* second half of the ld_imm64 */
	expect_rejected(&s, "not an instruction start");
	p->lines[1].insn = 1;
	p->name = "bad name";
	expect_rejected(&s, "invalid name");
	p->name = "sluice_edge";
	p->hook = SL_HOOK_TC_INGRESS;
	expect_rejected(&s, "another hook than its table 'edge'");
	p->hook = SL_HOOK_XDP;
	p->table = 1;
	expect_rejected(&s, "names table 1 of 1");
	p->table = 0;
	s.obj->maps[0].value_size = 8;
	expect_rejected(&s, "type does not match its size");
	s.obj->maps[0].value_size = 16;
	s.obj->maps[0].name = "sluice_edge";
	expect_rejected(&s, "both named");
	sl_sample_fini(&s);
}

/* The general model's contract: maps, data maps, BTF types, kfunc externs and calls. */
static void broken_models_are_rejected(void **state)
{
	static const struct sl_btf_member bad_members[] = {{"x", &sl_btf_u64, 4}};
	static const struct sl_btf_type too_small = {
	    .kind = SL_BTF_STRUCT, .name = "s", .size = 8, .members = bad_members, .nmembers = 1};
	static const struct sl_btf_type odd_uint = {.kind = SL_BTF_UINT, .size = 3};
	static const struct sl_btf_param no_name[] = {{"", &sl_btf_u32}};
	struct sl_bpf_extern ext = {.name = "bpf_some_kfunc"};
	struct sl_sample s;
	struct sl_bpf_map *m;
	struct bpf_insn *insns;
	struct sl_bpf_prog *p;
	struct sl_bpf_reloc rel;

	(void)state;
	sl_sample_build(&s, SL_SAMPLE_ALL);
	m = &s.obj->maps[2]; /* sluice_tbl: read-only data */
	m->home = SL_BPF_MAP_DEF;
	expect_rejected(&s, "initial contents need a data map");
	m->home = SL_BPF_MAP_RODATA;
	m->init = NULL;
	expect_rejected(&s, "read-only data needs initial contents");
	m->home = SL_BPF_MAP_DATA; /* writable data may start as zeros */
	m->type = BPF_MAP_TYPE_HASH;
	expect_rejected(&s, "a data map is an array");
	m->type = BPF_MAP_TYPE_ARRAY;
	m->home = (enum sl_bpf_map_home)7;
	expect_rejected(&s, "unknown home");
	m->home = SL_BPF_MAP_DATA;
	m->value = &too_small;
	m->value_size = 8;
	expect_rejected(&s, "type does not match its size");
	m->value = &odd_uint;
	m->value_size = 3;
	expect_rejected(&s, "type does not match its size");
	m->value = &sl_btf_u32;
	m->value_size = 4;
	m->max_entries = 0;
	expect_rejected(&s, "has no entries");
	m->max_entries = 4;

	/* a kfunc call: its reference, its instruction, its extern */
	p = &s.obj->progs[0];
	insns = sl_arena_calloc(s.arena, p->ninsns + 1, sizeof(*insns));
	memcpy(insns + 1, p->insns, p->ninsns * sizeof(*insns));
	insns[0] = SL_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 0);
	p->insns = insns;
	p->ninsns++;
	for (uint32_t i = 0; i < p->nrelocs; i++)
		p->relocs[i].insn++;
	for (uint32_t i = 0; i < p->nlines; i++)
		p->lines[i].insn++;
	p->relocs =
	    sl_arena_realloc(s.arena, p->relocs, p->nrelocs, p->nrelocs + 1, sizeof(*p->relocs));
	memmove(p->relocs + 1, p->relocs, p->nrelocs * sizeof(*p->relocs));
	p->nrelocs++;
	rel = (struct sl_bpf_reloc){.insn = 0, .ext = 0, .kind = SL_BPF_RELOC_KFUNC};
	p->relocs[0] = rel;
	expect_rejected(&s, "names extern 0 of 0");
	sl_bpf_obj_add_extern(s.obj, s.arena, &ext);
	insns[0].imm = 5;
	expect_rejected(&s, "is not a kfunc call");
	insns[0].imm = 0;
	p->relocs[0].kind = SL_BPF_RELOC_MAP;
	p->relocs[0].map = 0;
	expect_rejected(&s, "not an ld_imm64");
	p->relocs[0] = rel;
	s.obj->externs[0].name = "sluice_edge";
	expect_rejected(&s, "a program and an extern are both named");
	s.obj->externs[0].name = "bpf_some_kfunc";
	s.obj->externs[0].params = no_name;
	s.obj->externs[0].nparams = 1;
	expect_rejected(&s, "parameter 0 is invalid");
	s.obj->externs[0].nparams = 6;
	expect_rejected(&s, "at most 5");
	s.obj->externs[0].nparams = 0;
	sl_sample_fini(&s);
}

/* Lines on the same instruction keep the last; a missing line at 0 is made up. */
static void line_info_is_normalised(void **state)
{
	struct sl_sample s;
	struct sl_bpf_line lines[3];
	struct line_rec recs[8];
	struct image im;
	struct btf *btf;
	Elf_Data *d;

	sl_sample_build(&s, SL_SAMPLE_COUNTER);
	lines[0] = s.obj->progs[0].lines[1];
	lines[0].insn = 1;
	lines[1] = s.obj->progs[0].lines[2];
	lines[1].insn = 1;
	lines[2] = s.obj->progs[0].lines[2];
	s.obj->progs[0].lines = lines;
	s.obj->progs[0].nlines = 3;
	sl_sample_serialize(&s, 2, &im.data, &im.size);
	sl_sample_fini(&s);
	im.elf = elf_memory(im.data, im.size);
	d = section_data(im.elf, ".BTF");
	btf = btf__new(d->d_buf, (uint32_t)d->d_size);
	assert_int_equal(section_lines(&im, btf, "xdp", recs, 8), 3);
	assert_int_equal(recs[0].insn_off, 0);
	assert_string_equal(btf__str_by_offset(btf, recs[0].line_off),
			    "tcp dport 22 counter accept");
	assert_int_equal(recs[1].insn_off, 8);
	assert_string_equal(btf__str_by_offset(btf, recs[1].line_off), "udp dport 53 accept");
	btf__free(btf);
	image_close(&im);
}

static void no_ir_still_writes_an_object(void **state)
{
	struct sl_sample s;
	struct sl_obj_opts opts = {.opt_level = 0};
	struct bpf_object *obj;
	void *image;
	size_t size;

	sl_sample_build(&s, SL_SAMPLE_COUNTER);
	assert_int_equal(sl_obj_serialize(s.obj, NULL, &opts, NULL, &image, &size), 0);
	obj = bpf_object__open_mem(image, size, NULL);
	assert_int_equal(libbpf_get_error(obj), 0);
	bpf_object__close(obj);
	free(image);
	sl_sample_fini(&s);
}

/* ---- sl_obj_write_file_atomic ---- */

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void atomic_write_replaces_whole_file(void **state)
{
	char dir[] = "/tmp/sluice-test-atomic-XXXXXX";
	char path[128], buf[64];
	struct stat st;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.o", dir);
	assert_int_equal(sl_obj_write_file_atomic(path, "first version", 13), 0);
	assert_int_equal(sl_obj_write_file_atomic(path, "second", 6), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "second", 6);
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0111, 0);
	assert_int_equal(count_entries(dir), 1);

	/* A directory in the way: an error, no temporary file left, the directory intact. */
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_true(sl_obj_write_file_atomic(path, "x", 1) < 0);
	assert_int_equal(count_entries(dir), 2);
	assert_int_equal(rmdir(path), 0);

	snprintf(path, sizeof(path), "%s/missing/out.o", dir);
	assert_int_equal(sl_obj_write_file_atomic(path, "x", 1), -ENOENT);
	assert_int_equal(sl_obj_write_file_atomic("", "x", 1), -EINVAL);
	snprintf(path, sizeof(path), "%s/", dir);
	assert_int_equal(sl_obj_write_file_atomic(path, "x", 1), -EISDIR);

	snprintf(path, sizeof(path), "%s/out.o", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(count_entries(dir), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(elf_header_and_sections),
	    cmocka_unit_test(symbols_and_relocations),
	    cmocka_unit_test(libbpf_opens_counter_object),
	    cmocka_unit_test(libbpf_opens_every_hook),
	    cmocka_unit_test(btf_describes_programs_and_maps),
	    cmocka_unit_test(line_info_carries_policy_lines),
	    cmocka_unit_test(metadata_follows_abi),
	    cmocka_unit_test(metadata_without_counters),
	    cmocka_unit_test(metadata_of_removed_rules),
	    cmocka_unit_test(output_is_deterministic),
	    cmocka_unit_test(broken_objects_are_rejected),
	    cmocka_unit_test(broken_models_are_rejected),
	    cmocka_unit_test(line_info_is_normalised),
	    cmocka_unit_test(no_ir_still_writes_an_object),
	    cmocka_unit_test(atomic_write_replaces_whole_file),
	};

	libbpf_set_print(silent_print);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
