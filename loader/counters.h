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

/*
 * Counts survive a replace without sluice-load ever writing a map a program
 * updates: the new program counts from zero in its own map, and a "carried"
 * array (slot -> {packets, bytes}, not per-CPU) holds what the old programs
 * counted. Readers add the two. sl_carried_build makes the new carried array:
 * for each pair, the old carried value plus the old counter map's per-CPU
 * sum, which is final once the old program cannot run any more (after the
 * switch and a grace period). old_carried_fd may be -1. Returns an fd.
 */
int sl_carried_build(int old_counters_fd, int old_carried_fd, const struct sl_slot_pair *pairs,
		     size_t npairs, uint32_t nslots);
/* The live per-CPU sum of slot plus its carried value (carried_fd may be -1). */
int sl_counters_total(int fd, int carried_fd, uint32_t slot, struct sluice_counter *sum);
