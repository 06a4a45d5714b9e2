// SPDX-License-Identifier: GPL-2.0-only
/* The one reader of the metadata section (abi.h); see sluice/meta.h. */
#include "sluice/meta.h"
#include "sluice/set_key.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(offsetof(struct sluice_meta_header, nsets) == SLUICE_META_HEADER_V1_SIZE,
	       "the version 1 header ends where the set fields begin");
_Static_assert(sizeof(struct sluice_meta_set) == 64, "set records have no padding");

void sl_meta_free(struct sl_meta *m)
{
	if (!m)
		return;
	free(m->raw);
	free(m->tables);
	free(m->rules);
	free(m->sets);
	free(m->ifaces);
	free(m);
}

const char *sl_meta_str(const struct sl_meta *m, uint32_t off)
{
	return off < m->hdr.strings_size ? m->strings + off : "";
}

void sl_meta_hash_hex(const uint8_t hash[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[hash[i] >> 4];
		out[2 * i + 1] = hex[hash[i] & 0xf];
	}
	out[64] = '\0';
}

const struct sluice_meta_set *sl_meta_set_find(const struct sl_meta *m, const char *name)
{
	for (uint32_t i = 0; i < m->hdr.nsets; i++)
		if (!strcmp(sl_meta_str(m, m->sets[i].name_str), name))
			return &m->sets[i];
	return NULL;
}

const uint8_t *sl_meta_set_key(const struct sl_meta *m, const struct sluice_meta_set *s, uint32_t i,
			       struct sluice_set_value *value)
{
	const uint8_t *key = (const uint8_t *)m->raw + s->elems_off +
			     (size_t)i * (s->key_size + sizeof(struct sluice_set_value));

	if (value)
		memcpy(value, key + s->key_size, sizeof(*value));
	return key;
}

__attribute__((format(printf, 3, 4))) static int why_set(char *why, size_t len, const char *fmt,
							 ...)
{
	va_list ap;

	if (!len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* count records of elem bytes from off fit in size bytes (64-bit: no product overflows). */
static bool range_ok(uint64_t off, uint64_t count, uint64_t elem, uint64_t size)
{
	return off <= size && count * elem <= size - off;
}

static bool str_ok(const struct sluice_meta_header *h, uint32_t off)
{
	return off < h->strings_size;
}

static int check_tables(const struct sl_meta *m, char *why, size_t len)
{
	for (uint32_t i = 0; i < m->hdr.ntables; i++) {
		const struct sluice_meta_table *t = &m->tables[i];

		if (!str_ok(&m->hdr, t->name_str) || !str_ok(&m->hdr, t->prog_str) ||
		    !str_ok(&m->hdr, t->section_str) || !str_ok(&m->hdr, t->file_str) ||
		    !str_ok(&m->hdr, t->ct_prog_str) ||
		    (t->ct_prog_str && m->hdr.version < SLUICE_META_VERSION))
			return why_set(why, len, "table %u has a string offset out of range", i);
		if (t->hook > SLUICE_HOOK_CGROUP_EGRESS)
			return why_set(why, len, "table %u has unknown hook %u", i, t->hook);
		if (t->policy > SLUICE_VERDICT_DROP)
			return why_set(why, len, "table %u has unknown policy %u", i, t->policy);
		if (!*sl_meta_str(m, t->name_str) || !*sl_meta_str(m, t->prog_str))
			return why_set(why, len, "table %u has no name or program name", i);
	}
	return 0;
}

static int check_rules(const struct sl_meta *m, char *why, size_t len)
{
	for (uint32_t i = 0; i < m->hdr.nrules; i++) {
		const struct sluice_meta_rule *r = &m->rules[i];

		if (r->id != i)
			return why_set(why, len, "rule %u has id %u", i, r->id);
		if (!str_ok(&m->hdr, r->chain_str) || !str_ok(&m->hdr, r->file_str) ||
		    !str_ok(&m->hdr, r->text_str))
			return why_set(why, len, "rule %u has a string offset out of range", i);
		if (r->counter_slot != SLUICE_NO_COUNTER && r->counter_slot >= m->hdr.ncounters)
			return why_set(why, len, "rule %u has counter slot %u of %u", i,
				       r->counter_slot, m->hdr.ncounters);
	}
	return 0;
}

static int check_sets(const struct sl_meta *m, char *why, size_t len)
{
	for (uint32_t i = 0; i < m->hdr.nsets; i++) {
		const struct sluice_meta_set *s = &m->sets[i];
		const char *what = NULL;
		struct sl_set_desc d;

		if (!str_ok(&m->hdr, s->name_str) || !str_ok(&m->hdr, s->map_str) ||
		    !str_ok(&m->hdr, s->file_str))
			return why_set(why, len, "set %u has a string offset out of range", i);
		if (!*sl_meta_str(m, s->name_str) || !*sl_meta_str(m, s->map_str) ||
		    strlen(sl_meta_str(m, s->map_str)) > 15)
			return why_set(why, len, "set %u has no name or a bad map name", i);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(sl_meta_str(m, m->sets[j].name_str),
				    sl_meta_str(m, s->name_str)) ||
			    !strcmp(sl_meta_str(m, m->sets[j].map_str), sl_meta_str(m, s->map_str)))
				return why_set(why, len, "sets %u and %u share a name", j, i);
		if (sl_set_desc_from_meta(&d, s, &what))
			return why_set(why, len, "set %u: %s", i, what);
		if (!s->size || s->nelems > s->size)
			return why_set(why, len, "set %u has %u elements for a size of %u", i,
				       s->nelems, s->size);
		if (!range_ok(s->elems_off, s->nelems,
			      s->key_size + sizeof(struct sluice_set_value), m->raw_size))
			return why_set(why, len, "set %u: elements extend past the section end", i);
		for (uint32_t k = 0; k < s->nelems; k++) {
			struct sl_set_elem e;

			if (sl_set_key_decode(&d, sl_meta_set_key(m, s, k, NULL), &e, &what))
				return why_set(why, len, "set %u element %u: %s", i, k, what);
		}
	}
	return 0;
}

/* Copies n records of the writer's size into our layout (newer writers may append fields). */
static void *copy_records(const uint8_t *base, uint32_t n, uint32_t stride, size_t ours)
{
	uint8_t *out = calloc(n ? n : 1, ours);

	if (!out)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		memcpy(out + (size_t)i * ours, base + (size_t)i * stride, ours);
	return out;
}

/* The interface names (version 2, ifaces_off): in range, named, distinct. */
static int read_ifaces(struct sl_meta *m, const uint8_t *base, char *why, size_t len)
{
	struct sluice_meta_ifaces ih;

	if (m->hdr.version == SLUICE_META_VERSION_1 || !m->hdr.ifaces_off)
		return 0;
	if (!range_ok(m->hdr.ifaces_off, 1, sizeof(ih), m->raw_size))
		return why_set(why, len, "interface names extend past the section end");
	memcpy(&ih, base + m->hdr.ifaces_off, sizeof(ih));
	if (ih.iface_size < sizeof(struct sluice_meta_iface) ||
	    !range_ok(m->hdr.ifaces_off + sizeof(ih), ih.niface, ih.iface_size, m->raw_size))
		return why_set(why, len, "interface names extend past the section end");
	if (ih.niface > 255)
		return why_set(why, len, "%u interface names, at most 255", ih.niface);
	m->ifaces = copy_records(base + m->hdr.ifaces_off + sizeof(ih), ih.niface, ih.iface_size,
				 sizeof(struct sluice_meta_iface));
	if (!m->ifaces)
		return -ENOMEM;
	m->nifaces = ih.niface;
	for (uint32_t i = 0; i < m->nifaces; i++) {
		const char *name = sl_meta_str(m, m->ifaces[i].name_str);

		if (!str_ok(&m->hdr, m->ifaces[i].name_str) || !*name ||
		    strlen(name) > SLUICE_IFACE_NAME_MAX)
			return why_set(why, len, "interface name %u is empty or too long", i);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(sl_meta_str(m, m->ifaces[j].name_str), name))
				return why_set(why, len, "interface names %u and %u are the same",
					       j, i);
	}
	return 0;
}

/* The header's own checks: sizes, counts and offsets against the section size. */
static int check_header(const struct sluice_meta_header *h, const uint8_t *base, size_t size,
			char *why, size_t why_len)
{
	if (h->magic != SLUICE_META_MAGIC)
		return why_set(why, why_len, "bad magic 0x%08x", h->magic);
	if (h->version != SLUICE_META_VERSION && h->version != SLUICE_META_VERSION_1)
		return why_set(why, why_len, "metadata version %u, this reader knows version %u",
			       h->version, SLUICE_META_VERSION);
	if (h->header_size <
		(h->version == SLUICE_META_VERSION_1 ? SLUICE_META_HEADER_V1_SIZE : sizeof(*h)) ||
	    h->table_size < sizeof(struct sluice_meta_table) ||
	    h->rule_size < sizeof(struct sluice_meta_rule) || h->header_size > size)
		return why_set(why, why_len, "record sizes smaller than version %u defines",
			       SLUICE_META_VERSION);
	if (h->ntables == 0)
		return why_set(why, why_len, "no tables");
	if (!range_ok(h->tables_off, h->ntables, h->table_size, size) ||
	    !range_ok(h->rules_off, h->nrules, h->rule_size, size) ||
	    !range_ok(h->strings_off, h->strings_size, 1, size) ||
	    (h->nsets && (h->set_size < sizeof(struct sluice_meta_set) ||
			  !range_ok(h->sets_off, h->nsets, h->set_size, size))))
		return why_set(why, why_len,
			       "tables, rules or strings extend past the section end");
	if (h->strings_size == 0 || base[h->strings_off] != '\0' ||
	    base[h->strings_off + h->strings_size - 1] != '\0')
		return why_set(why, why_len, "string table is not NUL-delimited");
	if (!str_ok(h, h->policy_name_str) || !str_ok(h, h->compiler_str) ||
	    !str_ok(h, h->counter_map_str))
		return why_set(why, why_len, "header string offset out of range");
	return 0;
}

int sl_meta_parse(const void *data, size_t size, struct sl_meta **out, char *why, size_t why_len)
{
	const uint8_t *base = data;
	struct sluice_meta_header h;
	struct sl_meta *m;
	int err;

	*out = NULL;
	if (size < SLUICE_META_HEADER_V1_SIZE)
		return why_set(why, why_len, "section is %zu bytes, shorter than its header", size);
	/* The section need not be aligned; a version 1 header has no set fields (zero). */
	memset(&h, 0, sizeof(h));
	memcpy(&h, data, SLUICE_META_HEADER_V1_SIZE);
	if (h.version != SLUICE_META_VERSION_1 && size >= sizeof(h))
		memcpy(&h, data, sizeof(h));
	err = check_header(&h, base, size, why, why_len);
	if (err)
		return err;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->raw = malloc(size);
	m->tables = copy_records(base + h.tables_off, h.ntables, h.table_size,
				 sizeof(struct sluice_meta_table));
	m->rules = copy_records(base + h.rules_off, h.nrules, h.rule_size,
				sizeof(struct sluice_meta_rule));
	m->sets =
	    copy_records(base + h.sets_off, h.nsets, h.set_size, sizeof(struct sluice_meta_set));
	if (!m->raw || !m->tables || !m->rules || !m->sets) {
		sl_meta_free(m);
		return -ENOMEM;
	}
	memcpy(m->raw, data, size);
	m->raw_size = size;
	m->hdr = h;
	m->strings = (const char *)m->raw + h.strings_off;
	if (check_tables(m, why, why_len) || check_rules(m, why, why_len) ||
	    check_sets(m, why, why_len)) {
		sl_meta_free(m);
		return -EINVAL;
	}
	err = read_ifaces(m, base, why, why_len);
	if (err) {
		sl_meta_free(m);
		return err;
	}
	*out = m;
	return 0;
}
