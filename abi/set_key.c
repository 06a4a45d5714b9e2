// SPDX-License-Identifier: GPL-2.0-only
/* The binary codec of named-set elements; see sluice/set_key.h and abi.h. */
#include "sluice/set_key.h"

#include <errno.h>
#include <string.h>

typedef unsigned __int128 u128;

static const struct {
	const char *name;
	unsigned size;
} types[] = {
    [SLUICE_SET_T_IPV4_ADDR] = {"ipv4_addr", 4},
    [SLUICE_SET_T_IPV6_ADDR] = {"ipv6_addr", 16},
    [SLUICE_SET_T_ETHER_ADDR] = {"ether_addr", 6},
    [SLUICE_SET_T_INET_PROTO] = {"inet_proto", 1},
    [SLUICE_SET_T_INET_SERVICE] = {"inet_service", 2},
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

unsigned sl_set_type_size(uint32_t type)
{
	return type < NTYPES ? types[type].size : 0;
}

const char *sl_set_type_name(uint32_t type)
{
	return type < NTYPES ? types[type].name : NULL;
}

uint32_t sl_set_type_from_name(const char *name)
{
	for (uint32_t t = 1; t < NTYPES; t++)
		if (!strcmp(types[t].name, name))
			return t;
	return SLUICE_SET_T_NONE;
}

static int fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

static bool interval(const struct sl_set_desc *d)
{
	return d->flags & SLUICE_SET_F_INTERVAL;
}

int sl_set_desc_init(struct sl_set_desc *d, const uint32_t *t, uint32_t nfields, uint32_t flags,
		     const char **why)
{
	uint32_t off = 0;

	memset(d, 0, sizeof(*d));
	if (nfields < 1 || nfields > SLUICE_SET_MAX_FIELDS)
		return fail(why, "a set has 1 to 4 fields");
	if (flags & ~(SLUICE_SET_F_INTERVAL | SLUICE_SET_F_TIMEOUT))
		return fail(why, "unknown set flags");
	d->nfields = nfields;
	d->flags = flags;
	d->range_field = interval(d) ? nfields - 1 : 0;
	for (uint32_t i = 0; i < nfields; i++) {
		if (!sl_set_type_size(t[i]))
			return fail(why, "unknown set element type");
		d->types[i] = t[i];
	}
	/* Single-value fields in declared order, the ranged field last (its prefix ends the key).
	 */
	for (uint32_t i = 0; i < nfields; i++) {
		if (interval(d) && i == d->range_field)
			continue;
		d->off[i] = off;
		off += sl_set_type_size(t[i]);
	}
	if (interval(d)) {
		d->off[d->range_field] = off;
		off += sl_set_type_size(t[d->range_field]);
		d->data_bits = off * 8;
		d->key_size = 4 + off;
	} else {
		d->key_size = off;
	}
	return 0;
}

int sl_set_desc_from_meta(struct sl_set_desc *d, const struct sluice_meta_set *s, const char **why)
{
	uint32_t t[SLUICE_SET_MAX_FIELDS];
	int err;

	if (s->nfields < 1 || s->nfields > SLUICE_SET_MAX_FIELDS)
		return fail(why, "a set has 1 to 4 fields");
	for (uint32_t i = 0; i < s->nfields; i++)
		t[i] = s->types[i];
	err = sl_set_desc_init(d, t, s->nfields, s->flags, why);
	if (err)
		return err;
	if (s->key_size != d->key_size)
		return fail(why, "key size does not match the set's types");
	if (s->range_field != d->range_field)
		return fail(why, "range field does not match the set's types");
	return 0;
}

static u128 load(const uint8_t *p, unsigned n)
{
	u128 v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void store(u128 v, uint8_t *p, unsigned n)
{
	for (unsigned i = n; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

/* The low `bits` bits set (bits 0..128). */
static u128 low_mask(unsigned bits)
{
	return bits >= 128 ? ~(u128)0 : ((u128)1 << bits) - 1;
}

void sl_set_field_value(const struct sl_set_desc *d, struct sl_set_elem *e, uint32_t i,
			const uint8_t *v)
{
	unsigned n = sl_set_type_size(d->types[i]);

	memset(&e->f[i], 0, sizeof(e->f[i]));
	memcpy(e->f[i].lo, v, n);
	memcpy(e->f[i].hi, v, n);
}

int sl_set_field_prefix(const struct sl_set_desc *d, struct sl_set_elem *e, uint32_t i,
			const uint8_t *v, unsigned plen)
{
	unsigned n = sl_set_type_size(d->types[i]), bits = n * 8;
	u128 host, x;

	if (plen > bits)
		return -EINVAL;
	host = low_mask(bits - plen);
	x = load(v, n) & ~host & low_mask(bits);
	memset(&e->f[i], 0, sizeof(e->f[i]));
	store(x, e->f[i].lo, n);
	store(x | host, e->f[i].hi, n);
	return 0;
}

int sl_set_field_range(const struct sl_set_desc *d, struct sl_set_elem *e, uint32_t i,
		       const uint8_t *lo, const uint8_t *hi)
{
	unsigned n = sl_set_type_size(d->types[i]);

	if (load(lo, n) > load(hi, n))
		return -EINVAL;
	memset(&e->f[i], 0, sizeof(e->f[i]));
	memcpy(e->f[i].lo, lo, n);
	memcpy(e->f[i].hi, hi, n);
	return 0;
}

bool sl_set_field_single(const struct sl_set_desc *d, const struct sl_set_elem *e, uint32_t i)
{
	return !memcmp(e->f[i].lo, e->f[i].hi, sl_set_type_size(d->types[i]));
}

int sl_set_field_plen(const struct sl_set_desc *d, const struct sl_set_elem *e, uint32_t i)
{
	unsigned n = sl_set_type_size(d->types[i]), bits = n * 8;
	u128 lo = load(e->f[i].lo, n), hi = load(e->f[i].hi, n);

	for (unsigned plen = 0; plen <= bits; plen++) {
		u128 host = low_mask(bits - plen);

		if ((lo & host) == 0 && (lo | host) == hi)
			return (int)plen;
	}
	return -1;
}

/* Whether e fits the set: ranges only in an interval set's range field. */
static int elem_check(const struct sl_set_desc *d, const struct sl_set_elem *e, const char **why)
{
	uint32_t nranged = 0;

	for (uint32_t i = 0; i < d->nfields; i++) {
		unsigned n = sl_set_type_size(d->types[i]);

		if (load(e->f[i].lo, n) > load(e->f[i].hi, n))
			return fail(why, "a range whose start is past its end");
		if (sl_set_field_single(d, e, i))
			continue;
		if (!interval(d))
			return fail(why, "prefixes and ranges need a set with flags interval");
		nranged++;
	}
	if (nranged > 1)
		return fail(why, "only one field of a concatenation may hold a prefix or range");
	if (nranged && d->nfields > 1 && sl_set_field_single(d, e, d->range_field))
		return fail(why,
			    "only the last field of a concatenation may hold a prefix or range");
	return 0;
}

/* The key bytes common to every prefix of e: the single-value fields. */
static void key_base(const struct sl_set_desc *d, const struct sl_set_elem *e, uint8_t *key)
{
	uint8_t *data = key + (interval(d) ? 4 : 0);

	memset(key, 0, d->key_size);
	for (uint32_t i = 0; i < d->nfields; i++)
		memcpy(data + d->off[i], e->f[i].lo, sl_set_type_size(d->types[i]));
}

/* Calls fn for each prefix of the range field's lo..hi; counts them in *n. */
static int decompose(const struct sl_set_desc *d, const struct sl_set_elem *e, uint8_t *key,
		     int (*fn)(const uint8_t *key, void *ctx), void *ctx, int *n)
{
	uint32_t r = d->range_field;
	unsigned bytes = sl_set_type_size(d->types[r]), bits = bytes * 8;
	unsigned other_bits = d->data_bits - bits;
	u128 lo = load(e->f[r].lo, bytes), hi = load(e->f[r].hi, bytes);

	for (;;) {
		unsigned k = 0; /* the largest aligned block at lo that ends at or before hi */
		uint32_t plen;
		int err;

		while (k < bits && !(lo & ((u128)1 << k)) && (lo | low_mask(k + 1)) <= hi)
			k++;
		plen = other_bits + bits - k;
		memcpy(key, &plen, 4);
		store(lo, key + 4 + d->off[r], bytes);
		(*n)++;
		if (fn) {
			err = fn(key, ctx);
			if (err)
				return err;
		}
		if ((lo | low_mask(k)) >= hi)
			return 0;
		lo = (lo | low_mask(k)) + 1;
	}
}

static int keys(const struct sl_set_desc *d, const struct sl_set_elem *e,
		int (*fn)(const uint8_t *key, void *ctx), void *ctx, const char **why, int *n)
{
	uint8_t key[SLUICE_SET_MAX_KEY];
	int err = elem_check(d, e, why);

	if (err)
		return err;
	key_base(d, e, key);
	if (interval(d))
		return decompose(d, e, key, fn, ctx, n);
	(*n)++;
	return fn ? fn(key, ctx) : 0;
}

int sl_set_elem_keys(const struct sl_set_desc *d, const struct sl_set_elem *e,
		     int (*fn)(const uint8_t *key, void *ctx), void *ctx, const char **why)
{
	int n = 0;

	return keys(d, e, fn, ctx, why, &n);
}

int sl_set_elem_nkeys(const struct sl_set_desc *d, const struct sl_set_elem *e, const char **why)
{
	int n = 0, err = keys(d, e, NULL, NULL, why, &n);

	return err ? err : n;
}

int sl_set_key_decode(const struct sl_set_desc *d, const uint8_t *key, struct sl_set_elem *out,
		      const char **why)
{
	const uint8_t *data = key + (interval(d) ? 4 : 0);
	uint32_t plen, r = d->range_field;
	unsigned bytes, bits;
	u128 v, host;

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < d->nfields; i++)
		sl_set_field_value(d, out, i, data + d->off[i]);
	if (!interval(d))
		return 0;
	memcpy(&plen, key, 4);
	bytes = sl_set_type_size(d->types[r]);
	bits = bytes * 8;
	if (plen > d->data_bits || plen < d->data_bits - bits)
		return fail(why, "prefix length outside the ranged field");
	host = low_mask(d->data_bits - plen);
	v = load(data + d->off[r], bytes);
	if (v & host)
		return fail(why, "bits set past the prefix length");
	store(v | host, out->f[r].hi, bytes);
	return 0;
}
