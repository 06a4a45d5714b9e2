// SPDX-License-Identifier: GPL-2.0-only
/*
 * -O0 body: the rules one after the other, as written; chains inlined at
 * every jump/goto (the checker forbids cycles and bounds nesting).
 *
 * Accept/drop rules are early-exit code, as a C compiler would write them:
 * a rule tests its most selective predicate first, and a packet that fails
 * it has paid two or three instructions for the rule. Rules come in chunks
 * of up to SL_CG_CHUNK_RULES:
 *
 *       [dispatch: if <slot> s>= 0 goto body; goto end]   (not in the first chunk)
 *   body:
 *   e1: if <first test of rule 1 passes> goto r1
 *   e2: if <first test of rule 2 passes> goto r2
 *       ...
 *       goto end
 *   r1: if <another test of rule 1 fails> goto e2
 *       ...  verdict of rule 1
 *   r2: ...
 *   end:
 *
 * The layout is for the verifier, which walks paths depth first, following
 * the fall-through of a branch and stacking its target (at most 8192 pending
 * branches). Its first path falls through every first test and every
 * dispatch (the dispatch's test is always true, but not to the verifier), so
 * it sees the whole program before any rule's rest; then it takes up the
 * chunks from the last, and a chunk's rests, each a short path that ends in a
 * verdict or in a state it has seen. At most one pending branch per rule of
 * a chunk and one per chunk. And on kernels (6.18) that redo their stack
 * liveness analysis over the whole program at the end of a path that read a
 * stack slot not yet known to be read later, few paths do: every later rule
 * has been seen when a rest is walked. Rules testing each predicate in turn
 * with the fall-through as "match" made one such path end per rule:
 * quadratic, 9,000 rules took 17 s to load.
 *
 * A first test keeps the field's value in R4: when the next rule tests the
 * same field first, and this rule's rest leaves R4 alone, it is not read
 * again, and the test is one compare-and-jump.
 *
 * At -O2, a chunk of rules that all test one field for one value first
 * (`ip saddr 10.0.0.1 ...`, each its own address) opens with a value
 * dispatch: a binary search over the values that jumps to the first rule
 * whose value the packet has (or past the chunk), as a C compiler lowers a
 * switch. The rules before it cannot match, and from there on the chain runs
 * as before, so the first match is the same. ClassBench acl1's first 10
 * rules: 10 compares for a packet that matches none, about 4 with it.
 *
 * Other rules (counting and going on, jump, goto, return, no predicate) test
 * all predicates branch-free (codegen_match.c) and skip themselves with one
 * jump.
 */
#include <errno.h>
#include <stdlib.h>

#include "emit/codegen.h"
#include "emit/table_walk.h"

#define MAX_NESTING 16
/*
 * Chunks stay this short (estimated), and so do rules in chunks, so that
 * the backward jumps from a rest to the next rule stay within 16 bits.
 */
#define CHUNK_INSNS 8192
#define RULE_INSNS  4096
/*
 * The verifier walks at most 1,000,000 instruction steps, and early-exit code
 * costs it about 2.3 steps per instruction (a rule's rest that fails walks a
 * few first tests again until a state it stored): beyond this many
 * instructions the program cannot load, so it is not built.
 */
#define STRAIGHT_MAX 400000u
/* Fewer rules than this are cheaper tested in turn than through a search. */
#define DISPATCH_MIN 6

/* At most one predicate per field: a rule's predicates fit a 64-bit mask. */
_Static_assert(SL_FIELD_COUNT <= 64, "predicate masks");

static int emit_chain(struct sl_cg *cg, uint32_t chain, sl_label ret, unsigned depth,
		      bool ret_follows);

static struct sl_loc action_loc(const struct sl_ir_rule *r)
{
	return r->action_loc.file != UINT32_MAX ? r->action_loc : r->loc;
}

static struct sl_loc pred_loc(const struct sl_ir_rule *r, const struct sl_ir_pred *p)
{
	return p->loc.file != UINT32_MAX ? p->loc : r->loc;
}

/* R6 = negative when the rule does not match (0 when it has no predicate). */
static void emit_mismatch(struct sl_cg *cg, const struct sl_ir_rule *r)
{
	struct sl_emit *e = &cg->e;

	if (!r->npreds)
		sl_emit(e, SL_MOV64_IMM(SL_R6, 0));
	for (uint32_t k = 0; k < r->npreds; k++) {
		const struct sl_ir_pred *p = &r->preds[k];

		sl_emit_set_loc(e, pred_loc(r, p));
		sl_emit_safe_point(e);
		sl_cg_mismatch(cg, p->field, p->set, k ? SL_R7 : SL_R6);
		if (k)
			sl_emit(e, SL_ALU64_REG(BPF_OR, SL_R6, SL_R7));
	}
}

static uint32_t rule_cost(const struct sl_cg *cg, const struct sl_ir_rule *r)
{
	uint64_t n = 4;

	for (uint32_t k = 0; k < r->npreds; k++)
		n += sl_cg_branch_cost(cg, r->preds[k].field, r->preds[k].set);
	return n < UINT32_MAX ? (uint32_t)n : UINT32_MAX;
}

static bool early_exit(const struct sl_cg *cg, const struct sl_ir_rule *r)
{
	return (r->action == SL_IR_ACCEPT || r->action == SL_IR_DROP) && r->npreds &&
	       !sl_ir_rule_stateful(r) && !sl_ir_rule_opaque(r) && r->npreds <= 64 &&
	       rule_cost(cg, r) <= RULE_INSNS;
}

/* The share of the field's values the predicate accepts. */
static double pred_share(const struct sl_ir_pred *p)
{
	double n = 0, domain = 1;

	for (uint32_t i = 0; i < p->set.n; i++)
		n += (double)(p->set.iv[i].hi - p->set.iv[i].lo) + 1;
	for (unsigned b = 0; b < sl_field_info(p->field)->bits; b++)
		domain *= 2;
	return n / domain;
}

/* Does predicate a go before b? Fewer values first (it fails most); then cheaper. */
static bool pred_before(const struct sl_cg *cg, const struct sl_ir_pred *a,
			const struct sl_ir_pred *b)
{
	double sa = pred_share(a), sb = pred_share(b);

	if (sa != sb)
		return sa < sb;
	return sl_cg_branch_cost(cg, a->field, a->set) < sl_cg_branch_cost(cg, b->field, b->set);
}

/* The meta protocol values a packet that has the field can have (0, 1 or 2 of them). */
static unsigned field_l3(enum sl_field f, int32_t l3[2])
{
	const struct sl_field_info *fi = sl_field_info(f);

	if (fi->implied_l3 >= 0) {
		l3[0] = fi->implied_l3;
		return 1;
	}
	if (fi->implied_l4 >= 0 || f == SL_FIELD_META_L4PROTO) {
		l3[0] = SL_ETH_P_IP;
		l3[1] = SL_ETH_P_IPV6;
		return 2;
	}
	return 0;
}

/*
 * Does another predicate of the rule imply predicate k? `meta protocol` and
 * `meta l4proto` tests that the rule's other fields imply (`ip saddr` is only
 * present in IPv4 packets, `tcp dport` only when l4proto is 6) need no code:
 * the implying field is tested, and a predicate on a missing field is false.
 * Implications only run from L4 and L3 fields down to the protocols: no cycle.
 */
static bool pred_implied(const struct sl_ir_rule *r, uint32_t k)
{
	const struct sl_ir_pred *p = &r->preds[k];

	if (p->field != SL_FIELD_META_PROTOCOL && p->field != SL_FIELD_META_L4PROTO)
		return false;
	for (uint32_t j = 0; j < r->npreds; j++) {
		const struct sl_field_info *fi = sl_field_info(r->preds[j].field);
		int32_t v[2];
		unsigned n = 0;

		if (j == k)
			continue;
		if (p->field == SL_FIELD_META_PROTOCOL) {
			n = field_l3(r->preds[j].field, v);
		} else if (fi->implied_l4 >= 0) {
			v[n++] = fi->implied_l4;
			if (fi->implied_l4_alt >= 0)
				v[n++] = fi->implied_l4_alt;
		}
		bool all = n > 0;

		for (unsigned i = 0; i < n; i++)
			all = all && sl_iset_contains(p->set, (sl_u128)v[i]);
		if (all)
			return true;
	}
	return false;
}

/* The untested predicate to test next. */
static uint32_t next_test(const struct sl_cg *cg, const struct sl_ir_rule *r, uint64_t tested)
{
	uint32_t best = UINT32_MAX;

	for (uint32_t j = 0; j < r->npreds; j++) {
		if (tested & (1ull << j))
			continue;
		if (best == UINT32_MAX || pred_before(cg, &r->preds[j], &r->preds[best]))
			best = j;
	}
	return best;
}

/*
 * The rest of a chunk's rule: its other predicates, each failing to `next`
 * (the next rule's first test); then its verdict.
 */
static void emit_rest(struct sl_cg *cg, const struct sl_cg_early *x, sl_label next)
{
	const struct sl_ir_rule *r = x->rule;
	struct sl_emit *e = &cg->e;
	uint64_t tested = 1ull << x->first;
	enum sl_verdict verdict = r->action == SL_IR_DROP ? SL_VERDICT_DROP : SL_VERDICT_ACCEPT;

	sl_emit_bind(e, x->rest);
	for (uint32_t n = 1; n < r->npreds; n++) {
		uint32_t k = next_test(cg, r, tested);

		tested |= 1ull << k;
		if (pred_implied(r, k))
			continue;
		sl_emit_set_loc(e, pred_loc(r, &r->preds[k]));
		sl_emit_safe_point(e);
		sl_cg_branch(cg, r->preds[k].field, r->preds[k].set, false, next);
	}
	sl_emit_set_loc(e, action_loc(r));
	if (!r->counter && cg->decision_map < 0) {
		/* Nothing to count or record: no detour through a shared tail. */
		sl_cg_exit(cg, verdict);
		return;
	}
	sl_cg_verdict(cg, r->id, verdict, r->counter);
}

/* Does the rule's rest (all but its first predicate) overwrite R4? */
static bool rest_clobbers_r4(const struct sl_ir_rule *r, uint32_t first)
{
	for (uint32_t k = 0; k < r->npreds; k++) {
		if (k != first && sl_cg_words(r->preds[k].field) > 1)
			return true; /* wide tests use R4 (codegen_match.c) */
	}
	return false;
}

static void chunk_close(struct sl_cg *cg)
{
	struct sl_emit *e = &cg->e;
	uint32_t n = cg->chunk_rules;

	if (!n)
		return;
	sl_emit_ja(e, cg->chunk_end);
	for (uint32_t i = 0; i < n; i++)
		emit_rest(cg, &cg->chunk[i], i + 1 < n ? cg->chunk[i + 1].entry : cg->chunk_end);
	sl_emit_bind(e, cg->chunk_end);
	cg->chunk_rules = 0;
	cg->chunk_insns = 0;
	cg->dispatch_rules = 0;
}

/*
 * Before every chunk but the first: a branch the verifier cannot decide
 * (every slot holds less than 2^63) whose fall-through skips the chunk, so
 * that it walks the chunks after this one first (see the top of the file).
 */
static void chunk_dispatch(struct sl_cg *cg, const struct sl_ir_pred *p)
{
	struct sl_emit *e = &cg->e;
	sl_label body = sl_emit_new_label(e);

	sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_FP, sl_cg_slot(cg, p->field, 0)));
	/*
	 * The load links R1 to the slot (a spilled register): the branch would
	 * narrow the slot too, and decide every later dispatch on it. An ALU
	 * result is a new value to the verifier.
	 */
	sl_emit(e, SL_ALU64_IMM(BPF_AND, SL_R1, -1));
	sl_emit_jmp_imm(e, BPF_JSGE, SL_R1, 0, body);
	cg->held = -1;
	sl_emit_ja(e, cg->chunk_end);
	sl_emit_bind(e, body);
}

/* The value rule r tests first, if its first test is one non-zero value of a narrow field. */
static bool first_value(const struct sl_cg *cg, const struct sl_ir_rule *r, enum sl_field *field,
			uint32_t *value)
{
	const struct sl_ir_pred *p;

	if (!early_exit(cg, r))
		return false;
	p = &r->preds[next_test(cg, r, 0)];
	/* 32-bit compares; a zero would also be the low word of an absent field's slot */
	if (sl_field_info(p->field)->bits > 32 || p->set.n != 1 ||
	    p->set.iv[0].lo != p->set.iv[0].hi || !p->set.iv[0].lo)
		return false;
	*field = p->field;
	*value = (uint32_t)p->set.iv[0].lo;
	return true;
}

struct dispatch_value {
	uint32_t value, rule; /* the first rule of the chunk testing it */
};

static int cmp_dispatch_value(const void *a, const void *b)
{
	const struct dispatch_value *x = a, *y = b;

	return x->value != y->value ? (x->value < y->value ? -1 : 1)
				    : (x->rule < y->rule ? -1 : x->rule > y->rule);
}

/* Binary search over v[lo, hi) on w1; each value's leaf loads R4 and enters its rule. */
static void dispatch_search(struct sl_cg *cg, const struct dispatch_value *v, uint32_t lo,
			    uint32_t hi, enum sl_field field)
{
	struct sl_emit *e = &cg->e;

	if (hi - lo <= 3) {
		sl_label leaf[3];

		for (uint32_t i = lo; i < hi; i++) {
			leaf[i - lo] = sl_emit_new_label(e);
			sl_emit_jmp32_imm(e, BPF_JEQ, SL_R1, (int32_t)v[i].value, leaf[i - lo]);
		}
		sl_emit_ja(e, cg->chunk_end);
		for (uint32_t i = lo; i < hi; i++) {
			sl_emit_bind(e, leaf[i - lo]);
			sl_emit(e, SL_LDX(BPF_DW, SL_R4, SL_FP, sl_cg_slot(cg, field, 0)));
			sl_emit_ja(e, cg->dispatch_entry[v[i].rule]);
		}
		return;
	}
	uint32_t mid = lo + (hi - lo) / 2;
	sl_label right = sl_emit_new_label(e);

	sl_emit_jmp32_imm(e, BPF_JGE, SL_R1, (int32_t)v[mid].value, right);
	dispatch_search(cg, v, lo, mid, field);
	sl_emit_bind(e, right);
	dispatch_search(cg, v, mid, hi, field);
}

/*
 * At the opening of a chunk, rules r[0..nstraight) ahead of it staying
 * straight code: when at least DISPATCH_MIN of them in a row test one field
 * for one value first, the chunk takes exactly those and opens with a value
 * dispatch (see the top of the file).
 */
static void chunk_value_dispatch(struct sl_cg *cg, const struct sl_ir_rule *r, uint32_t nstraight)
{
	struct sl_emit *e = &cg->e;
	struct dispatch_value v[SL_CG_CHUNK_RULES];
	enum sl_field field = 0, f;
	uint32_t n = 0, nv = 0, insns = 0;

	cg->dispatch_rules = 0;
	if (!cg->sel.value_dispatch)
		return;
	while (n < nstraight && n < SL_CG_CHUNK_RULES && first_value(cg, &r[n], &f, &v[n].value) &&
	       (!n || f == field)) {
		insns += rule_cost(cg, &r[n]);
		if (insns > CHUNK_INSNS) /* the chunk would close early */
			break;
		field = f;
		v[n].rule = n;
		n++;
	}
	if (n < DISPATCH_MIN)
		return;
	cg->dispatch_rules = n;
	for (uint32_t i = 0; i < n; i++)
		cg->dispatch_entry[i] = sl_emit_new_label(e);
	qsort(v, n, sizeof(*v), cmp_dispatch_value);
	for (uint32_t i = 0; i < n; i++) /* each value's first rule */
		if (!nv || v[nv - 1].value != v[i].value)
			v[nv++] = v[i];
	/* A copy the search may narrow: the slot and R4 learn nothing from it. */
	sl_emit(e, SL_LDX(BPF_DW, SL_R1, SL_FP, sl_cg_slot(cg, field, 0)));
	sl_emit(e, SL_ALU64_IMM(BPF_AND, SL_R1, -1));
	dispatch_search(cg, v, 0, nv, field);
}

/*
 * The rule's first test into the open chunk; its rest waits for chunk_close().
 * r[0..nstraight) stay straight code (r is the first).
 */
static void chunk_rule(struct sl_cg *cg, const struct sl_ir_rule *r, uint32_t nstraight)
{
	struct sl_emit *e = &cg->e;
	uint32_t cost = rule_cost(cg, r);
	const struct sl_ir_pred *p;
	struct sl_cg_early *x;

	if (cg->chunk_rules && !cg->dispatch_rules && cg->chunk_insns + cost > CHUNK_INSNS)
		chunk_close(cg);
	x = &cg->chunk[cg->chunk_rules];
	*x = (struct sl_cg_early){
	    .rule = r,
	    .first = next_test(cg, r, 0),
	    .rest = sl_emit_new_label(e),
	};
	sl_emit_set_loc(e, r->loc);
	sl_emit_safe_point(e);
	p = &r->preds[x->first];
	if (!cg->chunk_rules) {
		cg->chunk_end = sl_emit_new_label(e);
		cg->held = -1;
		if (cg->chunks++)
			chunk_dispatch(cg, p);
		chunk_value_dispatch(cg, r, nstraight);
	}
	x->entry = cg->dispatch_rules ? cg->dispatch_entry[cg->chunk_rules] : sl_emit_new_label(e);
	sl_emit_bind(e, x->entry);
	sl_cg_branch_in(cg, p->field, p->set, x->rest, SL_R4, cg->held != (int32_t)p->field);
	cg->held = -1;
	if (sl_cg_words(p->field) == 1 && p->set.n && !rest_clobbers_r4(r, x->first))
		cg->held = (int32_t)p->field;
	cg->chunk_insns += cost;
	if (++cg->chunk_rules == SL_CG_CHUNK_RULES || cg->chunk_rules == cg->dispatch_rules)
		chunk_close(cg);
}

/* r[0..nstraight) stay straight code: what a value dispatch may take (r is the first). */
static int emit_rule(struct sl_cg *cg, const struct sl_ir_rule *r, uint32_t nstraight, sl_label ret,
		     unsigned depth)
{
	struct sl_emit *e = &cg->e;
	sl_label next;
	int err = 0;

	if (early_exit(cg, r)) {
		chunk_rule(cg, r, nstraight);
		return 0;
	}
	chunk_close(cg);
	next = sl_emit_new_label(e);
	sl_emit_set_loc(e, r->loc);
	sl_emit_safe_point(e);
	emit_mismatch(cg, r);
	if (r->npreds)
		sl_emit_jmp_imm(e, BPF_JSLT, SL_R6, 0, next);
	if (r->nsetrefs) {
		err = sl_cg_setrefs(cg, r, next);
		if (err)
			return err;
	}
	if (r->limit)
		sl_cg_limit(cg, r, next);
	if (r->log)
		sl_cg_log(cg, r);
	sl_emit_set_loc(e, action_loc(r));
	if (r->counter && r->action != SL_IR_ACCEPT && r->action != SL_IR_DROP)
		sl_cg_count(cg, r->id);
	switch (r->action) {
	case SL_IR_ACCEPT:
		sl_cg_verdict(cg, r->id, SL_VERDICT_ACCEPT, r->counter);
		break;
	case SL_IR_DROP:
		sl_cg_verdict(cg, r->id, SL_VERDICT_DROP, r->counter);
		break;
	case SL_IR_JUMP: {
		sl_label back = sl_emit_new_label(e);

		err = emit_chain(cg, r->target, back, depth + 1, true);
		sl_emit_bind(e, back);
		break;
	}
	case SL_IR_GOTO:
		err = emit_chain(cg, r->target, ret, depth + 1, false);
		break;
	case SL_IR_RETURN:
		sl_emit_ja(e, ret);
		break;
	case SL_IR_CONTINUE:
		break;
	}
	sl_emit_bind(e, next);
	return err;
}

/* The chain's rules; its end (and `return`) continue at `ret`. */
static int emit_chain(struct sl_cg *cg, uint32_t chain, sl_label ret, unsigned depth,
		      bool ret_follows)
{
	const struct sl_ir_chain *c;
	uint32_t straight = UINT32_MAX; /* the open straight segment (sl_cg_segment) */
	int err;

	if (chain >= cg->ir->nchains)
		return -EINVAL;
	c = &cg->ir->chains[chain];
	if (depth > MAX_NESTING) {
		sl_error(cg->diag, c->loc,
			 "chain '%s' is reached through more than %d nested jumps", c->name,
			 MAX_NESTING);
		return -EINVAL;
	}
	for (uint32_t i = 0, next_run = 0; i < c->nrules; i++) {
		struct sl_sel_plan *walk = NULL;
		uint32_t walked, run = 0;

		/* A run of accept/drop rules may become one decision-tree walk (-O2). */
		if (i >= next_run) {
			err = sl_cg_walk_plan(cg, c, i, &walk, &run);
			if (err)
				return err;
			next_run = i + (run ? run : 1);
		}
		if (walk) {
			struct sl_bpf_segment seg = {.chain = chain, .first = i};

			straight = UINT32_MAX;
			chunk_close(cg);
			sl_cg_walk_describe(walk, &seg);
			err = sl_cg_walk_emit(cg, walk, &walked);
			if (err)
				return err;
			sl_cg_segment(cg, &seg);
			i += walked - 1;
			continue;
		}
		if (straight == UINT32_MAX)
			straight = sl_cg_segment(
			    cg, &(struct sl_bpf_segment){
				    .chain = chain, .first = i, .kind = SL_BPF_SEG_STRAIGHT});
		cg->obj->segments[straight].nrules++;
		err = emit_rule(cg, &c->rules[i], next_run - i, ret, depth);
		if (err)
			return err;
		if (cg->e.err)
			return cg->e.err;
	}
	chunk_close(cg); /* the return label may be reached from elsewhere */
	if (!ret_follows)
		sl_emit_ja(&cg->e, ret);
	return 0;
}

int sl_cg_linear(struct sl_cg *cg)
{
	sl_label policy = sl_emit_new_label(&cg->e);
	int err;

	err = emit_chain(cg, cg->table->entry, policy, 0, true);
	if (err)
		return err;
	sl_emit_bind(&cg->e, policy);
	sl_emit_set_loc(&cg->e, cg->table->loc);
	sl_cg_verdict(cg, SLUICE_DECISION_POLICY, cg->table->policy, false);
	if (!cg->e.err && cg->e.ninsns > STRAIGHT_MAX) {
		sl_error(cg->diag, cg->table->loc,
			 "table '%s' needs more than %u BPF instructions at this optimisation "
			 "level: more than the kernel's verifier can walk",
			 cg->table->name, STRAIGHT_MAX);
		if (!cg->sel.classifies)
			sl_hint(cg->diag, cg->table->loc,
				"-O2 (the default) classifies long runs of rules");
		else
			sl_hint(
			    cg->diag, cg->table->loc,
			    "-O2 classifies runs of accept/drop rules; counter-only, jump, "
			    "goto and return rules that overlap their neighbours split the runs, "
			    "and a program has room for a limited number of classified runs: "
			    "move such rules to the start or end of the table");
		return -EINVAL;
	}
	return cg->e.err;
}
