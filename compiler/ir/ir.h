/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IR: what a policy means, with the syntax gone. See README.md here.
 *
 * A policy is a set of tables (one BPF program each) and chains. A chain is
 * an ordered list of rules; a table's body is its entry chain. A rule is a
 * conjunction of predicates `field in interval-set`, at most one per field
 * and sorted by field id, plus an action. Sets, prefixes, ranges, negations,
 * masks and $constants have all become interval sets; protocol implications
 * are explicit predicates (`tcp dport 22` carries `meta l4proto {6}`).
 *
 * Every structure is allocated in the IR's arena and owned by it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/field.h"
#include "common/limit.h"
#include "common/util.h"
#include "ir/iset.h"

enum sl_ir_action {
	SL_IR_CONTINUE, /* no verdict: the rule only counts (counter) and evaluation goes on */
	SL_IR_ACCEPT,
	SL_IR_DROP,
	SL_IR_JUMP, /* evaluate chain `target`; its `return` (or its end) comes back here */
	SL_IR_GOTO, /* evaluate chain `target`; its `return` (or its end) returns from this chain */
	SL_IR_RETURN, /* end this chain: back to the jump site, or the table policy at top level */
};

struct sl_ir_pred {
	enum sl_field field;
	/*
	 * Never empty. The full domain only when no other predicate of the rule
	 * already needs the header that carries the field: then it tests just
	 * that the packet has the field (lang-spec §1: `tcp dport 0-65535` does
	 * not match a truncated TCP header). Lowering folds away every other one.
	 */
	struct sl_iset set;
	struct sl_loc loc; /* where the match was written */
};

/*
 * A named set (`set NAME { ... }`): a map the loader fills and edits at run
 * time. Its contents are unknown at compile time: passes must never reason
 * from them. `elems` is what the reference interpreter looks up (the
 * policy's elements, or what `sluice run --set` loaded instead).
 */
#define SL_IR_SET_MAX_FIELDS 4

struct sl_ir_set_elem {
	sl_u128 lo[SL_IR_SET_MAX_FIELDS], hi[SL_IR_SET_MAX_FIELDS]; /* per field, field domain */
};

struct sl_ir_set {
	const char *name;
	struct sl_loc loc;
	uint32_t ntypes;
	uint32_t types[SL_IR_SET_MAX_FIELDS]; /* enum sluice_set_type */
	uint32_t flags;			      /* SLUICE_SET_F_* */
	uint32_t capacity;
	uint64_t timeout_ns;
	uint32_t key_size;   /* bytes of a map key (sluice/set_key.h) */
	uint32_t nkeys;	     /* the policy's elements as map keys, for the object */
	const uint8_t *keys; /* nkeys * key_size */
	uint32_t nelems;
	const struct sl_ir_set_elem *elems;
};

/*
 * `FIELD [. FIELD]... [!=] @set` in a rule: true when the packet has every
 * field and the tuple is (is not, when negated) in the set. The rule also
 * carries a whole-domain predicate per field (the fields must be present).
 */
struct sl_ir_setref {
	uint32_t set; /* index in sl_ir.sets */
	bool negated;
	uint32_t nfields;
	enum sl_field fields[SL_IR_SET_MAX_FIELDS];
	struct sl_loc loc;
};

struct sl_ir_rule {
	uint32_t id;	   /* policy-wide rule number: metadata index and counter slot */
	struct sl_loc loc; /* start of the rule */
	const char *text;  /* the rule's source text on one line (for metadata, listings) */
	uint32_t npreds;
	struct sl_ir_pred *preds; /* sorted by field, at most one per field */
	bool counter;		  /* count packets and bytes in slot `id` when the rule matches */
	enum sl_ir_action action;
	uint32_t target; /* chain index for JUMP and GOTO */
	struct sl_loc action_loc;
	/* Stateful parts (common/limit.h), shared with the AST; NULL without. */
	const struct sl_limit *limit; /* a match that also takes from a bucket */
	const struct sl_log *log;     /* a record to the ring buffer when the rule matches */
	/* named-set lookups, all true for the rule to match; opaque to the optimiser */
	uint32_t nsetrefs;
	const struct sl_ir_setref *setrefs;
};

/* Rules with state keep their place: no classifier, no reordering, never a cover. */
static inline bool sl_ir_rule_stateful(const struct sl_ir_rule *r)
{
	return r->limit || r->log;
}

/* Does the rule look anything up in a named set (whose contents change at run time)? */
static inline bool sl_ir_rule_opaque(const struct sl_ir_rule *r)
{
	return r->nsetrefs != 0;
}

struct sl_ir_chain {
	const char *name; /* the table's name for an entry chain */
	struct sl_loc loc;
	uint32_t nrules;
	struct sl_ir_rule *rules;
};

struct sl_ir_ifname {
	const char *name;
	struct sl_loc loc;
	bool required; /* `iif`/`oif`: loading fails when no interface has the name */
};

struct sl_ir_table {
	const char *name;
	struct sl_loc loc;
	enum sl_hook hook;
	enum sl_verdict policy; /* verdict when no rule decides */
	uint32_t entry;		/* index of its body in sl_ir.chains */
	bool accept_next;	/* tc: accept returns TCX_NEXT (-1), not TC_ACT_OK */
};

struct sl_ir {
	struct sl_arena *arena;
	const struct sl_sources *srcs; /* file names for locations; owned by the caller */
	const char *name;	 /* policy name: the main file's base name without extension */
	uint8_t source_hash[32]; /* SHA-256 over the policy's sources, in load order */
	uint32_t ntables;
	struct sl_ir_table *tables;
	uint32_t nchains; /* tables' entry chains first, then named chains */
	struct sl_ir_chain *chains;
	uint32_t nrules; /* rule ids are 0 .. nrules-1, unique across chains */
	uint32_t nsets;	 /* named sets, in declaration order */
	struct sl_ir_set *sets;
	/* Interface names: `meta iifname` value k (1-based) is ifnames[k-1] (field.h). */
	uint32_t nifnames;
	struct sl_ir_ifname *ifnames;
};

/* The set named `name`, or NULL. */
struct sl_ir_set *sl_ir_set_find(const struct sl_ir *ir, const char *name);
/* Does rule r's setref k hold for these field values (all present)? The interpreter's lookup. */
bool sl_ir_set_contains(const struct sl_ir_set *s, const sl_u128 *values);

struct sl_ast; /* compiler/parser/ast.h */

/*
 * Lower a checked AST. The IR is allocated in `arena`; problems that only
 * show once sets are normalised (a predicate that can never be true) are
 * reported through `diag` as warnings. Returns 0 or -errno.
 */
int sl_ir_lower(const struct sl_ast *ast, struct sl_arena *arena, struct sl_diag *diag,
		struct sl_ir **out);

/* The stable text form used by `sluice dump --ir` and golden tests. */
void sl_ir_dump(const struct sl_ir *ir, FILE *out);
/* One predicate in that form ("tcp dport { 22, 80 }"), for diagnostics and listings. */
void sl_ir_dump_pred(const struct sl_ir_pred *pred, FILE *out);

/*
 * Check the invariants above (sorted unique fields, canonical non-empty sets
 * within each domain, `ether type` folded into `meta protocol`, unique ids
 * below nrules, entry chains first, jump targets named chains). Returns 0,
 * or -EINVAL with a description in err (may be NULL), or -ENOMEM.
 */
int sl_ir_verify(const struct sl_ir *ir, char *err, size_t size);

/* ct_check.c: at most one table tests `ct state` (reported); 0 or -EINVAL, -ENOMEM. */
int sl_ir_ct_check(const struct sl_ir *ir, struct sl_diag *diag);

/* Deep copy into another arena (optimiser passes work on copies). */
struct sl_ir *sl_ir_clone(const struct sl_ir *ir, struct sl_arena *arena);
/*
 * The same, but the copy shares the rules' texts and predicates' interval
 * arrays with `ir` (no pass writes them): `ir` must outlive the copy. At
 * 100k rules that is 15-20 MB less per copy.
 */
struct sl_ir *sl_ir_clone_shared(const struct sl_ir *ir, struct sl_arena *arena);
