// SPDX-License-Identifier: GPL-2.0-only
/*
 * `meta iifname`: the slot of the packet's interface among the policy's
 * names (field.h SL_FIELD_META_IFNAME), from the read-only array
 * SLUICE_IFACE_MAP of their indexes that the loader fills before load
 * (0: no interface has the name; it then matches no packet).
 *
 * Without branches: one path for the verifier whatever the number of names.
 * Per name k: eq = ((idx[k] ^ ifindex) - 1) >> 63 is 1 when they are equal
 * (both are 32-bit, so the difference is negative only for 0), nz = -idx[k] >> 63
 * is 1 when idx[k] is not 0, and slot += (eq & nz) * k. Indexes of distinct
 * names differ (the loader checks), so at most one k adds.
 */
#include <stddef.h>

#include "emit/codegen.h"
#include "sluice/abi.h"

void sl_cg_iface_slot(struct sl_cg *cg, uint8_t ifindex, uint8_t dst)
{
	struct sl_emit *e = &cg->e;
	uint32_t n = cg->ir->nifnames;
	uint32_t map = sl_cg_value_map(cg, SLUICE_IFACE_MAP, NULL, (size_t)n * sizeof(uint32_t));

	/* registers: ifindex, dst, R3 idx[k], R4 eq, R5 the array (scratch of the parse) */
	sl_emit(e, SL_MOV64_IMM(dst, 0));
	sl_emit_ld_map_value(e, SL_R5, map, 0);
	for (uint32_t k = 1; k <= n; k++) {
		sl_emit(e, SL_LDX(BPF_W, SL_R3, SL_R5, (int16_t)(4 * (k - 1))));
		sl_emit(e, SL_MOV64_REG(SL_R4, SL_R3));
		sl_emit(e, SL_ALU64_REG(BPF_XOR, SL_R4, ifindex));
		sl_emit(e, SL_ALU64_IMM(BPF_SUB, SL_R4, 1));
		sl_emit(e, SL_ALU64_IMM(BPF_RSH, SL_R4, 63));
		sl_emit(e, SL_NEG64(SL_R3));
		sl_emit(e, SL_ALU64_IMM(BPF_RSH, SL_R3, 63));
		sl_emit(e, SL_ALU64_REG(BPF_AND, SL_R4, SL_R3));
		if (k > 1)
			sl_emit(e, SL_ALU64_IMM(BPF_MUL, SL_R4, (int32_t)k));
		sl_emit(e, SL_ALU64_REG(BPF_ADD, dst, SL_R4));
	}
}
