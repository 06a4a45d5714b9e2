// SPDX-License-Identifier: GPL-2.0-only
/*
 * What an object with named sets tells a loader (sluice/abi.h "Named sets"):
 * metadata version 2 with one record per set (names, the ELF map, types,
 * flags, capacity, key size, range field, timeout, declaration) and the
 * policy's elements as map keys (ranges as their prefixes); the ELF map
 * symbols `sls_<name>`, cut to 15 characters and kept apart by a digit; the
 * key structs in .BTF. A policy without sets keeps the version 1 layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lib/compile.h"
#include "object/object_read.h"
#include "sluice/meta.h"
#include "sluice/sluice.h"

static const char policy[] =
    "set blocklist { type ipv4_addr; flags interval; size 100;\n"
    "  elements = { 192.0.2.0/24, 10.0.0.1-10.0.0.5 } }\n"
    "set a_rather_long_set_name_1 { type ipv4_addr . inet_service;\n"
    "  elements = { 10.0.0.1 . 22 } }\n"
    "set a_rather_long_set_name_2 { type inet_service; flags timeout; timeout 1h30m; size 8 }\n"
    "table t {\n"
    "    hook xdp\n"
    "    ip saddr @blocklist drop\n"
    "    ip saddr . tcp dport @a_rather_long_set_name_1 accept\n"
    "    tcp dport @a_rather_long_set_name_2 drop\n"
    "}\n";

struct obj {
	struct sl_result *r;
	struct sl_objfile *f;
	struct sl_meta *m;
	const void *image;
	size_t size;
};

static void build(struct obj *o, const char *text)
{
	struct sl_compile_opts opts = {.opt_level = 2, .compiler = "test"};
	char why[256];

	memset(o, 0, sizeof(*o));
	assert_int_equal(sl_compile("p.sluice", text, strlen(text), &opts, &o->r), SL_COMPILE_OK);
	o->image = sl_result_object(o->r, &o->size);
	assert_non_null(o->image);
	assert_int_equal(sl_objfile_open(o->image, o->size, &o->f, why, sizeof(why)), 0);
	assert_int_equal(sl_meta_parse(o->f->meta, o->f->meta_size, &o->m, why, sizeof(why)), 0);
}

static void done(struct obj *o)
{
	sl_meta_free(o->m);
	sl_objfile_free(o->f);
	sl_result_free(o->r);
}

static void test_records(void **state)
{
	const struct sluice_meta_set *s;
	struct sluice_set_value v;
	const uint8_t *key;
	struct obj o;
	uint32_t plen;

	build(&o, policy);
	assert_int_equal(o.m->hdr.version, SLUICE_META_VERSION);
	assert_int_equal(o.m->hdr.nsets, 3);
	s = sl_meta_set_find(o.m, "blocklist");
	assert_non_null(s);
	assert_string_equal(sl_meta_str(o.m, s->map_str), "sls_blocklist");
	assert_int_equal(s->nfields, 1);
	assert_int_equal(s->types[0], SLUICE_SET_T_IPV4_ADDR);
	assert_int_equal(s->flags, SLUICE_SET_F_INTERVAL);
	assert_int_equal(s->size, 100);
	assert_int_equal(s->key_size, 8);
	assert_int_equal(s->line, 1);
	assert_string_equal(sl_meta_str(o.m, s->file_str), "p.sluice");
	/* 10.0.0.1-10.0.0.5: /32, /31 (2-3), /31 (4-5); and the /24: keys sorted by their bytes */
	assert_int_equal(s->nelems, 4);
	key = sl_meta_set_key(o.m, s, 0, &v);
	memcpy(&plen, key, 4);
	assert_int_equal(plen, 24);
	assert_memory_equal(key + 4, ((uint8_t[]){192, 0, 2, 0}), 4);
	assert_int_equal(v.expires_ns, 0);
	key = sl_meta_set_key(o.m, s, 1, NULL);
	memcpy(&plen, key, 4);
	assert_int_equal(plen, 31);
	assert_memory_equal(key + 4, ((uint8_t[]){10, 0, 0, 2}), 4);
	key = sl_meta_set_key(o.m, s, 3, NULL);
	memcpy(&plen, key, 4);
	assert_int_equal(plen, 32);
	assert_memory_equal(key + 4, ((uint8_t[]){10, 0, 0, 1}), 4);

	s = sl_meta_set_find(o.m, "a_rather_long_set_name_1");
	assert_string_equal(sl_meta_str(o.m, s->map_str), "sls_a_rather_lo");
	assert_int_equal(s->key_size, 6);
	assert_int_equal(s->size, 65535); /* the default */
	assert_int_equal(s->nelems, 1);
	assert_memory_equal(sl_meta_set_key(o.m, s, 0, NULL), ((uint8_t[]){10, 0, 0, 1, 0, 22}), 6);
	s = sl_meta_set_find(o.m, "a_rather_long_set_name_2");
	assert_string_equal(sl_meta_str(o.m, s->map_str), "sls_a_rather_l0");
	assert_int_equal(s->flags, SLUICE_SET_F_TIMEOUT);
	assert_int_equal(s->timeout_ns, 5400000000000ull);
	assert_int_equal(s->nelems, 0);
	done(&o);
}

/* libbpf reads the maps as map-in-maps with their inner templates; .BTF has the key structs. */
static void test_elf_maps(void **state)
{
	struct bpf_object *bo;
	struct bpf_map *m, *inner;
	struct obj o;

	build(&o, policy);
	bo = bpf_object__open_mem(o.image, o.size, NULL);
	assert_non_null(bo);
	m = bpf_object__find_map_by_name(bo, "sls_blocklist");
	assert_non_null(m);
	assert_int_equal(bpf_map__type(m), BPF_MAP_TYPE_ARRAY_OF_MAPS);
	assert_int_equal(bpf_map__max_entries(m), 1);
	inner = bpf_map__inner_map(m);
	assert_non_null(inner);
	assert_int_equal(bpf_map__type(inner), BPF_MAP_TYPE_LPM_TRIE);
	assert_int_equal(bpf_map__key_size(inner), 8);
	assert_int_equal(bpf_map__value_size(inner), sizeof(struct sluice_set_value));
	assert_int_equal(bpf_map__max_entries(inner), 100);
	assert_int_equal(bpf_map__map_flags(inner), BPF_F_NO_PREALLOC);
	inner = bpf_map__inner_map(bpf_object__find_map_by_name(bo, "sls_a_rather_lo"));
	assert_int_equal(bpf_map__type(inner), BPF_MAP_TYPE_HASH);
	assert_int_equal(bpf_map__map_flags(inner), 0);
	assert_true(btf__find_by_name(bpf_object__btf(bo), "sls_blocklist_key") > 0);
	assert_true(btf__find_by_name(bpf_object__btf(bo), "sluice_set_value") > 0);
	bpf_object__close(bo);
	done(&o);
}

static void test_no_sets_version1(void **state)
{
	struct obj o;

	build(&o, "table t {\n    hook xdp\n    tcp dport 22 drop\n}\n");
	assert_int_equal(o.m->hdr.version, SLUICE_META_VERSION_1);
	assert_int_equal(o.m->hdr.header_size, SLUICE_META_HEADER_V1_SIZE);
	assert_int_equal(o.m->hdr.nsets, 0);
	done(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_records),
	    cmocka_unit_test(test_elf_maps),
	    cmocka_unit_test(test_no_sets_version1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
