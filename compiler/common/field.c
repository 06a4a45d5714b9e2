// SPDX-License-Identifier: GPL-2.0-only
#include "common/field.h"

#include <stddef.h>
#include <string.h>

#include "sluice/abi.h"
#include "common/util.h"

#define L2  SL_HOOKS_L2
#define ALL SL_HOOKS_ALL
#define FIELD2(id_, proto_, member_, bits_, kind_, hooks_, l3_, l4_, l4alt_)                       \
	[id_] = {id_, proto_ " " member_, proto_, member_, bits_, kind_, hooks_, l3_, l4_, l4alt_}
#define FIELD(id_, proto_, member_, bits_, kind_, hooks_, l3_, l4_)                                \
	FIELD2(id_, proto_, member_, bits_, kind_, hooks_, l3_, l4_, -1)

static const struct sl_field_info fields[SL_FIELD_COUNT] = {
    FIELD(SL_FIELD_META_PROTOCOL, "meta", "protocol", 16, SL_KIND_ETHERTYPE, ALL, -1, -1),
    FIELD(SL_FIELD_META_L4PROTO, "meta", "l4proto", 8, SL_KIND_PROTO, ALL, -1, -1),
    FIELD(SL_FIELD_META_LENGTH, "meta", "length", 32, SL_KIND_INT, ALL, -1, -1),
    FIELD(SL_FIELD_META_IFINDEX, "meta", "ifindex", 32, SL_KIND_INT, ALL, -1, -1),
    FIELD(SL_FIELD_ETHER_SADDR, "ether", "saddr", 48, SL_KIND_MAC, L2, -1, -1),
    FIELD(SL_FIELD_ETHER_DADDR, "ether", "daddr", 48, SL_KIND_MAC, L2, -1, -1),
    FIELD(SL_FIELD_ETHER_TYPE, "ether", "type", 16, SL_KIND_ETHERTYPE, L2, -1, -1),
    FIELD(SL_FIELD_VLAN_ID, "vlan", "id", 12, SL_KIND_INT, L2, -1, -1),
    FIELD(SL_FIELD_IP_SADDR, "ip", "saddr", 32, SL_KIND_IPV4, ALL, SL_ETH_P_IP, -1),
    FIELD(SL_FIELD_IP_DADDR, "ip", "daddr", 32, SL_KIND_IPV4, ALL, SL_ETH_P_IP, -1),
    FIELD(SL_FIELD_IP_PROTOCOL, "ip", "protocol", 8, SL_KIND_PROTO, ALL, SL_ETH_P_IP, -1),
    FIELD(SL_FIELD_IP_TTL, "ip", "ttl", 8, SL_KIND_INT, ALL, SL_ETH_P_IP, -1),
    FIELD(SL_FIELD_IP_LENGTH, "ip", "length", 16, SL_KIND_INT, ALL, SL_ETH_P_IP, -1),
    FIELD(SL_FIELD_IP_DSCP, "ip", "dscp", 6, SL_KIND_DSCP, ALL, SL_ETH_P_IP, -1),
    FIELD(SL_FIELD_IP_FRAG, "ip", "frag", 2, SL_KIND_FRAG, ALL, SL_ETH_P_IP, -1),
    FIELD(SL_FIELD_IP6_SADDR, "ip6", "saddr", 128, SL_KIND_IPV6, ALL, SL_ETH_P_IPV6, -1),
    FIELD(SL_FIELD_IP6_DADDR, "ip6", "daddr", 128, SL_KIND_IPV6, ALL, SL_ETH_P_IPV6, -1),
    FIELD(SL_FIELD_IP6_NEXTHDR, "ip6", "nexthdr", 8, SL_KIND_PROTO, ALL, SL_ETH_P_IPV6, -1),
    FIELD(SL_FIELD_IP6_HOPLIMIT, "ip6", "hoplimit", 8, SL_KIND_INT, ALL, SL_ETH_P_IPV6, -1),
    FIELD(SL_FIELD_TCP_SPORT, "tcp", "sport", 16, SL_KIND_PORT, ALL, -1, SL_IPPROTO_TCP),
    FIELD(SL_FIELD_TCP_DPORT, "tcp", "dport", 16, SL_KIND_PORT, ALL, -1, SL_IPPROTO_TCP),
    FIELD(SL_FIELD_TCP_FLAGS, "tcp", "flags", 8, SL_KIND_TCP_FLAGS, ALL, -1, SL_IPPROTO_TCP),
    FIELD(SL_FIELD_UDP_SPORT, "udp", "sport", 16, SL_KIND_PORT, ALL, -1, SL_IPPROTO_UDP),
    FIELD(SL_FIELD_UDP_DPORT, "udp", "dport", 16, SL_KIND_PORT, ALL, -1, SL_IPPROTO_UDP),
    FIELD2(SL_FIELD_TH_SPORT, "th", "sport", 16, SL_KIND_PORT, ALL, -1, SL_IPPROTO_TCP,
	   SL_IPPROTO_UDP),
    FIELD2(SL_FIELD_TH_DPORT, "th", "dport", 16, SL_KIND_PORT, ALL, -1, SL_IPPROTO_TCP,
	   SL_IPPROTO_UDP),
    FIELD(SL_FIELD_ICMP_TYPE, "icmp", "type", 8, SL_KIND_ICMP_TYPE, ALL, SL_ETH_P_IP,
	  SL_IPPROTO_ICMP),
    FIELD(SL_FIELD_ICMP_CODE, "icmp", "code", 8, SL_KIND_INT, ALL, SL_ETH_P_IP, SL_IPPROTO_ICMP),
    FIELD(SL_FIELD_ICMP6_TYPE, "icmpv6", "type", 8, SL_KIND_ICMP6_TYPE, ALL, SL_ETH_P_IPV6,
	  SL_IPPROTO_ICMPV6),
    FIELD(SL_FIELD_ICMP6_CODE, "icmpv6", "code", 8, SL_KIND_INT, ALL, SL_ETH_P_IPV6,
	  SL_IPPROTO_ICMPV6),
    FIELD(SL_FIELD_IP6_FRAG, "ip6", "frag", 2, SL_KIND_FRAG, ALL, SL_ETH_P_IPV6, -1),
    FIELD(SL_FIELD_CT_STATE, "ct", "state", 3, SL_KIND_CT_STATE, ALL, -1, -1),
    FIELD(SL_FIELD_META_IFNAME, "meta", "iifname", 8, SL_KIND_IFNAME, ALL, -1, -1),
};

const struct sl_field_info *sl_field_info(enum sl_field field)
{
	if ((unsigned)field >= SL_FIELD_COUNT)
		return NULL;
	return &fields[field];
}

const struct sl_field_info *sl_field_lookup(const char *proto, const char *member)
{
	for (size_t i = 0; i < SL_FIELD_COUNT; i++) {
		if (!strcmp(fields[i].proto, proto) && !strcmp(fields[i].member, member))
			return &fields[i];
	}
	return NULL;
}

unsigned __int128 sl_field_max(enum sl_field field)
{
	unsigned bits = fields[field].bits;

	return bits >= 128 ? ~(sl_u128)0 : (((sl_u128)1 << bits) - 1);
}

/* Hook names come from the ABI library (sl_hook_name), which numbers hooks the same way. */
_Static_assert((int)SL_HOOK_XDP == SLUICE_HOOK_XDP &&
		   (int)SL_HOOK_TC_INGRESS == SLUICE_HOOK_TC_INGRESS &&
		   (int)SL_HOOK_TC_EGRESS == SLUICE_HOOK_TC_EGRESS &&
		   (int)SL_HOOK_CGROUP_INGRESS == SLUICE_HOOK_CGROUP_INGRESS &&
		   (int)SL_HOOK_CGROUP_EGRESS == SLUICE_HOOK_CGROUP_EGRESS,
	       "enum sl_hook numbers hooks as abi.h does");

static const char *const hook_sections[SL_HOOK_COUNT] = {
    [SL_HOOK_XDP] = "xdp",
    [SL_HOOK_TC_INGRESS] = "tc",
    [SL_HOOK_TC_EGRESS] = "tc",
    [SL_HOOK_CGROUP_INGRESS] = "cgroup_skb/ingress",
    [SL_HOOK_CGROUP_EGRESS] = "cgroup_skb/egress",
};

const char *sl_hook_section(enum sl_hook hook)
{
	return (unsigned)hook < SL_HOOK_COUNT ? hook_sections[hook] : "?";
}

bool sl_hook_has_l2(enum sl_hook hook)
{
	return (SL_HOOKS_L2 & SL_HOOK_BIT(hook)) != 0;
}

const char *sl_verdict_name(enum sl_verdict v)
{
	return v == SL_VERDICT_ACCEPT ? "accept" : "drop";
}

int sl_verdict_retval(enum sl_hook hook, enum sl_verdict v)
{
	bool accept = v == SL_VERDICT_ACCEPT;

	switch (hook) {
	case SL_HOOK_XDP:
		return accept ? 2 /* XDP_PASS */ : 1 /* XDP_DROP */;
	case SL_HOOK_TC_INGRESS:
	case SL_HOOK_TC_EGRESS:
		return accept ? 0 /* TC_ACT_OK */ : 2 /* TC_ACT_SHOT */;
	default:
		return accept ? 1 : 0;
	}
}
