/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Code generation internals, shared by its passes:
 *
 *   codegen.c         sl_codegen(): maps, one program per table, hand-off to the object
 *   codegen_parse.c   prologue: parse the headers the table needs into stack slots
 *                     (a fast path for untagged Ethernet/IPv4, then the general parse)
 *   codegen_match.c   "does field F lie in set S": branch-free arithmetic, or a jump
 *   codegen_linear.c  the rule list as straight code (early exit, in chunks); chains inlined
 *   codegen_insn.c    the instruction buffer (insn.h)
 *
 * The parse leaves every field the table uses in an 8-byte stack slot (a
 * 128-bit address in four slots of 32-bit words), or the value
 * SL_CG_ABSENT when the packet does not have it. After the parse no register
 * holds a packet pointer: rules only read slots. A different body (a decision
 * tree, lookup tables) plugs in next to codegen_linear.c and reuses the slots,
 * the matchers and the actions declared here.
 */
#pragma once

#include "sluice/abi.h"
#include "ir/ir.h"
#include "emit/bpf_object.h"
#include "emit/cost.h"
#include "emit/insn.h"
#include "select/select.h"

/*
 * Stored for a field the packet does not have. Larger than every field value
 * (at most 48 bits; IPv6 words are 32 bits) and far below 2^63, so that the
 * matchers' signed arithmetic never overflows and an absent field lies in no
 * interval: a predicate on it is false, whatever its operator.
 */
#define SL_CG_ABSENT (1ull << 55)

/* Stack: fp-8 holds the u32 map key (0 between uses); field slots below it. */
#define SL_CG_KEY_OFF SL_COST_KEY_OFF

/* Shared end of the rules that decide with a verdict and count or record. */
struct sl_cg_tail {
	sl_label label;
	bool used;
};

/* Rules in one chunk of early-exit code (see codegen_linear.c). */
#define SL_CG_CHUNK_RULES 64

/* A rule of the open chunk: its first test is emitted, the rest waits. */
struct sl_cg_early {
	const struct sl_ir_rule *rule;
	uint32_t first; /* its most selective predicate, tested first */
	sl_label entry; /* its first test */
	sl_label rest;	/* its other tests and its action */
};

struct sl_cg {
	const struct sl_ir *ir;
	const struct sl_codegen_opts *opts;
	struct sl_sel sel; /* the shapes the options allow (select/select.h) */
	struct sl_diag *diag;
	struct sl_emit e;
	const struct sl_ir_table *table;
	enum sl_hook hook;
	bool used[SL_FIELD_COUNT];	   /* some reachable predicate tests the field */
	uint8_t words[SL_FIELD_COUNT];	   /* of a 128-bit field: the words tests read (bit w) */
	bool counts;			   /* some reachable rule counts (meta length is needed) */
	int16_t slot[SL_FIELD_COUNT];	   /* fp offset of the field (word 0); 0 = not parsed */
	int32_t counter_map, decision_map; /* map indexes, -1 when absent */
	struct sl_bpf_object *obj;	   /* bodies may add maps (walk.c, codegen_set.c) */
	struct sl_arena *arena;
	struct sl_cg_tail tails[2][2]; /* [verdict][counted] */
	struct sl_cg_tail decided;     /* end of a walk whose rule R9 decided */
	/* The open chunk of early-exit rules (codegen_linear.c). */
	struct sl_cg_early chunk[SL_CG_CHUNK_RULES];
	uint32_t chunk_rules; /* rules in the open chunk */
	uint32_t chunk_insns; /* estimated size of its code */
	uint32_t chunks;      /* chunks opened so far */
	int32_t held;	      /* field whose value R4 holds at the next first test, or -1 */
	sl_label chunk_end;
	/* A chunk opened by a value dispatch (codegen_linear.c): its rules and their entries. */
	uint32_t dispatch_rules;
	sl_label dispatch_entry[SL_CG_CHUNK_RULES];
	/* Limits and logs (codegen_limit.c): stack offsets, 0 when unused. */
	bool logs;	 /* some reachable rule logs: the context is kept */
	int16_t ctx_off; /* the context pointer, spilled at the end of the parse */
	int16_t
	    scratch_off; /* SL_CG_LIMIT_SCRATCH bytes: a meter's key (64) and a new bucket (24) */
	/* Connection tracking (codegen_ct.c): the table tests `ct state`. */
	bool ct;
	bool ct_out;	     /* the program sees outgoing packets */
	uint32_t flow_map;   /* SLUICE_FLOW_MAP's index */
	sl_label ct_commit;  /* accept: record the flow's new state, then return */
	bool ct_commit_used; /* some accept jumps to ct_commit */
};

/*
 * Bytes at scratch_off: a meter's key (at most 4 fields of 16 bytes) and a new
 * bucket, live only inside sl_cg_limit() (a set's key may go there too).
 */
#define SL_CG_LIMIT_SCRATCH 88

/* codegen_limit.c: what a rule's limit or log needs from the parse (collect_chain). */
void sl_cg_limit_collect(struct sl_cg *cg, const struct sl_ir_rule *r);
/*
 * codegen_limit.c: stack for limits and logs right below the map key, above
 * the field slots (walks put their scratch below the lowest field slot).
 * Returns the bytes taken (0 without limits and logs).
 */
int sl_cg_limit_slots(struct sl_cg *cg);
/*
 * dst = the test clock (--test-clock): the u64 in map sluice_clock, 0 when
 * unset. Clobbers R0-R5 and the key slot (left 0).
 */
void sl_cg_test_clock(struct sl_cg *cg, uint8_t dst);
/* codegen_limit.c: jump to `fail` unless the rule's limit matches (takes from its bucket). Clobbers
 * R0-R9. */
void sl_cg_limit(struct sl_cg *cg, const struct sl_ir_rule *r, sl_label fail);
/* codegen_limit.c: the rule's log record (within its cap). Clobbers R0-R9. */
void sl_cg_log(struct sl_cg *cg, const struct sl_ir_rule *r);

/*
 * The connection tracker's stack area (codegen_ct.c), between the map key
 * and the field slots (which start below it when cg->ct): the flow key, the
 * flow's state to record on accept, what to do then, the L4 header's offset.
 */
#define SL_CG_CT_AREA 72
#define SL_CG_CT_KEY  (SL_CG_KEY_OFF - SL_CG_CT_AREA)
#define SL_CG_CT_VAL  (SL_CG_CT_KEY + 40)
#define SL_CG_CT_ACT  (SL_CG_CT_KEY + 56)
#define SL_CG_CT_L4   (SL_CG_CT_KEY + 64)

/* Words of 32 bits (128-bit fields) or one 64-bit word. */
static inline unsigned sl_cg_words(enum sl_field f)
{
	return sl_cost_words(f);
}

/* fp offset of word `w` (0 = most significant) of a parsed field. */
static inline int16_t sl_cg_slot(const struct sl_cg *cg, enum sl_field f, unsigned w)
{
	return (int16_t)(cg->slot[f] - 8 * (int)w);
}

/* codegen_parse.c: allocate slots for cg->used and emit the prologue and parse. */
void sl_cg_parse(struct sl_cg *cg);
/* dst = the `meta iifname` slot of the interface index in `ifindex` (codegen_iface.c);
 * clobbers R3-R5. */
void sl_cg_iface_slot(struct sl_cg *cg, uint8_t ifindex, uint8_t dst);

/*
 * codegen_match.c: leave in `dst` a value that is negative exactly when the field's
 * slot value is NOT in `set`. Clobbers R1-R5 (never dst when dst is R6-R9).
 */
void sl_cg_mismatch(struct sl_cg *cg, enum sl_field field, struct sl_iset set, uint8_t dst);

/*
 * codegen_match.c: jump to `target` when the field's slot value is in `set`
 * (when_in) or is not (!when_in); fall through otherwise. Clobbers R1-R6.
 */
void sl_cg_branch(struct sl_cg *cg, enum sl_field field, struct sl_iset set, bool when_in,
		  sl_label target);
/*
 * The same, jumping when in the set, for a narrow field (a wide one goes to
 * sl_cg_branch()): the value is in `reg` (R1, R4-R9), loaded from its slot
 * when `load`; clobbers R2, R3 and never reg.
 */
void sl_cg_branch_in(struct sl_cg *cg, enum sl_field field, struct sl_iset set, sl_label target,
		     uint8_t reg, bool load);
/*
 * codegen_match.c: the words of a 128-bit field (bit w, 0 = most significant)
 * that testing `set` reads, by any matcher, set table or classifier; the
 * parse loads only those.
 */
uint32_t sl_cg_wide_words(const struct sl_cg *cg, enum sl_field field, struct sl_iset set);
/* Estimated instructions of sl_cg_branch() for the set (an upper bound). */
uint32_t sl_cg_branch_cost(const struct sl_cg *cg, enum sl_field field, struct sl_iset set);

/*
 * codegen_actions.c: the index of the one-entry read-only array map `name`, added
 * with a copy of `init` (zeros when NULL) unless the object has it already.
 */
uint32_t sl_cg_value_map(struct sl_cg *cg, const char *name, const void *init, size_t size);

/*
 * codegen_set.c: large sets as sorted tables in read-only data, searched
 * without branches. A table the program can have for `set`, or false (then
 * test interval by interval): a function of the set and the options only.
 */
struct sl_cg_set_table {
	uint32_t map;  /* index in cg->obj->maps */
	uint32_t size; /* entries per column, a power of two */
};
bool sl_cg_set_table(struct sl_cg *cg, enum sl_field field, struct sl_iset set,
		     struct sl_cg_set_table *out);
/* Whether the options ask for a table for `set` (sl_cg_set_table() may still refuse: budgets). */
bool sl_cg_set_wanted(const struct sl_cg *cg, enum sl_field field, struct sl_iset set);
/* `dst` (not R2, R3, x) = negative iff x (a slot value) is not in the table's set; clobbers R2, R3.
 */
void sl_cg_set_mismatch(struct sl_cg *cg, const struct sl_cg_set_table *t, uint8_t x, uint8_t dst);
/* Jump to target when x is (when_in) or is not in the table's set; clobbers R2, R3. */
void sl_cg_set_branch(struct sl_cg *cg, const struct sl_cg_set_table *t, uint8_t x, bool when_in,
		      sl_label target);
/* The same for a 128-bit field, read from its word slots; clobbers R1-R5. */
void sl_cg_set_mismatch_wide(struct sl_cg *cg, const struct sl_cg_set_table *t, enum sl_field field,
			     uint8_t dst);
/* Instructions of a search through a table of the set (UINT32_MAX: it would get none). */
uint32_t sl_cg_set_cost(const struct sl_cg *cg, enum sl_field field, struct sl_iset set);

/*
 * codegen_setref.c: the outer map of every named set of the IR (obj->set_maps),
 * and the lookups of a rule's `@set` matches: fall through when all hold, jump
 * to `fail` when one does not. Clobbers R0-R6. Both return 0 or -errno.
 */
int sl_cg_add_set_maps(const struct sl_ir *ir, struct sl_arena *arena, struct sl_bpf_object *obj);
int sl_cg_setrefs(struct sl_cg *cg, const struct sl_ir_rule *r, sl_label fail);
/*
 * codegen_ct.c. Setup: when the table tests `ct state`, add the flow map and
 * make the parse keep what the tracker reads. Track: after the parse, the
 * packet's state into the `ct state` slot (R6 = context; clobbers R0-R9).
 * Exit: end the program with verdict v (an accept of a tracking program
 * records the flow first).
 */
void sl_cg_ct_setup(struct sl_cg *cg);
void sl_cg_ct_track(struct sl_cg *cg);
void sl_cg_exit(struct sl_cg *cg, enum sl_verdict v);
void sl_cg_ct_tail(struct sl_cg *cg);
/* The hook of the companion of a table at `h` (codegen.c generates the companion). */
enum sl_hook sl_cg_ct_companion_hook(enum sl_hook h);

/* codegen_linear.c: the table's rules, -O0. Returns 0 or -errno (reported). */
int sl_cg_linear(struct sl_cg *cg);

/* codegen_actions.c: actions shared by every body. Count a packet for `rule` and go on. */
void sl_cg_count(struct sl_cg *cg, uint32_t rule);
/* End with verdict v decided by `rule`: count it first when `counted`, record it
 * when opts->record_decisions. Clobbers R7. */
void sl_cg_verdict(struct sl_cg *cg, uint32_t rule, enum sl_verdict v, bool counted);
/*
 * The return code of verdict v in this table's program: sl_verdict_retval(), except
 * that accept is TCX_NEXT (-1, TC_ACT_UNSPEC on legacy tc) under `accept next`.
 */
static inline int sl_cg_retval(const struct sl_cg *cg, enum sl_verdict v)
{
	if (v == SL_VERDICT_ACCEPT && cg->table && cg->table->accept_next)
		return -1;
	return sl_verdict_retval(cg->hook, v);
}
/* What the "decided" tail finds in R9: the deciding rule and what to do. */
#define SL_CG_PAYLOAD(id, counted, drop) ((uint32_t)(id) << 2 | (counted) << 1 | (drop))

/*
 * Record a segment of the program being generated (bpf_object.h): kind,
 * chain, first rule and rule count; trees and depth for tree bodies.
 * Returns its index in cg->obj->segments.
 */
uint32_t sl_cg_segment(struct sl_cg *cg, const struct sl_bpf_segment *seg);

/*
 * After the body: the shared tails sl_cg_verdict() jumped to, and the
 * "decided" tail (cg->decided): R9 = SL_CG_PAYLOAD of the deciding rule.
 */
void sl_cg_tails(struct sl_cg *cg);

/*
 * walk.c: the plan of the run of chain `c` starting at rule `first`
 * (select/select.h: sl_sel_plan_run(), told where this program stands).
 * sl_cg_walk_emit() emits a plan, adds its tables to the object, sets
 * *consumed to the rules it covers and frees the plan. The walk clobbers
 * R0-R9 (none of which the caller may keep across it). Both return 0 or -errno.
 */
int sl_cg_walk_plan(struct sl_cg *cg, const struct sl_ir_chain *c, uint32_t first,
		    struct sl_sel_plan **plan, uint32_t *run);
int sl_cg_walk_emit(struct sl_cg *cg, struct sl_sel_plan *plan, uint32_t *consumed);
/* What the plan will emit, for the object's record (bpf_object.h): rules, trees, depth. */
void sl_cg_walk_describe(const struct sl_sel_plan *plan, struct sl_bpf_segment *seg);
