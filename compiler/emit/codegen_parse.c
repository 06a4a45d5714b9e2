// SPDX-License-Identifier: GPL-2.0-only
/*
 * The prologue: parse the headers the table needs, once, into stack slots,
 * exactly as lang-spec/packet-semantics.md says. Every packet read is
 * dominated by a `ptr + len > data_end` check on the very register it reads
 * through; a header that is cut short, fails its sanity check or is not
 * there leaves its fields at SL_CG_ABSENT.
 *
 * Registers during the parse: R6 context, R7 data, R8 data_end, R9 the
 * current header, R3 the protocol / next header being dispatched on, R2 the
 * IPv4 header length (on IPv6: `ip6 frag` during the extension header walk),
 * R4 an IPv6 extension header's length, R1 and R5 scratch,
 * R0 a zero the verifier does not know (see store()).
 */
#include <stddef.h>

#include "emit/codegen.h"

#define F(x)	     (1ull << SL_FIELD_##x)
#define TCP_FIELDS   (F(TCP_SPORT) | F(TCP_DPORT) | F(TCP_FLAGS) | F(TH_SPORT) | F(TH_DPORT))
#define UDP_FIELDS   (F(UDP_SPORT) | F(UDP_DPORT) | F(TH_SPORT) | F(TH_DPORT))
#define ICMP_FIELDS  (F(ICMP_TYPE) | F(ICMP_CODE))
#define ICMP6_FIELDS (F(ICMP6_TYPE) | F(ICMP6_CODE))
#define IP4_FIELDS                                                                                 \
	(F(IP_SADDR) | F(IP_DADDR) | F(IP_PROTOCOL) | F(IP_TTL) | F(IP_LENGTH) | F(IP_DSCP) |      \
	 F(IP_FRAG))
#define IP6_FIELDS (F(IP6_SADDR) | F(IP6_DADDR) | F(IP6_NEXTHDR) | F(IP6_HOPLIMIT) | F(IP6_FRAG))
#define L2_FIELDS  (F(ETHER_SADDR) | F(ETHER_DADDR) | F(ETHER_TYPE) | F(VLAN_ID) | F(META_PROTOCOL))

#define META_FIELDS                                                                                \
	(F(META_LENGTH) | F(META_IFINDEX) | F(META_IFNAME)) /* stored before the parse */

struct parse {
	struct sl_cg *cg;
	struct sl_emit *e;
	uint64_t need;	  /* fields with a slot */
	uint64_t written; /* fields stored on the fast path's current path */
	sl_label done;	  /* end of the parse */
	sl_label slow;	  /* the general parse, from scratch */
};

static bool needs(const struct parse *p, uint64_t fields)
{
	return (p->need & fields) != 0;
}

/* Word w of a 128-bit field: some test reads it (codegen.c: cg->words). */
static bool needs_word(const struct parse *p, enum sl_field f, unsigned w)
{
	return needs(p, 1ull << f) && (p->cg->words[f] & (1u << w));
}

static void emit(struct parse *p, struct bpf_insn insn)
{
	sl_emit(p->e, insn);
}

/*
 * Store `reg` into the field's slot (word w) when the table uses the field,
 * as reg + R0: R0 is 0 but unknown to the verifier (see sl_cg_parse()).
 *
 * The verifier must not know the values (constants on paths where a header
 * is absent, 0x0800 after the EtherType test, the protocol after the
 * dispatch on it, ranges of narrow fields): it would decide rule tests at
 * verification time, mark them precise, and could no longer prune the
 * parse's paths against each other: each would walk every rule,
 * multiplying its cost by the number of paths. With the sum, every slot is
 * a spilled register holding any 64-bit number, on every path.
 *
 * One 64-bit store, so that the rules' loads of the slot are forwarded from
 * it. (Rewriting a byte of the slot after it also makes the verifier forget
 * the value, but a load spanning two stores waits for both to reach the
 * cache: that cost 1-2 ns per packet on small tables and 20-30% at -O0.)
 *
 * R1 and R5 are scratch and take the sum; other registers are copied to R5.
 */
static void store(struct parse *p, enum sl_field f, unsigned w, uint8_t reg)
{
	if (!p->cg->slot[f])
		return;
	p->written |= 1ull << f;
	if (reg != SL_R1 && reg != SL_R5) {
		emit(p, SL_MOV64_REG(SL_R5, reg));
		reg = SL_R5;
	}
	emit(p, SL_ALU64_REG(BPF_ADD, reg, SL_R0));
	emit(p, SL_STX(BPF_DW, SL_FP, reg, sl_cg_slot(p->cg, f, w)));
}

/* dst = the big-endian number of `size` bytes at base + off. */
static void load_be(struct parse *p, uint8_t dst, uint8_t base, int16_t off, unsigned size)
{
	static const uint8_t sizes[] = {[1] = BPF_B, [2] = BPF_H, [4] = BPF_W};

	emit(p, SL_LDX(sizes[size], dst, base, off));
	if (size > 1)
		emit(p, SL_BE(dst, size * 8));
}

/* Go to `fail` unless `len` bytes from `base` are in the packet. */
static void check(struct parse *p, uint8_t base, int32_t len, sl_label fail)
{
	emit(p, SL_MOV64_REG(SL_R1, base));
	emit(p, SL_ALU64_IMM(BPF_ADD, SL_R1, len));
	sl_emit_jmp_reg(p->e, BPF_JGT, SL_R1, SL_R8, fail);
}

/* The big-endian field at base + off into the slots of a and b (a == b: one), if used. */
static void load_pair(struct parse *p, uint8_t base, int16_t off, unsigned size, enum sl_field a,
		      enum sl_field b)
{
	if (!p->cg->slot[a] && !p->cg->slot[b])
		return;
	load_be(p, SL_R1, base, off, size);
	store(p, a, 0, SL_R1);
	if (b != a)
		store(p, b, 0, SL_R1);
}

/* An L4 header as both parses read it: its length and its fields. */
struct l4_header {
	int32_t proto, len;
	uint64_t fields; /* all of them: the header is read when the table uses any */
	unsigned n;
	struct {
		int16_t off;
		uint8_t size;
		enum sl_field a, b; /* load_pair()'s two slots */
	} f[3];
};

static const struct l4_header tcp_header = {SL_IPPROTO_TCP,
					    20,
					    TCP_FIELDS,
					    3,
					    {{0, 2, SL_FIELD_TCP_SPORT, SL_FIELD_TH_SPORT},
					     {2, 2, SL_FIELD_TCP_DPORT, SL_FIELD_TH_DPORT},
					     {13, 1, SL_FIELD_TCP_FLAGS, SL_FIELD_TCP_FLAGS}}};
static const struct l4_header udp_header = {
    SL_IPPROTO_UDP,
    8,
    UDP_FIELDS,
    2,
    {{0, 2, SL_FIELD_UDP_SPORT, SL_FIELD_TH_SPORT}, {2, 2, SL_FIELD_UDP_DPORT, SL_FIELD_TH_DPORT}}};
static const struct l4_header icmp_header = {SL_IPPROTO_ICMP,
					     4,
					     ICMP_FIELDS,
					     2,
					     {{0, 1, SL_FIELD_ICMP_TYPE, SL_FIELD_ICMP_TYPE},
					      {1, 1, SL_FIELD_ICMP_CODE, SL_FIELD_ICMP_CODE}}};
static const struct l4_header icmp6_header = {SL_IPPROTO_ICMPV6,
					      4,
					      ICMP6_FIELDS,
					      2,
					      {{0, 1, SL_FIELD_ICMP6_TYPE, SL_FIELD_ICMP6_TYPE},
					       {1, 1, SL_FIELD_ICMP6_CODE, SL_FIELD_ICMP6_CODE}}};

/* The header's fields at base + off; the caller checked its length. */
static void load_l4(struct parse *p, uint8_t base, int16_t off, const struct l4_header *h)
{
	for (unsigned i = 0; i < h->n; i++)
		load_pair(p, base, (int16_t)(off + h->f[i].off), h->f[i].size, h->f[i].a,
			  h->f[i].b);
}

static void alloc_slots(struct sl_cg *cg, uint64_t need)
{
	/* ct's area, then limits' and logs' stack above the fields: walks take what is below */
	int off = SL_CG_KEY_OFF - 8 - (cg->ct ? SL_CG_CT_AREA : 0) - sl_cg_limit_slots(cg);

	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		if (!(need & (1ull << f)))
			continue;
		cg->slot[f] = (int16_t)off;
		off -= 8 * (int)sl_cg_words(f);
	}
}

/* SL_CG_ABSENT into the slots of `fields`, through `reg` (R1 or R5). */
static void store_absent(struct parse *p, uint64_t fields, uint8_t reg)
{
	if (!(fields & p->need))
		return;
	emit(p, SL_MOV64_IMM(reg, 1));
	emit(p, SL_ALU64_IMM(BPF_LSH, reg, 55)); /* SL_CG_ABSENT */
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		for (unsigned w = 0; (fields & (1ull << f)) && p->cg->slot[f] && w < sl_cg_words(f);
		     w++)
			store(p, f, w, reg);
	}
}

/* The general parse starts here: every packet field absent until parsed. */
static void start_slow_parse(struct parse *p)
{
	sl_emit_bind(p->e, p->slow);
	store_absent(p, p->need & ~META_FIELDS, SL_R1);
}

static void emit_meta(struct parse *p)
{
	bool xdp = p->cg->hook == SL_HOOK_XDP;
	bool tc = p->cg->hook == SL_HOOK_TC_INGRESS || p->cg->hook == SL_HOOK_TC_EGRESS;

	if (p->cg->slot[SL_FIELD_META_LENGTH]) {
		if (xdp) {
			/* data_end - data: pointer subtraction, allowed to privileged loaders. */
			emit(p, SL_LDX(BPF_W, SL_R1, SL_R6, offsetof(struct xdp_md, data_end)));
			emit(p, SL_LDX(BPF_W, SL_R2, SL_R6, offsetof(struct xdp_md, data)));
			emit(p, SL_ALU64_REG(BPF_SUB, SL_R1, SL_R2));
		} else {
			emit(p, SL_LDX(BPF_W, SL_R1, SL_R6, offsetof(struct __sk_buff, len)));
		}
		if (tc) {
			/*
			 * The frame on the wire: a tag the kernel moved into skb
			 * metadata still counts its 4 bytes (vlan_present is 0 or 1).
			 */
			emit(p,
			     SL_LDX(BPF_W, SL_R2, SL_R6, offsetof(struct __sk_buff, vlan_present)));
			emit(p, SL_ALU64_IMM(BPF_LSH, SL_R2, 2));
			emit(p, SL_ALU64_REG(BPF_ADD, SL_R1, SL_R2));
		}
		store(p, SL_FIELD_META_LENGTH, 0, SL_R1);
	}
	if (p->cg->slot[SL_FIELD_META_IFINDEX]) {
		emit(p, SL_LDX(BPF_W, SL_R1, SL_R6,
			       xdp ? offsetof(struct xdp_md, ingress_ifindex)
				   : offsetof(struct __sk_buff, ifindex)));
		store(p, SL_FIELD_META_IFINDEX, 0, SL_R1);
	}
	if (p->cg->slot[SL_FIELD_META_IFNAME]) {
		emit(p, SL_LDX(BPF_W, SL_R1, SL_R6,
			       xdp ? offsetof(struct xdp_md, ingress_ifindex)
				   : offsetof(struct __sk_buff, ifindex)));
		sl_cg_iface_slot(p->cg, SL_R1, SL_R2);
		store(p, SL_FIELD_META_IFNAME, 0, SL_R2);
	}
}

static void load_packet_pointers(struct parse *p)
{
	if (p->cg->hook == SL_HOOK_XDP) {
		emit(p, SL_LDX(BPF_W, SL_R7, SL_R6, offsetof(struct xdp_md, data)));
		emit(p, SL_LDX(BPF_W, SL_R8, SL_R6, offsetof(struct xdp_md, data_end)));
	} else {
		emit(p, SL_LDX(BPF_W, SL_R7, SL_R6, offsetof(struct __sk_buff, data)));
		emit(p, SL_LDX(BPF_W, SL_R8, SL_R6, offsetof(struct __sk_buff, data_end)));
	}
}

static void store_mac(struct parse *p, enum sl_field f, int16_t off)
{
	if (!p->cg->slot[f])
		return;
	load_be(p, SL_R1, SL_R7, off, 4);
	emit(p, SL_ALU64_IMM(BPF_LSH, SL_R1, 16));
	load_be(p, SL_R5, SL_R7, off + 4, 2);
	emit(p, SL_ALU64_REG(BPF_OR, SL_R1, SL_R5));
	store(p, f, 0, SL_R1);
}

/* One in-packet VLAN tag, if R3 announces one; the first sets vlan id. */
static void emit_vlan_tag(struct parse *p, bool outer, sl_label l3)
{
	sl_label is_tag = sl_emit_new_label(p->e);

	sl_emit_jmp_imm(p->e, BPF_JEQ, SL_R3, SL_ETH_P_8021Q, is_tag);
	sl_emit_jmp_imm(p->e, BPF_JNE, SL_R3, SL_ETH_P_8021AD, l3);
	sl_emit_bind(p->e, is_tag);
	check(p, SL_R9, 4, p->done);
	if (outer && p->cg->slot[SL_FIELD_VLAN_ID]) {
		load_be(p, SL_R1, SL_R9, 0, 2);
		emit(p, SL_ALU64_IMM(BPF_AND, SL_R1, 0xfff));
		store(p, SL_FIELD_VLAN_ID, 0, SL_R1);
	}
	load_be(p, SL_R3, SL_R9, 2, 2);
	emit(p, SL_ALU64_IMM(BPF_ADD, SL_R9, 4));
}

/* Ethernet and up to two tags; leaves R3 = protocol, R9 = L3 header. */
static void emit_l2(struct parse *p)
{
	sl_label tag[SL_MAX_VLAN_TAGS], l3 = sl_emit_new_label(p->e);

	for (unsigned t = 0; t < SL_MAX_VLAN_TAGS; t++)
		tag[t] = sl_emit_new_label(p->e);
	check(p, SL_R7, 14, p->done);
	store_mac(p, SL_FIELD_ETHER_DADDR, 0);
	store_mac(p, SL_FIELD_ETHER_SADDR, 6);
	load_be(p, SL_R3, SL_R7, 12, 2);
	emit(p, SL_MOV64_REG(SL_R9, SL_R7));
	emit(p, SL_ALU64_IMM(BPF_ADD, SL_R9, 14));
	if (p->cg->hook == SL_HOOK_TC_INGRESS || p->cg->hook == SL_HOOK_TC_EGRESS) {
		/* The kernel took the outer tag out of the packet: it is the outer tag. */
		emit(p, SL_LDX(BPF_W, SL_R1, SL_R6, offsetof(struct __sk_buff, vlan_present)));
		sl_emit_jmp_imm(p->e, BPF_JEQ, SL_R1, 0, tag[0]);
		if (p->cg->slot[SL_FIELD_VLAN_ID]) {
			emit(p, SL_LDX(BPF_W, SL_R1, SL_R6, offsetof(struct __sk_buff, vlan_tci)));
			emit(p, SL_ALU64_IMM(BPF_AND, SL_R1, 0xfff));
			store(p, SL_FIELD_VLAN_ID, 0, SL_R1);
		}
		sl_emit_ja(p->e, tag[1]);
	}
	for (unsigned t = 0; t < SL_MAX_VLAN_TAGS; t++) {
		sl_emit_bind(p->e, tag[t]);
		emit_vlan_tag(p, t == 0, l3);
	}
	sl_emit_bind(p->e, l3);
	store(p, SL_FIELD_META_PROTOCOL, 0, SL_R3);
	store(p, SL_FIELD_ETHER_TYPE, 0, SL_R3);
}

/* TCP, UDP, ICMP or ICMPv6 header at R9 for upper-layer protocol R3. */
static void emit_l4(struct parse *p, bool ip6)
{
	const struct l4_header *h[] = {&tcp_header, &udp_header,
				       ip6 ? &icmp6_header : &icmp_header};
	sl_label at[SL_ARRAY_SIZE(h)];

	for (unsigned k = 0; k < SL_ARRAY_SIZE(h); k++) {
		at[k] = sl_emit_new_label(p->e);
		if (needs(p, h[k]->fields))
			sl_emit_jmp_imm(p->e, BPF_JEQ, SL_R3, h[k]->proto, at[k]);
	}
	sl_emit_ja(p->e, p->done);
	for (unsigned k = 0; k < SL_ARRAY_SIZE(h); k++) {
		sl_emit_bind(p->e, at[k]);
		if (!needs(p, h[k]->fields))
			continue;
		check(p, SL_R9, h[k]->len, p->done);
		load_l4(p, SL_R9, 0, h[k]);
		if (p->cg->ct && h[k] != &tcp_header && h[k] != &udp_header) {
			/* The tracker reads ICMP identifiers and quoted headers: where L4 is. */
			emit(p, SL_MOV64_REG(SL_R1, SL_R9));
			emit(p, SL_ALU64_REG(BPF_SUB, SL_R1, SL_R7));
			emit(p, SL_STX(BPF_DW, SL_FP, SL_R1, SL_CG_CT_L4));
		}
		sl_emit_ja(p->e, p->done);
	}
}

static void emit_ip4(struct parse *p)
{
	bool l4 = needs(p, TCP_FIELDS | UDP_FIELDS | ICMP_FIELDS);
	sl_label later = sl_emit_new_label(p->e);

	check(p, SL_R9, 20, p->done);
	load_be(p, SL_R2, SL_R9, 0, 1);
	emit(p, SL_MOV64_REG(SL_R1, SL_R2));
	emit(p, SL_ALU64_IMM(BPF_RSH, SL_R1, 4));
	sl_emit_jmp_imm(p->e, BPF_JNE, SL_R1, 4, p->done);
	emit(p, SL_ALU64_IMM(BPF_AND, SL_R2, 0xf));
	emit(p, SL_ALU64_IMM(BPF_LSH, SL_R2, 2));
	sl_emit_jmp_imm(p->e, BPF_JLT, SL_R2, 20, p->done);
	/* All IHL * 4 bytes, options included, must be there. */
	emit(p, SL_MOV64_REG(SL_R1, SL_R9));
	emit(p, SL_ALU64_REG(BPF_ADD, SL_R1, SL_R2));
	sl_emit_jmp_reg(p->e, BPF_JGT, SL_R1, SL_R8, p->done);

	if (needs(p, F(IP_SADDR))) {
		load_be(p, SL_R1, SL_R9, 12, 4);
		store(p, SL_FIELD_IP_SADDR, 0, SL_R1);
	}
	if (needs(p, F(IP_DADDR))) {
		load_be(p, SL_R1, SL_R9, 16, 4);
		store(p, SL_FIELD_IP_DADDR, 0, SL_R1);
	}
	if (needs(p, F(IP_TTL))) {
		load_be(p, SL_R1, SL_R9, 8, 1);
		store(p, SL_FIELD_IP_TTL, 0, SL_R1);
	}
	if (needs(p, F(IP_LENGTH))) {
		load_be(p, SL_R1, SL_R9, 2, 2);
		store(p, SL_FIELD_IP_LENGTH, 0, SL_R1);
	}
	if (needs(p, F(IP_DSCP))) {
		load_be(p, SL_R1, SL_R9, 1, 1);
		emit(p, SL_ALU64_IMM(BPF_RSH, SL_R1, 2));
		store(p, SL_FIELD_IP_DSCP, 0, SL_R1);
	}
	load_be(p, SL_R3, SL_R9, 9, 1);
	store(p, SL_FIELD_IP_PROTOCOL, 0, SL_R3);
	store(p, SL_FIELD_META_L4PROTO, 0, SL_R3);
	if (!needs(p, F(IP_FRAG)) && !l4) {
		sl_emit_ja(p->e, p->done);
		return;
	}
	load_be(p, SL_R1, SL_R9, 6, 2);
	emit(p, SL_MOV64_REG(SL_R4, SL_R1));
	emit(p, SL_ALU64_IMM(BPF_AND, SL_R4, 0x1fff));
	sl_emit_jmp_imm(p->e, BPF_JNE, SL_R4, 0, later);
	/* Offset 0: MF (bit 13) set is a first fragment (1), else none (0). */
	emit(p, SL_ALU64_IMM(BPF_RSH, SL_R1, 13));
	emit(p, SL_ALU64_IMM(BPF_AND, SL_R1, 1));
	store(p, SL_FIELD_IP_FRAG, 0, SL_R1);
	if (l4) {
		emit(p, SL_ALU64_REG(BPF_ADD, SL_R9, SL_R2));
		emit_l4(p, false);
	} else {
		sl_emit_ja(p->e, p->done);
	}
	sl_emit_bind(p->e, later);
	emit(p, SL_MOV64_IMM(SL_R1, SL_FRAG_LATER));
	store(p, SL_FIELD_IP_FRAG, 0, SL_R1);
	sl_emit_ja(p->e, p->done);
}

static const int32_t ext_headers[] = {0, 43, 60, 44};

/* One step of the extension header walk: R3 next header, R9 where it starts. */
/* R4 = (byte 1 of the extension header at R9 + bias) << shift: its length. */
static void emit_ext_len(struct parse *p, int32_t bias, int32_t shift, sl_label advance)
{
	check(p, SL_R9, 8, p->done);
	load_be(p, SL_R4, SL_R9, 1, 1);
	emit(p, SL_ALU64_IMM(BPF_ADD, SL_R4, bias));
	emit(p, SL_ALU64_IMM(BPF_LSH, SL_R4, shift));
	sl_emit_ja(p->e, advance);
}

static void emit_ip6_ext_step(struct parse *p, sl_label upper, sl_label later_frag)
{
	struct sl_emit *e = p->e;
	sl_label plain = sl_emit_new_label(e);
	sl_label frag = sl_emit_new_label(e), advance = sl_emit_new_label(e);

	sl_emit_jmp_imm(e, BPF_JEQ, SL_R3, 0, plain);
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R3, 43, plain);
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R3, 60, plain);
	sl_emit_jmp_imm(e, BPF_JEQ, SL_R3, 44, frag);
	sl_emit_ja(e, upper); /* AH (51) too: it is the upper layer, as on IPv4 */

	/* Hop-by-hop, routing, destination options: (len + 1) * 8 bytes. */
	sl_emit_bind(e, plain);
	emit_ext_len(p, 1, 3, advance);

	/* Fragment: 8 bytes; a non-zero offset ends the walk without L4 header. */
	sl_emit_bind(e, frag);
	check(p, SL_R9, 8, p->done);
	load_be(p, SL_R1, SL_R9, 2, 2);
	if (needs(p, F(IP6_FRAG))) {
		/* R2 (ip6 frag so far) |= M: `first` once a fragment header has it. */
		emit(p, SL_MOV64_REG(SL_R5, SL_R1));
		emit(p, SL_ALU64_IMM(BPF_AND, SL_R5, 1));
		emit(p, SL_ALU64_REG(BPF_OR, SL_R2, SL_R5));
	}
	emit(p, SL_ALU64_IMM(BPF_AND, SL_R1, 0xfff8));
	load_be(p, SL_R3, SL_R9, 0, 1);
	sl_emit_jmp_imm(e, BPF_JNE, SL_R1, 0, later_frag);
	emit(p, SL_MOV64_IMM(SL_R4, 8));

	/* Stepped over only when all its bytes are there. */
	sl_emit_bind(e, advance);
	load_be(p, SL_R3, SL_R9, 0, 1);
	emit(p, SL_MOV64_REG(SL_R1, SL_R9));
	emit(p, SL_ALU64_REG(BPF_ADD, SL_R1, SL_R4));
	sl_emit_jmp_reg(e, BPF_JGT, SL_R1, SL_R8, p->done);
	emit(p, SL_MOV64_REG(SL_R9, SL_R1));
}

static void emit_ip6(struct parse *p)
{
	struct sl_emit *e = p->e;
	bool l4 = needs(p, TCP_FIELDS | UDP_FIELDS | ICMP6_FIELDS);
	sl_label upper = sl_emit_new_label(e), later_frag = sl_emit_new_label(e);

	check(p, SL_R9, 40, p->done);
	load_be(p, SL_R1, SL_R9, 0, 1);
	emit(p, SL_ALU64_IMM(BPF_RSH, SL_R1, 4));
	sl_emit_jmp_imm(e, BPF_JNE, SL_R1, 6, p->done);
	for (unsigned w = 0; w < 4; w++) {
		if (needs_word(p, SL_FIELD_IP6_SADDR, w)) {
			load_be(p, SL_R1, SL_R9, 8 + 4 * w, 4);
			store(p, SL_FIELD_IP6_SADDR, w, SL_R1);
		}
		if (needs_word(p, SL_FIELD_IP6_DADDR, w)) {
			load_be(p, SL_R1, SL_R9, 24 + 4 * w, 4);
			store(p, SL_FIELD_IP6_DADDR, w, SL_R1);
		}
	}
	if (needs(p, F(IP6_HOPLIMIT))) {
		load_be(p, SL_R1, SL_R9, 7, 1);
		store(p, SL_FIELD_IP6_HOPLIMIT, 0, SL_R1);
	}
	load_be(p, SL_R3, SL_R9, 6, 1);
	store(p, SL_FIELD_IP6_NEXTHDR, 0, SL_R3);
	if (!l4 && !needs(p, F(META_L4PROTO) | F(IP6_FRAG))) {
		sl_emit_ja(e, p->done);
		return;
	}
	if (needs(p, F(IP6_FRAG)))
		emit(p, SL_MOV64_IMM(SL_R2, SL_FRAG_NONE)); /* R2: the fragment state so far */
	emit(p, SL_ALU64_IMM(BPF_ADD, SL_R9, 40));
	for (unsigned i = 0; i < SL_IP6_MAX_EXT_HEADERS; i++)
		emit_ip6_ext_step(p, upper, later_frag);
	/* Still an extension header after the bound: the protocol is unknown. */
	for (unsigned i = 0; i < SL_ARRAY_SIZE(ext_headers); i++)
		sl_emit_jmp_imm(e, BPF_JEQ, SL_R3, ext_headers[i], p->done);

	sl_emit_bind(e, upper);
	store(p, SL_FIELD_META_L4PROTO, 0, SL_R3);
	store(p, SL_FIELD_IP6_FRAG, 0, SL_R2);
	if (l4)
		emit_l4(p, true);
	else
		sl_emit_ja(e, p->done);

	sl_emit_bind(e, later_frag);
	store(p, SL_FIELD_META_L4PROTO, 0, SL_R3);
	if (needs(p, F(IP6_FRAG))) {
		emit(p, SL_MOV64_IMM(SL_R1, SL_FRAG_LATER));
		store(p, SL_FIELD_IP6_FRAG, 0, SL_R1);
	}
	sl_emit_ja(e, p->done);
}

static void emit_l3(struct parse *p, bool ip4, bool ip6)
{
	sl_label l_ip4 = sl_emit_new_label(p->e), l_ip6 = sl_emit_new_label(p->e);

	if (ip4)
		sl_emit_jmp_imm(p->e, BPF_JEQ, SL_R3, SL_ETH_P_IP, l_ip4);
	if (ip6)
		sl_emit_jmp_imm(p->e, BPF_JEQ, SL_R3, SL_ETH_P_IPV6, l_ip6);
	sl_emit_ja(p->e, p->done);
	sl_emit_bind(p->e, l_ip4);
	if (ip4)
		emit_ip4(p);
	sl_emit_bind(p->e, l_ip6);
	if (ip6)
		emit_ip6(p);
}

/*
 * The fast path, for the common packet: untagged Ethernet (or cgroup_skb's
 * bare IP header), IPv4 without options and not a later fragment or IPv6
 * without extension headers, and a whole TCP, UDP or ICMP (ICMPv6) header or
 * another protocol. It reads only what the table
 * uses, with one bounds check for Ethernet and IP and one for L4, from
 * fixed offsets off R7. Anything else goes to the general parse (p->slow),
 * which starts from scratch. Every exit stores SL_CG_ABSENT into the slots
 * its path did not write: the fast path's paths never merge, so each knows.
 */
static void fast_exit(struct parse *p)
{
	store_absent(p, p->need & ~p->written, SL_R5);
	sl_emit_ja(p->e, p->done);
}

/* dst = the little-endian load the big-endian 16-bit `value` reads as. */
static int32_t raw16(uint16_t value)
{
	return (int32_t)((value >> 8) | (value & 0xff) << 8);
}

/* The L4 header at R7 + off; R3 = IP protocol (next header for IPv6). */
static void fast_l4(struct parse *p, int16_t off, bool ip6)
{
	const struct l4_header *const h[] = {&tcp_header, &udp_header,
					     ip6 ? &icmp6_header : &icmp_header};
	uint64_t at_l3 = p->written;

	for (unsigned k = 0; k < SL_ARRAY_SIZE(h); k++) {
		sl_label next;

		if (!needs(p, h[k]->fields))
			continue;
		next = sl_emit_new_label(p->e);
		sl_emit_jmp_imm(p->e, BPF_JNE, SL_R3, h[k]->proto, next);
		check(p, SL_R7, off + h[k]->len, p->slow);
		load_l4(p, SL_R7, off, h[k]);
		if (p->cg->ct && h[k] != &tcp_header && h[k] != &udp_header)
			emit(p, SL_ST(BPF_DW, SL_FP, SL_CG_CT_L4, off));
		fast_exit(p);
		sl_emit_bind(p->e, next);
		p->written = at_l3;
	}
	fast_exit(p); /* another protocol: no L4 field */
}

/* IPv4 at R7 + ip; the caller checked that its 20 bytes are in the packet. */
static void fast_ip4(struct parse *p, int16_t ip)
{
	bool l4 = needs(p, TCP_FIELDS | UDP_FIELDS | ICMP_FIELDS);

	/* Version 4, IHL 5: no options. */
	emit(p, SL_LDX(BPF_B, SL_R1, SL_R7, ip));
	sl_emit_jmp_imm(p->e, BPF_JNE, SL_R1, 0x45, p->slow);
	load_pair(p, SL_R7, ip + 12, 4, SL_FIELD_IP_SADDR, SL_FIELD_IP_SADDR);
	load_pair(p, SL_R7, ip + 16, 4, SL_FIELD_IP_DADDR, SL_FIELD_IP_DADDR);
	load_pair(p, SL_R7, ip + 8, 1, SL_FIELD_IP_TTL, SL_FIELD_IP_TTL);
	load_pair(p, SL_R7, ip + 2, 2, SL_FIELD_IP_LENGTH, SL_FIELD_IP_LENGTH);
	if (needs(p, F(IP_DSCP))) {
		load_be(p, SL_R1, SL_R7, ip + 1, 1);
		emit(p, SL_ALU64_IMM(BPF_RSH, SL_R1, 2));
		store(p, SL_FIELD_IP_DSCP, 0, SL_R1);
	}
	if (l4 || needs(p, F(IP_PROTOCOL) | F(META_L4PROTO))) {
		load_be(p, SL_R3, SL_R7, ip + 9, 1);
		store(p, SL_FIELD_IP_PROTOCOL, 0, SL_R3);
		store(p, SL_FIELD_META_L4PROTO, 0, SL_R3);
	}
	if (l4 || needs(p, F(IP_FRAG))) {
		/* Flags and offset as loaded (little-endian): a later fragment is rare. */
		uint8_t off = needs(p, F(IP_FRAG)) ? SL_R4 : SL_R1;

		emit(p, SL_LDX(BPF_H, SL_R1, SL_R7, ip + 6));
		if (off != SL_R1)
			emit(p, SL_MOV64_REG(off, SL_R1));
		emit(p, SL_ALU64_IMM(BPF_AND, off, raw16(0x1fff)));
		sl_emit_jmp_imm(p->e, BPF_JNE, off, 0, p->slow);
		if (needs(p, F(IP_FRAG))) {
			/* MF is bit 5 of the first byte: a first fragment (1), else none (0). */
			emit(p, SL_ALU64_IMM(BPF_RSH, SL_R1, 5));
			emit(p, SL_ALU64_IMM(BPF_AND, SL_R1, 1));
			store(p, SL_FIELD_IP_FRAG, 0, SL_R1);
		}
	}
	if (l4)
		fast_l4(p, ip + 20, false);
	else
		fast_exit(p);
}

/*
 * IPv6 at R7 + ip whose next header is not an extension header (the general
 * parse walks those); the caller checked that its 40 bytes are in the packet.
 */
static void fast_ip6(struct parse *p, int16_t ip)
{
	bool l4 = needs(p, TCP_FIELDS | UDP_FIELDS | ICMP6_FIELDS);

	emit(p, SL_LDX(BPF_B, SL_R1, SL_R7, ip));
	emit(p, SL_ALU64_IMM(BPF_RSH, SL_R1, 4));
	sl_emit_jmp_imm(p->e, BPF_JNE, SL_R1, 6, p->slow);
	emit(p, SL_LDX(BPF_B, SL_R3, SL_R7, ip + 6));
	for (unsigned i = 0; i < SL_ARRAY_SIZE(ext_headers); i++)
		sl_emit_jmp_imm(p->e, BPF_JEQ, SL_R3, ext_headers[i], p->slow);
	for (unsigned w = 0; w < 4; w++) {
		if (needs_word(p, SL_FIELD_IP6_SADDR, w)) {
			load_be(p, SL_R1, SL_R7, (int16_t)(ip + 8 + 4 * w), 4);
			store(p, SL_FIELD_IP6_SADDR, w, SL_R1);
		}
		if (needs_word(p, SL_FIELD_IP6_DADDR, w)) {
			load_be(p, SL_R1, SL_R7, (int16_t)(ip + 24 + 4 * w), 4);
			store(p, SL_FIELD_IP6_DADDR, w, SL_R1);
		}
	}
	load_pair(p, SL_R7, ip + 7, 1, SL_FIELD_IP6_HOPLIMIT, SL_FIELD_IP6_HOPLIMIT);
	store(p, SL_FIELD_IP6_NEXTHDR, 0, SL_R3);
	store(p, SL_FIELD_META_L4PROTO, 0, SL_R3);
	if (needs(p, F(IP6_FRAG))) {
		/* No extension header: not a fragment. */
		emit(p, SL_MOV64_IMM(SL_R1, SL_FRAG_NONE));
		store(p, SL_FIELD_IP6_FRAG, 0, SL_R1);
	}
	if (l4)
		fast_l4(p, ip + 40, true);
	else
		fast_exit(p);
}

/* What the fast path knows once the EtherType (or skb->protocol) is `proto`. */
static void fast_l2_fields(struct parse *p, bool ethernet, int32_t proto)
{
	if (ethernet) {
		store_mac(p, SL_FIELD_ETHER_DADDR, 0);
		store_mac(p, SL_FIELD_ETHER_SADDR, 6);
	}
	if (needs(p, F(META_PROTOCOL) | F(ETHER_TYPE))) {
		emit(p, SL_MOV64_IMM(SL_R1, proto));
		store(p, SL_FIELD_META_PROTOCOL, 0, SL_R1);
		if (ethernet)
			store(p, SL_FIELD_ETHER_TYPE, 0, SL_R1);
	}
}

/*
 * R3 holds the L3 protocol as loaded (raw16), the packet pointers are loaded
 * and `checked` bytes from R7 known present: IPv4 or IPv6 at R7 + l3, after
 * an Ethernet header when l3 > 0 (else cgroup_skb's bare IP header).
 */
static void fast_ip(struct parse *p, bool ip4, bool ip6, int16_t l3, int32_t checked)
{
	sl_label l_ip6 = sl_emit_new_label(p->e);
	uint64_t at_l2 = p->written;

	if (ip6)
		sl_emit_jmp_imm(p->e, BPF_JEQ, SL_R3, raw16(SL_ETH_P_IPV6), l_ip6);
	if (ip4) {
		sl_emit_jmp_imm(p->e, BPF_JNE, SL_R3, raw16(SL_ETH_P_IP), p->slow);
		if (checked < l3 + 20)
			check(p, SL_R7, l3 + 20, p->slow);
		fast_l2_fields(p, l3 > 0, SL_ETH_P_IP);
		fast_ip4(p, l3);
	} else {
		sl_emit_ja(p->e, p->slow);
	}
	sl_emit_bind(p->e, l_ip6);
	if (!ip6)
		return;
	p->written = at_l2;
	check(p, SL_R7, l3 + 40, p->slow);
	fast_l2_fields(p, l3 > 0, SL_ETH_P_IPV6);
	fast_ip6(p, l3);
}

/* Ethernet without VLAN tag carrying IPv4 or IPv6 (XDP, TC). */
static void fast_l2(struct parse *p, bool ip4, bool ip6)
{
	bool tc = p->cg->hook == SL_HOOK_TC_INGRESS || p->cg->hook == SL_HOOK_TC_EGRESS;

	/* Ethernet and the shorter IP header in one check. */
	check(p, SL_R7, 14 + 20, p->slow);
	if (tc && needs(p, F(VLAN_ID))) {
		/* The outer tag in skb metadata is `vlan id`: the general parse has it. */
		emit(p, SL_LDX(BPF_W, SL_R1, SL_R6, offsetof(struct __sk_buff, vlan_present)));
		sl_emit_jmp_imm(p->e, BPF_JNE, SL_R1, 0, p->slow);
	}
	emit(p, SL_LDX(BPF_H, SL_R3, SL_R7, 12));
	fast_ip(p, ip4, ip6, 14, 14 + 20);
}

/* cgroup_skb: skb->protocol says IPv4 or IPv6 and the packet starts with its header. */
static void fast_bare_ip(struct parse *p, bool ip4, bool ip6)
{
	emit(p, SL_LDX(BPF_W, SL_R3, SL_R6, offsetof(struct __sk_buff, protocol)));
	load_packet_pointers(p);
	fast_ip(p, ip4, ip6, 0, 0);
}

static uint64_t needed_fields(const struct sl_cg *cg)
{
	uint64_t need = 0;

	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		if (cg->used[f])
			need |= 1ull << f;
	}
	if (cg->counts)
		need |= F(META_LENGTH);
	return need;
}

void sl_cg_parse(struct sl_cg *cg)
{
	struct parse p = {.cg = cg, .e = &cg->e, .need = needed_fields(cg)};
	bool ip4 = needs(&p, IP4_FIELDS | F(META_L4PROTO) | TCP_FIELDS | UDP_FIELDS | ICMP_FIELDS);
	bool ip6 = needs(&p, IP6_FIELDS | F(META_L4PROTO) | TCP_FIELDS | UDP_FIELDS | ICMP6_FIELDS);
	bool l2 = sl_hook_has_l2(cg->hook);

	p.done = sl_emit_new_label(&cg->e);
	p.slow = sl_emit_new_label(&cg->e);
	alloc_slots(cg, p.need);
	emit(&p, SL_MOV64_REG(SL_R6, SL_R1));
	/*
	 * R0 = 0 for store(), as a difference of two pointers, which the
	 * verifier (for privileged loaders) takes to be any 64-bit number.
	 */
	emit(&p, SL_MOV64_REG(SL_R0, SL_FP));
	emit(&p, SL_ALU64_REG(BPF_SUB, SL_R0, SL_FP));
	/* The map key slot is 0 between uses, on every path (state pruning). */
	if (cg->counter_map >= 0 || cg->decision_map >= 0)
		emit(&p, SL_ST(BPF_W, SL_FP, SL_CG_KEY_OFF, 0));
	if (cg->ct)
		emit(&p, SL_ST(BPF_DW, SL_FP, SL_CG_CT_L4, 0));
	emit_meta(&p);
	if (l2 && (ip4 || ip6 || needs(&p, L2_FIELDS))) {
		load_packet_pointers(&p);
		if (ip4 || ip6)
			fast_l2(&p, ip4, ip6);
		start_slow_parse(&p);
		emit_l2(&p);
		emit_l3(&p, ip4, ip6);
	} else if (!l2 && (ip4 || ip6 || needs(&p, F(META_PROTOCOL)))) {
		if (ip4 || ip6)
			fast_bare_ip(&p, ip4, ip6);
		start_slow_parse(&p);
		emit(&p, SL_LDX(BPF_W, SL_R3, SL_R6, offsetof(struct __sk_buff, protocol)));
		emit(&p, SL_BE(SL_R3, 16));
		store(&p, SL_FIELD_META_PROTOCOL, 0, SL_R3);
		if (ip4 || ip6) {
			load_packet_pointers(&p);
			emit(&p, SL_MOV64_REG(SL_R9, SL_R7));
			emit_l3(&p, ip4, ip6);
		}
	} else {
		start_slow_parse(&p);
	}
	sl_emit_bind(&cg->e, p.done);
	if (cg->ctx_off)
		emit(&p, SL_STX(BPF_DW, SL_FP, SL_R6, cg->ctx_off));
	if (cg->ct)
		sl_cg_ct_track(cg);
	/* No packet pointer outlives the parse: the rules' states then compare equal. */
	for (uint8_t r = SL_R6; r <= SL_R9; r++)
		emit(&p, SL_MOV64_IMM(r, 0));
}
