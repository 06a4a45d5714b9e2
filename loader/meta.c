// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "meta.h"
#include "util.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

void sl_meta_free(struct sl_meta *m)
{
	if (!m)
		return;
	free(m->raw);
	free(m->tables);
	free(m->rules);
	free(m);
}

const char *sl_meta_str(const struct sl_meta *m, uint32_t off)
{
	return off < m->hdr.strings_size ? m->strings + off : "";
}

const char *sl_hook_name(uint32_t hook)
{
	static const char *const names[] = {
	    [SLUICE_HOOK_XDP] = "xdp",
	    [SLUICE_HOOK_TC_INGRESS] = "tc ingress",
	    [SLUICE_HOOK_TC_EGRESS] = "tc egress",
	    [SLUICE_HOOK_CGROUP_INGRESS] = "cgroup_skb ingress",
	    [SLUICE_HOOK_CGROUP_EGRESS] = "cgroup_skb egress",
	};

	return hook < SL_ARRAY_SIZE(names) ? names[hook] : "unknown hook";
}

void sl_meta_hash_hex(const uint8_t hash[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", hash[i]);
}

__attribute__((format(printf, 3, 4))) static int why_set(char *why, size_t len, const char *fmt,
							 ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

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
		    !str_ok(&m->hdr, t->section_str) || !str_ok(&m->hdr, t->file_str))
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

/* Copies n records of the writer's size into our layout (newer writers may append fields). */
static void *copy_records(const uint8_t *base, uint32_t n, uint32_t stride, size_t ours)
{
	uint8_t *out = calloc(n ? n : 1, ours);

	if (!out)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		memcpy(out + i * ours, base + (size_t)i * stride, ours);
	return out;
}

int sl_meta_parse(const void *data, size_t size, struct sl_meta **out, char *why, size_t why_len)
{
	struct sl_meta *m;
	const struct sluice_meta_header *h = data;
	const uint8_t *base = data;

	if (size < sizeof(*h))
		return why_set(why, why_len, "section is %zu bytes, shorter than its header", size);
	if (h->magic != SLUICE_META_MAGIC)
		return why_set(why, why_len, "bad magic 0x%08x", h->magic);
	if (h->version != SLUICE_META_VERSION)
		return why_set(why, why_len,
			       "metadata version %u, this sluice-load reads version %u", h->version,
			       SLUICE_META_VERSION);
	if (h->header_size < sizeof(*h) || h->table_size < sizeof(struct sluice_meta_table) ||
	    h->rule_size < sizeof(struct sluice_meta_rule) || h->header_size > size)
		return why_set(why, why_len, "record sizes smaller than version %u defines",
			       SLUICE_META_VERSION);
	if (h->ntables == 0)
		return why_set(why, why_len, "no tables");
	if (!range_ok(h->tables_off, h->ntables, h->table_size, size) ||
	    !range_ok(h->rules_off, h->nrules, h->rule_size, size) ||
	    !range_ok(h->strings_off, h->strings_size, 1, size))
		return why_set(why, why_len,
			       "tables, rules or strings extend past the section end");
	if (h->strings_size == 0 || base[h->strings_off] != '\0' ||
	    base[h->strings_off + h->strings_size - 1] != '\0')
		return why_set(why, why_len, "string table is not NUL-delimited");
	if (!str_ok(h, h->policy_name_str) || !str_ok(h, h->compiler_str) ||
	    !str_ok(h, h->counter_map_str))
		return why_set(why, why_len, "header string offset out of range");

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->raw = malloc(size);
	m->tables = copy_records(base + h->tables_off, h->ntables, h->table_size,
				 sizeof(struct sluice_meta_table));
	m->rules = copy_records(base + h->rules_off, h->nrules, h->rule_size,
				sizeof(struct sluice_meta_rule));
	if (!m->raw || !m->tables || !m->rules) {
		sl_meta_free(m);
		return -ENOMEM;
	}
	memcpy(m->raw, data, size);
	m->raw_size = size;
	memcpy(&m->hdr, h, sizeof(*h));
	m->strings = (const char *)m->raw + h->strings_off;
	if (check_tables(m, why, why_len) || check_rules(m, why, why_len)) {
		sl_meta_free(m);
		return -EINVAL;
	}
	*out = m;
	return 0;
}

static void elf_endp(Elf **e)
{
	if (*e)
		elf_end(*e);
}

/* Finds the metadata section; 0 with *data NULL when the object has none. */
static int find_section(Elf *elf, Elf_Data **data)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	*data = NULL;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, SLUICE_META_SECTION))
			continue;
		if (sh.sh_type == SHT_NOBITS)
			return -EINVAL;
		*data = elf_getdata(scn, NULL);
		return *data ? 0 : -EINVAL;
	}
	return 0;
}

int sl_meta_from_object(const char *path, struct sl_meta **out)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	__attribute__((cleanup(elf_endp))) Elf *elf = NULL;
	GElf_Ehdr eh;
	Elf_Data *data;
	char why[160];
	int err;

	if (fd < 0) {
		err = -errno;
		sl_err(err, "cannot open object '%s': %s", path, strerror(-err));
		sl_hint("check the path; build objects with `sluice build POLICY.sluice -o OBJ`");
		return err;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		sl_err(-EINVAL, "'%s' is not an ELF object", path);
		sl_hint("pass the .o that `sluice build` wrote");
		return -EINVAL;
	}
	if (eh.e_machine != EM_BPF || eh.e_type != ET_REL) {
		sl_err(-EINVAL, "'%s' is not a BPF object (ELF machine %u, type %u)", path,
		       eh.e_machine, eh.e_type);
		sl_hint("pass the .o that `sluice build` wrote");
		return -EINVAL;
	}
	if (find_section(elf, &data)) {
		sl_err(-EINVAL, "'%s': cannot read its ELF sections: %s", path, elf_errmsg(-1));
		return -EINVAL;
	}
	if (!data) {
		sl_err(-EINVAL, "'%s' has no %s section: it was not built by sluice", path,
		       SLUICE_META_SECTION);
		sl_hint("build it with `sluice build POLICY.sluice -o OBJ`; other BPF objects can "
			"be attached with bpftool or ip");
		return -EINVAL;
	}
	err = sl_meta_parse(data->d_buf, data->d_size, out, why, sizeof(why));
	if (err == -ENOMEM)
		return sl_err(err, "out of memory");
	if (err) {
		sl_err(err, "'%s': invalid %s section: %s", path, SLUICE_META_SECTION, why);
		sl_hint("rebuild the object with a sluice compiler matching this sluice-load "
			"(metadata version %u)",
			SLUICE_META_VERSION);
	}
	return err;
}

int sl_meta_pick_table(const struct sl_meta *m, const char *path, const char *name,
		       const struct sluice_meta_table **out)
{
	char list[512] = "";
	size_t used = 0;

	for (uint32_t i = 0; i < m->hdr.ntables; i++) {
		const char *tn = sl_meta_str(m, m->tables[i].name_str);

		if (name && !strcmp(name, tn)) {
			*out = &m->tables[i];
			return 0;
		}
		if (used < sizeof(list))
			used += snprintf(list + used, sizeof(list) - used, "%s%s (%s)",
					 i ? ", " : "", tn, sl_hook_name(m->tables[i].hook));
	}
	if (!name && m->hdr.ntables == 1) {
		*out = &m->tables[0];
		return 0;
	}
	if (name)
		sl_err(-ENOENT, "'%s' has no table '%s'", path, name);
	else
		sl_err(-EINVAL, "'%s' holds %u tables; say which one to use", path, m->hdr.ntables);
	sl_hint("pass --table NAME; the object's tables: %s", list);
	return name ? -ENOENT : -EINVAL;
}
