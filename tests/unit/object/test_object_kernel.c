// SPDX-License-Identifier: GPL-2.0-only
/*
 * The object model (emit/bpf_object.h) in the kernel: small objects built by
 * hand through the object writer API, with programs emitted by the emitter's
 * instruction helpers, opened by libbpf from memory, loaded and run with
 * BPF_PROG_TEST_RUN.
 *
 *   test_object_kernel          maps of every type, hash and LPM verdicts,
 *                               data sections, a ring buffer
 *   test_object_kernel kfunc    kernel functions through .ksyms externs
 *                               (nf_conntrack's bpf_xdp_ct_lookup / bpf_ct_release)
 *
 * Exit 77 (skipped) without BPF, or for `kfunc` without the conntrack kfuncs;
 * SLUICE_REQUIRE_KERNEL=1 turns both into failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/util.h"
#include "emit/insn.h"
#include "kern.h"
#include "object/object.h"

#ifndef BPF_F_NO_PREALLOC
#define BPF_F_NO_PREALLOC (1U << 0)
#endif
#define PIN_BY_NAME  1 /* LIBBPF_PIN_BY_NAME */
#define RINGBUF_SIZE (16u * 4096u)

/* ---- an object built by hand ---- */

struct hand {
	struct sl_arena *arena;
	struct sl_bpf_object obj;
	void *image;
	size_t size;
	struct bpf_object *bpf;
};

static void hand_init(struct hand *h)
{
	memset(h, 0, sizeof(*h));
	h->arena = sl_arena_new();
	assert_non_null(h->arena);
	h->obj.counter_map = h->obj.decision_map = -1;
}

static void hand_fini(struct hand *h)
{
	bpf_object__close(h->bpf);
	free(h->image);
	sl_arena_free(h->arena);
}

static uint32_t hand_map(struct hand *h, const struct sl_bpf_map *m)
{
	return sl_bpf_obj_add_map(&h->obj, h->arena, m);
}

/* An XDP program from what `e` holds. */
static void hand_prog(struct hand *h, const char *name, struct sl_emit *e)
{
	struct sl_bpf_prog *p;

	h->obj.progs = sl_arena_realloc(h->arena, h->obj.progs, h->obj.nprogs, h->obj.nprogs + 1,
					sizeof(*h->obj.progs));
	p = &h->obj.progs[h->obj.nprogs++];
	*p = (struct sl_bpf_prog){.name = name, .section = "xdp", .hook = SL_HOOK_XDP};
	assert_int_equal(sl_emit_to_prog(e, h->arena, p), 0);
	sl_emit_fini(e);
}

static void hand_write(struct hand *h)
{
	struct sl_obj_opts opts = {.compiler = "test"};
	struct sl_diag diag;

	sl_diag_init(&diag, NULL, stderr);
	assert_int_equal(sl_obj_serialize(&h->obj, NULL, &opts, &diag, &h->image, &h->size), 0);
	assert_int_equal(diag.nerrors, 0);
}

/* Write, open from memory and load through libbpf. */
static void hand_load(struct hand *h)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "sl_hand");

	hand_write(h);
	h->bpf = bpf_object__open_mem(h->image, h->size, &opts);
	assert_non_null(h->bpf);
	assert_int_equal(bpf_object__load(h->bpf), 0);
}

static int prog_fd(struct hand *h, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(h->bpf, name);

	assert_non_null(p);
	return bpf_program__fd(p);
}

static struct bpf_map *map_named(struct hand *h, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(h->bpf, name);

	if (!m)
		fail_msg("no map '%s' in the loaded object", name);
	return m;
}

/* Ethernet + IPv4 from `saddr` (host order), 64 bytes. */
static void frame_from(uint8_t frame[64], uint32_t saddr)
{
	uint32_t be = htonl(saddr);

	memset(frame, 0, 64);
	frame[12] = 0x08;
	frame[14] = 0x45;
	frame[23] = 6;
	memcpy(frame + 26, &be, 4);
}

static uint32_t run(int fd, const void *frame, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len,
		    .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
	return opts.retval;
}

static void emit_return(struct sl_emit *e, int32_t verdict)
{
	sl_emit(e, SL_MOV64_IMM(SL_R0, verdict));
	sl_emit(e, SL_EXIT());
}

/* ---- the types of the tests' maps: named members for bpftool ---- */

static const struct sl_btf_member val_members[] = {
    {"hits", &sl_btf_u64, 0},
    {"verdict", &sl_btf_u32, 8},
    {"flags", &sl_btf_u32, 12},
};
static const struct sl_btf_type val_type = {
    .kind = SL_BTF_STRUCT,
    .name = "sl_test_val",
    .size = 16,
    .members = val_members,
    .nmembers = 3,
};

static const struct sl_btf_member flow_members[] = {
    {"addr", &sl_btf_u32, 0},
    {"port", &sl_btf_u16, 4},
    {"proto", &sl_btf_u8, 6},
    {"pad", &sl_btf_u8, 7},
};
static const struct sl_btf_type flow_type = {
    .kind = SL_BTF_STRUCT,
    .name = "sl_test_flow",
    .size = 8,
    .members = flow_members,
    .nmembers = 4,
};

static const struct sl_btf_type addr4_type = {
    .kind = SL_BTF_ARRAY, .elem = &sl_btf_u8, .nelems = 4};
static const struct sl_btf_member lpm4_members[] = {
    {"prefixlen", &sl_btf_u32, 0},
    {"addr", &addr4_type, 4},
};
/* struct bpf_lpm_trie_key's layout, as LPM tries require */
static const struct sl_btf_type lpm4_type = {
    .kind = SL_BTF_STRUCT,
    .name = "sl_test_lpm4",
    .size = 8,
    .members = lpm4_members,
    .nmembers = 2,
};

struct lpm4_key {
	uint32_t prefixlen;
	uint8_t addr[4];
};

/* ---- (a) one map of each type, with BTF ---- */

struct map_case {
	struct sl_bpf_map def;
	bool btf_key, btf_value; /* the kernel keeps the BTF ids */
};

static const uint32_t data_init[4] = {1, 2, 3, 4};

static const struct map_case map_cases[] = {
    {{.name = "m_array",
      .type = BPF_MAP_TYPE_ARRAY,
      .key_size = 4,
      .value_size = 16,
      .max_entries = 8,
      .key = &sl_btf_u32,
      .value = &val_type},
     true,
     true},
    {{.name = "m_pcpu_array",
      .type = BPF_MAP_TYPE_PERCPU_ARRAY,
      .key_size = 4,
      .value_size = 16,
      .max_entries = 8,
      .key = &sl_btf_u32,
      .value = &val_type},
     true,
     true},
    {{.name = "m_hash",
      .type = BPF_MAP_TYPE_HASH,
      .key_size = 8,
      .value_size = 4,
      .max_entries = 64,
      .key = &flow_type,
      .value = &sl_btf_u32},
     true,
     true},
    {{.name = "m_pcpu_hash",
      .type = BPF_MAP_TYPE_PERCPU_HASH,
      .key_size = 4,
      .value_size = 8,
      .max_entries = 64,
      .key = &sl_btf_u32,
      .value = &sl_btf_u64},
     true,
     true},
    {{.name = "m_lru_hash",
      .type = BPF_MAP_TYPE_LRU_HASH,
      .key_size = 8,
      .value_size = 16,
      .max_entries = 128,
      .key = &flow_type,
      .value = &val_type},
     true,
     true},
    {{.name = "m_lru_pcpu",
      .type = BPF_MAP_TYPE_LRU_PERCPU_HASH,
      .key_size = 4,
      .value_size = 8,
      .max_entries = 128,
      .key = &sl_btf_u32,
      .value = &sl_btf_u64},
     true,
     true},
    {{.name = "m_lpm",
      .type = BPF_MAP_TYPE_LPM_TRIE,
      .key_size = 8,
      .value_size = 4,
      .max_entries = 256,
      .flags = BPF_F_NO_PREALLOC,
      .key = &lpm4_type,
      .value = &sl_btf_u32},
     true,
     true},
    {{.name = "m_ringbuf", .type = BPF_MAP_TYPE_RINGBUF, .max_entries = RINGBUF_SIZE},
     false,
     false},
    /* a size without a type: written as key_size / value_size */
    {{.name = "m_sized",
      .type = BPF_MAP_TYPE_HASH,
      .key_size = 12,
      .value_size = 4,
      .max_entries = 16},
     false,
     false},
    {{.name = "m_pinned",
      .type = BPF_MAP_TYPE_HASH,
      .key_size = 4,
      .value_size = 4,
      .max_entries = 16,
      .key = &sl_btf_u32,
      .value = &sl_btf_u32,
      .pinning = PIN_BY_NAME},
     true,
     true},
};

static void every_map_type_loads(void **state)
{
	struct hand h;
	struct sl_emit e;

	(void)state;
	hand_init(&h);
	for (size_t i = 0; i < SL_ARRAY_SIZE(map_cases); i++)
		hand_map(&h, &map_cases[i].def);
	sl_emit_init(&e);
	emit_return(&e, 2 /* XDP_PASS */);
	hand_prog(&h, "sl_trivial", &e);
	hand_write(&h);

	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "sl_hand");
	h.bpf = bpf_object__open_mem(h.image, h.size, &opts);
	assert_non_null(h.bpf);
	/* pinning: libbpf read it from the definition; not pinned here (a shared bpffs) */
	assert_non_null(bpf_map__pin_path(map_named(&h, "m_pinned")));
	assert_non_null(strstr(bpf_map__pin_path(map_named(&h, "m_pinned")), "/m_pinned"));
	assert_null(bpf_map__pin_path(map_named(&h, "m_hash")));
	assert_int_equal(bpf_map__set_pin_path(map_named(&h, "m_pinned"), NULL), 0);
	assert_int_equal(bpf_object__load(h.bpf), 0);

	for (size_t i = 0; i < SL_ARRAY_SIZE(map_cases); i++) {
		const struct map_case *c = &map_cases[i];
		struct bpf_map *m = map_named(&h, c->def.name);
		struct bpf_map_info info = {0};
		__u32 len = sizeof(info);

		assert_int_equal(bpf_map__type(m), c->def.type);
		assert_int_equal(bpf_map__key_size(m), c->def.key_size);
		assert_int_equal(bpf_map__value_size(m), c->def.value_size);
		assert_int_equal(bpf_map__max_entries(m), c->def.max_entries);
		assert_int_equal(bpf_map__map_flags(m), c->def.flags);
		assert_int_equal(bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len), 0);
		assert_int_equal(info.type, c->def.type);
		assert_int_equal(info.key_size, c->def.key_size);
		assert_int_equal(info.value_size, c->def.value_size);
		assert_int_equal(info.max_entries, c->def.max_entries);
		assert_int_equal(info.map_flags, c->def.flags);
		assert_string_equal(info.name, c->def.name);
		assert_int_equal(info.btf_key_type_id != 0, c->btf_key);
		assert_int_equal(info.btf_value_type_id != 0, c->btf_value);
	}
	hand_fini(&h);
}

/* The LPM key is described with its members: what bpftool shows. */
static void lpm_key_btf_has_named_members(void **state)
{
	struct hand h;
	struct sl_emit e;
	const struct btf_type *t;
	const struct btf_member *mem;
	struct btf *btf;

	(void)state;
	hand_init(&h);
	hand_map(&h, &map_cases[6].def);
	sl_emit_init(&e);
	emit_return(&e, 2);
	hand_prog(&h, "sl_trivial", &e);
	hand_load(&h);
	btf = bpf_object__btf(h.bpf);
	t = btf__type_by_id(btf, bpf_map__btf_key_type_id(map_named(&h, "m_lpm")));
	assert_non_null(t);
	assert_true(btf_is_struct(t));
	assert_string_equal(btf__name_by_offset(btf, t->name_off), "sl_test_lpm4");
	assert_int_equal(btf_vlen(t), 2);
	mem = btf_members(t);
	assert_string_equal(btf__name_by_offset(btf, mem[0].name_off), "prefixlen");
	assert_string_equal(btf__name_by_offset(btf, mem[1].name_off), "addr");
	assert_int_equal(btf_member_bit_offset(t, 1), 32);
	hand_fini(&h);
}

/* ---- (b) hash and LPM lookups decide the verdict ---- */

/*
 * verdict = hash[saddr] if present, else lpm[saddr/32] if present, else XDP_PASS.
 * The source address is kept in R7 across the helper calls.
 */
static void emit_lookup_prog(struct sl_emit *e, uint32_t hash, uint32_t lpm)
{
	sl_label pass = sl_emit_new_label(e), try_lpm = sl_emit_new_label(e);

	sl_emit(e, SL_LDX(BPF_W, SL_R2, SL_R1, offsetof(struct xdp_md, data)));
	sl_emit(e, SL_LDX(BPF_W, SL_R3, SL_R1, offsetof(struct xdp_md, data_end)));
	sl_emit(e, SL_MOV64_REG(SL_R4, SL_R2));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R4, 34));
	sl_emit_jmp_reg(e, BPF_JGT, SL_R4, SL_R3, pass);
	sl_emit(e, SL_LDX(BPF_W, SL_R7, SL_R2, 26));
	sl_emit(e, SL_STX(BPF_W, SL_FP, SL_R7, -4));
	sl_emit_ld_map(e, SL_R1, hash);
	sl_emit(e, SL_MOV64_REG(SL_R2, SL_FP));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R2, -4));
	sl_emit(e, SL_CALL(BPF_FUNC_map_lookup_elem));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, try_lpm);
	sl_emit(e, SL_LDX(BPF_W, SL_R0, SL_R0, 0));
	sl_emit(e, SL_EXIT());
	sl_emit_bind(e, try_lpm);
	sl_emit(e, SL_ST(BPF_W, SL_FP, -12, 32));
	sl_emit(e, SL_STX(BPF_W, SL_FP, SL_R7, -8));
	sl_emit_ld_map(e, SL_R1, lpm);
	sl_emit(e, SL_MOV64_REG(SL_R2, SL_FP));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R2, -12));
	sl_emit(e, SL_CALL(BPF_FUNC_map_lookup_elem));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, pass);
	sl_emit(e, SL_LDX(BPF_W, SL_R0, SL_R0, 0));
	sl_emit(e, SL_EXIT());
	sl_emit_bind(e, pass);
	emit_return(e, 2 /* XDP_PASS */);
}

/* `bpftool map dump` of the LPM map prints the key's member names. */
static void bpftool_shows_members(int map_fd)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	char cmd[128], out[4096];
	size_t n;
	FILE *f;

	if (access("/usr/sbin/bpftool", X_OK) && access("/usr/bin/bpftool", X_OK))
		return; /* optional: the libbpf checks above stand without it */
	assert_int_equal(bpf_obj_get_info_by_fd(map_fd, &info, &len), 0);
	snprintf(cmd, sizeof(cmd), "bpftool -j map dump id %u 2>&1", info.id);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	pclose(f);
	if (!strstr(out, "\"prefixlen\":24"))
		fail_msg("bpftool map dump does not name the key's members: %s", out);
}

static void hash_and_lpm_decide(void **state)
{
	uint32_t saddr = 0xc0000209; /* 192.0.2.9 */
	uint32_t key = htonl(saddr), drop = 1, tx = 3;
	struct lpm4_key net = {24, {192, 0, 2, 0}};
	struct hand h;
	struct sl_emit e;
	uint8_t frame[64];
	int fd, hash_fd, lpm_fd;

	(void)state;
	hand_init(&h);
	uint32_t hash = hand_map(&h, &(struct sl_bpf_map){.name = "blocked",
							  .type = BPF_MAP_TYPE_HASH,
							  .key_size = 4,
							  .value_size = 4,
							  .max_entries = 16,
							  .key = &sl_btf_u32,
							  .value = &sl_btf_u32});
	uint32_t lpm = hand_map(&h, &map_cases[6].def);
	sl_emit_init(&e);
	emit_lookup_prog(&e, hash, lpm);
	hand_prog(&h, "sl_lookup", &e);
	hand_load(&h);
	fd = prog_fd(&h, "sl_lookup");
	hash_fd = bpf_map__fd(map_named(&h, "blocked"));
	lpm_fd = bpf_map__fd(map_named(&h, "m_lpm"));
	frame_from(frame, saddr);

	assert_int_equal(run(fd, frame, sizeof(frame)), 2);
	assert_int_equal(bpf_map_update_elem(lpm_fd, &net, &tx, BPF_ANY), 0);
	assert_int_equal(run(fd, frame, sizeof(frame)), 3);
	frame_from(frame, 0xc0000309); /* 192.0.3.9: outside the prefix */
	assert_int_equal(run(fd, frame, sizeof(frame)), 2);
	frame_from(frame, saddr);
	assert_int_equal(bpf_map_update_elem(hash_fd, &key, &drop, BPF_ANY), 0);
	assert_int_equal(run(fd, frame, sizeof(frame)), 1);
	assert_int_equal(bpf_map_delete_elem(hash_fd, &key), 0);
	assert_int_equal(run(fd, frame, sizeof(frame)), 3);
	bpftool_shows_members(lpm_fd);
	assert_int_equal(bpf_map_delete_elem(lpm_fd, &net), 0);
	assert_int_equal(run(fd, frame, sizeof(frame)), 2);
	hand_fini(&h);
}

/* ---- data sections: .rodata.<name> frozen, .data.<name> writable, offsets in imm ---- */

static void data_maps_are_addressed_by_offset(void **state)
{
	static const uint32_t ro_init[2] = {7, 0};
	uint32_t zero = 0, values[4] = {1, 2, 1, 4};
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	struct hand h;
	struct sl_emit e;
	uint8_t frame[64];
	sl_label ro_ok;
	int fd;

	(void)state;
	hand_init(&h);
	uint32_t data = hand_map(&h, &(struct sl_bpf_map){.name = "m_data",
							  .type = BPF_MAP_TYPE_ARRAY,
							  .key_size = 4,
							  .value_size = 4,
							  .max_entries = 4,
							  .key = &sl_btf_u32,
							  .value = &sl_btf_u32,
							  .home = SL_BPF_MAP_DATA,
							  .init = data_init});
	uint32_t ro = hand_map(&h, &(struct sl_bpf_map){.name = "m_ro",
							.type = BPF_MAP_TYPE_ARRAY,
							.key_size = 4,
							.value_size = 4,
							.max_entries = 2,
							.key = &sl_btf_u32,
							.value = &sl_btf_u32,
							.home = SL_BPF_MAP_RODATA,
							.init = ro_init});
	sl_emit_init(&e);
	ro_ok = sl_emit_new_label(&e);
	/* m_ro[0] must read 7, else XDP_ABORTED; then return m_data[2] */
	sl_emit_ld_map_value(&e, SL_R1, ro, 0);
	sl_emit(&e, SL_LDX(BPF_W, SL_R1, SL_R1, 0));
	sl_emit_jmp_imm(&e, BPF_JEQ, SL_R1, 7, ro_ok);
	emit_return(&e, 0);
	sl_emit_bind(&e, ro_ok);
	sl_emit_ld_map_value(&e, SL_R1, data, 8);
	sl_emit(&e, SL_LDX(BPF_W, SL_R0, SL_R1, 0));
	sl_emit(&e, SL_EXIT());
	hand_prog(&h, "sl_data", &e);
	hand_load(&h);
	fd = prog_fd(&h, "sl_data");
	frame_from(frame, 1);
	assert_int_equal(run(fd, frame, sizeof(frame)), 3); /* data_init[2] */
	/* libbpf's global data map: one value, the whole section */
	assert_int_equal(
	    bpf_map_update_elem(bpf_map__fd(map_named(&h, ".data.m_data")), &zero, values, BPF_ANY),
	    0);
	assert_int_equal(run(fd, frame, sizeof(frame)), 1);
	assert_int_equal(
	    bpf_obj_get_info_by_fd(bpf_map__fd(map_named(&h, ".rodata.m_ro")), &info, &len), 0);
	assert_true(info.map_flags & BPF_F_RDONLY_PROG);

	/* tests/lib's loader without ELF (sl_kern_load_raw) keeps the offsets too */
	struct sl_kern_prog raw;
	char *log = NULL;
	uint32_t ret = 0;

	if (sl_kern_load_raw(&h.obj, 0, &raw, &log))
		fail_msg("raw load failed: %s", log ? log : "");
	free(log);
	assert_int_equal(sl_kern_run(&raw, frame, sizeof(frame), &ret), 0);
	assert_int_equal(ret, 3);
	sl_kern_prog_close(&raw);
	hand_fini(&h);
}

/* ---- (d) a ring buffer read from userspace ---- */

struct rb_seen {
	unsigned records;
	uint32_t len, magic;
};

static int rb_record(void *ctx, void *data, size_t size)
{
	struct rb_seen *seen = ctx;

	if (size != 8)
		return -EINVAL;
	memcpy(&seen->len, data, 4);
	memcpy(&seen->magic, (uint8_t *)data + 4, 4);
	seen->records++;
	return 0;
}

static void ringbuf_records_reach_userspace(void **state)
{
	struct rb_seen seen = {0};
	struct ring_buffer *rb;
	struct hand h;
	struct sl_emit e;
	uint8_t frame[64];
	int fd;

	(void)state;
	hand_init(&h);
	uint32_t ring = hand_map(&h, &map_cases[7].def);
	sl_emit_init(&e);
	/* bpf_ringbuf_output(&ring, &(u32[2]){ data_end - data, 0xc0ffee }, 8, 0) */
	sl_emit(&e, SL_LDX(BPF_W, SL_R2, SL_R1, offsetof(struct xdp_md, data)));
	sl_emit(&e, SL_LDX(BPF_W, SL_R3, SL_R1, offsetof(struct xdp_md, data_end)));
	sl_emit(&e, SL_ALU64_REG(BPF_SUB, SL_R3, SL_R2));
	sl_emit(&e, SL_STX(BPF_W, SL_FP, SL_R3, -8));
	sl_emit(&e, SL_ST(BPF_W, SL_FP, -4, 0xc0ffee));
	sl_emit_ld_map(&e, SL_R1, ring);
	sl_emit(&e, SL_MOV64_REG(SL_R2, SL_FP));
	sl_emit(&e, SL_ALU64_IMM(BPF_ADD, SL_R2, -8));
	sl_emit(&e, SL_MOV64_IMM(SL_R3, 8));
	sl_emit(&e, SL_MOV64_IMM(SL_R4, 0));
	sl_emit(&e, SL_CALL(BPF_FUNC_ringbuf_output));
	emit_return(&e, 2);
	hand_prog(&h, "sl_ring", &e);
	hand_load(&h);
	fd = prog_fd(&h, "sl_ring");
	rb = ring_buffer__new(bpf_map__fd(map_named(&h, "m_ringbuf")), rb_record, &seen, NULL);
	assert_non_null(rb);
	assert_int_equal(ring_buffer__consume(rb), 0);
	frame_from(frame, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(run(fd, frame, sizeof(frame) - (size_t)i), 2);
	assert_int_equal(ring_buffer__poll(rb, 100), 3);
	assert_int_equal(seen.records, 3);
	assert_int_equal(seen.len, sizeof(frame) - 2);
	assert_int_equal(seen.magic, 0xc0ffee);
	ring_buffer__free(rb);
	hand_fini(&h);
}

/* ---- (c) kfuncs: .ksyms externs resolved by libbpf ---- */

static const struct sl_btf_type nf_conn = {.kind = SL_BTF_STRUCT, .name = "nf_conn"};
static const struct sl_btf_type sock_tuple = {.kind = SL_BTF_STRUCT, .name = "bpf_sock_tuple"};
static const struct sl_btf_type ct_opts = {.kind = SL_BTF_STRUCT, .name = "bpf_ct_opts"};
static const struct sl_btf_type xdp_md = {.kind = SL_BTF_STRUCT, .name = "xdp_md"};
static const struct sl_btf_type nf_conn_ptr = {.kind = SL_BTF_PTR, .elem = &nf_conn};
static const struct sl_btf_type sock_tuple_ptr = {.kind = SL_BTF_PTR, .elem = &sock_tuple};
static const struct sl_btf_type ct_opts_ptr = {.kind = SL_BTF_PTR, .elem = &ct_opts};
static const struct sl_btf_type xdp_md_ptr = {.kind = SL_BTF_PTR, .elem = &xdp_md};

static const struct sl_btf_param ct_lookup_params[] = {
    {"xdp_ctx", &xdp_md_ptr}, {"bpf_tuple", &sock_tuple_ptr}, {"tuple__sz", &sl_btf_u32},
    {"opts", &ct_opts_ptr},   {"opts__sz", &sl_btf_u32},
};
static const struct sl_bpf_extern ct_lookup = {
    .name = "bpf_xdp_ct_lookup",
    .ret = &nf_conn_ptr,
    .params = ct_lookup_params,
    .nparams = 5,
};
static const struct sl_btf_param ct_release_params[] = {{"nfct", &nf_conn_ptr}};
static const struct sl_bpf_extern ct_release = {
    .name = "bpf_ct_release",
    .params = ct_release_params,
    .nparams = 1,
};

/*
 * Look up a TCP flow that does not exist: the kernel function answers NULL
 * and writes -ENOENT into opts.error (the program put 12345 there). The
 * program stores opts.error in result[0], or 1 in result[1] when a
 * connection was found (released at once).
 */
static void build_ct_object(struct hand *h)
{
	struct sl_emit e;
	sl_label none, out, done;
	uint32_t result, lookup, release;

	result = hand_map(h, &(struct sl_bpf_map){.name = "result",
						  .type = BPF_MAP_TYPE_ARRAY,
						  .key_size = 4,
						  .value_size = 4,
						  .max_entries = 2,
						  .key = &sl_btf_u32,
						  .value = &sl_btf_s32});
	lookup = sl_bpf_obj_add_extern(&h->obj, h->arena, &ct_lookup);
	release = sl_bpf_obj_add_extern(&h->obj, h->arena, &ct_release);
	assert_int_equal(sl_bpf_obj_add_extern(&h->obj, h->arena, &ct_lookup), lookup);
	sl_emit_init(&e);
	none = sl_emit_new_label(&e);
	out = sl_emit_new_label(&e);
	done = sl_emit_new_label(&e);
	sl_emit(&e, SL_MOV64_REG(SL_R6, SL_R1));
	/* struct bpf_sock_tuple (ipv4: saddr, daddr, sport, dport) at fp-32, 12 bytes */
	sl_emit(&e, SL_ST(BPF_W, SL_FP, -32, (int32_t)htonl(0xc0000201)));
	sl_emit(&e, SL_ST(BPF_W, SL_FP, -28, (int32_t)htonl(0xc0000202)));
	sl_emit(&e, SL_ST(BPF_W, SL_FP, -24, (int32_t)((htons(80) << 16) | htons(40000))));
	/* struct bpf_ct_opts at fp-16, 12 bytes: netns_id -1, error, l4proto TCP */
	sl_emit(&e, SL_ST(BPF_W, SL_FP, -16, -1));
	sl_emit(&e, SL_ST(BPF_W, SL_FP, -12, 12345));
	sl_emit(&e, SL_ST(BPF_W, SL_FP, -8, 6));
	sl_emit(&e, SL_MOV64_REG(SL_R1, SL_R6));
	sl_emit(&e, SL_MOV64_REG(SL_R2, SL_FP));
	sl_emit(&e, SL_ALU64_IMM(BPF_ADD, SL_R2, -32));
	sl_emit(&e, SL_MOV64_IMM(SL_R3, 12));
	sl_emit(&e, SL_MOV64_REG(SL_R4, SL_FP));
	sl_emit(&e, SL_ALU64_IMM(BPF_ADD, SL_R4, -16));
	sl_emit(&e, SL_MOV64_IMM(SL_R5, 12));
	sl_emit_call_kfunc(&e, lookup);
	sl_emit_jmp_imm(&e, BPF_JEQ, SL_R0, 0, none);
	sl_emit(&e, SL_MOV64_REG(SL_R1, SL_R0));
	sl_emit_call_kfunc(&e, release);
	sl_emit(&e, SL_ST(BPF_W, SL_FP, -36, 1));
	sl_emit(&e, SL_MOV64_IMM(SL_R7, 1));
	sl_emit_ja(&e, out);
	sl_emit_bind(&e, none);
	sl_emit(&e, SL_ST(BPF_W, SL_FP, -36, 0));
	sl_emit(&e, SL_LDX(BPF_W, SL_R7, SL_FP, -12));
	sl_emit_bind(&e, out);
	sl_emit_ld_map(&e, SL_R1, result);
	sl_emit(&e, SL_MOV64_REG(SL_R2, SL_FP));
	sl_emit(&e, SL_ALU64_IMM(BPF_ADD, SL_R2, -36));
	sl_emit(&e, SL_CALL(BPF_FUNC_map_lookup_elem));
	sl_emit_jmp_imm(&e, BPF_JEQ, SL_R0, 0, done);
	sl_emit(&e, SL_STX(BPF_W, SL_R0, SL_R7, 0));
	sl_emit_bind(&e, done);
	emit_return(&e, 2);
	hand_prog(h, "sl_ct", &e);
}

/* What libbpf looks for: an undefined global NOTYPE symbol, a call relocation, .ksyms BTF. */
static void kfunc_object_has_extern_form(void **state)
{
	struct hand h;
	Elf *elf;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx;
	unsigned undefined = 0, call_relocs = 0;
	struct btf *btf = NULL;

	(void)state;
	hand_init(&h);
	build_ct_object(&h);
	hand_write(&h);
	elf_version(EV_CURRENT);
	elf = elf_memory(h.image, h.size);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d = elf_getdata(scn, NULL);
		const char *name;

		gelf_getshdr(scn, &sh);
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_SYMTAB) {
			for (size_t i = 0; i < sh.sh_size / sizeof(Elf64_Sym); i++) {
				GElf_Sym s;

				gelf_getsym(d, (int)i, &s);
				if (i && s.st_shndx == SHN_UNDEF) {
					assert_int_equal(GELF_ST_TYPE(s.st_info), STT_NOTYPE);
					assert_int_equal(GELF_ST_BIND(s.st_info), STB_GLOBAL);
					undefined++;
				}
			}
		} else if (sh.sh_type == SHT_REL) {
			for (size_t i = 0; i < sh.sh_size / sizeof(Elf64_Rel); i++) {
				GElf_Rel r;

				gelf_getrel(d, (int)i, &r);
				call_relocs += GELF_R_TYPE(r.r_info) == 10; /* R_BPF_64_32 */
			}
		} else if (!strcmp(name, ".BTF")) {
			btf = btf__new(d->d_buf, (uint32_t)d->d_size);
		}
	}
	assert_int_equal(undefined, 2);
	assert_int_equal(call_relocs, 2);
	assert_non_null(btf);
	int id = btf__find_by_name_kind(btf, "bpf_xdp_ct_lookup", BTF_KIND_FUNC);
	assert_true(id > 0);
	assert_int_equal(btf_vlen(btf__type_by_id(btf, id)),
			 BTF_FUNC_EXTERN); /* a FUNC keeps its linkage in vlen */
	int sec = btf__find_by_name_kind(btf, ".ksyms", BTF_KIND_DATASEC);
	assert_true(sec > 0);
	assert_int_equal(btf_vlen(btf__type_by_id(btf, sec)), 2);
	btf__free(btf);
	elf_end(elf);
	hand_fini(&h);
}

static void kfunc_call_loads_and_runs(void **state)
{
	int32_t error = 0, found = -1;
	uint32_t k0 = 0, k1 = 1;
	struct hand h;
	uint8_t frame[64];
	int map_fd;

	(void)state;
	hand_init(&h);
	build_ct_object(&h);
	hand_load(&h);
	frame_from(frame, 1);
	assert_int_equal(run(prog_fd(&h, "sl_ct"), frame, sizeof(frame)), 2);
	map_fd = bpf_map__fd(map_named(&h, "result"));
	assert_int_equal(bpf_map_lookup_elem(map_fd, &k0, &error), 0);
	assert_int_equal(bpf_map_lookup_elem(map_fd, &k1, &found), 0);
	assert_int_equal(found, 0);
	assert_int_equal(error, -ENOENT);
	hand_fini(&h);
}

/*
 * `bpftool gen object` (libbpf's static linker, stricter than opening) takes
 * an object with every map type, both data sections and kfunc externs.
 */
static void static_linker_accepts_the_model(void **state)
{
	char dir[] = "/tmp/sl_obj_link.XXXXXX", in[64], out[64], cmd[256];
	static const uint32_t ro_init[2] = {7, 0};
	struct bpf_object *linked;
	struct hand h;
	int status;

	(void)state;
	if (access("/usr/sbin/bpftool", X_OK) && access("/usr/bin/bpftool", X_OK))
		skip();
	hand_init(&h);
	for (size_t i = 0; i < SL_ARRAY_SIZE(map_cases); i++)
		hand_map(&h, &map_cases[i].def);
	hand_map(&h, &(struct sl_bpf_map){.name = "m_data",
					  .type = BPF_MAP_TYPE_ARRAY,
					  .key_size = 4,
					  .value_size = 4,
					  .max_entries = 4,
					  .key = &sl_btf_u32,
					  .value = &sl_btf_u32,
					  .home = SL_BPF_MAP_DATA});
	hand_map(&h, &(struct sl_bpf_map){.name = "m_ro",
					  .type = BPF_MAP_TYPE_ARRAY,
					  .key_size = 4,
					  .value_size = 4,
					  .max_entries = 2,
					  .key = &sl_btf_u32,
					  .value = &sl_btf_u32,
					  .home = SL_BPF_MAP_RODATA,
					  .init = ro_init});
	build_ct_object(&h);
	hand_write(&h);
	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/in.o", dir);
	snprintf(out, sizeof(out), "%s/out.o", dir);
	assert_int_equal(sl_obj_write_file_atomic(in, h.image, h.size), 0);
	snprintf(cmd, sizeof(cmd), "bpftool gen object %s %s", out, in);
	status = system(cmd);
	/* and the linked object still opens, with its maps and extern */
	linked = status ? NULL : bpf_object__open_file(out, NULL);
	if (linked) {
		assert_non_null(bpf_object__find_map_by_name(linked, "m_lpm"));
		assert_non_null(bpf_object__find_map_by_name(linked, ".data.m_data"));
		bpf_object__close(linked);
	}
	unlink(in);
	unlink(out);
	rmdir(dir);
	hand_fini(&h);
	assert_int_equal(status, 0);
	assert_non_null(linked);
}

/* The conntrack kfuncs in the kernel's BTF or nf_conntrack's (loaded on demand). */
static bool have_ct_kfuncs(char *why, size_t size)
{
	struct btf *vmlinux, *mod = NULL;
	bool found;

	if (system("modprobe nf_conntrack >/dev/null 2>&1")) {
		/* built in, or no modprobe: the BTF says */
	}
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		snprintf(why, size, "no kernel BTF (/sys/kernel/btf/vmlinux)");
		return false;
	}
	found = btf__find_by_name_kind(vmlinux, "bpf_xdp_ct_lookup", BTF_KIND_FUNC) > 0;
	if (!found) {
		mod = btf__load_module_btf("nf_conntrack", vmlinux);
		found = mod && btf__find_by_name_kind(mod, "bpf_xdp_ct_lookup", BTF_KIND_FUNC) > 0;
	}
	btf__free(mod);
	btf__free(vmlinux);
	if (!found)
		snprintf(
		    why, size,
		    "the kernel has no bpf_xdp_ct_lookup kfunc (nf_conntrack with BPF support)");
	return found;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest maps[] = {
	    cmocka_unit_test(every_map_type_loads),
	    cmocka_unit_test(lpm_key_btf_has_named_members),
	    cmocka_unit_test(hash_and_lpm_decide),
	    cmocka_unit_test(data_maps_are_addressed_by_offset),
	    cmocka_unit_test(ringbuf_records_reach_userspace),
	    cmocka_unit_test(static_linker_accepts_the_model),
	};
	const struct CMUnitTest kfuncs[] = {
	    cmocka_unit_test(kfunc_object_has_extern_form),
	    cmocka_unit_test(kfunc_call_loads_and_runs),
	};
	bool kfunc = argc > 1 && !strcmp(argv[1], "kfunc");
	char why[256];

	if (!sl_kern_usable(why, sizeof(why)))
		return sl_kern_skip(argv[0], why);
	if (kfunc && !have_ct_kfuncs(why, sizeof(why)))
		return sl_kern_skip("test_object_kernel kfunc", why);
	if (kfunc)
		return cmocka_run_group_tests(kfuncs, NULL, NULL);
	return cmocka_run_group_tests(maps, NULL, NULL);
}
