// SPDX-License-Identifier: GPL-2.0-only
/*
 * .BTF of a sluice object, in the shapes clang produces for libbpf-style C,
 * so that libbpf, bpftool and the kernel read it like any other object:
 *
 *   - a BTF-defined map per .maps entry: an anonymous struct of pointers,
 *     integers (`type`, `max_entries`, `map_flags`) as PTR -> ARRAY[value]
 *     of int, `key`/`value` as PTR -> the key/value type; a VAR and the
 *     DATASEC `.maps`;
 *   - a map with initial contents as a const array, alone in the DATASEC
 *     `.rodata.<name>`;
 *   - a global FUNC `int name(struct xdp_md *ctx)` (or `struct __sk_buff *`)
 *     per program.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "object/object_priv.h"
#include "sluice/abi.h"
#include "common/util.h"

/* Types added on first use, so that the BTF holds only what the object needs. */
struct btf_types {
	struct btf *btf;
	int int_id, uint_id, u32_id, u64_id, uchar_id, array_index_id;
	int counter_id;
	int ctx_proto[2]; /* 0: struct xdp_md *, 1: struct __sk_buff * */
};

static int add_base_types(struct btf_types *t)
{
	t->int_id = btf__add_int(t->btf, "int", 4, BTF_INT_SIGNED);
	t->uint_id = btf__add_int(t->btf, "unsigned int", 4, 0);
	t->u32_id = btf__add_typedef(t->btf, "__u32", t->uint_id);
	t->array_index_id = btf__add_int(t->btf, "__ARRAY_SIZE_TYPE__", 4, 0);
	if (t->int_id < 0 || t->uint_id < 0 || t->u32_id < 0 || t->array_index_id < 0)
		return -ENOMEM;
	return 0;
}

static int u64_type(struct btf_types *t)
{
	int ull;

	if (t->u64_id)
		return t->u64_id;
	ull = btf__add_int(t->btf, "unsigned long long", 8, 0);
	if (ull < 0)
		return ull;
	t->u64_id = btf__add_typedef(t->btf, "__u64", ull);
	return t->u64_id;
}

/* struct sluice_counter { __u64 packets; __u64 bytes; } as abi.h defines it. */
static int counter_type(struct btf_types *t)
{
	int u64 = u64_type(t), id, r;

	if (t->counter_id)
		return t->counter_id;
	if (u64 < 0)
		return u64;
	id = btf__add_struct(t->btf, "sluice_counter", sizeof(struct sluice_counter));
	if (id < 0)
		return id;
	r = btf__add_field(t->btf, "packets", u64, offsetof(struct sluice_counter, packets) * 8, 0);
	if (!r)
		r = btf__add_field(t->btf, "bytes", u64, offsetof(struct sluice_counter, bytes) * 8,
				   0);
	if (r)
		return r;
	t->counter_id = id;
	return id;
}

static int bytes_type(struct btf_types *t, uint32_t size)
{
	if (!t->uchar_id) {
		t->uchar_id = btf__add_int(t->btf, "unsigned char", 1, 0);
		if (t->uchar_id < 0)
			return t->uchar_id;
	}
	return btf__add_array(t->btf, t->array_index_id, t->uchar_id, size);
}

static int shape_type(struct btf_types *t, enum sl_btf_shape shape, uint32_t size)
{
	switch (shape) {
	case SL_BTF_U32:
		return t->u32_id;
	case SL_BTF_COUNTER:
		return counter_type(t);
	case SL_BTF_BYTES:
		return bytes_type(t, size);
	}
	return -EINVAL;
}

/* struct xdp_md exactly as linux/bpf.h has it; the verifier rewrites accesses to it. */
static int xdp_md_type(struct btf_types *t)
{
	static const struct {
		const char *name;
		size_t off;
	} members[] = {
		{ "data", offsetof(struct xdp_md, data) },
		{ "data_end", offsetof(struct xdp_md, data_end) },
		{ "data_meta", offsetof(struct xdp_md, data_meta) },
		{ "ingress_ifindex", offsetof(struct xdp_md, ingress_ifindex) },
		{ "rx_queue_index", offsetof(struct xdp_md, rx_queue_index) },
		{ "egress_ifindex", offsetof(struct xdp_md, egress_ifindex) },
	};
	int id = btf__add_struct(t->btf, "xdp_md", sizeof(struct xdp_md));

	if (id < 0)
		return id;
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		int r = btf__add_field(t->btf, members[i].name, t->u32_id, members[i].off * 8, 0);

		if (r)
			return r;
	}
	return id;
}

/* `int (struct xdp_md *ctx)` or `int (struct __sk_buff *ctx)`. */
static int prog_proto(struct btf_types *t, enum sl_hook hook)
{
	int kind = hook == SL_HOOK_XDP ? 0 : 1;
	int ctx, ptr, proto, r;

	if (t->ctx_proto[kind])
		return t->ctx_proto[kind];
	/*
	 * __sk_buff is declared, not defined: the kernel checks the context of
	 * a program by its BTF name only, and its full layout depends on the
	 * kernel version the object happens to be built against.
	 */
	ctx = kind == 0 ? xdp_md_type(t) : btf__add_fwd(t->btf, "__sk_buff", BTF_FWD_STRUCT);
	if (ctx < 0)
		return ctx;
	ptr = btf__add_ptr(t->btf, ctx);
	if (ptr < 0)
		return ptr;
	proto = btf__add_func_proto(t->btf, t->int_id);
	if (proto < 0)
		return proto;
	r = btf__add_func_param(t->btf, "ctx", ptr);
	if (r)
		return r;
	t->ctx_proto[kind] = proto;
	return proto;
}

/* PTR -> int[value]: how `__uint(name, value)` is encoded. */
static int uint_field_type(struct btf_types *t, uint32_t value)
{
	int arr = btf__add_array(t->btf, t->array_index_id, t->int_id, value);

	return arr < 0 ? arr : btf__add_ptr(t->btf, arr);
}

static int map_def_type(struct btf_types *t, const struct sl_bpf_map *m, uint32_t size)
{
	int ids[5], key, value, id, r;
	static const char *const names[] = { "type", "key", "value", "max_entries", "map_flags" };
	uint32_t nfields = sl_obj_mapdef_fields(m);

	key = shape_type(t, m->key_shape, m->key_size);
	value = shape_type(t, m->value_shape, m->value_size);
	if (key < 0 || value < 0)
		return key < 0 ? key : value;
	ids[0] = uint_field_type(t, m->type);
	ids[1] = btf__add_ptr(t->btf, key);
	ids[2] = btf__add_ptr(t->btf, value);
	ids[3] = uint_field_type(t, m->max_entries);
	ids[4] = nfields > 4 ? uint_field_type(t, m->flags) : 0;
	for (uint32_t i = 0; i < nfields; i++) {
		if (ids[i] < 0)
			return ids[i];
	}
	id = btf__add_struct(t->btf, NULL, size);
	if (id < 0)
		return id;
	for (uint32_t i = 0; i < nfields; i++) {
		r = btf__add_field(t->btf, names[i], ids[i], i * SL_OBJ_MAPDEF_FIELD * 8, 0);
		if (r)
			return r;
	}
	return id;
}

/* The contents of a map with initial data: `const value_type name[max_entries]`. */
static int rodata_type(struct btf_types *t, const struct sl_bpf_map *m)
{
	int value = shape_type(t, m->value_shape, m->value_size);
	int arr, cnst;

	if (value < 0)
		return value;
	cnst = btf__add_const(t->btf, value);
	if (cnst < 0)
		return cnst;
	arr = btf__add_array(t->btf, t->array_index_id, cnst, m->max_entries);
	return arr;
}

static int add_mapdefs(struct btf_types *t, const struct sl_obj_layout *l)
{
	const struct sl_bpf_object *obj = l->obj;
	_cleanup_free_ int *vars = calloc(obj->nmaps + 1, sizeof(int));
	int sec, r;

	if (!vars)
		return -ENOMEM;
	for (uint32_t i = 0; i < obj->nmaps; i++) {
		int type;

		if (l->map_home[i] != SL_OBJ_MAP_DEF)
			continue;
		type = map_def_type(t, &obj->maps[i], l->map_size[i]);
		if (type < 0)
			return type;
		vars[i] = btf__add_var(t->btf, obj->maps[i].name, BTF_VAR_GLOBAL_ALLOCATED, type);
		if (vars[i] < 0)
			return vars[i];
	}
	sec = btf__add_datasec(t->btf, ".maps", l->maps_size);
	if (sec < 0)
		return sec;
	for (uint32_t i = 0; i < obj->nmaps; i++) {
		if (l->map_home[i] != SL_OBJ_MAP_DEF)
			continue;
		r = btf__add_datasec_var_info(t->btf, vars[i], l->map_off[i], l->map_size[i]);
		if (r)
			return r;
	}
	return 0;
}

static int add_rodata(struct btf_types *t, const struct sl_obj_layout *l, uint32_t i)
{
	int type = rodata_type(t, &l->obj->maps[i]), var, sec;

	if (type < 0)
		return type;
	var = btf__add_var(t->btf, l->obj->maps[i].name, BTF_VAR_GLOBAL_ALLOCATED, type);
	if (var < 0)
		return var;
	sec = btf__add_datasec(t->btf, l->map_section[i], l->map_size[i]);
	if (sec < 0)
		return sec;
	return btf__add_datasec_var_info(t->btf, var, 0, l->map_size[i]);
}

static int add_funcs(struct btf_types *t, struct sl_obj_layout *l)
{
	const struct sl_bpf_object *obj = l->obj;

	l->prog_func = calloc(obj->nprogs, sizeof(*l->prog_func));
	if (!l->prog_func)
		return -ENOMEM;
	for (uint32_t i = 0; i < obj->nprogs; i++) {
		int proto = prog_proto(t, obj->progs[i].hook);

		if (proto < 0)
			return proto;
		l->prog_func[i] = btf__add_func(t->btf, obj->progs[i].name, BTF_FUNC_GLOBAL, proto);
		if (l->prog_func[i] < 0)
			return l->prog_func[i];
	}
	return 0;
}

int sl_obj_btf_build(struct sl_obj_layout *l, struct sl_diag *diag)
{
	struct btf_types t = { 0 };
	int r;

	t.btf = btf__new_empty();
	if (!t.btf)
		return -ENOMEM;
	l->btf = t.btf;
	r = add_base_types(&t);
	if (!r)
		r = add_funcs(&t, l);
	if (!r && l->maps_size)
		r = add_mapdefs(&t, l);
	for (uint32_t i = 0; !r && i < l->obj->nmaps; i++) {
		if (l->map_home[i] == SL_OBJ_MAP_RODATA)
			r = add_rodata(&t, l, i);
	}
	return r;
}
