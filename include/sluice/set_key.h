/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The binary codec of named-set elements (abi.h, "Named sets"): from field
 * values (single values, prefixes or ranges) to the keys of a set's inner map,
 * and back. The compiler encodes a policy's elements with it, the loader the
 * elements it adds, lists and loads (sluice/set_text.h parses and prints text
 * on top of it). Plain C, no allocation.
 *
 * Field values are bytes in network order at the type's natural size
 * (sl_set_type_size()), in the first bytes of lo/hi.
 */
#ifndef SLUICE_SET_KEY_H
#define SLUICE_SET_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/abi.h"

/* Bytes of a type's value; 0 for an unknown type. */
unsigned sl_set_type_size(uint32_t type);
/* nftables' name ("ipv4_addr", ...), or NULL for an unknown type. */
const char *sl_set_type_name(uint32_t type);
/* The type of an nftables type name, or SLUICE_SET_T_NONE. */
uint32_t sl_set_type_from_name(const char *name);

/* The shape of a set's keys, derived from its types and flags. */
struct sl_set_desc {
	uint32_t nfields;
	uint32_t types[SLUICE_SET_MAX_FIELDS];
	uint32_t flags;	      /* SLUICE_SET_F_* */
	uint32_t range_field; /* interval sets: the field that may hold a range */
	uint32_t key_size;    /* bytes of the map key */
	uint32_t data_bits;   /* interval sets: bits after the prefixlen word */
	/* Byte offset of each declared field in the key (after the prefixlen word). */
	uint32_t off[SLUICE_SET_MAX_FIELDS];
};

/*
 * Fills d for a set of nfields types (1..SLUICE_SET_MAX_FIELDS) and flags; the
 * ranged field of an interval set is its last field. 0 or -EINVAL (why says
 * which part is wrong).
 */
int sl_set_desc_init(struct sl_set_desc *d, const uint32_t *types, uint32_t nfields, uint32_t flags,
		     const char **why);
/* Fills d from a metadata record and checks that its key_size and range_field agree. */
int sl_set_desc_from_meta(struct sl_set_desc *d, const struct sluice_meta_set *s, const char **why);

/* One field of an element: the inclusive range lo..hi (lo == hi: a single value). */
struct sl_set_field {
	uint8_t lo[16];
	uint8_t hi[16];
};

struct sl_set_elem {
	struct sl_set_field f[SLUICE_SET_MAX_FIELDS];
};

/* Sets field i of e to the single value v. */
void sl_set_field_value(const struct sl_set_desc *d, struct sl_set_elem *e, uint32_t i,
			const uint8_t *v);
/* Sets field i of e to the prefix v/plen (host bits of v ignored); -EINVAL if plen is too long. */
int sl_set_field_prefix(const struct sl_set_desc *d, struct sl_set_elem *e, uint32_t i,
			const uint8_t *v, unsigned plen);
/* Sets field i of e to lo..hi; -EINVAL if lo > hi. */
int sl_set_field_range(const struct sl_set_desc *d, struct sl_set_elem *e, uint32_t i,
		       const uint8_t *lo, const uint8_t *hi);
/* The prefix length of field i when it is exactly a prefix, else -1. */
int sl_set_field_plen(const struct sl_set_desc *d, const struct sl_set_elem *e, uint32_t i);
/* Whether field i of e is a single value. */
bool sl_set_field_single(const struct sl_set_desc *d, const struct sl_set_elem *e, uint32_t i);

/* A range of 128 bits decomposes into at most 254 prefixes. */
#define SL_SET_MAX_KEYS_PER_ELEM 256

/*
 * Calls fn once per map key of e: one key for a set without interval, the
 * minimal prefix decomposition of the ranged field for an interval set (in
 * ascending order). Stops at and returns fn's first non-zero result. -EINVAL
 * (why set) if e has a range where the set allows none: a set without
 * SLUICE_SET_F_INTERVAL, more than one non-single field, or a range in a field
 * other than range_field.
 */
int sl_set_elem_keys(const struct sl_set_desc *d, const struct sl_set_elem *e,
		     int (*fn)(const uint8_t *key, void *ctx), void *ctx, const char **why);
/* The number of keys sl_set_elem_keys() would produce, or -EINVAL. */
int sl_set_elem_nkeys(const struct sl_set_desc *d, const struct sl_set_elem *e, const char **why);

/*
 * Decodes a map key back into an element (a prefix of the ranged field for an
 * interval set). -EINVAL (why set) for a key no encoder produces: a prefixlen
 * shorter than the single-value fields or longer than the data, or set bits
 * past the prefix.
 */
int sl_set_key_decode(const struct sl_set_desc *d, const uint8_t *key, struct sl_set_elem *out,
		      const char **why);

#endif /* SLUICE_SET_KEY_H */
