// SPDX-License-Identifier: GPL-2.0-only
/*
 * Example packets of a region: the bytes of a packet of the region's shape
 * whose fields take values from the region's sets, laid out as
 * lang-spec/packet-semantics.md reads them.
 */
#include <errno.h>
#include <string.h>

#include "analysis/diff_priv.h"

struct build {
	const struct sl_diff_region *r;
	unsigned k;
	struct sl_diff_example *ex;
	size_t off;
};

/*
 * Keys of the region's set lookups get values apart (the field's number
 * added): `ip saddr @s` and `ip daddr @s` with saddr = daddr would be one
 * lookup, and contents could not give them the results the region assumes.
 */
static unsigned key_salt(const struct sl_diff_region *r, enum sl_field f)
{
	for (uint32_t m = r->assumed; m; m &= m - 1)
		for (uint32_t i = 0; i < r->lookups[__builtin_ctz(m)].nfields; i++)
			if (r->lookups[__builtin_ctz(m)].fields[i] == f)
				return (unsigned)f;
	return 0;
}

static sl_u128 pick(struct build *b, enum sl_field f)
{
	const struct sl_iset *s = sl_diff_box_get(&b->r->box, f);
	sl_u128 lo = 0, hi = sl_diff_field_max(f), v;

	if (s) {
		const struct sl_interval *iv = &s->iv[b->k % s->n];
		lo = iv->lo, hi = iv->hi;
		v = lo + (sl_u128)(b->k / s->n) + key_salt(b->r, f);
	} else if (f == SL_FIELD_VLAN_ID) {
		v = SL_DIFF_VLAN_NONE; /* untagged unless the region says otherwise */
	} else {
		v = lo + b->k + key_salt(b->r, f);
	}
	if (v > hi || v < lo)
		v = hi;
	b->ex->has[f] = true;
	b->ex->value[f] = v;
	return v;
}

static void put(struct build *b, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		b->ex->data[b->off + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	b->off += n;
}

static void put128(struct build *b, sl_u128 v)
{
	put(b, (uint64_t)(v >> 64), 8);
	put(b, (uint64_t)v, 8);
}

/* Ethernet and tags; returns the length bounds a truncated frame allows in lo and hi. */
static void build_l2(struct build *b, const struct sl_diff_shape *sh, size_t *lo, size_t *hi)
{
	sl_u128 vlan, proto = 0;

	put(b, (uint64_t)pick(b, SL_FIELD_ETHER_DADDR), 6);
	put(b, (uint64_t)pick(b, SL_FIELD_ETHER_SADDR), 6);
	vlan = pick(b, SL_FIELD_VLAN_ID);
	if (sh->l2 == 2) { /* cut inside the first or the second tag */
		put(b, SL_ETH_P_8021Q, 2);
		if (vlan != SL_DIFF_VLAN_NONE) {
			put(b, (uint64_t)vlan, 2);
			put(b, SL_ETH_P_8021Q, 2);
		} else {
			b->ex->has[SL_FIELD_VLAN_ID] = false;
		}
		*lo = b->off, *hi = b->off + 3;
		return;
	}
	proto = pick(b, SL_FIELD_META_PROTOCOL);
	if (vlan == SL_DIFF_VLAN_NONE) {
		b->ex->has[SL_FIELD_VLAN_ID] = false;
		put(b, (uint64_t)proto, 2);
	} else if (proto == SL_ETH_P_8021Q || proto == SL_ETH_P_8021AD) {
		put(b, SL_ETH_P_8021Q, 2); /* two tags: the type after them is a tag's */
		put(b, (uint64_t)vlan, 2);
		put(b, SL_ETH_P_8021Q, 2);
		put(b, 0, 2);
		put(b, (uint64_t)proto, 2);
	} else {
		put(b, SL_ETH_P_8021Q, 2);
		put(b, (uint64_t)vlan, 2);
		put(b, (uint64_t)proto, 2);
	}
	*lo = b->off, *hi = sizeof(b->ex->data);
}

static const uint16_t frag4[] = {0, 0x2000, 0x0001}, frag6[] = {0, 0x0001, 0x0008};

static void build_ipv6(struct build *b, const struct sl_diff_shape *sh)
{
	sl_u128 l4 = 0, frag = 0, nh;

	put(b, 0x60000000, 4);
	put(b, 0, 2);
	if (sh->ip6_path == 0) {
		nh = l4 = pick(b, SL_FIELD_META_L4PROTO);
		b->ex->has[SL_FIELD_IP6_NEXTHDR] = true;
		b->ex->value[SL_FIELD_IP6_NEXTHDR] = nh;
		pick(b, SL_FIELD_IP6_FRAG);
	} else {
		nh = pick(b, SL_FIELD_IP6_NEXTHDR);
	}
	put(b, (uint64_t)nh, 1);
	put(b, (uint64_t)pick(b, SL_FIELD_IP6_HOPLIMIT), 1);
	put128(b, pick(b, SL_FIELD_IP6_SADDR));
	put128(b, pick(b, SL_FIELD_IP6_DADDR));
	if (sh->ip6_path == 2) { /* six headers, and a seventh announced: the walk gives up */
		for (unsigned i = 0; i < SL_IP6_MAX_EXT_HEADERS; i++) {
			put(b, 60, 1);
			put(b, 0, 7);
		}
		return;
	}
	if (sh->ip6_path == 0)
		return;
	l4 = pick(b, SL_FIELD_META_L4PROTO);
	frag = pick(b, SL_FIELD_IP6_FRAG);
	if (nh != 44) {
		put(b, frag == SL_FRAG_NONE ? (uint64_t)l4 : 44, 1);
		put(b, 0, 7);
	}
	if (nh == 44 || frag != SL_FRAG_NONE) {
		put(b, (uint64_t)l4, 1);
		put(b, 0, 1);
		put(b, frag6[frag], 2);
		put(b, 0, 4);
	}
}

static void build_ipv4(struct build *b)
{
	put(b, 0x45, 1);
	put(b, (uint64_t)pick(b, SL_FIELD_IP_DSCP) << 2, 1);
	put(b, (uint64_t)pick(b, SL_FIELD_IP_LENGTH), 2);
	put(b, 0, 2);
	put(b, frag4[pick(b, SL_FIELD_IP_FRAG)], 2);
	put(b, (uint64_t)pick(b, SL_FIELD_IP_TTL), 1);
	sl_u128 l4 = pick(b, SL_FIELD_META_L4PROTO);
	b->ex->has[SL_FIELD_IP_PROTOCOL] = true;
	b->ex->value[SL_FIELD_IP_PROTOCOL] = l4;
	put(b, (uint64_t)l4, 1);
	put(b, 0, 2);
	put(b, (uint64_t)pick(b, SL_FIELD_IP_SADDR), 4);
	put(b, (uint64_t)pick(b, SL_FIELD_IP_DADDR), 4);
}

/* The L4 header; a cut one bounds the length to less than the header. */
static void build_l4(struct build *b, const struct sl_diff_shape *sh, size_t *hi)
{
	unsigned need = sh->l4 == SL_IPPROTO_TCP ? 20 : sh->l4 == SL_IPPROTO_UDP ? 8 : 4;

	if (sh->l4_cut) {
		*hi = b->off + need - 1;
		return;
	}
	switch (sh->l4) {
	case SL_IPPROTO_TCP:
		put(b, (uint64_t)pick(b, SL_FIELD_TCP_SPORT), 2);
		put(b, (uint64_t)pick(b, SL_FIELD_TCP_DPORT), 2);
		put(b, 0, 8);
		put(b, 0x50, 1);
		put(b, (uint64_t)pick(b, SL_FIELD_TCP_FLAGS), 1);
		put(b, 0, 6);
		break;
	case SL_IPPROTO_UDP:
		put(b, (uint64_t)pick(b, SL_FIELD_UDP_SPORT), 2);
		put(b, (uint64_t)pick(b, SL_FIELD_UDP_DPORT), 2);
		put(b, 0, 4);
		break;
	case SL_IPPROTO_ICMP:
		put(b, (uint64_t)pick(b, SL_FIELD_ICMP_TYPE), 1);
		put(b, (uint64_t)pick(b, SL_FIELD_ICMP_CODE), 1);
		put(b, 0, 2);
		break;
	default:
		put(b, (uint64_t)pick(b, SL_FIELD_ICMP6_TYPE), 1);
		put(b, (uint64_t)pick(b, SL_FIELD_ICMP6_CODE), 1);
		put(b, 0, 2);
		break;
	}
	if (b->ex->has[SL_FIELD_TCP_SPORT] || b->ex->has[SL_FIELD_UDP_SPORT]) {
		enum sl_field sp =
		    sh->l4 == SL_IPPROTO_TCP ? SL_FIELD_TCP_SPORT : SL_FIELD_UDP_SPORT;
		b->ex->has[SL_FIELD_TH_SPORT] = b->ex->has[SL_FIELD_TH_DPORT] = true;
		b->ex->value[SL_FIELD_TH_SPORT] = b->ex->value[sp];
		b->ex->value[SL_FIELD_TH_DPORT] = b->ex->value[sp + 1];
	}
}

int sl_diff_example(const struct sl_diff *d, enum sl_hook hook, const struct sl_diff_region *r,
		    unsigned k, struct sl_diff_example *ex)
{
	const struct sl_diff_shape *sh = &d->shapes[hook][r->shape];
	struct build b = {r, k, ex, 0};
	size_t lo = 0, hi = sizeof(ex->data);

	memset(ex, 0, sizeof(*ex));
	ex->ifindex = (uint32_t)pick(&b, SL_FIELD_META_IFINDEX);
	pick(&b, SL_FIELD_CT_STATE); /* a state the flow table gives the packet: not in its bytes */
	pick(&b, SL_FIELD_META_IFNAME); /* which named interface: the loader's, not the bytes' */
	if (sh->l2 == 1) {
		hi = 13;
	} else if (sh->l2) {
		build_l2(&b, sh, &lo, &hi);
	} else {
		ex->protocol = (uint16_t)pick(&b, SL_FIELD_META_PROTOCOL);
	}
	if (sh->l2 == 3 || sh->l2 == 0) {
		if (sh->l3 == 4 && sh->l3_ok)
			build_ipv4(&b);
		else if (sh->l3 == 6 && sh->l3_ok)
			build_ipv6(&b, sh);
		if (sh->l3_ok && (sh->l4 || sh->l4_cut))
			build_l4(&b, sh, &hi);
		lo = b.off;
	}
	/* meta length: the smallest value of the region the shape allows. */
	const struct sl_iset *ls = sl_diff_box_get(&r->box, SL_FIELD_META_LENGTH);
	sl_u128 len = lo;
	if (ls) {
		uint32_t i = 0;
		while (i < ls->n && ls->iv[i].hi < lo)
			i++;
		if (i == ls->n)
			return -ERANGE;
		len = ls->iv[i].lo > lo ? ls->iv[i].lo : lo;
	}
	if (len > hi)
		return -ERANGE;
	ex->len = (size_t)len;
	ex->has[SL_FIELD_META_LENGTH] = true;
	ex->value[SL_FIELD_META_LENGTH] = len;
	if (sh->l2 == 3)
		ex->has[SL_FIELD_ETHER_TYPE] = true,
		ex->value[SL_FIELD_ETHER_TYPE] = ex->value[SL_FIELD_META_PROTOCOL];
	return 0;
}

static bool is_ext(sl_u128 v)
{
	return v == 0 || v == 43 || v == 44 || v == 60;
}

bool sl_diff_region_contains(const struct sl_diff *d, enum sl_hook hook,
			     const struct sl_diff_region *r, const bool *present,
			     const sl_u128 *value)
{
	const struct sl_diff_shape *sh = &d->shapes[hook][r->shape];
	bool direct = sh->l3 == 6 && sh->l3_ok && sh->ip6_path == 0;

	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		bool want = sh->present & SL_FIELD_BIT(f), has = present[f];

		/* ct state: not in the packet's bytes, every shape has it (checked below) */
		if (f == SL_FIELD_TH_SPORT || f == SL_FIELD_TH_DPORT || f == SL_FIELD_IP_PROTOCOL ||
		    f == SL_FIELD_ETHER_TYPE || f == SL_FIELD_CT_STATE || f == SL_FIELD_META_IFNAME)
			continue;
		if (f == SL_FIELD_IP6_NEXTHDR && direct) {
			if (!has || is_ext(value[f]))
				return false;
			continue;
		}
		if (f == SL_FIELD_VLAN_ID && want)
			has = true; /* absent is SL_DIFF_VLAN_NONE */
		if (want != has)
			return false;
	}
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		const struct sl_iset *s = sl_diff_box_get(&r->box, f);
		sl_u128 v = value[f];

		if (!s)
			continue;
		if (f == SL_FIELD_CT_STATE && !present[f])
			return false;
		if (f == SL_FIELD_VLAN_ID && !present[f])
			v = SL_DIFF_VLAN_NONE;
		if (!sl_iset_contains(*s, v))
			return false;
	}
	return true;
}

bool sl_diff_assume_sets(const struct sl_ir *ir, const struct sl_diff_region *r, uint32_t member,
			 const sl_u128 *value, struct sl_ir_set *sets, struct sl_ir_set_elem *elems)
{
	bool possible = true;

	member &= r->assumed;
	for (uint32_t i = 0; i < ir->nsets; i++) {
		sets[i] = ir->sets[i];
		sets[i].elems = elems;
		sets[i].nelems = 0;
		for (uint32_t m = member; m; m &= m - 1) {
			const struct sl_diff_lookup *l = &r->lookups[__builtin_ctz(m)];
			struct sl_ir_set_elem *e = &elems[sets[i].nelems];

			if (strcmp(l->set, ir->sets[i].name) || l->nfields != ir->sets[i].ntypes)
				continue;
			for (uint32_t f = 0; f < l->nfields; f++)
				e->lo[f] = e->hi[f] = value[l->fields[f]];
			sets[i].nelems++;
		}
		/* The lookups assumed false, once the set holds all the others' keys. */
		for (uint32_t m = r->assumed & ~member; m; m &= m - 1) {
			const struct sl_diff_lookup *l = &r->lookups[__builtin_ctz(m)];
			sl_u128 key[SL_IR_SET_MAX_FIELDS];

			if (strcmp(l->set, ir->sets[i].name) || l->nfields != ir->sets[i].ntypes)
				continue;
			for (uint32_t f = 0; f < l->nfields; f++)
				key[f] = value[l->fields[f]];
			possible &= !sl_ir_set_contains(&sets[i], key);
		}
		elems += sets[i].nelems;
	}
	return possible;
}
