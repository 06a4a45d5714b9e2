/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The output of `sluice run` (the reference interpreter) and `sluice-load run`
 * (the object in the kernel), printed by this one code so the two diff cleanly.
 * Text, one line per packet, then the total and the counters:
 *
 *   <n>\t<accept|drop>\t<file:line:col | policy | ?>
 *   <n>\tskipped\t<why the packet could not be run>
 *   total: <N> packets, <A> accept, <D> drop[, <S> skipped]
 *   counter\t<file:line:col>\t<P> packets\t<B> bytes
 *
 * JSON: {"packets":[{"n":1,"verdict":"accept","rule":{"id":..,"file":..,"line":..,"col":..}
 * | null | "?"} | {"n":2,"verdict":"skipped","reason":".."}, ...],
 * "total":{"packets":N,"accept":A,"drop":D[,"skipped":S]},"counters":[{"id":..,"file":..,
 * "line":..,"col":..,"packets":P,"bytes":B}, ...]}
 *
 * Also the framing both commands share: which captures they read and how a
 * raw-IP packet becomes an Ethernet frame.
 */
#ifndef SLUICE_RUN_OUTPUT_H
#define SLUICE_RUN_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A rule as the output names it. */
struct sl_run_rule {
	uint32_t id;
	const char *file;
	uint32_t line, col;
};

enum sl_run_decider {
	SL_RUN_BY_RULE,	  /* the rule given */
	SL_RUN_BY_POLICY, /* no rule matched: the table's policy */
	SL_RUN_UNKNOWN,	  /* the object does not record decisions */
};

struct sl_run_out {
	FILE *f;
	bool json;
	uint32_t n; /* packets answered so far (judged or skipped) */
	uint32_t accept, drop, skipped;
	uint32_t counters; /* counter entries printed */
};

void sl_run_out_begin(struct sl_run_out *o, FILE *f, bool json);
/* The next packet's verdict; rule is read only for SL_RUN_BY_RULE. */
void sl_run_out_verdict(struct sl_run_out *o, bool accept, enum sl_run_decider by,
			const struct sl_run_rule *rule);
/* The next packet could not be run; reason says why (one line, no tabs). */
void sl_run_out_skipped(struct sl_run_out *o, const char *reason);
/* The total line; then any number of sl_run_out_counter(), then sl_run_out_end(). */
void sl_run_out_total(struct sl_run_out *o);
void sl_run_out_counter(struct sl_run_out *o, const struct sl_run_rule *rule, uint64_t packets,
			uint64_t bytes);
void sl_run_out_end(struct sl_run_out *o);
/* After an error between begin and end: closes what is open (the JSON document). */
void sl_run_out_abort(struct sl_run_out *o);

#define SL_RUN_ETH_HLEN	  14
#define SL_RUN_MAX_CAPLEN 65536

/* 0 for the link types both read (Ethernet; raw IP: *raw set), -EINVAL for the others. */
int sl_run_link_type(int dlt, bool *raw);
/*
 * The frame a test run sees for captured bytes: Ethernet captures as they are,
 * raw-IP ones behind a zeroed Ethernet header with the EtherType of the IP
 * version. buf holds SL_RUN_MAX_CAPLEN + SL_RUN_ETH_HLEN bytes; caplen is at most
 * SL_RUN_MAX_CAPLEN. 0, or -EINVAL when a raw-IP packet is neither IPv4 nor IPv6.
 */
int sl_run_frame(const uint8_t *data, uint32_t caplen, bool raw, uint8_t *buf, uint32_t *len);
/* The reason both print for a packet sl_run_frame() refuses. */
#define SL_RUN_NOT_IP "a packet of a raw-IP capture must be IPv4 or IPv6"

/*
 * Direction in a capture: `--local PREFIX[,PREFIX...]` names this host's
 * addresses; an IPv4 or IPv6 packet whose source address lies in one of them
 * leaves the host, every other packet arrives. The table judges the packets
 * of its own direction; it never sees the others: a table that tracks
 * connections (`ct state`) has them tracked by its companion, which accepts
 * them all. Their line: `<n>\taccept\tother-direction`.
 */
#define SL_RUN_MAX_LOCAL 16
struct sl_run_prefix {
	unsigned family; /* 4 or 6 */
	unsigned len;	 /* prefix length in bits */
	uint8_t addr[16];
};
struct sl_run_local {
	unsigned n;
	struct sl_run_prefix p[SL_RUN_MAX_LOCAL];
};
/* Adds the comma-separated prefixes of `arg`; 0 or -EINVAL. */
int sl_run_local_parse(const char *arg, struct sl_run_local *out);
/* Whether a frame (from its Ethernet header, as sl_run_frame() gives it) leaves the host. */
bool sl_run_outgoing(const struct sl_run_local *l, const uint8_t *frame, uint32_t len);
/* The line of a packet of the other direction (the companion, if any, tracked it). */
void sl_run_out_tracked(struct sl_run_out *o);

#endif /* SLUICE_RUN_OUTPUT_H */
