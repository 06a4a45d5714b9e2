// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

#include "meta.h"
#include "util.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

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
