// SPDX-License-Identifier: GPL-2.0-only
/* Boxes over the header fields: the products of interval sets diff.c cuts header space into. */
#include <string.h>

#include "analysis/diff_priv.h"

sl_u128 sl_diff_field_max(enum sl_field f)
{
	if (f == SL_FIELD_CT_STATE)
		return SL_CT_UNTRACKED; /* 5-7 name no state */
	return f == SL_FIELD_VLAN_ID ? SL_DIFF_VLAN_NONE : sl_field_max(f);
}

const struct sl_iset *sl_diff_box_get(const struct sl_diff_box *b, enum sl_field f)
{
	if (!(b->mask & SL_FIELD_BIT(f)))
		return NULL;
	return &b->s[__builtin_popcountll(b->mask & (SL_FIELD_BIT(f) - 1))];
}

void wbox_from(struct wbox *w, const struct sl_diff_box *b)
{
	w->mask = b->mask;
	for (unsigned f = 0, i = 0; f < SL_FIELD_COUNT; f++)
		if (b->mask & SL_FIELD_BIT(f))
			w->s[f] = b->s[i++];
}

struct sl_diff_box wbox_pack(struct sl_arena *a, const struct wbox *w, bool copy)
{
	struct sl_diff_box b = {.mask = w->mask, .n = (uint8_t)__builtin_popcountll(w->mask)};
	struct sl_iset *s = b.n ? sl_arena_alloc(a, b.n * sizeof(*s)) : NULL;

	for (unsigned f = 0, i = 0; f < SL_FIELD_COUNT; f++)
		if (w->mask & SL_FIELD_BIT(f))
			s[i++] = copy ? sl_iset_clone(a, w->s[f]) : w->s[f];
	b.s = s;
	return b;
}

/* Narrow field f of w to w.f ∩ x; false when that is empty. */
bool wbox_and(struct sl_arena *a, struct wbox *w, enum sl_field f, struct sl_iset x)
{
	if (w->mask & SL_FIELD_BIT(f))
		x = sl_iset_intersect(a, w->s[f], x);
	if (sl_iset_is_empty(x))
		return false;
	if (sl_iset_is_full(x, sl_diff_field_max(f))) {
		w->mask &= ~SL_FIELD_BIT(f);
		return true;
	}
	w->s[f] = x;
	w->mask |= SL_FIELD_BIT(f);
	return true;
}

bool box_intersects(const struct sl_diff_box *x, const struct sl_diff_box *y)
{
	sl_field_mask both = x->mask & y->mask;

	while (both) {
		enum sl_field f = __builtin_ctzll(both);

		both &= both - 1;
		if (sl_iset_disjoint(*sl_diff_box_get(x, f), *sl_diff_box_get(y, f)))
			return false;
	}
	return true;
}

/* x ⊇ y */
bool box_covers(const struct sl_diff_box *x, const struct sl_diff_box *y)
{
	if (x->mask & ~y->mask)
		return false; /* x constrains a field y leaves free (sets are never full) */
	for (unsigned i = 0, f = 0; f < SL_FIELD_COUNT; f++) {
		if (!(x->mask & SL_FIELD_BIT(f)))
			continue;
		if (!sl_iset_subset(*sl_diff_box_get(y, f), x->s[i++]))
			return false;
	}
	return true;
}

bool box_intersect(struct sl_arena *a, const struct sl_diff_box *x, const struct sl_diff_box *y,
		   struct sl_diff_box *out)
{
	struct wbox w;

	wbox_from(&w, x);
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++)
		if ((y->mask & SL_FIELD_BIT(f)) && !wbox_and(a, &w, f, *sl_diff_box_get(y, f)))
			return false;
	*out = wbox_pack(a, &w, false);
	return true;
}

/*
 * x minus y as disjoint boxes: per field f that y constrains, the part of
 * x outside y in f and inside y in the fields before. Returns how many
 * (at most SL_FIELD_COUNT) went to out.
 */
unsigned box_subtract(struct sl_arena *a, const struct sl_diff_box *x, const struct sl_diff_box *y,
		      struct sl_diff_box *out)
{
	struct wbox w;
	unsigned n = 0;

	if (!box_intersects(x, y)) {
		out[0] = *x;
		return 1;
	}
	wbox_from(&w, x);
	for (unsigned f = 0; f < SL_FIELD_COUNT; f++) {
		if (!(y->mask & SL_FIELD_BIT(f)))
			continue;
		struct sl_iset ys = *sl_diff_box_get(y, f);
		struct sl_iset cur =
		    (w.mask & SL_FIELD_BIT(f)) ? w.s[f] : sl_iset_range(a, 0, sl_diff_field_max(f));
		struct sl_iset outside = sl_iset_subtract(a, cur, ys);

		if (!sl_iset_is_empty(outside)) {
			struct wbox p = w;

			p.s[f] = outside;
			p.mask |= SL_FIELD_BIT(f);
			out[n++] = wbox_pack(a, &p, false);
		}
		wbox_and(a, &w, f, ys);
	}
	return n;
}

static int iset_cmp(struct sl_iset x, struct sl_iset y)
{
	if (x.n != y.n)
		return x.n < y.n ? -1 : 1;
	for (uint32_t i = 0; i < x.n; i++) {
		if (x.iv[i].lo != y.iv[i].lo)
			return x.iv[i].lo < y.iv[i].lo ? -1 : 1;
		if (x.iv[i].hi != y.iv[i].hi)
			return x.iv[i].hi < y.iv[i].hi ? -1 : 1;
	}
	return 0;
}

/* Order of boxes ignoring field `skip` (SL_FIELD_COUNT: none). */
int box_cmp_except(const struct sl_diff_box *x, const struct sl_diff_box *y, unsigned skip)
{
	sl_field_mask keep = skip < SL_FIELD_COUNT ? ~SL_FIELD_BIT(skip) : ~(sl_field_mask)0;
	sl_field_mask mx = x->mask & keep, my = y->mask & keep;

	if (mx != my)
		return mx < my ? -1 : 1;
	while (mx) {
		enum sl_field f = __builtin_ctzll(mx);
		int c;

		mx &= mx - 1;
		c = iset_cmp(*sl_diff_box_get(x, f), *sl_diff_box_get(y, f));
		if (c)
			return c;
	}
	return 0;
}

uint64_t box_hash(const struct sl_diff_box *b)
{
	uint64_t h = 1469598103934665603ULL ^ b->mask;

	for (unsigned i = 0; i < b->n; i++) {
		for (uint32_t j = 0; j < b->s[i].n; j++) {
			const uint64_t *w = (const uint64_t *)&b->s[i].iv[j];

			for (unsigned k = 0; k < 4; k++)
				h = (h ^ w[k]) * 1099511628211ULL;
		}
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	return h;
}
