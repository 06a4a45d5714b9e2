// SPDX-License-Identifier: GPL-2.0-only
/*
 * The interpreter's connection tracker: lang-spec/packet-semantics.md §10
 * read literally, over packets in capture order, with the capture's clock.
 * It shares nothing with emit/codegen_ct.c but the flow table's layout
 * (sluice/abi.h), which both follow because the spec names it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/abi.h"
#include "interp/interp.h"
#include "ir/ir.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

struct flow {
	struct sluice_flow_key key;
	struct sluice_flow val;
};

struct sl_interp_ct {
	struct flow *flows;
	size_t n, cap;
};

int sl_interp_ct_new(struct sl_interp_ct **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void sl_interp_ct_free(struct sl_interp_ct *ct)
{
	if (!ct)
		return;
	free(ct->flows);
	free(ct);
}

static struct flow *find(struct sl_interp_ct *ct, const struct sluice_flow_key *k)
{
	for (size_t i = 0; i < ct->n; i++) {
		if (!memcmp(&ct->flows[i].key, k, sizeof(*k)))
			return &ct->flows[i];
	}
	return NULL;
}

static uint64_t timeout_s(const struct flow *f)
{
	uint8_t fl = f->val.flags;

	switch (f->key.proto) {
	case SL_IPPROTO_TCP:
		if (!(fl & SLUICE_FLOW_REPLIED))
			return SLUICE_CT_TCP_OPENING;
		if ((fl & SLUICE_FLOW_FIN_ORIG) && (fl & SLUICE_FLOW_FIN_REPLY))
			return SLUICE_CT_TCP_CLOSING;
		return SLUICE_CT_TCP_EST;
	case SL_IPPROTO_UDP:
		return fl & SLUICE_FLOW_REPLIED ? SLUICE_CT_UDP_REPLIED : SLUICE_CT_UDP;
	default:
		return SLUICE_CT_ICMP;
	}
}

/* The flow of the key, unless absent or idle for longer than its timeout. */
static const struct flow *lookup(struct sl_interp_ct *ct, const struct sluice_flow_key *k,
				 uint64_t now)
{
	const struct flow *f = find(ct, k);

	if (f && (int64_t)(now - f->val.seen_ns) > (int64_t)(timeout_s(f) * 1000000000ull))
		return NULL;
	return f;
}

static uint32_t word(sl_u128 v, unsigned w)
{
	return (uint32_t)(v >> (32 * (3 - w)));
}

/* Addresses into the key, the host's side first (`local`). */
static void put_addrs(struct sluice_flow_key *k, bool v6, sl_u128 src, sl_u128 dst, bool src_local)
{
	sl_u128 l = src_local ? src : dst, r = src_local ? dst : src;

	for (unsigned w = 0; w < 4; w++) {
		k->local[w] = v6 ? word(l, w) : (w ? 0 : (uint32_t)l);
		k->remote[w] = v6 ? word(r, w) : (w ? 0 : (uint32_t)r);
	}
}

static uint32_t be_at(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static sl_u128 be128_at(const uint8_t *p)
{
	sl_u128 v = 0;

	for (size_t i = 0; i < 16; i++)
		v = v << 8 | p[i];
	return v;
}

/* Does the packet go the flow's original way? */
static bool is_orig(const struct flow *f, bool out)
{
	return ((f->val.flags & SLUICE_FLOW_OUT_ORIG) != 0) == out;
}

/* Record the flow's new flags, unless only its time would change, by at most the refresh step. */
static void to_write(struct sl_interp_ct_change *c, const struct flow *old,
		     const struct sluice_flow_key *k, uint8_t flags, uint64_t now)
{
	if (old && old->val.flags == flags &&
	    (int64_t)(now - old->val.seen_ns) <= (int64_t)SLUICE_CT_REFRESH_NS)
		return;
	c->action = SL_INTERP_CT_WRITE;
	c->key = *k;
	c->val = (struct sluice_flow){.seen_ns = now, .flags = flags};
}

static unsigned tcp_state(const struct flow *f, unsigned tf, bool out, uint64_t now,
			  const struct sluice_flow_key *k, struct sl_interp_ct_change *c)
{
	uint8_t fl;
	unsigned state;

	if (!f) {
		if ((tf & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) != TCP_SYN)
			return SL_CT_INVALID; /* only a SYN opens a connection */
		to_write(c, NULL, k, out ? SLUICE_FLOW_OUT_ORIG : 0, now);
		return SL_CT_NEW;
	}
	fl = f->val.flags;
	if (is_orig(f, out)) {
		state = fl & SLUICE_FLOW_REPLIED ? SL_CT_ESTABLISHED : SL_CT_NEW;
		if (tf & TCP_FIN)
			fl |= SLUICE_FLOW_FIN_ORIG;
	} else {
		if (!(fl & SLUICE_FLOW_REPLIED)) {
			if (tf & TCP_RST) {
				c->action = SL_INTERP_CT_DELETE; /* refused */
				c->key = *k;
				return SL_CT_ESTABLISHED;
			}
			if ((tf & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK))
				return SL_CT_INVALID;
			fl |= SLUICE_FLOW_REPLIED;
		}
		state = SL_CT_ESTABLISHED;
		if (tf & TCP_FIN)
			fl |= SLUICE_FLOW_FIN_REPLY;
	}
	if (tf & TCP_RST) {
		c->action = SL_INTERP_CT_DELETE;
		c->key = *k;
		return state;
	}
	to_write(c, f, k, fl, now);
	return state;
}

static unsigned udp_state(const struct flow *f, bool out, uint64_t now,
			  const struct sluice_flow_key *k, struct sl_interp_ct_change *c)
{
	if (!f) {
		to_write(c, NULL, k, out ? SLUICE_FLOW_OUT_ORIG : 0, now);
		return SL_CT_NEW;
	}
	if (is_orig(f, out)) {
		to_write(c, f, k, f->val.flags, now);
		return f->val.flags & SLUICE_FLOW_REPLIED ? SL_CT_ESTABLISHED : SL_CT_NEW;
	}
	to_write(c, f, k, f->val.flags | SLUICE_FLOW_REPLIED, now);
	return SL_CT_ESTABLISHED;
}

static bool is_error(unsigned type, bool v6)
{
	return v6 ? type >= 1 && type <= 4 : type == 3 || type == 4 || type == 11 || type == 12;
}

/*
 * An ICMP error at l4 (8 bytes there): the packet it quotes went the other
 * way; related when that packet's flow is tracked, else invalid.
 */
static unsigned error_state(struct sl_interp_ct *ct, const uint8_t *p, size_t len, size_t l4,
			    bool v6, bool out, uint64_t now)
{
	struct sluice_flow_key k = {.family = v6 ? 6 : 4};
	size_t ip = l4 + 8, hl;
	unsigned proto;
	sl_u128 src, dst;

	if (len < ip + (v6 ? 40 : 20))
		return SL_CT_INVALID;
	if (v6) {
		if (p[ip] >> 4 != 6)
			return SL_CT_INVALID;
		src = be128_at(p + ip + 8);
		dst = be128_at(p + ip + 24);
		proto = p[ip + 6];
		hl = 40;
	} else {
		if (p[ip] >> 4 != 4 || (p[ip] & 0xf) < 5)
			return SL_CT_INVALID;
		src = be_at(p + ip + 12, 4);
		dst = be_at(p + ip + 16, 4);
		proto = p[ip + 9];
		hl = (size_t)(p[ip] & 0xf) * 4;
	}
	if (len < ip + hl + 8)
		return SL_CT_INVALID;
	const uint8_t *q = p + ip + hl;
	bool quoted_out = !out; /* the quoted packet's direction */

	put_addrs(&k, v6, src, dst, quoted_out);
	k.proto = (uint8_t)proto;
	if (proto == SL_IPPROTO_TCP || proto == SL_IPPROTO_UDP) {
		k.lport = (uint16_t)be_at(quoted_out ? q : q + 2, 2);
		k.rport = (uint16_t)be_at(quoted_out ? q + 2 : q, 2);
	} else if (proto == (v6 ? SL_IPPROTO_ICMPV6 : SL_IPPROTO_ICMP) &&
		   (v6 ? q[0] == 128 || q[0] == 129 : q[0] == 8 || q[0] == 0)) {
		k.lport = (uint16_t)be_at(q + 4, 2);
	} else {
		return SL_CT_INVALID;
	}
	return lookup(ct, &k, now) ? SL_CT_RELATED : SL_CT_INVALID;
}

static unsigned icmp_state(struct sl_interp_ct *ct, const struct sl_interp_packet *pkt,
			   const struct sl_interp_fields *f, bool v6, bool out, uint64_t now,
			   struct sluice_flow_key *k, struct sl_interp_ct_change *c)
{
	enum sl_field tf = v6 ? SL_FIELD_ICMP6_TYPE : SL_FIELD_ICMP_TYPE;
	unsigned type = (unsigned)f->value[tf];
	unsigned request = v6 ? 128 : 8, reply = v6 ? 129 : 0;
	const struct flow *fl;

	if (!f->present[tf])
		return SL_CT_INVALID;
	if (type != request && type != reply && !is_error(type, v6))
		return SL_CT_UNTRACKED;
	if (pkt->len < f->l4_off + 8)
		return SL_CT_INVALID; /* identifier or quoted packet cut off */
	if (is_error(type, v6))
		return error_state(ct, pkt->data, pkt->len, f->l4_off, v6, out, now);
	k->lport = (uint16_t)be_at(pkt->data + f->l4_off + 4, 2);
	fl = lookup(ct, k, now);
	if (type == reply) {
		if (!fl || is_orig(fl, out))
			return SL_CT_INVALID;
		to_write(c, fl, k, fl->val.flags | SLUICE_FLOW_REPLIED, now);
		return SL_CT_ESTABLISHED;
	}
	if (!fl) {
		to_write(c, NULL, k, out ? SLUICE_FLOW_OUT_ORIG : 0, now);
		return SL_CT_NEW;
	}
	if (!is_orig(fl, out))
		return SL_CT_INVALID;
	to_write(c, fl, k, fl->val.flags, now);
	return fl->val.flags & SLUICE_FLOW_REPLIED ? SL_CT_ESTABLISHED : SL_CT_NEW;
}

unsigned sl_interp_ct_state(struct sl_interp_ct *ct, const struct sl_interp_packet *pkt,
			    const struct sl_interp_fields *f, bool out, uint64_t now,
			    struct sl_interp_ct_change *c)
{
	struct sluice_flow_key k = {0};
	bool v6;
	unsigned l4;

	c->action = SL_INTERP_CT_NONE;
	if (!f->present[SL_FIELD_META_PROTOCOL])
		return SL_CT_UNTRACKED;
	if (f->value[SL_FIELD_META_PROTOCOL] == SL_ETH_P_IP)
		v6 = false;
	else if (f->value[SL_FIELD_META_PROTOCOL] == SL_ETH_P_IPV6)
		v6 = true;
	else
		return SL_CT_UNTRACKED;
	/* Fragments (first or later) and headers the parse could not walk are not tracked. */
	enum sl_field frag = v6 ? SL_FIELD_IP6_FRAG : SL_FIELD_IP_FRAG;
	if (!f->present[frag] || f->value[frag] != SL_FRAG_NONE)
		return SL_CT_UNTRACKED;
	put_addrs(&k, v6, f->value[v6 ? SL_FIELD_IP6_SADDR : SL_FIELD_IP_SADDR],
		  f->value[v6 ? SL_FIELD_IP6_DADDR : SL_FIELD_IP_DADDR], out);
	k.family = v6 ? 6 : 4;
	l4 = (unsigned)f->value[SL_FIELD_META_L4PROTO];
	k.proto = (uint8_t)l4;
	if (l4 == SL_IPPROTO_TCP || l4 == SL_IPPROTO_UDP) {
		if (!f->present[SL_FIELD_TH_SPORT])
			return SL_CT_INVALID;
		k.lport = (uint16_t)f->value[out ? SL_FIELD_TH_SPORT : SL_FIELD_TH_DPORT];
		k.rport = (uint16_t)f->value[out ? SL_FIELD_TH_DPORT : SL_FIELD_TH_SPORT];
		if (l4 == SL_IPPROTO_TCP)
			return tcp_state(lookup(ct, &k, now),
					 (unsigned)f->value[SL_FIELD_TCP_FLAGS], out, now, &k, c);
		return udp_state(lookup(ct, &k, now), out, now, &k, c);
	}
	if (l4 == (v6 ? SL_IPPROTO_ICMPV6 : SL_IPPROTO_ICMP))
		return icmp_state(ct, pkt, f, v6, out, now, &k, c);
	return SL_CT_UNTRACKED;
}

int sl_interp_ct_commit(struct sl_interp_ct *ct, const struct sl_interp_ct_change *c)
{
	struct flow *f;

	if (c->action == SL_INTERP_CT_NONE)
		return 0;
	f = find(ct, &c->key);
	if (c->action == SL_INTERP_CT_DELETE) {
		if (f)
			*f = ct->flows[--ct->n];
		return 0;
	}
	if (!f) {
		if (ct->n == ct->cap) {
			size_t cap = ct->cap ? 2 * ct->cap : 64;
			struct flow *n = realloc(ct->flows, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			ct->flows = n;
			ct->cap = cap;
		}
		f = &ct->flows[ct->n++];
		f->key = c->key;
	}
	f->val = c->val;
	return 0;
}

enum sl_hook sl_interp_ct_companion_hook(enum sl_hook h)
{
	switch (h) {
	case SL_HOOK_TC_EGRESS:
		return SL_HOOK_TC_INGRESS;
	case SL_HOOK_CGROUP_INGRESS:
		return SL_HOOK_CGROUP_EGRESS;
	case SL_HOOK_CGROUP_EGRESS:
		return SL_HOOK_CGROUP_INGRESS;
	default:
		return SL_HOOK_TC_EGRESS;
	}
}

bool sl_interp_ct_hook_out(enum sl_hook h)
{
	return h == SL_HOOK_TC_EGRESS || h == SL_HOOK_CGROUP_EGRESS;
}

static bool chain_tracks(const struct sl_ir *ir, uint32_t c, unsigned depth)
{
	if (c >= ir->nchains || depth > ir->nchains)
		return false;
	for (uint32_t i = 0; i < ir->chains[c].nrules; i++) {
		const struct sl_ir_rule *r = &ir->chains[c].rules[i];

		for (uint32_t k = 0; k < r->npreds; k++)
			if (r->preds[k].field == SL_FIELD_CT_STATE)
				return true;
		if ((r->action == SL_IR_JUMP || r->action == SL_IR_GOTO) &&
		    chain_tracks(ir, r->target, depth + 1))
			return true;
	}
	return false;
}

bool sl_interp_table_tracks(const struct sl_ir *ir, uint32_t table)
{
	return table < ir->ntables && chain_tracks(ir, ir->tables[table].entry, 0);
}
