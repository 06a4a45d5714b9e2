/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Limits, meters and logs in a sluice object (lang-spec/packet-semantics.md,
 * "Rate limits" and "Logging"); shared by the compiler and the loader.
 */
#pragma once

#include <stdint.h>

/* Array map, key u32: rule id -> its limit's bucket; nrules + rule id -> its log's bucket. */
#define SLUICE_LIMIT_MAP "sluice_limits"
/* LRU hash of a rule's meter: "sl_meter_<rule id>", key the packed key fields. */
#define SLUICE_METER_MAP_FMT "sl_meter_%u"
/* Ring buffer of struct sluice_log_record. */
#define SLUICE_LOG_MAP	 "sluice_log"
#define SLUICE_LOG_BYTES (256u * 1024)
/* Per-CPU array of two u64: [0] records lost (ring buffer full), [1] records held back by the cap.
 */
#define SLUICE_LOG_LOST_MAP "sluice_log_lost"
/* Test builds (--test-clock) only: array of one u64, the programs' clock in ns. */
#define SLUICE_CLOCK_MAP "sluice_clock"

/*
 * A bucket (map value): debt = cap - tokens in unit-ns; all zero is a full
 * bucket. `over` counts the packets that found it short (for a log's cap:
 * the records held back), for `sluice-load stats`.
 */
struct sluice_bucket {
	uint64_t debt;
	uint64_t last_ns;
	uint64_t over;
};

#define SLUICE_LOG_SNAPLEN 128u

struct sluice_log_record {
	uint64_t time_ns; /* the program's clock (bpf_ktime_get_ns: since boot) */
	uint32_t rule;	  /* rule id (metadata) */
	uint8_t
	    action; /* the rule's action: 0 continue, 1 accept, 2 drop, 3 jump, 4 goto, 5 return */
	uint8_t hook;  /* enum sl_hook of the program */
	uint8_t level; /* 0 emerg .. 7 debug */
	uint8_t pad;
	uint32_t len;			  /* `meta length` of the packet */
	uint32_t caplen;		  /* bytes of data[] filled (<= SLUICE_LOG_SNAPLEN) */
	uint8_t data[SLUICE_LOG_SNAPLEN]; /* from the Ethernet header (IP header on cgroup_skb) */
};
