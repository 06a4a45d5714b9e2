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
	int int_id, uint_id, u32_id, u64_id, u16_id, uchar_id, s64_id, array_index_id;
	int ctx_proto[2]; /* 0: struct xdp_md *, 1: struct __sk_buff * */
	/* struct descriptions already added, by address */
	const struct sl_btf_type **structs;
	int *struct_ids;
	uint32_t nstructs;
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

/* typedef `name` of a new integer `cname`, kept in *id. */
static int typedef_int(struct btf_types *t, int *id, const char *cname, const char *name,
		       size_t size, int encoding)
{
	int base;

	if (*id)
		return *id;
	base = btf__add_int(t->btf, cname, size, encoding);
	if (base < 0)
		return base;
	*id = name ? btf__add_typedef(t->btf, name, base) : base;
	return *id;
}

static int uint_type(struct btf_types *t, uint32_t size)
{
	switch (size) {
	case 1: /* plain `unsigned char`: byte arrays print as strings of bytes */
		return typedef_int(t, &t->uchar_id, "unsigned char", NULL, 1, 0);
	case 2:
		return typedef_int(t, &t->u16_id, "unsigned short", "__u16", 2, 0);
	case 4:
		return t->u32_id;
	case 8:
		return typedef_int(t, &t->u64_id, "unsigned long long", "__u64", 8, 0);
	}
	return -EINVAL;
}

static int int_type(struct btf_types *t, uint32_t size)
{
	if (size == 4)
		return t->int_id;
	if (size == 8)
		return typedef_int(t, &t->s64_id, "long long", "__s64", 8, BTF_INT_SIGNED);
	return -EINVAL;
}

static int desc_type(struct btf_types *t, const struct sl_btf_type *d);

/* Member types first, then the struct: the order clang's BTF has too. */
static int struct_type(struct btf_types *t, const struct sl_btf_type *d)
{
	_cleanup_free_ int *ids = calloc(d->nmembers + 1, sizeof(int));
	const struct sl_btf_type **structs;
	int *struct_ids;
	int id, r;

	for (uint32_t i = 0; i < t->nstructs; i++) {
		if (t->structs[i] == d)
			return t->struct_ids[i];
	}
	if (!ids)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->nmembers; i++) {
		ids[i] = desc_type(t, d->members[i].type);
		if (ids[i] < 0)
			return ids[i];
	}
	id = btf__add_struct(t->btf, d->name, d->size);
	if (id < 0)
		return id;
	for (uint32_t i = 0; i < d->nmembers; i++) {
		r = btf__add_field(t->btf, d->members[i].name, ids[i], d->members[i].offset * 8, 0);
		if (r)
			return r;
	}
	structs = realloc(t->structs, (t->nstructs + 1) * sizeof(*structs));
	if (structs)
		t->structs = structs;
	struct_ids = realloc(t->struct_ids, (t->nstructs + 1) * sizeof(*struct_ids));
	if (struct_ids)
		t->struct_ids = struct_ids;
	if (!structs || !struct_ids)
		return -ENOMEM;
	t->structs[t->nstructs] = d;
	t->struct_ids[t->nstructs++] = id;
	return id;
}

/* The BTF id of a description; void (0) for NULL. */
static int desc_type(struct btf_types *t, const struct sl_btf_type *d)
{
	int elem;

	if (!d)
		return 0;
	switch (d->kind) {
	case SL_BTF_UINT:
		return uint_type(t, d->size);
	case SL_BTF_INT:
		return int_type(t, d->size);
	case SL_BTF_STRUCT:
		return struct_type(t, d);
	case SL_BTF_ARRAY:
		elem = desc_type(t, d->elem);
		return elem < 0 ? elem : btf__add_array(t->btf, t->array_index_id, elem, d->nelems);
	case SL_BTF_PTR:
		elem = desc_type(t, d->elem);
		return elem < 0 ? elem : btf__add_ptr(t->btf, elem);
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
	    {"data", offsetof(struct xdp_md, data)},
	    {"data_end", offsetof(struct xdp_md, data_end)},
	    {"data_meta", offsetof(struct xdp_md, data_meta)},
	    {"ingress_ifindex", offsetof(struct xdp_md, ingress_ifindex)},
	    {"rx_queue_index", offsetof(struct xdp_md, rx_queue_index)},
	    {"egress_ifindex", offsetof(struct xdp_md, egress_ifindex)},
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

static int map_def_type(struct btf_types *t, const struct sl_bpf_map *m, uint32_t size);

/* `__array(values, struct { ... })`: PTR -> the inner map's definition, in a zero-length array. */
static int values_type(struct btf_types *t, const struct sl_bpf_map *inner)
{
	int def = map_def_type(t, inner, sl_obj_mapdef_size(inner)), ptr;

	if (def < 0)
		return def;
	ptr = btf__add_ptr(t->btf, def);
	return ptr < 0 ? ptr : btf__add_array(t->btf, t->array_index_id, ptr, 0);
}

static int map_def_type(struct btf_types *t, const struct sl_bpf_map *m, uint32_t size)
{
	struct sl_obj_mapdef_field fields[SL_OBJ_MAPDEF_MAX];
	int ids[SL_OBJ_MAPDEF_MAX], key, value, id, r;
	uint32_t nfields = sl_obj_mapdef_fields(m, fields);

	key = desc_type(t, m->key);
	value = desc_type(t, m->value);
	if (key < 0 || value < 0)
		return key < 0 ? key : value;
	for (uint32_t i = 0; i < nfields; i++) {
		if (fields[i].type == SL_OBJ_MAPDEF_KEY)
			ids[i] = btf__add_ptr(t->btf, key);
		else if (fields[i].type == SL_OBJ_MAPDEF_VALUE)
			ids[i] = btf__add_ptr(t->btf, value);
		else if (fields[i].type == SL_OBJ_MAPDEF_VALUES)
			ids[i] = values_type(t, m->inner);
		else
			ids[i] = uint_field_type(t, fields[i].value);
		if (ids[i] < 0)
			return ids[i];
	}
	id = btf__add_struct(t->btf, NULL, size);
	if (id < 0)
		return id;
	for (uint32_t i = 0; i < nfields; i++) {
		r = btf__add_field(t->btf, fields[i].name, ids[i], i * SL_OBJ_MAPDEF_FIELD * 8, 0);
		if (r)
			return r;
	}
	return id;
}

/*
 * The contents of a data map: `const T name[max_entries]` in .rodata.<name>,
 * `T name[max_entries]` in .data.<name>.
 */
static int data_type(struct btf_types *t, const struct sl_bpf_map *m)
{
	int value = desc_type(t, m->value);

	if (value < 0)
		return value;
	if (m->home == SL_BPF_MAP_RODATA) {
		value = btf__add_const(t->btf, value);
		if (value < 0)
			return value;
	}
	return btf__add_array(t->btf, t->array_index_id, value, m->max_entries);
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

		if (l->map_home[i] != SL_BPF_MAP_DEF)
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
		if (l->map_home[i] != SL_BPF_MAP_DEF)
			continue;
		r = btf__add_datasec_var_info(t->btf, vars[i], l->map_off[i], l->map_size[i]);
		if (r)
			return r;
	}
	return 0;
}

static int add_data(struct btf_types *t, const struct sl_obj_layout *l, uint32_t i)
{
	int type = data_type(t, &l->obj->maps[i]), var, sec;

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

/*
 * `extern ret name(params) __ksym;` as clang writes it: an extern FUNC and
 * the DATASEC .ksyms listing it (size and offsets 0: libbpf lays the section
 * out itself when it resolves the externs).
 */
static int add_externs(struct btf_types *t, const struct sl_obj_layout *l)
{
	const struct sl_bpf_object *obj = l->obj;
	_cleanup_free_ int *funcs = calloc(obj->nexterns, sizeof(int));
	int sec, r;

	if (!funcs)
		return -ENOMEM;
	for (uint32_t i = 0; i < obj->nexterns; i++) {
		const struct sl_bpf_extern *x = &obj->externs[i];
		_cleanup_free_ int *params = calloc(x->nparams + 1, sizeof(int));
		int ret = desc_type(t, x->ret), proto;

		if (!params)
			return -ENOMEM;
		if (ret < 0)
			return ret;
		for (uint32_t k = 0; k < x->nparams; k++) {
			params[k] = desc_type(t, x->params[k].type);
			if (params[k] < 0)
				return params[k];
		}
		proto = btf__add_func_proto(t->btf, ret);
		if (proto < 0)
			return proto;
		for (uint32_t k = 0; k < x->nparams; k++) {
			r = btf__add_func_param(t->btf, x->params[k].name, params[k]);
			if (r)
				return r;
		}
		funcs[i] = btf__add_func(t->btf, x->name, BTF_FUNC_EXTERN, proto);
		if (funcs[i] < 0)
			return funcs[i];
	}
	sec = btf__add_datasec(t->btf, ".ksyms", 0);
	if (sec < 0)
		return sec;
	for (uint32_t i = 0; i < obj->nexterns; i++) {
		r = btf__add_datasec_var_info(t->btf, funcs[i], 0, 0);
		if (r)
			return r;
	}
	return 0;
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
	struct btf_types t = {0};
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
		if (l->map_home[i] != SL_BPF_MAP_DEF)
			r = add_data(&t, l, i);
	}
	if (!r && l->obj->nexterns)
		r = add_externs(&t, l);
	free(t.structs);
	free(t.struct_ids);
	return r;
}
