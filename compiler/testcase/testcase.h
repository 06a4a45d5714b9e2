/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test files of `sluice test` (lang-spec/test-format.md): one case a line,
 *
 *   tcp 198.51.100.7:40000 -> 192.0.2.10:22 syn   => drop
 *   tcp 10.1.2.3:40000 -> 192.0.2.10:22 syn       => accept @ web.sluice:12
 *   pcap capture.pcap#3                           => accept
 *
 * parsed into cases (a packet described field by field, or the Nth packet
 * of a capture, and the expected verdict and deciding rule), and the frame
 * a described packet is on the wire. Errors are reported through the
 * diagnostics module with the line and a caret, like a policy's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/field.h"
#include "common/util.h"

enum sl_tc_l3 {
	SL_TC_L3_ETHER, /* Ethernet alone: `ether type T` */
	SL_TC_L3_ARP,
	SL_TC_L3_IPV4,
	SL_TC_L3_IPV6,
};

enum sl_tc_l4 {
	SL_TC_L4_NONE, /* the protocol number alone (`ip ... proto gre`), no header */
	SL_TC_L4_TCP,
	SL_TC_L4_UDP,
	SL_TC_L4_ICMP,
	SL_TC_L4_ICMPV6,
};

#define SL_TC_MAX_VLAN 2
#define SL_TC_MAX_EXT  4

/* A packet written field by field; what is not written has the default of the format. */
struct sl_tc_packet {
	enum sl_tc_l3 l3;
	enum sl_tc_l4 l4;
	uint16_t ethertype; /* SL_TC_L3_ETHER */
	uint8_t proto;	    /* the upper-layer protocol number (from l4 unless `proto`) */
	sl_u128 saddr, daddr;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint8_t ttl;  /* IPv4 TTL or IPv6 hop limit */
	uint8_t dscp; /* IPv4 */
	enum sl_frag_state frag;
	unsigned next;		       /* IPv6 extension headers before the upper layer */
	uint8_t ext[SL_TC_MAX_EXT];    /* their types: 0 hop-by-hop, 43 routing, 60 dstopts */
	unsigned nvlan;		       /* outer first */
	uint16_t vlan[SL_TC_MAX_VLAN]; /* VIDs */
	uint8_t smac[6], dmac[6];
	uint32_t length; /* `meta length` the hook sees; 0: as short as the headers allow */
	uint32_t ifindex;
	/* Where options that depend on the hook were written, for errors found at run time. */
	struct sl_loc vlan_loc, mac_loc, length_loc;
};

struct sl_testcase {
	struct sl_loc loc; /* the case's first word; len: the packet's part */
	const char *text;  /* the line as written, comment and blanks around it removed */
	const char *table; /* from a `table NAME` line before it, or NULL */
	struct sl_loc table_loc;
	bool pcap;	       /* the packet is packet `pcap_index` (from 1) of file `pcap_path` */
	const char *pcap_path; /* as written, joined to the test file's folder */
	uint32_t pcap_index;
	struct sl_tc_packet pkt;
	enum sl_verdict verdict;
	/* `@ FILE:LINE[:COL]` or `@ policy`: the deciding rule is pinned too. */
	bool pinned, by_policy;
	const char *rule_file;	      /* as written */
	uint32_t rule_line, rule_col; /* col 0: any column */
	struct sl_loc pin_loc;
	uint32_t nsetdefs; /* `set` lines of the file above the case: they apply to it */
	/* Connection state: the `flow` block (from 1; 0: none) whose cases share a flow table. */
	uint32_t flow;
	const char *local; /* a `local PREFIX, ...` line above it (the host's addresses), or NULL */
	struct sl_loc local_loc;
};

/* `set NAME = { ELEMENT, ... }`: from this line on, named set NAME holds these. */
struct sl_tc_setdef {
	const char *name;
	struct sl_loc loc; /* the name */
	uint32_t nelems;
	const char **elems;	 /* each as `sluice-load set load` reads a line */
	struct sl_loc *elem_loc; /* where each is written */
};

struct sl_testfile {
	uint32_t file; /* index in the sources the diagnostics know */
	size_t ncases;
	struct sl_testcase *cases;
	size_t nsetdefs;
	struct sl_tc_setdef *setdefs; /* in file order */
};

/*
 * Parse source `file` of diag->srcs into cases allocated in `arena`. Every
 * error is reported (file:line:col, the line and a caret) and parsing goes on
 * with the next line. Returns 0, -EINVAL when there were errors, -ENOMEM.
 */
int sl_testfile_parse(struct sl_diag *diag, uint32_t file, struct sl_arena *arena,
		      struct sl_testfile *out);

#define SL_TC_FRAME_MAX 9216

/*
 * The Ethernet frame of a described packet as a test run of a `hook`
 * program takes it (for cgroup_skb too: the kernel and `sluice run` take the
 * Ethernet header off). Checksums are not computed (nothing reads them).
 * Returns the frame's length, or -EINVAL with the reason reported at the
 * option at fault (a VLAN tag or MAC on cgroup_skb, a length the headers do
 * not fit in).
 */
int sl_tc_frame(const struct sl_tc_packet *p, enum sl_hook hook, struct sl_diag *diag,
		uint8_t frame[SL_TC_FRAME_MAX]);

/* Whether `written` (a path as a test file names a policy file) names `path`. */
bool sl_tc_file_matches(const char *written, const char *path);
