/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The reference interpreter: the oracle the compiled objects are held
 * against. It evaluates the unoptimised IR of one table on one packet and
 * says what lang-spec/packet-semantics.md says the verdict is.
 *
 * It is deliberately simple and shares no parsing or matching code with the
 * code generator: its packet parser (packet.c) is written from the spec's
 * text, and a predicate is a plain scan of the interval set.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/field.h"
#include "common/util.h"

struct sl_ir;
struct sl_ast;

/* One packet as a hook sees it. */
struct sl_interp_packet {
	enum sl_hook hook;
	/* From the Ethernet header on L2 hooks, from the IP header on cgroup_skb. */
	const uint8_t *data;
	size_t len;	   /* `meta length`, plus 4 on TC when vlan_present (the tag's bytes) */
	uint16_t protocol; /* cgroup_skb only: skb->protocol (host order) */
	uint32_t ifindex;  /* `meta ifindex` */
	/* `meta iifname`: the index of the IR's interface name k at [k-1], 0 = no such interface */
	const uint32_t *ifname_index;
	uint32_t nifnames;
	/* TC only: the kernel moved the outer VLAN tag into skb metadata. */
	bool vlan_present;
	uint16_t vlan_tci;
	/*
	 * Limits and meters (state.c): the clock in ns (a capture's timestamps)
	 * and the state carried from packet to packet; NULL state: every limit
	 * sees a full bucket.
	 */
	uint64_t time_ns;
	struct sl_interp_state *state;
};

struct sl_interp_state;
/* Every bucket full, every meter empty. NULL when out of memory. */
struct sl_interp_state *sl_interp_state_new(const struct sl_ir *ir);
void sl_interp_state_free(struct sl_interp_state *st);

/* Every field the packet has: value[f] is meaningful only when present[f]. */
struct sl_interp_fields {
	bool present[SL_FIELD_COUNT];
	sl_u128 value[SL_FIELD_COUNT];
	size_t l4_off; /* where an ICMP or ICMPv6 header starts in data (the tracker reads on) */
};

/* Extract the fields of a packet as the spec defines them. Never reads outside data[0, len). */
void sl_interp_parse(const struct sl_interp_packet *pkt, struct sl_interp_fields *out);

/* `meta length`: len, plus the 4 bytes of a tag TC holds in skb metadata. */
uint64_t sl_interp_wire_length(const struct sl_interp_packet *pkt);

#define SL_INTERP_POLICY UINT32_MAX /* decided by the table's policy */

struct sl_interp_result {
	enum sl_verdict verdict;
	uint32_t rule; /* id of the deciding rule, or SL_INTERP_POLICY */
};

struct sl_interp_counter {
	uint64_t packets;
	uint64_t bytes;
};

/*
 * Evaluate table `table` of `ir` on `pkt` (whose hook must be the table's).
 * When `counters` is not NULL (ir->nrules entries), every matched rule with
 * `counter` adds 1 packet and `meta length` bytes to its entry.
 * Returns 0, -EINVAL for a table index or hook mismatch, -ELOOP for chains
 * that reach themselves (malformed IR: the checker rejects those).
 */
int sl_interp_run(const struct sl_ir *ir, uint32_t table, const struct sl_interp_packet *pkt,
		  struct sl_interp_result *res, struct sl_interp_counter *counters);

/* Evaluate with fields already parsed (the same packet against many tables or policies). */
int sl_interp_run_fields(const struct sl_ir *ir, uint32_t table,
			 const struct sl_interp_fields *fields, uint64_t length,
			 struct sl_interp_result *res, struct sl_interp_counter *counters);
/*
 * sl_interp_run_fields() for n packets (no counters, full buckets): rule by
 * rule over up to 64 packets at a time, so that a long policy is read once
 * per 64 packets, not once per packet (sluice diff's examples).
 */
int sl_interp_run_many(const struct sl_ir *ir, uint32_t table,
		       const struct sl_interp_fields *fields, const uint64_t *length, size_t n,
		       struct sl_interp_result *res);
/* The same at time now_ns with limit and meter state (NULL: full buckets). */
int sl_interp_run_state(const struct sl_ir *ir, uint32_t table,
			const struct sl_interp_fields *fields, uint64_t length, uint64_t now_ns,
			struct sl_interp_state *state, struct sl_interp_result *res,
			struct sl_interp_counter *counters);
/* state.c: does the rule's limit match the packet (taking from its bucket)? */
struct sl_ir_rule;
bool sl_interp_limit(struct sl_interp_state *st, const struct sl_ir_rule *r,
		     const struct sl_interp_fields *fields, uint64_t length, uint64_t now_ns);

struct sl_interp_ast_result {
	enum sl_verdict verdict;
	bool by_policy;	    /* the table's policy decided */
	struct sl_loc rule; /* else: the deciding rule's location */
};

/*
 * Evaluate table `table` of a checked AST on parsed fields, reading each
 * match as the checker defined it: no IR involved. Compared with
 * sl_interp_run() on the IR lowered from the same AST, it checks lowering.
 * Returns 0, -EINVAL for an unchecked AST or a bad table, -ELOOP.
 */
int sl_interp_run_ast(const struct sl_ast *ast, uint32_t table,
		      const struct sl_interp_fields *fields, struct sl_interp_ast_result *res);

/*
 * Connection tracking (ct.c, lang-spec/packet-semantics.md §10): the flow
 * table over a capture in order. For each packet, sl_interp_ct_state() gives
 * its `ct state` (the caller puts it into the fields before evaluating) and
 * what accepting it changes; the caller commits that change when the table
 * accepts the packet, and always for a packet of the other direction (the
 * companion accepts everything). `out`: the packet leaves this host; `now`:
 * its time in ns (the capture's clock).
 */
#include "sluice/abi.h"

struct sl_interp_ct;

enum sl_interp_ct_action { SL_INTERP_CT_NONE, SL_INTERP_CT_WRITE, SL_INTERP_CT_DELETE };

struct sl_interp_ct_change {
	enum sl_interp_ct_action action;
	struct sluice_flow_key key;
	struct sluice_flow val;
};

int sl_interp_ct_new(struct sl_interp_ct **out);
void sl_interp_ct_free(struct sl_interp_ct *ct);
unsigned sl_interp_ct_state(struct sl_interp_ct *ct, const struct sl_interp_packet *pkt,
			    const struct sl_interp_fields *f, bool out, uint64_t now,
			    struct sl_interp_ct_change *change);
int sl_interp_ct_commit(struct sl_interp_ct *ct, const struct sl_interp_ct_change *change);
/* The hook of a tracking table's companion; whether packets at a hook leave the host. */
enum sl_hook sl_interp_ct_companion_hook(enum sl_hook h);
bool sl_interp_ct_hook_out(enum sl_hook h);
/* Whether table `table` (with the chains it reaches) tests `ct state`. */
bool sl_interp_table_tracks(const struct sl_ir *ir, uint32_t table);
