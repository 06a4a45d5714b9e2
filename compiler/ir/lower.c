// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lowering: checked AST -> IR. Each rule's matches become one interval set
 * per field (intersected when a field is matched twice), the protocols the
 * fields imply become explicit predicates, and rules that can never match
 * are reported and left out. See README.md for the table of forms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sha256.h"
#include "parser/ast.h"
#include "ir/ir.h"

/* Where one field's set came from: a match, or a match that implies the field. */
struct origin {
	const struct sl_ast_match *match;
	bool implied;
};

/* One field's accumulated predicate while a rule is lowered. */
struct field_acc {
	bool used;
	struct sl_iset set;
	struct sl_loc loc;
	uint32_t norigins;
	struct origin origins[8]; /* the first few, for the "can never match" notes */
};

struct lower {
	const struct sl_ast *ast;
	struct sl_arena *arena;
	struct sl_diag *diag;
	struct sl_ir *ir;
	/* AST chain -> IR chain index, sorted by pointer for bsearch */
	struct chain_slot *slots;
	uint32_t nslots;
	struct field_acc acc[SL_FIELD_COUNT];
	struct sl_ir_pred preds[SL_FIELD_COUNT];
	/* sets of $constants' shared range arrays, normalised once (isets are immutable) */
	struct set_memo *memo;
	uint32_t memo_cap, memo_used;
	/* the protocol sets each field implies, made once and shared (isets are immutable) */
	struct sl_iset implied_l3[SL_FIELD_COUNT];
	struct sl_iset implied_l4[SL_FIELD_COUNT];
};

struct set_memo {
	const struct sl_ast_range *ranges; /* NULL: free slot */
	uint32_t nranges;
	enum sl_field field;
	enum sl_ast_match_kind kind;
	struct sl_iset set;
};

struct chain_slot {
	const struct sl_ast_chain *chain;
	uint32_t index;
};

/* `ether type` is `meta protocol` by definition: one field, so they can never diverge. */
static enum sl_field ir_field(enum sl_field field)
{
	return field == SL_FIELD_ETHER_TYPE ? SL_FIELD_META_PROTOCOL : field;
}

/* The values a checked match accepts, in the field's domain. */
static struct sl_iset match_set(struct sl_arena *a, const struct sl_ast_match *m)
{
	const struct sl_field_info *fi = sl_field_info(m->field);
	sl_u128 max = sl_field_max(m->field);
	struct sl_iset set;

	switch (m->kind) {
	case SL_AST_MATCH_IN:
	case SL_AST_MATCH_NOT_IN:
		set = sl_iset_from(a, (const struct sl_interval *)m->ranges, m->nranges);
		/* the checker keeps values in the domain; clip anyway, never trust a bound */
		if (set.n && set.iv[set.n - 1].hi > max)
			set = sl_iset_intersect(a, set, sl_iset_range(a, 0, max));
		break;
	default:
		set = sl_iset_masked(a, m->mask_bits, m->want_bits, fi->bits);
		break;
	}
	if (m->kind == SL_AST_MATCH_NOT_IN || m->kind == SL_AST_MATCH_NOT_MASKED)
		set = sl_iset_complement(a, set, max);
	if (m->field == SL_FIELD_CT_STATE) /* 5-7 name no state: `!=` does not add them */
		set = sl_iset_intersect(a, set, sl_iset_range(a, 0, SL_CT_UNTRACKED));
	return set;
}

_Static_assert(sizeof(struct sl_ast_range) == sizeof(struct sl_interval) &&
		   offsetof(struct sl_ast_range, lo) == offsetof(struct sl_interval, lo) &&
		   offsetof(struct sl_ast_range, hi) == offsetof(struct sl_interval, hi),
	       "AST ranges are read as IR intervals");

/* Big sets below this many ranges are cheap to redo; above it a $constant's set is made once. */
#define SL_MEMO_MIN_RANGES 8

static uint32_t memo_slot(const struct sl_ast_range *ranges, enum sl_field field,
			  enum sl_ast_match_kind kind, uint32_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)ranges * 0x9e3779b97f4a7c15ull;

	h ^= (h >> 29) ^ ((uint64_t)field << 7) ^ (uint64_t)kind;
	return (uint32_t)h & (cap - 1);
}

static bool memo_grow(struct lower *lw)
{
	uint32_t cap = lw->memo_cap ? 2 * lw->memo_cap : 64;
	struct set_memo *old = lw->memo, *memo = calloc(cap, sizeof(*memo));

	if (!memo)
		return false;
	for (uint32_t i = 0; i < lw->memo_cap; i++) {
		uint32_t j;

		if (!old[i].ranges)
			continue;
		j = memo_slot(old[i].ranges, old[i].field, old[i].kind, cap);
		while (memo[j].ranges)
			j = (j + 1) & (cap - 1);
		memo[j] = old[i];
	}
	free(old);
	lw->memo = memo;
	lw->memo_cap = cap;
	return true;
}

/*
 * match_set, remembered for the range arrays the checker shares between
 * matches using one $constant: a big set used by many rules is normalised
 * once and shared, not copied per rule.
 */
static struct sl_iset memo_match_set(struct lower *lw, const struct sl_ast_match *m)
{
	struct set_memo *slot;
	uint32_t j;

	if ((m->kind != SL_AST_MATCH_IN && m->kind != SL_AST_MATCH_NOT_IN) ||
	    m->nranges < SL_MEMO_MIN_RANGES)
		return match_set(lw->arena, m);
	if (2 * (lw->memo_used + 1) > lw->memo_cap && !memo_grow(lw))
		return match_set(lw->arena, m);
	for (j = memo_slot(m->ranges, m->field, m->kind, lw->memo_cap);;
	     j = (j + 1) & (lw->memo_cap - 1)) {
		slot = &lw->memo[j];
		if (!slot->ranges)
			break;
		if (slot->ranges == m->ranges && slot->nranges == m->nranges &&
		    slot->field == m->field && slot->kind == m->kind)
			return slot->set;
	}
	*slot =
	    (struct set_memo){m->ranges, m->nranges, m->field, m->kind, match_set(lw->arena, m)};
	lw->memo_used++;
	return slot->set;
}

static void acc_add(struct lower *lw, enum sl_field field, struct sl_iset set, struct sl_loc loc,
		    const struct sl_ast_match *m, bool implied)
{
	struct field_acc *acc = &lw->acc[field];

	if (!acc->used) {
		acc->used = true;
		acc->set = set;
		acc->loc = loc;
		acc->norigins = 0;
	} else {
		acc->set = sl_iset_intersect(lw->arena, acc->set, set);
	}
	if (acc->norigins < SL_ARRAY_SIZE(acc->origins))
		acc->origins[acc->norigins++] = (struct origin){m, implied};
}

static struct sl_iset values(struct sl_arena *a, int32_t v1, int32_t v2)
{
	struct sl_interval iv[2] = {{(sl_u128)v1, (sl_u128)v1}, {(sl_u128)v2, (sl_u128)v2}};

	return sl_iset_from(a, iv, v2 >= 0 ? 2 : 1);
}

static struct sl_iset implied_l3(struct lower *lw, const struct sl_field_info *fi)
{
	struct sl_iset *set = &lw->implied_l3[fi->id];

	if (!set->n)
		*set = values(lw->arena, fi->implied_l3, -1);
	return *set;
}

static struct sl_iset implied_l4(struct lower *lw, const struct sl_field_info *fi)
{
	struct sl_iset *set = &lw->implied_l4[fi->id];

	if (!set->n)
		*set = values(lw->arena, fi->implied_l4, fi->implied_l4_alt);
	return *set;
}

/* A field a named-set lookup reads: the packet must have it (a whole-domain predicate). */
static void add_set_field(struct lower *lw, const struct sl_ast_match *m, enum sl_field f,
			  struct sl_loc loc)
{
	const struct sl_field_info *fi = sl_field_info(f);

	acc_add(lw, ir_field(f), sl_iset_range(lw->arena, 0, sl_field_max(f)), loc, m, false);
	if (fi->implied_l3 >= 0)
		acc_add(lw, SL_FIELD_META_PROTOCOL, implied_l3(lw, fi), loc, m, true);
	if (fi->implied_l4 >= 0)
		acc_add(lw, SL_FIELD_META_L4PROTO, implied_l4(lw, fi), loc, m, true);
}

/* The match itself, then the protocol tests its field implies (field.h). */
static void add_match(struct lower *lw, const struct sl_ast_match *m)
{
	const struct sl_field_info *fi = sl_field_info(m->field);

	if (m->kind == SL_AST_MATCH_SET || m->kind == SL_AST_MATCH_NOT_SET) {
		add_set_field(lw, m, m->field, m->field_loc);
		for (uint32_t i = 0; i < m->nconcat; i++)
			add_set_field(lw, m, m->concat[i], m->concat_loc[i]);
		return;
	}
	acc_add(lw, ir_field(m->field), memo_match_set(lw, m), m->loc, m, false);
	if (fi->implied_l3 >= 0)
		acc_add(lw, SL_FIELD_META_PROTOCOL, implied_l3(lw, fi), m->field_loc, m, true);
	if (fi->implied_l4 >= 0)
		acc_add(lw, SL_FIELD_META_L4PROTO, implied_l4(lw, fi), m->field_loc, m, true);
}

/*
 * Headers whose presence a predicate needs (lang-spec §1): a predicate
 * whose set is the whole domain still tests that the packet has the field,
 * and may only go when another predicate of the rule needs a header that
 * implies it. Listed so that an implication never points backwards, except
 * the conditional ones in implied_by_sets().
 */
enum presence {
	PR_TCP,
	PR_UDP,
	PR_ICMP,
	PR_ICMP6,
	PR_TH,
	PR_IP6FRAG, /* ip6 frag: present exactly when an IPv6 packet's l4proto is */
	PR_IP4,
	PR_IP6,
	PR_L4PROTO,
	PR_VLAN,
	PR_PROTO,
	PR_ETH,
	PR_ALWAYS,
	PR_COUNT,
};

#define PR(x) (1u << (x))

static enum presence field_presence(enum sl_field f)
{
	switch (f) {
	case SL_FIELD_META_PROTOCOL:
	case SL_FIELD_ETHER_TYPE:
		return PR_PROTO;
	case SL_FIELD_META_L4PROTO:
		return PR_L4PROTO;
	case SL_FIELD_META_LENGTH:
	case SL_FIELD_META_IFINDEX:
		return PR_ALWAYS;
	case SL_FIELD_ETHER_SADDR:
	case SL_FIELD_ETHER_DADDR:
		return PR_ETH;
	case SL_FIELD_VLAN_ID:
		return PR_VLAN;
	case SL_FIELD_IP_SADDR ... SL_FIELD_IP_FRAG:
		return PR_IP4;
	case SL_FIELD_IP6_SADDR ... SL_FIELD_IP6_HOPLIMIT:
		return PR_IP6;
	case SL_FIELD_TCP_SPORT ... SL_FIELD_TCP_FLAGS:
		return PR_TCP;
	case SL_FIELD_UDP_SPORT:
	case SL_FIELD_UDP_DPORT:
		return PR_UDP;
	case SL_FIELD_TH_SPORT:
	case SL_FIELD_TH_DPORT:
		return PR_TH;
	case SL_FIELD_ICMP_TYPE:
	case SL_FIELD_ICMP_CODE:
		return PR_ICMP;
	case SL_FIELD_IP6_FRAG:
		return PR_IP6FRAG;
	case SL_FIELD_CT_STATE:
	case SL_FIELD_META_IFNAME:
		return PR_ALWAYS;
	default:
		return PR_ICMP6;
	}
}

/* Unconditional implications: a header is only parsed behind the ones it sits on. */
static const unsigned presence_implies[PR_COUNT] = {
    [PR_TCP] = PR(PR_TH) | PR(PR_L4PROTO),
    [PR_UDP] = PR(PR_TH) | PR(PR_L4PROTO),
    [PR_ICMP] = PR(PR_L4PROTO) | PR(PR_IP4),
    [PR_ICMP6] = PR(PR_L4PROTO) | PR(PR_IP6),
    [PR_TH] = PR(PR_L4PROTO),
    [PR_IP6FRAG] = PR(PR_L4PROTO) | PR(PR_IP6),
    [PR_IP4] = PR(PR_L4PROTO) | PR(PR_PROTO), /* a valid IPv4 header always gives l4proto */
    [PR_IP6] = PR(PR_PROTO),
    [PR_L4PROTO] = PR(PR_PROTO),
    [PR_VLAN] = PR(PR_ETH),
    [PR_PROTO] = PR(PR_ETH),
};

static bool set_is(struct sl_iset s, sl_u128 v)
{
	return s.n == 1 && s.iv[0].lo == v && s.iv[0].hi == v;
}

/* Implications that hold once the protocol predicates pin one protocol. */
static unsigned implied_by_sets(const struct field_acc *acc, unsigned have)
{
	const struct field_acc *l3 = &acc[SL_FIELD_META_PROTOCOL];
	const struct field_acc *l4 = &acc[SL_FIELD_META_L4PROTO];

	if ((have & PR(PR_L4PROTO)) && l3->used && set_is(l3->set, SL_ETH_P_IP))
		have |= PR(PR_IP4); /* l4proto is only there when the IPv4 header is */
	if ((have & PR(PR_L4PROTO)) && l3->used && set_is(l3->set, SL_ETH_P_IPV6))
		have |= PR(PR_IP6) | PR(PR_IP6FRAG);
	if ((have & PR(PR_TH)) && l4->used && set_is(l4->set, SL_IPPROTO_TCP))
		have |= PR(PR_TCP);
	if ((have & PR(PR_TH)) && l4->used && set_is(l4->set, SL_IPPROTO_UDP))
		have |= PR(PR_UDP);
	return have;
}

static unsigned presence_closure(const struct field_acc *acc, unsigned have)
{
	unsigned prev;

	do {
		prev = have;
		for (unsigned p = 0; p < PR_COUNT; p++) {
			if (have & PR(p))
				have |= presence_implies[p];
		}
		have = implied_by_sets(acc, have);
	} while (have != prev);
	return have;
}

/*
 * Fold away whole-domain predicates whose presence test other predicates
 * already make. `hooks`: where the chain runs (meta protocol is always
 * there without an Ethernet header).
 */
static void drop_full_preds(struct lower *lw, unsigned hooks)
{
	unsigned have = PR(PR_ALWAYS);
	struct field_acc *acc = lw->acc;

	if (!(hooks & SL_HOOKS_L2))
		have |= PR(PR_PROTO);
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		if (acc[f].used && !sl_iset_is_full(acc[f].set, sl_field_max(f)))
			have |= PR(field_presence(f));
	}
	have = presence_closure(acc, have);
	/* most specific headers first: keeping one may make the others redundant */
	for (unsigned p = 0; p < PR_COUNT; p++) {
		for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
			if (!acc[f].used || field_presence(f) != p ||
			    !sl_iset_is_full(acc[f].set, sl_field_max(f)))
				continue;
			if (have & PR(p))
				acc[f].used = false;
			else
				have = presence_closure(acc, have | PR(p));
		}
	}
}

static char *pred_text(struct sl_arena *a, enum sl_field field, struct sl_iset set)
{
	struct sl_ir_pred pred = {field, set, SL_LOC_NONE};
	char *buf = NULL, *s;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return sl_arena_strdup(a, sl_field_info(field)->name);
	sl_ir_dump_pred(&pred, out);
	fclose(out);
	s = sl_arena_strdup(a, buf ? buf : "");
	free(buf);
	return s;
}

/*
 * The checker already warns about fields whose implied protocols conflict
 * (`ip saddr` with `ip6 daddr`, `tcp dport` with `udp dport`) and about
 * masked matches wanting bits outside the mask: say nothing twice.
 */
static bool checker_reported(const struct field_acc *acc)
{
	const struct sl_ast_match *m = acc->origins[0].match;
	bool all_implied = acc->norigins < SL_ARRAY_SIZE(acc->origins);

	for (uint32_t i = 0; i < acc->norigins; i++)
		all_implied &= acc->origins[i].implied;
	if (all_implied)
		return true;
	return acc->norigins == 1 && m->kind == SL_AST_MATCH_MASKED &&
	       (m->want_bits & ~m->mask_bits) != 0;
}

/* Explain why `field` has no value left: every match that constrained it. */
static void report_impossible(struct lower *lw, const struct sl_ast_rule *rule, enum sl_field field)
{
	const struct field_acc *acc = &lw->acc[field];
	const char *name = sl_field_info(field)->name;

	if (checker_reported(acc))
		return;
	if (acc->norigins == 1 && !acc->origins[0].implied) {
		sl_warning(lw->diag, acc->origins[0].match->loc,
			   "rule can never match: no value of %s satisfies this match", name);
		return;
	}
	sl_warning(lw->diag, rule->loc,
		   "rule can never match: its conditions on %s exclude each other", name);
	if (lw->diag->quiet_warnings)
		return; /* the notes belong to a warning nobody sees */
	for (uint32_t i = 0; i < acc->norigins; i++) {
		const struct sl_ast_match *m = acc->origins[i].match;
		const struct sl_field_info *mf = sl_field_info(m->field);

		if (acc->origins[i].implied)
			sl_note(lw->diag, m->field_loc, "%s needs %s", mf->name,
				pred_text(lw->arena, field,
					  field == SL_FIELD_META_PROTOCOL ? implied_l3(lw, mf)
									  : implied_l4(lw, mf)));
		else
			sl_note(lw->diag, m->loc, "this match allows %s",
				pred_text(lw->arena, field, match_set(lw->arena, m)));
	}
}

/* IPv6 extension headers the walk steps over (packet-semantics §5): never meta l4proto there. */
static const char *ip6_walked_over(sl_u128 v)
{
	switch ((unsigned)v) {
	case 0:
		return "hopopt";
	case 43:
		return "ipv6-route";
	case 44:
		return "ipv6-frag";
	case 60:
		return "ipv6-opts";
	default:
		return NULL;
	}
}

/*
 * `meta l4proto ipv6-frag` (or hopopt, ipv6-route, ipv6-opts) never holds on
 * IPv6: the walk steps over those headers. On IPv4 the protocol field may
 * still carry the number, so the rule can match only there: say which.
 */
static void warn_walked_l4proto(struct lower *lw)
{
	const struct field_acc *l4 = &lw->acc[SL_FIELD_META_L4PROTO];
	const struct field_acc *l3 = &lw->acc[SL_FIELD_META_PROTOCOL];
	const struct sl_ast_match *m = NULL;
	bool has44 = false;
	char names[64] = "";

	if (!l4->used)
		return;
	for (uint32_t i = 0; i < l4->norigins && i < SL_ARRAY_SIZE(l4->origins); i++) {
		if (!l4->origins[i].implied && l4->origins[i].match->field == SL_FIELD_META_L4PROTO)
			m = l4->origins[i].match;
	}
	if (!m)
		return;
	for (uint32_t i = 0; i < l4->set.n; i++) {
		for (sl_u128 v = l4->set.iv[i].lo;; v++) {
			const char *name = v <= 60 ? ip6_walked_over(v) : NULL;

			if (!name)
				return;
			has44 |= v == 44;
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? " or " : "", name);
			if (v == l4->set.iv[i].hi)
				break;
		}
	}
	if (l3->used && set_is(l3->set, SL_ETH_P_IPV6))
		sl_warning(lw->diag, m->loc,
			   "rule can never match: on IPv6, meta l4proto is never %s (the extension "
			   "header walk steps over it)",
			   names);
	else
		sl_warning(lw->diag, m->loc,
			   "this matches IPv4 packets only: on IPv6, meta l4proto is never %s (the "
			   "extension header walk steps over it)",
			   names);
	if (has44 && !lw->diag->quiet_warnings)
		sl_note(lw->diag, m->loc,
			"to match IPv6 fragments, use 'ip6 frag first' or 'ip6 frag later'");
}

static int chain_slot_cmp(const void *pa, const void *pb)
{
	const struct chain_slot *a = pa, *b = pb;

	if (a->chain != b->chain)
		return (uintptr_t)a->chain < (uintptr_t)b->chain ? -1 : 1;
	return 0;
}

static int chain_index(const struct lower *lw, const struct sl_ast_chain *chain, uint32_t *index)
{
	struct chain_slot key = {chain, 0}, *found;

	found = bsearch(&key, lw->slots, lw->nslots, sizeof(key), chain_slot_cmp);
	if (!found)
		return -EINVAL;
	*index = found->index;
	return 0;
}

static enum sl_ir_action ir_action(enum sl_ast_action action)
{
	switch (action) {
	case SL_AST_ACCEPT:
		return SL_IR_ACCEPT;
	case SL_AST_DROP:
		return SL_IR_DROP;
	case SL_AST_JUMP:
		return SL_IR_JUMP;
	case SL_AST_GOTO:
		return SL_IR_GOTO;
	case SL_AST_RETURN:
		return SL_IR_RETURN;
	default:
		return SL_IR_CONTINUE;
	}
}

/* The IR must outlive the AST unless both live in the same arena: then share strings. */
static const char *ir_str(const struct lower *lw, const char *s)
{
	if (!s)
		return "";
	return lw->ast->arena == lw->arena ? s : sl_arena_strdup(lw->arena, s);
}

static uint32_t set_index(const struct sl_ast *ast, const struct sl_ast_set *s)
{
	for (uint32_t i = 0; i < ast->nsets; i++)
		if (ast->sets[i] == s)
			return i;
	return UINT32_MAX;
}

/* The rule's named-set lookups, in written order. */
static void lower_setrefs(struct lower *lw, const struct sl_ast_rule *rule, struct sl_ir_rule *out)
{
	struct sl_ir_setref *refs;
	uint32_t n = 0;

	for (uint32_t i = 0; i < rule->nmatches; i++)
		n += rule->matches[i].kind == SL_AST_MATCH_SET ||
		     rule->matches[i].kind == SL_AST_MATCH_NOT_SET;
	if (!n)
		return;
	refs = sl_arena_calloc(lw->arena, n, sizeof(*refs));
	n = 0;
	for (uint32_t i = 0; i < rule->nmatches; i++) {
		const struct sl_ast_match *m = &rule->matches[i];
		struct sl_ir_setref *r = &refs[n];

		if (m->kind != SL_AST_MATCH_SET && m->kind != SL_AST_MATCH_NOT_SET)
			continue;
		r->set = set_index(lw->ast, m->set);
		r->negated = m->kind == SL_AST_MATCH_NOT_SET;
		r->nfields = 1 + m->nconcat;
		r->fields[0] = m->field;
		for (uint32_t k = 0; k < m->nconcat; k++)
			r->fields[k + 1] = m->concat[k];
		r->loc = m->loc;
		n++;
	}
	out->nsetrefs = n;
	out->setrefs = refs;
}

static void lower_ifnames(struct lower *lw)
{
	const struct sl_ast *ast = lw->ast;

	lw->ir->nifnames = ast->nifnames;
	if (!ast->nifnames)
		return;
	lw->ir->ifnames = sl_arena_calloc(lw->arena, ast->nifnames, sizeof(*lw->ir->ifnames));
	for (uint32_t i = 0; i < ast->nifnames; i++) {
		lw->ir->ifnames[i].name = sl_arena_strdup(lw->arena, ast->ifnames[i].name);
		lw->ir->ifnames[i].loc = ast->ifnames[i].loc;
		lw->ir->ifnames[i].required = ast->ifnames[i].required;
	}
}

/* The policy's named sets, with their elements in field domains and as map keys. */
static void lower_sets(struct lower *lw)
{
	const struct sl_ast *ast = lw->ast;
	struct sl_ir *ir = lw->ir;

	ir->nsets = ast->nsets;
	if (!ast->nsets)
		return;
	ir->sets = sl_arena_calloc(lw->arena, ast->nsets, sizeof(*ir->sets));
	for (uint32_t i = 0; i < ast->nsets; i++) {
		const struct sl_ast_set *a = ast->sets[i];
		struct sl_ir_set *s = &ir->sets[i];
		struct sl_ir_set_elem *elems =
		    sl_arena_calloc(lw->arena, a->nelems + 1, sizeof(*elems));
		uint8_t *keys = sl_arena_alloc(lw->arena, (size_t)a->nkeys * a->key_size + 1);

		for (uint32_t e = 0; e < a->nelems; e++) {
			memcpy(elems[e].lo, a->elems[e].lo, sizeof(elems[e].lo));
			memcpy(elems[e].hi, a->elems[e].hi, sizeof(elems[e].hi));
		}
		memcpy(keys, a->keys, (size_t)a->nkeys * a->key_size);
		*s = (struct sl_ir_set){
		    .name = ir_str(lw, a->name),
		    .loc = a->loc,
		    .ntypes = a->ntypes,
		    .flags = a->flags,
		    .capacity = a->capacity,
		    .timeout_ns = a->timeout_ns,
		    .key_size = a->key_size,
		    .nkeys = a->nkeys,
		    .keys = keys,
		    .nelems = a->nelems,
		    .elems = elems,
		};
		memcpy(s->types, a->types, sizeof(s->types));
	}
}

/* Lower one rule into *out; returns 1 when it can never match (reported), 0, or -errno. */
static int lower_rule(struct lower *lw, const struct sl_ast_rule *rule, unsigned hooks,
		      struct sl_ir_rule *out)
{
	uint32_t npreds = 0;
	bool any_full = false;

	for (unsigned f = 0; f < SL_FIELD_COUNT; f++)
		lw->acc[f].used = false;
	for (uint32_t i = 0; i < rule->nmatches; i++) {
		if ((unsigned)rule->matches[i].field >= SL_FIELD_COUNT)
			return -EINVAL;
		add_match(lw, &rule->matches[i]);
	}
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		if (!lw->acc[f].used)
			continue;
		if (sl_iset_is_empty(lw->acc[f].set)) {
			report_impossible(lw, rule, f);
			return 1;
		}
		any_full |= sl_iset_is_full(lw->acc[f].set, sl_field_max(f));
	}
	warn_walked_l4proto(lw);
	if (any_full)
		drop_full_preds(lw, hooks);
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		if (lw->acc[f].used)
			lw->preds[npreds++] =
			    (struct sl_ir_pred){f, lw->acc[f].set, lw->acc[f].loc};
	}

	memset(out, 0, sizeof(*out));
	out->loc = rule->loc;
	out->text = ir_str(lw, rule->text);
	out->npreds = npreds;
	if (npreds) {
		struct sl_ir_pred *preds = sl_arena_calloc(lw->arena, npreds, sizeof(*preds));

		memcpy(preds, lw->preds, npreds * sizeof(*preds));
		out->preds = preds;
	}
	lower_setrefs(lw, rule, out);
	out->counter = rule->counter;
	out->limit = rule->limit;
	out->log = rule->log;
	out->action = ir_action(rule->action);
	out->action_loc = rule->action_loc;
	if (out->action == SL_IR_JUMP || out->action == SL_IR_GOTO)
		return chain_index(lw, rule->target_chain, &out->target);
	return 0;
}

static int lower_chain(struct lower *lw, const struct sl_ast_chain *chain, unsigned hooks,
		       struct sl_ir_chain *out)
{
	struct sl_ir_rule *rules = NULL;
	uint32_t n = 0;

	out->name = ir_str(lw, chain->name);
	out->loc = chain->loc;
	if (chain->nrules)
		rules = sl_arena_calloc(lw->arena, chain->nrules, sizeof(*rules));
	for (uint32_t i = 0; i < chain->nrules; i++) {
		int r = lower_rule(lw, &chain->rules[i], hooks, &rules[n]);

		if (r < 0)
			return r;
		if (r == 0)
			n++;
	}
	out->nrules = n;
	out->rules = rules;
	return 0;
}

/*
 * Position of a location in the policy read as one text, includes expanded
 * where they were written: the include chain from the main file down.
 */
#define SL_LOC_PATH_MAX 64

struct chain_pos {
	struct sl_loc path[SL_LOC_PATH_MAX];
	uint32_t depth;
	uint32_t chain;
};

static void chain_position(const struct sl_sources *srcs, struct sl_loc loc, struct chain_pos *pos)
{
	struct sl_loc rev[SL_LOC_PATH_MAX];
	uint32_t n = 0;

	while (n < SL_LOC_PATH_MAX) {
		const struct sl_source *src = sl_sources_get(srcs, loc.file);

		rev[n++] = loc;
		if (!src || src->included_from.file == SL_LOC_NONE.file)
			break;
		loc = src->included_from;
	}
	for (uint32_t i = 0; i < n; i++)
		pos->path[i] = rev[n - 1 - i];
	pos->depth = n;
}

static int loc_cmp(struct sl_loc a, struct sl_loc b)
{
	if (a.file != b.file)
		return a.file < b.file ? -1 : 1;
	if (a.line != b.line)
		return a.line < b.line ? -1 : 1;
	if (a.col != b.col)
		return a.col < b.col ? -1 : 1;
	return 0;
}

static int chain_pos_cmp(const void *pa, const void *pb)
{
	const struct chain_pos *a = pa, *b = pb;

	for (uint32_t i = 0; i < a->depth && i < b->depth; i++) {
		int c = loc_cmp(a->path[i], b->path[i]);

		if (c)
			return c;
	}
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	return a->chain < b->chain ? -1 : a->chain > b->chain;
}

/* Rule ids in source order across tables and chains, whatever order chains[] has. */
static int number_rules(struct sl_ir *ir)
{
	struct chain_pos *pos = calloc(ir->nchains ? ir->nchains : 1, sizeof(*pos));
	uint32_t id = 0;

	if (!pos)
		return -ENOMEM;
	for (uint32_t c = 0; c < ir->nchains; c++) {
		chain_position(ir->srcs, ir->chains[c].loc, &pos[c]);
		pos[c].chain = c;
	}
	qsort(pos, ir->nchains, sizeof(*pos), chain_pos_cmp);
	for (uint32_t i = 0; i < ir->nchains; i++) {
		struct sl_ir_chain *chain = &ir->chains[pos[i].chain];

		for (uint32_t r = 0; r < chain->nrules; r++)
			chain->rules[r].id = id++;
	}
	ir->nrules = id;
	free(pos);
	return 0;
}

static void hash_sources(struct sl_ir *ir)
{
	struct sl_sha256 ctx;

	sl_sha256_init(&ctx);
	for (uint32_t i = 0; ir->srcs && i < ir->srcs->nfiles; i++)
		sl_sha256_update(&ctx, ir->srcs->files[i].text, ir->srcs->files[i].size);
	sl_sha256_final(&ctx, ir->source_hash);
}

static void index_chains(struct lower *lw)
{
	const struct sl_ast *ast = lw->ast;

	lw->nslots = ast->ntables + ast->nchains;
	lw->slots = sl_arena_calloc(lw->arena, lw->nslots ? lw->nslots : 1, sizeof(*lw->slots));
	for (uint32_t t = 0; t < ast->ntables; t++)
		lw->slots[t] = (struct chain_slot){&ast->tables[t]->body, t};
	for (uint32_t c = 0; c < ast->nchains; c++)
		lw->slots[ast->ntables + c] = (struct chain_slot){ast->chains[c], ast->ntables + c};
	qsort(lw->slots, lw->nslots, sizeof(*lw->slots), chain_slot_cmp);
}

static int lower_policy(struct lower *lw)
{
	const struct sl_ast *ast = lw->ast;
	struct sl_ir *ir = lw->ir;
	int r;

	ir->ntables = ast->ntables;
	ir->nchains = ast->ntables + ast->nchains;
	ir->tables =
	    sl_arena_calloc(lw->arena, ast->ntables ? ast->ntables : 1, sizeof(*ir->tables));
	ir->chains = sl_arena_calloc(lw->arena, ir->nchains ? ir->nchains : 1, sizeof(*ir->chains));
	index_chains(lw);
	lower_sets(lw);
	lower_ifnames(lw);
	for (uint32_t t = 0; t < ast->ntables; t++) {
		const struct sl_ast_table *table = ast->tables[t];

		ir->tables[t] = (struct sl_ir_table){
		    .name = ir_str(lw, table->name),
		    .loc = table->loc,
		    .hook = table->hook,
		    .policy = table->policy,
		    .entry = t,
		    .accept_next = table->accept_next,
		};
		r = lower_chain(lw, &table->body, SL_HOOK_BIT(table->hook), &ir->chains[t]);
		if (r)
			return r;
	}
	for (uint32_t c = 0; c < ast->nchains; c++) {
		const struct sl_ast_chain *chain = ast->chains[c];
		/* a chain no table reaches runs nowhere: assume the hooks that keep most tests */
		unsigned hooks = chain->hooks ? chain->hooks : SL_HOOKS_ALL;

		r = lower_chain(lw, chain, hooks, &ir->chains[ast->ntables + c]);
		if (r)
			return r;
	}
	return number_rules(ir);
}

int sl_ir_lower(const struct sl_ast *ast, struct sl_arena *arena, struct sl_diag *diag,
		struct sl_ir **out)
{
	struct lower lw = {.ast = ast, .arena = arena, .diag = diag};
	struct sl_ir *ir;
	int r;

	*out = NULL;
	if (!ast || !ast->checked) {
		sl_diag_plain(diag, SL_SEV_ERROR, "internal: lowering needs a checked policy");
		return -EINVAL;
	}
	ir = sl_arena_alloc(arena, sizeof(*ir));
	ir->arena = arena;
	ir->srcs = ast->srcs;
	ir->name = sl_arena_strdup(arena, ast->name ? ast->name : "");
	hash_sources(ir);
	lw.ir = ir;
	r = lower_policy(&lw);
	free(lw.memo);
	if (r) {
		sl_diag_plain(diag, SL_SEV_ERROR, "internal: malformed checked policy (%s)",
			      strerror(-r));
		return r;
	}
	*out = ir;
	return 0;
}
