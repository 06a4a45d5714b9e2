/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading and validating the metadata section of a sluice object (abi.h), for
 * the compiler's listings and the loader alike. Nothing in the section is
 * trusted: every size, count and offset is checked before use, and after
 * sl_meta_parse() succeeds every field and string it returns is safe to use.
 */
#ifndef SLUICE_META_H
#define SLUICE_META_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/abi.h"

struct sl_meta {
	void *raw; /* a copy of the section as found (the loader stores it with an attachment) */
	size_t raw_size;
	struct sluice_meta_header hdr;
	struct sluice_meta_table *tables; /* hdr.ntables records in this reader's layout */
	struct sluice_meta_rule *rules;	  /* hdr.nrules records, rules[i].id == i */
	struct sluice_meta_set *sets;	  /* hdr.nsets records (0 in version 1 sections) */
	const char *strings;		  /* into raw */
	struct sluice_meta_iface *ifaces; /* interface names: nifaces records, name k-1 = slot k */
	uint32_t nifaces;
};

/*
 * Validates data (any alignment) as a metadata section and copies it out.
 * 0, -ENOMEM, or -EINVAL with the reason in why (why_len bytes, may be 0).
 */
int sl_meta_parse(const void *data, size_t size, struct sl_meta **out, char *why, size_t why_len);
void sl_meta_free(struct sl_meta *m);
static inline void sl_meta_freep(struct sl_meta **m)
{
	sl_meta_free(*m);
}
#define _cleanup_meta_ __attribute__((cleanup(sl_meta_freep)))

/* The string at off; "" for an offset outside the string table. */
const char *sl_meta_str(const struct sl_meta *m, uint32_t off);
/* The set named name (the full name in the policy), or NULL. */
const struct sluice_meta_set *sl_meta_set_find(const struct sl_meta *m, const char *name);
/*
 * The key of initial element i (< s->nelems) of set s, s->key_size bytes in the
 * section (unaligned); its value is copied to *value unless value is NULL.
 */
const uint8_t *sl_meta_set_key(const struct sl_meta *m, const struct sluice_meta_set *s, uint32_t i,
			       struct sluice_set_value *value);
/* Lower-case hex of the source hash, 64 chars + NUL. */
void sl_meta_hash_hex(const uint8_t hash[32], char out[65]);

#endif /* SLUICE_META_H */
