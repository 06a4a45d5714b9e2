// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interface names of a policy (`meta iifname "eth0"`, abi.h SLUICE_IFACE_MAP):
 * resolved to indexes in the loader's network namespace (where it attaches)
 * and written into the object's read-only array before load. A name no
 * interface has is 0, which matches no packet; for a name written `iif`/`oif`
 * (SLUICE_IFACE_F_REQUIRED) it is a load error. Interfaces renamed, removed or
 * created after the load are not followed: `replace` or `apply` resolves again.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "iface.h"
#include "target.h"
#include "util.h"

/* The index of each name in the current network namespace; prints what is wrong. */
static int resolve(const struct sl_obj *o, uint32_t *idx)
{
	const struct sl_meta *m = o->meta;

	for (uint32_t i = 0; i < m->nifaces; i++) {
		const struct sluice_meta_iface *f = &m->ifaces[i];
		const char *name = sl_meta_str(m, f->name_str);

		idx[i] = if_nametoindex(name);
		if (!idx[i] && (f->flags & SLUICE_IFACE_F_REQUIRED)) {
			sl_err(-ENODEV,
			       "'%s': its policy (line %u) matches 'meta iif \"%s\"' or 'meta oif "
			       "\"%s\"', and no interface is called '%s'%s%s",
			       o->path, f->line, name, name, name,
			       o->netns ? " in netns " : " here", o->netns ? o->netns : "");
			sl_hint("create the interface first, or write 'meta iifname \"%s\"' to "
				"match nothing while it is missing",
				name);
			return -ENODEV;
		}
	}
	return 0;
}

int sl_iface_fill(struct sl_obj *o)
{
	const struct sl_meta *m = o->meta;
	struct bpf_map *map;
	_cleanup_free_ uint32_t *idx = NULL;
	int err;

	if (!m->nifaces)
		return 0;
	map = bpf_object__find_map_by_name(o->obj, SLUICE_IFACE_SECTION);
	if (!map)
		return sl_err(-ENOENT, "'%s' names interfaces but has no %s map", o->path,
			      SLUICE_IFACE_MAP);
	idx = calloc(m->nifaces, sizeof(*idx));
	if (!idx)
		return sl_err(-ENOMEM, "out of memory");
	if (o->netns) {
		struct sl_netns saved;

		err = sl_netns_enter(o->netns, &saved);
		if (err)
			return err;
		err = resolve(o, idx);
		sl_netns_leave(&saved);
	} else {
		err = resolve(o, idx);
	}
	if (err)
		return err;
	err = bpf_map__set_initial_value(map, idx, m->nifaces * sizeof(*idx));
	if (err)
		return sl_err(err, "'%s': cannot write the interface indexes: %s", o->path,
			      strerror(-err));
	return 0;
}
