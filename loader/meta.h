/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading and validating the metadata section of a sluice object
 * (include/sluice/abi.h). Every offset is checked; after sl_meta_parse
 * succeeds, every accessor is safe.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <sluice/abi.h>

struct sl_meta {
	void *raw; /* the section as found, kept to store it with an attachment */
	size_t raw_size;
	struct sluice_meta_header hdr;
	struct sluice_meta_table *tables;
	struct sluice_meta_rule *rules;
	const char *strings;
};

/* Validates data as a metadata section; on error writes the reason to why. */
int sl_meta_parse(const void *data, size_t size, struct sl_meta **out, char *why, size_t why_len);
/* Reads the section from an object file; prints what is wrong on error. */
int sl_meta_from_object(const char *path, struct sl_meta **out);
void sl_meta_free(struct sl_meta *m);
static inline void sl_meta_freep(struct sl_meta **m)
{
	sl_meta_free(*m);
}
#define _cleanup_meta_ __attribute__((cleanup(sl_meta_freep)))

const char *sl_meta_str(const struct sl_meta *m, uint32_t off);
/* The table called name (or the only table when name is NULL); prints errors. */
int sl_meta_pick_table(const struct sl_meta *m, const char *path, const char *name,
		       const struct sluice_meta_table **out);
const char *sl_hook_name(uint32_t hook);
/* Lower-case hex of the source hash, 64 chars + NUL. */
void sl_meta_hash_hex(const uint8_t hash[32], char out[65]);
