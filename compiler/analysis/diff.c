// SPDX-License-Identifier: GPL-2.0-only
/*
 * The difference between two policies, shape by shape (README.md here):
 * flatten each table's chains into a first-match list of boxes, align the
 * two lists (Myers), and cut only the boxes of the entries that did not
 * align, by the entries of both lists, down to where both sides decide.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/diff_priv.h"

/*
 * A conjunction of run-time set lookups (bits of run.lk): all of `pos`
 * true and all of `neg` false. An entry with a cube decides only for the
 * set contents that make its cube true; the empty cube always holds.
 */
struct cube {
	uint32_t pos, neg;
};

static bool cube_holds(struct cube c, uint32_t sigma)
{
	return !(c.pos & ~sigma) && !(c.neg & sigma);
}

struct entry {
	struct sl_diff_box box;
	struct cube c;	/* the rule's set lookups (and its jumps') */
	bool is_return; /* a `return` taken inside a chain being flattened */
	enum sl_verdict verdict;
	uint32_t rule;
	const char *text; /* the deciding rule's text (NULL: the table policy) */
	uint64_t hash;
};

struct list {
	struct entry *v;
	size_t n, cap;
};

struct run {
	struct sl_diff *d;
	struct sl_arena *scratch; /* one shape's boxes */
	struct sl_arena *work;	  /* the boxes of cutting one suspect box (freed after it) */
	const struct sl_diff_shape *shape;
	bool by_rule; /* the deciding rule's text counts too */
	size_t max_boxes, shape_boxes,
	    max_bytes; /* the limit holds per shape: its boxes live together */
	/* The shape's distinct set lookups, both policies together (in d->arena). */
	struct sl_diff_lookup *lk;
	unsigned nlk;
	char *err;
	size_t errlen;
};

static int too_many(struct run *r)
{
	snprintf(r->err, r->errlen,
		 "more than %zu boxes: the policies differ in too many places to list exactly "
		 "(raise --max-boxes)",
		 r->max_boxes);
	return -E2BIG;
}

static int count(struct run *r, size_t n)
{
	r->d->boxes += n;
	r->shape_boxes += n;
	if (r->shape_boxes > r->max_boxes)
		return too_many(r);
	/*
	 * Every box of a shape lives until the shape is done, and a box cut
	 * many times carries sets of many intervals: bound the memory too.
	 */
	if (sl_arena_used(r->scratch) + (r->work ? sl_arena_used(r->work) : 0) +
		sl_arena_used(r->d->arena) >
	    r->max_bytes) {
		snprintf(r->err, r->errlen,
			 "more than %zu MiB of boxes: the policies differ in too many places to "
			 "list exactly (raise --max-memory)",
			 r->max_bytes >> 20);
		return -E2BIG;
	}
	return 0;
}

static int push(struct list *l, struct entry e)
{
	if (sl_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return -ENOMEM;
	l->v[l->n++] = e;
	return 0;
}

/* The rule's box in the shape, inside ctx; false when no packet of the shape matches. */
static bool rule_box(struct run *r, const struct sl_ir_rule *rule, const struct sl_diff_box *ctx,
		     struct sl_diff_box *out)
{
	struct wbox w;

	wbox_from(&w, ctx);
	for (uint32_t i = 0; i < rule->npreds; i++) {
		enum sl_field f = diff_shape_field(r->shape, rule->preds[i].field);

		if (f == SL_FIELD_COUNT || !wbox_and(r->scratch, &w, f, rule->preds[i].set))
			return false;
	}
	*out = wbox_pack(r->scratch, &w, false);
	return true;
}

/*
 * The bit of a lookup in this shape: the same set with the same key fields
 * (as the shape reads them: `th dport` is `tcp dport` in a TCP packet) is
 * the same boolean, in either policy.
 */
static int lookup_bit(struct run *r, const struct sl_ir *ir, const struct sl_ir_setref *sr)
{
	struct sl_diff_lookup l = {.set = ir->sets[sr->set].name, .nfields = sr->nfields};

	for (uint32_t i = 0; i < sr->nfields && i < SL_IR_SET_MAX_FIELDS; i++)
		l.fields[i] = diff_shape_field(r->shape, sr->fields[i]);
	for (unsigned i = 0; i < r->nlk; i++)
		if (!strcmp(r->lk[i].set, l.set) && r->lk[i].nfields == l.nfields &&
		    !memcmp(r->lk[i].fields, l.fields, sizeof(l.fields)))
			return (int)i;
	if (r->nlk == SL_DIFF_MAX_LOOKUPS) {
		snprintf(r->err, r->errlen,
			 "more than %u run-time set lookups (a set and its key fields) in packets "
			 "of one shape (%s): too many set contents to compare exactly",
			 SL_DIFF_MAX_LOOKUPS, r->shape->name);
		return -E2BIG;
	}
	if (!r->lk)
		r->lk = sl_arena_calloc(r->d->arena, SL_DIFF_MAX_LOOKUPS, sizeof(*r->lk));
	r->lk[r->nlk] = l;
	return (int)r->nlk++;
}

/* The rule's lookups added to ctx; 1 when they contradict it (the rule never matches). */
static int rule_cube(struct run *r, const struct sl_ir *ir, const struct sl_ir_rule *rule,
		     struct cube ctx, struct cube *out)
{
	for (uint32_t k = 0; k < rule->nsetrefs; k++) {
		int b = lookup_bit(r, ir, &rule->setrefs[k]);

		if (b < 0)
			return b;
		if (rule->setrefs[k].negated)
			ctx.neg |= 1u << b;
		else
			ctx.pos |= 1u << b;
	}
	*out = ctx;
	return (ctx.pos & ctx.neg) != 0;
}

/*
 * The parts of entry e that a return `ret` before it leaves: e minus ret's
 * box and, when ret holds only for some set contents, e inside ret's box
 * where ret's cube is false (one part per first false lookup: disjoint).
 */
static int cut_by_return(struct run *r, const struct entry *e, const struct entry *ret,
			 struct list *out)
{
	struct sl_diff_box parts[SL_FIELD_COUNT], in;
	unsigned np = box_subtract(r->scratch, &e->box, &ret->box, parts);
	struct entry piece = *e;
	int err = count(r, np);

	for (unsigned p = 0; p < np && !err; p++) {
		piece.box = parts[p];
		err = push(out, piece);
	}
	if (err || !(ret->c.pos | ret->c.neg) ||
	    !box_intersect(r->scratch, &e->box, &ret->box, &in))
		return err;
	struct cube held = e->c;
	for (uint32_t lits = ret->c.pos | ret->c.neg; lits && !err; lits &= lits - 1) {
		uint32_t b = lits & -lits;
		struct cube c = held;

		if (ret->c.pos & b)
			c.neg |= b, held.pos |= b;
		else
			c.pos |= b, held.neg |= b;
		if (!(c.pos & c.neg) && !(err = count(r, 1))) {
			piece.box = in;
			piece.c = c;
			err = push(out, piece);
		}
		if (held.pos & held.neg)
			break;
	}
	return err;
}

/* Take the returns out of a flattened chain: each later entry loses what they take. */
static int resolve(struct run *r, struct list *in, struct list *out)
{
	struct list rets = {0}, cur = {0}, next = {0};
	int err = 0;

	for (size_t i = 0; i < in->n && !err; i++) {
		struct entry e = in->v[i];

		if (e.is_return) {
			err = push(&rets, e);
			continue;
		}
		if (!rets.n) {
			err = push(out, e);
			continue;
		}
		cur.n = 0;
		err = push(&cur, e);
		for (size_t k = 0; k < rets.n && cur.n && !err; k++) {
			next.n = 0;
			for (size_t j = 0; j < cur.n && !err; j++)
				err = cut_by_return(r, &cur.v[j], &rets.v[k], &next);
			struct list t = cur;
			cur = next, next = t;
		}
		for (size_t j = 0; j < cur.n && !err; j++)
			err = push(out, cur.v[j]);
	}
	free(rets.v), free(cur.v), free(next.v);
	return err;
}

static int flatten_chain(struct run *r, const struct sl_ir *ir, uint32_t chain,
			 const struct sl_diff_box *ctx, struct cube cctx, uint32_t depth,
			 struct list *out)
{
	if (chain >= ir->nchains || depth > ir->nchains) {
		snprintf(r->err, r->errlen, "chains reach themselves");
		return -ELOOP;
	}
	const struct sl_ir_chain *c = &ir->chains[chain];
	int err = 0;

	for (uint32_t i = 0; i < c->nrules && !err; i++) {
		const struct sl_ir_rule *rule = &c->rules[i];
		struct entry e = {.rule = rule->id, .text = rule->text ? rule->text : ""};
		struct list sub = {0};

		/* a limited rule may or may not decide: sluice diff leaves it out */
		if (rule->action == SL_IR_CONTINUE || rule->limit ||
		    !rule_box(r, rule, ctx, &e.box))
			continue;
		if ((err = rule_cube(r, ir, rule, cctx, &e.c)) == 1) {
			err = 0;
			continue;
		}
		if (err || (err = count(r, 1)))
			break;
		switch (rule->action) {
		case SL_IR_ACCEPT:
		case SL_IR_DROP:
			e.verdict =
			    rule->action == SL_IR_ACCEPT ? SL_VERDICT_ACCEPT : SL_VERDICT_DROP;
			err = push(out, e);
			break;
		case SL_IR_RETURN:
			e.is_return = true;
			err = push(out, e);
			break;
		case SL_IR_JUMP:
			err = flatten_chain(r, ir, rule->target, &e.box, e.c, depth + 1, &sub);
			if (!err)
				err = resolve(r, &sub, out);
			free(sub.v);
			break;
		case SL_IR_GOTO:
			/* The callee's returns and its end return from this chain. */
			err = flatten_chain(r, ir, rule->target, &e.box, e.c, depth + 1, out);
			e.is_return = true;
			if (!err)
				err = push(out, e);
			break;
		default:
			break;
		}
	}
	return err;
}

static int flatten(struct run *r, const struct sl_ir *ir, uint32_t table, struct list *out)
{
	struct list raw = {0};
	int err = flatten_chain(r, ir, ir->tables[table].entry, &r->shape->cons, (struct cube){0},
				0, &raw);

	if (!err)
		err = resolve(r, &raw, out);
	free(raw.v);
	if (!err)
		err = push(out, (struct entry){.box = r->shape->cons,
					       .verdict = ir->tables[table].policy,
					       .rule = SL_DIFF_POLICY});
	for (size_t i = 0; i < out->n; i++) {
		struct entry *e = &out->v[i];

		e->hash = (box_hash(&e->box) * 31 + e->verdict) * 31 +
			  ((uint64_t)e->c.pos << 32 | e->c.neg);
		for (const char *c = r->by_rule && e->text ? e->text : ""; *c; c++)
			e->hash = (e->hash ^ (uint8_t)*c) * 1099511628211ULL;
	}
	return err;
}

static bool same_decider(const struct run *r, const struct entry *a, const struct entry *b)
{
	if (a->verdict != b->verdict)
		return false;
	if (!r->by_rule || a->text == b->text)
		return true;
	return a->text && b->text && !strcmp(a->text, b->text);
}

static bool same(const struct run *r, const struct entry *a, const struct entry *b)
{
	return a->hash == b->hash && same_decider(r, a, b) && a->c.pos == b->c.pos &&
	       a->c.neg == b->c.neg && box_cmp_except(&a->box, &b->box, SL_FIELD_COUNT) == 0;
}

#define MYERS_MAX_D 2000

/*
 * A longest common subsequence of the two lists (Myers' O((N+M)D) diff),
 * as pair[i] = j for aligned entries (-1 for the others). Aligned entries
 * decide the same packets the same way; past MYERS_MAX_D edits only the
 * common prefix and suffix are aligned.
 */
static int align(const struct run *r, const struct list *a, const struct list *b, long *pair)
{
	size_t pre = 0, suf = 0;

	for (size_t i = 0; i < a->n; i++)
		pair[i] = -1;
	while (pre < a->n && pre < b->n && same(r, &a->v[pre], &b->v[pre]))
		pair[pre] = (long)pre, pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	       same(r, &a->v[a->n - 1 - suf], &b->v[b->n - 1 - suf])) {
		pair[a->n - 1 - suf] = (long)(b->n - 1 - suf);
		suf++;
	}
	const struct entry *A = a->v + pre, *Bv = b->v + pre;
	long n = (long)(a->n - pre - suf), m = (long)(b->n - pre - suf);
	long maxd = n + m < MYERS_MAX_D ? n + m : MYERS_MAX_D;
	long off = maxd + 1;
	long *V = calloc(2 * maxd + 3, sizeof(long));
	long **trace = calloc(maxd + 1, sizeof(long *));
	long dend = -1;

	if (!V || !trace) {
		free(V), free(trace);
		return -ENOMEM;
	}
	for (long d = 0; d <= maxd && dend < 0; d++) {
		for (long k = -d; k <= d; k += 2) {
			long x = (k == -d || (k != d && V[off + k - 1] < V[off + k + 1]))
				     ? V[off + k + 1]
				     : V[off + k - 1] + 1;
			long y = x - k;

			while (x < n && y < m && same(r, &A[x], &Bv[y]))
				x++, y++;
			V[off + k] = x;
			if (x >= n && y >= m) {
				dend = d;
				break;
			}
		}
		trace[d] = malloc((2 * d + 1) * sizeof(long));
		if (!trace[d]) {
			dend = -2;
			break;
		}
		memcpy(trace[d], V + off - d, (2 * d + 1) * sizeof(long));
	}
	if (dend >= 0) {
		long x = n, y = m;

		for (long d = dend; d > 0; d--) {
			const long *pv = trace[d - 1]; /* index k + (d - 1) */
			long k = x - y, pk;

			if (k == -d || (k != d && pv[k - 1 + d - 1] < pv[k + 1 + d - 1]))
				pk = k + 1;
			else
				pk = k - 1;
			long px = pv[pk + d - 1], py = px - pk;
			while (x > px && y > py) {
				x--, y--;
				pair[pre + x] = (long)pre + y;
			}
			x = px, y = py;
		}
		while (x > 0 && y > 0) {
			x--, y--;
			pair[pre + x] = (long)pre + y;
		}
	}
	for (long d = 0; d <= maxd; d++)
		free(trace[d]);
	free(trace), free(V);
	return dend == -2 ? -ENOMEM : 0;
}

#define COMPACT_BYTES ((size_t)64 << 20)

/*
 * The entries with set lookups that cover a box and come before the entry
 * that decides it whatever the sets hold: they decide it for the contents
 * that make their cubes true (newest first; in the shape's scratch arena,
 * which compaction leaves alone).
 */
struct chain {
	const struct entry *e;
	const struct chain *next;
	size_t n;
};

struct work {
	struct sl_diff_box box;
	size_t ia, ib;		     /* next candidates */
	const struct chain *ca, *cb; /* NULL: no lookup has covered the box yet */
};

struct cands {
	uint32_t *v;
	size_t n;
};

struct regions {
	struct sl_diff_region *v;
	size_t n, cap;
};

/*
 * Cutting a box by many entries in one field copies an ever longer set
 * (a source address minus one more prefix) at each cut: the arena fills
 * with sets no box holds any more. Past `*limit`, copy the boxes still to
 * cut into a new arena and drop the old one (the limit then doubles past
 * what is live, so copying stays linear).
 */
struct moved {
	const struct sl_interval *from, *to;
};

/* The copy of set x in `to`, once per interval array: boxes share them. */
static struct sl_iset move_set(struct sl_arena *to, struct moved *map, size_t mask,
			       struct sl_iset x)
{
	size_t h = ((uintptr_t)x.iv >> 4) * 0x9e3779b97f4a7c15ULL;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		if (map[i].from == x.iv)
			return (struct sl_iset){x.n, map[i].to};
		if (!map[i].from) {
			struct sl_iset c = sl_iset_clone(to, x);

			map[i] = (struct moved){x.iv, c.iv};
			return c;
		}
	}
}

static int compact(struct run *r, struct work *stack, size_t n, size_t *limit)
{
	size_t sets = 1, size = 1;
	struct moved *map;
	struct sl_arena *fresh;

	if (sl_arena_used(r->work) < *limit)
		return 0;
	for (size_t i = 0; i < n; i++)
		sets += stack[i].box.n;
	while (size < 2 * sets)
		size <<= 1;
	map = calloc(size, sizeof(*map));
	if (!map)
		return -ENOMEM;
	fresh = sl_arena_new();
	for (size_t i = 0; i < n; i++) {
		struct sl_diff_box *b = &stack[i].box;
		struct sl_iset *s = b->n ? sl_arena_alloc(fresh, b->n * sizeof(*s)) : NULL;

		for (unsigned k = 0; k < b->n; k++)
			s[k] = move_set(fresh, map, size - 1, b->s[k]);
		b->s = s;
	}
	free(map);
	sl_arena_free(r->work);
	r->work = fresh;
	*limit = sl_max(*limit, 2 * sl_arena_used(fresh));
	return 0;
}

static size_t first_hit(const struct list *l, const struct cands *c, size_t from,
			const struct sl_diff_box *box)
{
	while (!box_intersects(&l->v[c->v[from]].box, box))
		from++; /* the policy's entry, last, holds the whole shape */
	return from;
}

static const struct chain *chain_add(struct run *r, const struct chain *c, const struct entry *e)
{
	struct chain *n = sl_arena_alloc(r->scratch, sizeof(*n));

	*n = (struct chain){e, c, c ? c->n + 1 : 1};
	return n;
}

/* Oldest first, into v (c->n entries). */
static void chain_list(const struct chain *c, const struct entry **v)
{
	for (size_t i = c ? c->n : 0; c; c = c->next)
		v[--i] = c->e;
}

/* What a side decides under lookup results sigma: the first chain entry whose cube holds. */
static const struct entry *decide(const struct entry **v, size_t n, const struct entry *d,
				  uint32_t sigma)
{
	for (size_t i = 0; i < n; i++)
		if (cube_holds(v[i]->c, sigma))
			return v[i];
	return d;
}

static int emit(struct run *r, uint32_t shape, const struct sl_diff_box *box,
		const struct entry *ea, const struct entry *eb, struct regions *out)
{
	struct wbox wb;

	if (sl_grow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v)))
		return -ENOMEM;
	wbox_from(&wb, box);
	out->v[out->n++] = (struct sl_diff_region){
	    .shape = shape,
	    .box = wbox_pack(r->d->arena, &wb, true),
	    .old_verdict = ea->verdict,
	    .new_verdict = eb->verdict,
	    .old_rule = ea->rule,
	    .new_rule = eb->rule,
	    .lookups = r->lk,
	};
	return 0;
}

/* sigma's bits deposited into mask m (the i-th subset of m, in counting order). */
static uint32_t deposit(uint32_t i, uint32_t m)
{
	uint32_t s = 0;

	for (uint32_t b = 1; m; b <<= 1, m &= m - 1)
		if (i & b)
			s |= m & -m;
	return s;
}

/*
 * A box both sides decide, each by its chain of entries with lookups, then
 * by an entry without: compare them under every result of the lookups the
 * chains hold. The box differs for all of them (definite), some (it
 * depends on the lookups whose results change that) or none. One region
 * per pair of deciding entries that differ, with the first lookup results
 * that give it: every way the box can differ is listed.
 */
static int leaf(struct run *r, uint32_t shape, const struct work *w, const struct entry *da,
		const struct entry *db, struct regions *out)
{
	size_t na = w->ca ? w->ca->n : 0, nb = w->cb ? w->cb->n : 0, first = out->n;
	const struct entry **va = malloc((na + nb + 1) * sizeof(*va)), **vb = va + na;
	uint32_t m = 0, k, depends = 0;
	uint8_t *differs;
	int err = 0;

	if (!va)
		return -ENOMEM;
	chain_list(w->ca, va);
	chain_list(w->cb, vb);
	for (size_t i = 0; i < na + nb; i++)
		m |= va[i]->c.pos | va[i]->c.neg;
	k = (uint32_t)__builtin_popcount(m);
	differs = calloc((size_t)1 << k, 1);
	for (uint32_t i = 0; differs && i < (1u << k) && !err; i++) {
		uint32_t sigma = deposit(i, m);
		const struct entry *oa = decide(va, na, da, sigma), *ob = decide(vb, nb, db, sigma);
		bool listed = false;

		differs[i] = !same_decider(r, oa, ob);
		for (size_t j = first; j < out->n && differs[i]; j++)
			listed |= out->v[j].old_rule == oa->rule &&
				  out->v[j].new_rule == ob->rule &&
				  out->v[j].old_verdict == oa->verdict &&
				  out->v[j].new_verdict == ob->verdict;
		if (differs[i] && !listed && !(err = emit(r, shape, &w->box, oa, ob, out))) {
			out->v[out->n - 1].assumed = m;
			out->v[out->n - 1].member = sigma;
		}
	}
	for (uint32_t j = 0; differs && j < k; j++)
		for (uint32_t i = 0; i < (1u << k); i++)
			if (differs[i] != differs[i ^ (1u << j)]) {
				depends |= deposit(1u << j, m);
				break;
			}
	for (size_t j = first; j < out->n; j++)
		out->v[j].depends = depends;
	if (!differs && !err)
		err = -ENOMEM;
	free(differs);
	free(va);
	return err;
}

/*
 * Cut `piece` until, in every part, both lists decide by one entry each
 * (after the entries with lookups that cover the part); parts where
 * aligned entries decide are dropped as they come.
 */
static int compare_piece(struct run *r, uint32_t shape, const struct list *a, const struct list *b,
			 const long *pair, const struct cands *ca, const struct cands *cb,
			 struct sl_diff_box piece, struct regions *out)
{
	struct work *stack = NULL;
	size_t n = 0, cap = 0;
	struct sl_diff_box parts[SL_FIELD_COUNT], in;
	size_t limit = COMPACT_BYTES;
	int err = 0;

	if (sl_grow((void **)&stack, &cap, 1, sizeof(*stack)))
		return -ENOMEM;
	stack[n++] = (struct work){piece, 0, 0, NULL, NULL};
	while (n && !err) {
		if ((err = compact(r, stack, n, &limit)))
			break;
		struct work w = stack[--n];
		size_t ia = first_hit(a, ca, w.ia, &w.box), ib = first_hit(b, cb, w.ib, &w.box);
		const struct entry *ea = &a->v[ca->v[ia]], *eb = &b->v[cb->v[ib]];
		bool cut_a, lk_a = ea->c.pos | ea->c.neg, lk_b = eb->c.pos | eb->c.neg;

		if (!w.ca && !w.cb && !lk_a && pair[ca->v[ia]] == (long)cb->v[ib]) {
			/* Both decide box ∩ ea alike: only the rest goes on. */
			unsigned np = box_subtract(r->work, &w.box, &ea->box, parts);

			if ((err = count(r, np)) ||
			    sl_grow((void **)&stack, &cap, n + np, sizeof(*stack)))
				break;
			for (unsigned i = 0; i < np; i++)
				stack[n++] = (struct work){parts[i], ia + 1, ib + 1, NULL, NULL};
			continue;
		}
		bool cov_a = box_covers(&ea->box, &w.box), cov_b = box_covers(&eb->box, &w.box);
		if ((cov_a && lk_a) || (cov_b && lk_b)) {
			/* It decides the box for some set contents only: look further. */
			if (cov_a && lk_a)
				w.ca = chain_add(r, w.ca, ea), w.ia = ia + 1;
			else
				w.cb = chain_add(r, w.cb, eb), w.ib = ib + 1;
			stack[n++] = w;
			continue;
		}
		if (cov_a && cov_b) {
			if (w.ca || w.cb)
				err = leaf(r, shape, &w, ea, eb, out);
			else if (!same_decider(r, ea, eb))
				err = emit(r, shape, &w.box, ea, eb, out);
			continue;
		}
		cut_a = !cov_a;
		const struct entry *e = cut_a ? ea : eb;
		box_intersect(r->work, &w.box, &e->box, &in);
		unsigned np = box_subtract(r->work, &w.box, &e->box, parts);
		if ((err = count(r, np + 1)) ||
		    sl_grow((void **)&stack, &cap, n + np + 1, sizeof(*stack)))
			break;
		for (unsigned i = 0; i < np; i++)
			stack[n++] = (struct work){parts[i], cut_a ? ia + 1 : ia,
						   cut_a ? ib : ib + 1, w.ca, w.cb};
		stack[n++] = (struct work){in, ia, ib, w.ca, w.cb};
	}
	free(stack);
	return err;
}

static int candidates(const struct list *l, const struct sl_diff_box *piece, struct cands *c)
{
	c->n = 0;
	c->v = malloc(l->n * sizeof(*c->v));
	if (!c->v)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++)
		if (box_intersects(&l->v[i].box, piece))
			c->v[c->n++] = (uint32_t)i;
	return 0;
}

/* The unaligned entries' boxes, made disjoint: every packet that can differ is in one. */
static int suspects(struct run *r, const struct list *l, const long *pair_or_null,
		    const bool *aligned, struct sl_diff_box **v, size_t *n, size_t *cap)
{
	struct sl_diff_box parts[SL_FIELD_COUNT];

	for (size_t i = 0; i < l->n; i++) {
		if (pair_or_null ? pair_or_null[i] >= 0 : aligned[i])
			continue;
		size_t start = *n;
		if (sl_grow((void **)v, cap, *n + 1, sizeof(**v)))
			return -ENOMEM;
		(*v)[(*n)++] = l->v[i].box;
		/* Cut the new box by every earlier suspect it meets. */
		for (size_t k = 0; k < start; k++) {
			size_t end = *n;
			for (size_t j = start; j < end; j++) {
				unsigned np = box_subtract(r->scratch, &(*v)[j], &(*v)[k], parts);
				int err;

				if ((err = count(r, np)))
					return err;
				if (np == 1 && parts[0].s == (*v)[j].s &&
				    parts[0].mask == (*v)[j].mask)
					continue; /* untouched */
				if (sl_grow((void **)v, cap, *n + np, sizeof(**v)))
					return -ENOMEM;
				(*v)[j].mask = ~(sl_field_mask)0; /* taken apart: dropped below */
				for (unsigned p = 0; p < np; p++)
					(*v)[(*n)++] = parts[p];
			}
			size_t w = start;
			for (size_t j = start; j < *n; j++)
				if ((*v)[j].mask != ~(sl_field_mask)0)
					(*v)[w++] = (*v)[j];
			*n = w;
		}
	}
	return 0;
}

static int diff_shape(struct run *r, uint32_t shape, const struct sl_ir *oi, uint32_t ot,
		      const struct sl_ir *ni, uint32_t nt, struct regions *out)
{
	struct list a = {0}, b = {0};
	long *pair = NULL;
	bool *b_aligned = NULL;
	struct sl_diff_box *sus = NULL;
	size_t nsus = 0, capsus = 0;
	int err;

	err = flatten(r, oi, ot, &a);
	if (!err)
		err = flatten(r, ni, nt, &b);
	if (!err) {
		pair = malloc(a.n * sizeof(*pair));
		b_aligned = calloc(b.n, sizeof(*b_aligned));
		err = pair && b_aligned ? align(r, &a, &b, pair) : -ENOMEM;
	}
	if (!err) {
		for (size_t i = 0; i < a.n; i++)
			if (pair[i] >= 0)
				b_aligned[pair[i]] = true;
		err = suspects(r, &a, pair, NULL, &sus, &nsus, &capsus);
		if (!err)
			err = suspects(r, &b, NULL, b_aligned, &sus, &nsus, &capsus);
	}
	for (size_t i = 0; i < nsus && !err; i++) {
		struct cands ca = {0}, cb = {0};

		err = candidates(&a, &sus[i], &ca);
		if (!err)
			err = candidates(&b, &sus[i], &cb);
		if (!err) {
			r->work = sl_arena_new();
			err = compare_piece(r, shape, &a, &b, pair, &ca, &cb, sus[i], out);
			sl_arena_free(r->work);
			r->work = NULL;
		}
		free(ca.v), free(cb.v);
	}
	free(a.v), free(b.v), free(pair), free(b_aligned), free(sus);
	return err;
}

/* Merging: regions alike but in one field become one (README.md). */
struct merge_ctx {
	unsigned skip;
};

static int region_cmp(const void *pa, const void *pb, void *arg)
{
	const struct sl_diff_region *x = pa, *y = pb;
	const struct merge_ctx *m = arg;

#define CMP(f)                                                                                     \
	if (x->f != y->f)                                                                          \
		return x->f < y->f ? -1 : 1;
	CMP(shape)
	CMP(old_verdict)
	CMP(new_verdict)
	CMP(old_rule)
	CMP(new_rule)
	CMP(assumed)
	CMP(member)
	CMP(depends)
#undef CMP
	return box_cmp_except(&x->box, &y->box, m->skip);
}

static bool merge_pass(struct sl_arena *a, struct sl_diff_table *t, unsigned f)
{
	struct merge_ctx m = {f};
	size_t w = 0;
	bool merged = false;

	qsort_r(t->regions, t->nregions, sizeof(*t->regions), region_cmp, &m);
	for (size_t i = 0; i < t->nregions;) {
		size_t j = i + 1;
		struct sl_diff_region reg = t->regions[i];

		while (j < t->nregions && region_cmp(&t->regions[i], &t->regions[j], &m) == 0)
			j++;
		if (j > i + 1) {
			struct wbox wb;
			struct sl_iset u = sl_iset_empty();
			bool free_f = false;

			for (size_t k = i; k < j; k++) {
				const struct sl_iset *s = sl_diff_box_get(&t->regions[k].box, f);
				if (!s)
					free_f = true;
				else
					u = sl_iset_union(a, u, *s);
			}
			wbox_from(&wb, &reg.box);
			wb.mask &= ~SL_FIELD_BIT(f);
			if (!free_f)
				wbox_and(a, &wb, f, u);
			reg.box = wbox_pack(a, &wb, false);
			merged = true;
		}
		t->regions[w++] = reg;
		i = j;
	}
	t->nregions = w;
	return merged;
}

static void merge(struct sl_arena *a, struct sl_diff_table *t)
{
	for (bool again = true; again;) {
		again = false;
		for (unsigned f = 0; f < SL_FIELD_COUNT; f++)
			again |= merge_pass(a, t, f);
	}
	struct merge_ctx m = {SL_FIELD_COUNT};
	qsort_r(t->regions, t->nregions, sizeof(*t->regions), region_cmp, &m);
}

static int diff_table(struct run *r, struct sl_diff_table *t, const struct sl_ir *oi,
		      const struct sl_ir *ni)
{
	struct regions out = {0};
	int err = 0;

	for (uint32_t s = 0; s < r->d->nshapes[t->hook] && !err; s++) {
		r->scratch = sl_arena_new();
		r->shape = &r->d->shapes[t->hook][s];
		r->shape_boxes = 0;
		r->lk = NULL;
		r->nlk = 0;
		err = diff_shape(r, s, oi, t->old_index, ni, t->new_index, &out);
		sl_arena_free(r->scratch);
		r->scratch = NULL;
	}
	if (err) {
		free(out.v);
		return err;
	}
	t->raw_regions = out.n;
	t->regions = sl_arena_alloc(r->d->arena, (out.n + 1) * sizeof(*out.v));
	if (out.n)
		memcpy(t->regions, out.v, out.n * sizeof(*out.v));
	t->nregions = out.n;
	free(out.v);
	merge(r->d->arena, t);
	return 0;
}

static uint32_t table_index(const struct sl_ir *ir, const char *name)
{
	for (uint32_t i = 0; i < ir->ntables; i++)
		if (!strcmp(ir->tables[i].name, name))
			return i;
	return UINT32_MAX;
}

static void add_table(struct sl_diff *d, const char *name, const struct sl_ir *oi,
		      const struct sl_ir *ni)
{
	struct sl_diff_table *t = &d->tables[d->ntables++];

	t->name = name;
	t->old_index = table_index(oi, name);
	t->new_index = table_index(ni, name);
	t->hook = t->old_index != UINT32_MAX ? oi->tables[t->old_index].hook
					     : ni->tables[t->new_index].hook;
	t->hook_changed = t->old_index != UINT32_MAX && t->new_index != UINT32_MAX &&
			  oi->tables[t->old_index].hook != ni->tables[t->new_index].hook;
}

int sl_diff_run(const struct sl_ir *oi, const struct sl_ir *ni, const struct sl_diff_opts *o,
		struct sl_diff **out, char *err, size_t errlen)
{
	struct sl_diff *d = calloc(1, sizeof(*d));
	struct run r = {.d = d, .err = err, .errlen = errlen};
	int ret = 0;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	d->arena = sl_arena_new();
	r.max_boxes = o && o->max_boxes ? o->max_boxes : SL_DIFF_MAX_BOXES;
	r.by_rule = o && o->by_rule;
	r.max_bytes = o && o->max_bytes ? o->max_bytes : SL_DIFF_MAX_BYTES;
	for (unsigned h = 0; h < SL_HOOK_COUNT; h++)
		d->nshapes[h] = diff_shapes(d->arena, h, &d->shapes[h]);
	d->tables = sl_arena_calloc(d->arena, oi->ntables + ni->ntables + 1, sizeof(*d->tables));
	for (uint32_t i = 0; i < oi->ntables; i++)
		if (!o || !o->table || !strcmp(o->table, oi->tables[i].name))
			add_table(d, oi->tables[i].name, oi, ni);
	for (uint32_t i = 0; i < ni->ntables; i++)
		if ((!o || !o->table || !strcmp(o->table, ni->tables[i].name)) &&
		    table_index(oi, ni->tables[i].name) == UINT32_MAX)
			add_table(d, ni->tables[i].name, oi, ni);
	if (o && o->table && !d->ntables) {
		snprintf(err, errlen, "no table '%s' in either policy", o->table);
		sl_diff_free(d);
		return -ENOENT;
	}
	for (size_t i = 0; i < d->ntables && !ret; i++) {
		struct sl_diff_table *t = &d->tables[i];

		if (t->old_index == UINT32_MAX || t->new_index == UINT32_MAX || t->hook_changed)
			continue;
		ret = diff_table(&r, t, oi, ni);
	}
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		sl_diff_free(d);
		return ret;
	}
	*out = d;
	return 0;
}

void sl_diff_free(struct sl_diff *d)
{
	if (!d)
		return;
	sl_arena_free(d->arena);
	free(d);
}
