/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The language's vocabulary shared by every stage: hooks, verdicts and the
 * packet fields a rule can test. lang-spec/ defines what each field means on
 * the wire; this table is the single place the stages agree on ids, widths,
 * visibility and implied protocol tests.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sluice/hook.h"

enum sl_hook {
	SL_HOOK_XDP,
	SL_HOOK_TC_INGRESS,
	SL_HOOK_TC_EGRESS,
	SL_HOOK_CGROUP_INGRESS,
	SL_HOOK_CGROUP_EGRESS,
	SL_HOOK_COUNT,
};

#define SL_HOOK_BIT(h) (1u << (h))
#define SL_HOOKS_ALL   ((1u << SL_HOOK_COUNT) - 1)
#define SL_HOOKS_L2                                                                                \
	(SL_HOOK_BIT(SL_HOOK_XDP) | SL_HOOK_BIT(SL_HOOK_TC_INGRESS) |                              \
	 SL_HOOK_BIT(SL_HOOK_TC_EGRESS))

/* sl_hook_name(hook): "xdp", "tc ingress", ..., as written in policies (the ABI library). */
/* libbpf 1.1 section name: "xdp", "tc", "cgroup_skb/ingress", "cgroup_skb/egress". */
const char *sl_hook_section(enum sl_hook hook);
/* true when the program sees the Ethernet header (XDP, TC). */
bool sl_hook_has_l2(enum sl_hook hook);

enum sl_verdict {
	SL_VERDICT_ACCEPT,
	SL_VERDICT_DROP,
};

const char *sl_verdict_name(enum sl_verdict v);
/* The return code the hook's program returns for a verdict (XDP_PASS, TC_ACT_SHOT, 1, ...). */
int sl_verdict_retval(enum sl_hook hook, enum sl_verdict v);

/*
 * Packet fields. Values are unsigned integers of `bits` width in network
 * meaning (an IPv4 address 10.0.0.1 is 0x0a000001, a MAC is its 48 bits
 * read big-endian). A predicate on a field the packet does not have (wrong
 * protocol, truncated header, non-first fragment for L4 fields, VLAN field
 * of an untagged frame, ...) is false, whatever its operator.
 */
enum sl_field {
	SL_FIELD_META_PROTOCOL, /* L3 protocol: EtherType after up to two VLAN tags; skb->protocol
				   on cgroup_skb */
	SL_FIELD_META_L4PROTO,	/* upper-layer protocol: IPv4 protocol, IPv6 after extension headers
				 */
	SL_FIELD_META_LENGTH,	/* packet length as the hook sees it (lang-spec) */
	SL_FIELD_META_IFINDEX, /* interface the packet arrives on (ingress) or leaves by (egress) */
	SL_FIELD_ETHER_SADDR,
	SL_FIELD_ETHER_DADDR,
	SL_FIELD_ETHER_TYPE, /* same value as meta protocol; only where the Ethernet header is seen
			      */
	SL_FIELD_VLAN_ID,    /* VID of the outer 802.1Q/802.1ad tag */
	SL_FIELD_IP_SADDR,
	SL_FIELD_IP_DADDR,
	SL_FIELD_IP_PROTOCOL,
	SL_FIELD_IP_TTL,
	SL_FIELD_IP_LENGTH, /* IPv4 total length field */
	SL_FIELD_IP_DSCP,
	SL_FIELD_IP_FRAG, /* fragment state, see enum sl_frag_state */
	SL_FIELD_IP6_SADDR,
	SL_FIELD_IP6_DADDR,
	SL_FIELD_IP6_NEXTHDR, /* next header field of the fixed IPv6 header */
	SL_FIELD_IP6_HOPLIMIT,
	SL_FIELD_TCP_SPORT,
	SL_FIELD_TCP_DPORT,
	SL_FIELD_TCP_FLAGS, /* the 8 flag bits of byte 13 (CWR ECE URG ACK PSH RST SYN FIN) */
	SL_FIELD_UDP_SPORT,
	SL_FIELD_UDP_DPORT,
	SL_FIELD_TH_SPORT, /* transport header ports: TCP or UDP, whichever the packet carries */
	SL_FIELD_TH_DPORT,
	SL_FIELD_ICMP_TYPE,
	SL_FIELD_ICMP_CODE,
	SL_FIELD_ICMP6_TYPE,
	SL_FIELD_ICMP6_CODE,
	/* fragment state after the extension header walk (last: ids of older fields stay) */
	SL_FIELD_IP6_FRAG,
	/* connection tracking (lang-spec/packet-semantics.md §state): enum sl_ct_state */
	SL_FIELD_CT_STATE,
	/*
	 * The packet's interface by name (`meta iifname "eth0"`, iif, oifname, oif):
	 * 0 when the interface the hook sees (meta ifindex) has none of the policy's
	 * names, else k, the k-th name of the policy (sl_ast.ifnames, 1-based), whose
	 * index the loader wrote into the read-only array SLUICE_IFACE_MAP.
	 */
	SL_FIELD_META_IFNAME,
	SL_FIELD_COUNT,
};

/* A set of fields: bit f for field f (64 bits: room for fields past the 32nd). */
typedef uint64_t sl_field_mask;
#define SL_FIELD_BIT(f) ((sl_field_mask)1 << (f))
_Static_assert(SL_FIELD_COUNT <= 64, "sl_field_mask holds every field");

/* ct state values: dense, so that sets of them are few intervals. */
enum sl_ct_state {
	SL_CT_INVALID = 0,
	SL_CT_NEW = 1,
	SL_CT_ESTABLISHED = 2,
	SL_CT_RELATED = 3,
	SL_CT_UNTRACKED = 4,
};

enum sl_frag_state {
	SL_FRAG_NONE = 0,  /* not a fragment: MF clear and offset 0 */
	SL_FRAG_FIRST = 1, /* MF set, offset 0: carries the L4 header */
	SL_FRAG_LATER = 2, /* offset > 0: no L4 header */
};

/* How a value of the field is written and checked (the checker's types). */
enum sl_value_kind {
	SL_KIND_INT, /* plain number */
	SL_KIND_MAC,
	SL_KIND_IPV4, /* address or prefix */
	SL_KIND_IPV6,
	SL_KIND_ETHERTYPE, /* number or name: ip, ip6, arp, vlan, ... */
	SL_KIND_PROTO,	   /* number or name: tcp, udp, icmp, icmpv6, ... */
	SL_KIND_PORT,
	SL_KIND_ICMP_TYPE, /* number or name: echo-request, ... */
	SL_KIND_ICMP6_TYPE,
	SL_KIND_TCP_FLAGS, /* flag names joined by | */
	SL_KIND_FRAG,	   /* none, first, later */
	SL_KIND_DSCP,	   /* number or name: cs0..cs7, af11.., ef */
	SL_KIND_CT_STATE,  /* new, established, related, invalid, untracked */
	SL_KIND_IFNAME,	   /* an interface name: "eth0" */
};

struct sl_field_info {
	enum sl_field id;
	const char *name;   /* "tcp dport" */
	const char *proto;  /* first word: "tcp" */
	const char *member; /* second word: "dport" */
	unsigned bits;	    /* value width: 1..128 */
	enum sl_value_kind kind;
	unsigned hooks; /* SL_HOOK_BIT mask of hooks that can see the field */
	/* Protocol tests the field implies (lowered to explicit predicates). */
	int32_t implied_l3;	/* meta protocol value, or -1 */
	int32_t implied_l4;	/* meta l4proto value, or -1 */
	int32_t implied_l4_alt; /* a second allowed l4proto value (th: TCP or UDP), or -1 */
};

const struct sl_field_info *sl_field_info(enum sl_field field);
/* Look up by the two words as written ("ip", "saddr"); NULL when unknown. */
const struct sl_field_info *sl_field_lookup(const char *proto, const char *member);
/* Largest value of the field's domain: 2^bits - 1. */
unsigned __int128 sl_field_max(enum sl_field field);

#define SL_ETH_P_IP	  0x0800
#define SL_ETH_P_ARP	  0x0806
#define SL_ETH_P_8021Q	  0x8100
#define SL_ETH_P_8021AD	  0x88a8
#define SL_ETH_P_IPV6	  0x86dd
#define SL_IPPROTO_ICMP	  1
#define SL_IPPROTO_TCP	  6
#define SL_IPPROTO_UDP	  17
#define SL_IPPROTO_ICMPV6 58

/* IPv6 extension headers walked to find the upper-layer protocol (lang-spec). */
#define SL_IP6_MAX_EXT_HEADERS 6
/* Interface names a policy may use (meta iifname: 8 bits, 0 = none of them). */
#define SL_MAX_IFNAMES 255
/* Longest interface name (IFNAMSIZ - 1). */
#define SL_IFNAME_MAX 15

/* VLAN tags parsed in-packet. */
#define SL_MAX_VLAN_TAGS 2
