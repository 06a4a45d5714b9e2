// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet shapes: which headers a packet has, read from the interpreter's
 * parser (lang-spec/packet-semantics.md). Within a shape a field is always
 * there or never, and fields that read the same bytes are one dimension.
 */
#include <stdio.h>
#include <string.h>

#include "analysis/diff_priv.h"

#define B(f) SL_FIELD_BIT(f)

struct shapes {
	struct sl_arena *a;
	struct sl_diff_shape *v;
	uint32_t n;
	bool l2;
};

static struct sl_iset vals(struct sl_arena *a, const sl_u128 *v, unsigned n, bool complement,
			   enum sl_field f)
{
	struct sl_interval iv[8];

	for (unsigned i = 0; i < n; i++)
		iv[i] = (struct sl_interval){v[i], v[i]};
	struct sl_iset s = sl_iset_from(a, iv, n);
	return complement ? sl_iset_complement(a, s, sl_diff_field_max(f)) : s;
}

static const sl_u128 ext_hdrs[] = {0, 43, 44, 60};
static const sl_u128 tag_types[] = {SL_ETH_P_8021Q, SL_ETH_P_8021AD};

struct proto_cons {
	const sl_u128 *v;
	unsigned n;
	bool not ;
};

static struct sl_diff_shape *add(struct shapes *s, const char *name, sl_field_mask present)
{
	struct sl_diff_shape *sh = &s->v[s->n++];

	memset(sh, 0, sizeof(*sh));
	snprintf(sh->name, sizeof(sh->name), "%s", name);
	/* every packet has a connection state and an interface (maybe of none of the names) */
	sh->present = present | B(SL_FIELD_CT_STATE) | B(SL_FIELD_META_IFNAME);
	sh->l2 = s->l2 ? 3 : 0;
	return sh;
}

static void cons(struct shapes *s, struct sl_diff_shape *sh, enum sl_field f, const sl_u128 *v,
		 unsigned n, bool not )
{
	struct wbox w;

	wbox_from(&w, &sh->cons);
	wbox_and(s->a, &w, f, vals(s->a, v, n, not, f));
	sh->cons = wbox_pack(s->a, &w, false);
}

static void cons_range(struct shapes *s, struct sl_diff_shape *sh, enum sl_field f, sl_u128 lo,
		       sl_u128 hi)
{
	struct wbox w;

	wbox_from(&w, &sh->cons);
	wbox_and(s->a, &w, f, sl_iset_range(s->a, lo, hi));
	sh->cons = wbox_pack(s->a, &w, false);
}

static const sl_u128 v4[] = {SL_ETH_P_IP}, v6[] = {SL_ETH_P_IPV6};
static const sl_u128 frag_nf[] = {SL_FRAG_NONE, SL_FRAG_FIRST}, frag_later[] = {SL_FRAG_LATER},
		     frag_none[] = {SL_FRAG_NONE};

/* The L4 shapes below one IP shape: a whole header, a header cut short, no header. */
static void l4_shapes(struct shapes *s, const struct sl_diff_shape *base, const char *prefix,
		      enum sl_field frag, const sl_u128 *fragv, unsigned nfrag, bool l4_not_ext)
{
	static const struct {
		uint8_t proto, l3;
		const char *name;
		sl_field_mask fields;
	} l4s[] = {
	    {SL_IPPROTO_TCP, 0, "tcp",
	     B(SL_FIELD_TCP_SPORT) | B(SL_FIELD_TCP_DPORT) | B(SL_FIELD_TCP_FLAGS)},
	    {SL_IPPROTO_UDP, 0, "udp", B(SL_FIELD_UDP_SPORT) | B(SL_FIELD_UDP_DPORT)},
	    {SL_IPPROTO_ICMP, 4, "icmp", B(SL_FIELD_ICMP_TYPE) | B(SL_FIELD_ICMP_CODE)},
	    {SL_IPPROTO_ICMPV6, 6, "icmpv6", B(SL_FIELD_ICMP6_TYPE) | B(SL_FIELD_ICMP6_CODE)},
	};
	sl_u128 with_l4[8];
	unsigned nl4 = 0;
	char name[64];

	for (unsigned i = 0; i < 4; i++) {
		if (l4s[i].l3 && l4s[i].l3 != base->l3)
			continue;
		sl_u128 p = l4s[i].proto;
		with_l4[nl4++] = p;
		for (unsigned cut = 0; cut < 2; cut++) {
			snprintf(name, sizeof(name), "%s%s%s", prefix, l4s[i].name,
				 cut ? " header cut short" : "");
			struct sl_diff_shape *sh =
			    add(s, name, base->present | (cut ? 0 : l4s[i].fields));
			sh->cons = base->cons;
			sh->l2 = base->l2, sh->l3 = base->l3, sh->l3_ok = true;
			sh->ip6_path = base->ip6_path;
			sh->l4 = l4s[i].proto, sh->l4_cut = cut;
			cons(s, sh, frag, fragv, nfrag, false);
			cons(s, sh, SL_FIELD_META_L4PROTO, &p, 1, false);
		}
	}
	if (l4_not_ext)
		for (unsigned i = 0; i < 4; i++)
			with_l4[nl4++] = ext_hdrs[i];
	snprintf(name, sizeof(name), "%sno tcp/udp/icmp", prefix);
	struct sl_diff_shape *sh = add(s, name, base->present);
	sh->cons = base->cons;
	sh->l2 = base->l2, sh->l3 = base->l3, sh->l3_ok = true, sh->ip6_path = base->ip6_path;
	cons(s, sh, frag, fragv, nfrag, false);
	cons(s, sh, SL_FIELD_META_L4PROTO, with_l4, nl4, true);
}

static void ipv4_shapes(struct shapes *s, sl_field_mask l3base)
{
	struct sl_diff_shape *sh = add(s, "ip, header invalid or cut short", l3base);
	sh->l3 = 4;
	cons(s, sh, SL_FIELD_META_PROTOCOL, v4, 1, false);

	sl_field_mask ip4 = l3base | B(SL_FIELD_IP_SADDR) | B(SL_FIELD_IP_DADDR) |
			    B(SL_FIELD_IP_TTL) | B(SL_FIELD_IP_LENGTH) | B(SL_FIELD_IP_DSCP) |
			    B(SL_FIELD_IP_FRAG) | B(SL_FIELD_META_L4PROTO);
	sh = add(s, "ip, later fragment", ip4);
	sh->l3 = 4, sh->l3_ok = true;
	cons(s, sh, SL_FIELD_META_PROTOCOL, v4, 1, false);
	cons(s, sh, SL_FIELD_IP_FRAG, frag_later, 1, false);

	struct sl_diff_shape base = {.present = ip4, .l2 = s->l2 ? 3 : 0, .l3 = 4};
	struct wbox w = {0};
	wbox_and(s->a, &w, SL_FIELD_META_PROTOCOL,
		 vals(s->a, v4, 1, false, SL_FIELD_META_PROTOCOL));
	base.cons = wbox_pack(s->a, &w, false);
	l4_shapes(s, &base, "ip, ", SL_FIELD_IP_FRAG, frag_nf, 2, false);
}

static void ipv6_shapes(struct shapes *s, sl_field_mask l3base)
{
	struct sl_diff_shape *sh = add(s, "ip6, header invalid or cut short", l3base);
	sh->l3 = 6;
	cons(s, sh, SL_FIELD_META_PROTOCOL, v6, 1, false);

	sl_field_mask ip6 =
	    l3base | B(SL_FIELD_IP6_SADDR) | B(SL_FIELD_IP6_DADDR) | B(SL_FIELD_IP6_HOPLIMIT);
	sh = add(s, "ip6, extension headers without end", ip6 | B(SL_FIELD_IP6_NEXTHDR));
	sh->l3 = 6, sh->l3_ok = true, sh->ip6_path = 2;
	cons(s, sh, SL_FIELD_META_PROTOCOL, v6, 1, false);
	cons(s, sh, SL_FIELD_IP6_NEXTHDR, ext_hdrs, 4, false);

	/* Direct: ip6 nexthdr is meta l4proto (one dimension), no fragment. */
	struct sl_diff_shape base = {.present =
					 ip6 | B(SL_FIELD_META_L4PROTO) | B(SL_FIELD_IP6_FRAG),
				     .l2 = s->l2 ? 3 : 0,
				     .l3 = 6};
	struct wbox w = {0};
	wbox_and(s->a, &w, SL_FIELD_META_PROTOCOL,
		 vals(s->a, v6, 1, false, SL_FIELD_META_PROTOCOL));
	wbox_and(s->a, &w, SL_FIELD_META_L4PROTO,
		 vals(s->a, ext_hdrs, 4, true, SL_FIELD_META_L4PROTO));
	base.cons = wbox_pack(s->a, &w, false);
	l4_shapes(s, &base, "ip6, ", SL_FIELD_IP6_FRAG, frag_none, 1, true);

	/* After extension headers. */
	base.present |= B(SL_FIELD_IP6_NEXTHDR);
	base.ip6_path = 1;
	w = (struct wbox){0};
	wbox_and(s->a, &w, SL_FIELD_META_PROTOCOL,
		 vals(s->a, v6, 1, false, SL_FIELD_META_PROTOCOL));
	wbox_and(s->a, &w, SL_FIELD_IP6_NEXTHDR,
		 vals(s->a, ext_hdrs, 4, false, SL_FIELD_IP6_NEXTHDR));
	struct sl_diff_box ext_only = wbox_pack(s->a, &w, false);

	sh = add(s, "ip6 after extension headers, later fragment", base.present);
	sh->cons = ext_only;
	sh->l3 = 6, sh->l3_ok = true, sh->ip6_path = 1;
	cons(s, sh, SL_FIELD_IP6_FRAG, frag_later, 1, false);

	wbox_and(s->a, &w, SL_FIELD_META_L4PROTO,
		 vals(s->a, ext_hdrs, 4, true, SL_FIELD_META_L4PROTO));
	base.cons = wbox_pack(s->a, &w, false);
	l4_shapes(s, &base, "ip6 after extension headers, ", SL_FIELD_IP6_FRAG, frag_nf, 2, true);
}

uint32_t diff_shapes(struct sl_arena *a, enum sl_hook hook, struct sl_diff_shape **out)
{
	struct shapes s = {a, sl_arena_calloc(a, 64, sizeof(struct sl_diff_shape)), 0,
			   sl_hook_has_l2(hook)};
	sl_field_mask base = B(SL_FIELD_META_LENGTH) | B(SL_FIELD_META_IFINDEX);
	sl_field_mask l3base = base | B(SL_FIELD_META_PROTOCOL);
	struct sl_diff_shape *sh;
	sl_u128 not_other[4] = {SL_ETH_P_IP, SL_ETH_P_IPV6, SL_ETH_P_8021Q, SL_ETH_P_8021AD};

	if (s.l2) {
		sh = add(&s, "frame under 14 bytes", base);
		sh->l2 = 1;
		cons_range(&s, sh, SL_FIELD_META_LENGTH, 0, 13);
		sl_field_mask eth =
		    base | B(SL_FIELD_ETHER_SADDR) | B(SL_FIELD_ETHER_DADDR) | B(SL_FIELD_VLAN_ID);
		sh = add(&s, "frame cut inside a VLAN tag", eth);
		sh->l2 = 2;
		l3base = eth | B(SL_FIELD_META_PROTOCOL);
		sh = add(&s, "meta protocol vlan/0x88a8 (a third tag)", l3base);
		cons(&s, sh, SL_FIELD_META_PROTOCOL, tag_types, 2, false);
		cons_range(&s, sh, SL_FIELD_VLAN_ID, 0, 4095);
	}
	sh = add(&s, "meta protocol other than ip/ip6", l3base);
	cons(&s, sh, SL_FIELD_META_PROTOCOL, not_other, s.l2 ? 4 : 2, true);
	ipv4_shapes(&s, l3base);
	ipv6_shapes(&s, l3base);
	*out = s.v;
	return s.n;
}

enum sl_field diff_shape_field(const struct sl_diff_shape *s, enum sl_field f)
{
	switch (f) {
	case SL_FIELD_ETHER_TYPE:
		f = SL_FIELD_META_PROTOCOL;
		break;
	case SL_FIELD_IP_PROTOCOL:
		f = SL_FIELD_META_L4PROTO; /* present exactly when the IPv4 header is */
		if (s->l3 != 4)
			return SL_FIELD_COUNT;
		break;
	case SL_FIELD_IP6_NEXTHDR:
		if (s->l3 == 6 && s->l3_ok && s->ip6_path == 0 &&
		    (s->present & B(SL_FIELD_META_L4PROTO)))
			f = SL_FIELD_META_L4PROTO;
		break;
	case SL_FIELD_TH_SPORT:
	case SL_FIELD_TH_DPORT:
		if (s->l4_cut || (s->l4 != SL_IPPROTO_TCP && s->l4 != SL_IPPROTO_UDP))
			return SL_FIELD_COUNT;
		if (s->l4 == SL_IPPROTO_TCP)
			f = f == SL_FIELD_TH_SPORT ? SL_FIELD_TCP_SPORT : SL_FIELD_TCP_DPORT;
		else
			f = f == SL_FIELD_TH_SPORT ? SL_FIELD_UDP_SPORT : SL_FIELD_UDP_DPORT;
		break;
	default:
		break;
	}
	return (s->present & B(f)) ? f : SL_FIELD_COUNT;
}
