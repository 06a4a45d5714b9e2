// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "meta.h"
#include "util.h"

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
