/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The contract between the sluice compiler and every loader: the metadata
 * section, the counter map and the names in a sluice object. Both sides
 * include this one header; bump SLUICE_META_VERSION on any layout change.
 *
 * All integers little-endian (BPF objects for bpfel), all structs packed by
 * construction (only u32/u64 members, natural alignment).
 */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

#include <stdint.h>

#define SLUICE_META_SECTION ".sluice.meta"
#define SLUICE_META_MAGIC   0x45434c53u /* "SLCE" */
#define SLUICE_META_VERSION 2u
/*
 * Objects without named sets and without connection tracking are still written
 * as version 1 with the version 1 header (SLUICE_META_HEADER_V1_SIZE bytes, no
 * set fields), so they stay byte-identical and load with older loaders; readers
 * accept both versions. Objects with either are version 2: a version 1 loader
 * refuses them rather than attach a table without its sets or its companion.
 */
#define SLUICE_META_VERSION_1 1u
/* (Interface names, too, make an object version 2: see struct sluice_meta_ifaces.) */

/* Per-CPU array map, key u32 rule id, value struct sluice_counter. */
#define SLUICE_COUNTER_MAP "sluice_counters"

#define SLUICE_NO_COUNTER UINT32_MAX

/*
 * Objects built with `sluice build --record-decisions` (tests, `sluice-load run`)
 * have a one-entry array map, key u32 0, value u32: the id of the rule that
 * decided the last packet, or SLUICE_DECISION_POLICY when the table policy did.
 * Header flag SLUICE_META_F_DECISIONS says it is there.
 */
#define SLUICE_DECISION_MAP	"sluice_decision"
#define SLUICE_DECISION_POLICY	UINT32_MAX
#define SLUICE_META_F_DECISIONS 0x1u

struct sluice_counter {
	uint64_t packets;
	uint64_t bytes;
};

/*
 * Layout of the section:
 *   struct sluice_meta_header
 *   struct sluice_meta_table  tables[ntables]   at tables_off
 *   struct sluice_meta_rule   rules[nrules]     at rules_off (indexed by rule id)
 *   struct sluice_meta_set    sets[nsets]       at sets_off (version 2)
 *   set elements                                at each set's elems_off (version 2)
 *   char                      strings[]         at strings_off (NUL-terminated, offset 0 = "")
 * Offsets are bytes from the start of the section. *_str fields are offsets
 * into strings. Readers must check every offset against the section size.
 */
struct sluice_meta_header {
	uint32_t magic;
	uint32_t version;
	uint32_t header_size; /* sizeof(struct sluice_meta_header) of the writer */
	uint32_t table_size;  /* sizeof(struct sluice_meta_table) of the writer */
	uint32_t rule_size;   /* sizeof(struct sluice_meta_rule) of the writer */
	uint32_t ntables;
	uint32_t nrules;
	uint32_t tables_off;
	uint32_t rules_off;
	uint32_t strings_off;
	uint32_t strings_size;
	uint32_t policy_name_str; /* main file's base name without extension */
	uint32_t compiler_str;	  /* "sluice 0.1.0" */
	uint32_t counter_map_str; /* SLUICE_COUNTER_MAP, or 0 when the object has no counters */
	uint32_t ncounters;	  /* max_entries of the counter map */
	uint32_t opt_level;
	uint32_t flags; /* SLUICE_META_F_* */
	uint32_t reserved;
	uint8_t source_hash[32]; /* SHA-256 over the sources in load order */
	/* Version 2 (objects with named sets) from here on. */
	uint32_t nsets;
	uint32_t set_size; /* sizeof(struct sluice_meta_set) of the writer */
	uint32_t sets_off;
	uint32_t
	    ifaces_off; /* struct sluice_meta_ifaces, or 0 when the policy names no interface */
};

#define SLUICE_META_HEADER_V1_SIZE 104u /* offsetof(struct sluice_meta_header, nsets) */

enum sluice_meta_hook {
	SLUICE_HOOK_XDP = 0,
	SLUICE_HOOK_TC_INGRESS = 1,
	SLUICE_HOOK_TC_EGRESS = 2,
	SLUICE_HOOK_CGROUP_INGRESS = 3,
	SLUICE_HOOK_CGROUP_EGRESS = 4,
};

enum sluice_meta_verdict {
	SLUICE_VERDICT_ACCEPT = 0,
	SLUICE_VERDICT_DROP = 1,
};

struct sluice_meta_table {
	uint32_t name_str;    /* table name in the policy */
	uint32_t hook;	      /* enum sluice_meta_hook */
	uint32_t policy;      /* enum sluice_meta_verdict: default verdict */
	uint32_t prog_str;    /* BPF program (function symbol) name */
	uint32_t section_str; /* ELF section of the program */
	uint32_t file_str;    /* source file of the table */
	uint32_t line;
	uint32_t ct_prog_str; /* version 2: the companion program (ct state), or 0 */
};

#define SLUICE_RULE_F_COUNTER 0x1u

struct sluice_meta_rule {
	uint32_t id;	    /* equals its index */
	uint32_t chain_str; /* table or chain the rule belongs to */
	uint32_t file_str;
	uint32_t line;
	uint32_t col;
	uint32_t text_str;     /* the rule as written, on one line */
	uint32_t counter_slot; /* key in the counter map, or SLUICE_NO_COUNTER */
	uint32_t flags;	       /* SLUICE_RULE_F_* */
};

/*
 * Named sets (`set NAME { type ...; }` in a policy): run-time BPF maps the
 * loader edits. Each set is an outer BPF_MAP_TYPE_ARRAY_OF_MAPS (max_entries 1,
 * key u32 0) named by its record's map_str (the ELF map symbol "sls_<name>",
 * at most 15 chars); its inner map, created and stored in slot 0 by the loader,
 * is:
 *   - without SLUICE_SET_F_INTERVAL: BPF_MAP_TYPE_HASH, key = the fields in
 *     declared order, network byte order, natural size, no padding;
 *   - with SLUICE_SET_F_INTERVAL: BPF_MAP_TYPE_LPM_TRIE (BPF_F_NO_PREALLOC),
 *     key = u32 prefixlen (host order), then the single-value fields in declared
 *     order, then the one field that may hold a prefix or range (range_field;
 *     the compiler makes it the last declared field). Ranges are stored as their
 *     minimal prefix decomposition (sluice/set_key.h).
 * value = struct sluice_set_value, max_entries = size, no BTF (the object's
 * template has none: Linux 6.1 refuses an inner map whose BTF-ness differs
 * from the template's; the key's struct sls_<name>_key and struct
 * sluice_set_value are in the object's BTF for reading). An empty slot 0 matches
 * nothing. Programs compare expires_ns with bpf_ktime_get_ns() only in sets with
 * SLUICE_SET_F_TIMEOUT.
 */
#define SLUICE_SET_MAP_PREFIX "sls_"
#define SLUICE_SET_MAX_FIELDS 4
#define SLUICE_SET_MAX_DATA   (SLUICE_SET_MAX_FIELDS * 16)
#define SLUICE_SET_MAX_KEY    (4 + SLUICE_SET_MAX_DATA) /* LPM prefixlen + data */

enum sluice_set_type {
	SLUICE_SET_T_NONE = 0,
	SLUICE_SET_T_IPV4_ADDR = 1,    /* 4 bytes */
	SLUICE_SET_T_IPV6_ADDR = 2,    /* 16 bytes */
	SLUICE_SET_T_ETHER_ADDR = 3,   /* 6 bytes */
	SLUICE_SET_T_INET_PROTO = 4,   /* 1 byte */
	SLUICE_SET_T_INET_SERVICE = 5, /* 2 bytes, a port */
};

#define SLUICE_SET_F_INTERVAL 0x1u /* prefixes and ranges allowed: an LPM trie */
#define SLUICE_SET_F_TIMEOUT  0x2u /* elements may expire: programs check expires_ns */

struct sluice_set_value {
	uint64_t expires_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns); 0 = never */
};

/*
 * One named set. Its initial elements (from the policy) are nelems entries at
 * elems_off, each key_size bytes of map key followed by a struct
 * sluice_set_value (8 bytes, unaligned): already encoded, ranges decomposed.
 */
struct sluice_meta_set {
	uint32_t name_str; /* full name in the policy */
	uint32_t map_str;  /* ELF map symbol and kernel map name of the outer map */
	uint8_t types[SLUICE_SET_MAX_FIELDS]; /* enum sluice_set_type, declared order, 0-padded */
	uint32_t nfields;
	uint32_t flags;	   /* SLUICE_SET_F_* */
	uint32_t size;	   /* capacity: the inner map's max_entries */
	uint32_t key_size; /* bytes of the inner map's key (LPM: includes the u32 prefixlen) */
	uint32_t line;
	uint64_t timeout_ns; /* default timeout of elements added at run time; 0 = none */
	uint32_t file_str;   /* declaration */
	uint32_t col;
	uint32_t nelems;
	uint32_t elems_off;
	uint32_t range_field; /* interval sets: the field that may hold a range; else 0 */
	uint32_t reserved;
};

/*
 * Connection tracking (`ct state`, lang-spec/packet-semantics.md §10). An
 * object whose table tests `ct state` carries metadata version
 * 2 with the version 2 header (so that loaders that cannot attach its companion
 * refuse it), the LRU hash map SLUICE_FLOW_MAP, and for that table a second
 * program, the companion, named in sluice_meta_table.ct_prog_str:
 * it runs in the other direction (XDP and tc ingress: tc egress; tc egress:
 * tc ingress; cgroup_skb ingress <-> egress), tracks every packet it sees and
 * accepts them all. The loader attaches both as one unit.
 */
#define SLUICE_FLOW_MAP	    "sluice_flows"
#define SLUICE_FLOW_ENTRIES 65536u

/* A flow from the host's point of view: `local` is this host's address. */
struct sluice_flow_key {
	uint32_t
	    local[4]; /* IPv4: local[0]; numbers, as the address reads (10.0.0.1 = 0x0a000001) */
	uint32_t remote[4];
	uint16_t lport; /* TCP/UDP ports; ICMP echo: lport = identifier, rport = 0 */
	uint16_t rport;
	uint8_t proto;	/* 6, 17, 1 or 58 */
	uint8_t family; /* 4 or 6 */
	uint16_t pad;
};

#define SLUICE_FLOW_OUT_ORIG  0x1u /* opened by an outgoing packet (else by an incoming one) */
#define SLUICE_FLOW_REPLIED   0x2u /* a reply was seen (TCP: the SYN-ACK) */
#define SLUICE_FLOW_FIN_ORIG  0x4u /* TCP FIN seen in the original direction */
#define SLUICE_FLOW_FIN_REPLY 0x8u /* and in the reply direction */

struct sluice_flow {
	uint64_t seen_ns; /* bpf_ktime_get_ns() of the last packet that changed or refreshed it */
	uint8_t flags;	  /* SLUICE_FLOW_* */
	uint8_t pad[7];
};

/*
 * An accepted packet that changes no flag of its flow refreshes seen_ns only
 * when it is older than this (ns): steady traffic then reads the table
 * without writing it. Timeouts count from the last refresh (1 s granularity).
 */
#define SLUICE_CT_REFRESH_NS 1000000000u

/* Idle timeouts (seconds), after which an entry counts as absent. */
#define SLUICE_CT_TCP_OPENING 120u    /* SYN seen, no SYN-ACK yet */
#define SLUICE_CT_TCP_EST     432000u /* 5 days, as netfilter */
#define SLUICE_CT_TCP_CLOSING 120u    /* FIN seen both ways */
#define SLUICE_CT_UDP	      30u     /* no reply yet */
#define SLUICE_CT_UDP_REPLIED 180u
#define SLUICE_CT_ICMP	      30u

/*
 * Interface names (`meta iifname "eth0"`, iif, oifname, oif). An object whose
 * policy names interfaces is version 2 and its header's ifaces_off points at
 * a struct sluice_meta_ifaces and its niface records (the k-th is the policy's
 * name k, 1-based). Its programs read SLUICE_IFACE_MAP, global read-only data
 * `const __u32 sluice_ifaces[niface]` in section ".rodata" SLUICE_IFACE_MAP:
 * entry k-1 is the index of name k in the network namespace the object is
 * attached in, or 0 when no interface has that name. Loaders write it before
 * load (bpf_map__set_initial_value); a name with SLUICE_IFACE_F_REQUIRED
 * (written `iif`/`oif`) that does not resolve is a load error. Indexes of two
 * names never coincide.
 */
#define SLUICE_IFACE_MAP	"sluice_ifaces"
#define SLUICE_IFACE_SECTION	".rodata." SLUICE_IFACE_MAP
#define SLUICE_IFACE_F_REQUIRED 0x1u
#define SLUICE_IFACE_NAME_MAX	15 /* IFNAMSIZ - 1 */

struct sluice_meta_ifaces {
	uint32_t niface;
	uint32_t iface_size; /* sizeof(struct sluice_meta_iface) of the writer */
};

struct sluice_meta_iface {
	uint32_t name_str;
	uint32_t flags; /* SLUICE_IFACE_F_* */
	uint32_t line;	/* first use in the policy */
	uint32_t col;
};

#endif /* SLUICE_ABI_H */
