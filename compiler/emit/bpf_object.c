// SPDX-License-Identifier: GPL-2.0-only
/*
 * Building the model of an object (bpf_object.h): the common BTF type
 * descriptions, maps and kernel functions added by handle. Code generation
 * and tests that write objects by hand use the same calls.
 */
#include <stddef.h>
#include <string.h>

#include "emit/bpf_object.h"
#include "sluice/abi.h"

const struct sl_btf_type sl_btf_u8 = {.kind = SL_BTF_UINT, .size = 1};
const struct sl_btf_type sl_btf_u16 = {.kind = SL_BTF_UINT, .size = 2};
const struct sl_btf_type sl_btf_u32 = {.kind = SL_BTF_UINT, .size = 4};
const struct sl_btf_type sl_btf_u64 = {.kind = SL_BTF_UINT, .size = 8};
const struct sl_btf_type sl_btf_s32 = {.kind = SL_BTF_INT, .size = 4};

static const struct sl_btf_member counter_members[] = {
    {"packets", &sl_btf_u64, offsetof(struct sluice_counter, packets)},
    {"bytes", &sl_btf_u64, offsetof(struct sluice_counter, bytes)},
};

const struct sl_btf_type sl_btf_counter = {
    .kind = SL_BTF_STRUCT,
    .name = "sluice_counter",
    .size = sizeof(struct sluice_counter),
    .members = counter_members,
    .nmembers = 2,
};

uint32_t sl_btf_size(const struct sl_btf_type *t)
{
	switch (t->kind) {
	case SL_BTF_UINT:
	case SL_BTF_INT:
	case SL_BTF_STRUCT:
		return t->size;
	case SL_BTF_ARRAY:
		return t->elem ? sl_btf_size(t->elem) * t->nelems : 0;
	case SL_BTF_PTR:
		return 8;
	}
	return 0;
}

const struct sl_btf_type *sl_btf_array(struct sl_arena *arena, const struct sl_btf_type *elem,
				       uint32_t n)
{
	struct sl_btf_type *t = sl_arena_calloc(arena, 1, sizeof(*t));

	*t = (struct sl_btf_type){.kind = SL_BTF_ARRAY, .elem = elem, .nelems = n};
	return t;
}

uint32_t sl_bpf_obj_add_map(struct sl_bpf_object *obj, struct sl_arena *arena,
			    const struct sl_bpf_map *map)
{
	obj->maps =
	    sl_arena_realloc(arena, obj->maps, obj->nmaps, obj->nmaps + 1, sizeof(*obj->maps));
	obj->maps[obj->nmaps] = *map;
	return obj->nmaps++;
}

int32_t sl_bpf_obj_find_map(const struct sl_bpf_object *obj, const char *name)
{
	for (uint32_t i = 0; i < obj->nmaps; i++) {
		if (!strcmp(obj->maps[i].name, name))
			return (int32_t)i;
	}
	return -1;
}

uint32_t sl_bpf_obj_add_extern(struct sl_bpf_object *obj, struct sl_arena *arena,
			       const struct sl_bpf_extern *ext)
{
	for (uint32_t i = 0; i < obj->nexterns; i++) {
		if (!strcmp(obj->externs[i].name, ext->name))
			return i;
	}
	obj->externs = sl_arena_realloc(arena, obj->externs, obj->nexterns, obj->nexterns + 1,
					sizeof(*obj->externs));
	obj->externs[obj->nexterns] = *ext;
	return obj->nexterns++;
}
