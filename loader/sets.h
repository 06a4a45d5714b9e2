/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Named sets in the kernel (abi.h, "Named sets"): each set is an outer
 * ARRAY_OF_MAPS with one slot; its contents are the inner map in slot 0 (HASH,
 * or LPM_TRIE for interval sets). sluice-load creates the inner maps, fills
 * them, swaps them (set load, flush: atomic for packets, which look up slot 0
 * once) and edits them in place (set add, del). The outer maps are pinned as
 * <attachment>/sets/<name>, so sets outlive the loader.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <sluice/set_key.h>

#include "meta.h"

struct sl_obj;

/* One set of an attachment or an object: its record and key shape. */
struct sl_set {
	const struct sl_meta *m;
	const struct sluice_meta_set *rec;
	const char *name;
	struct sl_set_desc d;
};

/* The set named name of m (prints what to do when there is none). */
int sl_set_find(const struct sl_meta *m, const char *name, struct sl_set *out);
/* Set i (< m->hdr.nsets) of m; -EINVAL (printed) for a record set_key refuses. */
int sl_set_at(const struct sl_meta *m, uint32_t i, struct sl_set *out);

/* A new, empty inner map for s (its type, key, flags and capacity); fd or -errno. */
int sl_set_inner_create(const struct sl_set *s);
/*
 * Adds the policy's elements (the metadata's) to the inner map fd. In a set
 * with `flags timeout` they expire after their timeout (the metadata value,
 * relative) or the set's default from now.
 */
int sl_set_fill_policy(const struct sl_set *s, int fd);
/* The inner map in slot 0 of the outer map: fd, or -ENOENT for an empty slot. */
int sl_set_slot_get(int outer_fd);
/* Stores inner in slot 0 (the swap packets see at once). */
int sl_set_slot_put(int outer_fd, int inner_fd);

/* Calls fn on every key and value of an inner map; stops at fn's first non-zero result. */
int sl_set_each(int fd, uint32_t key_size,
		int (*fn)(int fd, const uint8_t *k, const struct sluice_set_value *v, void *ctx),
		void *ctx);
/* Number of elements (keys) of an inner map, or -errno. */
int sl_set_count(int fd, uint32_t key_size);
/* Deletes the elements whose expires_ns has passed; how many, or -errno. */
int sl_set_expire(int fd, uint32_t key_size);
/* Copies the keys of from (except those of the policy of old, if given) into to. */
int sl_set_copy(int from, int to, uint32_t key_size, const struct sl_set *skip_policy);

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns() and expires_ns. */
uint64_t sl_mono_ns(void);

/*
 * Reads an element file (one element a line, `#` comments) of set s into a
 * new inner map; errors name FILE:LINE. *count: the elements read. fd or -errno.
 */
int sl_set_load_file(const struct sl_set *s, const char *path, uint32_t *count);

/*
 * After bpf_object__load: for each set of the object, an inner map with the
 * policy's elements in slot 0 (before anything is attached). With old_dir
 * (replace), run-time elements of the old attachment's sets of the same name
 * and shape are carried: the old set's contents minus the old policy's elements.
 */
int sl_sets_setup(struct sl_obj *o, const char *old_dir, const struct sl_meta *old_m);
/* Pins the object's outer maps as dir/sub/<name> (sub: "sets", "new-sets"). */
int sl_sets_pin(struct sl_obj *o, const char *dir, const char *sub);
/* Replace, roll forward: dir/new-sets becomes dir/sets (the old ones go). */
int sl_sets_commit(const char *dir);
/* Removes dir/sub and its pins. */
void sl_sets_remove(const char *dir, const char *sub);
