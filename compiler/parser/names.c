// SPDX-License-Identifier: GPL-2.0-only
#include "parser/names.h"

#include <string.h>

#include "common/util.h"

/* When two names share a value, the first one is the preferred name. */
static const struct sl_value_name ethertypes[] = {
    {"ip", 0x0800},   {"arp", 0x0806},	{"rarp", 0x8035}, {"ip6", 0x86dd},
    {"vlan", 0x8100}, {"qinq", 0x88a8}, {"mpls", 0x8847}, {"lldp", 0x88cc},
};

static const struct sl_value_name protocols[] = {
    {"hopopt", 0},     {"icmp", 1},	   {"igmp", 2},	      {"ipip", 4},	{"tcp", 6},
    {"egp", 8},	       {"udp", 17},	   {"dccp", 33},      {"ipv6", 41},	{"ipv6-route", 43},
    {"ipv6-frag", 44}, {"rsvp", 46},	   {"gre", 47},	      {"esp", 50},	{"ah", 51},
    {"icmpv6", 58},    {"ipv6-nonxt", 59}, {"ipv6-opts", 60}, {"ospf", 89},	{"pim", 103},
    {"vrrp", 112},     {"l2tp", 115},	   {"sctp", 132},     {"udplite", 136},
};

static const struct sl_value_name icmp_types[] = {
    {"echo-reply", 0},		 {"destination-unreachable", 3},
    {"source-quench", 4},	 {"redirect", 5},
    {"echo-request", 8},	 {"router-advertisement", 9},
    {"router-solicitation", 10}, {"time-exceeded", 11},
    {"parameter-problem", 12},	 {"timestamp-request", 13},
    {"timestamp-reply", 14},	 {"info-request", 15},
    {"info-reply", 16},		 {"address-mask-request", 17},
    {"address-mask-reply", 18},
};

static const struct sl_value_name icmp6_types[] = {
    {"destination-unreachable", 1},
    {"packet-too-big", 2},
    {"time-exceeded", 3},
    {"parameter-problem", 4},
    {"echo-request", 128},
    {"echo-reply", 129},
    {"mld-listener-query", 130},
    {"mld-listener-report", 131},
    {"mld-listener-done", 132},
    {"nd-router-solicit", 133},
    {"nd-router-advert", 134},
    {"nd-neighbor-solicit", 135},
    {"nd-neighbor-advert", 136},
    {"nd-redirect", 137},
    {"router-renumbering", 138},
    {"mld2-listener-report", 143},
    /* the RFC 4861 names, as aliases */
    {"router-solicitation", 133},
    {"router-advertisement", 134},
    {"neighbor-solicitation", 135},
    {"neighbor-advertisement", 136},
};

static const struct sl_value_name tcp_flags[] = {
    {"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04}, {"psh", 0x08}, {"ack", 0x10},
    {"urg", 0x20}, {"ece", 0x40}, {"ecn", 0x40}, {"cwr", 0x80},
};

static const struct sl_value_name frag_states[] = {
    {"none", SL_FRAG_NONE},
    {"first", SL_FRAG_FIRST},
    {"later", SL_FRAG_LATER},
};

static const struct sl_value_name ct_states[] = {
    {"invalid", SL_CT_INVALID},		{"new", SL_CT_NEW},
    {"established", SL_CT_ESTABLISHED}, {"related", SL_CT_RELATED},
    {"untracked", SL_CT_UNTRACKED},
};

static const struct sl_value_name dscp[] = {
    {"cs0", 0},	  {"cs1", 8},	{"cs2", 16},  {"cs3", 24},  {"cs4", 32},  {"cs5", 40},
    {"cs6", 48},  {"cs7", 56},	{"af11", 10}, {"af12", 12}, {"af13", 14}, {"af21", 18},
    {"af22", 20}, {"af23", 22}, {"af31", 26}, {"af32", 28}, {"af33", 30}, {"af41", 34},
    {"af42", 36}, {"af43", 38}, {"ef", 46},   {"va", 44},   {"le", 1},
};

const struct sl_value_name *sl_value_names(enum sl_value_kind kind, size_t *n)
{
#define NAMES(a)                                                                                   \
	do {                                                                                       \
		*n = SL_ARRAY_SIZE(a);                                                             \
		return a;                                                                          \
	} while (0)
	switch (kind) {
	case SL_KIND_ETHERTYPE:
		NAMES(ethertypes);
	case SL_KIND_PROTO:
		NAMES(protocols);
	case SL_KIND_ICMP_TYPE:
		NAMES(icmp_types);
	case SL_KIND_ICMP6_TYPE:
		NAMES(icmp6_types);
	case SL_KIND_TCP_FLAGS:
		NAMES(tcp_flags);
	case SL_KIND_FRAG:
		NAMES(frag_states);
	case SL_KIND_DSCP:
		NAMES(dscp);
	case SL_KIND_CT_STATE:
		NAMES(ct_states);

	default:
		*n = 0;
		return NULL;
	}
#undef NAMES
}

bool sl_value_name_lookup(enum sl_value_kind kind, const char *name, uint32_t *value)
{
	size_t n;
	const struct sl_value_name *names = sl_value_names(kind, &n);

	for (size_t i = 0; i < n; i++) {
		if (!strcmp(names[i].name, name)) {
			*value = names[i].value;
			return true;
		}
	}
	return false;
}

const char *sl_value_name_of(enum sl_value_kind kind, uint32_t value)
{
	size_t n;
	const struct sl_value_name *names = sl_value_names(kind, &n);

	for (size_t i = 0; i < n; i++) {
		if (names[i].value == value)
			return names[i].name;
	}
	return NULL;
}
