/* SPDX-License-Identifier: GPL-2.0-only */
/* Inside the diff analysis: boxes (diff_box.c), shapes (diff_shape.c). */
#pragma once

#include "analysis/diff.h"

/* A box being built: every field addressable. */
struct wbox {
	sl_field_mask mask;
	struct sl_iset s[SL_FIELD_COUNT];
};

void wbox_from(struct wbox *w, const struct sl_diff_box *b);
struct sl_diff_box wbox_pack(struct sl_arena *a, const struct wbox *w, bool copy);
bool wbox_and(struct sl_arena *a, struct wbox *w, enum sl_field f, struct sl_iset x);
bool box_intersects(const struct sl_diff_box *x, const struct sl_diff_box *y);
bool box_covers(const struct sl_diff_box *x, const struct sl_diff_box *y);
bool box_intersect(struct sl_arena *a, const struct sl_diff_box *x, const struct sl_diff_box *y,
		   struct sl_diff_box *out);
unsigned box_subtract(struct sl_arena *a, const struct sl_diff_box *x, const struct sl_diff_box *y,
		      struct sl_diff_box *out);
int box_cmp_except(const struct sl_diff_box *x, const struct sl_diff_box *y, unsigned skip);
uint64_t box_hash(const struct sl_diff_box *b);

/* The shapes a packet on `hook` can have, in a (hook's) array in arena. */
uint32_t diff_shapes(struct sl_arena *a, enum sl_hook hook, struct sl_diff_shape **out);
/* The field of the shape that holds what `field` reads, or SL_FIELD_COUNT when it is absent. */
enum sl_field diff_shape_field(const struct sl_diff_shape *s, enum sl_field field);
