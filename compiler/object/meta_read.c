// SPDX-License-Identifier: GPL-2.0-only
/* Reading a metadata section back, checking every offset first (abi.h asks readers to). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "object/object_read.h"

static bool range_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static bool str_ok(const struct sl_meta_view *v, uint32_t off)
{
	return off < v->hdr.strings_size;
}

static int check_strings(const struct sl_meta_view *v, const char **why)
{
	const struct sluice_meta_header *h = &v->hdr;
	uint32_t hs[] = { h->policy_name_str, h->compiler_str, h->counter_map_str };

	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		if (!str_ok(v, hs[i]))
			return *why = "a header string lies outside the string table", -EINVAL;
	}
	for (uint32_t i = 0; i < h->ntables; i++) {
		struct sluice_meta_table t = sl_meta_table(v, i);

		if (!str_ok(v, t.name_str) || !str_ok(v, t.prog_str) || !str_ok(v, t.section_str) ||
		    !str_ok(v, t.file_str))
			return *why = "a table string lies outside the string table", -EINVAL;
	}
	for (uint32_t i = 0; i < h->nrules; i++) {
		struct sluice_meta_rule r = sl_meta_rule(v, i);

		if (!str_ok(v, r.chain_str) || !str_ok(v, r.file_str) || !str_ok(v, r.text_str))
			return *why = "a rule string lies outside the string table", -EINVAL;
	}
	return 0;
}

int sl_meta_parse(const void *data, size_t size, struct sl_meta_view *v, const char **why)
{
	struct sluice_meta_header *h = &v->hdr;
	const char *dummy;

	if (!why)
		why = &dummy;
	memset(v, 0, sizeof(*v));
	if (size < sizeof(*h))
		return *why = "the metadata section is shorter than its header", -EINVAL;
	memcpy(h, data, sizeof(*h));
	v->base = data;
	if (h->magic != SLUICE_META_MAGIC)
		return *why = "the metadata section has a bad magic number", -EINVAL;
	if (h->version != SLUICE_META_VERSION)
		return *why = "the metadata section has an unknown version", -EINVAL;
	if (h->header_size < sizeof(*h) || h->table_size < sizeof(struct sluice_meta_table) ||
	    h->rule_size < sizeof(struct sluice_meta_rule))
		return *why = "the metadata section has entries smaller than this reader knows",
		       -EINVAL;
	if (!range_ok(h->tables_off, (uint64_t)h->ntables * h->table_size, size) ||
	    !range_ok(h->rules_off, (uint64_t)h->nrules * h->rule_size, size) ||
	    !range_ok(h->strings_off, h->strings_size, size))
		return *why = "a metadata array lies outside the section", -EINVAL;
	if (!h->strings_size || v->base[h->strings_off] != '\0' ||
	    v->base[h->strings_off + h->strings_size - 1] != '\0')
		return *why = "the metadata string table is not NUL-terminated", -EINVAL;
	return check_strings(v, why);
}

struct sluice_meta_table sl_meta_table(const struct sl_meta_view *v, uint32_t i)
{
	struct sluice_meta_table t;

	memcpy(&t, v->base + v->hdr.tables_off + (size_t)i * v->hdr.table_size, sizeof(t));
	return t;
}

struct sluice_meta_rule sl_meta_rule(const struct sl_meta_view *v, uint32_t i)
{
	struct sluice_meta_rule r;

	memcpy(&r, v->base + v->hdr.rules_off + (size_t)i * v->hdr.rule_size, sizeof(r));
	return r;
}

const char *sl_meta_str(const struct sl_meta_view *v, uint32_t off)
{
	return str_ok(v, off) ? (const char *)v->base + v->hdr.strings_off + off : "?";
}
