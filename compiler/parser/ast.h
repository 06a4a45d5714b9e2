/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The AST: what the user wrote, with a location on every node.
 *
 * sl_parse_file()/sl_parse_text() build it; sl_check() validates it and
 * fills in the fields marked "checked" below (resolved names, chain targets,
 * and for every match its meaning as plain numbers). Later stages (IR
 * lowering, the reference interpreter) read only checked ASTs and should need
 * nothing but the "checked" fields plus locations and names: the raw value
 * trees are kept for listings and diagnostics.
 *
 * Every node, string and array lives in the arena given to the parser.
 * Arrays are in source order; included files' items appear where the
 * include was written.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/field.h"
#include "common/limit.h"
#include "common/util.h"

/* Limits the checker enforces (lang-spec/reference.md). */
#define SL_MAX_JUMP_DEPTH    16 /* jump/goto levels below a table's body */
#define SL_MAX_INCLUDE_DEPTH 16 /* include nesting */
#define SL_MAX_CONST_DEPTH   16 /* $constant referring to a $constant ... */
/* A table is the program "sluice_NAME", an ELF symbol of at most 128 characters (emit/object.c). */
#define SL_MAX_TABLE_NAME 121

enum sl_ast_value_kind {
	SL_AST_VAL_NUMBER, /* 22, 0x800: `num` */
	SL_AST_VAL_NAME,   /* tcp, echo-request, syn, ef, ...: `name`; checked: `num` */
	SL_AST_VAL_IPV4,   /* 10.0.0.1 or 10.0.0.0/8: `num` = address, `plen` (32 without /) */
	SL_AST_VAL_IPV6,   /* 2001:db8::/32: `num`, `plen` (128 without /) */
	SL_AST_VAL_MAC,	   /* 00:11:22:33:44:55: `num` */
	SL_AST_VAL_RANGE,  /* lo-hi: `items[0]`, `items[1]` (atoms) */
	SL_AST_VAL_FLAGS,  /* syn|ack: `items` (atoms); checked: `num` = their bitwise or */
	SL_AST_VAL_SET,	   /* { a, b-c, $k }: `items` (atoms, ranges, flags, refs) */
	SL_AST_VAL_REF,	   /* $name: `name`; checked: `ref` */
	SL_AST_VAL_SETREF, /* @name (a named set): `name` */
	SL_AST_VAL_CONCAT, /* a . b: `items` (an element of a named set of concatenations) */
	SL_AST_VAL_STRING, /* "eth0": `name` (interface names) */
};

struct sl_ast_const;

/* An interface name of the policy (`meta iifname "eth0"`, field.h SL_FIELD_META_IFNAME). */
struct sl_ast_ifname {
	const char *name;
	struct sl_loc loc; /* its first use */
	bool required;	   /* some use is `iif`/`oif`: the loader fails when it is missing */
};

/* Which word named the interface field: nftables' four (ifname_word of a match). */
enum sl_ast_ifword {
	SL_AST_IF_NONE,
	SL_AST_IF_IIFNAME,
	SL_AST_IF_IIF,
	SL_AST_IF_OIFNAME,
	SL_AST_IF_OIF,
};

struct sl_ast_value {
	sl_u128 num; /* first: no padding before it (80 bytes, not 96) */
	enum sl_ast_value_kind kind;
	struct sl_loc loc;
	uint8_t plen;
	bool has_plen;	  /* a /len was written */
	const char *name; /* NAME, REF (without the $) */
	uint32_t nitems;
	struct sl_ast_value **items;
	struct sl_ast_const *ref; /* checked: the constant a REF names */
};

/* A closed interval of field values, in the field's integer domain (field.h). */
struct sl_ast_range {
	sl_u128 lo, hi;
};

enum sl_ast_op {
	SL_AST_OP_IMPLICIT, /* `tcp dport 22` */
	SL_AST_OP_EQ,	    /* `==` */
	SL_AST_OP_NE,	    /* `!=` */
};

/* What a checked match means: one of four forms over the field's value v. */
enum sl_ast_match_kind {
	SL_AST_MATCH_IN,	 /* v in ranges[] */
	SL_AST_MATCH_NOT_IN,	 /* v not in ranges[] */
	SL_AST_MATCH_MASKED,	 /* (v & mask) == bits */
	SL_AST_MATCH_NOT_MASKED, /* (v & mask) != bits */
	SL_AST_MATCH_SET,	 /* (v, concat...) is an element of the named set `set` */
	SL_AST_MATCH_NOT_SET,	 /* ... is not (the fields must still be present) */
};

struct sl_ast_set;

/* Most fields of a concatenation (sluice/abi.h SLUICE_SET_MAX_FIELDS). */
#define SL_AST_SET_MAX_FIELDS 4

/*
 * `FIELD [& MASK] [OP] VALUE`. Whatever the form, a match on a field the
 * packet does not have is false (lang-spec/packet-semantics.md).
 */
struct sl_ast_match {
	struct sl_loc loc;	 /* from the field's first word to the end of the value */
	struct sl_loc field_loc; /* the two field words */
	enum sl_field field;
	enum sl_ast_op op;
	struct sl_loc op_loc;	   /* SL_LOC_NONE for IMPLICIT */
	struct sl_ast_value *mask; /* `tcp flags & (syn|ack) == syn`; NULL without & */
	struct sl_ast_value *value;
	enum sl_ast_ifword ifword; /* SL_FIELD_META_IFNAME: the word written */

	/*
	 * checked: the meaning. Ranges may be unsorted and may overlap (the IR
	 * normalises them); they never exceed sl_field_max(field). Arrays may be
	 * shared between matches that use the same $constant: do not modify.
	 */
	enum sl_ast_match_kind kind;
	uint32_t nranges;
	const struct sl_ast_range *ranges; /* IN, NOT_IN */
	uint64_t mask_bits, want_bits;	   /* MASKED, NOT_MASKED */

	/* `ip saddr . tcp dport @s`: the fields after the first one (nconcat of each, at most
	 * SL_AST_SET_MAX_FIELDS - 1; apart, since few matches have them and 100k rules have
	 * 300k matches) */
	uint32_t nconcat;
	const enum sl_field *concat;
	const struct sl_loc *concat_loc;
	struct sl_ast_set *set; /* checked: SET, NOT_SET */
};

/* Same order as enum sl_ir_action. */
enum sl_ast_action {
	SL_AST_CONTINUE, /* no verdict: with `counter` the rule only counts */
	SL_AST_ACCEPT,
	SL_AST_DROP,
	SL_AST_JUMP,
	SL_AST_GOTO,
	SL_AST_RETURN,
};

struct sl_ast_chain;
struct sl_ast_table;

struct sl_ast_rule {
	struct sl_loc loc; /* first token of the rule (len: the rule's span on that line) */
	const char *text;  /* the rule as written, on one line, whitespace collapsed, no comment */
	uint32_t nmatches;
	struct sl_ast_match *matches; /* in written order; the same field may appear twice */
	bool counter;
	struct sl_loc counter_loc;
	enum sl_ast_action action;
	struct sl_loc action_loc; /* the verdict keyword; SL_LOC_NONE for CONTINUE */
	const char *target;	  /* JUMP, GOTO: the chain name as written */
	struct sl_loc target_loc;
	struct sl_ast_chain *target_chain; /* checked: JUMP, GOTO */
	const struct sl_limit *limit;	   /* `limit ...`, a match; NULL without (common/limit.h) */
	const struct sl_log *log;	   /* `log ...`, an action that goes on; NULL without */
};

/* A table's body or a named chain: an ordered rule list. */
struct sl_ast_chain {
	const char *name;
	struct sl_loc loc;	    /* the name */
	struct sl_ast_table *table; /* the table whose body this is; NULL for a named chain */
	uint32_t nrules;
	struct sl_ast_rule *rules;
	/* checked */
	unsigned hooks; /* SL_HOOK_BIT mask of the hooks of the tables that reach it */
	uint32_t depth; /* most jump/goto levels below it (0: it jumps nowhere) */
};

struct sl_ast_table {
	const char *name;
	struct sl_loc loc;	  /* the name */
	enum sl_hook hook;	  /* checked: always set */
	struct sl_loc hook_loc;	  /* SL_LOC_NONE when missing (an error) */
	enum sl_verdict policy;	  /* SL_VERDICT_ACCEPT when not written */
	struct sl_loc policy_loc; /* SL_LOC_NONE when not written */
	struct sl_ast_chain body;
	/* `accept next` (tc): accept passes to the next program on the hook (TCX_NEXT). */
	bool accept_next;
	struct sl_loc accept_next_loc; /* SL_LOC_NONE when not written */
};

struct sl_ast_const {
	const char *name;  /* without the $ */
	struct sl_loc loc; /* the name */
	struct sl_ast_value *value;
	bool used; /* checked */
};

/* One element of a named set: per field the range lo..hi (lo == hi: one value). */
struct sl_ast_set_elem {
	struct sl_loc loc;
	sl_u128 lo[SL_AST_SET_MAX_FIELDS], hi[SL_AST_SET_MAX_FIELDS];
};

/*
 * `set NAME { type T [. T]...; flags interval, timeout; size N; timeout T;
 * elements = { ... } }`: a run-time map the loader edits (sluice/abi.h).
 */
struct sl_ast_set {
	const char *name;
	struct sl_loc loc; /* the name */
	uint32_t ntypes;
	uint32_t types[SL_AST_SET_MAX_FIELDS]; /* enum sluice_set_type */
	struct sl_loc type_loc;		       /* SL_LOC_NONE when missing (an error) */
	uint32_t flags;			       /* SLUICE_SET_F_* */
	uint64_t size;			       /* 0 when not written */
	struct sl_loc size_loc;
	uint64_t timeout_ns;	       /* default timeout of elements added at run time; 0: none */
	struct sl_ast_value *elements; /* SL_AST_VAL_SET, or NULL */
	/* checked */
	bool used;
	uint32_t nelems;
	struct sl_ast_set_elem *elems; /* as written, in field domains (field.h numbers) */
	uint32_t capacity;	       /* `size`, or the default */
	uint32_t key_size;	       /* bytes of a map key */
	uint32_t nkeys;		       /* map entries of the elements (ranges split) */
	uint8_t *keys;		       /* nkeys * key_size bytes, sorted, unique */
};

/* A named set's capacity when `size` is not written (nftables' default too). */
#define SL_AST_SET_DEFAULT_SIZE 65535u

struct sl_ast {
	struct sl_arena *arena;
	/*
	 * Rules' matches and their range arrays, a child of `arena` that
	 * sl_ast_drop_matches() frees once the IR is lowered (at 100k rules they
	 * are ~60 MB a compilation need not keep). NULL in hand-built ASTs.
	 */
	struct sl_arena *scratch;
	bool matches_dropped; /* every rule's matches are gone: no longer an AST to read */
	const struct sl_sources *srcs;
	const char *name; /* policy name: the main file's base name without extension */
	uint32_t ntables;
	struct sl_ast_table **tables;
	uint32_t nchains; /* named chains (tables' bodies are not in this list) */
	struct sl_ast_chain **chains;
	uint32_t nconsts;
	struct sl_ast_const **consts;
	uint32_t nrules; /* every rule, tables' bodies and chains */
	bool checked;	 /* sl_check() succeeded */
	uint32_t nsets;	 /* named sets, in source order */
	struct sl_ast_set **sets;
	/* checked: the interface names matches use; `meta iifname` value k is ifnames[k-1] */
	uint32_t nifnames;
	struct sl_ast_ifname *ifnames;
};
