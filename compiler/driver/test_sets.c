// SPDX-License-Identifier: GPL-2.0-only
/*
 * Set contents of `sluice test` cases. An element is written as
 * `sluice-load set load` reads a line (sluice/set_text.h), so a test file
 * spells elements as the operator does; the interpreter looks up the IR
 * set's elements, the kernel run the map keys, both made here from the same
 * parsed elements. Timeouts are not accepted: a case has no clock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/test_sets.h"
#include "sluice/set_text.h"

int sl_test_sets_save(struct sl_test_sets *s, const struct sl_ir *ir)
{
	uint32_t n = ir->nsets ? ir->nsets : 1;

	*s = (struct sl_test_sets){.n = ir->nsets};
	s->elems = calloc(n, sizeof(*s->elems));
	s->nelems = calloc(n, sizeof(*s->nelems));
	s->nkeys = calloc(n, sizeof(*s->nkeys));
	s->keys = calloc(n, sizeof(*s->keys));
	if (!s->elems || !s->nelems || !s->nkeys || !s->keys) {
		sl_test_sets_fini(s);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < ir->nsets; i++) {
		s->elems[i] = ir->sets[i].elems;
		s->nelems[i] = ir->sets[i].nelems;
		s->keys[i] = ir->sets[i].keys;
		s->nkeys[i] = ir->sets[i].nkeys;
	}
	return 0;
}

void sl_test_sets_reset(const struct sl_test_sets *s, const struct sl_ir *ir)
{
	for (uint32_t i = 0; i < s->n; i++) {
		ir->sets[i].elems = s->elems[i];
		ir->sets[i].nelems = s->nelems[i];
		ir->sets[i].keys = s->keys[i];
		ir->sets[i].nkeys = s->nkeys[i];
	}
}

void sl_test_sets_fini(struct sl_test_sets *s)
{
	free(s->elems);
	free(s->nelems);
	free(s->nkeys);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

static sl_u128 field_num(const uint8_t *b, unsigned n)
{
	sl_u128 v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

struct keys {
	struct sl_arena *arena;
	uint8_t *buf;
	uint32_t n, cap, size;
	uint32_t limit; /* the set's capacity */
};

static int add_key(const uint8_t *key, void *ctx)
{
	struct keys *k = ctx;

	if (k->n == k->limit)
		return -ENOSPC;
	if (k->n == k->cap) {
		uint32_t ncap = k->cap ? 2 * k->cap : 64;

		k->buf = sl_arena_realloc(k->arena, k->buf, (size_t)k->cap * k->size,
					  (size_t)ncap * k->size, 1);
		if (!k->buf)
			return -ENOMEM;
		k->cap = ncap;
	}
	memcpy(k->buf + (size_t)k->n * k->size, key, k->size);
	k->n++;
	return 0;
}

int sl_test_sets_apply(const struct sl_ir *ir, struct sl_arena *arena, struct sl_diag *diag,
		       const struct sl_tc_setdef *d)
{
	struct sl_ir_set *s = sl_ir_set_find(ir, d->name);
	struct sl_ir_set_elem *elems;
	struct sl_set_desc desc;
	const char *what = NULL;
	struct keys k = {.arena = arena};

	if (!s) {
		sl_error(diag, d->loc, "the policy has no set '%s'", d->name);
		return -EINVAL;
	}
	if (sl_set_desc_init(&desc, s->types, s->ntypes, s->flags, &what)) {
		sl_error(diag, d->loc, "set '%s': %s", d->name, what);
		return -EINVAL;
	}
	k.size = desc.key_size;
	k.limit = s->capacity;
	elems = sl_arena_calloc(arena, d->nelems ? d->nelems : 1, sizeof(*elems));
	if (!elems)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->nelems; i++) {
		struct sl_set_elem e;
		uint64_t timeout = 0;
		char why[256];
		int r = sl_set_text_parse(&desc, d->elems[i], strlen(d->elems[i]), &e, &timeout,
					  why, sizeof(why));

		if (!r && timeout) {
			snprintf(why, sizeof(why), "a case has no clock: no timeout here");
			r = -EINVAL;
		}
		if (r) {
			sl_error(diag, d->elem_loc[i], "%s", r == 1 ? "not an element" : why);
			return -EINVAL;
		}
		r = sl_set_elem_keys(&desc, &e, add_key, &k, &what);
		if (r == -ENOSPC) {
			sl_error(diag, d->elem_loc[i],
				 "set '%s' is full: its size is %u map entries (ranges count as "
				 "their prefixes)",
				 d->name, s->capacity);
			return -EINVAL;
		}
		if (r) {
			sl_error(diag, d->elem_loc[i], "%s", what ? what : strerror(-r));
			return -EINVAL;
		}
		for (uint32_t f = 0; f < s->ntypes; f++) {
			unsigned bytes = sl_set_type_size(s->types[f]);

			elems[i].lo[f] = field_num(e.f[f].lo, bytes);
			elems[i].hi[f] = field_num(e.f[f].hi, bytes);
		}
	}
	s->elems = elems;
	s->nelems = d->nelems;
	s->keys = k.buf;
	s->nkeys = k.n;
	return 0;
}
