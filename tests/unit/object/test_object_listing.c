// SPDX-License-Identifier: GPL-2.0-only
/* Reading objects back (object_read.c, the shared metadata parser) and listing them (listing.c). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "emit/insn.h"
#include "object/listing.h"
#include "object/object_read.h"
#include "sluice/meta.h"
#include "test_object_samples.h"

static void sample_image(enum sl_sample_kind kind, void **image, size_t *size)
{
	struct sl_sample s;

	sl_sample_build(&s, kind);
	sl_sample_serialize(&s, 2, image, size);
	sl_sample_fini(&s);
}

static void reader_finds_programs_relocs_lines(void **state)
{
	struct sl_objfile *f;
	const struct sl_objfile_prog *p;
	void *image;
	size_t size;
	char why[128];

	sample_image(SL_SAMPLE_ALL, &image, &size);
	assert_true(sl_objfile_is_elf(image, size));
	assert_int_equal(sl_objfile_open(image, size, &f, why, sizeof(why)), 0);
	assert_int_equal(f->nprogs, 5);
	assert_non_null(f->btf);
	assert_non_null(f->meta);

	p = &f->progs[1];
	assert_string_equal(p->name, "sluice_tc_in");
	assert_string_equal(p->section, "tc");
	assert_string_equal(f->progs[2].name, "sluice_tc_out");
	assert_int_equal(p->nrelocs, 3);
	assert_int_equal(p->relocs[0].insn, 4);
	assert_string_equal(p->relocs[0].symbol, SLUICE_COUNTER_MAP);
	assert_string_equal(p->relocs[0].section, ".maps");
	assert_string_equal(p->relocs[1].symbol, SLUICE_DECISION_MAP);
	assert_string_equal(p->relocs[2].symbol, "sluice_tbl");
	assert_string_equal(p->relocs[2].section, ".rodata.sluice_tbl");
	assert_int_equal(p->nlines, 3);
	assert_int_equal(p->lines[1].insn, 1);
	assert_int_equal(p->lines[1].line, 10);
	assert_string_equal(p->lines[1].file, "sample.sluice");
	assert_string_equal(p->lines[1].text, "ip saddr 10.0.0.0/8 counter drop");
	/* The second program of the section: indices are its own, from 0. */
	assert_int_equal(f->progs[2].lines[0].insn, 0);
	assert_string_equal(f->progs[2].lines[0].text, "table tc_out {");
	sl_objfile_free(f);
	free(image);
}

static void metadata_reader_checks_offsets(void **state)
{
	struct sl_objfile *f;
	struct sl_meta *m = NULL;
	char why[160];
	uint8_t *copy;
	void *image;
	size_t size;
	uint32_t bad;

	sample_image(SL_SAMPLE_ALL, &image, &size);
	assert_int_equal(sl_objfile_open(image, size, &f, NULL, 0), 0);
	assert_int_equal(sl_meta_parse(f->meta, f->meta_size, &m, why, sizeof(why)), 0);
	assert_string_equal(sl_meta_str(m, m->hdr.policy_name_str), "sample");
	assert_string_equal(sl_meta_str(m, m->tables[4].name_str), "cg_out");
	assert_string_equal(sl_meta_str(m, m->rules[3].text_str), "counter accept");
	assert_string_equal(sl_meta_str(m, 1u << 30), "");
	sl_meta_free(m);

	copy = malloc(f->meta_size);
	memcpy(copy, f->meta, f->meta_size);
	assert_int_equal(sl_meta_parse(copy, SLUICE_META_HEADER_V1_SIZE - 1, &m, why, sizeof(why)),
			 -EINVAL);
	bad = 1000000;
	memcpy(copy + offsetof(struct sluice_meta_header, nrules), &bad, 4);
	assert_int_equal(sl_meta_parse(copy, f->meta_size, &m, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "past the section end"));
	memcpy(copy, f->meta, f->meta_size);
	memcpy(copy + offsetof(struct sluice_meta_header, compiler_str), &bad, 4);
	assert_int_equal(sl_meta_parse(copy, f->meta_size, &m, why, sizeof(why)), -EINVAL);
	memcpy(copy, f->meta, f->meta_size);
	copy[0] ^= 1;
	assert_int_equal(sl_meta_parse(copy, f->meta_size, &m, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "magic"));
	free(copy);
	sl_objfile_free(f);
	free(image);
}

/* Truncated and corrupted images: refused or read, never a crash (ASan watches). */
static void reader_survives_damaged_images(void **state)
{
	struct sl_objfile *f;
	uint8_t *copy;
	void *image;
	size_t size;
	char why[128];
	unsigned seed = 12345;

	assert_int_equal(sl_objfile_open("not an object", 13, &f, why, sizeof(why)), -EINVAL);
	assert_null(f);
	assert_non_null(strstr(why, "not an ELF"));
	sample_image(SL_SAMPLE_ALL, &image, &size);
	for (size_t n = 0; n < size; n += 7) {
		if (sl_objfile_open(image, n, &f, why, sizeof(why)) == 0)
			sl_objfile_free(f);
	}
	copy = malloc(size);
	for (int round = 0; round < 2000; round++) {
		memcpy(copy, image, size);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % size] ^= (uint8_t)(1u << (seed % 8));
		}
		if (sl_objfile_open(copy, size, &f, why, sizeof(why)) == 0) {
			FILE *out = fopen("/dev/null", "w");

			sl_objfile_free(f);
			assert_int_equal(sl_listing_print(copy, size, out, why, sizeof(why)), 0);
			fclose(out);
		}
	}
	free(copy);
	free(image);
}

static char *listing_of(enum sl_sample_kind kind)
{
	char *text = NULL, why[128];
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	void *image;
	size_t size;

	sample_image(kind, &image, &size);
	assert_int_equal(sl_listing_print(image, size, out, why, sizeof(why)), 0);
	fclose(out);
	free(image);
	return text;
}

static void assert_has(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("listing lacks \"%s\":\n%s", needle, text);
}

static void listing_interleaves_policy_lines(void **state)
{
	char *text = listing_of(SL_SAMPLE_ALL);

	assert_has(text, "; policy sample, built by sluice test at -O2, recording decisions\n");
	assert_has(text, "; source sha256 a0a1a2a3");
	assert_has(text,
		   "; table tc_in: tc ingress, policy accept, program sluice_tc_in in section "
		   "tc, sample.sluice:8\n");
	assert_has(text, "; table edge: xdp, policy drop,");
	assert_has(text, "; 8 rules, 5 counted in sluice_counters (8 slots)\n");
	assert_has(text, "\nsluice_edge (section xdp, 19 instructions):\n"
			 "; sample.sluice:2  table edge {\n"
			 "     0: r6 = r1\n"
			 "; sample.sluice:5  tcp dport 22 counter accept\n"
			 "     1: *(u32 *)(r10 - 4) = 0\n");
	assert_has(text, "     4: r1 = 0 ll  ; map sluice_counters\n");
	assert_has(text, "     6: call 1  ; bpf_map_lookup_elem\n");
	assert_has(text, "     7: if r0 == 0 goto +9  ; -> 17\n");
	assert_has(text, "; sample.sluice:6  udp dport 53 accept\n    17: r0 = 2\n    18: exit\n");
	assert_has(text, "&sluice_tbl in .rodata.sluice_tbl");
	assert_has(text, "sluice_cg_out (section cgroup_skb/egress,");
	free(text);
}

/* A kfunc call is listed with the extern's name, not as a helper. */
static void listing_names_kfuncs(void **state)
{
	static const struct sl_bpf_extern ext = {.name = "bpf_some_kfunc"};
	char *text = NULL, why[128];
	size_t len = 0, size;
	FILE *out = open_memstream(&text, &len);
	struct sl_bpf_prog *p;
	struct bpf_insn *insns;
	struct sl_sample s;
	void *image;

	(void)state;
	sl_sample_build(&s, SL_SAMPLE_PASS);
	p = &s.obj->progs[0];
	insns = sl_arena_calloc(s.arena, p->ninsns + 1, sizeof(*insns));
	insns[0] = SL_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 0);
	memcpy(insns + 1, p->insns, p->ninsns * sizeof(*insns));
	p->insns = insns;
	p->ninsns++;
	for (uint32_t i = 0; i < p->nlines; i++)
		p->lines[i].insn++;
	for (uint32_t i = 0; i < p->nrelocs; i++)
		p->relocs[i].insn++;
	p->relocs =
	    sl_arena_realloc(s.arena, p->relocs, p->nrelocs, p->nrelocs + 1, sizeof(*p->relocs));
	memmove(p->relocs + 1, p->relocs, p->nrelocs * sizeof(*p->relocs));
	p->relocs[0] = (struct sl_bpf_reloc){.insn = 0, .ext = 0, .kind = SL_BPF_RELOC_KFUNC};
	p->nrelocs++;
	sl_bpf_obj_add_extern(s.obj, s.arena, &ext);
	sl_sample_serialize(&s, 2, &image, &size);
	sl_sample_fini(&s);
	assert_int_equal(sl_listing_print(image, size, out, why, sizeof(why)), 0);
	fclose(out);
	free(image);
	/* no helper name after it: helper 0 would read "unspec" */
	assert_has(text, "     0: call 0  ; kfunc bpf_some_kfunc\n     1: r6 = r1\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(reader_finds_programs_relocs_lines),
	    cmocka_unit_test(metadata_reader_checks_offsets),
	    cmocka_unit_test(reader_survives_damaged_images),
	    cmocka_unit_test(listing_interleaves_policy_lines),
	    cmocka_unit_test(listing_names_kfuncs),
	};

	libbpf_set_print(NULL); /* damaged images make libbpf complain about their BTF */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
