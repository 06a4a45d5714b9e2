/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a policy change does to traffic: the exact set of packets whose
 * verdict differs between two policies' IR, as disjoint boxes over the
 * header fields (README.md here says how it is computed and summarised).
 *
 * Header space is first split into packet shapes: which headers a packet
 * has (runt, no EtherType, IPv4 with a TCP header, IPv4 with a TCP header
 * cut short, IPv6 after extension headers, ...). Inside one shape every
 * field is either always present or always absent, and fields that carry
 * the same bytes (tcp dport and th dport, ip protocol and meta l4proto)
 * are one dimension, so the fields of a shape are independent: a box of a
 * shape is a product of interval sets and every point of it is a packet.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/field.h"
#include "ir/ir.h"

/* `vlan id` outside its 12 bits: the frame has no VLAN tag. */
#define SL_DIFF_VLAN_NONE 4096u
#define SL_DIFF_POLICY	  UINT32_MAX /* decided by the table's policy */

/* A box: per field in `mask`, an interval set; every other field is free. */
struct sl_diff_box {
	sl_field_mask mask;	 /* bit f: field f constrained */
	uint8_t n;		 /* popcount(mask) */
	const struct sl_iset *s; /* n sets, in field order */
};

struct sl_diff_shape {
	char name[64];		 /* "ip, tcp", "ip6 after extension headers, udp cut short" */
	sl_field_mask present;	 /* fields the packet has (canonical ids) */
	struct sl_diff_box cons; /* the shape itself (meta protocol ip, meta l4proto tcp, ...) */
	/* How to build a packet of the shape (diff_packet.c). */
	uint8_t l2;	  /* 0 none (cgroup_skb), 1 runt, 2 frame without EtherType, 3 frame */
	uint8_t l3;	  /* 0 other/none, 4, 6 */
	bool l3_ok;	  /* the IP header is valid */
	uint8_t ip6_path; /* 0 direct, 1 after extension headers, 2 the walk never ends */
	uint8_t l4;	  /* 0 none, 6, 17, 1, 58: the L4 header is there */
	bool l4_cut;	  /* an L4 header of that protocol, cut short */
};

/*
 * A run-time set lookup (`ip saddr @blocklist`): set name and key fields
 * (the shape's fields). What a set holds is unknown, so each distinct
 * lookup is a free boolean; the same lookup in both policies is the same
 * boolean. Regions index them by bit (at most SL_DIFF_MAX_LOOKUPS a shape).
 */
#define SL_DIFF_MAX_LOOKUPS 16

struct sl_diff_lookup {
	const char *set;
	uint32_t nfields;
	enum sl_field fields[SL_IR_SET_MAX_FIELDS];
};

struct sl_diff_region {
	uint32_t shape;
	struct sl_diff_box box; /* within the shape: includes its constraints */
	enum sl_verdict old_verdict, new_verdict;
	uint32_t old_rule, new_rule; /* deciding rule ids, or SL_DIFF_POLICY */
	/*
	 * Set lookups (bits of `lookups`): the verdicts above hold when the
	 * lookups in `assumed` are true for those in `member` and false for the
	 * others. `depends`: the lookups whose results decide whether the
	 * packets differ at all (0: they differ whatever the sets hold).
	 */
	uint32_t assumed, member, depends;
	const struct sl_diff_lookup *lookups;
};

struct sl_diff_table {
	const char *name;
	enum sl_hook hook;
	uint32_t old_index, new_index; /* UINT32_MAX: only in the other policy */
	bool hook_changed;	       /* then no regions: every packet is someone else's */
	size_t nregions;
	struct sl_diff_region *regions;
	size_t raw_regions; /* before merging */
};

struct sl_diff {
	struct sl_arena *arena;
	uint32_t nshapes[SL_HOOK_COUNT];
	struct sl_diff_shape *shapes[SL_HOOK_COUNT];
	size_t ntables;
	struct sl_diff_table *tables;
	size_t boxes; /* boxes made (the limit counts these) */
};

struct sl_diff_opts {
	const char *table; /* only this table (NULL: every table) */
	size_t max_boxes;  /* 0: SL_DIFF_MAX_BOXES (per shape) */
	size_t max_bytes;  /* 0: SL_DIFF_MAX_BYTES */
	/*
	 * Also packets whose verdict stays but whose deciding rule changes
	 * (another counter counts them): rules are the same when their source
	 * text is (wherever they moved), the table policy only matches itself.
	 */
	bool by_rule;
};

#define SL_DIFF_MAX_BOXES (8u * 1000 * 1000)
/* And at most this much memory for boxes (the arenas; the rule lists come on top). */
#define SL_DIFF_MAX_BYTES ((size_t)2048 << 20)

/*
 * Compare two policies' IR (as written: rule ids and locations name what
 * the user wrote). Returns 0, -E2BIG when the box limit is reached, -ENOENT
 * for an unknown --table, -ENOMEM; err says what in words.
 */
int sl_diff_run(const struct sl_ir *old_ir, const struct sl_ir *new_ir,
		const struct sl_diff_opts *opts, struct sl_diff **out, char *err, size_t errlen);
void sl_diff_free(struct sl_diff *d);

/* The set of field f in box b, or NULL when f is free. */
const struct sl_iset *sl_diff_box_get(const struct sl_diff_box *b, enum sl_field f);
/* Largest value of a box dimension (vlan id includes SL_DIFF_VLAN_NONE). */
sl_u128 sl_diff_field_max(enum sl_field f);

/* A concrete packet of a region (diff_packet.c). */
struct sl_diff_example {
	uint8_t data[2048];
	size_t len;
	uint16_t protocol; /* cgroup_skb: skb->protocol */
	uint32_t ifindex;
	bool has[SL_FIELD_COUNT];
	sl_u128 value[SL_FIELD_COUNT]; /* the fields the packet has, as the spec reads them */
};

/*
 * Example k of region r on hook: field values spread over the region (k
 * picks other intervals and other values inside them). Returns 0, or
 * -ERANGE when no packet of the shape has a `meta length` in the region
 * (meta length is the one field not split by shape: README.md).
 */
int sl_diff_example(const struct sl_diff *d, enum sl_hook hook, const struct sl_diff_region *r,
		    unsigned k, struct sl_diff_example *ex);

/*
 * Set contents under which a packet with these field values gets, from the
 * lookups of region r, the results in `member` (bits of r->assumed; the
 * region's own are r->member): each set of ir holds the packet's key of
 * every lookup of it in `member`, nothing else. Fills sets[0 .. ir->nsets)
 * (copies of ir's, other elements) and elems (room for popcount(member)).
 * Returns false when a lookup outside `member` has the key of one in it:
 * two lookups of a set whose keys coincide in this packet (`ip saddr @s`,
 * `ip daddr @s` with saddr = daddr), so no contents give those results.
 */
bool sl_diff_assume_sets(const struct sl_ir *ir, const struct sl_diff_region *r, uint32_t member,
			 const sl_u128 *value, struct sl_ir_set *sets,
			 struct sl_ir_set_elem *elems);

/*
 * Whether a packet, as the interpreter parsed it (present[f], value[f] for
 * every field), is in region r: its shape and every field of the box.
 */
bool sl_diff_region_contains(const struct sl_diff *d, enum sl_hook hook,
			     const struct sl_diff_region *r, const bool *present,
			     const sl_u128 *value);
