// SPDX-License-Identifier: GPL-2.0-only
/*
 * Limits, meters and logs (common/limit.h, sluice/log.h).
 *
 * A limit's bucket is a value of the array map SLUICE_LIMIT_MAP at the
 * rule's id, shared by every CPU and updated without a lock: two CPUs that
 * update it at the same instant may both take from one state, so a few
 * more packets than the rate can match under contention
 * (lang-spec/packet-semantics.md says how many, measured). A meter's
 * buckets are values of an LRU hash of its own, keyed by the packed key
 * fields. A log record goes to the ring buffer SLUICE_LOG_MAP when the
 * log's own bucket (its `every`, or the default cap) allows; records the
 * buffer has no room for, or that the cap holds back, are counted in
 * SLUICE_LOG_LOST_MAP. The clock is bpf_ktime_get_ns(), or in test objects
 * the value of SLUICE_CLOCK_MAP.
 *
 * Rules with a limit or a log are always straight code (codegen_linear.c):
 * their state is touched only when their predicates match, in rule order,
 * as the reference interpreter does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emit/codegen.h"
#include "sluice/log.h"

#define SCRATCH_BYTES SL_CG_LIMIT_SCRATCH

static const struct sl_btf_member bucket_members[] = {
    {"debt", &sl_btf_u64, offsetof(struct sluice_bucket, debt)},
    {"last_ns", &sl_btf_u64, offsetof(struct sluice_bucket, last_ns)},
    {"over", &sl_btf_u64, offsetof(struct sluice_bucket, over)},
};

static const struct sl_btf_type btf_bucket = {
    .kind = SL_BTF_STRUCT,
    .name = "sluice_bucket",
    .size = sizeof(struct sluice_bucket),
    .members = bucket_members,
    .nmembers = SL_ARRAY_SIZE(bucket_members),
};

void sl_cg_limit_collect(struct sl_cg *cg, const struct sl_ir_rule *r)
{
	if (r->limit) {
		for (uint32_t k = 0; k < r->limit->nkeys; k++) {
			enum sl_field f = r->limit->keys[k];

			cg->used[f] = true;
			if (sl_cg_words(f) > 1)
				cg->words[f] |= 0xf;
		}
		cg->counts |= r->limit->bytes;
		if (r->limit->nkeys)
			cg->scratch_off = 1; /* wanted: placed by sl_cg_limit_slots() */
	}
	if (r->log) {
		cg->logs = true;
		cg->counts = true; /* the record holds `meta length` */
	}
}

int sl_cg_limit_slots(struct sl_cg *cg)
{
	if (!cg->logs && !cg->scratch_off)
		return 0;
	/* below the connection tracker's area when the table has one */
	cg->ctx_off = (int16_t)(SL_CG_KEY_OFF - (cg->ct ? SL_CG_CT_AREA : 0) - 8);
	cg->scratch_off = (int16_t)(cg->ctx_off - SCRATCH_BYTES);
	return 8 + SCRATCH_BYTES;
}

static uint32_t def_map(struct sl_cg *cg, const char *name, uint32_t type, uint32_t key_size,
			uint32_t value_size, uint32_t max_entries, const struct sl_btf_type *key,
			const struct sl_btf_type *value)
{
	int32_t found = sl_bpf_obj_find_map(cg->obj, name);

	if (found >= 0)
		return (uint32_t)found;
	return sl_bpf_obj_add_map(cg->obj, cg->arena,
				  &(struct sl_bpf_map){
				      .name = name,
				      .type = type,
				      .key_size = key_size,
				      .value_size = value_size,
				      .max_entries = max_entries,
				      .key = key,
				      .value = value,
				  });
}

void sl_cg_test_clock(struct sl_cg *cg, uint8_t dst)
{
	struct sl_emit *e = &cg->e;
	sl_label none = sl_emit_new_label(e);
	uint32_t map =
	    def_map(cg, SLUICE_CLOCK_MAP, BPF_MAP_TYPE_ARRAY, 4, 8, 1, &sl_btf_u32, &sl_btf_u64);

	sl_emit(e, SL_ST(BPF_W, SL_FP, SL_CG_KEY_OFF, 0));
	sl_emit_ld_map(e, SL_R1, map);
	sl_emit(e, SL_MOV64_REG(SL_R2, SL_FP));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R2, SL_CG_KEY_OFF));
	sl_emit(e, SL_CALL(BPF_FUNC_map_lookup_elem));
	sl_emit(e, SL_MOV64_IMM(dst, 0));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, none);
	sl_emit(e, SL_LDX(BPF_DW, dst, SL_R0, 0));
	sl_emit_bind(e, none);
}

/* R8 = now (ns). Clobbers R0-R5. */
static void emit_now(struct sl_cg *cg)
{
	if (cg->opts->test_clock) {
		sl_cg_test_clock(cg, SL_R8);
		return;
	}
	sl_emit(&cg->e, SL_CALL(BPF_FUNC_ktime_get_ns));
	sl_emit(&cg->e, SL_MOV64_REG(SL_R8, SL_R0));
}

/* R7 = the bucket at `key` of SLUICE_LIMIT_MAP, or to `none`. Clobbers R0-R5. */
static void emit_bucket_lookup(struct sl_cg *cg, uint32_t key, sl_label none)
{
	struct sl_emit *e = &cg->e;
	uint32_t map =
	    def_map(cg, SLUICE_LIMIT_MAP, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct sluice_bucket),
		    2 * cg->ir->nrules, &sl_btf_u32, &btf_bucket);

	sl_emit(e, SL_ST(BPF_W, SL_FP, SL_CG_KEY_OFF, (int32_t)key));
	sl_emit_ld_map(e, SL_R1, map);
	sl_emit(e, SL_MOV64_REG(SL_R2, SL_FP));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R2, SL_CG_KEY_OFF));
	sl_emit(e, SL_CALL(BPF_FUNC_map_lookup_elem));
	sl_emit(e, SL_ST(BPF_W, SL_FP, SL_CG_KEY_OFF, 0));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, none);
	sl_emit(e, SL_MOV64_REG(SL_R7, SL_R0));
}

/*
 * Take from the bucket R7 points to at time R8 (sl_limit_take() of
 * limit.h, instruction for instruction); go to `under` or `over`.
 * Clobbers R1-R4.
 */
static void emit_take(struct sl_cg *cg, const struct sl_limit *l, sl_label under, sl_label over)
{
	struct sl_emit *e = &cg->e;
	sl_label no_dt = sl_emit_new_label(e), full = sl_emit_new_label(e),
		 cost = sl_emit_new_label(e), small = sl_emit_new_label(e),
		 too_much = sl_emit_new_label(e);

	sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_R7, offsetof(struct sluice_bucket, debt)));
	sl_emit(e, SL_LDX(BPF_DW, SL_R2, SL_R7, offsetof(struct sluice_bucket, last_ns)));
	sl_emit(e, SL_MOV64_IMM(SL_R3, 0));
	sl_emit_jmp_reg(e, BPF_JGT, SL_R2, SL_R8, no_dt);
	sl_emit(e, SL_MOV64_REG(SL_R3, SL_R8));
	sl_emit(e, SL_ALU64_REG(BPF_SUB, SL_R3, SL_R2));
	sl_emit(e, SL_STX(BPF_DW, SL_R7, SL_R8, offsetof(struct sluice_bucket, last_ns)));
	sl_emit_bind(e, no_dt);
	/* refill: dt * rate, or up to full when that is more than the debt */
	sl_emit(e, SL_MOV64_REG(SL_R4, SL_R1));
	sl_emit(e, SL_ALU64_IMM(BPF_DIV, SL_R4, (int32_t)l->rate));
	sl_emit_jmp_reg(e, BPF_JGT, SL_R3, SL_R4, full);
	sl_emit(e, SL_ALU64_IMM(BPF_MUL, SL_R3, (int32_t)l->rate));
	sl_emit(e, SL_ALU64_REG(BPF_SUB, SL_R1, SL_R3));
	sl_emit_ja(e, cost);
	sl_emit_bind(e, full);
	sl_emit(e, SL_MOV64_IMM(SL_R1, 0));
	sl_emit_bind(e, cost);
	if (l->bytes) {
		sl_emit(e, SL_LDX(BPF_DW, SL_R3, SL_FP, sl_cg_slot(cg, SL_FIELD_META_LENGTH, 0)));
		sl_emit_jmp_imm(e, BPF_JLE, SL_R3, (int32_t)SL_LIMIT_BYTES_MAX, small);
		sl_emit(e, SL_MOV64_IMM(SL_R3, (int32_t)SL_LIMIT_BYTES_MAX));
		sl_emit_bind(e, small);
		sl_emit_ld_imm64(e, SL_R4, l->period_ns);
		sl_emit(e, SL_ALU64_REG(BPF_MUL, SL_R3, SL_R4));
	} else {
		sl_emit_ld_imm64(e, SL_R3, l->period_ns);
	}
	sl_emit(e, SL_ALU64_REG(BPF_ADD, SL_R3, SL_R1));
	sl_emit_ld_imm64(e, SL_R4, l->cap);
	sl_emit_jmp_reg(e, BPF_JGT, SL_R3, SL_R4, too_much);
	sl_emit(e, SL_STX(BPF_DW, SL_R7, SL_R3, offsetof(struct sluice_bucket, debt)));
	sl_emit_ja(e, under);
	sl_emit_bind(e, too_much);
	sl_emit(e, SL_STX(BPF_DW, SL_R7, SL_R1, offsetof(struct sluice_bucket, debt)));
	sl_emit(e, SL_MOV64_IMM(SL_R1, 1));
	sl_emit(e, SL_INSN(BPF_STX | BPF_DW | BPF_ATOMIC, SL_R7, SL_R1,
			   offsetof(struct sluice_bucket, over), BPF_ADD));
	sl_emit_ja(e, over);
}

/* Key bytes of a meter's field: 8, or 16 for an address of 128 bits. */
static uint32_t key_bytes(enum sl_field f)
{
	return sl_cg_words(f) > 1 ? 16 : 8;
}

static uint64_t word_mask(unsigned bits, unsigned plen)
{
	uint64_t all = bits >= 64 ? ~0ull : (1ull << bits) - 1;
	unsigned host = bits - plen;

	return host >= 64 ? 0 : all & ~((1ull << host) - 1) & all;
}

/*
 * The meter's key at scratch_off from the key fields' slots (to `absent`
 * when the packet lacks one), then R7 = its bucket (a new one is added
 * full). Clobbers R0-R5.
 */
static void emit_meter_bucket(struct sl_cg *cg, const struct sl_ir_rule *r, sl_label absent,
			      sl_label none)
{
	struct sl_emit *e = &cg->e;
	const struct sl_limit *l = r->limit;
	uint32_t size = 0, map;
	char *name;
	sl_label have = sl_emit_new_label(e);

	for (uint32_t k = 0; k < l->nkeys; k++)
		size += key_bytes(l->keys[k]);
	name = sl_arena_printf(cg->arena, SLUICE_METER_MAP_FMT, r->id);
	map = def_map(cg, name, BPF_MAP_TYPE_LRU_HASH, size, sizeof(struct sluice_bucket), l->size,
		      sl_btf_array(cg->arena, &sl_btf_u8, size), &btf_bucket);
	sl_emit_ld_imm64(e, SL_R5, SL_CG_ABSENT);
	for (uint32_t k = 0, off = 0; k < l->nkeys; k++) {
		enum sl_field f = l->keys[k];
		unsigned bits = sl_field_info(f)->bits, plen = l->key_plen[k];

		if (sl_cg_words(f) == 1) {
			sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_FP, sl_cg_slot(cg, f, 0)));
			sl_emit_jmp_reg(e, BPF_JGE, SL_R1, SL_R5, absent);
			if (plen < bits) {
				sl_emit_ld_imm64(e, SL_R2, word_mask(bits, plen));
				sl_emit(e, SL_ALU64_REG(BPF_AND, SL_R1, SL_R2));
			}
			sl_emit(e, SL_STX(BPF_DW, SL_FP, SL_R1, (int16_t)(cg->scratch_off + off)));
			off += 8;
			continue;
		}
		for (unsigned w = 0; w < 4; w++) {
			unsigned wplen = plen > 32 * w ? plen - 32 * w : 0;

			sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_FP, sl_cg_slot(cg, f, w)));
			if (!w)
				sl_emit_jmp_reg(e, BPF_JGE, SL_R1, SL_R5, absent);
			if (wplen < 32)
				sl_emit(
				    e, SL_ALU64_IMM(BPF_AND, SL_R1, (int32_t)word_mask(32, wplen)));
			sl_emit(e, SL_STX(BPF_W, SL_FP, SL_R1,
					  (int16_t)(cg->scratch_off + off + 4 * w)));
		}
		off += 16;
	}
	for (int pass = 0; pass < 2; pass++) {
		sl_emit_ld_map(e, SL_R1, map);
		sl_emit(e, SL_MOV64_REG(SL_R2, SL_FP));
		sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R2, cg->scratch_off));
		sl_emit(e, SL_CALL(BPF_FUNC_map_lookup_elem));
		sl_emit_jmp_imm(e, BPF_JNE, SL_R0, 0, have);
		if (pass)
			break;
		/* a new key: a full bucket (zeros), added unless another CPU just did */
		sl_emit(e, SL_ST(BPF_DW, SL_FP, (int16_t)(cg->scratch_off + 64), 0));
		sl_emit(e, SL_ST(BPF_DW, SL_FP, (int16_t)(cg->scratch_off + 72), 0));
		sl_emit(e, SL_ST(BPF_DW, SL_FP, (int16_t)(cg->scratch_off + 80), 0));
		sl_emit_ld_map(e, SL_R1, map);
		sl_emit(e, SL_MOV64_REG(SL_R2, SL_FP));
		sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R2, cg->scratch_off));
		sl_emit(e, SL_MOV64_REG(SL_R3, SL_FP));
		sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R3, cg->scratch_off + 64));
		sl_emit(e, SL_MOV64_IMM(SL_R4, BPF_NOEXIST));
		sl_emit(e, SL_CALL(BPF_FUNC_map_update_elem));
	}
	sl_emit_ja(e, none);
	sl_emit_bind(e, have);
	sl_emit(e, SL_MOV64_REG(SL_R7, SL_R0));
}

void sl_cg_limit(struct sl_cg *cg, const struct sl_ir_rule *r, sl_label fail)
{
	struct sl_emit *e = &cg->e;
	const struct sl_limit *l = r->limit;
	sl_label match = sl_emit_new_label(e), none = sl_emit_new_label(e);

	sl_emit_set_loc(e, l->loc);
	sl_emit_safe_point(e);
	if (l->nkeys)
		emit_meter_bucket(cg, r, fail, none);
	else
		emit_bucket_lookup(cg, r->id, none);
	emit_now(cg);
	emit_take(cg, l, l->over ? fail : match, l->over ? match : fail);
	/* no bucket (a meter full of new keys): as if over the rate */
	sl_emit_bind(e, none);
	if (!l->over)
		sl_emit_ja(e, fail);
	sl_emit_bind(e, match);
}

/* lost[key] += 1 (per-CPU). Clobbers R0-R5. */
static void emit_lost(struct sl_cg *cg, int32_t key)
{
	struct sl_emit *e = &cg->e;
	sl_label skip = sl_emit_new_label(e);
	uint32_t map = def_map(cg, SLUICE_LOG_LOST_MAP, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2,
			       &sl_btf_u32, &sl_btf_u64);

	sl_emit(e, SL_ST(BPF_W, SL_FP, SL_CG_KEY_OFF, key));
	sl_emit_ld_map(e, SL_R1, map);
	sl_emit(e, SL_MOV64_REG(SL_R2, SL_FP));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R2, SL_CG_KEY_OFF));
	sl_emit(e, SL_CALL(BPF_FUNC_map_lookup_elem));
	sl_emit(e, SL_ST(BPF_W, SL_FP, SL_CG_KEY_OFF, 0));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, skip);
	sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_R0, 0));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R1, 1));
	sl_emit(e, SL_STX(BPF_DW, SL_R0, SL_R1, 0));
	sl_emit_bind(e, skip);
}

void sl_cg_log(struct sl_cg *cg, const struct sl_ir_rule *r)
{
	struct sl_emit *e = &cg->e;
	const struct sl_log *g = r->log;
	sl_label go = sl_emit_new_label(e), capped = sl_emit_new_label(e),
		 done = sl_emit_new_label(e), full = sl_emit_new_label(e),
		 submit = sl_emit_new_label(e), small = sl_emit_new_label(e),
		 copied = sl_emit_new_label(e);
	uint32_t ring =
	    def_map(cg, SLUICE_LOG_MAP, BPF_MAP_TYPE_RINGBUF, 0, 0, SLUICE_LOG_BYTES, NULL, NULL);
	bool xdp = cg->hook == SL_HOOK_XDP;

	sl_emit_set_loc(e, g->loc);
	sl_emit_safe_point(e);
	emit_bucket_lookup(cg, cg->ir->nrules + r->id, done);
	emit_now(cg);
	emit_take(cg, &g->cap, go, capped);
	sl_emit_bind(e, capped);
	emit_lost(cg, 1);
	sl_emit_ja(e, done);
	sl_emit_bind(e, go);
	sl_emit_ld_map(e, SL_R1, ring);
	sl_emit(e, SL_MOV64_IMM(SL_R2, sizeof(struct sluice_log_record)));
	sl_emit(e, SL_MOV64_IMM(SL_R3, 0));
	sl_emit(e, SL_CALL(BPF_FUNC_ringbuf_reserve));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, full);
	sl_emit(e, SL_MOV64_REG(SL_R7, SL_R0));
	sl_emit(e, SL_STX(BPF_DW, SL_R7, SL_R8, offsetof(struct sluice_log_record, time_ns)));
	sl_emit(e, SL_ST(BPF_W, SL_R7, offsetof(struct sluice_log_record, rule), (int32_t)r->id));
	sl_emit(
	    e, SL_ST(BPF_B, SL_R7, offsetof(struct sluice_log_record, action), (int32_t)r->action));
	sl_emit(e,
		SL_ST(BPF_B, SL_R7, offsetof(struct sluice_log_record, hook), (int32_t)cg->hook));
	sl_emit(e,
		SL_ST(BPF_B, SL_R7, offsetof(struct sluice_log_record, level), (int32_t)g->level));
	sl_emit(e, SL_ST(BPF_B, SL_R7, offsetof(struct sluice_log_record, pad), 0));
	sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_FP, sl_cg_slot(cg, SL_FIELD_META_LENGTH, 0)));
	sl_emit(e, SL_STX(BPF_W, SL_R7, SL_R1, offsetof(struct sluice_log_record, len)));
	/* caplen = min(bytes in the packet's linear data / frame, SNAPLEN) */
	sl_emit(e, SL_LDX(BPF_DW, SL_R6, SL_FP, cg->ctx_off));
	if (xdp) {
		sl_emit(e, SL_LDX(BPF_W, SL_R1, SL_R6, offsetof(struct xdp_md, data_end)));
		sl_emit(e, SL_LDX(BPF_W, SL_R2, SL_R6, offsetof(struct xdp_md, data)));
		sl_emit(e, SL_ALU64_REG(BPF_SUB, SL_R1, SL_R2));
	} else {
		sl_emit(e, SL_LDX(BPF_W, SL_R1, SL_R6, offsetof(struct __sk_buff, len)));
	}
	sl_emit_jmp_imm(e, BPF_JLE, SL_R1, SLUICE_LOG_SNAPLEN, small);
	sl_emit(e, SL_MOV64_IMM(SL_R1, SLUICE_LOG_SNAPLEN));
	sl_emit_bind(e, small);
	sl_emit(e, SL_STX(BPF_W, SL_R7, SL_R1, offsetof(struct sluice_log_record, caplen)));
	/* JLT, not JEQ: Linux 6.1 learns caplen >= 1 only from it, and its load_bytes
	 * helpers refuse a length that may be 0 */
	sl_emit_jmp_imm(e, BPF_JLT, SL_R1, 1, submit);
	sl_emit(e, SL_MOV64_REG(SL_R4, SL_R1));
	sl_emit(e, SL_MOV64_REG(SL_R3, SL_R7));
	sl_emit(e, SL_ALU64_IMM(BPF_ADD, SL_R3, offsetof(struct sluice_log_record, data)));
	sl_emit(e, SL_MOV64_IMM(SL_R2, 0));
	sl_emit(e, SL_MOV64_REG(SL_R1, SL_R6));
	sl_emit(e, SL_CALL(xdp ? BPF_FUNC_xdp_load_bytes : BPF_FUNC_skb_load_bytes));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, copied);
	sl_emit(e, SL_ST(BPF_W, SL_R7, offsetof(struct sluice_log_record, caplen), 0));
	sl_emit_bind(e, copied);
	sl_emit_bind(e, submit);
	sl_emit(e, SL_MOV64_REG(SL_R1, SL_R7));
	sl_emit(e, SL_MOV64_IMM(SL_R2, 0));
	sl_emit(e, SL_CALL(BPF_FUNC_ringbuf_submit));
	sl_emit_ja(e, done);
	sl_emit_bind(e, full);
	emit_lost(cg, 0);
	sl_emit_bind(e, done);
}
