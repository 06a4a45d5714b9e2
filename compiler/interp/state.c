// SPDX-License-Identifier: GPL-2.0-only
/*
 * Limits and meters in the reference interpreter: one bucket per limited
 * rule, and per meter a table of keys with theirs, evicting the least
 * recently used key when full (the kernel's LRU hash evicts approximately:
 * the two agree only while a meter holds fewer keys than its size).
 * The arithmetic is sl_limit_take() (common/limit.h), the BPF code's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"
#include "ir/ir.h"

struct meter_entry {
	uint8_t key[64];
	uint64_t used; /* the state's use counter at its last packet */
	struct sl_bucket bucket;
};

struct meter {
	struct meter_entry *e;
	uint32_t n, cap;
};

struct sl_interp_state {
	uint32_t nrules;
	struct sl_bucket *buckets; /* by rule id */
	struct meter *meters;	   /* by rule id */
	uint64_t uses;
};

struct sl_interp_state *sl_interp_state_new(const struct sl_ir *ir)
{
	struct sl_interp_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->nrules = ir->nrules;
	st->buckets = calloc(ir->nrules ? ir->nrules : 1, sizeof(*st->buckets));
	st->meters = calloc(ir->nrules ? ir->nrules : 1, sizeof(*st->meters));
	if (!st->buckets || !st->meters) {
		sl_interp_state_free(st);
		return NULL;
	}
	return st;
}

void sl_interp_state_free(struct sl_interp_state *st)
{
	if (!st)
		return;
	for (uint32_t i = 0; st->meters && i < st->nrules; i++)
		free(st->meters[i].e);
	free(st->meters);
	free(st->buckets);
	free(st);
}

/* The key the BPF code packs (codegen_limit.c); false when a field is absent. */
static bool meter_key(const struct sl_limit *l, const struct sl_interp_fields *f, uint8_t key[64])
{
	uint32_t off = 0;

	memset(key, 0, 64);
	for (uint32_t k = 0; k < l->nkeys; k++) {
		enum sl_field fd = l->keys[k];
		unsigned bits = sl_field_info(fd)->bits, host = bits - l->key_plen[k];
		sl_u128 v, mask;

		if (!f->present[fd])
			return false;
		mask = host >= 128 ? 0 : ~(sl_u128)0 << host;
		v = f->value[fd] & mask;
		if (bits <= 64) {
			uint64_t x = (uint64_t)v;

			memcpy(key + off, &x, 8);
			off += 8;
			continue;
		}
		for (unsigned w = 0; w < 4; w++) {
			uint32_t x = (uint32_t)(v >> (96 - 32 * w));

			memcpy(key + off + 4 * w, &x, 4);
		}
		off += 16;
	}
	return true;
}

static struct sl_bucket *meter_bucket(struct sl_interp_state *st, const struct sl_ir_rule *r,
				      const uint8_t key[64])
{
	struct meter *m = &st->meters[r->id];
	uint32_t lru = 0;

	for (uint32_t i = 0; i < m->n; i++) {
		if (!memcmp(m->e[i].key, key, 64)) {
			m->e[i].used = ++st->uses;
			return &m->e[i].bucket;
		}
		if (m->e[i].used < m->e[lru].used)
			lru = i;
	}
	if (m->n == r->limit->size) {
		m->e[lru] = (struct meter_entry){.used = ++st->uses};
		memcpy(m->e[lru].key, key, 64);
		return &m->e[lru].bucket;
	}
	if (m->n == m->cap) {
		uint32_t cap = m->cap ? 2 * m->cap : 16;
		void *p = realloc(m->e, cap * sizeof(*m->e));

		if (!p)
			return NULL;
		m->e = p;
		m->cap = cap;
	}
	m->e[m->n] = (struct meter_entry){.used = ++st->uses};
	memcpy(m->e[m->n].key, key, 64);
	return &m->e[m->n++].bucket;
}

bool sl_interp_limit(struct sl_interp_state *st, const struct sl_ir_rule *r,
		     const struct sl_interp_fields *fields, uint64_t length, uint64_t now_ns)
{
	const struct sl_limit *l = r->limit;
	struct sl_bucket fresh = {0}, *b = &fresh;
	uint8_t key[64];
	bool under;

	if (l->nkeys && !meter_key(l, fields, key))
		return false; /* the packet has no key: the rule does not match */
	if (st && r->id < st->nrules)
		b = l->nkeys ? meter_bucket(st, r, key) : &st->buckets[r->id];
	if (!b)
		return !l->over ? false
				: true; /* out of memory: as the BPF code without a bucket */
	under = sl_limit_take(l, b, now_ns, l->bytes ? length : 1);
	return l->over ? !under : under;
}
