// SPDX-License-Identifier: GPL-2.0-only
/*
 * Named sets (sluice/abi.h, "Named sets"): their maps, and the lookup a rule
 * with `@set` makes.
 *
 * Each set is an outer BPF_MAP_TYPE_ARRAY_OF_MAPS of one slot, `sls_<name>`,
 * whose inner map (a hash of exact keys, or an LPM trie for `flags interval`)
 * the loader creates, fills and swaps in whole. A lookup:
 *
 *   if a field's slot says absent          -> no match (both `@s` and `!= @s`)
 *   key on the stack from the field slots  (network order; LPM: u32 prefixlen = all bits)
 *   inner = lookup(outer, &zero)           (the verifier inlines array-of-maps lookups)
 *   if !inner                              -> not found (an empty slot holds nothing)
 *   value = lookup(inner, &key)
 *   if !value                              -> not found
 *   timeout sets only: if value->expires_ns && now >= expires_ns -> not found
 *
 * The program never reasons about what a set holds: everything is run time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emit/codegen.h"
#include "sluice/set_key.h"

static const struct sl_btf_member set_value_members[] = {
    {"expires_ns", &sl_btf_u64, 0},
};

static const struct sl_btf_type set_value_type = {
    .kind = SL_BTF_STRUCT,
    .name = "sluice_set_value",
    .size = sizeof(struct sluice_set_value),
    .members = set_value_members,
    .nmembers = 1,
};

/* `sls_<name>`, at most 15 characters (kernel map names), unique among the object's maps. */
static const char *map_name(struct sl_arena *arena, const struct sl_bpf_object *obj,
			    const char *set)
{
	char name[16];

	snprintf(name, sizeof(name), "%s%s", SLUICE_SET_MAP_PREFIX, set);
	for (unsigned d = 0; sl_bpf_obj_find_map(obj, name) >= 0 && d < 100; d++) {
		size_t len = strlen(name);
		char digits[4];
		int n = snprintf(digits, sizeof(digits), "%u", d);

		if (len + (size_t)n > 15)
			len = 15 - (size_t)n;
		memcpy(name + len, digits, (size_t)n + 1);
	}
	return sl_arena_strdup(arena, name);
}

/* The key as a struct: `prefixlen` (LPM) then one byte array per field, named by its type. */
static const struct sl_btf_type *key_type(struct sl_arena *arena, const struct sl_ir_set *s,
					  const struct sl_set_desc *d, const char *map)
{
	struct sl_btf_member *m = sl_arena_calloc(arena, SL_IR_SET_MAX_FIELDS + 1, sizeof(*m));
	struct sl_btf_type *t = sl_arena_calloc(arena, 1, sizeof(*t));
	bool lpm = s->flags & SLUICE_SET_F_INTERVAL;
	uint32_t n = 0;

	if (lpm)
		m[n++] = (struct sl_btf_member){"prefixlen", &sl_btf_u32, 0};
	for (uint32_t i = 0; i < s->ntypes; i++) {
		uint32_t f = i;
		unsigned same = 0;

		/* in key order: the ranged field of an LPM key is last */
		if (lpm && s->ntypes > 1)
			f = i == s->ntypes - 1 ? d->range_field : (i >= d->range_field ? i + 1 : i);
		for (uint32_t j = 0; j < f; j++)
			same += s->types[j] == s->types[f];
		m[n++] = (struct sl_btf_member){
		    same ? sl_arena_printf(arena, "%s_%u", sl_set_type_name(s->types[f]), same + 1)
			 : sl_set_type_name(s->types[f]),
		    sl_btf_array(arena, &sl_btf_u8, sl_set_type_size(s->types[f])),
		    (lpm ? 4 : 0) + d->off[f]};
	}
	*t = (struct sl_btf_type){
	    .kind = SL_BTF_STRUCT,
	    .name = sl_arena_printf(arena, "%s_key", map),
	    .size = d->key_size,
	    .members = m,
	    .nmembers = n,
	};
	return t;
}

int sl_cg_add_set_maps(const struct sl_ir *ir, struct sl_arena *arena, struct sl_bpf_object *obj)
{
	if (!ir->nsets)
		return 0;
	obj->set_maps = sl_arena_calloc(arena, ir->nsets, sizeof(*obj->set_maps));
	for (uint32_t i = 0; i < ir->nsets; i++) {
		const struct sl_ir_set *s = &ir->sets[i];
		struct sl_bpf_map *inner = sl_arena_calloc(arena, 1, sizeof(*inner));
		bool lpm = s->flags & SLUICE_SET_F_INTERVAL;
		const char *name = map_name(arena, obj, s->name);
		struct sl_set_desc d;
		const char *why = NULL;

		if (sl_set_desc_init(&d, s->types, s->ntypes, s->flags, &why) ||
		    d.key_size != s->key_size)
			return -EINVAL;
		*inner = (struct sl_bpf_map){
		    .name = sl_arena_printf(arena, "%s.inner", name),
		    .type = lpm ? BPF_MAP_TYPE_LPM_TRIE : BPF_MAP_TYPE_HASH,
		    .key_size = d.key_size,
		    .value_size = sizeof(struct sluice_set_value),
		    .max_entries = s->capacity,
		    .flags = lpm ? BPF_F_NO_PREALLOC : 0,
		    .key = key_type(arena, s, &d, name),
		    .value = &set_value_type,
		    .sizes_only = true, /* see bpf_object.h: Linux 6.1 */
		};
		obj->set_maps[i] = sl_bpf_obj_add_map(obj, arena,
						      &(struct sl_bpf_map){
							  .name = name,
							  .type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
							  .key_size = sizeof(uint32_t),
							  .value_size = sizeof(uint32_t),
							  .max_entries = 1,
							  .inner = inner,
						      });
	}
	obj->nsets = ir->nsets;
	return 0;
}

/* Lowest fp offset the field slots use. */
static int lowest_slot(const struct sl_cg *cg)
{
	int low = SL_CG_KEY_OFF;

	for (unsigned f = 0; f < SL_FIELD_COUNT; f++)
		if (cg->slot[f])
			low =
			    sl_min(low, (int)sl_cg_slot(cg, (enum sl_field)f, sl_cg_words(f) - 1));
	return low;
}

/* The `n` low bytes of R1, big-endian, at fp + off (R1 kept; clobbers R2). */
static void store_be(struct sl_emit *e, int off, unsigned n)
{
	if ((n == 1 || n == 2 || n == 4) && off % (int)n == 0) {
		sl_emit(e, SL_MOV64_REG(SL_R2, SL_R1));
		if (n > 1)
			sl_emit(e, SL_BE(SL_R2, n * 8));
		sl_emit(e, SL_STX(n == 1 ? BPF_B : n == 2 ? BPF_H : BPF_W, SL_FP, SL_R2, off));
		return;
	}
	/* the verifier wants aligned stack stores: byte by byte */
	for (unsigned i = 0; i < n; i++) {
		sl_emit(e, SL_MOV64_REG(SL_R2, SL_R1));
		if (n - 1 - i)
			sl_emit(e, SL_ALU64_IMM(BPF_RSH, SL_R2, 8 * (int)(n - 1 - i)));
		sl_emit(e, SL_STX(BPF_B, SL_FP, SL_R2, off + (int)i));
	}
}

/* Jump to `absent` when the field's slot says the packet lacks it; leaves word 0 in R1. */
static void load_present(struct sl_cg *cg, enum sl_field f, unsigned word, sl_label absent)
{
	struct sl_emit *e = &cg->e;

	sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_FP, sl_cg_slot(cg, f, word)));
	sl_emit(e, SL_MOV64_REG(SL_R2, SL_R1));
	sl_emit(e, SL_ALU64_IMM(BPF_RSH, SL_R2, 48));
	sl_emit_jmp_imm(e, BPF_JNE, SL_R2, 0, absent);
}

/* The set's key at fp + key_off; `absent` when a field is missing. */
static void build_key(struct sl_cg *cg, const struct sl_ir_setref *sr, const struct sl_set_desc *d,
		      int key_off, sl_label absent)
{
	struct sl_emit *e = &cg->e;
	bool lpm = d->flags & SLUICE_SET_F_INTERVAL;
	int data = key_off + (lpm ? 4 : 0);

	if (lpm)
		sl_emit(e, SL_ST(BPF_W, SL_FP, key_off, (int32_t)d->data_bits));
	for (uint32_t i = 0; i < sr->nfields; i++) {
		enum sl_field f = sr->fields[i];
		unsigned bytes = sl_set_type_size(d->types[i]);

		if (sl_cg_words(f) > 1) {
			/* 128-bit addresses: four 32-bit words, most significant first */
			for (unsigned w = 0; w < sl_cg_words(f); w++) {
				load_present(cg, f, w, absent);
				store_be(e, data + (int)d->off[i] + 4 * (int)w, 4);
			}
			continue;
		}
		load_present(cg, f, 0, absent);
		store_be(e, data + (int)d->off[i], bytes);
	}
}

/*
 * Does the packet pass the rule's named-set lookups? Falls through when it
 * does, jumps to `fail` when not. Clobbers R0-R6.
 */
int sl_cg_setrefs(struct sl_cg *cg, const struct sl_ir_rule *r, sl_label fail)
{
	struct sl_emit *e = &cg->e;

	for (uint32_t k = 0; k < r->nsetrefs; k++) {
		const struct sl_ir_setref *sr = &r->setrefs[k];
		const struct sl_ir_set *s = &cg->ir->sets[sr->set];
		sl_label found = sl_emit_new_label(e);
		/* `@s` fails where the element is missing; `!= @s` goes on there */
		sl_label missing = sr->negated ? sl_emit_new_label(e) : fail;
		struct sl_set_desc d;
		const char *why = NULL;
		int key_off;

		if (sr->set >= cg->ir->nsets || sr->set >= cg->obj->nsets ||
		    sl_set_desc_init(&d, s->types, s->ntypes, s->flags, &why))
			return -EINVAL;
		key_off = (lowest_slot(cg) - 8 - (int)((d.key_size + 7) & ~7u));
		/*
		 * With ct's area and the limits' slots above them, the field slots
		 * can leave no room below: the limits' scratch is free outside
		 * sl_cg_limit() (only there when needed: other objects keep their bytes).
		 */
		if (key_off < -512 && cg->scratch_off < 0 && d.key_size <= SL_CG_LIMIT_SCRATCH)
			key_off = cg->scratch_off;
		if (key_off < -512) {
			sl_error(cg->diag, sr->loc,
				 "no stack room for the key of set '%s' (%u bytes) in table '%s'",
				 s->name, d.key_size, cg->table->name);
			return -EINVAL;
		}
		sl_emit_set_loc(e, sr->loc);
		sl_emit_safe_point(e);
		build_key(cg, sr, &d, key_off, fail);
		/*
		 * The outer map's key, u32 0. The key slot is 0 between uses only in
		 * programs that count or record (the prologue zeroes it for them), and
		 * privileged programs may read a stack slot never written: store it.
		 */
		sl_emit(e, SL_ST(BPF_W, SL_FP, SL_CG_KEY_OFF, 0));
		sl_emit_ld_map(e, SL_R1, cg->obj->set_maps[sr->set]);
		sl_emit(e, SL_MOV64_REG(SL_R2, SL_FP));
		sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R2, SL_CG_KEY_OFF));
		sl_emit(e, SL_CALL(BPF_FUNC_map_lookup_elem));
		sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, missing);
		sl_emit(e, SL_MOV64_REG(SL_R1, SL_R0));
		sl_emit(e, SL_MOV64_REG(SL_R2, SL_FP));
		sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R2, key_off));
		sl_emit(e, SL_CALL(BPF_FUNC_map_lookup_elem));
		sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, missing);
		if (s->flags & SLUICE_SET_F_TIMEOUT) {
			sl_emit(e, SL_LDX(BPF_DW, SL_R6, SL_R0, 0));
			sl_emit_jmp_imm(e, BPF_JEQ, SL_R6, 0, found);
			sl_emit(e, SL_CALL(BPF_FUNC_ktime_get_ns));
			sl_emit_jmp_reg(e, BPF_JGE, SL_R0, SL_R6, missing);
		}
		sl_emit_bind(e, found);
		if (sr->negated) {
			sl_emit_ja(e, fail);
			sl_emit_bind(e, missing);
		}
	}
	return 0;
}
