/* SPDX-License-Identifier: GPL-2.0-only */
/* The per-CPU counter map: summing it, and carrying counts across a replace. */
#pragma once

#include <stdint.h>

#include "meta.h"

/* Checks that fd is a counter map as abi.h lays it out; prints what is wrong. */
int sl_counters_check(int fd, const char *what);
/* Sums every CPU's {packets, bytes} of slot. */
int sl_counters_read(int fd, uint32_t slot, struct sluice_counter *sum);

/*
 * Slot pairs (old, new) of rules unchanged between two policies: same chain
 * and same text, the k-th such rule of the old matching the k-th of the new.
 */
struct sl_slot_pair {
	uint32_t old_slot;
	uint32_t new_slot;
};
int sl_counters_match(const struct sl_meta *old_m, const struct sl_meta *new_m,
		      struct sl_slot_pair **pairs, size_t *npairs);

/* Writes the snapshot into the (not yet attached) new map. */
int sl_counters_seed(int new_fd, const struct sl_slot_pair *pairs, size_t npairs,
		     const uint64_t *snap);
/* Adds the per-CPU values of old slots (minus base, when given) into the new map. */
int sl_counters_carry(int old_fd, int new_fd, const struct sl_slot_pair *pairs, size_t npairs,
		      uint64_t *base);
/* Per-CPU snapshot of the old slots for a later sl_counters_carry(base). */
int sl_counters_snapshot(int old_fd, const struct sl_slot_pair *pairs, size_t npairs,
			 uint64_t **snap);
