// SPDX-License-Identifier: GPL-2.0-only
/* The tuple-space search baseline's tables: see tss.h. */
#include "tss.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Lengths of a tuple: address prefixes 0..32, protocol exact or not, port prefixes 0..16. */
struct lens {
	unsigned sl, dl, proto, spl, dpl;
};

#ifndef TSS_COARSE
#define TSS_COARSE 16 /* see tss.h */
#endif
#define NGROUPS (33u * 33u * 2u * 17u * 17u)

struct entry {
	struct tss_key key;
	uint32_t n;
	uint32_t r[TSS_MAX_CANDIDATES];
};

struct builder {
	const struct cb_rules *rules;
	struct tss_tables *t;
	struct lens *tlens;  /* per tuple */
	int32_t *group_head; /* per length vector: its first tuple, -1 */
	int32_t *group_next; /* per tuple: the next tuple of its group, -1 */
	size_t tuple_cap;
	struct entry *entries;
	size_t nentries;
};

static unsigned group_of(const struct lens *l)
{
	return (((l->sl * 33 + l->dl) * 2 + l->proto) * 17 + l->spl) * 17 + l->dpl;
}

static uint32_t addr_mask(unsigned len)
{
	return len ? ~0u << (32 - len) : 0;
}

static uint16_t port_mask(unsigned len)
{
	return len ? (uint16_t)(0xffffu << (16 - len)) : 0;
}

/* Leading bits the ends of a port range share: the prefix block that holds it. */
static unsigned port_len(uint16_t lo, uint16_t hi)
{
	unsigned n = 0;

	if (cb_ports_wild(lo, hi))
		return 0;
	while (n < 16 && ((lo ^ hi) & (0x8000u >> n)) == 0)
		n++;
	return n;
}

static struct lens rule_lens(const struct cb_rule *r)
{
	return (struct lens){r->src_len, r->dst_len, !r->proto_any,
			     port_len(r->sport_lo, r->sport_hi),
			     port_len(r->dport_lo, r->dport_hi)};
}

static struct lens coarsened(struct lens l)
{
	l.sl -= l.sl % TSS_COARSE;
	l.dl -= l.dl % TSS_COARSE;
	if (l.spl < 16)
		l.spl = 0;
	if (l.dpl < 16)
		l.dpl = 0;
	return l;
}

static uint64_t key_hash(const struct tss_key *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	uint32_t words[5];

	memcpy(words, k, sizeof(words));
	for (int i = 0; i < 5; i++) {
		h ^= words[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

static struct tss_key make_key(uint32_t tuple, const struct tss_tuple *tp, uint32_t src,
			       uint32_t dst, uint16_t sport, uint16_t dport, uint32_t proto)
{
	struct tss_key k;

	memset(&k, 0, sizeof(k));
	k.tuple = tuple;
	k.saddr = src & tp->smask;
	k.daddr = dst & tp->dmask;
	k.sport = sport & tp->spmask;
	k.dport = dport & tp->dpmask;
	k.proto = proto & tp->pmask;
	return k;
}

/* The slot of key k: where it is, or the empty slot where it would go. */
static uint32_t *find_slot(const struct tss_tables *t, const struct tss_key *k,
			   const struct tss_key *keys_of, size_t stride)
{
	size_t i = key_hash(k) & (t->nslots - 1);

	for (;; i = (i + 1) & (t->nslots - 1)) {
		uint32_t s = t->slots[i];

		if (!s || !memcmp((const char *)keys_of + (s - 1) * stride, k, sizeof(*k)))
			return &t->slots[i];
	}
}

static int new_tuple(struct builder *b, struct lens l, uint32_t rule)
{
	struct tss_tables *t = b->t;
	unsigned g = group_of(&l);
	int32_t *link;

	if (t->ntuples == TSS_MAX_TUPLES)
		return -E2BIG;
	if (t->ntuples == b->tuple_cap) {
		size_t cap = b->tuple_cap ? 2 * b->tuple_cap : 64;
		void *a = realloc(t->tuples, cap * sizeof(*t->tuples));

		if (!a)
			return -ENOMEM;
		t->tuples = a;
		if (!(a = realloc(b->tlens, cap * sizeof(*b->tlens))))
			return -ENOMEM;
		b->tlens = a;
		if (!(a = realloc(b->group_next, cap * sizeof(*b->group_next))))
			return -ENOMEM;
		b->group_next = a;
		b->tuple_cap = cap;
	}
	t->tuples[t->ntuples] = (struct tss_tuple){
	    .smask = addr_mask(l.sl),
	    .dmask = addr_mask(l.dl),
	    .spmask = port_mask(l.spl),
	    .dpmask = port_mask(l.dpl),
	    .pmask = l.proto ? 0xffu : 0,
	    .best_rule = rule,
	};
	b->tlens[t->ntuples] = l;
	b->group_next[t->ntuples] = -1;
	for (link = &b->group_head[g]; *link >= 0; link = &b->group_next[*link])
		;
	*link = (int32_t)t->ntuples;
	return (int)t->ntuples++;
}

/* Put rule i into tuple `tuple` when its key there has room; true when it did. */
static bool try_insert(struct builder *b, uint32_t tuple, uint32_t i)
{
	const struct cb_rule *r = &b->rules->v[i];
	struct tss_tables *t = b->t;
	struct tss_key k = make_key(tuple, &t->tuples[tuple], r->src, r->dst, r->sport_lo,
				    r->dport_lo, r->proto_any ? 0 : r->proto);
	uint32_t *slot = find_slot(t, &k, &b->entries[0].key, sizeof(struct entry));
	struct entry *e;

	if (*slot) {
		e = &b->entries[*slot - 1];
		if (e->n == TSS_MAX_CANDIDATES)
			return false;
	} else {
		e = &b->entries[b->nentries++];
		memset(e, 0, sizeof(*e));
		e->key = k;
		*slot = (uint32_t)b->nentries;
	}
	e->r[e->n++] = i;
	return true;
}

static bool try_group(struct builder *b, struct lens l, uint32_t i)
{
	for (int32_t tu = b->group_head[group_of(&l)]; tu >= 0; tu = b->group_next[tu])
		if (try_insert(b, (uint32_t)tu, i))
			return true;
	return false;
}

static int place(struct builder *b, uint32_t i)
{
	struct lens own = rule_lens(&b->rules->v[i]), coarse = coarsened(own);
	int tu;

	if (try_group(b, coarse, i) || try_group(b, own, i))
		return 0;
	tu = new_tuple(b, b->group_head[group_of(&coarse)] < 0 ? coarse : own, i);
	if (tu < 0)
		return tu;
	return try_insert(b, (uint32_t)tu, i) ? 0 : -EINVAL;
}

static int serialise(struct builder *b)
{
	struct tss_tables *t = b->t;
	size_t nr = 0;

	t->keys = calloc(b->nentries ? b->nentries : 1, sizeof(*t->keys));
	t->lists = calloc(b->nentries ? b->nentries : 1, sizeof(*t->lists));
	t->rules = calloc(b->rules->n ? b->rules->n : 1, sizeof(*t->rules));
	if (!t->keys || !t->lists || !t->rules)
		return -ENOMEM;
	for (size_t e = 0; e < b->nentries; e++) {
		const struct entry *en = &b->entries[e];

		t->keys[e] = en->key;
		t->lists[e] = (struct tss_list){(uint32_t)nr, en->n};
		for (uint32_t j = 0; j < en->n; j++) {
			const struct cb_rule *r = &b->rules->v[en->r[j]];

			t->rules[nr++] = (struct tss_rule){
			    .src = r->src,
			    .smask = addr_mask(r->src_len),
			    .dst = r->dst,
			    .dmask = addr_mask(r->dst_len),
			    .sport_lo = r->sport_lo,
			    .sport_hi = r->sport_hi,
			    .dport_lo = r->dport_lo,
			    .dport_hi = r->dport_hi,
			    .proto = r->proto,
			    .proto_any = r->proto_any,
			    .needs_ports = !cb_ports_wild(r->sport_lo, r->sport_hi) ||
					   !cb_ports_wild(r->dport_lo, r->dport_hi),
			    .index = en->r[j],
			};
		}
	}
	t->nentries = b->nentries;
	t->nrules = nr;
	/* The index now points into t->keys (same order as the entries). */
	return 0;
}

int tss_build(const struct cb_rules *rules, struct tss_tables *out)
{
	struct builder b = {.rules = rules, .t = out};
	int r = -ENOMEM;

	memset(out, 0, sizeof(*out));
	out->non_ip4_verdict = 1;
	for (size_t i = 0; i < rules->n; i++) {
		const struct cb_rule *ru = &rules->v[i];

		if (!ru->src_len && !ru->dst_len && ru->proto_any &&
		    cb_ports_wild(ru->sport_lo, ru->sport_hi) &&
		    cb_ports_wild(ru->dport_lo, ru->dport_hi)) {
			out->non_ip4_verdict = i % 2 ? 1 : 2;
			break;
		}
	}
	for (out->nslots = 16; out->nslots < 2 * rules->n + 2; out->nslots *= 2)
		;
	out->slots = calloc(out->nslots, sizeof(*out->slots));
	b.group_head = malloc(NGROUPS * sizeof(*b.group_head));
	b.entries = malloc((rules->n ? rules->n : 1) * sizeof(*b.entries));
	if (!out->slots || !b.group_head || !b.entries)
		goto out;
	memset(b.group_head, 0xff, NGROUPS * sizeof(*b.group_head));
	for (size_t i = 0; i < rules->n; i++) {
		if (!cb_rule_satisfiable(&rules->v[i]))
			continue;
		r = place(&b, (uint32_t)i);
		if (r)
			goto out;
	}
	r = serialise(&b);
out:
	free(b.tlens);
	free(b.group_head);
	free(b.group_next);
	free(b.entries);
	if (r)
		tss_tables_free(out);
	return r;
}

void tss_tables_free(struct tss_tables *t)
{
	free(t->tuples);
	free(t->keys);
	free(t->lists);
	free(t->rules);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static bool rule_matches(const struct tss_rule *r, const struct cb_header *h)
{
	bool ports = cb_proto_has_ports(h->proto);

	if ((h->src & r->smask) != r->src || (h->dst & r->dmask) != r->dst)
		return false;
	if (!r->proto_any && h->proto != r->proto)
		return false;
	if (r->needs_ports && (!ports || h->sport < r->sport_lo || h->sport > r->sport_hi ||
			       h->dport < r->dport_lo || h->dport > r->dport_hi))
		return false;
	return true;
}

long tss_lookup(const struct tss_tables *t, const struct cb_header *h)
{
	bool ports = cb_proto_has_ports(h->proto);
	uint32_t best = TSS_NO_RULE;

	for (size_t tu = 0; tu < t->ntuples && t->tuples[tu].best_rule < best; tu++) {
		struct tss_key k = make_key((uint32_t)tu, &t->tuples[tu], h->src, h->dst,
					    ports ? h->sport : 0, ports ? h->dport : 0, h->proto);
		uint32_t s = *find_slot(t, &k, t->keys, sizeof(*t->keys));
		const struct tss_list *l;

		if (!s)
			continue;
		l = &t->lists[s - 1];
		for (uint32_t j = 0; j < l->count; j++) {
			const struct tss_rule *r = &t->rules[l->first + j];

			if (r->index >= best)
				break;
			if (rule_matches(r, h)) {
				best = r->index;
				break;
			}
		}
	}
	return best == TSS_NO_RULE ? -1 : (long)best;
}
