// SPDX-License-Identifier: GPL-2.0-only
/*
 * Connection tracking: `ct state` from an own flow table (an LRU hash map,
 * SLUICE_FLOW_MAP), as lang-spec/packet-semantics.md §10 defines it and
 * docs/conntrack.md explains (why not the kernel's tracker).
 *
 * After the parse, the tracker builds the flow key from the parsed fields
 * (the host's side first: a program of an ingress hook reads the packet's
 * destination as `local`), looks the flow up and computes the packet's
 * state into the `ct state` slot, plus what accepting the packet changes in
 * the table: nothing, write the flow's new state (SL_CG_CT_VAL), or delete
 * it (TCP RST). The rules then run; an accept of the table goes through
 * ct_commit, which does it; a drop changes nothing. The companion program
 * of the other direction runs the same tracker and accepts everything.
 *
 * Registers in the tracker: R6 context, then the time (ns); R7 the flow
 * entry or 0; R8 the state; R9 the action; R1-R5 scratch.
 */
#include <stddef.h>

#include "emit/codegen.h"

#define F(x) (1ull << SL_FIELD_##x)

enum ct_action { ACT_NONE = 0, ACT_WRITE = 1, ACT_DELETE = 2 };

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define NS(s) ((uint64_t)(s)*1000000000ull)

#define KEY_LPORT  ((int)offsetof(struct sluice_flow_key, lport))
#define KEY_RPORT  ((int)offsetof(struct sluice_flow_key, rport))
#define KEY_PROTO  ((int)offsetof(struct sluice_flow_key, proto))
#define KEY_FAMILY ((int)offsetof(struct sluice_flow_key, family))
#define VAL_FLAGS  ((int)offsetof(struct sluice_flow, flags))

_Static_assert(sizeof(struct sluice_flow_key) == 40 && sizeof(struct sluice_flow) == 16,
	       "the tracker's stack area holds a key and a value");

static const struct sl_btf_member key_members[] = {
    {"local", &(struct sl_btf_type){SL_BTF_ARRAY, .elem = &sl_btf_u32, .nelems = 4}, 0},
    {"remote", &(struct sl_btf_type){SL_BTF_ARRAY, .elem = &sl_btf_u32, .nelems = 4}, 16},
    {"lport", &sl_btf_u16, 32},
    {"rport", &sl_btf_u16, 34},
    {"proto", &sl_btf_u8, 36},
    {"family", &sl_btf_u8, 37},
    {"pad", &sl_btf_u16, 38},
};
static const struct sl_btf_type key_type = {SL_BTF_STRUCT, 40, "sluice_flow_key",
					    .members = key_members, .nmembers = 7};
static const struct sl_btf_member val_members[] = {
    {"seen_ns", &sl_btf_u64, 0},
    {"flags", &sl_btf_u8, 8},
    {"pad", &(struct sl_btf_type){SL_BTF_ARRAY, .elem = &sl_btf_u8, .nelems = 7}, 9},
};
static const struct sl_btf_type val_type = {SL_BTF_STRUCT, 16, "sluice_flow",
					    .members = val_members, .nmembers = 3};

static bool hook_is_egress(enum sl_hook h)
{
	return h == SL_HOOK_TC_EGRESS || h == SL_HOOK_CGROUP_EGRESS;
}

enum sl_hook sl_cg_ct_companion_hook(enum sl_hook h)
{
	switch (h) {
	case SL_HOOK_TC_EGRESS:
		return SL_HOOK_TC_INGRESS;
	case SL_HOOK_CGROUP_INGRESS:
		return SL_HOOK_CGROUP_EGRESS;
	case SL_HOOK_CGROUP_EGRESS:
		return SL_HOOK_CGROUP_INGRESS;
	default: /* XDP, tc ingress */
		return SL_HOOK_TC_EGRESS;
	}
}

static void emit(struct sl_cg *cg, struct bpf_insn insn)
{
	sl_emit(&cg->e, insn);
}

static int16_t slot(const struct sl_cg *cg, enum sl_field f, unsigned w)
{
	return sl_cg_slot(cg, f, w);
}

void sl_cg_ct_setup(struct sl_cg *cg)
{
	static const enum sl_field read[] = {
	    SL_FIELD_META_PROTOCOL, SL_FIELD_META_L4PROTO, SL_FIELD_IP_SADDR,  SL_FIELD_IP_DADDR,
	    SL_FIELD_IP_FRAG,	    SL_FIELD_IP6_SADDR,	   SL_FIELD_IP6_DADDR, SL_FIELD_IP6_FRAG,
	    SL_FIELD_TH_SPORT,	    SL_FIELD_TH_DPORT,	   SL_FIELD_TCP_FLAGS, SL_FIELD_ICMP_TYPE,
	    SL_FIELD_ICMP6_TYPE,    SL_FIELD_CT_STATE,
	};
	int32_t map;

	if (!cg->used[SL_FIELD_CT_STATE])
		return;
	cg->ct = true;
	cg->ct_out = hook_is_egress(cg->hook);
	for (unsigned i = 0; i < SL_ARRAY_SIZE(read); i++)
		cg->used[read[i]] = true;
	cg->words[SL_FIELD_IP6_SADDR] = cg->words[SL_FIELD_IP6_DADDR] = 0xf;
	map = sl_bpf_obj_find_map(cg->obj, SLUICE_FLOW_MAP);
	if (map < 0)
		map = (int32_t)sl_bpf_obj_add_map(cg->obj, cg->arena,
						  &(struct sl_bpf_map){
						      .name = SLUICE_FLOW_MAP,
						      .type = BPF_MAP_TYPE_LRU_HASH,
						      .key_size = sizeof(struct sluice_flow_key),
						      .value_size = sizeof(struct sluice_flow),
						      .max_entries = SLUICE_FLOW_ENTRIES,
						      .key = &key_type,
						      .value = &val_type,
						  });
	cg->flow_map = (uint32_t)map;
	cg->ct_commit = sl_emit_new_label(&cg->e);
}

/* The ICMP identifier space of echo requests and replies: the flow's ports. */
static bool is_echo(int32_t type, bool v6)
{
	return v6 ? type == 128 || type == 129 : type == 0 || type == 8;
}

/*
 * R7 = the flow entry of the key on the stack, 0 when there is none or it
 * has been idle longer than its timeout; R6 = now. Clobbers R0-R5.
 */
static void emit_lookup(struct sl_cg *cg)
{
	struct sl_emit *e = &cg->e;
	sl_label done = sl_emit_new_label(e), tcp = sl_emit_new_label(e);
	sl_label udp = sl_emit_new_label(e), cmp = sl_emit_new_label(e);

	if (cg->opts->test_clock) {
		sl_cg_test_clock(cg, SL_R6);
	} else {
		emit(cg, SL_CALL(BPF_FUNC_ktime_get_coarse_ns));
		emit(cg, SL_MOV64_REG(SL_R6, SL_R0));
	}
	sl_emit_ld_map(e, SL_R1, cg->flow_map);
	emit(cg, SL_MOV64_REG(SL_R2, SL_FP));
	emit(cg, SL_ALU64_IMM(BPF_ADD, SL_R2, SL_CG_CT_KEY));
	emit(cg, SL_CALL(BPF_FUNC_map_lookup_elem));
	emit(cg, SL_MOV64_REG(SL_R7, SL_R0));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R7, 0, done);
	/* Idle time, signed: another CPU may have stored a later time than ours. */
	emit(cg, SL_LDX(BPF_DW, SL_R1, SL_R7, offsetof(struct sluice_flow, seen_ns)));
	emit(cg, SL_MOV64_REG(SL_R2, SL_R6));
	emit(cg, SL_ALU64_REG(BPF_SUB, SL_R2, SL_R1));
	emit(cg, SL_LDX(BPF_B, SL_R3, SL_R7, VAL_FLAGS));
	emit(cg, SL_LDX(BPF_B, SL_R4, SL_FP, SL_CG_CT_KEY + KEY_PROTO));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R4, SL_IPPROTO_TCP, tcp);
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R4, SL_IPPROTO_UDP, udp);
	sl_emit_mov_const(e, SL_R5, NS(SLUICE_CT_ICMP));
	sl_emit_ja(e, cmp);

	sl_emit_bind(e, tcp);
	sl_emit_mov_const(e, SL_R5, NS(SLUICE_CT_TCP_OPENING));
	emit(cg, SL_MOV64_REG(SL_R1, SL_R3));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, SLUICE_FLOW_REPLIED));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, 0, cmp);
	sl_emit_mov_const(e, SL_R5, NS(SLUICE_CT_TCP_CLOSING));
	emit(cg, SL_MOV64_REG(SL_R1, SL_R3));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, SLUICE_FLOW_FIN_ORIG | SLUICE_FLOW_FIN_REPLY));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, SLUICE_FLOW_FIN_ORIG | SLUICE_FLOW_FIN_REPLY, cmp);
	sl_emit_mov_const(e, SL_R5, NS(SLUICE_CT_TCP_EST));
	sl_emit_ja(e, cmp);

	sl_emit_bind(e, udp);
	sl_emit_mov_const(e, SL_R5, NS(SLUICE_CT_UDP));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R3, SLUICE_FLOW_REPLIED));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R3, 0, cmp);
	sl_emit_mov_const(e, SL_R5, NS(SLUICE_CT_UDP_REPLIED));

	sl_emit_bind(e, cmp);
	sl_emit_jmp_reg(e, BPF_JSLE, SL_R2, SL_R5, done);
	emit(cg, SL_MOV64_IMM(SL_R7, 0)); /* expired: as if absent */
	sl_emit_bind(e, done);
}

/* Jump to `orig` when the packet goes the flow's original way, else to `reply`; R3 = flags. */
static void emit_direction(struct sl_cg *cg, sl_label orig, sl_label reply)
{
	emit(cg, SL_LDX(BPF_B, SL_R3, SL_R7, VAL_FLAGS));
	emit(cg, SL_MOV64_REG(SL_R1, SL_R3));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, SLUICE_FLOW_OUT_ORIG));
	sl_emit_jmp_imm(&cg->e, BPF_JEQ, SL_R1, cg->ct_out ? SLUICE_FLOW_OUT_ORIG : 0, orig);
	sl_emit_ja(&cg->e, reply);
}

/* R2 = ctx->data + the L4 header's offset, R3 = data_end; `fail` unless 8 bytes are there. */
static void emit_l4_pointer(struct sl_cg *cg, sl_label fail)
{
	bool xdp = cg->hook == SL_HOOK_XDP;

	emit(cg, SL_LDX(BPF_W, SL_R2, SL_R6,
			xdp ? offsetof(struct xdp_md, data) : offsetof(struct __sk_buff, data)));
	emit(cg, SL_LDX(BPF_W, SL_R3, SL_R6,
			xdp ? offsetof(struct xdp_md, data_end)
			    : offsetof(struct __sk_buff, data_end)));
	emit(cg, SL_LDX(BPF_DW, SL_R1, SL_FP, SL_CG_CT_L4));
	sl_emit_jmp_imm(&cg->e, BPF_JGT, SL_R1, 0x3fff, fail);
	emit(cg, SL_ALU64_REG(BPF_ADD, SL_R2, SL_R1));
	emit(cg, SL_MOV64_REG(SL_R1, SL_R2));
	emit(cg, SL_ALU64_IMM(BPF_ADD, SL_R1, 8));
	sl_emit_jmp_reg(&cg->e, BPF_JGT, SL_R1, SL_R3, fail);
}

static void store_be(struct sl_cg *cg, uint8_t size, int16_t off, uint8_t base, int16_t from)
{
	emit(cg, SL_LDX(size, SL_R1, base, from));
	emit(cg, SL_BE(SL_R1, size == BPF_H ? 16 : 32));
	emit(cg, SL_STX(size, SL_FP, SL_R1, off));
}

/*
 * An ICMP error: the flow of the packet it quotes (which went the other way)
 * decides: related when tracked, else invalid. R2 = the ICMP header (8 bytes
 * checked), R3 = data_end.
 */
static void emit_error(struct sl_cg *cg, bool v6, sl_label out)
{
	struct sl_emit *e = &cg->e;
	/* The quoted packet went out when the error comes in: its source is local. */
	int16_t src = SL_CG_CT_KEY + (cg->ct_out ? 16 : 0),
		dst = SL_CG_CT_KEY + (cg->ct_out ? 0 : 16);
	int16_t sport = SL_CG_CT_KEY + (cg->ct_out ? KEY_RPORT : KEY_LPORT);
	int16_t dport = SL_CG_CT_KEY + (cg->ct_out ? KEY_LPORT : KEY_RPORT);
	sl_label ports = sl_emit_new_label(e), echo = sl_emit_new_label(e);
	sl_label look = sl_emit_new_label(e);

	emit(cg, SL_ALU64_IMM(BPF_ADD, SL_R2, 8)); /* the quoted IP header */
	emit(cg, SL_MOV64_REG(SL_R1, SL_R2));
	emit(cg, SL_ALU64_IMM(BPF_ADD, SL_R1, v6 ? 40 : 20));
	sl_emit_jmp_reg(e, BPF_JGT, SL_R1, SL_R3, out);
	emit(cg, SL_LDX(BPF_B, SL_R4, SL_R2, 0));
	if (v6) {
		emit(cg, SL_ALU64_IMM(BPF_RSH, SL_R4, 4));
		sl_emit_jmp_imm(e, BPF_JNE, SL_R4, 6, out);
		for (int16_t w = 0; w < 4; w++) {
			store_be(cg, BPF_W, (int16_t)(src + 4 * w), SL_R2, (int16_t)(8 + 4 * w));
			store_be(cg, BPF_W, (int16_t)(dst + 4 * w), SL_R2, (int16_t)(24 + 4 * w));
		}
		emit(cg, SL_LDX(BPF_B, SL_R5, SL_R2, 6));
		emit(cg, SL_MOV64_IMM(SL_R4, 40));
	} else {
		emit(cg, SL_MOV64_REG(SL_R1, SL_R4));
		emit(cg, SL_ALU64_IMM(BPF_RSH, SL_R1, 4));
		sl_emit_jmp_imm(e, BPF_JNE, SL_R1, 4, out);
		emit(cg, SL_ALU64_IMM(BPF_AND, SL_R4, 0xf));
		emit(cg, SL_ALU64_IMM(BPF_LSH, SL_R4, 2));
		sl_emit_jmp_imm(e, BPF_JLT, SL_R4, 20, out);
		store_be(cg, BPF_W, src, SL_R2, 12);
		store_be(cg, BPF_W, dst, SL_R2, 16);
		emit(cg, SL_LDX(BPF_B, SL_R5, SL_R2, 9));
	}
	/* R2 = the quoted L4 header: its first 8 bytes must be there. */
	emit(cg, SL_ALU64_REG(BPF_ADD, SL_R2, SL_R4));
	emit(cg, SL_MOV64_REG(SL_R1, SL_R2));
	emit(cg, SL_ALU64_IMM(BPF_ADD, SL_R1, 8));
	sl_emit_jmp_reg(e, BPF_JGT, SL_R1, SL_R3, out);
	emit(cg, SL_STX(BPF_B, SL_FP, SL_R5, SL_CG_CT_KEY + KEY_PROTO));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R5, SL_IPPROTO_TCP, ports);
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R5, SL_IPPROTO_UDP, ports);
	sl_emit_jmp_imm(e, BPF_JNE, SL_R5, v6 ? SL_IPPROTO_ICMPV6 : SL_IPPROTO_ICMP, out);
	emit(cg, SL_LDX(BPF_B, SL_R1, SL_R2, 0));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, v6 ? 128 : 8, echo);
	sl_emit_jmp_imm(e, BPF_JNE, SL_R1, v6 ? 129 : 0, out);
	sl_emit_bind(e, echo);
	store_be(cg, BPF_H, SL_CG_CT_KEY + KEY_LPORT, SL_R2, 4);
	emit(cg, SL_ST(BPF_H, SL_FP, SL_CG_CT_KEY + KEY_RPORT, 0));
	sl_emit_ja(e, look);
	sl_emit_bind(e, ports);
	store_be(cg, BPF_H, sport, SL_R2, 0);
	store_be(cg, BPF_H, dport, SL_R2, 2);
	sl_emit_bind(e, look);
	emit_lookup(cg);
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R7, 0, out);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_RELATED));
	sl_emit_ja(e, out);
}

/*
 * The new state to record on accept: R3 = flags, R6 = now, R7 = the entry
 * or 0. Nothing when only the time would change, by less than
 * SLUICE_CT_REFRESH_NS: the established flow's packets then cost one lookup.
 */
static void emit_write(struct sl_cg *cg, sl_label write, sl_label out)
{
	struct sl_emit *e = &cg->e;
	sl_label store = sl_emit_new_label(e);

	sl_emit_bind(e, write);
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R7, 0, store);
	emit(cg, SL_LDX(BPF_B, SL_R1, SL_R7, VAL_FLAGS));
	sl_emit_jmp_reg(e, BPF_JNE, SL_R1, SL_R3, store);
	emit(cg, SL_LDX(BPF_DW, SL_R1, SL_R7, offsetof(struct sluice_flow, seen_ns)));
	emit(cg, SL_MOV64_REG(SL_R2, SL_R6));
	emit(cg, SL_ALU64_REG(BPF_SUB, SL_R2, SL_R1));
	sl_emit_jmp_imm(e, BPF_JSLE, SL_R2, SLUICE_CT_REFRESH_NS, out);
	sl_emit_bind(e, store);
	emit(cg, SL_STX(BPF_B, SL_FP, SL_R3, SL_CG_CT_VAL + VAL_FLAGS));
	emit(cg, SL_STX(BPF_DW, SL_FP, SL_R6, SL_CG_CT_VAL));
	emit(cg, SL_MOV64_IMM(SL_R9, ACT_WRITE));
}

static void emit_tcp(struct sl_cg *cg, sl_label write, sl_label out)
{
	struct sl_emit *e = &cg->e;
	sl_label have = sl_emit_new_label(e), orig = sl_emit_new_label(e);
	sl_label reply = sl_emit_new_label(e), est = sl_emit_new_label(e);
	sl_label rst = sl_emit_new_label(e), reply_est = sl_emit_new_label(e);
	sl_label rst_check = sl_emit_new_label(e), orig_fin = sl_emit_new_label(e);

	emit(cg, SL_LDX(BPF_DW, SL_R4, SL_FP, slot(cg, SL_FIELD_TCP_FLAGS, 0)));
	sl_emit_jmp_imm(e, BPF_JNE, SL_R7, 0, have);
	/* No flow: only a SYN opens one. */
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R4, TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN));
	sl_emit_jmp_imm(e, BPF_JNE, SL_R4, TCP_SYN, out);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_NEW));
	emit(cg, SL_MOV64_IMM(SL_R3, cg->ct_out ? SLUICE_FLOW_OUT_ORIG : 0));
	sl_emit_ja(e, write);

	sl_emit_bind(e, have);
	emit_direction(cg, orig, reply);

	sl_emit_bind(e, orig);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_ESTABLISHED));
	emit(cg, SL_MOV64_REG(SL_R1, SL_R3));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, SLUICE_FLOW_REPLIED));
	sl_emit_jmp_imm(e, BPF_JNE, SL_R1, 0, orig_fin);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_NEW));
	sl_emit_bind(e, orig_fin);
	emit(cg, SL_MOV64_REG(SL_R1, SL_R4));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, TCP_FIN));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, 0, rst_check);
	emit(cg, SL_ALU64_IMM(BPF_OR, SL_R3, SLUICE_FLOW_FIN_ORIG));
	sl_emit_ja(e, rst_check);

	sl_emit_bind(e, reply);
	emit(cg, SL_MOV64_REG(SL_R1, SL_R3));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, SLUICE_FLOW_REPLIED));
	sl_emit_jmp_imm(e, BPF_JNE, SL_R1, 0, reply_est);
	/* The first reply: a RST refuses, a SYN-ACK completes the handshake, else invalid. */
	emit(cg, SL_MOV64_REG(SL_R1, SL_R4));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, TCP_RST));
	sl_emit_jmp_imm(e, BPF_JNE, SL_R1, 0, rst);
	emit(cg, SL_MOV64_REG(SL_R1, SL_R4));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, TCP_SYN | TCP_ACK));
	sl_emit_jmp_imm(e, BPF_JNE, SL_R1, TCP_SYN | TCP_ACK, out);
	emit(cg, SL_ALU64_IMM(BPF_OR, SL_R3, SLUICE_FLOW_REPLIED));
	sl_emit_bind(e, reply_est);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_ESTABLISHED));
	emit(cg, SL_MOV64_REG(SL_R1, SL_R4));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, TCP_FIN));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, 0, rst_check);
	emit(cg, SL_ALU64_IMM(BPF_OR, SL_R3, SLUICE_FLOW_FIN_REPLY));

	sl_emit_bind(e, rst_check);
	emit(cg, SL_MOV64_REG(SL_R1, SL_R4));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, TCP_RST));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, 0, write);
	sl_emit_ja(e, est);

	sl_emit_bind(e, rst);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_ESTABLISHED));
	sl_emit_bind(e, est);
	emit(cg, SL_MOV64_IMM(SL_R9, ACT_DELETE)); /* a RST ends the flow */
	sl_emit_ja(e, out);
}

static void emit_udp(struct sl_cg *cg, sl_label write)
{
	struct sl_emit *e = &cg->e;
	sl_label have = sl_emit_new_label(e), orig = sl_emit_new_label(e);
	sl_label reply = sl_emit_new_label(e);

	sl_emit_jmp_imm(e, BPF_JNE, SL_R7, 0, have);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_NEW));
	emit(cg, SL_MOV64_IMM(SL_R3, cg->ct_out ? SLUICE_FLOW_OUT_ORIG : 0));
	sl_emit_ja(e, write);
	sl_emit_bind(e, have);
	emit_direction(cg, orig, reply);
	sl_emit_bind(e, orig);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_ESTABLISHED));
	emit(cg, SL_MOV64_REG(SL_R1, SL_R3));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, SLUICE_FLOW_REPLIED));
	sl_emit_jmp_imm(e, BPF_JNE, SL_R1, 0, write);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_NEW));
	sl_emit_ja(e, write);
	sl_emit_bind(e, reply);
	emit(cg, SL_ALU64_IMM(BPF_OR, SL_R3, SLUICE_FLOW_REPLIED));
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_ESTABLISHED));
	sl_emit_ja(e, write);
}

/* ICMP (v6: ICMPv6): echo requests open flows, replies answer them, errors relate. */
static void emit_icmp(struct sl_cg *cg, bool v6, sl_label write, sl_label out)
{
	struct sl_emit *e = &cg->e;
	enum sl_field type = v6 ? SL_FIELD_ICMP6_TYPE : SL_FIELD_ICMP_TYPE;
	int32_t request = v6 ? 128 : 8;
	static const int32_t errors4[] = {3, 4, 11, 12}, errors6[] = {1, 2, 3, 4};
	sl_label echo = sl_emit_new_label(e), error = sl_emit_new_label(e);
	sl_label req = sl_emit_new_label(e), req_have = sl_emit_new_label(e);
	sl_label orig = sl_emit_new_label(e), reply = sl_emit_new_label(e);
	sl_label rep_reply = sl_emit_new_label(e);

	emit(cg, SL_LDX(BPF_DW, SL_R1, SL_FP, slot(cg, type, 0)));
	sl_emit_jmp_imm(e, BPF_JGT, SL_R1, 255, out); /* no ICMP header: invalid */
	for (int32_t t = 0; t < 256; t++)
		if (is_echo(t, v6))
			sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, t, echo);
	for (unsigned i = 0; i < 4; i++)
		sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, v6 ? errors6[i] : errors4[i], error);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_UNTRACKED)); /* other types are not tracked */
	sl_emit_ja(e, out);

	sl_emit_bind(e, error);
	emit_l4_pointer(cg, out);
	emit_error(cg, v6, out);

	sl_emit_bind(e, echo);
	emit_l4_pointer(cg, out);
	store_be(cg, BPF_H, SL_CG_CT_KEY + KEY_LPORT, SL_R2, 4);
	emit_lookup(cg);
	emit(cg, SL_LDX(BPF_DW, SL_R4, SL_FP, slot(cg, type, 0)));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R4, request, req);
	/* A reply: to a request of a flow, in its reply direction. */
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R7, 0, out);
	emit_direction(cg, out, rep_reply);
	sl_emit_bind(e, rep_reply);
	emit(cg, SL_ALU64_IMM(BPF_OR, SL_R3, SLUICE_FLOW_REPLIED));
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_ESTABLISHED));
	sl_emit_ja(e, write);

	sl_emit_bind(e, req);
	sl_emit_jmp_imm(e, BPF_JNE, SL_R7, 0, req_have);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_NEW));
	emit(cg, SL_MOV64_IMM(SL_R3, cg->ct_out ? SLUICE_FLOW_OUT_ORIG : 0));
	sl_emit_ja(e, write);
	sl_emit_bind(e, req_have);
	emit_direction(cg, orig, reply);
	sl_emit_bind(e, reply);
	sl_emit_ja(e, out); /* a request against the flow's direction: invalid */
	sl_emit_bind(e, orig);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_ESTABLISHED));
	emit(cg, SL_MOV64_REG(SL_R1, SL_R3));
	emit(cg, SL_ALU64_IMM(BPF_AND, SL_R1, SLUICE_FLOW_REPLIED));
	sl_emit_jmp_imm(e, BPF_JNE, SL_R1, 0, write);
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_NEW));
	sl_emit_ja(e, write);
}

/* The addresses into the key, the host's side first; `fail` for fragments. */
static void emit_addresses(struct sl_cg *cg, bool v6, sl_label fail)
{
	enum sl_field s = v6 ? SL_FIELD_IP6_SADDR : SL_FIELD_IP_SADDR;
	enum sl_field d = v6 ? SL_FIELD_IP6_DADDR : SL_FIELD_IP_DADDR;
	int16_t src = SL_CG_CT_KEY + (cg->ct_out ? 0 : 16),
		dst = SL_CG_CT_KEY + (cg->ct_out ? 16 : 0);

	/* Fragments are not tracked (no reassembly): first, later, or a cut-short walk. */
	emit(cg,
	     SL_LDX(BPF_DW, SL_R1, SL_FP, slot(cg, v6 ? SL_FIELD_IP6_FRAG : SL_FIELD_IP_FRAG, 0)));
	sl_emit_jmp_imm(&cg->e, BPF_JNE, SL_R1, SL_FRAG_NONE, fail);
	for (unsigned w = 0; w < (v6 ? 4u : 1u); w++) {
		emit(cg, SL_LDX(BPF_DW, SL_R1, SL_FP, slot(cg, s, w)));
		emit(cg, SL_STX(BPF_W, SL_FP, SL_R1, (int16_t)(src + 4 * (int)w)));
		emit(cg, SL_LDX(BPF_DW, SL_R1, SL_FP, slot(cg, d, w)));
		emit(cg, SL_STX(BPF_W, SL_FP, SL_R1, (int16_t)(dst + 4 * (int)w)));
	}
	emit(cg, SL_ST(BPF_B, SL_FP, SL_CG_CT_KEY + KEY_FAMILY, v6 ? 6 : 4));
}

/* TCP or UDP ports into the key; `fail` (invalid) when the header is cut short. */
static void emit_ports(struct sl_cg *cg, sl_label fail)
{
	emit(cg, SL_LDX(BPF_DW, SL_R1, SL_FP, slot(cg, SL_FIELD_TH_SPORT, 0)));
	emit(cg, SL_LDX(BPF_DW, SL_R2, SL_FP, slot(cg, SL_FIELD_TH_DPORT, 0)));
	sl_emit_jmp_imm(&cg->e, BPF_JGT, SL_R1, 0xffff, fail);
	emit(cg, SL_STX(BPF_H, SL_FP, cg->ct_out ? SL_R1 : SL_R2, SL_CG_CT_KEY + KEY_LPORT));
	emit(cg, SL_STX(BPF_H, SL_FP, cg->ct_out ? SL_R2 : SL_R1, SL_CG_CT_KEY + KEY_RPORT));
}

void sl_cg_ct_track(struct sl_cg *cg)
{
	struct sl_emit *e = &cg->e;
	sl_label v4 = sl_emit_new_label(e), v6 = sl_emit_new_label(e), out = sl_emit_new_label(e);
	sl_label write = sl_emit_new_label(e);

	for (int16_t off = SL_CG_CT_KEY; off < SL_CG_CT_L4; off += 8)
		emit(cg, SL_ST(BPF_DW, SL_FP, off, 0));
	emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_UNTRACKED));
	emit(cg, SL_MOV64_IMM(SL_R9, ACT_NONE));
	emit(cg, SL_LDX(BPF_DW, SL_R1, SL_FP, slot(cg, SL_FIELD_META_PROTOCOL, 0)));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, SL_ETH_P_IP, v4);
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, SL_ETH_P_IPV6, v6);
	sl_emit_ja(e, out);

	for (unsigned fam = 0; fam < 2; fam++) {
		bool is6 = fam == 1;
		sl_label tcp = sl_emit_new_label(e), udp = sl_emit_new_label(e);
		sl_label icmp = sl_emit_new_label(e);

		sl_emit_bind(e, is6 ? v6 : v4);
		emit_addresses(cg, is6, out);
		emit(cg, SL_LDX(BPF_DW, SL_R1, SL_FP, slot(cg, SL_FIELD_META_L4PROTO, 0)));
		sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, SL_IPPROTO_TCP, tcp);
		sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, SL_IPPROTO_UDP, udp);
		sl_emit_jmp_imm(e, BPF_JEQ, SL_R1, is6 ? SL_IPPROTO_ICMPV6 : SL_IPPROTO_ICMP, icmp);
		sl_emit_ja(e, out); /* other protocols (and ICMP of the other family): untracked */

		/* From here on, a packet the tracker cannot read is invalid. */
		sl_emit_bind(e, tcp);
		emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_INVALID));
		emit(cg, SL_ST(BPF_B, SL_FP, SL_CG_CT_KEY + KEY_PROTO, SL_IPPROTO_TCP));
		emit_ports(cg, out);
		emit_lookup(cg);
		emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_INVALID));
		emit_tcp(cg, write, out);

		sl_emit_bind(e, udp);
		emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_INVALID));
		emit(cg, SL_ST(BPF_B, SL_FP, SL_CG_CT_KEY + KEY_PROTO, SL_IPPROTO_UDP));
		emit_ports(cg, out);
		emit_lookup(cg);
		emit_udp(cg, write);

		sl_emit_bind(e, icmp);
		emit(cg, SL_MOV64_IMM(SL_R8, SL_CT_INVALID));
		emit(cg, SL_ST(BPF_B, SL_FP, SL_CG_CT_KEY + KEY_PROTO,
			       is6 ? SL_IPPROTO_ICMPV6 : SL_IPPROTO_ICMP));
		emit_icmp(cg, is6, write, out);
	}

	emit_write(cg, write, out);
	sl_emit_bind(e, out);
	/* Through R0 = 0 unknown to the verifier, as the parse stores (codegen_parse.c). */
	emit(cg, SL_MOV64_REG(SL_R0, SL_FP));
	emit(cg, SL_ALU64_REG(BPF_SUB, SL_R0, SL_FP));
	emit(cg, SL_ALU64_REG(BPF_ADD, SL_R8, SL_R0));
	emit(cg, SL_STX(BPF_DW, SL_FP, SL_R8, slot(cg, SL_FIELD_CT_STATE, 0)));
	emit(cg, SL_ALU64_REG(BPF_ADD, SL_R9, SL_R0));
	emit(cg, SL_STX(BPF_DW, SL_FP, SL_R9, SL_CG_CT_ACT));
}

void sl_cg_exit(struct sl_cg *cg, enum sl_verdict v)
{
	if (cg->ct && v == SL_VERDICT_ACCEPT) {
		cg->ct_commit_used = true;
		sl_emit_ja(&cg->e, cg->ct_commit);
		return;
	}
	emit(cg, SL_MOV64_IMM(SL_R0, sl_cg_retval(cg, v)));
	emit(cg, SL_EXIT());
}

/* The accept of a tracking program: record what the tracker decided, then accept. */
void sl_cg_ct_tail(struct sl_cg *cg)
{
	struct sl_emit *e = &cg->e;
	sl_label done = sl_emit_new_label(e), del = sl_emit_new_label(e);
	sl_label create = sl_emit_new_label(e);

	if (!cg->ct || !cg->ct_commit_used)
		return;
	sl_emit_bind(e, cg->ct_commit);
	emit(cg, SL_LDX(BPF_DW, SL_R6, SL_FP, SL_CG_CT_ACT));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R6, ACT_NONE, done);
	sl_emit_ld_map(e, SL_R1, cg->flow_map);
	emit(cg, SL_MOV64_REG(SL_R2, SL_FP));
	emit(cg, SL_ALU64_IMM(BPF_ADD, SL_R2, SL_CG_CT_KEY));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R6, ACT_DELETE, del);
	/* In place when the entry is there: an update would take a fresh LRU node. */
	emit(cg, SL_CALL(BPF_FUNC_map_lookup_elem));
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R0, 0, create);
	emit(cg, SL_LDX(BPF_DW, SL_R1, SL_FP, SL_CG_CT_VAL));
	emit(cg, SL_STX(BPF_DW, SL_R0, SL_R1, 0));
	emit(cg, SL_LDX(BPF_DW, SL_R1, SL_FP, SL_CG_CT_VAL + 8));
	emit(cg, SL_STX(BPF_DW, SL_R0, SL_R1, 8));
	sl_emit_ja(e, done);
	sl_emit_bind(e, create);
	sl_emit_ld_map(e, SL_R1, cg->flow_map);
	emit(cg, SL_MOV64_REG(SL_R2, SL_FP));
	emit(cg, SL_ALU64_IMM(BPF_ADD, SL_R2, SL_CG_CT_KEY));
	emit(cg, SL_MOV64_REG(SL_R3, SL_FP));
	emit(cg, SL_ALU64_IMM(BPF_ADD, SL_R3, SL_CG_CT_VAL));
	emit(cg, SL_MOV64_IMM(SL_R4, BPF_ANY));
	emit(cg, SL_CALL(BPF_FUNC_map_update_elem));
	sl_emit_ja(e, done);
	sl_emit_bind(e, del);
	emit(cg, SL_CALL(BPF_FUNC_map_delete_elem));
	sl_emit_bind(e, done);
	emit(cg, SL_MOV64_IMM(SL_R0, sl_cg_retval(cg, SL_VERDICT_ACCEPT)));
	emit(cg, SL_EXIT());
}
