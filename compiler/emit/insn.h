/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BPF instruction constructors (the kernel's filter.h macros are not UAPI)
 * and the emitter codegen writes through: an instruction buffer with labels,
 * forward-jump fix-ups, line_info records and map relocations.
 *
 * Jumps have 16-bit offsets. The emitter keeps every pending forward jump in
 * range by itself: at "safe points" (sl_emit_safe_point(), called by codegen
 * between small pieces of code) it checks how far back the oldest unresolved
 * jump is; past a threshold it emits an island
 *
 *       ja +k               ; straight-line code skips the island
 *       ja <label A>        ; trampolines, one per pending label
 *       ja <label B>
 *
 * and points the pending jumps at the trampolines, which become the new
 * pending jumps. Programs of any length thus need no cpu-v4 `gotol`.
 *
 * Code that cannot be reached (after `exit` or `ja`, before a label that is
 * jumped to) is not emitted at all: the verifier rejects unreachable code.
 */
#pragma once

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "emit/bpf_object.h"

#define SL_INSN(c, d, s, o, i)                                                                     \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

#define SL_ALU64_IMM(op, dst, imm) SL_INSN(BPF_ALU64 | BPF_OP(op) | BPF_K, dst, 0, 0, imm)
#define SL_ALU64_REG(op, dst, src) SL_INSN(BPF_ALU64 | BPF_OP(op) | BPF_X, dst, src, 0, 0)
#define SL_ALU32_IMM(op, dst, imm) SL_INSN(BPF_ALU | BPF_OP(op) | BPF_K, dst, 0, 0, imm)
#define SL_ALU32_REG(op, dst, src) SL_INSN(BPF_ALU | BPF_OP(op) | BPF_X, dst, src, 0, 0)
#define SL_MOV64_REG(dst, src)	   SL_ALU64_REG(BPF_MOV, dst, src)
#define SL_MOV64_IMM(dst, imm)	   SL_ALU64_IMM(BPF_MOV, dst, imm)
/* 32-bit move: zero-extends, so it loads any u32 constant. */
#define SL_MOV32_IMM(dst, imm) SL_ALU32_IMM(BPF_MOV, dst, imm)
#define SL_NEG64(dst)	       SL_INSN(BPF_ALU64 | BPF_NEG, dst, 0, 0, 0)
/* Network to host order of the low `bits` bits (zero-extending), on little-endian BPF. */
#define SL_BE(dst, bits)	    SL_INSN(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, bits)
#define SL_LDX(size, dst, src, off) SL_INSN(BPF_LDX | BPF_SIZE(size) | BPF_MEM, dst, src, off, 0)
#define SL_STX(size, dst, src, off) SL_INSN(BPF_STX | BPF_SIZE(size) | BPF_MEM, dst, src, off, 0)
#define SL_ST(size, dst, off, imm)  SL_INSN(BPF_ST | BPF_SIZE(size) | BPF_MEM, dst, 0, off, imm)
#define SL_CALL(helper)		    SL_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, helper)
#define SL_EXIT()		    SL_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define SL_R0 BPF_REG_0
#define SL_R1 BPF_REG_1
#define SL_R2 BPF_REG_2
#define SL_R3 BPF_REG_3
#define SL_R4 BPF_REG_4
#define SL_R5 BPF_REG_5
#define SL_R6 BPF_REG_6
#define SL_R7 BPF_REG_7
#define SL_R8 BPF_REG_8
#define SL_R9 BPF_REG_9
#define SL_FP BPF_REG_10

/* Largest program the emitter builds (the kernel's limit for privileged loads). */
#define SL_EMIT_MAX_INSNS (1u << 20)

typedef uint32_t sl_label;

struct sl_emit_fixup {
	uint32_t insn; /* jump instruction whose off waits for `label` */
	sl_label label;
};

struct sl_emit {
	struct bpf_insn *insns;
	size_t ninsns, cap;
	struct sl_bpf_line *lines;
	size_t nlines, lines_cap;
	struct sl_bpf_reloc *relocs;
	size_t nrelocs, relocs_cap;
	int64_t *label_at; /* instruction index, -1 while unbound */
	size_t nlabels, labels_cap;
	struct sl_emit_fixup *pending; /* forward jumps to unbound labels, oldest first */
	size_t npending, pending_cap;
	struct sl_loc loc; /* location of the code being emitted */
	/*
	 * After `exit` or `ja`, until a label someone jumps to: code here could never
	 * run, and the verifier rejects unreachable instructions, so it is dropped.
	 */
	bool unreachable;
	uint32_t nislands;
	int err; /* first error (-ENOMEM, -E2BIG); later calls do nothing */
};

void sl_emit_init(struct sl_emit *e);
void sl_emit_fini(struct sl_emit *e);
/*
 * The instructions, line info and relocations emitted so far, copied into
 * `prog` (allocated in `arena`); name, section, hook and table are the
 * caller's. Returns e->err (nothing copied) or 0.
 */
int sl_emit_to_prog(const struct sl_emit *e, struct sl_arena *arena, struct sl_bpf_prog *prog);

void sl_emit(struct sl_emit *e, struct bpf_insn insn);
/* dst = 64-bit constant (two slots). */
void sl_emit_ld_imm64(struct sl_emit *e, uint8_t dst, uint64_t value);
/* dst = address of map `map` (ld_imm64 with a relocation). */
void sl_emit_ld_map(struct sl_emit *e, uint8_t dst, uint32_t map);
/* dst = address of byte `off` of data map `map` (SL_BPF_MAP_RODATA, SL_BPF_MAP_DATA). */
void sl_emit_ld_map_value(struct sl_emit *e, uint8_t dst, uint32_t map, int32_t off);
/* Call kernel function `ext` (sl_bpf_obj_add_extern()'s handle), relocated. */
void sl_emit_call_kfunc(struct sl_emit *e, uint32_t ext);
/* dst = any constant, in the fewest instructions. */
void sl_emit_mov_const(struct sl_emit *e, uint8_t dst, uint64_t value);

sl_label sl_emit_new_label(struct sl_emit *e);
/* The label is here: every pending jump to it is resolved. */
void sl_emit_bind(struct sl_emit *e, sl_label label);
/* Conditional jump `if dst <op> imm goto label` (op BPF_JEQ, ...; BPF_JA for always). */
void sl_emit_jmp_imm(struct sl_emit *e, uint8_t op, uint8_t dst, int32_t imm, sl_label label);
void sl_emit_jmp_reg(struct sl_emit *e, uint8_t op, uint8_t dst, uint8_t src, sl_label label);
/* The same on the low 32 bits of dst (BPF_JMP32): imm is then any 32-bit value. */
void sl_emit_jmp32_imm(struct sl_emit *e, uint8_t op, uint8_t dst, int32_t imm, sl_label label);
void sl_emit_ja(struct sl_emit *e, sl_label label);

/* Code emitted from here on came from `loc` (line_info). */
void sl_emit_set_loc(struct sl_emit *e, struct sl_loc loc);

/* A place between instructions where an island may go (see above). */
void sl_emit_safe_point(struct sl_emit *e);

/* Number of instructions so far. */
static inline uint32_t sl_emit_pos(const struct sl_emit *e)
{
	return (uint32_t)e->ninsns;
}
