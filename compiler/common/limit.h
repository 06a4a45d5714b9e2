/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rate limits, per-key meters and logs: what `limit ...` and `log ...` of a
 * rule mean, shared by the AST (checked), the IR, code generation and the
 * reference interpreter (lang-spec/packet-semantics.md, "Rate limits").
 *
 * A limit is a token bucket counted in integer "unit-nanoseconds": a unit
 * (a packet, or a byte of the packet's `meta length`) costs `period_ns`, the
 * bucket holds at most `cap` = burst * period_ns and refills `rate` per
 * nanosecond. The state is the bucket's debt (cap - tokens; all zero is a
 * full bucket, which is what a fresh map entry holds) and the clock of its
 * last update.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/diag.h"
#include "common/field.h"

#define SL_LIMIT_MAX_KEYS      4
#define SL_LIMIT_DEFAULT_SIZE  65536u	  /* meter entries without `size` */
#define SL_LIMIT_MAX_SIZE      (1u << 24) /* meter entries at most */
#define SL_LIMIT_CAP_MAX       (1ull << 62)
#define SL_LIMIT_BYTES_MAX     (1ull << 20) /* a packet costs at most this many bytes */
#define SL_LIMIT_DEFAULT_BURST 5	    /* packets, as nftables */
/* A log without `every`: at most 1,000 records a second per rule, 100 at once. */
#define SL_LOG_DEFAULT_RATE  1000u
#define SL_LOG_DEFAULT_BURST 100u
#define SL_LOG_SNAPLEN	     128u /* bytes of the packet a record holds */
#define SL_LOG_PREFIX_MAX    64u

struct sl_limit {
	struct sl_loc loc; /* the word `limit` */
	bool over;	   /* matches while above the rate (not under it) */
	bool bytes;	   /* units are bytes of `meta length`, not packets */
	uint64_t rate;	   /* units per period */
	uint64_t period_ns;
	uint64_t burst; /* units */
	uint64_t cap;	/* burst * period_ns */
	/* A meter: one bucket per value of the key (`per ip saddr . tcp dport`). */
	uint32_t nkeys;
	enum sl_field keys[SL_LIMIT_MAX_KEYS];
	uint8_t key_plen[SL_LIMIT_MAX_KEYS]; /* prefix length kept of each key field */
	uint32_t size;			     /* meter: LRU map entries */
};

enum sl_log_level {
	SL_LOG_EMERG,
	SL_LOG_ALERT,
	SL_LOG_CRIT,
	SL_LOG_ERR,
	SL_LOG_WARN,
	SL_LOG_NOTICE,
	SL_LOG_INFO,
	SL_LOG_DEBUG,
};

struct sl_log {
	struct sl_loc loc;  /* the word `log` */
	const char *prefix; /* "" without `prefix` */
	enum sl_log_level level;
	/* The records' own bucket: one per `every` (burst 1), or the default cap. */
	struct sl_limit cap;
	bool every;
};

/* The state of one bucket (a map value; zeros: full). */
struct sl_bucket {
	uint64_t debt;
	uint64_t last_ns;
};

/*
 * Take `units` from the bucket at time now_ns: true when they were there
 * (under the rate; then taken), false when not (over). The arithmetic the
 * BPF code does, written once in C for the interpreter.
 */
static inline bool sl_limit_take(const struct sl_limit *l, struct sl_bucket *b, uint64_t now_ns,
				 uint64_t units)
{
	uint64_t dt = 0, debt = b->debt, cost;

	if (now_ns >= b->last_ns) {
		dt = now_ns - b->last_ns;
		b->last_ns = now_ns;
	}
	if (dt > debt / l->rate)
		debt = 0;
	else
		debt -= dt * l->rate;
	if (units > SL_LIMIT_BYTES_MAX)
		units = SL_LIMIT_BYTES_MAX;
	cost = units * l->period_ns;
	if (debt + cost > l->cap) {
		b->debt = debt;
		return false;
	}
	b->debt = debt + cost;
	return true;
}

/* The canonical text (`sluice dump --ir`): "limit rate over 20/second burst 40 packets per ip saddr
 * ". */
void sl_limit_print(const struct sl_limit *l, FILE *out);
/* "log prefix \"x\" level warn every 1000000000ns " (the cap only when `every` was written). */
void sl_log_print(const struct sl_log *g, FILE *out);
/* The level's name (emerg ... debug). */
const char *sl_log_level_name(enum sl_log_level level);
