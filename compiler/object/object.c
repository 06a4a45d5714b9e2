// SPDX-License-Identifier: GPL-2.0-only
/*
 * The object writer: checks what code generation handed over, lays programs
 * and maps out into sections, has each section built, and assembles the ELF
 * image. The result is byte-identical for identical input: nothing depends
 * on time, addresses or the environment.
 */
#define _GNU_SOURCE
#include <bpf/btf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "object/object_priv.h"
#include "sluice/abi.h"
#include "common/util.h"

/* The kernel's limit on instructions in one program (BPF_COMPLEXITY_LIMIT_INSNS). */
#define SL_OBJ_MAX_INSNS 1000000u
/*
 * A data section becomes a one-element array map whose value is the whole
 * section; the kernel limits values to KMALLOC_MAX_SIZE (4 MiB on x86-64).
 */
#define SL_OBJ_MAX_DATA (4u << 20)
/* Section and symbol names stay short enough for every tool that prints them. */
#define SL_OBJ_MAX_NAME 128

static bool valid_symbol(const char *s)
{
	size_t n = 0;

	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return false;
	}
	return n <= SL_OBJ_MAX_NAME;
}

static bool valid_section(const char *s)
{
	size_t n = 0;

	if (!s || !*s || *s == '.')
		return false;
	for (; s[n]; n++) {
		if (s[n] <= ' ' || s[n] > '~')
			return false;
	}
	return n <= SL_OBJ_MAX_NAME;
}

static bool is_ld_imm64(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_DW | BPF_IMM);
}

/* Marks instructions that are the second half of an ld_imm64 (no line_info, no reloc there). */
static int check_insns(const struct sl_bpf_prog *p, uint8_t *second, struct sl_diag *diag)
{
	for (uint32_t i = 0; i < p->ninsns; i++) {
		if (!is_ld_imm64(&p->insns[i]))
			continue;
		if (i + 1 >= p->ninsns)
			return sl_obj_error(diag, "program '%s': ld_imm64 at %u has no second half",
					    p->name, i);
		second[++i] = 1;
	}
	return 0;
}

static bool is_kfunc_call(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_KFUNC_CALL &&
	       !insn->dst_reg && !insn->off && !insn->imm;
}

static int check_reloc(const struct sl_bpf_object *obj, const struct sl_bpf_prog *p,
		       const struct sl_bpf_reloc *rel, const uint8_t *second, struct sl_diag *diag)
{
	if (rel->insn >= p->ninsns || second[rel->insn])
		return sl_obj_error(diag,
				    "program '%s': reference at %u is not an instruction start",
				    p->name, rel->insn);
	if (rel->kind == SL_BPF_RELOC_KFUNC) {
		if (!is_kfunc_call(&p->insns[rel->insn]))
			return sl_obj_error(
			    diag, "program '%s': kfunc reference at %u is not a kfunc call",
			    p->name, rel->insn);
		if (rel->ext >= obj->nexterns)
			return sl_obj_error(diag,
					    "program '%s': kfunc call at %u names extern %u of %u",
					    p->name, rel->insn, rel->ext, obj->nexterns);
		return 0;
	}
	if (rel->kind != SL_BPF_RELOC_MAP || !is_ld_imm64(&p->insns[rel->insn]))
		return sl_obj_error(diag, "program '%s': map reference at %u is not an ld_imm64",
				    p->name, rel->insn);
	if (rel->map >= obj->nmaps)
		return sl_obj_error(diag, "program '%s': map reference at %u names map %u of %u",
				    p->name, rel->insn, rel->map, obj->nmaps);
	if (p->insns[rel->insn + 1].imm ||
	    (obj->maps[rel->map].home == SL_BPF_MAP_DEF && p->insns[rel->insn].imm))
		return sl_obj_error(diag, "program '%s': map reference at %u has an immediate",
				    p->name, rel->insn);
	return 0;
}

static int check_prog(const struct sl_bpf_object *obj, const struct sl_ir *ir, uint32_t idx,
		      struct sl_diag *diag)
{
	const struct sl_bpf_prog *p = &obj->progs[idx];
	_cleanup_free_ uint8_t *second = NULL;
	int r;

	if (!valid_symbol(p->name))
		return sl_obj_error(diag, "program %u has an invalid name", idx);
	if (!valid_section(p->section))
		return sl_obj_error(diag, "program '%s' has an invalid section name", p->name);
	if (p->hook >= SL_HOOK_COUNT)
		return sl_obj_error(diag, "program '%s' has an unknown hook", p->name);
	if (ir && p->table >= ir->ntables)
		return sl_obj_error(diag, "program '%s' names table %u of %u", p->name, p->table,
				    ir->ntables);
	if (ir && !p->ct_companion && ir->tables[p->table].hook != p->hook)
		return sl_obj_error(diag, "program '%s' has another hook than its table '%s'",
				    p->name, ir->tables[p->table].name);
	if (!p->ninsns || !p->insns)
		return sl_obj_error(diag, "program '%s' has no instructions", p->name);
	if (p->ninsns > SL_OBJ_MAX_INSNS)
		return sl_obj_error(diag,
				    "program '%s' has %u instructions; the kernel loads at most %u",
				    p->name, p->ninsns, SL_OBJ_MAX_INSNS);
	second = calloc(p->ninsns, 1);
	if (!second)
		return -ENOMEM;
	r = check_insns(p, second, diag);
	if (r)
		return r;
	for (uint32_t i = 0; i < p->nrelocs; i++) {
		r = check_reloc(obj, p, &p->relocs[i], second, diag);
		if (r)
			return r;
	}
	for (uint32_t i = 0; i < p->nlines; i++) {
		const struct sl_bpf_line *ln = &p->lines[i];

		if (ln->insn >= p->ninsns || second[ln->insn])
			return sl_obj_error(
			    diag, "program '%s': line info at %u is not an instruction start",
			    p->name, ln->insn);
		if (i && ln->insn < p->lines[i - 1].insn)
			return sl_obj_error(diag, "program '%s': line info is not sorted", p->name);
	}
	for (uint32_t j = 0; j < idx; j++) {
		if (!strcmp(obj->progs[j].name, p->name))
			return sl_obj_error(diag, "two programs are named '%s'", p->name);
	}
	return 0;
}

/* A BTF description the writer can encode: known sizes, named struct members inside the struct. */
static bool type_ok(const struct sl_btf_type *t, int depth)
{
	if (!t)
		return true;
	if (depth > 16)
		return false;
	switch (t->kind) {
	case SL_BTF_UINT:
		return t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8;
	case SL_BTF_INT:
		return t->size == 4 || t->size == 8;
	case SL_BTF_ARRAY:
		return t->elem && t->nelems && type_ok(t->elem, depth + 1);
	case SL_BTF_PTR:
		return type_ok(t->elem, depth + 1);
	case SL_BTF_STRUCT:
		if (t->name && !valid_symbol(t->name))
			return false;
		for (uint32_t i = 0; i < t->nmembers; i++) {
			const struct sl_btf_member *m = &t->members[i];

			if (!valid_symbol(m->name) || !m->type || !type_ok(m->type, depth + 1) ||
			    (uint64_t)m->offset + sl_btf_size(m->type) > t->size)
				return false;
		}
		return true;
	}
	return false;
}

static bool type_fits(const struct sl_btf_type *t, uint32_t size)
{
	return !t || (type_ok(t, 0) && sl_btf_size(t) == size);
}

static int check_data_map(const struct sl_bpf_map *m, struct sl_diag *diag)
{
	if (m->type != BPF_MAP_TYPE_ARRAY || m->key_size != sizeof(uint32_t) || !m->value_size ||
	    m->flags || m->pinning)
		return sl_obj_error(diag,
				    "map '%s': a data map is an array with a 4-byte key, "
				    "a value size and no flags",
				    m->name);
	if (m->home == SL_BPF_MAP_RODATA && !m->init)
		return sl_obj_error(diag, "map '%s': read-only data needs initial contents",
				    m->name);
	if ((uint64_t)m->value_size * m->max_entries > SL_OBJ_MAX_DATA)
		return sl_obj_error(
		    diag, "map '%s' has %llu bytes of initial data; one map holds at most %u",
		    m->name, (unsigned long long)m->value_size * m->max_entries, SL_OBJ_MAX_DATA);
	return 0;
}

static int check_map(const struct sl_bpf_object *obj, uint32_t idx, struct sl_diag *diag)
{
	const struct sl_bpf_map *m = &obj->maps[idx];
	int r;

	if (!valid_symbol(m->name))
		return sl_obj_error(diag, "map %u has an invalid name", idx);
	if (!m->max_entries)
		return sl_obj_error(diag, "map '%s' has no entries", m->name);
	if (!type_fits(m->key, m->key_size) || !type_fits(m->value, m->value_size))
		return sl_obj_error(diag, "map '%s': key or value type does not match its size",
				    m->name);
	if (m->home > SL_BPF_MAP_DATA)
		return sl_obj_error(diag, "map '%s' has an unknown home", m->name);
	if (m->home == SL_BPF_MAP_DEF && m->init)
		return sl_obj_error(diag, "map '%s': initial contents need a data map", m->name);
	if (m->home != SL_BPF_MAP_DEF) {
		r = check_data_map(m, diag);
		if (r)
			return r;
	}
	for (uint32_t j = 0; j < idx; j++) {
		if (!strcmp(obj->maps[j].name, m->name))
			return sl_obj_error(diag, "two maps are named '%s'", m->name);
	}
	for (uint32_t j = 0; j < obj->nprogs; j++) {
		if (!strcmp(obj->progs[j].name, m->name))
			return sl_obj_error(diag, "a map and a program are both named '%s'",
					    m->name);
	}
	return 0;
}

static int check_extern(const struct sl_bpf_object *obj, uint32_t idx, struct sl_diag *diag)
{
	const struct sl_bpf_extern *x = &obj->externs[idx];

	if (!valid_symbol(x->name))
		return sl_obj_error(diag, "extern %u has an invalid name", idx);
	if (!type_ok(x->ret, 0))
		return sl_obj_error(diag, "extern '%s' has an invalid return type", x->name);
	if (x->nparams > 5)
		return sl_obj_error(diag, "extern '%s' has %u parameters; BPF calls pass at most 5",
				    x->name, x->nparams);
	for (uint32_t k = 0; k < x->nparams; k++) {
		if (!valid_symbol(x->params[k].name) || !x->params[k].type ||
		    !type_ok(x->params[k].type, 0))
			return sl_obj_error(diag, "extern '%s': parameter %u is invalid", x->name,
					    k);
	}
	for (uint32_t j = 0; j < obj->nprogs; j++) {
		if (!strcmp(obj->progs[j].name, x->name))
			return sl_obj_error(diag, "a program and an extern are both named '%s'",
					    x->name);
	}
	for (uint32_t j = 0; j < obj->nmaps; j++) {
		if (!strcmp(obj->maps[j].name, x->name))
			return sl_obj_error(diag, "a map and an extern are both named '%s'",
					    x->name);
	}
	for (uint32_t j = 0; j < idx; j++) {
		if (!strcmp(obj->externs[j].name, x->name))
			return sl_obj_error(diag, "two externs are named '%s'", x->name);
	}
	return 0;
}

static int check_special_map(const struct sl_bpf_object *obj, int32_t idx, const char *name,
			     uint32_t type, const struct sl_btf_type *value, struct sl_diag *diag)
{
	const struct sl_bpf_map *m;

	if (idx < 0)
		return 0;
	if ((uint32_t)idx >= obj->nmaps)
		return sl_obj_error(diag, "map index %d for '%s' is out of range", idx, name);
	m = &obj->maps[idx];
	if (strcmp(m->name, name) || m->type != type || m->key != &sl_btf_u32 ||
	    m->value != value || m->home != SL_BPF_MAP_DEF)
		return sl_obj_error(diag, "map '%s' does not have the layout abi.h defines", name);
	return 0;
}

static int check_object(const struct sl_bpf_object *obj, const struct sl_ir *ir,
			struct sl_diag *diag)
{
	int r;

	if (!obj->nprogs)
		return sl_obj_error(diag, "the object has no programs");
	for (uint32_t i = 0; i < obj->nprogs; i++) {
		r = check_prog(obj, ir, i, diag);
		if (r)
			return r;
	}
	for (uint32_t i = 0; i < obj->nmaps; i++) {
		r = check_map(obj, i, diag);
		if (r)
			return r;
	}
	for (uint32_t i = 0; i < obj->nexterns; i++) {
		r = check_extern(obj, i, diag);
		if (r)
			return r;
	}
	r = check_special_map(obj, obj->counter_map, SLUICE_COUNTER_MAP, BPF_MAP_TYPE_PERCPU_ARRAY,
			      &sl_btf_counter, diag);
	if (r)
		return r;
	return check_special_map(obj, obj->decision_map, SLUICE_DECISION_MAP, BPF_MAP_TYPE_ARRAY,
				 &sl_btf_u32, diag);
}

static int layout_code(struct sl_obj_layout *l)
{
	const struct sl_bpf_object *obj = l->obj;

	l->secs = calloc(obj->nprogs, sizeof(*l->secs));
	l->prog_sec = calloc(obj->nprogs, sizeof(*l->prog_sec));
	l->prog_off = calloc(obj->nprogs, sizeof(*l->prog_off));
	if (!l->secs || !l->prog_sec || !l->prog_off)
		return -ENOMEM;
	for (uint32_t i = 0; i < obj->nprogs; i++) {
		const struct sl_bpf_prog *p = &obj->progs[i];
		uint32_t s = 0;

		while (s < l->nsecs && strcmp(l->secs[s].name, p->section))
			s++;
		if (s == l->nsecs)
			l->secs[l->nsecs++].name = p->section;
		if (l->secs[s].ninsns > SL_OBJ_MAX_INSNS * 64u)
			return -E2BIG;
		l->prog_sec[i] = s;
		l->prog_off[i] = l->secs[s].ninsns;
		l->secs[s].ninsns += p->ninsns;
		l->secs[s].nrelocs += p->nrelocs;
	}
	for (uint32_t s = 0; s < l->nsecs; s++) {
		l->secs[s].insns = calloc(l->secs[s].ninsns, sizeof(struct bpf_insn));
		if (!l->secs[s].insns)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < obj->nprogs; i++) {
		const struct sl_bpf_prog *p = &obj->progs[i];

		memcpy(l->secs[l->prog_sec[i]].insns + l->prog_off[i], p->insns,
		       p->ninsns * sizeof(struct bpf_insn));
	}
	return 0;
}

static int layout_maps(struct sl_obj_layout *l)
{
	const struct sl_bpf_object *obj = l->obj;

	l->map_home = calloc(obj->nmaps + 1, sizeof(*l->map_home));
	l->map_off = calloc(obj->nmaps + 1, sizeof(*l->map_off));
	l->map_size = calloc(obj->nmaps + 1, sizeof(*l->map_size));
	l->map_section = calloc(obj->nmaps + 1, sizeof(*l->map_section));
	if (!l->map_home || !l->map_off || !l->map_size || !l->map_section)
		return -ENOMEM;
	for (uint32_t i = 0; i < obj->nmaps; i++) {
		const struct sl_bpf_map *m = &obj->maps[i];

		l->map_home[i] = m->home;
		if (m->home != SL_BPF_MAP_DEF) {
			l->map_size[i] = m->value_size * m->max_entries;
			if (asprintf(&l->map_section[i], "%s.%s",
				     m->home == SL_BPF_MAP_RODATA ? ".rodata" : ".data",
				     m->name) < 0) {
				l->map_section[i] = NULL;
				return -ENOMEM;
			}
			l->ndata++;
		} else {
			l->map_off[i] = l->maps_size;
			l->map_size[i] = sl_obj_mapdef_size(m);
			l->maps_size += l->map_size[i];
		}
	}
	return 0;
}

static void layout_fini(struct sl_obj_layout *l)
{
	for (uint32_t s = 0; s < l->nsecs; s++)
		free(l->secs[s].insns);
	free(l->secs);
	free(l->prog_sec);
	free(l->prog_off);
	free(l->map_home);
	free(l->map_off);
	free(l->map_size);
	for (uint32_t i = 0; l->map_section && i < l->obj->nmaps; i++)
		free(l->map_section[i]);
	free(l->map_section);
	free(l->prog_func);
	btf__free(l->btf);
	sl_obj_buf_fini(&l->btf_ext);
	sl_obj_buf_fini(&l->meta);
}

/* Parse back what was built: libbpf must accept it before anyone else sees it. */
static int self_check(const struct sl_obj_layout *l, struct sl_diag *diag)
{
	const void *raw;
	struct btf *btf;
	struct btf_ext *ext;
	uint32_t size;

	raw = btf__raw_data(l->btf, &size);
	if (!raw)
		return -ENOMEM;
	btf = btf__new(raw, size);
	if (!btf)
		return sl_obj_error(diag, "libbpf rejects the generated .BTF (%s)",
				    strerror(errno));
	btf__free(btf);
	ext = btf_ext__new(l->btf_ext.data, (uint32_t)l->btf_ext.len);
	if (!ext)
		return sl_obj_error(diag, "libbpf rejects the generated .BTF.ext (%s)",
				    strerror(errno));
	btf_ext__free(ext);
	return 0;
}

int sl_obj_serialize(const struct sl_bpf_object *obj, const struct sl_ir *ir,
		     const struct sl_obj_opts *opts, struct sl_diag *diag, void **image,
		     size_t *size)
{
	struct sl_obj_layout l = {.obj = obj, .ir = ir, .opts = opts};
	int r;

	*image = NULL;
	*size = 0;
	if (!obj || !opts)
		return -EINVAL;
	r = check_object(obj, ir, diag);
	if (!r)
		r = layout_code(&l);
	if (!r)
		r = layout_maps(&l);
	if (!r)
		r = sl_obj_btf_build(&l, diag);
	if (!r)
		r = sl_obj_btf_ext_build(&l, diag);
	if (!r)
		r = sl_obj_meta_build(&l, diag);
	if (!r)
		r = self_check(&l, diag);
	if (!r)
		r = sl_obj_elf_write(&l, diag, image, size);
	if (r && r != -EINVAL) /* -EINVAL: already reported */
		sl_obj_error(diag, "cannot build the object: %s", strerror(-r));
	layout_fini(&l);
	return r;
}
