// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "emit/insn.h"

/*
 * An island is due when the oldest pending jump is this far back. The code
 * between two safe points is short (tens of instructions) and an island holds
 * one trampoline per pending label (a handful), so the redirected jumps stay
 * far inside the 32767 range; sl_emit_bind() still checks every offset.
 * Jumps younger than ISLAND_KEEP stay pending: they go further by themselves,
 * and every trampoline on a path is one more taken jump per packet (inline
 * trees jump over tens of thousands of instructions to the next tree).
 */
#define ISLAND_TRIGGER 24576
#define ISLAND_KEEP    8192
#define JUMP_MAX       32767

void sl_emit_init(struct sl_emit *e)
{
	memset(e, 0, sizeof(*e));
	e->loc = SL_LOC_NONE;
}

void sl_emit_fini(struct sl_emit *e)
{
	free(e->insns);
	free(e->lines);
	free(e->relocs);
	free(e->label_at);
	free(e->pending);
	memset(e, 0, sizeof(*e));
}

static bool reserve(struct sl_emit *e, void **array, size_t *cap, size_t need, size_t size)
{
	if (e->err)
		return false;
	if (sl_grow(array, cap, need, size)) {
		e->err = -ENOMEM;
		return false;
	}
	return true;
}

static void record_line(struct sl_emit *e)
{
	struct sl_bpf_line *last = e->nlines ? &e->lines[e->nlines - 1] : NULL;

	if (e->loc.file == UINT32_MAX && e->nlines)
		return;
	if (last && last->loc.file == e->loc.file && last->loc.line == e->loc.line &&
	    last->loc.col == e->loc.col)
		return;
	if (last && last->insn == e->ninsns) {
		last->loc = e->loc;
		return;
	}
	if (!reserve(e, (void **)&e->lines, &e->lines_cap, e->nlines + 1, sizeof(*e->lines)))
		return;
	e->lines[e->nlines++] = (struct sl_bpf_line){(uint32_t)e->ninsns, e->loc};
}

static bool ends_flow(struct bpf_insn insn)
{
	return insn.code == (BPF_JMP | BPF_EXIT) || insn.code == (BPF_JMP | BPF_JA);
}

void sl_emit(struct sl_emit *e, struct bpf_insn insn)
{
	if (e->unreachable)
		return;
	if (e->ninsns >= SL_EMIT_MAX_INSNS && !e->err)
		e->err = -E2BIG;
	if (!reserve(e, (void **)&e->insns, &e->cap, e->ninsns + 1, sizeof(*e->insns)))
		return;
	record_line(e);
	e->insns[e->ninsns++] = insn;
	e->unreachable = ends_flow(insn);
}

void sl_emit_ld_imm64(struct sl_emit *e, uint8_t dst, uint64_t value)
{
	if (e->unreachable)
		return;
	sl_emit(e, SL_INSN(BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, (int32_t)(uint32_t)value));
	sl_emit(e, SL_INSN(0, 0, 0, 0, (int32_t)(uint32_t)(value >> 32)));
}

void sl_emit_ld_map_value(struct sl_emit *e, uint8_t dst, uint32_t map, int32_t off)
{
	if (e->unreachable)
		return;
	if (!reserve(e, (void **)&e->relocs, &e->relocs_cap, e->nrelocs + 1, sizeof(*e->relocs)))
		return;
	e->relocs[e->nrelocs++] = (struct sl_bpf_reloc){.insn = (uint32_t)e->ninsns, .map = map};
	sl_emit_ld_imm64(e, dst, (uint32_t)off);
}

void sl_emit_ld_map(struct sl_emit *e, uint8_t dst, uint32_t map)
{
	sl_emit_ld_map_value(e, dst, map, 0);
}

void sl_emit_call_kfunc(struct sl_emit *e, uint32_t ext)
{
	if (e->unreachable)
		return;
	if (!reserve(e, (void **)&e->relocs, &e->relocs_cap, e->nrelocs + 1, sizeof(*e->relocs)))
		return;
	e->relocs[e->nrelocs++] = (struct sl_bpf_reloc){
	    .insn = (uint32_t)e->ninsns, .ext = ext, .kind = SL_BPF_RELOC_KFUNC};
	/* imm is the kernel's BTF id, filled in by libbpf from the relocation */
	sl_emit(e, SL_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 0));
}

static void *arena_copy(struct sl_arena *arena, const void *src, size_t n, size_t size)
{
	void *dst = sl_arena_calloc(arena, n ? n : 1, size);

	if (n)
		memcpy(dst, src, n * size);
	return dst;
}

int sl_emit_to_prog(const struct sl_emit *e, struct sl_arena *arena, struct sl_bpf_prog *prog)
{
	if (e->err)
		return e->err;
	prog->ninsns = (uint32_t)e->ninsns;
	prog->insns = arena_copy(arena, e->insns, e->ninsns, sizeof(*prog->insns));
	prog->nlines = (uint32_t)e->nlines;
	prog->lines = arena_copy(arena, e->lines, e->nlines, sizeof(*prog->lines));
	prog->nrelocs = (uint32_t)e->nrelocs;
	prog->relocs = arena_copy(arena, e->relocs, e->nrelocs, sizeof(*prog->relocs));
	return 0;
}

void sl_emit_mov_const(struct sl_emit *e, uint8_t dst, uint64_t value)
{
	if (value <= INT32_MAX)
		sl_emit(e, SL_MOV64_IMM(dst, (int32_t)value));
	else if (value <= UINT32_MAX)
		sl_emit(e, SL_MOV32_IMM(dst, (int32_t)(uint32_t)value));
	else
		sl_emit_ld_imm64(e, dst, value);
}

sl_label sl_emit_new_label(struct sl_emit *e)
{
	if (!reserve(e, (void **)&e->label_at, &e->labels_cap, e->nlabels + 1,
		     sizeof(*e->label_at)))
		return 0;
	e->label_at[e->nlabels] = -1;
	return (sl_label)e->nlabels++;
}

static void patch(struct sl_emit *e, uint32_t insn, int64_t target)
{
	int64_t off = target - (int64_t)insn - 1;

	if (off > JUMP_MAX || off < -JUMP_MAX - 1) {
		if (!e->err)
			e->err = -E2BIG;
		return;
	}
	e->insns[insn].off = (int16_t)off;
}

void sl_emit_bind(struct sl_emit *e, sl_label label)
{
	size_t keep = 0;

	if (e->err)
		return;
	e->label_at[label] = (int64_t)e->ninsns;
	for (size_t i = 0; i < e->npending; i++) {
		if (e->pending[i].label == label) {
			patch(e, e->pending[i].insn, (int64_t)e->ninsns);
			e->unreachable = false;
		} else
			e->pending[keep++] = e->pending[i];
	}
	e->npending = keep;
}

static void jump_to(struct sl_emit *e, struct bpf_insn insn, sl_label label)
{
	uint32_t at = (uint32_t)e->ninsns;

	if (e->unreachable)
		return;
	sl_emit(e, insn);
	if (e->err)
		return;
	if (e->label_at[label] >= 0) {
		patch(e, at, e->label_at[label]);
		return;
	}
	if (!reserve(e, (void **)&e->pending, &e->pending_cap, e->npending + 1,
		     sizeof(*e->pending)))
		return;
	e->pending[e->npending++] = (struct sl_emit_fixup){at, label};
}

void sl_emit_jmp_imm(struct sl_emit *e, uint8_t op, uint8_t dst, int32_t imm, sl_label label)
{
	jump_to(e, SL_INSN(BPF_JMP | BPF_OP(op) | BPF_K, dst, 0, 0, imm), label);
}

void sl_emit_jmp32_imm(struct sl_emit *e, uint8_t op, uint8_t dst, int32_t imm, sl_label label)
{
	jump_to(e, SL_INSN(BPF_JMP32 | BPF_OP(op) | BPF_K, dst, 0, 0, imm), label);
}

void sl_emit_jmp_reg(struct sl_emit *e, uint8_t op, uint8_t dst, uint8_t src, sl_label label)
{
	jump_to(e, SL_INSN(BPF_JMP | BPF_OP(op) | BPF_X, dst, src, 0, 0), label);
}

void sl_emit_ja(struct sl_emit *e, sl_label label)
{
	jump_to(e, SL_INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), label);
}

void sl_emit_set_loc(struct sl_emit *e, struct sl_loc loc)
{
	e->loc = loc;
}

static void emit_island(struct sl_emit *e)
{
	struct sl_emit_fixup *old = e->pending;
	size_t nold = 0, nyoung, n = e->npending;
	sl_label skip = sl_emit_new_label(e);

	if (e->err)
		return;
	/* Pending jumps are in emission order: the old ones first. */
	while (nold < n && e->ninsns - old[nold].insn >= ISLAND_KEEP)
		nold++;
	nyoung = n - nold;
	e->pending = NULL;
	e->npending = e->pending_cap = 0;
	if (nyoung &&
	    !reserve(e, (void **)&e->pending, &e->pending_cap, nyoung, sizeof(*e->pending))) {
		free(old);
		return;
	}
	if (nyoung)
		memcpy(e->pending, old + nold, nyoung * sizeof(*old));
	e->npending = nyoung;
	sl_emit_ja(e, skip); /* nothing when the island is in unreachable code anyway */
	for (size_t i = 0; i < nold && !e->err; i++) {
		sl_label target = old[i].label;
		size_t j;

		/* One trampoline per label: reuse the one an earlier fix-up got. */
		for (j = 0; j < i; j++) {
			if (old[j].label == target)
				break;
		}
		if (j < i) {
			patch(e, old[i].insn, old[j].insn);
			continue;
		}
		uint32_t trampoline = (uint32_t)e->ninsns;

		patch(e, old[i].insn, trampoline);
		old[i].insn = trampoline; /* later duplicates jump here */
		e->unreachable = false;	  /* reached from old[i] */
		sl_emit_ja(e, target);
	}
	free(old);
	e->unreachable = true;
	sl_emit_bind(e, skip); /* reachable again when the code before the island was */
	e->nislands++;
}

void sl_emit_safe_point(struct sl_emit *e)
{
	if (e->err || !e->npending)
		return;
	if (e->ninsns - e->pending[0].insn < ISLAND_TRIGGER)
		return;
	emit_island(e);
}
